/*
** x_bit.c — BT/BTS/BTR/BTC (register and immediate forms, memory bit strings),
** BSF/BSR and SETcc.
*/
#include "x.h"

/* 0F A3/AB/B3/BB: with a memory operand the register bit offset is signed and
** addresses a bit string around the effective address. */
void x_bt_EG(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, bits = 8u * n, op = i->op;
    uint32_t off = cpu_getr(c, n, i->reg), v, r;
    if (i->mod == 3) {
        v = cpu_getr(c, n, i->rm);
        r = cpu_bitop(&c->fl, op, n, v, off & (bits - 1u));
        if (op != CPU_BT_BT) cpu_setr(c, n, i->rm, r);
    } else {
        int32_t soff = n == 2 ? (int32_t)(int16_t)off : (int32_t)off;
        uint32_t ea = cpu_ea(c, i) + (uint32_t)((soff >> (n == 2 ? 4 : 5)) * (int32_t)n);
        if (i->adsz == 2) ea &= 0xFFFFu;
        v = cpu_rd(c, i->seg, ea, n);
        r = cpu_bitop(&c->fl, op, n, v, (uint32_t)soff & (bits - 1u));
        if (op != CPU_BT_BT) cpu_wr(c, i->seg, ea, n, r);
    }
    cpu_next(c, i);
}

/* Group 8 (0F BA /4…/7): immediate bit offset, modulo the operand width. */
void x_bt_EI(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz, op = i->reg - 4u;
    uint32_t v = cpu_rm_rd(c, i, n);
    uint32_t r = cpu_bitop(&c->fl, op, n, v, (i->imm & 0xFFu) & (8u * n - 1u));
    if (op != CPU_BT_BT) cpu_rm_wr(c, i, n, r);
    cpu_next(c, i);
}

void x_bsf(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    int clk = 0;
    uint32_t src = cpu_rm_rd(c, i, n);
    cpu_setr(c, n, i->reg, cpu_bsf(&c->fl, n, src, cpu_getr(c, n, i->reg), &clk));
    c->cycles += (uint64_t)clk;   /* manual: 10+3n for both forms */
    cpu_next(c, i);
}

void x_bsr(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    int clk = 0;
    uint32_t src = cpu_rm_rd(c, i, n);
    cpu_setr(c, n, i->reg, cpu_bsr(&c->fl, n, src, cpu_getr(c, n, i->reg), &clk));
    c->cycles += (uint64_t)clk;
    cpu_next(c, i);
}

void x_setcc(cpu_state *c, const cpu_insn *i)
{
    cpu_rm_wr(c, i, 1, (uint32_t)cpu_flags_cond(&c->fl, i->opc & 15u));
    cpu_next(c, i);
}
