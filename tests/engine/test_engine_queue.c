/*
** test_engine_queue.c — the event queue against engine/engine.h: total key
** (cycle, cls, seq), FIFO among equal (cycle, cls), fixed capacity, cancel, EPAST.
** The randomised test compares every pop with a naive sorted reference.
*/
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

static eng_queue *qnew(uint32_t cap)
{
    eng_queue *q = malloc(eng_queue_size());
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(eng_queue_init(q, cap), ENG_OK);
    return q;
}

static void qfree(eng_queue *q)
{
    eng_queue_close(q);
    free(q);
}

static uint64_t push(eng_queue *q, uint64_t cycle, uint32_t cls, uint64_t a)
{
    uint64_t seq = UINT64_MAX;
    ck_assert_int_eq(eng_queue_push(q, cycle, cls, 7, a, ~a, &seq), ENG_OK);
    return seq;
}

static eng_event pop(eng_queue *q)
{
    eng_event e, p;
    ck_assert_int_eq(eng_queue_peek(q, &p), ENG_OK);
    ck_assert_int_eq(eng_queue_pop(q, &e), ENG_OK);
    ck_assert(memcmp(&e, &p, sizeof e) == 0);
    ck_assert_uint_eq(e.b, ~e.a);   /* payload travels with the event */
    return e;
}

START_TEST(s3_fifo_among_ties)
{
    eng_queue *q = qnew(4096);
    uint64_t i, seqs[1000];
    /* 1000 events at one (cycle, cls), interleaved with other cycles and classes. */
    for (i = 0; i < 1000; i++) {
        seqs[i] = push(q, 500, 1, i);
        push(q, 500 + 1 + i % 7, 1, 10000 + i);
        push(q, 500, 2, 20000 + i);
    }
    for (i = 0; i < 1000; i++) {
        eng_event e = pop(q);
        ck_assert_uint_eq(e.cycle, 500);
        ck_assert_uint_eq(e.cls, 1);
        ck_assert_uint_eq(e.seq, seqs[i]);
        ck_assert_uint_eq(e.a, i);
    }
    for (i = 0; i < 1000; i++) {
        eng_event e = pop(q);
        ck_assert_uint_eq(e.cls, 2);
        ck_assert_uint_eq(e.a, 20000 + i);
    }
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    qfree(q);
}
END_TEST

START_TEST(s3_fifo_among_ties_beyond_wheel)
{
    /* Far events wait in the overflow heap and migrate into the wheel later;
    ** later pushes to the same cycle must still come after them. */
    eng_queue *q = qnew(64);
    uint64_t far = 10000000, i;
    for (i = 0; i < 20; i++)
        push(q, far, 3, i);
    push(q, far - 10, 0, 100);
    ck_assert_uint_eq(pop(q).a, 100);           /* now = far - 10: far is in the window */
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    for (i = 20; i < 30; i++)
        push(q, far, 3, i);
    push(q, far, 2, 99);
    ck_assert_uint_eq(pop(q).a, 99);            /* lower class first */
    for (i = 0; i < 30; i++)
        ck_assert_uint_eq(pop(q).a, i);
    ck_assert_uint_eq(eng_queue_count(q), 0);
    qfree(q);
}
END_TEST

START_TEST(s3_order_through_coarse_wheel)
{
    /* Capacity 64: W = 512-cycle blocks, so cycle 100000 starts in the coarse
    ** wheel (an unsorted block list) and reaches the fine wheel by cascade. */
    eng_queue *q = qnew(64);
    eng_event e;
    uint64_t i;
    push(q, 100005, 0, 1);
    push(q, 100001, 5, 2);
    push(q, 100001, 1, 3);
    for (i = 0; i < 5; i++)
        push(q, 100001, 1, 10 + i);
    ck_assert_int_eq(eng_queue_peek(q, &e), ENG_OK);   /* fine wheel empty: scan */
    ck_assert_uint_eq(e.a, 3);
    ck_assert_uint_eq(pop(q).a, 3);                    /* cascade on pop */
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    push(q, 100001, 1, 20);                            /* after the cascaded ones */
    push(q, 100001, 0, 21);
    ck_assert_uint_eq(pop(q).a, 21);
    for (i = 0; i < 5; i++)
        ck_assert_uint_eq(pop(q).a, 10 + i);
    ck_assert_uint_eq(pop(q).a, 20);
    ck_assert_uint_eq(pop(q).a, 2);
    ck_assert_uint_eq(pop(q).a, 1);
    /* A block entering the fine range while other events are due first. */
    push(q, 100100, 0, 30);
    push(q, 300000, 2, 31);
    push(q, 300000, 1, 32);
    push(q, 299000, 0, 33);
    ck_assert_uint_eq(pop(q).a, 30);
    ck_assert_uint_eq(pop(q).a, 33);                   /* frontier passes 300000 */
    push(q, 300000, 1, 34);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_eq(pop(q).a, 32);
    ck_assert_uint_eq(pop(q).a, 34);
    ck_assert_uint_eq(pop(q).a, 31);
    ck_assert_uint_eq(eng_queue_count(q), 0);
    qfree(q);
}
END_TEST

START_TEST(s3_classes_order_one_cycle)
{
    eng_queue *q = qnew(16);
    push(q, 10, 5, 1);
    push(q, 10, 1, 2);
    push(q, 10, 3, 3);
    push(q, 10, 1, 4);
    push(q, 9, 9, 5);
    push(q, 10, 0, 6);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_eq(pop(q).a, 5);
    ck_assert_uint_eq(pop(q).a, 6);
    ck_assert_uint_eq(pop(q).a, 2);
    ck_assert_uint_eq(pop(q).a, 4);
    ck_assert_uint_eq(pop(q).a, 3);
    ck_assert_uint_eq(pop(q).a, 1);
    qfree(q);
}
END_TEST

/* ---- randomised cross-check against a naive reference ------------------ */

typedef struct ref { eng_event ev[2048]; uint32_t n; } ref;

static int key_less(const eng_event *x, const eng_event *y)
{
    if (x->cycle != y->cycle) return x->cycle < y->cycle;
    if (x->cls != y->cls) return x->cls < y->cls;
    return x->seq < y->seq;
}

static uint32_t ref_min(const ref *r)
{
    uint32_t i, m = 0;
    for (i = 1; i < r->n; i++)
        if (key_less(&r->ev[i], &r->ev[m]))
            m = i;
    return m;
}

static void ref_del(ref *r, uint32_t i) { r->ev[i] = r->ev[--r->n]; }

/* Offsets from now: ties (0), near, the edges of blocks and of the fine wheel
** (W = 512 or 4096 cycles for the capacities used here), the coarse range (4096
** blocks) and beyond it, where the overflow heap takes over. */
static uint64_t pick_offset(eng_rng *g)
{
    static const uint64_t edge[] = { 511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097,
                                     8191, 8192, 8193, 2097151, 2097152, 2097153,
                                     16777215, 16777216, 16777217 };
    switch (eng_rng_below(g, 7)) {
    case 0: return 0;
    case 1: return eng_rng_below(g, 4);
    case 2: return eng_rng_below(g, 300);
    case 3: return edge[eng_rng_below(g, sizeof edge / sizeof edge[0])];
    case 4: return eng_rng_below(g, 200000);
    case 5: return (uint64_t)eng_rng_below(g, 4) * 1000000 + eng_rng_below(g, 3);
    default: return (uint64_t)eng_rng_below(g, 4) * 20000000;
    }
}

/* push_bias: out of 10 draws, how many push (5 in steady runs); 0 means "swing":
** push-heavy until 700 pending, then pop-heavy until 60, so the count crosses both
** bounds of queue_int.h (tiers above 320, heap above 144, sorted below 160 and 64)
** again and again. */
static void random_run_biased(uint64_t seed, uint32_t cap, uint32_t ops, uint32_t push_bias)
{
    eng_queue *q = qnew(cap);
    ref *r = calloc(1, sizeof *r);
    eng_rng g;
    uint32_t i, pops = 0, rising = 1;

    ck_assert_uint_le(cap, 2048);
    eng_rng_seed(&g, seed);
    for (i = 0; i < ops; i++) {
        uint32_t op = eng_rng_below(&g, 10), bias = push_bias;
        if (bias == 0) {
            if (r->n >= 700) rising = 0;
            if (r->n <= 60) rising = 1;
            bias = rising ? 8 : 2;
        }
        /* map the draw so that `bias` of 10 push, the rest pop/cancel as 4:1 */
        op = op < bias ? 0 : (op - bias) * 5 < (10 - bias) * 4 ? 5 : 9;
        if (op < 5) {                       /* push */
            uint64_t c = eng_queue_now(q) + pick_offset(&g), seq;
            uint32_t cls = eng_rng_below(&g, 3);
            int rc = eng_queue_push(q, c, cls, op, i, ~(uint64_t)i, &seq);
            if (r->n == cap) {
                ck_assert_int_eq(rc, ENG_EFULL);
            } else {
                eng_event *e = &r->ev[r->n++];
                ck_assert_int_eq(rc, ENG_OK);
                e->cycle = c; e->cls = cls; e->kind = op; e->seq = seq;
                e->a = i; e->b = ~(uint64_t)i;
            }
        } else if (op < 9) {                /* pop */
            eng_event e;
            int rc = eng_queue_pop(q, &e);
            if (r->n == 0) {
                ck_assert_int_eq(rc, ENG_EEMPTY);
            } else {
                uint32_t m = ref_min(r);
                ck_assert_int_eq(rc, ENG_OK);
                ck_assert_msg(memcmp(&e, &r->ev[m], sizeof e) == 0,
                              "seed %llu op %u: popped seq %llu, expected seq %llu",
                              (unsigned long long)seed, i, (unsigned long long)e.seq,
                              (unsigned long long)r->ev[m].seq);
                ref_del(r, m);
                pops++;
            }
        } else if (r->n > 0) {              /* cancel a pending event */
            uint32_t k = eng_rng_below(&g, r->n);
            ck_assert_int_eq(eng_queue_cancel(q, r->ev[k].seq), ENG_OK);
            ck_assert_int_eq(eng_queue_cancel(q, r->ev[k].seq), ENG_ENOENT);
            ref_del(r, k);
        }
        ck_assert_uint_eq(eng_queue_count(q), r->n);
        if (i % 401 == 0)
            ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    }
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_gt(pops, ops / 8);    /* the run really popped */
    free(r);
    qfree(q);
}

static void random_run(uint64_t seed, uint32_t cap, uint32_t ops)
{
    random_run_biased(seed, cap, ops, 5);
}

/* One test per capacity, 40 seeds each; failures name the seed. */
START_TEST(s3_total_order_random_vs_reference)
{
    static const uint32_t caps[] = { 1, 7, 64, 300, 512 };
    uint64_t seed;
    for (seed = 0; seed < 40; seed++)
        random_run(1000 + 40 * (uint64_t)_i + seed, caps[_i], 4000);
}
END_TEST

/* The queue's two modes (small heap, tiers) must be invisible: the same pops as the
** reference while the count swings across both mode bounds, cancels included. */
START_TEST(s3_order_across_mode_switches)
{
    uint64_t seed;
    for (seed = 0; seed < 6; seed++)
        random_run_biased(7000 + seed, 2048, 20000, 0);
}
END_TEST

/* Reset is O(slots used), and leaves a queue as good as new after the tiered mode. */
START_TEST(s3_reset_after_tiered_mode)
{
    eng_queue *q = qnew(4096);
    uint32_t i;
    for (i = 0; i < 1000; i++)
        push(q, 10 + (uint64_t)i * 977 % 5000000, 0, i);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    eng_queue_reset(q);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_eq(eng_queue_count(q), 0);
    push(q, 7, 0, 1);
    push(q, 3, 0, 2);
    ck_assert_uint_eq(pop(q).a, 2);
    ck_assert_uint_eq(pop(q).a, 1);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_int_eq(eng_queue_push(q, 9, 0x10000, 0, 0, 0, NULL), ENG_EINVAL);
    qfree(q);
}
END_TEST

START_TEST(s3_capacity_full_loses_nothing)
{
    eng_queue *q = qnew(100);
    uint64_t i, seq = 12345;
    uint8_t seen[100];
    for (i = 0; i < 100; i++)
        push(q, (i * 7919) % 5000000, (uint32_t)(i % 3), i);
    ck_assert_int_eq(eng_queue_push(q, 1, 0, 0, 0, 0, &seq), ENG_EFULL);
    ck_assert_uint_eq(seq, 12345);           /* untouched on failure */
    ck_assert_uint_eq(eng_queue_count(q), 100);
    ck_assert_uint_eq(eng_queue_capacity(q), 100);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < 100; i++) {
        eng_event e = pop(q);
        ck_assert_uint_lt(e.a, 100);
        ck_assert_uint_eq(seen[e.a], 0);
        seen[e.a] = 1;
    }
    ck_assert_int_eq(eng_queue_pop(q, &(eng_event){0}), ENG_EEMPTY);
    /* The failed push consumed no seq: numbering continues at 100. */
    ck_assert_uint_eq(push(q, eng_queue_now(q), 0, 0), 100);
    qfree(q);
}
END_TEST

START_TEST(s3_cancel)
{
    eng_queue *q = qnew(32);
    uint64_t s_head = push(q, 10, 0, 1);
    uint64_t s_mid = push(q, 10, 0, 2);
    uint64_t s_tail = push(q, 10, 0, 3);
    uint64_t s_far = push(q, 50000000, 0, 4);   /* in the overflow heap */
    uint64_t s_far2 = push(q, 60000000, 0, 5);
    uint64_t s_near = push(q, 11, 0, 6);

    ck_assert_int_eq(eng_queue_cancel(q, s_mid), ENG_OK);
    ck_assert_int_eq(eng_queue_cancel(q, s_mid), ENG_ENOENT);
    ck_assert_int_eq(eng_queue_cancel(q, s_far), ENG_OK);
    ck_assert_int_eq(eng_queue_cancel(q, 999), ENG_ENOENT);
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_eq(pop(q).seq, s_head);
    ck_assert_int_eq(eng_queue_cancel(q, s_head), ENG_ENOENT);   /* already popped */
    ck_assert_int_eq(eng_queue_cancel(q, s_tail), ENG_OK);       /* empties the min bucket */
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    ck_assert_uint_eq(pop(q).seq, s_near);
    ck_assert_uint_eq(pop(q).seq, s_far2);
    ck_assert_uint_eq(eng_queue_count(q), 0);
    qfree(q);
}
END_TEST

START_TEST(s3_epast)
{
    eng_queue *q = qnew(8);
    push(q, 100, 0, 0);
    push(q, 200, 0, 1);
    ck_assert_uint_eq(pop(q).cycle, 100);
    ck_assert_uint_eq(eng_queue_now(q), 100);
    ck_assert_int_eq(eng_queue_push(q, 99, 0, 0, 0, 0, NULL), ENG_EPAST);
    ck_assert_int_eq(eng_queue_push(q, 0, 0, 0, 0, 0, NULL), ENG_EPAST);
    ck_assert_uint_eq(eng_queue_count(q), 1);
    ck_assert_int_eq(eng_queue_push(q, 100, 0, 0, 2, ~(uint64_t)2, NULL), ENG_OK); /* now itself is fine */
    ck_assert_uint_eq(pop(q).a, 2);
    ck_assert_str_eq(eng_strerror(ENG_EPAST), "event scheduled before the queue's current cycle");
    qfree(q);
}
END_TEST

START_TEST(s3_reset_and_limits)
{
    eng_queue *q = malloc(eng_queue_size());
    eng_event e;
    ck_assert_int_eq(eng_queue_init(q, 0), ENG_EINVAL);
    ck_assert_int_eq(eng_queue_init(q, 4), ENG_OK);
    push(q, 5, 0, 0);
    push(q, 1u << 30, 0, 1);
    (void)pop(q);
    eng_queue_reset(q);
    ck_assert_uint_eq(eng_queue_count(q), 0);
    ck_assert_uint_eq(eng_queue_now(q), 0);
    ck_assert_int_eq(eng_queue_peek(q, &e), ENG_EEMPTY);
    ck_assert_uint_eq(push(q, 0, 0, 0), 0);     /* seq restarts */
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    /* Cycles near the top of the range: no wrap-around in window arithmetic. */
    push(q, UINT64_MAX, 0, 3);
    push(q, UINT64_MAX - 70000, 0, 2);
    ck_assert_uint_eq(pop(q).a, 0);
    ck_assert_uint_eq(pop(q).a, 2);
    ck_assert_uint_eq(pop(q).a, 3);
    ck_assert_int_eq(eng_queue_push(q, UINT64_MAX, 0, 0, 4, ~(uint64_t)4, NULL), ENG_OK);
    ck_assert_uint_eq(pop(q).a, 4);
    qfree(q);
}
END_TEST

/* A long hold run with many ties keeps the structure valid across wheel wraps. */
START_TEST(s3_hold_wraps_wheel)
{
    eng_queue *q = qnew(2000);
    eng_rng g;
    uint64_t prev_cycle = 0, prev_seq = 0;
    uint32_t i;
    eng_rng_seed(&g, 7);
    for (i = 0; i < 2000; i++)
        push(q, eng_rng_below(&g, 5000), 0, i);
    for (i = 0; i < 200000; i++) {
        static const uint64_t inc[] = { 0, 1, 10, 100, 1000, 30000, 70000, 2000000 };
        eng_event e = pop(q);
        ck_assert(e.cycle > prev_cycle || (e.cycle == prev_cycle && e.seq > prev_seq) || i == 0);
        prev_cycle = e.cycle;
        prev_seq = e.seq;
        push(q, e.cycle + inc[eng_rng_below(&g, 8)], 0, i);
        if (i % 20000 == 0)
            ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    }
    ck_assert_int_eq(eng_queue_check(q), ENG_OK);
    qfree(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_queue");
    TCase *tc = tcase_create("queue");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, s3_fifo_among_ties);
    tcase_add_test(tc, s3_fifo_among_ties_beyond_wheel);
    tcase_add_test(tc, s3_order_through_coarse_wheel);
    tcase_add_test(tc, s3_classes_order_one_cycle);
    tcase_add_loop_test(tc, s3_total_order_random_vs_reference, 0, 5);
    tcase_add_test(tc, s3_order_across_mode_switches);
    tcase_add_test(tc, s3_reset_after_tiered_mode);
    tcase_add_test(tc, s3_capacity_full_loses_nothing);
    tcase_add_test(tc, s3_cancel);
    tcase_add_test(tc, s3_epast);
    tcase_add_test(tc, s3_reset_and_limits);
    tcase_add_test(tc, s3_hold_wraps_wheel);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
