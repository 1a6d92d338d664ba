/*
** qheap4.c — baseline 4-ary heap of (key, index), sift with a hole.
*/
#include <assert.h>
#include <stdlib.h>

#include "qheap4.h"

static int less(const qheap4_ent *x, const qheap4_ent *y)
{
    if (x->cycle != y->cycle) return x->cycle < y->cycle;
    if (x->cls != y->cls) return x->cls < y->cls;
    return x->seq < y->seq;
}

int qheap4_init(qheap4 *h, uint32_t cap)
{
    uint32_t i;
    assert(h != NULL && cap > 0);
    h->heap = malloc((size_t)cap * sizeof h->heap[0]);
    h->ev = malloc((size_t)cap * sizeof h->ev[0]);
    h->free_idx = malloc((size_t)cap * sizeof h->free_idx[0]);
    h->len = 0;
    h->cap = cap;
    h->seq_next = 0;
    if (!h->heap || !h->ev || !h->free_idx) {
        qheap4_close(h);
        return ENG_ENOMEM;
    }
    for (i = 0; i < cap; i++)
        h->free_idx[i] = cap - 1 - i;
    h->nfree = cap;
    return ENG_OK;
}

void qheap4_close(qheap4 *h)
{
    free(h->heap);
    free(h->ev);
    free(h->free_idx);
    h->heap = NULL;
    h->ev = NULL;
    h->free_idx = NULL;
    h->len = h->cap = h->nfree = 0;
}

int qheap4_push(qheap4 *h, uint64_t cycle, uint32_t kind, uint64_t a, uint64_t b)
{
    qheap4_ent e;
    eng_event *x;
    uint32_t pos;

    if (h->len == h->cap)
        return ENG_EFULL;
    assert(h->nfree > 0);
    e.idx = h->free_idx[--h->nfree];
    e.cycle = cycle;
    e.seq = h->seq_next++;
    e.cls = 0;
    x = &h->ev[e.idx];
    x->cycle = cycle;
    x->seq = e.seq;
    x->cls = 0;
    x->kind = kind;
    x->a = a;
    x->b = b;
    pos = h->len++;
    while (pos > 0) {   /* at most log4(cap) steps */
        uint32_t parent = (pos - 1) >> 2;
        if (!less(&e, &h->heap[parent]))
            break;
        h->heap[pos] = h->heap[parent];
        pos = parent;
    }
    h->heap[pos] = e;
    return ENG_OK;
}

int qheap4_pop(qheap4 *h, eng_event *out)
{
    qheap4_ent last;
    uint32_t pos = 0, n;

    if (h->len == 0)
        return ENG_EEMPTY;
    *out = h->ev[h->heap[0].idx];
    h->free_idx[h->nfree++] = h->heap[0].idx;
    last = h->heap[--h->len];
    n = h->len;
    for (;;) {          /* at most log4(cap) steps */
        uint32_t first = 4 * pos + 1, c = first, k;
        if (first >= n)
            break;
        for (k = first + 1; k < first + 4 && k < n; k++)
            if (less(&h->heap[k], &h->heap[c]))
                c = k;
        if (!less(&h->heap[c], &last))
            break;
        h->heap[pos] = h->heap[c];
        pos = c;
    }
    if (n > 0)
        h->heap[pos] = last;
    return ENG_OK;
}
