/*
** run.c — `vmmsim run [SCENARIO]`: run a scenario, print its trace, hash, findings
** and the verdict of its expectations (docs/cli.md).
**
** stdout is itself a valid trace file (summary lines are '#' comments), so
** `vmmsim run x.yaml > x.trace` and `--trace x.trace` give the same replayable file.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "afile.h"

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
"  --quiet               print only the summary (hash, findings, verdict)\n"
"  --max-cycles N        stop the simulation after N cycles\n"
"  --strategy NAME       choice-point strategy: canonical (default), random, or pct\n"
"                        (pct: one PCT run, its change points spread as fuzz spreads them)\n"
"  --seed N              seed for --strategy random or pct (default 0)\n"
"  --depth D             PCT depth, 1..16 (default 3)\n"
"  --help                this text\n"
"\n"
"exit status: 0 all expectations hold, 1 a finding or a failed expectation,\n"
"2 bad usage or scenario, 3 simulation error, 4 host error.\n";

typedef struct run_opts {
    const char *scenario, *trace, *perfetto;
    int jsonl, quiet;
} run_opts;

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int usage_err(const char *msg, const char *arg) {
    fprintf(stderr, "vmmsim run: %s%s%s\n(see 'vmmsim run --help')\n", msg, arg ? " " : "", arg ? arg : "");
    return CLI_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, run_opts *o, cli_sim *c) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(run_help, stdout); return -1; }
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) { o->quiet = 1; takes = 0; }
        else if (!strcmp(a, "--format")) {
            if (!val || (strcmp(val, "text") && strcmp(val, "jsonl")))
                return usage_err("--format expects text or jsonl, found", val ? val : "nothing");
            o->jsonl = !strcmp(val, "jsonl");
        } else if (!strcmp(a, "--trace")) { if (!val) return usage_err("--trace expects a FILE", NULL); o->trace = val; }
        else if (!strcmp(a, "--perfetto")) { if (!val) return usage_err("--perfetto expects a FILE", NULL); o->perfetto = val; }
        else if (!strcmp(a, "--max-cycles")) {
            if (parse_u64(val, &c->max_cycles) || c->max_cycles == 0)
                return usage_err("--max-cycles expects a positive integer, found", val ? val : "nothing");
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(val, &c->seed)) return usage_err("--seed expects an integer, found", val ? val : "nothing");
        } else if (!strcmp(a, "--strategy")) {
            if (!val || cli_strategy_parse(val, &c->strategy))
                return usage_err("--strategy expects canonical, random or pct, found", val ? val : "nothing");
        } else if (!strcmp(a, "--depth")) {
            uint64_t d;
            if (parse_u64(val, &d) || d < 1 || d > CLI_PCT_DEPTH_MAX)
                return usage_err("--depth expects 1..16, found", val ? val : "nothing");
            c->depth = (uint32_t)d;
        } else if (a[0] == '-' && a[1]) return usage_err("unknown option", a);
        else {
            if (o->scenario) return usage_err("expected one SCENARIO, found another:", a);
            o->scenario = a;
            takes = 0;
        }
        i += takes;
    }
    return 0;
}

static void write_records(const cli_sim *c, FILE *f, int jsonl) {
    char line[CLI_LINE_MAX];
    const eng_trace *t = vmm_trace(c->v);
    for (uint32_t i = 0; i < t->len; i++) {
        size_t n = cli_sim_line(c, i, line, sizeof line);
        if (jsonl) cli_emit_jsonl(f, line, n);
        else { fwrite(line, 1, n, f); fputc('\n', f); }
    }
}

/* Summary: deterministic, '#' lines, after the records. Returns failures. */
static uint32_t write_summary(cli_sim *c, FILE *f) {
    const eng_trace *t = vmm_trace(c->v);
    fprintf(f, "# hash: 0x%016llx\n# records: %llu\n", (unsigned long long)t->hash,
            (unsigned long long)t->count);
    if (t->overflow)
        fprintf(f, "# note: only the first %u records were kept (trace storage full)\n", t->len);
    if (c->run_rc)
        fprintf(f, "# error: %s: %s\n", vmm_strerror(c->run_rc), vmm_error(c->v));
    uint32_t fails = cli_expect_check(c, f);
    fprintf(f, "# verdict: %s\n", c->run_rc ? "ERROR" : fails ? "FAIL" : "PASS");
    return fails;
}

static int write_trace_file(cli_sim *c, const char *path) {
    cli_afile af;
    FILE *f = cli_afile_open(&af, path);
    if (!f) { fprintf(stderr, "vmmsim run: %s: cannot write: %s\n", path, strerror(errno)); return CLI_EXIT_HOST; }
    cli_trace_header(f, c);
    write_records(c, f, 0);
    write_summary(c, f);
    if (cli_afile_commit(&af)) { fprintf(stderr, "vmmsim run: %s: write error\n", path); return CLI_EXIT_HOST; }
    return CLI_EXIT_OK;
}

/* Output paths are checked before the run (not after printing it all): writable, and
** not the scenario itself nor each other. */
static int check_outputs(const run_opts *o) {
    const char *in[] = { o->scenario, o->trace };
    const char *out[] = { o->trace, o->perfetto };
    char why[300];
    for (int k = 0; k < 2; k++)
        if (out[k] && cli_afile_check(out[k], in, k + 1, why, sizeof why)) {
            fprintf(stderr, "vmmsim run: %s %s: %s\n", k ? "--perfetto" : "--trace", out[k], why);
            return CLI_EXIT_USAGE;
        }
    return CLI_EXIT_OK;
}

int cli_run_main(int argc, char **argv) {
    run_opts o = { 0 };
    cli_sim *c = calloc(1, sizeof *c);
    if (!c) { fprintf(stderr, "vmmsim run: out of memory\n"); return CLI_EXIT_HOST; }
    int rc = parse_args(argc, argv, &o, c);
    if (rc) { free(c); return rc < 0 ? CLI_EXIT_OK : rc; }
    if ((rc = check_outputs(&o))) { free(c); return rc; }
    rc = cli_sim_load(c, o.scenario, stderr);
    if (rc) { cli_sim_free(c); free(c); return rc; }
    cli_sim_run(c, stderr);
    if (!o.quiet) {
        if (!o.jsonl) cli_trace_header(stdout, c);
        write_records(c, stdout, o.jsonl);
    }
    uint32_t fails = write_summary(c, o.jsonl ? stderr : stdout);
    int wrc = CLI_EXIT_OK;
    if (o.trace) wrc = write_trace_file(c, o.trace);
    if (!wrc && o.perfetto) wrc = cli_perfetto_write(c, o.perfetto, stderr);
    rc = wrc ? wrc : c->run_rc ? CLI_EXIT_SIM : fails ? CLI_EXIT_FINDING : CLI_EXIT_OK;
    if (fflush(stdout) && !rc) rc = CLI_EXIT_HOST;
    cli_sim_free(c);
    free(c);
    return rc;
}
