/*
** fuzz_cov.c — a campaign's coverage (docs/fuzzing.md, "Coverage"): distinct
** schedules (decision lists), distinct traces (trace hashes), distinct callback
** orders (the callbacks entered, by first entry: the run's behaviour, whatever the
** cycles), the (kind, rank) pairs decisions took, and the callback pairs seen in
** both orders. Each run's share is
** taken on its worker (xpl_fz_cov_take) and counted on the loop thread in run order
** (xpl_fz_cov_count), so the counts depend only on the runs, never on --jobs.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xpl_fuzz.h"
#include "vmm/vmm_trace.h"

static int hset_grow(xpl_fz_hset *s) {
    assert(s && (s->cap & (s->cap - 1)) == 0);
    uint64_t nc = s->cap ? s->cap * 2 : 4096;
    if (nc > XPL_FZ_DISTINCT_MAX) return -1;
    uint64_t *nt = calloc(nc, sizeof *nt);
    if (!nt) return -1;
    for (uint64_t i = 0; i < s->cap; i++) {
        uint64_t h = s->t[i];
        if (!h) continue;
        uint64_t j = h & (nc - 1);
        while (nt[j]) j = (j + 1) & (nc - 1);
        nt[j] = h;
    }
    free(s->t);
    s->t = nt;
    s->cap = nc;
    return 0;
}

/* Open addressing, load <= 1/2; a hash 0 is stored as 1. When the table cannot
** grow the set is full: the count stops there (reported as a lower bound).
** 1 when h is new, 0 when it was there or the set is full. */
int xpl_fz_hset_add(xpl_fz_hset *s, uint64_t h) {
    assert(s && s->n <= s->cap);
    h = h ? h : 1;
    if ((s->n + 1) * 2 > s->cap && hset_grow(s)) { s->full = 1; return 0; }
    uint64_t j = h & (s->cap - 1);
    for (uint64_t probes = 0; probes < s->cap; probes++, j = (j + 1) & (s->cap - 1)) {
        if (s->t[j] == h) return 0;
        if (!s->t[j]) { s->t[j] = h; s->n++; return 1; }
    }
    assert(0);
    return 0;
}

int xpl_fz_hset_has(const xpl_fz_hset *s, uint64_t h) {
    assert(s && s->n <= s->cap);
    h = h ? h : 1;
    if (!s->cap) return 0;
    uint64_t j = h & (s->cap - 1);
    for (uint64_t probes = 0; probes < s->cap && s->t[j]; probes++, j = (j + 1) & (s->cap - 1))
        if (s->t[j] == h) return 1;
    return 0;
}

void xpl_fz_hset_free(xpl_fz_hset *s) {
    assert(s);
    free(s->t);
    memset(s, 0, sizeof *s);
}

/* The run's share, on its worker: its trace hash, the (kind, rank) pairs of its
** decisions (ranks above 63 as 63), and the distinct callbacks it entered, in the
** order of their first entries (the first XPL_FZ_COV_CBS; control calls, which
** always run in one order, left out). */
void xpl_fz_cov_take(xpl_sim *c, xpl_fz_chunk *ch, uint32_t k) {
    assert(c && c->v && ch && k < XPL_FZ_CHUNK_RUNS);
    xpl_fz_runcov *rc = &ch->cov[k];
    const eng_trace *t = vmm_trace(c->v);
    uint32_t nlog;
    const eng_decision *log = eng_chooser_log(vmm_chooser(c->v), &nlog);
    memset(rc, 0, sizeof *rc);
    rc->thash = t->hash;
    for (uint32_t i = 0; i < nlog; i++)
        if (log[i].kind < ENG_CHOICE_KIND_COUNT)
            rc->kr[log[i].kind] |= 1ull << (log[i].chosen < 63 ? log[i].chosen : 63);
    for (uint32_t i = 0; t->rec && i < t->len && rc->ncb < XPL_FZ_COV_CBS; i++) {
        const eng_record *r = &t->rec[i];
        if (r->type != VMM_REC_CB_ENTER || (r->args[0] & 0xFF) == VMM_CB_CONTROL) continue;
        uint32_t a = (uint32_t)r->args[1], j = 0;
        while (j < rc->ncb && rc->cb[j] != a) j++;
        if (j == rc->ncb) rc->cb[rc->ncb++] = a;
    }
}

static uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

/* The run's callback pairs, when its first-entry order is new: a pair (a, b) seen
** for the first time counts as seen in both orders when (b, a) was seen before. */
static void count_pairs(xpl_fz_campaign *cp, const xpl_fz_runcov *rc) {
    assert(cp && rc && rc->ncb <= XPL_FZ_COV_CBS);
    if (!xpl_fz_hset_add(&cp->cov.orders, XXH64(rc->cb, rc->ncb * sizeof rc->cb[0], 0))) return;
    for (uint32_t i = 0; i < rc->ncb; i++)
        for (uint32_t j = i + 1; j < rc->ncb; j++)
            if (xpl_fz_hset_add(&cp->cov.pairs, pair_key(rc->cb[i], rc->cb[j])) &&
                xpl_fz_hset_has(&cp->cov.pairs, pair_key(rc->cb[j], rc->cb[i])))
                cp->cov.both_orders++;
}

/* Counts runs [0, nrun) of a chunk, in run order; then the coverage log's line. */
void xpl_fz_cov_count(xpl_fz_campaign *cp, const xpl_fz_chunk *ch, uint32_t nrun) {
    assert(cp && ch && nrun <= ch->nrun);
    for (uint32_t k = 0; k < nrun; k++) {
        const xpl_fz_runcov *rc = &ch->cov[k];
        xpl_fz_hset_add(&cp->cov.traces, rc->thash);
        for (uint32_t kind = 0; kind < ENG_CHOICE_KIND_COUNT; kind++) {
            uint64_t fresh = rc->kr[kind] & ~cp->cov.kr[kind];
            cp->cov.kr[kind] |= fresh;
            cp->cov.kind_rank += (uint64_t)__builtin_popcountll(fresh);
        }
        count_pairs(cp, rc);
    }
    if (cp->cov_log)
        fprintf(cp->cov_log, "%llu %llu %llu %llu %llu %llu\n", (unsigned long long)(cp->done + nrun),
                (unsigned long long)cp->sched.n, (unsigned long long)cp->cov.traces.n,
                (unsigned long long)cp->cov.kind_rank, (unsigned long long)cp->cov.both_orders,
                (unsigned long long)cp->cov.orders.n);
}

void xpl_fz_cov_json(const xpl_fz_campaign *cp, FILE *f) {
    assert(cp && f);
    fprintf(f, "\"coverage\":{\"distinct_schedules\":%llu,\"distinct_traces\":%llu,"
            "\"distinct_traces_exact\":%s,\"distinct_callback_orders\":%llu,\"kind_rank_pairs\":%llu,"
            "\"callback_pairs\":%llu,\"callback_pairs_both_orders\":%llu},",
            (unsigned long long)cp->sched.n, (unsigned long long)cp->cov.traces.n,
            cp->cov.traces.full ? "false" : "true", (unsigned long long)cp->cov.orders.n,
            (unsigned long long)cp->cov.kind_rank, (unsigned long long)cp->cov.pairs.n,
            (unsigned long long)cp->cov.both_orders);
}

void xpl_fz_cov_free(xpl_fz_campaign *cp) {
    assert(cp);
    xpl_fz_hset_free(&cp->sched);
    xpl_fz_hset_free(&cp->cov.traces);
    xpl_fz_hset_free(&cp->cov.orders);
    xpl_fz_hset_free(&cp->cov.pairs);
}
