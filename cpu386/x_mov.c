/*
** x_mov.c — data movement: MOV (general, immediate, moffs, segment), MOVZX/MOVSX,
** LEA, XCHG, XLAT, LDS/LES/LFS/LGS/LSS, LAHF/SAHF.
*/
#include "x.h"

void x_mov_EG(cpu_state *c, const cpu_insn *i)
{
    cpu_rm_wr(c, i, i->opsz, cpu_getr(c, i->opsz, i->reg));
    cpu_next(c, i);
}

void x_mov_GE(cpu_state *c, const cpu_insn *i)
{
    cpu_setr(c, i->opsz, i->reg, cpu_rm_rd(c, i, i->opsz));
    cpu_next(c, i);
}

void x_mov_RI(cpu_state *c, const cpu_insn *i)
{
    cpu_setr(c, i->opsz, i->reg, i->imm);
    cpu_next(c, i);
}

void x_mov_EI(cpu_state *c, const cpu_insn *i)
{
    cpu_rm_wr(c, i, i->opsz, i->imm);
    cpu_next(c, i);
}

static uint32_t moffs(const cpu_insn *i) { return i->adsz == 4 ? i->disp : (i->disp & 0xFFFFu); }

/* A0/A1: AL/eAX <- [moffs]. */
void x_mov_AO(cpu_state *c, const cpu_insn *i)
{
    cpu_setr(c, i->opsz, CPU_EAX, cpu_rd(c, i->seg, moffs(i), i->opsz));
    cpu_next(c, i);
}

/* A2/A3: [moffs] <- AL/eAX. */
void x_mov_OA(cpu_state *c, const cpu_insn *i)
{
    cpu_wr(c, i->seg, moffs(i), i->opsz, cpu_getr(c, i->opsz, CPU_EAX));
    cpu_next(c, i);
}

/* Source of MOVZX/MOVSX: a byte (B6/BE) or a word (B7/BF). */
static uint32_t ext_src(cpu_state *c, const cpu_insn *i, unsigned *sn)
{
    *sn = (i->opc & 1u) ? 2u : 1u;
    if (i->mod == 3) return cpu_getr(c, *sn, i->rm);
    return cpu_rd(c, i->seg, cpu_ea(c, i), *sn);
}

void x_movzx(cpu_state *c, const cpu_insn *i)
{
    unsigned sn;
    uint32_t v = ext_src(c, i, &sn);
    cpu_setr(c, i->opsz, i->reg, v);
    cpu_next(c, i);
}

void x_movsx(cpu_state *c, const cpu_insn *i)
{
    unsigned sn;
    uint32_t v = ext_src(c, i, &sn);
    v = sn == 1 ? (uint32_t)(int32_t)(int8_t)v : (uint32_t)(int32_t)(int16_t)v;
    cpu_setr(c, i->opsz, i->reg, v);
    cpu_next(c, i);
}

void x_lea(cpu_state *c, const cpu_insn *i)
{
    cpu_setr(c, i->opsz, i->reg, cpu_ea(c, i));
    cpu_next(c, i);
}

void x_xchg_EG(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_rm_rd(c, i, n), b = cpu_getr(c, n, i->reg);
    cpu_rm_wr(c, i, n, b);   /* may fault: the register is written after */
    cpu_setr(c, n, i->reg, a);
    cpu_next(c, i);
}

void x_xchg_AR(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t a = cpu_getr(c, n, CPU_EAX);
    cpu_setr(c, n, CPU_EAX, cpu_getr(c, n, i->reg));
    cpu_setr(c, n, i->reg, a);
    cpu_next(c, i);
}

void x_nop(cpu_state *c, const cpu_insn *i) { cpu_next(c, i); }

void x_xlat(cpu_state *c, const cpu_insn *i)
{
    uint32_t off = c->r[CPU_EBX] + (c->r[CPU_EAX] & 0xFFu);
    if (i->adsz == 2) off &= 0xFFFFu;
    cpu_set_reg8(c, 0, cpu_rd(c, i->seg, off, 1));
    cpu_next(c, i);
}

/* 8C: r/m16 <- Sreg (a 32-bit register destination is zero-extended). */
void x_mov_ES(cpu_state *c, const cpu_insn *i)
{
    uint32_t v;
    if (i->reg > 5) cpu_fault0(c, CPU_EXC_UD);
    v = c->seg[i->reg].sel;
    if (i->mod == 3) cpu_setr(c, i->opsz, i->rm, v);
    else cpu_wr(c, i->seg, cpu_ea(c, i), 2, v);
    cpu_next(c, i);
}

/* 8E: Sreg <- r/m16. Loading SS holds interrupts for one instruction. */
void x_mov_SE(cpu_state *c, const cpu_insn *i)
{
    uint16_t sel;
    if (i->reg > 5 || i->reg == CPU_CS) cpu_fault0(c, CPU_EXC_UD);
    sel = (uint16_t)cpu_rm_rd(c, i, 2);
    cpu_seg_load(c, i->reg, sel);
    if (c->pe && !c->vm) c->cycles += i->mod == 3 ? 16u : 14u;   /* pm=18/19 */
    if (i->reg == CPU_SS) {
        c->shadow_icount = c->icount + 2;
        c->ss_hold_icount = c->icount + 2;   /* DBG-3 (debug.c) */
    }
    cpu_next(c, i);
}

/* LES C4, LDS C5, LSS 0F B2, LFS 0F B4, LGS 0F B5 (op = segment register). */
void x_lxs(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t ea = cpu_ea(c, i), ea2 = ea + n, off;
    uint16_t sel;
    if (i->adsz == 2) ea2 &= 0xFFFFu;
    off = cpu_rd(c, i->seg, ea, n);
    sel = (uint16_t)cpu_rd(c, i->seg, ea2, 2);
    cpu_seg_load(c, i->op, sel);
    cpu_setr(c, n, i->reg, off);
    if (c->pe && !c->vm) c->cycles += 15u;   /* pm=22 */
    if (i->op == CPU_SS) c->shadow_icount = c->icount + 2;
    cpu_next(c, i);
}

void x_lahf(cpu_state *c, const cpu_insn *i)
{
    cpu_set_reg8(c, 4, (cpu_read_flags(c) & 0xD5u) | 2u);
    cpu_next(c, i);
}

void x_sahf(cpu_state *c, const cpu_insn *i)
{
    cpu_flags_put_mask(&c->fl, cpu_reg8(c, 4), 0xD5u);
    cpu_next(c, i);
}
