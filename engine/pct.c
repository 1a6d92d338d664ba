/*
** pct.c — PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
** Nagarakatte, "A randomized scheduler with probabilistic guarantees of finding
** bugs", ASPLOS 2010), on vmmsim's choice points (docs/fuzzing.md).
**
** PCT's threads become sources: what produced an option (a VM, an event's callback,
** a stimulus), or (choice kind, canonical rank) when the caller names none or the
** run asks for ENG_PCT_BY_RANK. Each source's priority is a hash of (seed, source),
** so it is fixed for the whole run without a table; a decision takes the option of
** highest priority. PCT's d-1
** change points lower the priority of the source about to run below every other;
** the i-th lowered source ranks below the ones lowered before it, as PCT's d-i.
*/
#include <assert.h>

#include "engine.h"
#include "pct_int.h"

void engi_pct_rewind(eng_chooser *c)
{
    uint32_t i;
    assert(c->strategy == ENG_STRAT_PCT);
    assert(c->pct_depth >= 1 && c->pct_depth <= ENG_PCT_DEPTH_MAX && c->pct_steps >= 1);
    c->pct_step = 0;
    c->pct_nlow = 0;
    for (i = 0; i + 1 < c->pct_depth; i++)
        c->pct_change[i] = eng_rng_below(&c->rng, c->pct_steps);
}

/* Lowered sources rank below all others (random priorities have bit 62 set); a
** later-lowered source ranks lower still. A rank source keeps the hash vmmsim used
** before sources existed, so ENG_PCT_BY_RANK runs are the runs of old. */
static uint64_t priority(const eng_chooser *c, uint64_t src)
{
    uint64_t x;
    uint32_t j;
    assert(c->strategy == ENG_STRAT_PCT && c->pct_nlow <= ENG_PCT_DEPTH_MAX);
    for (j = c->pct_nlow; j > 0; j--)
        if (c->pct_low[j - 1].src == src)
            return ENG_PCT_DEPTH_MAX - (j - 1);
    if ((src >> 48) == 4) {
        uint64_t kind = (src >> 32) & 0xFFFF, rank = src & 0xFFFFFFFFull;
        x = c->seed ^ (kind << 40) ^ (rank * 0xd1b54a32d192ed03ull);
    } else {
        x = c->seed ^ (src * 0x9e3779b97f4a7c15ull) ^ 0x5bd1e9955bd1e995ull;
    }
    return eng_splitmix64(&x) | (1ull << 62);
}

static uint64_t source(const eng_chooser *c, uint32_t kind, uint32_t r, const uint64_t *src)
{
    assert(r < ENG_PCT_RANKS_MAX);
    return src != NULL && c->pct_by == ENG_PCT_BY_SOURCE ? src[r] : ENG_SRC_RANK(kind, r);
}

/* Ties between options of one source (two events of one callback) go to the
** lower rank: PCT orders sources, and a source's own options keep their order. */
static uint32_t best(const eng_chooser *c, uint32_t kind, uint32_t n, const uint64_t *src)
{
    uint64_t top = 0, p;
    uint32_t r, k = 0;
    assert(n >= 2 && n <= ENG_PCT_RANKS_MAX);
    for (r = 0; r < n; r++) {
        p = priority(c, source(c, kind, r, src));
        if (p > top) { top = p; k = r; }
    }
    return k;
}

static int is_change_point(const eng_chooser *c, uint32_t step)
{
    uint32_t i;
    assert(c->pct_depth >= 1 && c->pct_depth <= ENG_PCT_DEPTH_MAX);
    for (i = 0; i + 1 < c->pct_depth; i++)
        if (c->pct_change[i] == step)
            return 1;
    return 0;
}

uint32_t engi_pct_next(eng_chooser *c, uint32_t kind, uint32_t n, const uint64_t *src)
{
    uint32_t step = c->pct_step++, k;
    assert(c->strategy == ENG_STRAT_PCT && n >= 2);
    if (kind == ENG_CHOICE_JITTER || kind == ENG_CHOICE_IRQ_BOUNDARY || n > ENG_PCT_RANKS_MAX)
        return eng_rng_below(&c->rng, n);   /* a time, not an order: uniform */
    k = best(c, kind, n, src);
    if (is_change_point(c, step) && c->pct_nlow < ENG_PCT_DEPTH_MAX) {
        c->pct_low[c->pct_nlow].src = source(c, kind, k, src);
        c->pct_nlow++;
        k = best(c, kind, n, src);
    }
    assert(k < n);
    return k;
}
