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
** Nothing depends on pointer values: slots are indices handed out by a LIFO free
** list, and the pop order depends only on the keys.
*/
#ifndef VMMSIM_ENGINE_QUEUE_INT_H
#define VMMSIM_ENGINE_QUEUE_INT_H

#include "engine.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

#define EQ_NIL 0xFFFFFFFFu
#define EQ_CAP_MAX ENG_QUEUE_CAP_MAX   /* keeps every index and table size in u32 */
#define EQ_FINE_MIN_LOG2 10u           /* fine wheel: 1024 .. 65536 one-cycle buckets */
#define EQ_FINE_MAX_LOG2 16u
#define EQ_COARSE_LOG2 12u             /* coarse wheel: 4096 blocks of W cycles */

enum { EQ_FREE = 0, EQ_FINE = 1, EQ_COARSE = 2, EQ_HEAP = 3 };

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

/* Overflow heap entries carry a copy of the key so sifting touches only the heap. */
typedef struct eq_hent {
    uint64_t cycle;
    uint64_t seq;
    uint32_t cls;
    uint32_t slot;
} eq_hent;

struct eng_queue {
    eq_node  *node;          /* [cap] */
    uint32_t  cap, count;
    uint32_t  free_head;
    uint64_t  now;           /* cycle of the last popped event */
    uint64_t  seq_next;

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

    eq_hent  *heap;          /* [cap] */
    uint32_t  heap_len;
};

/* The total order of the event queue (engine.h): (cycle, cls, seq). */
static inline int eq_key_less(uint64_t c1, uint32_t k1, uint64_t s1,
                              uint64_t c2, uint32_t k2, uint64_t s2)
{
    if (c1 != c2) return c1 < c2;
    if (k1 != k2) return k1 < k2;
    return s1 < s2;
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
void     engi_eq_fine_insert(eng_queue *q, uint32_t slot);
void     engi_eq_fine_remove(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_append(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_remove(eng_queue *q, uint32_t slot);
void     engi_eq_coarse_cascade(eng_queue *q, uint32_t bucket);
/* queue_heap.c */
void     engi_eq_heap_insert(eng_queue *q, uint32_t slot);
void     engi_eq_heap_remove(eng_queue *q, uint32_t pos);

#pragma GCC visibility pop

#endif
