/*
** bench_host.c — `vmmsim bench host SCENARIO`: the command line and the report of the
** host-speed measurement (bench/lib/bench_host.c; docs/bench.md, "Host speed").
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench/lib/bench.h"
#include "cli.h"
#include "opt.h"

#ifndef VMMSIM_BUILD_TYPE
#define VMMSIM_BUILD_TYPE "unknown"
#endif

static const char bench_host_help[] =
"usage: vmmsim bench host SCENARIO [OPTIONS]\n\n"
"Measures how fast vmmsim simulates SCENARIO on this host: simulated cycles per host\n"
"second (and how many times a real 33 MHz 386 that is), interpreter MIPS, engine\n"
"events per second, host ns per event, and the host ns from each callback's trigger\n"
"to its entry. The scenario is assembled once; a run is reset + run. Each metric is\n"
"reported as median, p99 (the slow tail), min and max over the repeats; wall time, and\n"
"CPU time (the cpu_ metrics: the thread's CPU time of runs and resets).\n\n"
"options:\n"
"  --repeat N             repeats (default 20)\n"
"  --runs-per-repeat M    runs per repeat (default: enough for about 20 ms)\n"
"  --strategy canonical|random|pct\n"
"                         the chooser (default canonical: every run the same)\n"
"  --seed S               run i of each repeat uses a seed derived from (S, i), as\n"
"                         in bench latency (default 0)\n"
"  --json FILE            also write every repeat, the statistics and the host's details\n"
"  --help                 this text\n";

/* A bench library code as an exit code. */
int cli_bench_exit(int rc) {
    return rc == 0 ? CLI_EXIT_OK : rc == BENCH_ENOMEM ? CLI_EXIT_HOST : CLI_EXIT_SIM;
}

typedef struct host_cmd {
    const char *scenario, *json;
    xpl_sim     c;
    bench_host  b;
} host_cmd;

/* 0, -1 after --help, or an exit code. argv[0] is "host". */
static int parse_args(int argc, char **argv, host_cmd *hc) {
    assert(argv && hc);
    bench_host_opts *o = &hc->b.o;
    const cli_opt opts[] = {
        { "--json", NULL, CLI_OPT_STR, &hc->json, 0, 0, "a file name", NULL, NULL, 0 },
        { "--repeat", NULL, CLI_OPT_U64, &o->repeat, 1, BENCH_HOST_REPEAT_MAX, "1..10000", NULL, NULL, 0 },
        { "--runs-per-repeat", NULL, CLI_OPT_U64, &o->runs, 1, BENCH_HOST_RUNS_MAX, "1..10000000", NULL, NULL, 0 },
        { "--strategy", NULL, CLI_OPT_STRATEGY, &o->strat, 0,
          CLI_STRATS(ENG_STRAT_CANONICAL, ENG_STRAT_RANDOM, ENG_STRAT_PCT), "canonical, random or pct", NULL, NULL, 0 },
        { "--seed", NULL, CLI_OPT_U64, &o->seed, 0, UINT64_MAX, "an unsigned integer", NULL, NULL, 0 },
    };
    uint32_t npos = 0;
    const cli_cmd cmd = { "bench host", bench_host_help, opts, sizeof opts / sizeof opts[0], &hc->scenario, 1,
                          &npos, "one scenario" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc;
    if (!hc->scenario) return cli_usage_err(&cmd, "a scenario file is required", NULL);
    if (o->strat != ENG_STRAT_CANONICAL && o->runs > BENCH_HOST_IDX_MAX)
        return cli_usage_err(&cmd, "--runs-per-repeat with a seeded --strategy expects 1..1048576", NULL);
    return 0;
}

/* ---- output ----------------------------------------------------------------------- */

static const char *lat_name(int k) { return k == BENCH_KIND_COUNT ? "all" : bench_kind_name(k); }

static void print_text(FILE *f, const host_cmd *hc, const bench_host_info *h, const bench_stat *st) {
    assert(f && hc && h && st);
    const bench_host *b = &hc->b;
    const bench_work *w = &b->w;
    fprintf(f, "# vmmsim bench host %s repeat=%llu runs_per_repeat=%llu strategy=%s seed=%llu clock_hz=%u\n",
            hc->scenario, (unsigned long long)b->o.repeat, (unsigned long long)b->o.runs,
            eng_strategy_name(b->o.strat), (unsigned long long)b->o.seed, b->clock_hz);
    fprintf(f, "# host: %s, %u cpus, %s, %s, %s build, asserts %s\n", h->cpu, h->cores, h->kernel,
            h->compiler, VMMSIM_BUILD_TYPE, bench_asserts_on());
    fprintf(f, "# %s: %llu cycles, %llu instructions, %llu events, %llu callbacks, %llu records, "
               "hash 0x%016llx%s\n", b->o.strat == ENG_STRAT_CANONICAL ? "one run" : "run 0",
            (unsigned long long)w->cycles, (unsigned long long)w->insns, (unsigned long long)w->events,
            (unsigned long long)w->callbacks, (unsigned long long)w->records, (unsigned long long)b->hash0,
            b->tot.complete ? "" : " (trace not stored whole: events and callbacks undercounted)");
    if (b->o.strat != ENG_STRAT_CANONICAL)
        fprintf(f, "# a repeat (runs 0..%llu): %llu cycles, %llu instructions, %llu events, %llu callbacks, "
                   "%u distinct traces, each the same in every repeat\n",
                (unsigned long long)b->o.runs - 1, (unsigned long long)b->tot.cycles,
                (unsigned long long)b->tot.insns, (unsigned long long)b->tot.events,
                (unsigned long long)b->tot.callbacks, b->distinct);
    fprintf(f, "%-20s %14s %14s %14s %14s\n", "metric", "median", "p99", "min", "max");
    for (int i = 0; i < BENCH_M_COUNT; i++)
        fprintf(f, "%-20s %14.6g %14.6g %14.6g %14.6g\n", bench_metric[i].name, st[i].med, st[i].p99,
                st[i].min, st[i].max);
    fprintf(f, "# host ns from trigger to callback entry (one stamped run per repeat)\n");
    fprintf(f, "%-8s %8s %12s %12s %12s %12s\n", "kind", "count", "min", "median", "p99", "max");
    for (int k = 0; k <= BENCH_KIND_COUNT; k++) {
        const bench_lat *l = &b->lat[k];
        if (!l->n) { fprintf(f, "%-8s %8u %12s %12s %12s %12s\n", lat_name(k), 0u, "-", "-", "-", "-"); continue; }
        fprintf(f, "%-8s %8u %12llu %12llu %12llu %12llu\n", lat_name(k), l->n,
                (unsigned long long)l->ns[0], (unsigned long long)l->ns[bench_rank(l->n, 50)],
                (unsigned long long)l->ns[bench_rank(l->n, 99)], (unsigned long long)l->ns[l->n - 1]);
    }
    if (b->probe_incomplete)
        fprintf(f, "# %llu stamped runs skipped: the trace outgrew trace_records\n",
                (unsigned long long)b->probe_incomplete);
}

static void json_host(FILE *f, const bench_host_info *h) {
    assert(f && h);
    fprintf(f, "\"host\":{\"cpu_model\":");
    xpl_json_str(f, h->cpu);
    fprintf(f, ",\"cpus\":%u,\"kernel\":", h->cores);
    xpl_json_str(f, h->kernel);
    fprintf(f, ",\"compiler\":");
    xpl_json_str(f, h->compiler);
    fprintf(f, ",\"build_type\":");
    xpl_json_str(f, VMMSIM_BUILD_TYPE);
    fprintf(f, ",\"asserts\":\"%s\",\"libuv\":", bench_asserts_on());
    xpl_json_str(f, uv_version_string());
    fprintf(f, "}");
}

static void json_lat(FILE *f, const bench_host *b) {
    assert(f && b);
    fprintf(f, ",\"trigger_to_entry_ns\":{");
    for (int k = 0; k <= BENCH_KIND_COUNT; k++) {
        const bench_lat *l = &b->lat[k];
        fprintf(f, "%s\"%s\":{\"count\":%u", k ? "," : "", lat_name(k), l->n);
        if (l->n)
            fprintf(f, ",\"min\":%llu,\"median\":%llu,\"p99\":%llu,\"max\":%llu",
                    (unsigned long long)l->ns[0], (unsigned long long)l->ns[bench_rank(l->n, 50)],
                    (unsigned long long)l->ns[bench_rank(l->n, 99)], (unsigned long long)l->ns[l->n - 1]);
        fprintf(f, "}");
    }
    fprintf(f, "}");
}

static int write_json(const host_cmd *hc, const bench_host_info *h, const bench_stat *st) {
    assert(hc && hc->json && h && st);
    const bench_host *b = &hc->b;
    const bench_work *w = &b->w;
    FILE *f = fopen(hc->json, "w");
    if (!f) { fprintf(stderr, "vmmsim bench host: %s: cannot write\n", hc->json); return CLI_EXIT_HOST; }
    fprintf(f, "{\"bench\":\"host\",\"scenario\":");
    xpl_json_str(f, hc->scenario);
    fprintf(f, ",\"repeat\":%llu,\"runs_per_repeat\":%llu,\"strategy\":\"%s\",\"seed\":%llu,"
               "\"clock_hz\":%u,",
            (unsigned long long)b->o.repeat, (unsigned long long)b->o.runs, eng_strategy_name(b->o.strat),
            (unsigned long long)b->o.seed, b->clock_hz);
    json_host(f, h);
    fprintf(f, ",\"run\":{\"cycles\":%llu,\"instructions\":%llu,\"events\":%llu,\"callbacks\":%llu,"
               "\"records\":%llu,\"hash\":\"0x%016llx\",\"trace_complete\":%s}",
            (unsigned long long)w->cycles, (unsigned long long)w->insns, (unsigned long long)w->events,
            (unsigned long long)w->callbacks, (unsigned long long)w->records, (unsigned long long)b->hash0,
            w->complete ? "true" : "false");
    fprintf(f, ",\"repeat_work\":{\"cycles\":%llu,\"instructions\":%llu,\"events\":%llu,\"callbacks\":%llu,"
               "\"distinct_traces\":%u,\"trace_complete\":%s}",
            (unsigned long long)b->tot.cycles, (unsigned long long)b->tot.insns,
            (unsigned long long)b->tot.events, (unsigned long long)b->tot.callbacks, b->distinct,
            b->tot.complete ? "true" : "false");
    fprintf(f, ",\"metrics\":{");
    for (int i = 0; i < BENCH_M_COUNT; i++)
        fprintf(f, "%s\"%s\":{\"median\":%.6g,\"p99\":%.6g,\"min\":%.6g,\"max\":%.6g}", i ? "," : "",
                bench_metric[i].name, st[i].med, st[i].p99, st[i].min, st[i].max);
    fprintf(f, "}");
    json_lat(f, b);
    fprintf(f, ",\"repeats\":[");
    for (uint64_t r = 0; r < b->o.repeat; r++)
        fprintf(f, "%s{\"runs\":%llu,\"run_ns\":%llu,\"reset_ns\":%llu,\"cpu_ns\":%llu}", r ? "," : "",
                (unsigned long long)b->rep[r].runs, (unsigned long long)b->rep[r].run_ns,
                (unsigned long long)b->rep[r].reset_ns, (unsigned long long)b->rep[r].cpu_ns);
    fprintf(f, "]}\n");
    int bad = ferror(f);
    if (fclose(f) || bad) { fprintf(stderr, "vmmsim bench host: %s: write error\n", hc->json); return CLI_EXIT_HOST; }
    return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static int bench_host_cmd(host_cmd *hc) {
    assert(hc && hc->scenario);
    int rc = xpl_sim_load(&hc->c, hc->scenario, stderr);
    if (rc) return rc;
    bench_host *b = &hc->b;
    b->v = hc->c.v;
    b->path = hc->c.path;
    b->clock_hz = hc->c.s.vs.m.clock_hz;
    if (b->o.strat == ENG_STRAT_PCT) b->pct_steps = xpl_pct_steps(&hc->c, b->o.seed);
    if ((rc = cli_bench_exit(bench_host_measure(b)))) return rc;
    bench_stat st[BENCH_M_COUNT];
    bench_host_info h;
    if (bench_host_summarize(b, st)) return CLI_EXIT_HOST;
    bench_host_details(&h);
    print_text(stdout, hc, &h, st);
    return hc->json ? write_json(hc, &h, st) : 0;
}

int cli_bench_host_main(int argc, char **argv) {
    host_cmd *hc = calloc(1, sizeof *hc);
    if (!hc) return CLI_EXIT_HOST;
    hc->b.o.repeat = 20;
    int rc = parse_args(argc, argv, hc);
    if (!rc) rc = bench_host_cmd(hc);
    else if (rc < 0) rc = CLI_EXIT_OK;
    bench_host_free(&hc->b);
    xpl_sim_free(&hc->c);
    free(hc);
    return rc;
}
