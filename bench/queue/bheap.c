/*
** bheap.c — baseline binary heap (array, sift with a hole, key (cycle, seq)).
*/
#include <assert.h>
#include <stdlib.h>

#include "bheap.h"

static int less(const eng_event *x, const eng_event *y)
{
    return x->cycle != y->cycle ? x->cycle < y->cycle : x->seq < y->seq;
}

int bheap_init(bheap *h, uint32_t cap)
{
    assert(h != NULL && cap > 0);
    h->ev = malloc((size_t)cap * sizeof h->ev[0]);
    h->len = 0;
    h->cap = cap;
    h->seq_next = 0;
    return h->ev ? ENG_OK : ENG_ENOMEM;
}

void bheap_close(bheap *h)
{
    free(h->ev);
    h->ev = NULL;
    h->len = h->cap = 0;
}

int bheap_push(bheap *h, uint64_t cycle, uint32_t kind, uint64_t a, uint64_t b)
{
    eng_event e;
    uint32_t pos;

    if (h->len == h->cap)
        return ENG_EFULL;
    e.cycle = cycle;
    e.seq = h->seq_next++;
    e.cls = 0;
    e.kind = kind;
    e.a = a;
    e.b = b;
    pos = h->len++;
    while (pos > 0) {   /* at most log2(cap) steps */
        uint32_t parent = (pos - 1) >> 1;
        if (!less(&e, &h->ev[parent]))
            break;
        h->ev[pos] = h->ev[parent];
        pos = parent;
    }
    h->ev[pos] = e;
    return ENG_OK;
}

int bheap_pop(bheap *h, eng_event *out)
{
    eng_event last;
    uint32_t pos = 0, n;

    if (h->len == 0)
        return ENG_EEMPTY;
    *out = h->ev[0];
    last = h->ev[--h->len];
    n = h->len;
    for (;;) {          /* at most log2(cap) steps */
        uint32_t c = 2 * pos + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(&h->ev[c + 1], &h->ev[c]))
            c++;
        if (!less(&h->ev[c], &last))
            break;
        h->ev[pos] = h->ev[c];
        pos = c;
    }
    if (n > 0)
        h->ev[pos] = last;
    return ENG_OK;
}
