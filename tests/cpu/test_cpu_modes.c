/*
** test_cpu_modes.c — modes: real to protected mode, ring 3 (privileged and
** IOPL-sensitive instructions fault, interrupts switch to the TSS ring-0 stack),
** paging (accessed/dirty bits, user/supervisor protection with the #PF error code),
** V86 mode (IOPL-sensitive instructions fault to #GP; IOPL 3 lets CLI through).
*/
#include "cpu_fixture.h"

#include <stdio.h>

/* A GDT with ring-0 flat code/data (0x28/0x30), ring-3 flat code/data (0x3b/0x43) and
** a 386 TSS at 0x22000 (0x48) whose ESP0:SS0 = 0x70000:0x30; then LTR. */
#define RINGS                                                                    \
    "lgdt [gdtr]\nmov dword [0x22004],0x70000\nmov dword [0x22008],0x30\n"       \
    "mov ax,0x48\nltr ax\njmp tables_end\nalign 8\n"                             \
    "gdt: dq 0,0,0,0,0,0x00cf9a000000ffff,0x00cf92000000ffff,"                   \
    "0x00cffa000000ffff,0x00cff2000000ffff,0x0000890220000067\n"                 \
    "gdtr: dw 0x4f\ndd gdt\ntables_end:\n"

/* IRETD to ring 3 at label `user` with ESP = 0x60000, EFLAGS = 0x202 (IF, IOPL 0). */
#define TO_RING3                                                                 \
    "push dword 0x43\npush dword 0x60000\npush dword 0x202\npush dword 0x3b\n"   \
    "push dword user\niretd\n"

/* Identity-maps 0..4 MiB with 4 KiB pages, PTE flags P|W|U, page directory 0x40000,
** page table 0x41000, then turns paging on. */
#define PAGING                                                                   \
    "mov dword [0x40000],0x41007\nmov edi,0x41000\nmov eax,7\nmov ecx,1024\n"    \
    "pfill: mov [edi],eax\nadd eax,0x1000\nadd edi,4\nloop pfill\n"

#define PAGING_ON                                                                \
    "mov eax,0x40000\nmov cr3,eax\nmov eax,cr0\nor eax,0x80000000\nmov cr0,eax\n"

START_TEST(test_real_to_protected) {
    tc_machine *m = tc_new(1024);
    tc_real(m, "cli\no32 lgdt [gdtr]\nmov eax,cr0\nor al,1\nmov cr0,eax\njmp dword 0x28:pm\n"
               "bits 32\npm: mov ax,0x30\nmov ds,ax\nmov ss,ax\nmov eax,0x600d\n"
               "mov [0x20000],eax\nhlt\nalign 8\n"
               "gdt: dq 0,0,0,0,0,0x00cf9a000000ffff,0x00cf92000000ffff\n"
               "gdtr: dw 0x37\ndd gdt\n");
    tc_run_expect(m, CPU_STOP_HLT);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    ck_assert(r.cr0 & 1);
    tc_eq(r.seg[CPU_CS].sel, 0x28);
    tc_eq(r.seg[CPU_DS].base, 0);
    tc_eq(tc_rd32(m, 0x20000), 0x600d);
    tc_free(m);
}
END_TEST

/* Ring 3: CLI with IOPL 0, HLT, MOV from CR0 and LGDT all raise #GP(0). */
START_TEST(test_ring3_privileged) {
    static const char *insn[] = { "cli", "hlt", "mov eax,cr0", "lgdt [0x20000]" };
    for (size_t i = 0; i < sizeof insn / sizeof insn[0]; i++) {
        char src[2048];
        snprintf(src, sizeof src, RINGS TO_RING3 "user: mov eax,5\nf: %s\nhlt", insn[i]);
        tc_machine *m = tc_new(1024);
        tc_flat(m, src);
        int stop = tc_run(m, 100000);
        ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_GP,
                      "ring 3 '%s': stop %s vector %u, expected #GP", insn[i],
                      cpu_stop_name(stop), m->info.vector);
        tc_eq(m->info.error_code, 0);
        cpu_regs r;
        cpu_get_regs(m->cpu, &r);
        tc_eq(r.seg[CPU_CS].sel, 0x3b);
        tc_eq(r.seg[CPU_DS].sel, 0);     /* IRET to ring 3 nulls the DPL-0 data segments */
        tc_eq(r.eip, tc_sym(m, "f"));
        tc_eq(r.r[CPU_EAX], 5);
        tc_free(m);
    }
}
END_TEST

/* INT 80h from ring 3 through a DPL-3 gate: the handler runs at ring 0 on the TSS's
** ESP0 stack, with the user SS:ESP in the frame. */
START_TEST(test_ring3_interrupt_stack_switch) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, RINGS
               "mov eax,h\nmov [0x21000+0x80*8],ax\nmov word [0x21000+0x80*8+2],0x28\n"
               "mov word [0x21000+0x80*8+4],0xee00\nshr eax,16\nmov [0x21000+0x80*8+6],ax\n"
               "lidt [idtr]\n" TO_RING3
               "user: int 0x80\nhlt\n"
               "h: mov ebx,[esp+16]\nmov ecx,[esp+12]\nmov edx,[esp+4]\nmov esi,esp\nmov edi,cs\nhlt\n"
               "idtr: dw 0x7ff\ndd 0x21000\n");
    cpu_get_config(m->cpu)->exc_intercept = 0;
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 0x43);        /* user SS */
    tc_eq(tc_reg(m, CPU_ECX), 0x60000);     /* user ESP */
    tc_eq(tc_reg(m, CPU_EDX), 0x3b);        /* user CS */
    tc_eq(tc_reg(m, CPU_ESI), 0x70000 - 20);
    tc_eq(tc_reg(m, CPU_EDI), 0x28);
    tc_free(m);
}
END_TEST

/* A page is marked accessed when read and dirty when written. */
START_TEST(test_paging_accessed_dirty) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, PAGING PAGING_ON "mov eax,[0x21000]\nmov dword [0x23000],1\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_rd32(m, 0x41000 + 0x21 * 4) & 0x60, 0x20);   /* A */
    tc_eq(tc_rd32(m, 0x41000 + 0x23 * 4) & 0x60, 0x60);   /* A and D */
    tc_eq(tc_rd32(m, 0x41000 + 0x29 * 4) & 0x60, 0x00);   /* untouched */
    ck_assert(tc_rd32(m, 0x40000) & 0x20);                /* the PDE's A */
    tc_free(m);
}
END_TEST

/* Paging remaps: linear 0x400000 -> physical 0x50000 through a second page table. */
START_TEST(test_paging_translation) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, PAGING "mov dword [0x40004],0x42007\nmov dword [0x42000],0x50007\n"
               PAGING_ON "mov dword [0x400010],0xfeed\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_rd32(m, 0x50010), 0xfeed);
    uint32_t v = 0;
    ck_assert_int_eq(cpu_lin_read(m->cpu, 0x400010, &v, 4), CPU_OK);
    tc_eq(v, 0xfeed);
    ck_assert_int_eq(cpu_lin_read(m->cpu, 0x800000, &v, 4), CPU_ERANGE);  /* not present */
    tc_free(m);
}
END_TEST

/* Ring 3 writing a supervisor page: #PF with error code P|W|U = 7 and CR2. */
START_TEST(test_paging_user_supervisor) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, PAGING "mov dword [0x41000+0x25*4],0x25003\n" PAGING_ON RINGS TO_RING3
               "user: mov ax,0x43\nmov ds,ax\nmov eax,[0x24000]\nf: mov dword [0x25008],1\nhlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_msg(m->info.vector == CPU_EXC_PF, "vector %u (error 0x%x) at 0x%x, expected #PF at 0x%x",
                  m->info.vector, m->info.error_code, m->info.fault_eip, tc_sym(m, "f"));
    tc_eq(m->info.error_code, 7);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.cr2, 0x25008);
    tc_eq(r.eip, tc_sym(m, "f"));
    tc_free(m);
}
END_TEST

/* IRETD to V86 mode: code at 1000:xxxx; with IOPL 0, CLI raises #GP. */
#define TO_V86(eflags)                                                           \
    "push dword 0\npush dword 0\npush dword 0\npush dword 0\n"                   \
    "push dword 0x1000\npush dword 0xfff0\npush dword " eflags "\n"              \
    "push dword 0x1000\npush dword v86-0x10000\niretd\nbits 16\n"

START_TEST(test_v86_iopl0_cli) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, RINGS TO_V86("0x20002") "v86: mov ax,0x1234\nmov bx,cs\nf: cli\nhlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_GP);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    ck_assert(r.eflags & CPU_VM);
    tc_eq(r.r[CPU_EAX] & 0xffff, 0x1234);
    tc_eq(r.r[CPU_EBX] & 0xffff, 0x1000);
    tc_eq(r.seg[CPU_CS].base, 0x10000);
    tc_eq(r.seg[CPU_CS].base + r.eip, tc_sym(m, "f"));
    tc_free(m);
}
END_TEST

START_TEST(test_v86_int_iopl0) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, RINGS TO_V86("0x20002") "v86:\nf: int 0x21\nhlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_GP);
    tc_free(m);
}
END_TEST

/* INT3 and INTO are not IOPL-sensitive in V86 mode (the manual: "#GP(0) if IOPL is
** less than 3, for INT only"): with IOPL 0 they raise #BP and #OF, EIP after them. */
START_TEST(test_v86_int3_into_iopl0) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, RINGS TO_V86("0x20002") "v86: int3\nf: hlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_BP);
    tc_free(m);
    m = tc_new(1024);
    tc_flat(m, RINGS TO_V86("0x20802") "v86: into\nf: hlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_OF);
    tc_free(m);
}
END_TEST

/* With IOPL 3, CLI runs in V86; HLT is still privileged (CPL 3). */
START_TEST(test_v86_iopl3) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, RINGS TO_V86("0x23202") "v86: cli\nmov word [0x10],0x55\nf: hlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_GP);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    ck_assert(!(r.eflags & CPU_IF));
    tc_eq(r.seg[CPU_CS].base + r.eip, tc_sym(m, "f"));
    tc_eq(tc_rd16(m, 0x10), 0x55);                 /* DS = 0 in V86: linear 0x10 */
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_modes");
    TCase *tc = tcase_create("modes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_real_to_protected);
    tcase_add_test(tc, test_ring3_privileged);
    tcase_add_test(tc, test_ring3_interrupt_stack_switch);
    tcase_add_test(tc, test_paging_accessed_dirty);
    tcase_add_test(tc, test_paging_translation);
    tcase_add_test(tc, test_paging_user_supervisor);
    tcase_add_test(tc, test_v86_iopl0_cli);
    tcase_add_test(tc, test_v86_int_iopl0);
    tcase_add_test(tc, test_v86_iopl3);
    tcase_add_test(tc, test_v86_int3_into_iopl0);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
