/*
** shrink.c — `vmmsim shrink SCENARIO --schedule FILE`: the command line of the
** shrinker (explore's xpl_shrink; docs/fuzzing.md).
*/
#include <assert.h>
#include <stdio.h>

#include "cli.h"
#include "opt.h"

static const char shrink_help[] =
"usage: vmmsim shrink [OPTIONS] SCENARIO.yaml --schedule FILE\n"
"\n"
"Replays the failing schedule FILE (from 'vmmsim fuzz'), then searches for a smaller\n"
"list of decisions that fails the same way (same failed expectations, unexpected\n"
"findings and errors): truncating it, deleting runs of decisions, and setting\n"
"decisions to the canonical choice 0 or to smaller values; then the scenario's\n"
"timeline: deleting entries and narrowing `at: [lo, hi]` windows to the cycle the\n"
"failing run used. Writes the smallest schedule and the reduced scenario found,\n"
"loads that scenario back and checks that the schedule still fails on it.\n"
"\n"
"options:\n"
"  --schedule FILE      the failing schedule (required)\n"
"  --out FILE           where to write the result (default FILE.shrunk)\n"
"  --out-scenario YAML  where to write the reduced scenario (default OUT.yaml); the\n"
"                       shrunk schedule is made for it (its scenario hash)\n"
"  --keep-stimuli       shrink only the decisions; the schedule stays one for SCENARIO\n"
"  --max-attempts N     replays to try at most (default 20000)\n"
"  --max-cycles N       as for 'vmmsim run'\n"
"  --help               this text\n"
"\n"
"exit status: 0 shrunk and verified, 1 the schedule does not fail (nothing to shrink),\n"
"2 bad usage or input, 3 the shrunk schedule did not verify, 4 host error.\n";

static int parse_args(int argc, char **argv, xpl_shrink_opts *o) {
    assert(argv && o);
    const cli_opt opts[] = {
        { "--schedule", NULL, CLI_OPT_STR, &o->sched, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--out", NULL, CLI_OPT_STR, &o->out, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--out-scenario", NULL, CLI_OPT_STR, &o->out_scen, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--keep-stimuli", NULL, CLI_OPT_FLAG, &o->keep_stimuli, 0, 0, NULL, NULL, NULL, 0 },
        { "--max-attempts", NULL, CLI_OPT_U64, &o->max_attempts, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--max-cycles", NULL, CLI_OPT_U64, &o->max_cycles, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
    };
    uint32_t npos = 0;
    const cli_cmd cmd = { "shrink", shrink_help, opts, sizeof opts / sizeof opts[0], &o->scen, 1,
                          &npos, "one SCENARIO" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc;
    if (!o->scen || !o->sched) return cli_usage_err(&cmd, "expected SCENARIO and --schedule FILE", NULL);
    if (o->keep_stimuli && o->out_scen)
        return cli_usage_err(&cmd, "--out-scenario and --keep-stimuli exclude each other", NULL);
    return 0;
}

int cli_shrink_main(int argc, char **argv) {
    xpl_shrink_opts o = { .max_attempts = 20000 };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    char outbuf[SCEN_PATH_MAX + 16], scenbuf[SCEN_PATH_MAX + 24];
    if (!o.out) { snprintf(outbuf, sizeof outbuf, "%s.shrunk", o.sched); o.out = outbuf; }
    if (!o.out_scen) { snprintf(scenbuf, sizeof scenbuf, "%s.yaml", o.out); o.out_scen = scenbuf; }
    if (o.keep_stimuli) o.out_scen = NULL;
    return xpl_shrink(&o);
}
