/*
** queue_bits.c — two-level bitmaps that find the next non-empty wheel bucket.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "queue_int.h"

static uint32_t nwords(const eq_bits *b) { return b->nbits >> 6; }
static uint32_t nsum(const eq_bits *b) { return (nwords(b) + 63) >> 6; }

int engi_eq_bits_alloc(eq_bits *b, uint32_t nbits)
{
    assert(nbits >= 64 && (nbits & (nbits - 1)) == 0);
    b->nbits = nbits;
    b->w = calloc(nwords(b), sizeof b->w[0]);
    b->sum = calloc(nsum(b), sizeof b->sum[0]);
    return (b->w && b->sum) ? ENG_OK : ENG_ENOMEM;
}

void engi_eq_bits_free(eq_bits *b)
{
    assert(b != NULL);
    free(b->w);
    free(b->sum);
    b->w = b->sum = NULL;
}

void engi_eq_bits_clear_all(eq_bits *b)
{
    assert(b->w && b->sum && b->nbits >= 64);
    memset(b->w, 0, (size_t)nwords(b) * sizeof b->w[0]);
    memset(b->sum, 0, (size_t)nsum(b) * sizeof b->sum[0]);
}

void engi_eq_bits_set(eq_bits *b, uint32_t i)
{
    uint32_t w = i >> 6;
    assert(i < b->nbits);
    b->w[w] |= 1ull << (i & 63);
    b->sum[w >> 6] |= 1ull << (w & 63);
}

void engi_eq_bits_clear(eq_bits *b, uint32_t i)
{
    uint32_t w = i >> 6;
    assert(i < b->nbits);
    b->w[w] &= ~(1ull << (i & 63));
    if (b->w[w] == 0)
        b->sum[w >> 6] &= ~(1ull << (w & 63));
}

int engi_eq_bits_get(const eq_bits *b, uint32_t i)
{
    assert(i < b->nbits);
    return (int)((b->w[i >> 6] >> (i & 63)) & 1u);
}

/* First set bit in [from, nbits), or nbits when none. */
static uint32_t scan_up(const eq_bits *b, uint32_t from)
{
    uint32_t nw = nwords(b), ns = nsum(b);
    uint32_t w = from >> 6, s;
    uint64_t m = b->w[w] & (~0ull << (from & 63));
    if (m)
        return (w << 6) | (uint32_t)__builtin_ctzll(m);
    if (++w >= nw)
        return b->nbits;
    s = w >> 6;
    m = b->sum[s] & (~0ull << (w & 63));
    for (;;) {   /* at most ns iterations: one per summary word */
        if (m) {
            uint32_t lw = (s << 6) | (uint32_t)__builtin_ctzll(m);
            assert(lw < nw && b->w[lw] != 0);
            return (lw << 6) | (uint32_t)__builtin_ctzll(b->w[lw]);
        }
        if (++s >= ns)
            return b->nbits;
        m = b->sum[s];
    }
}

/* First set bit at or after `from`, wrapping once; some bit must be set. A
** wheel's circular order from its window start is cycle (or block) order. */
uint32_t engi_eq_bits_scan(const eq_bits *b, uint32_t from)
{
    uint32_t i;
    assert(from < b->nbits);
    i = scan_up(b, from);
    if (i >= b->nbits)
        i = scan_up(b, 0);
    assert(i < b->nbits && engi_eq_bits_get(b, i));
    return i;
}
