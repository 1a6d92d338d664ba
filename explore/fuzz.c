/*
** fuzz.c — a fuzz campaign (xpl_fuzz_campaign) and its libuv loop.
** Work items (XPL_FZ_CHUNK_RUNS runs each) go to the thread pool a few per worker at a
** time; finished items are emitted strictly in run order, so what was submitted is
** always a prefix and a stop (Ctrl-C, --time) leaves a complete, ordered prefix.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xpl_fuzz.h"

static void submit(xpl_fz_campaign *cp);

static void after_work(uv_work_t *req, int status) {
    xpl_fz_chunk *ch = req->data;
    assert(status == 0);
    (void)status;
    xpl_fz_campaign *cp = ch->cp;
    cp->inflight--;
    if (ch->err) { cp->err = ch->err; cp->stop = 1; }
    cp->pending[ch->index % cp->ring] = ch;
    for (xpl_fz_chunk *n; (n = cp->pending[cp->next_emit % cp->ring]) && n->index == cp->next_emit;) {
        cp->pending[cp->next_emit % cp->ring] = NULL;
        xpl_fz_emit_chunk(cp, n);
        free(n->fail);
        free(n);
        cp->next_emit++;
    }
    if (cp->o.time_s > 0 && (double)(uv_hrtime() - cp->t0_ns) / 1e9 >= cp->o.time_s) cp->stop = 1;
    submit(cp);
}

/* Keeps at most XPL_FZ_INFLIGHT_PER_JOB items per worker submitted but not emitted (the
** pending ring's size); submitted chunks are always
** [0, next_submit), so the emitted results are a prefix of the campaign. */
static void submit(xpl_fz_campaign *cp) {
    assert(cp && cp->ring > 0 && cp->next_emit <= cp->next_submit && cp->next_submit <= cp->nchunks);
    uint64_t local = cp->o.runs > cp->o.shard_i
                   ? (cp->o.runs - cp->o.shard_i + cp->o.shard_n - 1) / cp->o.shard_n : 0;
    while (!cp->stop && cp->next_submit < cp->nchunks
           && cp->next_submit - cp->next_emit < cp->ring) {
        xpl_fz_chunk *ch = calloc(1, sizeof *ch);
        if (!ch) { cp->err = XPL_EXIT_HOST; cp->stop = 1; return; }
        ch->cp = cp;
        ch->index = cp->next_submit++;
        ch->j0 = ch->index * XPL_FZ_CHUNK_RUNS;
        ch->nrun = (uint32_t)(local - ch->j0 < XPL_FZ_CHUNK_RUNS ? local - ch->j0 : XPL_FZ_CHUNK_RUNS);
        ch->req.data = ch;
        if (uv_queue_work(&cp->loop, &ch->req, xpl_fz_chunk_work, after_work)) {
            free(ch);
            cp->err = XPL_EXIT_HOST;
            cp->stop = 1;
            return;
        }
        cp->inflight++;
    }
}

static void on_timer(uv_timer_t *t) { xpl_fz_progress(t->data); }

static int campaign_loop(xpl_fz_campaign *cp) {
    uint64_t local = cp->o.runs > cp->o.shard_i
                   ? (cp->o.runs - cp->o.shard_i + cp->o.shard_n - 1) / cp->o.shard_n : 0;
    cp->nchunks = (local + XPL_FZ_CHUNK_RUNS - 1) / XPL_FZ_CHUNK_RUNS;
    cp->ring = cp->o.jobs * XPL_FZ_INFLIGHT_PER_JOB;
    cp->pending = calloc(cp->ring, sizeof *cp->pending);
    if (!cp->pending || uv_loop_init(&cp->loop)) return XPL_EXIT_HOST;
    xpl_fz_signals_start(cp);
    uv_timer_init(&cp->loop, &cp->timer);
    cp->timer.data = cp;
    if (isatty(2) && !cp->o.json) {
        uv_timer_start(&cp->timer, on_timer, 250, 250);
        uv_unref((uv_handle_t *)&cp->timer);
    }
    cp->t0_ns = uv_hrtime();
    submit(cp);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    if (isatty(2) && !cp->o.json) { xpl_fz_progress(cp); fputc('\n', stderr); }
    xpl_fz_signals_close(cp);
    uv_close((uv_handle_t *)&cp->timer, NULL);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    uv_loop_close(&cp->loop);
    assert(cp->inflight == 0);
    free(cp->pending);
    return cp->err;
}

static int setup(xpl_fz_campaign *cp) {
    assert(cp && cp->c0 && cp->o.scenario && cp->o.jobs >= 1);
    const char *p = strcmp(cp->o.scenario, SCEN_DEFAULT_NAME) ? cp->o.scenario : NULL;
    int rc = xpl_scen_hash(p, &cp->scen_hash, stderr);
    if (rc) return rc;
    cp->c0->max_cycles = cp->o.max_cycles;
    if ((rc = xpl_sim_load(cp->c0, p, stderr))) return rc;
    if (cp->o.out) {
        if ((rc = xpl_fz_out_prepare(&cp->o, stderr))) return rc;
        char path[SCEN_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/findings.jsonl", cp->o.out);
        if (!(cp->findings = xpl_afile_open(&cp->findings_af, path))) {
            fprintf(stderr, "vmmsim fuzz: %s: cannot write: %s\n", path, strerror(errno));
            return XPL_EXIT_HOST;
        }
    }
    if (cp->o.coverage_log && !(cp->cov_log = fopen(cp->o.coverage_log, "w"))) {
        fprintf(stderr, "vmmsim fuzz: %s: cannot write: %s\n", cp->o.coverage_log, strerror(errno));
        return XPL_EXIT_HOST;
    }
    if ((rc = xpl_fz_workers_open(cp, stderr))) return rc;
    if (cp->o.strat == ENG_STRAT_PCT) cp->pct_steps = xpl_pct_steps(&cp->w[0].sim, cp->o.seed);
    return uv_mutex_init(&cp->lock) ? XPL_EXIT_HOST : 0;
}

/* --out's last files: distinct.txt, then findings.jsonl (the runs it lists wrote
** their schedule and trace files before they were emitted). */
static int publish(xpl_fz_campaign *cp) {
    char path[SCEN_PATH_MAX + 32];
    assert(cp && cp->o.out && cp->findings);
    snprintf(path, sizeof path, "%s/" XPL_FZ_DISTINCT_FILE, cp->o.out);
    int rc = xpl_fz_dset_write(cp, path);
    if (!rc && xpl_afile_commit(&cp->findings_af)) {
        fprintf(stderr, "vmmsim fuzz: %s: write error: %s\n", cp->findings_af.path, strerror(errno));
        rc = XPL_EXIT_HOST;
    }
    cp->findings = NULL;
    return rc;
}

int xpl_fuzz_campaign(const xpl_fz_opts *o) {
    assert(o && o->scenario && o->runs >= 1 && o->shard_n >= 1 && o->shard_i < o->shard_n);
    assert(o->strat == ENG_STRAT_RANDOM || o->strat == ENG_STRAT_PCT || o->strat == ENG_STRAT_DFS);
    xpl_fz_campaign *cp = calloc(1, sizeof *cp);
    xpl_sim *c0 = calloc(1, sizeof *c0);
    if (!cp || !c0) { free(cp); free(c0); return XPL_EXIT_HOST; }
    cp->c0 = c0;
    cp->o = *o;
    int rc;
    if (!cp->o.jobs) {
        unsigned n = uv_available_parallelism();
        cp->o.jobs = n < 1 ? 1 : n > XPL_FZ_JOBS_MAX ? XPL_FZ_JOBS_MAX : n;
    }
    if (cp->o.strat == ENG_STRAT_DFS) cp->o.jobs = 1;   /* a sequential walk */
    /* The pool's size is read once, at its first use: set it before anything queues. */
    char jobs[16];
    snprintf(jobs, sizeof jobs, "%u", cp->o.jobs);
    uv_os_setenv("UV_THREADPOOL_SIZE", jobs);
    int locked = 0;
    rc = setup(cp);
    if (!rc) {
        locked = 1;
        rc = cp->o.strat == ENG_STRAT_DFS ? xpl_fz_dfs_campaign(cp) : campaign_loop(cp);
        if (!rc && cp->o.out) rc = publish(cp);
        if (!rc && cp->o.out && cp->o.shrink) rc = xpl_fz_sig_shrink(cp);
        xpl_fz_summary(cp, stdout);   /* after the files: what it counts is on disk */
    }
    if (cp->findings) xpl_afile_abort(&cp->findings_af);   /* an error on the way */
    if (locked) uv_mutex_destroy(&cp->lock);
    xpl_fz_workers_close(cp);
    xpl_fz_cov_free(cp);
    if (cp->cov_log && fclose(cp->cov_log) && !rc) rc = XPL_EXIT_HOST;
    free(cp->dfs);
    if (!rc && cp->failures) rc = XPL_EXIT_FINDING;
    if (fflush(stdout) && !rc) rc = XPL_EXIT_HOST;
    xpl_sim_free(c0);
    free(c0);
    free(cp);
    return rc;
}
