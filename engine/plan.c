/*
** plan.c — strategies by name, per-run seeds, and a chooser set up from a plan
** (docs/architecture.md, "One run"). The chooser's fields are read here and in
** choice.c/pct.c only.
*/
#include <assert.h>
#include <string.h>

#include "engine.h"

static const char *const strategy_names[ENG_STRAT_COUNT] = {
    "canonical", "random", "replay", "pct", "dfs"
};

int eng_strategy_parse(const char *name, int *out)
{
    int i;
    assert(out != NULL);
    if (name == NULL)
        return -1;
    for (i = 0; i < ENG_STRAT_COUNT; i++) {
        if (strcmp(name, strategy_names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

const char *eng_strategy_name(int strategy)
{
    assert(sizeof strategy_names / sizeof strategy_names[0] == ENG_STRAT_COUNT);
    return strategy >= 0 && strategy < ENG_STRAT_COUNT ? strategy_names[strategy] : "?";
}

uint64_t eng_run_seed(uint64_t seed, uint64_t run)
{
    uint64_t st = seed ^ (run * 0xd6e8feb86659fd93ull);
    return eng_splitmix64(&st);
}

uint32_t eng_swarm_mask(uint64_t run_seed)
{
    uint64_t st = run_seed ^ 0x243f6a8885a308d3ull;
    uint32_t all = ((1u << ENG_CHOICE_KIND_COUNT) - 1u) & ~1u;   /* kinds 1.. */
    uint32_t m = (uint32_t)eng_splitmix64(&st) & all;
    assert(ENG_CHOICE_KIND_COUNT < 32);
    return m == all ? m & ~(1u << ENG_CHOICE_PENDING_EVENT) : m;
}

void eng_chooser_plan(eng_chooser *c, const eng_plan *p)
{
    assert(c != NULL && p != NULL);
    assert(p->list != NULL || p->n == 0);
    assert(p->pct_by == ENG_PCT_BY_SOURCE || p->pct_by == ENG_PCT_BY_RANK);
    eng_chooser_pct_by(c, p->pct_by);
    eng_chooser_canon_kinds(c, p->strategy == ENG_STRAT_RANDOM || p->strategy == ENG_STRAT_PCT
                               ? p->canon_kinds : 0);
    switch (p->strategy) {
    case ENG_STRAT_RANDOM: eng_chooser_random(c, p->seed); break;
    case ENG_STRAT_PCT:    eng_chooser_pct(c, p->seed, p->depth, p->steps); break;
    case ENG_STRAT_REPLAY: eng_chooser_replay(c, p->list, p->n); break;
    case ENG_STRAT_DFS:
        eng_chooser_replay(c, p->list, p->n);
        c->advise = p->advise;
        c->advise_ud = p->advise ? p->advise_ud : NULL;
        break;
    default:
        assert(p->strategy == ENG_STRAT_CANONICAL);
        eng_chooser_canonical(c);
        break;
    }
}

const eng_decision *eng_chooser_log(const eng_chooser *c, uint32_t *n)
{
    assert(c != NULL && n != NULL);
    assert(c->log_len <= c->log_cap);
    *n = c->log_len;
    return c->log;
}

uint32_t eng_chooser_overflow(const eng_chooser *c)
{
    assert(c != NULL);
    return c->log_overflow;
}

uint32_t eng_chooser_mismatches(const eng_chooser *c)
{
    assert(c != NULL);
    return c->replay_mismatches;
}

int eng_chooser_replay_done(const eng_chooser *c)
{
    assert(c != NULL);
    assert(c->replay_pos <= c->replay_len);
    return c->strategy == ENG_STRAT_REPLAY && c->replay_pos == c->replay_len;
}

void eng_chooser_replay_drop(eng_chooser *c)
{
    assert(c != NULL);
    c->replay = NULL;
    c->replay_len = c->replay_pos = 0;
}
