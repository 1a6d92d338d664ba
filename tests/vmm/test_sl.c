/* test_sl.c — the time slicer (SL-1): CPU shares, focus, granularity, the release
** penalty, exclusive VMs, Cur_Run_VM_Boost rotation, determinism, and the slicer
** being off by default. VxD: tests/vmm/vxd/sl.asm. */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"

#define MS 33000ull   /* cycles per millisecond at the default 33 MHz */
#define SYSVM 0x00010000u
#define DOS1 0x00010100u
#define DOS2 0x00010200u

/* Slicer on, run_ms long; dos VMs get the Background flag unless told otherwise. */
static void setup(tf *t, uint32_t nvms, uint64_t run_ms) {
    tf_init(t, "sl", nvms);
    t->s.m.time_slicing = 1;
    t->s.m.max_cycles = run_ms * MS;
    for (uint32_t i = 1; i < nvms; i++) t->vms[i].status_flags = 0x2;   /* VMStat_Background */
}

static uint64_t line_cycle(const tf *t, long idx) {
    unsigned long long c = 0;
    ck_assert_msg(idx >= 0, "no such line");
    ck_assert(sscanf(tf_line_text(t, idx), "%llu", &c) == 1);
    return c;
}

/* Cycles each VM was the current VM from cycle `from` to the END record, from the
** TASK_SWITCH records; returns the total. */
static uint64_t measure(const tf *t, uint64_t from, uint32_t nvms, uint64_t *out) {
    static const char *const names[] = { "sys", "dos1", "dos2" };
    uint64_t last = from, total = 0;
    uint32_t cur = 0;
    ck_assert(nvms <= 3);
    memset(out, 0, nvms * sizeof *out);
    for (long i = 0;; i++) {
        const char *l = tf_line_text(t, i);
        unsigned long long c;
        char old[16], nw[16];
        if (!l[0]) break;
        ck_assert(sscanf(l, "%llu", &c) == 1);
        int sw = sscanf(l, "%*u TASK_SWITCH old=%15s new=%15s", old, nw) == 2;
        int end = strstr(l, " END ") != NULL;
        if (!sw && !end) continue;
        if (c > last) { out[cur] += c - last; total += c - last; last = c; }
        if (end) break;
        for (uint32_t k = 0; k < nvms; k++)
            if (!strcmp(nw, names[k])) cur = k;
    }
    return total;
}

static void assert_share(uint64_t got, uint64_t total, double want, const char *who) {
    double s = (double)got / (double)total;
    ck_assert_msg(s > want * 0.98 && s < want * 1.02, "%s got %.4f of the CPU, want %.4f (within 2 %%)",
                  who, s, want);
}

/* SL-1: the focus VM (foreground 100) beside a background VM (background 50): shares
** 100/150 and 50/150 over 10 s, from the trace and from Get_VM_Exec_Time. */
START_TEST(sl1_shares_fg100_bg50_long_run) {
    tf t;
    uint64_t c[2];
    setup(&t, 2, 10000);
    tf_stim(&t, 9000 * MS, VMM_STIM_CALL, 1, "exec_times", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "END reason=max_cycles"), 1);
    uint64_t total = measure(&t, 0, 2, c);
    assert_share(c[0], total, 2.0 / 3, "sys");
    assert_share(c[1], total, 1.0 / 3, "dos1");
    uint32_t now = tf_u32(&t, "exec_now"), d1 = tf_u32(&t, "exec_dos1"), s0 = tf_u32(&t, "exec_sys");
    ck_assert(now >= 9000 && now < 9100 && d1 + s0 <= now && d1 + s0 + 2 >= now);
    assert_share(d1, now, 1.0 / 3, "dos1 (Get_VM_Exec_Time)");
    fprintf(stderr, "sl1 shares: sys %.4f dos1 %.4f (Get_VM_Exec_Time dos1 %u/%u ms)\n",
            (double)c[0] / total, (double)c[1] / total, d1, now);
    tf_free(&t);
}
END_TEST

/* SL-1: three VMs, 100 (focus) / 50 / 150: shares 1/3, 1/6, 1/2. */
START_TEST(sl1_shares_three_vms) {
    tf t;
    uint64_t c[3];
    setup(&t, 3, 10000);
    t.vms[2].bg_priority = 150;
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint64_t total = measure(&t, 0, 3, c);
    assert_share(c[0], total, 1.0 / 3, "sys");
    assert_share(c[1], total, 1.0 / 6, "dos1");
    assert_share(c[2], total, 1.0 / 2, "dos2");
    fprintf(stderr, "sl1 shares: sys %.4f dos1 %.4f dos2 %.4f\n", (double)c[0] / total,
            (double)c[1] / total, (double)c[2] / total);
    /* slices: the smallest priority gets the granularity, the others in proportion */
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=dos1 cycles=660000 pri=50"), 80);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=dos2 cycles=1980000 pri=150"), 80);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=sys cycles=1320000 pri=100"), 80);
    tf_free(&t);
}
END_TEST

/* SL-1: the system VM gives the focus to dos1: from then on dos1 runs with its
** foreground priority (100) and sys, a background VM, with its background one (50). */
START_TEST(sl1_focus_change) {
    tf t;
    uint64_t c[2];
    setup(&t, 2, 11000);
    t.vms[0].status_flags = 0x2;
    tf_stim(&t, 1000 * MS, VMM_STIM_CALL, 0, "set_focus", DOS1);
    tf_stim(&t, 1100 * MS, VMM_STIM_CALL, 0, "get_info", SYSVM);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "focus_cf"), 0);
    ck_assert_uint_eq(tf_u32(&t, "focus"), DOS1);
    long f = tf_line(&t, "SLICE op=focus vm=dos1", 0);
    ck_assert(f >= 0);
    uint64_t from = line_cycle(&t, tf_line(&t, "SLICE op=start vm=dos1 pri=100", 0));
    ck_assert(tf_line(&t, "SLICE op=start vm=dos1 pri=100", 0) > f && from >= line_cycle(&t, f));
    uint64_t total = measure(&t, from, 2, c);
    assert_share(c[1], total, 2.0 / 3, "dos1 (focus)");
    assert_share(c[0], total, 1.0 / 3, "sys (background)");
    ck_assert_uint_eq(tf_u32(&t, "pri_esi"), 33);    /* sys: 50 of 150 */
    tf_free(&t);
}
END_TEST

/* SL-1: only the system VM may give the focus to another VM (CF set otherwise). */
START_TEST(sl1_focus_only_from_system_vm) {
    tf t;
    setup(&t, 3, 500);
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 1, "set_focus", DOS2);
    tf_stim(&t, 200 * MS, VMM_STIM_CALL, 1, "get_info", DOS1);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "focus_cf"), 1);
    ck_assert_uint_eq(tf_u32(&t, "focus"), SYSVM);
    ck_assert_int_eq(tf_count(&t, "SLICE op=focus"), 0);
    tf_free(&t);
}
END_TEST

/* SL-1: the granularity is the minimum slice: the machine's (30 ms) at first, then
** Set_Time_Slice_Granularity's (50 ms); Get_Time_Slice_Granularity reports it. */
START_TEST(sl1_granularity) {
    tf t;
    setup(&t, 2, 1000);
    t.s.m.time_slice_ms = 30;
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 0, "get_info", DOS1);
    tf_stim(&t, 300 * MS, VMM_STIM_CALL, 0, "set_gran", 50);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "gran"), 30);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=dos1 cycles=990000 pri=50 credit=0 granularity=30"), 1);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=sys cycles=1980000 pri=100 credit=0 granularity=30"), 1);
    long g = tf_line(&t, "SVC_RET vm=sys svc=Set_Time_Slice_Granularity", 0);
    long d = tf_line(&t, "SLICE op=start vm=dos1 cycles=1650000 pri=50 credit=0 granularity=50", 0);
    ck_assert(g >= 0 && d > g);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=sys cycles=3300000 pri=100 credit=0 granularity=50"), 1);
    /* no slice is shorter than the granularity */
    ck_assert_int_eq(tf_count(&t, "SLICE op=start cycles=660000"), 0);
    tf_free(&t);
}
END_TEST

/* SL-1: Release_Time_Slice by a background VM: it goes idle (the rest of its slice
** goes to sys at once), loses 500 ms of execution time, and after Wake_Up_VM misses
** its next 25 slices (25 · 20 ms). The focus VM and a High_Pri_Back VM lose nothing. */
START_TEST(sl1_release_penalty) {
    tf t;
    setup(&t, 3, 4000);
    t.vms[2].status_flags = 0x200;   /* VMStat_High_Pri_Back */
    tf_stim(&t, 1000 * MS, VMM_STIM_RELEASE_TIME_SLICE, 1, NULL, 0);
    tf_stim(&t, 1200 * MS, VMM_STIM_WAKE, 1, NULL, 0);
    tf_stim(&t, 3000 * MS, VMM_STIM_RELEASE_TIME_SLICE, 0, NULL, 0);
    tf_stim(&t, 3000 * MS, VMM_STIM_RELEASE_TIME_SLICE, 2, NULL, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long rel = tf_line(&t, "SLICE op=release vm=dos1 cycles=0 pri=50 credit=-500", 0);
    ck_assert(rel >= 0);
    ck_assert(strstr(tf_line_text(&t, rel - 1), "VM_STATE vm=dos1 state=idle") != NULL);
    ck_assert(strstr(tf_line_text(&t, rel + 1), "PRIORITY vm=dos1 pri=0x00000000") != NULL);
    long wake = tf_line(&t, "VM_STATE vm=dos1 state=wake", 0);
    ck_assert(wake > rel);
    uint64_t wc = line_cycle(&t, wake);
    long back = -1;
    for (int n = 0; back < 0 || back < wake; n++) back = tf_line(&t, "SLICE op=start vm=dos1", n);
    uint64_t bc = line_cycle(&t, back);
    /* 25 passes of dos1 while sys and dos2 (40 + 20 ms) run: 1.5 s without dos1 */
    ck_assert_msg(bc >= wc + 1440 * MS && bc <= wc + 1600 * MS, "dos1 back %llu ms after the wake",
                  (unsigned long long)((bc - wc) / MS));
    ck_assert_int_eq(tf_count(&t, "SLICE op=release vm=sys cycles=0 pri=100 credit=0"), 1);
    ck_assert_int_eq(tf_count(&t, "SLICE op=release vm=dos2 cycles=0 pri=50 credit=0"), 1);
    tf_free(&t);
}
END_TEST

/* SL-1: an exclusive focus VM is the only one to get time slices. */
START_TEST(sl1_exclusive) {
    tf t;
    setup(&t, 2, 1000);
    t.vms[0].status_flags = 0x1;     /* VMStat_Exclusive */
    tf_stim(&t, 500 * MS, VMM_STIM_CALL, 0, "get_info", DOS1);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "SLICE op=start vm=dos1"), 0);
    ck_assert_int_eq(tf_count(&t, "TASK_SWITCH"), 0);
    ck_assert_int_gt(tf_count(&t, "SLICE op=start vm=sys"), 20);
    ck_assert_uint_eq(tf_u32(&t, "info_eax"), 1);
    ck_assert_uint_eq(tf_u32(&t, "info_ebx"), SYSVM);
    ck_assert_uint_eq(tf_u32(&t, "pri_esi"), 0);     /* dos1 cannot get any CPU */
    ck_assert_uint_eq(tf_u32(&t, "pri_eax"), 0x2);
    tf_free(&t);
}
END_TEST

/* SL-1: Cur_Run_VM_Boost moves with the slices: at each slice end the old VM loses
** it, the next one gets it, and PRI-1 switches to it (TASK_SWITCH reason=slice). */
START_TEST(sl1_boost_rotation_in_trace) {
    tf t;
    setup(&t, 2, 200);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long s0 = tf_line(&t, "SLICE op=start vm=sys cycles=1320000", 0);
    long b0 = tf_line(&t, "PRIORITY vm=sys pri=0x00000004 old=0x00000000 boost=4 reason=slice", 0);
    long e0 = tf_line(&t, "EVENT kind=slice index=1", 0);
    long u0 = tf_line(&t, "PRIORITY vm=sys pri=0x00000000 old=0x00000004 boost=-4 reason=slice", 0);
    long s1 = tf_line(&t, "SLICE op=start vm=dos1 cycles=660000", 0);
    long b1 = tf_line(&t, "PRIORITY vm=dos1 pri=0x00000004 boost=4 reason=slice", 0);
    long sw = tf_line(&t, "TASK_SWITCH old=sys new=dos1 reason=slice pri=0x00000004", 0);
    long e1 = tf_line(&t, "EVENT kind=slice index=2", 0);
    long u1 = tf_line(&t, "PRIORITY vm=dos1 pri=0x00000000 boost=-4 reason=slice", 0);
    long sw2 = tf_line(&t, "TASK_SWITCH old=dos1 new=sys reason=slice", 0);
    ck_assert(s0 >= 0 && b0 > s0 && e0 > b0 && u0 > e0 && s1 > u0 && b1 > s1 && sw > b1);
    ck_assert(e1 > sw && u1 > e1 && sw2 > u1);
    ck_assert_uint_eq(line_cycle(&t, e0) - line_cycle(&t, s0), 40 * MS);
    ck_assert_uint_eq(line_cycle(&t, e1) - line_cycle(&t, s1), 20 * MS);
    /* 200 ms: 3 full rounds of 60 ms, then sys again */
    ck_assert_int_eq(tf_count(&t, "SLICE op=start vm=sys"), 4);
    ck_assert_int_eq(tf_count(&t, "SLICE op=start vm=dos1"), 3);
    ck_assert_int_eq(tf_count(&t, "TASK_SWITCH reason=slice"), 6);
    tf_free(&t);
}
END_TEST

/* SL-1: Adjust_Execution_Time lengthens (or shortens) the VM's next slice; on a VM
** that is not on the time-slice list it does nothing. */
START_TEST(sl1_adjust_execution_time) {
    tf t;
    setup(&t, 2, 1000);
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 0, "adjust_dos1", 40);
    tf_stim(&t, 300 * MS, VMM_STIM_CALL, 0, "adjust_dos1", (uint32_t)-10);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long a = tf_line(&t, "SLICE op=adjust vm=dos1 cycles=0 pri=50 credit=40", 0);
    long l = tf_line(&t, "SLICE op=start vm=dos1 cycles=1980000 pri=50 credit=40", 0);
    long a2 = tf_line(&t, "SLICE op=adjust vm=dos1 cycles=0 pri=50 credit=-10", 0);
    long l2 = tf_line(&t, "SLICE op=start vm=dos1 cycles=330000 pri=50 credit=-10", 0);
    ck_assert(a >= 0 && l > a && a2 > l && l2 > a2);
    ck_assert_int_eq(tf_count(&t, "SLICE op=start vm=dos1 cycles=660000 pri=50 credit=0"),
                     tf_count(&t, "SLICE op=start vm=dos1") - 2);
    tf_free(&t);

    setup(&t, 2, 300);
    t.vms[1].status_flags = 0;       /* dos1 is not on the list */
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 0, "adjust_dos1", 40);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "SLICE op=adjust"), 0);
    ck_assert_int_eq(tf_count(&t, "SLICE op=start vm=dos1"), 0);
    tf_free(&t);
}
END_TEST

/* SL-1: Set_Time_Slice_Priority the DDK's way (Get, OR VMStat_Background, Set) puts
** dos2 on the list with its new priorities; Get_Time_Slice_Priority reads them back. */
START_TEST(sl1_set_time_slice_priority) {
    tf t;
    setup(&t, 3, 1000);
    t.vms[2].status_flags = 0;
    tf_stim(&t, 200 * MS, VMM_STIM_CALL, 0, "dos2_background", 150);
    tf_stim(&t, 500 * MS, VMM_STIM_CALL, 0, "get_info", DOS2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long set = tf_line(&t, "SVC_RET vm=sys svc=Set_Time_Slice_Priority", 0);
    long first = tf_line(&t, "SLICE op=start vm=dos2", 0);
    ck_assert(set >= 0 && first > set);
    ck_assert(strstr(tf_line_text(&t, first), "cycles=1980000 pri=150") != NULL);
    ck_assert_uint_eq(tf_u32(&t, "pri_eax"), 0x2);
    ck_assert_uint_eq(tf_u32(&t, "pri_ecx"), 200);
    ck_assert_uint_eq(tf_u32(&t, "pri_edx"), 150);
    ck_assert_uint_eq(tf_u32(&t, "pri_esi"), 50);    /* 150 of 100 + 50 + 150 */
    ck_assert_uint_eq(tf_u32(&t, "info_eax"), 3);
    ck_assert_uint_eq(tf_u32(&t, "info_ebx"), SYSVM);
    ck_assert_uint_eq(tf_u32(&t, "info_ecx"), 0);
    tf_free(&t);
}
END_TEST

/* SL-1: Get_Time_Slice_Info counts idle VMs on the list apart from scheduled ones. */
START_TEST(sl1_time_slice_info_idle) {
    tf t;
    setup(&t, 3, 600);
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 2, "release", 0);
    tf_stim(&t, 300 * MS, VMM_STIM_CALL, 0, "get_info", DOS2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "info_eax"), 2);
    ck_assert_uint_eq(tf_u32(&t, "info_ecx"), 1);
    ck_assert_uint_eq(tf_u32(&t, "info_ebx"), SYSVM);
    ck_assert_uint_eq(tf_u32(&t, "pri_esi"), 25);    /* 50 of 100 + 50 + 50 when it runs */
    tf_free(&t);
}
END_TEST

/* SL-1, docs/vmm.md "Determinism and reset": the slicer is deterministic: same trace hash after a reset and
** in a second machine. */
START_TEST(sl1_determinism) {
    tf t, u;
    setup(&t, 3, 2000);
    t.vms[2].bg_priority = 75;
    tf_stim(&t, 300 * MS, VMM_STIM_RELEASE_TIME_SLICE, 1, NULL, 0);
    tf_stim(&t, 700 * MS, VMM_STIM_WAKE, 1, NULL, 0);
    tf_stim(&t, 900 * MS, VMM_STIM_CALL, 0, "set_focus", DOS2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint64_t h = tf_hash(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_hash(&t), h);
    setup(&u, 3, 2000);
    u.vms[2].bg_priority = 75;
    memcpy(u.stim, t.stim, sizeof t.stim);
    u.s.nstim = t.s.nstim;
    ck_assert_int_eq(tf_run(&u), VMM_OK);
    ck_assert_uint_eq(tf_hash(&u), h);
    tf_free(&u);
    tf_free(&t);
}
END_TEST

/* SL-1: off by default: no slice, no boost, the run ends when nothing is left; the
** services still answer (defaults 100 / 50, granularity 20 ms, focus = system VM). */
START_TEST(sl1_off_by_default) {
    tf t;
    tf_init(&t, "sl", 2);
    t.vms[1].status_flags = 0x2;
    tf_stim(&t, 10000, VMM_STIM_CALL, 0, "get_info", DOS1);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "SLICE"), 0);
    ck_assert_int_eq(tf_count(&t, "reason=slice"), 0);
    ck_assert_int_eq(tf_count(&t, "END reason=done"), 1);
    ck_assert_uint_eq(tf_u32(&t, "gran"), 20);
    ck_assert_uint_eq(tf_u32(&t, "focus"), SYSVM);
    ck_assert_uint_eq(tf_u32(&t, "pri_ecx"), 100);
    ck_assert_uint_eq(tf_u32(&t, "pri_edx"), 50);
    ck_assert_uint_eq(tf_u32(&t, "pri_esi"), 33);
    ck_assert_uint_eq(tf_u32(&t, "info_eax"), 2);
    ck_assert_uint_eq(tf_u32(&t, "info_ebx"), SYSVM);   /* no slice: the current VM */
    tf_free(&t);
}
END_TEST

Suite *sl_suite(void) {
    Suite *s = suite_create("sl");
    TCase *tc = tcase_create("sl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sl1_shares_fg100_bg50_long_run);
    tcase_add_test(tc, sl1_shares_three_vms);
    tcase_add_test(tc, sl1_focus_change);
    tcase_add_test(tc, sl1_focus_only_from_system_vm);
    tcase_add_test(tc, sl1_granularity);
    tcase_add_test(tc, sl1_release_penalty);
    tcase_add_test(tc, sl1_exclusive);
    tcase_add_test(tc, sl1_boost_rotation_in_trace);
    tcase_add_test(tc, sl1_adjust_execution_time);
    tcase_add_test(tc, sl1_set_time_slice_priority);
    tcase_add_test(tc, sl1_time_slice_info_idle);
    tcase_add_test(tc, sl1_determinism);
    tcase_add_test(tc, sl1_off_by_default);
    suite_add_tcase(s, tc);
    return s;
}
