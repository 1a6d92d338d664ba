/* test_crit.c — the critical section (CS-1 … CS-7) and execution priority (PRI-1). */
#include <string.h>

#include "test_vmm.h"

/* CS-2, CS-3 (and PRI-1 out of a critical-section owner): dos2 blocks on the section
** dos1 owns, and gets it, with its claim count, when dos1 ends it. */
START_TEST(cs2_cs3_block_and_grant) {
    tf t;
    tf_init(&t, "crit", 3);
    tf_stim(&t, 5000, VMM_STIM_CALL, 2, "note2", 0);
    tf_stim(&t, 10000, VMM_STIM_BEGIN_CRIT, 1, NULL, 0);
    tf_stim(&t, 15000, VMM_STIM_CALL, 2, "take", 0);
    tf_stim(&t, 20000, VMM_STIM_CALL, 1, "boost2", 0);
    tf_stim(&t, 60000, VMM_STIM_END_CRIT, 1, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "got_it_at_boost"), 0);
    ck_assert_uint_eq(tf_u32(&t, "got_it"), 1);
    ck_assert_uint_eq(tf_u32(&t, "take_owner"), tf_handle(&t, 2));
    ck_assert_uint_eq(tf_u32(&t, "take_count"), 1);
    long blk = tf_line(&t, "CRIT op=block vm=dos2 owner=dos1 count=1", 0);
    long rel = tf_line(&t, "CRIT op=release vm=dos1 owner=none count=0", 0);
    long grant = tf_line(&t, "CRIT op=grant vm=dos2 owner=dos2 count=1", 0);
    long sw = tf_line(&t, "TASK_SWITCH old=dos1 new=dos2", 1);
    ck_assert(blk >= 0 && rel > blk && grant > rel && sw > grant);
    ck_assert_int_eq(tf_count(&t, "PRIORITY vm=dos2 reason=crit"), 2);   /* CS-1/CS-3 boost on and off */
    tf_free(&t);
}
END_TEST

static void cs3_two_waiters(tf *t) {
    tf_init(t, "crit", 4);
    tf_stim(t, 5000, VMM_STIM_CALL, 2, "note2", 0);
    tf_stim(t, 6000, VMM_STIM_CALL, 3, "note3", 0);
    tf_stim(t, 10000, VMM_STIM_BEGIN_CRIT, 1, NULL, 0);
    tf_stim(t, 15000, VMM_STIM_CALL, 2, "take", 0);
    tf_stim(t, 15000, VMM_STIM_CALL, 3, "take", 0);
    tf_stim(t, 20000, VMM_STIM_CALL, 1, "boost23", 0);
    tf_stim(t, 60000, VMM_STIM_END_CRIT, 1, NULL, 0);
}

/* CS-3: waiters of equal priority are a crit-waiter choice; canonically the first to
** block gets the section; the other answer gives it to the second. */
START_TEST(cs3_equal_waiters_choice) {
    tf t;
    cs3_two_waiters(&t);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t log[2];
    ck_assert_uint_eq(tf_u32(&t, "ntake"), 2);
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "take_log"), log, 8), VMM_OK);
    ck_assert_uint_eq(log[0], tf_handle(&t, 2));
    ck_assert_uint_eq(log[1], tf_handle(&t, 3));
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=crit-waiter n=2 chosen=0"), 1);
    long g = tf_line(&t, "CRIT op=grant vm=dos2", 0);
    ck_assert(g > tf_line(&t, "CHOICE kind=crit-waiter", 0));
    /* replay the run with the crit-waiter decision flipped */
    eng_chooser *c = vmm_chooser(t.v);
    eng_decision d[16];
    uint32_t n, flipped = 0;
    const eng_decision *logged = eng_chooser_log(c, &n);
    ck_assert_uint_le(n, 16);
    memcpy(d, logged, n * sizeof d[0]);
    for (uint32_t i = 0; i < n; i++)
        if (d[i].kind == ENG_CHOICE_CRIT_WAITER) { d[i].chosen = 1; flipped++; }
    ck_assert_uint_eq(flipped, 1);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    eng_chooser_replay(c, d, n);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "take_log"), log, 8), VMM_OK);
    ck_assert_uint_eq(log[0], tf_handle(&t, 3));
    ck_assert_uint_eq(log[1], tf_handle(&t, 2));
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=crit-waiter n=2 chosen=1"), 1);
    tf_free(&t);
}
END_TEST

/* CS-4: Claim/Release act as that many Begins/Ends; a count of 0 does nothing. */
START_TEST(cs4_claim_release_counts) {
    tf t;
    tf_init(&t, "crit", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cs4", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t c[5], want[5] = { 3, 3, 3, 1, 0 };
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "cs4_c"), c, sizeof c), VMM_OK);
    for (int i = 0; i < 5; i++) ck_assert_uint_eq(c[i], want[i]);
    ck_assert_int_eq(tf_count(&t, "CRIT op=claim vm=dos1 owner=dos1 count=3 n=3"), 1);
    ck_assert_int_eq(tf_count(&t, "CRIT op=release"), 1);
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* CS-5: ECX = count, EBX = owner (current VM when free), CF = priority >= the boost;
** Get_Crit_Status_No_Block answers the same. */
START_TEST(cs5_status) {
    tf t;
    tf_init(&t, "crit", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cs5", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "cs5_ecx0"), 0);
    ck_assert_uint_eq(tf_u32(&t, "cs5_ebx0"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "cs5_ecx1"), 1);
    uint8_t cf[4];
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "cs5_cf"), cf, 4), VMM_OK);
    ck_assert_uint_eq(cf[0], 0);
    ck_assert_uint_eq(cf[1], 1);
    ck_assert_uint_eq(cf[2], 0);
    ck_assert_uint_eq(cf[3], 1);
    /* Get_Crit_Status_No_Block: the same status (vmmsim delays no release). */
    ck_assert_uint_eq(tf_u32(&t, "cs5_nb_ecx"), 1);
    ck_assert_uint_eq(tf_u32(&t, "cs5_nb_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u8(&t, "cs5_nb_cf"), 1);
    tf_free(&t);
}
END_TEST

/* CS-6: count 2 fails with CF set and changes nothing; count 1 releases and suspends
** in one step, and the call returns when the VM is resumed. */
START_TEST(cs6_end_crit_and_suspend) {
    tf t;
    tf_init(&t, "crit", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cs6", 0);
    tf_stim(&t, 50000, VMM_STIM_RESUME, 1, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "cf_at_2"), 1);
    ck_assert_uint_eq(tf_u32(&t, "count_after_fail"), 2);
    ck_assert_uint_eq(tf_u8(&t, "cf_at_1"), 0);
    ck_assert_uint_eq(tf_u32(&t, "resumed"), 1);
    ck_assert_int_eq(tf_count(&t, "SVC_RET svc=End_Crit_And_Suspend cf=1"), 1);
    long rel = tf_line(&t, "CRIT op=release vm=dos1", 0);
    long sus = tf_line(&t, "VM_STATE vm=dos1 state=suspend", 0);
    long res = tf_line(&t, "VM_STATE vm=dos1 state=resume", 0);
    long ret = tf_line(&t, "SVC_RET svc=End_Crit_And_Suspend cf=0", 0);
    ck_assert(rel >= 0 && sus > rel && res > sus && ret > res);
    tf_free(&t);
}
END_TEST

/* CS-7: an End without a matching Begin is reported (and a Release of one too many). */
START_TEST(cs7_unbalanced_end_reported) {
    tf t;
    tf_init(&t, "crit", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cs7", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count(t.v), 2);
    ck_assert_str_eq(vmm_finding_get(t.v, 0)->rule, "CS-7");
    ck_assert_str_eq(vmm_finding_get(t.v, 1)->rule, "CS-7");
    ck_assert_int_eq(tf_count(&t, "FINDING rule=CS-7 vm=dos1 svc=End_Critical_Section owner=none count=0"), 1);
    ck_assert_int_eq(tf_count(&t, "FINDING rule=CS-7 vm=dos1 svc=Release_Critical_Section owner=dos1 count=1"), 1);
    ck_assert_int_eq(tf_count(&t, "CRIT op=release"), 1);   /* the matched part still ran */
    tf_free(&t);
}
END_TEST

/* PRI-1: raising another VM above the current one switches to it at once: its
** pending work runs before Adjust_Exec_Priority returns to the caller. */
START_TEST(pri1_adjust_switches_now) {
    tf t;
    tf_init(&t, "crit", 3);
    tf_stim(&t, 5000, VMM_STIM_CALL, 2, "pri1_note", 0);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "pri1_start", 0);
    tf_stim(&t, 10001, VMM_STIM_CALL, 2, "pri1_b", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "b_ran"), 1);
    ck_assert_uint_eq(tf_u32(&t, "b_ran_at_return"), 1);
    ck_assert_uint_eq(tf_u32(&t, "b_cur"), tf_handle(&t, 2));
    long up = tf_line(&t, "PRIORITY vm=dos2 pri=0x00001000", 0);
    long sw = tf_line(&t, "TASK_SWITCH old=dos1 new=dos2 reason=priority", 0);
    long b = tf_line(&t, "CB_ENTER kind=call cb=T.pri1_b", 0);
    ck_assert(up >= 0 && sw > up && b > sw);
    /* nothing of dos1 ran between the priority change and the switch */
    for (long i = up + 1; i < sw; i++) ck_assert(!strstr(tf_line_text(&t, i), "SERVICE"));
    tf_free(&t);
}
END_TEST

Suite *crit_suite(void) {
    Suite *s = suite_create("crit");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, cs2_cs3_block_and_grant);
    tcase_add_test(tc, cs3_equal_waiters_choice);
    tcase_add_test(tc, cs4_claim_release_counts);
    tcase_add_test(tc, cs5_status);
    tcase_add_test(tc, cs6_end_crit_and_suspend);
    tcase_add_test(tc, cs7_unbalanced_end_reported);
    tcase_add_test(tc, pri1_adjust_switches_now);
    suite_add_tcase(s, tc);
    return s;
}
