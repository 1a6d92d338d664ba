/*
** bench.c — `vmmsim bench latency`: runs one loaded scenario under many schedules
** (vmm_reset + a seeded chooser + vmm_run, as `vmmsim fuzz` does), pairs each
** callback with its trigger in the stored trace (bench_pair.c), and prints per
** callback kind the latency distribution in cycles and in µs at the scenario's clock.
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
#define BL_PCT_DEPTH 3u

static const char bench_help[] =
"usage: vmmsim bench latency SCENARIO [OPTIONS]\n\n"
"Runs SCENARIO under --runs schedules and measures, from each run's trace, the\n"
"simulated cycles from a callback's trigger to its first instruction: nc after the\n"
"critical-section release, idle after Int2F_1689, event and prio after their\n"
"scheduling, timeout after its due time, hwint after the IRQ. Prints per kind the\n"
"count, min, p50, p90, p99 and max in cycles and in microseconds (docs/bench.md).\n\n"
"options:\n"
"  --runs N               schedules to run (default 100)\n"
"  --strategy canonical|random|pct\n"
"                         the chooser (default random; canonical repeats one run)\n"
"  --seed S               run i uses a seed derived from (S, i) (default 0)\n"
"  --json FILE            also write the statistics and every sample as JSON\n"
"  --help                 this text\n";

enum { BL_CANONICAL = 0, BL_RANDOM, BL_PCT };

typedef struct bl_opts {
    const char *scenario, *json;
    int      strat;
    uint64_t runs, seed;
} bl_opts;

static int usage_err(const char *msg, const char *arg) {
    fprintf(stderr, "vmmsim bench: %s%s%s\n(see 'vmmsim bench latency --help')\n", msg,
            arg ? " " : "", arg ? arg : "");
    return CLI_EXIT_USAGE;
}

static const char *strat_name(int s) {
    return s == BL_PCT ? "pct" : s == BL_RANDOM ? "random" : "canonical";
}

/* 0, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, bl_opts *o) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(bench_help, stdout);
        return -1;
    }
    if (argc < 2 || strcmp(argv[1], "latency")) return usage_err("expected 'latency', found", argc < 2 ? "nothing" : argv[1]);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(bench_help, stdout); return -1; }
        if (a[0] != '-') {
            if (o->scenario) return usage_err("more than one scenario:", a);
            o->scenario = a;
            continue;
        }
        if (!strcmp(a, "--strategy")) {
            if (!val || (strcmp(val, "canonical") && strcmp(val, "random") && strcmp(val, "pct")))
                return usage_err("--strategy expects canonical, random or pct, found", val);
            o->strat = !strcmp(val, "pct") ? BL_PCT : !strcmp(val, "random") ? BL_RANDOM : BL_CANONICAL;
        } else if (!strcmp(a, "--runs")) {
            if (cli_u64_arg(val, &o->runs) || o->runs < 1 || o->runs > BL_RUNS_MAX)
                return usage_err("--runs expects 1..10000000, found", val);
        } else if (!strcmp(a, "--seed")) {
            if (cli_u64_arg(val, &o->seed)) return usage_err("--seed expects an unsigned integer, found", val);
        } else if (!strcmp(a, "--json")) {
            if (!val) return usage_err("--json expects a file name", NULL);
            o->json = val;
        } else {
            return usage_err("unknown option", a);
        }
        i++;
    }
    if (!o->scenario) return usage_err("a scenario file is required", NULL);
    return 0;
}

static int one_run(const bl_opts *o, cli_sim *c, bl_stats *st, uint64_t run, uint32_t steps) {
    eng_chooser *ch = vmm_chooser(c->v);
    uint64_t seed = fz_run_seed(o->seed, run);
    vmm_reset(c->v);
    if (o->strat == BL_PCT) eng_chooser_pct(ch, seed, BL_PCT_DEPTH, steps);
    else if (o->strat == BL_RANDOM) eng_chooser_random(ch, seed);
    else eng_chooser_canonical(ch);
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
    snprintf(buf, len, "%llu.%03llu", (unsigned long long)us, (unsigned long long)ns);
    return buf;
}

static void print_table(FILE *f, const bl_opts *o, const bl_stats *st, uint32_t clock_hz) {
    static const uint32_t q[] = { 0, 50, 90, 99, 100 };
    fprintf(f, "# vmmsim bench latency %s runs=%llu strategy=%s seed=%llu clock_hz=%u\n",
            o->scenario, (unsigned long long)o->runs, strat_name(o->strat),
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
}

static void json_kind(FILE *f, const bl_kind *kd, uint32_t clock_hz) {
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
    fprintf(f, ",\"samples\":[");
    for (uint32_t i = 0; i < kd->n; i++)
        fprintf(f, "%s{\"run\":%llu,\"trigger\":%llu,\"enter\":%llu,\"cycles\":%llu}", i ? "," : "",
                (unsigned long long)kd->s[i].run, (unsigned long long)kd->s[i].trigger_cycle,
                (unsigned long long)kd->s[i].enter_cycle, (unsigned long long)kd->s[i].latency_cycles);
    fprintf(f, "]}");
}

static int write_json(const bl_opts *o, const bl_stats *st, uint32_t clock_hz) {
    FILE *f = fopen(o->json, "w");
    if (!f) { fprintf(stderr, "vmmsim bench: %s: cannot write\n", o->json); return CLI_EXIT_HOST; }
    fprintf(f, "{\"scenario\":");
    fz_json_str(f, o->scenario);
    fprintf(f, ",\"runs\":%llu,\"strategy\":\"%s\",\"seed\":%llu,\"clock_hz\":%u,"
               "\"vm_timeouts_unmeasured\":%llu,\"kinds\":{",
            (unsigned long long)o->runs, strat_name(o->strat), (unsigned long long)o->seed, clock_hz,
            (unsigned long long)st->vm_timeouts);
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        fprintf(f, "%s\"%s\":", k ? "," : "", bl_kind_name(k));
        json_kind(f, &st->k[k], clock_hz);
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
    bl_stats st;
    memset(&st, 0, sizeof st);
    uint32_t steps = o->strat == BL_PCT ? cli_pct_steps(&c, o->seed) : 0;
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
    bl_opts o = { .strat = BL_RANDOM, .runs = 100 };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    return bench_latency(&o);
}
