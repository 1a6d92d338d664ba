/*
** x_shift.c — group 2 shifts and rotates (by 1, CL, imm8), SHLD and SHRD.
*/
#include "x.h"

/* The count source follows the opcode: D0/D1 by 1, D2/D3 by CL, C0/C1 by imm8. */
static uint8_t shift_count(const cpu_state *c, const cpu_insn *i)
{
    if ((i->opc & 0xFEu) == 0xD0u) return 1;
    if ((i->opc & 0xFEu) == 0xD2u) return (uint8_t)c->r[CPU_ECX];
    return (uint8_t)i->imm;
}

void x_shift(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_rm_rd(c, i, n);
    cpu_rm_wr(c, i, n, cpu_shift(&c->fl, i->reg, n, a, shift_count(c, i)));
    cpu_next(c, i);
}

/* 0F A4 (imm8) / 0F A5 (CL). */
void x_shld(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint8_t cnt = (i->opc & 1u) ? (uint8_t)c->r[CPU_ECX] : (uint8_t)i->imm;
    uint32_t a = cpu_rm_rd(c, i, n);
    cpu_rm_wr(c, i, n, cpu_shld(&c->fl, n, a, cpu_getr(c, n, i->reg), cnt));
    cpu_next(c, i);
}

/* 0F AC (imm8) / 0F AD (CL). */
void x_shrd(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint8_t cnt = (i->opc & 1u) ? (uint8_t)c->r[CPU_ECX] : (uint8_t)i->imm;
    uint32_t a = cpu_rm_rd(c, i, n);
    cpu_rm_wr(c, i, n, cpu_shrd(&c->fl, n, a, cpu_getr(c, n, i->reg), cnt));
    cpu_next(c, i);
}
