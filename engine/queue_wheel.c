/*
** queue_wheel.c — the fine wheel (one bucket per cycle, (cls, seq)-ordered lists)
** and the coarse wheel (one bucket per block of W cycles, arrival-ordered lists).
*/
#include <assert.h>

#include "queue_int.h"

static uint32_t fine_index(const eng_queue *q, uint64_t cycle)
{
    assert(q->fbits.nbits >= 64 && (q->fbits.nbits & (q->fbits.nbits - 1)) == 0);
    return (uint32_t)cycle & (q->fbits.nbits - 1);
}

static uint32_t coarse_index(const eng_queue *q, uint64_t cycle)
{
    assert(q->cbits.nbits >= 64 && (q->cbits.nbits & (q->cbits.nbits - 1)) == 0);
    return (uint32_t)eq_block(q, cycle) & (q->cbits.nbits - 1);
}

/* Link `slot` after `p` (at the head when p is EQ_NIL) in bucket bk. */
static void link_after(eng_queue *q, eq_bucket *bk, uint32_t p, uint32_t slot)
{
    assert(slot < q->cap && bk != NULL);
    eq_node *n = &q->node[slot];
    n->prev = p;
    n->next = (p == EQ_NIL) ? bk->head : q->node[p].next;
    if (n->next == EQ_NIL) bk->tail = slot;
    else q->node[n->next].prev = slot;
    if (p == EQ_NIL) bk->head = slot;
    else q->node[p].next = slot;
}

static void list_unlink(eng_queue *q, eq_bucket *bk, uint32_t slot)
{
    assert(slot < q->cap && bk->head != EQ_NIL);
    eq_node *n = &q->node[slot];
    if (n->prev == EQ_NIL) bk->head = n->next;
    else q->node[n->prev].next = n->next;
    if (n->next == EQ_NIL) bk->tail = n->prev;
    else q->node[n->next].prev = n->prev;
    n->where = EQ_FREE;
}

void engi_eq_fine_insert(eng_queue *q, uint32_t slot)
{
    eq_node *n = &q->node[slot];
    uint64_t c = n->ev.cycle;
    uint32_t b = fine_index(q, c);
    eq_bucket *bk = &q->fine[b];

    assert(eq_block(q, c) < q->frontier_blk);
    n->where = EQ_FINE;
    if (!engi_eq_bits_get(&q->fbits, b)) {
        bk->head = bk->tail = slot;
        n->prev = n->next = EQ_NIL;
        engi_eq_bits_set(&q->fbits, b);
    } else {
        /* After every equal or lower class: walk back over the (rare) higher
        ** classes only. Bounded by the bucket's length <= count. */
        uint32_t p = bk->tail, steps = 0;
        assert(q->node[p].ev.cycle == c);
        while (p != EQ_NIL && q->node[p].ev.cls > n->ev.cls) {
            p = q->node[p].prev;
            assert(++steps <= q->count);
        }
        (void)steps;
        link_after(q, bk, p, slot);
    }
    if (q->fine_count++ == 0 || c < q->min_cycle) {
        q->min_bucket = b;
        q->min_cycle = c;
    }
}

void engi_eq_fine_remove(eng_queue *q, uint32_t slot)
{
    uint32_t b = fine_index(q, q->node[slot].ev.cycle);

    assert(q->node[slot].where == EQ_FINE && q->fine_count > 0);
    assert(engi_eq_bits_get(&q->fbits, b));
    list_unlink(q, &q->fine[b], slot);
    q->fine_count--;
    if (q->fine[b].head != EQ_NIL)
        return;
    engi_eq_bits_clear(&q->fbits, b);
    /* Circular order from the old minimum's bucket is cycle order: every fine
    ** event lies in [min_cycle, min_cycle + 2W). */
    if (b == q->min_bucket && q->fine_count > 0) {
        q->min_bucket = engi_eq_bits_scan(&q->fbits, b);
        q->min_cycle = q->node[q->fine[q->min_bucket].head].ev.cycle;
    }
}

void engi_eq_coarse_append(eng_queue *q, uint32_t slot)
{
    uint32_t b = coarse_index(q, q->node[slot].ev.cycle);
    eq_bucket *bk = &q->coarse[b];

    assert(eq_block(q, q->node[slot].ev.cycle) - q->frontier_blk < q->cbits.nbits);
    q->node[slot].where = EQ_COARSE;
    if (!engi_eq_bits_get(&q->cbits, b)) {
        bk->head = bk->tail = EQ_NIL;
        engi_eq_bits_set(&q->cbits, b);
    }
    link_after(q, bk, bk->tail, slot);
    q->coarse_count++;
}

void engi_eq_coarse_remove(eng_queue *q, uint32_t slot)
{
    uint32_t b = coarse_index(q, q->node[slot].ev.cycle);

    assert(q->node[slot].where == EQ_COARSE && q->coarse_count > 0);
    assert(engi_eq_bits_get(&q->cbits, b));
    list_unlink(q, &q->coarse[b], slot);
    q->coarse_count--;
    if (q->coarse[b].head == EQ_NIL)
        engi_eq_bits_clear(&q->cbits, b);
}

/* Move a whole coarse bucket into the fine wheel, in arrival order, which per
** (cycle, cls) is seq order (queue_int.h). Bounded by the bucket's length. */
void engi_eq_coarse_cascade(eng_queue *q, uint32_t b)
{
    uint32_t p, n = 0;

    assert(b < q->cbits.nbits && engi_eq_bits_get(&q->cbits, b));
    p = q->coarse[b].head;
    while (p != EQ_NIL) {
        uint32_t next = q->node[p].next;
        assert(q->node[p].where == EQ_COARSE && ++n <= q->count);
        q->coarse_count--;
        engi_eq_fine_insert(q, p);
        p = next;
    }
    (void)n;
    engi_eq_bits_clear(&q->cbits, b);
}

/* Place an event in the lowest tier whose range covers its cycle. */
void engi_eq_place(eng_queue *q, uint32_t slot)
{
    assert(slot < q->cap);
    uint64_t blk = eq_block(q, q->node[slot].ev.cycle);
    if (blk < q->frontier_blk)
        engi_eq_fine_insert(q, slot);
    else if (blk - q->frontier_blk < q->cbits.nbits)
        engi_eq_coarse_append(q, slot);
    else
        engi_eq_heap_insert(q, slot);
}
