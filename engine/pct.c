/*
** pct.c — PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
** Nagarakatte, "A randomized scheduler with probabilistic guarantees of finding
** bugs", ASPLOS 2010), on vmmsim's choice points (docs/fuzzing.md).
**
** PCT's threads become sources: (choice kind, canonical rank of the option). Each
** source's priority is a hash of (seed, kind, rank), so it is fixed for the whole run
** without a table; a decision takes the option of highest priority. PCT's d-1
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
** later-lowered source ranks lower still. */
static uint64_t priority(const eng_chooser *c, uint32_t kind, uint32_t rank)
{
    uint64_t x;
    uint32_t j;
    assert(c->strategy == ENG_STRAT_PCT && c->pct_nlow <= ENG_PCT_DEPTH_MAX);
    for (j = c->pct_nlow; j > 0; j--)
        if (c->pct_low[j - 1].kind == kind && c->pct_low[j - 1].rank == rank)
            return ENG_PCT_DEPTH_MAX - (j - 1);
    x = c->seed ^ ((uint64_t)kind << 40) ^ ((uint64_t)rank * 0xd1b54a32d192ed03ull);
    return eng_splitmix64(&x) | (1ull << 62);
}

static uint32_t best(const eng_chooser *c, uint32_t kind, uint32_t n)
{
    uint64_t top = 0, p;
    uint32_t r, k = 0;
    assert(n >= 2 && n <= ENG_PCT_RANKS_MAX);
    for (r = 0; r < n; r++) {
        p = priority(c, kind, r);
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

uint32_t engi_pct_next(eng_chooser *c, uint32_t kind, uint32_t n)
{
    uint32_t step = c->pct_step++, k;
    assert(c->strategy == ENG_STRAT_PCT && n >= 2);
    if (kind == ENG_CHOICE_JITTER || kind == ENG_CHOICE_IRQ_BOUNDARY || n > ENG_PCT_RANKS_MAX)
        return eng_rng_below(&c->rng, n);   /* a time, not an order: uniform */
    k = best(c, kind, n);
    if (is_change_point(c, step) && c->pct_nlow < ENG_PCT_DEPTH_MAX) {
        c->pct_low[c->pct_nlow].kind = kind;
        c->pct_low[c->pct_nlow].rank = k;
        c->pct_nlow++;
        k = best(c, kind, n);
    }
    assert(k < n);
    return k;
}
