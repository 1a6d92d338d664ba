/*
** bench_attr.c — files every simulated cycle of a run under what the machine did,
** from the trace records alone (docs/trace-format.md), for the latency breakdown.
**
** Between two records the machine does one thing, and the records say what:
**   - the VMM's fixed charges come right before the record that follows them
**     (docs/vmm.md, "The service call path and its cost"): a SERVICE after its call
**     path (INT 20h first call, patched CALL, stimulus / INT 2Fh), a CB_ENTER after
**     the CALL into the callback, a TASK_SWITCH after the switch, an IRQ op=hw_int
**     after the interrupt gate and VPICD's dispatch;
**   - the rest of the gap is guest time: VxD code if some context has runnable
**     frames (the VMM's, else the current VM's when it is ready), code of a
**     hardware-interrupt procedure if its top frame is one or nests in one (INT-1),
**     else the current VM's client code — its simulated interrupt handler between
**     IRQ op=simulate and op=iret — else nobody runs.
** Contexts and frame depths are followed from CB_ENTER / CB_RETURN (their depth
** field checks the model; a disagreement is counted in mismatches).
**
** Time of a VM is also split by why that VM ran: "slice" when it holds
** Cur_Run_VM_Boost and without it would not outrank every other ready VM (SL-1),
** else "other" (a higher execution priority: a critical-section owner, an event or
** interrupt boost, or no time slicer).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bench_attr.h"
#include "vmm/vmm.h"
#include "vmm/vmm_trace.h"

/* The VMM's path costs each record follows (docs/vmm.md, "Cycle costs"): the first
** INT 20h of a call site, a patched call, a callback entry, a task switch, a gate. */
#define CYC_FIRST_CALL (VMM_CYC_INT20 + VMM_CYC_IRETD + VMM_CYC_CALL_M32 + VMM_CYC_RET)
#define CYC_CALL (VMM_CYC_CALL_M32 + VMM_CYC_RET)
#define STATUS_NOT_READY (VMM_VMSTAT_SUSPENDED | VMM_VMSTAT_BLOCKED)

/* What a stretch of cycles was. */
enum { K_PATH = 0, K_VXD, K_CLIENT, K_INTR, K_NOBODY };
/* Running totals, as words of a snapshot: global ones, then per VM. */
enum { W_INTR = 0, W_NOBODY, W_SLICE, W_OTHER, W_GLOBAL };
enum { V_SLICE = 0, V_OTHER, V_PATH, V_VXD, V_CLIENT, V_WORDS };


struct bench_ba_state {
    uint32_t service_cycles;
    uint32_t nvms, cur, holder, words;   /* words per snapshot; 0: breakdown off */
    uint64_t last_cycle, last_hw_entry, mismatches;
    uint32_t pri[BENCH_VMS_MAX];
    uint8_t  ready[BENCH_VMS_MAX], sim[BENCH_VMS_MAX];
    uint8_t  depth[BENCH_VMS_MAX + 1];                  /* per context; the VMM's is last */
    uint8_t  intr[BENCH_VMS_MAX + 1][BENCH_BA_FRAMES_MAX];    /* frame runs at interrupt time */
    uint64_t *tot;                                   /* running totals: words */
    uint64_t *pool;                                  /* BENCH_BA_SNAPS_MAX snapshots: cycle + words */
    uint32_t free_ids[BENCH_BA_SNAPS_MAX], nfree;
};

bench_ba_state *bench_ba_new(uint32_t service_cycles) {
    assert(service_cycles > 0);
    bench_ba_state *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->service_cycles = service_cycles;
    a->cur = a->holder = VMM_NONE;
    return a;
}

void bench_ba_free(bench_ba_state *a) {
    assert(a == NULL || a->nfree <= BENCH_BA_SNAPS_MAX);
    if (!a) return;
    free(a->tot);
    free(a->pool);
    free(a);
}

uint64_t bench_ba_last_hwint_entry(const bench_ba_state *a) { return a->last_hw_entry; }
uint64_t bench_ba_mismatches(const bench_ba_state *a) { return a->mismatches; }

/* BOOT: the VM count sizes the totals. More VMs than followed: breakdown off. */
static void on_boot(bench_ba_state *a, const eng_record *r) {
    assert(a && r && r->type == VMM_REC_BOOT);
    uint64_t nvms = r->args[0];
    if (a->tot || nvms == 0 || nvms > BENCH_VMS_MAX) { a->mismatches++; return; }
    a->nvms = (uint32_t)nvms;
    a->words = W_GLOBAL + V_WORDS * a->nvms;
    a->tot = calloc(a->words, sizeof *a->tot);
    a->pool = calloc((size_t)BENCH_BA_SNAPS_MAX * (a->words + 1), sizeof *a->pool);
    if (!a->tot || !a->pool) {
        free(a->tot); free(a->pool);
        a->tot = a->pool = NULL;
        a->words = 0;
        return;
    }
    for (uint32_t i = 0; i < BENCH_BA_SNAPS_MAX; i++) a->free_ids[i] = BENCH_BA_SNAPS_MAX - 1 - i;
    a->nfree = BENCH_BA_SNAPS_MAX;
}

/* Whether VM x runs only because its time slice gives it Cur_Run_VM_Boost (SL-1). */
static int by_slice(const bench_ba_state *a, uint32_t x) {
    assert(a && x < BENCH_VMS_MAX);
    if (a->holder != x || a->pri[x] < VMM_CUR_RUN_BOOST) return 0;
    uint32_t base = a->pri[x] - VMM_CUR_RUN_BOOST;
    for (uint32_t y = 0; y < a->nvms; y++)
        if (y != x && a->ready[y] && a->pri[y] >= base) return 1;
    return 0;
}

static void file(bench_ba_state *a, int kind, uint32_t vm, uint64_t n) {
    assert(kind >= K_PATH && kind <= K_NOBODY);
    if (!n || !a->words) return;
    if (kind == K_INTR) { a->tot[W_INTR] += n; return; }
    if (kind == K_NOBODY || vm >= a->nvms) { a->tot[W_NOBODY] += n; return; }
    int sl = by_slice(a, vm);
    uint64_t *v = &a->tot[W_GLOBAL + V_WORDS * vm];
    a->tot[sl ? W_SLICE : W_OTHER] += n;
    v[sl ? V_SLICE : V_OTHER] += n;
    v[kind == K_PATH ? V_PATH : kind == K_VXD ? V_VXD : V_CLIENT] += n;
}

/* The context whose code runs now (vmm/run.c: the VMM's if it has frames, else the
** current VM's if it is ready and has frames), or -1. */
static int running_ctx(const bench_ba_state *a) {
    assert(a && a->nvms <= BENCH_VMS_MAX);
    if (a->depth[a->nvms]) return (int)a->nvms;
    if (a->cur < a->nvms && a->ready[a->cur] && a->depth[a->cur]) return (int)a->cur;
    return -1;
}

/* Guest time of the gap: what ran before this record. */
static void file_guest(bench_ba_state *a, uint64_t n) {
    int ci = running_ctx(a);
    if (ci >= 0) {
        uint32_t d = a->depth[ci];
        assert(d >= 1 && d <= BENCH_BA_FRAMES_MAX);
        file(a, a->intr[ci][d - 1] ? K_INTR : K_VXD, a->cur, n);
    } else if (a->cur < a->nvms && a->ready[a->cur]) {
        file(a, a->sim[a->cur] ? K_INTR : K_CLIENT, a->cur, n);
    } else {
        file(a, K_NOBODY, VMM_NONE, n);
    }
}

/* Whether the code running now is at interrupt time (INT-1). */
static int at_int_time(const bench_ba_state *a) {
    assert(a && a->nvms <= BENCH_VMS_MAX);
    int ci = running_ctx(a);
    return ci >= 0 && a->intr[ci][a->depth[ci] - 1];
}

/* The VMM's fixed charge that ends with record r (0 when none), its kind and VM.
** Charges for interrupt-time code (its services, callbacks, the hwint's own entry)
** are interrupt time too. */
static uint64_t charge_of(const bench_ba_state *a, const eng_record *r, int *kind, uint32_t *vm) {
    assert(a && r && kind && vm);
    uint32_t op = (uint32_t)(r->args[0] & 0xFF);
    *kind = K_PATH;
    *vm = a->cur;
    if ((r->type == VMM_REC_SERVICE || r->type == VMM_REC_CB_ENTER) &&
        (at_int_time(a) || (r->type == VMM_REC_CB_ENTER && op == VMM_CB_HWINT)))
        *kind = K_INTR;
    switch (r->type) {
    case VMM_REC_SERVICE: {
        uint32_t path = (uint32_t)(r->args[0] >> 48 & 0xFF);
        *vm = (uint32_t)(r->args[0] >> 32 & 0xFFFF);
        return (path == VMM_PATH_INT ? CYC_FIRST_CALL : path == VMM_PATH_CALL ? CYC_CALL : 0) +
               (uint64_t)a->service_cycles;
    }
    case VMM_REC_CB_ENTER: return VMM_CYC_CB_CALL;
    case VMM_REC_TASK_SWITCH: *vm = (uint32_t)r->args[1]; return VMM_CYC_SWITCH;
    case VMM_REC_IRQ:
        if (op != VMM_IRQOP_HWINT) return 0;
        *kind = K_INTR;
        return VMM_CYC_HWINT + (uint64_t)a->service_cycles;
    }
    return 0;
}

/* CB_ENTER: the context the callback runs in (vmm/ctx.c, run.c, vpicd.c). */
static void on_enter(bench_ba_state *a, const eng_record *r) {
    assert(a && r && r->type == VMM_REC_CB_ENTER);
    uint32_t kind = (uint32_t)(r->args[0] & 0xFF), d = (uint32_t)(r->args[0] >> 8 & 0xFF);
    uint32_t vmm = a->nvms, ci;
    if (kind == VMM_CB_TS) ci = vmm;                          /* TS-1: the VMM's context */
    else if (d > 1) ci = a->depth[vmm] ? vmm : a->cur;    /* nested in running code */
    else if (kind == VMM_CB_HWINT && !(a->cur < vmm && a->ready[a->cur])) ci = vmm;
    else ci = a->cur;
    if (ci > vmm || d < 1 || d > BENCH_BA_FRAMES_MAX) { a->mismatches++; return; }
    if (a->depth[ci] + 1u != d) a->mismatches++;
    a->intr[ci][d - 1] = kind == VMM_CB_HWINT || (d > 1 && a->intr[ci][d - 2]);
    a->depth[ci] = (uint8_t)d;
}

/* CB_RETURN: the frame of that depth in the running context (else any context). */
static void on_return(bench_ba_state *a, const eng_record *r) {
    assert(a && r && r->type == VMM_REC_CB_RETURN);
    uint32_t d = (uint32_t)(r->args[0] >> 8 & 0xFF);
    int ci = running_ctx(a);
    if (ci < 0 || a->depth[ci] != d) {
        ci = -1;
        for (uint32_t c = 0; c <= a->nvms && ci < 0; c++)
            if (a->depth[c] == d) ci = (int)c;
        a->mismatches++;
        if (ci < 0) return;
    }
    a->depth[ci] = (uint8_t)(d - 1);
}

static void on_vm_state(bench_ba_state *a, const eng_record *r) {
    assert(a && r && r->type == VMM_REC_VM_STATE);
    uint64_t vm = r->args[0];
    if (vm >= a->nvms) return;
    a->ready[vm] = !(r->args[2] & STATUS_NOT_READY);
    if (r->args[1] == 0 && r->args[5]) a->cur = (uint32_t)vm;   /* create: the system VM */
}

static void apply(bench_ba_state *a, const eng_record *r, uint64_t charge) {
    assert(a && r && a->nvms <= BENCH_VMS_MAX);
    uint32_t vm;
    switch (r->type) {
    case VMM_REC_BOOT: on_boot(a, r); break;
    case VMM_REC_VM_STATE: on_vm_state(a, r); break;
    case VMM_REC_TASK_SWITCH:
        if (r->args[1] < a->nvms) a->cur = (uint32_t)r->args[1];
        break;
    case VMM_REC_PRIORITY:
        if ((vm = (uint32_t)r->args[0]) >= a->nvms) break;
        a->pri[vm] = (uint32_t)r->args[1];
        if (r->args[4] == VMM_PRI_SLICE) {
            if ((int64_t)r->args[3] > 0) a->holder = vm;
            else if (a->holder == vm) a->holder = VMM_NONE;
        }
        break;
    case VMM_REC_IRQ: {
        uint32_t op = (uint32_t)(r->args[0] & 0xFF);
        vm = (uint32_t)(r->args[0] >> 16 & 0xFFFF);
        if (op == VMM_IRQOP_HWINT) a->last_hw_entry = charge;   /* the gate; CB_ENTER adds its call */
        else if ((op == VMM_IRQOP_SIMULATE || op == VMM_IRQOP_IRET) && vm < a->nvms) a->sim[vm] = op == VMM_IRQOP_SIMULATE;
        break;
    }
    case VMM_REC_CB_ENTER:
        if ((r->args[0] & 0xFF) == VMM_CB_HWINT) a->last_hw_entry += charge;
        on_enter(a, r);
        break;
    case VMM_REC_CB_RETURN: on_return(a, r); break;
    default: break;
    }
}

void bench_ba_record(bench_ba_state *a, const eng_record *r) {
    assert(a && r);
    if (r->type == ENG_REC_CHECKPOINT) return;
    if (r->cycle < a->last_cycle) { a->mismatches++; return; }
    uint64_t gap = r->cycle - a->last_cycle;
    int kind;
    uint32_t vm;
    uint64_t charge = charge_of(a, r, &kind, &vm);
    if (charge > gap) { a->mismatches++; charge = gap; }
    file_guest(a, gap - charge);
    file(a, kind, vm, charge);
    a->last_cycle = r->cycle;
    apply(a, r, charge);
}

uint32_t bench_ba_snap(bench_ba_state *a) {
    assert(a && a->nfree <= BENCH_BA_SNAPS_MAX);
    if (!a->words || a->nfree == 0) return BENCH_BA_NONE;
    uint32_t id = a->free_ids[--a->nfree];
    uint64_t *s = &a->pool[(size_t)id * (a->words + 1)];
    s[0] = a->last_cycle;
    memcpy(s + 1, a->tot, a->words * sizeof *s);
    return id;
}

void bench_ba_drop(bench_ba_state *a, uint32_t id) {
    if (id == BENCH_BA_NONE) return;
    assert(id < BENCH_BA_SNAPS_MAX && a->nfree < BENCH_BA_SNAPS_MAX);
    a->free_ids[a->nfree++] = id;
}

void bench_ba_breakdown(const bench_ba_state *a, uint32_t id, uint32_t target_vm, uint64_t out[BENCH_COMP_COUNT]) {
    assert(id < BENCH_BA_SNAPS_MAX && a->words);
    const uint64_t *s = &a->pool[(size_t)id * (a->words + 1)] + 1;
    uint64_t d[W_GLOBAL + V_WORDS * BENCH_VMS_MAX];
    for (uint32_t i = 0; i < a->words; i++) d[i] = a->tot[i] - s[i];
    memset(out, 0, BENCH_COMP_COUNT * sizeof *out);
    out[BENCH_C_INTERRUPTS] = d[W_INTR];
    out[BENCH_C_WAITING] = d[W_NOBODY];
    out[BENCH_C_TIME_SLICE] = d[W_SLICE];
    out[BENCH_C_OTHER_VMS] = d[W_OTHER];
    if (target_vm >= a->nvms) return;                  /* every VM is another VM */
    const uint64_t *v = &d[W_GLOBAL + V_WORDS * target_vm];
    /* The target VM's own time is not "another VM": by what it was doing. */
    out[BENCH_C_TIME_SLICE] -= v[V_SLICE];
    out[BENCH_C_OTHER_VMS] -= v[V_OTHER];
    out[BENCH_C_VMM_PATH] = v[V_PATH];
    out[BENCH_C_VXD_CODE] = v[V_VXD];
    out[BENCH_C_WAITING] += v[V_CLIENT];
}
