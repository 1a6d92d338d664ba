/*
** bcd.c — DAA, DAS, AAA, AAS, AAM, AAD on AL/AH inside EAX.
**
** Defined behaviour: Intel 80386 Programmer's Reference Manual (1986), chapter 17,
** as refined by what 386 hardware does (test386.asm's test386-EE-reference.txt):
**   AAA adds 106h to AX (a carry out of AL reaches AH: 05FAh -> 0700h), AAS
**   subtracts 6 from AX and 1 from AH (0205h -> 000Fh); DAA/DAS test the AL value
**   from before the instruction against 99h, and DAS keeps the borrow of AL - 6.
** Undefined flags, as a 386SX sets them (test386.asm, POST E0 "undefined
** behaviours", validated against 386SX hardware; cases in tests/alu):
**   AAA/AAS:  PF ZF SF OF are those of the byte ADD/SUB AL, 6 when adjusting, and of
**             AL +/- 0 otherwise (before AL is masked to its low nibble).
**   DAA/DAS:  OF is the overflow of old AL +/- the whole adjustment (06h, 60h, 66h).
**   AAM:      CF = OF = AF = 0 (SF ZF PF from the new AL, as defined).
**   AAD:      CF AF OF are those of the byte ADD AL, AH * base.
** With CPU_UNDEF_LATER (later CPUs, QEMU): AAA/AAS leave PF ZF SF OF unchanged, AAD
** clears CF AF OF, DAA/DAS clear OF.
** Clock counts are fixed (CPU_CLOCKS_DAA … in alu.h).
*/
#include <assert.h>
#include <stddef.h>

#include "alu.h"

static uint32_t add8_flags(uint32_t a, uint32_t b, uint32_t r)
{
    uint32_t fl = 0;
    if ((a + b) & 0x100u)
        fl |= CPU_CF;
    if ((a ^ r) & (b ^ r) & 0x80u)
        fl |= CPU_OF;
    return fl | ((a ^ b ^ r) & CPU_AF);
}

static uint32_t sub8_of(uint32_t a, uint32_t b, uint32_t r)
{
    return ((a ^ b) & (a ^ r) & 0x80u) ? CPU_OF : 0;
}

static void set_al(uint32_t *eax, uint32_t al) { *eax = (*eax & ~0xFFu) | (al & 0xFFu); }

void cpu_bcd_daa(cpu_flags *f, uint32_t *eax)
{
    uint32_t fl = cpu_flags_get(f), old = *eax & 0xFFu, al = old, cf = 0, af = 0;
    assert(eax != NULL);
    if ((al & 0xFu) > 9 || (fl & CPU_AF)) {
        cf = (al + 6u) >> 8;
        al = (al + 6u) & 0xFFu;
        af = CPU_AF;
    }
    if (old > 0x99u || (fl & CPU_CF)) {
        al = (al + 0x60u) & 0xFFu;
        cf = 1;
    }
    set_al(eax, al);
    cpu_flags_set_lazy(f, CPU_LF_SZP, 1,
                       (cf ? CPU_CF : 0) | af | (f->undef == CPU_UNDEF_LATER ? 0u :
                       add8_flags(old, (al - old) & 0xFFu, al) & CPU_OF), 0, al);
}

void cpu_bcd_das(cpu_flags *f, uint32_t *eax)
{
    uint32_t fl = cpu_flags_get(f), old = *eax & 0xFFu, al = old, cf = 0, af = 0;
    assert(eax != NULL);
    if ((al & 0xFu) > 9 || (fl & CPU_AF)) {
        cf = al < 6u;
        al = (al - 6u) & 0xFFu;
        af = CPU_AF;
    }
    if (old > 0x99u || (fl & CPU_CF)) {
        al = (al - 0x60u) & 0xFFu;
        cf = 1;
    }
    set_al(eax, al);
    cpu_flags_set_lazy(f, CPU_LF_SZP, 1, (cf ? CPU_CF : 0) | af |
                       (f->undef == CPU_UNDEF_LATER ? 0u : sub8_of(old, (old - al) & 0xFFu, al)),
                       0, al);
}

/* AAA/AAS record SF ZF PF from the intermediate AL (see above), so they store the
** flags eagerly rather than lazily from the final AL. */
static void put_arith(cpu_flags *f, uint32_t arith)
{
    cpu_flags_put_mask(f, arith, CPU_ARITH_FLAGS);
}

static uint32_t szp8(uint32_t v)
{
    return (cpu_parity(v) ? CPU_PF : 0) | (v == 0 ? CPU_ZF : 0) | (v & 0x80u ? CPU_SF : 0);
}

void cpu_bcd_aaa(cpu_flags *f, uint32_t *eax)
{
    uint32_t fl = cpu_flags_get(f), al = *eax & 0xFFu, adj = 0, t, out;
    assert(eax != NULL);
    if ((al & 0xFu) > 9 || (fl & CPU_AF))
        adj = 6;
    t = (al + adj) & 0xFFu;
    out = f->undef == CPU_UNDEF_LATER ? (fl & (CPU_OF | CPU_SF | CPU_ZF | CPU_PF))
                                      : szp8(t) | (add8_flags(al, adj, t) & CPU_OF);
    if (adj) {
        *eax = (*eax & 0xFFFF0000u) | ((*eax + 0x106u) & 0xFFFFu);
        out |= CPU_CF | CPU_AF;
    }
    *eax &= 0xFFFFFF0Fu;
    put_arith(f, out);
}

void cpu_bcd_aas(cpu_flags *f, uint32_t *eax)
{
    uint32_t fl = cpu_flags_get(f), al = *eax & 0xFFu, adj = 0, t, out, ax;
    assert(eax != NULL);
    if ((al & 0xFu) > 9 || (fl & CPU_AF))
        adj = 6;
    t = (al - adj) & 0xFFu;
    out = f->undef == CPU_UNDEF_LATER ? (fl & (CPU_OF | CPU_SF | CPU_ZF | CPU_PF))
                                      : szp8(t) | sub8_of(al, adj, t);
    if (adj) {
        ax = (*eax - 6u) & 0xFFFFu;
        ax = (ax - 0x100u) & 0xFFFFu;
        *eax = (*eax & 0xFFFF0000u) | ax;
        out |= CPU_CF | CPU_AF;
    }
    *eax &= 0xFFFFFF0Fu;
    put_arith(f, out);
}

int cpu_bcd_aam(cpu_flags *f, uint32_t *eax, uint8_t base)
{
    uint32_t al = *eax & 0xFFu, q, r;
    assert(eax != NULL);
    if (base == 0)
        return -1;   /* #DE; nothing changes */
    q = al / base;
    r = al % base;
    *eax = (*eax & 0xFFFF0000u) | (q << 8) | r;
    cpu_flags_set_lazy(f, CPU_LF_SZP, 1, 0, 0, r);
    return 0;
}

void cpu_bcd_aad(cpu_flags *f, uint32_t *eax, uint8_t base)
{
    uint32_t al = *eax & 0xFFu, ah = (*eax >> 8) & 0xFFu;
    uint32_t b = (ah * base) & 0xFFu, r = (al + b) & 0xFFu;
    assert(eax != NULL);
    *eax = (*eax & 0xFFFF0000u) | r;
    cpu_flags_set_lazy(f, CPU_LF_SZP, 1,
                       f->undef == CPU_UNDEF_LATER ? 0u : add8_flags(al, b, r), 0, r);
}
