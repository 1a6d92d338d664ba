/*
** qheap4.h — the benchmark's second baseline: a 4-ary min-heap of (key, index)
** entries over a separate event array with a free list. The key is the engine's full
** order (cycle, cls, seq), compared field by field; the entry is what the heap moves,
** the event stays in place. No cancel: it only has to be fast.
*/
#ifndef VMMSIM_BENCH_QHEAP4_H
#define VMMSIM_BENCH_QHEAP4_H

#include "engine.h"

typedef struct qheap4_ent {
    uint64_t cycle;
    uint64_t seq;
    uint32_t cls;
    uint32_t idx;          /* into ev[] */
} qheap4_ent;

typedef struct qheap4 {
    qheap4_ent *heap;      /* [cap] */
    eng_event  *ev;        /* [cap] */
    uint32_t   *free_idx;  /* [cap] stack of free ev[] slots */
    uint32_t    len, cap, nfree;
    uint64_t    seq_next;
} qheap4;

int  qheap4_init(qheap4 *h, uint32_t cap);    /* ENG_OK or ENG_ENOMEM */
void qheap4_close(qheap4 *h);
int  qheap4_push(qheap4 *h, uint64_t cycle, uint32_t kind, uint64_t a, uint64_t b);
int  qheap4_pop(qheap4 *h, eng_event *out);

#endif
