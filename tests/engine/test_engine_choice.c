/*
** test_engine_choice.c — the PRNG against published reference outputs, and the
** choice points of docs/fuzzing.md: canonical, random(seed), replay(list), logging.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

/* SplitMix64 from seed 1234567: the published sequence of the reference
** splitmix64.c (also Rosetta Code's "Pseudo-random numbers/Splitmix64"). */
START_TEST(rng_splitmix64_reference)
{
    static const uint64_t want[] = {
        6457827717110365317ull, 3203168211198807973ull, 9817491932198370423ull,
        4593380528125082431ull, 16408922859458223821ull };
    uint64_t x = 1234567, z = 0;
    unsigned i;
    for (i = 0; i < 5; i++)
        ck_assert_uint_eq(eng_splitmix64(&x), want[i]);
    ck_assert_uint_eq(eng_splitmix64(&z), 0xe220a8397b1dcdafull);
}
END_TEST

/* xoshiro256** from state {1, 2, 3, 4}: the outputs of the reference
** xoshiro256starstar.c, as published with Rust's rand_xoshiro. */
START_TEST(rng_xoshiro256ss_reference)
{
    static const uint64_t want[] = {
        11520ull, 0ull, 1509978240ull, 1215971899390074240ull, 1216172134540287360ull,
        607988272756665600ull, 16172922978634559625ull, 8476171486693032832ull,
        10595114339597558777ull, 2904607092377533576ull };
    eng_rng r = { { 1, 2, 3, 4 } };
    unsigned i;
    for (i = 0; i < 10; i++)
        ck_assert_uint_eq(eng_rng_next(&r), want[i]);
}
END_TEST

START_TEST(rng_seed_is_splitmix_state)
{
    eng_rng r;
    uint64_t x = 42;
    unsigned i;
    eng_rng_seed(&r, 42);
    for (i = 0; i < 4; i++)
        ck_assert_uint_eq(r.s[i], eng_splitmix64(&x));
}
END_TEST

/* Unbiased: with n = 3 * 2^30, reducing a 32-bit draw modulo n would give the
** values below 2^30 half of all draws instead of a third. */
START_TEST(rng_below_unbiased)
{
    eng_rng r;
    uint32_t i, low = 0, n = 3u << 30, hist[7] = { 0 };
    eng_rng_seed(&r, 99);
    for (i = 0; i < 300000; i++) {
        uint32_t v = eng_rng_below(&r, n);
        ck_assert_uint_lt(v, n);
        low += v < (1u << 30);
    }
    ck_assert_uint_gt(low, 97000);
    ck_assert_uint_lt(low, 103000);
    for (i = 0; i < 70000; i++)
        hist[eng_rng_below(&r, 7)]++;
    for (i = 0; i < 7; i++) {
        ck_assert_uint_gt(hist[i], 9400);
        ck_assert_uint_lt(hist[i], 10600);
    }
    ck_assert_uint_eq(eng_rng_below(&r, 1), 0);
    ck_assert_uint_lt(eng_rng_below(&r, UINT32_MAX), UINT32_MAX);
}
END_TEST

/* ---- choosers ----------------------------------------------------------- */

START_TEST(s4_canonical_always_zero_and_logged)
{
    eng_chooser c;
    uint32_t i;
    ck_assert_int_eq(eng_chooser_init(&c, 16), ENG_OK);
    ck_assert_int_eq(c.strategy, ENG_STRAT_CANONICAL);
    for (i = 0; i < 10; i++)
        ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_READY_VM, 2 + i), 0);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 1), 0);   /* not a choice */
    ck_assert_uint_eq(c.log_len, 10);
    ck_assert_uint_eq(c.log[3].kind, ENG_CHOICE_READY_VM);
    ck_assert_uint_eq(c.log[3].n, 5);
    ck_assert_uint_eq(c.log[3].chosen, 0);
    eng_chooser_close(&c);
}
END_TEST

static void random_decisions(uint64_t seed, eng_decision *out, uint32_t n)
{
    eng_chooser c;
    uint32_t i;
    ck_assert_int_eq(eng_chooser_init(&c, n), ENG_OK);
    eng_chooser_random(&c, seed);
    for (i = 0; i < n; i++) {
        uint32_t k = 1 + i % (ENG_CHOICE_KIND_COUNT - 1), opts = 2 + i % 9;
        uint32_t ch = eng_choose(&c, k, opts);
        ck_assert_uint_lt(ch, opts);
        ck_assert_uint_eq(c.log[i].chosen, ch);
    }
    ck_assert_uint_eq(c.log_len, n);
    memcpy(out, c.log, n * sizeof *out);
    eng_chooser_close(&c);
}

START_TEST(s4_same_seed_same_decisions_different_seed_different)
{
    eng_decision a[200], b[200], d[200];
    random_decisions(5, a, 200);
    random_decisions(5, b, 200);
    random_decisions(6, d, 200);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert(memcmp(a, d, sizeof a) != 0);
}
END_TEST

START_TEST(s4_recorded_decisions_replay_exactly)
{
    eng_decision rec[300];
    eng_chooser c;
    uint32_t i;
    random_decisions(77, rec, 300);
    ck_assert_int_eq(eng_chooser_init(&c, 300), ENG_OK);
    eng_chooser_replay(&c, rec, 300);
    for (i = 0; i < 300; i++)
        ck_assert_uint_eq(eng_choose(&c, rec[i].kind, rec[i].n), rec[i].chosen);
    ck_assert_uint_eq(c.replay_mismatches, 0);
    ck_assert_uint_eq(c.log_len, 300);
    ck_assert(memcmp(c.log, rec, sizeof rec) == 0);     /* the replay's own log matches */
    eng_chooser_close(&c);
}
END_TEST

START_TEST(s4_replay_past_end_continues_canonically)
{
    static const eng_decision list[3] = {
        { ENG_CHOICE_SAME_CYCLE, 3, 2 }, { ENG_CHOICE_READY_VM, 4, 3 }, { ENG_CHOICE_JITTER, 5, 1 } };
    eng_chooser c;
    uint32_t i;
    ck_assert_int_eq(eng_chooser_init(&c, 8), ENG_OK);
    eng_chooser_replay(&c, list, 3);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_SAME_CYCLE, 3), 2);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_READY_VM, 4), 3);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 5), 1);
    for (i = 0; i < 5; i++)
        ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_SAME_CYCLE, 9), 0);
    ck_assert_uint_eq(c.log_len, 8);
    ck_assert_uint_eq(c.log[7].n, 9);
    ck_assert_uint_eq(c.log[7].chosen, 0);
    ck_assert_uint_eq(c.replay_mismatches, 0);
    eng_chooser_close(&c);
}
END_TEST

START_TEST(s4_replay_mismatch_and_out_of_range)
{
    static const eng_decision list[2] = {
        { ENG_CHOICE_SAME_CYCLE, 3, 2 }, { ENG_CHOICE_READY_VM, 9, 7 } };
    eng_chooser c;
    ck_assert_int_eq(eng_chooser_init(&c, 0), ENG_OK);   /* no log at all */
    eng_chooser_replay(&c, list, 2);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_PENDING_EVENT, 3), 2);  /* kind differs */
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_READY_VM, 4), 0);       /* 7 >= 4 */
    ck_assert_uint_eq(c.replay_mismatches, 2);
    ck_assert_uint_eq(c.log_overflow, 2);
    ck_assert_uint_eq(c.log_len, 0);
    eng_chooser_close(&c);
}
END_TEST

START_TEST(s4_rewind_repeats_the_run)
{
    eng_chooser c;
    uint32_t first[50], i;
    ck_assert_int_eq(eng_chooser_init(&c, 64), ENG_OK);
    eng_chooser_random(&c, 1234);
    for (i = 0; i < 50; i++)
        first[i] = eng_choose(&c, ENG_CHOICE_CRIT_WAITER, 1000);
    eng_chooser_rewind(&c);
    ck_assert_uint_eq(c.log_len, 0);
    ck_assert_int_eq(c.strategy, ENG_STRAT_RANDOM);
    for (i = 0; i < 50; i++)
        ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_CRIT_WAITER, 1000), first[i]);
    eng_chooser_canonical(&c);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_CRIT_WAITER, 1000), 0);
    eng_chooser_close(&c);
}
END_TEST

START_TEST(names)
{
    uint32_t k;
    int e;
    for (k = 1; k < ENG_CHOICE_KIND_COUNT; k++)
        ck_assert_str_ne(eng_choice_kind_name(k), "unknown");
    ck_assert_str_eq(eng_choice_kind_name(ENG_CHOICE_SAME_CYCLE), "same-cycle");
    ck_assert_str_eq(eng_choice_kind_name(0), "unknown");
    ck_assert_str_eq(eng_choice_kind_name(ENG_CHOICE_KIND_COUNT), "unknown");
    for (e = ENG_EPAST; e < ENG_OK; e++)
        ck_assert_str_ne(eng_strerror(e), eng_strerror(e + 1));
    ck_assert_str_eq(eng_strerror(-100), "unknown engine error");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_choice");
    TCase *rng = tcase_create("rng"), *ch = tcase_create("choice");
    SRunner *sr;
    int failed;

    tcase_add_test(rng, rng_splitmix64_reference);
    tcase_add_test(rng, rng_xoshiro256ss_reference);
    tcase_add_test(rng, rng_seed_is_splitmix_state);
    tcase_add_test(rng, rng_below_unbiased);
    tcase_add_test(ch, s4_canonical_always_zero_and_logged);
    tcase_add_test(ch, s4_same_seed_same_decisions_different_seed_different);
    tcase_add_test(ch, s4_recorded_decisions_replay_exactly);
    tcase_add_test(ch, s4_replay_past_end_continues_canonically);
    tcase_add_test(ch, s4_replay_mismatch_and_out_of_range);
    tcase_add_test(ch, s4_rewind_repeats_the_run);
    tcase_add_test(ch, names);
    suite_add_tcase(s, rng);
    suite_add_tcase(s, ch);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
