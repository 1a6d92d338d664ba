/*
** choice.c — choice points (docs/fuzzing.md): every open decision asks the run's
** chooser and is logged as (kind, n, chosen), so any run can be replayed.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "pct_int.h"

int eng_chooser_init(eng_chooser *c, uint32_t log_cap)
{
    assert(c != NULL);
    memset(c, 0, sizeof *c);
    if (log_cap > 0) {
        c->log = calloc(log_cap, sizeof c->log[0]);
        if (c->log == NULL)
            return ENG_ENOMEM;
    }
    c->log_cap = log_cap;
    eng_chooser_canonical(c);
    return ENG_OK;
}

void eng_chooser_close(eng_chooser *c)
{
    assert(c != NULL);
    free(c->log);
    memset(c, 0, sizeof *c);
}

void eng_chooser_rewind(eng_chooser *c)
{
    assert(c != NULL);
    c->log_len = 0;
    c->log_overflow = 0;
    c->replay_pos = 0;
    c->replay_mismatches = 0;
    eng_rng_seed(&c->rng, c->seed);
    if (c->strategy == ENG_STRAT_PCT)
        engi_pct_rewind(c);
}

void eng_chooser_canonical(eng_chooser *c)
{
    assert(c != NULL);
    c->strategy = ENG_STRAT_CANONICAL;
    eng_chooser_rewind(c);
}

void eng_chooser_random(eng_chooser *c, uint64_t seed)
{
    assert(c != NULL);
    c->strategy = ENG_STRAT_RANDOM;
    c->seed = seed;
    eng_chooser_rewind(c);
}

void eng_chooser_replay(eng_chooser *c, const eng_decision *list, uint32_t len)
{
    assert(list != NULL || len == 0);
    c->strategy = ENG_STRAT_REPLAY;
    c->replay = list;
    c->replay_len = len;
    c->advise = NULL;
    c->advise_ud = NULL;
    eng_chooser_rewind(c);
}

/* PCT's set-up lives with the others so that pct.c (the strategy) never calls
** back into the chooser: choice.c -> pct.c, one way. */
void eng_chooser_pct(eng_chooser *c, uint64_t seed, uint32_t depth, uint32_t steps)
{
    assert(c != NULL);
    c->strategy = ENG_STRAT_PCT;
    c->seed = seed;
    c->pct_depth = depth < 1 ? 1 : depth > ENG_PCT_DEPTH_MAX ? ENG_PCT_DEPTH_MAX : depth;
    c->pct_steps = steps < 1 ? 1 : steps;
    eng_chooser_rewind(c);
}

/* Replay: the next listed decision; past the end, canonical (docs/fuzzing.md). An
** out-of-range listed choice falls back to 0 so an edited (shrunk) schedule
** always stays runnable. */
static uint32_t replay_next(eng_chooser *c, uint32_t kind, uint32_t n)
{
    const eng_decision *d;
    assert(c->strategy == ENG_STRAT_REPLAY && n >= 2);
    assert(c->replay_pos <= c->replay_len && (c->replay != NULL || c->replay_len == 0));
    if (c->replay_pos >= c->replay_len) {
        uint32_t k = c->advise ? c->advise(c->advise_ud, kind, n) : 0;
        assert(k < n);
        return k < n ? k : 0;
    }
    d = &c->replay[c->replay_pos++];
    if (d->kind != kind || d->n != n)
        c->replay_mismatches++;
    return d->chosen < n ? d->chosen : 0;
}

void eng_chooser_pct_by(eng_chooser *c, int by)
{
    assert(c != NULL && (by == ENG_PCT_BY_SOURCE || by == ENG_PCT_BY_RANK));
    c->pct_by = by;
}

void eng_chooser_canon_kinds(eng_chooser *c, uint32_t mask)
{
    assert(c != NULL);
    c->canon_kinds = mask;
}

uint32_t eng_choose(eng_chooser *c, uint32_t kind, uint32_t n)
{
    return eng_choose_src(c, kind, n, NULL);
}

/* A swarm run answers its canonical kinds with 0 before the strategy is asked, so
** such a decision costs PCT no step and random no draw; it is logged as any other. */
uint32_t eng_choose_src(eng_chooser *c, uint32_t kind, uint32_t n, const uint64_t *src)
{
    uint32_t chosen;

    assert(c != NULL && n >= 1);
    if (n <= 1)
        return 0;
    if (kind < 32 && (c->canon_kinds >> kind & 1u) && c->strategy != ENG_STRAT_REPLAY)
        chosen = 0;
    else switch (c->strategy) {
    case ENG_STRAT_RANDOM: chosen = eng_rng_below(&c->rng, n); break;
    case ENG_STRAT_REPLAY: chosen = replay_next(c, kind, n); break;
    case ENG_STRAT_PCT:    chosen = engi_pct_next(c, kind, n, src); break;
    default:               chosen = 0; break;
    }
    assert(chosen < n);
    if (c->log_len < c->log_cap) {
        eng_decision *d = &c->log[c->log_len++];
        d->kind = kind;
        d->n = n;
        d->chosen = chosen;
    } else {
        c->log_overflow++;
    }
    return chosen;
}
