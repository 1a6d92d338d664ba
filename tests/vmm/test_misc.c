/* test_misc.c — VM handle services, suspend counts, the service path, errors,
** determinism and reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vmm.h"

START_TEST(vm_handle_services) {
    tf t;
    tf_init(&t, "misc", 3);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "ver_eax"), 0x030A);
    ck_assert_uint_eq(tf_u32(&t, "sys_h"), tf_handle(&t, 0));
    ck_assert_uint_eq(tf_u8(&t, "sys_z"), 1);
    ck_assert_uint_eq(tf_u8(&t, "cur_z"), 1);
    ck_assert_uint_eq(tf_u32(&t, "next_h"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "next2_h"), tf_handle(&t, 2));
    ck_assert_uint_eq(tf_u8(&t, "valid_c"), 0);
    ck_assert_uint_eq(tf_u8(&t, "invalid_c"), 1);
    /* control messages in DDK order */
    const char *msgs[] = { "msg=Sys_Critical_Init", "msg=Device_Init", "msg=Init_Complete",
                           "msg=Sys_VM_Init vxd=T vm=sys", "msg=Create_VM vxd=T vm=dos1",
                           "msg=VM_Critical_Init vxd=T vm=dos1", "msg=VM_Init vxd=T vm=dos1",
                           "msg=Create_VM vxd=T vm=dos2" };
    long prev = -1;
    for (int i = 0; i < 8; i++) {
        long l = tf_line(&t, msgs[i], 0);
        ck_assert_msg(l > prev, "%s", msgs[i]);
        prev = l;
    }
    ck_assert_int_eq(tf_count(&t, "CONTROL"), 10);
    tf_free(&t);
}
END_TEST

/* Suspend counts: two Suspends need two Resumes; Resume of a running VM fails;
** No_Fail_Resume_VM does not; the system VM cannot be suspended. */
START_TEST(suspend_counts) {
    tf t;
    tf_init(&t, "misc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 0, "susp", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint8_t cf[7], want[7] = { 0, 0, 0, 0, 1, 0, 1 };
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "s_cf"), cf, 7), VMM_OK);
    for (int i = 0; i < 7; i++) ck_assert_msg(cf[i] == want[i], "s_cf[%d] = %u", i, cf[i]);
    ck_assert_uint_eq(tf_u32(&t, "stat1") & 0x8, 0x8);
    ck_assert_uint_eq(tf_u32(&t, "stat2") & 0x8, 0);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=suspend suspend=2"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=resume suspend=0"), 1);
    tf_free(&t);
}
END_TEST

/* An unimplemented service stops the run with an error that names it. */
START_TEST(unimplemented_service_named) {
    tf t;
    tf_init(&t, "misc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "heap", 0);
    ck_assert_int_eq(tf_run(&t), VMM_EUNIMPL);
    ck_assert_str_eq(vmm_error(t.v), "_HeapAllocate (0x0001004F) is not implemented");
    ck_assert_int_eq(tf_count(&t, "END reason=error code=-4"), 1);
    ck_assert_str_eq(vmm_service_name(0x0001004F), "_HeapAllocate");
    ck_assert_str_eq(vmm_service_name(0x000100F1), "Get_Crit_Status_No_Block");
    ck_assert_ptr_null(vmm_service_name(0x000100F2));
    tf_free(&t);
}
END_TEST

/* The patched path is cheaper than the first INT 20h from a call site. */
START_TEST(service_path_costs) {
    tf t;
    tf_init(&t, "misc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "twice", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long a = tf_line(&t, "SERVICE svc=Get_Cur_VM_Handle path=int", 0);
    long b = tf_line(&t, "SERVICE svc=Get_Cur_VM_Handle path=call", 0);
    ck_assert(a >= 0 && b > a);
    unsigned long long ca = 0, cb = 0, ea = 0, entry = 0;
    ck_assert(sscanf(tf_line_text(&t, tf_line(&t, "CB_ENTER cb=T.twice", 0)), "%llu", &entry) == 1);
    ck_assert(sscanf(tf_line_text(&t, a), "%llu", &ca) == 1);
    ck_assert(sscanf(tf_line_text(&t, a + 1), "%llu", &ea) == 1);   /* SVC_RET */
    ck_assert(sscanf(tf_line_text(&t, b), "%llu", &cb) == 1);
    /* entry + MOV ECX,imm32 (2) + the trapped INT's decode (1) + INT 59 + IRETD 38 +
    ** CALL [m32] 12 + RET 12 + service_cycles 50 */
    ck_assert_uint_eq(ca - entry, 2 + 1 + 59 + 38 + 12 + 12 + 50);
    /* from the first's return: LOOP (11 + m = 13) + decode 1 + CALL 12 + RET 12 + 50 */
    ck_assert_uint_eq(cb - ea, 13 + 1 + 12 + 12 + 50);
    tf_free(&t);
}
END_TEST

/* INT 2Fh AX=1681h/1682h/1680h from VxD code; Release_Time_Slice sets the Idle bit,
** Wake_Up_VM clears it (SL-1). */
START_TEST(int2f_from_vxd_code) {
    tf t;
    tf_init(&t, "misc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "i2f", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "i2f_count"), 1);
    ck_assert_uint_eq(tf_u32(&t, "i2f_eax"), 0x1600);
    ck_assert_uint_eq(tf_u32(&t, "i2f_status") & 0x8000, 0x8000);
    ck_assert_uint_eq(tf_u32(&t, "i2f_status2") & 0x8000, 0);
    ck_assert_int_eq(tf_count(&t, "SERVICE vm=dos1 svc=Int2F_1681 dword=0x002f1681 path=int2f"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=idle"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=wake"), 1);
    tf_free(&t);
}
END_TEST

START_TEST(vmmjmp_returns_to_callers_caller) {
    tf t;
    tf_init(&t, "misc", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "jmpt", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "jmp_in"), 1);
    ck_assert_uint_eq(tf_u32(&t, "jmp_back"), 1);
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* A stimulus due on the very cycle a callback's RET lands on the return stub stops
** the CPU there; the next slice must take the return, not run the stub's HLT. The
** second stimulus is swept over every cycle around the first callback's return. */
START_TEST(event_due_on_the_return_cycle) {
    tf t;
    tf_init(&t, "misc", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "twice", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    unsigned long long ret = 0;
    ck_assert(sscanf(tf_line_text(&t, tf_line(&t, "CB_RETURN cb=T.twice", 0)), "%llu", &ret) == 1);
    tf_free(&t);
    for (unsigned long long at = ret - 16; at <= ret + 16; at++) {
        tf_init(&t, "misc", 3);
        tf_stim(&t, 10000, VMM_STIM_CALL, 1, "twice", 0);
        tf_stim(&t, at, VMM_STIM_CALL, 2, "twice", 0);
        ck_assert_msg(tf_run(&t) == VMM_OK, "second call at %llu: %s", at, vmm_error(t.v));
        ck_assert_int_eq(tf_count(&t, "CB_RETURN cb=T.twice"), 2);
        tf_free(&t);
    }
}
END_TEST

/* vmm_new rejects bad scenarios with a reason. */
START_TEST(new_rejects_bad_scenarios) {
    tf t;
    char err[256];
    int rc;
    tf_init(&t, "misc", 3);
    t.vms[1].system = 1;                                    /* two system VMs */
    ck_assert_ptr_null(vmm_new(&t.s, &rc, err, sizeof err));
    ck_assert_int_eq(rc, VMM_EINVAL);
    ck_assert_msg(strstr(err, "system"), "%s", err);
    t.vms[1].system = 0;
    t.s.m.max_vms = 2;                                      /* three VMs */
    ck_assert_ptr_null(vmm_new(&t.s, &rc, err, sizeof err));
    ck_assert_int_eq(rc, VMM_ELIMIT);
    t.s.m.max_vms = 0;
    tf_stim(&t, 10, VMM_STIM_CALL, 1, NULL, 0);             /* call to address 0 */
    ck_assert_ptr_null(vmm_new(&t.s, &rc, err, sizeof err));
    ck_assert_int_eq(rc, VMM_EINVAL);
    t.s.nstim = 0;
    vmm_state *v = vmm_new(&t.s, &rc, err, sizeof err);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(rc, VMM_OK);
    vmm_free(v);
    tf_free(&t);
}
END_TEST

START_TEST(hang_detected) {
    tf t;
    tf_init(&t, "misc", 2);
    t.s.m.hang_cycles = 100000;
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "spin", 0);
    ck_assert_int_eq(tf_run(&t), VMM_EHANG);
    tf_free(&t);
}
END_TEST

START_TEST(max_cycles_ends_run) {
    tf t;
    tf_init(&t, "misc", 2);
    t.s.m.max_cycles = 200000;
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "spin", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "END reason=max_cycles"), 1);
    ck_assert_uint_ge(vmm_now(t.v), 200000);
    tf_free(&t);
}
END_TEST

static void nc2_setup(tf *t) {
    tf_init(t, "nc", 3);
    tf_stim(t, 10000, VMM_STIM_CALL, 1, "nc2_start", 0);
    tf_stim(t, 10000, VMM_STIM_CALL, 2, "nc4_start", 0);
    tf_stim(t, 30000, VMM_STIM_CALL, 1, "cb1_start", 0);
}

/* Same scenario twice -> same hash; vmm_reset then run -> same hash and text. */
START_TEST(determinism_same_hash) {
    tf a, b;
    nc2_setup(&a);
    nc2_setup(&b);
    ck_assert_int_eq(tf_run(&a), VMM_OK);
    ck_assert_int_eq(tf_run(&b), VMM_OK);
    ck_assert_uint_eq(tf_hash(&a), tf_hash(&b));
    ck_assert_str_eq(a.text, b.text);
    ck_assert_int_ge(tf_count(&a, "CHOICE kind=same-cycle n=2 chosen=0"), 1);
    char *first = strdup(a.text);
    uint64_t h = tf_hash(&a);
    ck_assert_int_eq(vmm_run(a.v), VMM_EINVAL);             /* a second run needs a reset */
    ck_assert_int_eq(vmm_reset(a.v), VMM_OK);
    ck_assert_int_eq(tf_run(&a), VMM_OK);
    ck_assert_uint_eq(tf_hash(&a), h);
    ck_assert_str_eq(a.text, first);
    free(first);
    tf_free(&a);
    tf_free(&b);
}
END_TEST

/* A random strategy may change the order of same-cycle stimuli; the run is still
** reproducible from its recorded decisions. */
START_TEST(replay_of_random_run) {
    tf a;
    nc2_setup(&a);
    ck_assert_int_eq(tf_run(&a), VMM_OK);
    uint64_t canon = tf_hash(&a);
    int differs = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        ck_assert_int_eq(vmm_reset(a.v), VMM_OK);
        eng_chooser_random(vmm_chooser(a.v), seed);
        ck_assert_int_eq(tf_run(&a), VMM_OK);
        uint64_t h = tf_hash(&a);
        differs |= h != canon;
        eng_chooser *c = vmm_chooser(a.v);
        uint32_t n;
        const eng_decision *logged = eng_chooser_log(c, &n);
        eng_decision *d = malloc((n ? n : 1) * sizeof *d);
        memcpy(d, logged, n * sizeof *d);
        ck_assert_int_eq(vmm_reset(a.v), VMM_OK);
        eng_chooser_replay(c, d, n);
        ck_assert_int_eq(tf_run(&a), VMM_OK);
        ck_assert_uint_eq(tf_hash(&a), h);
        free(d);
        eng_chooser_canonical(c);
    }
    ck_assert(differs);
    tf_free(&a);
}
END_TEST

/* Partial-order reduction's dependence (vmm/por.c): write/write and read/write of one
** set bit conflict, read/read does not; a clock read or an unknown segment conflicts
** with anything. */
START_TEST(footprint_conflicts) {
    vmm_footprint a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 0);
    a.r[1] = b.r[1] = 1ull << 7;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 0);
    b.w[1] = 1ull << 7;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 1);
    ck_assert_int_eq(vmm_fp_conflict(&b, &a), 1);
    b.w[1] = 0;
    b.w[2] = 1;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 0);
    a.time = 1;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 1);
    a.time = 0;
    b.all = 1;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 1);
}
END_TEST

/* A clock read with slack (tlo, thi) conflicts only with a move beyond it: the rule
** sleep sets keep now (explore/fuzz_por.c's sleep_conflict) as the races do. */
START_TEST(footprint_clock_slack) {
    vmm_footprint a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.tread = 1, a.tlo = 10, a.thi = 100;
    ck_assert_int_eq(vmm_fp_conflict(&a, &b), 1);                  /* the coarse rule */
    ck_assert_int_eq(vmm_fp_conflict_moved(&a, &b, 100, 0, 0), 0);
    ck_assert_int_eq(vmm_fp_conflict_moved(&a, &b, 101, 0, 0), 1);   /* a later: thi */
    ck_assert_int_eq(vmm_fp_conflict_moved(&b, &a, 0, 10, 100), 0);
    ck_assert_int_eq(vmm_fp_conflict_moved(&b, &a, 0, 11, 0), 1);    /* b earlier: tlo */
    ck_assert_int_eq(vmm_fp_conflict_moved(&b, &a, 0, 0, 101), 1);   /* b later: thi */
}
END_TEST

/* vmm_set_observed_within takes a stimulus or an entry trigger, at most
** VMM_WITHIN_MAX delays; anything else is refused and clears the list. */
START_TEST(observed_within_checks) {
    tf t;
    char err[256];
    int rc;
    tf_init(&t, "misc", 2);
    vmm_state *v = vmm_new(&t.s, &rc, err, sizeof err);
    ck_assert_ptr_nonnull(v);
    vmm_within w[VMM_WITHIN_MAX + 1];
    memset(w, 0, sizeof w);
    for (uint32_t k = 0; k <= VMM_WITHIN_MAX; k++) w[k].trig_kind = VMM_WITHIN_STIMULUS, w[k].limit_cyc = 5;
    ck_assert_int_eq(vmm_set_observed_within(v, w, VMM_WITHIN_MAX), 0);
    ck_assert_int_eq(vmm_set_observed_within(v, w, VMM_WITHIN_MAX + 1), -1);
    w[0].trig_kind = 0;
    ck_assert_int_eq(vmm_set_observed_within(v, w, 1), -1);
    w[0].trig_kind = VMM_WITHIN_ENTER;
    ck_assert_int_eq(vmm_set_observed_within(v, w, 1), 0);
    ck_assert_int_eq(vmm_set_observed_within(v, NULL, 0), 0);
    ck_assert_int_eq(vmm_run(v), VMM_OK);   /* footprints off: nothing recorded */
    vmm_free(v);
    tf_free(&t);
}
END_TEST

Suite *misc_suite(void) {
    Suite *s = suite_create("misc");
    TCase *tc = tcase_create("misc");
    tcase_add_test(tc, vm_handle_services);
    tcase_add_test(tc, footprint_conflicts);
    tcase_add_test(tc, footprint_clock_slack);
    tcase_add_test(tc, observed_within_checks);
    tcase_add_test(tc, suspend_counts);
    tcase_add_test(tc, unimplemented_service_named);
    tcase_add_test(tc, service_path_costs);
    tcase_add_test(tc, int2f_from_vxd_code);
    tcase_add_test(tc, vmmjmp_returns_to_callers_caller);
    tcase_add_test(tc, event_due_on_the_return_cycle);
    tcase_add_test(tc, new_rejects_bad_scenarios);
    tcase_add_test(tc, hang_detected);
    tcase_add_test(tc, max_cycles_ends_run);
    tcase_add_test(tc, determinism_same_hash);
    tcase_add_test(tc, replay_of_random_run);
    suite_add_tcase(s, tc);
    return s;
}
