/*
** bitop.c — BT/BTS/BTR/BTC and BSF/BSR.
**
** BT*: CF = the selected bit (Intel 80386 Programmer's Reference Manual, 1986, ch.
** 17). The manual leaves OF SF ZF AF PF undefined; a 386SX leaves SF ZF AF PF alone
** and sets OF "same as RCR with CF=0" (test386.asm, POST E0, validated against 386SX
** hardware): the bit test is done by rotating the operand right through a cleared
** CF by bit+1 places, and OF is the top two bits of that rotation XORed, i.e.
** bit(bit-1) ^ bit(bit-2) of the operand, where bit(-1) is the cleared CF and
** bit(-2) the operand's top bit (value 1: bit 0 -> OF 0, bits 1 and 2 -> OF 1,
** bit 3 -> OF 0, as measured).
**
** BSF/BSR: ZF = (src == 0); with a zero source the destination is left unchanged
** (what the 386 does; Intel documents it as undefined) and so are CF OF SF AF PF.
** Clocks 10+3n (manual): n is the number of bit positions scanned past the first
** one examined, i.e. the index found for BSF and width-1-index for BSR, and the
** full width when the source is zero.
*/
#include <assert.h>
#include <stddef.h>

#include "alu.h"

static uint32_t bit_of(uint32_t v, int i, unsigned bits)
{
    if (i == -1)
        return 0;                            /* the cleared CF rotated in */
    if (i == -2)
        return (v >> (bits - 1u)) & 1u;      /* the operand's top bit */
    return (v >> i) & 1u;
}

uint32_t cpu_bitop(cpu_flags *f, unsigned op, unsigned size, uint32_t v, unsigned bit)
{
    unsigned bits = 8u * size;
    uint32_t m = cpu_size_mask(size), cf, of, fl;
    assert(op <= CPU_BT_BTC);
    assert(size == 2 || size == 4);
    assert(bit < bits);
    v &= m;
    cf = (v >> bit) & 1u;
    fl = cpu_flags_get(f);
    of = f->undef == CPU_UNDEF_LATER ? (fl & CPU_OF) != 0   /* later CPUs keep OF */
       : bit_of(v, (int)bit - 1, bits) ^ bit_of(v, (int)bit - 2, bits);
    fl &= ~(uint32_t)(CPU_CF | CPU_OF);
    f->eflags = fl | (cf ? CPU_CF : 0) | (of ? CPU_OF : 0);
    switch (op) {
    case CPU_BT_BTS: return v | (1u << bit);
    case CPU_BT_BTR: return v & ~(1u << bit);
    case CPU_BT_BTC: return v ^ (1u << bit);
    default:         return v;
    }
}

/* ZF = (src == 0); with CPU_UNDEF_LATER also CF = OF = AF = 0 and SF PF from src,
** as later CPUs and QEMU leave them (the 386 keeps them). */
static void set_zf(cpu_flags *f, uint32_t src, unsigned size)
{
    uint32_t fl = cpu_flags_get(f) & ~(uint32_t)CPU_ZF;
    if (f->undef == CPU_UNDEF_LATER) {
        fl &= ~(uint32_t)(CPU_CF | CPU_OF | CPU_AF | CPU_SF | CPU_PF);
        fl |= (cpu_parity(src) ? CPU_PF : 0) | ((src & cpu_size_sign(size)) ? CPU_SF : 0);
    }
    f->eflags = fl | (src == 0 ? CPU_ZF : 0);
}

uint32_t cpu_bsf(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks)
{
    unsigned bits = 8u * size, i;
    assert(size == 2 || size == 4);
    assert(clocks != NULL);
    src &= cpu_size_mask(size);
    set_zf(f, src, size);
    if (src == 0) {
        *clocks = 10 + 3 * (int)bits;
        return dst;
    }
    i = (unsigned)__builtin_ctz(src);
    *clocks = 10 + 3 * (int)i;
    return i;
}

uint32_t cpu_bsr(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks)
{
    unsigned bits = 8u * size, i;
    assert(size == 2 || size == 4);
    assert(clocks != NULL);
    src &= cpu_size_mask(size);
    set_zf(f, src, size);
    if (src == 0) {
        *clocks = 10 + 3 * (int)bits;
        return dst;
    }
    i = 31u - (unsigned)__builtin_clz(src);
    *clocks = 10 + 3 * (int)(bits - 1u - i);
    return i;
}
