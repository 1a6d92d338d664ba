/*
** test_cpu_ctrl.c — control transfer: JMP (short, near, indirect, far), Jcc (all 16
** conditions, short and near), JCXZ/JECXZ, LOOP/LOOPE/LOOPNE, CALL/RET (near, far,
** RET imm), INT n / IRET through the IDT and the real-mode IVT, external interrupts
** (cpu_interrupt), and the 15-byte instruction limit.
*/
#include "cpu_fixture.h"

#include <stdio.h>

#define NO (-1)
#define EAX CPU_EAX
#define EBX CPU_EBX
#define ECX CPU_ECX
#define ESP CPU_ESP

static const tc_case ctrl_cases[] = {
    { "jmp short", "mov eax,1\njmp short l\nmov eax,2\nl: hlt", EAX, 1, NO, 0, 0, 0, 32 },
    { "jmp near backwards", "xor eax,eax\njmp near f\nb: inc eax\nhlt\nf: jmp near b", EAX, 1, NO, 0, 0, 0, 32 },
    { "jmp reg", "mov ebx,l\njmp ebx\nhlt\nl: mov eax,3\nhlt", EAX, 3, NO, 0, 0, 0, 32 },
    { "jmp mem", "mov dword [0x20000],l\njmp [0x20000]\nhlt\nl: mov eax,4\nhlt", EAX, 4, NO, 0, 0, 0, 32 },
    { "jmp far flat", "jmp 0x28:l\nhlt\nl: mov eax,cs\nhlt", EAX, 0x28, NO, 0, 0, 0, 32 },
    { "jmp far mem", "mov dword [0x20000],l\nmov word [0x20004],0x28\njmp far [0x20000]\nhlt\nl: mov eax,5\nhlt",
      EAX, 5, NO, 0, 0, 0, 32 },
    { "jcc near", "xor eax,eax\njz near l\nmov eax,9\nl: hlt", EAX, 0, NO, 0, 0, 0, 32 },
    { "jcxz uses cx in 16-bit addr", "mov ecx,0x10000\nxor eax,eax\na16 jcxz l\nmov eax,1\nl: hlt", EAX, 0, NO, 0, 0, 0, 32 },
    { "jecxz not taken", "mov ecx,0x10000\nxor eax,eax\njecxz l\nmov eax,1\nl: hlt", EAX, 1, NO, 0, 0, 0, 32 },
    { "loop counts", "xor eax,eax\nmov ecx,5\nl: inc eax\nloop l\nhlt", EAX, 5, ECX, 0, 0, 0, 32 },
    { "loope stops on ne", "mov ecx,10\nxor eax,eax\nl: inc eax\ncmp eax,3\nloope l\nhlt", EAX, 1, ECX, 9, 0, 0, 32 },
    { "loopne stops on eq", "mov ecx,10\nxor eax,eax\nl: inc eax\ncmp eax,3\nloopne l\nhlt", EAX, 3, ECX, 7, 0, 0, 32 },
    { "loop with cx (a16)", "mov ecx,0x10002\nxor eax,eax\nl: inc eax\na16 loop l\nhlt", EAX, 2, ECX, 0x10000, 0, 0, 32 },
    { "call ret", "call f\nmov ebx,esp\nhlt\nf: mov eax,[esp]\nret", EAX, 0x10005, EBX, TC_STACK_TOP, 0, 0, 32 },
    { "ret imm", "push dword 1\npush dword 2\ncall f\nhlt\nf: ret 8", ESP, TC_STACK_TOP, NO, 0, 0, 0, 32 },
    { "call reg", "mov ebx,f\ncall ebx\nhlt\nf: mov eax,6\nret", EAX, 6, NO, 0, 0, 0, 32 },
    { "call far retf", "call 0x28:f\nmov ebx,esp\nhlt\nf: mov eax,[esp+4]\nretf", EAX, 0x28, EBX, TC_STACK_TOP, 0, 0, 32 },
    { "real call far", "call 0:f\nmov bx,sp\nhlt\nf: mov bp,sp\nmov ax,[bp+2]\nretf", EAX, 0, EBX, 0xfffe, 0, 0, 16 },
    { "real jmp far changes cs", "jmp 0x100:(l-0x1000)\nhlt\nl: mov ax,cs\nhlt", EAX, 0x100, NO, 0, 0, 0, 16 },
    { "real int iret via ivt", "mov word [0x80*4],h\nmov word [0x80*4+2],0\nmov ax,1\nint 0x80\n"
      "add ax,0x10\nhlt\nh: mov ax,2\nmov bx,sp\niret", EAX, 0x12, EBX, 0xfffe - 6, 0, 0, 16 },
    { "real int clears IF TF", "mov word [0x80*4],h\nmov word [0x80*4+2],0\nsti\nint 0x80\nhlt\n"
      "h: pushf\npop ax\niret", EAX, 0x0002, NO, 0, CPU_IF, CPU_IF, 16 },
};

START_TEST(test_ctrl_table) {
    tc_check_case(&ctrl_cases[_i]);
}
END_TEST

/* All 16 conditions, taken and not taken, from flags set with POPF. */
START_TEST(test_jcc_all) {
    static const struct { const char *cc; uint32_t taken_flags, not_flags; } t[] = {
        { "o", CPU_OF, 0 }, { "no", 0, CPU_OF }, { "b", CPU_CF, 0 }, { "ae", 0, CPU_CF },
        { "e", CPU_ZF, 0 }, { "ne", 0, CPU_ZF }, { "be", CPU_ZF, 0 }, { "a", 0, CPU_CF },
        { "s", CPU_SF, 0 }, { "ns", 0, CPU_SF }, { "p", CPU_PF, 0 }, { "np", 0, CPU_PF },
        { "l", CPU_SF, CPU_SF | CPU_OF }, { "ge", CPU_SF | CPU_OF, CPU_OF },
        { "le", CPU_ZF, CPU_SF | CPU_OF }, { "g", CPU_SF | CPU_OF, CPU_ZF },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int near = 0; near < 2; near++) {
            char src[256];
            snprintf(src, sizeof src,
                     "xor ebx,ebx\npush dword 0x%x\npopfd\nj%s %s a\nor ebx,1\na:\n"
                     "push dword 0x%x\npopfd\nj%s %s b\nor ebx,2\nb: hlt",
                     t[i].taken_flags | 2, t[i].cc, near ? "near" : "short",
                     t[i].not_flags | 2, t[i].cc, near ? "near" : "short");
            tc_machine *m = tc_new(1024);
            tc_flat(m, src);
            tc_run_expect(m, CPU_STOP_HLT);
            ck_assert_msg(tc_reg(m, CPU_EBX) == 2, "j%s (%s): ebx=%u, expected taken then not",
                          t[i].cc, near ? "near" : "short", tc_reg(m, CPU_EBX));
            tc_free(m);
        }
    }
}
END_TEST

#define FLAT_IDT_80                                                              \
    "mov eax,h\nmov [0x21000+0x80*8],ax\nmov word [0x21000+0x80*8+2],0x28\n"     \
    "mov word [0x21000+0x80*8+4],0x%x\nshr eax,16\nmov [0x21000+0x80*8+6],ax\n"  \
    "lidt [idtr]\n"

/* INT n through an interrupt gate: IF cleared, frame EIP/CS/EFLAGS; IRETD restores. */
START_TEST(test_int_iret_pm) {
    char src[1024];
    snprintf(src, sizeof src, FLAT_IDT_80
             "sti\nint 0x80\nafter: mov ebx,esp\nhlt\n"
             "h: pushfd\npop ecx\nmov eax,[esp]\nmov edx,[esp+8]\niretd\n"
             "idtr: dw 0x7ff\ndd 0x21000\n", 0x8e00);
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), tc_sym(m, "after"));
    ck_assert(!(tc_reg(m, CPU_ECX) & CPU_IF));        /* interrupt gate clears IF */
    ck_assert(tc_reg(m, CPU_EDX) & CPU_IF);           /* the frame holds IF = 1 */
    ck_assert(tc_flags(m) & CPU_IF);                  /* IRETD restored it */
    tc_eq(tc_reg(m, CPU_EBX), TC_STACK_TOP);
    tc_free(m);
}
END_TEST

/* A trap gate leaves IF alone. */
START_TEST(test_trap_gate) {
    char src[1024];
    snprintf(src, sizeof src, FLAT_IDT_80
             "sti\nint 0x80\nhlt\nh: pushfd\npop ecx\niretd\nidtr: dw 0x7ff\ndd 0x21000\n", 0x8f00);
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert(tc_reg(m, CPU_ECX) & CPU_IF);
    tc_free(m);
}
END_TEST

/* cpu_interrupt delivers an external interrupt at a boundary when IF is set. */
START_TEST(test_external_interrupt) {
    char src[1024];
    snprintf(src, sizeof src, FLAT_IDT_80
             "sti\nnop\nbrk: nop\nhlt\nh: mov eax,0x77\niretd\nidtr: dw 0x7ff\ndd 0x21000\n", 0x8e00);
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, "brk")), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    ck_assert_int_eq(cpu_interrupt(m->cpu, 0x80), CPU_OK);
    cpu_breakpoint_clear(m->cpu);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 0x77);
    tc_free(m);
}
END_TEST

START_TEST(test_interrupt_refused_if_clear) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "cli\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_int_eq(cpu_interrupt(m->cpu, 0x80), CPU_EINVAL);
    tc_free(m);
}
END_TEST

/* An instruction longer than 15 bytes (redundant prefixes) raises #GP(0). */
START_TEST(test_15_byte_limit) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "db 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66\n"
               "mov ax,1\nf: hlt\n"                        /* 14 + 4 bytes = 18 */
               "g: db 0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e,0x3e\nmov eax,2\nhlt");
    cpu_set_eip(m->cpu, tc_sym(m, "g"));               /* 10 + 5 = 15 bytes: legal */
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 2);
    cpu_set_eip(m->cpu, TC_CODE);
    int stop = tc_run(m, 10000);
    ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_GP,
                  "stop %s vector %u, expected #GP", cpu_stop_name(stop), m->info.vector);
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_ctrl");
    TCase *tc = tcase_create("ctrl");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_ctrl_table, 0, (int)(sizeof ctrl_cases / sizeof ctrl_cases[0]));
    tcase_add_test(tc, test_jcc_all);
    tcase_add_test(tc, test_int_iret_pm);
    tcase_add_test(tc, test_trap_gate);
    tcase_add_test(tc, test_external_interrupt);
    tcase_add_test(tc, test_interrupt_refused_if_clear);
    tcase_add_test(tc, test_15_byte_limit);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
