/*
** test_snap.c — whole-machine snapshots (vmm/snap.c) over the tutorial's buggy scenario
** with the failing random schedule: a run snapshotted at VMM step N and run on to its end
** (trace hash H1), the snapshot restored into a fresh machine and resumed (H2), and an
** uninterrupted run without hook (H3) give H1 == H2 == H3, at 16 N spread over the run
** and at the first steps inside a callback, a hardware-interrupt procedure and a
** service (blocked on the critical section, or a callback chain it started); guest runs
** are cut every 500 cycles so that steps fall inside guest code. A second scenario
** (scenarios/int1_virt_eoi_iret_procs.yaml) has simulated interrupts.
*/
#include <stdlib.h>
#include <string.h>

#include "test_debug.h"
#include "explore/explore.h"

/* What the machine is in the middle of at a VMM step (vmm_describe's text). */
enum { AT_CALLBACK, AT_INTERRUPT, AT_SERVICE, AT_KINDS };

static int at_kind(vmm_state *v, int kind) {
    static char text[16384];
    vmm_describe(v, text, sizeof text);
    if (kind == AT_CALLBACK) return strstr(text, "frame 0:") != NULL;
    if (kind == AT_INTERRUPT) return strstr(text, "hwint callback") || strstr(text, "vid_");
    return strstr(text, "blocked-on-crit") || strstr(text, "frame 1:");   /* a service's chain */
}

#define SNAP_POINTS 16
typedef struct probe {
    uint64_t steps;
    uint64_t first[AT_KINDS];   /* survey: the first step in each state (0: none) */
    uint64_t at;                /* snapshot: the step to take it at */
    vmm_snap sn;
    int      taken;
} probe;

static void on_survey(void *ud, vmm_state *v) {
    probe *p = ud;
    p->steps++;
    for (int k = 0; k < AT_KINDS; k++)
        if (!p->first[k] && at_kind(v, k)) p->first[k] = p->steps;
}

static void on_loop(void *ud, vmm_state *v) {
    probe *p = ud;
    if (++p->steps != p->at) return;
    ck_assert_int_eq(vmm_snap_take(&p->sn, v), VMM_OK);
    p->taken = 1;
}

static vmm_state *machine(xpl_sim *sim, uint64_t seed) {
    int err = 0;
    char msg[256];
    vmm_state *v = vmm_new(&sim->s.vs, &err, msg, sizeof msg);
    ck_assert_msg(v != NULL, "%s", msg);
    eng_chooser_random(vmm_chooser(v), seed);
    return v;
}

static uint64_t hash_of(vmm_state *v) { return vmm_trace(v)->hash; }

/* H1 (the run that took the snapshot at step n) == H2 (restored and resumed, into a
** fresh machine and over the ended one) == h3 (uninterrupted). */
static void snap_at(xpl_sim *sim, uint64_t seed, uint64_t n, int rc3, uint64_t h3, uint64_t count3) {
    probe p = { .at = n };
    vmm_snap_init(&p.sn);
    vmm_state *v = machine(sim, seed);
    vmm_set_loop_hook(v, on_loop, &p, 500);
    ck_assert_int_eq(vmm_run(v), rc3);
    ck_assert_uint_eq(hash_of(v), h3);      /* H1: the hook and the cuts change nothing */
    ck_assert_msg(p.taken, "no VMM step %llu", (unsigned long long)n);
    vmm_free(v);
    v = machine(sim, seed);
    ck_assert_int_eq(vmm_snap_restore(v, &p.sn), VMM_OK);
    ck_assert_uint_eq(cpu_cycles(vmm_cpu(v)), p.sn.cycles);
    ck_assert_int_eq(vmm_resume(v), rc3);
    ck_assert_uint_eq(hash_of(v), h3);      /* H2 */
    ck_assert_uint_eq(vmm_trace(v)->count, count3);
    ck_assert_int_eq(vmm_snap_restore(v, &p.sn), VMM_OK);   /* over a run that ended */
    ck_assert_int_eq(vmm_resume(v), rc3);
    ck_assert_uint_eq(hash_of(v), h3);
    vmm_free(v);
    vmm_snap_close(&p.sn);
}

/* Snapshots at the first step inside a callback, an interrupt and a service (those of
** `want` must occur), and at spread steps. */
static void snap_scenario(const char *path, uint64_t seed, unsigned want) {
    xpl_sim sim;
    memset(&sim, 0, sizeof sim);
    ck_assert_int_eq(xpl_sim_load(&sim, path, stderr), 0);
    vmm_state *v = machine(&sim, seed);
    int rc3 = vmm_run(v);
    uint64_t h3 = hash_of(v), count3 = vmm_trace(v)->count;
    vmm_free(v);
    probe sv = { .steps = 0 };
    v = machine(&sim, seed);
    vmm_set_loop_hook(v, on_survey, &sv, 500);
    ck_assert_int_eq(vmm_run(v), rc3);
    vmm_free(v);
    ck_assert_uint_ge(sv.steps, 8);
    for (int k = 0; k < AT_KINDS; k++) {
        if (want >> k & 1) ck_assert_msg(sv.first[k] != 0, "%s: no step in state %d", path, k);
        if (sv.first[k]) snap_at(&sim, seed, sv.first[k], rc3, h3, count3);
        if (sv.first[k] && sv.first[k] + 1 <= sv.steps) snap_at(&sim, seed, sv.first[k] + 1, rc3, h3, count3);
    }
    for (uint64_t k = 1; k <= SNAP_POINTS; k++)   /* spread over the whole run */
        snap_at(&sim, seed, 1 + (sv.steps - 1) * k / SNAP_POINTS, rc3, h3, count3);
    xpl_sim_free(&sim);
}

START_TEST(snap_resume_equal) {
    snap_scenario(DBG_TEST_SCENARIO, eng_run_seed(0, 0), 1u << AT_CALLBACK | 1u << AT_SERVICE);
}
END_TEST

START_TEST(snap_resume_equal_irq) {
    snap_scenario(DBG_TEST_IRQ, 0, 1u << AT_CALLBACK | 1u << AT_INTERRUPT);
}
END_TEST

START_TEST(snap_rejects_other_shape) {
    vmm_snap sn;
    vmm_snap_init(&sn);
    xpl_sim sim;
    memset(&sim, 0, sizeof sim);
    ck_assert_int_eq(xpl_sim_load(&sim, DBG_TEST_SCENARIO, stderr), 0);
    vmm_state *v = machine(&sim, 0);
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
    tcase_add_test(tc, snap_resume_equal_irq);
    tcase_add_test(tc, snap_rejects_other_shape);
    suite_add_tcase(s, tc);
    return s;
}
