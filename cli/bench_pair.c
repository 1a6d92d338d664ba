/*
** bench_pair.c — pairs each callback entry (CB_ENTER) of a run with the record that
** made it due, from the stored trace records (vmm/trace.c gives their packing,
** docs/trace-format.md their meaning), and keeps the cycles in between as a sample.
**
** Triggers, per kind (docs/bench.md):
**   nc       the CRIT op=release that owed it (NC-2: one callback owed per release,
**            at most as many as installed), oldest owed first;
**   idle     the SERVICE Int2F_1689 whose chain it belongs to (IDLE-3);
**   event    its EV op=schedule (by handle); an event called at once (handle 0) from
**            its EV op=run (EV-1);
**   prio     the EV op=schedule of the priority event, i.e. Call_Priority_VM_Event
**            (EV-2), whether it ran normally or on its time-out;
**   timeout  its due time, ceil(due_ms * clock_hz / 1000) (TO-1: system time 0 is
**            cycle 0); VM time-outs are due in VM execution time and are only counted;
**   hwint    the IRQ op=raise of its IRQ (the stimulus; INT-1).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "../vmm/vmm.h"

/* Values of the packed record fields (vmm/trace.c, vmm_int.h's VMM_CB_*). */
enum { CB_IDLE = 3, CB_NC = 4, CB_EVENT = 6, CB_PRIO = 7, CB_TIMEOUT = 8, CB_HWINT = 9 };
enum { EV_SCHEDULE = 0, EV_RUN = 1, EV_CANCEL = 2, EV_TIMEOUT = 3 };
enum { TY_GLOBAL = 0, TY_VM = 1, TY_PRIORITY = 2 };
enum { TO_CALL = 2, IRQ_RAISE = 1, IRQ_HWINT = 3, CRIT_RELEASE = 2 };
#define SVC_INT2F_1689 0x002f1689u
#define SVC_CALL_WHEN_NOT_CRITICAL 0x00010024u

typedef struct bl_pend { uint32_t key; uint64_t cycle; } bl_pend;

/* Per-run pairing state: what is owed, and the trigger of the next entry per kind. */
typedef struct bl_pair {
    bl_pend ev[BL_PENDING_MAX]; uint32_t nev;      /* scheduled events, by handle */
    uint64_t nc_owed[BL_PENDING_MAX]; uint32_t nc_n; /* FIFO of release cycles */
    uint64_t nc_installed;
    uint64_t irq_raise[BL_IRQ_MAX][BL_PENDING_MAX / BL_IRQ_MAX]; uint32_t irq_n[BL_IRQ_MAX];
    int      idle_on; uint64_t idle_cycle;          /* inside an Int2F_1689 */
    int      next_on[BL_KIND_COUNT]; uint64_t next_cycle[BL_KIND_COUNT];
    int      next_skip;                             /* next timeout entry: a VM time-out */
} bl_pair;

const char *bl_kind_name(int kind) {
    static const char *const n[BL_KIND_COUNT] = { "nc", "idle", "event", "prio", "timeout", "hwint" };
    assert(kind >= 0 && kind < BL_KIND_COUNT);
    return n[kind];
}

static int add_sample(bl_stats *st, int kind, uint64_t run, uint64_t trig, uint64_t enter) {
    bl_kind *k = &st->k[kind];
    assert(enter >= trig);
    if (k->n == k->cap) {
        if (k->cap >= BL_SAMPLES_MAX) return BL_EFULL;
        uint32_t nc = k->cap ? k->cap * 2 : 64;
        bl_sample *ns = realloc(k->s, nc * sizeof *ns);
        if (!ns) return BL_ENOMEM;
        k->s = ns;
        k->cap = nc;
    }
    k->s[k->n++] = (bl_sample){ run, trig, enter, enter - trig };
    return BL_OK;
}

static int pend_take(bl_pair *p, uint32_t handle, uint64_t *cycle) {
    for (uint32_t i = 0; i < p->nev; i++)
        if (p->ev[i].key == handle) {
            *cycle = p->ev[i].cycle;
            p->ev[i] = p->ev[--p->nev];
            return 1;
        }
    return 0;
}

static void announce(bl_pair *p, int kind, uint64_t cycle) {
    assert(kind >= 0 && kind < BL_KIND_COUNT);
    p->next_on[kind] = 1;
    p->next_cycle[kind] = cycle;
}

static int on_ev(bl_pair *p, const eng_record *r) {
    uint32_t op = r->args[0] & 0xFF, ty = r->args[0] >> 8 & 0xFF, h = (uint32_t)r->args[1];
    int kind = ty == TY_PRIORITY ? BL_PRIO : BL_EVENT;
    uint64_t c;
    if (op == EV_SCHEDULE) {
        if (p->nev == BL_PENDING_MAX) return BL_EFULL;
        p->ev[p->nev++] = (bl_pend){ h, r->cycle };
    } else if (op == EV_CANCEL) {
        pend_take(p, h, &c);
    } else if (op == EV_RUN || op == EV_TIMEOUT) {
        if (h == 0) announce(p, kind, r->cycle);        /* called at once */
        else if (pend_take(p, h, &c)) announce(p, kind, c);
    }
    return BL_OK;
}

static void on_timeout(bl_pair *p, const eng_record *r, uint32_t clock_hz) {
    uint32_t op = r->args[0] & 0xFF, ty = r->args[0] >> 8 & 0xFF;
    if (op != TO_CALL) return;
    if (ty == TY_VM) { p->next_skip = 1; return; }
    uint64_t due_ms = r->args[4];
    assert(due_ms <= UINT64_MAX / 1000 / (clock_hz ? clock_hz : 1));
    uint64_t due_cycle = (due_ms * clock_hz + 999) / 1000;
    p->next_skip = 0;
    announce(p, BL_TIMEOUT, due_cycle);
}

static int on_irq(bl_pair *p, const eng_record *r) {
    uint32_t op = r->args[0] & 0xFF, irq = r->args[0] >> 8 & 0xFF;
    const uint32_t cap = BL_PENDING_MAX / BL_IRQ_MAX;
    if (irq >= BL_IRQ_MAX) return BL_OK;
    uint32_t *n = &p->irq_n[irq];
    if (op == IRQ_RAISE) {
        if (*n == cap) return BL_EFULL;
        p->irq_raise[irq][(*n)++] = r->cycle;
    } else if (op == IRQ_HWINT && *n) {
        announce(p, BL_HWINT, p->irq_raise[irq][0]);
        memmove(&p->irq_raise[irq][0], &p->irq_raise[irq][1], (*n - 1) * sizeof(uint64_t));
        (*n)--;
    }
    return BL_OK;
}

static int on_crit(bl_pair *p, const eng_record *r) {
    if (r->args[0] != CRIT_RELEASE || p->nc_n >= p->nc_installed) return BL_OK;
    if (p->nc_n == BL_PENDING_MAX) return BL_EFULL;
    p->nc_owed[p->nc_n++] = r->cycle;
    return BL_OK;
}

static void on_service(bl_pair *p, const eng_record *r, int ret) {
    uint32_t dword = (uint32_t)r->args[0];
    if (dword == SVC_INT2F_1689) {
        p->idle_on = !ret;
        p->idle_cycle = r->cycle;
    } else if (ret && dword == SVC_CALL_WHEN_NOT_CRITICAL && !(r->args[0] >> 48 & 1)) {
        p->nc_installed++;
    }
}

/* The trigger of a callback entry of kind k: 1 and *trig, or 0 when unpaired. */
static int trigger_of(bl_pair *p, int k, uint64_t *trig) {
    if (k == BL_NC) {
        if (p->nc_installed) p->nc_installed--;
        if (!p->nc_n) return 0;
        *trig = p->nc_owed[0];
        memmove(&p->nc_owed[0], &p->nc_owed[1], (p->nc_n - 1) * sizeof(uint64_t));
        p->nc_n--;
        return 1;
    }
    if (k == BL_IDLE) { *trig = p->idle_cycle; return p->idle_on; }
    if (!p->next_on[k]) return 0;
    p->next_on[k] = 0;
    *trig = p->next_cycle[k];
    return 1;
}

static int on_enter(bl_stats *st, bl_pair *p, const eng_record *r, uint64_t run) {
    static const int map[] = { [CB_IDLE] = BL_IDLE + 1, [CB_NC] = BL_NC + 1,
                               [CB_EVENT] = BL_EVENT + 1, [CB_PRIO] = BL_PRIO + 1,
                               [CB_TIMEOUT] = BL_TIMEOUT + 1, [CB_HWINT] = BL_HWINT + 1 };
    uint32_t cb = r->args[0] & 0xFF;
    if (cb >= sizeof map / sizeof map[0] || !map[cb]) return BL_OK;
    int k = map[cb] - 1;
    if (k == BL_TIMEOUT && p->next_skip) {
        p->next_skip = 0;
        st->vm_timeouts++;
        return BL_OK;
    }
    uint64_t trig = 0;
    if (!trigger_of(p, k, &trig) || trig > r->cycle) { st->k[k].unpaired++; return BL_OK; }
    return add_sample(st, k, run, trig, r->cycle);
}

int bl_collect(bl_stats *st, const eng_trace *t, uint64_t run, uint32_t clock_hz) {
    assert(st && t && clock_hz > 0);
    bl_pair *p = calloc(1, sizeof *p);
    if (!p) return BL_ENOMEM;
    int rc = BL_OK;
    for (uint32_t i = 0; i < t->len && rc == BL_OK; i++) {
        const eng_record *r = &t->rec[i];
        switch (r->type) {
        case VMM_REC_EV:       rc = on_ev(p, r); break;
        case VMM_REC_TIMEOUT:  on_timeout(p, r, clock_hz); break;
        case VMM_REC_IRQ:      rc = on_irq(p, r); break;
        case VMM_REC_CRIT:     rc = on_crit(p, r); break;
        case VMM_REC_SERVICE:  on_service(p, r, 0); break;
        case VMM_REC_SVC_RET:  on_service(p, r, 1); break;
        case VMM_REC_CB_ENTER: rc = on_enter(st, p, r, run); break;
        default: break;
        }
    }
    free(p);
    if (rc) st->err = rc;
    return rc;
}

void bl_free(bl_stats *st) {
    for (int k = 0; k < BL_KIND_COUNT; k++) { free(st->k[k].s); free(st->k[k].sorted); }
    memset(st, 0, sizeof *st);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int bl_sort(bl_stats *st) {
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        bl_kind *kd = &st->k[k];
        free(kd->sorted);
        kd->sorted = malloc((kd->n ? kd->n : 1) * sizeof *kd->sorted);
        if (!kd->sorted) return BL_ENOMEM;
        for (uint32_t i = 0; i < kd->n; i++) kd->sorted[i] = kd->s[i].latency_cycles;
        qsort(kd->sorted, kd->n, sizeof *kd->sorted, cmp_u64);
    }
    return BL_OK;
}

uint64_t bl_percentile(const bl_kind *k, uint32_t q) {
    assert(k->n > 0 && k->sorted && q >= 1 && q <= 100);
    uint64_t rank = ((uint64_t)q * k->n + 99) / 100;   /* nearest rank, 1-based */
    assert(rank >= 1 && rank <= k->n);
    return k->sorted[rank - 1];
}
