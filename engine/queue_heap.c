/*
** queue_heap.c — a 4-ary min-heap on the packed key (cycle, cls, seq): the overflow
** tier for events beyond the coarse wheel's range, and the whole queue in small
** mode. Four children per node halve the depth of a binary heap and keep siblings
** in one or two cache lines. The overflow tier tracks each node's heap position so
** that cancel removes it in O(log n); small mode does not (cancel scans instead), so
** a sift touches the heap array alone.
*/
#include <assert.h>

#include "queue_int.h"

void engi_eq_heap_insert(eng_queue *q, uint32_t slot)
{
    assert(q->heap_len < q->cap && !q->small);
    assert(eq_block(q, q->node[slot].ev.cycle) - q->frontier_blk >= q->cbits.nbits);
    q->node[slot].where = EQ_HEAP;
    eq_sift_up(q, q->heap_len++, eq_hent_of(q, slot), 1);
}

void engi_eq_heap_remove(eng_queue *q, uint32_t pos)
{
    assert(pos < q->heap_len && !q->small);
    assert(q->node[q->heap[pos].slot].where == EQ_HEAP);
    eq_heap_take(q, pos, 1);
}
