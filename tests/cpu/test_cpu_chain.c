/*
** test_cpu_chain.c — the run loop's chaining (fall-through links and taken relative
** jumps, cpu386/run.c) is invisible: a program run in one go and the same program
** stepped one instruction per cpu_run (a budget of one clock: the budget is checked
** before each instruction) end with the same registers, clocks, instruction count and
** stop. Stepping starts every instruction with the full lookup, so any chain that
** skipped a budget check, a "+m", a fault's EIP or a code write would differ.
*/
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

int main(void) {
    Suite *s = suite_create("cpu_chain");
    TCase *tc = tcase_create("chain");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chain_loop_stepped);
    tcase_add_test(tc, test_chain_jump_to_next);
    tcase_add_test(tc, test_chain_smc_jump_target);
    tcase_add_test(tc, test_chain_fault_exact);
    tcase_add_test(tc, test_chain_request_stop);
    tcase_add_test(tc, test_wait_states_after_tlb_fill);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
