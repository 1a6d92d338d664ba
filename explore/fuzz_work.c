/*
** fuzz_work.c — the campaign's runs, on libuv's worker threads. Each worker owns a
** machine built from the shared, read-only loaded scenario (assembled once); a run is
** vmm_reset (restores only dirtied pages) + a seeded chooser + vmm_run + the
** scenario's expectations. A run depends only on its seed, never on which worker ran it.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "xpl_fuzz.h"
#include "vmm/vmm_trace.h"

uint32_t xpl_fz_noncanonical(const eng_decision *d, uint32_t n) {
    assert(d || n == 0);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) k += d[i].chosen != 0;
    return k;
}

/* Shard I/N takes the runs i = I, I+N, I+2N…: disjoint, and derived from (I, N) only. */
uint64_t xpl_fz_run_index(const xpl_fz_opts *o, uint64_t j) {
    assert(o->shard_n >= 1 && o->shard_i < o->shard_n);
    return j * o->shard_n + o->shard_i;
}

int xpl_fz_workers_open(xpl_fz_campaign *cp, FILE *err) {
    assert(cp->o.jobs >= 1 && cp->o.jobs <= XPL_FZ_JOBS_MAX);
    cp->w = calloc(cp->o.jobs, sizeof *cp->w);
    if (!cp->w) return XPL_EXIT_HOST;
    for (uint32_t i = 0; i < cp->o.jobs; i++) {
        int verr = 0;
        char msg[256] = "";
        cp->w[i].sim = *cp->c0;      /* shares the scenario; its own machine below */
        cp->w[i].sim.v = vmm_new(&cp->c0->s.vs, &verr, msg, sizeof msg);
        if (!cp->w[i].sim.v) {
            fprintf(err, "vmmsim fuzz: cannot build a machine: %s %s\n", vmm_strerror(verr), msg);
            return XPL_EXIT_HOST;
        }
        /* dfs walks a window by the VMM steps it spans (docs/fuzzing.md, "Window steps") */
        unsigned ex = (cp->o.strat == ENG_STRAT_DFS && !cp->o.window_cycles ? VMM_EXPLORE_WINDOW_STEPS : 0)
                      | (cp->o.por ? VMM_EXPLORE_FOOTPRINT : 0);
        if (vmm_set_explore(cp->w[i].sim.v, ex)) {
            fprintf(err, "vmmsim fuzz: out of memory (footprint tables)\n");
            return XPL_EXIT_HOST;
        }
        cp->w[i].sim.explore = vmm_explore(cp->w[i].sim.v) & VMM_EXPLORE_WINDOW_STEPS;
        if (cp->o.por) xpl_por_observe(cp->w[i].sim.v, &cp->c0->s);
        cp->nw++;
    }
    return 0;
}

void xpl_fz_workers_close(xpl_fz_campaign *cp) {
    assert(cp && cp->nw <= cp->o.jobs);
    for (uint32_t i = 0; i < cp->nw; i++) vmm_free(cp->w[i].sim.v);
    free(cp->w);
    cp->w = NULL;
    cp->nw = 0;
}

/* Run `run`'s plan: its seed (eng_run_seed), or dfs's next prefix. */
static void chooser_set(xpl_fz_campaign *cp, eng_chooser *ch, uint64_t seed) {
    assert(cp && ch && (cp->o.strat != ENG_STRAT_DFS || cp->dfs_n <= cp->dfs_cap));
    eng_plan p = { .strategy = cp->o.strat, .seed = seed, .depth = cp->o.depth,
                   .steps = cp->pct_steps, .list = cp->dfs, .n = cp->dfs_n, .pct_by = cp->o.pct_by,
                   .canon_kinds = cp->o.swarm ? eng_swarm_mask(seed) : 0,
                   .advise = cp->o.por ? xpl_por_advise : NULL, .advise_ud = &cp->por };
    eng_chooser_plan(ch, &p);
}

static int write_failure(xpl_fz_campaign *cp, xpl_sim *c, const xpl_fz_fail *f) {
    assert(cp && cp->o.out && c && c->v && f && f->v.failed);
    char path[SCEN_PATH_MAX + 64], run_line[160];
    const eng_chooser *ch = vmm_chooser(c->v);
    xpl_sched s;
    memset(&s, 0, sizeof s);
    s.scen_hash = cp->scen_hash;
    snprintf(s.strategy, sizeof s.strategy, "%s", eng_strategy_name(cp->o.strat));
    s.seed = f->seed;
    s.depth = cp->o.strat == ENG_STRAT_PCT ? cp->o.depth : 0;
    s.trace_hash = f->thash;
    s.explore = vmm_explore(c->v) & VMM_EXPLORE_WINDOW_STEPS;   /* footprints change nothing */
    snprintf(s.failure, sizeof s.failure, "%s", f->v.sig);
    uint32_t nlog;
    const eng_decision *log = eng_chooser_log(ch, &nlog);
    if (xpl_sched_set(&s, log, nlog)) return XPL_EXIT_HOST;
    snprintf(path, sizeof path, "%s/run-%08llu.schedule", cp->o.out, (unsigned long long)f->run);
    int rc = xpl_sched_write(&s, path, stderr);
    xpl_sched_free(&s);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/run-%08llu.trace", cp->o.out, (unsigned long long)f->run);
    if (cp->o.strat != ENG_STRAT_RANDOM)
        snprintf(run_line, sizeof run_line, "# schedule: run-%08llu.schedule strategy=%s seed=%llu",
                 (unsigned long long)f->run, eng_strategy_name(cp->o.strat), (unsigned long long)f->seed);
    else
        snprintf(run_line, sizeof run_line, "# run: strategy=random seed=%llu", (unsigned long long)f->seed);
    xpl_afile af;
    FILE *t = xpl_afile_open(&af, path);
    if (!t) { fprintf(stderr, "vmmsim fuzz: %s: cannot write\n", path); return XPL_EXIT_HOST; }
    xpl_run_write(c, t, run_line, 1);
    if (xpl_afile_commit(&af)) { fprintf(stderr, "vmmsim fuzz: %s: write error\n", path); return XPL_EXIT_HOST; }
    return 0;
}

/* Determinism self-check: the run's decisions replayed must give the same trace hash.
** Leaves the machine in the replayed run's state. 1 when they differ. */
static int self_check(xpl_sim *c, xpl_fz_chunk *ch) {
    assert(c && c->v && ch);
    eng_chooser *chs = vmm_chooser(c->v);
    uint64_t h1 = vmm_trace(c->v)->hash;
    uint32_t n;
    const eng_decision *log = eng_chooser_log(chs, &n);
    eng_decision *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) { ch->err = XPL_EXIT_HOST; return 0; }
    memcpy(copy, log, n * sizeof *copy);
    int was_overflow = eng_chooser_overflow(chs) != 0;
    vmm_reset(c->v);
    eng_chooser_replay(chs, copy, n);
    int rc = vmm_run(c->v);
    int differ = !was_overflow && (vmm_trace(c->v)->hash != h1 || rc != c->run_rc);
    /* The log is the replayed run's; the chooser must not keep pointing at the copy. */
    eng_chooser_replay_drop(chs);
    free(copy);
    c->run_rc = rc;
    return differ;
}

/* The callback address of the run's first FINDING record (0: none): with the
** failure tokens it is the failure's signature (fuzz_sig.c). */
static uint32_t first_finding_cb(xpl_sim *c) {
    const eng_trace *t = vmm_trace(c->v);
    assert(t && t->len <= t->cap);
    for (uint32_t i = 0; t->rec && i < t->len; i++)
        if (t->rec[i].type == VMM_REC_FINDING) return (uint32_t)t->rec[i].args[2];
    return 0;
}

void xpl_fz_one_run(xpl_fz_campaign *cp, xpl_sim *c, xpl_fz_chunk *ch, uint32_t k) {
    assert(cp && c && c->v && ch && k < ch->nrun && ch->nrun <= XPL_FZ_CHUNK_RUNS);
    uint64_t run = xpl_fz_run_index(&cp->o, ch->j0 + k);
    uint64_t seed = cp->o.strat == ENG_STRAT_DFS ? 0 : eng_run_seed(cp->o.seed, run);
    eng_chooser *chs = vmm_chooser(c->v);
    vmm_reset(c->v);
    chooser_set(cp, chs, seed);
    c->run_rc = vmm_run(c->v);
    uint32_t nlog;
    const eng_decision *log = eng_chooser_log(chs, &nlog);
    ch->dhash[k] = XXH64(log, nlog * sizeof log[0], eng_chooser_overflow(chs));
    /* dfs --deepen: a run of an earlier pass again; its failure was reported then */
    if (cp->o.strat == ENG_STRAT_DFS && xpl_fz_noncanonical(log, nlog) < cp->rerun_below) return;
    xpl_fz_cov_take(c, ch, k);
    int nondet = cp->o.self_check ? self_check(c, ch) : 0;
    xpl_verdict v;
    if (xpl_verdict_get(c, &v)) { ch->err = XPL_EXIT_HOST; return; }
    if (nondet) {
        v.failed = 1;
        snprintf(v.sig + strlen(v.sig), sizeof v.sig - strlen(v.sig), "%serror:nondeterministic",
                 v.sig[0] ? "," : "");
        if (!v.first[0]) snprintf(v.first, sizeof v.first, "replaying the run's decisions gave another trace hash");
    }
    if (!v.failed) return;
    if (ch->nfail == ch->capfail) {
        uint32_t nc = ch->capfail ? ch->capfail * 2 : 4;
        xpl_fz_fail *nf = realloc(ch->fail, nc * sizeof *nf);
        if (!nf) { ch->err = XPL_EXIT_HOST; return; }
        ch->fail = nf;
        ch->capfail = nc;
    }
    xpl_fz_fail *f = &ch->fail[ch->nfail++];
    f->run = run;
    f->seed = seed;
    f->dhash = ch->dhash[k];
    f->thash = vmm_trace(c->v)->hash;
    f->ndec = nlog;
    f->nnc = 0;
    for (uint32_t i = 0; i < nlog; i++) f->nnc += log[i].chosen != 0;
    f->cb = first_finding_cb(c);
    f->v = v;
    if (cp->o.out && write_failure(cp, c, f)) ch->err = XPL_EXIT_HOST;
}

void xpl_fz_chunk_work(uv_work_t *req) {
    xpl_fz_chunk *ch = req->data;
    xpl_fz_campaign *cp = ch->cp;
    xpl_fz_worker *w = NULL;
    uv_mutex_lock(&cp->lock);
    for (uint32_t i = 0; i < cp->nw && !w; i++)
        if (!cp->w[i].busy) { w = &cp->w[i]; w->busy = 1; }
    uv_mutex_unlock(&cp->lock);
    assert(w != NULL);   /* no more work items run at once than threads = workers */
    if (!w) { ch->err = XPL_EXIT_HOST; return; }
    for (uint32_t k = 0; k < ch->nrun && !ch->err; k++) xpl_fz_one_run(cp, &w->sim, ch, k);
    uv_mutex_lock(&cp->lock);
    w->busy = 0;
    uv_mutex_unlock(&cp->lock);
}
