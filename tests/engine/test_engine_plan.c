/*
** test_engine_plan.c — strategies by name, per-run seeds, choosers from plans and
** the end-of-replay query (engine/plan.c; docs/architecture.md).
*/
#include <check.h>
#include <stdlib.h>

#include "engine.h"

START_TEST(plan_strategy_names_round_trip)
{
    int s = -1;
    for (int i = 0; i < ENG_STRAT_COUNT; i++) {
        ck_assert_int_eq(eng_strategy_parse(eng_strategy_name(i), &s), 0);
        ck_assert_int_eq(s, i);
    }
    ck_assert_int_eq(eng_strategy_parse("sideways", &s), -1);
    ck_assert_int_eq(eng_strategy_parse(NULL, &s), -1);
    ck_assert_str_eq(eng_strategy_name(ENG_STRAT_COUNT), "?");
    ck_assert_str_eq(eng_strategy_name(-1), "?");
}
END_TEST

/* The seed derivation `vmmsim fuzz` has always used: a SplitMix64 step from
** seed ^ run * 0xd6e8feb86659fd93. */
START_TEST(plan_run_seed_is_fuzz_derivation)
{
    for (uint64_t run = 0; run < 100; run++) {
        uint64_t st = 42 ^ (run * 0xd6e8feb86659fd93ull);
        ck_assert_uint_eq(eng_run_seed(42, run), eng_splitmix64(&st));
    }
    ck_assert_uint_ne(eng_run_seed(42, 0), eng_run_seed(42, 1));
    ck_assert_uint_ne(eng_run_seed(42, 0), eng_run_seed(43, 0));
}
END_TEST

/* A plan gives the same decisions as the strategy's own set-up function. */
START_TEST(plan_matches_direct_setup)
{
    eng_chooser a, b;
    uint32_t na, nb;
    ck_assert_int_eq(eng_chooser_init(&a, 64), ENG_OK);
    ck_assert_int_eq(eng_chooser_init(&b, 64), ENG_OK);
    eng_plan p = { .strategy = ENG_STRAT_PCT, .seed = 9, .depth = 3, .steps = 40 };
    eng_chooser_plan(&a, &p);
    eng_chooser_pct(&b, 9, 3, 40);
    for (uint32_t i = 0; i < 40; i++)
        ck_assert_uint_eq(eng_choose(&a, ENG_CHOICE_READY_VM, 2 + i % 5),
                          eng_choose(&b, ENG_CHOICE_READY_VM, 2 + i % 5));
    p = (eng_plan){ .strategy = ENG_STRAT_RANDOM, .seed = 5 };
    eng_chooser_plan(&a, &p);
    eng_chooser_random(&b, 5);
    for (uint32_t i = 0; i < 20; i++)
        ck_assert_uint_eq(eng_choose(&a, ENG_CHOICE_JITTER, 7), eng_choose(&b, ENG_CHOICE_JITTER, 7));
    const eng_decision *la = eng_chooser_log(&a, &na), *lb = eng_chooser_log(&b, &nb);
    ck_assert_uint_eq(na, 20);
    ck_assert_uint_eq(nb, 20);
    for (uint32_t i = 0; i < na; i++) ck_assert_uint_eq(la[i].chosen, lb[i].chosen);
    eng_chooser_close(&a);
    eng_chooser_close(&b);
}
END_TEST

START_TEST(plan_replay_done_and_drop)
{
    eng_chooser c;
    const eng_decision list[2] = { { ENG_CHOICE_JITTER, 4, 3 }, { ENG_CHOICE_READY_VM, 2, 1 } };
    uint32_t n;
    ck_assert_int_eq(eng_chooser_init(&c, 8), ENG_OK);
    ck_assert_int_eq(eng_chooser_replay_done(&c), 0);           /* canonical */
    eng_plan p = { .strategy = ENG_STRAT_DFS, .list = list, .n = 2 };
    eng_chooser_plan(&c, &p);
    ck_assert_int_eq(eng_chooser_replay_done(&c), 0);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 4), 3);
    ck_assert_int_eq(eng_chooser_replay_done(&c), 0);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 2), 1);   /* kind differs */
    ck_assert_int_eq(eng_chooser_replay_done(&c), 1);
    ck_assert_uint_eq(eng_chooser_mismatches(&c), 1);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 3), 0);   /* past the end */
    eng_chooser_replay_drop(&c);
    eng_chooser_log(&c, &n);
    ck_assert_uint_eq(n, 3);                                      /* the log stays */
    ck_assert_uint_eq(eng_chooser_overflow(&c), 0);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_JITTER, 3), 0);
    eng_chooser_close(&c);
}
END_TEST

/* A dfs plan's advisor answers past the replayed list (not within it); its answer is
** logged like any decision; a plain replay set up afterwards has no advisor. */
typedef struct adv_rec { uint32_t calls, last_kind, last_n; } adv_rec;

static uint32_t adv_last(void *ud, uint32_t kind, uint32_t n)
{
    adv_rec *r = ud;
    r->calls++;
    r->last_kind = kind;
    r->last_n = n;
    return n - 1;
}

START_TEST(plan_dfs_advisor_past_the_list)
{
    eng_chooser c;
    adv_rec r = { 0, 0, 0 };
    const eng_decision list[2] = { { ENG_CHOICE_SAME_CYCLE, 3, 1 }, { ENG_CHOICE_READY_VM, 2, 0 } };
    eng_plan p = { .strategy = ENG_STRAT_DFS, .list = list, .n = 2, .advise = adv_last, .advise_ud = &r };
    ck_assert_int_eq(eng_chooser_init(&c, 16), ENG_OK);
    eng_chooser_plan(&c, &p);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_SAME_CYCLE, 3), 1);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_READY_VM, 2), 0);
    ck_assert_uint_eq(r.calls, 0);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_WINDOW, 2), 1);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_PENDING_EVENT, 5), 4);
    ck_assert_uint_eq(r.calls, 2);
    ck_assert_uint_eq(r.last_kind, ENG_CHOICE_PENDING_EVENT);
    ck_assert_uint_eq(r.last_n, 5);
    uint32_t n;
    const eng_decision *log = eng_chooser_log(&c, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(log[3].chosen, 4);
    eng_chooser_replay(&c, list, 2);   /* a replay: canonical past the list */
    eng_choose(&c, ENG_CHOICE_SAME_CYCLE, 3);
    eng_choose(&c, ENG_CHOICE_READY_VM, 2);
    ck_assert_uint_eq(eng_choose(&c, ENG_CHOICE_WINDOW, 2), 0);
    ck_assert_uint_eq(r.calls, 2);
    eng_chooser_close(&c);
}
END_TEST

int main(void)
{
Suite *s = suite_create("engine_plan");
    TCase *tc = tcase_create("plan");
    SRunner *sr;
    int failed;
    tcase_add_test(tc, plan_strategy_names_round_trip);
    tcase_add_test(tc, plan_run_seed_is_fuzz_derivation);
    tcase_add_test(tc, plan_matches_direct_setup);
    tcase_add_test(tc, plan_replay_done_and_drop);
    tcase_add_test(tc, plan_dfs_advisor_past_the_list);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
