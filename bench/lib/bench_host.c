/*
** bench_host.c — host timing (`vmmsim bench host`): how fast vmmsim itself simulates a scenario, in
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
#include <time.h>
#include <uv.h>

#include "bench.h"
#include "cpu386/cpu386.h"

#define BH_REPEAT_NS 20000000ull     /* auto runs per repeat: about 20 ms each */
#define BH_WARM_NS 5000000ull        /* warm-up: about 5 ms of runs */
#define BH_WARM_RUNS_MAX 100000u
#define BH_386_HZ 33000000.0         /* the reference: a real 386 at 33 MHz */
#define BH_WARM_IDX 64u              /* warm-up runs cycle over this many run indexes */

/* ---- runs ----------------------------------------------------------------------- */

/* The index whose trace a run must repeat: under the canonical chooser every run is
** the same schedule, so all runs are checked against run 0. */
static uint64_t run_key(const bench_host *b, uint64_t run) {
    assert(b);
    return b->o.strat == ENG_STRAT_CANONICAL ? 0 : run;
}

/* The work of the run just done, from the CPU's counter and the stored trace. */
static void measure_work(const bench_host *b, bench_work *w, uint64_t insns0) {
    assert(b && b->v && w);
    const eng_trace *t = vmm_trace(b->v);
    w->cycles = vmm_now(b->v);
    w->insns = cpu_instructions(vmm_cpu(b->v)) - insns0;
    w->records = t->count;
    w->complete = t->rec && !t->overflow && t->len == t->count;
    w->events = w->callbacks = 0;
    for (uint32_t i = 0; t->rec && i < t->len; i++) {
        w->events += t->rec[i].type == VMM_REC_EVENT;
        w->callbacks += t->rec[i].type == VMM_REC_CB_ENTER;
    }
}

/* Room for run index key in b->idx (zeroed entries). */
static int idx_room(bench_host *b, uint64_t key) {
    assert(key < BENCH_HOST_IDX_MAX);
    if (key < b->nidx) return 0;
    uint32_t n = b->nidx ? b->nidx : 64;
    while (n <= key) n *= 2;
    bench_host_idx *p = realloc(b->idx, (size_t)n * sizeof *p);
    if (!p) return BENCH_ENOMEM;
    memset(p + b->nidx, 0, (size_t)(n - b->nidx) * sizeof *p);
    b->idx = p;
    b->nidx = n;
    return 0;
}

/* A run index's first run records its trace and work; every later run of that index,
** stamped or not, must leave the same trace: host time never reaches the simulation. */
static int same_trace(bench_host *b, uint64_t run, uint64_t insns0) {
    assert(b && b->v && b->path);
    const eng_trace *t = vmm_trace(b->v);
    uint64_t key = run_key(b, run);
    int rc = idx_room(b, key);
    if (rc) return rc;
    bench_host_idx *e = &b->idx[key];
    if (!e->have) {
        e->hash = t->hash;
        e->count = t->count;
        measure_work(b, &e->w, insns0);
        e->have = 1;
        return 0;
    }
    if (t->hash == e->hash && t->count == e->count) return 0;
    fprintf(stderr, "%s: run %llu's trace differs from its first run's (hash 0x%016llx, not 0x%016llx)\n",
            b->path, (unsigned long long)key, (unsigned long long)t->hash, (unsigned long long)e->hash);
    return BENCH_ESIM;
}

/* Run index run of a repeat: reset, the chooser seeded from (--seed, run) as bench
** latency seeds it (part of the reset time), then the run. */
static int run_once(bench_host *b, uint64_t run, uint64_t *reset_ns, uint64_t *run_ns) {
    assert(b && b->v && reset_ns && run_ns);
    uint64_t t0 = uv_hrtime();
    vmm_reset(b->v);
    eng_plan p = { .strategy = b->o.strat, .seed = eng_run_seed(b->o.seed, run),
                   .depth = BENCH_PCT_DEPTH, .steps = b->pct_steps };
    eng_chooser_plan(vmm_chooser(b->v), &p);
    uint64_t insns0 = cpu_instructions(vmm_cpu(b->v));
    uint64_t t1 = uv_hrtime();
    int run_rc = vmm_run(b->v);
    uint64_t t2 = uv_hrtime();
    *reset_ns += t1 - t0;
    *run_ns += t2 - t1;
    if (!run_rc) return same_trace(b, run, insns0);
    fprintf(stderr, "%s: run %llu stopped at cycle %llu: %s: %s\n", b->path, (unsigned long long)run,
            (unsigned long long)vmm_now(b->v), vmm_strerror(run_rc), vmm_error(b->v));
    return BENCH_ESIM;
}

static int cmp_hash(const void *a, const void *b) {
    assert(a && b);
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The work of a repeat (runs 0..M-1, each known from its first run) and how many
** distinct traces they are. */
static int repeat_work(bench_host *b) {
    uint64_t m = b->o.runs;
    uint64_t *h = malloc((size_t)m * sizeof *h);
    if (!h) return BENCH_ENOMEM;
    memset(&b->tot, 0, sizeof b->tot);
    b->tot.complete = 1;
    for (uint64_t i = 0; i < m; i++) {
        const bench_host_idx *e = &b->idx[run_key(b, i)];
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
static int calibrate(bench_host *b) {
    assert(b && b->v && !b->rep);
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
        uint64_t max = b->o.strat == ENG_STRAT_CANONICAL ? BENCH_HOST_RUNS_MAX : BENCH_HOST_IDX_MAX;
        b->o.runs = BH_REPEAT_NS / (per ? per : 1) + 1;
        if (b->o.runs > max) b->o.runs = max;
    }
    return 0;
}

/* The calling thread's CPU time, ns (host side only: never reaches the simulation). */
static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int repeat_once(bench_host *b, bench_rep *r) {
    assert(b && r && b->o.runs >= 1);
    memset(r, 0, sizeof *r);
    uint64_t c0 = thread_cpu_ns();
    for (uint64_t k = 0; k < b->o.runs; k++) {
        int rc = run_once(b, k, &r->reset_ns, &r->run_ns);
        if (rc) return rc;
        r->runs++;
    }
    r->cpu_ns = thread_cpu_ns() - c0;
    return 0;
}

/* ---- trigger-to-entry host time (hooked runs) ---------------------------------- */

static void stamp_hook(void *ud, uint64_t index, uint16_t type) {
    assert(ud);
    bench_stamps *s = ud;
    (void)type;
    if (index < s->cap) s->ns[index] = uv_hrtime();
}

static int lat_add(bench_lat *l, uint64_t ns) {
    assert(l && l->n <= l->cap);
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
    assert(t && (t->rec || t->len == 0));
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
static int probe_pair(bench_host *b, const eng_trace *t, const uint32_t *n0) {
    assert(b && t && n0 && b->ts.ns);
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        const bench_kind *kd = &b->st.k[k];
        for (uint32_t i = n0[k]; i < kd->n; i++) {
            uint32_t ti = rec_at(t, kd->s[i].trigger_cycle, 0);
            uint32_t ei = rec_at(t, kd->s[i].enter_cycle, VMM_REC_CB_ENTER);
            if (ei >= t->len || ei >= b->ts.cap || ti > ei) { b->probe_unpaired++; continue; }
            uint64_t ns = b->ts.ns[ei] - b->ts.ns[ti];
            int rc = lat_add(&b->lat[k], ns);
            if (!rc) rc = lat_add(&b->lat[BENCH_KIND_COUNT], ns);
            if (rc) return rc;
        }
    }
    return 0;
}

static int probe_once(bench_host *b, uint64_t rep) {
    assert(b && b->v && b->o.runs >= 1);
    const eng_trace *t = vmm_trace(b->v);
    uint64_t reset_ns = 0, run_ns = 0;
    uint32_t n0[BENCH_KIND_COUNT];
    if (!b->ts.ns) {
        b->ts.cap = t->cap;
        b->ts.ns = calloc(b->ts.cap ? b->ts.cap : 1, sizeof *b->ts.ns);
        if (!b->ts.ns) return BENCH_ENOMEM;
    }
    vmm_set_rec_hook(b->v, stamp_hook, &b->ts);
    int rc = run_once(b, rep % b->o.runs, &reset_ns, &run_ns);
    vmm_set_rec_hook(b->v, NULL, NULL);
    if (rc) return rc;
    if (!t->rec || t->overflow || t->len != t->count) { b->probe_incomplete++; return 0; }
    for (int k = 0; k < BENCH_KIND_COUNT; k++) n0[k] = b->st.k[k].n;
    rc = bench_collect(&b->st, t, rep, b->clock_hz);
    if (!rc) rc = probe_pair(b, t, n0);
    if (rc == BENCH_EFULL) { fprintf(stderr, "%s: too many samples\n", b->path); return BENCH_ESIM; }
    return rc ? BENCH_ENOMEM : 0;
}

/* ---- statistics ------------------------------------------------------------------ */

static int cmp_dbl(const void *a, const void *b) {
    assert(a && b);
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
    assert(a && b);
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank q% (1..100) of n sorted values. */
uint32_t bench_rank(uint32_t n, uint32_t q) {
    assert(n > 0 && q >= 1 && q <= 100);
    uint64_t r = ((uint64_t)n * q + 99) / 100;
    return (uint32_t)(r ? r - 1 : 0);
}

/* Metrics of one repeat. A rate's slow tail is its low end: its "p99" is the
** value 99 % of the repeats reach (the 1st percentile). */
const bench_metric_def bench_metric[BENCH_M_COUNT] = {
    { "run_us", 0 }, { "sim_cycles_per_s", 1 }, { "x_real_386_33mhz", 1 },
    { "x_real_time", 1 }, { "mips", 1 }, { "events_per_s", 1 }, { "ns_per_event", 0 },
    { "callbacks_per_s", 1 }, { "ns_per_callback", 0 }, { "reset_us", 0 },
    { "cpu_run_us", 0 }, { "cpu_x_real_386_33mhz", 1 }, { "cpu_mips", 1 },
};

static double safe_div(double a, double b) { return b > 0 ? a / b : 0; }

/* A repeat's work is b->tot: its runs 0..M-1 (r->runs == M). */
static void rep_metrics(const bench_host *b, const bench_rep *r, double *m) {
    const bench_work *w = &b->tot;
    double runs = (double)r->runs, ns = (double)r->run_ns > 0 ? (double)r->run_ns : 1;
    double s = ns * 1e-9;
    assert(r->runs == b->o.runs);
    m[BENCH_M_RUN_US] = ns / runs / 1e3;
    m[BENCH_M_CYC_S] = (double)w->cycles / s;
    m[BENCH_M_X386] = m[BENCH_M_CYC_S] / BH_386_HZ;
    m[BENCH_M_RT] = m[BENCH_M_CYC_S] / (double)b->clock_hz;
    m[BENCH_M_MIPS] = (double)w->insns / s / 1e6;
    m[BENCH_M_EV_S] = (double)w->events / s;
    m[BENCH_M_NS_EV] = safe_div(ns, (double)w->events);
    m[BENCH_M_CB_S] = (double)w->callbacks / s;
    m[BENCH_M_NS_CB] = safe_div(ns, (double)w->callbacks);
    m[BENCH_M_RESET_US] = (double)r->reset_ns / runs / 1e3;
    /* CPU time covers the resets too: a run as the fuzzer pays for it. */
    double cpu_s = (double)(r->cpu_ns > 0 ? r->cpu_ns : 1) * 1e-9;
    m[BENCH_M_CPU_RUN_US] = cpu_s * 1e6 / runs;
    m[BENCH_M_CPU_X386] = (double)w->cycles / cpu_s / BH_386_HZ;
    m[BENCH_M_CPU_MIPS] = (double)w->insns / cpu_s / 1e6;
}

/* st[i]: every metric over the repeats. */
int bench_host_summarize(const bench_host *b, bench_stat *st) {
    assert(b && b->rep && st && b->o.repeat >= 1);
    uint32_t n = (uint32_t)b->o.repeat;
    double *all = malloc((size_t)n * BENCH_M_COUNT * sizeof *all), *col = malloc(n * sizeof *col);
    if (!all || !col) { free(all); free(col); return BENCH_ENOMEM; }
    for (uint32_t r = 0; r < n; r++) rep_metrics(b, &b->rep[r], &all[(size_t)r * BENCH_M_COUNT]);
    for (int i = 0; i < BENCH_M_COUNT; i++) {
        for (uint32_t r = 0; r < n; r++) col[r] = all[(size_t)r * BENCH_M_COUNT + i];
        qsort(col, n, sizeof *col, cmp_dbl);
        st[i].med = col[bench_rank(n, 50)];
        st[i].p99 = col[bench_metric[i].rate ? n - 1 - bench_rank(n, 99) : bench_rank(n, 99)];
        st[i].min = col[0];
        st[i].max = col[n - 1];
    }
    free(all);
    free(col);
    return 0;
}

/* ---- the host's details ----------------------------------------------------------- */

void bench_host_details(bench_host_info *h) {
    assert(h);
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

const char *bench_asserts_on(void) {
#ifdef NDEBUG
    return "off";
#else
    return "on";
#endif
}

void bench_host_sort_lat(bench_host *b) {
    assert(b);
    for (int k = 0; k <= BENCH_KIND_COUNT; k++)
        if (b->lat[k].n) qsort(b->lat[k].ns, b->lat[k].n, sizeof *b->lat[k].ns, cmp_u64);
}

/* ---- the measurement ---------------------------------------------------------------- */

int bench_host_measure(bench_host *b) {
    int rc;
    assert(b && b->v && b->path && b->clock_hz > 0 && b->o.repeat >= 1);
    if ((rc = calibrate(b))) return rc;
    b->rep = calloc(b->o.repeat, sizeof *b->rep);
    if (!b->rep) return BENCH_ENOMEM;
    for (uint64_t r = 0; r < b->o.repeat && !rc; r++) {
        rc = repeat_once(b, &b->rep[r]);
        if (!rc && !r) rc = repeat_work(b);   /* every run index has run once now */
        if (!rc) rc = probe_once(b, r);
    }
    if (!rc) bench_host_sort_lat(b);
    return rc;
}

void bench_host_free(bench_host *b) {
    assert(b);
    for (int k = 0; k <= BENCH_KIND_COUNT; k++) free(b->lat[k].ns);
    bench_free(&b->st);
    free(b->ts.ns);
    free(b->rep);
    free(b->idx);
}
