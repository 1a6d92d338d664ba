/*
** trace.c — canonical trace records, their storage and the rolling hash
** (docs/trace-format.md). Storage and the checkpoint list have fixed capacities; the hash
** covers every record whether stored or not.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

int eng_trace_init(eng_trace *t, uint32_t cap, uint32_t checkpoint_every)
{
    assert(t != NULL);
    uint32_t per = checkpoint_every ? cap / checkpoint_every : 0;
    return eng_trace_init_cp(t, cap, checkpoint_every, per + ENG_TRACE_CP_SPARE);
}

int eng_trace_init_cp(eng_trace *t, uint32_t cap, uint32_t checkpoint_every,
                      uint32_t cp_cap)
{
    assert(t != NULL);
    memset(t, 0, sizeof *t);
    if (cap > 0 && (t->rec = calloc(cap, sizeof t->rec[0])) == NULL)
        return ENG_ENOMEM;
    if (cp_cap > 0 && (t->cp = calloc(cp_cap, sizeof t->cp[0])) == NULL) {
        eng_trace_close(t);
        return ENG_ENOMEM;
    }
    t->cap = cap;
    t->cp_cap = cp_cap;
    t->checkpoint_every = checkpoint_every;
    return ENG_OK;
}

void eng_trace_close(eng_trace *t)
{
    assert(t != NULL);
    free(t->rec);
    free(t->cp);
    memset(t, 0, sizeof *t);
}

void eng_trace_reset(eng_trace *t)
{
    assert(t != NULL);
    t->len = 0;
    t->count = 0;
    t->hash = 0;
    t->cp_len = 0;
    t->overflow = 0;
    t->cp_overflow = 0;
    t->since_cp = 0;
}

/* Hash, then store if there is room. */
static int append(eng_trace *t, const eng_record *r)
{
    assert(t->len <= t->cap);
    t->hash = eng_record_hash(r, t->hash);
    t->count++;
    if (t->rec == NULL)
        return ENG_OK;
    if (t->len == t->cap) {
        t->overflow = 1;
        return ENG_EFULL;
    }
    t->rec[t->len++] = *r;
    return ENG_OK;
}

static void emit_checkpoint(eng_trace *t, uint64_t cycle)
{
    assert(t->cp_len <= t->cp_cap);
    eng_record r;

    memset(&r, 0, sizeof r);
    r.cycle = cycle;
    r.type = ENG_REC_CHECKPOINT;
    r.nargs = 2;
    r.args[0] = t->count;
    r.args[1] = t->hash;
    if (t->cp_len < t->cp_cap) {
        eng_checkpoint *cp = &t->cp[t->cp_len++];
        cp->index = t->count;
        cp->cycle = cycle;
        cp->hash = t->hash;
    } else {
        t->cp_overflow++;
    }
    (void)append(t, &r);   /* a full store is already flagged in t->overflow */
    t->since_cp = 0;
}

int eng_trace_add(eng_trace *t, uint64_t cycle, uint16_t type, uint8_t nargs,
                  const uint64_t *args, const char *text)
{
    eng_record r;
    size_t textlen = 0;
    int rc;

    assert(t != NULL);
    if (type == ENG_REC_CHECKPOINT || nargs > ENG_REC_ARGS || (nargs > 0 && args == NULL))
        return ENG_EINVAL;
    if (text != NULL && (textlen = strnlen(text, ENG_REC_TEXT + 1)) > ENG_REC_TEXT)
        return ENG_EINVAL;
    /* Zero first: stored records never carry stale bytes past nargs/textlen. */
    memset(&r, 0, sizeof r);
    r.cycle = cycle;
    r.type = type;
    r.nargs = nargs;
    r.textlen = (uint8_t)textlen;
    if (nargs > 0)
        memcpy(r.args, args, nargs * sizeof args[0]);
    if (textlen > 0)
        memcpy(r.text, text, textlen);
    rc = append(t, &r);
    t->since_cp++;
    if (t->checkpoint_every > 0 && t->since_cp >= t->checkpoint_every)
        emit_checkpoint(t, cycle);
    return rc;
}

void eng_trace_finish(eng_trace *t, uint64_t cycle)
{
    assert(t != NULL);
    if (t->count == 0 || t->since_cp > 0)
        emit_checkpoint(t, cycle);
}
