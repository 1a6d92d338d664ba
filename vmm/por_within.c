/*
** por_within.c — a `within` expectation's delays for partial-order reduction
** (vmm_set_observed_within; docs/fuzzing.md, "Partial-order reduction"). A verdict
** "the first entry of to_cb after each trigger comes at most limit_cyc cycles after
** it" reads the clock twice: at the trigger and at the entry. Measured as delay d,
** it stays the same while the entry moves at most limit - d later (passing) or
** d - limit - 1 earlier (failing), and the trigger the other way: por.c's clock
** reads with slack, so only steps long enough to change the verdict conflict with
** them. The order of triggers and entries is kept apart: both write the observed
** tag (vmmi_por_enter), so a trigger never trades places with an entry unexplored.
**
** A trigger's slack is known only at its entry. A segment that closes (por.c's
** close_segment) while a trigger in it still waits for its entry is marked late
** (tlate) and gets its slack when the entry comes: the walk's sleep sets, which read
** a segment at the next decision, take a late one as a read with no slack (every move
** conflicts); the races, found after the run, see the slack. A trigger with no entry
** after it fails its verdict in any order that keeps it so (the observed tag keeps
** the triggers' and entries' order), and reads nothing.
*/
#include <assert.h>
#include <string.h>

#include "vmm_int.h"

int vmm_set_observed_within(vmm_state *v, const vmm_within *w, uint32_t n) {
    assert(v != NULL && (w != NULL || n == 0));
    v->por.nwin = 0;
    if (n > VMM_WITHIN_MAX) return -1;
    for (uint32_t k = 0; k < n; k++) {
        if (w[k].trig_kind != VMM_WITHIN_STIMULUS && w[k].trig_kind != VMM_WITHIN_ENTER) return -1;
        v->por.win[k] = w[k];
    }
    v->por.nwin = n;
    vmmi_por_within_reset(v);
    return 0;
}

void vmmi_por_within_reset(vmm_state *v) {
    assert(v != NULL && v->por.nwin <= VMM_WITHIN_MAX);
    memset(v->por.ntrig, 0, sizeof v->por.ntrig);
    memset(v->por.trig_open, 0, sizeof v->por.trig_open);
    memset(v->por.trig_ovf, 0, sizeof v->por.trig_ovf);
}

/* The open segment may move at most lo_cyc earlier and hi_cyc later unchanged. */
static void slack_min(vmm_footprint *f, uint64_t lo_cyc, uint64_t hi_cyc) {
    assert(f != NULL);
    uint32_t lo = lo_cyc > UINT32_MAX ? UINT32_MAX : (uint32_t)lo_cyc;
    uint32_t hi = hi_cyc > UINT32_MAX ? UINT32_MAX : (uint32_t)hi_cyc;
    if (!f->tread || lo < f->tlo) f->tlo = lo;
    if (!f->tread || hi < f->thi) f->thi = hi;
    f->tread = 1;
}

/* Delay k's trigger happens now, in the open segment. */
static void trig_add(vmm_state *v, uint32_t k) {
    assert(k < v->por.nwin && v->por.ntrig[k] <= VMM_POR_TRIG_MAX);
    vmmi_por_tag(v, VMM_POR_OBSERVED, 1);
    if (v->por.ntrig[k] == VMM_POR_TRIG_MAX) {   /* not kept: it and its entry depend on all */
        v->por.trig_ovf[k] = 1;
        v->por.cur.time = 1;
        return;
    }
    v->por.trig_step[k][v->por.ntrig[k]] = v->por.n ? (int64_t)v->por.n - 1 : -1;
    v->por.trig_cyc[k][v->por.ntrig[k]++] = vmmi_cycles(v);
    v->por.trig_open[k]++;
}

/* Delay k's first entry after its triggers comes now: each trigger's verdict holds
** while d stays on its side of the limit. */
static void entry_measure(vmm_state *v, uint32_t k) {
    assert(k < v->por.nwin && v->por.trig_open[k] <= v->por.ntrig[k]);
    uint64_t now = vmmi_cycles(v), lim = v->por.win[k].limit_cyc;
    uint32_t n = v->por.ntrig[k], open0 = n - v->por.trig_open[k];
    if (v->por.trig_ovf[k]) v->por.cur.time = 1;
    for (uint32_t t = 0; t < n; t++) {
        assert(now >= v->por.trig_cyc[k][t]);
        uint64_t d = now - v->por.trig_cyc[k][t], room = d <= lim ? lim - d : d - lim - 1;
        /* Passing: the entry may not move `room` later, the trigger not `room` earlier;
        ** failing, the other way round. A trigger before the first step never moves. */
        int64_t s = v->por.trig_step[k][t];
        vmm_footprint *tf = t >= open0 ? &v->por.cur : s >= 0 ? &v->por.fp[s] : NULL;
        assert(t >= open0 || s < 0 || (uint64_t)s + 1 < v->por.n);
        slack_min(&v->por.cur, d <= lim ? UINT64_MAX : room, d <= lim ? room : UINT64_MAX);
        if (tf) slack_min(tf, d <= lim ? room : UINT64_MAX, d <= lim ? UINT64_MAX : room);
    }
    v->por.ntrig[k] = 0;
    v->por.trig_open[k] = 0;
    v->por.trig_ovf[k] = 0;
}

/* Stimulus i takes effect (its STIMULUS record). */
void vmmi_por_within_stim(vmm_state *v, uint32_t i) {
    assert(v != NULL && v->por.nwin <= VMM_WITHIN_MAX);
    if (!v->por.fp) return;
    for (uint32_t k = 0; k < v->por.nwin; k++)
        if (v->por.win[k].trig_kind == VMM_WITHIN_STIMULUS && v->por.win[k].trig == i) trig_add(v, k);
}

/* Callback cb is entered (its CB_ENTER record): first as a measured entry, then as a
** trigger (expect.c's check_within measures a trigger to the entries after it). */
void vmmi_por_within_enter(vmm_state *v, uint32_t cb) {
    assert(v != NULL && v->por.fp != NULL && v->por.nwin <= VMM_WITHIN_MAX);
    for (uint32_t k = 0; k < v->por.nwin; k++)
        if (v->por.win[k].to_cb == cb && (v->por.ntrig[k] || v->por.trig_ovf[k])) entry_measure(v, k);
    for (uint32_t k = 0; k < v->por.nwin; k++)
        if (v->por.win[k].trig_kind == VMM_WITHIN_ENTER && v->por.win[k].trig == cb) trig_add(v, k);
}

/* The open segment closes: a trigger in it still waiting for its entry gets its
** slack later (entry_measure), and is marked late meanwhile. */
void vmmi_por_within_close(vmm_state *v) {
    assert(v != NULL && v->por.nwin <= VMM_WITHIN_MAX);
    for (uint32_t k = 0; k < v->por.nwin; k++) {
        if (!v->por.trig_open[k]) continue;
        v->por.cur.tlate = 1;
        v->por.trig_open[k] = 0;
    }
}
