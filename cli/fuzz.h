/*
** fuzz.h — `vmmsim fuzz`: a campaign of runs of one loaded scenario under a random or
** PCT chooser, on libuv's thread pool, with results in run order so that the output
** does not depend on --jobs or thread timing (docs/fuzzing.md). Internal to cli/.
*/
#ifndef VMMSIM_FUZZ_H
#define VMMSIM_FUZZ_H

#include <stdint.h>
#include <uv.h>

#include "afile.h"
#include "schedule.h"

#define FZ_CHUNK_RUNS 64u           /* runs per thread-pool work item */
#define FZ_JOBS_MAX 256u
#define FZ_INFLIGHT_PER_JOB 2u      /* work items queued per worker */
#define FZ_DISTINCT_MAX (1u << 26)  /* decision-list hashes remembered */
#define FZ_DISTINCT_FILE "distinct.txt"          /* beside findings.jsonl */
#define FZ_DISTINCT_MAGIC "# vmmsim-distinct 1"
#define FZ_STOP_SIGNALS 3            /* SIGINT, SIGTERM, SIGHUP (fuzz_stop.c) */
#define FZ_UNION_MAX (1u << 27)     /* hashes of all shards, counted together (1 GiB) */

typedef struct fz_opts {
    const char *scenario, *out;
    int      strat;                 /* FZ_RANDOM, FZ_PCT, FZ_DFS */
    uint32_t bound;                 /* dfs: branch on the first `bound` decisions only */
    int      self_check;            /* replay each run's decisions, compare the hash */
    uint32_t depth;                 /* pct d */
    uint64_t runs, seed;
    uint32_t jobs;
    uint32_t shard_i, shard_n;      /* this shard takes runs i with i % n == shard_i */
    double   time_s;                /* 0: no time limit */
    uint64_t max_cycles;
    int      json, quiet;
    int      force;                 /* --out DIR may hold another campaign's files */
} fz_opts;

enum { FZ_RANDOM = 0, FZ_PCT, FZ_DFS };
const char *fz_strategy_name(int strat);

typedef struct fz_fail {
    uint64_t run, seed, dhash, thash;
    uint32_t ndec;
    cli_verdict v;
} fz_fail;

struct fz_campaign;

typedef struct fz_chunk {
    uv_work_t req;
    struct fz_campaign *cp;
    uint64_t index;                 /* chunk number in campaign order */
    uint64_t j0;                    /* first local run number */
    uint32_t nrun;
    uint64_t dhash[FZ_CHUNK_RUNS];  /* per run: hash of its decision list */
    fz_fail *fail;                  /* owned */
    uint32_t nfail, capfail;
    int      err;                   /* a host error (writing files) */
} fz_chunk;

typedef struct fz_worker { cli_sim sim; int busy; } fz_worker;

typedef struct fz_campaign {
    fz_opts  o;
    cli_sim *c0;                    /* the loaded scenario; workers share c0->s */
    uint64_t scen_hash;
    uint32_t pct_steps;
    fz_worker *w;  uint32_t nw;
    uv_mutex_t lock;                /* guards w[].busy */
    uv_loop_t  loop;
    uv_timer_t timer;
    uv_signal_t sig[FZ_STOP_SIGNALS];
    fz_chunk **pending;             /* ring of finished chunks awaiting their turn */
    uint32_t  ring;
    uint64_t  nchunks, next_submit, next_emit;
    uint32_t  inflight;
    int       stop, sigints;
    uint64_t  t0_ns;
    /* results, in run order */
    uint64_t  done, failures;
    uint64_t *set; uint64_t set_cap, distinct; int set_full;
    FILE     *findings;             /* findings_af's temporary file, published at the end */
    cli_afile findings_af;
    char     first_sig[CLI_SIG_MAX];
    uint64_t first_run; int have_first;
    int       err;
    /* dfs: the next run's decisions; covered once the whole tree was run */
    eng_decision *dfs; uint32_t dfs_n, dfs_cap; int covered;
} fz_campaign;

/* A shard's set of distinct decision-list hashes, as `vmmsim fuzz --out DIR` writes
** it to DIR/distinct.txt, so that the shards of a campaign can count the distinct
** schedules of their union (docs/fuzzing.md, "Distinct schedules of a sharded
** campaign"). The header names the campaign; merging refuses other campaigns. */
typedef struct fz_dset {
    uint64_t scen_hash, seed;
    char     strategy[16];
    uint32_t depth;
    uint64_t runs;                  /* the campaign's --runs */
    uint32_t shard_i, shard_n;
    uint64_t done;                  /* runs this shard completed */
    int      exact;                 /* 0: the shard's set was full, h is a subset */
    uint64_t *h, n;                 /* strictly increasing, nonzero */
} fz_dset;

/* fuzz_work.c: the run, the seeds */
uint64_t fz_run_seed(uint64_t seed, uint64_t run);
uint64_t fz_run_index(const fz_opts *o, uint64_t j);
void     fz_chunk_work(uv_work_t *req);
void     fz_one_run(fz_campaign *cp, cli_sim *c, fz_chunk *ch, uint32_t k);
int      fz_dfs_campaign(fz_campaign *cp);
int      fz_workers_open(fz_campaign *cp, FILE *err);
void     fz_workers_close(fz_campaign *cp);

/* fuzz_stop.c: stop signals, the --out folder */
void fz_signals_start(fz_campaign *cp);
void fz_signals_close(fz_campaign *cp);
int  fz_out_prepare(const fz_opts *o, FILE *err);

/* fuzz_out.c: results */
void fz_emit_chunk(fz_campaign *cp, const fz_chunk *ch);
void fz_summary(fz_campaign *cp, FILE *f);
void fz_progress(fz_campaign *cp);
void fz_json_str(FILE *f, const char *s);
int  fz_dset_write(const fz_campaign *cp, const char *path);

/* fuzz_merge.c: the shards' results together */
int  fz_dset_read(fz_dset *d, const char *path, FILE *err);     /* 0 or an exit code */
void fz_dset_free(fz_dset *d);
int  fz_dset_same_campaign(const fz_dset *a, const fz_dset *b);
uint64_t fz_union_count(uint64_t *v, uint64_t n);              /* sorts v */

int cli_fuzz_main(int argc, char **argv);

#endif
