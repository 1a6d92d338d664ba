/*
** bench_attr.h — where simulated cycles go, rebuilt from a run's trace records, for
** the per-sample latency breakdown of `vmmsim bench latency` (docs/bench.md,
** "Breakdown"). Internal to bench/lib/ (bench_pair.c is its one user).
**
** bench_ba_record() walks the records in order and files every cycle between two records
** under what the machine was doing then (VMM path, VxD code, interrupt, client code,
** nobody), and for whom (the current VM, and whether it ran only for its time
** slice). A snapshot of those running totals taken at a trigger, subtracted from
** the totals at the callback's entry, gives the sample's components.
*/
#ifndef VMMSIM_BENCH_ATTR_H
#define VMMSIM_BENCH_ATTR_H

#include <stdint.h>

#include "bench.h"

#define BENCH_BA_NONE 0xFFFFFFFFu          /* no snapshot */
#define BENCH_BA_SNAPS_MAX 1024u           /* snapshots alive at once (pairing holds < 800) */
#define BENCH_BA_FRAMES_MAX 16u            /* nested frames per context (vmm's VMM_FRAMES_MAX) */

typedef struct bench_ba_state bench_ba_state;

bench_ba_state *bench_ba_new(uint32_t service_cycles);
void      bench_ba_free(bench_ba_state *a);
/* Files the cycles since the previous record (the gap this record ends) and applies
** the record to the model. */
void      bench_ba_record(bench_ba_state *a, const eng_record *r);
/* A snapshot of the running totals now: an id, or BENCH_BA_NONE when breakdown is off for
** this run (too many VMs) or the pool is exhausted. */
uint32_t  bench_ba_snap(bench_ba_state *a);
void      bench_ba_drop(bench_ba_state *a, uint32_t id);
/* The components from snapshot id to now for a callback entered in VM target_vm;
** the cycles sum to now - the snapshot's cycle. Leaves BENCH_C_TIMER at 0. */
void      bench_ba_breakdown(const bench_ba_state *a, uint32_t id, uint32_t target_vm,
                       uint64_t out[BENCH_COMP_COUNT]);
/* The cycles of the last hwint callback's entry — interrupt gate, VPICD's dispatch
** and the CALL (INT-1): its own VMM path, interrupt time for everything else. */
uint64_t  bench_ba_last_hwint_entry(const bench_ba_state *a);
uint64_t  bench_ba_mismatches(const bench_ba_state *a);

#endif
