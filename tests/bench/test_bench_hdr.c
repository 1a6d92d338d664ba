/*
** test_bench_hdr.c — nearest-rank percentiles (bench_percentile_milli) and the
** HdrHistogram formats of bench/lib/bench_hdr.c: the bucket layout, the V2 encoding
** (inflated back here and read byte by byte), and bad input refused.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/lib/bench.h"

START_TEST(percentile_nearest_rank)
{
    uint64_t v[1000];
    for (int i = 0; i < 1000; i++) v[i] = (uint64_t)i + 1;
    bench_kind k = { .n = 1000, .sorted = v };
    ck_assert_uint_eq(bench_percentile_milli(&k, 50000), 500);
    ck_assert_uint_eq(bench_percentile_milli(&k, 99900), 999);     /* rank ceil(999.0) */
    ck_assert_uint_eq(bench_percentile_milli(&k, 99901), 1000);
    ck_assert_uint_eq(bench_percentile_milli(&k, 100000), 1000);
    ck_assert_uint_eq(bench_percentile_milli(&k, 1), 1);
    k.n = 7;                                                        /* 1..7 */
    ck_assert_uint_eq(bench_percentile_milli(&k, 50000), 4);        /* rank ceil(3.5) */
    ck_assert_uint_eq(bench_percentile(&k, 90), 7);                 /* rank ceil(6.3) */
    ck_assert_uint_eq(bench_percentile_milli(&k, 99900), 7);
}
END_TEST

START_TEST(layout_buckets)
{
    bench_hdr h;
    ck_assert_int_eq(bench_hdr_layout(&h, 100000, 3), BENCH_OK);
    ck_assert_uint_eq(h.sub_count, 2048);                           /* 2 * 10^3 -> 2^11 */
    for (uint64_t v = 0; v < 2048; v++) {                           /* exact below sub_count */
        uint32_t i = bench_hdr_index(&h, v);
        ck_assert_uint_eq(i, v);
        ck_assert_uint_eq(bench_hdr_lowest(&h, i), v);
        ck_assert_uint_eq(bench_hdr_highest(&h, i), v);
    }
    uint32_t i = bench_hdr_index(&h, 2049);                         /* width 2 from 2048 */
    ck_assert_uint_eq(i, bench_hdr_index(&h, 2048));
    ck_assert_uint_eq(bench_hdr_lowest(&h, i), 2048);
    ck_assert_uint_eq(bench_hdr_highest(&h, i), 2049);
    i = bench_hdr_index(&h, 100000);                                /* width 64 at 2^16..2^17 */
    ck_assert_uint_eq(bench_hdr_lowest(&h, i), 100000 & ~63ull);
    ck_assert_uint_eq(bench_hdr_highest(&h, i), (100000 & ~63ull) + 63);
    ck_assert_uint_lt(i, h.counts_len);
    for (uint64_t v = 1; v <= 100000; v += 7) {                     /* every value in its bucket */
        uint32_t j = bench_hdr_index(&h, v);
        ck_assert(bench_hdr_lowest(&h, j) <= v && v <= bench_hdr_highest(&h, j));
    }
    ck_assert_int_eq(bench_hdr_layout(&h, 10, 0), BENCH_EFULL);
    ck_assert_int_eq(bench_hdr_layout(&h, 10, 6), BENCH_EFULL);
    ck_assert_int_eq(bench_hdr_layout(&h, UINT64_MAX, 3), BENCH_EFULL);
}
END_TEST

static size_t unbase64(const char *s, uint8_t *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        acc = acc << 6 | (uint32_t)(strchr(tab, *s) - tab);
        bits += 6;
        if (bits >= 8) { bits -= 8; out[n++] = (uint8_t)(acc >> bits); }
    }
    return n;
}

static uint64_t be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

START_TEST(encode_v2_compressed)
{
    /* 9, 9, 9, 300: index 9 after 9 zero counts (-9 -> zigzag 17), count 3 (6), then
    ** 290 zeros (-290 -> 579 = 0xc3 0x04) and index 300's count 1 (2). */
    const uint64_t v[] = { 9, 9, 9, 300 };
    bench_hdr h;
    ck_assert_int_eq(bench_hdr_layout(&h, 300, 5), BENCH_OK);
    char *b64 = NULL;
    ck_assert_int_eq(bench_hdr_encode(&h, v, 4, &b64), BENCH_OK);
    ck_assert_int_eq(strncmp(b64, "HISTF", 5), 0);                  /* cookie 0x1c849314 */
    uint8_t z[256], raw[256];
    size_t zn = unbase64(b64, z);
    free(b64);
    ck_assert_uint_eq(be(z, 4), 0x1c849314u);
    ck_assert_uint_eq(be(z + 4, 4), zn - 8);
    uLongf rn = sizeof raw;
    ck_assert_int_eq(uncompress(raw, &rn, z + 8, (uLong)(zn - 8)), Z_OK);
    const uint8_t payload[] = { 17, 6, 0xc3, 0x04, 2 };
    ck_assert_uint_eq(rn, 40 + sizeof payload);
    ck_assert_uint_eq(be(raw, 4), 0x1c849313u);
    ck_assert_uint_eq(be(raw + 4, 4), sizeof payload);
    ck_assert_uint_eq(be(raw + 8, 4), 0);                           /* normalizing offset */
    ck_assert_uint_eq(be(raw + 12, 4), 5);                          /* significant digits */
    ck_assert_uint_eq(be(raw + 16, 8), 1);                          /* lowest discernible */
    ck_assert_uint_eq(be(raw + 24, 8), 300);                        /* highest trackable */
    ck_assert_uint_eq(be(raw + 32, 8), 0x3ff0000000000000ull);      /* ratio 1.0 */
    ck_assert_int_eq(memcmp(raw + 40, payload, sizeof payload), 0);
    const uint64_t big[] = { 301 };                                 /* above highest: refused */
    ck_assert_int_eq(bench_hdr_encode(&h, big, 1, &b64), BENCH_EFULL);
    ck_assert_ptr_null(b64);
}
END_TEST

START_TEST(log_and_csv_of_stats)
{
    bench_stats st;
    memset(&st, 0, sizeof st);
    uint64_t v[] = { 9, 9, 42 };
    st.k[BENCH_IDLE].n = 3;
    st.k[BENCH_IDLE].sorted = v;
    st.sim_cycles = 25000000;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bench_hdr_write_log(f, &st, 25000000, "t"), BENCH_OK);
    ck_assert_int_eq(bench_hdr_write_csv(f, &st, 3), BENCH_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "#[Histogram log format version 1.3]\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\nTag=idle,0.000,1.000,0.000,HISTF"));
    ck_assert_ptr_null(strstr(buf, "Tag=nc"));                     /* no samples: no interval */
    ck_assert_ptr_nonnull(strstr(buf, "\nidle,9,9,2,2,0.666667\nidle,42,42,1,3,1.000000\n"));
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_hdr");
    TCase *tc = tcase_create("hdr");
    tcase_add_test(tc, percentile_nearest_rank);
    tcase_add_test(tc, layout_buckets);
    tcase_add_test(tc, encode_v2_compressed);
    tcase_add_test(tc, log_and_csv_of_stats);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
