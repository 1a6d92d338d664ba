/*
** bench_queue.c — hold-model benchmark of the engine's event queue against two
** baselines, side by side in one process: a binary heap of events on (cycle, seq) and
** a 4-ary heap of ((cycle, cls, seq), index) entries.
**
** A hold is: pop the earliest event, push a new one at its cycle plus an
** increment drawn from a small set of integers, so that many events share a cycle
** (vmmsim's timestamps are integer 386 clock cycles). The number of pending events
** stays constant. All structures see the same increments from the same start, so
** they pop the same sequence; a checksum of that sequence confirms it.
**
** Each round times every structure once, in an order rotated from round to round, so
** that drift of the machine's speed hits all alike. Process CPU time and wall time
** (CLOCK_MONOTONIC) are reported as median, min and max over the rounds; nothing is
** asserted.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bheap.h"
#include "engine.h"
#include "qheap4.h"

#define MAX_SIZES 12
#define MAX_REPS 31
#define PICK_LOG2 20

typedef struct dist {
    const char *name;
    const char *desc;
    const uint64_t *inc;
    uint32_t n;
} dist;

static const uint64_t inc_ties[] = { 0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000 };
static const uint64_t inc_wide[] = { 0, 10, 100, 1000, 10000, 100000, 1000000, 10000000 };

static const dist dists[] = {
    { "ties", "increment uniform over {0,1,2,3,5,10,20,50,100,200,500,1000} cycles",
      inc_ties, sizeof inc_ties / sizeof inc_ties[0] },
    { "wide", "increment uniform over {0,10,...,10^7} cycles (powers of ten): most "
      "pending events lie beyond the fine wheel (coarse wheel, overflow heap)",
      inc_wide, sizeof inc_wide / sizeof inc_wide[0] },
};
#define NDISTS (sizeof dists / sizeof dists[0])

typedef struct opts {
    uint32_t sizes[MAX_SIZES];
    uint32_t nsizes;
    uint32_t reps;
    uint32_t holds;
    const char *json;
    const char *dist;            /* NULL: all */
} opts;

#define NIMPL 3                  /* engine, bheap, heap4 */

typedef struct stat3 { double med, min, max; } stat3;

typedef struct cell {            /* one (distribution, size) measurement */
    const dist *d;
    uint32_t pending;
    double wall[NIMPL][MAX_REPS], cpu[NIMPL][MAX_REPS];
    stat3 wall_s[NIMPL], cpu_s[NIMPL];
    int agree;
} cell;

/* The increments: indices into a distribution, fixed per run (seeded PRNG). */
typedef struct picks {
    uint8_t *idx;
    uint32_t pos;
} picks;

static uint64_t next_inc(picks *p, const dist *d)
{
    return d->inc[p->idx[p->pos++ & ((1u << PICK_LOG2) - 1)] % d->n];
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t mix(uint64_t sum, const eng_event *e)
{
    return (sum ^ e->cycle ^ (e->seq << 29)) * 0x100000001b3ull;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_queue: %s: %s\n", what, eng_strerror(rc));
    exit(2);
}

/* ---- the three structures under one hold loop --------------------------- */

typedef int (*pop_fn)(void *, eng_event *);
typedef int (*push_fn)(void *, uint64_t cycle, const eng_event *e);

static int q_pop(void *s, eng_event *e) { return eng_queue_pop(s, e); }
static int q_push(void *s, uint64_t c, const eng_event *e)
{
    return eng_queue_push(s, c, 0, e->kind, e->a, e->b, NULL);
}
static int b_pop(void *s, eng_event *e) { return bheap_pop(s, e); }
static int b_push(void *s, uint64_t c, const eng_event *e)
{
    return bheap_push(s, c, e->kind, e->a, e->b);
}
static int h_pop(void *s, eng_event *e) { return qheap4_pop(s, e); }
static int h_push(void *s, uint64_t c, const eng_event *e)
{
    return qheap4_push(s, c, e->kind, e->a, e->b);
}

typedef struct impl {
    const char *name;
    pop_fn pop;
    push_fn push;
    void *state;
    picks p;
    uint64_t sum;
} impl;

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Holds `holds` times; returns ns per hold in wall[0] and cpu[0]. */
static void hold(impl *m, const dist *d, uint32_t holds, double *wall, double *cpu)
{
    double w0 = now_ns(), c0 = cpu_ns();
    uint32_t i;
    for (i = 0; i < holds; i++) {
        eng_event e;
        int rc = m->pop(m->state, &e);
        if (rc) die(m->name, rc);
        m->sum = mix(m->sum, &e);
        rc = m->push(m->state, e.cycle + next_inc(&m->p, d), &e);
        if (rc) die(m->name, rc);
    }
    *cpu = (cpu_ns() - c0) / holds;
    *wall = (now_ns() - w0) / holds;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stats(const double *v, uint32_t n, stat3 *out)
{
    double s[MAX_REPS];
    memcpy(s, v, n * sizeof v[0]);
    qsort(s, n, sizeof s[0], cmp_double);
    out->med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    out->min = s[0];
    out->max = s[n - 1];
}

static void measure(cell *c, const opts *o, const uint8_t *idx)
{
    eng_queue *q = malloc(eng_queue_size());
    bheap bh;
    qheap4 h4;
    impl m[NIMPL] = {
        { "engine", q_pop, q_push, q, { (uint8_t *)idx, 0 }, 0 },
        { "bheap", b_pop, b_push, &bh, { (uint8_t *)idx, 0 }, 0 },
        { "heap4", h_pop, h_push, &h4, { (uint8_t *)idx, 0 }, 0 },
    };
    uint32_t i, k, warm = c->pending > 100000 ? c->pending : 100000;
    int rc;

    if (!q) die("malloc", ENG_ENOMEM);
    if ((rc = eng_queue_init(q, c->pending))) die("engine queue init", rc);
    if ((rc = bheap_init(&bh, c->pending))) die("bheap init", rc);
    if ((rc = qheap4_init(&h4, c->pending))) die("heap4 init", rc);
    for (k = 0; k < NIMPL; k++) {
        eng_event e = { 0, 0, 0, 0, 0, 0 };
        double w, u;
        for (i = 0; i < c->pending; i++) {
            e.kind = i;
            e.a = i;
            if ((rc = m[k].push(m[k].state, next_inc(&m[k].p, c->d), &e))) die("fill", rc);
        }
        hold(&m[k], c->d, warm, &w, &u);   /* reach the steady state */
    }
    for (i = 0; i < o->reps; i++)          /* rotate the order: drift hits all alike */
        for (k = 0; k < NIMPL; k++) {
            uint32_t j = (i + k) % NIMPL;
            hold(&m[j], c->d, o->holds, &c->wall[j][i], &c->cpu[j][i]);
        }
    for (k = 0; k < NIMPL; k++) {
        stats(c->wall[k], o->reps, &c->wall_s[k]);
        stats(c->cpu[k], o->reps, &c->cpu_s[k]);
    }
    c->agree = (m[0].sum == m[1].sum && m[0].sum == m[2].sum);
    bheap_close(&bh);
    qheap4_close(&h4);
    eng_queue_close(q);
    free(q);
}

/* ---- output --------------------------------------------------------------- */

static const char *const impl_names[NIMPL] = { "engine", "bheap", "heap4" };

static void print_table(const cell *cells, uint32_t n, const opts *o)
{
    uint32_t i;
    printf("hold model: %u holds x %u rounds per cell (order rotated each round); "
           "CPU ns per hold, median [min..max]; speedup = baseline / engine (CPU medians)\n",
           o->holds, o->reps);
    printf("%-5s %8s %24s %24s %24s %7s %7s %s\n", "dist", "pending", "engine",
           "bheap", "heap4", "vs_bh", "vs_h4", "same_order");
    for (i = 0; i < n; i++) {
        const cell *c = &cells[i];
        char col[NIMPL][40];
        uint32_t k;
        for (k = 0; k < NIMPL; k++)
            snprintf(col[k], sizeof col[k], "%.1f [%.1f..%.1f]", c->cpu_s[k].med,
                     c->cpu_s[k].min, c->cpu_s[k].max);
        printf("%-5s %8u %24s %24s %24s %6.2fx %6.2fx %s\n", c->d->name, c->pending,
               col[0], col[1], col[2], c->cpu_s[1].med / c->cpu_s[0].med,
               c->cpu_s[2].med / c->cpu_s[0].med, c->agree ? "yes" : "NO");
    }
    for (i = 0; i < n; i++)
        if (i == 0 || cells[i].d != cells[i - 1].d)
            printf("  %s: %s\n", cells[i].d->name, cells[i].d->desc);
}

static void json_stat(FILE *f, const char *name, const stat3 *s, const double *v, uint32_t n)
{
    uint32_t i;
    fprintf(f, "\"%s\": {\"median\": %.2f, \"min\": %.2f, \"max\": %.2f, \"rounds\": [",
            name, s->med, s->min, s->max);
    for (i = 0; i < n; i++)
        fprintf(f, "%s%.2f", i ? ", " : "", v[i]);
    fprintf(f, "]}");
}

static void json_cell(FILE *f, const cell *c, const opts *o)
{
    uint32_t k;
    fprintf(f, "{\"dist\": \"%s\", \"pending\": %u, \"same_order\": %s, "
            "\"speedup_vs_bheap\": %.3f, \"speedup_vs_heap4\": %.3f",
            c->d->name, c->pending, c->agree ? "true" : "false",
            c->cpu_s[1].med / c->cpu_s[0].med, c->cpu_s[2].med / c->cpu_s[0].med);
    for (k = 0; k < NIMPL; k++) {
        fprintf(f, ",\n     \"%s\": {", impl_names[k]);
        json_stat(f, "cpu_ns", &c->cpu_s[k], c->cpu[k], o->reps);
        fprintf(f, ", ");
        json_stat(f, "wall_ns", &c->wall_s[k], c->wall[k], o->reps);
        fputc('}', f);
    }
    fputc('}', f);
}

static int write_json(const char *path, const cell *cells, uint32_t n, const opts *o)
{
    FILE *f = fopen(path, "w");
    uint32_t i;
    if (!f) {
        fprintf(stderr, "bench_queue: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"benchmark\": \"queue_hold\",\n  \"unit\": \"ns_per_hold\",\n");
    fprintf(f, "  \"statistic\": \"median, min, max over rounds; order rotated per round\",\n"
               "  \"holds_per_round\": %u,\n  \"rounds\": %u,\n", o->holds, o->reps);
    fprintf(f, "  \"baselines\": {\"bheap\": \"binary heap of events on (cycle, seq)\", "
               "\"heap4\": \"4-ary heap of ((cycle, cls, seq), index)\"},\n"
               "  \"distributions\": {");
    for (i = 0; i < NDISTS; i++)
        fprintf(f, "%s\n    \"%s\": \"%s\"", i ? "," : "", dists[i].name, dists[i].desc);
    fprintf(f, "\n  },\n  \"results\": [");
    for (i = 0; i < n; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        json_cell(f, &cells[i], o);
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- arguments ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bench_queue [--json FILE] [--reps N] [--holds N] [--sizes N,N,...]\n"
        "Hold-model benchmark of the vmmsim event queue against a binary heap on\n"
        "(cycle, seq) and a 4-ary heap of ((cycle, cls, seq), index), in one process;\n"
        "CPU and wall time, median with min and max over rounds.\n"
        "  --json FILE    also write the results as JSON to FILE\n"
        "  --reps N       rounds per cell (each times all three; default 5, max %d)\n"
        "  --holds N      holds per structure per round (default 1000000)\n"
        "  --sizes LIST   pending-event counts (default 16,64,256,1024,10000,100000,1000000)\n"
        "  --dist NAME    only this increment distribution (ties or wide)\n"
        "  --help         this text\n", MAX_REPS);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_sizes(char *s, opts *o)
{
    char *tok, *save = NULL;
    o->nsizes = 0;
    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->nsizes == MAX_SIZES || parse_u32(tok, 2, 1u << 26, &o->sizes[o->nsizes]))
            return -1;
        o->nsizes++;
    }
    return o->nsizes ? 0 : -1;
}

static int parse_args(int argc, char **argv, opts *o)
{
    static const uint32_t def[] = { 16, 64, 256, 1024, 10000, 100000, 1000000 };
    int i;
    memcpy(o->sizes, def, sizeof def);
    o->nsizes = sizeof def / sizeof def[0];
    o->reps = 5;
    o->holds = 1000000;
    o->json = NULL;
    o->dist = NULL;
    for (i = 1; i < argc; i += 2) {   /* every option but --help takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (v == NULL)
            return -1;
        if (!strcmp(a, "--json"))
            o->json = v;
        else if (!strcmp(a, "--dist"))
            o->dist = v;
        else if (!strcmp(a, "--reps")) {
            if (parse_u32(v, 1, MAX_REPS, &o->reps)) return -1;
        } else if (!strcmp(a, "--holds")) {
            if (parse_u32(v, 1, 1u << 30, &o->holds)) return -1;
        } else if (!strcmp(a, "--sizes")) {
            if (parse_sizes(argv[i + 1], o)) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    cell cells[NDISTS * MAX_SIZES];
    uint8_t *idx = malloc(1u << PICK_LOG2);
    eng_rng g;
    uint32_t i, s, n = 0;
    int bad = 0;

    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    if (!idx) die("malloc", ENG_ENOMEM);
    eng_rng_seed(&g, 0x5eed);
    for (i = 0; i < (1u << PICK_LOG2); i++)
        idx[i] = (uint8_t)eng_rng_below(&g, 240);   /* 240: divisible by 8 and 12 */
    for (i = 0; i < NDISTS; i++) {
        if (o.dist && strcmp(o.dist, dists[i].name))
            continue;
        for (s = 0; s < o.nsizes; s++, n++) {
            cells[n].d = &dists[i];
            cells[n].pending = o.sizes[s];
            measure(&cells[n], &o, idx);
            bad |= !cells[n].agree;
        }
    }
    if (n == 0) {
        fprintf(stderr, "bench_queue: no distribution named %s\n", o.dist);
        return 2;
    }
    print_table(cells, n, &o);
    free(idx);
    if (o.json && write_json(o.json, cells, n, &o))
        return 2;
    if (bad)
        fprintf(stderr, "bench_queue: the two structures popped different sequences\n");
    return bad ? 1 : 0;
}
