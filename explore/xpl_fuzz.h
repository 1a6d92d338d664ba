/*
** xpl_fuzz.h — a fuzz campaign's state (xpl_fuzz_campaign): runs of one loaded
** scenario under a random, PCT or dfs chooser, on libuv's thread pool, with results in
** run order so that the output does not depend on --jobs or thread timing
** (docs/fuzzing.md). Internal to explore/.
*/
#ifndef VMMSIM_XPL_FUZZ_H
#define VMMSIM_XPL_FUZZ_H

#include <stdint.h>
#include <uv.h>

#include "explore.h"

#define XPL_FZ_CHUNK_RUNS 64u           /* runs per thread-pool work item */
#define XPL_FZ_INFLIGHT_PER_JOB 2u      /* work items queued per worker */
#define XPL_FZ_STOP_SIGNALS 3           /* SIGINT, SIGTERM, SIGHUP (fuzz_stop.c) */

typedef struct xpl_fz_fail {
    uint64_t run, seed, dhash, thash;
    uint32_t ndec;
    xpl_verdict v;
} xpl_fz_fail;

struct xpl_fz_campaign;

typedef struct xpl_fz_chunk {
    uv_work_t req;
    struct xpl_fz_campaign *cp;
    uint64_t index;                 /* chunk number in campaign order */
    uint64_t j0;                    /* first local run number */
    uint32_t nrun;
    uint64_t dhash[XPL_FZ_CHUNK_RUNS];  /* per run: hash of its decision list */
    xpl_fz_fail *fail;                  /* owned */
    uint32_t nfail, capfail;
    int      err;                   /* a host error (writing files) */
} xpl_fz_chunk;

typedef struct xpl_fz_worker { xpl_sim sim; int busy; } xpl_fz_worker;

typedef struct xpl_fz_campaign {
    xpl_fz_opts  o;
    xpl_sim *c0;                    /* the loaded scenario; workers share c0->s */
    uint64_t scen_hash;
    uint32_t pct_steps;
    xpl_fz_worker *w;  uint32_t nw;
    uv_mutex_t lock;                /* guards w[].busy */
    uv_loop_t  loop;
    uv_timer_t timer;
    uv_signal_t sig[XPL_FZ_STOP_SIGNALS];
    xpl_fz_chunk **pending;             /* ring of finished chunks awaiting their turn */
    uint32_t  ring;
    uint64_t  nchunks, next_submit, next_emit;
    uint32_t  inflight;
    int       stop, sigints;
    int       maxed;                /* --max-failures reached: later chunks are dropped */
    uint64_t  t0_ns;
    /* results, in run order */
    uint64_t  done, failures;
    uint64_t *set; uint64_t set_cap, distinct; int set_full;
    FILE     *findings;             /* findings_af's temporary file, published at the end */
    xpl_afile findings_af;
    char     first_sig[XPL_SIG_MAX];
    uint64_t first_run; int have_first;
    int       err;
    /* dfs: the next run's decisions; covered once the whole tree was run */
    eng_decision *dfs; uint32_t dfs_n, dfs_cap; int covered;
} xpl_fz_campaign;


/* fuzz_work.c: the runs (each seeded with eng_run_seed), fuzz_dfs.c: the dfs walk */
uint64_t xpl_fz_run_index(const xpl_fz_opts *o, uint64_t j);
void     xpl_fz_chunk_work(uv_work_t *req);
void     xpl_fz_one_run(xpl_fz_campaign *cp, xpl_sim *c, xpl_fz_chunk *ch, uint32_t k);
int      xpl_fz_dfs_campaign(xpl_fz_campaign *cp);
int      xpl_fz_workers_open(xpl_fz_campaign *cp, FILE *err);
void     xpl_fz_workers_close(xpl_fz_campaign *cp);

/* fuzz_stop.c: stop signals, the --out folder */
void xpl_fz_signals_start(xpl_fz_campaign *cp);
void xpl_fz_signals_close(xpl_fz_campaign *cp);
int  xpl_fz_out_prepare(const xpl_fz_opts *o, FILE *err);

/* fuzz_out.c: results */
void xpl_fz_emit_chunk(xpl_fz_campaign *cp, const xpl_fz_chunk *ch);
void xpl_fz_summary(xpl_fz_campaign *cp, FILE *f);
void xpl_fz_progress(xpl_fz_campaign *cp);
int  xpl_fz_dset_write(const xpl_fz_campaign *cp, const char *path);


#endif
