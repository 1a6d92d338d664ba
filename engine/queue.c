/*
** queue.c — the event queue API (docs/architecture.md, engine): total order (cycle, cls, seq),
** fixed capacity, cancel by seq. Layout and invariants: queue_int.h.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "queue_int.h"

static uint32_t ceil_log2(uint32_t x)
{
    assert(x <= EQ_CAP_MAX);
    uint32_t l = 0;
    while ((1u << l) < x)   /* x <= EQ_CAP_MAX: at most 28 steps */
        l++;
    return l;
}

size_t eng_queue_size(void) { return sizeof(eng_queue); }

void eng_queue_close(eng_queue *q)
{
    assert(q != NULL);
    free(q->node);
    free(q->seq_head);
    free(q->fine);
    free(q->coarse);
    free(q->heap);
    engi_eq_bits_free(&q->fbits);
    engi_eq_bits_free(&q->cbits);
    memset(q, 0, sizeof *q);
}

/* The fine wheel spans 16 cycles per slot of capacity, within [2^10, 2^16]
** cycles: memory stays proportional to the capacity while large queues get a
** window wide enough for dense near-future traffic. The coarse wheel adds 4096
** blocks of half that span. */
int eng_queue_init(eng_queue *q, uint32_t capacity)
{
    uint32_t flog;

    assert(q != NULL);
    memset(q, 0, sizeof *q);
    if (capacity == 0 || capacity > EQ_CAP_MAX)
        return ENG_EINVAL;
    flog = ceil_log2(capacity) + 4;
    if (flog < EQ_FINE_MIN_LOG2) flog = EQ_FINE_MIN_LOG2;
    if (flog > EQ_FINE_MAX_LOG2) flog = EQ_FINE_MAX_LOG2;
    q->cap = capacity;
    q->blk_log2 = flog - 1;
    q->seq_mask = (1u << (ceil_log2(capacity) + 1)) - 1;
    q->node = calloc(capacity, sizeof q->node[0]);
    q->heap = calloc(capacity, sizeof q->heap[0]);
    q->seq_head = malloc(((size_t)q->seq_mask + 1) * sizeof q->seq_head[0]);
    q->fine = calloc((size_t)1 << flog, sizeof q->fine[0]);
    q->coarse = calloc((size_t)1 << EQ_COARSE_LOG2, sizeof q->coarse[0]);
    if (!q->node || !q->heap || !q->seq_head || !q->fine || !q->coarse
        || engi_eq_bits_alloc(&q->fbits, 1u << flog) != ENG_OK
        || engi_eq_bits_alloc(&q->cbits, 1u << EQ_COARSE_LOG2) != ENG_OK) {
        eng_queue_close(q);
        return ENG_ENOMEM;
    }
    /* The tiers' structures start empty; small mode keeps them so (queue_int.h). */
    memset(q->seq_head, 0xFF, ((size_t)q->seq_mask + 1) * sizeof q->seq_head[0]);
    q->small = 1;
    eng_queue_reset(q);
    return ENG_OK;
}

/* O(slots used since the last reset), not O(capacity): a run that used a few events
** of a large queue resets in a few steps. */
void eng_queue_reset(eng_queue *q)
{
    assert(q != NULL && q->node != NULL);
    if (!q->small)
        engi_eq_tiers_clear(q);
    q->small = 1;
    q->tiny = 1;
    q->heap_len = 0;
    q->free_head = EQ_NIL;
    q->hwm = 0;
    q->min_bucket = 0;
    q->min_cycle = 0;
    q->count = 0;
    q->now = 0;
    q->frontier_blk = 2;   /* eq_block(now) + 2 */
    q->seq_next = 0;
}

/* ---- operations -------------------------------------------------------- */

static void release(eng_queue *q, uint32_t slot)
{
    assert(q->count > 0 && q->node[slot].where == EQ_FREE && slot < q->hwm);
    if (!q->small)
        engi_eq_seq_del(q, slot);
    q->node[slot].next = q->free_head;
    q->free_head = slot;
    q->count--;
}

/* Block number of coarse bucket b, given that it lies in [base, base + K). */
static uint64_t coarse_block(const eng_queue *q, uint64_t base, uint32_t b)
{
    assert(b < q->cbits.nbits);
    uint32_t mask = q->cbits.nbits - 1;
    return base + ((b - ((uint32_t)base & mask)) & mask);
}

/* After `now` moved: raise the frontier to eq_block(now) + 2, cascade the coarse
** blocks it passed, then let the heap's events that the coarse range now covers
** move down, in key order (queue_int.h). Bounded by coarse_count + heap_len. */
static void advance(eng_queue *q)
{
    uint64_t fb = eq_block(q, q->now) + 2, k = q->cbits.nbits;
    uint64_t old = q->frontier_blk;

    assert(fb >= old);
    q->frontier_blk = fb;
    while (fb > old && q->coarse_count > 0) {
        uint32_t b = engi_eq_bits_scan(&q->cbits, (uint32_t)old & (uint32_t)(k - 1));
        if (coarse_block(q, old, b) >= fb)
            break;
        engi_eq_coarse_cascade(q, b);
    }
    while (q->heap_len > 0 && eq_block(q, q->heap[0].cycle) < fb + k) {
        uint32_t slot = q->heap[0].slot;
        engi_eq_heap_remove(q, 0);
        engi_eq_place(q, slot);
    }
}

static uint32_t slot_alloc(eng_queue *q)
{
    uint32_t slot = q->free_head;
    if (slot != EQ_NIL) {
        assert(slot < q->hwm && q->node[slot].where == EQ_FREE);
        q->free_head = q->node[slot].next;
        return slot;
    }
    assert(q->hwm < q->cap);   /* count < cap and every slot below hwm is live */
    return q->hwm++;
}

static EQ_COLD void push_tiered(eng_queue *q, uint32_t slot)
{
    assert(!q->small && q->node[slot].ev.seq + 1 == q->seq_next);
    engi_eq_seq_add(q, slot);
    engi_eq_place(q, slot);
}

static EQ_COLD int push_refused(const eng_queue *q, uint64_t cycle, uint32_t cls)
{
    if (cycle < q->now)
        return ENG_EPAST;
    if (q->count == q->cap)
        return ENG_EFULL;
    (void)cls;
    assert(cls > EQ_CLS_MAX || q->seq_next >> EQ_SEQ_BITS);
    return ENG_EINVAL;
}

int eng_queue_push(eng_queue *q, uint64_t cycle, uint32_t cls, uint32_t kind,
                   uint64_t a, uint64_t b, uint64_t *seq_out)
{
    uint32_t slot;
    uint64_t seq;
    eq_node *n;

    assert(q != NULL && q->count <= q->cap);
    /* One branch for the four refusals: push is the hot path of every run. */
    if ((cycle < q->now) | (q->count == q->cap) | (cls > EQ_CLS_MAX)
        | (q->seq_next >> EQ_SEQ_BITS != 0))
        return push_refused(q, cycle, cls);
    slot = slot_alloc(q);
    seq = q->seq_next++;
    n = &q->node[slot];
    n->ev.cycle = cycle;
    n->ev.seq = seq;
    n->ev.cls = cls;
    n->ev.kind = kind;
    n->ev.a = a;
    n->ev.b = b;
    q->count++;
    if (seq_out)
        *seq_out = seq;
    if (q->small) {
        eq_hent e;
        e.cycle = cycle;
        e.cs = eq_cs(cls, seq);
        e.slot = slot;
        if (q->tiny) {
            eq_tiny_insert(q, &e);
            if (q->count > EQ_TINY_HI)
                engi_eq_tiny_to_heap(q);
            return ENG_OK;
        }
        eq_small_insert(q, &e);
        if (q->count > EQ_SMALL_HI)
            engi_eq_mode_tiered(q);
        return ENG_OK;
    }
    push_tiered(q, slot);
    return ENG_OK;
}

/* Earliest event when the fine wheel is empty: the key-minimum of the first
** non-empty coarse bucket (unsorted, so a scan), else the heap's top. */
static uint32_t min_beyond_fine(const eng_queue *q)
{
    uint32_t b, p, best, n = 0;
    if (q->coarse_count == 0)
        return q->heap[0].slot;
    b = engi_eq_bits_scan(&q->cbits, (uint32_t)q->frontier_blk & (q->cbits.nbits - 1));
    best = p = q->coarse[b].head;
    while (p != EQ_NIL) {   /* bounded by the bucket's length <= count */
        const eng_event *x = &q->node[p].ev, *y = &q->node[best].ev;
        if (eq_key_less(x->cycle, x->cls, x->seq, y->cycle, y->cls, y->seq))
            best = p;
        p = q->node[p].next;
        assert(++n <= q->count);
    }
    (void)n;
    return best;
}

static uint32_t min_slot(const eng_queue *q)
{
    assert(q->count > 0 && q->count == q->fine_count + q->coarse_count + q->heap_len);
    if (q->small)
        return q->heap[q->tiny ? q->heap_len - 1 : 0].slot;
    /* Every fine event is earlier than every coarse or heap event. */
    if (q->fine_count > 0)
        return q->fine[q->min_bucket].head;
    return min_beyond_fine(q);
}

static void unplace(eng_queue *q, uint32_t slot)
{
    assert(slot < q->cap && q->node[slot].where != EQ_FREE);
    switch (q->node[slot].where) {
    case EQ_FINE:   engi_eq_fine_remove(q, slot); break;
    case EQ_COARSE: engi_eq_coarse_remove(q, slot); break;
    default:        engi_eq_heap_remove(q, q->node[slot].hpos); break;
    }
}

static int pop_small(eng_queue *q, eng_event *out)
{
    uint32_t slot = q->heap[0].slot;
    *out = q->node[slot].ev;
    eq_small_remove(q, 0);
    release(q, slot);
    assert(out->cycle >= q->now);
    q->now = out->cycle;
    if (q->count < EQ_TINY_LO)
        engi_eq_heap_to_tiny(q);
    return ENG_OK;
}

static int pop_tiny(eng_queue *q, eng_event *out)
{
    uint32_t slot = q->heap[q->heap_len - 1].slot;
    *out = q->node[slot].ev;
    q->node[slot].where = EQ_FREE;
    q->heap_len--;
    release(q, slot);
    assert(out->cycle >= q->now);
    q->now = out->cycle;
    return ENG_OK;
}

static EQ_COLD int pop_tiered(eng_queue *q, eng_event *out)
{
    uint32_t slot;

    assert(!q->small && q->count > 0);
    if (q->fine_count == 0 && q->coarse_count > 0) {
        /* Bring the first coarse block down first: the blocks before it are empty,
        ** so the frontier may move just past it; advance() completes the move. */
        uint32_t b = engi_eq_bits_scan(&q->cbits, (uint32_t)q->frontier_blk & (q->cbits.nbits - 1));
        q->frontier_blk = coarse_block(q, q->frontier_blk, b) + 1;
        engi_eq_coarse_cascade(q, b);
    }
    slot = min_slot(q);
    unplace(q, slot);
    *out = q->node[slot].ev;
    release(q, slot);
    assert(out->cycle >= q->now);
    q->now = out->cycle;
    advance(q);
    if (q->count < EQ_SMALL_LO)
        engi_eq_mode_small(q);
    return ENG_OK;
}

int eng_queue_pop(eng_queue *q, eng_event *out)
{
    assert(q != NULL && out != NULL);
    if (q->count == 0)
        return ENG_EEMPTY;
    if (q->small)
        return q->tiny ? pop_tiny(q, out) : pop_small(q, out);
    return pop_tiered(q, out);
}

int eng_queue_peek(const eng_queue *q, eng_event *out)
{
    assert(q != NULL && out != NULL);
    if (q->count == 0)
        return ENG_EEMPTY;
    *out = q->node[min_slot(q)].ev;
    return ENG_OK;
}

int eng_queue_cancel(eng_queue *q, uint64_t seq)
{
    uint32_t slot;

    assert(q != NULL);
    if (q->small) {
        uint32_t pos = engi_eq_small_find(q, seq);
        if (pos == EQ_NIL)
            return ENG_ENOENT;
        slot = q->heap[pos].slot;
        if (q->tiny) {
            eq_tiny_remove(q, pos);
        } else {
            eq_small_remove(q, pos);
            if (q->count - 1 < EQ_TINY_LO) {
                release(q, slot);
                engi_eq_heap_to_tiny(q);
                return ENG_OK;
            }
        }
        release(q, slot);
        return ENG_OK;
    }
    slot = engi_eq_seq_find(q, seq);
    if (slot == EQ_NIL)
        return ENG_ENOENT;
    unplace(q, slot);
    release(q, slot);
    if (q->count < EQ_SMALL_LO)
        engi_eq_mode_small(q);
    return ENG_OK;
}

uint32_t eng_queue_count(const eng_queue *q) { return q->count; }
uint32_t eng_queue_capacity(const eng_queue *q) { return q->cap; }
uint64_t eng_queue_now(const eng_queue *q) { return q->now; }
