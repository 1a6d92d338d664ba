/*
** test_cpu_chain.c — the run loop's chaining (fall-through links and taken relative
** jumps, cpu386/run.c) is invisible: a program run in one go and the same program
** stepped one instruction per cpu_run (a budget of one clock: the budget is checked
** before each instruction) end with the same registers, clocks, instruction count and
** stop. Stepping starts every instruction with the full lookup, so any chain that
** skipped a budget check, a "+m", a fault's EIP or a code write would differ.
*/
#include <stdio.h>

#include "cpu_fixture.h"

#define CHAIN_STEPS_MAX 100000u   /* a stepped program must stop before this */

typedef struct chain_end {
    int      stop;
    uint32_t regs[8], eip, fault_eip;
    uint64_t cycles, icount;
} chain_end;

static void chain_capture(tc_machine *m, int stop, chain_end *e)
{
    e->stop = stop;
    for (int r = 0; r < 8; r++) e->regs[r] = tc_reg(m, r);
    e->eip = cpu_get_eip(m->cpu);
    e->fault_eip = m->info.fault_eip;
    e->cycles = cpu_cycles(m->cpu);
    e->icount = cpu_instructions(m->cpu);
}

/* Runs src whole, then stepped, and requires the same end; returns the stop. */
static int chain_same_end(const char *src)
{
    tc_machine *whole = tc_new(1024), *step = tc_new(1024);
    chain_end a, b;
    int stop = CPU_STOP_BUDGET;
    unsigned n;
    tc_flat(whole, src);
    tc_flat(step, src);
    chain_capture(whole, tc_run(whole, 10000000), &a);
    for (n = 0; n < CHAIN_STEPS_MAX && stop == CPU_STOP_BUDGET; n++) {
        uint64_t ic = cpu_instructions(step->cpu);
        stop = tc_run(step, 1);
        if (stop == CPU_STOP_BUDGET) ck_assert_uint_eq(cpu_instructions(step->cpu), ic + 1);
    }
    ck_assert_msg(n < CHAIN_STEPS_MAX, "stepped program did not stop");
    chain_capture(step, stop, &b);
    ck_assert_str_eq(cpu_stop_name(b.stop), cpu_stop_name(a.stop));
    for (int r = 0; r < 8; r++) tc_eq(b.regs[r], a.regs[r]);
    tc_eq(b.eip, a.eip);
    tc_eq(b.fault_eip, a.fault_eip);
    ck_assert_uint_eq(b.cycles, a.cycles);
    ck_assert_uint_eq(b.icount, a.icount);
    tc_free(whole);
    tc_free(step);
    return a.stop;
}

/* A loop closed by a taken Jcc, a CALL/RET pair, PUSH/POP and shifts by one. */
START_TEST(test_chain_loop_stepped) {
    ck_assert_int_eq(chain_same_end(
        "mov ecx, 50\nmov eax, 0x81234567\n"
        "l: push eax\ncall f\npop ebx\nshl eax, 1\nshr ebx, 1\nsar eax, 1\n"
        "adc edx, ebx\ndec ecx\njnz l\nhlt\n"
        "f: add esi, [esp + 4]\nret\n"), CPU_STOP_HLT);
}
END_TEST

/* JMP $+2 (a transfer to the next instruction) owes the next instruction's "+m". */
START_TEST(test_chain_jump_to_next) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov ecx, 10\nl: jmp short n\nn: add eax, 1\ndec ecx\njnz l\nhlt");
    uint64_t with_jmp = (tc_run_expect(m, CPU_STOP_HLT), cpu_cycles(m->cpu));
    tc_free(m);
    m = tc_new(1024);
    tc_flat(m, "mov ecx, 10\nl: nop\nn: add eax, 1\ndec ecx\njnz l\nhlt");
    uint64_t with_nop = (tc_run_expect(m, CPU_STOP_HLT), cpu_cycles(m->cpu));
    tc_free(m);
    /* JMP rel8 is 7+m, NOP 3; m of `add eax, 1` (83 C0 01) is 3 components. The 9
    ** taken JNZ also owe the m of their target: JMP rel8 2 components, NOP 1. */
    ck_assert_uint_eq(with_jmp - with_nop, 10u * (7u + 3u - 3u) + 9u * (2u - 1u));
    ck_assert_int_eq(chain_same_end("mov ecx, 10\nl: jmp short n\nn: add eax, 1\n"
                                    "dec ecx\njnz l\nhlt"), CPU_STOP_HLT);
    /* a LOOP to itself (x_fast.c's in-place turns) across many chain bounds */
    ck_assert_int_eq(chain_same_end("mov ecx, 3000\nd: loop d\nmov ecx, 1\ne: loop e\n"
                                    "hlt"), CPU_STOP_HLT);
}
END_TEST

/* A loop that rewrites the target of its own taken jump: the link must not survive. */
START_TEST(test_chain_smc_jump_target) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov ecx, 3\nt: mov eax, 1\nadd ebx, eax\ninc byte [t + 1]\n"
               "dec ecx\njnz t\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 1 + 2 + 3);
    tc_free(m);
    chain_same_end("mov ecx, 3\nt: mov eax, 1\nadd ebx, eax\ninc byte [t + 1]\n"
                   "dec ecx\njnz t\nhlt");
}
END_TEST

/* A fault in the middle of a chained loop: the same EIP, clocks and count. */
START_TEST(test_chain_fault_exact) {
    ck_assert_int_eq(chain_same_end(
        "mov ecx, 20\nmov ebx, 7\nl: xor edx, edx\nmov eax, 100\nsub ebx, 1\n"
        "div ebx\nadd esi, eax\ndec ecx\njnz l\nhlt"), CPU_STOP_EXCEPTION);
}
END_TEST

/* An I/O stop requested from a bus callback inside a chained loop. */
START_TEST(test_chain_request_stop) {
    tc_machine *m = tc_new(1024);
    m->stop_port = 0x80;
    tc_flat(m, "mov ecx, 5\nl: inc eax\nout 0x80, al\ninc ebx\ndec ecx\njnz l\nhlt");
    ck_assert_int_eq(tc_run(m, 10000000), CPU_STOP_REQUEST);
    tc_eq(tc_reg(m, CPU_EAX), 1);
    tc_eq(tc_reg(m, CPU_EBX), 0);
    tc_eq(m->info.fault_eip, tc_sym(m, "l") + 1 + 2);   /* after INC and OUT */
    ck_assert_uint_eq(cpu_instructions(m->cpu), 3);
    tc_free(m);
}
END_TEST

/* Wait states set between runs apply to pages the TLB already holds (the fast path
** does not add them; mem.c keeps the TLB empty while they are on). */
START_TEST(test_wait_states_after_tlb_fill) {
    const char *src = "mov ecx, 10\nl: mov eax, [ebx]\nadd [ebx + 4], eax\n"
                      "push eax\npop edx\ndec ecx\njnz l\nhlt";
    tc_machine *a = tc_new(1024), *b = tc_new(1024);
    tc_flat(a, src);
    cpu_set_reg(a->cpu, CPU_EBX, TC_DATA);
    cpu_get_config(a->cpu)->wait_states = 3;
    uint64_t a0 = cpu_cycles(a->cpu);
    tc_run_expect(a, CPU_STOP_HLT);
    tc_flat(b, src);
    cpu_set_reg(b->cpu, CPU_EBX, TC_DATA);
    tc_run_expect(b, CPU_STOP_HLT);                 /* fills the TLB, no wait states */
    uint64_t plain = cpu_cycles(b->cpu);
    cpu_set_eip(b->cpu, TC_CODE);
    cpu_get_config(b->cpu)->wait_states = 3;
    tc_run_expect(b, CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_cycles(b->cpu) - plain, cpu_cycles(a->cpu) - a0);
    /* 10 iterations of 5 data accesses (the RMW ADD reads and writes), 3 clocks each */
    ck_assert_uint_eq((cpu_cycles(a->cpu) - a0) - (plain - a0), 10u * 5u * 3u);
    tc_free(a);
    tc_free(b);
}
END_TEST

/* Stores to data beside code (cpu386/mem.c's tlb_cw path for a code page) keep the
** page's decoded entries, and a store through the same cached translation into a code
** line still drops them: the patched immediate is what runs each turn. */
static const char smc_beside_src[] =
    "mov ecx, 5\nl: add [dat], ecx\nmov word [dat + 4], cx\nadd dword [dat + 8], 3\n"
    "mov [p + 1], cl\np: mov al, 0\nadd bl, al\nloop l\nmov edx, [dat]\n"
    "movzx esi, word [dat + 4]\nmov edi, [dat + 8]\nhlt\nalign 256\ndat: dd 0, 0, 0\n";

START_TEST(test_chain_smc_beside_data) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, smc_beside_src);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 5 + 4 + 3 + 2 + 1);
    tc_eq(tc_reg(m, CPU_EDX), 5 + 4 + 3 + 2 + 1);
    tc_eq(tc_reg(m, CPU_ESI), 1);
    tc_eq(tc_reg(m, CPU_EDI), 5 * 3);
    tc_free(m);
    ck_assert_int_eq(chain_same_end(smc_beside_src), CPU_STOP_HLT);
}
END_TEST

/* Every threaded form (cpu386/thread.h, x_fast.c) against the plain handlers: the
** same program reached through a far JMP to the flat code segment (threaded) and to one
** whose limit stops short of the code page's end (the code-page fast path is off, so
** run_loop steps every instruction through i->fn), with the same clocks for the JMP.
** Registers, clocks, instruction count, the data written and the final #GP agree. */
#define THREAD_SEL_PLAIN 0x08u
static const char thread_forms_src[] =
    "mov ecx, 40\nmov esi, 0x20000\nmov edi, 0x20100\nmov ebx, 0x1357\nmov edx, 0x2468\n"
    "l: mov ax, [esi]\nadd ax, [esi + 2]\nadc bx, ax\nsbb dx, bx\nxor [edi + 4], ax\n"
    "cmp [edi + 4], dx\nmov [edi + 6], bx\nmov dx, bx\nmov bp, dx\n"
    "movzx ebp, word [edi + 4]\nmovsx eax, word [edi + 6]\ninc word [edi + 8]\n"
    "dec word [edi + 10]\nadd bl, 0x35\nsub bx, 0x1234\nand ebp, 0x7fff\nrol ax, 3\n"
    "rcr bh, 1\nshl edx, cl\nsar dx, 2\nshr ebp, 1\nsar ebp, 1\nshl ebp, 1\n"
    "test ax, 0x8001\njz near s1\ninc ebx\ns1: test bl, dl\njs s2\nadd ebx, 3\n"
    "s2: lea ebx, [ebx + eax * 2 + 7]\npush eax\ncall f\npop eax\nadd eax, [esi + 8]\n"
    "add [edi + 12], eax\ncmp eax, [esi]\njb s3\nsbb eax, [edi]\ns3: mov [edi + 16], eax\n"
    "mov eax, [edi + 16]\nor eax, ebx\njo s4\njp s4\nxor edx, eax\ns4: jl s5\njg s5\n"
    "sub ebx, edx\ns5: jle near s6\ncmp ebx, eax\ns6: add esi, 2\ndec ecx\njnz l\n"
    "mov ax, [0xFFFFFFFF]\nhlt\n"
    "f: mov ebp, [esp + 4]\nadd [esp + 4], ebp\nret\n";

static void thread_run(uint32_t sel, chain_end *e, uint32_t *sum)
{
    tc_machine *m = tc_new(1024);
    char src[sizeof thread_forms_src + 64];
    snprintf(src, sizeof src, "jmp 0x%x:start\nstart: %s", sel, thread_forms_src);
    tc_flat(m, src);
    /* 0x08: code, base 0, limit TC_CODE + 0xEFF (byte granular), 32-bit */
    tc_wr32(m, TC_GDT + 8, 0x0EFFu);
    tc_wr32(m, TC_GDT + 12, 0x00419B00u);
    for (uint32_t k = 0; k < 64; k++) tc_wr32(m, TC_DATA + 4 * k, 0x9E3779B1u * (k + 1));
    cpu_get_config(m->cpu)->exc_intercept = TC_ALL_EXC;
    chain_capture(m, tc_run(m, 10000000), e);
    *sum = 0;
    for (uint32_t k = 0; k < 128; k++) *sum = *sum * 31u + tc_rd32(m, TC_DATA + 4 * k);
    ck_assert_uint_lt(m->code_len, 0xF00u);
    tc_free(m);
}

START_TEST(test_thread_forms_match_plain) {
    chain_end t, p;
    uint32_t ts, ps;
    thread_run(0x28u, &t, &ts);
    thread_run(THREAD_SEL_PLAIN, &p, &ps);
    ck_assert_str_eq(cpu_stop_name(t.stop), "exception");
    ck_assert_str_eq(cpu_stop_name(p.stop), cpu_stop_name(t.stop));
    for (int r = 0; r < 8; r++) tc_eq(t.regs[r], p.regs[r]);
    tc_eq(t.fault_eip, p.fault_eip);
    ck_assert_uint_eq(t.cycles, p.cycles);
    ck_assert_uint_eq(t.icount, p.icount);
    tc_eq(ts, ps);
    ck_assert_uint_gt(t.icount, 40u * 50u);
}
END_TEST

/* The 16-bit forms (Jcc, JMP, LOOP, INC/DEC r16, PUSH/POP r16 on a 16-bit and a 32-bit
** stack, the ALU and MOV word forms) the same way: the program runs in a 16-bit code
** segment based at TC_CODE, threaded (limit 0xFFFF) and stepped (limit 0xEFF, short of
** the code page's end); a 16-bit stack segment is based at 0x70000. */
#define T16_SEL_PLAIN 0x08u
#define T16_SEL_FAST  0x10u
#define T16_SEL_STACK 0x18u
static const char thread16_src[] =
    "bits 16\nstart: mov ax, 0x18\nmov ss, ax\nmov sp, 0x0004\nmov esi, 0x20000\n"
    "mov edi, 0x20100\nmov cx, 30\nmov bx, 0x1357\nmov dx, 0x2468\n"
    "l: mov ax, [esi]\nadd ax, [esi + 2]\nadc [edi + 4], ax\nadc word [edi + 8], 0\n"
    "sub dword [edi + 12], 0x12345\ncmp word [edi + 8], 3\ninc bx\ndec dx\n"
    "push ax\npush bx\npush sp\npop bp\npop bx\npop ax\ncmp ax, dx\njb s1\n"
    "sub dx, bx\ns1: jg s2\ninc dx\ns2: jz s3\ntest dx, 1\njnz s3\n"
    "xor bx, 0x5555\ns3: cmp bx, [edi + 4]\njle near s4\ndec bp\ns4: jmp short s5\n"
    "inc ax\ns5: add si, 2\nloop l\nmov cx, 12\nl2: inc di\ncmp di, 0x0105\n"
    "loopne l2\nmov cx, 700\nd1: loop d1\nmov ecx, 0x10123\nd2: a32 loop d2\nmov ecx, 5\nl3: dec bx\na32 loop l3\nmov ax, 0x30\nmov ss, ax\n"
    "mov esp, 0x80000\npush dx\npop bp\ninc bp\nmov ax, [dword 0xFFFFFFFF]\nhlt\n";

static void thread16_run(uint32_t sel, chain_end *e, uint32_t *sum)
{
    tc_machine *m = tc_new(1024);
    char src[sizeof thread16_src + 64];
    snprintf(src, sizeof src, "jmp 0x%x:start - 0x%x\n%s", sel, TC_CODE, thread16_src);
    tc_flat(m, src);
    /* 16-bit code based at TC_CODE (0x08 limit 0xEFF, 0x10 limit 0xFFFF); 16-bit stack */
    tc_wr32(m, TC_GDT + 8, 0x0EFFu);
    tc_wr32(m, TC_GDT + 12, 0x00009B01u);
    tc_wr32(m, TC_GDT + 16, 0xFFFFu);
    tc_wr32(m, TC_GDT + 20, 0x00009B01u);
    tc_wr32(m, TC_GDT + 24, 0xFFFFu);
    tc_wr32(m, TC_GDT + 28, 0x00009307u);
    for (uint32_t k = 0; k < 64; k++) tc_wr32(m, TC_DATA + 4 * k, 0x9E3779B1u * (k + 1));
    cpu_get_config(m->cpu)->exc_intercept = TC_ALL_EXC;
    chain_capture(m, tc_run(m, 10000000), e);
    *sum = 0;
    for (uint32_t k = 0; k < 128; k++) *sum = *sum * 31u + tc_rd32(m, TC_DATA + 4 * k);
    for (uint32_t k = 0; k < 4; k++) *sum = *sum * 31u + tc_rd32(m, 0x70000u + 4 * k);
    for (uint32_t k = 0; k < 4; k++) *sum = *sum * 31u + tc_rd32(m, 0x7FFF0u + 4 * k);
    tc_free(m);
}

START_TEST(test_thread16_forms_match_plain) {
    chain_end t, p;
    uint32_t ts, ps;
    thread16_run(T16_SEL_FAST, &t, &ts);
    thread16_run(T16_SEL_PLAIN, &p, &ps);
    ck_assert_str_eq(cpu_stop_name(t.stop), "exception");
    ck_assert_str_eq(cpu_stop_name(p.stop), cpu_stop_name(t.stop));
    for (int r = 0; r < 8; r++) tc_eq(t.regs[r], p.regs[r]);
    tc_eq(t.fault_eip, p.fault_eip);
    ck_assert_uint_eq(t.cycles, p.cycles);
    ck_assert_uint_eq(t.icount, p.icount);
    tc_eq(ts, ps);
    ck_assert_uint_gt(t.icount, 30u * 25u);
}
END_TEST

/* A chain longer than the threaded chain's clock bound, stepped and whole. */
START_TEST(test_thread_long_chain_stepped) {
    ck_assert_int_eq(chain_same_end("mov ecx, 3000\nl: add eax, ecx\nxor ebx, eax\n"
                                    "dec ecx\njnz l\nhlt"), CPU_STOP_HLT);
    /* a LOOP to itself (x_fast.c's in-place turns) across many chain bounds */
    ck_assert_int_eq(chain_same_end("mov ecx, 3000\nd: loop d\nmov ecx, 1\ne: loop e\n"
                                    "hlt"), CPU_STOP_HLT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_chain");
    TCase *tc = tcase_create("chain");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chain_loop_stepped);
    tcase_add_test(tc, test_chain_jump_to_next);
    tcase_add_test(tc, test_chain_smc_jump_target);
    tcase_add_test(tc, test_chain_smc_beside_data);
    tcase_add_test(tc, test_chain_fault_exact);
    tcase_add_test(tc, test_chain_request_stop);
    tcase_add_test(tc, test_wait_states_after_tlb_fill);
    tcase_add_test(tc, test_thread_forms_match_plain);
    tcase_add_test(tc, test_thread16_forms_match_plain);
    tcase_add_test(tc, test_thread_long_chain_stepped);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
