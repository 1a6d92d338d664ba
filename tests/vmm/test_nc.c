/* test_nc.c — Call_When_Not_Critical (NC-1 … NC-4) and the callback contract (CB-1). */
#include <string.h>

#include "test_vmm.h"

/* NC-2: three callbacks, three releases: one callback per release, the most
** recently installed first, each removed as it is called. */
START_TEST(nc2_lifo_one_per_release) {
    tf t;
    tf_init(&t, "nc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "nc2_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "nlog"), 3);
    uint32_t log[6];
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "log"), log, sizeof log), VMM_OK);
    /* (reference data, releases completed before the call) */
    ck_assert_uint_eq(log[0], 3); ck_assert_uint_eq(log[1], 0);
    ck_assert_uint_eq(log[2], 2); ck_assert_uint_eq(log[3], 1);
    ck_assert_uint_eq(log[4], 1); ck_assert_uint_eq(log[5], 2);
    /* in the trace: release, then exactly one nc entry, for each of the three */
    ck_assert_int_eq(tf_count(&t, "CRIT op=release"), 3);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=nc"), 3);
    const char *order[3] = { "cb=T.nc_c", "cb=T.nc_b", "cb=T.nc_a" };
    for (int k = 0; k < 3; k++) {
        long rel = tf_line(&t, "CRIT op=release", k);
        long cb = tf_line(&t, "CB_ENTER kind=nc", k);
        long next = tf_line(&t, "CRIT op=release", k + 1);
        ck_assert(rel >= 0 && cb > rel);
        ck_assert(next < 0 || cb < next);
        ck_assert_msg(strstr(tf_line_text(&t, cb), order[k]), "%s", tf_line_text(&t, cb));
    }
    /* the patched call path: the first call from a site pays INT 20h, later calls not */
    ck_assert_int_eq(tf_count(&t, "SERVICE svc=Begin_Critical_Section path=int"), 1);
    ck_assert_int_eq(tf_count(&t, "SERVICE svc=Begin_Critical_Section path=call"), 2);
    tf_free(&t);
}
END_TEST

/* NC-3: released while the VM is at Time_Critical_Boost: the callback waits until the
** boost drops (it runs as Adjust_Exec_Priority returns, with priority 0). */
START_TEST(nc3_held_while_time_critical) {
    tf t;
    tf_init(&t, "nc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "nc3_start", 0);
    tf_stim(&t, 40000, VMM_STIM_CALL, 1, "nc3_unboost", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "nc3_calls"), 1);
    ck_assert_uint_eq(tf_u32(&t, "nc3_seen"), 2);
    long rel = tf_line(&t, "CRIT op=release vm=dos1", 0);
    long unboost = tf_line(&t, "STIMULUS index=1", 0);
    long drop = tf_line(&t, "PRIORITY vm=dos1 pri=0x00000000 boost=-4194304", 0);
    long cb = tf_line(&t, "CB_ENTER kind=nc cb=T.nc3_cb", 0);
    ck_assert(rel >= 0 && unboost > rel && drop > unboost && cb > drop);
    ck_assert_msg(strstr(tf_line_text(&t, cb), "pri=0x00000000"), "%s", tf_line_text(&t, cb));
    tf_free(&t);
}
END_TEST

/* NC-4: EBX = current VM, EDX = reference data, EBP = its Client_Reg_Struc. */
START_TEST(nc4_registers) {
    tf t;
    tf_init(&t, "nc", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 2, "nc4_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t h = tf_handle(&t, 2), cp = 0;
    ck_assert_uint_eq(tf_u32(&t, "nc4_ebx"), h);
    ck_assert_uint_eq(tf_u32(&t, "nc4_edx"), 0x12345678);
    ck_assert_int_eq(vmm_read(t.v, h + 8, &cp, 4), VMM_OK);   /* CB_Client_Pointer */
    ck_assert_uint_eq(tf_u32(&t, "nc4_ebp"), cp);
    tf_free(&t);
}
END_TEST

/* CB-1: a callback that returns with EBP changed is reported, naming it and EBP;
** the interrupted code continues with its own registers. */
START_TEST(cb1_ebp_clobber_reported) {
    tf t;
    tf_init(&t, "nc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cb1_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count(t.v), 1);
    const vmm_finding *f = vmm_finding_get(t.v, 0);
    ck_assert_str_eq(f->rule, "CB-1");
    ck_assert_msg(strstr(f->text, "T.cb1_bad") && strstr(f->text, "EBP"), "%s", f->text);
    ck_assert_int_eq(tf_count(&t, "FINDING rule=CB-1 vm=dos1 cb=T.cb1_bad reg=ebp actual=0x00000000"), 1);
    ck_assert_uint_eq(tf_u32(&t, "cb1_ebp_after"), 0x00C0FFEE);
    tf_free(&t);
}
END_TEST

/* Findings do not come from well-behaved callbacks (the check can be quiet). */
START_TEST(cb1_quiet_for_good_callbacks) {
    tf t;
    tf_init(&t, "nc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "nc2_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    ck_assert_int_eq(tf_count(&t, "FINDING"), 0);
    tf_free(&t);
}
END_TEST

Suite *nc_suite(void) {
    Suite *s = suite_create("nc");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, nc2_lifo_one_per_release);
    tcase_add_test(tc, nc3_held_while_time_critical);
    tcase_add_test(tc, nc4_registers);
    tcase_add_test(tc, cb1_ebp_clobber_reported);
    tcase_add_test(tc, cb1_quiet_for_good_callbacks);
    suite_add_tcase(s, tc);
    return s;
}
