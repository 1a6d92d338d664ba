/*
** record.c — the canonical encoding of a trace record, its hash, the checkpoint
** text line, and the first-divergence finder (docs/trace-format.md).
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
/* The trace hash runs once per record, on records of 12-108 bytes: inlined, XXH64
** is the same function without a call through the library's PLT. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "engine.h"

/* Little-endian, byte by byte: the struct has padding and the host may not be
** little-endian, so its memory is never hashed. */
static uint8_t *put_le(uint8_t *p, uint64_t v, int bytes)
{
    assert(bytes >= 1 && bytes <= 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, (size_t)bytes);   /* the same bytes, stored at once */
    return p + bytes;
#else
    int i;
    for (i = 0; i < bytes; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
#endif
}

size_t eng_record_encode(const eng_record *r, uint8_t *buf)
{
    uint8_t *p = buf;
    unsigned i;

    assert(r != NULL && buf != NULL);
    assert(r->nargs <= ENG_REC_ARGS && r->textlen <= ENG_REC_TEXT);
    p = put_le(p, r->cycle, 8);
    p = put_le(p, r->type, 2);
    *p++ = r->nargs;
    *p++ = r->textlen;
    for (i = 0; i < r->nargs && i < ENG_REC_ARGS; i++)
        p = put_le(p, r->args[i], 8);
    for (i = 0; i < r->textlen && i < ENG_REC_TEXT; i++)
        *p++ = (uint8_t)r->text[i];
    assert((size_t)(p - buf) <= ENG_REC_ENC_MAX);
    return (size_t)(p - buf);
}

uint64_t eng_record_hash(const eng_record *r, uint64_t seed)
{
    assert(r != NULL);
    uint8_t buf[ENG_REC_ENC_MAX];
    size_t len = eng_record_encode(r, buf);
    return (uint64_t)XXH64(buf, len, (XXH64_hash_t)seed);
}

size_t eng_checkpoint_format(const eng_record *r, char *buf, size_t len)
{
    int n;

    assert(r != NULL && (buf != NULL || len == 0));
    if (r->type != ENG_REC_CHECKPOINT || r->nargs < 2)
        return 0;
    n = snprintf(buf, len, "%012" PRIu64 " CHECKPOINT index=%" PRIu64 " hash=%016" PRIx64,
                 r->cycle, r->args[0], r->args[1]);
    assert(n > 0);
    return n > 0 ? (size_t)n : 0;
}

static int cp_equal(const eng_checkpoint *x, const eng_checkpoint *y)
{
    assert(x != NULL && y != NULL);
    return x->index == y->index && x->cycle == y->cycle && x->hash == y->hash;
}

long eng_checkpoints_diverge(const eng_checkpoint *a, uint32_t na,
                             const eng_checkpoint *b, uint32_t nb)
{
    uint32_t i, n = na < nb ? na : nb;

    assert((a != NULL || na == 0) && (b != NULL || nb == 0));
    for (i = 0; i < n; i++)
        if (!cp_equal(&a[i], &b[i]))
            return (long)i;
    return na == nb ? -1 : (long)n;
}
