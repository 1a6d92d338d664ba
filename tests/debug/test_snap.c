/*
** test_snap.c — whole-machine snapshots (vmm/snap.c) over the tutorial's buggy scenario
** with the failing random schedule: a run snapshotted at VMM step N and run on to its end
** (trace hash H1), the snapshot restored into a fresh machine and resumed (H2), and an
** uninterrupted run without hook (H3) give H1 == H2 == H3, at many N; guest runs are cut
** every 500 cycles so that steps fall inside callbacks, interrupts and services too.
*/
#include <stdlib.h>
#include <string.h>

#include "test_debug.h"
#include "explore/explore.h"

typedef struct probe { uint64_t steps, at; vmm_snap sn; int taken; uint64_t cycles; } probe;

static void on_loop(void *ud, vmm_state *v) {
    probe *p = ud;
    if (++p->steps != p->at) return;
    ck_assert_int_eq(vmm_snap_take(&p->sn, v), VMM_OK);
    p->taken = 1;
}

static vmm_state *machine(xpl_sim *sim) {
    int err = 0;
    char msg[256];
    vmm_state *v = vmm_new(&sim->s.vs, &err, msg, sizeof msg);
    ck_assert_msg(v != NULL, "%s", msg);
    eng_chooser_random(vmm_chooser(v), eng_run_seed(0, 0));
    return v;
}

static uint64_t hash_of(vmm_state *v) { return vmm_trace(v)->hash; }

START_TEST(snap_resume_equal) {
    xpl_sim sim;
    memset(&sim, 0, sizeof sim);
    ck_assert_int_eq(xpl_sim_load(&sim, DBG_TEST_SCENARIO, stderr), 0);
    vmm_state *v = machine(&sim);
    int rc3 = vmm_run(v);
    uint64_t h3 = hash_of(v), count3 = vmm_trace(v)->count;
    vmm_free(v);
    static const uint64_t at[] = { 1, 2, 3, 5, 8, 13, 20, 30, 40, 60, 100, 150, 250, 600 };
    uint32_t used = 0;
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        probe p = { .at = at[k] };
        vmm_snap_init(&p.sn);
        v = machine(&sim);
        vmm_set_loop_hook(v, on_loop, &p, 500);
        int rc1 = vmm_run(v);
        ck_assert_int_eq(rc1, rc3);
        ck_assert_uint_eq(hash_of(v), h3);      /* H1: the hook and the cuts change nothing */
        if (!p.taken) { vmm_free(v); vmm_snap_close(&p.sn); continue; }
        used++;
        vmm_free(v);
        v = machine(&sim);
        ck_assert_int_eq(vmm_snap_restore(v, &p.sn), VMM_OK);
        ck_assert_uint_eq(cpu_cycles(vmm_cpu(v)), p.sn.cycles);
        ck_assert_int_eq(vmm_resume(v), rc3);
        ck_assert_uint_eq(hash_of(v), h3);      /* H2 */
        ck_assert_uint_eq(vmm_trace(v)->count, count3);
        /* the same snapshot into the machine that just ended: restored over a run */
        ck_assert_int_eq(vmm_snap_restore(v, &p.sn), VMM_OK);
        ck_assert_int_eq(vmm_resume(v), rc3);
        ck_assert_uint_eq(hash_of(v), h3);
        vmm_free(v);
        vmm_snap_close(&p.sn);
    }
    ck_assert_uint_ge(used, 8);
    xpl_sim_free(&sim);
}
END_TEST

START_TEST(snap_rejects_other_shape) {
    vmm_snap sn;
    vmm_snap_init(&sn);
    xpl_sim sim;
    memset(&sim, 0, sizeof sim);
    ck_assert_int_eq(xpl_sim_load(&sim, DBG_TEST_SCENARIO, stderr), 0);
    vmm_state *v = machine(&sim);
    ck_assert_int_eq(vmm_snap_restore(v, &sn), VMM_EINVAL);   /* empty */
    uint8_t junk[64] = { 0 };
    sn.buf = junk;
    sn.len = sizeof junk;
    ck_assert_int_eq(vmm_snap_restore(v, &sn), VMM_EINVAL);   /* cut short */
    vmm_free(v);
    xpl_sim_free(&sim);
}
END_TEST

Suite *test_snap_suite(void) {
    Suite *s = suite_create("snap");
    TCase *tc = tcase_create("snap");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, snap_resume_equal);
    tcase_add_test(tc, snap_rejects_other_shape);
    suite_add_tcase(s, tc);
    return s;
}
