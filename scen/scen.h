/*
** scen.h — scenario files: YAML (libyaml) -> vmm_scenario + expectations.
**
** Loading has three steps, so that each can be used (and fuzzed) alone:
**   scen_parse     YAML text -> machine, VMs, VxD sources, timeline, expectations
**                  (pure: no files, no processes);
**   scen_assemble  each VxD's NASM source -> flat image + labels (runs nasm);
**   scen_resolve   label references (timeline targets, control procedures,
**                  expectations) -> linear addresses.
** scen_load does all three from a path. Every error names file:line:column and
** what was expected versus found (scen_error()). The format is documented in
** scenarios/README.md, and as a JSON Schema in docs/schemas/scenario.schema.json.
*/
#ifndef VMMSIM_SCEN_H
#define VMMSIM_SCEN_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

enum {
    SCEN_OK = 0,
    SCEN_ESYNTAX = -1,   /* YAML syntax */
    SCEN_ESCHEMA = -2,   /* unknown key, wrong type, missing field, bad value */
    SCEN_ELABEL = -3,    /* unknown label or VM */
    SCEN_EASM = -4,      /* the assembler rejected a VxD source */
    SCEN_ENONASM = -5,   /* no assembler installed */
    SCEN_EIO = -6,       /* a file could not be read / temp dir failure */
    SCEN_ENOMEM = -7,
    SCEN_ELIMIT = -8     /* a loader limit (below) was exceeded */
};
const char *scen_strerror(int err);

/* Loader limits: every list and the input have a bound. */
#define SCEN_INPUT_MAX   (16u << 20)  /* bytes of YAML */
#define SCEN_DEPTH_MAX   16           /* YAML nesting */
#define SCEN_NODES_MAX   (1u << 22)   /* YAML nodes (grown as needed) */
#define SCEN_VMS_MAX     64
#define SCEN_VXDS_MAX    32
#define SCEN_STIM_MAX    (1u << 20)   /* timeline entries */
#define SCEN_EXPECT_MAX  256
#define SCEN_REFS_MAX    (SCEN_STIM_MAX + 65536u)   /* label references */
#define SCEN_LABELS_MAX  4096         /* per VxD */
#define SCEN_IMAGE_MAX   (1u << 20)   /* bytes per VxD image */
/* nasm's limits per VxD (docs/cli.md, "Assembler limits"): CPU seconds (wall clock:
** twice that + 5 s; VMMSIM_NASM_TIME_S overrides, 1..3600), bytes of each file it
** writes (image, symbol map, messages), bytes of address space. */
#define SCEN_NASM_TIME_S   10u
#define SCEN_NASM_FILE_MAX (16u << 20)
#define SCEN_NASM_AS_MAX   (1024u << 20)
#define SCEN_TRACE_RECORDS_MAX (1u << 21)   /* machine.trace_records */
#define SCEN_PATH_MAX    1024
#define SCEN_ERR_MAX     1024
#define SCEN_NAME_MAX    1024         /* `name:` bytes, with its NUL */
#define SCEN_FIX_MAX     SCEN_REFS_MAX  /* symbolic values (each names one label) */

/* A source position (1-based) for error messages. */
typedef struct scen_pos { uint32_t line, col; } scen_pos;

/* A reference to a label ("VXD.label", or "label" when one VxD defines it). */
typedef struct scen_ref {
    char     name[VMM_NAME_MAX * 2 + 2];
    scen_pos pos;
    uint32_t addr;          /* set by scen_resolve */
} scen_ref;

enum scen_expect_kind {
    SCEN_EXP_ORDER = 1,     /* callbacks among refs are entered in exactly this order */
    SCEN_EXP_NEVER,         /* the callback is never entered */
    SCEN_EXP_ALWAYS,        /* the callback is entered at least once */
    SCEN_EXP_MEMORY,        /* guest memory at end == value */
    SCEN_EXP_HASH,          /* final trace hash == hash */
    SCEN_EXP_FINDING,       /* the run reports a finding of rule `rule` */
    SCEN_EXP_WITHIN,        /* after every trigger record, the callback (ref0) is
                               entered within `cycles` cycles */
    SCEN_EXP_REGISTER,      /* a VM's client register (its Client_Reg_Struc) at end */
    SCEN_EXP_ENTRY,         /* a callback's registers (and VM) at every or its n-th entry */
    SCEN_EXP_CALLS,         /* the number of entries of a callback is within [lo, hi] */
    SCEN_EXP_BEFORE         /* first (or every) entry of each ref before the next's first */
};

/* The registers a CB_ENTER record carries (vmm/trace.c), in its argument order;
** SCEN_ENTRY_VM is the VM it runs in. Bits of scen_expect.regmask. */
enum { SCEN_ENTRY_EAX, SCEN_ENTRY_EBX, SCEN_ENTRY_EDX, SCEN_ENTRY_EBP, SCEN_ENTRY_VM,
       SCEN_ENTRY_COUNT };

/* What starts a `within` expectation's clock: a record of the trace. */
enum scen_trig_kind {
    SCEN_TRIG_STIMULUS = 1, /* STIMULUS index=trig_index (when the stimulus takes effect) */
    SCEN_TRIG_ENTER,        /* CB_ENTER of the label refs[trig_ref] */
    SCEN_TRIG_RETURN,       /* CB_RETURN of the label refs[trig_ref] */
    SCEN_TRIG_SERVICE       /* SERVICE svc=svc (a VMM service is entered) */
};

typedef struct scen_expect {
    uint32_t kind;
    scen_pos pos;
    uint32_t ref0, nrefs;   /* ORDER/NEVER/ALWAYS/MEMORY-by-label: into refs[] */
    uint32_t addr;          /* MEMORY: address (plus the label's, if any); with v86, SEG << 16 | OFF */
    uint32_t size;          /* MEMORY: 1, 2 or 4 */
    uint32_t value;         /* MEMORY */
    uint32_t v86;           /* MEMORY: 1 + SEG*16+OFF in VM vm's own space (0: addr is linear) */
    uint64_t hash;          /* HASH */
    char     rule[8];       /* FINDING */
    uint32_t trig;          /* WITHIN: enum scen_trig_kind */
    uint32_t trig_index;    /* WITHIN from a stimulus: its timeline index */
    uint32_t trig_ref;      /* WITHIN from a callback: into refs[] */
    char     svc[48];       /* WITHIN from a service: its DDK name */
    uint64_t cycles;        /* WITHIN: the largest allowed delay */
    char     reg[8];        /* REGISTER: its name, upper case */
    uint32_t vm;            /* REGISTER: VM index; addr = offset in Client_Reg_Struc,
                               size = 4 (general, EIP, EFlags) or 2 (segment) */
    uint32_t regs[SCEN_ENTRY_COUNT];   /* ENTRY: expected EAX EBX EDX EBP, VM index */
    uint32_t regmask;       /* ENTRY: which of regs[] are checked (1 << SCEN_ENTRY_*) */
    uint32_t nth;           /* ENTRY: 0 every entry, else only the n-th (1-based) */
    uint32_t lo, hi;        /* CALLS: allowed number of entries */
    uint32_t every;         /* BEFORE: every entry (not only the first) precedes */
    uint32_t probe;         /* REGISTER, MEMORY of a VM: 1 + index into the VM's client
                               probes (checked at a label, `when:`; nth as for ENTRY),
                               0: at the end of the run */
    char     when[VMM_NAME_MAX * 2 + 2];   /* ... the label of its program, and */
    uint32_t when_off;      /* ... the offset past it */
    scen_pos when_pos;
} scen_expect;

/* A value written with a label (`DEMO.flag+4`): *dst (already the offset) gets the
** label's address added by scen_resolve, and must then be at most max. */
typedef struct scen_fix {
    uint32_t *dst;
    uint32_t  ref;          /* into refs[] */
    uint32_t  max;
} scen_fix;

/* Where a VxD's source comes from, kept for assembling and error mapping. */
typedef struct scen_src {
    char    *text;          /* owned: inline `asm: |` text, or NULL */
    char    *file;          /* owned: `file:` path resolved beside the scenario */
    scen_pos pos;           /* first line of the inline text in the scenario */
    scen_pos at;            /* the VxD entry, for errors without a line */
    uint32_t control_ref;   /* index into refs[] of the control procedure */
    uint8_t *image;         /* owned, after scen_assemble */
    vmm_label *labels;      /* owned, after scen_assemble */
    uint32_t nlabels;
} scen_src;

typedef struct scen {
    char path[SCEN_PATH_MAX];       /* as given (shown in errors) */
    char dir[SCEN_PATH_MAX];        /* its folder: `file:` and includes resolve here */
    char name[SCEN_NAME_MAX];
    char rules[64];                 /* `rule:` — the rule IDs the scenario holds */
    vmm_machine m;
    int          run_to_max;        /* machine.run_to_max_cycles: END-1 does not apply */
    vmm_vm_desc  *vms;   uint32_t nvms;
    vmm_vxd_desc *vxds;  uint32_t nvxds;
    scen_src     *src;                              /* parallel to vxds */
    vmm_stimulus *stim;  uint32_t nstim;
    vmm_port     *ports; uint32_t nports;           /* `ports:` (at most VMM_PORTS_MAX) */
    uint32_t     *stim_ref;                         /* CALL: index into refs[] */
    scen_pos     *stim_pos;
    scen_expect  *exp;   uint32_t nexp;
    scen_ref     *refs;  uint32_t nrefs;
    scen_fix     *fix;   uint32_t nfix;             /* symbolic values (label+offset) */
    char          cl_entry[SCEN_VMS_MAX][VMM_NAME_MAX];   /* client cs_ip as a label, or "" */
    scen_pos      cl_entry_pos[SCEN_VMS_MAX];
    vmm_probe     cl_probes[SCEN_VMS_MAX][VMM_PROBES_MAX];   /* expectations at a label */
    vmm_scenario  vs;                               /* view for vmm_new, after load */
    char err[SCEN_ERR_MAX];
    int  errcode;
} scen;

/* All three return SCEN_OK or a negative SCEN_E* code with scen_error(s) set.
** `path` names the text in messages and locates `file:` sources (may be a
** pseudo-name like "<built-in>", then `dir` is the current folder). */
int  scen_parse(scen *s, const char *text, size_t len, const char *path);
int  scen_assemble(scen *s);
int  scen_resolve(scen *s);
int  scen_load(scen *s, const char *path);            /* read + all three */
int  scen_load_text(scen *s, const char *text, size_t len, const char *path);
void scen_free(scen *s);                              /* also after a failure */
const char *scen_error(const scen *s);

/* The label at addr as "VXD.label" (NULL when none); used by expectation checks. */
const char *scen_label_at(const scen *s, uint32_t addr, char *buf, size_t len);

/* The image cache's counters in this process (scen/scen_cache.c): lookups that found
** an entry, lookups that did not (of which: a damaged entry, a changed include),
** entries stored and entries evicted. */
typedef struct scen_cache_counts {
    uint64_t hits, misses, damaged, stale, stores, evicted;
} scen_cache_counts;
void scen_cache_counts_get(scen_cache_counts *out);

/* Built-in default scenario (Call_When_Idle + Call_When_Not_Critical at work). */
extern const char scen_default_yaml[];
#define SCEN_DEFAULT_NAME "<built-in>"

#endif
