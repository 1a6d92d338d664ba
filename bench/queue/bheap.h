/*
** bheap.h — the benchmark's baseline: a plain binary min-heap of events on
** (cycle, seq), fixed capacity, the textbook structure the engine's queue must beat.
*/
#ifndef VMMSIM_BENCH_BHEAP_H
#define VMMSIM_BENCH_BHEAP_H

#include "engine.h"

typedef struct bheap {
    eng_event *ev;
    uint32_t   len, cap;
    uint64_t   seq_next;
} bheap;

int  bheap_init(bheap *h, uint32_t cap);      /* ENG_OK or ENG_ENOMEM */
void bheap_close(bheap *h);
int  bheap_push(bheap *h, uint64_t cycle, uint32_t kind, uint64_t a, uint64_t b);
int  bheap_pop(bheap *h, eng_event *out);

#endif
