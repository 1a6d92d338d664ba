/*
** schedule_replay.c — `vmmsim replay SCENARIO --schedule FILE`: run the scenario with
** the schedule's decisions (canonical past their end, DESIGN.md §4), print its trace
** and verdict, and check the trace hash the schedule recorded.
*/
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

/* Loads the scenario, checking that it is the one the schedule was made on. */
int cli_sched_load_scen(cli_sim *c, const char *scen_path, const cli_sched *s) {
    uint64_t h;
    const char *p = strcmp(scen_path, SCEN_DEFAULT_NAME) && strcmp(scen_path, "-") ? scen_path : NULL;
    int rc = cli_scen_hash(p, &h, stderr);
    if (rc) return rc;
    if (s->scen_hash && h != s->scen_hash) {
        fprintf(stderr, "vmmsim: %s has hash 0x%016llx, the schedule was made on 0x%016llx "
                "(a different scenario file)\n", scen_path, (unsigned long long)h,
                (unsigned long long)s->scen_hash);
        return CLI_EXIT_USAGE;
    }
    return cli_sim_load(c, p, stderr);
}

int cli_sched_replay_main(const char *scen_path, const char *sched_path, uint64_t max_cycles,
                          int quiet) {
    cli_sched s;
    int rc = cli_sched_read(&s, sched_path, stderr);
    if (rc) return rc;
    cli_sim *c = calloc(1, sizeof *c);
    if (!c) { cli_sched_free(&s); return CLI_EXIT_HOST; }
    c->max_cycles = max_cycles;
    rc = cli_sched_load_scen(c, scen_path, &s);
    if (!rc) {
        cli_verdict v;
        rc = cli_replay_run(c, s.d, s.n, &v);
        char run_line[128];
        snprintf(run_line, sizeof run_line, "# schedule: %s strategy=%s seed=%llu decisions=%u",
                 sched_path, s.strategy, (unsigned long long)s.seed, s.n);
        if (!rc) cli_run_write(c, stdout, run_line, !quiet);
        uint64_t h = vmm_trace(c->v)->hash;
        uint32_t mism = vmm_chooser(c->v)->replay_mismatches;
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
                rc = CLI_EXIT_FINDING;
            }
        }
    }
    if (fflush(stdout) && !rc) rc = CLI_EXIT_HOST;
    cli_sim_free(c);
    free(c);
    cli_sched_free(&s);
    return rc;
}
