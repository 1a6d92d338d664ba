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

#include "bench.h"
#include "cli_int.h"
#include "fuzz.h"

#define BL_RUNS_MAX 10000000ull

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

typedef struct bl_opts {
    const char *scenario, *json;
    int      strat;            /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
    uint64_t runs, seed;
} bl_opts;

int bench_usage_err(const char *cmd, const char *msg, const char *arg) {
    fprintf(stderr, "vmmsim bench %s: %s%s%s\n(see 'vmmsim bench %s --help')\n", cmd, msg,
            arg ? " " : "", arg ? arg : "", cmd);
    return CLI_EXIT_USAGE;
}

static int usage_err(const char *msg, const char *arg) {
    return bench_usage_err("latency", msg, arg);
}

int bench_opt_common(const char *cmd, const char *help, int argc, char **argv, int *i,
                     const char **scenario, const char **json) {
    const char *a = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    assert(*i > 0 && *i < argc);
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(help, stdout); return -1; }
    if (a[0] != '-') {
        if (*scenario) return bench_usage_err(cmd, "more than one scenario:", a);
        *scenario = a;
        return 1;
    }
    if (strcmp(a, "--json")) return 0;
    if (!val) return bench_usage_err(cmd, "--json expects a file name", NULL);
    *json = val;
    ++*i;
    return 1;
}

int bench_grow(void **arr, uint32_t n, uint32_t *cap, size_t size) {
    assert(n <= *cap && size > 0);
    if (n < *cap) return 0;
    if (*cap >= BL_SAMPLES_MAX) return BL_EFULL;
    uint32_t nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, (size_t)nc * size);
    if (!p) return BL_ENOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

/* 0, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, bl_opts *o) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(bench_help, stdout);
        return -1;
    }
    if (argc < 2 || strcmp(argv[1], "latency")) {
        fprintf(stderr, "vmmsim bench: expected 'latency' or 'host', found %s\n(see 'vmmsim bench --help')\n",
                argc < 2 ? "nothing" : argv[1]);
        return CLI_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = bench_opt_common("latency", bench_help, argc, argv, &i, &o->scenario, &o->json);
        if (k) { if (k == 1) continue; return k; }
        if (!strcmp(a, "--strategy")) {
            if (!val || cli_strategy_parse(val, &o->strat))
                return usage_err("--strategy expects canonical, random or pct, found", val);
        } else if (!strcmp(a, "--runs")) {
            if (cli_u64_arg(val, &o->runs) || o->runs < 1 || o->runs > BL_RUNS_MAX)
                return usage_err("--runs expects 1..10000000, found", val);
        } else if (!strcmp(a, "--seed")) {
            if (cli_u64_arg(val, &o->seed)) return usage_err("--seed expects an unsigned integer, found", val);
        } else {
            return usage_err("unknown option", a);
        }
        i++;
    }
    if (!o->scenario) return usage_err("a scenario file is required", NULL);
    return 0;
}

static int one_run(const bl_opts *o, cli_sim *c, bl_stats *st, uint64_t run, uint32_t steps) {
    vmm_reset(c->v);
    cli_chooser_for_run(vmm_chooser(c->v), o->strat, o->seed, run, CLI_PCT_DEPTH, steps);
    c->run_rc = vmm_run(c->v);
    if (c->run_rc) {
        fprintf(stderr, "%s: run %llu stopped at cycle %llu: %s: %s\n", c->path,
                (unsigned long long)run, (unsigned long long)vmm_now(c->v),
                vmm_strerror(c->run_rc), vmm_error(c->v));
        return CLI_EXIT_SIM;
    }
    const eng_trace *t = vmm_trace(c->v);
    if (t->overflow || t->len != t->count) {
        fprintf(stderr, "%s: run %llu: the trace outgrew trace_records; latency needs every record\n",
                c->path, (unsigned long long)run);
        return CLI_EXIT_SIM;
    }
    int rc = bl_collect(st, t, run, c->s.vs.m.clock_hz);
    if (rc == BL_EFULL) {
        fprintf(stderr, "%s: run %llu: too many pending triggers or samples\n", c->path,
                (unsigned long long)run);
        return CLI_EXIT_SIM;
    }
    return rc ? CLI_EXIT_HOST : 0;
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
static uint64_t comp_totals(const bl_kind *kd, uint64_t tot[BL_COMP_COUNT]) {
    uint64_t all = 0;
    memset(tot, 0, BL_COMP_COUNT * sizeof *tot);
    for (uint32_t i = 0; i < kd->n; i++) {
        for (int c = 0; c < BL_COMP_COUNT; c++) tot[c] += kd->s[i].comp_cycles[c];
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
static void print_breakdown(FILE *f, const bl_stats *st) {
    fprintf(f, "# breakdown: mean cycles per sample; below: %% of the kind's total latency\n");
    fprintf(f, "%-8s", "kind");
    for (int c = 0; c < BL_COMP_COUNT; c++) fprintf(f, " %10s", bl_comp_name(c));
    fputc('\n', f);
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        const bl_kind *kd = &st->k[k];
        uint64_t tot[BL_COMP_COUNT], all = comp_totals(kd, tot);
        char buf[32];
        fprintf(f, "%-8s", bl_kind_name(k));
        for (int c = 0; c < BL_COMP_COUNT; c++) {
            if (!kd->n) { fprintf(f, " %10s", "-"); continue; }
            fprintf(f, " %10llu", (unsigned long long)((tot[c] + kd->n / 2) / kd->n));
        }
        fprintf(f, "\n%-8s", "");
        for (int c = 0; c < BL_COMP_COUNT; c++)
            fprintf(f, " %10s", kd->n && all ? fmt_share(buf, sizeof buf, tot[c], all) : "-");
        fputc('\n', f);
    }
    if (st->mismatches)
        fprintf(f, "# %llu trace steps the breakdown's model did not expect: components may be misfiled\n",
                (unsigned long long)st->mismatches);
}

static void print_table(FILE *f, const bl_opts *o, const bl_stats *st, uint32_t clock_hz) {
    static const uint32_t q[] = { 0, 50, 90, 99, 100 };
    fprintf(f, "# vmmsim bench latency %s runs=%llu strategy=%s seed=%llu clock_hz=%u\n",
            o->scenario, (unsigned long long)o->runs, cli_strategy_name(o->strat),
            (unsigned long long)o->seed, clock_hz);
    fprintf(f, "%-8s %8s %8s %10s %10s %10s %10s %10s\n", "kind", "count", "unpaired", "min", "p50",
            "p90", "p99", "max");
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        const bl_kind *kd = &st->k[k];
        fprintf(f, "%-8s %8u %8llu", bl_kind_name(k), kd->n, (unsigned long long)kd->unpaired);
        for (int unit = 0; unit < 2; unit++) {
            if (unit) fprintf(f, "\n%-8s %8s %8s", "", "", "us");
            for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
                if (!kd->n) { fprintf(f, " %10s", "-"); continue; }
                uint64_t c = q[i] ? bl_percentile(kd, q[i]) : kd->sorted[0];
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
static void json_kind_breakdown(FILE *f, const bl_kind *kd) {
    uint64_t tot[BL_COMP_COUNT], all = comp_totals(kd, tot);
    char buf[32];
    fprintf(f, ",\"breakdown\":{");
    for (int c = 0; c < BL_COMP_COUNT; c++) {
        fprintf(f, "%s\"%s\":{\"total\":%llu", c ? "," : "", bl_comp_name(c), (unsigned long long)tot[c]);
        if (kd->n)
            fprintf(f, ",\"mean\":%llu,\"share\":%s", (unsigned long long)((tot[c] + kd->n / 2) / kd->n),
                    all ? fmt_share(buf, sizeof buf, tot[c], all) : "0.0");
        fputc('}', f);
    }
    fputc('}', f);
}

static void json_kind(FILE *f, const bl_kind *kd, uint32_t clock_hz, int bd) {
    static const uint32_t q[] = { 50, 90, 99 };
    static const char *const qn[] = { "p50", "p90", "p99" };
    fprintf(f, "{\"count\":%u,\"unpaired\":%llu", kd->n, (unsigned long long)kd->unpaired);
    if (kd->n) {
        uint64_t v[5] = { kd->sorted[0], 0, 0, 0, kd->sorted[kd->n - 1] };
        for (int i = 0; i < 3; i++) v[i + 1] = bl_percentile(kd, q[i]);
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
        const bl_sample *sm = &kd->s[i];
        fprintf(f, "%s{\"run\":%llu,\"trigger\":%llu,\"enter\":%llu,\"cycles\":%llu", i ? "," : "",
                (unsigned long long)sm->run, (unsigned long long)sm->trigger_cycle,
                (unsigned long long)sm->enter_cycle, (unsigned long long)sm->latency_cycles);
        if (bd) {
            fprintf(f, ",\"breakdown\":{");
            for (int c = 0; c < BL_COMP_COUNT; c++)
                fprintf(f, "%s\"%s\":%llu", c ? "," : "", bl_comp_name(c),
                        (unsigned long long)sm->comp_cycles[c]);
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f, "]}");
}

static int write_json(const bl_opts *o, const bl_stats *st, uint32_t clock_hz) {
    FILE *f = fopen(o->json, "w");
    if (!f) { fprintf(stderr, "vmmsim bench: %s: cannot write\n", o->json); return CLI_EXIT_HOST; }
    fprintf(f, "{\"scenario\":");
    fz_json_str(f, o->scenario);
    fprintf(f, ",\"runs\":%llu,\"strategy\":\"%s\",\"seed\":%llu,\"clock_hz\":%u,"
               "\"vm_timeouts_unmeasured\":%llu,\"irq_merged\":%llu,\"breakdown_mismatches\":%llu,"
               "\"components\":[",
            (unsigned long long)o->runs, cli_strategy_name(o->strat), (unsigned long long)o->seed, clock_hz,
            (unsigned long long)st->vm_timeouts, (unsigned long long)st->irq_merged,
            (unsigned long long)st->mismatches);
    for (int c = 0; c < BL_COMP_COUNT; c++) fprintf(f, "%s\"%s\"", c ? "," : "", bl_comp_name(c));
    fprintf(f, "],\"kinds\":{");
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        fprintf(f, "%s\"%s\":", k ? "," : "", bl_kind_name(k));
        json_kind(f, &st->k[k], clock_hz, st->breakdown);
    }
    fprintf(f, "}}\n");
    int bad = ferror(f);
    if (fclose(f) || bad) { fprintf(stderr, "vmmsim bench: %s: write error\n", o->json); return CLI_EXIT_HOST; }
    return 0;
}

static int bench_latency(const bl_opts *o) {
    cli_sim c;
    memset(&c, 0, sizeof c);
    int rc = cli_sim_load(&c, o->scenario, stderr);
    if (rc) { cli_sim_free(&c); return rc; }
    uint32_t clock_hz = c.s.vs.m.clock_hz;
    assert(clock_hz > 0);
    vmm_machine d;
    vmm_machine_defaults(&d);
    bl_stats st;
    bl_init(&st, c.s.vs.m.service_cycles ? c.s.vs.m.service_cycles : d.service_cycles);
    uint32_t steps = o->strat == ENG_STRAT_PCT ? cli_pct_steps(&c, o->seed) : 0;
    for (uint64_t run = 0; run < o->runs && !rc; run++) rc = one_run(o, &c, &st, run, steps);
    if (!rc && bl_sort(&st)) rc = CLI_EXIT_HOST;
    if (!rc) {
        print_table(stdout, o, &st, clock_hz);
        if (o->json) rc = write_json(o, &st, clock_hz);
    }
    bl_free(&st);
    cli_sim_free(&c);
    return rc;
}

int cli_bench_main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "host"))   /* host time: bench_host.c */
        return cli_bench_host_main(argc - 1, argv + 1);
    bl_opts o = { .strat = ENG_STRAT_RANDOM, .runs = 100 };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    return bench_latency(&o);
}
