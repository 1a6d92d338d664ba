/*
** fuzz_dfs.c — `vmmsim fuzz --strategy dfs`: a stateless depth-first walk of the
** decision tree (docs/fuzzing.md, "dfs"). Each run replays a prefix of decisions and continues
** canonically; the next prefix is the run's log up to its last decision (within
** --bound) that has an untried option, with that option taken. When no such decision
** is left, every schedule of the bounded tree has run: the tree is covered. The walk
** is sequential (each run's successor depends on its log), on one worker.
**
** --deepen walks the tree in passes with a growing bound b = 0, 1, 2, ... on the
** number of non-canonical decisions of a schedule (delay bounding): pass b runs every
** schedule with at most b of them. A pass that left no branch out covered the tree.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "xpl_fuzz.h"

#define DFS_DELAYS_NONE UINT32_MAX

static int prefix_set(xpl_fz_campaign *cp, const eng_decision *log, uint32_t j, uint32_t k) {
    assert(cp && log && j >= 1 && k < log[j - 1].n);
    if (j > cp->dfs_cap) {
        eng_decision *nd = realloc(cp->dfs, j * sizeof *nd);
        if (!nd) { cp->err = XPL_EXIT_HOST; return 0; }
        cp->dfs = nd;
        cp->dfs_cap = j;
    }
    memcpy(cp->dfs, log, j * sizeof *cp->dfs);
    cp->dfs[j - 1].chosen = k;
    cp->dfs_n = j;
    return 1;
}

/* The next prefix from the finished run's log; 0 when the (bounded) tree is exhausted.
** Taking another option at decision j makes it non-canonical: the prefix then has the
** non-canonical decisions before j, plus one; beyond the pass's bound it is left out. */
static int dfs_next(xpl_fz_campaign *cp, const eng_chooser *ch) {
    assert(cp && ch && cp->dfs_n <= cp->dfs_cap);
    uint32_t lim;
    const eng_decision *log = eng_chooser_log(ch, &lim);
    if (cp->o.bound && cp->o.bound < lim) lim = cp->o.bound;
    if (cp->o.por) {   /* levels below the cut only; a level per decision (fuzz_por.c) */
        if (cp->por.cut < lim) lim = cp->por.cut;
        /* Decisions past XPL_POR_LEVELS_MAX have no level and are not branched: a
        ** bounded pass then does not claim its bound (BP-2). */
        if (cp->por.nlvl < lim) { lim = cp->por.nlvl; cp->pruned |= cp->delays != DFS_DELAYS_NONE; }
    }
    uint32_t before = xpl_fz_noncanonical(log, lim);   /* non-canonical in log[0, j) */
    for (uint32_t j = lim; j > 0; j--) {
        before -= log[j - 1].chosen != 0;
        uint32_t k = cp->o.por ? xpl_por_next_option(&cp->por, log, j - 1) : log[j - 1].chosen + 1;
        if (k >= log[j - 1].n) continue;
        if (cp->delays != DFS_DELAYS_NONE && before + 1 > cp->delays) { cp->pruned = 1; continue; }
        if (cp->o.por) xpl_por_truncate(&cp->por, j - 1);
        return prefix_set(cp, log, j, k);
    }
    return 0;
}

/* The distinct outcomes of the walk's runs (vmm_outcome_hash): open addressing, the
** table doubled at half full; a hash 0 is stored as 1. */
static void outcome_add(xpl_fz_campaign *cp, uint64_t h) {
    assert(cp && cp->outcomes <= cp->outc_cap / 2);
    if (cp->outcomes * 2 >= cp->outc_cap) {
        uint64_t nc = cp->outc_cap ? cp->outc_cap * 2 : 1024, *nt = calloc(nc, sizeof *nt);
        if (!nt) { cp->err = XPL_EXIT_HOST; return; }
        for (uint64_t i = 0; i < cp->outc_cap; i++) {
            if (!cp->outc[i]) continue;
            uint64_t s = cp->outc[i] & (nc - 1);
            while (nt[s]) s = (s + 1) & (nc - 1);
            nt[s] = cp->outc[i];
        }
        free(cp->outc);
        cp->outc = nt;
        cp->outc_cap = nc;
    }
    h = h ? h : 1;
    uint64_t s = h & (cp->outc_cap - 1);
    while (cp->outc[s] && cp->outc[s] != h) s = (s + 1) & (cp->outc_cap - 1);
    if (!cp->outc[s]) { cp->outc[s] = h; cp->outcomes++; }
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* --out DIR: the distinct outcomes' hashes, sorted, a line each ("0x..."), so that two
** walks' outcome sets compare (harness/test_search.py). */
static int outcomes_write(xpl_fz_campaign *cp) {
    assert(cp && cp->o.out && cp->outcomes <= cp->outc_cap);
    uint64_t *v = malloc((cp->outcomes ? cp->outcomes : 1) * sizeof *v), n = 0;
    if (!v) return XPL_EXIT_HOST;
    for (uint64_t i = 0; i < cp->outc_cap; i++) if (cp->outc[i]) v[n++] = cp->outc[i];
    assert(n == cp->outcomes);
    qsort(v, n, sizeof *v, u64_cmp);
    char path[SCEN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" XPL_FZ_OUTCOMES_FILE, cp->o.out);
    xpl_afile af;
    FILE *f = xpl_afile_open(&af, path);
    int rc = 0;
    if (!f) rc = XPL_EXIT_HOST;
    for (uint64_t i = 0; f && i < n; i++) fprintf(f, "0x%016llx\n", (unsigned long long)v[i]);
    if (f && xpl_afile_commit(&af)) rc = XPL_EXIT_HOST;
    if (rc) fprintf(stderr, "vmmsim fuzz: %s: cannot write\n", path);
    free(v);
    return rc;
}

/* One pass of the walk: from the canonical run until the tree (within the pass's
** bound) is exhausted, the runs are spent or the campaign stops. 1 when exhausted. */
static int dfs_pass(xpl_fz_campaign *cp, xpl_fz_chunk *ch, uint64_t *i) {
    assert(cp && ch && i);
    xpl_sim *c = &cp->w[0].sim;
    cp->dfs_n = 0;
    cp->pruned = 0;
    for (; *i < cp->o.runs && !cp->stop && !cp->err; ) {
        memset(ch, 0, offsetof(xpl_fz_chunk, fail));
        ch->nfail = 0;
        ch->cp = cp;
        ch->index = *i;
        ch->j0 = *i;
        ch->nrun = 1;
        if (cp->o.por) xpl_por_begin(&cp->por, c->v, cp->dfs_n);
        xpl_fz_one_run(cp, c, ch, 0);
        if (cp->o.por) xpl_por_end(&cp->por);
        if (cp->por.err) cp->err = cp->por.err;
        cp->pruned |= cp->por.pruned;   /* BP-2: an awake option beyond the bound */
        if (cp->o.por || cp->o.outcomes) outcome_add(cp, vmm_outcome_hash(c->v));
        if (ch->err) cp->err = ch->err;
        xpl_fz_emit_chunk(cp, ch);
        (*i)++;
        if (!dfs_next(cp, vmm_chooser(c->v)))
            return !cp->err && !eng_chooser_overflow(vmm_chooser(c->v));
        if (cp->o.time_s > 0 && (double)(uv_hrtime() - cp->t0_ns) / 1e9 >= cp->o.time_s) cp->stop = 1;
        uv_run(&cp->loop, UV_RUN_NOWAIT);   /* deliver a pending Ctrl-C */
    }
    return 0;
}

/* Passes with bound 0, 1, ... (--deepen), or one unbounded pass. A pass repeats the
** runs of the earlier ones (their logs lead to the new schedules); their failures were
** reported then and are not again (rerun_below). */
static void dfs_walk(xpl_fz_campaign *cp, xpl_fz_chunk *ch) {
    assert(cp && ch && cp->nw == 1);
    uint64_t i = 0;
    uint32_t last = cp->o.max_delays < DFS_DELAYS_NONE ? cp->o.max_delays : DFS_DELAYS_NONE - 1;
    cp->delays_covered = -1;
    cp->rerun_below = 0;
    cp->por.naive = cp->o.por_naive;
    for (uint32_t b = cp->o.deepen ? 0 : DFS_DELAYS_NONE; ; b++) {
        cp->delays = b;
        if (cp->o.por) xpl_por_pass(&cp->por, b);
        int done = dfs_pass(cp, ch, &i);
        if (!done) return;
        if (!cp->pruned) { cp->covered = 1; cp->delays_covered = b == DFS_DELAYS_NONE ? -1 : (int64_t)b; return; }
        cp->delays_covered = b;
        if (b >= last) return;
        cp->rerun_below = b + 1;
    }
}

int xpl_fz_dfs_campaign(xpl_fz_campaign *cp) {
    assert(cp && cp->nw == 1 && cp->o.strat == ENG_STRAT_DFS);
    xpl_fz_chunk *ch = calloc(1, sizeof *ch);
    if (!ch || uv_loop_init(&cp->loop)) { free(ch); return XPL_EXIT_HOST; }
    xpl_fz_signals_start(cp);
    /* The walk runs on this thread with no work items to keep the loop alive, and a
    ** loop with only unreferenced handles is not polled by UV_RUN_NOWAIT: the signal
    ** handles hold it alive here, or Ctrl-C would never reach dfs_pass. */
    for (int k = 0; k < XPL_FZ_STOP_SIGNALS; k++) uv_ref((uv_handle_t *)&cp->sig[k]);
    cp->t0_ns = uv_hrtime();
    dfs_walk(cp, ch);
    if (!cp->err && cp->o.out && (cp->o.por || cp->o.outcomes)) cp->err = outcomes_write(cp);
    xpl_fz_signals_close(cp);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    uv_loop_close(&cp->loop);
    free(ch->fail);
    free(ch);
    free(cp->outc);
    cp->outc = NULL;
    xpl_por_free(&cp->por);
    return cp->err;
}
