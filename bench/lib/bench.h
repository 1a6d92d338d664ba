/*
** bench.h — the bench library (bench/lib/), prefix bench_: trigger-to-callback
** latency in simulated cycles, measured from the stored trace records of each run,
** where each sample's cycles went (bench_pair.c, bench_attr.c, bench_run.c), and the
** host time of the simulation (bench_host.c). docs/bench.md; docs/architecture.md.
** It runs a machine the caller built (vmm_state); `vmmsim bench` prints the results.
*/
#ifndef VMMSIM_BENCH_H
#define VMMSIM_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "vmm/vmm.h"

/* Callback kinds measured, in output order. */
enum { BENCH_NC = 0, BENCH_IDLE, BENCH_EVENT, BENCH_PRIO, BENCH_TIMEOUT, BENCH_HWINT, BENCH_KIND_COUNT };
const char *bench_kind_name(int kind);

#define BENCH_SAMPLES_MAX (1u << 24)   /* samples kept per kind over all runs */
#define BENCH_PENDING_MAX 256u         /* triggers awaiting their callback, per table */
#define BENCH_IRQ_MAX 16u
#define BENCH_VMS_MAX 64u              /* VMs the breakdown follows (vmm's limit) */

/* Components of a sample's latency, in output order (docs/bench.md, "Breakdown"):
** they partition the cycles from trigger to callback entry. */
enum { BENCH_C_VMM_PATH = 0, BENCH_C_VXD_CODE, BENCH_C_INTERRUPTS, BENCH_C_OTHER_VMS, BENCH_C_TIME_SLICE,
       BENCH_C_TIMER, BENCH_C_WAITING, BENCH_COMP_COUNT };
const char *bench_comp_name(int comp);

typedef struct bench_sample {
    uint64_t run;
    uint64_t trigger_cycle, enter_cycle;
    uint64_t latency_cycles;
    uint64_t comp_cycles[BENCH_COMP_COUNT];   /* sums to latency_cycles (with bench_init) */
} bench_sample;

typedef struct bench_kind {
    bench_sample *s;  uint32_t n, cap;   /* in run order, then trace order */
    uint64_t *sorted;                 /* latencies, ascending (bench_sort) */
    uint64_t unpaired;        /* callbacks whose trigger was not in the trace */
} bench_kind;

typedef struct bench_stats {
    bench_kind  k[BENCH_KIND_COUNT];
    uint64_t vm_timeouts;     /* VM time-outs: due in VM execution time, not measured */
    uint64_t irq_merged;      /* IRQ raises merged into a pending request of the line */
    uint64_t mismatches;      /* trace steps the breakdown's model did not expect */
    int      breakdown;       /* bench_init was called: samples carry comp_cycles */
    uint32_t service_cycles;  /* the machine's, for the VMM path costs */
    int      err;             /* BENCH_ENOMEM once a sample could not be kept */
} bench_stats;

enum { BENCH_OK = 0, BENCH_ENOMEM = -1, BENCH_EFULL = -2,
       BENCH_ESIM = -3 };          /* a run failed or broke a rule of the measurement
                                     (message printed) */

/* Zeroes st and asks bench_collect for the per-sample breakdown, which needs the
** machine's service_cycles (the VMM path costs of docs/vmm.md). Without it (st
** zeroed by the caller) samples carry no breakdown. */
void bench_init(bench_stats *st, uint32_t service_cycles);
/* Pairs every callback entry of one run's trace with its trigger and appends a
** sample per pair. clock_hz converts time-out due times (ms) to cycles. */
int  bench_collect(bench_stats *st, const eng_trace *t, uint64_t run, uint32_t clock_hz);
void bench_free(bench_stats *st);
/* Builds each kind's ascending latency list for the percentiles (samples keep
** their run order). 0 or BENCH_ENOMEM. */
int  bench_sort(bench_stats *st);
/* Nearest-rank percentile (q in 1..100) of a sorted kind; n must be > 0. */
uint64_t bench_percentile(const bench_kind *k, uint32_t q);

/* Grows *arr (elements of size bytes) to hold one more than n; 0, BENCH_EFULL past
** BENCH_SAMPLES_MAX elements, or BENCH_ENOMEM. */
int  bench_grow(void **arr, uint32_t n, uint32_t *cap, size_t size);

/* ---- a series of runs (bench_run.c) --------------------------------------------- */

#define BENCH_PCT_DEPTH ENG_PCT_DEPTH_DEFAULT

/* Run i of a series uses the chooser strat seeded with eng_run_seed(seed, i), as
** `vmmsim fuzz` seeds its run i. */
typedef struct bench_series {
    vmm_state  *v;               /* the machine, scenario loaded */
    const char *path;            /* the scenario, for messages */
    int         strat;           /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
    uint64_t    seed;
    uint32_t    pct_steps;       /* PCT's k (explore's xpl_pct_steps) */
    uint32_t    clock_hz;
} bench_series;

/* Runs run `run` of the series and adds its samples to st. 0, BENCH_ESIM (the run
** failed, or its trace was not stored whole; message printed), or BENCH_ENOMEM. */
int  bench_latency_run(bench_stats *st, const bench_series *s, uint64_t run);

/* ---- host time (bench_host.c; docs/bench.md, "Host speed") ----------------------- */

#define BENCH_HOST_REPEAT_MAX 10000u
#define BENCH_HOST_RUNS_MAX 10000000u
#define BENCH_HOST_IDX_MAX (1u << 20)   /* seeded runs per repeat whose hashes are kept */

/* Metrics of a repeat, in output order; a rate's slow tail is its low end. */
/* Wall time unless named cpu_: the CPU ones count the thread's CPU time of the repeat
** (runs and their resets), which other load on the machine does not inflate. */
enum { BENCH_M_RUN_US, BENCH_M_CYC_S, BENCH_M_X386, BENCH_M_RT, BENCH_M_MIPS, BENCH_M_EV_S,
       BENCH_M_NS_EV, BENCH_M_CB_S, BENCH_M_NS_CB, BENCH_M_RESET_US, BENCH_M_CPU_RUN_US,
       BENCH_M_CPU_X386, BENCH_M_CPU_MIPS, BENCH_M_COUNT };
typedef struct bench_metric_def { const char *name; int rate; } bench_metric_def;
extern const bench_metric_def bench_metric[BENCH_M_COUNT];

typedef struct bench_host_opts {
    uint64_t repeat, runs;          /* runs 0: calibrate */
    uint64_t seed;
    int      strat;                 /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
} bench_host_opts;

/* What one run does; the same every time the run of that index is repeated. */
typedef struct bench_work {
    uint64_t cycles, insns, events, callbacks, records;
    int      complete;              /* every record was stored: events/callbacks exact */
} bench_work;

/* Run index i's trace and work, from its first run; later runs of i must match. */
typedef struct bench_host_idx {
    uint64_t hash, count;
    bench_work  w;
    int      have;
} bench_host_idx;

/* One repeat's host times: wall (run, reset) and the thread's CPU time of both. */
typedef struct bench_rep { uint64_t run_ns, reset_ns, cpu_ns, runs; } bench_rep;

/* A metric over the repeats: median, slow tail (p99: for a rate its low end), extremes. */
typedef struct bench_stat { double med, p99, min, max; } bench_stat;

/* Host ns from trigger to callback entry, per kind, over the hooked runs. */
typedef struct bench_lat { uint64_t *ns; uint32_t n, cap; } bench_lat;

typedef struct bench_stamps { uint64_t *ns; uint32_t cap; } bench_stamps;

typedef struct bench_host {
    bench_host_opts  o;
    vmm_state *v;                      /* the caller's machine, scenario loaded */
    const char *path;                  /* for messages */
    uint32_t clock_hz;
    bench_work  w;                        /* run 0's work (the "one run" line) */
    bench_work  tot;                      /* the work of one repeat: runs 0..M-1 */
    bench_host_idx  *idx;                      /* per run index (canonical: index 0 only) */
    uint32_t nidx, pct_steps, distinct;
    bench_rep  *rep;
    bench_lat   lat[BENCH_KIND_COUNT + 1];   /* the last: all kinds */
    bench_stats st;
    bench_stamps ts;
    uint64_t probe_unpaired, probe_incomplete;
    uint64_t hash0;                    /* run 0's trace hash */
} bench_host;


typedef struct bench_host_info {
    char cpu[128], kernel[160], compiler[96];
    uint32_t cores;
} bench_host_info;

/* Measures b->o.repeat repeats on b->v (b->o, v, path, clock_hz and, for PCT,
** pct_steps set; the rest zeroed). 0, BENCH_ESIM or BENCH_ENOMEM. */
int  bench_host_measure(bench_host *b);
/* st[i]: metric i over the repeats (bench_stat). 0 or BENCH_ENOMEM. */
int  bench_host_summarize(const bench_host *b, bench_stat *st);
void bench_host_sort_lat(bench_host *b);
void bench_host_free(bench_host *b);
void bench_host_details(bench_host_info *h);
const char *bench_asserts_on(void);      /* "on" or "off": this build's assert() */
/* Nearest rank q% (1..100) of n > 0 sorted values. */
uint32_t bench_rank(uint32_t n, uint32_t q);

#endif
