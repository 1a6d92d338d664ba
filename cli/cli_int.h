/*
** cli_int.h — pieces shared by the `vmmsim run` and `vmmsim replay` commands.
** Internal to cli/.
*/
#ifndef VMMSIM_CLI_INT_H
#define VMMSIM_CLI_INT_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "scen.h"

#ifndef VMMSIM_VERSION
#define VMMSIM_VERSION "0.1.0"
#endif

#define CLI_TRACE_MAGIC "# vmmsim-trace 1"
#define CLI_LINE_MAX 512

/* ---- one simulation: scenario + machine (sim.c) ---------------------------- */

typedef struct cli_sim {
    scen     s;
    const char *path;          /* scenario path as given, or SCEN_DEFAULT_NAME */
    vmm_state *v;
    int      strategy;         /* ENG_STRAT_CANONICAL, _RANDOM or _PCT */
    uint64_t seed;
    uint32_t depth;            /* PCT depth, 0: CLI_PCT_DEPTH */
    uint64_t max_cycles;       /* 0: the scenario's */
    int      run_rc;           /* vmm_run's result */
} cli_sim;

/* Loads (path NULL: the built-in scenario) and builds the machine. Returns 0 or an
** exit code, having printed one error message to err. */
int  cli_sim_load(cli_sim *c, const char *path, FILE *err);
/* Runs; a simulation error is printed to err and kept in run_rc. */
void cli_sim_run(cli_sim *c, FILE *err);
void cli_sim_free(cli_sim *c);
/* The trace record i as its canonical text line (no newline). */
size_t cli_sim_line(const cli_sim *c, uint32_t i, char *buf, size_t len);
#define CLI_PCT_DEPTH 3u       /* `run --strategy pct` without --depth */
#define CLI_PCT_DEPTH_MAX ENG_PCT_DEPTH_MAX   /* one range for run, fuzz and bench */
int cli_strategy_parse(const char *name, int *out);
const char *cli_strategy_name(int strategy);
/* An option's unsigned value (decimal or 0x); -1 on a sign, junk or overflow. */
int cli_u64_arg(const char *s, uint64_t *out);
/* PCT spreads its change points over the most decisions a canonical or a random run
** (seeded from seed) makes, so k depends on the seed only. Leaves c's machine run. */
uint32_t cli_pct_steps(cli_sim *c, uint64_t seed);
/* Sets ch for run `run` of a series: canonical, or random / PCT (depth, over k = steps)
** seeded from (seed, run) as `vmmsim fuzz` seeds its runs. */
void cli_chooser_for_run(eng_chooser *ch, int strategy, uint64_t seed, uint64_t run,
                         uint32_t depth, uint32_t steps);

/* ---- trace text lines (trace_file.c) ------------------------------------- */

#define CLI_KV_MAX 16
typedef struct cli_kv { const char *k, *v; uint32_t klen, vlen; int quoted; } cli_kv;
typedef struct cli_tline {
    uint64_t cycle;
    const char *type; uint32_t typelen;
    cli_kv kv[CLI_KV_MAX]; uint32_t nkv;
} cli_tline;

/* Splits "<cycle> <TYPE> key=value ..." (values may be "quoted"); -1 if the line
** is not a record line (empty, '#' comment, malformed). */
int  cli_tline_parse(const char *line, size_t len, cli_tline *out);
/* The value of key, or NULL (length in *vlen). */
const char *cli_tline_get(const cli_tline *t, const char *key, uint32_t *vlen);
int  cli_tline_is(const cli_tline *t, const char *type);

/* The unhashed header (host facts) and the summary trailer of a trace file. */
void cli_trace_header(FILE *f, const cli_sim *c);

/* A saved trace, read back for `replay`. */
typedef struct cli_tfile {
    char   **line;       /* record lines, without newline */
    uint32_t nline;
    eng_checkpoint *cp;  /* from its CHECKPOINT lines */
    uint32_t ncp;
    char     strategy[32];
    uint64_t seed;
    uint32_t depth;            /* PCT only; 0: not given */
    int      has_run;    /* a "# run:" header line was present */
    int      ended;      /* its "# verdict:" summary line was read */
} cli_tfile;
int  cli_tfile_read(cli_tfile *t, const char *path, FILE *err);   /* 0 or exit code */
void cli_tfile_free(cli_tfile *t);
/* Checkpoint from a record line, if it is one. */
int  cli_tline_checkpoint(const cli_tline *t, eng_checkpoint *out);

/* ---- output formats (trace_out.c) ---------------------------------------- */

void cli_emit_jsonl(FILE *f, const char *line, size_t len);
/* Chrome trace-event JSON (Perfetto): VMs as tracks, callbacks and service calls as
** spans. Returns 0 or CLI_EXIT_HOST. */
int  cli_perfetto_write(const cli_sim *c, const char *path, FILE *err);

/* ---- expectations and findings (expect.c) -------------------------------- */

/* Prints one "# expect ..." line per expectation and "# finding ..." per finding;
** returns the number of failures (failed expectations + unexpected findings). */
uint32_t cli_expect_check(cli_sim *c, FILE *out);

#endif
