/*
** queue_int.h — the event queue's private layout, shared by the queue_*.c files.
**
** Three tiers, split by cycle. Let W = 2^blk_log2 and FB the frontier block
** (FB = (now >> blk_log2) + 2, so the frontier FB*W lies in (now + W, now + 2W]):
**
**  fine    cycles [now, FB*W): one bucket per cycle, 2W buckets (distinct, since
**          the range is at most 2W long). A bucket is a doubly linked list in
**          (cls, seq) order; seq only grows, so a push lands at the tail unless a
**          lower class arrives later in the same cycle: ties cost O(1).
**  coarse  blocks [FB, FB + K): one bucket per block of W cycles, an unsorted list
**          in arrival order. When the frontier passes a block, the block's events
**          move ("cascade") into the fine wheel in list order.
**  heap    everything later: a 4-ary min-heap on the full key.
**
** Why the order stays exact: a cycle's events only ever move down the tiers, and a
** tier receives them before any direct push of the same cycle can reach it (a push
** goes to the lowest tier whose range covers its cycle, and a range only grows
** after the older events of that cycle have moved in). Moves preserve, per
** (cycle, cls), seq order (heap pops in key order; lists keep arrival order), and
** the fine insertion sorts classes. Hence the fine wheel's first event is the
** global minimum whenever the fine wheel is non-empty.
**
** Two-level bitmaps (one bit per bucket, one summary bit per 64) find the next
** non-empty bucket of either wheel in a few word operations.
**
** seq -> slot: chained hash with identity hashing (seq & mask); consecutive seqs
** fall in consecutive heads, so chains stay short. Used by cancel.
**
** Small mode. While few events are pending, the tiers cost more than they save (a
** pop may cascade a block or scan bitmaps for a handful of events). Then the queue is
** one 4-ary heap of (key, slot) over all events, and nothing else is maintained:
** no seq index (cancel scans the heap, at most EQ_SMALL_HI entries), no heap
** positions, no bitmaps. A push that makes the count exceed EQ_SMALL_HI moves every
** event into the tiers (in key order, queue_small.c); a pop or cancel that leaves
** fewer than EQ_SMALL_LO moves them back. The gap between the two bounds makes each
** move cost O(1) amortised. Both modes pop in key order, so the mode never shows.
**
** Small mode itself has two shapes. Below EQ_TINY_LO pending (back above it at
** EQ_TINY_HI), heap[] is an array sorted by key, latest first: pop takes the last
** entry, push shifts the later ones up, which for a few dozen entries costs less than
** sifting. Sorted ascending, the same entries form a valid heap, so the change of shape
** is a reversal one way and a sort the other.
**
** Keys in heaps are packed: (cycle, cls << EQ_SEQ_BITS | seq). Pushes refuse a cls
** above EQ_CLS_MAX, and seq cannot reach 2^EQ_SEQ_BITS (2.8e14 pushes).
**
** Nothing depends on pointer values: slots are indices handed out by a LIFO free
** list behind a high-water mark (so reset is O(slots ever used), not O(capacity)),
** and the pop order depends only on the keys.
*/
#ifndef VMMSIM_ENGINE_QUEUE_INT_H
#define VMMSIM_ENGINE_QUEUE_INT_H

#include <assert.h>

#include "engine.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

#define EQ_NIL 0xFFFFFFFFu
/* Keeps a rarely taken path out of line, so the small-mode fast path of push and pop
** pays no register saves for it. */
#if defined(__GNUC__)
#define EQ_COLD __attribute__((noinline))
#else
#define EQ_COLD
#endif
#define EQ_CAP_MAX ENG_QUEUE_CAP_MAX   /* keeps every index and table size in u32 */
#define EQ_FINE_MIN_LOG2 10u           /* fine wheel: 1024 .. 65536 one-cycle buckets */
#define EQ_FINE_MAX_LOG2 16u
#define EQ_COARSE_LOG2 12u             /* coarse wheel: 4096 blocks of W cycles */
#define EQ_SMALL_HI 320u               /* above this many pending: tiered mode */
#define EQ_SMALL_LO 160u               /* below this many pending: small mode */
#define EQ_TINY_HI 144u                /* small mode: above this, heap[] is a heap */
#define EQ_TINY_LO 64u                 /* small mode: below this, a sorted array */
/* Each move between shapes lands strictly inside the new shape's bounds. */
_Static_assert(EQ_TINY_LO < EQ_TINY_HI && EQ_TINY_HI < EQ_SMALL_LO - 1
               && EQ_SMALL_LO < EQ_SMALL_HI, "queue shape bounds");
#define EQ_SEQ_BITS 48u
#define EQ_CLS_MAX 0xFFFFu

enum { EQ_FREE = 0, EQ_FINE = 1, EQ_COARSE = 2, EQ_HEAP = 3, EQ_SMALL = 4 };

typedef struct eq_node {
    eng_event ev;
    uint32_t prev, next;   /* bucket list links; next also links the free list */
    uint32_t hnext;        /* seq-index chain */
    uint16_t where;        /* EQ_FREE, EQ_FINE, EQ_COARSE or EQ_HEAP */
    uint16_t pad_;
    uint32_t hpos;         /* heap position while EQ_HEAP */
    uint32_t pad2_;
} eq_node;

typedef struct eq_bucket { uint32_t head, tail; } eq_bucket;

/* Two-level bitmap over nbits buckets (a power of two, >= 64). */
typedef struct eq_bits {
    uint64_t *w;             /* [nbits / 64] */
    uint64_t *sum;           /* [ceil(nbits / 4096)] */
    uint32_t  nbits;
} eq_bits;

/* Heap entries carry a packed copy of the key so sifting touches only the heap. */
typedef struct eq_hent {
    uint64_t cycle;
    uint64_t cs;             /* cls << EQ_SEQ_BITS | seq */
    uint32_t slot;           /* 4 bytes of padding follow: never read */
} eq_hent;

struct eng_queue {
    /* Hot: everything small mode touches, within one cache line. */
    eq_node  *node;          /* [cap]; slots >= hwm were never used since reset */
    eq_hent  *heap;          /* [cap]: overflow tier, or everything in small mode */
    uint64_t  now;           /* cycle of the last popped event */
    uint64_t  seq_next;
    uint32_t  cap, count;
    uint32_t  heap_len;
    uint32_t  free_head;     /* freed slots below hwm */
    uint32_t  hwm;
    int       small;         /* 1: small mode, every event in heap[] (see above) */
    int       tiny;          /* small mode with heap[] sorted, latest first */

    uint32_t *seq_head;      /* [seq_mask + 1] chain heads, EQ_NIL when empty */
    uint32_t  seq_mask;

    uint32_t  blk_log2;      /* W = 2^blk_log2 cycles per block; fine has 2W buckets */
    uint64_t  frontier_blk;  /* FB: fine holds exactly the cycles below FB * W */

    eq_bucket *fine;         /* [2W]; meaningful only where its bit is set */
    eq_bits   fbits;
    uint32_t  fine_count;
    uint32_t  min_bucket;    /* fine bucket of the earliest event, if fine_count */
    uint64_t  min_cycle;     /* its cycle */

    eq_bucket *coarse;       /* [K] */
    eq_bits   cbits;
    uint32_t  coarse_count;
};

/* The total order of the event queue (engine.h): (cycle, cls, seq). */
static inline int eq_key_less(uint64_t c1, uint32_t k1, uint64_t s1,
                              uint64_t c2, uint32_t k2, uint64_t s2)
{
    if (c1 != c2) return c1 < c2;
    if (k1 != k2) return k1 < k2;
    return s1 < s2;
}

static inline uint64_t eq_cs(uint32_t cls, uint64_t seq)
{
    return (uint64_t)cls << EQ_SEQ_BITS | seq;
}

static inline uint64_t eq_cs_seq(uint64_t cs)
{
    return cs & (((uint64_t)1 << EQ_SEQ_BITS) - 1);
}

static inline int eq_hent_less(const eq_hent *x, const eq_hent *y)
{
    return x->cycle != y->cycle ? x->cycle < y->cycle : x->cs < y->cs;
}

static inline uint64_t eq_block(const eng_queue *q, uint64_t cycle)
{
    return cycle >> q->blk_log2;
}

/* queue_bits.c */
int      engi_eq_bits_alloc(eq_bits *b, uint32_t nbits);
void     engi_eq_bits_free(eq_bits *b);
void     engi_eq_bits_clear_all(eq_bits *b);
void     engi_eq_bits_set(eq_bits *b, uint32_t i);
void     engi_eq_bits_clear(eq_bits *b, uint32_t i);
int      engi_eq_bits_get(const eq_bits *b, uint32_t i);
uint32_t engi_eq_bits_scan(const eq_bits *b, uint32_t from);   /* circular; some bit set */
/* queue_wheel.c */
void     engi_eq_place(eng_queue *q, uint32_t slot);   /* the lowest tier covering it */
void     engi_eq_fine_insert(eng_queue *q, uint32_t slot);
void     engi_eq_fine_remove(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_append(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_remove(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_cascade(eng_queue *q, uint32_t bucket);
/* queue_heap.c */
void     engi_eq_heap_insert(eng_queue *q, uint32_t slot);
void     engi_eq_heap_remove(eng_queue *q, uint32_t pos);
/* queue_seq.c */
void     engi_eq_seq_add(eng_queue *q, uint32_t slot);
uint32_t engi_eq_seq_find(const eng_queue *q, uint64_t seq);   /* slot or EQ_NIL */
void     engi_eq_seq_del(eng_queue *q, uint32_t slot);
/* queue_small.c */
uint32_t engi_eq_small_find(const eng_queue *q, uint64_t seq);   /* heap pos or EQ_NIL */
void     engi_eq_tiny_to_heap(eng_queue *q);
void     engi_eq_heap_to_tiny(eng_queue *q);
void     engi_eq_mode_tiered(eng_queue *q);
void     engi_eq_mode_small(eng_queue *q);
void     engi_eq_tiers_clear(eng_queue *q);

/* ---- the 4-ary heap's sifts, and small mode's insert and remove, inline:
** small mode is the queue's hot path while few events are pending. */


static inline eq_hent eq_hent_of(const eng_queue *q, uint32_t slot)
{
    eq_hent e;
    e.cycle = q->node[slot].ev.cycle;
    e.cs = eq_cs(q->node[slot].ev.cls, q->node[slot].ev.seq);
    e.slot = slot;
    return e;
}

static inline void eq_hput(eng_queue *q, uint32_t pos, const eq_hent *e, int track)
{
    q->heap[pos] = *e;
    if (track)
        q->node[e->slot].hpos = pos;
}

/* Called with a constant `track`, so each caller gets its own specialised copy:
** track = 1 keeps node[].hpos for the overflow tier; small mode passes 0. */
static inline void eq_sift_up(eng_queue *q, uint32_t pos, eq_hent e, int track)
{
    while (pos > 0) {   /* at most log4(cap) steps */
        uint32_t parent = (pos - 1) >> 2;
        if (!eq_hent_less(&e, &q->heap[parent]))
            break;
        eq_hput(q, pos, &q->heap[parent], track);
        pos = parent;
    }
    eq_hput(q, pos, &e, track);
}

static inline void eq_sift_down(eng_queue *q, uint32_t pos, eq_hent e, int track)
{
    uint32_t n = q->heap_len;
    for (;;) {          /* at most log4(cap) steps */
        uint32_t first = 4 * pos + 1, c = first, k;
        if (first >= n)
            break;
        for (k = first + 1; k < first + 4 && k < n; k++)
            if (eq_hent_less(&q->heap[k], &q->heap[c]))
                c = k;
        if (!eq_hent_less(&q->heap[c], &e))
            break;
        eq_hput(q, pos, &q->heap[c], track);
        pos = c;
    }
    eq_hput(q, pos, &e, track);
}

static inline void eq_small_insert(eng_queue *q, const eq_hent *e)
{
    assert(q->small && !q->tiny && q->heap_len < q->cap && e->slot < q->hwm);
    q->node[e->slot].where = EQ_SMALL;
    eq_sift_up(q, q->heap_len++, *e, 0);
}

/* Sorted shape: after the entries that are later than e, before the earlier ones.
** The scan runs from the earliest end, where near-future pushes land; bounded by
** heap_len <= EQ_TINY_HI. */
static inline void eq_tiny_insert(eng_queue *q, const eq_hent *e)
{
    uint32_t i = q->heap_len;
    assert(q->small && q->tiny && q->heap_len < q->cap && e->slot < q->hwm);
    q->node[e->slot].where = EQ_SMALL;
    while (i > 0 && eq_hent_less(&q->heap[i - 1], e)) {
        q->heap[i] = q->heap[i - 1];
        i--;
    }
    q->heap[i] = *e;
    q->heap_len++;
}

static inline void eq_tiny_remove(eng_queue *q, uint32_t pos)
{
    uint32_t i;
    assert(q->small && q->tiny && pos < q->heap_len);
    q->node[q->heap[pos].slot].where = EQ_FREE;
    q->heap_len--;
    for (i = pos; i < q->heap_len; i++)   /* bounded by EQ_TINY_HI */
        q->heap[i] = q->heap[i + 1];
}

/* Remove heap[pos]; `track`: see eq_sift_up. */
static inline void eq_heap_take(eng_queue *q, uint32_t pos, int track)
{
    eq_hent last;

    assert(pos < q->heap_len);
    q->node[q->heap[pos].slot].where = EQ_FREE;
    last = q->heap[--q->heap_len];
    if (pos == q->heap_len)
        return;
    if (pos > 0 && eq_hent_less(&last, &q->heap[(pos - 1) >> 2]))
        eq_sift_up(q, pos, last, track);
    else
        eq_sift_down(q, pos, last, track);
}

static inline void eq_small_remove(eng_queue *q, uint32_t pos)
{
    assert(q->small && !q->tiny && pos < q->heap_len);
    assert(q->node[q->heap[pos].slot].where == EQ_SMALL);
    eq_heap_take(q, pos, 0);
}

#pragma GCC visibility pop

#endif
