/*
** test_engine_trace.c — the trace of docs/trace-format.md: canonical little-endian
** encoding, rolling xxHash64, checkpoints every N records, hash-only mode, and the
** first-divergence finder.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine/engine.h"

#define T_SIM 1

/* A small deterministic simulation: events re-arm themselves after a delay the
** chooser picks; each dispatch is one trace record. `poke` (if < records) changes
** one argument of that record, as a diverging replay would. */
static void mini_run(uint64_t seed, eng_trace *t, uint32_t records, uint32_t poke)
{
    eng_queue *q = malloc(eng_queue_size());
    eng_chooser c;
    uint32_t i;

    ck_assert_int_eq(eng_queue_init(q, 64), ENG_OK);
    ck_assert_int_eq(eng_chooser_init(&c, 0), ENG_OK);
    eng_chooser_random(&c, seed);
    for (i = 0; i < 8; i++)
        ck_assert_int_eq(eng_queue_push(q, i / 2, i % 2, i, 0, 0, NULL), ENG_OK);
    for (i = 0; i < records; i++) {
        eng_event e;
        uint64_t args[3];
        ck_assert_int_eq(eng_queue_pop(q, &e), ENG_OK);
        args[0] = e.kind;
        args[1] = e.seq;
        args[2] = e.a + (i == poke);
        eng_trace_add(t, e.cycle, T_SIM, 3, args, (i % 5) ? NULL : "dispatch");
        ck_assert_int_eq(eng_queue_push(q, e.cycle + 10 * eng_choose(&c, ENG_CHOICE_JITTER, 4),
                                        e.cls, e.kind, e.a + 1, 0, NULL), ENG_OK);
    }
    eng_trace_finish(t, eng_queue_now(q));
    eng_chooser_close(&c);
    eng_queue_close(q);
    free(q);
}

START_TEST(s3_encoding_is_little_endian_and_hash_is_xxh64_chain)
{
    static const uint8_t enc[] = {
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,   /* cycle */
        0x34, 0x12,                                       /* type */
        2, 3,                                             /* nargs, textlen */
        0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0,               /* args[0] */
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,   /* args[1] */
        'a', 'b', 'c' };
    static const uint64_t args[2] = { 0xDEADBEEFull, UINT64_MAX };
    eng_trace t;
    uint8_t buf[ENG_REC_ENC_MAX];
    uint64_t h1;

    ck_assert_int_eq(eng_trace_init(&t, 4, 0), ENG_OK);
    ck_assert_int_eq(eng_trace_add(&t, 0x0102030405060708ull, 0x1234, 2, args, "abc"), ENG_OK);
    ck_assert_uint_eq(eng_record_encode(&t.rec[0], buf), sizeof enc);
    ck_assert(memcmp(buf, enc, sizeof enc) == 0);
    h1 = XXH64(enc, sizeof enc, 0);
    ck_assert_uint_eq(t.hash, h1);
    ck_assert_int_eq(eng_trace_add(&t, 0x0102030405060708ull, 0x1234, 2, args, "abc"), ENG_OK);
    ck_assert_uint_eq(t.hash, XXH64(enc, sizeof enc, h1));   /* rolling: seeded by h1 */
    ck_assert_uint_eq(eng_record_hash(&t.rec[1], h1), t.hash);
    eng_trace_close(&t);
}
END_TEST

START_TEST(s3_add_rejects_bad_records)
{
    static const uint64_t args[ENG_REC_ARGS + 1] = { 0 };
    char text[ENG_REC_TEXT + 2];
    eng_trace t;

    ck_assert_int_eq(eng_trace_init(&t, 4, 0), ENG_OK);
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;                                  /* 49 bytes */
    ck_assert_int_eq(eng_trace_add(&t, 0, 1, 0, NULL, text), ENG_EINVAL);
    text[ENG_REC_TEXT] = 0;                                     /* 48 bytes: fits */
    ck_assert_int_eq(eng_trace_add(&t, 0, 1, 0, NULL, text), ENG_OK);
    ck_assert_int_eq(eng_trace_add(&t, 0, 1, ENG_REC_ARGS + 1, args, NULL), ENG_EINVAL);
    ck_assert_int_eq(eng_trace_add(&t, 0, 1, 1, NULL, NULL), ENG_EINVAL);
    ck_assert_int_eq(eng_trace_add(&t, 0, ENG_REC_CHECKPOINT, 0, NULL, NULL), ENG_EINVAL);
    ck_assert_uint_eq(t.count, 1);
    ck_assert_uint_eq(t.rec[0].textlen, ENG_REC_TEXT);
    eng_trace_close(&t);
}
END_TEST

START_TEST(s3_checkpoint_every_n_records)
{
    static const uint64_t a[1] = { 9 };
    eng_trace t;
    uint64_t h = 0;
    uint32_t i;

    ck_assert_int_eq(eng_trace_init(&t, 100, 4), ENG_OK);
    for (i = 0; i < 11; i++)
        ck_assert_int_eq(eng_trace_add(&t, 100 + i, 2, 1, a, NULL), ENG_OK);
    /* r0..r3 C4 r4..r7 C9 r8 r9 r10 */
    ck_assert_uint_eq(t.count, 13);
    ck_assert_uint_eq(t.cp_len, 2);
    ck_assert_uint_eq(t.cp[0].index, 4);
    ck_assert_uint_eq(t.cp[0].cycle, 103);
    ck_assert_uint_eq(t.cp[1].index, 9);
    ck_assert_uint_eq(t.rec[9].type, ENG_REC_CHECKPOINT);
    ck_assert_uint_eq(t.rec[9].args[0], 9);
    ck_assert_uint_eq(t.rec[9].args[1], t.cp[1].hash);
    for (i = 0; i < 9; i++)                  /* positions 0..8, checkpoint 4 included */
        h = eng_record_hash(&t.rec[i], h);
    ck_assert_uint_eq(t.cp[1].hash, h);
    eng_trace_finish(&t, 555);
    ck_assert_uint_eq(t.cp_len, 3);
    ck_assert_uint_eq(t.cp[2].index, 13);
    ck_assert_uint_eq(t.cp[2].cycle, 555);
    ck_assert_uint_eq(t.count, 14);
    eng_trace_finish(&t, 556);               /* last record is a checkpoint: no-op */
    ck_assert_uint_eq(t.count, 14);
    eng_trace_close(&t);
}
END_TEST

START_TEST(s3_checkpoint_hash_is_hash_before_it)
{
    static const uint64_t a[2] = { 1, 2 };
    eng_trace t;
    uint64_t h = 0;
    uint32_t i;

    ck_assert_int_eq(eng_trace_init(&t, 16, 3), ENG_OK);
    for (i = 0; i < 3; i++)
        eng_trace_add(&t, i, 5, 2, a, "x");
    for (i = 0; i < 3; i++)
        h = eng_record_hash(&t.rec[i], h);
    ck_assert_uint_eq(t.cp[0].hash, h);
    ck_assert_uint_eq(t.rec[3].args[1], h);
    ck_assert_uint_eq(t.hash, eng_record_hash(&t.rec[3], h));   /* checkpoints are hashed */
    eng_trace_close(&t);
}
END_TEST

START_TEST(s3_checkpoint_format)
{
    eng_record r;
    char buf[80], small[8];
    memset(&r, 0, sizeof r);
    r.cycle = 1234;
    r.type = ENG_REC_CHECKPOINT;
    r.nargs = 2;
    r.args[0] = 5;
    r.args[1] = 0xdeadbeefull;
    ck_assert_uint_eq(eng_checkpoint_format(&r, buf, sizeof buf), 53);
    ck_assert_str_eq(buf, "000000001234 CHECKPOINT index=5 hash=00000000deadbeef");
    ck_assert_uint_eq(eng_checkpoint_format(&r, small, sizeof small), 53);
    ck_assert_str_eq(small, "0000000");
    r.type = 1;
    ck_assert_uint_eq(eng_checkpoint_format(&r, buf, sizeof buf), 0);
}
END_TEST

START_TEST(s3_same_run_twice_same_hash)
{
    eng_trace a, b, d;
    ck_assert_int_eq(eng_trace_init(&a, 5000, 64), ENG_OK);
    ck_assert_int_eq(eng_trace_init(&b, 5000, 64), ENG_OK);
    ck_assert_int_eq(eng_trace_init(&d, 5000, 64), ENG_OK);
    mini_run(11, &a, 3000, UINT32_MAX);
    mini_run(11, &b, 3000, UINT32_MAX);
    mini_run(12, &d, 3000, UINT32_MAX);
    ck_assert_uint_eq(a.count, b.count);
    ck_assert_uint_eq(a.hash, b.hash);
    ck_assert_int_eq(eng_checkpoints_diverge(a.cp, a.cp_len, b.cp, b.cp_len), -1);
    ck_assert(memcmp(a.rec, b.rec, a.len * sizeof a.rec[0]) == 0);
    ck_assert_uint_ne(a.hash, d.hash);                 /* another seed, another run */
    ck_assert_int_ge(eng_checkpoints_diverge(a.cp, a.cp_len, d.cp, d.cp_len), 0);
    eng_trace_reset(&b);
    mini_run(11, &b, 3000, UINT32_MAX);
    ck_assert_uint_eq(a.hash, b.hash);
    eng_trace_close(&a);
    eng_trace_close(&b);
    eng_trace_close(&d);
}
END_TEST

/* A changed record changes the hash, and the finder names the window holding it:
** record k sits at position k + k / N in the stream (one checkpoint per N before
** it), and window i covers positions [cp[i-1].index, cp[i].index). */
START_TEST(s3_changed_record_names_its_window)
{
    static const uint32_t pokes[] = { 0, 1, 62, 63, 64, 65, 500, 2047, 2998, 2999 };
    const uint32_t every = 64, n = 3000;
    eng_trace a, b;
    uint32_t k = pokes[_i];
    uint64_t pos = k + k / every;
    long i;

    ck_assert_int_eq(eng_trace_init(&a, 0, every), ENG_OK);
    ck_assert_int_eq(eng_trace_init(&b, 0, every), ENG_OK);
    mini_run(3, &a, n, UINT32_MAX);
    mini_run(3, &b, n, k);
    ck_assert_uint_ne(a.hash, b.hash);
    i = eng_checkpoints_diverge(a.cp, a.cp_len, b.cp, b.cp_len);
    ck_assert_int_ge(i, 0);
    ck_assert_int_lt(i, a.cp_len);
    ck_assert_uint_lt(pos, a.cp[i].index);
    ck_assert_uint_ge(pos, i == 0 ? 0 : a.cp[i - 1].index);
    ck_assert_uint_eq(i, k / every);
    eng_trace_close(&a);
    eng_trace_close(&b);
}
END_TEST

START_TEST(s3_hash_only_mode_matches_stored_mode)
{
    eng_trace s, h;
    ck_assert_int_eq(eng_trace_init(&s, 4000, 50), ENG_OK);
    ck_assert_int_eq(eng_trace_init(&h, 0, 50), ENG_OK);
    ck_assert_ptr_null(h.rec);
    mini_run(21, &s, 2500, UINT32_MAX);
    mini_run(21, &h, 2500, UINT32_MAX);
    ck_assert_uint_eq(s.count, h.count);
    ck_assert_uint_eq(s.hash, h.hash);
    ck_assert_uint_eq(h.len, 0);
    ck_assert_int_eq(h.overflow, 0);
    ck_assert_int_eq(eng_checkpoints_diverge(s.cp, s.cp_len, h.cp, h.cp_len), -1);
    eng_trace_close(&s);
    eng_trace_close(&h);
}
END_TEST

START_TEST(s3_storage_full_still_hashes)
{
    static const uint64_t a[1] = { 3 };
    eng_trace s, big;
    uint32_t i;
    ck_assert_int_eq(eng_trace_init(&s, 10, 0), ENG_OK);
    ck_assert_int_eq(eng_trace_init(&big, 100, 0), ENG_OK);
    for (i = 0; i < 20; i++) {
        int rc = eng_trace_add(&s, i, 1, 1, a, NULL);
        ck_assert_int_eq(rc, i < 10 ? ENG_OK : ENG_EFULL);
        eng_trace_add(&big, i, 1, 1, a, NULL);
    }
    ck_assert_uint_eq(s.len, 10);
    ck_assert_uint_eq(s.count, 20);
    ck_assert_int_eq(s.overflow, 1);
    ck_assert_uint_eq(s.hash, big.hash);
    eng_trace_finish(&s, 20);
    ck_assert_uint_eq(s.cp_len, 1);
    ck_assert_uint_eq(s.cp[0].index, 20);
    eng_trace_close(&s);
    eng_trace_close(&big);
}
END_TEST

START_TEST(s3_checkpoint_list_full_is_counted)
{
    static const uint64_t a[1] = { 3 };
    eng_trace t;
    uint32_t i;
    ck_assert_int_eq(eng_trace_init_cp(&t, 0, 2, 3), ENG_OK);
    for (i = 0; i < 10; i++)
        eng_trace_add(&t, i, 1, 1, a, NULL);
    ck_assert_uint_eq(t.cp_len, 3);
    ck_assert_uint_eq(t.cp_overflow, 2);
    ck_assert_uint_eq(t.count, 15);
    eng_trace_close(&t);
}
END_TEST

START_TEST(s3_diverge_edge_cases)
{
    eng_checkpoint x[3] = { { 4, 10, 1 }, { 9, 20, 2 }, { 14, 30, 3 } };
    eng_checkpoint y[3] = { { 4, 10, 1 }, { 9, 20, 2 }, { 14, 30, 3 } };
    ck_assert_int_eq(eng_checkpoints_diverge(x, 3, y, 3), -1);
    ck_assert_int_eq(eng_checkpoints_diverge(x, 3, y, 2), 2);
    ck_assert_int_eq(eng_checkpoints_diverge(x, 0, y, 2), 0);
    ck_assert_int_eq(eng_checkpoints_diverge(NULL, 0, NULL, 0), -1);
    y[1].cycle = 21;
    ck_assert_int_eq(eng_checkpoints_diverge(x, 3, y, 3), 1);
    y[1].cycle = 20;
    y[0].hash = 7;
    ck_assert_int_eq(eng_checkpoints_diverge(x, 3, y, 3), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_trace");
    TCase *tc = tcase_create("trace");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, s3_encoding_is_little_endian_and_hash_is_xxh64_chain);
    tcase_add_test(tc, s3_add_rejects_bad_records);
    tcase_add_test(tc, s3_checkpoint_every_n_records);
    tcase_add_test(tc, s3_checkpoint_hash_is_hash_before_it);
    tcase_add_test(tc, s3_checkpoint_format);
    tcase_add_test(tc, s3_same_run_twice_same_hash);
    tcase_add_loop_test(tc, s3_changed_record_names_its_window, 0, 10);
    tcase_add_test(tc, s3_hash_only_mode_matches_stored_mode);
    tcase_add_test(tc, s3_storage_full_still_hashes);
    tcase_add_test(tc, s3_checkpoint_list_full_is_counted);
    tcase_add_test(tc, s3_diverge_edge_cases);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
