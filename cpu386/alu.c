/*
** alu.c — group-1 arithmetic/logic, INC/DEC/NEG/TEST. Each records its operands and
** result in the lazy flags state; no flag is computed here (flags.c does it on read).
*/
#include <assert.h>

#include "alu.h"

uint32_t cpu_alu(cpu_flags *f, unsigned op, unsigned size, uint32_t a, uint32_t b)
{
    assert(op <= CPU_ALU_CMP);
    assert(size == 1 || size == 2 || size == 4);
    return cpu_alu_inl(f, op, size, a, b);
}

uint32_t cpu_alu_inc(cpu_flags *f, unsigned size, uint32_t a)
{
    uint32_t m = cpu_size_mask(size), r;
    assert(size == 1 || size == 2 || size == 4);
    f->cf_in = (uint8_t)cpu_flags_cf_inl(f);   /* INC keeps CF: capture it first */
    a &= m;
    r = (a + 1u) & m;
    cpu_flags_set_lazy(f, CPU_LF_INC, size, a, 1u, r);
    return r;
}

uint32_t cpu_alu_dec(cpu_flags *f, unsigned size, uint32_t a)
{
    uint32_t m = cpu_size_mask(size), r;
    assert(size == 1 || size == 2 || size == 4);
    f->cf_in = (uint8_t)cpu_flags_cf_inl(f);
    a &= m;
    r = (a - 1u) & m;
    cpu_flags_set_lazy(f, CPU_LF_DEC, size, a, 1u, r);
    return r;
}

uint32_t cpu_alu_neg(cpu_flags *f, unsigned size, uint32_t a)
{
    /* NEG is 0 - a: CF = (a != 0), OF = (a == the most negative value), as SUB. */
    uint32_t m = cpu_size_mask(size), r;
    assert(size == 1 || size == 2 || size == 4);
    a &= m;
    r = (0u - a) & m;
    cpu_flags_set_lazy(f, CPU_LF_SUB, size, 0u, a, r);
    return r;
}

void cpu_alu_test(cpu_flags *f, unsigned size, uint32_t a, uint32_t b)
{
    uint32_t m = cpu_size_mask(size);
    assert(size == 1 || size == 2 || size == 4);
    cpu_flags_set_lazy(f, CPU_LF_LOGIC, size, a & m, b & m, a & b & m);
}
