/*
** schedule_replay.c — `vmmsim replay SCENARIO --schedule FILE`: run the scenario with
** the schedule's decisions (canonical past their end, docs/fuzzing.md), print its trace
** and verdict, and check the trace hash the schedule recorded.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

/* Loads the scenario, checking that it is the one the schedule was made on. */
int xpl_sched_load_scen(xpl_sim *c, const char *scen_path, const xpl_sched *s) {
    assert(c && scen_path && s);
    uint64_t h;
    const char *p = strcmp(scen_path, SCEN_DEFAULT_NAME) && strcmp(scen_path, "-") ? scen_path : NULL;
    int rc = xpl_scen_hash(p, &h, stderr);
    if (rc) return rc;
    if (s->scen_hash && h != s->scen_hash) {
        fprintf(stderr, "vmmsim: %s has hash 0x%016llx, the schedule was made on 0x%016llx "
                "(a different scenario file)\n", scen_path, (unsigned long long)h,
                (unsigned long long)s->scen_hash);
        return XPL_EXIT_USAGE;
    }
    c->explore = s->explore;
    return xpl_sim_load(c, p, stderr);
}

int xpl_sched_replay(const char *scen_path, const char *sched_path, uint64_t max_cycles,
                          int quiet) {
    assert(scen_path && sched_path);
    xpl_sched s;
    int rc = xpl_sched_read(&s, sched_path, stderr);
    if (rc) return rc;
    xpl_sim *c = calloc(1, sizeof *c);
    if (!c) { xpl_sched_free(&s); return XPL_EXIT_HOST; }
    c->max_cycles = max_cycles;
    rc = xpl_sched_load_scen(c, scen_path, &s);
    if (!rc) {
        xpl_verdict v;
        rc = xpl_replay_run(c, s.d, s.n, &v);
        char run_line[XPL_LINE_MAX];
        snprintf(run_line, sizeof run_line, "# schedule: %s strategy=%s seed=%llu decisions=%u%s",
                 sched_path, s.strategy, (unsigned long long)s.seed, s.n,
                 s.explore & VMM_EXPLORE_WINDOW_STEPS ? " windows=steps" : "");
        if (!rc) xpl_run_write(c, stdout, run_line, !quiet);
        uint64_t h = vmm_trace(c->v)->hash;
        uint32_t mism = eng_chooser_mismatches(vmm_chooser(c->v));
        if (!rc) {
            if (mism) printf("# note: %u decisions did not match the choice point asked\n", mism);
            if (v.failed) printf("# failure: %s\n", v.sig);
            if (!s.trace_hash) {
                printf("replay: schedule records no trace hash; this run's is 0x%016llx\n",
                       (unsigned long long)h);
            } else if (h == s.trace_hash) {
                printf("replay: identical (hash 0x%016llx)\n", (unsigned long long)h);
            } else {
                printf("replay: DIVERGED (hash 0x%016llx, the schedule recorded 0x%016llx)\n",
                       (unsigned long long)h, (unsigned long long)s.trace_hash);
                rc = XPL_EXIT_FINDING;
            }
        }
    }
    if (fflush(stdout) && !rc) rc = XPL_EXIT_HOST;
    xpl_sim_free(c);
    free(c);
    xpl_sched_free(&s);
    return rc;
}
