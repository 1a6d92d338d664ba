/*
** snap.c — save and restore of the engine's run state for whole-machine snapshots
** (vmm/snap.c, docs/debug.md "Snapshots"). Each piece is written as plain bytes into a
** buffer the caller sized with the matching _snap_size; no pointer is ever stored:
** the queue is kept as its pending events (the pop order depends only on their keys,
** queue_int.h), the chooser and the trace as their scalar fields and the used part of
** their arrays, and a restore keeps the target's own storage and borrowed lists.
*/
#include <stdlib.h>
#include <string.h>

#include "queue_int.h"

/* ---- the event queue --------------------------------------------------------------- */

typedef struct eq_snap_head { uint64_t now, seq_next; uint32_t count, pad_; } eq_snap_head;

size_t eng_queue_snap_size(const eng_queue *q)
{
    assert(q != NULL && q->count <= q->cap);
    return sizeof(eq_snap_head) + (size_t)q->count * sizeof(eng_event);
}

/* Pending events in seq order: a restore pushes them in the order they were pushed. */
static int ev_seq_cmp(const void *a, const void *b)
{
    const eng_event *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void eng_queue_snap_save(const eng_queue *q, void *dst)
{
    assert(q != NULL && dst != NULL && q->hwm <= q->cap);
    eq_snap_head h = { q->now, q->seq_next, q->count, 0 };
    eng_event *ev = (eng_event *)((uint8_t *)dst + sizeof h);
    uint32_t n = 0;
    for (uint32_t k = 0; k < q->hwm; k++)   /* every used slot is below the mark */
        if (q->node[k].where != EQ_FREE) {
            assert(n < q->count);
            memcpy(&ev[n++], &q->node[k].ev, sizeof *ev);
        }
    assert(n == q->count);
    qsort(ev, n, sizeof *ev, ev_seq_cmp);
    memcpy(dst, &h, sizeof h);
}

int eng_queue_snap_load(eng_queue *q, const void *src, size_t len)
{
    assert(q != NULL && src != NULL);
    eq_snap_head h;
    if (len < sizeof h) return ENG_EINVAL;
    memcpy(&h, src, sizeof h);
    if (h.count > q->cap || len != sizeof h + (size_t)h.count * sizeof(eng_event))
        return ENG_EINVAL;
    eng_queue_reset(q);
    q->now = h.now;
    q->frontier_blk = eq_block(q, h.now) + 2;   /* as a pop to `now` leaves it */
    const uint8_t *p = (const uint8_t *)src + sizeof h;
    for (uint32_t k = 0; k < h.count; k++) {
        eng_event ev;
        memcpy(&ev, p + (size_t)k * sizeof ev, sizeof ev);
        if (ev.seq >= h.seq_next || ev.cycle < h.now || ev.seq < q->seq_next)
            return ENG_EINVAL;
        q->seq_next = ev.seq;   /* the push hands out the event's own seq */
        int rc = eng_queue_push(q, ev.cycle, ev.cls, ev.kind, ev.a, ev.b, NULL);
        if (rc != ENG_OK) return rc;
    }
    q->seq_next = h.seq_next;
    return ENG_OK;
}

/* ---- the chooser ------------------------------------------------------------------- */

size_t eng_chooser_snap_size(const eng_chooser *c)
{
    assert(c != NULL && c->log_len <= c->log_cap);
    return sizeof *c + (size_t)c->log_len * sizeof(eng_decision);
}

void eng_chooser_snap_save(const eng_chooser *c, void *dst)
{
    assert(c != NULL && dst != NULL && c->log_len <= c->log_cap);
    eng_chooser h = *c;
    h.log = NULL;      /* storage is the target's */
    h.replay = NULL;   /* borrowed: the target's own list (same schedule) */
    h.advise = NULL;   /* a host advisor: the target's own */
    h.advise_ud = NULL;
    memcpy(dst, &h, sizeof h);
    if (c->log_len) memcpy((uint8_t *)dst + sizeof h, c->log, (size_t)c->log_len * sizeof *c->log);
}

/* The target must run the same plan: same strategy, same replay list length. */
int eng_chooser_snap_load(eng_chooser *c, const void *src, size_t len)
{
    assert(c != NULL && src != NULL);
    eng_chooser h;
    if (len < sizeof h) return ENG_EINVAL;
    memcpy(&h, src, sizeof h);
    if (h.log_len > c->log_cap || len != sizeof h + (size_t)h.log_len * sizeof(eng_decision)
        || h.strategy != c->strategy || h.replay_len != c->replay_len || h.replay_pos > h.replay_len)
        return ENG_EINVAL;
    h.log = c->log;
    h.log_cap = c->log_cap;
    h.replay = c->replay;
    h.advise = c->advise;
    h.advise_ud = c->advise_ud;
    if (h.log_len) memcpy(h.log, (const uint8_t *)src + sizeof h, (size_t)h.log_len * sizeof *h.log);
    *c = h;
    return ENG_OK;
}

/* ---- the trace --------------------------------------------------------------------- */

size_t eng_trace_snap_size(const eng_trace *t)
{
    assert(t != NULL && t->len <= t->cap && t->cp_len <= t->cp_cap);
    return sizeof *t + (size_t)t->len * sizeof(eng_record) + (size_t)t->cp_len * sizeof(eng_checkpoint);
}

void eng_trace_snap_save(const eng_trace *t, void *dst)
{
    assert(t != NULL && dst != NULL && t->len <= t->cap && t->cp_len <= t->cp_cap);
    eng_trace h = *t;
    uint8_t *p = (uint8_t *)dst + sizeof h;
    h.rec = NULL;
    h.cp = NULL;
    memcpy(dst, &h, sizeof h);
    if (t->len) memcpy(p, t->rec, (size_t)t->len * sizeof *t->rec);
    if (t->cp_len) memcpy(p + (size_t)t->len * sizeof *t->rec, t->cp, (size_t)t->cp_len * sizeof *t->cp);
}

int eng_trace_snap_load(eng_trace *t, const void *src, size_t len)
{
    assert(t != NULL && src != NULL);
    eng_trace h;
    if (len < sizeof h) return ENG_EINVAL;
    memcpy(&h, src, sizeof h);
    if (h.len > t->cap || h.cp_len > t->cp_cap || h.cap != t->cap || h.cp_cap != t->cp_cap
        || h.checkpoint_every != t->checkpoint_every
        || len != sizeof h + (size_t)h.len * sizeof(eng_record) + (size_t)h.cp_len * sizeof(eng_checkpoint))
        return ENG_EINVAL;
    const uint8_t *p = (const uint8_t *)src + sizeof h;
    h.rec = t->rec;
    h.cp = t->cp;
    if (h.len) memcpy(h.rec, p, (size_t)h.len * sizeof *h.rec);
    if (h.cp_len) memcpy(h.cp, p + (size_t)h.len * sizeof *h.rec, (size_t)h.cp_len * sizeof *h.cp);
    *t = h;
    return ENG_OK;
}
