/*
** test_cpu_tasks.c — call gates to an inner ring (the TSS stack switch, parameter
** copy, RET far back with the data-segment nulling rule) and task switches (far
** JMP/CALL to a TSS or a task gate, IDT task gates, IRET with NT, busy bits and back
** link, CR3 and LDT reload, the T bit, faults during the switch), with the clock
** counts of the 1986 manual.
*/
#include "cpu_fixture.h"

#include <stdio.h>

/* GDT (loaded by the snippet): 0x28/0x30 ring-0 flat code/data, 0x3b/0x43 ring-3
** flat code/data, TSSs A 0x48 (386, 0x22000), B 0x50 (386, 0x23000), C 0x68 (286,
** 0x24000), D 0x80 (386, 0x26000); an LDT 0x70 at 0x25000; 0x58, 0x60, 0x78, 0x88
** onwards are filled by the tests (gates). The IDT at 0x21000 is loaded too. */
#define GDT                                                                      \
    "lgdt [gdtr]\nlidt [idtr]\njmp tables_end\nalign 8\n"                        \
    "gdt: dq 0,0,0,0,0,0x00cf9a000000ffff,0x00cf92000000ffff,"                   \
    "0x00cffa000000ffff,0x00cff2000000ffff,0x0000890220000067,"                  \
    "0x0000890230000067,0,0,0x000081024000002b,0x000082025000000f,0,"            \
    "0x0000890260000067,0,0,0,0,0,0,0\n"                                         \
    "gdtr: dw 0xbf\ndd gdt\nidtr: dw 0x7ff\ndd 0x21000\ntables_end:\n"

/* IRETD to ring 3 at label `user` with ESP = 0x60000, EFLAGS = 0x202. */
#define TO_RING3                                                                 \
    "push dword 0x43\npush dword 0x60000\npush dword 0x202\npush dword 0x3b\n"   \
    "push dword user\niretd\n"

#define TSS_A 0x22000u
#define TSS_B 0x23000u
#define TSS_C 0x24000u
#define TSS_D 0x26000u

static void desc(tc_machine *m, unsigned sel, uint32_t lo, uint32_t hi)
{
    uint32_t g = tc_sym(m, "gdt") + (sel & ~7u);
    tc_wr32(m, g, lo);
    tc_wr32(m, g + 4, hi);
}

/* A gate of `type` (4/12 call, 5 task) and DPL to selector:offset. */
static void gate(tc_machine *m, unsigned sel, unsigned type, unsigned dpl, uint16_t target,
                 uint32_t off, unsigned count)
{
    desc(m, sel, ((uint32_t)target << 16) | (off & 0xFFFFu),
         (off & 0xFFFF0000u) | 0x8000u | (dpl << 13) | (type << 8) | count);
}

static void idt_task_gate(tc_machine *m, unsigned vec, uint16_t tss_sel)
{
    tc_wr32(m, 0x21000 + 8 * vec, (uint32_t)tss_sel << 16);
    tc_wr32(m, 0x21000 + 8 * vec + 4, 0x8500u | (3u << 13));
}

/* A 386 TSS image for a ring-0 flat task starting at eip with the given ESP. */
static void tss32(tc_machine *m, uint32_t base, uint32_t eip, uint32_t esp, uint32_t eflags)
{
    for (uint32_t k = 0; k < 0x68; k += 4) tc_wr32(m, base + k, 0);
    tc_wr32(m, base + 0x04, 0x70000);   /* ESP0:SS0 */
    tc_wr32(m, base + 0x08, 0x30);
    tc_wr32(m, base + 0x20, eip);
    tc_wr32(m, base + 0x24, eflags);
    for (unsigned r = 0; r < 8; r++) tc_wr32(m, base + 0x28 + 4 * r, 0x1000u * (r + 1));
    tc_wr32(m, base + 0x38, esp);
    for (unsigned s = 0; s < 6; s++) tc_wr32(m, base + 0x48 + 4 * s, s == CPU_CS ? 0x28 : 0x30);
}

static tc_machine *machine(const char *src)
{
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    tss32(m, TSS_A, 0, 0, 2);
    return m;
}

/* Clocks from label `from` (run to it first) to the linear address `lin`. */
static uint64_t clocks_to(tc_machine *m, const char *from, uint32_t lin)
{
    cpu_breakpoint_clear(m->cpu);
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, from)), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    uint64_t c0 = cpu_cycles(m->cpu);
    cpu_breakpoint_clear(m->cpu);
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, lin), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    cpu_breakpoint_clear(m->cpu);
    return cpu_cycles(m->cpu) - c0;
}

static void expect_exc(tc_machine *m, int vec, uint32_t err, const char *at)
{
    int stop = tc_run(m, 1000000);
    ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == vec,
                  "stop %s vector %u (error 0x%x), expected vector %d", cpu_stop_name(stop),
                  m->info.vector, m->info.error_code, vec);
    tc_eq(m->info.error_code, err);
    if (at) tc_eq(m->info.fault_eip, tc_sym(m, at));
}

/* Ring 3 calls through a 32-bit call gate with 2 parameters to ring 0: the TSS's
** ESP0:SS0 stack gets the caller's SS:ESP, the parameters in order and the return
** address; RETF 8 goes back to ring 3 popping the parameters from both stacks and
** nulls DS, which the ring-0 code loaded with a DPL-0 selector, and FS (selector 3). */
START_TEST(test_call_gate_inner_32) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\n" TO_RING3
        "user: mov ax,0x43\nmov es,ax\nmov ax,3\nmov fs,ax\npush dword 0x1111\npush dword 0x2222\n"
        "c0: call 0x58:0\nc1: mov ebx,esp\nmov ecx,ds\nmov edx,es\ndone: hlt\n"
        "g: mov ax,0x30\nmov ds,ax\nmov esi,[esp+8]\nmov edi,[esp+12]\nmov ebp,esp\n"
        "mov eax,[esp+16]\nmov [0x20000],eax\nmov eax,[esp+20]\nmov [0x20004],eax\n"
        "mov eax,[esp+4]\nmov [0x20008],eax\nmov eax,cs\nmov [0x2000c],eax\n"
        "r0: retf 8\n");
    gate(m, 0x58, 0xC, 3, 0x28, tc_sym(m, "g"), 2);
    tc_eq(tc_clocks_between(m, "c0", "g"), 94 + 4 * 2);     /* pm=94+4x+m */
    tc_eq(tc_clocks_between(m, "r0", "c1"), 68);            /* RET to outer: pm=68 */
    expect_exc(m, CPU_EXC_GP, 0, "done");                   /* HLT at ring 3 */
    tc_eq(tc_reg(m, CPU_ESI), 0x2222);
    tc_eq(tc_reg(m, CPU_EDI), 0x1111);
    tc_eq(tc_reg(m, CPU_EBP), 0x70000 - 24);
    tc_eq(tc_rd32(m, 0x20000), 0x60000 - 8);                /* caller's ESP */
    tc_eq(tc_rd32(m, 0x20004), 0x43);                       /* caller's SS */
    tc_eq(tc_rd32(m, 0x20008), 0x3b);                       /* caller's CS */
    tc_eq(tc_rd32(m, 0x2000c), 0x28);                       /* CPL 0 */
    tc_eq(tc_reg(m, CPU_EBX), 0x60000);                     /* both stacks popped */
    tc_eq(tc_reg(m, CPU_ECX), 0);                           /* DS nulled */
    tc_eq(tc_reg(m, CPU_EDX), 0x43);                        /* ES kept */
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.seg[CPU_FS].sel, 0);              /* a null selector with RPL 3 becomes 0 */
    tc_free(m);
}
END_TEST

/* A 16-bit call gate (3 word parameters) with the ring-0 stack from a 286 TSS (SP0:SS0
** at offsets 2 and 4). 16-bit offsets: the code segments here are based at TC_CODE
** (0x88 ring 0, 0x93 ring 3). */
START_TEST(test_call_gate_inner_16) {
    tc_machine *m = machine(GDT "mov ax,0x68\nltr ax\n"
        "push dword 0x43\npush dword 0x60000\npush dword 0x202\npush dword 0x93\n"
        "push dword user-0x10000\niretd\n"
        "user: push word 0xaaaa\npush word 0xbbbb\npush word 0xcccc\n"
        "c0: call 0x78:0\nc1: mov ebx,esp\ndone: hlt\n"
        "g: mov esi,[esp+4]\nmov edi,[esp+8]\nmov ebp,esp\nr0: o16 retf 6\n");
    desc(m, 0x88, 0x0000ffff, 0x00cf9a01);
    desc(m, 0x90, 0x0000ffff, 0x00cffa01);
    gate(m, 0x78, 0x4, 3, 0x88, tc_sym(m, "g") - TC_CODE, 3);
    tc_wr32(m, TSS_C + 2, 0x00306000);   /* SP0 = 0x6000, SS0 = 0x30 */
    tc_eq(clocks_to(m, "c0", tc_sym(m, "g")), 94 + 4 * 3);
    tc_eq(clocks_to(m, "r0", tc_sym(m, "c1")), 68);
    expect_exc(m, CPU_EXC_GP, 0, NULL);
    tc_eq(m->info.fault_eip, tc_sym(m, "done") - TC_CODE);
    /* new stack (16-bit pushes): SS, SP, 3 parameters, CS, IP = 14 bytes */
    tc_eq(tc_reg(m, CPU_EBP), 0x6000 - 14);
    tc_eq(tc_reg(m, CPU_ESI), 0xbbbbcccc);        /* the parameters, in order */
    tc_eq(tc_reg(m, CPU_EDI), 0xfffaaaaa);        /* last parameter, then SP */
    /* A 16-bit RETF pops a 16-bit SP: ESP's upper half is lost on the way back
    ** (0xFFFA + 6), as the manual's "Load SS:eSP" with a word operand does. */
    tc_eq(tc_reg(m, CPU_EBX), 0x10000);
    tc_free(m);
}
END_TEST

/* Without parameters the count is 86 clocks; from memory (FF /3) 90. */
START_TEST(test_call_gate_inner_clocks) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\n" TO_RING3
        "user:\nc0: call 0x58:0\nc1:\nc2: call far [cs:ptr]\nc3: hlt\n"
        "g: nop\nr: retf\ng2: retf\nptr: dd 0\ndw 0x88\n");
    gate(m, 0x58, 0xC, 3, 0x28, tc_sym(m, "g"), 0);
    gate(m, 0x88, 0xC, 3, 0x28, tc_sym(m, "g2"), 0);
    tc_eq(tc_clocks_between(m, "c0", "g"), 86);
    tc_eq(tc_clocks_between(m, "r", "c1"), 68);
    tc_eq(tc_clocks_between(m, "c2", "g2"), 90);
    tc_free(m);
}
END_TEST

/* Same privilege, ring 0: CALL through a call gate 52+m (FF /3: 56), JMP through one
** 45+m (FF /5: 49); a plain far CALL from memory 38+m, a direct far JMP 27+m. Each
** measured transfer follows a NOP, which takes the previous transfer's "+m". */
START_TEST(test_gate_same_privilege_clocks) {
    tc_machine *m = machine(GDT "nop\nc0: call 0x58:0\nc1: nop\nc2: call far [p1]\nc3: nop\n"
                                "j0: jmp 0x78:0\nj1: nop\nj2: jmp far [p2]\nj3: nop\n"
                                "f0: call far [p3]\nf1: nop\nf2: jmp 0x28:f3\nf3: hlt\n"
                                "p1: dd 0\ndw 0x60\np2: dd 0\ndw 0x88\np3: dd f1\ndw 0x28\n");
    gate(m, 0x58, 0xC, 0, 0x28, tc_sym(m, "c1"), 0);
    gate(m, 0x60, 0xC, 0, 0x28, tc_sym(m, "c3"), 0);
    gate(m, 0x78, 0xC, 0, 0x28, tc_sym(m, "j1"), 0);
    gate(m, 0x88, 0xC, 0, 0x28, tc_sym(m, "j3"), 0);
    tc_eq(tc_clocks_between(m, "c0", "c1"), 52);
    tc_eq(tc_clocks_between(m, "c2", "c3"), 56);
    tc_eq(tc_clocks_between(m, "j0", "j1"), 45);
    tc_eq(tc_clocks_between(m, "j2", "j3"), 49);
    tc_eq(tc_clocks_between(m, "f0", "f1"), 38);
    tc_eq(tc_clocks_between(m, "f2", "f3"), 27);
    tc_free(m);
}
END_TEST

/* JMP to a call gate whose code segment is more privileged is #GP(code selector). */
START_TEST(test_jmp_gate_inner_gp) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\n" TO_RING3 "user:\nj: jmp 0x58:0\ng: hlt\n");
    gate(m, 0x58, 0xC, 3, 0x28, tc_sym(m, "g"), 0);
    expect_exc(m, CPU_EXC_GP, 0x28, "j");
    tc_free(m);
}
END_TEST

/* JMP to a 386 TSS: the outgoing state is saved (EIP after the JMP), the new one
** loaded; busy bits move, CR0.TS is set, TR names the new TSS; 303 clocks. */
START_TEST(test_jmp_tss32) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nmov eax,0x11\nmov esi,0x77\n"
                                "j0: jmp 0x50:0\nj1: hlt\nt:\nt0: hlt\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 0x2 | CPU_CF);
    tc_eq(tc_clocks_between(m, "j0", "t0"), 303);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.tr.sel, 0x50);
    tc_eq(r.r[CPU_EAX], 0x1000);
    tc_eq(r.r[CPU_ESP], 0x50000);
    tc_eq(r.eflags & CPU_CF, CPU_CF);
    tc_eq(r.cr0 & 8u, 8u);
    tc_eq(tc_rd32(m, TSS_A + 0x20), tc_sym(m, "j1"));   /* saved EIP */
    tc_eq(tc_rd32(m, TSS_A + 0x28), 0x11);              /* saved EAX */
    tc_eq(tc_rd32(m, TSS_A + 0x40), 0x77);              /* saved ESI */
    tc_eq(tc_rd8(m, tc_sym(m, "gdt") + 0x48 + 5), 0x89);  /* A no longer busy */
    tc_eq(tc_rd8(m, tc_sym(m, "gdt") + 0x50 + 5), 0x8B);  /* B busy */
    tc_eq(tc_rd16(m, TSS_B), 0);                          /* no back link (JMP) */
    tc_free(m);
}
END_TEST

/* CALL through a task gate nests: back link and NT; IRET returns to the caller
** after its CALL and frees the called task. Clocks: CALL via task gate 309, IRET 275. */
START_TEST(test_call_task_gate_iret) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nc0: call 0x60:0\nc1: mov ebx,[0x20000]\n"
                                "hlt\nt:\nt0: pushfd\npop eax\nmov [0x20000],eax\nmov [0x20004],esp\n"
                                "i0: iretd\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 2);
    gate(m, 0x60, 0x5, 0, 0x50, 0, 0);
    tc_eq(tc_clocks_between(m, "c0", "t0"), 309);
    tc_eq(tc_rd16(m, TSS_B), 0x48);                         /* back link */
    tc_eq(tc_rd8(m, tc_sym(m, "gdt") + 0x48 + 5), 0x8B);    /* caller stays busy */
    tc_eq(tc_clocks_between(m, "i0", "c1"), 275);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX) & CPU_NT, CPU_NT);             /* NT in the called task */
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.tr.sel, 0x48);
    tc_eq(r.eflags & CPU_NT, 0);
    tc_eq(tc_rd8(m, tc_sym(m, "gdt") + 0x50 + 5), 0x89);    /* B free again */
    tc_eq(tc_rd32(m, TSS_B + 0x20), tc_sym(m, "i0") + 1);    /* B resumes after IRET */
    tc_eq(tc_rd32(m, TSS_B + 0x24) & CPU_NT, 0);            /* saved without NT */
    tc_free(m);
}
END_TEST

/* A busy TSS is #GP(selector); a TSS whose limit is below 103 is #TS(selector);
** the task gate's DPL below CPL is #GP(gate). Nothing has changed. */
START_TEST(test_task_switch_checks) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nj: jmp 0x48:0\n");
    expect_exc(m, CPU_EXC_GP, 0x48, "j");
    tc_free(m);
    m = machine(GDT "mov ax,0x48\nltr ax\nj: jmp 0x50:0\n");
    desc(m, 0x50, 0x30000050, 0x00008902);   /* limit 0x50 */
    expect_exc(m, CPU_EXC_TS, 0x50, "j");
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.tr.sel, 0x48);
    tc_free(m);
    m = machine(GDT "mov ax,0x48\nltr ax\n" TO_RING3 "user:\nj: call 0x60:0\n");
    gate(m, 0x60, 0x5, 0, 0x50, 0, 0);
    expect_exc(m, CPU_EXC_GP, 0x60, "j");
    tc_free(m);
}
END_TEST

/* Faults after the commit point belong to the new task: an invalid CS is #TS(CS),
** a stack segment not present #SS(SS), at the new task's EIP with TR switched. */
START_TEST(test_task_switch_new_task_faults) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\njmp 0x50:0\nt: hlt\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 2);
    tc_wr32(m, TSS_B + 0x4C, 0x30);   /* CS = a data segment */
    expect_exc(m, CPU_EXC_TS, 0x30, "t");
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.tr.sel, 0x50);
    tc_free(m);
    m = machine(GDT "mov ax,0x48\nltr ax\njmp 0x50:0\nt: hlt\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 2);
    desc(m, 0x88, 0x0000ffff, 0x00cf1200);   /* ring-0 data, not present */
    tc_wr32(m, TSS_B + 0x50, 0x88);
    expect_exc(m, CPU_EXC_SS, 0x88, "t");
    tc_free(m);
}
END_TEST

/* #GP through an IDT task gate: the handler task gets the error code on its stack
** and a back link; INT 0x40 through a task gate; IRET returns to the faulting
** instruction (a fault) which the handler task fixed. */
START_TEST(test_idt_task_gate) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nmov ax,0x30\nmov es,ax\n"
                                "f: mov es,[bad]\nint 0x40\nhlt\n"
                                "h: pop eax\nmov [0x20000],eax\nmov word [bad],0x30\niretd\njmp h\n"
                                "k: mov dword [0x20004],0x4040\niretd\nbad: dw 0x99\n");
    tss32(m, TSS_B, tc_sym(m, "h"), 0x50000, 2);
    tss32(m, TSS_D, tc_sym(m, "k"), 0x48000, 2);
    idt_task_gate(m, CPU_EXC_GP, 0x50);
    idt_task_gate(m, 0x40, 0x80);
    cpu_get_config(m->cpu)->exc_intercept = 0;
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_rd32(m, 0x20000), 0x98);       /* #GP(0x98), pushed on the task's stack */
    tc_eq(tc_rd32(m, 0x20004), 0x4040);     /* INT 0x40 ran as a task */
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.tr.sel, 0x48);
    tc_eq(r.seg[CPU_ES].sel, 0x30);
    tc_free(m);
}
END_TEST

/* A 286 TSS: word registers (upper halves all ones), FS and GS null; 276 clocks. */
START_TEST(test_jmp_tss16) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nmov ebx,0x12345678\nmov ax,0x30\n"
                                "mov fs,ax\nj0: jmp 0x68:0\nt:\nt0: hlt\n");
    uint32_t t = tc_sym(m, "t") - TC_CODE;   /* CS 0x88: ring-0 code at TC_CODE */
    desc(m, 0x88, 0x0000ffff, 0x00cf9a01);
    tc_wr32(m, TSS_C + 0x0E, (t & 0xFFFF) | (0x2u << 16));   /* IP, FLAGS */
    tc_wr32(m, TSS_C + 0x18, 0xBEEF);                           /* BX (+ SP = 0) */
    tc_wr32(m, TSS_C + 0x1A, 0x7000);                           /* SP */
    tc_wr32(m, TSS_C + 0x22, 0x00880030);                       /* ES, CS */
    tc_wr32(m, TSS_C + 0x26, 0x00300030);                       /* SS, DS */
    tc_wr32(m, TSS_C + 0x2A, 0);                                /* LDT */
    tc_eq(clocks_to(m, "j0", tc_sym(m, "t0")), 276);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.r[CPU_EBX], 0xFFFFBEEF);   /* word from the TSS, upper half all ones */
    tc_eq(r.seg[CPU_FS].sel, 0);
    tc_eq(r.tr.sel, 0x68);
    tc_free(m);
}
END_TEST

/* The new task's LDT and CR3 are loaded: DS from the LDT, and a page directory in
** which linear 0x400000 maps to physical 0x30000. */
START_TEST(test_task_ldt_cr3) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\n"
        "mov dword [0x40000],0x41007\nmov edi,0x41000\nmov eax,7\nmov ecx,1024\n"
        "pf: mov [edi],eax\nadd eax,0x1000\nadd edi,4\nloop pf\n"
        "mov dword [0x42000],0x41007\nmov dword [0x42004],0x43007\n"
        "mov dword [0x43000],0x30007\n"
        "mov eax,0x40000\nmov cr3,eax\nmov eax,cr0\nor eax,0x80000000\nmov cr0,eax\n"
        "jmp 0x50:0\nt: mov eax,[0]\nmov ebx,[es:0x400000]\nmov ecx,cr3\nhlt\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 2);
    tc_wr32(m, TSS_B + 0x1C, 0x42000);            /* CR3 */
    tc_wr32(m, TSS_B + 0x54, 0x04);               /* DS = LDT entry 0, RPL 0 */
    tc_wr32(m, TSS_B + 0x60, 0x70);               /* LDT */
    tc_wr32(m, 0x25000, 0x0000ffff);              /* LDT[0]: data, base 0x30000 */
    tc_wr32(m, 0x25004, 0x00cf9203);
    tc_wr32(m, 0x30000, 0xC0DE);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 0xC0DE);
    tc_eq(tc_reg(m, CPU_EBX), 0xC0DE);
    tc_eq(tc_reg(m, CPU_ECX), 0x42000);
    tc_free(m);
}
END_TEST

/* The T bit raises #DB before the new task's first instruction, with DR6.BT; the
** switch clears DR7's local enables L0–L3 and keeps the global ones. */
START_TEST(test_task_trap_bit) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nmov eax,0x100000\nmov dr0,eax\n"
                                "mov eax,0xff\nmov dr7,eax\njmp 0x50:0\nt: hlt\n");
    tss32(m, TSS_B, tc_sym(m, "t"), 0x50000, 2);
    tc_wr32(m, TSS_B + 0x64, 1);
    int stop = tc_run(m, 100000);
    ck_assert_int_eq(stop, CPU_STOP_EXCEPTION);
    tc_eq(m->info.vector, CPU_EXC_DB);
    tc_eq(m->info.fault_eip, tc_sym(m, "t"));
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.dr[6] & 0x8000u, 0x8000u);
    tc_eq(r.dr[7] & 0xFFu, 0xAAu);
    tc_eq(r.tr.sel, 0x50);
    tc_free(m);
}
END_TEST

/* A task switch into V86 mode (EFLAGS.VM in a 386 TSS): real-style segments; 220. */
START_TEST(test_task_to_v86) {
    tc_machine *m = machine(GDT "mov ax,0x48\nltr ax\nj0: jmp 0x50:0\n");
    tss32(m, TSS_B, 0x0010, 0xFFFE, 0x20002);
    for (unsigned s = 0; s < 6; s++) tc_wr32(m, TSS_B + 0x48 + 4 * s, 0x3000);
    tc_wr32(m, 0x30010, 0xF4F4F4F4);   /* HLT: #GP in V86 with IOPL 0 */
    tc_eq(clocks_to(m, "j0", 0x30010), 220);   /* JMP to a V86 task via TSS */
    expect_exc(m, CPU_EXC_GP, 0, NULL);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.eflags & CPU_VM, CPU_VM);
    tc_eq(r.seg[CPU_CS].base, 0x30000);
    tc_eq(r.eip, 0x10);
    tc_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu_tasks");
    TCase *tc = tcase_create("tasks");
    tcase_add_test(tc, test_call_gate_inner_32);
    tcase_add_test(tc, test_call_gate_inner_16);
    tcase_add_test(tc, test_call_gate_inner_clocks);
    tcase_add_test(tc, test_jmp_gate_inner_gp);
    tcase_add_test(tc, test_gate_same_privilege_clocks);
    tcase_add_test(tc, test_jmp_tss32);
    tcase_add_test(tc, test_call_task_gate_iret);
    tcase_add_test(tc, test_task_switch_checks);
    tcase_add_test(tc, test_task_switch_new_task_faults);
    tcase_add_test(tc, test_idt_task_gate);
    tcase_add_test(tc, test_jmp_tss16);
    tcase_add_test(tc, test_task_ldt_cr3);
    tcase_add_test(tc, test_task_trap_bit);
    tcase_add_test(tc, test_task_to_v86);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
