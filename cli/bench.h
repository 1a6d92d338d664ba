/*
** bench.h — `vmmsim bench latency`: trigger-to-callback latency in simulated cycles,
** measured from the stored trace records of each run, and where each sample's cycles
** went (docs/bench.md). Internal to cli/.
*/
#ifndef VMMSIM_BENCH_H
#define VMMSIM_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "../engine/engine.h"

/* Callback kinds measured, in output order. */
enum { BL_NC = 0, BL_IDLE, BL_EVENT, BL_PRIO, BL_TIMEOUT, BL_HWINT, BL_KIND_COUNT };
const char *bl_kind_name(int kind);

#define BL_SAMPLES_MAX (1u << 24)   /* samples kept per kind over all runs */
#define BL_PENDING_MAX 256u         /* triggers awaiting their callback, per table */
#define BL_IRQ_MAX 16u
#define BL_VMS_MAX 64u              /* VMs the breakdown follows (vmm's limit) */

/* Components of a sample's latency, in output order (docs/bench.md, "Breakdown"):
** they partition the cycles from trigger to callback entry. */
enum { BL_C_VMM_PATH = 0, BL_C_VXD_CODE, BL_C_INTERRUPTS, BL_C_OTHER_VMS, BL_C_TIME_SLICE,
       BL_C_TIMER, BL_C_WAITING, BL_COMP_COUNT };
const char *bl_comp_name(int comp);

typedef struct bl_sample {
    uint64_t run;
    uint64_t trigger_cycle, enter_cycle;
    uint64_t latency_cycles;
    uint64_t comp_cycles[BL_COMP_COUNT];   /* sums to latency_cycles (with bl_init) */
} bl_sample;

typedef struct bl_kind {
    bl_sample *s;  uint32_t n, cap;   /* in run order, then trace order */
    uint64_t *sorted;                 /* latencies, ascending (bl_sort) */
    uint64_t unpaired;        /* callbacks whose trigger was not in the trace */
} bl_kind;

typedef struct bl_stats {
    bl_kind  k[BL_KIND_COUNT];
    uint64_t vm_timeouts;     /* VM time-outs: due in VM execution time, not measured */
    uint64_t irq_merged;      /* IRQ raises merged into a pending request of the line */
    uint64_t mismatches;      /* trace steps the breakdown's model did not expect */
    int      breakdown;       /* bl_init was called: samples carry comp_cycles */
    uint32_t service_cycles;  /* the machine's, for the VMM path costs */
    int      err;             /* BL_ENOMEM once a sample could not be kept */
} bl_stats;

enum { BL_OK = 0, BL_ENOMEM = -1, BL_EFULL = -2 };

/* Zeroes st and asks bl_collect for the per-sample breakdown, which needs the
** machine's service_cycles (the VMM path costs of docs/vmm.md). Without it (st
** zeroed by the caller) samples carry no breakdown. */
void bl_init(bl_stats *st, uint32_t service_cycles);
/* Pairs every callback entry of one run's trace with its trigger and appends a
** sample per pair. clock_hz converts time-out due times (ms) to cycles. */
int  bl_collect(bl_stats *st, const eng_trace *t, uint64_t run, uint32_t clock_hz);
void bl_free(bl_stats *st);
/* Builds each kind's ascending latency list for the percentiles (samples keep
** their run order). 0 or BL_ENOMEM. */
int  bl_sort(bl_stats *st);
/* Nearest-rank percentile (q in 1..100) of a sorted kind; n must be > 0. */
uint64_t bl_percentile(const bl_kind *k, uint32_t q);

/* `vmmsim bench host`: host time of the simulation (bench_host.c); argv[0] is "host". */
int cli_bench_host_main(int argc, char **argv);

/* ---- shared by the `vmmsim bench` subcommands (bench.c) ---------------------- */

/* "vmmsim bench CMD: msg arg" and the --help pointer; returns CLI_EXIT_USAGE. */
int  bench_usage_err(const char *cmd, const char *msg, const char *arg);
/* --depth D (PCT, 1..CLI_PCT_DEPTH_MAX): 0, or a usage error for cmd. */
int  bench_depth_arg(const char *cmd, const char *val, uint32_t *depth);
/* The options every subcommand takes, at argv[*i]: the scenario, --json FILE, --help
** (prints help). Returns 1 when it was one of them (*i moved past its value), 0 when
** not, -1 after --help, or CLI_EXIT_USAGE. */
int  bench_opt_common(const char *cmd, const char *help, int argc, char **argv, int *i,
                      const char **scenario, const char **json);
/* Grows *arr (elements of size bytes) to hold one more than n; 0, BL_EFULL past
** BL_SAMPLES_MAX elements, or BL_ENOMEM. */
int  bench_grow(void **arr, uint32_t n, uint32_t *cap, size_t size);

#endif
