/*
** queue_seq.c — the seq -> slot index of the tiered mode: chained hash with identity
** hashing (queue_int.h), used by cancel. Small mode keeps no index (it scans).
*/
#include <assert.h>

#include "queue_int.h"

void engi_eq_seq_add(eng_queue *q, uint32_t slot)
{
    assert(slot < q->cap);
    uint32_t h = (uint32_t)q->node[slot].ev.seq & q->seq_mask;
    q->node[slot].hnext = q->seq_head[h];
    q->seq_head[h] = slot;
}

uint32_t engi_eq_seq_find(const eng_queue *q, uint64_t seq)
{
    uint32_t p = q->seq_head[(uint32_t)seq & q->seq_mask], steps = 0;
    while (p != EQ_NIL && q->node[p].ev.seq != seq) {
        p = q->node[p].hnext;
        assert(++steps <= q->count);
    }
    (void)steps;
    return p;
}

void engi_eq_seq_del(eng_queue *q, uint32_t slot)
{
    uint32_t *link = &q->seq_head[(uint32_t)q->node[slot].ev.seq & q->seq_mask];
    uint32_t steps = 0;
    while (*link != slot) {   /* the slot is on this chain: bounded by count */
        assert(*link != EQ_NIL && ++steps <= q->count);
        link = &q->node[*link].hnext;
    }
    (void)steps;
    *link = q->node[slot].hnext;
}
