/*
** queue_small.c — small mode and the moves between the modes (queue_int.h).
*/
#include <assert.h>
#include <stdlib.h>

#include "queue_int.h"

/* Cancel in small mode: a scan of at most EQ_SMALL_HI heap entries. */
uint32_t engi_eq_small_find(const eng_queue *q, uint64_t seq)
{
    uint32_t i;
    assert(q->small && q->heap_len <= EQ_SMALL_HI);
    for (i = 0; i < q->heap_len; i++)
        if (eq_cs_seq(q->heap[i].cs) == seq)
            return i;
    return EQ_NIL;
}

static int hent_cmp(const void *a, const void *b)
{
    const eq_hent *x = a, *y = b;
    return eq_hent_less(x, y) ? -1 : eq_hent_less(y, x) ? 1 : 0;
}

static int hent_cmp_desc(const void *a, const void *b)
{
    return hent_cmp(b, a);
}

/* Sorted (latest first) -> heap: reversed, the array is sorted ascending, a heap. */
void engi_eq_tiny_to_heap(eng_queue *q)
{
    uint32_t i, n = q->heap_len;
    assert(q->small && q->tiny);
    for (i = 0; i < n / 2; i++) {
        eq_hent t = q->heap[i];
        q->heap[i] = q->heap[n - 1 - i];
        q->heap[n - 1 - i] = t;
    }
    q->tiny = 0;
}

/* Heap -> sorted, latest first. Keys are unique, so the result is the sort's alone. */
void engi_eq_heap_to_tiny(eng_queue *q)
{
    assert(q->small && !q->tiny && q->heap_len < EQ_TINY_LO);
    qsort(q->heap, q->heap_len, sizeof q->heap[0], hent_cmp_desc);
    q->tiny = 1;
}

/* Small -> tiered. The tiers must receive each (cycle, cls)'s events in seq order
** (coarse lists keep arrival order), so the heap is sorted by key first; keys are
** unique (seq), so the sort's result does not depend on the sort. Placing entry i
** may write heap[heap_len] with heap_len <= i (the overflow tier refills the same
** array from its start), never an entry not yet read. */
void engi_eq_mode_tiered(eng_queue *q)
{
    uint32_t i, n = q->heap_len;

    assert(q->small && !q->tiny && q->fine_count == 0 && q->coarse_count == 0);
    qsort(q->heap, n, sizeof q->heap[0], hent_cmp);
    q->small = 0;
    q->heap_len = 0;
    q->frontier_blk = eq_block(q, q->now) + 2;
    for (i = 0; i < n; i++) {   /* n <= count <= cap */
        uint32_t slot = q->heap[i].slot;
        assert(q->heap_len <= i && q->node[slot].where == EQ_SMALL);
        q->node[slot].where = EQ_FREE;
        engi_eq_seq_add(q, slot);
        engi_eq_place(q, slot);
    }
    assert(q->fine_count + q->coarse_count + q->heap_len == q->count);
}

/* Empty the tiers' side structures for every live slot, leaving the nodes' events. */
void engi_eq_tiers_clear(eng_queue *q)
{
    uint32_t s;

    assert(!q->small);
    for (s = 0; s < q->hwm; s++)   /* O(slots used), the seq heads of live events */
        if (q->node[s].where != EQ_FREE)
            q->seq_head[(uint32_t)q->node[s].ev.seq & q->seq_mask] = EQ_NIL;
    engi_eq_bits_clear_all(&q->fbits);
    engi_eq_bits_clear_all(&q->cbits);
    q->fine_count = q->coarse_count = q->heap_len = 0;
}

/* Tiered -> small: every live slot into one heap (insertion order is irrelevant:
** the heap orders by the full key). */
void engi_eq_mode_small(eng_queue *q)
{
    uint32_t s, n = 0;

    assert(!q->small && q->count < EQ_SMALL_LO);
    engi_eq_tiers_clear(q);
    q->small = 1;
    q->tiny = 0;   /* count >= EQ_SMALL_LO - 1 > EQ_TINY_LO: the heap shape */
    for (s = 0; s < q->hwm; s++) {
        if (q->node[s].where == EQ_FREE)
            continue;
        {
            eq_hent e = eq_hent_of(q, s);
            eq_small_insert(q, &e);
        }
        n++;
    }
    assert(n == q->count && q->heap_len == n);
    (void)n;
}
