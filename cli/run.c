/*
** run.c — `vmmsim run [SCENARIO]`: run a scenario, print its trace, hash, findings
** and the verdict of its expectations (docs/cli.md).
**
** stdout is itself a valid trace file (summary lines are '#' comments), so
** `vmmsim run x.yaml > x.trace` and `--trace x.trace` give the same replayable file.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"
#include "debug/dbg.h"

static const char run_help[] =
"usage: vmmsim run [OPTIONS] [SCENARIO.yaml]\n"
"\n"
"Runs a scenario (without SCENARIO: the built-in demo of Call_When_Idle and\n"
"Call_When_Not_Critical) and prints its trace, the trace hash, any findings and\n"
"the verdict of the scenario's expectations.\n"
"\n"
"options:\n"
"  --format text|jsonl   trace format on stdout (default text)\n"
"  --trace FILE          also write the text trace (with header) to FILE\n"
"  --perfetto FILE       write a Chrome/Perfetto trace-event JSON file\n"
"  --symbols FILE        write the scenario's labels as an ELF symbol file (gdb's\n"
"                        symbol-file, for 'vmmsim debug'; docs/debug.md)\n"
"  --quiet               print only the summary (hash, findings, verdict)\n"
"  --max-cycles N        stop the simulation after N cycles\n"
"  --strategy NAME       choice-point strategy: canonical (default), random, or pct\n"
"                        (pct: one PCT run, its change points spread as fuzz spreads them)\n"
"  --seed N              seed for --strategy random or pct (default 0)\n"
"  --depth D             PCT depth, 1..16 (default 3)\n"
"  --pct-by source|rank  PCT's sources: what produced each option (default) or the\n"
"                        option's (kind, canonical rank); the trace header records\n"
"                        pct-by=source, and a pct header without it replays by rank\n"
"  --help                this text\n"
"\n"
"exit status: 0 all expectations hold, 1 a finding or a failed expectation,\n"
"2 bad usage or scenario, 3 simulation error, 4 host error.\n";

typedef struct run_opts {
    const char *scenario, *trace, *perfetto, *symbols;
    int jsonl, quiet;
} run_opts;

static int format_arg(const char *const *val, void *dst) {
    assert(val && val[0] && dst);
    if (strcmp(val[0], "text") && strcmp(val[0], "jsonl")) return -1;
    *(int *)dst = !strcmp(val[0], "jsonl");
    return 0;
}

static int parse_args(int argc, char **argv, run_opts *o, xpl_sim *c) {
    assert(argv && o && c);
    const cli_opt opts[] = {
        { "--quiet", "-q", CLI_OPT_FLAG, &o->quiet, 0, 0, NULL, NULL, NULL, 0 },
        { "--format", NULL, CLI_OPT_FUNC, &o->jsonl, 0, 0, "text or jsonl", NULL, format_arg, 1 },
        { "--trace", NULL, CLI_OPT_STR, &o->trace, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--perfetto", NULL, CLI_OPT_STR, &o->perfetto, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--symbols", NULL, CLI_OPT_STR, &o->symbols, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--max-cycles", NULL, CLI_OPT_U64, &c->max_cycles, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--seed", NULL, CLI_OPT_U64, &c->seed, 0, UINT64_MAX, "an integer", NULL, NULL, 0 },
        { "--strategy", NULL, CLI_OPT_STRATEGY, &c->strategy, 0,
          CLI_STRATS(ENG_STRAT_CANONICAL, ENG_STRAT_RANDOM, ENG_STRAT_PCT), "canonical, random or pct", NULL, NULL, 0 },
        { "--depth", NULL, CLI_OPT_U32, &c->depth, 1, XPL_PCT_DEPTH_MAX, "1..16", NULL, NULL, 0 },
        { "--pct-by", NULL, CLI_OPT_FUNC, &c->pct_by, 0, 0, "source or rank", NULL, cli_pct_by_arg, 1 },
    };
    uint32_t npos = 0;
    const cli_cmd cmd = { "run", run_help, opts, sizeof opts / sizeof opts[0], &o->scenario, 1,
                          &npos, "one SCENARIO" };
    return cli_opt_parse(&cmd, argc, argv, 1);
}

static void write_records(const xpl_sim *c, FILE *f, int jsonl) {
    assert(c && c->v && f);
    char line[XPL_LINE_MAX];
    const eng_trace *t = vmm_trace(c->v);
    for (uint32_t i = 0; i < t->len; i++) {
        size_t n = xpl_sim_line(c, i, line, sizeof line);
        if (jsonl) xpl_emit_jsonl(f, line, n);
        else { fwrite(line, 1, n, f); fputc('\n', f); }
    }
}

/* Summary: deterministic, '#' lines, after the records. Returns failures. */
static uint32_t write_summary(xpl_sim *c, FILE *f) {
    assert(c && c->v && f);
    const eng_trace *t = vmm_trace(c->v);
    fprintf(f, "# hash: 0x%016llx\n# records: %llu\n", (unsigned long long)t->hash,
            (unsigned long long)t->count);
    if (t->overflow)
        fprintf(f, "# note: only the first %u records were kept (trace storage full)\n", t->len);
    if (c->run_rc)
        fprintf(f, "# error: %s: %s\n", vmm_strerror(c->run_rc), vmm_error(c->v));
    uint32_t fails = xpl_expect_check(c, f);
    fprintf(f, "# verdict: %s\n", c->run_rc ? "ERROR" : fails ? "FAIL" : "PASS");
    return fails;
}

static int write_trace_file(xpl_sim *c, const char *path) {
    assert(c && c->v && path);
    xpl_afile af;
    FILE *f = xpl_afile_open(&af, path);
    if (!f) { fprintf(stderr, "vmmsim run: %s: cannot write: %s\n", path, strerror(errno)); return CLI_EXIT_HOST; }
    xpl_trace_header(f, c);
    write_records(c, f, 0);
    write_summary(c, f);
    if (xpl_afile_commit(&af)) { fprintf(stderr, "vmmsim run: %s: write error\n", path); return CLI_EXIT_HOST; }
    return CLI_EXIT_OK;
}

/* Output paths are checked before the run (not after printing it all): writable, and
** not the scenario itself nor each other. */
static int check_outputs(const run_opts *o) {
    assert(o);
    const char *in[] = { o->scenario, o->trace };
    const char *out[] = { o->trace, o->perfetto, o->symbols };
    static const char *const name[] = { "--trace", "--perfetto", "--symbols" };
    char why[300];
    for (int k = 0; k < 3; k++)
        if (out[k] && xpl_afile_check(out[k], in, k < 2 ? k + 1 : 2, why, sizeof why)) {
            fprintf(stderr, "vmmsim run: %s %s: %s\n", name[k], out[k], why);
            return CLI_EXIT_USAGE;
        }
    return CLI_EXIT_OK;
}

int cli_run_main(int argc, char **argv) {
    run_opts o = { 0 };
    xpl_sim *c = calloc(1, sizeof *c);
    if (!c) { fprintf(stderr, "vmmsim run: out of memory\n"); return CLI_EXIT_HOST; }
    int rc = parse_args(argc, argv, &o, c);
    if (rc) { free(c); return rc < 0 ? CLI_EXIT_OK : rc; }
    if ((rc = check_outputs(&o))) { free(c); return rc; }
    rc = xpl_sim_load(c, o.scenario, stderr);
    if (rc) { xpl_sim_free(c); free(c); return rc; }
    xpl_sim_run(c, stderr);
    if (!o.quiet) {
        if (!o.jsonl) xpl_trace_header(stdout, c);
        write_records(c, stdout, o.jsonl);
    }
    uint32_t fails = write_summary(c, o.jsonl ? stderr : stdout);
    int wrc = CLI_EXIT_OK;
    if (o.trace) wrc = write_trace_file(c, o.trace);
    if (!wrc && o.perfetto) wrc = xpl_perfetto_write(c, o.perfetto, stderr);
    if (!wrc && o.symbols) wrc = dbg_symbols_write(&c->s, o.symbols, stderr);
    rc = wrc ? wrc : c->run_rc ? CLI_EXIT_SIM : fails ? CLI_EXIT_FINDING : CLI_EXIT_OK;
    if (fflush(stdout) && !rc) rc = CLI_EXIT_HOST;
    xpl_sim_free(c);
    free(c);
    return rc;
}
