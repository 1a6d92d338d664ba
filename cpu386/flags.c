/*
** flags.c — the lazy EFLAGS state: materialising CF PF AF ZF SF OF from the last
** arithmetic result, and evaluating conditions (Jcc, SETcc, LOOPcc, CMOV-free 386).
*/
#include <assert.h>

#include "alu.h"

static uint32_t flags_szp(uint32_t res, unsigned size)
{
    uint32_t fl = cpu_parity(res) ? CPU_PF : 0;
    if (res == 0)
        fl |= CPU_ZF;
    if (res & cpu_size_sign(size))
        fl |= CPU_SF;
    return fl;
}

static uint32_t flags_add(const cpu_flags *f, uint32_t sign)
{
    uint32_t a = f->a, b = f->b, r = f->res, fl = 0;
    if (((a & b) | ((a | b) & ~r)) & sign)   /* carry out of the top bit */
        fl |= CPU_CF;
    if ((a ^ r) & (b ^ r) & sign)            /* both operands' sign differs from res */
        fl |= CPU_OF;
    return fl | ((a ^ b ^ r) & CPU_AF);
}

static uint32_t flags_sub(const cpu_flags *f, uint32_t sign)
{
    uint32_t a = f->a, b = f->b, r = f->res, fl = 0;
    if (((~a & b) | ((~a | b) & r)) & sign)  /* borrow out of the top bit */
        fl |= CPU_CF;
    if ((a ^ b) & (a ^ r) & sign)
        fl |= CPU_OF;
    return fl | ((a ^ b ^ r) & CPU_AF);
}

uint32_t cpu_flags_arith(const cpu_flags *f)
{
    uint32_t sign, fl;
    assert(f->op < CPU_LF_COUNT);
    if (f->op == CPU_LF_NONE)
        return f->eflags & CPU_ARITH_FLAGS;
    assert(f->size == 1 || f->size == 2 || f->size == 4);
    sign = cpu_size_sign(f->size);
    fl = flags_szp(f->res, f->size);
    switch (f->op) {
    case CPU_LF_ADD:
    case CPU_LF_ADC:
        return fl | flags_add(f, sign);
    case CPU_LF_SUB:
    case CPU_LF_SBB:
        return fl | flags_sub(f, sign);
    case CPU_LF_LOGIC:
        return fl;
    case CPU_LF_INC:
        fl |= f->cf_in ? CPU_CF : 0;
        fl |= (f->res == sign) ? CPU_OF : 0;
        return fl | ((f->res & 0xFu) == 0 ? CPU_AF : 0);
    case CPU_LF_DEC:
        fl |= f->cf_in ? CPU_CF : 0;
        fl |= (f->a == sign) ? CPU_OF : 0;
        return fl | ((f->res & 0xFu) == 0xFu ? CPU_AF : 0);
    default:  /* CPU_LF_SZP */
        assert((f->a & ~(uint32_t)(CPU_CF | CPU_AF | CPU_OF)) == 0);
        return fl | f->a;
    }
}

uint32_t cpu_flags_get(cpu_flags *f)
{
    if (f->op != CPU_LF_NONE) {
        f->eflags = (f->eflags & ~CPU_ARITH_FLAGS) | cpu_flags_arith(f);
        f->op = CPU_LF_NONE;
    }
    return f->eflags;
}

void cpu_flags_put(cpu_flags *f, uint32_t eflags)
{
    f->eflags = eflags;
    f->op = CPU_LF_NONE;
}

void cpu_flags_put_mask(cpu_flags *f, uint32_t eflags, uint32_t mask)
{
    /* Laziness survives writes that leave the arithmetic flags alone (CLI, STD…);
    ** a write of all six of them drops it without computing anything. */
    if ((mask & CPU_ARITH_FLAGS) != 0 && (mask & CPU_ARITH_FLAGS) != CPU_ARITH_FLAGS)
        cpu_flags_get(f);
    else if ((mask & CPU_ARITH_FLAGS) == CPU_ARITH_FLAGS)
        f->op = CPU_LF_NONE;
    f->eflags = (f->eflags & ~mask) | (eflags & mask);
}

int cpu_flags_cf(cpu_flags *f)
{
    return cpu_flags_cf_inl(f);
}

int cpu_flags_cond_slow(cpu_flags *f, unsigned cc)
{
    uint32_t fl = cpu_flags_get(f);
    int of = (fl & CPU_OF) != 0, sf = (fl & CPU_SF) != 0, zf = (fl & CPU_ZF) != 0;
    int cf = (fl & CPU_CF) != 0, r;
    assert(cc < 16);
    switch (cc >> 1) {
    case 0:  r = of; break;
    case 1:  r = cf; break;
    case 2:  r = zf; break;
    case 3:  r = cf | zf; break;
    case 4:  r = sf; break;
    case 5:  r = (fl & CPU_PF) != 0; break;
    case 6:  r = sf != of; break;
    default: r = zf | (sf != of); break;
    }
    return r ^ (int)(cc & 1u);
}

int cpu_flags_cond(cpu_flags *f, unsigned cc)
{
    assert(cc < 16);
    return cpu_flags_cond_inl(f, cc);
}
