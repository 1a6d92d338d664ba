/*
** bench.c — `vmmsim bench latency`: runs one loaded scenario under many schedules
** (vmm_reset + a seeded chooser + vmm_run, as `vmmsim fuzz` does), pairs each
** callback with its trigger in the stored trace (bench_pair.c), and prints per
** callback kind the latency distribution in cycles and in µs at the scenario's clock,
** and where the cycles went (bench_attr.c).
** Runs are serial and seeded from (--seed, run): the output depends on nothing else.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/bench.h"
#include "cli.h"
#include "opt.h"

#define BENCH_RUNS_MAX 10000000ull

static const char bench_help[] =
"usage: vmmsim bench latency SCENARIO [OPTIONS]\n\n"
"Runs SCENARIO under --runs schedules and measures, from each run's trace, the\n"
"simulated cycles from a callback's trigger to its first instruction: nc after the\n"
"critical-section release, idle after Int2F_1689, event and prio after their\n"
"scheduling, timeout after its due time, hwint after the IRQ. Prints per kind the\n"
"count, min, p50, p90, p99 and max in cycles and in microseconds, then per kind\n"
"the mean cycles of each component of the latency (vmm_path, vxd_code, interrupts,\n"
"other_vms, time_slice, timer, waiting) and its share (docs/bench.md).\n\n"
"options:\n"
"  --runs N               schedules to run (default 100)\n"
"  --strategy canonical|random|pct\n"
"                         the chooser (default random; canonical repeats one run)\n"
"  --seed S               run i uses a seed derived from (S, i) (default 0)\n"
"  --json FILE            also write the statistics and every sample (with its\n"
"                         breakdown) as JSON\n"
"  --help                 this text\n\n"
"vmmsim bench host SCENARIO: how fast vmmsim simulates it here (see its --help).\n";

typedef struct bench_opts {
    const char *scenario, *json;
    int      strat;            /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
    uint64_t runs, seed;
} bench_opts;

/* 0, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, bench_opts *o) {
    assert(argv && o);
    const cli_opt opts[] = {
        { "--json", NULL, CLI_OPT_STR, &o->json, 0, 0, "a file name", NULL, NULL, 0 },
        { "--strategy", NULL, CLI_OPT_STRATEGY, &o->strat, 0,
          CLI_STRATS(ENG_STRAT_CANONICAL, ENG_STRAT_RANDOM, ENG_STRAT_PCT), "canonical, random or pct", NULL, NULL, 0 },
        { "--runs", NULL, CLI_OPT_U64, &o->runs, 1, BENCH_RUNS_MAX, "1..10000000", NULL, NULL, 0 },
        { "--seed", NULL, CLI_OPT_U64, &o->seed, 0, UINT64_MAX, "an unsigned integer", NULL, NULL, 0 },
    };
    uint32_t npos = 0;
    const cli_cmd cmd = { "bench latency", bench_help, opts, sizeof opts / sizeof opts[0], &o->scenario, 1,
                          &npos, "one scenario" };
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(bench_help, stdout);
        return -1;
    }
    if (argc < 2 || strcmp(argv[1], "latency")) {
        fprintf(stderr, "vmmsim bench: expected 'latency' or 'host', found %s\n(see 'vmmsim bench --help')\n",
                argc < 2 ? "nothing" : argv[1]);
        return CLI_EXIT_USAGE;
    }
    int rc = cli_opt_parse(&cmd, argc, argv, 2);
    if (!rc && !o->scenario) rc = cli_usage_err(&cmd, "a scenario file is required", NULL);
    return rc;
}

/* µs with 3 decimals (rounded to the nearest ns) from cycles, in integers so the
** text is exact and the same on every host. */
static const char *fmt_us(char *buf, size_t len, uint64_t cycles, uint32_t clock_hz) {
    assert(clock_hz > 0 && cycles <= UINT64_MAX / 1000000ull);
    uint64_t q = cycles * 1000000ull;
    uint64_t us = q / clock_hz;
    uint64_t ns = ((q % clock_hz) * 1000ull + clock_hz / 2) / clock_hz;
    if (ns == 1000) { us++; ns = 0; }
    snprintf(buf, len, "%llu.%03u", (unsigned long long)us, (unsigned)(ns % 1000u));   /* ns < 1000 */
    return buf;
}

/* A kind's total cycles per component, and of all its samples. */
static uint64_t comp_totals(const bench_kind *kd, uint64_t tot[BENCH_COMP_COUNT]) {
    assert(kd && tot);
    uint64_t all = 0;
    memset(tot, 0, BENCH_COMP_COUNT * sizeof *tot);
    for (uint32_t i = 0; i < kd->n; i++) {
        for (int c = 0; c < BENCH_COMP_COUNT; c++) tot[c] += kd->s[i].comp_cycles[c];
        all += kd->s[i].latency_cycles;
    }
    return all;
}

/* part / all as a percentage with one decimal, in integers (the same text on every
** host); all > 0. */
static const char *fmt_share(char *buf, size_t len, uint64_t part, uint64_t all) {
    assert(all > 0 && part <= all);
    while (all > UINT64_MAX / 2000) { all >>= 1; part >>= 1; }
    uint64_t pm = all ? (part * 2000 + all) / (2 * all) : 0;    /* permille, rounded */
    snprintf(buf, len, "%llu.%llu", (unsigned long long)(pm / 10), (unsigned long long)(pm % 10));
    return buf;
}

/* Per kind: mean cycles per sample of each component, and below it each component's
** share of the kind's total latency (docs/bench.md, "Breakdown"). */
static void print_breakdown(FILE *f, const bench_stats *st) {
    assert(f && st);
    fprintf(f, "# breakdown: mean cycles per sample; below: %% of the kind's total latency\n");
    fprintf(f, "%-8s", "kind");
    for (int c = 0; c < BENCH_COMP_COUNT; c++) fprintf(f, " %10s", bench_comp_name(c));
    fputc('\n', f);
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        const bench_kind *kd = &st->k[k];
        uint64_t tot[BENCH_COMP_COUNT], all = comp_totals(kd, tot);
        char buf[32];
        fprintf(f, "%-8s", bench_kind_name(k));
        for (int c = 0; c < BENCH_COMP_COUNT; c++) {
            if (!kd->n) { fprintf(f, " %10s", "-"); continue; }
            fprintf(f, " %10llu", (unsigned long long)((tot[c] + kd->n / 2) / kd->n));
        }
        fprintf(f, "\n%-8s", "");
        for (int c = 0; c < BENCH_COMP_COUNT; c++)
            fprintf(f, " %10s", kd->n && all ? fmt_share(buf, sizeof buf, tot[c], all) : "-");
        fputc('\n', f);
    }
    if (st->mismatches)
        fprintf(f, "# %llu trace steps the breakdown's model did not expect: components may be misfiled\n",
                (unsigned long long)st->mismatches);
}

static void print_table(FILE *f, const bench_opts *o, const bench_stats *st, uint32_t clock_hz) {
    assert(f && o && st && clock_hz > 0);
    static const uint32_t q[] = { 0, 50, 90, 99, 100 };
    fprintf(f, "# vmmsim bench latency %s runs=%llu strategy=%s seed=%llu clock_hz=%u\n",
            o->scenario, (unsigned long long)o->runs, eng_strategy_name(o->strat),
            (unsigned long long)o->seed, clock_hz);
    fprintf(f, "%-8s %8s %8s %10s %10s %10s %10s %10s\n", "kind", "count", "unpaired", "min", "p50",
            "p90", "p99", "max");
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        const bench_kind *kd = &st->k[k];
        fprintf(f, "%-8s %8u %8llu", bench_kind_name(k), kd->n, (unsigned long long)kd->unpaired);
        for (int unit = 0; unit < 2; unit++) {
            if (unit) fprintf(f, "\n%-8s %8s %8s", "", "", "us");
            for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
                if (!kd->n) { fprintf(f, " %10s", "-"); continue; }
                uint64_t c = q[i] ? bench_percentile(kd, q[i]) : kd->sorted[0];
                if (!unit) { fprintf(f, " %10llu", (unsigned long long)c); continue; }
                char buf[32];
                fprintf(f, " %10s", fmt_us(buf, sizeof buf, c, clock_hz));
            }
        }
        fputc('\n', f);
    }
    if (st->vm_timeouts)
        fprintf(f, "# %llu VM time-out callbacks not measured (due in VM execution time)\n",
                (unsigned long long)st->vm_timeouts);
    if (st->irq_merged)
        fprintf(f, "# %llu IRQ raises merged into a pending request of their line (no callback of their own)\n",
                (unsigned long long)st->irq_merged);
    if (st->breakdown) print_breakdown(f, st);
}

/* "breakdown": per component the total cycles over the kind's samples, the mean
** per sample (rounded) and the share of the total latency in percent. */
static void json_kind_breakdown(FILE *f, const bench_kind *kd) {
    assert(f && kd);
    uint64_t tot[BENCH_COMP_COUNT], all = comp_totals(kd, tot);
    char buf[32];
    fprintf(f, ",\"breakdown\":{");
    for (int c = 0; c < BENCH_COMP_COUNT; c++) {
        fprintf(f, "%s\"%s\":{\"total\":%llu", c ? "," : "", bench_comp_name(c), (unsigned long long)tot[c]);
        if (kd->n)
            fprintf(f, ",\"mean\":%llu,\"share\":%s", (unsigned long long)((tot[c] + kd->n / 2) / kd->n),
                    all ? fmt_share(buf, sizeof buf, tot[c], all) : "0.0");
        fputc('}', f);
    }
    fputc('}', f);
}

static void json_kind(FILE *f, const bench_kind *kd, uint32_t clock_hz, int bd) {
    assert(f && kd && clock_hz > 0);
    static const uint32_t q[] = { 50, 90, 99 };
    static const char *const qn[] = { "p50", "p90", "p99" };
    fprintf(f, "{\"count\":%u,\"unpaired\":%llu", kd->n, (unsigned long long)kd->unpaired);
    if (kd->n) {
        uint64_t v[5] = { kd->sorted[0], 0, 0, 0, kd->sorted[kd->n - 1] };
        for (int i = 0; i < 3; i++) v[i + 1] = bench_percentile(kd, q[i]);
        const char *names[5] = { "min", qn[0], qn[1], qn[2], "max" };
        for (int unit = 0; unit < 2; unit++) {
            fprintf(f, ",\"%s\":{", unit ? "us" : "cycles");
            for (int i = 0; i < 5; i++) {
                fprintf(f, "%s\"%s\":", i ? "," : "", names[i]);
                char buf[32];
                if (unit) fputs(fmt_us(buf, sizeof buf, v[i], clock_hz), f);
                else fprintf(f, "%llu", (unsigned long long)v[i]);
            }
            fputc('}', f);
        }
    }
    if (bd) json_kind_breakdown(f, kd);
    fprintf(f, ",\"samples\":[");
    for (uint32_t i = 0; i < kd->n; i++) {
        const bench_sample *sm = &kd->s[i];
        fprintf(f, "%s{\"run\":%llu,\"trigger\":%llu,\"enter\":%llu,\"cycles\":%llu", i ? "," : "",
                (unsigned long long)sm->run, (unsigned long long)sm->trigger_cycle,
                (unsigned long long)sm->enter_cycle, (unsigned long long)sm->latency_cycles);
        if (bd) {
            fprintf(f, ",\"breakdown\":{");
            for (int c = 0; c < BENCH_COMP_COUNT; c++)
                fprintf(f, "%s\"%s\":%llu", c ? "," : "", bench_comp_name(c),
                        (unsigned long long)sm->comp_cycles[c]);
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f, "]}");
}

static int write_json(const bench_opts *o, const bench_stats *st, uint32_t clock_hz) {
    assert(o && o->json && st && clock_hz > 0);
    FILE *f = fopen(o->json, "w");
    if (!f) { fprintf(stderr, "vmmsim bench: %s: cannot write\n", o->json); return CLI_EXIT_HOST; }
    fprintf(f, "{\"scenario\":");
    xpl_json_str(f, o->scenario);
    fprintf(f, ",\"runs\":%llu,\"strategy\":\"%s\",\"seed\":%llu,\"clock_hz\":%u,"
               "\"vm_timeouts_unmeasured\":%llu,\"irq_merged\":%llu,\"breakdown_mismatches\":%llu,"
               "\"components\":[",
            (unsigned long long)o->runs, eng_strategy_name(o->strat), (unsigned long long)o->seed, clock_hz,
            (unsigned long long)st->vm_timeouts, (unsigned long long)st->irq_merged,
            (unsigned long long)st->mismatches);
    for (int c = 0; c < BENCH_COMP_COUNT; c++) fprintf(f, "%s\"%s\"", c ? "," : "", bench_comp_name(c));
    fprintf(f, "],\"kinds\":{");
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        fprintf(f, "%s\"%s\":", k ? "," : "", bench_kind_name(k));
        json_kind(f, &st->k[k], clock_hz, st->breakdown);
    }
    fprintf(f, "}}\n");
    int bad = ferror(f);
    if (fclose(f) || bad) { fprintf(stderr, "vmmsim bench: %s: write error\n", o->json); return CLI_EXIT_HOST; }
    return 0;
}

static int bench_latency(const bench_opts *o) {
    xpl_sim c;
    memset(&c, 0, sizeof c);
    int rc = xpl_sim_load(&c, o->scenario, stderr);
    if (rc) { xpl_sim_free(&c); return rc; }
    uint32_t clock_hz = c.s.vs.m.clock_hz;
    assert(clock_hz > 0);
    vmm_machine d;
    vmm_machine_defaults(&d);
    bench_stats st;
    bench_init(&st, c.s.vs.m.service_cycles ? c.s.vs.m.service_cycles : d.service_cycles);
    const bench_series ser = { c.v, c.path, o->strat, o->seed,
                               o->strat == ENG_STRAT_PCT ? xpl_pct_steps(&c, o->seed) : 0, clock_hz };
    for (uint64_t run = 0; run < o->runs && !rc; run++) rc = cli_bench_exit(bench_latency_run(&st, &ser, run));
    if (!rc && bench_sort(&st)) rc = CLI_EXIT_HOST;
    if (!rc) {
        print_table(stdout, o, &st, clock_hz);
        if (o->json) rc = write_json(o, &st, clock_hz);
    }
    bench_free(&st);
    xpl_sim_free(&c);
    return rc;
}

int cli_bench_main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "host"))   /* host time: bench_host.c */
        return cli_bench_host_main(argc - 1, argv + 1);
    bench_opts o = { .strat = ENG_STRAT_RANDOM, .runs = 100 };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    return bench_latency(&o);
}
