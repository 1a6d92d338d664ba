/*
** cpu_int.h — (internal to cpu386) the interpreter's state, the decoded-instruction
** format and the inline fast paths of memory access.
**
** The hot loop (run.c) is: find the decoded entry for CS:EIP in the decode cache
** (keyed by physical address, per-page generation numbers invalidate it on writes),
** or, after straight-line flow, follow the previous entry's `link` to it; charge its
** clocks, call its handler (on the code page's fast path, each handler jumps on to
** the next one itself: thread.h). Handlers (x_*.c) never allocate and never do
** host I/O except through the bus callbacks of IN/OUT.
**
** Faults: the memory and segment layers call cpu_fault(), which longjmps back to
** cpu_run(). Handlers therefore read and check everything before they write
** registers, and advance EIP last, so that a faulting instruction restarts cleanly.
*/
#ifndef VMMSIM_CPU386_INT_H
#define VMMSIM_CPU386_INT_H

#include <assert.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "alu.h"
#include "cpu386.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cpu386 keeps guest memory in host order: a little-endian host is required"
#endif

#define CPU_LIKELY(x)   __builtin_expect(!!(x), 1)
#define CPU_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define CPU_ICACHE_BITS 14                 /* 16 Ki decoded entries (direct mapped) */
#define CPU_ICACHE_SIZE (1u << CPU_ICACHE_BITS)
#define CPU_TLB_BITS    6                  /* 64 read + 64 write entries */
#define CPU_TLB_SIZE    (1u << CPU_TLB_BITS)
#define CPU_TLB_INVALID 0xFFFu             /* never a page | user-bit tag */
#define CPU_NOREG       8                  /* r[8] is always 0: "no base / no index" */
#define CPU_INSN_MAX    15                 /* the 386 limit on instruction length */
#define CPU_REP_CHUNK   4096               /* string iterations per handler call */
#define CPU_NESTED_EXC_MAX 3               /* fault during delivery: DF, then shutdown */

typedef struct cpu_insn cpu_insn;
typedef void (*cpu_fn)(cpu_state *c, const cpu_insn *i);
/* A threaded handler (thread.h): cycles with its base clocks charged, the chain's
** cycle limit and the instruction count before it; returns 0 when the chain ends. */
typedef int (*cpu_tfn)(cpu_state *c, const cpu_insn *i, uint64_t cyc, uint64_t tend,
                       uint64_t icnt);

/* One decoded instruction. `tag` says which decode it is valid for: the page's
** generation (bits 1..30) and CS's default size (bit 0); bit 31 marks an entry whose
** linear address was a breakpoint when decoded, so it never hits the fast path. */
struct cpu_insn {
    cpu_fn   fn;
    cpu_tfn  tfn;       /* fn's threaded form (thread.h), set with fn at decode time */
    const cpu_insn *link; /* the entry slot of the next instruction when it is on the
                             same page (run.c chains through it), else cpu_insn_none */
    uint32_t phys;      /* physical address of the first byte; with tag, read as */
    uint32_t tag;       /* one 64-bit key (cpu_insn_key), 8-aligned */
    uint64_t nkey;      /* the key `link` must hold: (tag << 32) | (phys + len); 0 with
                           cpu_insn_none (whose key is all ones: never equal) */
    const cpu_insn *tlink; /* relative jumps: the slot of the taken target when it is
                              on the same page (key nkey + imm), else cpu_insn_none */
    uint32_t disp;      /* memory operand displacement (address-size masked later) */
    uint32_t imm;       /* first immediate (sign-extended where the form says so) */
    uint16_t imm2;      /* second immediate: far-pointer selector, ENTER level */
    uint8_t  len;       /* bytes, 1..15 */
    uint8_t  opsz;      /* operand size in bytes: 1, 2 or 4 (byte forms: 1) */
    uint8_t  adsz;      /* 2 or 4 */
    uint8_t  seg;       /* effective segment of the memory operand (CPU_ES…) */
    uint8_t  mod, reg, rm;
    uint8_t  base, index, scale;  /* resolved EA: r[base] + (r[index] << scale) + disp */
    uint8_t  rep;       /* 0, 0xF2 (REPNE) or 0xF3 (REP/REPE) */
    uint8_t  op;        /* sub-operation: ALU op, condition code, shift op, sreg… */
    uint8_t  clk;       /* base clocks charged before the handler runs */
    uint8_t  comps;     /* components, for the "+m" of the previous instruction */
    uint8_t  opc;       /* the opcode byte (second byte for 0F xx) */
    uint8_t  flags;     /* CPU_IF_* */
};

enum { CPU_IF_TWOBYTE = 1, CPU_IF_LOCK = 2, CPU_IF_SEGOVR = 4 };

/* Precomputed offset windows of a segment: an access of n bytes at off is allowed
** when lo <= off && off <= hi[n/2] (hi already reduced by n-1). Unusable: lo > hi. */
typedef struct cpu_segwin {
    uint32_t rlo[3], rhi[3], wlo[3], whi[3];
} cpu_segwin;

/* Reads an entry's (phys, tag) pair as one key: phys in the low half. */
static inline uint64_t cpu_insn_key(const cpu_insn *e)
{
    uint64_t k;
    memcpy(&k, &e->phys, sizeof k);
    return k;
}
/* The link of an entry with no next entry on its page: its key matches no nkey. */
extern const cpu_insn cpu_insn_none;

typedef struct cpu_tlbe { uint32_t tag; uint8_t *page; } cpu_tlbe;

struct cpu_state {
    uint32_t   r[9];          /* EAX…EDI, then the constant 0 of CPU_NOREG */
    uint32_t   eip;
    uint32_t   mpend;         /* 0xFF when the next instruction owes its "+m"; beside
                                 eip so run.c tests both with one load (cpu_eip_mpend) */
    cpu_flags  fl;
    uint64_t   cycles, cycle_end, icount;
    uint8_t    cpl;
    uint8_t    pe, vm;        /* CR0.PE, EFLAGS.VM (cached) */
    uint8_t    code32, stack32;
    uint8_t    ubit;          /* 1 when CPL = 3: TLB tags of user accesses */
    uint8_t    in_run;
    cpu_segwin sw[6];
    cpu_seg    seg[6];
    cpu_seg    ldtr, tr;
    cpu_dtr    gdtr, idtr;
    uint32_t   cr0, cr2, cr3;
    uint32_t   dr[8];
    uint32_t   tr6, tr7;

    /* Code fetch fast path: the linear page of CS:EIP that is known to be inside
    ** the CS limit, its physical page and the tag its decoded entries must have. */
    uint32_t   code_lin_page, code_phys_page, code_tag;
    /* The linear code page a threaded chain runs on (thread.h): the chain ends when
    ** code_lin_page is no longer this page. */
    uint32_t   tpage;
    uint64_t   tend;          /* the chain's cycle limit while cpu_t_any calls a handler */

    cpu_tlbe   tlb_r[CPU_TLB_SIZE], tlb_w[CPU_TLB_SIZE];
    /* Writes to RAM pages with decoded code (never in tlb_w): the translation, so
    ** cpu_lwr stores to the page's bytes outside its code lines without a walk. */
    cpu_tlbe   tlb_cw[CPU_TLB_SIZE];
    cpu_insn  *icache;        /* CPU_ICACHE_SIZE entries */
    cpu_insn   scratch;       /* page-crossing or uncachable instructions */
    uint32_t  *pgen;          /* generation per RAM page (decode-cache invalidation) */
    uint64_t  *codemap;       /* per RAM page: has decoded entries */
    uint64_t  *codelines;     /* per RAM page: its 64-byte lines that hold bytes of
                                 decoded entries (bit k: bytes 64k..64k+63) */
    uint64_t  *dirty;         /* per RAM page: written since cpu_dirty_clear */
    uint32_t   npages;        /* RAM pages */

    cpu_bus    bus;
    cpu_config cfg;
    uint32_t   bp[CPU_MAX_BREAKPOINTS];
    unsigned   nbp;
    uint64_t   bp_skip_icount;  /* the first instruction of a run ignores breakpoints */
    uint64_t   shadow_icount;   /* interrupts are held until icount reaches this */

    /* Stop and fault bookkeeping. */
    int        stop;          /* enum cpu_stop, valid when stopping */
    cpu_stop_info info;
    int        stop_req;
    /* A REP string instruction the budget or a stop request cut: resumed with no
    ** instruction in between, it is the same execution, so its base is not charged again. */
    int        rep_cut;
    uint32_t   rep_eip;
    uint64_t   rep_icount;
    int        pending_stop;  /* cpu_interrupt() stopped: the next cpu_run reports it */
    jmp_buf    jb;
    int        exc_vec, exc_has_err;
    uint32_t   exc_err;
    int        delivering;    /* vector of the exception being delivered, or -1 */
    int        exc_nest;
    uint32_t   exc_eip;       /* the faulting instruction's EIP */
    int        exc_trap;      /* the exception being raised is a trap (#DB): no RF */
    uint32_t   exc_rf;        /* CPU_RF while delivering a fault: its pushed EFLAGS */

    /* Debug (debug.c). `dbg` is the hot loop's one test: nonzero when something must
    ** happen after the current instruction (CPU_DBG_*). */
    uint8_t    dbg;
    uint8_t    dbg_data;      /* DR7 enables a data breakpoint: slow paths match them */
    cpu_access_hook acc_fn;   /* data-access observer (cpu_set_access_hook), or NULL */
    void      *acc_ud;
    uint8_t    dbg_exec;      /* DR7 enables an instruction breakpoint */
    uint32_t   dbg_hits;      /* B0–B3 of data breakpoints hit, not yet reported */
    uint64_t   rf_icount;     /* RF was loaded by the instruction of this count */
    uint64_t   ss_hold_icount;/* MOV/POP SS: debug traps are held until this count */
    cpu_step_fn step_fn;      /* host step hook (cpu_set_step_hook), or NULL */
    uint64_t   step_from;     /* ... called from this instruction count on (cpu_step_hook_from) */
    uint32_t   hw_lin[CPU_HOST_WATCH_MAX], hw_len[CPU_HOST_WATCH_MAX];   /* cpu_watch_set */
    uint8_t    hw_rw[CPU_HOST_WATCH_MAX];
    uint32_t   hw_hits;       /* host watch slots hit, not yet read (cpu_watch_hits) */
    void      *step_ud;
    uint32_t   a20_mask;      /* physical address mask: bit 20 clear with A20 off */
};

/* EIP in the low half, mpend in the high half: equal to a plain next EIP exactly when
** the instruction fell through. */
static inline uint64_t cpu_eip_mpend(const cpu_state *c)
{
    uint64_t v;
    memcpy(&v, &c->eip, sizeof v);
    return v;
}

/* Bits of cpu_state.dbg. */
enum {
    CPU_DBG_ARMED = 1,   /* TF was set at the start of the current instruction */
    CPU_DBG_TF = 2,      /* TF is set now: the next instruction is armed */
    CPU_DBG_RF = 4,      /* RF is set: cleared after the next instruction completes */
    CPU_DBG_HIT = 8,     /* a data breakpoint hit: a trap after this instruction */
    CPU_DBG_PEND = 16,   /* a trap the run's stop held: delivered before the next one */
    CPU_DBG_HOST = 32    /* a host step hook is set (cpu_set_step_hook): every fetch goes
                            through fetch_slow, which calls it */
};
#define CPU_DR6_BS 0x4000u
#define CPU_DR6_BD 0x2000u

/* ---- state.c ---------------------------------------------------------------- */
void cpu_breakpoints_remark(cpu_state *c);   /* after paging changes */
void cpu_breakpoint_mark(cpu_state *c, uint32_t lin);   /* keeps lin off the fast path */

/* ---- debug.c ------------------------------------------------------------------ */
void cpu_dbg_update(cpu_state *c);   /* after TF or RF changed: recomputes dbg's bits */
void cpu_dbg_after(cpu_state *c);    /* the loop's slow path after an instruction */
void cpu_dbg_deliver_pending(cpu_state *c);   /* a held trap (CPU_DBG_PEND): raises it */
void cpu_dbg_dr_written(cpu_state *c);        /* DR0–3 or DR7 changed */
/* B0–B3 of enabled instruction breakpoints at linear address lin (0: none). */
uint32_t cpu_dbg_exec_bits(const cpu_state *c, uint32_t lin);
/* A data access of n bytes at lin: records hits of enabled data breakpoints. */
void cpu_dbg_data(cpu_state *c, uint32_t lin, unsigned n, int write);
/* Whether any enabled data breakpoint covers a byte of the 4 KiB page at lin. */
int  cpu_dbg_page_watched(const cpu_state *c, uint32_t lin_page);
void cpu_dbg_remark(cpu_state *c);   /* marks decoded entries at instruction breakpoints */
void cpu_dbg_delivered(cpu_state *c);   /* an interrupt or exception was delivered */
void cpu_dbg_host_handled(cpu_state *c); /* ... or handed to the host instead */
void cpu_dbg_gd_check(cpu_state *c);    /* MOV DRn: the general-detect fault */

/* ---- run.c -------------------------------------------------------------------- */
_Noreturn void cpu_fault(cpu_state *c, int vec, uint32_t err);   /* with error code */
_Noreturn void cpu_fault0(cpu_state *c, int vec);                /* without */
void cpu_stop_now(cpu_state *c, int reason);  /* stop after the current handler */
void cpu_code_changed(cpu_state *c);          /* CS, mode or code pages changed */

/* ---- decode.c ----------------------------------------------------------------- */
/* Decodes the instruction at CS:EIP (linear `lin`) into *out; faults like a fetch. */
void cpu_decode(cpu_state *c, uint32_t lin, cpu_insn *out);

/* ---- mem.c -------------------------------------------------------------------- */
uint32_t cpu_rd_slow(cpu_state *c, unsigned s, uint32_t off, unsigned n);
void     cpu_wr_slow(cpu_state *c, unsigned s, uint32_t off, unsigned n, uint32_t v);
uint32_t cpu_lrd(cpu_state *c, uint32_t lin, unsigned n, int user);
void     cpu_lwr(cpu_state *c, uint32_t lin, unsigned n, uint32_t v, int user);
/* Data beside code (mem.c): host bytes for a store to a code page outside its code
** lines through tlb_cw (the page marked dirty), or NULL. */
uint8_t *cpu_code_page_wr(cpu_state *c, uint32_t lin, unsigned n, int user);
/* Translates for an access; raises #PF. */
uint32_t cpu_translate(cpu_state *c, uint32_t lin, int write, int user);
/* Non-faulting translation for the host; returns 0 and sets *phys, or CPU_ERANGE. */
int      cpu_translate_host(cpu_state *c, uint32_t lin, uint32_t *phys);
uint8_t  cpu_phys_rd8(cpu_state *c, uint32_t addr);
void     cpu_phys_wr8(cpu_state *c, uint32_t addr, uint8_t v);
/* Host page for a physical page (4 KiB aligned), or NULL; writable: RAM only. */
uint8_t *cpu_phys_page(cpu_state *c, uint32_t page, int write);
void     cpu_page_written(cpu_state *c, uint32_t page);   /* dirty + decode invalidation */
void     cpu_tlb_flush(cpu_state *c);
void     cpu_mark_code(cpu_state *c, uint32_t page);
/* The bytes [phys, phys + len) (one page) now belong to a decoded entry. */
void     cpu_mark_code_lines(cpu_state *c, uint32_t phys, unsigned len);
uint32_t cpu_page_tag(cpu_state *c, uint32_t phys);       /* generation << 1 */
/* Segment-checked access that must not raise the ordinary fault (ignored by the
** fast path): reads the code segment (INT 20h's dword) even when not readable. */
uint32_t cpu_fetch_code(cpu_state *c, uint32_t off, unsigned n);
/* Checks that a byte at s:off could be written (segment, then paging as a write,
** which sets the page's A and D bits) without writing it: ENTER's frame probe. */
void     cpu_wr_probe(cpu_state *c, unsigned s, uint32_t off);

/* ---- seg.c -------------------------------------------------------------------- */
void cpu_seg_win(cpu_state *c, unsigned s);          /* recompute sw[s] from seg[s] */
void cpu_seg_set_real(cpu_state *c, unsigned s, uint16_t sel);  /* real / V86 load */
void cpu_seg_load(cpu_state *c, unsigned s, uint16_t sel);      /* MOV/POP/Lxx rules */
/* Reads the 8-byte descriptor of sel (GDT or LDT); faults #GP(sel) out of limits. */
void cpu_desc_read(cpu_state *c, uint16_t sel, uint32_t *lo, uint32_t *hi, int exc);
void cpu_desc_set_accessed(cpu_state *c, uint16_t sel, uint32_t hi);
void cpu_seg_from_desc(cpu_seg *sg, uint16_t sel, uint32_t lo, uint32_t hi);
void cpu_set_cpl(cpu_state *c, unsigned cpl);
void cpu_mode_update(cpu_state *c);                  /* pe/vm/cpl caches from state */
/* Loads CS for a far JMP/CALL/RET/IRET target at privilege `rpl`-checked rules. */
void cpu_load_cs(cpu_state *c, uint16_t sel, uint32_t lo, uint32_t hi, unsigned cpl);
void cpu_null_bad_segs(cpu_state *c);                /* after a return to outer ring */

/* ---- exc.c -------------------------------------------------------------------- */
enum { CPU_INT_SOFT = 1, CPU_INT_EXC = 2, CPU_INT_HW = 3, CPU_INT_TRAP = 4 };
/* Delivers an interrupt through the IVT/IDT; ret_eip is pushed. */
void cpu_deliver(cpu_state *c, uint8_t vec, int kind, int has_err, uint32_t err,
                 uint32_t ret_eip);
void cpu_soft_int(cpu_state *c, uint8_t vec, uint32_t next_eip, int kind);
uint32_t cpu_read_flags(cpu_state *c);
/* Writes EFLAGS with POPF/IRET privilege rules (mask of writable bits given). */
void cpu_write_flags(cpu_state *c, uint32_t v, uint32_t mask);

/* A stack being built for an inner privilege level (exc.c, gate.c): written through
** linear addresses, loaded into SS:ESP only when the transfer commits. */
typedef struct cpu_newstack {
    cpu_seg  seg;
    uint32_t sp;
    int      big;      /* SS.B */
    uint16_t err;      /* #SS error code for limit violations */
} cpu_newstack;
/* SS:ESP for ring `dpl` from the current TSS, with the SS checks (#TS, #SS). */
void cpu_tss_stack(cpu_state *c, unsigned dpl, cpu_newstack *ns);
void cpu_ns_push(cpu_state *c, cpu_newstack *ns, unsigned n, uint32_t v);

/* ---- gate.c ------------------------------------------------------------------- */
/* CALL through a gate of `gsize` bytes (2, 4) copying `count` parameters, to the
** non-conforming code segment (cs_sel; lo, hi) of a more privileged ring (its DPL).
** Charges `clk_total` minus the instruction's base clocks; jumps to off. */
void cpu_call_gate_inner(cpu_state *c, const cpu_insn *i, uint16_t cs_sel, uint32_t lo,
                         uint32_t hi, uint32_t off, unsigned gsize, unsigned count);

/* ---- task.c ------------------------------------------------------------------- */
enum { CPU_TS_JMP = 0, CPU_TS_CALL = 1, CPU_TS_IRET = 2, CPU_TS_INT = 3 };
/* Far JMP/CALL whose selector names a TSS or a task gate (descriptor lo, hi). */
void cpu_task_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t lo,
                  uint32_t hi, int src);
/* IRET with NT set: back to the task in the current TSS's back link. */
void cpu_task_iret(cpu_state *c, const cpu_insn *i);
/* An interrupt or exception through a task gate of the IDT naming TSS `tss_sel`
** (gate checks done by the caller); pushes the error code on the new task's stack. */
void cpu_task_int(cpu_state *c, uint16_t tss_sel, int ext, int has_err, uint32_t err,
                  uint32_t ret_eip);

/* ---- clocks.c / optab ---------------------------------------------------------- */
typedef struct cpu_opdef {
    cpu_fn  fn_r, fn_m;   /* register form (mod = 3) and memory form */
    uint8_t fmt;          /* CPU_F_* operand format */
    uint8_t clk_r, clk_m; /* manual chapter 17 clocks, register / memory variant */
    uint8_t op;           /* sub-operation */
} cpu_opdef;

enum {  /* operand formats (decode.c) */
    CPU_F_NONE = 0, CPU_F_MODRM = 1, CPU_F_I8 = 2, CPU_F_IV = 4, CPU_F_I16 = 8,
    CPU_F_BYTE = 16, CPU_F_GROUP = 32, CPU_F_FAR = 64, CPU_F_MOFFS = 128
};
extern const cpu_opdef cpu_optab1[256];
extern const cpu_opdef cpu_optab2[256];
/* Groups: index = opdef.op of the group entry; 8 rows each by ModRM.reg. */
#define CPU_GROUPS 16
extern const cpu_opdef cpu_groups[CPU_GROUPS][8];

/* Clock counts used at run time by handlers (manual chapter 17). */
enum {
    CLK_JCC_TAKEN_EXTRA = 4,      /* Jcc: 7+m taken, 3 not taken */
    CLK_INT_REAL = 37, CLK_INT3_REAL = 33, CLK_INTO_REAL = 35, CLK_INT_PM = 59, CLK_INT_PM_PRIV = 99,
    CLK_INT_V86 = 119, CLK_IRET_REAL = 22, CLK_IRET_PM = 38, CLK_IRET_PM_OUT = 82,
    CLK_IRET_V86 = 60,
    CLK_SEGLOAD_PM = 18
};

/* ---- handlers (x_*.c) --------------------------------------------------------- */
void cpu_x_ud(cpu_state *c, const cpu_insn *i);

/* ---- inline helpers ------------------------------------------------------------ */
static inline uint32_t cpu_ea(const cpu_state *c, const cpu_insn *i)
{
    uint32_t ea = c->r[i->base] + (c->r[i->index] << i->scale) + i->disp;
    return i->adsz == 4 ? ea : (ea & 0xFFFFu);
}

static inline uint32_t cpu_reg8(const cpu_state *c, unsigned r)
{
    return (c->r[r & 3] >> ((r & 4) << 1)) & 0xFFu;
}
static inline void cpu_set_reg8(cpu_state *c, unsigned r, uint32_t v)
{
    unsigned sh = (r & 4) << 1;
    c->r[r & 3] = (c->r[r & 3] & ~(0xFFu << sh)) | ((v & 0xFFu) << sh);
}
/* Register of size n (1, 2, 4). */
static inline uint32_t cpu_getr(const cpu_state *c, unsigned n, unsigned r)
{
    if (n == 4) return c->r[r];
    if (n == 2) return c->r[r] & 0xFFFFu;
    return cpu_reg8(c, r);
}
static inline void cpu_setr(cpu_state *c, unsigned n, unsigned r, uint32_t v)
{
    if (n == 4) c->r[r] = v;
    else if (n == 2) c->r[r] = (c->r[r] & 0xFFFF0000u) | (v & 0xFFFFu);
    else cpu_set_reg8(c, r, v);
}

static inline uint32_t cpu_host_ld(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    memcpy(&v, p, n);   /* little-endian host (checked above) */
    return v;
}
static inline void cpu_host_st(uint8_t *p, unsigned n, uint32_t v) { memcpy(p, &v, n); }

/* The TLB tag an access of n bytes at lin must find in lin's slot: the page of its
** last byte, so an access that crosses into the next page (whose slot is the next
** one) never matches. No entry exists while wait states are on (mem.c's tlb_fill),
** so the fast paths need not add them. */
static inline uint32_t cpu_tlb_key(const cpu_state *c, uint32_t lin, unsigned n)
{
    return ((lin + n - 1u) & ~0xFFFu) | c->ubit;
}

/* The fast path of a segment-relative access of n bytes: the window check, then the
** read (write) TLB; the host pointer, or NULL for the slow path. A hit has no side
** effect: pages with decoded code or a data breakpoint never get a write entry. */
static inline uint8_t *cpu_rd_ptr(const cpu_state *c, unsigned s, uint32_t off, unsigned n)
{
    const cpu_segwin *w = &c->sw[s];
    assert(s < 6 && (n == 1 || n == 2 || n == 4));
    if (CPU_LIKELY(off >= w->rlo[n >> 1] && off <= w->rhi[n >> 1])) {
        uint32_t lin = c->seg[s].base + off;
        const cpu_tlbe *t = &c->tlb_r[(lin >> 12) & (CPU_TLB_SIZE - 1)];
        if (CPU_LIKELY(t->tag == cpu_tlb_key(c, lin, n))) return t->page + (lin & 0xFFFu);
    }
    return NULL;
}
static inline uint8_t *cpu_wr_ptr(const cpu_state *c, unsigned s, uint32_t off, unsigned n)
{
    const cpu_segwin *w = &c->sw[s];
    assert(s < 6 && (n == 1 || n == 2 || n == 4));
    if (CPU_LIKELY(off >= w->wlo[n >> 1] && off <= w->whi[n >> 1])) {
        uint32_t lin = c->seg[s].base + off;
        const cpu_tlbe *t = &c->tlb_w[(lin >> 12) & (CPU_TLB_SIZE - 1)];
        if (CPU_LIKELY(t->tag == cpu_tlb_key(c, lin, n))) return t->page + (lin & 0xFFFu);
    }
    return NULL;
}

/* Segment-relative read of n bytes: the fast path, else the slow one. */
static inline uint32_t cpu_rd(cpu_state *c, unsigned s, uint32_t off, unsigned n)
{
    const uint8_t *p = cpu_rd_ptr(c, s, off, n);
    if (CPU_LIKELY(p != NULL)) return cpu_host_ld(p, n);
    return cpu_rd_slow(c, s, off, n);
}

static inline void cpu_wr(cpu_state *c, unsigned s, uint32_t off, unsigned n, uint32_t v)
{
    uint8_t *p = cpu_wr_ptr(c, s, off, n);
    if (CPU_LIKELY(p != NULL)) cpu_host_st(p, n, v);
    else cpu_wr_slow(c, s, off, n, v);
}

/* Stack: SS-relative with the B bit choosing ESP or SP. */
static inline uint32_t cpu_sp(const cpu_state *c)
{
    return c->stack32 ? c->r[CPU_ESP] : (c->r[CPU_ESP] & 0xFFFFu);
}
static inline void cpu_set_sp(cpu_state *c, uint32_t v)
{
    if (c->stack32) c->r[CPU_ESP] = v;
    else c->r[CPU_ESP] = (c->r[CPU_ESP] & 0xFFFF0000u) | (v & 0xFFFFu);
}
static inline void cpu_push(cpu_state *c, unsigned n, uint32_t v)
{
    uint32_t sp = cpu_sp(c) - n;
    if (!c->stack32) sp &= 0xFFFFu;
    cpu_wr(c, CPU_SS, sp, n, v);
    cpu_set_sp(c, sp);
}
static inline uint32_t cpu_pop(cpu_state *c, unsigned n)
{
    uint32_t sp = cpu_sp(c);
    uint32_t v = cpu_rd(c, CPU_SS, sp, n);
    cpu_set_sp(c, sp + n);
    return v;
}
/* Peek at the stack at a byte offset from the top without moving it. */
static inline uint32_t cpu_stack_rd(cpu_state *c, uint32_t delta, unsigned n)
{
    uint32_t sp = cpu_sp(c) + delta;
    if (!c->stack32) sp &= 0xFFFFu;
    return cpu_rd(c, CPU_SS, sp, n);
}

/* r/m operand of size n (register when mod = 3). */
static inline uint32_t cpu_rm_rd(cpu_state *c, const cpu_insn *i, unsigned n)
{
    if (i->mod == 3) return cpu_getr(c, n, i->rm);
    return cpu_rd(c, i->seg, cpu_ea(c, i), n);
}
static inline void cpu_rm_wr(cpu_state *c, const cpu_insn *i, unsigned n, uint32_t v)
{
    if (i->mod == 3) cpu_setr(c, n, i->rm, v);
    else cpu_wr(c, i->seg, cpu_ea(c, i), n, v);
}

static inline void cpu_next(cpu_state *c, const cpu_insn *i) { c->eip += i->len; }

/* A control transfer: the next instruction's components are charged ("+m"). */
static inline void cpu_jump(cpu_state *c, uint32_t eip)
{
    c->eip = eip;
    c->mpend = 0xFF;
}

/* A control transfer whose manual count has no "+m": interrupt and exception delivery
** (INT n 37 / pm=59 …) and IRET (22 / pm=38). */
static inline void cpu_transfer(cpu_state *c, uint32_t eip)
{
    c->eip = eip;
}

static inline int cpu_iopl(const cpu_state *c) { return (int)((c->fl.eflags >> 12) & 3u); }

#pragma GCC visibility pop

#endif
