/*
** bench_host.c — `vmmsim bench host`: how fast vmmsim itself simulates a scenario, in
** host time (docs/bench.md, "Host speed"). The scenario is loaded and assembled once;
** each run is vmm_reset + vmm_run, timed with uv_hrtime. A repeat is M runs; run i of
** every repeat uses the chooser --strategy seeded from (--seed, i), as `bench latency`
** seeds its run i (canonical by default: every run the same schedule). Every metric is
** computed per repeat and reported as the median and the p99 (slow tail) over the
** repeats.
**
** Host time never flows back: the simulation, its trace and hash are the same as
** under `vmmsim run` (canonical) and run i's are the same in every repeat. The trigger-to-entry times come from one extra run per repeat
** with a trace observer (vmm_set_rec_hook) that stamps each record with uv_hrtime;
** the throughput runs carry no observer, so the stamping does not slow them.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench.h"
#include "cli_int.h"
#include "fuzz.h"
#include "afile.h"

#define BH_REPEAT_MAX 10000u
#define BH_RUNS_MAX 10000000u
#define BH_REPEAT_NS 20000000ull     /* auto runs per repeat: about 20 ms each */
#define BH_WARM_NS 5000000ull        /* warm-up: about 5 ms of runs */
#define BH_WARM_RUNS_MAX 100000u
#define BH_386_HZ 33000000.0         /* the reference: a real 386 at 33 MHz */
#define BH_IDX_MAX (1u << 20)        /* seeded runs per repeat whose hashes are kept */
#define BH_WARM_IDX 64u              /* warm-up runs cycle over this many run indexes */

#ifndef VMMSIM_BUILD_TYPE
#define VMMSIM_BUILD_TYPE "unknown"
#endif

static const char bench_host_help[] =
"usage: vmmsim bench host SCENARIO [OPTIONS]\n\n"
"Measures how fast vmmsim simulates SCENARIO on this host: simulated cycles per host\n"
"second (and how many times a real 33 MHz 386 that is), interpreter MIPS, engine\n"
"events per second, host ns per event, and the host ns from each callback's trigger\n"
"to its entry. The scenario is assembled once; a run is reset + run. Each metric is\n"
"reported as median and p99 (the slow tail) over the repeats.\n\n"
"options:\n"
"  --repeat N             repeats (default 20)\n"
"  --runs-per-repeat M    runs per repeat (default: enough for about 20 ms)\n"
"  --strategy canonical|random|pct\n"
"                         the chooser (default canonical: every run the same)\n"
"  --depth D              PCT depth, 1..16 (default 3)\n"
"  --seed S               run i of each repeat uses a seed derived from (S, i), as\n"
"                         in bench latency (default 0)\n"
"  --json FILE            also write every repeat, the statistics and the host's details\n"
"  --help                 this text\n";

typedef struct bh_opts {
    const char *scenario, *json;
    uint64_t repeat, runs;          /* runs 0: calibrate */
    uint64_t seed;
    int      strat;                 /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
    uint32_t depth;                 /* PCT; 0: CLI_PCT_DEPTH */
} bh_opts;

/* What one run does; the same every time the run of that index is repeated. */
typedef struct bh_work {
    uint64_t cycles, insns, events, callbacks, records;
    int      complete;              /* every record was stored: events/callbacks exact */
} bh_work;

/* Run index i's trace and work, from its first run; later runs of i must match. */
typedef struct bh_idx {
    uint64_t hash, count;
    bh_work  w;
    int      have;
} bh_idx;

/* One repeat's host times. */
typedef struct bh_rep { uint64_t run_ns, reset_ns, runs; } bh_rep;

/* Host ns from trigger to callback entry, per kind, over the hooked runs. */
typedef struct bh_lat { uint64_t *ns; uint32_t n, cap; } bh_lat;

typedef struct bh_stamps { uint64_t *ns; uint32_t cap; } bh_stamps;

typedef struct bh {
    bh_opts  o;
    cli_sim  c;
    bh_work  w;                        /* run 0's work (the "one run" line) */
    bh_work  tot;                      /* the work of one repeat: runs 0..M-1 */
    bh_idx  *idx;                      /* per run index (canonical: index 0 only) */
    uint32_t nidx, pct_steps, distinct;
    bh_rep  *rep;
    bh_lat   lat[BL_KIND_COUNT + 1];   /* the last: all kinds */
    bl_stats st;
    bh_stamps ts;
    uint64_t probe_unpaired, probe_incomplete;
    uint64_t hash0;                    /* run 0's trace hash */
} bh;

static int usage_err(const char *msg, const char *arg) {
    return bench_usage_err("host", msg, arg);
}

/* 0, -1 after --help, or an exit code. argv[0] is "host". */
static int parse_args(int argc, char **argv, bh_opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k = bench_opt_common("host", bench_host_help, argc, argv, &i, &o->scenario, &o->json);
        if (k) { if (k == 1) continue; return k; }
        if (!strcmp(a, "--repeat")) {
            if (cli_u64_arg(val, &o->repeat) || o->repeat < 1 || o->repeat > BH_REPEAT_MAX)
                return usage_err("--repeat expects 1..10000, found", val);
        } else if (!strcmp(a, "--runs-per-repeat")) {
            if (cli_u64_arg(val, &o->runs) || o->runs < 1 || o->runs > BH_RUNS_MAX)
                return usage_err("--runs-per-repeat expects 1..10000000, found", val);
        } else if (!strcmp(a, "--strategy")) {
            if (!val || cli_strategy_parse(val, &o->strat))
                return usage_err("--strategy expects canonical, random or pct, found", val);
        } else if (!strcmp(a, "--seed")) {
            if (cli_u64_arg(val, &o->seed)) return usage_err("--seed expects an unsigned integer, found", val);
        } else if (!strcmp(a, "--depth")) {
            int k = bench_depth_arg("host", val, &o->depth);
            if (k) return k;
        } else {
            return usage_err("unknown option", a);
        }
        i++;
    }
    if (!o->scenario) return usage_err("a scenario file is required", NULL);
    if (o->strat != ENG_STRAT_CANONICAL && o->runs > BH_IDX_MAX)
        return usage_err("--runs-per-repeat with a seeded --strategy expects 1..1048576", NULL);
    return 0;
}

/* ---- runs ----------------------------------------------------------------------- */

/* The index whose trace a run must repeat: under the canonical chooser every run is
** the same schedule, so all runs are checked against run 0. */
static uint64_t run_key(const bh *b, uint64_t run) {
    return b->o.strat == ENG_STRAT_CANONICAL ? 0 : run;
}

/* The work of the run just done, from the CPU's counter and the stored trace. */
static void measure_work(const bh *b, bh_work *w, uint64_t insns0) {
    const eng_trace *t = vmm_trace(b->c.v);
    w->cycles = vmm_now(b->c.v);
    w->insns = cpu_instructions(vmm_cpu(b->c.v)) - insns0;
    w->records = t->count;
    w->complete = t->rec && !t->overflow && t->len == t->count;
    w->events = w->callbacks = 0;
    for (uint32_t i = 0; t->rec && i < t->len; i++) {
        w->events += t->rec[i].type == VMM_REC_EVENT;
        w->callbacks += t->rec[i].type == VMM_REC_CB_ENTER;
    }
}

/* Room for run index key in b->idx (zeroed entries). */
static int idx_room(bh *b, uint64_t key) {
    assert(key < BH_IDX_MAX);
    if (key < b->nidx) return 0;
    uint32_t n = b->nidx ? b->nidx : 64;
    while (n <= key) n *= 2;
    bh_idx *p = realloc(b->idx, (size_t)n * sizeof *p);
    if (!p) return CLI_EXIT_HOST;
    memset(p + b->nidx, 0, (size_t)(n - b->nidx) * sizeof *p);
    b->idx = p;
    b->nidx = n;
    return 0;
}

/* A run index's first run records its trace and work; every later run of that index,
** stamped or not, must leave the same trace: host time never reaches the simulation. */
static int same_trace(bh *b, uint64_t run, uint64_t insns0) {
    const eng_trace *t = vmm_trace(b->c.v);
    uint64_t key = run_key(b, run);
    int rc = idx_room(b, key);
    if (rc) return rc;
    bh_idx *e = &b->idx[key];
    if (!e->have) {
        e->hash = t->hash;
        e->count = t->count;
        measure_work(b, &e->w, insns0);
        e->have = 1;
        return 0;
    }
    if (t->hash == e->hash && t->count == e->count) return 0;
    fprintf(stderr, "%s: run %llu's trace differs from its first run's (hash 0x%016llx, not 0x%016llx)\n",
            b->c.path, (unsigned long long)key, (unsigned long long)t->hash, (unsigned long long)e->hash);
    return CLI_EXIT_SIM;
}

/* Run index run of a repeat: reset, the chooser seeded from (--seed, run) as bench
** latency seeds it (part of the reset time), then the run. */
static int run_once(bh *b, uint64_t run, uint64_t *reset_ns, uint64_t *run_ns) {
    uint64_t t0 = uv_hrtime();
    vmm_reset(b->c.v);
    cli_chooser_for_run(vmm_chooser(b->c.v), b->o.strat, b->o.seed, run,
                        b->o.depth ? b->o.depth : CLI_PCT_DEPTH, b->pct_steps);
    uint64_t insns0 = cpu_instructions(vmm_cpu(b->c.v));
    uint64_t t1 = uv_hrtime();
    b->c.run_rc = vmm_run(b->c.v);
    uint64_t t2 = uv_hrtime();
    *reset_ns += t1 - t0;
    *run_ns += t2 - t1;
    if (!b->c.run_rc) return same_trace(b, run, insns0);
    fprintf(stderr, "%s: run %llu stopped at cycle %llu: %s: %s\n", b->c.path, (unsigned long long)run,
            (unsigned long long)vmm_now(b->c.v), vmm_strerror(b->c.run_rc), vmm_error(b->c.v));
    return CLI_EXIT_SIM;
}

static int cmp_hash(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The work of a repeat (runs 0..M-1, each known from its first run) and how many
** distinct traces they are. */
static int repeat_work(bh *b) {
    uint64_t m = b->o.runs;
    uint64_t *h = malloc((size_t)m * sizeof *h);
    if (!h) return CLI_EXIT_HOST;
    memset(&b->tot, 0, sizeof b->tot);
    b->tot.complete = 1;
    for (uint64_t i = 0; i < m; i++) {
        const bh_idx *e = &b->idx[run_key(b, i)];
        assert(e->have);
        b->tot.cycles += e->w.cycles;
        b->tot.insns += e->w.insns;
        b->tot.events += e->w.events;
        b->tot.callbacks += e->w.callbacks;
        b->tot.records += e->w.records;
        b->tot.complete &= e->w.complete;
        h[i] = e->hash;
    }
    qsort(h, m, sizeof *h, cmp_hash);
    b->distinct = 0;
    for (uint64_t i = 0; i < m; i++) b->distinct += !i || h[i] != h[i - 1];
    free(h);
    return 0;
}

/* Warm-up runs (caches, page tables, the decode cache) for about BH_WARM_NS; they
** measure the work and, unless given, size the repeats from the warm runs' time. */
static int calibrate(bh *b) {
    uint64_t reset_ns = 0, run_ns = 0, first_ns = 0, n = 0;
    uint64_t wrap = b->o.runs && b->o.runs < BH_WARM_IDX ? b->o.runs : BH_WARM_IDX;
    int rc = run_once(b, 0, &reset_ns, &first_ns);
    if (rc) return rc;
    b->w = b->idx[0].w;
    b->hash0 = b->idx[0].hash;
    while (reset_ns + run_ns < BH_WARM_NS && n < BH_WARM_RUNS_MAX) {
        if ((rc = run_once(b, (n + 1) % wrap, &reset_ns, &run_ns))) return rc;
        n++;
    }
    if (!b->o.runs) {
        uint64_t per = n ? (reset_ns + run_ns) / n : reset_ns + first_ns;
        uint64_t max = b->o.strat == ENG_STRAT_CANONICAL ? BH_RUNS_MAX : BH_IDX_MAX;
        b->o.runs = BH_REPEAT_NS / (per ? per : 1) + 1;
        if (b->o.runs > max) b->o.runs = max;
    }
    return 0;
}

static int repeat_once(bh *b, bh_rep *r) {
    memset(r, 0, sizeof *r);
    for (uint64_t k = 0; k < b->o.runs; k++) {
        int rc = run_once(b, k, &r->reset_ns, &r->run_ns);
        if (rc) return rc;
        r->runs++;
    }
    return 0;
}

/* ---- trigger-to-entry host time (hooked runs) ---------------------------------- */

static void stamp_hook(void *ud, uint64_t index, uint16_t type) {
    bh_stamps *s = ud;
    (void)type;
    if (index < s->cap) s->ns[index] = uv_hrtime();
}

static int lat_add(bh_lat *l, uint64_t ns) {
    void *p = l->ns;
    int rc = bench_grow(&p, l->n, &l->cap, sizeof *l->ns);
    l->ns = p;
    if (rc) return rc;
    l->ns[l->n++] = ns;
    return 0;
}

/* The first stored record at or after cycle (records are in cycle order) that is
** not a checkpoint and, when type is non-zero, has that type; t->len if none. */
static uint32_t rec_at(const eng_trace *t, uint64_t cycle, uint16_t type) {
    uint32_t lo = 0, hi = t->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->rec[mid].cycle < cycle) lo = mid + 1; else hi = mid;
    }
    while (lo < t->len && (t->rec[lo].type == ENG_REC_CHECKPOINT || (type && t->rec[lo].type != type)))
        lo++;
    return lo;
}

/* Host ns of each new sample of the run: from the trigger's record (the first one
** at the trigger's cycle: a time-out's due time is not a record) to the CB_ENTER. */
static int probe_pair(bh *b, const eng_trace *t, const uint32_t *n0) {
    for (int k = 0; k < BL_KIND_COUNT; k++) {
        const bl_kind *kd = &b->st.k[k];
        for (uint32_t i = n0[k]; i < kd->n; i++) {
            uint32_t ti = rec_at(t, kd->s[i].trigger_cycle, 0);
            uint32_t ei = rec_at(t, kd->s[i].enter_cycle, VMM_REC_CB_ENTER);
            if (ei >= t->len || ei >= b->ts.cap || ti > ei) { b->probe_unpaired++; continue; }
            uint64_t ns = b->ts.ns[ei] - b->ts.ns[ti];
            int rc = lat_add(&b->lat[k], ns);
            if (!rc) rc = lat_add(&b->lat[BL_KIND_COUNT], ns);
            if (rc) return rc;
        }
    }
    return 0;
}

static int probe_once(bh *b, uint64_t rep) {
    const eng_trace *t = vmm_trace(b->c.v);
    uint64_t reset_ns = 0, run_ns = 0;
    uint32_t n0[BL_KIND_COUNT];
    if (!b->ts.ns) {
        b->ts.cap = t->cap;
        b->ts.ns = calloc(b->ts.cap ? b->ts.cap : 1, sizeof *b->ts.ns);
        if (!b->ts.ns) return CLI_EXIT_HOST;
    }
    vmm_set_rec_hook(b->c.v, stamp_hook, &b->ts);
    int rc = run_once(b, rep % b->o.runs, &reset_ns, &run_ns);
    vmm_set_rec_hook(b->c.v, NULL, NULL);
    if (rc) return rc;
    if (!t->rec || t->overflow || t->len != t->count) { b->probe_incomplete++; return 0; }
    for (int k = 0; k < BL_KIND_COUNT; k++) n0[k] = b->st.k[k].n;
    rc = bl_collect(&b->st, t, rep, b->c.s.vs.m.clock_hz);
    if (!rc) rc = probe_pair(b, t, n0);
    if (rc == BL_EFULL) { fprintf(stderr, "%s: too many samples\n", b->c.path); return CLI_EXIT_SIM; }
    return rc ? CLI_EXIT_HOST : 0;
}

/* ---- statistics ------------------------------------------------------------------ */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank q% (1..100) of n sorted values. */
static uint32_t rank(uint32_t n, uint32_t q) {
    assert(n > 0 && q >= 1 && q <= 100);
    uint64_t r = ((uint64_t)n * q + 99) / 100;
    return (uint32_t)(r ? r - 1 : 0);
}

/* Metrics of one repeat. A rate's slow tail is its low end: its "p99" is the
** value 99 % of the repeats reach (the 1st percentile). */
enum { M_RUN_US, M_CYC_S, M_X386, M_RT, M_MIPS, M_EV_S, M_NS_EV, M_CB_S, M_NS_CB, M_RESET_US, M_COUNT };
static const struct { const char *name; int rate; } bh_metric[M_COUNT] = {
    { "run_us", 0 }, { "sim_cycles_per_s", 1 }, { "x_real_386_33mhz", 1 },
    { "x_real_time", 1 }, { "mips", 1 }, { "events_per_s", 1 }, { "ns_per_event", 0 },
    { "callbacks_per_s", 1 }, { "ns_per_callback", 0 }, { "reset_us", 0 },
};

static double safe_div(double a, double b) { return b > 0 ? a / b : 0; }

/* A repeat's work is b->tot: its runs 0..M-1 (r->runs == M). */
static void rep_metrics(const bh *b, const bh_rep *r, double *m) {
    const bh_work *w = &b->tot;
    double runs = (double)r->runs, ns = (double)r->run_ns > 0 ? (double)r->run_ns : 1;
    double s = ns * 1e-9;
    assert(r->runs == b->o.runs);
    m[M_RUN_US] = ns / runs / 1e3;
    m[M_CYC_S] = (double)w->cycles / s;
    m[M_X386] = m[M_CYC_S] / BH_386_HZ;
    m[M_RT] = m[M_CYC_S] / (double)b->c.s.vs.m.clock_hz;
    m[M_MIPS] = (double)w->insns / s / 1e6;
    m[M_EV_S] = (double)w->events / s;
    m[M_NS_EV] = safe_div(ns, (double)w->events);
    m[M_CB_S] = (double)w->callbacks / s;
    m[M_NS_CB] = safe_div(ns, (double)w->callbacks);
    m[M_RESET_US] = (double)r->reset_ns / runs / 1e3;
}

/* med[i], p99[i] of every metric over the repeats. */
static int summarize(const bh *b, double *med, double *p99) {
    uint32_t n = (uint32_t)b->o.repeat;
    double *all = malloc((size_t)n * M_COUNT * sizeof *all), *col = malloc(n * sizeof *col);
    if (!all || !col) { free(all); free(col); return CLI_EXIT_HOST; }
    for (uint32_t r = 0; r < n; r++) rep_metrics(b, &b->rep[r], &all[(size_t)r * M_COUNT]);
    for (int i = 0; i < M_COUNT; i++) {
        for (uint32_t r = 0; r < n; r++) col[r] = all[(size_t)r * M_COUNT + i];
        qsort(col, n, sizeof *col, cmp_dbl);
        med[i] = col[rank(n, 50)];
        p99[i] = col[bh_metric[i].rate ? n - 1 - rank(n, 99) : rank(n, 99)];
    }
    free(all);
    free(col);
    return 0;
}

/* ---- the host's details ----------------------------------------------------------- */

typedef struct bh_host {
    char cpu[128], kernel[160], compiler[96];
    uint32_t cores;
} bh_host;

static void host_details(bh_host *h) {
    uv_cpu_info_t *ci = NULL;
    int n = 0;
    uv_utsname_t u;
    memset(h, 0, sizeof *h);
    snprintf(h->cpu, sizeof h->cpu, "unknown");
    if (uv_cpu_info(&ci, &n) == 0 && n > 0) {
        snprintf(h->cpu, sizeof h->cpu, "%s", ci[0].model);
        h->cores = (uint32_t)n;
        uv_free_cpu_info(ci, n);
    }
    if (uv_os_uname(&u) == 0)
        snprintf(h->kernel, sizeof h->kernel, "%.40s %.80s %.30s", u.sysname, u.release, u.machine);
#if defined(__clang__)
    snprintf(h->compiler, sizeof h->compiler, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(h->compiler, sizeof h->compiler, "gcc %s", __VERSION__);
#else
    snprintf(h->compiler, sizeof h->compiler, "unknown");
#endif
}

static const char *asserts_on(void) {
#ifdef NDEBUG
    return "off";
#else
    return "on";
#endif
}

/* ---- output ----------------------------------------------------------------------- */

static void sort_lat(bh *b) {
    for (int k = 0; k <= BL_KIND_COUNT; k++)
        if (b->lat[k].n) qsort(b->lat[k].ns, b->lat[k].n, sizeof *b->lat[k].ns, cmp_u64);
}

static const char *lat_name(int k) { return k == BL_KIND_COUNT ? "all" : bl_kind_name(k); }

static void print_text(FILE *f, const bh *b, const bh_host *h, const double *med, const double *p99) {
    const bh_work *w = &b->w;
    fprintf(f, "# vmmsim bench host %s repeat=%llu runs_per_repeat=%llu strategy=%s seed=%llu clock_hz=%u\n",
            b->o.scenario, (unsigned long long)b->o.repeat, (unsigned long long)b->o.runs,
            cli_strategy_name(b->o.strat), (unsigned long long)b->o.seed, b->c.s.vs.m.clock_hz);
    fprintf(f, "# host: %s, %u cpus, %s, %s, %s build, asserts %s\n", h->cpu, h->cores, h->kernel,
            h->compiler, VMMSIM_BUILD_TYPE, asserts_on());
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
    fprintf(f, "%-20s %14s %14s\n", "metric", "median", "p99");
    for (int i = 0; i < M_COUNT; i++)
        fprintf(f, "%-20s %14.6g %14.6g\n", bh_metric[i].name, med[i], p99[i]);
    fprintf(f, "# host ns from trigger to callback entry (one stamped run per repeat)\n");
    fprintf(f, "%-8s %8s %12s %12s %12s %12s\n", "kind", "count", "min", "median", "p99", "max");
    for (int k = 0; k <= BL_KIND_COUNT; k++) {
        const bh_lat *l = &b->lat[k];
        if (!l->n) { fprintf(f, "%-8s %8u %12s %12s %12s %12s\n", lat_name(k), 0u, "-", "-", "-", "-"); continue; }
        fprintf(f, "%-8s %8u %12llu %12llu %12llu %12llu\n", lat_name(k), l->n,
                (unsigned long long)l->ns[0], (unsigned long long)l->ns[rank(l->n, 50)],
                (unsigned long long)l->ns[rank(l->n, 99)], (unsigned long long)l->ns[l->n - 1]);
    }
    if (b->probe_incomplete)
        fprintf(f, "# %llu stamped runs skipped: the trace outgrew trace_records\n",
                (unsigned long long)b->probe_incomplete);
}

static void json_host(FILE *f, const bh_host *h) {
    fprintf(f, "\"host\":{\"cpu_model\":");
    fz_json_str(f, h->cpu);
    fprintf(f, ",\"cpus\":%u,\"kernel\":", h->cores);
    fz_json_str(f, h->kernel);
    fprintf(f, ",\"compiler\":");
    fz_json_str(f, h->compiler);
    fprintf(f, ",\"build_type\":");
    fz_json_str(f, VMMSIM_BUILD_TYPE);
    fprintf(f, ",\"asserts\":\"%s\",\"libuv\":", asserts_on());
    fz_json_str(f, uv_version_string());
    fprintf(f, "}");
}

static void json_lat(FILE *f, const bh *b) {
    fprintf(f, ",\"trigger_to_entry_ns\":{");
    for (int k = 0; k <= BL_KIND_COUNT; k++) {
        const bh_lat *l = &b->lat[k];
        fprintf(f, "%s\"%s\":{\"count\":%u", k ? "," : "", lat_name(k), l->n);
        if (l->n)
            fprintf(f, ",\"min\":%llu,\"median\":%llu,\"p99\":%llu,\"max\":%llu",
                    (unsigned long long)l->ns[0], (unsigned long long)l->ns[rank(l->n, 50)],
                    (unsigned long long)l->ns[rank(l->n, 99)], (unsigned long long)l->ns[l->n - 1]);
        fprintf(f, "}");
    }
    fprintf(f, "}");
}

static int write_json(const bh *b, const bh_host *h, const double *med, const double *p99) {
    const bh_work *w = &b->w;
    cli_afile af;
    FILE *f = cli_afile_open(&af, b->o.json);
    if (!f) { fprintf(stderr, "vmmsim bench host: %s: cannot write\n", b->o.json); return CLI_EXIT_HOST; }
    fprintf(f, "{\"bench\":\"host\",\"scenario\":");
    fz_json_str(f, b->o.scenario);
    fprintf(f, ",\"repeat\":%llu,\"runs_per_repeat\":%llu,\"strategy\":\"%s\",\"seed\":%llu,"
               "\"clock_hz\":%u,",
            (unsigned long long)b->o.repeat, (unsigned long long)b->o.runs, cli_strategy_name(b->o.strat),
            (unsigned long long)b->o.seed, b->c.s.vs.m.clock_hz);
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
    for (int i = 0; i < M_COUNT; i++)
        fprintf(f, "%s\"%s\":{\"median\":%.6g,\"p99\":%.6g}", i ? "," : "", bh_metric[i].name, med[i], p99[i]);
    fprintf(f, "}");
    json_lat(f, b);
    fprintf(f, ",\"repeats\":[");
    for (uint64_t r = 0; r < b->o.repeat; r++)
        fprintf(f, "%s{\"runs\":%llu,\"run_ns\":%llu,\"reset_ns\":%llu}", r ? "," : "",
                (unsigned long long)b->rep[r].runs, (unsigned long long)b->rep[r].run_ns,
                (unsigned long long)b->rep[r].reset_ns);
    fprintf(f, "]}\n");
    if (cli_afile_commit(&af)) { fprintf(stderr, "vmmsim bench host: %s: write error\n", b->o.json); return CLI_EXIT_HOST; }
    return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static int bench_host(bh *b) {
    int rc = cli_sim_load(&b->c, b->o.scenario, stderr);
    if (rc) return rc;
    if (b->o.strat == ENG_STRAT_PCT) b->pct_steps = cli_pct_steps(&b->c, b->o.seed);
    if ((rc = calibrate(b))) return rc;
    b->rep = calloc(b->o.repeat, sizeof *b->rep);
    if (!b->rep) return CLI_EXIT_HOST;
    for (uint64_t r = 0; r < b->o.repeat && !rc; r++) {
        rc = repeat_once(b, &b->rep[r]);
        if (!rc && !r) rc = repeat_work(b);   /* every run index has run once now */
        if (!rc) rc = probe_once(b, r);
    }
    if (rc) return rc;
    double med[M_COUNT], p99[M_COUNT];
    bh_host h;
    if ((rc = summarize(b, med, p99))) return rc;
    sort_lat(b);
    host_details(&h);
    print_text(stdout, b, &h, med, p99);
    return b->o.json ? write_json(b, &h, med, p99) : 0;
}

int cli_bench_host_main(int argc, char **argv) {
    bh *b = calloc(1, sizeof *b);
    if (!b) return CLI_EXIT_HOST;
    b->o.repeat = 20;
    int rc = parse_args(argc, argv, &b->o);
    if (!rc) rc = bench_host(b);
    else if (rc < 0) rc = CLI_EXIT_OK;
    for (int k = 0; k <= BL_KIND_COUNT; k++) free(b->lat[k].ns);
    bl_free(&b->st);
    free(b->ts.ns);
    free(b->rep);
    free(b->idx);
    cli_sim_free(&b->c);
    free(b);
    return rc;
}
