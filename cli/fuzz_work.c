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

#include "fuzz.h"
#include "afile.h"

/* Run i's seed: a SplitMix64 step from the campaign seed and i, so seeds are spread
** over 64 bits and each run's is known without running the others. */
uint64_t fz_run_seed(uint64_t seed, uint64_t run) {
    uint64_t st = seed ^ (run * 0xd6e8feb86659fd93ull);
    return eng_splitmix64(&st);
}

/* Shard I/N takes the runs i = I, I+N, I+2N…: disjoint, and derived from (I, N) only. */
uint64_t fz_run_index(const fz_opts *o, uint64_t j) {
    assert(o->shard_n >= 1 && o->shard_i < o->shard_n);
    return j * o->shard_n + o->shard_i;
}

int fz_workers_open(fz_campaign *cp, FILE *err) {
    assert(cp->o.jobs >= 1 && cp->o.jobs <= FZ_JOBS_MAX);
    cp->w = calloc(cp->o.jobs, sizeof *cp->w);
    if (!cp->w) return CLI_EXIT_HOST;
    for (uint32_t i = 0; i < cp->o.jobs; i++) {
        int verr = 0;
        char msg[256] = "";
        cp->w[i].sim = *cp->c0;      /* shares the scenario; its own machine below */
        cp->w[i].sim.v = vmm_new(&cp->c0->s.vs, &verr, msg, sizeof msg);
        if (!cp->w[i].sim.v) {
            fprintf(err, "vmmsim fuzz: cannot build a machine: %s %s\n", vmm_strerror(verr), msg);
            return CLI_EXIT_HOST;
        }
        cp->nw++;
    }
    return 0;
}

void fz_workers_close(fz_campaign *cp) {
    for (uint32_t i = 0; i < cp->nw; i++) vmm_free(cp->w[i].sim.v);
    free(cp->w);
    cp->w = NULL;
    cp->nw = 0;
}

static void chooser_set(const fz_campaign *cp, eng_chooser *ch, uint64_t seed) {
    if (cp->o.strat == FZ_PCT) eng_chooser_pct(ch, seed, cp->o.depth, cp->pct_steps);
    else if (cp->o.strat == FZ_DFS) eng_chooser_replay(ch, cp->dfs, cp->dfs_n);
    else eng_chooser_random(ch, seed);
}

static int write_failure(fz_campaign *cp, cli_sim *c, const fz_fail *f) {
    char path[SCEN_PATH_MAX + 64], run_line[160];
    const eng_chooser *ch = vmm_chooser(c->v);
    cli_sched s;
    memset(&s, 0, sizeof s);
    s.scen_hash = cp->scen_hash;
    snprintf(s.strategy, sizeof s.strategy, "%s", fz_strategy_name(cp->o.strat));
    s.seed = f->seed;
    s.depth = cp->o.strat == FZ_PCT ? cp->o.depth : 0;
    s.trace_hash = f->thash;
    snprintf(s.failure, sizeof s.failure, "%s", f->v.sig);
    if (cli_sched_set(&s, ch->log, ch->log_len)) return CLI_EXIT_HOST;
    snprintf(path, sizeof path, "%s/run-%08llu.schedule", cp->o.out, (unsigned long long)f->run);
    int rc = cli_sched_write(&s, path, stderr);
    cli_sched_free(&s);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/run-%08llu.trace", cp->o.out, (unsigned long long)f->run);
    if (cp->o.strat != FZ_RANDOM)
        snprintf(run_line, sizeof run_line, "# schedule: run-%08llu.schedule strategy=%s seed=%llu",
                 (unsigned long long)f->run, fz_strategy_name(cp->o.strat), (unsigned long long)f->seed);
    else
        snprintf(run_line, sizeof run_line, "# run: strategy=random seed=%llu", (unsigned long long)f->seed);
    cli_afile af;
    FILE *t = cli_afile_open(&af, path);
    if (!t) { fprintf(stderr, "vmmsim fuzz: %s: cannot write\n", path); return CLI_EXIT_HOST; }
    cli_run_write(c, t, run_line, 1);
    if (cli_afile_commit(&af)) { fprintf(stderr, "vmmsim fuzz: %s: write error\n", path); return CLI_EXIT_HOST; }
    return 0;
}

/* Determinism self-check: the run's decisions replayed must give the same trace hash.
** Leaves the machine in the replayed run's state. 1 when they differ. */
static int self_check(cli_sim *c, fz_chunk *ch) {
    eng_chooser *chs = vmm_chooser(c->v);
    uint64_t h1 = vmm_trace(c->v)->hash;
    uint32_t n = chs->log_len;
    eng_decision *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) { ch->err = CLI_EXIT_HOST; return 0; }
    memcpy(copy, chs->log, n * sizeof *copy);
    int was_overflow = chs->log_overflow != 0;
    vmm_reset(c->v);
    eng_chooser_replay(chs, copy, n);
    int rc = vmm_run(c->v);
    int differ = !was_overflow && (vmm_trace(c->v)->hash != h1 || rc != c->run_rc);
    /* The log is the replayed run's; the chooser must not keep pointing at the copy. */
    chs->replay = NULL;
    chs->replay_len = chs->replay_pos = 0;
    free(copy);
    c->run_rc = rc;
    return differ;
}

void fz_one_run(fz_campaign *cp, cli_sim *c, fz_chunk *ch, uint32_t k) {
    uint64_t run = fz_run_index(&cp->o, ch->j0 + k);
    uint64_t seed = cp->o.strat == FZ_DFS ? 0 : fz_run_seed(cp->o.seed, run);
    eng_chooser *chs = vmm_chooser(c->v);
    vmm_reset(c->v);
    chooser_set(cp, chs, seed);
    c->run_rc = vmm_run(c->v);
    ch->dhash[k] = XXH64(chs->log, chs->log_len * sizeof chs->log[0], chs->log_overflow);
    int nondet = cp->o.self_check ? self_check(c, ch) : 0;
    cli_verdict v;
    if (cli_verdict_get(c, &v)) { ch->err = CLI_EXIT_HOST; return; }
    if (nondet) {
        v.failed = 1;
        snprintf(v.sig + strlen(v.sig), sizeof v.sig - strlen(v.sig), "%serror:nondeterministic",
                 v.sig[0] ? "," : "");
        if (!v.first[0]) snprintf(v.first, sizeof v.first, "replaying the run's decisions gave another trace hash");
    }
    if (!v.failed) return;
    if (ch->nfail == ch->capfail) {
        uint32_t nc = ch->capfail ? ch->capfail * 2 : 4;
        fz_fail *nf = realloc(ch->fail, nc * sizeof *nf);
        if (!nf) { ch->err = CLI_EXIT_HOST; return; }
        ch->fail = nf;
        ch->capfail = nc;
    }
    fz_fail *f = &ch->fail[ch->nfail++];
    f->run = run;
    f->seed = seed;
    f->dhash = ch->dhash[k];
    f->thash = vmm_trace(c->v)->hash;
    f->ndec = chs->log_len;
    f->v = v;
    if (cp->o.out && write_failure(cp, c, f)) ch->err = CLI_EXIT_HOST;
}

void fz_chunk_work(uv_work_t *req) {
    fz_chunk *ch = req->data;
    fz_campaign *cp = ch->cp;
    fz_worker *w = NULL;
    uv_mutex_lock(&cp->lock);
    for (uint32_t i = 0; i < cp->nw && !w; i++)
        if (!cp->w[i].busy) { w = &cp->w[i]; w->busy = 1; }
    uv_mutex_unlock(&cp->lock);
    assert(w != NULL);   /* no more work items run at once than threads = workers */
    if (!w) { ch->err = CLI_EXIT_HOST; return; }
    for (uint32_t k = 0; k < ch->nrun && !ch->err; k++) fz_one_run(cp, &w->sim, ch, k);
    uv_mutex_lock(&cp->lock);
    w->busy = 0;
    uv_mutex_unlock(&cp->lock);
}
