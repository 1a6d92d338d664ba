/*
** bench_run.c — one run of a latency series: the machine reset, the chooser set from
** the run's plan (the seeds `vmmsim fuzz` gives its runs), the run, its samples
** (docs/bench.md).
*/
#include <assert.h>
#include <stdio.h>

#include "bench.h"

int bench_latency_run(bench_stats *st, const bench_series *s, uint64_t run) {
    assert(st && s && s->v && s->path && s->clock_hz > 0);
    vmm_reset(s->v);
    eng_plan p = { .strategy = s->strat, .seed = eng_run_seed(s->seed, run),
                   .depth = BENCH_PCT_DEPTH, .steps = s->pct_steps };
    eng_chooser_plan(vmm_chooser(s->v), &p);
    int run_rc = vmm_run(s->v);
    if (run_rc) {
        fprintf(stderr, "%s: run %llu stopped at cycle %llu: %s: %s\n", s->path,
                (unsigned long long)run, (unsigned long long)vmm_now(s->v),
                vmm_strerror(run_rc), vmm_error(s->v));
        return BENCH_ESIM;
    }
    const eng_trace *t = vmm_trace(s->v);
    if (t->overflow || t->len != t->count) {
        fprintf(stderr, "%s: run %llu: the trace outgrew trace_records; latency needs every record\n",
                s->path, (unsigned long long)run);
        return BENCH_ESIM;
    }
    int rc = bench_collect(st, t, run, s->clock_hz);
    if (rc == BENCH_EFULL) {
        fprintf(stderr, "%s: run %llu: too many pending triggers or samples\n", s->path,
                (unsigned long long)run);
        return BENCH_ESIM;
    }
    return rc ? BENCH_ENOMEM : 0;
}
