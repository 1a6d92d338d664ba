/* test_ev.c — events (EV-1), priority events (EV-2), time-outs (TO-1) and simulated
** interrupts (INT-1, NC-3 with a real interrupt). VxD: tests/vmm/vxd/ev.asm. */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"

#define MS 33000ull   /* cycles per millisecond at the default 33 MHz */

static uint64_t line_cycle(const tf *t, long idx) {
    unsigned long long c = 0;
    ck_assert_msg(idx >= 0, "no such line");
    ck_assert(sscanf(tf_line_text(t, idx), "%llu", &c) == 1);
    return c;
}

static uint64_t cycle_of(const tf *t, const char *pat) { return line_cycle(t, tf_line(t, pat, 0)); }

/* EV-1: the global event runs in the VM that is current when the VMM returns to a VM
** (dos1, after its call), the VM event only in dos2: the VMM switches to it. */
START_TEST(ev1_global_vs_vm_placement) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "place_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "glob_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "glob_edx"), 0x11);
    ck_assert_uint_eq(tf_u32(&t, "glob_phase"), 1);      /* after the call returned */
    ck_assert_uint_eq(tf_u32(&t, "vm_ebx"), tf_handle(&t, 2));
    ck_assert_uint_eq(tf_u32(&t, "vm_edx"), 0x22);
    ck_assert_uint_ne(tf_u32(&t, "h_glob"), 0);
    ck_assert_uint_ne(tf_u32(&t, "h_vm"), tf_u32(&t, "h_glob"));
    long ret = tf_line(&t, "CB_RETURN kind=call cb=T.place_start", 0);
    long g = tf_line(&t, "CB_ENTER kind=event cb=T.ev_glob vm=dos1", 0);
    long sw = tf_line(&t, "TASK_SWITCH old=dos1 new=dos2 reason=event", 0);
    long e = tf_line(&t, "CB_ENTER kind=event cb=T.ev_vm vm=dos2", 0);
    ck_assert(ret >= 0 && g > ret && sw > g && e > sw);
    ck_assert_int_eq(tf_count(&t, "EV op=schedule"), 2);
    ck_assert_int_eq(tf_count(&t, "EV op=run kind=global vm=none cb=T.ev_glob ref=0x00000011"), 1);
    ck_assert_int_eq(tf_count(&t, "EV op=run kind=vm vm=dos2 cb=T.ev_vm"), 1);
    tf_free(&t);
}
END_TEST

/* EV-1: Call_VM_Event for the current VM runs at once, nested in the service
** (ESI = 0); for another VM it is scheduled (ESI = handle) and runs in that VM. */
START_TEST(ev1_call_vm_event_now_or_scheduled) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "callvm_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "now_esi"), 0);
    ck_assert_uint_eq(tf_u32(&t, "now_runs_after"), 1);
    ck_assert_uint_ne(tf_u32(&t, "later_esi"), 0);
    ck_assert_uint_eq(tf_u32(&t, "later_runs_after"), 0);
    ck_assert_uint_eq(tf_u32(&t, "later_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "later_ebx"), tf_handle(&t, 2));
    long svc = tf_line(&t, "SERVICE vm=dos1 svc=Call_VM_Event", 0);
    long cb = tf_line(&t, "CB_ENTER kind=event cb=T.ev_now vm=dos1 depth=2", 0);
    long ret = tf_line(&t, "SVC_RET vm=dos1 svc=Call_VM_Event", 0);
    ck_assert(svc >= 0 && cb > svc && ret > cb);
    ck_assert_int_eq(tf_count(&t, "EV op=schedule kind=vm vm=dos2 cb=T.ev_later"), 1);
    tf_free(&t);
}
END_TEST

/* EV-1: a cancelled event never runs; Cancel_* with handle 0 does nothing. */
START_TEST(ev1_cancel) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "cancel_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "never_runs"), 0);
    ck_assert_int_eq(tf_count(&t, "EV op=cancel"), 2);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=event"), 0);
    ck_assert_int_eq(tf_count(&t, "TASK_SWITCH"), 1);    /* only the slice to dos1 */
    tf_free(&t);
}
END_TEST

/* TO-1: set at 0 ms for 30 ms, the time-out is due at the first tick at or after
** 30 ms — 40 ms with the 20 ms tick — and its callback gets ECX = 10 ms late,
** EBX = current VM, EDX = reference data. */
START_TEST(to1_late_by_tick_granularity) {
    tf t;
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "to_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "to_set_ms"), 0);
    ck_assert_uint_eq(tf_u32(&t, "to_ecx"), 10);
    ck_assert_uint_eq(tf_u32(&t, "to_edx"), 0x33);
    ck_assert_uint_eq(tf_u32(&t, "to_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "to_upd_ms"), 40);
    ck_assert_uint_eq(tf_u32(&t, "to_now_ms"), 40);
    ck_assert_uint_eq(cycle_of(&t, "EVENT kind=tick index=2"), 40 * MS);
    ck_assert_int_eq(tf_count(&t, "EVENT kind=tick"), 1);  /* ticks only when needed */
    uint64_t due = cycle_of(&t, "TIMEOUT op=due kind=global"), cb = cycle_of(&t, "CB_ENTER kind=timeout cb=T.to_cb");
    ck_assert_uint_eq(due, 40 * MS);
    ck_assert(cb >= due && cb < due + 1000);
    ck_assert_int_eq(tf_count(&t, "TIMEOUT op=call kind=global vm=none cb=T.to_cb ref=0x00000033 due=30 late=10"), 1);
    tf_free(&t);
}
END_TEST

/* TO-1: a VM time-out counts only its VM's execution time. dos1 sets 30 ms for itself
** (and a 30 ms global one) at ~0 ms, then sys is the current VM from 5 ms to 100 ms:
** the global one fires at 40 ms, the VM one only after dos1 runs again at 100 ms. */
START_TEST(to1_vm_time_out_waits_while_vm_not_running) {
    tf t;
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "vmto_start", 0);
    tf_stim(&t, 5 * MS, VMM_STIM_CALL, 0, "nothing", 0);
    tf_stim(&t, 100 * MS, VMM_STIM_CALL, 1, "nothing", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "gto_sys"), 40);
    uint32_t sys_ms = tf_u32(&t, "vmto_sys"), exec = tf_u32(&t, "vmto_exec");
    ck_assert_msg(sys_ms >= 120 && sys_ms <= 140, "VM time-out at %u ms", sys_ms);
    ck_assert_msg(exec >= 30 && exec < 50, "dos1 ran %u ms", exec);
    ck_assert_uint_eq(tf_u32(&t, "vmto_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "vmto_ecx"), exec - 30);
    long back = tf_line(&t, "TASK_SWITCH old=sys new=dos1", 0);
    long due = tf_line(&t, "TIMEOUT op=due kind=vm vm=dos1", 0);
    ck_assert(back >= 0 && due > back);
    tf_free(&t);
}
END_TEST

/* EV-2: dos1 holds the critical section; the priority event for dos2 boosts it at
** once but waits (PEF_Wait_Not_Crit); at the release dos2 runs it with the boost,
** then the boost is removed. */
START_TEST(ev2_waits_not_crit_then_runs_boosted) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "prio_start", 1000);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "prio_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "prio_ebx"), tf_handle(&t, 2));
    ck_assert_uint_eq(tf_u32(&t, "prio_edx"), 0x44);
    ck_assert_uint_eq(tf_u32(&t, "prio_cf"), 0);
    ck_assert_uint_eq(tf_u32(&t, "prio_phase"), 1);   /* dos1 preempted right after End */
    ck_assert_uint_ne(tf_u32(&t, "h_prio"), 0);
    long boost = tf_line(&t, "PRIORITY vm=dos2 pri=0x00001000 reason=event", 0);
    long rel = tf_line(&t, "CRIT op=release vm=dos1", 0);
    long sw = tf_line(&t, "TASK_SWITCH old=dos1 new=dos2 reason=priority", 0);
    long cb = tf_line(&t, "CB_ENTER kind=prio cb=T.prio_cb vm=dos2 pri=0x00001000", 0);
    long ret = tf_line(&t, "CB_RETURN kind=prio", 0);
    long unb = tf_line(&t, "PRIORITY vm=dos2 pri=0x00000000 old=0x00001000 boost=-4096 reason=event", 0);
    ck_assert(boost >= 0 && rel > boost && sw > rel && cb > sw && ret > cb && unb > ret);
    ck_assert_int_eq(tf_count(&t, "EV op=run kind=priority vm=dos2"), 1);
    tf_free(&t);
}
END_TEST

/* EV-2: PEF_Time_Out: the section is held past 30 ms: at the 40 ms tick the boost
** is cancelled, and the callback runs with CF set in the current VM (dos1). */
START_TEST(ev2_time_out_runs_with_carry) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "prio_to_start", 150000);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "prio_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "prio_cf"), 1);
    ck_assert_uint_eq(tf_u32(&t, "prio_ebx"), tf_handle(&t, 1));
    long due = tf_line(&t, "TIMEOUT op=due kind=priority vm=dos2", 0);
    long unb = tf_line(&t, "PRIORITY vm=dos2 pri=0x00000000 reason=event", 0);
    long run = tf_line(&t, "EV op=timeout kind=priority vm=dos2", 0);
    long cb = tf_line(&t, "CB_ENTER kind=prio cb=T.prio_cb vm=dos1", 0);
    ck_assert(due >= 0 && unb > due && run > unb && cb > run);
    /* the tick is dispatched at the first instruction boundary at or after 40 ms */
    ck_assert(line_cycle(&t, due) >= 40 * MS && line_cycle(&t, due) < 40 * MS + 20);
    ck_assert_int_eq(tf_count(&t, "TASK_SWITCH old=dos1 new=dos2"), 0);
    tf_free(&t);
}
END_TEST

/* EV-2: Cancel_Priority_VM_Event removes the event and undoes its boost. */
START_TEST(ev2_cancel_undoes_boost) {
    tf t;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "prio_cancel_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "prio_runs"), 0);
    long b = tf_line(&t, "PRIORITY vm=dos2 pri=0x00001000 reason=event", 0);
    long c = tf_line(&t, "EV op=cancel kind=priority vm=dos2", 0);
    long u = tf_line(&t, "PRIORITY vm=dos2 pri=0x00000000 reason=event", 0);
    ck_assert(b >= 0 && c > b && u > c);
    tf_free(&t);
}
END_TEST

/* INT-1: the hardware-interrupt procedure runs at the next instruction boundary after
** the IRQ, nested in the running VxD code, with EAX = IRQ handle, EBX = current VM. */
START_TEST(int1_hw_int_at_next_boundary) {
    tf t;
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "irq_spin", 5000);
    tf_stim(&t, 20000, VMM_STIM_IRQ, 0, NULL, 5);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "revirt_cf"), 1);
    ck_assert_uint_eq(tf_u32(&t, "hw5_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "hw5_eax"), tf_u32(&t, "irq5_h"));
    ck_assert_uint_eq(tf_u32(&t, "hw5_ebx"), tf_handle(&t, 1));
    uint64_t raise = cycle_of(&t, "IRQ op=raise irq=5"), enter = cycle_of(&t, "CB_ENTER kind=hwint cb=T.hw5");
    ck_assert(raise >= 20000 && raise < 20000 + 20);           /* the next boundary */
    ck_assert_uint_eq(enter, raise + 59 + 50 + 9);
    long spin_ret = tf_line(&t, "CB_RETURN kind=call cb=T.irq_spin", 0);
    ck_assert(tf_line(&t, "CB_ENTER kind=hwint vm=dos1 depth=2", 0) < spin_ret);
    ck_assert_int_eq(tf_count(&t, "IRQ op=eoi irq=5"), 1);
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* INT-1: a service that is not asynchronous, called at interrupt time, is a finding;
** an IRQ nobody virtualized is dropped. */
START_TEST(int1_non_async_service_is_finding) {
    tf t;
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "irq_spin", 5000);
    tf_stim(&t, 20000, VMM_STIM_IRQ, 0, NULL, 6);
    tf_stim(&t, 30000, VMM_STIM_IRQ, 0, NULL, 9);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count(t.v), 1);
    ck_assert_str_eq(vmm_finding_get(t.v, 0)->rule, "INT-1");
    ck_assert_msg(strstr(vmm_finding_get(t.v, 0)->text, "Adjust_Exec_Priority"), "%s",
                  vmm_finding_get(t.v, 0)->text);
    ck_assert_int_eq(tf_count(&t, "FINDING rule=INT-1 vm=dos1 svc=Adjust_Exec_Priority"), 1);
    ck_assert_int_eq(tf_count(&t, "FINDING rule=INT-1 svc=Get_Cur_VM_Handle"), 0);
    ck_assert_int_eq(tf_count(&t, "IRQ op=unowned irq=9"), 1);
    tf_free(&t);
}
END_TEST

/* NC-3 with a real simulated interrupt: IRQ 7 arrives while dos1 holds the section;
** its procedure requests the interrupt for dos1 (Time_Critical_Boost). At the release
** the not-critical callback is owed but waits while the interrupt is simulated into
** dos1, and runs only after the handler's IRET removed the boost. */
START_TEST(nc3_waits_for_simulated_interrupt) {
    tf t;
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "nc3_start", 3000);
    tf_stim(&t, 20000, VMM_STIM_IRQ, 0, NULL, 7);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "nc3_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "nc3_seen"), 1);
    long req = tf_line(&t, "IRQ op=request irq=7 vm=dos1", 0);
    long boost = tf_line(&t, "PRIORITY vm=dos1 pri=0x00500000 reason=irq", 0);
    long rel = tf_line(&t, "CRIT op=release vm=dos1", 0);
    long sim = tf_line(&t, "IRQ op=simulate irq=7 vm=dos1", 0);
    long iret = tf_line(&t, "IRQ op=iret irq=7 vm=dos1", 0);
    long unb = tf_line(&t, "PRIORITY vm=dos1 pri=0x00000000 reason=irq", 0);
    long nc = tf_line(&t, "CB_ENTER kind=nc cb=T.nc3_cb vm=dos1 pri=0x00000000", 0);
    ck_assert(req >= 0 && boost > req && rel > boost && sim > rel && iret > sim && unb > iret && nc > unb);
    ck_assert_uint_eq(line_cycle(&t, iret) - line_cycle(&t, sim), 2000);   /* irq_handler_cycles */
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* Determinism: the same scenario twice gives the same trace hash, and runs that use
** none of these services queue no tick and write none of the new records. */
START_TEST(ev_deterministic_and_quiet_when_unused) {
    tf t;
    uint64_t h1;
    tf_init(&t, "ev", 3);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "prio_to_start", 150000);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    h1 = tf_hash(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_hash(&t), h1);
    tf_free(&t);
    tf_init(&t, "ev", 2);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "nothing", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "kind=tick"), 0);
    ck_assert_int_eq(tf_count(&t, "EV op="), 0);
    ck_assert_int_eq(tf_count(&t, "TIMEOUT"), 0);
    tf_free(&t);
}
END_TEST

Suite *ev_suite(void) {
    Suite *s = suite_create("ev");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, ev1_global_vs_vm_placement);
    tcase_add_test(tc, ev1_call_vm_event_now_or_scheduled);
    tcase_add_test(tc, ev1_cancel);
    tcase_add_test(tc, to1_late_by_tick_granularity);
    tcase_add_test(tc, to1_vm_time_out_waits_while_vm_not_running);
    tcase_add_test(tc, ev2_waits_not_crit_then_runs_boosted);
    tcase_add_test(tc, ev2_time_out_runs_with_carry);
    tcase_add_test(tc, ev2_cancel_undoes_boost);
    tcase_add_test(tc, int1_hw_int_at_next_boundary);
    tcase_add_test(tc, int1_non_async_service_is_finding);
    tcase_add_test(tc, nc3_waits_for_simulated_interrupt);
    tcase_add_test(tc, ev_deterministic_and_quiet_when_unused);
    suite_add_tcase(s, tc);
    return s;
}
