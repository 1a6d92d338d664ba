/*
** x_arith.c — ADD…CMP, INC/DEC, TEST, NOT/NEG, MUL/IMUL/DIV/IDIV, CBW/CWD and the
** BCD adjusts. All flag work is alu.h's.
*/
#include "x.h"

/* op r/m, reg (00, 01, 08… 39); CMP writes nothing. */
void x_alu_EG(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_rm_rd(c, i, n), r;
    r = cpu_alu(&c->fl, i->op, n, a, cpu_getr(c, n, i->reg));
    if (i->op != CPU_ALU_CMP) cpu_rm_wr(c, i, n, r);
    cpu_next(c, i);
}

/* op reg, r/m (02, 03, 0A… 3B). */
void x_alu_GE(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t b = cpu_rm_rd(c, i, n), r;
    r = cpu_alu(&c->fl, i->op, n, cpu_getr(c, n, i->reg), b);
    if (i->op != CPU_ALU_CMP) cpu_setr(c, n, i->reg, r);
    cpu_next(c, i);
}

/* op AL/eAX, imm (04, 05, 0C… 3D). */
void x_alu_AI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t r = cpu_alu(&c->fl, i->op, n, cpu_getr(c, n, CPU_EAX), i->imm);
    if (i->op != CPU_ALU_CMP) cpu_setr(c, n, CPU_EAX, r);
    cpu_next(c, i);
}

/* Group 1: op r/m, imm (80, 81, 82, 83; op = ModRM.reg). */
void x_alu_EI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, op = i->reg;
    uint32_t a = cpu_rm_rd(c, i, n), r;
    r = cpu_alu(&c->fl, op, n, a, i->imm);
    if (op != CPU_ALU_CMP) cpu_rm_wr(c, i, n, r);
    cpu_next(c, i);
}

void x_inc_r(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_setr(c, n, i->reg, cpu_alu_inc(&c->fl, n, cpu_getr(c, n, i->reg)));
    cpu_next(c, i);
}

void x_dec_r(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_setr(c, n, i->reg, cpu_alu_dec(&c->fl, n, cpu_getr(c, n, i->reg)));
    cpu_next(c, i);
}

/* Groups 4/5 /0 /1: INC/DEC r/m. */
void x_incdec_E(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_rm_rd(c, i, n);
    cpu_rm_wr(c, i, n, i->reg ? cpu_alu_dec(&c->fl, n, a) : cpu_alu_inc(&c->fl, n, a));
    cpu_next(c, i);
}

void x_test_EG(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_alu_test(&c->fl, n, cpu_rm_rd(c, i, n), cpu_getr(c, n, i->reg));
    cpu_next(c, i);
}

void x_test_AI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_alu_test(&c->fl, n, cpu_getr(c, n, CPU_EAX), i->imm & cpu_size_mask(n));
    cpu_next(c, i);
}

void x_test_EI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_alu_test(&c->fl, n, cpu_rm_rd(c, i, n), i->imm & cpu_size_mask(n));
    cpu_next(c, i);
}

void x_not(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    cpu_rm_wr(c, i, n, ~cpu_rm_rd(c, i, n) & cpu_size_mask(n));
    cpu_next(c, i);
}

void x_neg(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_rm_rd(c, i, n);
    cpu_rm_wr(c, i, n, cpu_alu_neg(&c->fl, n, a));
    cpu_next(c, i);
}

/* Group 3 /4…/7: MUL, IMUL, DIV, IDIV on AL/AX/EAX (and AH/DX/EDX). Clocks come from
** alu.h's early-out formula; the decoded entry charged none. */
void x_muldiv(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t src = cpu_rm_rd(c, i, n), eax = c->r[CPU_EAX], edx = c->r[CPU_EDX];
    int mem = i->mod != 3, clk;
    if (i->reg < 6) {
        clk = cpu_mul(&c->fl, n, i->reg == 5, src, &eax, &edx, mem);
    } else {
        clk = cpu_div(&c->fl, n, i->reg == 7, src, &eax, &edx, mem);
        if (clk < 0) cpu_fault0(c, CPU_EXC_DE);
    }
    assert(clk > 0);
    c->r[CPU_EAX] = eax;
    c->r[CPU_EDX] = edx;
    c->cycles += (uint64_t)clk;
    cpu_next(c, i);
}

/* IMUL r, r/m (0F AF). */
void x_imul_GE(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    int clk = 0;
    uint32_t b = cpu_rm_rd(c, i, n);
    uint32_t r = cpu_imul2(&c->fl, n, cpu_getr(c, n, i->reg), b, i->mod != 3, &clk);
    cpu_setr(c, n, i->reg, r);
    c->cycles += (uint64_t)clk;
    cpu_next(c, i);
}

/* IMUL r, r/m, imm (69, 6B). */
void x_imul_GEI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    int clk = 0;
    uint32_t a = cpu_rm_rd(c, i, n);
    uint32_t r = cpu_imul2(&c->fl, n, a, i->imm & cpu_size_mask(n), i->mod != 3, &clk);
    cpu_setr(c, n, i->reg, r);
    c->cycles += (uint64_t)clk;
    cpu_next(c, i);
}

void x_cbw(cpu_state *c, const cpu_insn *i)
{
    if (i->opsz == 4) c->r[CPU_EAX] = (uint32_t)(int32_t)(int16_t)c->r[CPU_EAX];
    else cpu_setr(c, 2, CPU_EAX, (uint32_t)(int32_t)(int8_t)c->r[CPU_EAX]);
    cpu_next(c, i);
}

void x_cwd(cpu_state *c, const cpu_insn *i)
{
    if (i->opsz == 4) c->r[CPU_EDX] = (c->r[CPU_EAX] & 0x80000000u) ? 0xFFFFFFFFu : 0;
    else cpu_setr(c, 2, CPU_EDX, (c->r[CPU_EAX] & 0x8000u) ? 0xFFFFu : 0);
    cpu_next(c, i);
}

void x_daa(cpu_state *c, const cpu_insn *i) { cpu_bcd_daa(&c->fl, &c->r[CPU_EAX]); cpu_next(c, i); }
void x_das(cpu_state *c, const cpu_insn *i) { cpu_bcd_das(&c->fl, &c->r[CPU_EAX]); cpu_next(c, i); }
void x_aaa(cpu_state *c, const cpu_insn *i) { cpu_bcd_aaa(&c->fl, &c->r[CPU_EAX]); cpu_next(c, i); }
void x_aas(cpu_state *c, const cpu_insn *i) { cpu_bcd_aas(&c->fl, &c->r[CPU_EAX]); cpu_next(c, i); }

void x_aam(cpu_state *c, const cpu_insn *i)
{
    if (cpu_bcd_aam(&c->fl, &c->r[CPU_EAX], (uint8_t)i->imm) < 0) cpu_fault0(c, CPU_EXC_DE);
    cpu_next(c, i);
}

void x_aad(cpu_state *c, const cpu_insn *i)
{
    cpu_bcd_aad(&c->fl, &c->r[CPU_EAX], (uint8_t)i->imm);
    cpu_next(c, i);
}
