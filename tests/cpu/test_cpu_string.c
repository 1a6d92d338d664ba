/*
** test_cpu_string.c — MOVS, CMPS, SCAS, LODS, STOS, INS, OUTS with and without
** REP/REPE/REPNE, both directions, 16-bit addressing, segment overrides, and a REP
** string instruction interrupted (budget, fault) and resumed where it stopped.
*/
#include "cpu_fixture.h"

#define NO (-1)
#define EAX CPU_EAX
#define EBX CPU_EBX
#define ECX CPU_ECX
#define EDX CPU_EDX
#define ESI CPU_ESI
#define EDI CPU_EDI

#define SRC "mov dword [0x20000],0x44332211\nmov dword [0x20004],0x88776655\n"

static const tc_case string_cases[] = {
    { "movsb", SRC "mov esi,0x20000\nmov edi,0x20100\ncld\nmovsb\nmov al,[0x20100]\nhlt",
      ESI, 0x20001, EAX, 0x11, 0, 0, 32 },
    { "rep movsd", SRC "mov esi,0x20000\nmov edi,0x20100\nmov ecx,2\ncld\nrep movsd\nmov eax,[0x20104]\nhlt",
      EAX, 0x88776655, ECX, 0, 0, 0, 32 },
    { "rep movsw backwards", SRC "mov esi,0x20006\nmov edi,0x20106\nmov ecx,4\nstd\nrep movsw\n"
      "mov eax,[0x20100]\nhlt", EAX, 0x44332211, EDI, 0x200fe, 0, 0, 32 },
    { "rep count 0", "mov esi,0x20000\nmov edi,0x20100\nxor ecx,ecx\nrep movsb\nhlt", ESI, 0x20000, EDI, 0x20100, 0, 0, 32 },
    { "stosd", "mov edi,0x20100\nmov eax,0xabcdef01\ncld\nstosd\nmov ebx,[0x20100]\nhlt", EBX, 0xabcdef01, EDI, 0x20104, 0, 0, 32 },
    { "rep stosb", "mov edi,0x20100\nmov al,0x5a\nmov ecx,3\ncld\nrep stosb\nmov ebx,[0x20100]\nhlt",
      EBX, 0x5a5a5a, NO, 0, 0, 0, 32 },
    { "lodsw", SRC "mov esi,0x20002\nmov eax,-1\ncld\nlodsw\nhlt", EAX, 0xffff4433, ESI, 0x20004, 0, 0, 32 },
    { "repe cmpsb stops at difference", SRC "mov dword [0x20100],0x44992211\nmov esi,0x20000\nmov edi,0x20100\n"
      "mov ecx,4\ncld\nrepe cmpsb\nhlt", ECX, 1, ESI, 0x20003, TC_OSZAPC, CPU_OF | CPU_CF | CPU_SF | CPU_AF | CPU_PF, 32 },
    { "repne scasb finds", SRC "mov edi,0x20000\nmov al,0x44\nmov ecx,8\ncld\nrepne scasb\nhlt",
      ECX, 4, EDI, 0x20004, CPU_ZF, CPU_ZF, 32 },
    { "scasd flags", SRC "mov edi,0x20000\nmov eax,0x44332212\nscasd\nhlt", NO, 0, NO, 0, TC_OSZAPC, 0, 32 },
    { "movs with segment override", "mov word [0x2000],0x7777\nmov ax,0x100\nmov es,ax\nmov si,0x2000\n"
      "mov di,0x10\ncld\nmovsw\nmov bx,[0x1010]\nhlt", EBX, 0x7777, EDI, 0x12, 0, 0, 16 },
    { "real rep movsb uses cx", "mov word [0x2000],0x1234\nmov si,0x2000\nmov di,0x3000\nmov ecx,0x10002\ncld\n"
      "rep movsb\nmov bx,[0x3000]\nhlt", EBX, 0x1234, ECX, 0x10000, 0, 0, 16 },
    { "fs override on lods", "mov dword [0x20000],0x99\nmov ax,0x30\nmov fs,ax\nmov esi,0x20000\nfs lodsd\nhlt",
      EAX, 0x99, NO, 0, 0, 0, 32 },
};

START_TEST(test_string_table) {
    tc_check_case(&string_cases[_i]);
}
END_TEST

START_TEST(test_ins_outs) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, SRC "mov esi,0x20000\nmov dx,0x300\nmov ecx,2\ncld\nrep outsw\n"
                   "mov edi,0x20100\nmov ecx,3\nrep insb\nmov ebx,[0x20100]\nhlt");
    m->io_in_value = 0xab;
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(m->io_count, 5);
    tc_eq(m->io_log[0].value, 0x2211);
    tc_eq(m->io_log[1].value, 0x4433);
    ck_assert(m->io_log[1].port == 0x300 && m->io_log[1].size_bytes == 2);
    tc_eq(tc_reg(m, CPU_EBX), 0xababab);
    tc_free(m);
}
END_TEST

/* A long REP MOVSB stopped by the budget resumes at the same instruction with the
** registers describing the remaining work, and ends with the full copy. */
START_TEST(test_rep_restart_budget) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov esi,0x30000\nmov edi,0x40000\nmov ecx,1000\ncld\nr: rep movsb\nhlt");
    for (uint32_t i = 0; i < 1000; i++) m->ram[0x30000 + i] = (uint8_t)(i * 7);
    cpu_invalidate(m->cpu, 0x30000, 1000);
    ck_assert_int_eq(tc_run(m, 200), CPU_STOP_BUDGET);
    uint32_t left = tc_reg(m, CPU_ECX);
    ck_assert_uint_gt(left, 0);
    ck_assert_uint_lt(left, 1000);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "r"));
    tc_eq(tc_reg(m, CPU_ESI), 0x30000 + 1000 - left);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ECX), 0);
    for (uint32_t i = 0; i < 1000; i++) ck_assert_uint_eq(m->ram[0x40000 + i], (uint8_t)(i * 7));
    tc_free(m);
}
END_TEST

/* A REP STOSD that faults midway (the destination leaves a segment) reports the fault
** at the REP instruction with ECX/EDI of the elements already done. */
START_TEST(test_rep_restart_fault) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "lgdt [gdtr]\nmov ax,0x38\nmov es,ax\nmov edi,0xff0\nmov ecx,10\nmov eax,1\ncld\n"
               "r: rep stosd\nhlt\n"
               "gdtr: dw 0x3f\ndd gdt\nalign 8\ngdt: dq 0,0,0,0,0\n"
               "dq 0x00cf9a000000ffff\ndq 0x00cf92000000ffff\ndq 0x0040920000000fff\n");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_GP);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "r"));
    tc_eq(tc_reg(m, CPU_ECX), 6);                     /* 0xff0..0xffc done: 4 dwords */
    tc_eq(tc_reg(m, CPU_EDI), 0x1000);
    tc_free(m);
}
END_TEST

/* Clocks of a REP string instruction do not depend on where the host stops it: one
** that the budget or a stop request cuts and the next cpu_run resumes (no instruction
** in between) is charged its base once, as one run from start to end is (5+4n for REP
** MOVSB; REP OUTS 12+5n at CPL 0 less IN/OUT's 6). */
static uint64_t rep_clocks(uint64_t budget, uint16_t stop_port) {
    tc_machine *m = tc_new(1024);
    m->stop_port = stop_port;
    tc_flat(m, "mov esi,0x30000\nmov edi,0x40000\nmov ecx,300\ncld\nrep movsb\n"
               "mov esi,0x30000\nmov dx,0x80\nmov ecx,20\nrep outsb\nhlt");
    uint64_t c0 = cpu_cycles(m->cpu);
    int stop = CPU_STOP_BUDGET;
    for (int k = 0; k < 100000 && stop != CPU_STOP_HLT; k++) {
        stop = tc_run(m, budget);
        ck_assert_msg(stop == CPU_STOP_BUDGET || stop == CPU_STOP_REQUEST || stop == CPU_STOP_HLT,
                      "stop %d", stop);
    }
    ck_assert_int_eq(stop, CPU_STOP_HLT);
    ck_assert_uint_eq(tc_reg(m, CPU_ECX), 0);
    uint64_t n = cpu_cycles(m->cpu) - c0;
    tc_free(m);
    return n;
}

START_TEST(test_rep_cut_charges_base_once) {
    uint64_t whole = rep_clocks(1000000, 0);
    ck_assert_uint_eq(rep_clocks(37, 0), whole);        /* cut by the budget */
    ck_assert_uint_eq(rep_clocks(1000000, 0x80), whole);  /* each OUTSB requests a stop */
    ck_assert_uint_eq(rep_clocks(7, 0x80), whole);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_string");
    TCase *tc = tcase_create("string");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_string_table, 0, (int)(sizeof string_cases / sizeof string_cases[0]));
    tcase_add_test(tc, test_ins_outs);
    tcase_add_test(tc, test_rep_restart_budget);
    tcase_add_test(tc, test_rep_restart_fault);
    tcase_add_test(tc, test_rep_cut_charges_base_once);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
