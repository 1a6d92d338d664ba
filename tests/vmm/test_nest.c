/* test_nest.c — nested execution, V86 call-backs and break points (docs/vmm.md,
** "Nested execution", NX-1 … NX-4, VCB-1 … VCB-3): VxD code (tests/vmm/vxd/nest.asm)
** runs dos1's own client code synchronously and is entered from it. The client programs
** are hand-assembled 16-bit bytes, loaded at 1000:0000. */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"

#define NX_V86_PROG 0x10000u   /* 1000:0000 as a V86 linear address */

/* p_nest: sets INT 21h to `handler`, polls cbaddr until a VxD fills it, FAR CALLs it,
** marks `back` and spins.
**   00 xor ax,ax / mov ds,ax / mov [0084h],0040h / mov [0086h],1000h
**   10 poll: mov ax,[cs:0082h] / test ax,ax / jz poll / call far [cs:0080h]
**   1D mov word [cs:0088h],1 / 24 jmp $
**   40 handler: add ax,0101h / inc word [cs:0084h] / iret
**   50 resume_target: mov word [cs:0086h],77h / jmp far F000:FF58
**   80 cbaddr dd, 84 int21 count dw, 86 resume flag dw, 88 back dw */
static const uint8_t p_nest[0x8C] = {
    [0x00] = 0x31, 0xC0, 0x8E, 0xD8, 0xC7, 0x06, 0x84, 0x00, 0x40, 0x00,
    [0x0A] = 0xC7, 0x06, 0x86, 0x00, 0x00, 0x10,
    [0x10] = 0x2E, 0xA1, 0x82, 0x00, 0x85, 0xC0, 0x74, 0xF8, 0x2E, 0xFF, 0x1E, 0x80, 0x00,
    [0x1D] = 0x2E, 0xC7, 0x06, 0x88, 0x00, 0x01, 0x00, 0xEB, 0xFE,
    [0x40] = 0x05, 0x01, 0x01, 0x2E, 0xFF, 0x06, 0x84, 0x00, 0xCF,
    [0x50] = 0x2E, 0xC7, 0x06, 0x86, 0x00, 0x77, 0x00, 0xEA, 0x58, 0xFF, 0x00, 0xF0,
    [0x60] = 0xB9, 0xFF, 0xFF, 0xE2, 0xFE, 0xCF,   /* slow: mov cx,0FFFFh / loop $ / iret */
};

/* p_bp: waits for `go`, then passes bp_here (a NOP) and counts.
**   00 wait: mov ax,[cs:0020h] / test ax,ax / jz wait
**   08 bp_here: nop / 09 inc word [cs:0022h] / 0E jmp $
**   20 go dw, 22 count dw */
static const uint8_t p_bp[0x24] = {
    [0x00] = 0x2E, 0xA1, 0x20, 0x00, 0x85, 0xC0, 0x74, 0xF8,
    [0x08] = 0x90, 0x2E, 0xFF, 0x06, 0x22, 0x00, 0xEB, 0xFE,
};

static void setup(tf *t, const uint8_t *img, uint32_t len, const char *entry) {
    tf_init(t, "nest", 2);
    t->s.m.max_cycles = 3000000;   /* the programs spin at their end: enough for every test */
    tf_give(t, 1, img, len);
    t->vms[1].client.ss = 0x2000;   /* the stack apart from the program's data */
    if (entry) tf_stim(t, 20000, VMM_STIM_CALL, 1, entry, 0);
}

static uint32_t v86_word(tf *t, uint32_t lin) {
    uint32_t x = 0;
    ck_assert_int_eq(vmm_read(t->v, vmm_vm_high_linear(t->v, 1) + lin, &x, 2), VMM_OK);
    return x;
}

static void expect_error(tf *t, const char *what) {
    ck_assert_int_ne(tf_run(t), VMM_OK);
    ck_assert_msg(strstr(vmm_error(t->v), what) != NULL, "%s", vmm_error(t->v));
}

/* NX-1, NX-2, NX-3: Exec_Int runs the program's own INT 21h handler; the VxD reads its
** result from Client_AX after the break point; End_Nest_Exec restores Client_CS:IP and
** Restore_Client_State the rest. */
START_TEST(nest_exec_int_runs_client_handler) {
    tf t;
    setup(&t, p_nest, sizeof p_nest, "nx_exec_int");
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "done"), 1);
    ck_assert_uint_eq(tf_u32(&t, "bp_cs"), 0xF000);     /* Begin_Nest's return value */
    ck_assert_uint_eq(tf_u32(&t, "bp_ip"), 0xFF58);
    ck_assert_uint_eq(tf_u32(&t, "result"), 0x1335);    /* 1234h + 0101h */
    ck_assert_uint_eq(tf_u32(&t, "result2"), 0x1436);
    ck_assert_uint_lt(tf_u32(&t, "end_ip"), 0x18);       /* back in the poll loop */
    ck_assert_uint_eq(tf_u32(&t, "ax_after"), 0);       /* Restore_Client_State */
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x84), 2);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=execint vm=dos1 cs=0xf000 ip=0xff58 vector=0x21 target=0x10000040"), 2);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=break vm=dos1 cs=0xf000 ip=0xff58 vector=0x00"), 2);
    long s = tf_line(&t, "SERVICE svc=Exec_Int vm=dos1", 0), e = tf_line(&t, "CLIENT op=execint", 0);
    long h = tf_line(&t, "CLIENT op=break", 0), r = tf_line(&t, "SVC_RET svc=Exec_Int vm=dos1", 0);
    ck_assert(s >= 0 && s < e && e < h && h < r);
    ck_assert_int_eq(r, h + 1);                          /* NX-1: returns at the break point */
    ck_assert_int_eq(tf_count(&t, "SVC_RET svc=Exec_Int"), 2);
    tf_free(&t);
}
END_TEST

/* NX-4: a VM event due when the VxD parks runs in the nest (above the parked frame)
** before Exec_Int returns; AMB-NX's other reading holds it until the VxD is done. */
START_TEST(nest_events_run_in_the_nest) {
    tf t;
    setup(&t, p_nest, sizeof p_nest, "nx_event");
    ck_assert_msg(tf_run(&t) == VMM_OK, "%s", vmm_error(t.v));
    ck_assert_uint_eq(tf_u32(&t, "ev_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "ev_before_ret"), 1);
    long ev = tf_line(&t, "CB_ENTER kind=event", 0);
    ck_assert(ev > tf_line(&t, "SERVICE svc=Exec_Int", 0) && ev < tf_line(&t, "SVC_RET svc=Exec_Int", 0));
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=event depth=2"), 1);
    tf_free(&t);

    setup(&t, p_nest, sizeof p_nest, "nx_event");
    t.s.m.explore_ambiguities = 1;
    t.v = vmm_new(&t.s, NULL, NULL, 0);
    ck_assert(t.v != NULL);
    eng_decision d[1] = { { .kind = ENG_CHOICE_AMBIGUITY, .n = 2, .chosen = 1 } };
    eng_chooser_replay(vmm_chooser(t.v), d, 1);
    ck_assert_msg(tf_run(&t) == VMM_OK, "%s", vmm_error(t.v));
    ck_assert_uint_eq(tf_u32(&t, "ev_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "ev_before_ret"), 0);
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=ambiguity n=2 chosen=1"), 1);
    ck_assert(tf_line(&t, "CB_ENTER kind=event", 0) > tf_line(&t, "SVC_RET svc=Exec_Int", 0));
    tf_free(&t);
}
END_TEST

/* NX-1: Resume_Exec runs the client from Client_CS:IP until it reaches the break point. */
START_TEST(nest_resume_exec) {
    tf t;
    setup(&t, p_nest, sizeof p_nest, "nx_resume");
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "resumed"), 1);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x86), 0x77);
    ck_assert(tf_line(&t, "SVC_RET svc=Resume_Exec", 0) == tf_line(&t, "CLIENT op=break vector=0x00", 0) + 1);
    tf_free(&t);
}
END_TEST

/* NX-3: the services outside a block, in a VM without a program, and the break point
** reached with nothing waiting are clean errors. */
START_TEST(nest_errors) {
    tf t;
    setup(&t, p_nest, sizeof p_nest, "nx_no_block");
    expect_error(&t, "Exec_Int outside a nested execution block of VM dos1");
    tf_free(&t);
    setup(&t, p_nest, sizeof p_nest, "nx_end_alone");
    expect_error(&t, "End_Nest_Exec outside a nested execution block");
    tf_free(&t);
    tf_init(&t, "nest", 2);
    tf_stim(&t, 20000, VMM_STIM_CALL, 1, "nx_resume", 0);
    expect_error(&t, "Begin_Nest_V86_Exec: VM dos1 has no client program");
    tf_free(&t);
    /* wait: mov ax,[cs:0010h] / test ax,ax / jz wait / jmp far F000:FF58 */
    static const uint8_t p_stray[0x12] = { 0x2E, 0xA1, 0x10, 0x00, 0x85, 0xC0, 0x74, 0xF8,
                                           0xEA, 0x58, 0xFF, 0x00, 0xF0 };
    setup(&t, p_stray, sizeof p_stray, "nx_stray_setup");
    expect_error(&t, "reached the nested-execution break point F000:FF58 with no Resume_Exec");
    tf_free(&t);
    static const uint8_t p_spin[] = { 0xEB, 0xFE };   /* the system VM's protected-mode client */
    tf_init(&t, "nest", 2);
    t.vms[0].client = (vmm_client){ .image = p_spin, .image_len = sizeof p_spin, .load_seg = 0x1000,
                                    .cs = 0x1000, .ss = 0x1000, .sp = 0xFFFE, .pm = 1 };
    tf_stim(&t, 20000, VMM_STIM_CALL, 0, "nx_resume", 0);
    expect_error(&t, "Begin_Nest_V86_Exec: VM sys runs protected-mode client code: nested execution of "
                     "protected-mode clients is not modelled");
    tf_free(&t);
}
END_TEST

/* VCB-1: the client FAR CALLs an Allocate_V86_Call_Back address: the callback runs with
** EBX = the VM, EDX = its reference data, EAX = the address, and the client returns. */
START_TEST(vcb_call_back_from_client) {
    tf t;
    setup(&t, p_nest, sizeof p_nest, "vcb_alloc");
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "cb_addr"), 0xF000FE00u);
    ck_assert_uint_eq(tf_u32(&t, "cb_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "cb_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "cb_edx"), 0xCAFE);
    ck_assert_uint_eq(tf_u32(&t, "cb_eax"), 0xF000FE00u);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x88), 1);   /* back after the FAR CALL */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=break vm=dos1 cs=0xf000 ip=0xfe00 vector=0x01"), 1);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=v86cb cb=T.v86_cb"), 1);
    tf_free(&t);
}
END_TEST

/* VCB-2: a break point's callback gets EAX = its segment:offset, ESI = its linear
** address, EDX = the reference data; it emulates the NOP and the client goes on. */
START_TEST(vcb_break_point) {
    tf t;
    setup(&t, p_bp, sizeof p_bp, "bp_setup");
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "bp_cf"), 0);
    ck_assert_uint_eq(tf_u8(&t, "bp_cf2"), 1);                /* one per address */
    ck_assert_uint_eq(tf_u32(&t, "bp_runs"), 1);
    ck_assert_uint_eq(tf_u32(&t, "bp_eax"), 0x10000008u);
    ck_assert_uint_eq(tf_u32(&t, "bp_esi"), 0x10008u);
    ck_assert_uint_eq(tf_u32(&t, "bp_edx"), 0xB0B0);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x22), 1);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x08) & 0xFF, 0x63);   /* still installed */
    tf_free(&t);

    setup(&t, p_bp, sizeof p_bp, "bp_setup_rm");             /* removed: the NOP runs */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "bp_runs"), 1);
    ck_assert_uint_eq(tf_u8(&t, "bp_cf"), 0);
    ck_assert_uint_eq(tf_u8(&t, "bp_cf2"), 1);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x08) & 0xFF, 0x90);
    ck_assert_uint_eq(v86_word(&t, NX_V86_PROG + 0x22), 1);
    tf_free(&t);
}
END_TEST

/* VCB-2: the DDK's "must be the segment address in the CS register when the virtual
** machine executes the break point": reached through another segment, the run fails.
**   00 wait: mov ax,[cs:0030h] / test ax,ax / jz wait / 08 jmp far 0FFF:0020
**   10 nop (the break point, 1000:0010) / jmp $;  30 go dw */
START_TEST(vcb_break_point_other_segment) {
    static const uint8_t p_seg[0x32] = {
        [0x00] = 0x2E, 0xA1, 0x30, 0x00, 0x85, 0xC0, 0x74, 0xF8, 0xEA, 0x20, 0x00, 0xFF, 0x0F,
        [0x10] = 0x90, 0xEB, 0xFE,
    };
    tf t;
    setup(&t, p_seg, sizeof p_seg, "bp_setup_seg");
    expect_error(&t, "VM dos1 reached the break point 1000:0010 as 0FFF:0020");
    ck_assert_uint_eq(tf_u32(&t, "bp_runs"), 0);
    tf_free(&t);
}
END_TEST

/* VCB-3: a callback that leaves the client on its break point would loop forever. */
START_TEST(vcb_break_point_stuck) {
    tf t;
    setup(&t, p_bp, sizeof p_bp, "bp_setup_stuck");
    expect_error(&t, "VCB-3: break-point callback T.bp_cb_stuck returned with Client_CS:IP still on its "
                     "break point 1000:0008");
    ck_assert_uint_eq(tf_u32(&t, "bp_runs"), 1);
    tf_free(&t);
}
END_TEST

/* One Call_When_VM_Returns run: its callback's calls and the flags of each. */
static uint32_t ret_run(tf *t, const char *entry, uint32_t fl[2]) {
    setup(t, p_nest, sizeof p_nest, entry);
    ck_assert_msg(tf_run(t) == VMM_OK, "%s", vmm_error(t->v));
    ck_assert_uint_eq(tf_u32(t, "ret_done"), 1);              /* Exec_Int still returned */
    uint32_t n = tf_u32(t, "ret_runs");
    ck_assert_uint_le(n, 2);
    ck_assert_int_eq(vmm_read(t->v, tf_label(t, "ret_fl"), fl, 8), VMM_OK);
    if (n) {
        ck_assert_uint_eq(tf_u32(t, "ret_edx"), 0x77);
        ck_assert_uint_eq(tf_u32(t, "ret_ebx"), tf_handle(t, 1));
    }
    return n;
}

/* VCB-4: the callback at the IRET (CF clear) with no time-out or one not reached; a
** positive time-out reached calls it once with CF set (not at the IRET); a negative one
** calls it at both, the second with ZF set. The return address comes back each time. */
START_TEST(vcb_call_when_vm_returns) {
    tf t;
    uint32_t fl[2];
    ck_assert_uint_eq(ret_run(&t, "ret_zero", fl), 1);
    ck_assert_uint_eq(fl[0] & (CPU_CF | CPU_ZF), 0);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=break vm=dos1 cs=0xf000 ip=0xfe80 vector=0x03 target=0x"), 1);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=break vm=dos1 cs=0xf000 ip=0xff58 vector=0x00"), 1);
    tf_free(&t);
    ck_assert_uint_eq(ret_run(&t, "ret_fast", fl), 1);
    ck_assert_uint_eq(fl[0] & (CPU_CF | CPU_ZF), 0);
    ck_assert_int_eq(tf_count(&t, "EVENT kind=return_timeout"), 0);   /* cancelled */
    tf_free(&t);
    ck_assert_uint_eq(ret_run(&t, "ret_pos", fl), 1);
    ck_assert_uint_eq(fl[0] & CPU_CF, CPU_CF);
    ck_assert_int_eq(tf_count(&t, "vector=0x03 target=0x00000000"), 1);  /* the IRET: no call */
    long to = tf_line(&t, "EVENT kind=return_timeout", 0), e = tf_line(&t, "CB_ENTER kind=v86cb", 0);
    ck_assert(to >= 0 && to < e && e < tf_line(&t, "CLIENT op=break vector=0x03", 0));
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=v86cb depth=2"), 1);  /* in the nest */
    tf_free(&t);
    ck_assert_uint_eq(ret_run(&t, "ret_neg", fl), 2);
    ck_assert_uint_eq(fl[0] & CPU_CF, CPU_CF);
    ck_assert_uint_eq(fl[1] & (CPU_CF | CPU_ZF), CPU_ZF);
    tf_free(&t);
}
END_TEST

Suite *nest_suite(void) {
    Suite *s = suite_create("nest");
    TCase *tc = tcase_create("nest");
    tcase_add_test(tc, nest_exec_int_runs_client_handler);
    tcase_add_test(tc, nest_events_run_in_the_nest);
    tcase_add_test(tc, nest_resume_exec);
    tcase_add_test(tc, nest_errors);
    tcase_add_test(tc, vcb_call_back_from_client);
    tcase_add_test(tc, vcb_break_point);
    tcase_add_test(tc, vcb_break_point_stuck);
    tcase_add_test(tc, vcb_break_point_other_segment);
    tcase_add_test(tc, vcb_call_when_vm_returns);
    suite_add_tcase(s, tc);
    return s;
}
