/*
** x_far.c — far JMP/CALL/RET and IRET in real, protected and V86 mode: code segment
** privilege checks, call gates (same privilege here, to an inner ring in gate.c),
** returns to an outer ring (new SS:ESP from the stack, data segments nulled), IRET
** into V86 mode. TSS descriptors, task gates and IRET with NT switch tasks (task.c).
**
** Clocks: the decoder charges the real-mode figure (the instruction's base); the
** handlers add the difference to the protected-mode figure of the form taken
** (manual chapter 17). The FF /3 and FF /5 (m16:16) forms cost 4 more than the
** pointer forms in every protected-mode row, and "5 + ts" for task switches.
*/
#include "x.h"

#define CLK_JMP_FAR_PM      27   /* JMP ptr16:16 12+m, pm=27+m */
#define CLK_JMP_GATE        45   /* JMP to a call gate, same privilege: pm=45+m */
#define CLK_CALL_FAR_PM     34   /* CALL ptr16:16 17+m, pm=34+m */
#define CLK_CALL_GATE       52   /* CALL via a call gate, same privilege: pm=52+m */
#define CLK_RETF_PM_EXTRA   14   /* RET far 18+m, pm=32+m */
#define CLK_RETF_OUTER      68   /* RET far to an outer level: pm=68 (no +m) */

/* The protected-mode figure of a far JMP/CALL form, as clocks to add to the base. */
static uint32_t far_clk(const cpu_insn *i, unsigned figure)
{
    figure += i->opc == 0xFF ? 4u : 0u;
    assert(figure > i->clk);
    return figure - i->clk;
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

/* What far_target found. */
enum { FT_CODE = 0, FT_GATE, FT_INNER, FT_TASK };

typedef struct far_dest {
    uint16_t sel;        /* code segment selector */
    uint32_t off, lo, hi;
    unsigned gsize;      /* call gate: 2 or 4 bytes per stack item */
    unsigned count;      /* call gate: parameters to copy (inner ring only) */
} far_dest;

/* A call gate (type 4 or 12) for JMP or CALL: the target code segment with the
** gate's checks (386 manual, CALL-GATE). FT_INNER only for CALL. */
static int via_call_gate(cpu_state *c, int call, uint16_t gsel, uint32_t glo,
                         uint32_t ghi, far_dest *d)
{
    unsigned ga = (ghi >> 8) & 0xFFu, gdpl = (ga >> 5) & 3u, ta, tdpl;
    if (gdpl < c->cpl || gdpl < (gsel & 3u)) cpu_fault(c, CPU_EXC_GP, gsel & 0xFFFCu);
    if (!(ga & 0x80u)) cpu_fault(c, CPU_EXC_NP, gsel & 0xFFFCu);
    d->sel = (uint16_t)(glo >> 16);
    d->gsize = (ga & 0x08u) ? 4u : 2u;
    d->off = (glo & 0xFFFFu) | (d->gsize == 4 ? (ghi & 0xFFFF0000u) : 0u);
    d->count = ghi & 0x1Fu;
    if ((d->sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    cpu_desc_read(c, d->sel, &d->lo, &d->hi, CPU_EXC_GP);
    ta = (d->hi >> 8) & 0xFFu;
    tdpl = (ta >> 5) & 3u;
    if (!(ta & 0x10u) || !(ta & 0x08u) || tdpl > c->cpl)
        cpu_fault(c, CPU_EXC_GP, d->sel & 0xFFFCu);
    /* JMP keeps the privilege: a non-conforming target must be at CPL. */
    if (!call && !(ta & 0x04u) && tdpl != c->cpl) cpu_fault(c, CPU_EXC_GP, d->sel & 0xFFFCu);
    if (!(ta & 0x80u)) cpu_fault(c, CPU_EXC_NP, d->sel & 0xFFFCu);
    if (d->off > desc_limit(d->lo, d->hi)) cpu_fault(c, CPU_EXC_GP, 0);
    return !(ta & 0x04u) && tdpl < c->cpl ? FT_INNER : FT_GATE;
}

/* Resolves a protected-mode far JMP/CALL target (d->sel, d->off on entry). A task
** switch (TSS or task gate) is done here and reported as FT_TASK. */
static int far_target(cpu_state *c, const cpu_insn *i, int call, far_dest *d)
{
    unsigned a, type;
    uint16_t sel = d->sel;
    if ((sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    cpu_desc_read(c, sel, &d->lo, &d->hi, CPU_EXC_GP);
    a = (d->hi >> 8) & 0xFFu;
    type = a & 0x1Fu;
    if (a & 0x10u) {
        code_check(c, sel, d->hi);
        if (d->off > desc_limit(d->lo, d->hi)) cpu_fault(c, CPU_EXC_GP, 0);
        return FT_CODE;
    }
    if (type == 0x04 || type == 0x0C) return via_call_gate(c, call, sel, d->lo, d->hi, d);
    if (type == 0x05 || type == 0x01 || type == 0x09 || type == 0x03 || type == 0x0B) {
        cpu_task_far(c, i, sel, d->lo, d->hi, call ? CPU_TS_CALL : CPU_TS_JMP);
        return FT_TASK;
    }
    cpu_fault(c, CPU_EXC_GP, sel & 0xFFFCu);
}

static void jmp_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t off)
{
    far_dest d;
    int kind;
    if (!c->pe || c->vm) {
        cpu_seg_set_real(c, CPU_CS, sel);
        cpu_jump(c, i->opsz == 4 ? off : (off & 0xFFFFu));
        return;
    }
    d.sel = sel;
    d.off = off;
    kind = far_target(c, i, 0, &d);
    if (kind == FT_TASK) return;
    assert(kind == FT_CODE || kind == FT_GATE);
    cpu_desc_set_accessed(c, d.sel, d.hi);
    cpu_load_cs(c, d.sel, d.lo, d.hi, c->cpl);
    c->cycles += far_clk(i, kind == FT_GATE ? CLK_JMP_GATE : CLK_JMP_FAR_PM);
    cpu_jump(c, kind == FT_GATE ? (d.gsize == 4 ? d.off : (d.off & 0xFFFFu))
                                : (i->opsz == 4 ? d.off : (d.off & 0xFFFFu)));
}

static void call_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t off)
{
    uint32_t sp = cpu_sp(c), mask = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    unsigned n = i->opsz;
    int kind = FT_CODE;
    far_dest d;
    d.sel = sel;
    d.off = off;
    if (c->pe && !c->vm) {
        kind = far_target(c, i, 1, &d);
        if (kind == FT_TASK) return;
        if (kind == FT_INNER) {
            cpu_call_gate_inner(c, i, d.sel, d.lo, d.hi, d.off, d.gsize, d.count);
            return;
        }
        if (kind == FT_GATE) n = d.gsize;
    }
    cpu_wr(c, CPU_SS, (sp - n) & mask, n, c->seg[CPU_CS].sel);
    cpu_wr(c, CPU_SS, (sp - 2 * n) & mask, n, c->eip + i->len);
    cpu_set_sp(c, (sp - 2 * n) & mask);
    if (!c->pe || c->vm) {
        cpu_seg_set_real(c, CPU_CS, d.sel);
        cpu_jump(c, n == 4 ? d.off : (d.off & 0xFFFFu));
        return;
    }
    cpu_desc_set_accessed(c, d.sel, d.hi);
    cpu_load_cs(c, d.sel, d.lo, d.hi, c->cpl);
    c->cycles += far_clk(i, kind == FT_GATE ? CLK_CALL_GATE : CLK_CALL_FAR_PM);
    cpu_jump(c, n == 4 ? d.off : (d.off & 0xFFFFu));
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

/* Checks a return CS (RETF/IRET) and loads it; for an outer-level return also SS:ESP
** from the stack, then the data segments the outer ring may not use become null
** (rule: RET/IRET RETURN-OUTER-LEVEL). Returns 1 for an outer-level return. */
static int ret_to(cpu_state *c, uint16_t sel, uint32_t off, unsigned n, uint32_t outer_at,
                   uint32_t imm)
{
    uint32_t lo, hi, a, dpl, rpl = sel & 3u, err = sel & 0xFFFCu;
    int outer = rpl != c->cpl;
    if ((sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    if (rpl < c->cpl) cpu_fault(c, CPU_EXC_GP, err);
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    a = (hi >> 8) & 0xFFu;
    dpl = (a >> 5) & 3u;
    if (!(a & 0x10u) || !(a & 0x08u)) cpu_fault(c, CPU_EXC_GP, err);
    if ((a & 0x04u) ? dpl > rpl : dpl != rpl) cpu_fault(c, CPU_EXC_GP, err);
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
    if (off > desc_limit(lo, hi)) cpu_fault(c, CPU_EXC_GP, 0);
    if (!outer) {
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
    }
    cpu_desc_set_accessed(c, sel, hi);
    return outer;
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
    if (ret_to(c, sel, off, n, 2 * n, imm)) {
        assert(CLK_RETF_OUTER > i->clk);
        c->cycles += CLK_RETF_OUTER - i->clk;
        cpu_transfer(c, n == 4 ? off : (off & 0xFFFFu));
        return;
    }
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
    c->cycles += CLK_IRET_V86;
    cpu_transfer(c, off & 0xFFFFu);
}

void x_iret(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    int outer;
    uint32_t off, fl, mask;
    uint16_t sel;
    /* In V86 mode IOPL < 3 is #GP before the stack is touched (no #PF, no A bit). */
    if (c->vm && cpu_iopl(c) < 3) cpu_fault(c, CPU_EXC_GP, 0);
    off = cpu_stack_rd(c, 0, n);
    sel = (uint16_t)cpu_stack_rd(c, n, n);
    fl = cpu_stack_rd(c, 2 * n, n);
    if (!c->pe || c->vm) {
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
        cpu_task_iret(c, i);
        return;
    }
    if (n == 4 && (fl & CPU_VM) && c->cpl == 0) {
        iret_to_v86(c, off, sel, fl);
        return;
    }
    mask = CPU_ARITH_FLAGS | CPU_TF | CPU_DF | CPU_NT | CPU_RF;
    if (c->cpl == 0) mask |= CPU_IOPL;
    if ((int)c->cpl <= cpu_iopl(c)) mask |= CPU_IF;
    if (n == 2) mask &= 0xFFFFu;
    outer = ret_to(c, sel, off, n, 3 * n, 0);
    cpu_write_flags(c, fl, mask);
    c->cycles += outer ? CLK_IRET_PM_OUT : CLK_IRET_PM;
    cpu_transfer(c, n == 4 ? off : (off & 0xFFFFu));
}
