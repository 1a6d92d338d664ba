/*
** test_cpu_debug.c — issue 14's exactness defects (POP SS stack size, LOCK #UD,
** ENTER's frame pointer and write probe, PUSH of a segment register), single-step
** (TF, DR6.BS, the MOV SS hold, INT n), the debug registers (instruction breakpoints
** with RF, data breakpoints, general detect) and the A20 line and gate.
*/
#include "cpu_fixture.h"

#include <stdio.h>
#include <string.h>

#include "a20.h"

#define DATA16_SEL  0x38u   /* 16-bit data segment (B = 0), base 0, limit FFFFh */
#define CODE3_SEL   0x4Bu   /* ring-3 flat code */
#define DATA3_SEL   0x53u   /* ring-3 flat data */
#define IDT_BASE    0x3000u
#define PD_BASE     0x40000u
#define PT_BASE     0x41000u
#define DR6_BS      0x4000u
#define DR6_BD      0x2000u

/* Adds DATA16_SEL and ring-3 flat code and data to tc_flat's GDT. */
static void gdt_extend(tc_machine *m) {
    static const uint32_t ext[] = {
        0x0000FFFFu, 0x00009300u,   /* 0x38: data, B = 0, limit FFFFh */
        0, 0,                        /* 0x40: unused */
        0x0000FFFFu, 0x00CFFB00u,   /* 0x48: ring-3 flat code */
        0x0000FFFFu, 0x00CFF300u,   /* 0x50: ring-3 flat data */
    };
    ck_assert_int_eq(cpu_phys_write(m->cpu, TC_GDT + 0x38, ext, sizeof ext), CPU_OK);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    r.gdtr.limit = 0x57;
    cpu_set_regs(m->cpu, &r);
}

/* A 32-bit interrupt gate in an IDT at IDT_BASE for vector v to the snippet's label. */
static void idt_gate(tc_machine *m, unsigned v, const char *label) {
    uint32_t off = tc_sym(m, label);
    uint32_t g[2] = { (0x28u << 16) | (off & 0xFFFFu), (off & 0xFFFF0000u) | 0x8E00u };
    ck_assert_int_eq(cpu_phys_write(m->cpu, IDT_BASE + 8u * v, g, sizeof g), CPU_OK);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    r.idtr.base = IDT_BASE;
    r.idtr.limit = 0x7FF;
    cpu_set_regs(m->cpu, &r);
    if (v < 32) cpu_get_config(m->cpu)->exc_intercept &= ~(1u << v);   /* exceptions only */
}

static uint32_t dr(tc_machine *m, unsigned n) {
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    return r.dr[n];
}

/* ---- item 1: POP SS adjusts the stack pointer by the old SS's size ------------- */
START_TEST(test_pop_ss_old_stack_size) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov ax,0x38\nmov ss,ax\nmov esp,0x20000\npush dword 0x30\npop ss\nhlt");
    gdt_extend(m);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ESP), 0x00020000u);    /* SP wrapped in 16 bits, upper half kept */
    tc_free(m);
}
END_TEST

/* ---- item 2: LOCK on a non-lockable form is #UD ------------------------------- */
static void lock_case(const char *insn, int want_ud) {
    char src[256];
    snprintf(src, sizeof src, "mov ebx,0x20000\nmov eax,1\nf: db 0xF0\n%s\nhlt", insn);
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    int stop = tc_run(m, 100000);
    if (want_ud) {
        ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_UD,
                      "LOCK %s: stop %s vector %u, expected #UD", insn, cpu_stop_name(stop),
                      m->info.vector);
        tc_eq(m->info.fault_eip, tc_sym(m, "f"));
    } else {
        ck_assert_msg(stop == CPU_STOP_HLT, "LOCK %s: stop %s vector %u, expected HLT", insn,
                      cpu_stop_name(stop), m->info.vector);
    }
    tc_free(m);
}

START_TEST(test_lock_ud) {
    lock_case("mov [0x20000],eax", 1);         /* F0 A3: the example */
    lock_case("mov [ebx],eax", 1);
    lock_case("add eax,ebx", 1);               /* register destination */
    lock_case("cmp [ebx],eax", 1);             /* CMP is not in the list */
    lock_case("inc eax", 1);
    lock_case("xchg eax,ecx", 1);
    lock_case("nop", 1);
    lock_case("add [ebx],eax", 0);
    lock_case("sbb dword [ebx],5", 0);
    lock_case("xor byte [ebx],0x80", 0);
    lock_case("xchg [ebx],eax", 0);
    lock_case("not dword [ebx]", 0);
    lock_case("neg byte [ebx]", 0);
    lock_case("dec word [ebx]", 0);
    lock_case("bt dword [ebx],eax", 0);
    lock_case("bts dword [ebx],3", 0);
    lock_case("btc dword [ebx],eax", 0);
}
END_TEST

/* ---- item 3: a 32-bit ENTER on a 16-bit stack keeps ESP's upper half in EBP ----- */
START_TEST(test_enter_o32_stack16) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov ax,0x38\nmov ss,ax\nmov esp,0x10000\nmov ebp,0x1FFEC\n"
               "enter 8,0\nhlt");
    gdt_extend(m);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBP), 0x0001FFFCu);
    tc_eq(tc_reg(m, CPU_ESP), 0x0001FFF4u);
    tc_eq(tc_rd32(m, 0xFFFC), 0x1FFECu);
    tc_free(m);
}
END_TEST

/* ---- item 4: ENTER's frame probe is a write ------------------------------------ */

/* Identity-maps the first MiB (user, writable), turns paging on and goes to ring 3
** at the current EIP with SS:ESP = DATA3:esp. */
static void ring3_paged(tc_machine *m, uint32_t esp) {
    uint32_t pde = PT_BASE | 7u, k;
    ck_assert_int_eq(cpu_phys_write(m->cpu, PD_BASE, &pde, 4), CPU_OK);
    for (k = 0; k < 256; k++) {
        uint32_t pte = (k << 12) | 7u;
        ck_assert_int_eq(cpu_phys_write(m->cpu, PT_BASE + 4 * k, &pte, 4), CPU_OK);
    }
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    r.cr3 = PD_BASE;
    r.cr0 |= 0x80000000u;
    r.seg[CPU_CS] = (cpu_seg){ CODE3_SEL, 0xC0FBu, 0, 0xFFFFFFFFu };
    for (int s = 0; s < 6; s++)
        if (s != CPU_CS) r.seg[s] = (cpu_seg){ DATA3_SEL, 0xC0F3u, 0, 0xFFFFFFFFu };
    r.r[CPU_ESP] = esp;
    cpu_set_regs(m->cpu, &r);
}

static void set_pte(tc_machine *m, uint32_t lin, uint32_t flags) {
    uint32_t pte = (lin & ~0xFFFu) | flags;
    ck_assert_int_eq(cpu_phys_write(m->cpu, PT_BASE + 4 * (lin >> 12), &pte, 4), CPU_OK);
}

static void enter_probe_case(uint32_t pte_flags, uint32_t want_err) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "f: enter 0x1000,0\nhlt");
    gdt_extend(m);
    ring3_paged(m, 0x21008);          /* EBP goes to 0x21004; the frame ends at 0x20004 */
    set_pte(m, 0x20000, pte_flags);
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_int_eq(m->info.vector, CPU_EXC_PF);
    tc_eq(m->info.error_code, want_err);
    tc_eq(m->info.fault_eip, tc_sym(m, "f"));
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.cr2, 0x20004u);
    tc_eq(r.r[CPU_ESP], 0x21008u);    /* nothing committed */
    tc_free(m);
}

START_TEST(test_enter_probe_is_write) {
    enter_probe_case(5u, 7u);         /* user read-only page: P | W | U */
    enter_probe_case(3u, 7u);         /* supervisor page: the error code 7 */
    enter_probe_case(0u, 6u);         /* not present: W | U */
}
END_TEST

/* ---- item 5: a 32-bit PUSH of a segment register writes 2 bytes --------------- */
START_TEST(test_push_sreg32_writes_word) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov dword [0x7FFFC],0xAAAAAAAA\nmov dword [0x7FFF8],0xBBBBBBBB\n"
               "push ds\npush fs\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ESP), TC_STACK_TOP - 8);
    tc_eq(tc_rd32(m, 0x7FFFC), 0xAAAA0030u);
    tc_eq(tc_rd32(m, 0x7FFF8), 0xBBBB0030u);
    tc_free(m);
}
END_TEST

/* ---- item 6: single-step ---------------------------------------------------------- */

/* Runs until the next #DB stop; returns its EIP (a trap's: after the instruction). */
static uint32_t next_db(tc_machine *m) {
    int stop = tc_run(m, 100000);
    ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_DB,
                  "stop %s vector %u at 0x%x, expected #DB", cpu_stop_name(stop),
                  m->info.vector, m->info.fault_eip);
    return cpu_get_eip(m->cpu);
}

START_TEST(test_single_step) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,0x30\npushfd\nor dword [esp],0x100\npopfd\n"
               "a: nop\nb: mov ecx,1\nc: mov ss,ax\nd: nop\ne: int 0x40\n"
               "g: nop\nk: pushfd\nand dword [esp],~0x100\npopfd\nq: nop\nr: hlt\n"
               "h: inc dword [0x20000]\nnop\niretd");
    idt_gate(m, 0x40, "h");
    tc_eq(next_db(m), tc_sym(m, "b"));        /* not after POPF, which set TF */
    tc_eq(dr(m, 6) & DR6_BS, DR6_BS);
    tc_eq(next_db(m), tc_sym(m, "c"));
    tc_eq(next_db(m), tc_sym(m, "e"));        /* held one instruction after MOV SS */
    tc_eq(next_db(m), tc_sym(m, "k"));        /* INT n: handler not stepped, nor IRET */
    tc_eq(tc_rd32(m, 0x20000), 1);
    /* PUSHFD, AND, then the POPFD that clears TF still traps (TF was set at its start) */
    tc_eq(next_db(m), tc_sym(m, "k") + 1);
    next_db(m);
    tc_eq(next_db(m), tc_sym(m, "q"));
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(m->info.fault_eip, tc_sym(m, "r"));
    tc_free(m);
}
END_TEST

/* A trap due when the run stops (HLT) is delivered at the start of the next run. */
START_TEST(test_single_step_held_over_stop) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "pushfd\nor dword [esp],0x100\npopfd\nnop\nh: hlt\nafter: nop\nhlt");
    tc_eq(next_db(m), tc_sym(m, "h"));
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(next_db(m), tc_sym(m, "after"));
    tc_free(m);
}
END_TEST

/* TF set by the host steps the very next instruction, as after an IRET. */
START_TEST(test_single_step_host_tf) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "nop\nb: nop\nc: hlt");
    cpu_set_eflags(m->cpu, cpu_get_eflags(m->cpu) | CPU_TF);
    tc_eq(next_db(m), tc_sym(m, "b"));
    tc_eq(next_db(m), tc_sym(m, "c"));
    tc_free(m);
}
END_TEST

/* ---- item 7: debug registers ------------------------------------------------------- */

/* An instruction breakpoint is a fault at the instruction; the handler's IRETD
** resumes with RF (pushed by the fault), so it is taken once per execution. */
START_TEST(test_dr_exec_breakpoint_rf) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,x\nmov dr0,eax\nmov eax,1\nmov dr7,eax\nmov ecx,3\n"
               "l: nop\nx: inc esi\nloop l\nhlt\n"
               "h: inc dword [0x20000]\nmov eax,dr6\nmov [0x20004],eax\niretd");
    idt_gate(m, 1, "h");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ESI), 3);
    tc_eq(tc_rd32(m, 0x20000), 3);
    tc_eq(tc_rd32(m, 0x20004) & 0xF, 1);      /* B0 */
    tc_free(m);
}
END_TEST

/* Runs a flat snippet that must stop on a #DB fault at label `at`. */
static tc_machine *db_fault_at(const char *src, const char *at) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_int_eq(m->info.vector, CPU_EXC_DB);
    tc_eq(m->info.fault_eip, tc_sym(m, at));
    return m;
}

START_TEST(test_dr_exec_fault_intercepted) {
    tc_machine *m = db_fault_at("mov eax,x\nmov dr2,eax\nmov eax,0x20\nmov dr7,eax\nnop\n"
                                "x: inc esi\nhlt", "x");
    tc_eq(tc_reg(m, CPU_ESI), 0);
    tc_eq(dr(m, 6) & 0xF, 4);                  /* B2 */
    cpu_set_eflags(m->cpu, cpu_get_eflags(m->cpu) | CPU_RF);   /* resume as IRET would */
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ESI), 1);
    ck_assert_int_eq(cpu_get_eflags(m->cpu) & CPU_RF, 0);     /* cleared after x */
    tc_free(m);
}
END_TEST

/* Data breakpoints are traps after the accessing instruction; 1, 2, 4-byte fields. */
static void data_bp_case(uint32_t dr7, const char *access, int want_hit, uint32_t bit) {
    tc_machine *m = tc_new(1024);
    char body[300];
    snprintf(body, sizeof body, "mov eax,0x20010\nmov dr1,eax\nmov eax,0x%x\nmov dr7,eax\n"
                                "mov eax,-1\n%s\nn: nop\nhlt", dr7, access);
    tc_flat(m, body);
    int stop = tc_run(m, 100000);
    if (want_hit) {
        ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_DB,
                      "%s (DR7 %x): stop %s, expected a #DB trap", access, dr7,
                      cpu_stop_name(stop));
        tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "n"));
        tc_eq(dr(m, 6) & 0xF, bit);
    } else {
        ck_assert_msg(stop == CPU_STOP_HLT, "%s (DR7 %x): stop %s, expected no hit", access,
                      dr7, cpu_stop_name(stop));
    }
    tc_free(m);
}

START_TEST(test_dr_data_breakpoints) {
    const uint32_t w4 = 0x00D00004u, rw4 = 0x00F00004u, w1 = 0x00100004u, rw2 = 0x00700004u;
    data_bp_case(w4, "mov [0x20012],al", 1, 2);
    data_bp_case(w4, "mov [0x2000E],eax", 1, 2);     /* overlaps the field's first bytes */
    data_bp_case(w4, "mov [0x20014],eax", 0, 0);
    data_bp_case(w4, "mov eax,[0x20010]", 0, 0);     /* write-only breakpoint */
    data_bp_case(rw4, "mov eax,[0x20011]", 1, 2);
    data_bp_case(rw4, "add [0x20013],al", 1, 2);
    data_bp_case(w1, "mov [0x20011],al", 0, 0);
    data_bp_case(w1, "mov [0x20010],al", 1, 2);
    data_bp_case(rw2, "mov al,[0x20011]", 1, 2);     /* 2-byte field 0x20010..11 */
    data_bp_case(rw2, "mov al,[0x20012]", 0, 0);
    data_bp_case(w4 & ~0xCu, "mov [0x20010],eax", 0, 0);   /* not enabled */
    data_bp_case(w4, "push eax", 0, 0);
}
END_TEST

/* A data breakpoint inside REP STOSD traps after the iteration that wrote the field,
** with EIP on the REP instruction; resumed, the string finishes. */
START_TEST(test_dr_data_breakpoint_rep) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,0x20010\nmov dr1,eax\nmov eax,0x00D00004\nmov dr7,eax\n"
               "mov edi,0x20000\nmov ecx,16\nxor eax,eax\ncld\nr: rep stosd\nhlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_int_eq(m->info.vector, CPU_EXC_DB);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "r"));
    tc_eq(tc_reg(m, CPU_EDI), 0x20014u);          /* the 5th store hit */
    tc_eq(tc_reg(m, CPU_ECX), 11u);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_ECX), 0u);
    tc_free(m);
}
END_TEST

/* GD: any MOV DRn faults with DR6.BD, and GD is cleared for the handler. */
START_TEST(test_dr_general_detect) {
    tc_machine *m = db_fault_at("mov eax,0x2000\nmov dr7,eax\nf: mov eax,dr0\nhlt", "f");
    tc_eq(dr(m, 6) & DR6_BD, DR6_BD);
    tc_eq(dr(m, 7) & 0x2000u, 0);
    tc_run_expect(m, CPU_STOP_HLT);   /* GD is clear now: the MOV runs */
    tc_free(m);
}
END_TEST

/* ---- item 10: A20 ----------------------------------------------------------------- */
START_TEST(test_a20_wrap) {
    tc_machine *m = tc_new(2048);
    uint8_t lo = 0x11, hi = 0x22;
    tc_real(m, "mov ax,0xFFFF\nmov es,ax\nmov al,[es:0x20]\nmov byte [es:0x30],0x33\nhlt");
    ck_assert_int_eq(cpu_phys_write(m->cpu, 0x10, &lo, 1), CPU_OK);
    ck_assert_int_eq(cpu_phys_write(m->cpu, 0x100010, &hi, 1), CPU_OK);
    ck_assert(cpu_get_a20(m->cpu));
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX) & 0xFF, 0x22);        /* A20 on: the 1 MiB + 64 KiB area */
    tc_eq(tc_rd8(m, 0x100020), 0x33);
    tc_real(m, "mov ax,0xFFFF\nmov es,ax\nmov al,[es:0x20]\nmov byte [es:0x30],0x44\nhlt");
    cpu_set_a20(m->cpu, 0);
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX) & 0xFF, 0x11);        /* A20 off: wraps to 0x10 */
    tc_eq(tc_rd8(m, 0x20), 0x44);
    tc_eq(tc_rd8(m, 0x100020), 0x33);
    cpu_reset(m->cpu);
    ck_assert(!cpu_get_a20(m->cpu));               /* the line is the bus's */
    tc_free(m);
}
END_TEST

START_TEST(test_a20_gate_ports) {
    tc_machine *m = tc_new(1024);
    cpu_a20gate g;
    uint32_t v;
    cpu_a20gate_init(&g, m->cpu);
    ck_assert(cpu_get_a20(m->cpu));
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x64, 0xD1));
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x60, 0xDD));   /* output port, bit 1 clear */
    ck_assert(!cpu_get_a20(m->cpu));
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x64, 0xD0));
    ck_assert(cpu_a20gate_in(&g, 0x64, &v));
    tc_eq(v & 1, 1);                                      /* a response waits */
    ck_assert(cpu_a20gate_in(&g, 0x60, &v));
    tc_eq(v, 0xDD);
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x92, 0x02));   /* port 92h ORs in */
    ck_assert(cpu_get_a20(m->cpu));
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x92, 0x00));
    ck_assert(!cpu_get_a20(m->cpu));
    ck_assert(cpu_a20gate_out(&g, m->cpu, 0x64, 0xDF));
    ck_assert(cpu_get_a20(m->cpu));
    ck_assert(!cpu_a20gate_out(&g, m->cpu, 0x61, 0));     /* not the gate's port */
    ck_assert(!cpu_a20gate_in(&g, 0x80, &v));
    tc_free(m);
}
END_TEST

/* ---- item 11: the undefined-flags option ------------------------------------------ */
START_TEST(test_undef_flags_option) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,1\nshl eax,2\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_flags_eq(m, CPU_AF, CPU_AF);                       /* the 386: AF = 1 */
    tc_flat(m, "mov eax,1\nshl eax,2\nhlt");
    cpu_get_config(m->cpu)->undef_flags = CPU_UNDEF_LATER;
    tc_run_expect(m, CPU_STOP_HLT);
    tc_flags_eq(m, CPU_AF, 0);                            /* later CPUs: AF = 0 */
    tc_free(m);
}
END_TEST


/* ---- the host step hook (cpu_set_step_hook) ----------------------------------------- */

typedef struct hook_log { uint64_t calls; uint32_t eip[64]; uint64_t icount_seen; } hook_log;

static void count_step(void *ud, cpu_state *c) {
    hook_log *h = ud;
    ck_assert_uint_eq(cpu_instructions(c), h->icount_seen + h->calls);   /* once per instruction */
    if (h->calls < 64) h->eip[h->calls] = cpu_get_eip(c);
    h->calls++;
}

static const char step_src[] =
    "        mov ecx, 20\n"
    "l:      add dword [0x20000], ecx\n"
    "        call f\n"
    "        loop l\n"
    "        hlt\n"
    "f:      push eax\n"
    "        pop eax\n"
    "        ret\n";

/* Every instruction is seen once, before it runs, also across budget stops; the run
** (registers, memory, cycles, instructions) is the same as without the hook. */
START_TEST(test_host_step_hook) {
    tc_machine *a = tc_new(1024), *b = tc_new(1024);
    hook_log h = { 0 };
    tc_flat(a, step_src);
    tc_flat(b, step_src);
    tc_run_expect(a, CPU_STOP_HLT);
    h.icount_seen = cpu_instructions(b->cpu);
    cpu_set_step_hook(b->cpu, count_step, &h);
    while (tc_run(b, 7) == CPU_STOP_BUDGET) {}
    ck_assert_int_eq(b->info.reason, CPU_STOP_HLT);
    ck_assert_uint_eq(h.calls, cpu_instructions(b->cpu) - h.icount_seen);
    ck_assert_uint_eq(h.calls, 1 + 20 * 6 + 1);   /* mov, 20 x (add call push pop ret loop), hlt */
    ck_assert_uint_eq(h.eip[0], TC_CODE);
    ck_assert_uint_eq(h.eip[1], tc_sym(b, "l"));
    ck_assert_uint_eq(h.eip[3], tc_sym(b, "f"));   /* the call's target, before it runs */
    ck_assert_uint_eq(cpu_cycles(a->cpu), cpu_cycles(b->cpu));
    ck_assert_uint_eq(cpu_instructions(a->cpu), cpu_instructions(b->cpu));
    ck_assert_uint_eq(tc_rd32(a, 0x20000), tc_rd32(b, 0x20000));
    ck_assert_uint_eq(tc_reg(a, CPU_ESP), tc_reg(b, CPU_ESP));
    /* held back to an instruction count: the calls from there on, the same run */
    tc_machine *d = tc_new(1024);
    hook_log hd = { 0 };
    tc_flat(d, step_src);
    hd.icount_seen = cpu_instructions(d->cpu) + 50;
    cpu_set_step_hook(d->cpu, count_step, &hd);
    cpu_step_hook_from(d->cpu, hd.icount_seen);
    while (tc_run(d, 7) == CPU_STOP_BUDGET) {}
    ck_assert_uint_eq(hd.calls, h.calls - 50);
    ck_assert_uint_eq(hd.eip[0], h.eip[50]);
    ck_assert_uint_eq(cpu_cycles(d->cpu), cpu_cycles(a->cpu));
    tc_free(d);
    cpu_set_step_hook(b->cpu, NULL, NULL);   /* removed: no more calls */
    uint64_t before = h.calls;
    tc_flat(b, "nop\nhlt");
    tc_run_expect(b, CPU_STOP_HLT);
    ck_assert_uint_eq(h.calls, before);
    tc_free(a);
    tc_free(b);
}
END_TEST


/* Host watches record guest reads and writes of their bytes and nothing else: no #DB,
** DR6 as it was, the run's result unchanged. */
START_TEST(test_host_watch) {
    tc_machine *m = tc_new(1024);
    cpu_regs r;
    tc_flat(m, "mov eax, [0x20000]\n"        /* read slot 0 */
               "mov [0x20010], eax\n"        /* write slot 1 */
               "mov ebx, [0x20100]\n"        /* neither */
               "hlt");
    ck_assert_int_eq(cpu_watch_set(m->cpu, 0, 0x20002, 2, CPU_WATCH_READ), CPU_OK);
    ck_assert_int_eq(cpu_watch_set(m->cpu, 1, 0x20010, 4, CPU_WATCH_WRITE), CPU_OK);
    ck_assert_int_eq(cpu_watch_set(m->cpu, 2, 0x20100, 4, CPU_WATCH_WRITE), CPU_OK);
    ck_assert_int_eq(cpu_watch_set(m->cpu, 4, 0, 1, CPU_WATCH_READ), CPU_EINVAL);
    ck_assert_int_eq(cpu_watch_set(m->cpu, 0, 0, 5, CPU_WATCH_READ), CPU_EINVAL);
    cpu_get_regs(m->cpu, &r);
    uint32_t dr6 = r.dr[6];
    tc_wr32(m, 0x20000, 0x11223344);
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_watch_hits(m->cpu), 3u);   /* slots 0 and 1, not 2 (a read) */
    ck_assert_uint_eq(cpu_watch_hits(m->cpu), 0u);   /* read and cleared */
    ck_assert_uint_eq(tc_rd32(m, 0x20010), 0x11223344);
    cpu_get_regs(m->cpu, &r);
    ck_assert_uint_eq(r.dr[6], dr6);
    for (unsigned k = 0; k < 3; k++) ck_assert_int_eq(cpu_watch_set(m->cpu, k, 0, 0, 0), CPU_OK);
    tc_flat(m, "mov eax, [0x20000]\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(cpu_watch_hits(m->cpu), 0u);   /* cleared slots see nothing */
    tc_free(m);
}
END_TEST

/* ---- the data-access observer (cpu_set_access_hook) ------------------------------ */
typedef struct acc_log { uint32_t lin[16], n[16]; int write[16]; unsigned count; } acc_log;

static void acc_note(void *ud, uint32_t lin, unsigned n, int write) {
    acc_log *l = ud;
    if (l->count < 16) { l->lin[l->count] = lin; l->n[l->count] = n; l->write[l->count] = write; }
    l->count++;
}

/* Each data access is seen once, with its size and direction, even on a page the TLB
** already holds (the fast path is off while an observer is set); none after removal. */
START_TEST(test_access_hook_sees_data_accesses) {
    tc_machine *m = tc_new(1024);
    acc_log l;
    memset(&l, 0, sizeof l);
    tc_flat(m, "mov dword [0x20000],1\nmov dword [0x20004],2\nmov ax,[0x20008]\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);   /* fills the TLB for the data page */
    tc_flat(m, "mov dword [0x20000],1\nmov dword [0x20004],2\nmov ax,[0x20008]\nhlt");
    cpu_set_access_hook(m->cpu, acc_note, &l);
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(l.count, 3);
    tc_eq(l.lin[0], 0x20000u); tc_eq(l.n[0], 4); ck_assert_int_eq(l.write[0], 1);
    tc_eq(l.lin[1], 0x20004u); ck_assert_int_eq(l.write[1], 1);
    tc_eq(l.lin[2], 0x20008u); tc_eq(l.n[2], 2); ck_assert_int_eq(l.write[2], 0);
    cpu_set_access_hook(m->cpu, NULL, &l);
    tc_flat(m, "mov dword [0x20000],1\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    ck_assert_uint_eq(l.count, 3);
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_debug");
    TCase *ah = tcase_create("access_hook");
    tcase_add_test(ah, test_access_hook_sees_data_accesses);
    suite_add_tcase(s, ah);
    TCase *ex = tcase_create("exactness");
    tcase_add_test(ex, test_pop_ss_old_stack_size);
    tcase_add_test(ex, test_lock_ud);
    tcase_add_test(ex, test_enter_o32_stack16);
    tcase_add_test(ex, test_enter_probe_is_write);
    tcase_add_test(ex, test_push_sreg32_writes_word);
    suite_add_tcase(s, ex);
    TCase *db = tcase_create("debug");
    tcase_add_test(db, test_single_step);
    tcase_add_test(db, test_single_step_held_over_stop);
    tcase_add_test(db, test_single_step_host_tf);
    tcase_add_test(db, test_dr_exec_breakpoint_rf);
    tcase_add_test(db, test_dr_exec_fault_intercepted);
    tcase_add_test(db, test_dr_data_breakpoints);
    tcase_add_test(db, test_dr_data_breakpoint_rep);
    tcase_add_test(db, test_dr_general_detect);
    tcase_add_test(db, test_host_step_hook);
    tcase_add_test(db, test_host_watch);
    suite_add_tcase(s, db);
    TCase *a20 = tcase_create("a20");
    tcase_add_test(a20, test_a20_wrap);
    tcase_add_test(a20, test_a20_gate_ports);
    suite_add_tcase(s, a20);
    TCase *uf = tcase_create("undef_flags");
    tcase_add_test(uf, test_undef_flags_option);
    suite_add_tcase(s, uf);
    return tc_main(s);
}
