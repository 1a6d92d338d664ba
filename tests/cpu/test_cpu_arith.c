/*
** test_cpu_arith.c — arithmetic, logic, shifts, multiply/divide, BCD, bit operations:
** results and every flag the 80386 manual defines for each (chapter 17, each
** instruction's "Flags Affected"); undefined flags are masked out of the check.
*/
#include "cpu_fixture.h"

#define NO (-1)
#define EAX CPU_EAX
#define ECX CPU_ECX
#define EDX CPU_EDX
#define EBX CPU_EBX
#define ESI CPU_ESI
#define EDI CPU_EDI
#define OF CPU_OF
#define SF CPU_SF
#define ZF CPU_ZF
#define AF CPU_AF
#define PF CPU_PF
#define CF CPU_CF
#define ALL TC_OSZAPC
#define LOGIC TC_OSZPC          /* AF undefined after AND/OR/XOR/TEST */

static const tc_case arith_cases[] = {
    /* ADD/ADC/SUB/SBB/CMP: all six flags defined */
    { "add32 overflow", "mov eax,0x7fffffff\nadd eax,1\nhlt", EAX, 0x80000000, NO, 0, ALL, OF|SF|AF|PF, 32 },
    { "add8 carry zero", "mov eax,1\nadd al,0xff\nhlt", EAX, 0, NO, 0, ALL, ZF|CF|AF|PF, 32 },
    { "add8 ah", "mov eax,0x100\nadd ah,0xff\nhlt", EAX, 0, NO, 0, ALL, ZF|CF|AF|PF, 32 },
    { "add16 overflow", "mov eax,0x12347fff\nadd ax,1\nhlt", EAX, 0x12348000, NO, 0, ALL, OF|SF|AF|PF, 32 },
    { "add8 overflow", "mov eax,0x7f\nadd al,1\nhlt", EAX, 0x80, NO, 0, ALL, OF|SF|AF, 32 },
    { "add r/m32,imm8 sign-extended", "mov ebx,10\nadd ebx,byte -11\nhlt", EBX, 0xffffffff, NO, 0, ALL, SF|PF, 32 },
    { "sub32 borrow", "mov eax,0\nsub eax,1\nhlt", EAX, 0xffffffff, NO, 0, ALL, SF|CF|AF|PF, 32 },
    { "sub32 overflow", "mov eax,0x80000000\nsub eax,1\nhlt", EAX, 0x7fffffff, NO, 0, ALL, OF|AF|PF, 32 },
    { "adc carry in", "stc\nmov eax,0xffffffff\nadc eax,0\nhlt", EAX, 0, NO, 0, ALL, ZF|CF|AF|PF, 32 },
    { "adc16 carry in", "stc\nmov edx,0x10000\nadc dx,0x7fff\nhlt", EDX, 0x18000, NO, 0, ALL, OF|SF|AF|PF, 32 },
    { "sbb borrow in", "stc\nmov eax,5\nsbb eax,5\nhlt", EAX, 0xffffffff, NO, 0, ALL, SF|CF|AF|PF, 32 },
    { "cmp leaves operand", "mov eax,3\ncmp eax,5\nhlt", EAX, 3, NO, 0, ALL, SF|CF|AF, 32 },
    { "cmp equal", "mov ecx,0x1234\ncmp cx,0x1234\nhlt", ECX, 0x1234, NO, 0, ALL, ZF|PF, 32 },
    { "cmp8 signed overflow", "mov eax,0x80\ncmp al,1\nhlt", EAX, 0x80, NO, 0, ALL, OF|AF, 32 },
    /* INC/DEC keep CF */
    { "inc keeps CF", "stc\nmov eax,0xffffffff\ninc eax\nhlt", EAX, 0, NO, 0, ALL, ZF|AF|PF|CF, 32 },
    { "dec keeps CF clear", "clc\nmov eax,0x80000000\ndec eax\nhlt", EAX, 0x7fffffff, NO, 0, ALL, OF|AF|PF, 32 },
    { "inc8 overflow", "clc\nmov ebx,0x7f\ninc bl\nhlt", EBX, 0x80, NO, 0, ALL, OF|SF|AF, 32 },
    { "dec16 to zero", "stc\nmov esi,0xffff0001\ndec si\nhlt", ESI, 0xffff0000, NO, 0, ALL, ZF|PF|CF, 32 },
    /* NEG: CF = (operand != 0) */
    { "neg zero", "stc\nmov eax,0\nneg eax\nhlt", EAX, 0, NO, 0, ALL, ZF|PF, 32 },
    { "neg five", "mov eax,5\nneg eax\nhlt", EAX, 0xfffffffb, NO, 0, ALL, SF|CF|AF, 32 },
    { "neg min", "mov eax,0x80000000\nneg eax\nhlt", EAX, 0x80000000, NO, 0, ALL, OF|SF|CF|PF, 32 },
    /* logic: OF = CF = 0, AF undefined */
    { "and", "stc\nmov eax,0xf0f0\nand eax,0x0ff0\nhlt", EAX, 0xf0, NO, 0, LOGIC, PF, 32 },
    { "or", "stc\nmov eax,0x80000000\nor eax,1\nhlt", EAX, 0x80000001, NO, 0, LOGIC, SF, 32 },
    { "xor self", "mov eax,0x1234\nxor eax,eax\nhlt", EAX, 0, NO, 0, LOGIC, ZF|PF, 32 },
    { "xor8 high", "mov edx,0x5500\nxor dh,0xff\nhlt", EDX, 0xaa00, NO, 0, LOGIC, SF|PF, 32 },
    { "test no write", "mov eax,0x80\ntest al,al\nhlt", EAX, 0x80, NO, 0, LOGIC, SF, 32 },
    { "test16 zero", "mov eax,0xff00\ntest ax,0x00ff\nhlt", EAX, 0xff00, NO, 0, LOGIC, ZF|PF, 32 },
    { "not keeps flags", "stc\nmov eax,0x0f0f0f0f\nnot eax\nhlt", EAX, 0xf0f0f0f0, NO, 0, CF, CF, 32 },
    /* MUL/IMUL: CF = OF = upper half significant; SF ZF AF PF undefined */
    { "mul32 high", "mov eax,0x10000\nmov ecx,0x10000\nmul ecx\nhlt", EAX, 0, EDX, 1, OF|CF, OF|CF, 32 },
    { "mul32 small", "mov eax,3\nmov ecx,4\nmov edx,99\nmul ecx\nhlt", EAX, 12, EDX, 0, OF|CF, 0, 32 },
    { "mul16", "mov eax,0x1234\nmov ecx,0x100\nmul cx\nhlt", EAX, 0x3400, EDX, 0x12, OF|CF, OF|CF, 32 },
    { "mul8", "mov eax,0xffff0080\nmov cl,2\nmul cl\nhlt", EAX, 0xffff0100, NO, 0, OF|CF, OF|CF, 32 },
    { "imul32 one-op", "mov eax,-2\nmov ecx,3\nimul ecx\nhlt", EAX, 0xfffffffa, EDX, 0xffffffff, OF|CF, 0, 32 },
    { "imul8 fits", "mov eax,0xfc\nmov cl,32\nimul cl\nhlt", EAX, 0xff80, NO, 0, OF|CF, 0, 32 },
    { "imul8 overflow", "mov eax,0x40\nmov cl,2\nimul cl\nhlt", EAX, 0x80, NO, 0, OF|CF, OF|CF, 32 },
    { "imul r,r/m,imm8", "mov ecx,0x40000000\nimul eax,ecx,4\nhlt", EAX, 0, NO, 0, OF|CF, OF|CF, 32 },
    { "imul r,r/m", "mov eax,7\nmov ecx,-3\nimul eax,ecx\nhlt", EAX, 0xffffffeb, NO, 0, OF|CF, 0, 32 },
    { "imul r16,imm16", "mov ebx,0xabcd0100\nimul bx,bx,0x300\nhlt", EBX, 0xabcd0000, NO, 0, OF|CF, OF|CF, 32 },
    /* DIV/IDIV: all flags undefined */
    { "div32", "mov edx,0\nmov eax,100\nmov ecx,7\ndiv ecx\nhlt", EAX, 14, EDX, 2, 0, 0, 32 },
    { "div32 wide", "mov edx,1\nmov eax,0\nmov ecx,0x10\ndiv ecx\nhlt", EAX, 0x10000000, EDX, 0, 0, 0, 32 },
    { "idiv32 negative", "mov eax,-100\ncdq\nmov ecx,7\nidiv ecx\nhlt", EAX, 0xfffffff2, EDX, 0xfffffffe, 0, 0, 32 },
    { "div8", "mov eax,263\nmov cl,10\ndiv cl\nhlt", EAX, 0x031a, NO, 0, 0, 0, 32 },
    { "idiv16", "mov eax,0xffff\nmov edx,0xffff\nmov cx,2\nidiv cx\nhlt", EAX, 0, EDX, 0xffff, 0, 0, 32 },
    /* BCD (OF undefined for DAA/DAS; only AF CF for AAA/AAS; SF ZF PF for AAM/AAD) */
    { "daa", "mov eax,0x79\nadd al,0x35\ndaa\nhlt", EAX, 0x14, NO, 0, SF|ZF|AF|PF|CF, AF|CF|PF, 32 },
    { "daa no adjust", "mov eax,0x12\nadd al,0x34\ndaa\nhlt", EAX, 0x46, NO, 0, SF|ZF|AF|PF|CF, 0, 32 },
    { "das", "mov eax,0x35\nsub al,0x47\ndas\nhlt", EAX, 0x88, NO, 0, SF|ZF|AF|PF|CF, SF|AF|CF|PF, 32 },
    { "aaa", "mov eax,9\nadd al,3\naaa\nhlt", EAX, 0x0102, NO, 0, AF|CF, AF|CF, 32 },
    { "aaa no adjust", "mov eax,0x0203\nadd al,4\naaa\nhlt", EAX, 0x0207, NO, 0, AF|CF, 0, 32 },
    { "aas", "mov eax,0x0200\nsub al,1\naas\nhlt", EAX, 0x0109, NO, 0, AF|CF, AF|CF, 32 },
    { "aam", "mov eax,79\naam\nhlt", EAX, 0x0709, NO, 0, SF|ZF|PF, PF, 32 },
    { "aam base 16", "mov eax,0x5f\naam 16\nhlt", EAX, 0x050f, NO, 0, SF|ZF|PF, PF, 32 },
    { "aad", "mov eax,0x0709\naad\nhlt", EAX, 0x4f, NO, 0, SF|ZF|PF, 0, 32 },
    /* sign extension */
    { "cbw", "mov eax,0x12341280\ncbw\nhlt", EAX, 0x1234ff80, NO, 0, 0, 0, 32 },
    { "cwde", "mov eax,0x1234ff80\ncwde\nhlt", EAX, 0xffffff80, NO, 0, 0, 0, 32 },
    { "cwd", "mov edx,0x12345678\nmov eax,0x8000\ncwd\nhlt", EDX, 0x1234ffff, EAX, 0x8000, 0, 0, 32 },
    { "cdq", "mov eax,0x7fffffff\nmov edx,-1\ncdq\nhlt", EDX, 0, NO, 0, 0, 0, 32 },
    /* shifts and rotates: CF defined; OF only for count 1; AF undefined */
    { "shl1", "mov eax,0x80000001\nshl eax,1\nhlt", EAX, 2, NO, 0, OF|CF|SF|ZF|PF, OF|CF, 32 },
    { "shr1", "mov eax,0x80000001\nshr eax,1\nhlt", EAX, 0x40000000, NO, 0, OF|CF|SF|ZF|PF, OF|CF|PF, 32 },
    { "sar4", "mov eax,0x80000000\nsar eax,4\nhlt", EAX, 0xf8000000, NO, 0, CF|SF|ZF|PF, SF|PF, 32 },
    { "sar8 cl", "mov eax,0x81\nmov cl,1\nsar al,cl\nhlt", EAX, 0xc0, NO, 0, OF|CF|SF|ZF|PF, CF|SF|PF, 32 },
    { "rol1", "mov eax,0x80000000\nrol eax,1\nhlt", EAX, 1, NO, 0, OF|CF, OF|CF, 32 },
    { "ror1", "mov eax,1\nror eax,1\nhlt", EAX, 0x80000000, NO, 0, OF|CF, OF|CF, 32 },
    { "rcl1", "stc\nmov eax,0\nrcl eax,1\nhlt", EAX, 1, NO, 0, OF|CF, 0, 32 },
    { "rcr1", "stc\nmov eax,0\nrcr eax,1\nhlt", EAX, 0x80000000, NO, 0, OF|CF, OF, 32 },
    { "rcl8 by 9", "clc\nmov eax,0x81\nmov cl,9\nrcl al,cl\nhlt", EAX, 0x81, NO, 0, 0, 0, 32 },
    { "rol16 by 4", "mov eax,0x1234\nrol ax,4\nhlt", EAX, 0x2341, NO, 0, CF, CF, 32 },
    { "shift by 0 keeps flags", "stc\nmov eax,5\nmov cl,0\nshl eax,cl\nhlt", EAX, 5, NO, 0, CF, CF, 32 },
    { "shift count masked", "mov eax,1\nmov cl,33\nshl eax,cl\nhlt", EAX, 2, NO, 0, 0, 0, 32 },
    { "shl8 to zero", "mov eax,0x80\nshl al,1\nhlt", EAX, 0, NO, 0, OF|CF|SF|ZF|PF, OF|CF|ZF|PF, 32 },
    { "shld", "mov eax,0x12345678\nmov edx,0x9abcdef0\nshld eax,edx,8\nhlt", EAX, 0x3456789a, NO, 0, CF|ZF|SF, 0, 32 },
    { "shrd", "mov eax,0x12345678\nmov edx,0x9abcdef0\nshrd eax,edx,8\nhlt", EAX, 0xf0123456, NO, 0, CF|ZF|SF, SF, 32 },
    { "shld16 cl", "mov eax,0x8001\nmov edx,0xc000\nmov cl,2\nshld ax,dx,cl\nhlt", EAX, 0x0007, NO, 0, CF, 0, 32 },
    /* bit test family: CF = the bit */
    { "bt", "mov eax,0x10\nbt eax,4\nhlt", EAX, 0x10, NO, 0, CF, CF, 32 },
    { "bts", "stc\nmov eax,0x10\nbts eax,0\nhlt", EAX, 0x11, NO, 0, CF, 0, 32 },
    { "btr", "mov eax,0x11\nbtr eax,4\nhlt", EAX, 0x01, NO, 0, CF, CF, 32 },
    { "btc reg index", "mov eax,1\nmov ecx,63\nbtc eax,ecx\nhlt", EAX, 0x80000001, NO, 0, CF, 0, 32 },
    { "bts memory bit string", "mov dword [0x20000],0\nmov dword [0x20004],0\nmov eax,35\n"
      "bts [0x20000],eax\nmov ebx,[0x20004]\nhlt", EBX, 8, NO, 0, CF, 0, 32 },
    { "bt memory negative offset", "mov dword [0x20000],0x80000000\nmov eax,-1\n"
      "bt [0x20004],eax\nhlt", NO, 0, NO, 0, CF, CF, 32 },
    { "bsf", "mov ecx,0x00f00000\nbsf eax,ecx\nhlt", EAX, 20, NO, 0, ZF, 0, 32 },
    { "bsr", "mov ecx,0x00f00000\nbsr eax,ecx\nhlt", EAX, 23, NO, 0, ZF, 0, 32 },
    { "bsf16", "mov ecx,0x8000\nmov eax,-1\nbsf ax,cx\nhlt", EAX, 0xffff000f, NO, 0, ZF, 0, 32 },
    { "bsf zero source", "mov ecx,0\nbsf eax,ecx\nhlt", NO, 0, NO, 0, ZF, ZF, 32 },
    /* SETcc */
    { "setcc signed/unsigned", "mov ebx,0\nmov ecx,0\nmov eax,5\ncmp eax,7\n"
      "setl bl\nsetg bh\nsetb cl\nseta ch\nhlt", EBX, 0x0001, ECX, 0x0001, 0, 0, 32 },
    { "setcc parity/sign", "mov ebx,-1\nmov eax,3\nor eax,eax\nsetp bl\nsets bh\nhlt", EBX, 0xffff0001, NO, 0, 0, 0, 32 },
    { "setcc memory", "mov byte [0x20000],7\nxor eax,eax\nsetz [0x20000]\nmov bl,[0x20000]\nhlt",
      EBX, 1, NO, 0, 0, 0, 32 },
    /* 16-bit operand size in real mode */
    { "real add16", "xor eax,eax\nmov ax,0x7fff\nadd ax,1\nhlt", EAX, 0x8000, NO, 0, ALL, OF|SF|AF|PF, 16 },
    { "real add32 via 66h", "mov eax,0xffffffff\nadd eax,1\nhlt", EAX, 0, NO, 0, ALL, ZF|CF|AF|PF, 16 },
    { "real mul16", "xor eax,eax\nxor edx,edx\nmov ax,300\nmov cx,300\nmul cx\nhlt", EAX, 0x5f90, EDX, 1, OF|CF, OF|CF, 16 },
    { "real div32 via 66h", "xor edx,edx\nmov eax,1000000\nmov ecx,1000\ndiv ecx\nhlt", EAX, 1000, EDX, 0, 0, 0, 16 },
};

START_TEST(test_arith_table) {
    tc_check_case(&arith_cases[_i]);
}
END_TEST

/* A 32-bit MUL's flags do not depend on the early-out path (r/m32 with a small
** multiplier vs a large one). */
START_TEST(test_mul_large_multiplier) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,0xffffffff\nmov ecx,0xffffffff\nmul ecx\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 1);
    tc_eq(tc_reg(m, CPU_EDX), 0xfffffffe);
    tc_flags_eq(m, OF | CF, OF | CF);
    tc_free(m);
}
END_TEST

/* ADD to memory is a read-modify-write through the bus. */
START_TEST(test_add_memory) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov dword [0x20000],0xfffffffe\nmov eax,3\nadd [0x20000],eax\n"
               "adc word [0x20004],0x10\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_rd32(m, 0x20000), 1);
    tc_eq(tc_rd16(m, 0x20004), 0x11);
    tc_free(m);
}
END_TEST

static Suite *arith_suite(void) {
    Suite *s = suite_create("cpu_arith");
    TCase *tc = tcase_create("arith");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_arith_table, 0,
                        (int)(sizeof arith_cases / sizeof arith_cases[0]));
    tcase_add_test(tc, test_mul_large_multiplier);
    tcase_add_test(tc, test_add_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tc_main(arith_suite()); }
