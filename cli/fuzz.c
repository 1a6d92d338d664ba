/*
** fuzz.c — `vmmsim fuzz SCENARIO`: the campaign's command line and its libuv loop.
** Work items (FZ_CHUNK_RUNS runs each) go to the thread pool a few per worker at a
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

#include "fuzz.h"

static const char fuzz_help[] =
"usage: vmmsim fuzz [OPTIONS] SCENARIO.yaml\n"
"\n"
"Runs SCENARIO many times, each run with its own seed deciding the choice points\n"
"(DESIGN.md section 4), and reports every run that fails: a failed expectation, an\n"
"unexpected finding (CB-1, CS-7, ...), a guest fault, a hang or another simulation\n"
"error. Run i's seed is derived from (--seed, i); results are in run order, so the\n"
"output does not depend on --jobs.\n"
"\n"
"options:\n"
"  --strategy random|pct|dfs\n"
"                         uniform choices (default), PCT with --depth, or an\n"
"                         exhaustive depth-first walk of the decision tree (one\n"
"                         thread; reports whether the tree was covered)\n"
"  --depth D              PCT bug depth d (1..16, default 3)\n"
"  --bound B              dfs: branch on the first B decisions of a run only\n"
"  --self-check           replay each run's decisions and compare the trace hash\n"
"                         (a difference is a failure: error:nondeterministic)\n"
"  --runs N               runs in the campaign (default 1000)\n"
"  --time SECONDS         stop submitting runs after this long\n"
"  --seed S               campaign seed (default 0)\n"
"  --jobs N               worker threads (default: the number of CPUs)\n"
"  --shard I/N            run only runs i with i % N == I (disjoint shards)\n"
"  --out DIR              write each failure as DIR/run-<i>.schedule and .trace, all\n"
"                         of them as DIR/findings.jsonl, and the distinct schedules'\n"
"                         hashes as DIR/distinct.txt (for 'vmmsim fuzz-merge');\n"
"                         DIR must be new or empty; every file is written whole\n"
"                         (temporary name, then rename)\n"
"  --force                --out DIR may hold an earlier campaign's files: removed\n"
"  --max-cycles N         stop each simulation after N cycles\n"
"  --json                 print the summary as one JSON object\n"
"  --quiet                no per-failure lines\n"
"  --help                 this text\n"
"\n"
"Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the campaign after the runs in progress,\n"
"keeping their findings, and print the summary (stopped); a second signal publishes\n"
"the findings written so far and exits at once (status 128 + signal: 130, 143, 129).\n"
"\n"
"exit status: 0 no failure, 1 failures found, 2 bad usage or scenario, 4 host error.\n";

static int usage_err(const char *msg, const char *arg) {
    fprintf(stderr, "vmmsim fuzz: %s%s%s\n(see 'vmmsim fuzz --help')\n", msg, arg ? " " : "",
            arg ? arg : "nothing");
    return CLI_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, fz_opts *o) {
    uint64_t x;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(fuzz_help, stdout); return -1; }
        else if (!strcmp(a, "--json")) { o->json = 1; takes = 0; }
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) { o->quiet = 1; takes = 0; }
        else if (!strcmp(a, "--force")) { o->force = 1; takes = 0; }
        else if (!strcmp(a, "--strategy")) {
            if (!val || (strcmp(val, "random") && strcmp(val, "pct") && strcmp(val, "dfs")))
                return usage_err("--strategy expects random, pct or dfs, found", val);
            o->strat = !strcmp(val, "pct") ? FZ_PCT : !strcmp(val, "dfs") ? FZ_DFS : FZ_RANDOM;
        } else if (!strcmp(a, "--bound")) {
            if (cli_u64_arg(val, &x) || x < 1 || x > CLI_SCHED_DECISIONS_MAX)
                return usage_err("--bound expects a positive integer, found", val);
            o->bound = (uint32_t)x;
        } else if (!strcmp(a, "--self-check")) {
            o->self_check = 1;
            takes = 0;
        } else if (!strcmp(a, "--depth")) {
            if (cli_u64_arg(val, &x) || x < 1 || x > CLI_PCT_DEPTH_MAX)
                return usage_err("--depth expects 1..16, found", val);
            o->depth = (uint32_t)x;
        } else if (!strcmp(a, "--runs")) {
            if (cli_u64_arg(val, &o->runs) || !o->runs) return usage_err("--runs expects a positive integer, found", val);
        } else if (!strcmp(a, "--seed")) {
            if (cli_u64_arg(val, &o->seed)) return usage_err("--seed expects an integer, found", val);
        } else if (!strcmp(a, "--max-cycles")) {
            if (cli_u64_arg(val, &o->max_cycles) || !o->max_cycles)
                return usage_err("--max-cycles expects a positive integer, found", val);
        } else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
            if (cli_u64_arg(val, &x) || x < 1 || x > FZ_JOBS_MAX) return usage_err("--jobs expects 1..256, found", val);
            o->jobs = (uint32_t)x;
        } else if (!strcmp(a, "--time")) {
            char *end;
            if (!val || (o->time_s = strtod(val, &end)) <= 0 || *end)
                return usage_err("--time expects a positive number of seconds, found", val);
        } else if (!strcmp(a, "--shard")) {
            unsigned si, sn;
            char c;
            if (!val || sscanf(val, "%u/%u%c", &si, &sn, &c) != 2 || sn < 1 || si >= sn)
                return usage_err("--shard expects I/N with 0 <= I < N, found", val);
            o->shard_i = si;
            o->shard_n = sn;
        } else if (!strcmp(a, "--out")) {
            if (!val) return usage_err("--out expects a DIR, found", val);
            o->out = val;
        } else if (a[0] == '-' && a[1]) {
            return usage_err("unknown option", a);
        } else {
            if (o->scenario) return usage_err("expected one SCENARIO, found another:", a);
            o->scenario = a;
            takes = 0;
        }
        i += takes;
    }
    if (!o->scenario) return usage_err("expected a SCENARIO, found", NULL);
    if (o->strat == FZ_DFS && o->shard_n > 1) return usage_err("--shard does not apply to", "dfs");
    return 0;
}

static void submit(fz_campaign *cp);

static void after_work(uv_work_t *req, int status) {
    fz_chunk *ch = req->data;
    assert(status == 0);
    (void)status;
    fz_campaign *cp = ch->cp;
    cp->inflight--;
    if (ch->err) { cp->err = ch->err; cp->stop = 1; }
    cp->pending[ch->index % cp->ring] = ch;
    for (fz_chunk *n; (n = cp->pending[cp->next_emit % cp->ring]) && n->index == cp->next_emit;) {
        cp->pending[cp->next_emit % cp->ring] = NULL;
        fz_emit_chunk(cp, n);
        free(n->fail);
        free(n);
        cp->next_emit++;
    }
    if (cp->o.time_s > 0 && (double)(uv_hrtime() - cp->t0_ns) / 1e9 >= cp->o.time_s) cp->stop = 1;
    submit(cp);
}

/* Keeps at most FZ_INFLIGHT_PER_JOB items per worker submitted but not emitted (the
** pending ring's size); submitted chunks are always
** [0, next_submit), so the emitted results are a prefix of the campaign. */
static void submit(fz_campaign *cp) {
    uint64_t local = cp->o.runs > cp->o.shard_i
                   ? (cp->o.runs - cp->o.shard_i + cp->o.shard_n - 1) / cp->o.shard_n : 0;
    while (!cp->stop && cp->next_submit < cp->nchunks
           && cp->next_submit - cp->next_emit < cp->ring) {
        fz_chunk *ch = calloc(1, sizeof *ch);
        if (!ch) { cp->err = CLI_EXIT_HOST; cp->stop = 1; return; }
        ch->cp = cp;
        ch->index = cp->next_submit++;
        ch->j0 = ch->index * FZ_CHUNK_RUNS;
        ch->nrun = (uint32_t)(local - ch->j0 < FZ_CHUNK_RUNS ? local - ch->j0 : FZ_CHUNK_RUNS);
        ch->req.data = ch;
        if (uv_queue_work(&cp->loop, &ch->req, fz_chunk_work, after_work)) {
            free(ch);
            cp->err = CLI_EXIT_HOST;
            cp->stop = 1;
            return;
        }
        cp->inflight++;
    }
}

static void on_timer(uv_timer_t *t) { fz_progress(t->data); }

static int campaign_loop(fz_campaign *cp) {
    uint64_t local = cp->o.runs > cp->o.shard_i
                   ? (cp->o.runs - cp->o.shard_i + cp->o.shard_n - 1) / cp->o.shard_n : 0;
    cp->nchunks = (local + FZ_CHUNK_RUNS - 1) / FZ_CHUNK_RUNS;
    cp->ring = cp->o.jobs * FZ_INFLIGHT_PER_JOB;
    cp->pending = calloc(cp->ring, sizeof *cp->pending);
    if (!cp->pending || uv_loop_init(&cp->loop)) return CLI_EXIT_HOST;
    fz_signals_start(cp);
    uv_timer_init(&cp->loop, &cp->timer);
    cp->timer.data = cp;
    if (isatty(2) && !cp->o.json) {
        uv_timer_start(&cp->timer, on_timer, 250, 250);
        uv_unref((uv_handle_t *)&cp->timer);
    }
    cp->t0_ns = uv_hrtime();
    submit(cp);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    if (isatty(2) && !cp->o.json) { fz_progress(cp); fputc('\n', stderr); }
    fz_signals_close(cp);
    uv_close((uv_handle_t *)&cp->timer, NULL);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    uv_loop_close(&cp->loop);
    assert(cp->inflight == 0);
    free(cp->pending);
    return cp->err;
}

static int setup(fz_campaign *cp) {
    const char *p = strcmp(cp->o.scenario, SCEN_DEFAULT_NAME) ? cp->o.scenario : NULL;
    int rc = cli_scen_hash(p, &cp->scen_hash, stderr);
    if (rc) return rc;
    cp->c0->max_cycles = cp->o.max_cycles;
    if ((rc = cli_sim_load(cp->c0, p, stderr))) return rc;
    if (cp->o.out) {
        if ((rc = fz_out_prepare(&cp->o, stderr))) return rc;
        char path[SCEN_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/findings.jsonl", cp->o.out);
        if (!(cp->findings = cli_afile_open(&cp->findings_af, path))) {
            fprintf(stderr, "vmmsim fuzz: %s: cannot write: %s\n", path, strerror(errno));
            return CLI_EXIT_HOST;
        }
    }
    if ((rc = fz_workers_open(cp, stderr))) return rc;
    if (cp->o.strat == FZ_PCT) cp->pct_steps = cli_pct_steps(&cp->w[0].sim, cp->o.seed);
    return uv_mutex_init(&cp->lock) ? CLI_EXIT_HOST : 0;
}

/* --out's last files: distinct.txt, then findings.jsonl (the runs it lists wrote
** their schedule and trace files before they were emitted). */
static int publish(fz_campaign *cp) {
    char path[SCEN_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" FZ_DISTINCT_FILE, cp->o.out);
    int rc = fz_dset_write(cp, path);
    if (!rc && cli_afile_commit(&cp->findings_af)) {
        fprintf(stderr, "vmmsim fuzz: %s: write error: %s\n", cp->findings_af.path, strerror(errno));
        rc = CLI_EXIT_HOST;
    }
    cp->findings = NULL;
    return rc;
}

int cli_fuzz_main(int argc, char **argv) {
    fz_campaign *cp = calloc(1, sizeof *cp);
    cli_sim *c0 = calloc(1, sizeof *c0);
    if (!cp || !c0) { free(cp); free(c0); return CLI_EXIT_HOST; }
    cp->c0 = c0;
    cp->o.runs = 1000;
    cp->o.depth = 3;
    cp->o.shard_n = 1;
    int rc = parse_args(argc, argv, &cp->o);
    if (rc) { free(cp); free(c0); return rc < 0 ? CLI_EXIT_OK : rc; }
    if (!cp->o.jobs) {
        unsigned n = uv_available_parallelism();
        cp->o.jobs = n < 1 ? 1 : n > FZ_JOBS_MAX ? FZ_JOBS_MAX : n;
    }
    if (cp->o.strat == FZ_DFS) cp->o.jobs = 1;   /* a sequential walk */
    /* The pool's size is read once, at its first use: set it before anything queues. */
    char jobs[16];
    snprintf(jobs, sizeof jobs, "%u", cp->o.jobs);
    uv_os_setenv("UV_THREADPOOL_SIZE", jobs);
    int locked = 0;
    rc = setup(cp);
    if (!rc) {
        locked = 1;
        rc = cp->o.strat == FZ_DFS ? fz_dfs_campaign(cp) : campaign_loop(cp);
        if (!rc && cp->o.out) rc = publish(cp);
        fz_summary(cp, stdout);   /* after the files: what it counts is on disk */
    }
    if (cp->findings) cli_afile_abort(&cp->findings_af);   /* an error on the way */
    if (locked) uv_mutex_destroy(&cp->lock);
    fz_workers_close(cp);
    free(cp->set);
    free(cp->dfs);
    if (!rc && cp->failures) rc = CLI_EXIT_FINDING;
    if (fflush(stdout) && !rc) rc = CLI_EXIT_HOST;
    cli_sim_free(c0);
    free(c0);
    free(cp);
    return rc;
}
