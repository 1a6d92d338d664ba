/*
** replay.c — `vmmsim replay SCENARIO TRACE`: re-run the scenario with the trace's
** strategy and seed, and compare. Same checkpoints (so the same hash) and the same
** record lines: success. Otherwise the first checkpoint window that differs and the
** first two records that differ in it (docs/trace-format.md, checkpoints).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

static const char replay_help[] =
"usage: vmmsim replay [OPTIONS] SCENARIO.yaml TRACE\n"
"       vmmsim replay [OPTIONS] SCENARIO.yaml --schedule FILE\n"
"\n"
"Re-runs SCENARIO (with the strategy and seed named in TRACE's header) and compares\n"
"the result with TRACE, a file written by 'vmmsim run --trace' (or its stdout).\n"
"Prints 'replay: identical' and the hash, or the first diverging checkpoint window\n"
"and the first pair of differing records.\n"
"\n"
"options:\n"
"  --max-cycles N   as for 'vmmsim run' (use the same value)\n"
"  --schedule FILE  replay the decisions of a schedule file (vmmsim fuzz, shrink)\n"
"                   instead of comparing with a TRACE: prints the run's trace and\n"
"                   verdict, and checks the trace hash the schedule recorded\n"
"                   (exit 0 reproduced, 1 diverged)\n"
"  --quiet          with --schedule: print only the summary\n"
"  --help           this text\n"
"\n"
"exit status: 0 identical, 1 diverged, 2 bad usage or input, 3 simulation error,\n"
"4 host error.\n";

/* The first record index in [lo, hi) whose text differs, or hi. */
static uint32_t first_diff(const xpl_sim *c, const xpl_tfile *f, uint64_t lo, uint64_t hi) {
    assert(c && c->v && f && lo <= hi);
    char line[XPL_LINE_MAX];
    uint32_t nrun = vmm_trace(c->v)->len;
    for (uint64_t i = lo; i < hi; i++) {
        const char *a = i < f->nline ? f->line[i] : NULL;
        if (i >= nrun || !a) return (uint32_t)i;
        xpl_sim_line(c, (uint32_t)i, line, sizeof line);
        if (strcmp(a, line)) return (uint32_t)i;
    }
    return (uint32_t)hi;
}

static void show_record(const xpl_sim *c, const xpl_tfile *f, uint32_t i) {
    assert(c && c->v && f);
    char line[XPL_LINE_MAX];
    printf("  record %u\n", i);
    printf("    trace : %s\n", i < f->nline ? f->line[i] : "(end of trace)");
    if (i < vmm_trace(c->v)->len) {
        xpl_sim_line(c, i, line, sizeof line);
        printf("    replay: %s\n", line);
    } else {
        printf("    replay: (end of run)\n");
    }
}

static int compare(const xpl_sim *c, const xpl_tfile *f) {
    assert(c && c->v && f);
    const eng_trace *t = vmm_trace(c->v);
    long d = eng_checkpoints_diverge(f->cp, f->ncp, t->cp, t->cp_len);
    uint64_t lo = 0, hi;
    if (d < 0) {
        /* Same hashes: the record lines must match too, or the file was edited. */
        uint32_t n = f->nline > t->len ? f->nline : t->len;
        uint32_t i = first_diff(c, f, 0, n);
        if (i == n) {
            printf("replay: identical (%u records, %u checkpoints, hash 0x%016llx)\n",
                   t->len, t->cp_len, (unsigned long long)t->hash);
            return CLI_EXIT_OK;
        }
        printf("replay: checkpoints agree but record text differs (edited trace file?)\n");
        show_record(c, f, i);
        return CLI_EXIT_FINDING;
    }
    if (d > 0) lo = (uint64_t)d - 1 < f->ncp ? f->cp[d - 1].index : 0;
    hi = (uint64_t)d < f->ncp ? f->cp[d].index + 1 : (uint64_t)(f->nline > t->len ? f->nline : t->len);
    if ((uint64_t)d < t->cp_len && t->cp[d].index + 1 > hi) hi = t->cp[d].index + 1;
    printf("replay: DIVERGED in checkpoint window %ld (records %llu..%llu)\n", d,
           (unsigned long long)lo, (unsigned long long)hi - 1);
    if ((uint64_t)d < f->ncp)
        printf("  trace  checkpoint: index=%llu cycle=%llu hash=0x%016llx\n",
               (unsigned long long)f->cp[d].index, (unsigned long long)f->cp[d].cycle,
               (unsigned long long)f->cp[d].hash);
    if ((uint64_t)d < t->cp_len)
        printf("  replay checkpoint: index=%llu cycle=%llu hash=0x%016llx\n",
               (unsigned long long)t->cp[d].index, (unsigned long long)t->cp[d].cycle,
               (unsigned long long)t->cp[d].hash);
    show_record(c, f, first_diff(c, f, lo, hi));
    return CLI_EXIT_FINDING;
}

int cli_replay_main(int argc, char **argv) {
    const char *paths[2] = { NULL, NULL };
    uint32_t np = 0;
    uint64_t max_cycles = 0;
    const char *sched = NULL;
    int quiet = 0;
    const cli_opt opts[] = {
        { "--max-cycles", NULL, CLI_OPT_U64, &max_cycles, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--schedule", NULL, CLI_OPT_STR, &sched, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--quiet", "-q", CLI_OPT_FLAG, &quiet, 0, 0, NULL, NULL, NULL, 0 },
    };
    const cli_cmd cmd = { "replay", replay_help, opts, sizeof opts / sizeof opts[0], paths, 2, &np,
                          "SCENARIO and TRACE" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (sched) {
        if (np == 1) return xpl_sched_replay(paths[0], sched, max_cycles, quiet);
        fprintf(stderr, "vmmsim replay: with --schedule, expected only SCENARIO\n");
        return CLI_EXIT_USAGE;
    }
    if (np != 2) {
        fprintf(stderr, "vmmsim replay: expected SCENARIO and TRACE\n(see 'vmmsim replay --help')\n");
        return CLI_EXIT_USAGE;
    }
    xpl_tfile f;
    rc = xpl_tfile_read(&f, paths[1], stderr);
    if (rc) return rc;
    xpl_sim *c = calloc(1, sizeof *c);
    if (!c) { xpl_tfile_free(&f); fprintf(stderr, "vmmsim replay: out of memory\n"); return CLI_EXIT_HOST; }
    c->max_cycles = max_cycles;
    c->seed = f.seed;
    c->depth = f.depth <= XPL_PCT_DEPTH_MAX ? f.depth : 0;
    c->pct_by = f.pct_by;
    if (f.has_run && (eng_strategy_parse(f.strategy, &c->strategy) ||
                      (c->strategy != ENG_STRAT_CANONICAL && c->strategy != ENG_STRAT_RANDOM &&
                       c->strategy != ENG_STRAT_PCT))) {
        fprintf(stderr, "vmmsim replay: %s: unknown strategy '%s' in header\n", paths[1], f.strategy);
        rc = CLI_EXIT_USAGE;
    }
    const char *scen_path = strcmp(paths[0], SCEN_DEFAULT_NAME) && strcmp(paths[0], "-") ? paths[0] : NULL;
    if (!rc) rc = xpl_sim_load(c, scen_path, stderr);
    if (!rc) {
        xpl_sim_run(c, stderr);
        rc = compare(c, &f);
        if (c->run_rc && rc == CLI_EXIT_OK) rc = CLI_EXIT_SIM;
    }
    xpl_sim_free(c);
    free(c);
    xpl_tfile_free(&f);
    return rc;
}
