/*
** test_cpu_mov.c — data movement: MOV forms and addressing modes (16- and 32-bit, SIB,
** segment overrides), MOVZX/MOVSX, XCHG, XLAT, LEA, LDS/LES/LFS/LGS/LSS, PUSH/POP in
** all forms, PUSHA/POPA, PUSHF/POPF, LAHF/SAHF, IN/OUT, ENTER/LEAVE.
*/
#include "cpu_fixture.h"

#define NO (-1)
#define EAX CPU_EAX
#define ECX CPU_ECX
#define EDX CPU_EDX
#define EBX CPU_EBX
#define ESP CPU_ESP
#define EBP CPU_EBP
#define ESI CPU_ESI
#define EDI CPU_EDI

static const tc_case mov_cases[] = {
    { "mov r8 high", "mov eax,0x11223344\nmov ah,0x99\nhlt", EAX, 0x11229944, NO, 0, 0, 0, 32 },
    { "mov r16 keeps top", "mov eax,0x11223344\nmov ax,0x5566\nhlt", EAX, 0x11225566, NO, 0, 0, 0, 32 },
    { "mov mem round trip", "mov dword [0x20000],0xdeadbeef\nmov ebx,[0x20000]\nhlt", EBX, 0xdeadbeef, NO, 0, 0, 0, 32 },
    { "mov moffs", "mov eax,0x12345678\nmov [0x20010],eax\nmov eax,0\nmov eax,[0x20010]\nhlt", EAX, 0x12345678, NO, 0, 0, 0, 32 },
    { "sib base+index*4+disp", "mov dword [0x20020],77\nmov ebx,0x20000\nmov ecx,4\n"
      "mov eax,[ebx+ecx*4+0x10]\nhlt", EAX, 77, NO, 0, 0, 0, 32 },
    { "sib no base", "mov dword [0x20040],5\nmov ecx,0x8010\nmov eax,[ecx*4]\nhlt", EAX, 5, NO, 0, 0, 0, 32 },
    { "ebp base uses ss", "mov dword [0x20008],9\nmov ebp,0x20000\nmov eax,[ebp+8]\nhlt", EAX, 9, NO, 0, 0, 0, 32 },
    { "esp base", "push dword 0x77\nmov eax,[esp]\nhlt", EAX, 0x77, NO, 0, 0, 0, 32 },
    { "a16 addressing in 32-bit code", "mov dword [0x1234],0xabcd\nmov bx,0x1000\nmov si,0x234\n"
      "a16 mov eax,[bx+si]\nhlt", EAX, 0xabcd, NO, 0, 0, 0, 32 },
    { "real [bx+si+disp]", "mov word [0x2010],0x4321\nmov bx,0x2000\nmov si,8\nmov ax,[bx+si+8]\nhlt",
      EAX, 0x4321, NO, 0, 0, 0, 16 },
    { "real [bp+di] via ss", "mov word [0x3000],0x1111\nmov bp,0x2ff0\nmov di,0x10\nmov ax,[bp+di]\nhlt",
      EAX, 0x1111, NO, 0, 0, 0, 16 },
    { "real offset wraps at 64K", "mov word [0x0004],0x2222\nmov bx,0xfffe\nmov ax,[bx+6]\nhlt",
      EAX, 0x2222, NO, 0, 0, 0, 16 },
    { "real segment base", "mov ax,0x200\nmov es,ax\nmov word [es:0x10],0x3333\nmov bx,[0x2010]\nhlt",
      EBX, 0x3333, NO, 0, 0, 0, 16 },
    { "movzx byte", "mov ecx,0xff80\nmovzx eax,cl\nhlt", EAX, 0x80, NO, 0, 0, 0, 32 },
    { "movsx byte", "mov ecx,0xff80\nmovsx eax,cl\nhlt", EAX, 0xffffff80, NO, 0, 0, 0, 32 },
    { "movsx word", "mov ecx,0x8000\nmovsx eax,cx\nhlt", EAX, 0xffff8000, NO, 0, 0, 0, 32 },
    { "movzx word mem", "mov dword [0x20000],0xfedcba98\nmovzx eax,word [0x20002]\nhlt", EAX, 0xfedc, NO, 0, 0, 0, 32 },
    { "movsx r16,r8", "mov eax,0x12345678\nmov cl,0x90\nmovsx ax,cl\nhlt", EAX, 0x1234ff90, NO, 0, 0, 0, 32 },
    { "xchg reg", "mov eax,1\nmov ecx,2\nxchg eax,ecx\nhlt", EAX, 2, ECX, 1, 0, 0, 32 },
    { "xchg mem", "mov dword [0x20000],5\nmov ebx,6\nxchg [0x20000],ebx\nmov ecx,[0x20000]\nhlt", EBX, 5, ECX, 6, 0, 0, 32 },
    { "xchg r8", "mov eax,0x1234\nxchg al,ah\nhlt", EAX, 0x3412, NO, 0, 0, 0, 32 },
    { "xlat", "mov byte [0x20005],0x42\nmov ebx,0x20000\nmov eax,0x1105\nxlatb\nhlt", EAX, 0x1142, NO, 0, 0, 0, 32 },
    { "lea sib", "mov ebx,0x100\nmov esi,0x10\nlea eax,[ebx+esi*8+3]\nhlt", EAX, 0x183, NO, 0, 0, 0, 32 },
    { "lea r16 truncates", "mov eax,0xffffffff\nmov ebx,0xffff\nlea ax,[ebx+2]\nhlt", EAX, 0xffff0001, NO, 0, 0, 0, 32 },
    { "lea no flags", "stc\nlea eax,[eax+1]\nmov eax,0\nadc eax,0\nhlt", EAX, 1, NO, 0, 0, 0, 32 },
    { "lds", "mov dword [0x20000],0x1234\nmov word [0x20004],0x30\nlds esi,[0x20000]\nmov eax,ds\nhlt",
      ESI, 0x1234, EAX, 0x30, 0, 0, 32 },
    { "les real", "mov word [0x2000],0x10\nmov word [0x2002],0x300\nles di,[0x2000]\nmov ax,es\nhlt",
      EDI, 0x10, EAX, 0x300, 0, 0, 16 },
    { "lss real", "mov word [0x2000],0x8000\nmov word [0x2002],0x100\nlss sp,[0x2000]\nmov ax,ss\nhlt",
      ESP, 0x8000, EAX, 0x100, 0, 0, 16 },
    { "lfs lgs", "mov dword [0x20000],7\nmov word [0x20004],0x30\nlfs eax,[0x20000]\nlgs ebx,[0x20000]\n"
      "mov ecx,fs\nhlt", EBX, 7, ECX, 0x30, 0, 0, 32 },
    { "push pop", "mov eax,0x11\npush eax\npop ebx\nhlt", EBX, 0x11, ESP, TC_STACK_TOP, 0, 0, 32 },
    { "push imm8 sign-extends", "push byte -2\npop eax\nhlt", EAX, 0xfffffffe, NO, 0, 0, 0, 32 },
    { "push esp pushes old", "push esp\npop eax\nhlt", EAX, TC_STACK_TOP, NO, 0, 0, 0, 32 },
    { "pop esp", "mov dword [0x20000],0x12340\npush dword 0x7000\npop esp\nhlt", ESP, 0x7000, NO, 0, 0, 0, 32 },
    { "push mem pop mem", "mov dword [0x20000],0x55\npush dword [0x20000]\npop dword [0x20004]\n"
      "mov eax,[0x20004]\nhlt", EAX, 0x55, NO, 0, 0, 0, 32 },
    { "pop [esp] uses new esp", "push dword 1\npush dword 2\npop dword [esp]\npop eax\nhlt", EAX, 2, NO, 0, 0, 0, 32 },
    { "push16 in 32-bit", "push word 0x1234\nmov eax,esp\npop bx\nhlt", EAX, TC_STACK_TOP - 2, EBX, 0x1234, 0, 0, 32 },
    { "push sreg", "push ds\npop eax\nhlt", EAX, 0x30, ESP, TC_STACK_TOP, 0, 0, 32 },
    { "pushad popad", "mov eax,1\nmov ecx,2\nmov edx,3\nmov ebx,4\nmov ebp,6\nmov esi,7\nmov edi,8\n"
      "pushad\nmov ebx,[esp+16]\nmov ecx,[esp+12]\nmov [esp],dword 99\npopad\nhlt",
      EDI, 99, ECX, 2, 0, 0, 32 },
    { "pushad esp image", "pushad\nmov eax,[esp+12]\nhlt", EAX, TC_STACK_TOP, NO, 0, 0, 0, 32 },
    { "pushf popf", "stc\npushfd\nclc\npopfd\nmov eax,0\nadc eax,0\nhlt", EAX, 1, NO, 0, 0, 0, 32 },
    { "popf image", "push dword 0x8d5\npopfd\npushfd\npop eax\nhlt", EAX, 0x8d7, NO, 0, 0, 0, 32 },
    { "lahf", "mov eax,0\nstc\nlahf\nhlt", EAX, 0x0300, NO, 0, 0, 0, 32 },
    { "sahf", "mov ah,0xd5\nsahf\nhlt", NO, 0, NO, 0, TC_OSZAPC & ~CPU_OF, 0xd5, 32 },
    { "enter leave", "mov ebp,0x1111\nenter 8,0\nmov eax,ebp\nmov ebx,esp\nleave\nhlt",
      EAX, TC_STACK_TOP - 4, EBX, TC_STACK_TOP - 12, 0, 0, 32 },
    { "enter nested", "mov ebp,0x70000\nmov dword [0x6fffc],0x6ff00\nenter 4,2\nmov eax,[esp+4]\n"
      "mov ebx,ebp\nhlt", EAX, TC_STACK_TOP - 4, EBX, TC_STACK_TOP - 4, 0, 0, 32 },
    { "leave restores", "mov ebp,0x70000\nmov dword [0x70000],0x1234\nleave\nhlt", EBP, 0x1234, ESP, 0x70004, 0, 0, 32 },
    { "real push pop", "mov ax,0x1234\npush ax\npop bx\nmov cx,sp\nhlt", EBX, 0x1234, ECX, 0xfffe, 0, 0, 16 },
    { "real pusha popa", "mov ax,1\nmov di,9\npusha\nmov ax,5\nmov di,7\npopa\nhlt", EAX, 1, EDI, 9, 0, 0, 16 },
    { "mov sreg real", "mov ax,0x1234\nmov ds,ax\nmov bx,ds\nhlt", EBX, 0x1234, NO, 0, 0, 0, 16 },
    { "mov r32,sreg zero-extends", "mov eax,-1\nmov eax,ds\nhlt", EAX, 0x30, NO, 0, 0, 0, 32 },
};

START_TEST(test_mov_table) {
    tc_check_case(&mov_cases[_i]);
}
END_TEST

/* IN/OUT: sizes and ports reach the bus; IN returns what the bus gives. */
START_TEST(test_io) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov al,0x41\nout 0xe9,al\nmov dx,0x3f8\nmov ax,0x1234\nout dx,ax\n"
               "mov eax,0xcafebabe\nout dx,eax\nin al,0x60\nmov bl,al\nin eax,dx\nhlt");
    m->io_in_value = 0x89abcdef;
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(m->io_count, 5);
    ck_assert(m->io_log[0].is_out && m->io_log[0].port == 0xe9 && m->io_log[0].size_bytes == 1);
    tc_eq(m->io_log[0].value, 0x41);
    ck_assert(m->io_log[1].port == 0x3f8 && m->io_log[1].size_bytes == 2);
    tc_eq(m->io_log[1].value, 0x1234);
    ck_assert(m->io_log[2].size_bytes == 4);
    tc_eq(m->io_log[2].value, 0xcafebabe);
    ck_assert(!m->io_log[3].is_out && m->io_log[3].port == 0x60 && m->io_log[3].size_bytes == 1);
    tc_eq(tc_reg(m, CPU_EBX) & 0xff, 0xef);
    tc_eq(tc_reg(m, CPU_EAX), 0x89abcdef);
    tc_free(m);
}
END_TEST

/* MOV to SS inhibits interrupts for one instruction, as STI does (9.2.4). */
START_TEST(test_mov_ss_shadow) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "sti\nnop\nmov ax,ss\nmov ss,ax\nbrk: nop\nhlt");
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, "brk")), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    ck_assert_int_eq(cpu_interrupt(m->cpu, 0x40), CPU_EINVAL);
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_mov");
    TCase *tc = tcase_create("mov");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_mov_table, 0, (int)(sizeof mov_cases / sizeof mov_cases[0]));
    tcase_add_test(tc, test_io);
    tcase_add_test(tc, test_mov_ss_shadow);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
