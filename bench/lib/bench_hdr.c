/*
** bench_hdr.c — latency histograms in the formats of the HdrHistogram family
** (docs/bench.md, "Formats"): the bucket layout of an HdrHistogram whose
** lowestDiscernibleValue is 1, its V2 compressed encoding (a 40-byte big-endian
** header, the counts as ZigZag LEB128 with runs of zeros as negative lengths, all
** deflated with zlib behind an 8-byte header) in base64, the interval log text
** format (version 1.3, one tagged interval per callback kind) that HdrHistogram's
** HistogramLogReader reads, and a CSV of the non-empty buckets.
** Everything depends on the samples only: simulated time, no host clock.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench.h"

#define HDR_COOKIE_V2 0x1c849313u            /* V2EncodingCookieBase | 0x10 */
#define HDR_COOKIE_V2_DEFLATE 0x1c849314u    /* V2CompressedEncodingCookieBase | 0x10 */
#define HDR_HEADER_BYTES 40u
#define HDR_LEB_MAX 9u                       /* bytes of one ZigZag LEB128 long */

int bench_hdr_layout(bench_hdr *h, uint64_t highest, uint32_t digits) {
    assert(h);
    memset(h, 0, sizeof *h);
    if (digits < 1 || digits > 5 || highest > (UINT64_MAX >> 2)) return BENCH_EFULL;
    uint64_t single = 2;                     /* largestValueWithSingleUnitResolution */
    for (uint32_t i = 0; i < digits; i++) single *= 10;
    uint32_t mag = 0;                        /* ceil(log2(single)) */
    while ((1ull << mag) < single) mag++;
    h->highest = highest < 2 ? 2 : highest;
    h->digits = digits;
    h->sub_half_mag = mag - 1;
    h->sub_count = 1u << mag;
    h->sub_half = h->sub_count / 2;
    uint64_t untrackable = h->sub_count;     /* bucketsNeededToCoverValue */
    uint32_t buckets = 1;
    while (untrackable <= h->highest && buckets < 64) { untrackable <<= 1; buckets++; }
    h->bucket_count = buckets;
    h->counts_len = (buckets + 1) * h->sub_half;
    assert(h->sub_half_mag >= 3 && h->sub_half_mag <= 17);
    return BENCH_OK;
}

uint32_t bench_hdr_index(const bench_hdr *h, uint64_t value) {
    assert(h && h->sub_count && value <= h->highest);
    uint64_t masked = value | (uint64_t)(h->sub_count - 1);
    int lzc_base = 63 - (int)h->sub_half_mag;  /* 64 - unitMagnitude - subBucketHalfCountMagnitude - 1 */
    int bucket = lzc_base - __builtin_clzll(masked);
    assert(bucket >= 0 && (uint32_t)bucket < h->bucket_count);
    uint64_t sub = value >> bucket;
    uint64_t idx = ((uint64_t)(bucket + 1) << h->sub_half_mag) + sub - h->sub_half;
    assert(idx < h->counts_len);
    return (uint32_t)idx;
}

/* The bucket and sub-bucket of a counts index (valueFromIndex). */
static void hdr_split(const bench_hdr *h, uint32_t idx, int *bucket, uint64_t *sub) {
    assert(h && idx < h->counts_len && bucket && sub);
    int b = (int)(idx >> h->sub_half_mag) - 1;
    uint64_t s = (idx & (h->sub_half - 1)) + h->sub_half;
    if (b < 0) { s -= h->sub_half; b = 0; }
    *bucket = b;
    *sub = s;
}

uint64_t bench_hdr_lowest(const bench_hdr *h, uint32_t idx) {
    int b; uint64_t s;
    hdr_split(h, idx, &b, &s);
    return s << b;
}

uint64_t bench_hdr_highest(const bench_hdr *h, uint32_t idx) {
    int b; uint64_t s;
    hdr_split(h, idx, &b, &s);
    return (s << b) + (1ull << b) - 1;
}

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes) {
    assert(p && bytes >= 1 && bytes <= 8);
    for (int i = bytes - 1; i >= 0; i--) *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* ZigZag LEB128 as HdrHistogram's ZigZagEncoding.putLong: 7 bits a byte, the
** ninth byte carries the last 8. */
static uint8_t *put_zigzag(uint8_t *p, int64_t v) {
    assert(p);
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    for (uint32_t i = 0; i < HDR_LEB_MAX - 1; i++) {
        if (z < 0x80) { *p++ = (uint8_t)z; return p; }
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    return p;
}

/* The uncompressed V2 encoding: header, then counts 0..index(max) where a run of
** k > 1 zero counts is the single value -k (fillBufferFromCountsArray). */
static size_t hdr_payload(const bench_hdr *h, const uint64_t *sorted, uint32_t n, uint8_t *buf) {
    assert(h && (sorted || !n) && buf);
    uint8_t *p = buf + HDR_HEADER_BYTES;
    uint64_t next = 0;                       /* the next counts index to write */
    for (uint32_t i = 0; i < n;) {
        uint32_t idx = bench_hdr_index(h, sorted[i]);
        uint32_t j = i;
        while (j < n && bench_hdr_index(h, sorted[j]) == idx) j++;
        assert(idx >= next);
        uint64_t zeros = idx - next;
        if (zeros == 1) p = put_zigzag(p, 0);
        else if (zeros > 1) p = put_zigzag(p, -(int64_t)zeros);
        p = put_zigzag(p, (int64_t)(j - i));
        next = (uint64_t)idx + 1;
        i = j;
    }
    if (!n) p = put_zigzag(p, 0);            /* an empty histogram: the count of value 0 */
    size_t len = (size_t)(p - buf);
    uint8_t *q = put_be(buf, HDR_COOKIE_V2, 4);
    q = put_be(q, len - HDR_HEADER_BYTES, 4);
    q = put_be(q, 0, 4);                     /* normalizingIndexOffset */
    q = put_be(q, h->digits, 4);
    q = put_be(q, 1, 8);                     /* lowestDiscernibleValue */
    q = put_be(q, h->highest, 8);
    q = put_be(q, 0x3ff0000000000000ull, 8); /* integerToDoubleValueConversionRatio 1.0 */
    assert(q == buf + HDR_HEADER_BYTES);
    return len;
}

static char *base64(const uint8_t *in, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    assert(in);
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *o++ = tab[v >> 18];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = 0;
    return out;
}

int bench_hdr_encode(const bench_hdr *h, const uint64_t *sorted, uint32_t n, char **b64) {
    assert(h && (sorted || !n) && b64);
    *b64 = NULL;
    if (n && sorted[n - 1] > h->highest) return BENCH_EFULL;
    size_t cap = HDR_HEADER_BYTES + 2 * HDR_LEB_MAX * ((size_t)n + 1);
    if (cap > BENCH_HDR_LINE_MAX) return BENCH_EFULL;
    uint8_t *raw = malloc(cap);
    uLongf zlen = compressBound((uLong)cap);
    uint8_t *z = malloc(8 + zlen);
    int rc = raw && z ? BENCH_OK : BENCH_ENOMEM;
    if (!rc) {
        size_t len = hdr_payload(h, sorted, n, raw);
        assert(len <= cap);
        if (compress2(z + 8, &zlen, raw, (uLong)len, Z_DEFAULT_COMPRESSION) != Z_OK) rc = BENCH_ENOMEM;
    }
    if (!rc) {
        put_be(put_be(z, HDR_COOKIE_V2_DEFLATE, 4), zlen, 4);
        *b64 = base64(z, 8 + zlen);
        if (!*b64) rc = BENCH_ENOMEM;
    }
    free(raw);
    free(z);
    return rc;
}

int bench_hdr_write_log(FILE *f, const bench_stats *st, uint32_t clock_hz, const char *header) {
    assert(f && st && clock_hz > 0 && header);
    fprintf(f, "#[%s]\n#[Histogram log format version 1.3]\n", header);
    fprintf(f, "#[StartTime: 0.000 (seconds since epoch), simulated time 0]\n");
    fprintf(f, "#[BaseTime: 0.000 (seconds since epoch)]\n");
    fprintf(f, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n");
    double len_s = (double)st->sim_cycles / (double)clock_hz;
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        const bench_kind *kd = &st->k[k];
        if (!kd->n) continue;                /* a kind without samples has no interval */
        assert(kd->sorted);
        bench_hdr h;
        uint64_t max = kd->sorted[kd->n - 1];
        char *b64 = NULL;
        int rc = bench_hdr_layout(&h, max, BENCH_HDR_DIGITS);
        if (!rc) rc = bench_hdr_encode(&h, kd->sorted, kd->n, &b64);
        if (rc) return rc;
        /* Interval_Max as HistogramLogWriter writes it: max / 1e6 (its default
        ** maxValueUnitRatio), here millions of cycles. */
        fprintf(f, "Tag=%s,0.000,%.3f,%.3f,%s\n", bench_kind_name(k), len_s, (double)max / 1e6, b64);
        free(b64);
    }
    return ferror(f) ? BENCH_ENOMEM : BENCH_OK;
}

int bench_hdr_write_csv(FILE *f, const bench_stats *st, uint32_t digits) {
    assert(f && st);
    fprintf(f, "kind,lowest_cycles,highest_cycles,count,cumulative,cumulative_fraction\n");
    for (int k = 0; k < BENCH_KIND_COUNT; k++) {
        const bench_kind *kd = &st->k[k];
        if (!kd->n) continue;
        assert(kd->sorted);
        bench_hdr h;
        int rc = bench_hdr_layout(&h, kd->sorted[kd->n - 1], digits);
        if (rc) return rc;
        for (uint32_t i = 0; i < kd->n;) {
            uint32_t idx = bench_hdr_index(&h, kd->sorted[i]), j = i;
            while (j < kd->n && bench_hdr_index(&h, kd->sorted[j]) == idx) j++;
            fprintf(f, "%s,%llu,%llu,%u,%u,%.6f\n", bench_kind_name(k),
                    (unsigned long long)bench_hdr_lowest(&h, idx), (unsigned long long)bench_hdr_highest(&h, idx),
                    j - i, j, (double)j / (double)kd->n);
            i = j;
        }
    }
    return ferror(f) ? BENCH_ENOMEM : BENCH_OK;
}
