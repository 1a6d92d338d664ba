/*
** engine.h — vmmsim's deterministic core: event queue, choice points, PRNG, trace.
**
** No I/O, no libuv, no globals: every piece of state lives in a struct the caller
** owns, so many simulations can run side by side in one process (docs/architecture.md).
** Errors are negative ENG_E* codes; eng_strerror() names them.
*/
#ifndef VMMSIM_ENGINE_H
#define VMMSIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------ */

enum {
    ENG_OK = 0,
    ENG_EFULL = -1,     /* a fixed-capacity structure is full */
    ENG_EEMPTY = -2,    /* nothing to pop */
    ENG_ENOMEM = -3,    /* allocation at init failed */
    ENG_EINVAL = -4,    /* argument out of range */
    ENG_ENOENT = -5,    /* no such item (cancel of an unknown seq) */
    ENG_EPAST = -6      /* event scheduled before the queue's current time */
};
const char *eng_strerror(int err);

/* ---- event queue (docs/architecture.md) ------------------------------------------
** Events are ordered by the total key (cycle, cls, seq). seq is a per-queue
** insertion counter, so equal (cycle, cls) pop FIFO. Capacity is fixed at init;
** a push beyond it returns ENG_EFULL and changes nothing. The queue's "now" is the
** cycle of the last popped event; pushing an event earlier than now is ENG_EPAST.
** All memory is allocated by init; push, pop, peek and cancel never allocate.
** Structure (engine/queue_int.h): a one-cycle-per-bucket timing wheel for the near
** future, a coarse wheel of blocks behind it, an overflow heap beyond; push and pop
** are O(1) for near events and ties, O(log n) only for events far ahead. */

typedef struct eng_event {
    uint64_t cycle;     /* simulated CPU clock cycle it is due at */
    uint64_t seq;       /* insertion counter: FIFO tie-break */
    uint32_t cls;       /* class: lower classes of one cycle run first */
    uint32_t kind;      /* interpreted by the layer above */
    uint64_t a, b;      /* payload, interpreted by the layer above */
} eng_event;

typedef struct eng_queue eng_queue; /* opaque; sized by eng_queue_size() */

size_t eng_queue_size(void);                          /* bytes for the handle */
#define ENG_QUEUE_CAP_MAX (1u << 28)
/* Allocates everything; ENG_ENOMEM, or ENG_EINVAL for capacity 0 or above the max. */
int  eng_queue_init(eng_queue *q, uint32_t capacity);
void eng_queue_close(eng_queue *q);                   /* frees */
void eng_queue_reset(eng_queue *q);                   /* empty, now = 0, seq = 0 */
/* On success stores the event's seq in *seq_out (may be NULL). */
int  eng_queue_push(eng_queue *q, uint64_t cycle, uint32_t cls, uint32_t kind,
                    uint64_t a, uint64_t b, uint64_t *seq_out);
int  eng_queue_pop(eng_queue *q, eng_event *out);     /* ENG_EEMPTY when empty */
int  eng_queue_peek(const eng_queue *q, eng_event *out);
int  eng_queue_cancel(eng_queue *q, uint64_t seq);    /* ENG_ENOENT if not pending */
uint32_t eng_queue_count(const eng_queue *q);
uint32_t eng_queue_capacity(const eng_queue *q);
uint64_t eng_queue_now(const eng_queue *q);
/* Full structural self-check, O(capacity + wheel sizes): ENG_OK, or ENG_EINVAL when an internal
** invariant is broken. For tests; independent of NDEBUG. */
int  eng_queue_check(const eng_queue *q);

/* ---- PRNG ----------------------------------------------------------------
** xoshiro256** (Blackman & Vigna, 2018), state seeded by SplitMix64 from one
** 64-bit seed. The only randomness in vmmsim. */

typedef struct eng_rng { uint64_t s[4]; } eng_rng;

/* One SplitMix64 step: advances *state, returns the next output. Also handy for
** deriving independent seeds (one per run or worker) from one master seed. */
uint64_t eng_splitmix64(uint64_t *state);
void     eng_rng_seed(eng_rng *r, uint64_t seed);
uint64_t eng_rng_next(eng_rng *r);
uint32_t eng_rng_below(eng_rng *r, uint32_t n); /* uniform in [0, n), n >= 1, unbiased */

/* ---- choice points (docs/fuzzing.md) ----------------------------------------
** Every decision the documented semantics leave open goes through eng_choose().
** Each decision is logged as (kind, n, chosen). The chooser answers by strategy:
**   canonical: always 0;   random: uniform from the run's PRNG;
**   replay: the next logged decision — chosen if it is < n, else 0 — then
**           canonical once the list is exhausted (docs/fuzzing.md, "Schedule files":
**           past the list's end the run continues canonically). A replayed decision
**           whose kind or n differs from the one asked is counted in
**           `replay_mismatches`.
** A decision with n == 1 is not a choice: it returns 0 and is not logged.
** Selecting a strategy (canonical/random/replay) starts a run: it rewinds.
** Rewinding clears the log and the counters, returns to the start of the replay
** list and re-seeds the PRNG from `seed`, so a rewound chooser repeats its run. */

enum eng_choice_kind {
    ENG_CHOICE_SAME_CYCLE = 1,   /* >=2 due events of one class at one cycle */
    ENG_CHOICE_PENDING_EVENT,    /* order among pending global/VM events */
    ENG_CHOICE_PRIORITY_EVENT,   /* order among pending priority events */
    ENG_CHOICE_READY_VM,         /* ready VMs of equal priority */
    ENG_CHOICE_CRIT_WAITER,      /* crit-section waiters of equal priority */
    ENG_CHOICE_JITTER,           /* stimulus time inside a window */
    ENG_CHOICE_IRQ_BOUNDARY,     /* instruction boundary an IRQ lands on */
    ENG_CHOICE_WINDOW,           /* a windowed stimulus: take effect at this VMM step
                                    (0) or wait for the next (1); window steps only */
    ENG_CHOICE_AMBIGUITY,        /* a sentence of the DDK read the canonical way (0) or
                                    the other (1); machine.explore_ambiguities only */
    ENG_CHOICE_IO_ORDER,         /* IOT-4: the trapped byte accesses of one element of a
                                    trapped I/O instruction: ascending ports (0) or
                                    descending (1) */
    ENG_CHOICE_LIFE_ORDER,       /* VML: a lifecycle stimulus before (1) or after (0) the
                                    due events and time-outs */
    ENG_CHOICE_KIND_COUNT
};
const char *eng_choice_kind_name(uint32_t kind);

/* The one list of strategies (engine/plan.c). DFS is a campaign's walk of the
** decision tree: each of its runs replays a prefix (a chooser never holds DFS). */
enum eng_strategy { ENG_STRAT_CANONICAL = 0, ENG_STRAT_RANDOM, ENG_STRAT_REPLAY, ENG_STRAT_PCT,
                    ENG_STRAT_DFS, ENG_STRAT_COUNT };
/* "canonical", "random", "replay", "pct", "dfs": 0, or -1 for another name. */
int  eng_strategy_parse(const char *name, int *out);
const char *eng_strategy_name(int strategy);     /* "?" when out of range */

/* PCT (Burckhardt et al., ASPLOS 2010), adapted to choice points. A source is what
** produced an option: the VM, the event's callback, the stimulus (eng_choose_src's
** src[], see ENG_SRC_*). Every source gets a random priority from the seed; a
** decision picks the option whose source has the highest priority; at d-1 change
** points, drawn uniformly among the first `steps` decisions, the source about to be
** picked is lowered below all others (the i-th lowered below those before it). A
** decision asked without sources (eng_choose), or every decision under
** ENG_PCT_BY_RANK, takes (kind, canonical rank) as its sources, the mapping of
** vmmsim before sources existed. Kinds that are not an order (JITTER, IRQ_BOUNDARY)
** and decisions with more than ENG_PCT_RANKS_MAX options draw uniformly instead.
** docs/fuzzing.md. */
#define ENG_PCT_DEPTH_MAX 16
#define ENG_PCT_DEPTH_DEFAULT 3u    /* d when a command is not told */
#define ENG_PCT_RANKS_MAX 64
typedef struct eng_pct_low { uint64_t src; } eng_pct_low;
enum { ENG_PCT_BY_SOURCE = 0, ENG_PCT_BY_RANK = 1 };
/* Source ids (eng_choose_src): a namespace in the top 16 bits, so that a VM, an
** event's callback and a queue event never share one. */
#define ENG_SRC_VM(vm)        ((1ull << 48) | (uint64_t)(vm))
#define ENG_SRC_CALLBACK(a)   ((2ull << 48) | (uint64_t)(a))
#define ENG_SRC_QUEUE(k, a)   ((3ull << 48) | ((uint64_t)(k) << 32) | ((a) & 0xFFFFFFFFull))
#define ENG_SRC_RANK(k, r)    ((4ull << 48) | ((uint64_t)(k) << 32) | (uint64_t)(r))

/* An advisor answers a REPLAY chooser's decisions past the end of its list instead of
** canonical 0 (dfs's partial-order reduction, explore/fuzz_por.c, steers the run's rest
** away from options it knows to be redundant). It returns an option < n. */
typedef uint32_t (*eng_advise_fn)(void *ud, uint32_t kind, uint32_t n);

typedef struct eng_decision {
    uint32_t kind;
    uint32_t n;       /* number of options, >= 2 */
    uint32_t chosen;  /* < n */
} eng_decision;

typedef struct eng_chooser {
    int strategy;
    eng_rng rng;
    uint64_t seed;                  /* strategy RANDOM; rng restarts from it */
    const eng_decision *replay;     /* borrowed; strategy REPLAY */
    uint32_t replay_len;
    uint32_t replay_pos;
    uint32_t replay_mismatches;
    eng_decision *log;              /* owned; capacity fixed at init */
    uint32_t log_len;
    uint32_t log_cap;
    uint32_t log_overflow;          /* decisions made but not logged (log full) */
    /* strategy PCT (rng and seed shared with RANDOM) */
    uint32_t pct_depth;             /* d, 1..ENG_PCT_DEPTH_MAX */
    uint32_t pct_steps;             /* k: decisions the change points are spread over */
    uint32_t pct_step;              /* decisions made so far in this run */
    uint32_t pct_change[ENG_PCT_DEPTH_MAX];  /* d-1 change points (decision numbers) */
    uint32_t pct_nlow;
    eng_pct_low pct_low[ENG_PCT_DEPTH_MAX];  /* lowered sources, in lowering order */
    eng_advise_fn advise;           /* REPLAY past the list's end; NULL: canonical */
    void    *advise_ud;
    int      pct_by;                /* ENG_PCT_BY_SOURCE or ENG_PCT_BY_RANK */
    /* swarm: kinds (bit = kind) this run leaves canonical, whatever the strategy */
    uint32_t canon_kinds;
} eng_chooser;

/* The chooser's fields belong to engine/: other modules use the functions below
** (the struct is public only so that a machine can embed one). */
int  eng_chooser_init(eng_chooser *c, uint32_t log_cap);     /* canonical */
void eng_chooser_close(eng_chooser *c);
void eng_chooser_canonical(eng_chooser *c);
void eng_chooser_random(eng_chooser *c, uint64_t seed);
void eng_chooser_replay(eng_chooser *c, const eng_decision *list, uint32_t len);  /* no advisor */
/* depth is clamped to 1..ENG_PCT_DEPTH_MAX, steps to >= 1. */
void eng_chooser_pct(eng_chooser *c, uint64_t seed, uint32_t depth, uint32_t steps);
void eng_chooser_rewind(eng_chooser *c);  /* clear log and replay position, keep strategy */
uint32_t eng_choose(eng_chooser *c, uint32_t kind, uint32_t n);
/* eng_choose with each option's source (src[i] for option i, n of them; NULL: none).
** Only PCT reads them; every strategy logs and replays the same (kind, n, chosen). */
uint32_t eng_choose_src(eng_chooser *c, uint32_t kind, uint32_t n, const uint64_t *src);
/* PCT's mapping (ENG_PCT_BY_SOURCE, the default, or ENG_PCT_BY_RANK) and the swarm
** mask (bit k set: kind k answered canonically), for the run the next strategy
** selection starts; both survive rewinds. */
void eng_chooser_pct_by(eng_chooser *c, int by);
void eng_chooser_canon_kinds(eng_chooser *c, uint32_t mask);

/* ---- run plans (engine/plan.c) -------------------------------------------
** How one run decides: every command and campaign sets its chooser from a plan,
** so that run i of a series is the same run everywhere (fuzz, bench, replay). */
typedef struct eng_plan {
    int      strategy;              /* enum eng_strategy */
    uint64_t seed;                  /* RANDOM, PCT: this run's seed (eng_run_seed) */
    uint32_t depth;                 /* PCT: d */
    uint32_t steps;                 /* PCT: k, the decisions change points spread over */
    const eng_decision *list;       /* REPLAY, DFS: the decisions to replay (borrowed) */
    uint32_t n;
    eng_advise_fn advise;           /* DFS: past the list's end (NULL: canonical) */
    void    *advise_ud;
    int      pct_by;                /* PCT: ENG_PCT_BY_SOURCE (0) or ENG_PCT_BY_RANK */
    uint32_t canon_kinds;           /* RANDOM, PCT: swarm mask, kinds left canonical */
} eng_plan;
/* A swarm run's mask from its seed: each choice kind left canonical with
** probability 1/2, but never all of them (eng_plan.canon_kinds). */
uint32_t eng_swarm_mask(uint64_t run_seed);

/* Run `run`'s seed in a series seeded with `seed`: a SplitMix64 step from both, so
** seeds are spread over 64 bits and each run's is known without running the others. */
uint64_t eng_run_seed(uint64_t seed, uint64_t run);
/* Selects the plan's strategy (which starts a run: rewinds). */
void eng_chooser_plan(eng_chooser *c, const eng_plan *p);
/* The decisions logged in this run (n set to their number). */
const eng_decision *eng_chooser_log(const eng_chooser *c, uint32_t *n);
uint32_t eng_chooser_overflow(const eng_chooser *c);   /* decisions made, not logged */
uint32_t eng_chooser_mismatches(const eng_chooser *c); /* replayed with another kind/n */
/* End of replay: 1 when a REPLAY run has used its whole list (the run went on
** canonically past it, or ended exactly there), 0 otherwise. */
int  eng_chooser_replay_done(const eng_chooser *c);
/* Forgets the borrowed replay list (before it is freed), keeping the log. */
void eng_chooser_replay_drop(eng_chooser *c);

/* ---- trace (docs/trace-format.md) ------------------------------------------------
** A record is (cycle, type, up to ENG_REC_ARGS integer args, optional short text).
** The hash is xxHash64-based and rolling: after each record,
**     h = XXH64(canonical_encoding(record), len, h)
** starting from h = 0. The canonical encoding is little-endian: cycle u64, type u16,
** nargs u8, textlen u8, args (u64 each), text bytes. A checkpoint record
** (ENG_REC_CHECKPOINT: args = index, hash-before-checkpoint) is emitted after every
** `checkpoint_every` records; checkpoints are themselves hashed.
** Text rendering is the layer above's job (it knows names); the engine renders
** checkpoints and provides the storage and the hash. */

#define ENG_REC_ARGS 6
#define ENG_REC_TEXT 48
#define ENG_REC_CHECKPOINT 0xFFFFu

typedef struct eng_record {
    uint64_t cycle;
    uint16_t type;
    uint8_t  nargs;
    uint8_t  textlen;
    uint64_t args[ENG_REC_ARGS];
    char     text[ENG_REC_TEXT];   /* not NUL-terminated beyond textlen */
} eng_record;

typedef struct eng_checkpoint {
    uint64_t index;   /* number of records before this checkpoint */
    uint64_t cycle;
    uint64_t hash;    /* rolling hash after record index-1 */
} eng_checkpoint;

typedef struct eng_trace {
    eng_record *rec;         /* owned; NULL when store == 0 (hash-only mode) */
    uint32_t    len, cap;    /* records stored */
    uint64_t    count;       /* records appended, stored or not */
    uint64_t    hash;
    uint32_t    checkpoint_every;
    eng_checkpoint *cp;      /* owned */
    uint32_t    cp_len, cp_cap;
    int         overflow;    /* set once when a record could not be stored */
    uint32_t    cp_overflow; /* checkpoints emitted (and hashed) but not listed */
    uint32_t    since_cp;    /* records since the last checkpoint */
} eng_trace;

/* cap = records kept (0: keep none, only hash and checkpoints). checkpoint_every
** = regular records between checkpoints (0: only the closing one). The checkpoint
** list holds cap / checkpoint_every + ENG_TRACE_CP_SPARE entries; _init_cp sets it. */
#define ENG_TRACE_CP_SPARE 4096u
int  eng_trace_init(eng_trace *t, uint32_t cap, uint32_t checkpoint_every);
int  eng_trace_init_cp(eng_trace *t, uint32_t cap, uint32_t checkpoint_every,
                       uint32_t cp_cap);
void eng_trace_close(eng_trace *t);
void eng_trace_reset(eng_trace *t);
/* Appends and hashes; returns ENG_EFULL (record still hashed) when storage is full
** (never in hash-only mode, cap 0). ENG_EINVAL, nothing appended, when type is
** ENG_REC_CHECKPOINT (reserved), nargs > ENG_REC_ARGS, or text (NUL-terminated,
** may be NULL) is longer than ENG_REC_TEXT bytes. */
int  eng_trace_add(eng_trace *t, uint64_t cycle, uint16_t type, uint8_t nargs,
                   const uint64_t *args, const char *text);
/* Emits a closing checkpoint (unless the last record already is one) so that the
** checkpoint list covers the whole trace; call once when the run ends. */
void eng_trace_finish(eng_trace *t, uint64_t cycle);
/* Hash of one record's canonical encoding chained onto `seed`. */
uint64_t eng_record_hash(const eng_record *r, uint64_t seed);
/* The canonical encoding itself: writes at most ENG_REC_ENC_MAX bytes, returns
** the length. */
#define ENG_REC_ENC_MAX (12 + 8 * ENG_REC_ARGS + ENG_REC_TEXT)
size_t eng_record_encode(const eng_record *r, uint8_t *buf);
/* Text line of a checkpoint record, without newline:
**     <cycle, 12-digit zero-padded decimal> CHECKPOINT index=<n> hash=<16 hex digits>
** snprintf semantics: returns the line's length (truncated to len - 1 in buf);
** returns 0 and writes nothing when r is not a checkpoint. */
size_t eng_checkpoint_format(const eng_record *r, char *buf, size_t len);

/* First divergence between two checkpoint lists: returns the index i of the first
** checkpoint that differs (a[i] vs b[i]), or -1 when identical (same length, same
** values). The differing window is records [a[i-1].index, a[i].index) (from 0 when
** i == 0). When one list is a prefix of the other, i is the shorter length.
** A trace whose list filled up (cp_overflow > 0) is compared on its listed prefix;
** its final `hash` still covers everything. */
long eng_checkpoints_diverge(const eng_checkpoint *a, uint32_t na,
                             const eng_checkpoint *b, uint32_t nb);


/* ---- snapshots (engine/snap.c) -------------------------------------------------------
** A machine's snapshot (vmm/snap.c) saves the queue, the chooser and the trace as plain
** bytes: _snap_size bytes are written by _snap_save; _snap_load restores into a target
** of the same capacities (and, for the chooser, the same plan: its log storage and
** borrowed replay list are the target's). ENG_EINVAL, when the bytes do not fit the
** target; the target is then in an unspecified state and is to be reset. */
size_t eng_queue_snap_size(const eng_queue *q);
void   eng_queue_snap_save(const eng_queue *q, void *dst);
int    eng_queue_snap_load(eng_queue *q, const void *src, size_t len);
size_t eng_chooser_snap_size(const eng_chooser *c);
void   eng_chooser_snap_save(const eng_chooser *c, void *dst);
int    eng_chooser_snap_load(eng_chooser *c, const void *src, size_t len);
size_t eng_trace_snap_size(const eng_trace *t);
void   eng_trace_snap_save(const eng_trace *t, void *dst);
int    eng_trace_snap_load(eng_trace *t, const void *src, size_t len);

#endif
