/* test_client.c — client code in V86 mode (docs/vmm.md, "Client code"): each VM's own
** address space at its CB_High_Linear, Client_Reg_Struc as the client's registers
** (CL-1), the default IVT's IRET stub and reflection (CL-4), HLT (CL-5), faults as
** clean errors, the memory a machine with programs needs, determinism across
** vmm_reset. Programs are hand-assembled 16-bit bytes; VxD: tests/vmm/vxd/io.asm (any
** VxD would do: these tests call none). */
#include <stdio.h>
#include <string.h>

#include "test_vmm.h"


/* mov ax,1111h; mov bx,2222h; mov cx,3333h; mov si,4444h; mov dx,1234h; mov ds,dx;
** hlt; jmp $ */
static const uint8_t p_regs[] = { 0xB8, 0x11, 0x11, 0xBB, 0x22, 0x22, 0xB9, 0x33, 0x33,
                                  0xBE, 0x44, 0x44, 0xBA, 0x34, 0x12, 0x8E, 0xDA, 0xF4,
                                  0xEB, 0xFE };
/* xor ax,ax; mov ds,ax; mov word [1000h],imm16 (patched); hlt; jmp $ */
static uint8_t p_write[2][13] = {
    { 0x31, 0xC0, 0x8E, 0xD8, 0xC7, 0x06, 0x00, 0x10, 0xAA, 0x55, 0xF4, 0xEB, 0xFE },
    { 0x31, 0xC0, 0x8E, 0xD8, 0xC7, 0x06, 0x00, 0x10, 0x77, 0x66, 0xF4, 0xEB, 0xFE } };
/* int 21h; hlt; jmp $ */
static const uint8_t p_int21[] = { 0xCD, 0x21, 0xF4, 0xEB, 0xFE };
/* xor ax,ax; xor cx,cx; div cx */
static const uint8_t p_div0[] = { 0x31, 0xC0, 0x31, 0xC9, 0xF7, 0xF1 };
/* busy: jmp busy */
static const uint8_t p_spin[] = { 0xEB, 0xFE };

static const vmm_label lab_div[] = { { "divide", 0x0004 } };

START_TEST(client_regs_in_client_reg_struc) {
    tf t;
    tf_init(&t, "io", 2);
    tf_give(&t, 1, p_regs, sizeof p_regs);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x1C, 4), 0x1111);   /* Client_EAX */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x10, 4), 0x2222);   /* Client_EBX */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x18, 4), 0x3333);   /* Client_ECX */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x04, 4), 0x4444);   /* Client_ESI */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x3C, 2), 0x1234);   /* Client_DS */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x28, 2), 0x1000);   /* Client_CS */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x24, 4), 0x12);     /* Client_EIP: after the HLT */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x2C, 4) & 0x23200u, 0x23200u);   /* VM, IOPL 3, IF */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hlt vm=dos1 cs=0x1000 ip=0x0012"), 1);
    ck_assert_int_eq(tf_count(&t, "VM_STATE vm=dos1 state=idle"), 1);   /* CL-5 */
    tf_free(&t);
}
END_TEST

/* Two VMs write the same V86 address: each its own space, at its CB_High_Linear; the
** VMM's GDT at physical 0x1000 (linear 0x1000 for VxD code) is not touched. */
START_TEST(client_spaces_private) {
    tf t;
    uint32_t gdt0[4], gdt1[4], a = 0, b = 0, hl = 0;
    tf_init(&t, "io", 3);
    t.s.m.memory_kb = 8192;
    tf_give(&t, 1, p_write[0], sizeof p_write[0]);
    tf_give(&t, 2, p_write[1], sizeof p_write[1]);
    t.v = vmm_new(&t.s, NULL, NULL, 0);
    ck_assert(t.v != NULL);
    ck_assert_int_eq(vmm_read(t.v, 0x1000, gdt0, sizeof gdt0), VMM_OK);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(vmm_read(t.v, 0x1000, gdt1, sizeof gdt1), VMM_OK);
    ck_assert_mem_eq(gdt0, gdt1, sizeof gdt0);
    ck_assert_uint_eq(vmm_vm_high_linear(t.v, 0), 0);   /* sys: no program, no space */
    uint32_t h1 = vmm_vm_high_linear(t.v, 1), h2 = vmm_vm_high_linear(t.v, 2);
    ck_assert_uint_ne(h1, 0);
    ck_assert_uint_ge(h1 > h2 ? h1 - h2 : h2 - h1, 0x110000u);   /* 1 MiB + HMA, apart */
    ck_assert_int_eq(vmm_read(t.v, h1 + 0x1000, &a, 2), VMM_OK);
    ck_assert_int_eq(vmm_read(t.v, h2 + 0x1000, &b, 2), VMM_OK);
    ck_assert_uint_eq(a, 0x55AA);
    ck_assert_uint_eq(b, 0x6677);
    ck_assert_int_eq(vmm_read(t.v, vmm_vm_handle(t.v, 1) + 4, &hl, 4), VMM_OK);   /* CB_High_Linear */
    ck_assert_uint_eq(hl, h1);
    tf_free(&t);
}
END_TEST

/* CL-4: an INT n through the default IVT reaches the F000:FF53 IRET and comes back. */
START_TEST(client_default_ivt_iret) {
    tf t;
    tf_init(&t, "io", 2);
    tf_give(&t, 1, p_int21, sizeof p_int21);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=int vm=dos1 cs=0x1000 ip=0x0002 if=1 vector=0x21 target=0xf000ff53"), 1);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hlt vm=dos1 cs=0x1000 ip=0x0003"), 1);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x30, 4) & 0xFFFF, 0xFFFE);   /* the IRET popped its frame */
    tf_free(&t);
}
END_TEST

START_TEST(client_fault_is_clean_error) {
    tf t;
    tf_init(&t, "io", 2);
    tf_give(&t, 1, p_div0, sizeof p_div0);
    t.vms[1].client.labels = lab_div;
    t.vms[1].client.nlabels = 1;
    ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "exception 0") &&
                  strstr(vmm_error(t.v), "client code of VM dos1 at 1000:0004 (dos1.divide)"),
                  "%s", vmm_error(t.v));
    tf_free(&t);
}
END_TEST

/* A busy program runs until max_cycles; its cycles are its VM's execution time, and a
** reset machine runs it again to the same trace. */
START_TEST(client_busy_to_max_cycles_deterministic) {
    tf t;
    tf_init(&t, "io", 2);
    t.s.m.max_cycles = 50000;
    tf_give(&t, 1, p_spin, sizeof p_spin);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_int_eq(tf_count(&t, "END reason=max_cycles"), 1);
    uint64_t h = tf_hash(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_hash(&t), h);
    tf_free(&t);
}
END_TEST

/* xor cx,cx; count: inc cx; check: cmp cx,5; jb count; hlt; jmp $ */
static const uint8_t p_count[] = { 0x31, 0xC9, 0x41, 0x83, 0xF9, 0x05, 0x72, 0xFA, 0xF4, 0xEB, 0xFE };

/* Client probes (expectations at a label): every pass of the address is counted, the
** compared passes are the n-th or all, the first difference is kept, a reset machine
** counts afresh, and the trace is the one the run has without probes. */
START_TEST(client_probes_count_passes_and_change_nothing) {
    static const vmm_probe pr[] = {
        { 0x10003, 3, 0x18, 0, 4, 3 },               /* ECX at check, pass 3: 3 */
        { 0x10003, 0, 0x18, 0, 4, 1 },               /* ECX at check, every pass: 1 (fails at 2) */
        { 0x10003, 2, VMM_PROBE_MEM, 0x10002, 1, 0x41 },   /* the byte at count (inc cx) */
        { 0x10000, 0, 0x28, 0, 2, 0x1000 },          /* CS at the first instruction */
    };
    tf t;
    uint64_t h[2];
    for (int with = 0; with < 2; with++) {
        tf_init(&t, "io", 2);
        tf_give(&t, 1, p_count, sizeof p_count);
        t.vms[1].client.probes = with ? pr : NULL;
        t.vms[1].client.nprobes = with ? 4 : 0;
        ck_assert_int_eq(tf_run(&t), VMM_OK);
        h[with] = tf_hash(&t);
        if (with) {
            for (int pass = 0; pass < 2; pass++) {   /* the run, then a reset machine's */
                vmm_probe_result r[4];
                for (uint32_t k = 0; k < 4; k++) ck_assert_int_eq(vmm_probe_result_get(t.v, 1, k, &r[k]), VMM_OK);
                ck_assert_uint_eq(r[0].passes, 5);
                ck_assert_uint_eq(r[0].compared, 1);
                ck_assert_uint_eq(r[0].bad_pass, 0);
                ck_assert_uint_eq(r[1].bad_pass, 2);
                ck_assert_uint_eq(r[1].found, 2);
                ck_assert_uint_eq(r[1].compared, 2);   /* nothing compared after the first difference */
                ck_assert_uint_eq(r[2].bad_pass, 0);
                ck_assert_uint_eq(r[2].compared, 1);
                ck_assert_uint_eq(r[3].passes, 1);
                ck_assert_uint_eq(r[3].bad_pass, 0);
                ck_assert_int_eq(vmm_probe_result_get(t.v, 1, 4, &r[0]), VMM_EINVAL);
                ck_assert_int_eq(vmm_probe_result_get(t.v, 0, 0, &r[0]), VMM_EINVAL);
                if (pass) break;
                ck_assert_int_eq(vmm_reset(t.v), VMM_OK);
                ck_assert_int_eq(tf_run(&t), VMM_OK);
                ck_assert_uint_eq(tf_hash(&t), h[1]);
            }
        }
        tf_free(&t);
    }
    ck_assert_uint_eq(h[0], h[1]);
}
END_TEST

/* A busy loop with a probe on it runs to max_cycles exactly as without (each stop at
** the probe resumes with the rest of the budget). */
START_TEST(client_probe_on_busy_loop_keeps_cycles) {
    static const vmm_probe pr[] = { { 0x10000, 0, 0x28, 0, 2, 0x1000 } };
    uint64_t h[2];
    uint32_t passes = 0;
    for (int with = 0; with < 2; with++) {
        tf t;
        tf_init(&t, "io", 2);
        t.s.m.max_cycles = 50000;
        tf_give(&t, 1, p_spin, sizeof p_spin);
        t.vms[1].client.probes = with ? pr : NULL;
        t.vms[1].client.nprobes = (uint32_t)with;
        ck_assert_int_eq(tf_run(&t), VMM_OK);
        h[with] = tf_hash(&t);
        vmm_probe_result r;
        if (with && vmm_probe_result_get(t.v, 1, 0, &r) == VMM_OK) passes = r.passes;
        tf_free(&t);
    }
    ck_assert_uint_eq(h[0], h[1]);
    ck_assert_uint_gt(passes, 1000);   /* JMP $ is 7 + m clocks: thousands of passes */
}
END_TEST

/* Code at linear 2000h of a V86 space (0200:0000) runs through the address of the
** VMM's callback-return breakpoint as through any other. */
START_TEST(client_code_at_the_vmm_breakpoint_address) {
    /* count: inc ax; cmp ax,3; jb count; hlt; jmp $ */
    static const uint8_t p_at[] = { 0x40, 0x3D, 0x03, 0x00, 0x72, 0xFA, 0xF4, 0xEB, 0xFE };
    tf t;
    tf_init(&t, "io", 2);
    tf_give(&t, 1, p_at, sizeof p_at);
    t.vms[1].client.load_seg = 0x0200;
    t.vms[1].client.cs = 0x0200;
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x1C, 4), 3);      /* Client_EAX: three passes */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x24, 4), 7);      /* Client_EIP: after the HLT */
    tf_free(&t);
}
END_TEST

START_TEST(client_memory_too_small_refused) {
    tf t;
    char err[256] = "";
    int rc = 0;
    tf_init(&t, "io", 3);
    t.s.m.memory_kb = 2048;
    tf_give(&t, 1, p_spin, sizeof p_spin);
    tf_give(&t, 2, p_spin, sizeof p_spin);
    ck_assert(vmm_new(&t.s, &rc, err, sizeof err) == NULL);
    ck_assert_int_eq(rc, VMM_EINVAL);
    ck_assert_msg(strstr(err, "too small for the client programs of 2 VMs"), "%s", err);
    tf_free(&t);
}
END_TEST

/* TO-1, SL-1 with client code: a VM's execution time is the time its busy program
** runs. sys (focus, 100) and dos1 (background, 50) both spin under the time slicer;
** dos1's call (VxD tests/vmm/vxd/ev.asm) takes effect when its first slice starts, at
** 40 ms: a 30 ms global time-out (due at 70, called at the 80 ms tick) and a 30 ms VM
** time-out, which falls due only when dos1 has run 30 ms more: slices of 40 ms (sys)
** and 20 ms (dos1) alternate, so that is at 110 ms, and the 120 ms tick is the first
** at which dos1 is current after that. */
START_TEST(client_cycles_are_exec_time) {
    tf t;
    tf_init(&t, "ev", 2);
    t.s.m.time_slicing = 1;
    t.s.m.max_cycles = 200u * 33000u;   /* 200 ms at 33 MHz */
    t.vms[1].status_flags = 1u << 1;    /* Background: on the time-slice list */
    tf_give(&t, 0, p_spin, sizeof p_spin);
    tf_give(&t, 1, p_spin, sizeof p_spin);
    tf_stim(&t, 10000, VMM_STIM_CALL, 1, "vmto_start", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint32_t sys_ms = tf_u32(&t, "vmto_sys"), exec = tf_u32(&t, "vmto_exec");
    ck_assert_msg(exec >= 30 && exec < 50, "dos1 ran %u ms", exec);
    ck_assert_msg(sys_ms >= 110 && sys_ms <= 125, "VM time-out at %u ms of system time", sys_ms);
    ck_assert_uint_eq(tf_u32(&t, "gto_sys"), 80);   /* the global one, whoever runs */
    tf_free(&t);
}
END_TEST

/* Protected-mode client code (the system VM's, `mode: pm`): ring 3 through its LDT. */
static void give_pm(tf *t, const uint8_t *img, uint32_t len) {
    tf_give(t, 0, img, len);
    t->vms[0].client.pm = 1;
}

/* mov ax,ds; mov bx,cs; mov cx,ss; hlt; jmp $ */
static const uint8_t p_pm_sels[] = { 0x8C, 0xD8, 0x8C, 0xCB, 0x8C, 0xD1, 0xF4, 0xEB, 0xFE };
/* mov ax,1234h; int 21h */
static const uint8_t p_pm_int21[] = { 0xB8, 0x34, 0x12, 0xCD, 0x21 };
/* mov ax,10h; mov ds,ax (a GDT selector: #GP) */
static const uint8_t p_pm_gdt[] = { 0xB8, 0x10, 0x00, 0x8E, 0xD8 };

START_TEST(client_pm_runs_through_its_ldt) {
    tf t;
    tf_init(&t, "io", 2);
    give_pm(&t, p_pm_sels, sizeof p_pm_sels);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_creg(&t, 0, 0x1C, 4) & 0xFFFF, 0x0F);   /* DS: LDT data, RPL 3 */
    ck_assert_uint_eq(tf_creg(&t, 0, 0x10, 4) & 0xFFFF, 0x07);   /* CS: LDT code */
    ck_assert_uint_eq(tf_creg(&t, 0, 0x18, 4) & 0xFFFF, 0x17);   /* SS: LDT stack */
    ck_assert_uint_eq(tf_creg(&t, 0, 0x2C, 4) & 0x23000u, 0x3000u);   /* IOPL 3, not V86 */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hlt vm=sys cs=0x0007 ip=0x0007 mode=pm"), 1);
    tf_free(&t);
}
END_TEST

START_TEST(client_pm_unmodelled_int_and_bad_selector_are_clean_errors) {
    tf t;
    tf_init(&t, "io", 2);
    give_pm(&t, p_pm_int21, sizeof p_pm_int21);
    ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "INT 21h (AX=1234h) from the protected-mode client code of VM sys "
                                         "at 0007:0005"), "%s", vmm_error(t.v));
    tf_free(&t);
    tf_init(&t, "io", 2);
    give_pm(&t, p_pm_gdt, sizeof p_pm_gdt);
    ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "exception 13 (error code 0x10) in the client code of VM sys "
                                         "at 0007:0003"), "%s", vmm_error(t.v));
    tf_free(&t);
}
END_TEST

Suite *client_suite(void) {
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("v86");
    tcase_add_test(tc, client_regs_in_client_reg_struc);
    tcase_add_test(tc, client_spaces_private);
    tcase_add_test(tc, client_default_ivt_iret);
    tcase_add_test(tc, client_fault_is_clean_error);
    tcase_add_test(tc, client_busy_to_max_cycles_deterministic);
    tcase_add_test(tc, client_probes_count_passes_and_change_nothing);
    tcase_add_test(tc, client_probe_on_busy_loop_keeps_cycles);
    tcase_add_test(tc, client_code_at_the_vmm_breakpoint_address);
    tcase_add_test(tc, client_memory_too_small_refused);
    tcase_add_test(tc, client_cycles_are_exec_time);
    tcase_add_test(tc, client_pm_runs_through_its_ldt);
    tcase_add_test(tc, client_pm_unmodelled_int_and_bad_selector_are_clean_errors);
    suite_add_tcase(s, tc);
    return s;
}
