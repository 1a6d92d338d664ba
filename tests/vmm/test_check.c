/* test_check.c — vmm_check: the invariant walk holds through real runs, catches each
** kind of corrupted state, and (test build) stops a run whose state breaks. */
#include <string.h>

#include "test_vmm.h"
#include "vmm/vmm_int.h"   /* to corrupt the state on purpose */

/* The crit scenario of test_crit.c: blocking, granting, boosts. */
static void crit_run(tf *t) {
    tf_init(t, "crit", 3);
    tf_stim(t, 5000, VMM_STIM_CALL, 2, "note2", 0);
    tf_stim(t, 10000, VMM_STIM_BEGIN_CRIT, 1, NULL, 0);
    tf_stim(t, 15000, VMM_STIM_CALL, 2, "take", 0);
    tf_stim(t, 20000, VMM_STIM_CALL, 1, "boost2", 0);
    tf_stim(t, 60000, VMM_STIM_END_CRIT, 1, NULL, 0);
    ck_assert_int_eq(tf_run(t), VMM_OK);
}

START_TEST(check_holds_on_a_run) {
    tf t;
    char why[200] = "untouched";
    crit_run(&t);
    ck_assert_int_eq(vmm_check(t.v, why, sizeof why), VMM_OK);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_int_eq(vmm_check(t.v, NULL, 0), VMM_OK);
    ck_assert_int_eq(vmm_check(NULL, why, sizeof why), VMM_EBROKEN);
    tf_free(&t);
}
END_TEST

/* One corruption: what it breaks, and a word vmm_check's reason must contain. */
typedef struct corruption {
    const char *name, *word;
    void (*apply)(vmm_state *v);
} corruption;

static void two_owners_view(vmm_state *v) { v->crit.owner = (int)v->nvms; v->crit.count = 1; }
static void owner_without_count(vmm_state *v) { v->crit.owner = 1; v->crit.count = 0; }
static void count_without_owner(vmm_state *v) { v->crit.owner = -1; v->crit.count = 3; }
static void owner_waits(vmm_state *v) { v->crit.owner = 1; v->crit.count = 1; v->ctx[1].blocked = 1; }
static void waiter_without_owner(vmm_state *v) { v->crit.owner = -1; v->crit.count = 0; v->ctx[2].blocked = 1; }
static void too_deep(vmm_state *v) { v->ctx[0].depth = VMM_FRAMES_MAX + 1; }
static void frame_kind(vmm_state *v) { v->ctx[1].depth = 1; v->ctx[1].frame[0].kind = VMM_CB_KIND_COUNT; }
static void nc_overowed(vmm_state *v) { v->nc.owed = v->nc.n + 1; }
static void nc_overfull(vmm_state *v) { v->nc.n = v->m.nc_slots + 1; }
static void idle_overfull(vmm_state *v) { v->idle.n = v->m.idle_slots + 1; }
static void events_overfull(vmm_state *v) { v->ev.n = v->ev.cap + 1; }
static void event_bad_vm(vmm_state *v) {
    v->ev.n = 1;
    v->ev.list[0] = (vmm_ev){ .handle = VMM_H_EVENT | 1, .type = VMM_EVT_VM, .vm = 99 };
}
static void timeout_bad_vm(vmm_state *v) {
    v->tm.n = 1;
    v->tm.list[0] = (vmm_ev){ .handle = VMM_H_TIMEOUT | 1, .type = VMM_TOT_PRIO, .vm = v->nvms };
}
static void timeout_bad_handle(vmm_state *v) {
    v->tm.n = 1;
    v->tm.list[0] = (vmm_ev){ .handle = VMM_H_EVENT | 1, .type = VMM_TOT_GLOBAL };
}
static void cur_out_of_range(vmm_state *v) { v->run.cur = v->nvms; }
static void slice_owner(vmm_state *v) { v->sl.owner = (int)v->nvms + 3; }
static void trap_without_frame(vmm_state *v) { v->trap.run[1].active = 1; v->trap.run[1].esize = 1; }
static void trap_frame_without_run(vmm_state *v) { v->ctx[2].depth = 1; v->ctx[2].frame[0].kind = VMM_CB_IOTRAP; }
static void trap_port_no_vm(vmm_state *v) { v->trap.n = 1; v->trap.port[0].on = 1ull << v->nvms; }

static const corruption corruptions[] = {
    { "owner not a VM", "not a VM", two_owners_view },
    { "owner without claims", "claim count", owner_without_count },
    { "claims without owner", "claim count", count_without_owner },
    { "owner waits", "owner 1 waits", owner_waits },
    { "waiter on a free section", "free critical section", waiter_without_owner },
    { "context too deep", "nests", too_deep },
    { "frame of no kind", "frame 0", frame_kind },
    { "NC owed beyond installed", "owed", nc_overowed },
    { "NC beyond its slots", "not-critical", nc_overfull },
    { "idle beyond its slots", "idle callbacks", idle_overfull },
    { "events beyond capacity", "events", events_overfull },
    { "VM event for no VM", "VM 99", event_bad_vm },
    { "priority time-out for no VM", "time-out 0", timeout_bad_vm },
    { "time-out with an event's handle", "has handle", timeout_bad_handle },
    { "current VM out of range", "current VM", cur_out_of_range },
    { "slice owner not a VM", "time slicer", slice_owner },
    { "trapped instruction without its frame", "in progress", trap_without_frame },
    { "iotrap frame without its instruction", "iotrap frame without", trap_frame_without_run },
    { "port trapped in no VM", "does not exist", trap_port_no_vm },
};

/* Each corruption alone is caught, with its reason; the machine is reset between. */
START_TEST(check_catches_corruption) {
    const corruption *c = &corruptions[_i];
    tf t;
    char why[200];
    crit_run(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_int_eq(vmm_check(t.v, why, sizeof why), VMM_OK);
    c->apply(t.v);
    ck_assert_msg(vmm_check(t.v, why, sizeof why) == VMM_EBROKEN, "%s: not caught", c->name);
    ck_assert_msg(strstr(why, c->word) != NULL, "%s: reason \"%s\" lacks \"%s\"", c->name, why, c->word);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);   /* reset repairs every owned struct */
    ck_assert_int_eq(vmm_check(t.v, NULL, 0), VMM_OK);
    tf_free(&t);
}
END_TEST

#ifdef VMMSIM_CHECKS
/* A record hook that breaks the critical section's invariant in the middle of a run. */
static void break_crit(void *ud, uint64_t index, uint16_t type) {
    vmm_state *v = ud;
    (void)type;
    if (index == 20) { v->crit.owner = -1; v->crit.count = 5; }
}
#endif

/* The test build walks the invariants after each dispatch: the run stops with
** VMM_EBROKEN and says which invariant, instead of running on. (Without the test
** build nothing walks the invariants during a run: the test has nothing to show.) */
START_TEST(run_stops_on_broken_invariant) {
#ifdef VMMSIM_CHECKS
    tf t;
    char err[256];
    int rc;
    tf_init(&t, "crit", 3);
    tf_stim(&t, 10000, VMM_STIM_BEGIN_CRIT, 1, NULL, 0);
    tf_stim(&t, 60000, VMM_STIM_END_CRIT, 1, NULL, 0);
    t.v = vmm_new(&t.s, &rc, err, sizeof err);
    ck_assert_msg(t.v != NULL, "vmm_new: %s", err);
    vmm_set_rec_hook(t.v, break_crit, t.v);
    ck_assert_int_eq(tf_run(&t), VMM_EBROKEN);
    ck_assert_msg(strstr(vmm_error(t.v), "invariant broken") != NULL, "%s", vmm_error(t.v));
    ck_assert_msg(strstr(vmm_error(t.v), "claim count 5") != NULL, "%s", vmm_error(t.v));
    tf_free(&t);
#endif
}
END_TEST

Suite *check_suite(void) {
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("check");
    tcase_add_test(tc, check_holds_on_a_run);
    tcase_add_loop_test(tc, check_catches_corruption, 0,
                        (int)(sizeof corruptions / sizeof corruptions[0]));
    tcase_add_test(tc, run_stops_on_broken_invariant);
    suite_add_tcase(s, tc);
    return s;
}
