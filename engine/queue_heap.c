/*
** queue_heap.c — the overflow: a 4-ary min-heap on (cycle, cls, seq) for the
** events beyond the coarse wheel's range. Four children per node halve the depth of a
** binary heap and keep siblings in one or two cache lines, which pays off when
** most pending events are far ahead. Each node knows its heap position so that
** cancel can remove it in O(log n).
*/
#include <assert.h>

#include "queue_int.h"

static int hent_less(const eq_hent *x, const eq_hent *y)
{
    return eq_key_less(x->cycle, x->cls, x->seq, y->cycle, y->cls, y->seq);
}

static void place(eng_queue *q, uint32_t pos, const eq_hent *e)
{
    assert(pos < q->cap && e->slot < q->cap);
    q->heap[pos] = *e;
    q->node[e->slot].hpos = pos;
}

static void sift_up(eng_queue *q, uint32_t pos, eq_hent e)
{
    assert(pos < q->heap_len);
    while (pos > 0) {   /* at most log4(cap) steps */
        uint32_t parent = (pos - 1) >> 2;
        if (!hent_less(&e, &q->heap[parent]))
            break;
        place(q, pos, &q->heap[parent]);
        pos = parent;
    }
    place(q, pos, &e);
}

static void sift_down(eng_queue *q, uint32_t pos, eq_hent e)
{
    assert(pos < q->heap_len);
    uint32_t n = q->heap_len;
    for (;;) {          /* at most log4(cap) steps */
        uint32_t first = 4 * pos + 1, c = first, k;
        if (first >= n)
            break;
        for (k = first + 1; k < first + 4 && k < n; k++)
            if (hent_less(&q->heap[k], &q->heap[c]))
                c = k;
        if (!hent_less(&q->heap[c], &e))
            break;
        place(q, pos, &q->heap[c]);
        pos = c;
    }
    place(q, pos, &e);
}

void engi_eq_heap_insert(eng_queue *q, uint32_t slot)
{
    eq_node *n = &q->node[slot];
    eq_hent e;

    assert(q->heap_len < q->cap);
    assert(eq_block(q, n->ev.cycle) - q->frontier_blk >= q->cbits.nbits);
    e.cycle = n->ev.cycle;
    e.seq = n->ev.seq;
    e.cls = n->ev.cls;
    e.slot = slot;
    n->where = EQ_HEAP;
    sift_up(q, q->heap_len++, e);
}

void engi_eq_heap_remove(eng_queue *q, uint32_t pos)
{
    eq_hent last;

    assert(pos < q->heap_len);
    assert(q->node[q->heap[pos].slot].where == EQ_HEAP);
    q->node[q->heap[pos].slot].where = EQ_FREE;
    last = q->heap[--q->heap_len];
    if (pos == q->heap_len)
        return;
    if (pos > 0 && hent_less(&last, &q->heap[(pos - 1) >> 2]))
        sift_up(q, pos, last);
    else
        sift_down(q, pos, last);
}
