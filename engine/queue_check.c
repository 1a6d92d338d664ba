/*
** queue_check.c — full invariant check of the event queue, O(capacity + wheels).
** For tests and debugging: release builds compile assert() out, this does not.
*/
#include "queue_int.h"

#define CHECK(cond) do { if (!(cond)) return ENG_EINVAL; } while (0)

/* Freed slots lie below the high-water mark; every slot below it is free or live. */
static int check_free(const eng_queue *q)
{
    assert(q->cap <= EQ_CAP_MAX);
    uint32_t p = q->free_head, n = 0, s, live = 0;
    CHECK(q->hwm <= q->cap);
    while (p != EQ_NIL) {
        CHECK(p < q->hwm && n < q->hwm);
        CHECK(q->node[p].where == EQ_FREE);
        p = q->node[p].next;
        n++;
    }
    for (s = 0; s < q->hwm; s++)
        live += q->node[s].where != EQ_FREE;
    CHECK(live == q->count && n == q->hwm - q->count);
    return ENG_OK;
}

static int check_summary(const eq_bits *b)
{
    assert(b->nbits >= 64 && (b->nbits & (b->nbits - 1)) == 0);
    uint32_t w;
    for (w = 0; w < b->nbits >> 6; w++)
        CHECK((int)((b->sum[w >> 6] >> (w & 63)) & 1u) == (b->w[w] != 0));
    return ENG_OK;
}

/* A bucket's list: links, membership, and its length in *len. */
static int check_list(const eng_queue *q, const eq_bucket *bk, int where, uint32_t *len)
{
    assert(bk && len);
    uint32_t p = bk->head, prev = EQ_NIL, n = 0;
    CHECK(p != EQ_NIL);
    while (p != EQ_NIL) {
        CHECK(p < q->cap && n < q->count);
        CHECK(q->node[p].where == where && q->node[p].prev == prev);
        CHECK(q->node[p].ev.cycle >= q->now);
        prev = p;
        p = q->node[p].next;
        n++;
    }
    CHECK(bk->tail == prev);
    *len = n;
    return ENG_OK;
}

/* Fine bucket: one cycle, below the frontier, strictly increasing (cls, seq). */
static int check_fine_bucket(const eng_queue *q, uint32_t b, uint32_t *seen, uint64_t *minc)
{
    assert(b < q->fbits.nbits && seen && minc);
    uint32_t p, len;
    if (check_list(q, &q->fine[b], EQ_FINE, &len))
        return ENG_EINVAL;
    for (p = q->fine[b].head; p != EQ_NIL; p = q->node[p].next) {
        const eng_event *x = &q->node[p].ev;
        CHECK(((uint32_t)x->cycle & (q->fbits.nbits - 1)) == b);
        CHECK(eq_block(q, x->cycle) < q->frontier_blk);
        if (p != q->fine[b].head) {
            const eng_event *y = &q->node[q->node[p].prev].ev;
            CHECK(y->cycle == x->cycle);
            CHECK(eq_key_less(y->cycle, y->cls, y->seq, x->cycle, x->cls, x->seq));
        }
        if (x->cycle < *minc)
            *minc = x->cycle;
    }
    *seen += len;
    return ENG_OK;
}

/* Coarse bucket: one block within [FB, FB + K); per (cycle, cls) the list keeps
** seq order (pairwise check, for buckets small enough to afford it). */
static int check_coarse_bucket(const eng_queue *q, uint32_t b, uint32_t *seen)
{
    assert(b < q->cbits.nbits && seen);
    uint32_t p, r, len;
    uint64_t blk = 0;
    if (check_list(q, &q->coarse[b], EQ_COARSE, &len))
        return ENG_EINVAL;
    for (p = q->coarse[b].head; p != EQ_NIL; p = q->node[p].next) {
        const eng_event *x = &q->node[p].ev;
        if (p == q->coarse[b].head)
            blk = eq_block(q, x->cycle);
        CHECK(eq_block(q, x->cycle) == blk);
        CHECK(blk >= q->frontier_blk && blk - q->frontier_blk < q->cbits.nbits);
        CHECK(((uint32_t)blk & (q->cbits.nbits - 1)) == b);
        for (r = q->node[p].next; len <= 256 && r != EQ_NIL; r = q->node[r].next) {
            const eng_event *y = &q->node[r].ev;
            CHECK(!(y->cycle == x->cycle && y->cls == x->cls && y->seq < x->seq));
        }
    }
    *seen += len;
    return ENG_OK;
}

static int check_wheels(const eng_queue *q)
{
    assert(q->fine && q->coarse);
    uint32_t b, fseen = 0, cseen = 0;
    uint64_t minc = UINT64_MAX;
    if (check_summary(&q->fbits) || check_summary(&q->cbits))
        return ENG_EINVAL;
    for (b = 0; b < q->fbits.nbits; b++)
        if (engi_eq_bits_get(&q->fbits, b) && check_fine_bucket(q, b, &fseen, &minc))
            return ENG_EINVAL;
    for (b = 0; b < q->cbits.nbits; b++)
        if (engi_eq_bits_get(&q->cbits, b) && check_coarse_bucket(q, b, &cseen))
            return ENG_EINVAL;
    CHECK(fseen == q->fine_count && cseen == q->coarse_count);
    if (fseen > 0) {
        CHECK(q->min_cycle == minc);
        CHECK(q->min_bucket == ((uint32_t)minc & (q->fbits.nbits - 1)));
    }
    return ENG_OK;
}

/* The overflow tier (tracked positions, far events), or small mode's whole heap. */
static int check_heap(const eng_queue *q)
{
    assert(q->heap != NULL);
    uint32_t i;
    for (i = 0; i < q->heap_len; i++) {
        const eq_hent *e = &q->heap[i];
        const eq_node *x;
        CHECK(e->slot < q->hwm);
        x = &q->node[e->slot];
        CHECK(e->cycle == x->ev.cycle && e->cs == eq_cs(x->ev.cls, x->ev.seq));
        CHECK(x->ev.cycle >= q->now);
        if (q->small) {
            CHECK(x->where == EQ_SMALL);
        } else {
            CHECK(x->where == EQ_HEAP && x->hpos == i);
            CHECK(eq_block(q, e->cycle) >= q->frontier_blk + q->cbits.nbits);
        }
        if (i > 0 && q->small && q->tiny)
            CHECK(eq_hent_less(e, &q->heap[i - 1]));     /* sorted, latest first */
        else if (i > 0)
            CHECK(eq_hent_less(&q->heap[(i - 1) / 4], e));
    }
    return ENG_OK;
}

/* Small mode keeps the tiers' structures empty (queue_int.h). */
static int check_small(const eng_queue *q)
{
    uint32_t h;
    CHECK(q->fine_count == 0 && q->coarse_count == 0 && q->heap_len == q->count);
    CHECK(q->count <= EQ_SMALL_HI);
    CHECK(!q->tiny || q->count <= EQ_TINY_HI);
    for (h = 0; h < q->fbits.nbits >> 6; h++)
        CHECK(q->fbits.w[h] == 0);
    for (h = 0; h < q->cbits.nbits >> 6; h++)
        CHECK(q->cbits.w[h] == 0);
    for (h = 0; h <= q->seq_mask; h++)
        CHECK(q->seq_head[h] == EQ_NIL);
    return ENG_OK;
}

static int check_seq_index(const eng_queue *q)
{
    assert(q->seq_head != NULL);
    uint32_t h, total = 0;
    for (h = 0; h <= q->seq_mask; h++) {
        uint32_t p = q->seq_head[h];
        while (p != EQ_NIL) {
            CHECK(p < q->cap && total < q->count);
            CHECK(q->node[p].where != EQ_FREE);
            CHECK(((uint32_t)q->node[p].ev.seq & q->seq_mask) == h);
            CHECK(q->node[p].ev.seq < q->seq_next);
            p = q->node[p].hnext;
            total++;
        }
    }
    CHECK(total == q->count);
    return ENG_OK;
}

int eng_queue_check(const eng_queue *q)
{
    if (q == NULL || q->node == NULL)
        return ENG_EINVAL;
    CHECK(q->count <= q->cap);
    CHECK(q->count == q->fine_count + q->coarse_count + q->heap_len);
    if (check_free(q) || check_heap(q))
        return ENG_EINVAL;
    if (q->small)
        return check_small(q);
    CHECK(q->count >= EQ_SMALL_LO && !q->tiny);
    CHECK(q->frontier_blk == eq_block(q, q->now) + 2);
    if (check_wheels(q) || check_seq_index(q))
        return ENG_EINVAL;
    return ENG_OK;
}
