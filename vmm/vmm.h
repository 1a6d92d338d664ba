/*
** vmm.h — the simulated Windows 3.1 Virtual Machine Manager (docs/vmm.md).
**
** A vmm_state owns one machine: guest memory, the CPU, the event queue, the chooser
** and the trace. It is built from a vmm_scenario — plain data that the scenario
** loader (cli/scen.h) fills from a YAML file, or that a test fills by hand — and runs
** it deterministically. No I/O, no libuv, no globals.
** Errors are negative VMM_E* codes; vmm_strerror() names them.
** The library's second public header, vmm/vmm_trace.h, holds the values packed into
** trace records; every exported name of both starts with vmm_ / VMM_.
*/
#ifndef VMMSIM_VMM_H
#define VMMSIM_VMM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "cpu386/cpu386.h"

enum {
    VMM_OK = 0,
    VMM_ENOMEM = -1,
    VMM_EINVAL = -2,      /* scenario data out of range (vmm_error() says which) */
    VMM_ELIMIT = -3,      /* a machine limit was exceeded (VMs, queue, tables) */
    VMM_EUNIMPL = -4,     /* guest called a service vmmsim does not implement */
    VMM_EGUEST = -5,      /* guest CPU fault / triple fault / unsupported instruction */
    VMM_EHANG = -6,       /* no progress for machine.hang_cycles */
    VMM_EBROKEN = -7      /* an invariant of the VMM is broken (vmm_check; a vmmsim bug) */
};
const char *vmm_strerror(int err);

/* ---- scenario data ------------------------------------------------------- */

#define VMM_NAME_MAX 32

typedef struct vmm_machine {
    uint32_t clock_hz;          /* default 33000000 */
    uint32_t memory_kb;         /* guest RAM, default 4096 */
    uint32_t timer_tick_ms;     /* system timer period, default 20 */
    uint32_t max_vms;           /* limit on VMs, default 16 */
    uint32_t idle_slots;        /* Call_When_Idle table size (IDLE-1), default 8 */
    uint32_t nc_slots;          /* Call_When_Not_Critical list size, default 32 */
    uint32_t ts_slots;          /* Call_When_Task_Switched list size, default 16 */
    uint32_t event_capacity;    /* event queue capacity, default 4096 */
    uint32_t wait_states;       /* memory wait states, default 0 */
    uint32_t service_cycles;    /* VMM cost charged per service call, default 50 */
    uint64_t max_cycles;        /* run limit, default 100000000 */
    uint64_t hang_cycles;       /* no progress this long is a hang, default 0 = off */
    /* Added fields: 0 means the default. */
    uint32_t trace_records;     /* trace records kept in memory, default 65536;
                                   VMM_TRACE_NONE keeps none (hash and checkpoints only) */
    uint32_t checkpoint_every;  /* a CHECKPOINT record every N records, default 64 */
    uint32_t irq_handler_cycles;/* INT-1: cycles a VM's client interrupt handler runs
                                   from the simulated interrupt to its IRET, default 2000 */
    uint32_t time_slicing;      /* SL-1: 1 = the time slicer rotates Cur_Run_VM_Boost among
                                   the scheduled VMs; default 0 = off (no slice events) */
    uint32_t time_slice_ms;     /* SL-1: initial time-slice granularity (minimum slice),
                                   ms, default 20 */
    uint32_t irq_boundary_window;/* INT-1: an IRQ raised while VxD code runs lands on one of
                                   the next N instruction boundaries, an IRQ_BOUNDARY choice
                                   (canonical: the first); 1..64, default 0 = 1 (no choice) */
    uint32_t explore_ambiguities;/* AMB-1..3 (docs/vmm.md, "Ambiguities"): 1 = where the
                                   DDK admits two readings, an AMBIGUITY choice (canonical:
                                   the reading vmmsim always had); default 0 = off */
} vmm_machine;
#define VMM_TRACE_NONE 0xFFFFFFFFu
void vmm_machine_defaults(vmm_machine *m);

typedef struct vmm_label {
    char     name[VMM_NAME_MAX * 2];  /* as in the assembler's map */
    uint32_t addr;                    /* linear */
} vmm_label;

/* A VM's client program (docs/vmm.md, "Client code"): a flat 16-bit image that runs
** in V86 mode in the VM's own address space. image NULL: the VM runs no code and its
** client actions come from the timeline alone. */
enum { VMM_CREG_EAX, VMM_CREG_ECX, VMM_CREG_EDX, VMM_CREG_EBX, VMM_CREG_ESP, VMM_CREG_EBP,
       VMM_CREG_ESI, VMM_CREG_EDI, VMM_CREG_DS, VMM_CREG_ES, VMM_CREG_COUNT };
/* A probe of client state at a label (docs/vmm.md, "Client state at a label"): each
** time the VM's client code is about to execute the instruction at `lin` (SEG*16+OFF
** in the VM's own space), the value it names is compared with `value`: a client
** register (`what` = its Client_Reg_Struc offset, size 2 or 4) or the VM's memory
** (`what` = VMM_PROBE_MEM, `addr` = SEG*16+OFF, size 1, 2 or 4). nth 0: every pass is
** compared; else only the nth (1-based). Probes change nothing the run does. */
#define VMM_PROBE_MEM   0xFFFFFFFFu
#define VMM_PROBES_MAX  8u          /* per VM (the CPU's breakpoints bound it) */
typedef struct vmm_probe {
    uint32_t lin, nth, what, addr, size, value;
} vmm_probe;
/* What a run found: passes of the address, passes compared, the first pass whose
** value differed (0: none), its value and cycle. */
typedef struct vmm_probe_result {
    uint32_t passes, compared, bad_pass, found;
    uint64_t bad_cycle;
} vmm_probe_result;

typedef struct vmm_client {
    const uint8_t   *image;     /* borrowed; NULL: no client program */
    uint32_t         image_len;
    uint16_t         load_seg, load_off;  /* where the image is loaded (its org is load_off) */
    uint16_t         cs, ip, ss, sp;      /* initial CS:IP, SS:SP */
    uint32_t         regs[VMM_CREG_COUNT];/* initial registers (CPU order; ESP unused) ... */
    uint32_t         regs_set;            /* ... those whose bit is set; DS, ES default CS */
    const vmm_label *labels;    /* borrowed; addr = offset in load_seg */
    uint32_t         nlabels;
    uint32_t         pm;        /* 1: 16-bit protected mode at ring 3 with its own LDT (the
                                   system VM only); 0: V86 mode */
    const vmm_probe *probes;    /* borrowed; at most VMM_PROBES_MAX */
    uint32_t         nprobes;
} vmm_client;

typedef struct vmm_vm_desc {
    char     name[VMM_NAME_MAX];
    int      system;            /* exactly one VM is the system VM */
    uint32_t fg_priority;       /* time-slice priorities (SL-1), defaults 100 / 50 */
    uint32_t bg_priority;
    uint32_t status_flags;      /* initial CB_VM_Status bits (Background, Exclusive…) */
    vmm_client client;          /* its client program (client.image NULL: none) */
    uint32_t start_later;       /* VML: 1 = the VM does not exist at boot; a create_vm
                                   stimulus creates it (docs/vmm.md, "The VM lifecycle") */
} vmm_vm_desc;

typedef struct vmm_vxd_desc {
    char           name[VMM_NAME_MAX];
    uint16_t       device_id;
    uint32_t       load_addr;   /* linear = physical (flat, no paging), 4 KiB aligned */
    const uint8_t *image;       /* borrowed; flat binary from `nasm -f bin` */
    uint32_t       image_len;
    uint32_t       control_proc;/* linear address of the control procedure */
    const vmm_label *labels;    /* borrowed */
    uint32_t       nlabels;
} vmm_vxd_desc;

/* Stimuli that vm's client code performs (CALL, RELEASE_TIME_SLICE, KERNEL_IDLE,
** BEGIN_CRIT, END_CRIT) take effect when no VxD code runs and vm may run (ready, top
** priority; the time slicer switches to it); WAKE/SUSPEND/RESUME act on vm when no
** VxD code runs (docs/vmm.md, "Stimuli"). */
enum vmm_stim_kind {
    VMM_STIM_CALL = 1,          /* vm calls target (a VxD entry point), EDX = arg */
    VMM_STIM_RELEASE_TIME_SLICE,/* INT 2Fh AX=1680h from vm */
    VMM_STIM_WAKE,              /* Wake_Up_VM(vm) */
    VMM_STIM_KERNEL_IDLE,       /* INT 2Fh AX=1689h from the system VM */
    VMM_STIM_SUSPEND,           /* Suspend_VM(vm) */
    VMM_STIM_RESUME,            /* Resume_VM(vm) */
    VMM_STIM_BEGIN_CRIT,        /* INT 2Fh AX=1681h from vm */
    VMM_STIM_END_CRIT,          /* INT 2Fh AX=1682h from vm */
    VMM_STIM_IRQ,               /* INT-1: the hardware raises IRQ `arg` (0..15); vm is
                                   ignored; takes effect at once (interrupt time) */
    VMM_STIM_CREATE_VM,         /* VML: vm (a start_later VM) is created */
    VMM_STIM_DESTROY_VM,        /* VML: vm closes normally (VM_Terminate ... Destroy_VM) */
    VMM_STIM_EXIT,              /* VML: Windows exits (every VM closes; the run ends) */
    VMM_STIM_KIND_COUNT
};
const char *vmm_stim_name(uint32_t kind);

typedef struct vmm_stimulus {
    uint64_t at_lo, at_hi;      /* cycle window; at_lo == at_hi: exact (else a
                                   jitter choice point, canonical at_lo) */
    uint32_t kind;              /* enum vmm_stim_kind */
    uint32_t vm;                /* index into vms */
    uint32_t target;            /* VMM_STIM_CALL: linear address */
    uint32_t arg;               /* VMM_STIM_CALL: EDX at the entry; IRQ: the IRQ */
    uint32_t regs[4];           /* VMM_STIM_CALL: EAX, ECX, ESI, EDI at the entry ... */
    uint32_t regs_set;          /* ... those whose bit (1 << VMM_CALL_*) is set; others 0 */
} vmm_stimulus;

/* Index into vmm_stimulus.regs (EBX and EBP are the VMM's: VM handle, client regs). */
enum { VMM_CALL_EAX, VMM_CALL_ECX, VMM_CALL_ESI, VMM_CALL_EDI, VMM_CALL_REGS };

/* Port I/O (docs/vmm.md, "Port I/O"): an IN from a mapped port reads its value
** masked to the access size (the map is per port address: a word or dword read at
** 0x3FD returns the low 2 or 4 bytes of 0x3FD's value, not 0x3FE's); an IN from any
** other port reads the floating bus (all ones). OUT is traced and has no effect. */
#define VMM_PORTS_MAX 256

typedef struct vmm_port {
    uint16_t port;
    uint32_t value;
} vmm_port;

typedef struct vmm_scenario {
    vmm_machine m;
    const vmm_vm_desc *vms;       uint32_t nvms;
    const vmm_vxd_desc *vxds;     uint32_t nvxds;
    const vmm_stimulus *stim;     uint32_t nstim;
    const vmm_port *ports;        uint32_t nports;   /* unique ports, at most VMM_PORTS_MAX */
} vmm_scenario;

/* ---- trace records --------------------------------------------------------
** Record types in the trace (eng_record.type). Their text form and keys are specified
** in docs/trace-format.md (args packing: vmm/trace.c); callback addresses are linear
** and are named through the scenario's labels when rendered. */
enum vmm_rec_type {
    VMM_REC_BOOT = 1,
    VMM_REC_EVENT,        /* an engine event dispatched */
    VMM_REC_STIMULUS,     /* a timeline stimulus fires */
    VMM_REC_CONTROL,      /* a system control message sent to a VxD */
    VMM_REC_SERVICE,      /* a VMM service called (and its result) */
    VMM_REC_CB_ENTER,     /* a callback's first instruction is about to run */
    VMM_REC_CB_RETURN,    /* a callback returned (with CF) */
    VMM_REC_TASK_SWITCH,  /* current VM changed */
    VMM_REC_PRIORITY,     /* a VM's execution priority changed */
    VMM_REC_CRIT,         /* critical-section claim/release/block/grant */
    VMM_REC_VM_STATE,     /* suspend/resume/idle/wake/block/unblock */
    VMM_REC_CHOICE,       /* a choice point decision */
    VMM_REC_FINDING,      /* a rule violation (CB-1, CS-7…) */
    VMM_REC_END,          /* the run ended */
    VMM_REC_SVC_RET,      /* a VMM service returned to its caller (results) */
    VMM_REC_EV,           /* an event / priority event scheduled, run, cancelled (EV-1, EV-2) */
    VMM_REC_TIMEOUT,      /* a time-out set, due, called, cancelled (TO-1) */
    VMM_REC_IRQ,          /* a hardware / virtual interrupt step (INT-1) */
    VMM_REC_SLICE,        /* the time slicer starts a VM's slice (SL-1) */
    VMM_REC_IO,           /* guest code executed IN/OUT (one per INS/OUTS iteration) */
    VMM_REC_MACHINE,      /* the effective machine parameters (right after BOOT) */
    VMM_REC_CLIENT,       /* a VM's client code entered the VMM (INT, HLT, IRET hook) */
    VMM_REC_IOTRAP,       /* a trapped client I/O instruction, a port-trap handler call (IOT) */
    VMM_REC_TYPE_COUNT
};

/* ---- findings ------------------------------------------------------------ */

typedef struct vmm_finding {
    uint64_t cycle;
    char     rule[8];        /* "CB-1", "CS-7", … */
    char     text[160];
} vmm_finding;

/* ---- the machine --------------------------------------------------------- */

typedef struct vmm_state vmm_state;   /* opaque */

/* Builds the machine (memory, CPU, VMs' control blocks, VxD images) from s, which
** must outlive it. On failure returns NULL and, if err != NULL, a VMM_E* code;
** vmm_new_error() gives the reason text. */
vmm_state  *vmm_new(const vmm_scenario *s, int *err, char *errbuf, size_t errlen);
void        vmm_free(vmm_state *v);
/* Back to the state right after vmm_new (cheap: restores only dirtied pages);
** keeps the chooser's strategy. */
int         vmm_reset(vmm_state *v);

eng_chooser *vmm_chooser(vmm_state *v);   /* set strategy before vmm_run */
eng_trace   *vmm_trace(vmm_state *v);
cpu_state   *vmm_cpu(vmm_state *v);

/* Boots (control messages), then runs the timeline until nothing is left to run (no
** event pending, no VxD code runnable, no stimulus that can take effect) or
** m.max_cycles (END reason=max_cycles, still VMM_OK). Returns VMM_OK, or a negative
** code with vmm_error() describing it. Findings do not stop the run. A second run
** needs vmm_reset() first (else VMM_EINVAL). The model: docs/vmm.md. */
int          vmm_run(vmm_state *v);
const char  *vmm_error(const vmm_state *v);

/* ---- whole-machine snapshots (vmm/snap.c; docs/debug.md, "Snapshots") -------------
** A snapshot holds everything a run's future depends on: the CPU, the guest RAM pages
** written since vmm_new or vmm_reset, every feature's state, the pending callbacks and
** stimuli, the findings, the event queue, the chooser's position and PRNG, the trace
** so far and the port map. It is taken between VMM steps (from a loop hook, below) and
** restored into a machine built by vmm_new from the same scenario whose chooser runs
** the same plan; vmm_resume then continues the run exactly as the original went on.
** libuv style: init, take (again and again), close. Fields are read-only. */
typedef struct vmm_snap {
    uint8_t *buf;        /* owned */
    size_t   len;        /* bytes held */
    size_t   cap;        /* bytes allocated */
    uint64_t cycles;     /* the machine's cycle count when taken */
    uint64_t icount;     /* its CPU's instruction count */
} vmm_snap;
void vmm_snap_init(vmm_snap *sn);
/* VMM_OK; VMM_ENOMEM; VMM_EINVAL while guest code runs (inside cpu_run). */
int  vmm_snap_take(vmm_snap *sn, vmm_state *v);
/* VMM_OK, or VMM_EINVAL (a snapshot of another machine shape, or none): the machine
** is then to be rebuilt. Keeps v's host hooks (step, record, loop hooks; watches). */
int  vmm_snap_restore(vmm_state *v, const vmm_snap *sn);
void vmm_snap_close(vmm_snap *sn);
/* Continues a restored run to its end as vmm_run does (same result and END record). */
int  vmm_resume(vmm_state *v);
/* A host observer called at the top of every VMM step (between guest runs), where a
** snapshot may be taken; slice_cycles > 0 also cuts guest runs at that many cycles so
** that such points come at least that often (the run is unchanged: cpu386 resumes
** exactly across budget stops). fn NULL removes it. */
typedef void (*vmm_loop_hook)(void *ud, vmm_state *v);
void vmm_set_loop_hook(vmm_state *v, vmm_loop_hook fn, void *ud, uint64_t slice_cycles);

/* Walks the machine's invariants (docs/vmm.md, "Invariants"): one critical-section
** owner with a claim count, context depths within VMM's frame limit, pending counts
** within their capacities, every queued event's and time-out's VM valid, … Returns
** VMM_OK, or VMM_EBROKEN with the first broken invariant in why (len bytes; why may
** be NULL). The test build (VMMSIM_CHECKS) runs it after each dispatch of vmm_run. */
int          vmm_check(const vmm_state *v, char *why, size_t len);
/* What the last run left undone when it ended (END-1, docs/vmm.md): a run cut at
** max_cycles with stimuli not yet delivered or VxD code still running is incomplete. */
typedef struct vmm_end {
    int      max_cycles;        /* it ended at m.max_cycles (END reason=max_cycles) */
    uint32_t stimuli_left;      /* timeline entries not yet fired or not yet taken effect */
    uint32_t contexts_running;  /* contexts in VxD code (VMs, and the VMM's own) */
    int      code_vm;           /* the first such context's VM, -1: none */
} vmm_end;
void         vmm_end_info(const vmm_state *v, vmm_end *e);
uint64_t     vmm_now(const vmm_state *v);

/* Findings of the last run: all are counted (and traced); the first 256 are kept.
** vmm_finding_get(i) is NULL for i >= vmm_finding_kept(); a finding past the limit is
** still counted, by rule too (vmm_finding_count_rule), so that none is lost. */
uint32_t           vmm_finding_count(const vmm_state *v);
uint32_t           vmm_finding_kept(const vmm_state *v);
uint32_t           vmm_finding_count_rule(const vmm_state *v, const char *rule);
const char        *vmm_finding_rule(uint32_t k);   /* k-th rule that findings name, NULL beyond */
const vmm_finding *vmm_finding_get(const vmm_state *v, uint32_t i);  /* NULL beyond */

/* One trace record (checkpoints too) as its canonical text line (no newline), as
** specified in docs/trace-format.md; returns its length (truncated to len - 1). */
size_t vmm_format_record(const vmm_state *v, const eng_record *r, char *buf, size_t len);
/* The label at a linear address ("DEMO.idle_a"), or NULL. */
const char *vmm_label_at(const vmm_state *v, uint32_t addr);
/* Guest memory and VM lookups for expectations. */
int  vmm_read(vmm_state *v, uint32_t linear, void *dst, uint32_t len);
int  vmm_vm_index(const vmm_state *v, const char *name);   /* -1 when unknown */
uint32_t vmm_vm_handle(const vmm_state *v, uint32_t vm_index);
/* A VM's CB_High_Linear: where its own V86 space (1 MiB + HMA) lies in guest RAM;
** 0 when the VM has no client program (docs/vmm.md, "Client code"). */
uint32_t vmm_vm_high_linear(const vmm_state *v, uint32_t vm_index);
/* The handle the VM at vm_index (its place in vmm_scenario.vms) will have: fixed by
** the index alone, so a scenario's VxD source can name it before the machine exists
** (the loader defines VM_<name> for nasm). A VM created at run time may instead take a
** destroyed VM's control block, and with it that handle (docs/vmm.md, "The VM
** lifecycle"); vmm_vm_handle gives the one it has now. */
uint32_t vmm_handle_of_index(uint32_t vm_index);

/* Host-side observer of the trace, for host-time benchmarks (cli/bench_host.c reads
** the host clock in it): called right after each record is appended, with the index it
** has in the trace (eng_trace.count before it) and its type. It gets no handle on the
** machine, so the simulation, the trace and its hash are the same with or without it.
** fn NULL removes it; vmm_reset keeps it. */
typedef void (*vmm_rec_hook)(void *ud, uint64_t index, uint16_t type);
void vmm_set_rec_hook(vmm_state *v, vmm_rec_hook fn, void *ud);
/* Probe k of VM vm's client program (vmm_client.probes) in the last run; VMM_EINVAL
** when there is no such probe. */
int vmm_probe_result_get(const vmm_state *v, uint32_t vm, uint32_t k, vmm_probe_result *out);

/* ---- a debugger's view (vmm/inspect.c) ---------------------------------------
** Read-only, between two guest instructions (a cpu step hook, cpu386.h). Execution
** contexts are numbered 0..nvms-1 (each VM's, as in vmm_scenario.vms) and nvms (the
** VMM's own). */
uint32_t    vmm_ctx_count(const vmm_state *v);
/* The context on the CPU, or the current VM's when none is loaded. */
int         vmm_ctx_current(const vmm_state *v);
/* A context's registers: the CPU's for the loaded one, else as saved. 0 or VMM_EINVAL. */
int         vmm_ctx_regs(vmm_state *v, uint32_t ci, cpu_regs *out);
const char *vmm_ctx_name(const vmm_state *v, uint32_t ci);   /* the VM's name, "VMM"; NULL beyond */
uint32_t    vmm_ram_bytes(const vmm_state *v);               /* guest RAM: [0, this) */
/* The critical section, each VM's priority and callback frames, and the pending
** events, time-outs and installed callbacks, as lines of text (cut at len - 1).
** Returns the length written. */
size_t      vmm_describe(const vmm_state *v, char *buf, size_t len);

/* Exploration aids (docs/fuzzing.md, "Window steps"), off by default; vmm_reset keeps
** them. VMM_EXPLORE_WINDOW_STEPS: a stimulus with a window [lo, hi] is not placed by
** one jitter decision of hi - lo + 1 options before the run; it fires at lo as the
** canonical run has it, and at that VMM step and each later one before hi a `window`
** decision (n = 2) says whether it takes effect there (0) or waits for the next step
** (1); at hi it takes effect. A window is so explored by the VMM steps it falls
** between (its order relative to the other events), not cycle by cycle. */
enum { VMM_EXPLORE_WINDOW_STEPS = 1u, VMM_EXPLORE_FOOTPRINT = 2u };
/* VMM_ENOMEM when the footprint tables cannot be had (the flags are then unchanged). */
int      vmm_set_explore(vmm_state *v, unsigned flags);
unsigned vmm_explore(const vmm_state *v);

/* VMM_EXPLORE_FOOTPRINT (vmm/por.c): what each segment of a run — from one decision to
** the next — touched: guest memory read and written (the ring-0 stacks excepted) and
** VMM state read and changed through services and the VMM's own steps, as 256-bit
** sets (a collision only makes two segments look dependent); `time` when the segment
** read the clock in a way any other segment's cycles change (it depends on every
** other), `all` when it is not known. `tread` when it read the clock only in ways
** that give the same result anywhere in a range of cycles (the system time in ms, a
** global time-out's tick): its reads may move tlo cycles earlier and thi later. */
#define VMM_FP_WORDS 4
typedef struct vmm_footprint {
    uint64_t r[VMM_FP_WORDS], w[VMM_FP_WORDS];
    uint32_t tlo, thi;
    uint8_t  time, all, tread;
    uint8_t  tlate;   /* a read whose slack came after the segment ended (por_within.c) */
} vmm_footprint;
/* 1 when the order of the two segments may matter: one writes what the other reads
** or writes, or either reads the clock or is unknown. */
int      vmm_fp_conflict(const vmm_footprint *a, const vmm_footprint *b);
/* The same for a segment a and a later one b run in the other order: a then starts
** at most a_later cycles later, b at most b_earlier earlier or b_later later, so a
** clock read within its slack (tread) gives the same result and is no conflict. */
int      vmm_fp_conflict_moved(const vmm_footprint *a, const vmm_footprint *b,
                               uint64_t a_later, uint64_t b_earlier, uint64_t b_later);
/* The cycle at which step s began (s == vmm_por_steps: the run's end); 0 when not
** recorded. */
uint64_t vmm_por_step_cycle(const vmm_state *v, uint32_t s);
/* Step s's busy cycles: its segment's length but the cycles skipped with no code to
** run (time a reordering cannot move); 0 when not recorded. */
uint64_t vmm_por_step_busy(const vmm_state *v, uint32_t s);
/* The last run's steps: one per choice point reached, a decision (two options or more)
** or not (one option), the first VMM_POR_STEPS_MAX of them; each with the identity of
** each option (nids 0: none; an id 0 is no identity) and the footprint of its segment
** (up to the next step). dec: the decision's index in the chooser's log, -1 for a step
** of one option. -1 when s is not recorded. */
#define VMM_POR_STEPS_MAX (1u << 18)
/* Option identities: an event's handle (below 2^32), or a kind in bits 40..47 and a
** number below: a queued event's seq, a ready VM, a waiting VM, a windowed stimulus. A
** queued event or a windowed stimulus is offered from its time on, never before. */
#define VMM_POR_ID_SEQ      (1ull << 40)
#define VMM_POR_ID_VM       (2ull << 40)
#define VMM_POR_ID_WAITER   (3ull << 40)
#define VMM_POR_ID_STIMULUS (4ull << 40)
#define VMM_POR_ID_KIND(id) ((id) & (0xFFull << 40))
#define VMM_H_TAG_MASK      0xFF000000u   /* a handle's tag byte (the rest: its serial) */
uint32_t vmm_por_steps(const vmm_state *v);
int      vmm_por_step(const vmm_state *v, uint32_t s, const uint64_t **ids, uint32_t *nids,
                      const vmm_footprint **fp, int32_t *dec);
/* The last handle serial number handed out by the end of step s's segment (handles
** are VMM_H_* tag | serial, in handing-out order): a handle with a serial above the
** previous step's and at most this one was made by step s. 0 when s is not recorded. */
uint32_t vmm_por_step_serial(const vmm_state *v, uint32_t s);
uint32_t vmm_por_step_serial_before(const vmm_state *v, uint32_t s);
/* The step of decision j; -1 when it is not recorded. */
int64_t  vmm_por_decision_step(const vmm_state *v, uint32_t j);
/* The cycle before which step s cannot begin in any order (its timer tick's or its
** timeline stimulus's time, fixed by the scenario); 0 when none is known. */
uint64_t vmm_por_step_due(const vmm_state *v, uint32_t s);
/* The last cycle timeline stimulus i may wait to (its window's end); UINT64_MAX when
** there is no such stimulus. */
uint64_t vmm_por_stim_last(const vmm_state *v, uint32_t i);
/* Callbacks whose entries a verdict observes (the expectations that read the trace):
** the segments entering them depend on each other (their order is seen), or with
** `time` on every segment (a delay is seen); with `all` (the whole trace is seen, or
** more than VMM_OBSERVED_MAX callbacks) every segment depends on every other. */
#define VMM_OBSERVED_MAX 64
void     vmm_set_observed(vmm_state *v, const uint32_t *cb, uint32_t n, int time, int all);
/* A delay a verdict measures (a `within` expectation): from each trigger (the
** stimulus trig taking effect, or an entry of the callback trig) to the first later
** entry of to_cb, at most limit_cyc cycles. With these set, a measured entry and its
** trigger read the clock only as far as the verdict can change (por_within.c),
** instead of `time` making them depend on every segment. At most VMM_WITHIN_MAX;
** more, or n == 0, clear the list. */
#define VMM_WITHIN_MAX 16
enum { VMM_WITHIN_STIMULUS = 1, VMM_WITHIN_ENTER };
typedef struct vmm_within { uint32_t to_cb, trig_kind, trig; uint64_t limit_cyc; } vmm_within;
int      vmm_set_observed_within(vmm_state *v, const vmm_within *w, uint32_t n);
/* The last run's outcome: guest memory (but the ring-0 stacks), the findings' count
** and how it ended, hashed; schedules with equal outcomes left the same state. */
uint64_t vmm_outcome_hash(const vmm_state *v);

/* The name of a (device, service) dword: the VMM's table and VPICD's; NULL if unknown. */
const char *vmm_service_name(uint32_t dword);

#endif
