/* test_life.c — the VM lifecycle (docs/vmm.md, "The VM lifecycle"; VML-1 … VML-3):
** create_vm / destroy_vm / exit stimuli, Nuke_VM and Crash_Cur_VM, the control messages
** in order with VM_Not_Executeable's flags, a failed creation, handle reuse, a destroyed
** VM's pending callbacks and stale handles, the life-order choice, the limits. VxD:
** tests/vmm/vxd/life.asm; client programs are hand-assembled 16-bit bytes. */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"

#define DOS1 0x00010100u
#define DOS2 0x00010200u

/* xor ax,ax; mov ds,ax; mov word [1000h],55AAh; hlt; jmp $ */
static const uint8_t p_write[] = { 0x31, 0xC0, 0x8E, 0xD8, 0xC7, 0x06, 0x00, 0x10, 0xAA, 0x55,
                                   0xF4, 0xEB, 0xFE };

/* The k-th control message the VxD logged: message, flags, VM block. */
static void logged(tf *t, uint32_t k, uint32_t *msg, uint32_t *flags, uint32_t *blk) {
    uint8_t e[4];
    ck_assert_int_eq(vmm_read(t->v, tf_label(t, "log") + 4 * k, e, 4), VMM_OK);
    *msg = e[0], *flags = e[1], *blk = e[2];
}

/* The control messages logged from entry `from`, as "msg/flags/block" words. */
static void log_text(tf *t, uint32_t from, char *buf, size_t len) {
    uint32_t n = (tf_u32(t, "logp") - tf_label(t, "log")) / 4;
    size_t at = 0;
    buf[0] = 0;
    for (uint32_t k = from; k < n && at + 16 < len; k++) {
        uint32_t m, f, b;
        logged(t, k, &m, &f, &b);
        at += (size_t)snprintf(buf + at, len - at, "%s%X/%X/%X", k > from ? " " : "", m, f, b);
    }
}

static uint32_t boot_msgs(uint32_t nboot) { return 4 + 3 * (nboot - 1); }

static void set_u32(tf *t, const char *label, uint32_t x) {
    /* the image is borrowed by the scenario: patch it before vmm_new */
    memcpy(t->image + (tf_label(t, label) - 0x100000u), &x, 4);
}

START_TEST(vml_create_destroy_order_and_handle_reuse) {
    tf t;
    char buf[512];
    uint16_t w = 0;
    tf_init(&t, "life", 3);
    t.vms[2].start_later = 1;
    tf_give(&t, 2, p_write, sizeof p_write);
    tf_stim(&t, 20000, VMM_STIM_DESTROY_VM, 1, NULL, 0);
    tf_stim(&t, 30000, VMM_STIM_CREATE_VM, 2, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    log_text(&t, boot_msgs(2), buf, sizeof buf);
    /* VM_Terminate, VM_Not_Executeable (0), Destroy_VM for dos1; then dos2 in dos1's
    ** old block 1: Create_VM, VM_Critical_Init, VM_Init */
    ck_assert_str_eq(buf, "A/0/1 B/0/1 C/0/1 7/0/1 8/0/1 9/0/1");
    ck_assert_uint_eq(tf_handle(&t, 2), DOS1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos2 state=create handle=0x00010100"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos2 state=resume suspend=0"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=destroy"), 1);
    /* the created VM runs its client program */
    ck_assert_int_eq(vmm_read(t.v, vmm_vm_high_linear(t.v, 2) + 0x1000, &w, 2), VMM_OK);
    ck_assert_uint_eq(w, 0x55AA);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=life"), 6);
    tf_free(&t);
}
END_TEST

START_TEST(vml_failed_create_sends_not_executeable_then_destroy) {
    tf t;
    char buf[256];
    uint16_t w = 0;
    tf_init(&t, "life", 3);
    t.vms[2].start_later = 1;
    tf_give(&t, 2, p_write, sizeof p_write);
    set_u32(&t, "fail_msg", 0x09);            /* VM_Init fails for dos2 */
    set_u32(&t, "fail_vm", DOS2);
    tf_stim(&t, 30000, VMM_STIM_CREATE_VM, 2, NULL, 0);
    tf_stim(&t, 40000, VMM_STIM_CALL, 0, "validate", DOS2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    log_text(&t, boot_msgs(2), buf, sizeof buf);
    ck_assert_str_eq(buf, "7/0/2 8/0/2 9/0/2 B/10/2 C/0/2");   /* VNE_InitFail = 0x10 */
    ck_assert_int_eq(tf_count(&t, "CONTROL msg=VM_Not_Executeable vm=dos2 flags=0x00000010"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos2 state=destroy"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos2 state=resume"), 0);
    ck_assert_uint_eq(tf_u8(&t, "valid_cf"), 1);              /* Validate_VM_Handle: CF */
    ck_assert_int_eq(vmm_read(t.v, vmm_vm_high_linear(t.v, 2) + 0x1000, &w, 2), VMM_OK);
    ck_assert_uint_eq(w, 0);                                  /* it never ran */
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);             /* a documented failure */
    tf_free(&t);
}
END_TEST

START_TEST(vml_crash_cur_vm_does_not_return) {
    tf t;
    char buf[256];
    tf_init(&t, "life", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "crash", 0);
    tf_stim(&t, 50000, VMM_STIM_CALL, 0, "next_vm", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    log_text(&t, boot_msgs(2), buf, sizeof buf);
    ck_assert_str_eq(buf, "B/1/1 C/0/1");     /* no VM_Terminate; VNE_Crashed */
    ck_assert_uint_eq(tf_u8(&t, "after_crash"), 0);
    ck_assert_int_eq(tf_count(&t, "SVC_RET svc=Crash_Cur_VM"), 0);
    ck_assert_int_eq(tf_count(&t, "SERVICE svc=Crash_Cur_VM"), 1);
    ck_assert_uint_eq(tf_u32(&t, "next_h"), 0x10000);   /* Get_Next_VM_Handle skips dos1 */
    tf_free(&t);
}
END_TEST

/* Close_VM: Close_VM_Notify, then a normal close; from the VM itself it returns only
** with CVF_Continue_Exec. */
START_TEST(vml_close_vm_notify_then_close) {
    tf t;
    char buf[256];
    for (uint32_t flags = 0; flags < 2; flags++) {
        tf_init(&t, "life", 2);
        tf_stim(&t, 10000, VMM_STIM_CALL, 1, "close_me", flags);
        ck_assert_int_eq(tf_run(&t), VMM_OK);
        log_text(&t, boot_msgs(2), buf, sizeof buf);
        ck_assert_str_eq(buf, "19/0/1 A/0/1 B/0/1 C/0/1");
        ck_assert_uint_eq(tf_u8(&t, "after_close"), flags);
        ck_assert_int_eq(tf_count(&t, "SVC_RET vm=dos1 svc=Close_VM"), (int)flags);
        ck_assert_int_eq(tf_count(&t, "CONTROL msg=Close_VM_Notify vm=dos1"), 1);
        tf_free(&t);
    }
}
END_TEST

/* VM_Suspend / VM_Resume in a scenario that uses the lifecycle: VM_Suspend after the
** count reaches 1; the resume waits for VM_Resume, and a VxD's CF backs it out. */
START_TEST(vml_suspend_resume_messages) {
    tf t;
    char buf[256];
    for (int fail = 0; fail < 2; fail++) {
        tf_init(&t, "life", 3);
        t.vms[2].start_later = 1;                       /* the lifecycle is on */
        if (fail) set_u32(&t, "fail_msg", 0x0E), set_u32(&t, "fail_vm", DOS1);
        tf_stim(&t, 10000, VMM_STIM_SUSPEND, 1, NULL, 0);
        tf_stim(&t, 20000, VMM_STIM_RESUME, 1, NULL, 0);
        ck_assert_int_eq(tf_run(&t), VMM_OK);
        log_text(&t, boot_msgs(2), buf, sizeof buf);
        ck_assert_str_eq(buf, "D/0/1 E/0/1");
        ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=resume suspend=0"), !fail);
        ck_assert_int_eq(tf_count(&t, "SVC_RET svc=Resume_VM cf=0"), 1);
        long res = tf_line(&t, "CONTROL msg=VM_Resume vm=dos1", 0);
        ck_assert(res > tf_line(&t, "STIMULUS index=1 do=resume", 0));
        if (!fail) ck_assert(tf_line(&t, "VM_STATE vm=dos1 state=resume", 0) > res);
        tf_free(&t);
    }
    tf_init(&t, "life", 2);                             /* no lifecycle: no messages */
    tf_stim(&t, 10000, VMM_STIM_SUSPEND, 1, NULL, 0);
    tf_stim(&t, 20000, VMM_STIM_RESUME, 1, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "CONTROL msg=VM_Suspend"), 0);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=resume suspend=0"), 1);
    tf_free(&t);
}
END_TEST

START_TEST(vml_nuke_vm_from_another_vm_returns) {
    tf t;
    char buf[256];
    tf_init(&t, "life", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 0, "nuke", DOS2);
    tf_stim(&t, 20000, VMM_STIM_CALL, 0, "validate", DOS2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    log_text(&t, boot_msgs(3), buf, sizeof buf);
    ck_assert_str_eq(buf, "B/2/2 C/0/2");     /* VNE_Nuked */
    ck_assert_uint_eq(tf_u8(&t, "after_nuke"), 1);
    ck_assert_int_eq(tf_count(&t, "SVC_RET vm=sys svc=Nuke_VM"), 1);
    ck_assert_uint_eq(tf_u8(&t, "valid_cf"), 1);
    tf_free(&t);
}
END_TEST

/* A VM that crashes while it owns the critical section gives up its claims when its
** destruction starts: the section is free for the next VM that claims it. */
START_TEST(vml_crashed_owner_releases_critical_section) {
    tf t;
    tf_init(&t, "life", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 2, "claim", 0);
    tf_stim(&t, 20000, VMM_STIM_CALL, 2, "crash", 0);
    tf_stim(&t, 30000, VMM_STIM_CALL, 1, "claim", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long rel = tf_line(&t, "CRIT op=release vm=dos2 owner=none count=0 n=1", 0);
    ck_assert_int_ge(rel, 0);
    ck_assert_int_lt(rel, tf_line(&t, "VM_STATE vm=dos2 state=destroy", 0));
    ck_assert_int_gt(tf_line(&t, "CRIT op=claim vm=dos1 owner=dos1 count=1", 0), rel);
    ck_assert_int_eq(tf_count(&t, "CRIT op=block"), 0);
    ck_assert_uint_eq(tf_u8(&t, "after_crash"), 0);
    tf_free(&t);
}
END_TEST

START_TEST(vml_exit_closes_every_vm_then_system_messages) {
    tf t;
    char buf[256];
    tf_init(&t, "life", 3);
    tf_stim(&t, 10000, VMM_STIM_EXIT, 0, NULL, 0);
    tf_stim(&t, 90000, VMM_STIM_CALL, 1, "next_vm", 0);   /* after the end */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    log_text(&t, boot_msgs(3), buf, sizeof buf);
    ck_assert_str_eq(buf, "A/0/1 B/0/1 C/0/1 A/0/2 B/0/2 C/0/2 4/0/0 5/0/0 6/0/0");
    ck_assert_int_eq(tf_count(&t, "END reason=done"), 1);
    ck_assert_int_eq(tf_count(&t, "STIMULUS index=1"), 0);
    ck_assert_uint_eq(tf_u32(&t, "next_h"), 0);
    tf_free(&t);
}
END_TEST

START_TEST(vml1_pending_vm_time_out_cancelled_with_finding) {
    tf t;
    tf_init(&t, "life", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "arm_vm", 100);     /* 100 ms of dos1's time */
    tf_stim(&t, 20000, VMM_STIM_DESTROY_VM, 1, NULL, 0);
    tf_stim(&t, 9900000, VMM_STIM_CALL, 0, "next_vm", 0);    /* 300 ms: time passes */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count_rule(t.v, "VML-1"), 1);
    ck_assert_int_eq(tf_count(&t, "FINDING rule=VML-1 vm=dos1 cb=T.to_cb what=pending_at_destroy"), 1);
    ck_assert_int_eq(tf_count(&t, "TIMEOUT op=cancel kind=vm vm=dos1"), 1);
    ck_assert_uint_eq(tf_u32(&t, "to_runs"), 0);
    ck_assert_int_eq(tf_line(&t, "FINDING rule=VML-1", 0) < tf_line(&t, "VM_STATE vm=dos1 state=destroy", 0), 1);
    tf_free(&t);
}
END_TEST

START_TEST(vml2_stale_handle_finding_and_no_effect) {
    tf t;
    tf_init(&t, "life", 2);
    tf_stim(&t, 10000, VMM_STIM_DESTROY_VM, 1, NULL, 0);
    tf_stim(&t, 20000, VMM_STIM_CALL, 0, "validate", DOS1);   /* the right way: no finding */
    tf_stim(&t, 30000, VMM_STIM_CALL, 0, "sched", DOS1);      /* the wrong way */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "valid_cf"), 1);
    ck_assert_uint_eq(vmm_finding_count(t.v), 1);
    ck_assert_uint_eq(vmm_finding_count_rule(t.v, "VML-2"), 1);
    ck_assert_uint_eq(tf_u32(&t, "ev_h"), 0);
    ck_assert_uint_eq(tf_u32(&t, "ev_runs"), 0);
    ck_assert_int_eq(tf_count(&t, "SVC_RET vm=sys svc=Schedule_VM_Event cf=1"), 1);
    tf_free(&t);
}
END_TEST

/* A global time-out whose data is dos1's handle falls due in the step where dos1's
** destroy_vm arrives: canonically the time-out runs first (dos1 alive); the other
** order destroys dos1 first and the time-out fires for a destroyed VM. */
START_TEST(vml_life_order_choice) {
    tf t;
    static const eng_decision other[] = { { ENG_CHOICE_LIFE_ORDER, 2, 1 } };
    for (int k = 0; k < 2; k++) {
        tf_init(&t, "life", 2);
        tf_stim(&t, 10000, VMM_STIM_CALL, 1, "arm_glob", 19);   /* due 19.3 ms: the 20 ms tick */
        tf_stim(&t, 660000, VMM_STIM_DESTROY_VM, 1, NULL, 0);   /* 20 ms */
        t.v = vmm_new(&t.s, NULL, NULL, 0);
        ck_assert_ptr_nonnull(t.v);
        if (k) eng_chooser_replay(vmm_chooser(t.v), other, 1);
        ck_assert_int_eq(tf_run(&t), VMM_OK);
        ck_assert_int_eq(tf_count(&t, "CHOICE kind=life-order n=2"), 1);
        ck_assert_uint_eq(tf_u32(&t, "to_runs"), 1);
        ck_assert_uint_eq(vmm_finding_count_rule(t.v, "VML-1"), (uint32_t)k);
        tf_free(&t);
    }
}
END_TEST

START_TEST(vml_limits_and_scenario_errors) {
    tf t;
    int rc;
    char err[256];
    tf_init(&t, "life", 3);
    t.vms[2].start_later = 1;
    t.s.m.max_vms = 2;                                      /* sys + dos1 at boot: full */
    tf_stim(&t, 10000, VMM_STIM_CREATE_VM, 2, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_ELIMIT);
    ck_assert_ptr_nonnull(strstr(vmm_error(t.v), "machine.max_vms 2"));
    tf_free(&t);
    tf_init(&t, "life", 2);
    tf_stim(&t, 10000, VMM_STIM_CREATE_VM, 1, NULL, 0);     /* dos1 exists from boot */
    ck_assert_ptr_null(vmm_new(&t.s, &rc, err, sizeof err));
    ck_assert_int_eq(rc, VMM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "create_vm of VM dos1"));
    tf_free(&t);
    tf_init(&t, "life", 2);
    tf_stim(&t, 10000, VMM_STIM_DESTROY_VM, 0, NULL, 0);    /* the system VM */
    ck_assert_ptr_null(vmm_new(&t.s, &rc, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "destroy_vm of the system VM"));
    tf_free(&t);
}
END_TEST

START_TEST(vml_reset_repeats_the_run) {
    tf t;
    tf_init(&t, "life", 3);
    t.vms[2].start_later = 1;
    tf_give(&t, 2, p_write, sizeof p_write);
    tf_stim(&t, 20000, VMM_STIM_DESTROY_VM, 1, NULL, 0);
    tf_stim(&t, 30000, VMM_STIM_CREATE_VM, 2, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint64_t h = tf_hash(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_uint_eq(tf_handle(&t, 2), DOS2);             /* its own block again */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_hash(&t), h);
    tf_free(&t);
}
END_TEST

Suite *life_suite(void) {
    Suite *s = suite_create("life");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, vml_create_destroy_order_and_handle_reuse);
    tcase_add_test(tc, vml_failed_create_sends_not_executeable_then_destroy);
    tcase_add_test(tc, vml_crash_cur_vm_does_not_return);
    tcase_add_test(tc, vml_nuke_vm_from_another_vm_returns);
    tcase_add_test(tc, vml_close_vm_notify_then_close);
    tcase_add_test(tc, vml_suspend_resume_messages);
    tcase_add_test(tc, vml_crashed_owner_releases_critical_section);
    tcase_add_test(tc, vml_exit_closes_every_vm_then_system_messages);
    tcase_add_test(tc, vml1_pending_vm_time_out_cancelled_with_finding);
    tcase_add_test(tc, vml2_stale_handle_finding_and_no_effect);
    tcase_add_test(tc, vml_life_order_choice);
    tcase_add_test(tc, vml_limits_and_scenario_errors);
    tcase_add_test(tc, vml_reset_repeats_the_run);
    suite_add_tcase(s, tc);
    return s;
}
