/*
** x_far.c — far JMP/CALL/RET and IRET in real, protected and V86 mode: code segment
** privilege checks, call gates at the same privilege, returns to an outer ring
** (new SS:ESP from the stack), IRET into V86 mode. Task switches and calls through
** a gate to an inner ring stop the run as CPU_STOP_UNSUPPORTED.
*/
#include "x.h"

#define CLK_JMP_FAR_PM_EXTRA   15   /* JMP ptr16:16 12+m, pm=27+m */
#define CLK_CALL_FAR_PM_EXTRA  17   /* CALL ptr16:16 17+m, pm=34+m */
#define CLK_RETF_PM_EXTRA      14   /* RET far 18+m, pm=32+m */
#define CLK_RETF_OUTER         68   /* RET far to an outer level: pm=68 */
#define CLK_CALL_GATE          52   /* CALL via a call gate, same privilege: pm=52+m */

static void unsupported(cpu_state *c, const char *msg)
{
    c->info.message = msg;
    c->info.fault_eip = c->eip;
    cpu_stop_now(c, CPU_STOP_UNSUPPORTED);
}

/* Checks a code segment for a JMP/CALL at the current privilege; #GP/#NP. */
static void code_check(cpu_state *c, uint16_t sel, uint32_t hi)
{
    unsigned a = (hi >> 8) & 0xFFu, dpl = (a >> 5) & 3u, err = sel & 0xFFFCu;
    if (!(a & 0x10u) || !(a & 0x08u)) cpu_fault(c, CPU_EXC_GP, err);
    if (a & 0x04u) {
        if (dpl > c->cpl) cpu_fault(c, CPU_EXC_GP, err);
    } else if ((sel & 3u) > c->cpl || dpl != c->cpl) {
        cpu_fault(c, CPU_EXC_GP, err);
    }
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
}

static uint32_t desc_limit(uint32_t lo, uint32_t hi)
{
    uint32_t l = (lo & 0xFFFFu) | (hi & 0xF0000u);
    return (hi & 0x800000u) ? ((l << 12) | 0xFFFu) : l;
}

/* Resolves a protected-mode far target. Returns 0 with the code descriptor in
** *lo, *hi and the offset in *off (a call gate replaces both), or -1 when stopped. */
static int far_target(cpu_state *c, uint16_t *sel, uint32_t *off, uint32_t *lo,
                      uint32_t *hi, int *gate)
{
    unsigned a, type;
    *gate = 0;
    if ((*sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    cpu_desc_read(c, *sel, lo, hi, CPU_EXC_GP);
    a = (*hi >> 8) & 0xFFu;
    if (a & 0x10u) {
        code_check(c, *sel, *hi);
    } else {
        type = a & 0x1Fu;
        if (type == 0x04 || type == 0x0C) {   /* call gate */
            unsigned gdpl = (a >> 5) & 3u;
            uint32_t glo = *lo, ghi = *hi, ta;
            if (gdpl < c->cpl || gdpl < (*sel & 3u)) cpu_fault(c, CPU_EXC_GP, *sel & 0xFFFCu);
            if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, *sel & 0xFFFCu);
            *sel = (uint16_t)(glo >> 16);
            *off = (glo & 0xFFFFu) | (type == 0x0C ? (ghi & 0xFFFF0000u) : 0u);
            if ((*sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
            cpu_desc_read(c, *sel, lo, hi, CPU_EXC_GP);
            ta = (*hi >> 8) & 0xFFu;
            if (!(ta & 0x10u) || !(ta & 0x08u) || ((ta >> 5) & 3u) > c->cpl)
                cpu_fault(c, CPU_EXC_GP, *sel & 0xFFFCu);
            if (!(ta & 0x04u) && ((ta >> 5) & 3u) < c->cpl) {
                unsupported(c, "call gate to an inner privilege level");
                return -1;
            }
            if (!(ta & 0x80u)) cpu_fault(c, CPU_EXC_NP, *sel & 0xFFFCu);
            *gate = type == 0x0C ? 4 : 2;
        } else if (type == 0x05 || type == 0x01 || type == 0x09 || type == 0x03 ||
                   type == 0x0B) {
            unsupported(c, "far transfer to a task gate or TSS (task switch)");
            return -1;
        } else {
            cpu_fault(c, CPU_EXC_GP, *sel & 0xFFFCu);
        }
    }
    if (*off > desc_limit(*lo, *hi)) cpu_fault(c, CPU_EXC_GP, 0);
    return 0;
}

static void jmp_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t off)
{
    uint32_t lo, hi;
    int gate;
    if (!c->pe || c->vm) {
        cpu_seg_set_real(c, CPU_CS, sel);
        cpu_jump(c, i->opsz == 4 ? off : (off & 0xFFFFu));
        return;
    }
    if (far_target(c, &sel, &off, &lo, &hi, &gate)) return;
    cpu_desc_set_accessed(c, sel, hi);
    cpu_load_cs(c, sel, lo, hi, c->cpl);
    c->cycles += CLK_JMP_FAR_PM_EXTRA;
    cpu_jump(c, gate == 2 || (!gate && i->opsz == 2) ? (off & 0xFFFFu) : off);
}

static void call_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t off)
{
    uint32_t lo, hi, sp = cpu_sp(c), mask = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    unsigned n = i->opsz;
    int gate = 0;
    if (c->pe && !c->vm) {
        if (far_target(c, &sel, &off, &lo, &hi, &gate)) return;
        if (gate) n = (unsigned)gate;
    }
    cpu_wr(c, CPU_SS, (sp - n) & mask, n, c->seg[CPU_CS].sel);
    cpu_wr(c, CPU_SS, (sp - 2 * n) & mask, n, c->eip + i->len);
    cpu_set_sp(c, (sp - 2 * n) & mask);
    if (!c->pe || c->vm) {
        cpu_seg_set_real(c, CPU_CS, sel);
        cpu_jump(c, n == 4 ? off : (off & 0xFFFFu));
        return;
    }
    cpu_desc_set_accessed(c, sel, hi);
    cpu_load_cs(c, sel, lo, hi, c->cpl);
    c->cycles += gate ? CLK_CALL_GATE : CLK_CALL_FAR_PM_EXTRA;
    cpu_jump(c, n == 4 ? off : (off & 0xFFFFu));
}

void x_jmp_far(cpu_state *c, const cpu_insn *i) { jmp_far(c, i, i->imm2, i->imm); }
void x_call_far(cpu_state *c, const cpu_insn *i) { call_far(c, i, i->imm2, i->imm); }

/* FF /5 and FF /3: the pointer is in memory (offset, then selector). */
static void mem_ptr(cpu_state *c, const cpu_insn *i, uint16_t *sel, uint32_t *off)
{
    uint32_t ea = cpu_ea(c, i), ea2 = ea + i->opsz;
    if (i->adsz == 2) ea2 &= 0xFFFFu;
    *off = cpu_rd(c, i->seg, ea, i->opsz);
    *sel = (uint16_t)cpu_rd(c, i->seg, ea2, 2);
}

void x_jmp_farE(cpu_state *c, const cpu_insn *i)
{
    uint16_t sel;
    uint32_t off;
    mem_ptr(c, i, &sel, &off);
    jmp_far(c, i, sel, off);
}

void x_call_farE(cpu_state *c, const cpu_insn *i)
{
    uint16_t sel;
    uint32_t off;
    mem_ptr(c, i, &sel, &off);
    call_far(c, i, sel, off);
}

/* Checks a return CS (RETF/IRET) and loads SS:ESP for an outer-level return. */
static void ret_to(cpu_state *c, uint16_t sel, uint32_t off, unsigned n, uint32_t outer_at,
                   uint32_t imm)
{
    uint32_t lo, hi, a, dpl, rpl = sel & 3u, err = sel & 0xFFFCu;
    if ((sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    if (rpl < c->cpl) cpu_fault(c, CPU_EXC_GP, err);
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    a = (hi >> 8) & 0xFFu;
    dpl = (a >> 5) & 3u;
    if (!(a & 0x10u) || !(a & 0x08u)) cpu_fault(c, CPU_EXC_GP, err);
    if ((a & 0x04u) ? dpl > rpl : dpl != rpl) cpu_fault(c, CPU_EXC_GP, err);
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
    if (off > desc_limit(lo, hi)) cpu_fault(c, CPU_EXC_GP, 0);
    if (rpl == c->cpl) {
        cpu_set_sp(c, cpu_sp(c) + outer_at + imm);
        cpu_load_cs(c, sel, lo, hi, rpl);
    } else {
        uint32_t esp = cpu_stack_rd(c, outer_at + imm, n), slo, shi, sa;
        uint16_t ss = (uint16_t)cpu_stack_rd(c, outer_at + imm + n, n);
        if ((ss & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
        cpu_desc_read(c, ss, &slo, &shi, CPU_EXC_GP);
        sa = (shi >> 8) & 0xFFu;
        if ((ss & 3u) != rpl || ((sa >> 5) & 3u) != rpl || !(sa & 0x10u) ||
            (sa & 0x08u) || !(sa & 0x02u))
            cpu_fault(c, CPU_EXC_GP, ss & 0xFFFCu);
        if (!(sa & 0x80u)) cpu_fault(c, CPU_EXC_SS, ss & 0xFFFCu);
        cpu_desc_set_accessed(c, ss, shi);
        cpu_load_cs(c, sel, lo, hi, rpl);
        cpu_seg_from_desc(&c->seg[CPU_SS], ss, slo, shi | 0x100u);
        c->stack32 = (c->seg[CPU_SS].attr & 0x4000u) != 0;
        cpu_seg_win(c, CPU_SS);
        cpu_set_sp(c, esp + imm);
        cpu_null_bad_segs(c);
        c->cycles += CLK_RETF_OUTER - 18u;
    }
    cpu_desc_set_accessed(c, sel, hi);
}

/* CB, CA imm16. */
void x_retf(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t imm = i->opc == 0xCA ? (i->imm & 0xFFFFu) : 0u;
    uint32_t off = cpu_stack_rd(c, 0, n);
    uint16_t sel = (uint16_t)cpu_stack_rd(c, n, n);
    if (!c->pe || c->vm) {
        cpu_set_sp(c, cpu_sp(c) + 2 * n + imm);
        cpu_seg_set_real(c, CPU_CS, sel);
        cpu_jump(c, n == 4 ? off : (off & 0xFFFFu));
        return;
    }
    ret_to(c, sel, off, n, 2 * n, imm);
    c->cycles += CLK_RETF_PM_EXTRA;
    cpu_jump(c, n == 4 ? off : (off & 0xFFFFu));
}

/* IRET into V86 mode (from CPL 0 with VM set in the popped EFLAGS). */
static void iret_to_v86(cpu_state *c, uint32_t off, uint16_t cs, uint32_t fl)
{
    static const unsigned segs[4] = { CPU_ES, CPU_DS, CPU_FS, CPU_GS };
    uint32_t esp = cpu_stack_rd(c, 12, 4), v[4];
    uint16_t ss = (uint16_t)cpu_stack_rd(c, 16, 4);
    unsigned k;
    for (k = 0; k < 4; k++) v[k] = cpu_stack_rd(c, 20 + 4 * k, 4);
    cpu_flags_put(&c->fl, (fl | 2u) & 0x3FFFFu & ~0x8028u);
    cpu_mode_update(c);   /* now V86: CPL 3, segment loads are real-style */
    cpu_seg_set_real(c, CPU_CS, cs);
    cpu_seg_set_real(c, CPU_SS, ss);
    for (k = 0; k < 4; k++) cpu_seg_set_real(c, segs[k], (uint16_t)v[k]);
    c->r[CPU_ESP] = esp;
    c->cycles += CLK_IRET_PM_OUT - CLK_IRET_PM;
    cpu_transfer(c, off & 0xFFFFu);
}

void x_iret(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t off = cpu_stack_rd(c, 0, n), fl, mask;
    uint16_t sel = (uint16_t)cpu_stack_rd(c, n, n);
    fl = cpu_stack_rd(c, 2 * n, n);
    if (!c->pe || c->vm) {
        if (c->vm && cpu_iopl(c) < 3) cpu_fault(c, CPU_EXC_GP, 0);
        /* A 32-bit real-mode IRET loads RF too (how a real-mode debugger resumes
        ** over an instruction breakpoint, manual 12.3.1.1). */
        mask = CPU_ARITH_FLAGS | CPU_TF | CPU_DF | CPU_NT | CPU_IF |
               (c->vm ? 0u : CPU_IOPL | CPU_RF);
        if (n == 2) mask &= 0xFFFFu;
        cpu_set_sp(c, cpu_sp(c) + 3 * n);
        cpu_seg_set_real(c, CPU_CS, sel);
        cpu_write_flags(c, fl, mask);
        c->cycles += CLK_IRET_REAL;
        cpu_transfer(c, n == 4 ? off : (off & 0xFFFFu));
        return;
    }
    if (c->fl.eflags & CPU_NT) {
        unsupported(c, "IRET with NT set (task return)");
        return;
    }
    if (n == 4 && (fl & CPU_VM) && c->cpl == 0) {
        c->cycles += CLK_IRET_PM;
        iret_to_v86(c, off, sel, fl);
        return;
    }
    mask = CPU_ARITH_FLAGS | CPU_TF | CPU_DF | CPU_NT | CPU_RF;
    if (c->cpl == 0) mask |= CPU_IOPL;
    if ((int)c->cpl <= cpu_iopl(c)) mask |= CPU_IF;
    if (n == 2) mask &= 0xFFFFu;
    ret_to(c, sel, off, n, 3 * n, 0);
    cpu_write_flags(c, fl, mask);
    c->cycles += CLK_IRET_PM;
    cpu_transfer(c, n == 4 ? off : (off & 0xFFFFu));
}
