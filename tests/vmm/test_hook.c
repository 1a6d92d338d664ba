/* test_hook.c — V86 interrupt hooks (HK-1 … HK-4) and the services that change client
** execution (SIM-1 … SIM-5), docs/vmm.md. Real VxD code (tests/vmm/vxd/hook.asm) and
** real client code (hand-assembled 16-bit bytes, each loaded at 1000:0000). */
#include <string.h>

#include "test_vmm.h"

#define HK_CLIENT 0x80u   /* Client_Reg_Struc inside a VM's control block */

/* mov ah,30h; int 21h; mov bx,ax; mov ah,02h; int 21h; hlt; jmp $ */
static const uint8_t p_int21[] = { 0xB4, 0x30, 0xCD, 0x21, 0x89, 0xC3, 0xB4, 0x02, 0xCD, 0x21,
                                   0xF4, 0xEB, 0xFE };
/* mov bx,8; int 60h; hlt; jmp $; proc (at 8): mov cx,5555h; retf */
static const uint8_t p_int60[] = { 0xBB, 0x08, 0x00, 0xCD, 0x60, 0xF4, 0xEB, 0xFE, 0xB9, 0x55, 0x55,
                                   0xCB };
/* mov ax,1680h; int 2Fh; mov dx,ax; hlt; jmp $ */
static const uint8_t p_int2f[] = { 0xB8, 0x80, 0x16, 0xCD, 0x2F, 0x89, 0xC2, 0xF4, 0xEB, 0xFE };
/* hlt; jmp $ */
static const uint8_t p_halt[] = { 0xF4, 0xEB, 0xFE };

/* HK-1, HK-2: the last installed hook first, with EAX, EBX, EBP; CF clear consumes the
** interrupt (no reflection), CF set passes it down and then into the vector table. */
START_TEST(hook_chain_last_installed_first_cf_consumes) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_give(&t, 1, p_int21, sizeof p_int21);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "inst_cf"), 0);
    ck_assert_uint_eq(tf_u32(&t, "b_calls"), 2);
    ck_assert_uint_eq(tf_u32(&t, "a_calls"), 1);             /* not for the consumed AH=30h */
    ck_assert_uint_eq(tf_u32(&t, "a_saw_b"), 2);             /* hook_b ran before hook_a */
    ck_assert_uint_eq(tf_u32(&t, "a_eax"), 0x21);
    ck_assert_uint_eq(tf_u32(&t, "a_ebx"), tf_handle(&t, 1));
    ck_assert_uint_eq(tf_u32(&t, "a_ebp"), tf_handle(&t, 1) + HK_CLIENT);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x10, 4) & 0xFFFF, 0x0A03);   /* Client_BX: hook_b's answer */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hook vm=dos1 vector=0x21 target=0x00000002"), 2);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=int vm=dos1 vector=0x21"), 1);   /* only AH=02h */
    long b = tf_line(&t, "CB_ENTER kind=v86int cb=T.hook_b", 1), a = tf_line(&t, "CB_ENTER kind=v86int cb=T.hook_a", 0);
    ck_assert(b >= 0 && a > b);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x30, 4) & 0xFFFF, 0xFFFE);   /* the reflected IRET popped its frame */
    tf_free(&t);
}
END_TEST

/* HK-3: CF set for interrupt 100h and once the table (64) is full. */
START_TEST(hook_install_fails_with_cf) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_stim(&t, 1000, VMM_STIM_CALL, 0, "fill", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "full_cf"), 70 - (64 - 4));   /* 4 installed at Device_Init */
    ck_assert_uint_eq(tf_u8(&t, "bad_vec_cf"), 1);
    tf_free(&t);
}
END_TEST

/* SIM-2, SIM-3, SIM-4 (client side): Simulate_Push/Pop round trip, Simulate_Far_Call to
** the program's proc, whose RETF comes back after the INT 60h. */
START_TEST(simulate_push_pop_far_call) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_give(&t, 1, p_int60, sizeof p_int60);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "popped"), 0xBEEF);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x18, 4) & 0xFFFF, 0x5555);   /* proc ran */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x30, 4) & 0xFFFF, 0xFFFE);   /* RETF popped the far call */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x24, 4), 0x06);              /* after the HLT at 5 */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=sim vm=dos1 svc=Simulate_Push old_sp=0xfffe sp=0xfffc value=0x0000beef"), 1);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=sim vm=dos1 cs=0x1000 ip=0x0008 svc=Simulate_Far_Call "
                                  "old_sp=0xfffe sp=0xfffa value=0x10000005"), 1);
    tf_free(&t);
}
END_TEST

/* HK-4: an INT 2Fh hook sees the VMM's own 1680h first and passes it on to the VMM. */
START_TEST(hook_int2f_before_the_vmm) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_give(&t, 1, p_int2f, sizeof p_int2f);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "mux_calls"), 1);
    long h = tf_line(&t, "CB_RETURN kind=v86int cb=T.hook_2f cf=1", 0);
    long m = tf_line(&t, "CLIENT op=vmm vm=dos1 vector=0x2f", 0);
    long s = tf_line(&t, "SERVICE vm=dos1 svc=Int2F_1680 path=client", 0);
    ck_assert(h >= 0 && m > h && s > m);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x14, 4) & 0xFFFF, 0x1600);   /* DX: AL = 0 from the VMM */
    tf_free(&t);
}
END_TEST

/* SIM-1: Simulate_Int from VxD code runs the hooks (nested in the call), and wakes the
** halted VM (CL-5); the reflection's frame returns to where the VM stopped. */
START_TEST(simulate_int_runs_hooks_and_wakes) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_give(&t, 1, p_halt, sizeof p_halt);
    tf_stim(&t, 5000, VMM_STIM_CALL, 1, "sim21", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    long w = tf_line(&t, "CLIENT op=wake vm=dos1", 0), k = tf_line(&t, "CLIENT op=hook vm=dos1 vector=0x21", 0);
    long r = tf_line(&t, "CLIENT op=int vm=dos1 vector=0x21", 0), e = tf_line(&t, "SVC_RET vm=dos1 svc=Simulate_Int", 0);
    ck_assert(w >= 0 && k > w && r > k && e > r);
    ck_assert_int_eq(tf_count(&t, "CB_ENTER kind=v86int cb=T.hook_b vm=dos1 depth=2"), 1);
    ck_assert_uint_eq(tf_u32(&t, "a_calls"), 1);
    tf_free(&t);
}
END_TEST

/* A VM without a program: the stack services are a clean error; Map_Flat returns -1. */
START_TEST(simulate_without_program_is_an_error) {
    tf t;
    tf_init(&t, "hook", 3);
    tf_give(&t, 1, p_halt, sizeof p_halt);
    tf_stim(&t, 3000, VMM_STIM_CALL, 2, "flat", 0);
    tf_stim(&t, 5000, VMM_STIM_CALL, 2, "push_nop", 0);
    ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "Simulate_Push: VM dos2 has no client program"), "%s", vmm_error(t.v));
    ck_assert_uint_eq(tf_u32(&t, "flat_ok"), 0xFFFFFFFFu);
    ck_assert_uint_eq(tf_u32(&t, "flat_bad"), 0xFFFFFFFFu);
    tf_free(&t);
}
END_TEST

/* SIM-5: Map_Flat of DS:SI in a V86 VM is its CB_High_Linear + DS * 16 + SI. */
START_TEST(map_flat_v86) {
    tf t;
    tf_init(&t, "hook", 2);
    tf_give(&t, 1, p_halt, sizeof p_halt);
    t.vms[1].client.regs[VMM_CREG_DS] = 0x2345;
    t.vms[1].client.regs[CPU_ESI] = 0x0067;
    t.vms[1].client.regs_set = 1u << VMM_CREG_DS | 1u << CPU_ESI;
    tf_stim(&t, 5000, VMM_STIM_CALL, 1, "flat", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "flat_ok"), vmm_vm_high_linear(t.v, 1) + 0x23450 + 0x67);
    ck_assert_uint_eq(tf_u32(&t, "flat_bad"), 0xFFFFFFFFu);
    tf_free(&t);
}
END_TEST

/* The protected-mode client: the stack services through its LDT, Map_Flat by its
** selector's base; Simulate_Int there and a Client_SS that is none of its LDT's are clean
** errors. */
/* Runs the system VM's protected-mode client (halted) with one call of `entry` in it. */
static int pm_run(tf *t, const char *entry) {
    tf_init(t, "hook", 2);
    tf_give(t, 0, p_halt, sizeof p_halt);
    t->vms[0].client.pm = 1;
    tf_stim(t, 3000, VMM_STIM_CALL, 0, entry, 0);
    return tf_run(t);
}

START_TEST(simulate_pm_client) {
    tf t;
    ck_assert_int_eq(pm_run(&t, "pm_sims"), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "popped"), 0x1234);
    ck_assert_uint_eq(tf_u32(&t, "flat_ok"), vmm_vm_high_linear(t.v, 0) + 0x10000);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=sim vm=sys svc=Simulate_Pop old_sp=0xfffc sp=0xfffe mode=pm"), 1);
    tf_free(&t);
    ck_assert_int_eq(pm_run(&t, "sim21"), VMM_EUNIMPL);
    ck_assert_msg(strstr(vmm_error(t.v), "Simulate_Int into the protected-mode client of VM sys"), "%s",
                  vmm_error(t.v));
    tf_free(&t);
    ck_assert_int_eq(pm_run(&t, "bad_ss"), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "VM sys: client SS 0x001f is no segment of its own"), "%s",
                  vmm_error(t.v));
    tf_free(&t);
}
END_TEST

Suite *hook_suite(void) {
    Suite *s = suite_create("hook");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hook_chain_last_installed_first_cf_consumes);
    tcase_add_test(tc, hook_install_fails_with_cf);
    tcase_add_test(tc, simulate_push_pop_far_call);
    tcase_add_test(tc, hook_int2f_before_the_vmm);
    tcase_add_test(tc, simulate_int_runs_hooks_and_wakes);
    tcase_add_test(tc, simulate_without_program_is_an_error);
    tcase_add_test(tc, map_flat_v86);
    tcase_add_test(tc, simulate_pm_client);
    suite_add_tcase(s, tc);
    return s;
}
