/*
** shift.c — group-2 shifts and rotates, SHLD/SHRD, with the 80386's flags.
**
** Every count is masked to 5 bits first (the 386 does so in all modes); a masked
** count of 0 changes nothing. Defined flags follow the Intel 80386 Programmer's
** Reference Manual (1986), chapter 17. Flags the manual leaves undefined are set as
** a 386 sets them, from test386.asm's "undefined behaviours" test (POST E0,
** src/test386.asm, "validated against 386SX hardware"; see tests/alu for the cases):
**   SHL/SHR/SAL:  AF = 1 for any count > 0.
**                 OF for count > 1 "set according to result", i.e. the count-1 formula
**                 applied to the result: SHL OF = CF ^ MSB(res); SHR OF = MSB(res) ^
**                 the bit below it (which for count 1 is MSB(dst), as defined).
**                 CF for byte/word counts >= the width: SHR by 8/16/24 of a byte
**                 gives MSB(dst), SHL gives LSB(dst) — the shifter sees the operand
**                 repeated every `width` bits, so CF is the bit at index
**                 (count-1) mod width (SHR) or (width-count) mod width (SHL).
**                 The result itself is 0.
**   SAR:          AF = 1 and OF = 0 as for SHL/SHR (extrapolated: same shifter);
**                 CF = the sign for byte/word counts >= the width.
**   ROL/ROR:      only CF and OF change; OF for counts > 1 uses the count-1 formula
**                 on the result (ROL: MSB(res) ^ CF; ROR: MSB(res) ^ next bit).
**   RCL/RCR:      byte/word counts rotate through CF modulo 9/17 of the masked
**                 count. When that is 0 (count 9, 18, 27 bytes; 17 words) value and
**                 CF are unchanged but OF is still computed from the result (RCL:
**                 MSB(res) ^ CF; RCR: MSB(res) ^ next bit), as test386 shows.
**   SHLD/SHRD:    AF = 1 as for shifts; OF by the SHL/SHR result formula. A word
**                 count of 17..31 shifts on through the 48-bit dst:src:dst.
** With CPU_UNDEF_LATER, AF is 0 after SHL/SHR/SAR/SHLD/SHRD, as on later CPUs and
** QEMU (the OF formulas above agree with them).
*/
#include <assert.h>

#include "alu.h"

static void set_cf_of(cpu_flags *f, uint32_t cf, uint32_t of)
{
    uint32_t fl = cpu_flags_get(f) & ~(uint32_t)(CPU_CF | CPU_OF);
    f->eflags = fl | (cf ? CPU_CF : 0) | (of ? CPU_OF : 0);
}

/* Records a shift's result: CF/AF/OF given, PF ZF SF lazily from res. */
static uint32_t shift_done(cpu_flags *f, unsigned size, uint32_t res, uint32_t cf,
                           uint32_t of)
{
    uint32_t af = f->undef == CPU_UNDEF_LATER ? 0u : CPU_AF;   /* later CPUs: AF = 0 */
    uint32_t fl = af | (cf ? CPU_CF : 0) | (of ? CPU_OF : 0);
    cpu_flags_set_lazy(f, CPU_LF_SZP, size, fl, 0, res);
    return res;
}

static uint32_t msb(uint32_t v, unsigned bits) { return (v >> (bits - 1u)) & 1u; }

static uint32_t sh_rol(cpu_flags *f, unsigned bits, uint32_t a, unsigned c)
{
    unsigned r = c & (bits - 1u);
    uint32_t m = 0xFFFFFFFFu >> (32u - bits);
    uint32_t res = r ? ((a << r) | (a >> (bits - r))) & m : a;
    uint32_t cf = res & 1u;
    set_cf_of(f, cf, msb(res, bits) ^ cf);
    return res;
}

static uint32_t sh_ror(cpu_flags *f, unsigned bits, uint32_t a, unsigned c)
{
    unsigned r = c & (bits - 1u);
    uint32_t m = 0xFFFFFFFFu >> (32u - bits);
    uint32_t res = r ? ((a >> r) | (a << (bits - r))) & m : a;
    set_cf_of(f, msb(res, bits), msb(res, bits) ^ msb(res, bits - 1u));
    return res;
}

static uint32_t sh_rcl(cpu_flags *f, unsigned bits, uint32_t a, unsigned c)
{
    uint64_t v = ((uint64_t)cpu_flags_cf(f) << bits) | a;
    uint64_t m = ((uint64_t)1 << (bits + 1u)) - 1u;
    unsigned r = c % (bits + 1u);
    uint32_t res, cf;
    if (r)
        v = ((v << r) | (v >> (bits + 1u - r))) & m;
    res = (uint32_t)v & (uint32_t)(m >> 1);
    cf = (uint32_t)(v >> bits) & 1u;
    set_cf_of(f, cf, msb(res, bits) ^ cf);
    return res;
}

static uint32_t sh_rcr(cpu_flags *f, unsigned bits, uint32_t a, unsigned c)
{
    uint64_t v = ((uint64_t)cpu_flags_cf(f) << bits) | a;
    uint64_t m = ((uint64_t)1 << (bits + 1u)) - 1u;
    unsigned r = c % (bits + 1u);
    uint32_t res, cf;
    if (r)
        v = ((v >> r) | (v << (bits + 1u - r))) & m;
    res = (uint32_t)v & (uint32_t)(m >> 1);
    cf = (uint32_t)(v >> bits) & 1u;
    set_cf_of(f, cf, msb(res, bits) ^ msb(res, bits - 1u));
    return res;
}

uint32_t cpu_shift(cpu_flags *f, unsigned op, unsigned size, uint32_t a, uint8_t count)
{
    unsigned c = count & 31u, bits = 8u * size;
    uint32_t m = cpu_size_mask(size), res, cf;
    assert(op <= CPU_SH_SAR);
    assert(size == 1 || size == 2 || size == 4);
    a &= m;
    if (c == 0)
        return a;
    switch (op) {
    case CPU_SH_ROL: return sh_rol(f, bits, a, c);
    case CPU_SH_ROR: return sh_ror(f, bits, a, c);
    case CPU_SH_RCL: return sh_rcl(f, bits, a, c);
    case CPU_SH_RCR: return sh_rcr(f, bits, a, c);
    case CPU_SH_SHL:
    case CPU_SH_SAL:
        res = c < bits ? (a << c) & m : 0;
        cf = (a >> ((bits - c) & (bits - 1u))) & 1u;
        return shift_done(f, size, res, cf, cf ^ msb(res, bits));
    case CPU_SH_SHR:
        res = c < bits ? a >> c : 0;
        cf = (a >> ((c - 1u) & (bits - 1u))) & 1u;
        return shift_done(f, size, res, cf, msb(res, bits) ^ msb(res, bits - 1u));
    default: {  /* CPU_SH_SAR: on the sign-extended value, counts >= width give all sign */
        int32_t s = (int32_t)(a << (32u - bits)) >> (32u - bits);
        res = (uint32_t)(s >> c) & m;
        cf = (uint32_t)(s >> (c - 1u)) & 1u;
        return shift_done(f, size, res, cf, 0);
    }
    }
}

uint32_t cpu_shld(cpu_flags *f, unsigned size, uint32_t dst, uint32_t src, uint8_t count)
{
    unsigned c = count & 31u, bits = 8u * size;
    uint32_t m = cpu_size_mask(size), res, cf;
    uint64_t v;
    assert(size == 2 || size == 4);
    dst &= m;
    src &= m;
    if (c == 0)
        return dst;
    if (size == 4) {
        v = ((uint64_t)dst << 32) | src;
        res = (uint32_t)((v << c) >> 32);
        cf = (dst >> (32u - c)) & 1u;
    } else {
        v = ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst;   /* 48 bits */
        res = (uint32_t)((v << c) >> 32) & m;
        cf = (uint32_t)(v >> (48u - c)) & 1u;
    }
    return shift_done(f, size, res, cf, cf ^ msb(res, bits));
}

uint32_t cpu_shrd(cpu_flags *f, unsigned size, uint32_t dst, uint32_t src, uint8_t count)
{
    unsigned c = count & 31u, bits = 8u * size;
    uint32_t m = cpu_size_mask(size), res, cf;
    uint64_t v;
    assert(size == 2 || size == 4);
    dst &= m;
    src &= m;
    if (c == 0)
        return dst;
    if (size == 4)
        v = ((uint64_t)src << 32) | dst;
    else
        v = ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst;   /* 48 bits */
    res = (uint32_t)(v >> c) & m;
    cf = (uint32_t)(v >> (c - 1u)) & 1u;
    return shift_done(f, size, res, cf, msb(res, bits) ^ msb(res, bits - 1u));
}
