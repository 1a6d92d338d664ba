/*
** bench_queue.c — hold-model benchmark of the engine's event queue against a plain
** binary heap on (cycle, seq), side by side in one process.
**
** A hold is: pop the earliest event, push a new one at its cycle plus an
** increment drawn from a small set of integers, so that many events share a cycle
** (vmmsim's timestamps are integer 386 clock cycles). The number of pending events
** stays constant. Both structures see the same increments from the same start, so
** they pop the same sequence; a checksum of that sequence confirms it.
**
** Host time (CLOCK_MONOTONIC) is measured here and reported; nothing is asserted.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bheap.h"
#include "engine/engine.h"

#define MAX_SIZES 8
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

typedef struct cell {            /* one (distribution, size) measurement */
    const dist *d;
    uint32_t pending;
    double q_ns[MAX_REPS], h_ns[MAX_REPS];
    double q_med, h_med;
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

/* ---- the two structures under the same hold loop ------------------------ */

static double hold_queue(eng_queue *q, picks *p, const dist *d, uint32_t holds, uint64_t *sum)
{
    double t0 = now_ns();
    uint32_t i;
    for (i = 0; i < holds; i++) {
        eng_event e;
        int rc = eng_queue_pop(q, &e);
        if (rc) die("engine queue pop", rc);
        *sum = mix(*sum, &e);
        rc = eng_queue_push(q, e.cycle + next_inc(p, d), 0, e.kind, e.a, e.b, NULL);
        if (rc) die("engine queue push", rc);
    }
    return (now_ns() - t0) / holds;
}

static double hold_heap(bheap *h, picks *p, const dist *d, uint32_t holds, uint64_t *sum)
{
    double t0 = now_ns();
    uint32_t i;
    for (i = 0; i < holds; i++) {
        eng_event e;
        int rc = bheap_pop(h, &e);
        if (rc) die("heap pop", rc);
        *sum = mix(*sum, &e);
        rc = bheap_push(h, e.cycle + next_inc(p, d), e.kind, e.a, e.b);
        if (rc) die("heap push", rc);
    }
    return (now_ns() - t0) / holds;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, uint32_t n)
{
    double s[MAX_REPS];
    memcpy(s, v, n * sizeof v[0]);
    qsort(s, n, sizeof s[0], cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void measure(cell *c, const opts *o, const uint8_t *idx)
{
    eng_queue *q = malloc(eng_queue_size());
    bheap h;
    picks pq = { (uint8_t *)idx, 0 }, ph = { (uint8_t *)idx, 0 };
    uint64_t sq = 0, sh = 0;
    uint32_t i, warm = c->pending > 100000 ? c->pending : 100000;
    int rc;

    if (!q) die("malloc", ENG_ENOMEM);
    if ((rc = eng_queue_init(q, c->pending))) die("engine queue init", rc);
    if ((rc = bheap_init(&h, c->pending))) die("heap init", rc);
    for (i = 0; i < c->pending; i++) {
        if ((rc = eng_queue_push(q, next_inc(&pq, c->d), 0, i, i, 0, NULL))) die("fill", rc);
        if ((rc = bheap_push(&h, next_inc(&ph, c->d), i, i, 0))) die("fill", rc);
    }
    hold_queue(q, &pq, c->d, warm, &sq);      /* reach the steady state */
    hold_heap(&h, &ph, c->d, warm, &sh);
    for (i = 0; i < o->reps; i++) {           /* interleaved: drift hits both alike */
        c->q_ns[i] = hold_queue(q, &pq, c->d, o->holds, &sq);
        c->h_ns[i] = hold_heap(&h, &ph, c->d, o->holds, &sh);
    }
    c->q_med = median(c->q_ns, o->reps);
    c->h_med = median(c->h_ns, o->reps);
    c->agree = (sq == sh);
    bheap_close(&h);
    eng_queue_close(q);
    free(q);
}

/* ---- output --------------------------------------------------------------- */

static void print_table(const cell *cells, uint32_t n, const opts *o)
{
    uint32_t i;
    printf("hold model: %u holds x %u reps per cell, median ns per hold\n", o->holds, o->reps);
    printf("%-5s %9s %12s %12s %8s %s\n", "dist", "pending", "engine_ns", "bheap_ns",
           "speedup", "same_order");
    for (i = 0; i < n; i++)
        printf("%-5s %9u %12.1f %12.1f %7.2fx %s\n", cells[i].d->name, cells[i].pending,
               cells[i].q_med, cells[i].h_med, cells[i].h_med / cells[i].q_med,
               cells[i].agree ? "yes" : "NO");
    for (i = 0; i < n; i++)
        if (i == 0 || cells[i].d != cells[i - 1].d)
            printf("  %s: %s\n", cells[i].d->name, cells[i].d->desc);
}

static void json_reps(FILE *f, const double *v, uint32_t n)
{
    uint32_t i;
    fputc('[', f);
    for (i = 0; i < n; i++)
        fprintf(f, "%s%.2f", i ? ", " : "", v[i]);
    fputc(']', f);
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
    fprintf(f, "  \"statistic\": \"median\",\n  \"holds_per_rep\": %u,\n  \"reps\": %u,\n",
            o->holds, o->reps);
    fprintf(f, "  \"baseline\": \"binary heap on (cycle, seq)\",\n  \"distributions\": {");
    for (i = 0; i < NDISTS; i++)
        fprintf(f, "%s\n    \"%s\": \"%s\"", i ? "," : "", dists[i].name, dists[i].desc);
    fprintf(f, "\n  },\n  \"results\": [");
    for (i = 0; i < n; i++) {
        const cell *c = &cells[i];
        fprintf(f, "%s\n    {\"dist\": \"%s\", \"pending\": %u, \"engine_ns\": %.2f, "
                "\"bheap_ns\": %.2f, \"speedup\": %.3f, \"same_order\": %s,\n"
                "     \"engine_reps\": ", i ? "," : "", c->d->name, c->pending,
                c->q_med, c->h_med, c->h_med / c->q_med, c->agree ? "true" : "false");
        json_reps(f, c->q_ns, o->reps);
        fprintf(f, ", \"bheap_reps\": ");
        json_reps(f, c->h_ns, o->reps);
        fputc('}', f);
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- arguments ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bench_queue [--json FILE] [--reps N] [--holds N] [--sizes N,N,...]\n"
        "Hold-model benchmark of the vmmsim event queue (timing wheels + overflow heap)\n"
        "against a plain binary heap on (cycle, seq), in one process.\n"
        "  --json FILE    also write the results as JSON to FILE\n"
        "  --reps N       timed repetitions per cell, median reported (default 5, max %d)\n"
        "  --holds N      holds per repetition (default 2000000)\n"
        "  --sizes LIST   pending-event counts (default 1000,10000,100000,1000000)\n"
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
    static const uint32_t def[] = { 1000, 10000, 100000, 1000000 };
    int i;
    memcpy(o->sizes, def, sizeof def);
    o->nsizes = 4;
    o->reps = 5;
    o->holds = 2000000;
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
