/*
** x_io.c — IN/OUT through the bus callbacks, with the protected-mode I/O
** permission rule: when CPL > IOPL (always in V86 mode) the TSS I/O bitmap decides.
*/
#include "x.h"

void cpu_io_check(cpu_state *c, uint16_t port, unsigned n)
{
    uint32_t base, off, bits;
    unsigned type = c->tr.attr & 0xFu;
    if (!c->pe || (!c->vm && (int)c->cpl <= cpu_iopl(c) && !(c->cfg.io_bitmap_cpl && c->cpl > 0))) return;
    /* Only a 386 TSS has a bitmap; its offset is the word at 0x66. */
    if ((type != 0x9 && type != 0xB) || c->tr.limit < 0x67u) cpu_fault(c, CPU_EXC_GP, 0);
    base = cpu_lrd(c, c->tr.base + 0x66u, 2, 0);
    off = base + (port >> 3);
    if (off + 1u > c->tr.limit || off < base) cpu_fault(c, CPU_EXC_GP, 0);
    bits = cpu_lrd(c, c->tr.base + off, 2, 0);
    if ((bits >> (port & 7u)) & ((1u << n) - 1u)) cpu_fault(c, CPU_EXC_GP, 0);
}

/* Real-mode clocks are in the decoded entry; protected mode is 6 less when
** CPL <= IOPL and 14 more otherwise (manual: IN al,imm8 12, pm=6*\/26**). */
static void io_clocks(cpu_state *c)
{
    if (!c->pe) return;
    if (!c->vm && (int)c->cpl <= cpu_iopl(c)) c->cycles -= 6u;
    else c->cycles += 14u;
}

uint32_t cpu_io_in(cpu_state *c, uint16_t port, unsigned n)
{
    uint32_t v = c->bus.io_in ? c->bus.io_in(c->bus.io_ctx, port, n) : 0xFFFFFFFFu;
    return v & cpu_size_mask(n);
}

void cpu_io_out(cpu_state *c, uint16_t port, unsigned n, uint32_t v)
{
    if (c->bus.io_out) c->bus.io_out(c->bus.io_ctx, port, n, v & cpu_size_mask(n));
}

/* E4/E5 (imm8 port), EC/ED (DX). */
void x_in(cpu_state *c, const cpu_insn *i)
{
    uint16_t port = (i->opc & 8u) ? (uint16_t)c->r[CPU_EDX] : (uint16_t)(i->imm & 0xFFu);
    cpu_io_check(c, port, i->opsz);
    cpu_setr(c, i->opsz, CPU_EAX, cpu_io_in(c, port, i->opsz));
    io_clocks(c);
    cpu_next(c, i);
}

/* E6/E7 (imm8 port), EE/EF (DX). */
void x_out(cpu_state *c, const cpu_insn *i)
{
    uint16_t port = (i->opc & 8u) ? (uint16_t)c->r[CPU_EDX] : (uint16_t)(i->imm & 0xFFu);
    cpu_io_check(c, port, i->opsz);
    io_clocks(c);
    cpu_next(c, i);
    cpu_io_out(c, port, i->opsz, cpu_getr(c, i->opsz, CPU_EAX));
}
