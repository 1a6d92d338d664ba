/*
** bench.h — `vmmsim bench latency`: trigger-to-callback latency in simulated cycles,
** measured from the stored trace records of each run (docs/bench.md). Internal to cli/.
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

typedef struct bl_sample {
    uint64_t run;
    uint64_t trigger_cycle, enter_cycle;
    uint64_t latency_cycles;
} bl_sample;

typedef struct bl_kind {
    bl_sample *s;  uint32_t n, cap;   /* in run order, then trace order */
    uint64_t *sorted;                 /* latencies, ascending (bl_sort) */
    uint64_t unpaired;        /* callbacks whose trigger was not in the trace */
} bl_kind;

typedef struct bl_stats {
    bl_kind  k[BL_KIND_COUNT];
    uint64_t vm_timeouts;     /* VM time-outs: due in VM execution time, not measured */
    int      err;             /* BL_ENOMEM once a sample could not be kept */
} bl_stats;

enum { BL_OK = 0, BL_ENOMEM = -1, BL_EFULL = -2 };

/* Pairs every callback entry of one run's trace with its trigger and appends a
** sample per pair. clock_hz converts time-out due times (ms) to cycles. */
int  bl_collect(bl_stats *st, const eng_trace *t, uint64_t run, uint32_t clock_hz);
void bl_free(bl_stats *st);
/* Builds each kind's ascending latency list for the percentiles (samples keep
** their run order). 0 or BL_ENOMEM. */
int  bl_sort(bl_stats *st);
/* Nearest-rank percentile (q in 1..100) of a sorted kind; n must be > 0. */
uint64_t bl_percentile(const bl_kind *k, uint32_t q);

#endif
