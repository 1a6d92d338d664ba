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

#define XPL_FZ_COV_CBS 32u             /* callbacks per run whose order coverage counts */

/* A set of 64-bit hashes (fuzz_cov.c): distinct schedules, traces, orders, pairs. */
typedef struct xpl_fz_hset { uint64_t *t; uint64_t cap, n; int full; } xpl_fz_hset;

/* One run's share of the coverage, taken on its worker (fuzz_cov.c). */
typedef struct xpl_fz_runcov {
    uint64_t thash;
    uint64_t kr[ENG_CHOICE_KIND_COUNT];     /* bit r of kr[k]: a decision of kind k took rank r */
    uint32_t cb[XPL_FZ_COV_CBS], ncb;       /* callbacks by first entry */
} xpl_fz_runcov;

typedef struct xpl_fz_cov {
    xpl_fz_hset traces, orders, pairs;
    uint64_t kr[ENG_CHOICE_KIND_COUNT];
    uint64_t kind_rank, both_orders;
} xpl_fz_cov;

typedef struct xpl_fz_fail {
    uint64_t run, seed, dhash, thash;
    uint32_t ndec, nnc;             /* decisions, non-canonical ones */
    uint32_t cb;                    /* callback of the first finding (0: none) */
    xpl_verdict v;
} xpl_fz_fail;

/* dfs --por: the sleep-set stack (fuzz_por.c) */
#define XPL_POR_LEVELS_MAX (1u << 16)   /* decisions of a run with a level (the log's) */
/* id: the option; fp: its segment; cyc, len: the cycle that segment began at and its
** length (what a clock read's slack is measured by); for a done entry in a bounded
** pass, nc: 1 when it was non-canonical at its decision, next: the canonical option's
** id at the decision after it (0: none or no identity) */
typedef struct xpl_por_ent { uint64_t id, next; vmm_footprint fp; uint64_t cyc, len; uint32_t nc; } xpl_por_ent;
typedef struct xpl_por_lvl {
    uint32_t s0, ns, d0, nd;        /* its sleep set and done list in the pools */
    uint32_t cost;                  /* non-canonical decisions before it */
    uint64_t bt, done;              /* options (< 64) to explore, explored */
    int      all;                   /* every option is to be explored */
} xpl_por_lvl;
typedef struct xpl_por {
    vmm_state *v;                   /* the machine the walk runs on */
    xpl_por_lvl *lvl; uint32_t nlvl, cap_lvl;
    xpl_por_ent *sleep; uint32_t nsleep, cap_sleep;
    xpl_por_ent *done;  uint32_t ndone, cap_done;
    uint32_t fin;                   /* levels below it have this run's done entry */
    uint32_t prefix;                /* the run's replayed decisions */
    uint32_t cut;                   /* first decision whose options all slept */
    uint32_t bound;                 /* the pass's bound on non-canonical decisions (UINT32_MAX: none) */
    int naive;                      /* bounded passes with the unbounded rules (unsound; tests) */
    int pruned;                     /* an option not asleep was beyond the bound */
    int err;
} xpl_por;

/* A failure signature of the campaign (fuzz_sig.c): the failure tokens and the
** callback of the first finding; its count, first run and shortest schedule (fewest
** non-canonical decisions, then fewest decisions, then the earliest run). */
#define XPL_FZ_SIGS_MAX 64u
typedef struct xpl_fz_sig {
    char     sig[XPL_SIG_MAX];
    uint32_t cb;
    uint64_t count, first_run, best_run;
    uint32_t best_nnc, best_ndec;
    int      shrunk;                /* 1: DIR/sig-K.min.schedule written and verified */
} xpl_fz_sig;

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
    xpl_fz_runcov cov[XPL_FZ_CHUNK_RUNS];
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
    xpl_fz_hset sched;              /* distinct decision-list hashes */
    xpl_fz_cov cov;
    FILE     *cov_log;              /* --coverage-log: a line per emitted chunk */
    xpl_fz_sig sigs[XPL_FZ_SIGS_MAX];
    uint32_t  nsigs;
    uint64_t  sig_overflow;         /* failures of signatures beyond the table */
    FILE     *findings;             /* findings_af's temporary file, published at the end */
    xpl_afile findings_af;
    char     first_sig[XPL_SIG_MAX];
    uint64_t first_run; int have_first;
    int       err;
    /* dfs: the next run's decisions; covered once the whole tree was run */
    eng_decision *dfs; uint32_t dfs_n, dfs_cap; int covered;
    /* dfs --deepen: this pass's bound on non-canonical decisions (UINT32_MAX: none),
    ** whether it left a branch out, the largest bound whose pass completed (-1: none),
    ** and the runs of the earlier passes (not reported again) */
    uint32_t delays; int pruned; int64_t delays_covered; uint32_t rerun_below;
    xpl_por   por;                  /* dfs --por */
    uint64_t *outc; uint64_t outc_cap, outcomes;   /* dfs --por / --outcomes: distinct outcomes */
} xpl_fz_campaign;


/* fuzz_work.c: the runs (each seeded with eng_run_seed), fuzz_dfs.c: the dfs walk */
uint64_t xpl_fz_run_index(const xpl_fz_opts *o, uint64_t j);
void     xpl_fz_chunk_work(uv_work_t *req);
void     xpl_fz_one_run(xpl_fz_campaign *cp, xpl_sim *c, xpl_fz_chunk *ch, uint32_t k);
int      xpl_fz_dfs_campaign(xpl_fz_campaign *cp);
uint32_t xpl_fz_noncanonical(const eng_decision *d, uint32_t n);   /* fuzz_work.c: chosen != 0 */
/* fuzz_por.c */
uint32_t xpl_por_advise(void *ud, uint32_t kind, uint32_t n);
void     xpl_por_begin(xpl_por *p, vmm_state *v, uint32_t prefix);
void     xpl_por_end(xpl_por *p);
uint32_t xpl_por_next_option(const xpl_por *p, const eng_decision *log, uint32_t j);
void     xpl_por_truncate(xpl_por *p, uint32_t j);
void     xpl_por_pass(xpl_por *p, uint32_t bound);
void     xpl_por_free(xpl_por *p);
void     xpl_por_observe(vmm_state *v, const scen *s);
int      xpl_fz_workers_open(xpl_fz_campaign *cp, FILE *err);
void     xpl_fz_workers_close(xpl_fz_campaign *cp);

/* fuzz_cov.c: coverage */
int  xpl_fz_hset_add(xpl_fz_hset *s, uint64_t h);
int  xpl_fz_hset_has(const xpl_fz_hset *s, uint64_t h);
void xpl_fz_hset_free(xpl_fz_hset *s);
void xpl_fz_cov_take(xpl_sim *c, xpl_fz_chunk *ch, uint32_t k);
void xpl_fz_cov_count(xpl_fz_campaign *cp, const xpl_fz_chunk *ch, uint32_t nrun);
void xpl_fz_cov_json(const xpl_fz_campaign *cp, FILE *f);
void xpl_fz_cov_free(xpl_fz_campaign *cp);

/* fuzz_sig.c: failure signatures */
void xpl_fz_sig_add(xpl_fz_campaign *cp, const xpl_fz_fail *f);
int  xpl_fz_sig_shrink(xpl_fz_campaign *cp);

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
