/*
** muldiv.c — MUL, IMUL (one-, two- and three-operand) and DIV/IDIV, with the 386's
** data-dependent clock counts.
**
** Clocks (Intel 80386 Programmer's Reference Manual, 1986, chapter 17, MUL/IMUL):
** "The 80386 uses an early-out multiply algorithm. The actual number of clocks
** depends on the position of the most significant bit in the optimizing multiplier
** ... Actual clock = if m <> 0 then max(ceiling(log2 |m|), 3) + 6 clocks; if m = 0
** then 9 clocks (where m is the multiplier). Add three clocks if the multiplier is a
** memory operand." That gives the manual's ranges 9-14, 9-22, 9-38 (register) and
** 12-17, 12-25, 12-41 (memory). The multiplier is the r/m operand of the one- and
** two-operand forms and the immediate of the three-operand form (whose memory form,
** 12-17/12-25/12-41 in the table, also costs 3 more when r/m is memory).
** DIV r/m8/16/32: 14/17, 22/25, 38/41; IDIV: 19/22, 27/30, 43/46 (register/memory).
**
** Flags the manual leaves undefined (no 386 measurement is published for these;
** test386.asm's hardware-validated list does not cover them), chosen so:
**   MUL/IMUL: SF ZF PF from the low half of the product (what is stored in AL/AX/EAX
**             or the destination register), AF = 0. This is also what QEMU and
**             Unicorn compute, so the differential test sees no spurious noise.
**   DIV/IDIV: SF ZF PF from the quotient, AF = 1, CF = OF = 0. Intel CPUs are known
**             to change the flags on DIV (the classic Cyrix-versus-Intel probe
**             `div` then `lahf` relies on Intel's flags moving for 5/2, where a
**             Cyrix leaves them), so "unchanged" would misidentify the CPU.
** On #DE nothing changes: registers and flags are as before the instruction.
*/
#include <assert.h>
#include <stddef.h>

#include "alu.h"

static int ceil_log2(uint32_t x)
{
    assert(x != 0);
    return x == 1 ? 0 : 32 - __builtin_clz(x - 1u);
}

/* The manual's early-out formula for |m| (m the multiplier). */
static int mul_clocks(uint32_t abs_m, int mem)
{
    int c = abs_m == 0 ? 9 : (ceil_log2(abs_m) > 3 ? ceil_log2(abs_m) : 3) + 6;
    return c + (mem ? 3 : 0);
}

static int32_t sext(uint32_t v, unsigned size)
{
    unsigned sh = 32u - 8u * size;
    return (int32_t)(v << sh) >> sh;
}

static uint32_t abs32(int32_t v) { return v < 0 ? 0u - (uint32_t)v : (uint32_t)v; }

static void mul_flags(cpu_flags *f, unsigned size, int over, uint32_t low)
{
    cpu_flags_set_lazy(f, CPU_LF_SZP, size, over ? (CPU_CF | CPU_OF) : 0, 0, low);
}

int cpu_mul(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem)
{
    uint32_t m = cpu_size_mask(size), lo, hi;
    int over;
    assert(size == 1 || size == 2 || size == 4);
    assert(eax != NULL && edx != NULL);
    src &= m;
    if (!is_signed) {
        uint64_t p = (uint64_t)(*eax & m) * src;
        lo = (uint32_t)p & m;
        hi = (uint32_t)(p >> (8u * size)) & m;
        over = hi != 0;
    } else {
        int64_t p = (int64_t)sext(*eax & m, size) * sext(src, size);
        lo = (uint32_t)p & m;
        hi = (uint32_t)((uint64_t)p >> (8u * size)) & m;
        over = p != (int64_t)sext(lo, size);
    }
    if (size == 1)
        *eax = (*eax & 0xFFFF0000u) | (hi << 8) | lo;
    else {
        *eax = (*eax & ~m) | lo;
        *edx = (*edx & ~m) | hi;
    }
    mul_flags(f, size, over, lo);
    return mul_clocks(is_signed ? abs32(sext(src, size)) : src, mem);
}

uint32_t cpu_imul2(cpu_flags *f, unsigned size, uint32_t a, uint32_t b,
                   int mem, int *clocks)
{
    uint32_t m = cpu_size_mask(size), lo;
    int64_t p;
    assert(size == 2 || size == 4);
    assert(clocks != NULL);
    p = (int64_t)sext(a & m, size) * sext(b & m, size);
    lo = (uint32_t)p & m;
    mul_flags(f, size, p != (int64_t)sext(lo, size), lo);
    *clocks = mul_clocks(abs32(sext(b & m, size)), mem);
    return lo;
}

static const int div_clocks[2][5] = {
    { 0, 14, 22, 0, 38 },   /* DIV r/m8, r/m16, r/m32 */
    { 0, 19, 27, 0, 43 },   /* IDIV */
};

static int div_unsigned(unsigned size, uint32_t d, uint32_t *eax, uint32_t *edx,
                        uint32_t *q, uint32_t *r)
{
    uint32_t m = cpu_size_mask(size);
    uint64_t n = size == 1 ? (*eax & 0xFFFFu)
               : ((uint64_t)(*edx & m) << (8u * size)) | (*eax & m);
    uint64_t qq = n / d;
    if (qq > m)
        return -1;
    *q = (uint32_t)qq;
    *r = (uint32_t)(n % d);
    return 0;
}

static int div_signed(unsigned size, uint32_t d, uint32_t *eax, uint32_t *edx,
                      uint32_t *q, uint32_t *r)
{
    uint32_t m = cpu_size_mask(size);
    int64_t n, dv = sext(d, size), qq, lim = (int64_t)1 << (8u * size - 1u);
    if (size == 1)
        n = (int16_t)(*eax & 0xFFFFu);
    else if (size == 2)
        n = (int32_t)(((*edx & 0xFFFFu) << 16) | (*eax & 0xFFFFu));
    else
        n = (int64_t)(((uint64_t)*edx << 32) | *eax);
    if (n == INT64_MIN && dv == -1)   /* the quotient 2^63 overflows even int64 */
        return -1;
    qq = n / dv;
    if (qq < -lim || qq >= lim)
        return -1;
    *q = (uint32_t)qq & m;
    *r = (uint32_t)(n % dv) & m;
    return 0;
}

int cpu_div(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem)
{
    uint32_t m = cpu_size_mask(size), q = 0, r = 0;
    int rc;
    assert(size == 1 || size == 2 || size == 4);
    assert(eax != NULL && edx != NULL);
    src &= m;
    if (src == 0)
        return -1;
    rc = is_signed ? div_signed(size, src, eax, edx, &q, &r)
                   : div_unsigned(size, src, eax, edx, &q, &r);
    if (rc < 0)
        return -1;
    if (size == 1)
        *eax = (*eax & 0xFFFF0000u) | (r << 8) | q;
    else {
        *eax = (*eax & ~m) | q;
        *edx = (*edx & ~m) | r;
    }
    cpu_flags_set_lazy(f, CPU_LF_SZP, size, CPU_AF, 0, q);
    return div_clocks[is_signed != 0][size] + (mem ? 3 : 0);
}
