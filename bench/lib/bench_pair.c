/*
** bench_pair.c — pairs each callback entry (CB_ENTER) of a run with the record that
** made it due, from the stored trace records (vmm/trace.c gives their packing,
** docs/trace-format.md their meaning), keeps the cycles in between as a sample, and
** with bench_init splits them into components (bench_attr.c).
**
** Triggers, per kind (docs/bench.md):
**   nc       the CRIT op=release that owed it (NC-2: one callback owed per release,
**            at most as many as installed), oldest owed first;
**   idle     the SERVICE Int2F_1689 whose chain it belongs to (IDLE-3);
**   event    its EV op=schedule (by handle); an event called at once (handle 0) from
**            its EV op=run (EV-1);
**   prio     the EV op=schedule of the priority event, i.e. Call_Priority_VM_Event
**            (EV-2), whether it ran normally or on its time-out;
**   timeout  its due time: the cycle of its TIMEOUT op=set plus the time-out in
**            cycles (TO-1); VM time-outs are due in VM execution time and are only
**            counted;
**   hwint    the IRQ op=raise of its IRQ (the stimulus; INT-1). A raise while the
**            line is already requested merges into that request (vmm/vpicd.c), so
**            it owes no callback of its own.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_attr.h"
#include "vmm/vmm.h"
#include "vmm/vmm_trace.h"

/* The trigger services, as SERVICE records name them: (device << 16) | service, and
** INT 2Fh AX=1689h as 0x002F0000 | AX (docs/trace-format.md). */
#define SVC_INT2F_1689 0x002f1689u
#define SVC_CALL_WHEN_NOT_CRITICAL 0x00010024u

/* A trigger waiting for its callback: its cycle, the breakdown's snapshot there,
** and for time-outs the cycles from the due time to the snapshot (the tick wait). */
typedef struct bench_trig { uint64_t cycle, timer; uint32_t key, snap; } bench_trig;

/* Per-run pairing state: what is owed, and the trigger of the next entry per kind. */
typedef struct bench_pair {
    bench_ba_state *ba;                                   /* NULL: no breakdown */
    uint32_t clock_hz;
    bench_trig  ev[BENCH_PENDING_MAX]; uint32_t nev;      /* scheduled events, by handle */
    bench_trig  to[BENCH_PENDING_MAX]; uint32_t nto;      /* global time-outs, by handle */
    bench_trig  nc_owed[BENCH_PENDING_MAX]; uint32_t nc_n; /* FIFO of releases */
    uint64_t nc_installed;
    bench_trig  irq[BENCH_IRQ_MAX]; uint8_t irq_on[BENCH_IRQ_MAX];   /* requested lines */
    bench_trig  idle; int idle_on;                     /* inside an Int2F_1689 */
    bench_trig  next[BENCH_KIND_COUNT]; int next_on[BENCH_KIND_COUNT];
    int      next_skip;                             /* next timeout entry: a VM time-out */
} bench_pair;

const char *bench_kind_name(int kind) {
    static const char *const n[BENCH_KIND_COUNT] = { "nc", "idle", "event", "prio", "timeout", "hwint" };
    assert(kind >= 0 && kind < BENCH_KIND_COUNT);
    return n[kind];
}

const char *bench_comp_name(int comp) {
    static const char *const n[BENCH_COMP_COUNT] = { "vmm_path", "vxd_code", "interrupts", "other_vms",
                                                  "time_slice", "timer", "waiting" };
    assert(comp >= 0 && comp < BENCH_COMP_COUNT);
    return n[comp];
}

void bench_init(bench_stats *st, uint32_t service_cycles) {
    assert(st && service_cycles > 0);
    memset(st, 0, sizeof *st);
    st->breakdown = 1;
    st->service_cycles = service_cycles;
}

static bench_trig trig_now(bench_pair *p, const eng_record *r, uint32_t key) {
    assert(p && r);
    return (bench_trig){ r->cycle, 0, key, p->ba ? bench_ba_snap(p->ba) : BENCH_BA_NONE };
}

static void trig_drop(bench_pair *p, bench_trig *t) {
    assert(p && t);
    if (p->ba) bench_ba_drop(p->ba, t->snap);
    t->snap = BENCH_BA_NONE;
}

static int add_sample(bench_stats *st, int kind, const bench_sample *smp) {
    bench_kind *k = &st->k[kind];
    assert(smp->enter_cycle >= smp->trigger_cycle);
    void *p = k->s;
    int rc = bench_grow(&p, k->n, &k->cap, sizeof *k->s);
    k->s = p;
    if (rc) return rc;
    k->s[k->n++] = *smp;
    return BENCH_OK;
}

/* Removes the trigger with this key from a table into *out; 1 if found. */
static int tab_take(bench_trig *tab, uint32_t *n, uint32_t key, bench_trig *out) {
    assert(tab && n && out && *n <= BENCH_PENDING_MAX);
    for (uint32_t i = 0; i < *n; i++)
        if (tab[i].key == key) {
            *out = tab[i];
            tab[i] = tab[--*n];
            return 1;
        }
    return 0;
}

static bench_trig *tab_find(bench_trig *tab, uint32_t n, uint32_t key) {
    assert(tab && n <= BENCH_PENDING_MAX);
    for (uint32_t i = 0; i < n; i++)
        if (tab[i].key == key) return &tab[i];
    return NULL;
}

/* The next entry of this kind pairs with t (which the pair now owns). */
static void announce(bench_pair *p, int kind, bench_trig t) {
    assert(kind >= 0 && kind < BENCH_KIND_COUNT);
    if (p->next_on[kind]) trig_drop(p, &p->next[kind]);
    p->next_on[kind] = 1;
    p->next[kind] = t;
}

static int on_ev(bench_pair *p, const eng_record *r) {
    assert(p && r && r->type == VMM_REC_EV);
    uint32_t op = r->args[0] & 0xFF, ty = r->args[0] >> 8 & 0xFF, h = (uint32_t)r->args[1];
    int kind = ty == VMM_EVT_PRIO ? BENCH_PRIO : BENCH_EVENT;
    bench_trig t;
    if (op == VMM_EVOP_SCHEDULE) {
        if (p->nev == BENCH_PENDING_MAX) return BENCH_EFULL;
        p->ev[p->nev++] = trig_now(p, r, h);
    } else if (op == VMM_EVOP_CANCEL) {
        if (tab_take(p->ev, &p->nev, h, &t)) trig_drop(p, &t);
    } else if (op == VMM_EVOP_RUN || op == VMM_EVOP_TIMEOUT) {
        if (h == 0) announce(p, kind, trig_now(p, r, 0));   /* called at once */
        else if (tab_take(p->ev, &p->nev, h, &t)) announce(p, kind, t);
    }
    return BENCH_OK;
}

/* TO-1: a global time-out is due ms after its TIMEOUT op=set, in cycles rounded up
** (vmm/timer.c); the record's due= is the set time's whole ms plus ms. The wait
** from the due time to the tick that made it due is the breakdown's timer. */
static int on_timeout(bench_pair *p, const eng_record *r) {
    uint32_t op = r->args[0] & 0xFF, ty = r->args[0] >> 8 & 0xFF, h = (uint32_t)r->args[1];
    uint64_t hz = p->clock_hz, due_ms = r->args[4];
    bench_trig t, *f;
    if (ty == VMM_EVT_PRIO) return BENCH_OK;                    /* paired as a prio event */
    if (op == VMM_TOOP_CALL && ty == VMM_EVT_VM) { p->next_skip = 1; return BENCH_OK; }
    if (ty != VMM_EVT_GLOBAL) return BENCH_OK;
    switch (op) {
    case VMM_TOOP_SET: {
        uint64_t set_ms = r->cycle * 1000 / hz;
        uint64_t ms = due_ms > set_ms ? due_ms - set_ms : 0;
        if (p->nto == BENCH_PENDING_MAX) return BENCH_EFULL;
        assert(ms <= UINT64_MAX / 1000 / hz);
        p->to[p->nto++] = (bench_trig){ r->cycle + (ms * hz + 999) / 1000, 0, h, BENCH_BA_NONE };
        break;
    }
    case VMM_TOOP_DUE:
        if ((f = tab_find(p->to, p->nto, h)) && f->snap == BENCH_BA_NONE) {
            t = trig_now(p, r, h);
            f->snap = t.snap;
            f->timer = r->cycle > f->cycle ? r->cycle - f->cycle : 0;
        }
        break;
    case VMM_TOOP_CALL:
        p->next_skip = 0;
        if (tab_take(p->to, &p->nto, h, &t)) announce(p, BENCH_TIMEOUT, t);
        break;
    case VMM_TOOP_CANCEL:
        if (tab_take(p->to, &p->nto, h, &t)) trig_drop(p, &t);
        break;
    }
    return BENCH_OK;
}

/* INT-1: a line is requested from its raise to its hw_int; a raise meanwhile merges
** into the request (vmm/vpicd.c keeps one request bit per line). */
static void on_irq(bench_stats *st, bench_pair *p, const eng_record *r) {
    assert(st && p && r && r->type == VMM_REC_IRQ);
    uint32_t op = r->args[0] & 0xFF, irq = r->args[0] >> 8 & 0xFF;
    if (irq >= BENCH_IRQ_MAX) return;
    if (op == VMM_IRQOP_RAISE) {
        if (p->irq_on[irq]) { st->irq_merged++; return; }
        p->irq_on[irq] = 1;
        p->irq[irq] = trig_now(p, r, irq);
    } else if (op == VMM_IRQOP_HWINT && p->irq_on[irq]) {
        p->irq_on[irq] = 0;
        announce(p, BENCH_HWINT, p->irq[irq]);
    }
}

static int on_crit(bench_pair *p, const eng_record *r) {
    assert(p && r && r->type == VMM_REC_CRIT);
    if (r->args[0] != VMM_CRIT_RELEASE || p->nc_n >= p->nc_installed) return BENCH_OK;
    if (p->nc_n == BENCH_PENDING_MAX) return BENCH_EFULL;
    p->nc_owed[p->nc_n++] = trig_now(p, r, 0);
    return BENCH_OK;
}

static void on_service(bench_pair *p, const eng_record *r, int ret) {
    assert(p && r);
    uint32_t dword = (uint32_t)r->args[0];
    if (dword == SVC_INT2F_1689) {
        if (p->idle_on) trig_drop(p, &p->idle);
        p->idle_on = !ret;
        if (!ret) p->idle = trig_now(p, r, 0);
    } else if (ret && dword == SVC_CALL_WHEN_NOT_CRITICAL && !(r->args[0] >> 48 & 1)) {
        p->nc_installed++;
    }
}

/* The trigger of a callback entry of kind k: 1 and *t (whose snapshot the caller
** drops, except idle's, shared by its chain), or 0 when unpaired. */
static int trigger_of(bench_pair *p, int k, bench_trig *t) {
    assert(p && t && k >= 0 && k < BENCH_KIND_COUNT);
    if (k == BENCH_NC) {
        if (p->nc_installed) p->nc_installed--;
        if (!p->nc_n) return 0;
        *t = p->nc_owed[0];
        memmove(&p->nc_owed[0], &p->nc_owed[1], (p->nc_n - 1) * sizeof p->nc_owed[0]);
        p->nc_n--;
        return 1;
    }
    if (k == BENCH_IDLE) { *t = p->idle; return p->idle_on; }
    if (!p->next_on[k]) return 0;
    p->next_on[k] = 0;
    *t = p->next[k];
    return 1;
}

/* The sample's components: the tick wait, then the cycles filed since the trigger's
** snapshot; an hwint's own entry (gate, dispatch, CALL) is its VMM path. */
static void breakdown(bench_pair *p, int k, const bench_trig *t, uint32_t vm, bench_sample *smp) {
    if (!p->ba || t->snap == BENCH_BA_NONE) return;
    bench_ba_breakdown(p->ba, t->snap, vm, smp->comp_cycles);
    smp->comp_cycles[BENCH_C_TIMER] = t->timer;
    if (k == BENCH_HWINT) {
        uint64_t g = bench_ba_last_hwint_entry(p->ba);
        assert(smp->comp_cycles[BENCH_C_INTERRUPTS] >= g);
        smp->comp_cycles[BENCH_C_INTERRUPTS] -= g;
        smp->comp_cycles[BENCH_C_VMM_PATH] += g;
    }
}

static int on_enter(bench_stats *st, bench_pair *p, const eng_record *r, uint64_t run) {
    assert(st && p && r && r->type == VMM_REC_CB_ENTER);
    static const int map[] = { [VMM_CB_IDLE] = BENCH_IDLE + 1, [VMM_CB_NC] = BENCH_NC + 1,
                               [VMM_CB_EVENT] = BENCH_EVENT + 1, [VMM_CB_PRIO] = BENCH_PRIO + 1,
                               [VMM_CB_TIMEOUT] = BENCH_TIMEOUT + 1, [VMM_CB_HWINT] = BENCH_HWINT + 1 };
    uint32_t cb = r->args[0] & 0xFF, vm = (uint32_t)(r->args[0] >> 16 & 0xFFFF);
    if (cb >= sizeof map / sizeof map[0] || !map[cb]) return BENCH_OK;
    int k = map[cb] - 1;
    if (k == BENCH_TIMEOUT && p->next_skip) {
        p->next_skip = 0;
        st->vm_timeouts++;
        return BENCH_OK;
    }
    bench_trig t;
    if (!trigger_of(p, k, &t)) { st->k[k].unpaired++; return BENCH_OK; }
    int rc = BENCH_OK;
    if (t.cycle > r->cycle) {
        st->k[k].unpaired++;
    } else {
        bench_sample smp;
        memset(&smp, 0, sizeof smp);
        smp.run = run;
        smp.trigger_cycle = t.cycle;
        smp.enter_cycle = r->cycle;
        smp.latency_cycles = r->cycle - t.cycle;
        breakdown(p, k, &t, vm, &smp);
        rc = add_sample(st, k, &smp);
    }
    if (k != BENCH_IDLE) trig_drop(p, &t);
    return rc;
}

static int step(bench_stats *st, bench_pair *p, const eng_record *r, uint64_t run) {
    assert(st && p && r);
    switch (r->type) {
    case VMM_REC_EV:       return on_ev(p, r);
    case VMM_REC_TIMEOUT:  return on_timeout(p, r);
    case VMM_REC_IRQ:      on_irq(st, p, r); return BENCH_OK;
    case VMM_REC_CRIT:     return on_crit(p, r);
    case VMM_REC_SERVICE:  on_service(p, r, 0); return BENCH_OK;
    case VMM_REC_SVC_RET:  on_service(p, r, 1); return BENCH_OK;
    case VMM_REC_CB_ENTER: return on_enter(st, p, r, run);
    default:               return BENCH_OK;
    }
}

int bench_collect(bench_stats *st, const eng_trace *t, uint64_t run, uint32_t clock_hz) {
    assert(st && t && clock_hz > 0);
    bench_pair *p = calloc(1, sizeof *p);
    if (!p) return BENCH_ENOMEM;
    p->clock_hz = clock_hz;
    int rc = BENCH_OK;
    if (st->breakdown && !(p->ba = bench_ba_new(st->service_cycles))) rc = BENCH_ENOMEM;
    for (uint32_t i = 0; i < t->len && rc == BENCH_OK; i++) {
        const eng_record *r = &t->rec[i];
        if (p->ba) bench_ba_record(p->ba, r);
        rc = step(st, p, r, run);
    }
    if (p->ba) st->mismatches += bench_ba_mismatches(p->ba);
    bench_ba_free(p->ba);
    free(p);
    if (rc) st->err = rc;
    return rc;
}

void bench_free(bench_stats *st) {
    assert(st);
    for (int k = 0; k < BENCH_KIND_COUNT; k++) { free(st->k[k].s); free(st->k[k].sorted); }
    memset(st, 0, sizeof *st);
}

static int cmp_u64(const void *a, const void *b) {
    assert(a && b);
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int bench_sort(bench_stats *st) {
    assert(st);
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        bench_kind *kd = &st->k[k];
        free(kd->sorted);
        kd->sorted = malloc((kd->n ? kd->n : 1) * sizeof *kd->sorted);
        if (!kd->sorted) return BENCH_ENOMEM;
        for (uint32_t i = 0; i < kd->n; i++) kd->sorted[i] = kd->s[i].latency_cycles;
        qsort(kd->sorted, kd->n, sizeof *kd->sorted, cmp_u64);
    }
    return BENCH_OK;
}

uint64_t bench_percentile(const bench_kind *k, uint32_t q) {
    assert(k->n > 0 && k->sorted && q >= 1 && q <= 100);
    uint64_t rank = ((uint64_t)q * k->n + 99) / 100;   /* nearest rank, 1-based */
    assert(rank >= 1 && rank <= k->n);
    return k->sorted[rank - 1];
}

int bench_grow(void **arr, uint32_t n, uint32_t *cap, size_t size) {
    assert(n <= *cap && size > 0);
    if (n < *cap) return 0;
    if (*cap >= BENCH_SAMPLES_MAX) return BENCH_EFULL;
    uint32_t nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)nc * size);
    if (!p) return BENCH_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}
