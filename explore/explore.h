/*
** explore.h — everything that turns a loaded scenario into runs and verdicts: one
** run's set-up (sim.c), expectations and verdicts (expect.c, schedule_run.c), trace
** files (trace_file.c, trace_out.c), schedule files (schedule.c, schedule_replay.c),
** fuzz campaigns (fuzz*.c), shrinking (shrink*.c), the bare CPU machine of `vmmsim
** bare` (bare.c). The one public header of explore/;
** every exported name starts with xpl_ (docs/architecture.md).
**
** Functions that can fail return 0 or an exit code (XPL_EXIT_*), having printed one
** message; the `vmmsim` command passes the code on as its exit status.
*/
#ifndef VMMSIM_EXPLORE_H
#define VMMSIM_EXPLORE_H

#include <stdint.h>
#include <stdio.h>

#include "scen/scen.h"

/* Exit codes (README, "Exit codes"). */
enum {
    XPL_EXIT_OK = 0,
    XPL_EXIT_FINDING = 1,     /* a finding or failed expectation */
    XPL_EXIT_USAGE = 2,       /* bad usage or bad input */
    XPL_EXIT_SIM = 3,         /* a simulation error: guest fault, limit, unimplemented */
    XPL_EXIT_HOST = 4         /* a host error: I/O, memory */
};

#ifndef VMMSIM_VERSION
#define VMMSIM_VERSION "0.1.0"
#endif

#define XPL_TRACE_MAGIC "# vmmsim-trace 1"
#define XPL_LINE_MAX 512

/* ---- output files written atomically (afile.c) -----------------------------
** The text goes to a temporary name in the same folder ("DIR/.NAME.PID.N.tmp"), is
** flushed and fsync'd, then renamed over NAME, so that a reader (or a SIGKILL, a full
** disk, a crash) never sees a partial file under NAME: either the old file, no file,
** or the whole new one. A path that exists and is not a regular file (/dev/stdout, a
** FIFO) is written in place. Thread-safe: the fuzz workers write their failures at
** the same time. */

#define XPL_AFILE_PATH_MAX 4096

typedef struct xpl_afile {
    FILE *f;                          /* write here between open and commit */
    char  path[XPL_AFILE_PATH_MAX];   /* the final name */
    char  tmp[XPL_AFILE_PATH_MAX];    /* the temporary name; "" when written in place */
} xpl_afile;

/* Opens a temporary file beside path. NULL (errno set) when it cannot. */
FILE *xpl_afile_open(xpl_afile *a, const char *path);
/* Flushes, fsyncs and renames the temporary file to its final name. 0, or -1 with
** errno set (the temporary file is removed, an older file at path is untouched). */
int   xpl_afile_commit(xpl_afile *a);
/* Drops the temporary file (an error on the way): the final name is untouched. */
void  xpl_afile_abort(xpl_afile *a);
/* Before any work: can path be written, and is it none of the command's inputs
** (NULL-terminated; NULL entries skipped up to n)? 0, or -1 with why filled
** ("is the scenario SCENARIO", "is a folder", "its folder ... : No such file"). */
int   xpl_afile_check(const char *path, const char *const *inputs, int n, char *why, size_t len);
/* Is name one of this module's temporary files (".X.PID.N.tmp")? */
int   xpl_afile_is_tmp(const char *name);

/* ---- one simulation: scenario + machine (sim.c) ---------------------------- */

typedef struct xpl_sim {
    scen     s;
    const char *path;          /* scenario path as given, or SCEN_DEFAULT_NAME */
    vmm_state *v;
    int      strategy;         /* ENG_STRAT_CANONICAL, _RANDOM or _PCT (engine.h) */
    uint64_t seed;
    uint32_t depth;            /* PCT depth, 0: XPL_PCT_DEPTH */
    int      pct_by;           /* ENG_PCT_BY_SOURCE (default) or ENG_PCT_BY_RANK */
    uint64_t max_cycles;       /* 0: the scenario's */
    int      run_rc;           /* vmm_run's result */
    unsigned explore;          /* VMM_EXPLORE_* for replays (xpl_replay_run) */
} xpl_sim;

/* Loads (path NULL: the built-in scenario) and builds the machine. Returns 0 or an
** exit code, having printed one error message to err. */
int  xpl_sim_load(xpl_sim *c, const char *path, FILE *err);
/* Runs; a simulation error is printed to err and kept in run_rc. */
void xpl_sim_run(xpl_sim *c, FILE *err);
void xpl_sim_free(xpl_sim *c);
/* The trace record i as its canonical text line (no newline). */
size_t xpl_sim_line(const xpl_sim *c, uint32_t i, char *buf, size_t len);
#define XPL_PCT_DEPTH ENG_PCT_DEPTH_DEFAULT   /* `run --strategy pct` without --depth */
#define XPL_PCT_DEPTH_MAX ENG_PCT_DEPTH_MAX   /* one range for run, fuzz and bench */
#define XPL_PCT_DEPTH_MAX_STR "16"           /* XPL_PCT_DEPTH_MAX, for messages */
/* An option's unsigned value (decimal or 0x); -1 on a sign, junk or overflow. */
int xpl_u64_arg(const char *s, uint64_t *out);
/* PCT spreads its change points over the most decisions a canonical or a random run
** (seeded from seed) makes, so k depends on the seed only. Leaves c's machine run. */
uint32_t xpl_pct_steps(xpl_sim *c, uint64_t seed);

/* ---- trace text lines (trace_file.c) ------------------------------------- */

#define XPL_KV_MAX 16
typedef struct xpl_kv { const char *k, *v; uint32_t klen, vlen; int quoted; } xpl_kv;
typedef struct xpl_tline {
    uint64_t cycle;
    const char *type; uint32_t typelen;
    xpl_kv kv[XPL_KV_MAX]; uint32_t nkv;
} xpl_tline;

/* Splits "<cycle> <TYPE> key=value ..." (values may be "quoted"); -1 if the line
** is not a record line (empty, '#' comment, malformed). */
int  xpl_tline_parse(const char *line, size_t len, xpl_tline *out);
/* The value of key, or NULL (length in *vlen). */
const char *xpl_tline_get(const xpl_tline *t, const char *key, uint32_t *vlen);
int  xpl_tline_is(const xpl_tline *t, const char *type);

/* The unhashed header (host facts) and the summary trailer of a trace file. */
void xpl_trace_header(FILE *f, const xpl_sim *c);

/* A saved trace, read back for `replay`. */
typedef struct xpl_tfile {
    char   **line;       /* record lines, without newline */
    uint32_t nline;
    eng_checkpoint *cp;  /* from its CHECKPOINT lines */
    uint32_t ncp;
    char     strategy[32];
    uint64_t seed;
    uint32_t depth;            /* PCT only; 0: not given */
    int      pct_by;     /* PCT: pct-by=source given (a header without it is older: rank) */
    int      has_run;    /* a "# run:" header line was present */
    int      ended;      /* its "# verdict:" summary line was read */
} xpl_tfile;
int  xpl_tfile_read(xpl_tfile *t, const char *path, FILE *err);   /* 0 or exit code */
void xpl_tfile_free(xpl_tfile *t);
/* Checkpoint from a record line, if it is one. */
int  xpl_tline_checkpoint(const xpl_tline *t, eng_checkpoint *out);

/* ---- output formats (trace_out.c) ---------------------------------------- */

void xpl_emit_jsonl(FILE *f, const char *line, size_t len);
/* Chrome trace-event JSON (Perfetto): VMs as tracks, callbacks and service calls as
** spans. Returns 0 or XPL_EXIT_HOST. */
int  xpl_perfetto_write(const xpl_sim *c, const char *path, FILE *err);

/* ---- expectations and findings (expect.c) -------------------------------- */

/* Prints one "# expect ..." line per expectation and "# finding ..." per finding;
** returns the number of failures (failed expectations + unexpected findings). */
uint32_t xpl_expect_check(xpl_sim *c, FILE *out);

/* ---- schedule files (schedule.c) ------------------------------------------- */

#define XPL_SCHED_MAGIC "# vmmsim-schedule 1"     /* every v1 file reads as before */
#define XPL_SCHED_MAGIC2 "# vmmsim-schedule 2"    /* adds `windows steps` and window decisions */
#define XPL_SCHED_DECISIONS_MAX (1u << 22)
#define XPL_SIG_MAX 256

typedef struct xpl_sched {
    uint64_t scen_hash;
    char     strategy[16];      /* random, pct, shrunk, canonical */
    uint64_t seed;
    uint32_t depth;             /* pct */
    uint64_t trace_hash;        /* of the run it records; 0: not recorded */
    char     failure[XPL_SIG_MAX];   /* failure signature, "" when none */
    unsigned explore;           /* VMM_EXPLORE_*: "windows steps" (version 2 only) */
    eng_decision *d;            /* owned */
    uint32_t n, cap;
} xpl_sched;

/* XXH64 of the scenario file's bytes (the built-in text for SCEN_DEFAULT_NAME).
** 0 and a message on err when the file cannot be read. */
int  xpl_scen_hash(const char *path, uint64_t *out, FILE *err);
int  xpl_sched_set(xpl_sched *s, const eng_decision *d, uint32_t n);  /* copies; -1 nomem */
void xpl_sched_free(xpl_sched *s);
int  xpl_sched_write(const xpl_sched *s, const char *path, FILE *err);  /* 0 or exit code */
void xpl_sched_print(const xpl_sched *s, FILE *f);
int  xpl_sched_read(xpl_sched *s, const char *path, FILE *err);         /* 0 or exit code */

/* ---- a run's verdict, shared by fuzz, shrink and replay (expect.c, schedule_run.c) */

typedef struct xpl_verdict {
    uint32_t fails;              /* failed expectations + unexpected findings */
    int      failed;             /* fails or a simulation error */
    char     sig[XPL_SIG_MAX];   /* "expect:1,finding:CB-1,error:hang" — what failed */
    char     first[XPL_SIG_MAX]; /* the first failure message */
} xpl_verdict;

/* Checks expectations after xpl_sim_run (or vmm_run) and fills v from the binary
** records and findings (nothing printed). Returns 0. */
int  xpl_verdict_get(xpl_sim *c, xpl_verdict *v);
/* Writes the trace (header, records, summary) of the finished run to f. */
void xpl_run_write(xpl_sim *c, FILE *f, const char *run_line, int records);
/* Replays decisions on c's machine (vmm_reset first) and computes the verdict. */
int  xpl_replay_run(xpl_sim *c, const eng_decision *d, uint32_t n, xpl_verdict *v);

/* Loads the scenario into c after checking its hash against the schedule's (0 or an
** exit code, message printed). */
int  xpl_sched_load_scen(xpl_sim *c, const char *scen_path, const xpl_sched *s);
/* `vmmsim replay SCENARIO --schedule FILE` (schedule_replay.c). */
int  xpl_sched_replay(const char *scen_path, const char *sched_path, uint64_t max_cycles,
                           int quiet);

/* ---- fuzz campaigns (fuzz.c, fuzz_work.c, fuzz_dfs.c, fuzz_out.c) ---------------
** docs/fuzzing.md. Run i's seed is eng_run_seed(seed, i); results come in run order,
** so the output does not depend on jobs or thread timing. */

#define XPL_FZ_JOBS_MAX 256u
#define XPL_FZ_SHRINK_ATTEMPTS 20000u    /* --shrink: replays per signature */
typedef struct xpl_fz_opts {
    const char *scenario, *out;
    int      strat;                 /* ENG_STRAT_RANDOM, _PCT or _DFS */
    uint32_t bound;                 /* dfs: branch on the first `bound` decisions only */
    int      window_cycles;         /* dfs: jitter windows cycle by cycle (no window steps) */
    int      deepen;                /* dfs: iterative deepening on non-canonical decisions */
    uint32_t max_delays;            /* dfs --deepen: the last bound tried (UINT32_MAX: none) */
    int      por;                   /* dfs: partial-order reduction (sleep sets) */
    int      por_naive;             /* dfs --por --deepen: the unbounded rules (unsound; tests) */
    int      outcomes;              /* dfs: count distinct outcomes (vmm_outcome_hash) */
    int      self_check;            /* replay each run's decisions, compare the hash */
    uint32_t depth;                 /* pct d */
    uint64_t runs, seed;
    uint32_t jobs;
    uint32_t shard_i, shard_n;      /* this shard takes runs i with i % n == shard_i */
    double   time_s;                /* 0: no time limit */
    uint64_t max_cycles;
    int      json, quiet;
    int      force;                 /* --out DIR may hold another campaign's files */
    int      pct_by;                /* ENG_PCT_BY_SOURCE (default) or ENG_PCT_BY_RANK */
    int      swarm;                 /* each run leaves a seeded subset of kinds canonical */
    uint64_t max_failures;          /* stop after this many failures, in run order (0: never) */
    const char *coverage_log;       /* a line per 64 runs: runs, schedules, traces, pairs */
    int      shrink;                /* --out: shrink each signature's shortest schedule */
} xpl_fz_opts;

/* Runs the campaign: a line per failure (unless quiet) and the summary on stdout,
** findings under o->out. 0, XPL_EXIT_FINDING when a run failed, or an exit code. */
int xpl_fuzz_campaign(const xpl_fz_opts *o);

/* ---- shrinking (shrink.c, shrink_scen.c; docs/fuzzing.md) ------------------------ */

typedef struct xpl_shrink_opts {
    const char *scen, *sched, *out; /* scenario, failing schedule, where the result goes */
    const char *out_scen;           /* the reduced scenario; NULL with keep_stimuli */
    uint64_t max_attempts, max_cycles;
    int keep_stimuli;               /* shrink the decisions only */
    int quiet;                      /* no report on stdout (errors still on stderr) */
} xpl_shrink_opts;

/* Replays the schedule, shrinks its decisions (and the scenario's stimuli), writes
** and verifies the result, printing what it did on stdout. 0, XPL_EXIT_FINDING when
** the schedule does not fail, XPL_EXIT_SIM when the result did not verify, or an
** exit code. */
int xpl_shrink(const xpl_shrink_opts *o);

/* ---- merging the shards of a campaign (fuzz_merge.c; docs/fuzzing.md, "Shards") -- */

typedef struct xpl_merge_opts {
    const char **findings; uint32_t nfindings;   /* findings.jsonl files */
    const char **distinct; uint32_t ndistinct;   /* hash sets named; 0: those beside */
    const char *out;                /* merged findings; NULL: stdout */
    int json, quiet, no_distinct;
} xpl_merge_opts;

/* Writes the findings in run order (duplicates dropped) and a summary with the
** distinct schedules of the union of the shards' sets. 0 or an exit code. */
int xpl_fuzz_merge(const xpl_merge_opts *o);

#define XPL_FZ_DISTINCT_FILE "distinct.txt"          /* beside findings.jsonl */
#define XPL_FZ_OUTCOMES_FILE "outcomes.txt"          /* dfs --outcomes/--por: the outcome hashes */
#define XPL_FZ_DISTINCT_MAX (1u << 26)               /* decision-list hashes a campaign remembers */
#define XPL_FZ_DISTINCT_MAGIC "# vmmsim-distinct 1"
#define XPL_FZ_UNION_MAX (1u << 27)     /* hashes of all shards, counted together (1 GiB) */

/* A shard's set of distinct decision-list hashes, as `vmmsim fuzz --out DIR` writes
** it to DIR/distinct.txt, so that the shards of a campaign can count the distinct
** schedules of their union (docs/fuzzing.md, "Distinct schedules of a sharded
** campaign"). The header names the campaign; merging refuses other campaigns. */
typedef struct xpl_fz_dset {
    uint64_t scen_hash, seed;
    char     strategy[16];
    uint32_t depth;
    uint64_t runs;                  /* the campaign's --runs */
    uint32_t shard_i, shard_n;
    uint64_t done;                  /* runs this shard completed */
    int      exact;                 /* 0: the shard's set was full, h is a subset */
    uint64_t *h, n;                 /* strictly increasing, nonzero */
} xpl_fz_dset;

/* A shard's set, read back (fuzz_merge.c) */
int  xpl_fz_dset_read(xpl_fz_dset *d, const char *path, FILE *err);     /* 0 or an exit code */
void xpl_fz_dset_free(xpl_fz_dset *d);
int  xpl_fz_dset_same_campaign(const xpl_fz_dset *a, const xpl_fz_dset *b);
uint64_t xpl_fz_union_count(uint64_t *v, uint64_t n);              /* sorts v */

/* s as a JSON string (quotes and escapes) on f. */
void xpl_json_str(FILE *f, const char *s);

/* ---- a raw i386 image on the bare interpreter (bare.c; `vmmsim bare`) ----------- */

#define XPL_BARE_LOADS_MAX        16
#define XPL_BARE_ROM_BYTES_MAX    (256u * 1024u)
#define XPL_BARE_MEMORY_KB_MIN    64u
#define XPL_BARE_MEMORY_KB_MAX    (1024u * 1024u)
#define XPL_BARE_MEMORY_KB_DEF    1024u
#define XPL_BARE_CYCLES_DEF       10000000000ull   /* 10^10: ~5 min of a 33 MHz 386 */
#define XPL_BARE_PORT_CONSOLE     0xE9
#define XPL_BARE_PORT_POST        0x190
#define XPL_BARE_FLAT_GDT         0x800u

typedef struct xpl_bare_load { uint32_t addr; const char *path; } xpl_bare_load;

typedef struct xpl_bare_opts {
    const char *rom_path;
    xpl_bare_load   loads[XPL_BARE_LOADS_MAX];
    unsigned    nloads;
    int         flat32;
    uint32_t    entry;
    uint64_t    cycles_max;
    uint32_t    memory_kb;
    int         expect_post;     /* --expect-post given */
    uint32_t    post_want;
} xpl_bare_opts;

/* Runs the image (port 0xE9 to stdout, POST port to stderr; ports 92h, 60h and 64h
** are the PC's A20 gate, cpu386/a20.h): 0 on HLT with IF clear, XPL_EXIT_FINDING when
** such a run's last POST value is not o->post_want (o->expect_post), XPL_EXIT_USAGE
** for bad input, XPL_EXIT_SIM on an exception, triple fault, HLT with IF set or the
** cycle limit (the reason on stderr), XPL_EXIT_HOST. */
int xpl_bare_run(const xpl_bare_opts *o);

#endif
