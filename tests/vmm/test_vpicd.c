/* test_vpicd.c — the VPICD_IRQ_Descriptor procedures around a simulated interrupt
** (INT-1: VID_Virt_Int_Proc, VID_EOI_Proc, VID_IRET_Proc, VID_IRET_Time_Out, 0 = none)
** and the interrupt-boundary choice point (machine.irq_boundary_window).
** VxD: tests/vmm/vxd/vpicd.asm. */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"

static uint64_t line_cycle(const tf *t, long idx) {
    unsigned long long c = 0;
    ck_assert_msg(idx >= 0, "no such line");
    ck_assert(sscanf(tf_line_text(t, idx), "%llu", &c) == 1);
    return c;
}

static long must(const tf *t, const char *pat) {
    long i = tf_line(t, pat, 0);
    ck_assert_msg(i >= 0, "no line with: %s", pat);
    return i;
}

/* Record b follows record a directly (CHECKPOINT lines aside). */
static int next_to(const tf *t, long a, long b) {
    if (a < 0 || b <= a) return 0;
    for (long i = a + 1; i < b; i++)
        if (!strstr(tf_line_text(t, i), " CHECKPOINT ")) return 0;
    return 1;
}

/* dos1 runs VxD code (a spin) when IRQ `irq` is raised; its hardware-interrupt
** procedure requests the interrupt for dos1, which is simulated when the spin returns. */
static void irq_during_spin(tf *t, uint32_t irq) {
    tf_init(t, "vpicd", 2);
    tf_stim(t, 10000, VMM_STIM_CALL, 1, "spin", 2000);
    tf_stim(t, 15000, VMM_STIM_IRQ, 0, NULL, irq);
}

/* INT-1: Hw_Int -> Virt_Int -> EOI -> IRET, each with EAX = IRQ handle, EBX = the VM,
** IF clear, in dos1's context from client level; the client handler's
** irq_handler_cycles run from Virt_Int_Proc's return to the EOI, the IRET follows the
** EOI procedure, and Time_Critical_Boost goes after the IRET procedure returned. */
START_TEST(int1_vid_procs_order_registers_cycles) {
    tf t;
    irq_during_spin(&t, 5);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t h = tf_u32(&t, "irq5_h"), dos1 = tf_handle(&t, 1);
    ck_assert_uint_eq(h, 0xE3000005u);
    ck_assert_uint_eq(tf_u32(&t, "hw_seq"), 1);
    ck_assert_uint_eq(tf_u32(&t, "virt5_seq"), 2);
    ck_assert_uint_eq(tf_u32(&t, "eoi5_seq"), 3);
    ck_assert_uint_eq(tf_u32(&t, "iret5_seq"), 4);
    ck_assert_uint_eq(tf_u32(&t, "iret5_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "iret5_cf"), 0);             /* IRET in time */
    ck_assert_uint_eq(tf_u32(&t, "virt5_eax"), h);
    ck_assert_uint_eq(tf_u32(&t, "eoi5_eax"), h);
    ck_assert_uint_eq(tf_u32(&t, "iret5_eax"), h);
    ck_assert_uint_eq(tf_u32(&t, "virt5_ebx"), dos1);
    ck_assert_uint_eq(tf_u32(&t, "eoi5_ebx"), dos1);
    ck_assert_uint_eq(tf_u32(&t, "iret5_ebx"), dos1);
    ck_assert_uint_eq(tf_u32(&t, "virt5_fl") & 0x200, 0);      /* interrupts disabled */
    ck_assert_uint_eq(tf_u32(&t, "eoi5_fl") & 0x200, 0);
    ck_assert_uint_eq(tf_u32(&t, "iret5_fl") & 0x200, 0);

    long spin_ret = must(&t, "CB_RETURN kind=call cb=T.spin");
    long sim = must(&t, "IRQ op=simulate irq=5 vm=dos1 proc=T.virt5");
    long ve = must(&t, "CB_ENTER kind=vid_virt cb=T.virt5 vm=dos1 pri=0x00400000 depth=1 eax=0xe3000005 ebx=0x00010100");
    long vr = must(&t, "CB_RETURN kind=vid_virt cb=T.virt5 vm=dos1 depth=1");
    long ev = must(&t, "EVENT kind=iret");
    long ee = must(&t, "CB_ENTER kind=vid_eoi cb=T.eoi5 vm=dos1 pri=0x00400000 depth=1 eax=0xe3000005 ebx=0x00010100");
    long er = must(&t, "CB_RETURN kind=vid_eoi cb=T.eoi5");
    long ir = must(&t, "IRQ op=iret irq=5 vm=dos1 proc=T.iret5");
    long ie = must(&t, "CB_ENTER kind=vid_iret cb=T.iret5 vm=dos1 pri=0x00400000 depth=1 eax=0xe3000005 ebx=0x00010100");
    long ix = must(&t, "CB_RETURN kind=vid_iret cb=T.iret5 vm=dos1 depth=1 cf=0");
    long unb = must(&t, "PRIORITY vm=dos1 pri=0x00000000 old=0x00400000 boost=-4194304 reason=irq");
    ck_assert(sim > spin_ret && next_to(&t, sim, ve) && vr > ve && ev > vr && ee > ev && er > ee &&
              next_to(&t, er, ir) && next_to(&t, ir, ie) && ix > ie && next_to(&t, ix, unb));
    ck_assert_uint_eq(line_cycle(&t, ve), line_cycle(&t, sim) + 9);           /* CALL into it */
    ck_assert_uint_eq(line_cycle(&t, ev), line_cycle(&t, vr) + 2000);         /* irq_handler_cycles */
    ck_assert_uint_eq(line_cycle(&t, ee), line_cycle(&t, ev) + 9);
    ck_assert_uint_eq(line_cycle(&t, ie), line_cycle(&t, er) + 9);
    ck_assert_int_eq(tf_count(&t, "IRQ op=clear"), 0);     /* Clear_Int_Request came too late */
    ck_assert_int_eq(tf_count(&t, "iret_timeout"), 0);     /* 500 ms: cancelled at the IRET */
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* INT-1: VID_IRET_Time_Out (1 ms) passes before the handler's IRET (irq_handler_cycles
** 100000 = 3 ms): VID_IRET_Proc runs once, with CF set, at the time-out; the IRET
** itself calls it no more, and the boost stays until that IRET. */
START_TEST(int1_vid_iret_time_out_sets_carry) {
    tf t;
    irq_during_spin(&t, 3);
    t.s.m.irq_handler_cycles = 100000;
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "iret3_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "iret3_cf"), 1);
    long sim = must(&t, "IRQ op=simulate irq=3 vm=dos1 proc=0x00000000");
    long to = must(&t, "IRQ op=iret_timeout irq=3 vm=dos1 proc=T.iret3");
    long toev = must(&t, "EVENT kind=iret_timeout");
    long ie = must(&t, "CB_ENTER kind=vid_iret cb=T.iret3 vm=dos1 pri=0x00400000 depth=1 eax=0xe3000003");
    long ix = must(&t, "CB_RETURN kind=vid_iret cb=T.iret3 vm=dos1 depth=1 cf=1");
    long ir = tf_line(&t, "IRQ op=iret irq=3 vm=dos1", 1);   /* the 0th is op=iret_timeout */
    ck_assert_msg(ir >= 0 && strstr(tf_line_text(&t, ir), "op=iret "), "no IRQ op=iret");
    long unb = must(&t, "PRIORITY vm=dos1 pri=0x00000000 old=0x00400000 boost=-4194304 reason=irq");
    ck_assert(toev > sim && next_to(&t, toev, to) && ie > to && ix > ie && ir > ix && next_to(&t, ir, unb));
    ck_assert_uint_eq(line_cycle(&t, toev), line_cycle(&t, sim) + 33000);     /* 1 ms at 33 MHz */
    ck_assert_uint_eq(line_cycle(&t, ir), line_cycle(&t, sim) + 100000);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=vid_iret"), 1);
    ck_assert_int_eq(tf_count(&t, "kind=vid_eoi"), 0);
    tf_free(&t);
}
END_TEST

/* INT-1: the IRET procedure, told of the time-out, is still running when the handler
** IRETs: the IRET ends the interrupt (boost removed) under it, and its return is
** harmless; it is called once. */
START_TEST(int1_vid_iret_time_out_call_outlives_iret) {
    tf t;
    irq_during_spin(&t, 10);
    t.s.m.irq_handler_cycles = 35000;                          /* 1 ms + 2000 cycles */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "iret10_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "iret10_cf"), 1);
    long ie = must(&t, "CB_ENTER kind=vid_iret cb=T.iret10 vm=dos1 pri=0x00400000 depth=1");
    long ir = tf_line(&t, "IRQ op=iret irq=10 vm=dos1", 1);
    long unb = must(&t, "PRIORITY vm=dos1 pri=0x00000000 old=0x00400000 boost=-4194304 reason=irq");
    long ix = must(&t, "CB_RETURN kind=vid_iret cb=T.iret10 vm=dos1 depth=1");
    ck_assert(ie >= 0 && ir > ie && next_to(&t, ir, unb) && ix > unb);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=vid_iret"), 1);
    ck_assert_uint_eq(vmm_finding_count(t.v), 0);
    tf_free(&t);
}
END_TEST

/* INT-1: procedure addresses of 0 mean none (the DDK descriptor's defaults): IRQ 4
** only has Hw_Int_Proc, and its interrupt runs as before the procedures existed. */
START_TEST(int1_vid_zero_procs_are_not_called) {
    tf t;
    irq_during_spin(&t, 4);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long sim = must(&t, "IRQ op=simulate irq=4 vm=dos1 proc=0x00000000");
    long ir = must(&t, "IRQ op=iret irq=4 vm=dos1 proc=0x00000000");
    ck_assert_uint_eq(line_cycle(&t, ir), line_cycle(&t, sim) + 2000);
    ck_assert_int_eq(tf_count(&t, "kind=vid_"), 0);
    ck_assert_int_eq(tf_count(&t, "iret_timeout"), 0);
    ck_assert_int_eq(tf_count(&t, "EVENT kind="), 3);      /* two stimuli and the iret */
    tf_free(&t);
}
END_TEST

/* CB-1 holds for VID procedures as for every callback: eoi6 does not preserve EBP. */
START_TEST(int1_vid_proc_cb1_checked) {
    tf t;
    irq_during_spin(&t, 6);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(vmm_finding_count(t.v), 1);
    ck_assert_str_eq(vmm_finding_get(t.v, 0)->rule, "CB-1");
    long ret = must(&t, "CB_RETURN kind=vid_eoi cb=T.eoi6");
    long f = must(&t, "FINDING rule=CB-1 vm=dos1 cb=T.eoi6 reg=ebp actual=0x00001234");
    ck_assert(next_to(&t, ret, f));
    must(&t, "IRQ op=iret irq=6 vm=dos1");   /* the interrupt still completes */
    tf_free(&t);
}
END_TEST

/* ---- the interrupt-boundary choice point ---------------------------------------- */

/* dos1 runs `straight` (200 x INC ECX, 2 clocks each); IRQ 9 is raised at `at`. */
static void straight_run(tf *t, uint32_t window, uint64_t at, const eng_decision *dec, uint32_t ndec) {
    tf_init(t, "vpicd", 2);
    t->s.m.irq_boundary_window = window;
    tf_stim(t, 10000, VMM_STIM_CALL, 1, "straight", 0);
    tf_stim(t, at, VMM_STIM_IRQ, 0, NULL, 9);
    if (ndec) {   /* a first run builds the machine; the replay is the second */
        ck_assert_int_eq(tf_run(t), VMM_OK);
        ck_assert_int_eq(vmm_reset(t->v), VMM_OK);
        eng_chooser_replay(vmm_chooser(t->v), dec, ndec);
    }
    ck_assert_int_eq(tf_run(t), VMM_OK);
    ck_assert_uint_eq(tf_u32(t, "hw9_runs"), 1);
}

/* INT-1 / docs/vmm.md, "The interrupt boundary": with irq_boundary_window 4 an IRQ raised inside VxD code is an
** irq-boundary choice of 4; canonically it lands on the earliest boundary, exactly as
** with the default window 1 (no choice); decision k lands k instructions later. */
START_TEST(int1_irq_boundary_choice_delays_by_k_instructions) {
    tf t;
    straight_run(&t, 1, 10200, NULL, 0);
    ck_assert_int_eq(tf_count(&t, "CHOICE"), 0);
    uint32_t ecx0 = tf_u32(&t, "hw9_ecx");
    uint64_t enter0 = line_cycle(&t, must(&t, "CB_ENTER kind=hwint cb=T.hw9 vm=dos1 pri=0x00000000 depth=2"));
    int lines0 = tf_count(&t, "") - tf_count(&t, "CHECKPOINT");
    ck_assert(ecx0 > 10 && ecx0 < 190);                        /* inside the straight code */
    tf_free(&t);

    straight_run(&t, 4, 10200, NULL, 0);                         /* canonical */
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=irq-boundary n=4 chosen=0"), 1);
    ck_assert_int_eq(tf_count(&t, "") - tf_count(&t, "CHECKPOINT"), lines0 + 1);   /* + CHOICE */
    ck_assert_uint_eq(tf_u32(&t, "hw9_ecx"), ecx0);
    ck_assert_uint_eq(line_cycle(&t, must(&t, "CB_ENTER kind=hwint cb=T.hw9")), enter0);
    tf_free(&t);

    for (uint32_t k = 1; k < 4; k++) {
        eng_decision d = { ENG_CHOICE_IRQ_BOUNDARY, 4, k };
        straight_run(&t, 4, 10200, &d, 1);
        char pat[64];
        snprintf(pat, sizeof pat, "CHOICE kind=irq-boundary n=4 chosen=%u", k);
        ck_assert_int_eq(tf_count(&t, pat), 1);
        ck_assert_uint_eq(eng_chooser_mismatches(vmm_chooser(t.v)), 0);
        ck_assert_uint_eq(tf_u32(&t, "hw9_ecx"), ecx0 + k);   /* k more INC ECX ran */
        ck_assert_uint_eq(line_cycle(&t, must(&t, "CB_ENTER kind=hwint cb=T.hw9 depth=2")), enter0 + 2 * k);
        tf_free(&t);
    }
}
END_TEST

/* INT-1: a boundary past the end of the running code is delivered where it stops: the
** IRQ raised 2 instructions before `straight` returns, held for 7, lands at the return
** (client level, depth 1, after CB_RETURN) instead. */
START_TEST(int1_irq_boundary_delivered_when_code_returns_first) {
    tf t;
    straight_run(&t, 1, 10200, NULL, 0);
    uint64_t enter = line_cycle(&t, must(&t, "CB_ENTER kind=call cb=T.straight"));
    tf_free(&t);
    /* xor ecx,ecx (2 clocks) then INC k lands at enter + 2 + 2k; stop 2 before the end */
    eng_decision d = { ENG_CHOICE_IRQ_BOUNDARY, 8, 7 };
    straight_run(&t, 8, enter + 2 + 2 * 198 - 1, &d, 1);
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=irq-boundary n=8 chosen=7"), 1);
    long ret = must(&t, "CB_RETURN kind=call cb=T.straight");
    long hw = must(&t, "CB_ENTER kind=hwint cb=T.hw9 vm=dos1 pri=0x00000000 depth=1");
    ck_assert(hw > ret);
    ck_assert_uint_eq(tf_u32(&t, "hw9_ecx"), 0);             /* client level: fresh registers */
    tf_free(&t);
}
END_TEST

/* No choice when no VxD code runs: the IRQ lands at client level at once. */
START_TEST(int1_irq_boundary_no_choice_at_client_level) {
    tf t;
    straight_run(&t, 4, 50000, NULL, 0);
    ck_assert_int_eq(tf_count(&t, "CHOICE"), 0);
    must(&t, "CB_ENTER kind=hwint cb=T.hw9 vm=dos1 pri=0x00000000 depth=1");
    tf_free(&t);
}
END_TEST

Suite *vpicd_suite(void) {
    Suite *s = suite_create("vpicd");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, int1_vid_procs_order_registers_cycles);
    tcase_add_test(tc, int1_vid_iret_time_out_sets_carry);
    tcase_add_test(tc, int1_vid_iret_time_out_call_outlives_iret);
    tcase_add_test(tc, int1_vid_zero_procs_are_not_called);
    tcase_add_test(tc, int1_vid_proc_cb1_checked);
    tcase_add_test(tc, int1_irq_boundary_choice_delays_by_k_instructions);
    tcase_add_test(tc, int1_irq_boundary_delivered_when_code_returns_first);
    tcase_add_test(tc, int1_irq_boundary_no_choice_at_client_level);
    suite_add_tcase(s, tc);
    return s;
}
