/*
** test_target.c — debug/'s target over a real run: the tutorial's buggy scenario
** (docs/tutorial/buggy.yaml) with the random schedule of `vmmsim fuzz`'s failing
** run 0. Replies to good and malformed packets, breakpoints, watchpoints, Ctrl-C,
** reverse step and continue landing on the instruction gone forward from, and a
** debugged run whose trace hash equals the plain run's.
*/
#include <stdlib.h>
#include <string.h>

#include "test_debug.h"
#include "debug/dbg.h"

static uint64_t seed0(void) { return eng_run_seed(0, 0); }   /* fuzz run 0: it fails */

static dbg_sess *open_sess(void) {
    dbg_opts o = { .scenario = DBG_TEST_SCENARIO, .strategy = ENG_STRAT_RANDOM, .seed = seed0(),
                   .stop_on_finding = 1 };
    dbg_sess *s = NULL;
    ck_assert_int_eq(dbg_sess_new(&s, &o, stderr), 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(dbg_sess_steps(s), 1);   /* before the first instruction */
    return s;
}

/* Sends one packet and returns its reply's payload (after a resume: the stop reply). */
static const char *ask(dbg_sess *s, dbg_rsp *r, const char *pkt) {
    static char reply[DBG_OUT_MAX];
    size_t used;
    dbg_rsp_take(r, r->nout);
    ck_assert_int_eq(dbg_rsp_send_str(r, pkt), 0);   /* frame it as gdb would */
    uint8_t in[DBG_OUT_MAX];
    size_t n = r->nout;
    memcpy(in, r->out, n);
    dbg_rsp_take(r, n);
    ck_assert_int_eq(dbg_rsp_feed(r, in, n, &used), DBG_EV_PACKET);
    dbg_rsp_take(r, r->nout);   /* the '+' */
    int rc = dbg_sess_packet(s, r);
    for (int k = 0; rc == DBG_RC_RUNNING && k < 100000; k++)
        if (dbg_sess_run(s, r, 1000)) rc = DBG_RC_REPLIED;
    ck_assert_int_ne(rc, DBG_RC_RUNNING);
    if (r->nout == 0) return "";
    ck_assert_int_eq(r->out[0], '$');
    const uint8_t *end = memchr(r->out, '#', r->nout);
    ck_assert_ptr_nonnull(end);
    size_t len = (size_t)(end - r->out) - 1;
    memcpy(reply, r->out + 1, len);
    reply[len] = 0;
    return reply;
}

static uint32_t label(dbg_sess *s, const char *name) {
    const scen *sc = dbg_sess_scen(s);
    for (uint32_t k = 0; k < sc->vxds[0].nlabels; k++)
        if (!strcmp(sc->vxds[0].labels[k].name, name)) return sc->vxds[0].labels[k].addr;
    ck_abort_msg("no label %s", name);
    return 0;
}

static uint32_t eip_of(dbg_sess *s, dbg_rsp *r) {
    const char *p = ask(s, r, "p8");
    ck_assert_uint_eq(strlen(p), 8);
    uint32_t v = 0;
    for (int k = 3; k >= 0; k--) {
        unsigned b;
        ck_assert_int_eq(sscanf(p + 2 * k, "%2x", &b), 1);
        v = v << 8 | b;
    }
    return v;
}

START_TEST(replies) {
    dbg_sess *s = open_sess();
    dbg_rsp r;
    char pkt[64];
    dbg_rsp_init(&r);
    ck_assert_uint_eq(strlen(ask(s, &r, "g")), 128);
    ck_assert_str_eq(ask(s, &r, "?"), "T05thread:1;");
    ck_assert_ptr_nonnull(strstr(ask(s, &r, "qSupported:swbreak+"), "ReverseContinue+"));
    snprintf(pkt, sizeof pkt, "m%x,4", label(s, "broken"));
    ck_assert_str_eq(ask(s, &r, pkt), "00000000");
    ck_assert_str_eq(ask(s, &r, "mffffff00,4"), "E14");   /* beyond guest RAM */
    ck_assert_str_eq(ask(s, &r, "m0,100000"), "E01");      /* longer than one packet */
    ck_assert_str_eq(ask(s, &r, "mzz"), "E01");
    ck_assert_str_eq(ask(s, &r, "M10,2:zz00"), "E01");
    ck_assert_str_eq(ask(s, &r, "M10,2:abcd"), "OK");
    ck_assert_str_eq(ask(s, &r, "m10,2"), "abcd");
    ck_assert_str_eq(ask(s, &r, "Z9,0,0"), "E01");
    ck_assert_str_eq(ask(s, &r, "Z3,10,4"), "OK");
    ck_assert_str_eq(ask(s, &r, "z3,10,4"), "OK");
    ck_assert_str_eq(ask(s, &r, "Z2,10,9"), "E22");
    ck_assert_str_eq(ask(s, &r, "pzz"), "E01");
    ck_assert_str_eq(ask(s, &r, "p40"), "E02");
    ck_assert_str_eq(ask(s, &r, "vCont?"), "vCont;c;C;s;S");
    ck_assert_str_eq(ask(s, &r, "vCont;x"), "E01");
    ck_assert_str_eq(ask(s, &r, "c 1234"), "E01");
    ck_assert_str_eq(ask(s, &r, "qfThreadInfo"), "m1,2,3");
    ck_assert_str_eq(ask(s, &r, "Hg2"), "OK");
    ck_assert_str_eq(ask(s, &r, "Hg9"), "E01");
    ck_assert_str_eq(ask(s, &r, "T3"), "OK");
    ck_assert_str_eq(ask(s, &r, "T4"), "E01");
    ck_assert_str_eq(ask(s, &r, "qFrobnicate"), "");
    ck_assert_str_eq(ask(s, &r, "bs"), "T05replaylog:begin;thread:1;");
    dbg_sess_free(s);
}
END_TEST

/* The trace of a run with breakpoints, watchpoints, steps and reverse commands is the
** plain run's. */
START_TEST(trace_equal) {
    xpl_sim c;
    memset(&c, 0, sizeof c);
    c.strategy = ENG_STRAT_RANDOM;
    c.seed = seed0();
    ck_assert_int_eq(xpl_sim_load(&c, DBG_TEST_SCENARIO, stderr), 0);
    xpl_sim_run(&c, stderr);
    uint64_t hash = vmm_trace(c.v)->hash, count = vmm_trace(c.v)->count;
    xpl_sim_free(&c);

    dbg_sess *s = open_sess();
    dbg_rsp r;
    char pkt[64];
    dbg_rsp_init(&r);
    snprintf(pkt, sizeof pkt, "Z0,%x,1", label(s, "idle_flush"));
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    snprintf(pkt, sizeof pkt, "Z2,%x,4", label(s, "broken"));
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    for (int k = 0; k < 5; k++) ck_assert_str_eq(ask(s, &r, "s"), "T05thread:1;");
    ck_assert_str_eq(ask(s, &r, "bs"), "T05thread:1;");
    const char *stop = "";
    for (int k = 0; k < 20 && !strstr(stop, "replaylog:end"); k++) stop = ask(s, &r, "vCont;c");
    ck_assert_ptr_nonnull(strstr(stop, "replaylog:end"));
    ck_assert_int_eq(dbg_sess_ended(s), 1);
    ck_assert_uint_eq(vmm_trace(dbg_sess_vmm(s))->count, count);
    ck_assert_uint_eq(vmm_trace(dbg_sess_vmm(s))->hash, hash);
    dbg_sess_free(s);
}
END_TEST

START_TEST(reverse_step_lands) {
    dbg_sess *s = open_sess();
    dbg_rsp r;
    char regs[200];
    dbg_rsp_init(&r);
    for (int k = 0; k < 30; k++) ask(s, &r, "s");
    uint64_t at = dbg_sess_steps(s);
    strcpy(regs, ask(s, &r, "g"));
    for (int k = 0; k < 7; k++) ask(s, &r, "s");
    for (int k = 0; k < 7; k++) ck_assert_int_eq(strncmp(ask(s, &r, "bs"), "T05thread:", 10), 0);
    ck_assert_uint_eq(dbg_sess_steps(s), at);
    ck_assert_str_eq(ask(s, &r, "g"), regs);
    ck_assert_uint_ge(dbg_sess_reexecs(s), 7);
    dbg_sess_free(s);
}
END_TEST

/* reverse-continue from the end: the watchpoint's write (before it: EIP on the
** writing MOV, the value still 0), then the breakpoint before it. */
START_TEST(reverse_continue) {
    dbg_sess *s = open_sess();
    dbg_rsp r;
    char pkt[64];
    dbg_rsp_init(&r);
    uint32_t flush = label(s, "idle_flush"), broken = label(s, "broken");
    snprintf(pkt, sizeof pkt, "Z0,%x,1", flush);
    ask(s, &r, pkt);
    ck_assert_str_eq(ask(s, &r, "c"), "T05swbreak:;thread:1;");
    uint64_t bp_step = dbg_sess_steps(s);
    ck_assert_uint_eq(eip_of(s, &r), flush);
    snprintf(pkt, sizeof pkt, "Z2,%x,4", broken);
    ask(s, &r, pkt);
    char want[64];
    snprintf(want, sizeof want, "T05watch:%x;thread:1;", broken);
    ck_assert_str_eq(ask(s, &r, "c"), want);
    uint64_t wp_step = dbg_sess_steps(s);
    uint32_t after = eip_of(s, &r);
    ck_assert_ptr_nonnull(strstr(ask(s, &r, "c"), "replaylog:end"));
    ck_assert_str_eq(ask(s, &r, "bc"), want);
    ck_assert_uint_eq(dbg_sess_steps(s), wp_step - 1);
    ck_assert_uint_eq(eip_of(s, &r), after - 10);   /* mov dword [broken], 1: 10 bytes */
    snprintf(pkt, sizeof pkt, "m%x,4", broken);
    ck_assert_str_eq(ask(s, &r, pkt), "00000000");
    ck_assert_str_eq(ask(s, &r, "bc"), "T05swbreak:;thread:1;");
    ck_assert_uint_eq(dbg_sess_steps(s), bp_step);
    ck_assert_str_eq(ask(s, &r, "bc"), "T05replaylog:begin;thread:1;");
    ck_assert_uint_eq(dbg_sess_steps(s), 1);
    dbg_sess_free(s);
}
END_TEST

/* Z3 stops after guest code read the bytes (idle_flush's CMP, not append's MOV that
** writes them); Z4 after any access (append's MOV). */
START_TEST(read_and_access_watch) {
    dbg_sess *s = open_sess();
    dbg_rsp r;
    char pkt[64], want[64];
    dbg_rsp_init(&r);
    uint32_t staged = label(s, "staged");
    snprintf(pkt, sizeof pkt, "Z3,%x,4", staged);
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    snprintf(want, sizeof want, "T05rwatch:%x;thread:1;", staged);
    ck_assert_str_eq(ask(s, &r, "c"), want);
    ck_assert_uint_eq(eip_of(s, &r), label(s, "idle_flush") + 7);   /* after cmp dword [staged], 0 */
    pkt[0] = 'z';
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    snprintf(pkt, sizeof pkt, "Z4,%x,4", staged);
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    snprintf(want, sizeof want, "T05awatch:%x;thread:1;", staged);
    ck_assert_str_eq(ask(s, &r, "bc"), want);                        /* backwards: append's write */
    ck_assert_uint_eq(eip_of(s, &r), label(s, "append") + 11);      /* before mov [staged], edx */
    ck_assert_str_eq(ask(s, &r, "s"), want);                         /* the write is an access */
    ck_assert_uint_eq(eip_of(s, &r), label(s, "append") + 17);
    dbg_sess_free(s);
}
END_TEST

/* Going back over a long run fast-forwards to a recorded point (the instruction count
** of a step) and steps from there: it lands where going forward step by step does. */
START_TEST(fast_forward_lands) {
    dbg_opts o = { .scenario = DBG_TEST_BUSY, .strategy = ENG_STRAT_CANONICAL };
    dbg_sess *a = NULL, *b = NULL;
    dbg_rsp r;
    char ga[200], hex[64];
    dbg_rsp_init(&r);
    ck_assert_int_eq(dbg_sess_new(&a, &o, stderr), 0);
    ck_assert_int_eq(dbg_sess_new(&b, &o, stderr), 0);
    ck_assert_ptr_nonnull(strstr(ask(a, &r, "c"), "replaylog:end"));
    uint64_t end = dbg_sess_steps(a);
    ck_assert_uint_gt(end, 3u * DBG_CK_EVERY);
    ck_assert_str_eq(ask(a, &r, "bs"), "T05thread:1;");   /* the last instruction */
    ck_assert_str_eq(ask(a, &r, "bs"), "T05thread:1;");
    ck_assert_uint_eq(dbg_sess_steps(a), end - 1);
    strcpy(ga, ask(a, &r, "g"));
    /* b: forward one step at a time to the same step (no re-execution) */
    snprintf(hex, sizeof hex, "step %llu", (unsigned long long)(end - 1));
    char pkt[160] = "qRcmd,";
    for (size_t k = 0; hex[k]; k++) snprintf(pkt + 6 + 2 * k, 3, "%02x", (unsigned char)hex[k]);
    ask(b, &r, pkt);
    ck_assert_uint_eq(dbg_sess_reexecs(b), 0);
    ck_assert_uint_eq(dbg_sess_steps(b), end - 1);
    ck_assert_str_eq(ask(b, &r, "g"), ga);
    ck_assert_uint_eq(vmm_now(dbg_sess_vmm(a)), vmm_now(dbg_sess_vmm(b)));
    ck_assert_uint_gt(dbg_sess_restores(a), 0);   /* a snapshot was the start */
    dbg_sess_free(a);
    dbg_sess_free(b);
}
END_TEST

/* Over the long run, going back restores the nearest snapshot: reverse-continue scans
** backwards segment by segment to the watchpoint hit at the end and to the breakpoint
** at the start, and lands where going forward stopped. */
START_TEST(snapshots_land) {
    dbg_opts o = { .scenario = DBG_TEST_BUSY, .strategy = ENG_STRAT_CANONICAL };
    dbg_sess *s = NULL;
    dbg_rsp r;
    char pkt[64], want[64], ga[200];
    dbg_rsp_init(&r);
    ck_assert_int_eq(dbg_sess_new(&s, &o, stderr), 0);
    uint32_t spin = label(s, "spin"), done = label(s, "done");
    snprintf(pkt, sizeof pkt, "Z0,%x,1", spin);
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    ck_assert_str_eq(ask(s, &r, "c"), "T05swbreak:;thread:1;");
    uint64_t bp_step = dbg_sess_steps(s);
    snprintf(pkt, sizeof pkt, "Z2,%x,4", done);
    ck_assert_str_eq(ask(s, &r, pkt), "OK");
    snprintf(want, sizeof want, "T05watch:%x;thread:1;", done);
    ck_assert_str_eq(ask(s, &r, "c"), want);
    uint64_t wp_step = dbg_sess_steps(s);
    ck_assert_uint_gt(wp_step, 2u * DBG_SNAP_EVERY);
    ck_assert_str_eq(ask(s, &r, "bs"), "T05thread:1;");
    strcpy(ga, ask(s, &r, "g"));
    ck_assert_str_eq(ask(s, &r, "s"), want);
    ck_assert_ptr_nonnull(strstr(ask(s, &r, "c"), "replaylog:end"));
    uint64_t before = dbg_sess_restores(s);
    ck_assert_str_eq(ask(s, &r, "bc"), want);
    ck_assert_uint_eq(dbg_sess_steps(s), wp_step - 1);
    ck_assert_str_eq(ask(s, &r, "g"), ga);
    ck_assert_uint_gt(dbg_sess_restores(s), before);
    ck_assert_str_eq(ask(s, &r, "bc"), "T05swbreak:;thread:1;");
    ck_assert_uint_eq(dbg_sess_steps(s), bp_step);
    ck_assert_uint_eq(eip_of(s, &r), spin);
    dbg_sess_free(s);
}
END_TEST

START_TEST(interrupt_stops) {
    dbg_sess *s = open_sess();
    dbg_rsp r;
    dbg_rsp_init(&r);
    ck_assert_int_eq(dbg_rsp_send_str(&r, "c"), 0);
    size_t used, n = r.nout;
    uint8_t in[16];
    memcpy(in, r.out, n);
    dbg_rsp_take(&r, n);
    ck_assert_int_eq(dbg_rsp_feed(&r, in, n, &used), DBG_EV_PACKET);
    ck_assert_int_eq(dbg_sess_packet(s, &r), DBG_RC_RUNNING);
    ck_assert_int_eq(dbg_sess_run(s, &r, 3), 0);   /* a slice: still running */
    dbg_sess_interrupt(s);
    dbg_rsp_take(&r, r.nout);
    ck_assert_int_eq(dbg_sess_run(s, &r, 1000), 1);
    ck_assert_int_eq(memcmp(r.out, "$T02thread:1;", 13), 0);
    ck_assert_uint_eq(dbg_sess_steps(s), 5);   /* 1, 3 more, then one to see it */
    dbg_sess_free(s);
}
END_TEST

Suite *test_target_suite(void) {
    Suite *s = suite_create("dbg_target");
    TCase *t = tcase_create("target");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, replies);
    tcase_add_test(t, trace_equal);
    tcase_add_test(t, reverse_step_lands);
    tcase_add_test(t, reverse_continue);
    tcase_add_test(t, read_and_access_watch);
    tcase_add_test(t, interrupt_stops);
    tcase_add_test(t, fast_forward_lands);
    tcase_add_test(t, snapshots_land);
    suite_add_tcase(s, t);
    return s;
}
