/*
** rng.c — the only randomness in vmmsim (docs/architecture.md, determinism).
**
** xoshiro256** 1.0 by David Blackman and Sebastiano Vigna ("Scrambled linear
** pseudorandom number generators", ACM TOMS 47(4), 2021; reference code at
** https://prng.di.unimi.it/xoshiro256starstar.c). Its 256-bit state is filled from
** one 64-bit seed by SplitMix64 (Steele, Lea, Flood, "Fast splittable
** pseudorandom number generators", OOPSLA 2014; https://prng.di.unimi.it/splitmix64.c),
** as the xoshiro authors recommend; SplitMix64 never yields an all-zero state
** from four consecutive outputs.
*/
#include <assert.h>

#include "engine.h"

uint64_t eng_splitmix64(uint64_t *state)
{
    uint64_t z;
    assert(state != NULL);
    z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void eng_rng_seed(eng_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    int i;
    assert(r != NULL);
    for (i = 0; i < 4; i++)
        r->s[i] = eng_splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t eng_rng_next(eng_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    assert((s[0] | s[1] | s[2] | s[3]) != 0);
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Lemire, "Fast random integer generation in an interval", ACM TOMS 29(1), 2019:
** multiply a 32-bit draw by n and keep the high half, rejecting the few low halves
** that would bias it. Unbiased for every n >= 1; the expected number of draws is
** below 2 in the worst case and about 1 for small n. */
uint32_t eng_rng_below(eng_rng *r, uint32_t n)
{
    uint64_t m;
    uint32_t lo;

    assert(r != NULL && n >= 1);
    if (n <= 1)
        return 0;
    m = (eng_rng_next(r) >> 32) * (uint64_t)n;
    lo = (uint32_t)m;
    if (lo < n) {
        uint32_t threshold = (uint32_t)(-n) % n;  /* 2^32 mod n */
        while (lo < threshold) {                  /* P(repeat) < n / 2^32 each time */
            m = (eng_rng_next(r) >> 32) * (uint64_t)n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}
