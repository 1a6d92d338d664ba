/*
** schedule.h — schedule files (DESIGN.md §4; docs/fuzzing.md): a versioned text file
** naming the scenario (hash of its bytes), the strategy and seed that found a run, and
** the decisions it made, one "kind n chosen" line each. Replaying the decisions
** (the chooser's REPLAY strategy) reproduces the run exactly. Internal to cli/.
*/
#ifndef VMMSIM_SCHEDULE_H
#define VMMSIM_SCHEDULE_H

#include <stdint.h>
#include <stdio.h>

#include "cli_int.h"

#define CLI_SCHED_MAGIC "# vmmsim-schedule 1"
#define CLI_SCHED_DECISIONS_MAX (1u << 22)
#define CLI_SIG_MAX 256

typedef struct cli_sched {
    uint64_t scen_hash;
    char     strategy[16];      /* random, pct, shrunk, canonical */
    uint64_t seed;
    uint32_t depth;             /* pct */
    uint64_t trace_hash;        /* of the run it records; 0: not recorded */
    char     failure[CLI_SIG_MAX];   /* failure signature, "" when none */
    eng_decision *d;            /* owned */
    uint32_t n, cap;
} cli_sched;

/* XXH64 of the scenario file's bytes (the built-in text for SCEN_DEFAULT_NAME).
** 0 and a message on err when the file cannot be read. */
int  cli_scen_hash(const char *path, uint64_t *out, FILE *err);
int  cli_sched_set(cli_sched *s, const eng_decision *d, uint32_t n);  /* copies; -1 nomem */
void cli_sched_free(cli_sched *s);
int  cli_sched_write(const cli_sched *s, const char *path, FILE *err);  /* 0 or exit code */
void cli_sched_print(const cli_sched *s, FILE *f);
int  cli_sched_read(cli_sched *s, const char *path, FILE *err);         /* 0 or exit code */

/* ---- a run's verdict, shared by fuzz, shrink and replay (schedule_run.c) ---- */

typedef struct cli_verdict {
    uint32_t fails;              /* failed expectations + unexpected findings */
    int      failed;             /* fails or a simulation error */
    char     sig[CLI_SIG_MAX];   /* "expect:1,finding:CB-1,error:hang" — what failed */
    char     first[CLI_SIG_MAX]; /* the first failure message */
} cli_verdict;

/* Checks expectations after cli_sim_run (or vmm_run) and fills v. Returns 0, or
** CLI_EXIT_HOST when the check could not capture its output. */
int  cli_verdict_get(cli_sim *c, cli_verdict *v);
/* Writes the trace (header, records, summary) of the finished run to f. */
void cli_run_write(cli_sim *c, FILE *f, const char *run_line, int records);
/* Replays decisions on c's machine (vmm_reset first) and computes the verdict. */
int  cli_replay_run(cli_sim *c, const eng_decision *d, uint32_t n, cli_verdict *v);

/* Loads the scenario into c after checking its hash against the schedule's (0 or an
** exit code, message printed). */
int  cli_sched_load_scen(cli_sim *c, const char *scen_path, const cli_sched *s);
/* `vmmsim replay SCENARIO --schedule FILE` (schedule_replay.c). */
int  cli_sched_replay_main(const char *scen_path, const char *sched_path, uint64_t max_cycles,
                           int quiet);

#endif
