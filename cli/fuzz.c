/*
** fuzz.c — `vmmsim fuzz SCENARIO`: the campaign's command line; the campaign itself
** is explore's (xpl_fuzz_campaign, docs/fuzzing.md).
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

static const char fuzz_help[] =
"usage: vmmsim fuzz [OPTIONS] SCENARIO.yaml\n"
"\n"
"Runs SCENARIO many times, each run with its own seed deciding the choice points\n"
"(docs/fuzzing.md), and reports every run that fails: a failed expectation, an\n"
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
"  --pct-by source|rank   PCT's sources: what produced each option (the VM, the\n"
"                         event's callback, the stimulus; default) or the option's\n"
"                         (kind, canonical rank), as before sources existed\n"
"  --swarm                each run leaves a random (seeded) subset of choice kinds\n"
"                         canonical (random and pct)\n"
"  --max-failures N       stop after N failures (1: at the first); the results are\n"
"                         those of the runs up to the N-th failure, in run order\n"
"  --coverage-log FILE    a line per 64 runs: runs, distinct schedules, distinct\n"
"                         traces, (kind, rank) pairs, callback pairs in both orders,\n"
"                         distinct callback orders\n"
"  --shrink               with --out: shrink each failure signature's shortest\n"
"                         schedule (decisions only) to DIR/sig-K.min.schedule\n"
"  --bound B              dfs: branch on the first B decisions of a run only\n"
"  --deepen               dfs: passes with a growing bound 0, 1, 2, ... on the number\n"
"                         of non-canonical decisions (delay bounding); reports the\n"
"                         largest bound whose every schedule ran\n"
"  --max-delays D         dfs: the last bound --deepen tries (implies --deepen)\n"
"  --por                  dfs: partial-order reduction (sleep sets over what each\n"
"                         step touched): equivalent orders run once; with\n"
"                         --deepen or --max-delays each pass is reduced within its\n"
"                         bound and still covers it (bounded sleep sets)\n"
"  --por-naive            with --por and --deepen: the unbounded rules within the\n"
"                         bound instead, which miss schedules (for tests)\n"
"  --outcomes             dfs: count the distinct outcomes (final guest memory,\n"
"                         findings, end) the walk reached\n"
"  --windows steps|cycles dfs: a stimulus window is walked by the VMM steps it\n"
"                         spans (default: steps) or cycle by cycle\n"
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

static int shard_arg(const char *const *val, void *dst) {
    assert(val && val[0] && dst);
    xpl_fz_opts *o = dst;
    unsigned si, sn;
    char c;
    if (sscanf(val[0], "%u/%u%c", &si, &sn, &c) != 2 || sn < 1 || si >= sn) return -1;
    o->shard_i = si;
    o->shard_n = sn;
    return 0;
}

static int windows_arg(const char *const *val, void *dst) {
    assert(val && val[0] && dst);
    xpl_fz_opts *o = dst;
    if (strcmp(val[0], "steps") && strcmp(val[0], "cycles")) return -1;
    o->window_cycles = !strcmp(val[0], "cycles");
    return 0;
}

static int parse_args(int argc, char **argv, xpl_fz_opts *o) {
    assert(argv && o);
    const cli_opt opts[] = {
        { "--json", NULL, CLI_OPT_FLAG, &o->json, 0, 0, NULL, NULL, NULL, 0 },
        { "--quiet", "-q", CLI_OPT_FLAG, &o->quiet, 0, 0, NULL, NULL, NULL, 0 },
        { "--force", NULL, CLI_OPT_FLAG, &o->force, 0, 0, NULL, NULL, NULL, 0 },
        { "--self-check", NULL, CLI_OPT_FLAG, &o->self_check, 0, 0, NULL, NULL, NULL, 0 },
        { "--strategy", NULL, CLI_OPT_STRATEGY, &o->strat, 0,
          CLI_STRATS(ENG_STRAT_RANDOM, ENG_STRAT_PCT, ENG_STRAT_DFS), "random, pct or dfs", NULL, NULL, 0 },
        { "--deepen", NULL, CLI_OPT_FLAG, &o->deepen, 0, 0, NULL, NULL, NULL, 0 },
        { "--por", NULL, CLI_OPT_FLAG, &o->por, 0, 0, NULL, NULL, NULL, 0 },
        { "--por-naive", NULL, CLI_OPT_FLAG, &o->por_naive, 0, 0, NULL, NULL, NULL, 0 },
        { "--outcomes", NULL, CLI_OPT_FLAG, &o->outcomes, 0, 0, NULL, NULL, NULL, 0 },
        { "--max-delays", NULL, CLI_OPT_U32, &o->max_delays, 0, XPL_SCHED_DECISIONS_MAX, "0..4194304", NULL, NULL, 0 },
        { "--bound", NULL, CLI_OPT_U32, &o->bound, 1, XPL_SCHED_DECISIONS_MAX, "a positive integer", NULL, NULL, 0 },
        { "--depth", NULL, CLI_OPT_U32, &o->depth, 1, XPL_PCT_DEPTH_MAX, "1..16", NULL, NULL, 0 },
        { "--runs", NULL, CLI_OPT_U64, &o->runs, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--seed", NULL, CLI_OPT_U64, &o->seed, 0, UINT64_MAX, "an integer", NULL, NULL, 0 },
        { "--max-cycles", NULL, CLI_OPT_U64, &o->max_cycles, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--jobs", "-j", CLI_OPT_U32, &o->jobs, 1, XPL_FZ_JOBS_MAX, "1..256", NULL, NULL, 0 },
        { "--time", NULL, CLI_OPT_SECONDS, &o->time_s, 0, 0, "a positive number of seconds", NULL, NULL, 0 },
        { "--shard", NULL, CLI_OPT_FUNC, o, 0, 0, "I/N with 0 <= I < N", NULL, shard_arg, 1 },
        { "--windows", NULL, CLI_OPT_FUNC, o, 0, 0, "steps or cycles", NULL, windows_arg, 1 },
        { "--out", NULL, CLI_OPT_STR, &o->out, 0, 0, "a DIR", NULL, NULL, 0 },
        { "--pct-by", NULL, CLI_OPT_FUNC, &o->pct_by, 0, 0, "source or rank", NULL, cli_pct_by_arg, 1 },
        { "--coverage-log", NULL, CLI_OPT_STR, &o->coverage_log, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--shrink", NULL, CLI_OPT_FLAG, &o->shrink, 0, 0, NULL, NULL, NULL, 0 },
        { "--swarm", NULL, CLI_OPT_FLAG, &o->swarm, 0, 0, NULL, NULL, NULL, 0 },
        { "--max-failures", NULL, CLI_OPT_U64, &o->max_failures, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
    };
    uint32_t npos = 0;
    const cli_cmd cmd = { "fuzz", fuzz_help, opts, sizeof opts / sizeof opts[0], &o->scenario, 1,
                          &npos, "one SCENARIO" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc;
    if (!o->scenario) return cli_usage_err(&cmd, "expected a SCENARIO, found", "nothing");
    if (o->shrink && !o->out) return cli_usage_err(&cmd, "--shrink needs", "--out DIR");
    if (o->strat == ENG_STRAT_DFS && o->shard_n > 1) return cli_usage_err(&cmd, "--shard does not apply to", "dfs");
    if (o->max_delays != UINT32_MAX) o->deepen = 1;
    if ((o->deepen || o->window_cycles || o->por || o->outcomes) && o->strat != ENG_STRAT_DFS)
        return cli_usage_err(&cmd, "--deepen, --max-delays, --windows, --por and --outcomes apply to", "dfs only");
    if (o->por_naive && !(o->por && o->deepen))
        return cli_usage_err(&cmd, "--por-naive needs", "--por and --deepen or --max-delays");
    return 0;
}

int cli_fuzz_main(int argc, char **argv) {
    xpl_fz_opts o = { .strat = ENG_STRAT_RANDOM, .runs = 1000, .depth = 3, .shard_n = 1,
                      .max_delays = UINT32_MAX };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    return xpl_fuzz_campaign(&o);
}
