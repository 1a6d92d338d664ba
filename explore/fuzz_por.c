/*
** fuzz_por.c — `vmmsim fuzz --strategy dfs --por`: dynamic partial-order reduction with
** sleep sets (Flanagan & Godefroid, POPL 2005; Godefroid 1996) over the dfs walk's
** decisions (docs/fuzzing.md, "Partial-order reduction").
**
** The machine records, per decision, an identity per option and the footprint of the
** segment that followed it (vmm/por.c). The walk keeps a level per decision of the
** current prefix: the options to explore there (backtrack), those explored (done,
** with the footprint each had) and the sleep set (options whose turn there would only
** repeat an explored order). A run starts each new level with one option; then, for
** every pair of its segments that conflict, the later one's option is added to the
** backtrack set of the last decision before the earlier one that offered it (or every
** option there, when none did): the two orders of a race are both explored, an order
** of independent steps only once. The sleep set at decision j + 1 is what slept or was
** done at j, without the option taken, keeping those independent of j's segment; the
** run's rest avoids them (the chooser's advisor) and no branch takes one. When every
** option of a decision sleeps, the run is redundant from there on (cut).
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xpl_fuzz.h"

#define POR_SLEEP_MAX 256u    /* per level; more are dropped (sound: fewer skipped) */
#define POR_RACE_SPAN 4096u   /* decisions searched back for a race (beyond: all options) */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
    assert(p && cap && size > 0);
    if (need <= *cap) return 0;
    uint32_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * size);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

/* A WITHIN whose trigger is a stimulus or a callback's entry: its delay as two clock
** reads with slack (vmm_set_observed_within); 0 when it does not fit (time, then). */
static int within_add(const scen *s, const scen_expect *e, vmm_within *w, uint32_t *nw) {
    assert(s && e && w && nw && e->kind == SCEN_EXP_WITHIN);
    if (*nw >= VMM_WITHIN_MAX || (e->trig != SCEN_TRIG_STIMULUS && e->trig != SCEN_TRIG_ENTER)) return 0;
    w[*nw].to_cb = s->refs[e->ref0].addr;
    w[*nw].trig_kind = e->trig == SCEN_TRIG_STIMULUS ? VMM_WITHIN_STIMULUS : VMM_WITHIN_ENTER;
    w[*nw].trig = e->trig == SCEN_TRIG_STIMULUS ? e->trig_index : s->refs[e->trig_ref].addr;
    w[*nw].limit_cyc = e->cycles;
    (*nw)++;
    return 1;
}

/* The callbacks whose entries the scenario's expectations observe (vmm_set_observed):
** the order of ORDER, BEFORE and ENTRY's callbacks, WITHIN's delays (from a stimulus
** or an entry: clock reads with slack; from a return or a service: time), the whole
** trace for HASH. CALLS, NEVER, ALWAYS count entries; MEMORY, REGISTER and FINDING
** read the state, which footprints cover. */
void xpl_por_observe(vmm_state *v, const scen *s) {
    assert(v && s);
    uint32_t cb[VMM_OBSERVED_MAX + 1] = { 0 }, n = 0, nw = 0;
    vmm_within w[VMM_WITHIN_MAX];
    int time = 0, all = 0;
    for (uint32_t i = 0; i < s->nexp; i++) {
        const scen_expect *e = &s->exp[i];
        if (e->kind == SCEN_EXP_HASH) all = 1;
        if (e->kind == SCEN_EXP_WITHIN && !within_add(s, e, w, &nw)) time = 1;
        if (e->kind != SCEN_EXP_ORDER && e->kind != SCEN_EXP_BEFORE && e->kind != SCEN_EXP_ENTRY &&
            e->kind != SCEN_EXP_WITHIN)
            continue;
        for (uint32_t k = 0; k < e->nrefs && n <= VMM_OBSERVED_MAX; k++) cb[n++] = s->refs[e->ref0 + k].addr;
        if (e->kind == SCEN_EXP_WITHIN && (e->trig == SCEN_TRIG_ENTER || e->trig == SCEN_TRIG_RETURN) &&
            n <= VMM_OBSERVED_MAX)
            cb[n++] = s->refs[e->trig_ref].addr;
    }
    vmm_set_observed(v, cb, n, time, all);
    int rc = vmm_set_observed_within(v, w, time ? 0 : nw);   /* time covers every delay */
    assert(rc == 0);
    (void)rc;
}

void xpl_por_free(xpl_por *p) {
    assert(p != NULL);
    free(p->lvl); free(p->sleep); free(p->done);
    memset(p, 0, sizeof *p);
}

static int has_id(const xpl_por_ent *e, uint32_t n, uint64_t id) {
    assert(e || n == 0);
    for (uint32_t i = 0; i < n; i++) if (e[i].id == id) return 1;
    return 0;
}

static int ent_push(xpl_por *p, xpl_por_ent **pool, uint32_t *n, uint32_t *cap, const xpl_por_ent *e) {
    assert(p && pool && n && cap && e && e->id);
    if (grow((void **)pool, cap, *n + 1, sizeof **pool)) { p->err = XPL_EXIT_HOST; return -1; }
    (*pool)[(*n)++] = *e;
    return 0;
}

/* Decision j's option ids (NULL when it has none) and the footprint of everything from
** it to the next decision (its steps' segments together); *known 0 when not recorded. */
static const uint64_t *dec_ids(const xpl_por *p, uint32_t j, uint32_t n, vmm_footprint *seg, int *known) {
    assert(p && p->v && seg && known);
    const uint64_t *ids, *first = NULL;
    const vmm_footprint *fp;
    uint32_t nids, nfirst = 0;
    int32_t dec;
    int64_t s0 = vmm_por_decision_step(p->v, j);
    memset(seg, 0, sizeof *seg);
    *known = 0;
    if (s0 < 0) return NULL;
    for (uint32_t s = (uint32_t)s0; !vmm_por_step(p->v, s, &ids, &nids, &fp, &dec); s++) {
        if (s > (uint32_t)s0 && dec >= 0) break;
        if (s == (uint32_t)s0) { first = ids; nfirst = nids; }
        for (int k = 0; k < VMM_FP_WORDS; k++) { seg->r[k] |= fp->r[k]; seg->w[k] |= fp->w[k]; }
        seg->time |= fp->time;
        seg->all |= fp->all;
        if (fp->tread) {   /* the segment moves as one: its reads keep the least slack */
            seg->tlo = seg->tread && seg->tlo < fp->tlo ? seg->tlo : fp->tlo;
            seg->thi = seg->tread && seg->thi < fp->thi ? seg->thi : fp->thi;
            seg->tread = 1;
        }
        if (fp->tlate) seg->tread = 1, seg->tlo = seg->thi = 0;   /* its slack may come later */
    }
    *known = 1;
    return nfirst == n ? first : NULL;
}

/* The cycles decision j's segment began and ended at (the next decision, or the
** run's end); 0 when not recorded. */
static int dec_span(const xpl_por *p, uint32_t j, uint64_t *c0, uint64_t *c1) {
    assert(p && p->v && c0 && c1);
    int64_t s0 = vmm_por_decision_step(p->v, j), s1 = vmm_por_decision_step(p->v, j + 1);
    if (s0 < 0) return 0;
    *c0 = vmm_por_step_cycle(p->v, (uint32_t)s0);
    *c1 = vmm_por_step_cycle(p->v, s1 < 0 ? vmm_por_steps(p->v) : (uint32_t)s1);
    assert(*c1 >= *c0);
    return 1;
}

static uint64_t bit(uint32_t k) { return k < 64 ? 1ull << k : 0; }

/* In a bounded pass (BP-1, docs/fuzzing.md): the sleep sets follow these rules. */
static int bounded(const xpl_por *p) { return p->bound != UINT32_MAX && !p->naive; }

/* Level j's done list gets the option the run took there, with its segment and, for
** bounded passes, its cost there and next, the canonical option of decision j + 1. */
static void finalize(xpl_por *p, const eng_decision *log, uint32_t j, uint64_t next) {
    assert(p && log && j < p->nlvl && j + 1 == p->nlvl);
    xpl_por_ent e;
    uint64_t c1 = 0;
    int known;
    const uint64_t *ids = dec_ids(p, j, log[j].n, &e.fp, &known);
    e.id = ids ? ids[log[j].chosen] : 0;
    xpl_por_lvl *l = &p->lvl[j];
    l->done |= bit(log[j].chosen);
    known = known && dec_span(p, j, &e.cyc, &c1);
    e.len = c1 - e.cyc;
    e.next = next;
    e.nc = log[j].chosen != 0;
    if (e.id && known && !has_id(p->done + l->d0, l->nd, e.id) &&
        !ent_push(p, &p->done, &p->ndone, &p->cap_done, &e)) {
        l->nd++;
    }
    p->fin = j + 1;
}

/* A sleeping option e stays asleep past a segment that ended at cycle end_cyc only
** when independent of it. A clock read keeps its slack (vmm_fp_conflict_moved): in
** the explored order e ran first, so the segment ran at most e's length later (the
** inserted cycles, idle ones too; nothing runs earlier for it), and e itself, run
** after the segment instead, starts end_cyc - e's cycle later (it has slept past
** every segment since). Both bounds hold for every step of a segment. */
static int sleep_conflict(const xpl_por_ent *e, const vmm_footprint *seg, uint64_t end_cyc) {
    assert(e && seg && end_cyc >= e->cyc);
    return vmm_fp_conflict_moved(&e->fp, seg, end_cyc - e->cyc, 0, e->len);
}

/* BP-1: y, done at decision j - 1 before x was taken there, may sleep at j (ids: j's
** options) only when the order it stands for, y then x, has no more non-canonical
** decisions than x then y: y's cost at j - 1 plus x's against the canonical option
** after y, at most x's cost at j - 1 (x_nc) plus y's at j. What follows both is the
** same either way. Unknown (no identity, y not offered at j): y stays awake. */
static int swap_no_dearer(const xpl_por_ent *y, uint64_t x, uint32_t x_nc, const uint64_t *ids, uint32_t n) {
    assert(y && x_nc <= 1);
    if (!ids || !x) return 0;
    uint32_t k = 0;
    while (k < n && ids[k] != y->id) k++;
    if (k == n) return 0;
    uint32_t skipped = x_nc + (k != 0), stands_for = y->nc + (y->next != x);
    return stands_for <= skipped;
}

/* Pushes level j (j == nlvl): its sleep set from level j - 1 and j - 1's segment.
** Sleeps last one level (POR-S): only j - 1's done options sleep at j, never options
** that slept at j - 1. A step is an option plus the VMM's work up to the next choice
** point (events it made, stimuli it let through), so an option's footprint, recorded
** where it ran, stops describing it once the state has moved on; inherited sleeps
** missed outcomes of plain dfs on 13 of 171 generated scenarios
** (bench/explore/bounded_por_check.py --unbounded), one-level sleeps on none.
** In a bounded pass only the options that also pass BP-1 sleep. */
static void level_push(xpl_por *p, const eng_decision *log, uint32_t j, const uint64_t *ids_j, uint32_t n_j) {
    assert(p && j == p->nlvl);
    if (grow((void **)&p->lvl, &p->cap_lvl, j + 1, sizeof *p->lvl)) { p->err = XPL_EXIT_HOST; return; }
    xpl_por_lvl *l = &p->lvl[j];
    memset(l, 0, sizeof *l);
    l->s0 = p->nsleep;
    l->d0 = p->ndone;
    p->nlvl = j + 1;
    if (j == 0) return;
    const xpl_por_lvl *u = &p->lvl[j - 1];
    l->cost = u->cost + (log[j - 1].chosen != 0);
    vmm_footprint segv;
    const vmm_footprint *seg = &segv;
    int known;
    uint64_t c0, c1;
    const uint64_t *ids = dec_ids(p, j - 1, log[j - 1].n, &segv, &known);
    uint64_t took = ids ? ids[log[j - 1].chosen] : 0;
    if (!known || !dec_span(p, j - 1, &c0, &c1)) return;
    for (uint32_t k = 0; k < u->nd && l->ns < POR_SLEEP_MAX; k++) {
        const xpl_por_ent *e = &p->done[u->d0 + k];
        if (e->id == took || sleep_conflict(e, seg, c1)) continue;
        if (bounded(p) && !swap_no_dearer(e, took, log[j - 1].chosen != 0, ids_j, n_j)) continue;
        if (has_id(p->sleep + l->s0, l->ns, e->id)) continue;
        xpl_por_ent copy = *e;   /* the pool may move */
        if (ent_push(p, &p->sleep, &p->nsleep, &p->cap_sleep, &copy)) return;
        l->ns++;
    }
}

static int asleep(const xpl_por *p, uint32_t j, uint64_t id) {
    assert(j < p->nlvl);
    return id && has_id(p->sleep + p->lvl[j].s0, p->lvl[j].ns, id);
}

/* The chooser's advisor past the replayed prefix: the first option that does not
** sleep at this decision; all sleeping, the run is redundant from here (cut). In a
** bounded pass the same when the first awake option is beyond the bound (BP-2): the
** run takes option 0, which sleeps, and the pass left something out. */
uint32_t xpl_por_advise(void *ud, uint32_t kind, uint32_t n) {
    xpl_por *p = ud;
    assert(p && p->v && n >= 2);
    uint32_t j;
    const eng_decision *log = eng_chooser_log(vmm_chooser(p->v), &j);   /* j: this decision */
    if (p->err || j != p->nlvl || j >= XPL_POR_LEVELS_MAX) return 0;
    vmm_footprint fp;
    int known;
    const uint64_t *ids = dec_ids(p, j, n, &fp, &known);
    if (j > 0 && p->fin < j) finalize(p, log, j - 1, ids ? ids[0] : 0);
    level_push(p, log, j, ids, n);
    if (p->err) return 0;
    /* Not an order of steps but a time or a reading of the DDK: each option is a
    ** different behaviour, never a reordering, so all are explored. */
    if (kind == ENG_CHOICE_AMBIGUITY || kind == ENG_CHOICE_JITTER || kind == ENG_CHOICE_IRQ_BOUNDARY ||
        kind == ENG_CHOICE_IO_ORDER)   /* IOT-4: the handlers see another order */
        p->lvl[j].all = 1;
    if (bounded(p)) p->lvl[j].all = 1;   /* BP-3: no race analysis in a bounded pass */
    uint32_t k = 0;
    while (ids && k < n && asleep(p, j, ids[k])) k++;
    if (k > 0 && k < n && p->lvl[j].cost >= p->bound) { p->pruned = 1; k = n; }
    if (k == n) { if (p->cut > j) p->cut = j; k = 0; }
    p->lvl[j].bt |= bit(k);
    return k;
}

void xpl_por_begin(xpl_por *p, vmm_state *v, uint32_t prefix) {
    assert(p && v && prefix == p->nlvl);
    p->v = v;
    p->cut = UINT32_MAX;
    p->prefix = prefix;
    p->fin = prefix ? prefix - 1 : 0;
    p->pruned = 0;
}

/* A pass of the walk starts with no levels; bound: its bound (UINT32_MAX: none). */
void xpl_por_pass(xpl_por *p, uint32_t bound) {
    assert(p != NULL);
    p->nlvl = p->nsleep = p->ndone = 0;
    p->bound = bound;
}

/* The latest decision at or before step a (a level of the stack); -1: none. */
static int64_t dec_at_or_before(const xpl_por *p, uint32_t a) {
    assert(p && p->v);
    const uint64_t *ids;
    const vmm_footprint *fp;
    uint32_t nids;
    int32_t dec;
    for (uint32_t s = a + 1; s-- > 0 && a - s < POR_RACE_SPAN;) {
        if (vmm_por_step(p->v, s, &ids, &nids, &fp, &dec)) return -1;
        if (dec >= 0) return dec < (int32_t)p->nlvl ? dec : -1;
    }
    return -1;
}

/* Decision j's options without identity (a window's "wait"): to explore; all of
** them when its options have no identities at all. */
static void delays_add(xpl_por *p, const eng_decision *log, uint32_t j) {
    assert(p && log && j < p->nlvl);
    vmm_footprint fp;
    int known;
    const uint64_t *ids = dec_ids(p, j, log[j].n, &fp, &known);
    if (!ids) { p->lvl[j].all = 1; return; }
    for (uint32_t k = 0; k < log[j].n; k++)
        if (!ids[k] && k != log[j].chosen) {
            p->lvl[j].bt |= bit(k);
            p->lvl[j].all |= k >= 64;
        }
}

/* 1 when decision j fired windowed stimulus i at step a, and step b cannot begin
** before i's window ends (vmm_por_step_due): however long i waits, it takes effect
** before b — by its window's last cycle, or at the first step after it, whose
** window offers come before the events it dispatches (run.c). Only a stimulus
** earlier in the timeline is offered ahead of it at one step: b firing one is not
** excluded. So the wait cannot put b first. */
static int wait_futile(const xpl_por *p, const eng_decision *log, uint32_t j, uint32_t a, uint32_t b,
                       uint64_t x) {
    assert(p && log && j < p->nlvl);
    vmm_footprint fp;
    int known;
    if (log[j].kind != ENG_CHOICE_WINDOW || vmm_por_decision_step(p->v, j) != (int64_t)a) return 0;
    const uint64_t *ids = dec_ids(p, j, log[j].n, &fp, &known);
    uint64_t id = ids ? ids[log[j].chosen] : 0;
    if (VMM_POR_ID_KIND(id) != VMM_POR_ID_STIMULUS) return 0;
    uint32_t i = (uint32_t)(id & 0xFFFFFFFFu);
    if (VMM_POR_ID_KIND(x) == VMM_POR_ID_STIMULUS && (uint32_t)(x & 0xFFFFFFFFu) < i) return 0;
    uint64_t due = vmm_por_step_due(p->v, b), last = vmm_por_stim_last(p->v, i);
    return last != UINT64_MAX && due > last;
}

/* x, the option run at step b, races with step a: the latest decision at or before a
** that offered x (and took another) gets it to explore; none did, or x has no
** identity: every option of the latest decision at or before a. */
static void backtrack_add(xpl_por *p, const eng_decision *log, uint32_t a, uint32_t b, uint64_t x) {
    assert(p && log);
    int64_t last = dec_at_or_before(p, a);
    if (last < 0) return;   /* before any decision: no order to change */
    for (int64_t i = last; x && i >= 0 && last - i < POR_RACE_SPAN; i--) {
        vmm_footprint fp;
        int known;
        const uint64_t *ids = dec_ids(p, (uint32_t)i, log[i].n, &fp, &known);
        if (!ids) continue;
        for (uint32_t k = 0; k < log[i].n; k++)
            if (ids[k] == x) {
                if (k == log[i].chosen) break;   /* it ran there: an earlier instance */
                p->lvl[i].bt |= bit(k);
                p->lvl[i].all |= k >= 64;
                return;
            }
    }
    /* Not offered before: a queued event or a windowed stimulus is not yet due, so
    ** the later step cannot come first — but the earlier one may wait (a window's
    ** "wait", an option without identity). Anything else may have been held back by
    ** a state only another order changes: every option. */
    if (x && (VMM_POR_ID_KIND(x) == VMM_POR_ID_SEQ || VMM_POR_ID_KIND(x) == VMM_POR_ID_STIMULUS)) {
        if (!wait_futile(p, log, (uint32_t)last, a, b, x)) delays_add(p, log, (uint32_t)last);
        return;
    }
    p->lvl[last].all = 1;
}

/* 1 when x is a handle that step a handed out (an event a scheduled): the step that
** runs it cannot come before a in any order. */
static int made_by(const xpl_por *p, uint32_t a, uint64_t x) {
    assert(p && p->v);
    if (!x || x > 0xFFFFFFFFull || (x & VMM_H_TAG_MASK) == 0) return 0;
    uint32_t serial = (uint32_t)x & ~VMM_H_TAG_MASK, before = vmm_por_step_serial_before(p->v, a);
    return serial > before && serial <= vmm_por_step_serial(p->v, a);
}

/* The identity of what ran at step s (its decision's chosen option, or its one). */
static uint64_t step_ran(const xpl_por *p, const eng_decision *log, uint32_t nlog, uint32_t s,
                         const vmm_footprint **fp) {
    assert(p && p->v && log && fp);
    const uint64_t *ids;
    uint32_t nids;
    int32_t dec;
    if (vmm_por_step(p->v, s, &ids, &nids, fp, &dec)) { *fp = NULL; return 0; }
    if (dec < 0) return nids == 1 ? ids[0] : 0;
    if ((uint32_t)dec >= nlog || nids != log[dec].n) return 0;
    return ids[log[dec].chosen];
}

/* The races of the finished run: every pair of conflicting steps (a < b) that ran
** different options, b at or after the run's branch (earlier pairs were seen). For
** clock reads with slack, b run before a starts at most cb - ca earlier, and never
** before its due cycle (a timer tick's, a timeline stimulus's: vmm_por_step_due); a then
** starts at most that plus b's busy cycles later (a wait for b to fall due counts
** too), and b itself at most the busy cycles of a..b-1 later (work moved past an
** idle gap). Idle gaps do not move: they end at an event's fixed time. */
static void races(xpl_por *p, const eng_decision *log, uint32_t nlog) {
    assert(p && log);
    int64_t b0 = p->prefix ? vmm_por_decision_step(p->v, p->prefix - 1) : 0;
    uint32_t ns = vmm_por_steps(p->v);
    for (uint32_t b = b0 < 0 ? 0 : (uint32_t)b0; b < ns; b++) {
        const vmm_footprint *fb, *fa;
        uint64_t x = step_ran(p, log, nlog, b, &fb);
        if (!fb) continue;
        uint64_t cb = vmm_por_step_cycle(p->v, b), bb = vmm_por_step_busy(p->v, b), work = 0;
        uint64_t due = vmm_por_step_due(p->v, b);   /* b never begins before it */
        for (uint32_t a = b; a-- > 0 && b - a <= POR_RACE_SPAN;) {
            uint64_t y = step_ran(p, log, nlog, a, &fa), ca = vmm_por_step_cycle(p->v, a);
            uint64_t b_earlier = cb - (due > ca ? due : ca);
            work += vmm_por_step_busy(p->v, a);
            if (!fa || (x && x == y)) continue;
            if (!vmm_fp_conflict_moved(fa, fb, (cb - ca) + bb, b_earlier, work)) continue;
            if (made_by(p, a, x)) continue;   /* b runs what a made: never before it */
            backtrack_add(p, log, a, b, x);
        }
    }
}

/* After the run: the last level's done entry, then the races it shows. */
void xpl_por_end(xpl_por *p) {
    assert(p && p->v);
    uint32_t nlog;
    const eng_decision *log = eng_chooser_log(vmm_chooser(p->v), &nlog);
    if (p->nlvl > 0 && p->fin < p->nlvl && p->nlvl <= nlog) finalize(p, log, p->nlvl - 1, 0);
    if (!p->err && !bounded(p)) races(p, log, nlog);   /* BP-3 */
}

/* The next option to explore at decision j of the finished run: in its backtrack
** set, not done, not asleep. n when none. */
uint32_t xpl_por_next_option(const xpl_por *p, const eng_decision *log, uint32_t j) {
    assert(p && log && j < p->nlvl);
    vmm_footprint fp;
    int known;
    const uint64_t *ids = dec_ids(p, j, log[j].n, &fp, &known);
    const xpl_por_lvl *l = &p->lvl[j];
    for (uint32_t k = 0; k < log[j].n; k++) {
        if (k < 64 && (l->done & bit(k))) continue;
        if (k >= 64 && k <= log[j].chosen) continue;   /* beyond the masks: in order */
        if (!l->all && !(l->bt & bit(k))) continue;
        if (ids && (asleep(p, j, ids[k]) || (ids[k] && has_id(p->done + l->d0, l->nd, ids[k]))))
            continue;
        return k;
    }
    return log[j].n;
}

/* The walk branches at decision j: levels above it go. */
void xpl_por_truncate(xpl_por *p, uint32_t j) {
    assert(p && j < p->nlvl);
    p->nlvl = j + 1;
    p->nsleep = p->lvl[j].s0 + p->lvl[j].ns;
    p->ndone = p->lvl[j].d0 + p->lvl[j].nd;
}
