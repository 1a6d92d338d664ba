/*
** x_stack.c — PUSH/POP (register, immediate, memory, segment), PUSHA/POPA,
** PUSHF/POPF with their IOPL rules, ENTER and LEAVE.
*/
#include "x.h"

void x_push_r(cpu_state *c, const cpu_insn *i)
{
    cpu_push(c, i->opsz, cpu_getr(c, i->opsz, i->reg));
    cpu_next(c, i);
}

void x_pop_r(cpu_state *c, const cpu_insn *i)
{
    uint32_t v = cpu_pop(c, i->opsz);
    cpu_setr(c, i->opsz, i->reg, v);   /* POP ESP: the popped value wins */
    cpu_next(c, i);
}

void x_push_I(cpu_state *c, const cpu_insn *i)
{
    cpu_push(c, i->opsz, i->imm);
    cpu_next(c, i);
}

void x_push_E(cpu_state *c, const cpu_insn *i)
{
    cpu_push(c, i->opsz, cpu_rm_rd(c, i, i->opsz));
    cpu_next(c, i);
}

/* 8F /0: the destination address uses ESP after the pop, as on the 386. */
void x_pop_E(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t old = c->r[CPU_ESP], v = cpu_stack_rd(c, 0, n), ea, popped;
    cpu_set_sp(c, cpu_sp(c) + n);
    if (i->mod == 3) {
        cpu_setr(c, n, i->rm, v);
    } else {
        ea = cpu_ea(c, i);
        popped = c->r[CPU_ESP];
        c->r[CPU_ESP] = old;   /* restartable if the write faults */
        cpu_wr(c, i->seg, ea, n, v);
        c->r[CPU_ESP] = popped;
    }
    cpu_next(c, i);
}

/* 06 0E 16 1E, 0F A0, 0F A8: op = segment register. With a 32-bit operand size the
** stack pointer moves by 4 but only the selector's 2 bytes are written, at the new
** top; the upper 2 bytes of the slot keep what they held (docs/cpu386.md, "PUSH of a
** segment register"). The segment limit is checked for the 2 bytes written. */
void x_push_sreg(cpu_state *c, const cpu_insn *i)
{
    uint32_t sp = cpu_sp(c) - i->opsz;
    if (!c->stack32) sp &= 0xFFFFu;
    cpu_wr(c, CPU_SS, sp, 2, c->seg[i->op].sel);
    cpu_set_sp(c, sp);
    cpu_next(c, i);
}

/* The stack pointer moves by the operand size in the stack size of the SS the
** instruction starts with: POP SS adjusts SP (16-bit stack) or ESP by the old SS's
** B bit, whatever the new one says. */
void x_pop_sreg(cpu_state *c, const cpu_insn *i)
{
    uint16_t sel = (uint16_t)cpu_stack_rd(c, 0, i->opsz);
    uint32_t sp = cpu_sp(c) + i->opsz;
    uint32_t esp = c->stack32 ? sp : (c->r[CPU_ESP] & 0xFFFF0000u) | (sp & 0xFFFFu);
    cpu_seg_load(c, i->op, sel);
    c->r[CPU_ESP] = esp;
    if (c->pe && !c->vm) c->cycles += 14u;   /* pm=21 */
    if (i->op == CPU_SS) {
        c->shadow_icount = c->icount + 2;
        c->ss_hold_icount = c->icount + 2;   /* DBG-3 (debug.c) */
    }
    cpu_next(c, i);
}

void x_pusha(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, k;
    uint32_t sp = cpu_sp(c), esp = c->r[CPU_ESP];
    for (k = 0; k < 8; k++) {
        uint32_t v = k == CPU_ESP ? esp : c->r[k];
        sp -= n;
        if (!c->stack32) sp &= 0xFFFFu;
        cpu_wr(c, CPU_SS, sp, n, n == 4 ? v : (v & 0xFFFFu));
    }
    cpu_set_sp(c, sp);
    cpu_next(c, i);
}

void x_popa(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, k;
    uint32_t v[8];
    for (k = 0; k < 8; k++) v[7 - k] = cpu_stack_rd(c, k * n, n);
    for (k = 0; k < 8; k++)
        if (k != CPU_ESP) cpu_setr(c, n, k, v[k]);
    cpu_set_sp(c, cpu_sp(c) + 8u * n);
    cpu_next(c, i);
}

void x_pushf(cpu_state *c, const cpu_insn *i)
{
    uint32_t f;
    if (c->vm && cpu_iopl(c) < 3) cpu_fault(c, CPU_EXC_GP, 0);
    f = cpu_read_flags(c) & ~(CPU_VM | CPU_RF);
    cpu_push(c, i->opsz, i->opsz == 4 ? f : (f & 0xFFFFu));
    cpu_next(c, i);
}

/* Which EFLAGS bits POPF may change: IOPL only at CPL 0, IF only when CPL <= IOPL,
** never VM or RF (V86 with IOPL 3 keeps IOPL). */
static uint32_t popf_mask(const cpu_state *c, unsigned n)
{
    uint32_t m = CPU_ARITH_FLAGS | CPU_TF | CPU_DF | CPU_NT;
    if (!c->pe) m |= CPU_IOPL | CPU_IF;
    else if (c->vm) m |= CPU_IF;
    else {
        if (c->cpl == 0) m |= CPU_IOPL;
        if ((int)c->cpl <= cpu_iopl(c)) m |= CPU_IF;
    }
    return n == 4 ? m : (m & 0xFFFFu);
}

void x_popf(cpu_state *c, const cpu_insn *i)
{
    uint32_t v;
    if (c->vm && cpu_iopl(c) < 3) cpu_fault(c, CPU_EXC_GP, 0);
    v = cpu_stack_rd(c, 0, i->opsz);
    cpu_set_sp(c, cpu_sp(c) + i->opsz);
    cpu_write_flags(c, v, popf_mask(c, i->opsz));
    cpu_next(c, i);
}

/* ENTER imm16, level: 10 (level 0), 12 (level 1), 15+4(n-1) clocks. The frame
** pointer is ESP after pushing EBP: on a 16-bit stack the upper half of ESP is kept
** in it, so a 32-bit ENTER there loads EBP with (ESP & FFFF0000h) | SP. The last
** byte of the new frame is probed as a write before anything is committed: a
** read-only or supervisor page faults with the W bit in the #PF error code. */
void x_enter(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, level = i->imm2 & 31u, k;
    uint32_t size = i->imm & 0xFFFFu, sp = cpu_sp(c), bp = c->r[CPU_EBP], frame;
    uint32_t mask = c->stack32 ? 0xFFFFFFFFu : 0xFFFFu;
    sp = (sp - n) & mask;
    cpu_wr(c, CPU_SS, sp, n, bp);
    frame = c->stack32 ? sp : (c->r[CPU_ESP] & 0xFFFF0000u) | sp;
    if (level > 0) {
        uint32_t t = c->stack32 ? bp : (bp & 0xFFFFu);
        for (k = 1; k < level; k++) {
            t = (t - n) & (i->opsz == 4 ? mask : 0xFFFFu);
            sp = (sp - n) & mask;
            cpu_wr(c, CPU_SS, sp, n, cpu_rd(c, CPU_SS, t & mask, n));
        }
        sp = (sp - n) & mask;
        cpu_wr(c, CPU_SS, sp, n, frame);
        c->cycles += level == 1 ? 2u : 5u + 4u * (level - 1u);
    }
    if (size) cpu_wr_probe(c, CPU_SS, (sp - size) & mask);
    cpu_setr(c, n, CPU_EBP, frame);
    cpu_set_sp(c, (sp - size) & mask);
    cpu_next(c, i);
}

void x_leave(cpu_state *c, const cpu_insn *i)
{
    uint32_t bp = c->stack32 ? c->r[CPU_EBP] : (c->r[CPU_EBP] & 0xFFFFu);
    uint32_t v = cpu_rd(c, CPU_SS, bp, i->opsz);
    cpu_set_sp(c, bp + i->opsz);
    cpu_setr(c, i->opsz, CPU_EBP, v);
    cpu_next(c, i);
}
