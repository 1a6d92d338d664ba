/* test_idle.c — Call_When_Idle (IDLE-1 … IDLE-5) and Call_When_Task_Switched (TS-1). */
#include <string.h>

#include "test_vmm.h"

/* IDLE-3 + IDLE-5: the chain stops at the first CF-clear callback, and every idle
** signal runs it again. */
START_TEST(idle3_idle5_chain_stops_and_reruns) {
    tf t;
    tf_init(&t, "idle", 2);
    tf_stim(&t, 10000, VMM_STIM_RELEASE_TIME_SLICE, 1, NULL, 0);
    tf_stim(&t, 20000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);
    tf_stim(&t, 30000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "cnt_a"), 2);
    ck_assert_uint_eq(tf_u32(&t, "cnt_b"), 2);
    ck_assert_uint_eq(tf_u32(&t, "cnt_c"), 0);
    for (int k = 0; k < 2; k++) {
        long sig = tf_line(&t, "SERVICE svc=Int2F_1689", k);
        long a = tf_line(&t, "CB_ENTER kind=idle cb=T.idle_a", k);
        long ra = tf_line(&t, "CB_RETURN kind=idle cb=T.idle_a cf=1", k);
        long b = tf_line(&t, "CB_ENTER kind=idle cb=T.idle_b", k);
        long rb = tf_line(&t, "CB_RETURN kind=idle cb=T.idle_b cf=0", k);
        ck_assert(sig >= 0 && a > sig && ra > a && b > ra && rb > b);
    }
    ck_assert_int_eq(tf_count(&t, "cb=T.idle_c"), 0);
    tf_free(&t);
}
END_TEST

/* IDLE-2: no idle callbacks while another VM is not idle; a suspended VM counts as
** idle; a woken VM is not idle any more. */
START_TEST(idle2_waits_for_every_vm) {
    tf t;
    tf_init(&t, "idle", 3);
    tf_stim(&t, 10000, VMM_STIM_RELEASE_TIME_SLICE, 1, NULL, 0);
    tf_stim(&t, 20000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);   /* dos2 busy: none */
    tf_stim(&t, 25000, VMM_STIM_SUSPEND, 2, NULL, 0);
    tf_stim(&t, 30000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);   /* runs */
    tf_stim(&t, 35000, VMM_STIM_WAKE, 1, NULL, 0);
    tf_stim(&t, 40000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);   /* dos1 woken: none */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "cnt_a"), 1);
    long run = tf_line(&t, "STIMULUS index=3", 0);
    long a = tf_line(&t, "CB_ENTER kind=idle cb=T.idle_a", 0);
    long next = tf_line(&t, "STIMULUS index=4", 0);
    ck_assert(run >= 0 && a > run && next > a);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=wake"), 1);
    tf_free(&t);
}
END_TEST

/* IDLE-1: CF clear when installed, CF set when the table is full. */
START_TEST(idle1_cf_set_when_full) {
    tf t;
    tf_init(&t, "idle", 2);
    t.s.m.idle_slots = 2;
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "cf1"), 0);
    ck_assert_uint_eq(tf_u8(&t, "cf2"), 0);
    ck_assert_uint_eq(tf_u8(&t, "cf3"), 1);
    ck_assert_int_eq(tf_count(&t, "SVC_RET svc=Call_When_Idle cf=1"), 1);
    tf_free(&t);
}
END_TEST

/* IDLE-4: EBX = system VM, EBP = its Client_Reg_Struc. */
START_TEST(idle4_registers) {
    tf t;
    tf_init(&t, "idle", 2);
    tf_stim(&t, 10000, VMM_STIM_RELEASE_TIME_SLICE, 1, NULL, 0);
    tf_stim(&t, 20000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t h = tf_handle(&t, 0), cp = 0;
    ck_assert_int_eq(vmm_read(t.v, h + 8, &cp, 4), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "a_ebx"), h);
    ck_assert_uint_eq(tf_u32(&t, "a_ebp"), cp);
    ck_assert_uint_eq(tf_u8(&t, "cf3"), 0);
    tf_free(&t);
}
END_TEST

/* TS-1: every task-switch callback, in install order, EAX = old VM, EBX = new VM. */
START_TEST(ts1_order_and_registers) {
    tf t;
    tf_init(&t, "ts", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "noop", 0);        /* sys -> dos1 */
    tf_stim(&t, 20000, VMM_STIM_KERNEL_IDLE, 0, NULL, 0);   /* dos1 -> sys */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t sys = tf_handle(&t, 0), dos1 = tf_handle(&t, 1), log[12];
    ck_assert_uint_eq(tf_u32(&t, "nlog"), 4);
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "log"), log, sizeof log), VMM_OK);
    uint32_t want[12] = { 1, sys, dos1, 2, sys, dos1, 1, dos1, sys, 2, dos1, sys };
    for (int i = 0; i < 12; i++) ck_assert_uint_eq(log[i], want[i]);
    ck_assert_int_eq(tf_count(&t, "TASK_SWITCH"), 2);
    long sw = tf_line(&t, "TASK_SWITCH old=sys new=dos1", 0);
    ck_assert(sw >= 0 && tf_line(&t, "CB_ENTER kind=ts cb=T.ts_a", 0) > sw);
    tf_free(&t);
}
END_TEST

Suite *idle_suite(void) {
    Suite *s = suite_create("idle");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, idle3_idle5_chain_stops_and_reruns);
    tcase_add_test(tc, idle2_waits_for_every_vm);
    tcase_add_test(tc, idle1_cf_set_when_full);
    tcase_add_test(tc, idle4_registers);
    tcase_add_test(tc, ts1_order_and_registers);
    suite_add_tcase(s, tc);
    return s;
}
