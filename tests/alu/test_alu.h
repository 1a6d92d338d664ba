/* Shared helpers of the ALU unit tests (tests/alu). */
#ifndef VMMSIM_TEST_ALU_H
#define VMMSIM_TEST_ALU_H

#include <check.h>
#include <stdint.h>

#include "cpu386/alu.h"

#define F_CF CPU_CF
#define F_PF CPU_PF
#define F_AF CPU_AF
#define F_ZF CPU_ZF
#define F_SF CPU_SF
#define F_OF CPU_OF
#define F_ALL CPU_ARITH_FLAGS

/* A flags state with exact EFLAGS `fl` (bit 1 set, as on the CPU). */
static inline cpu_flags tf_make(uint32_t fl)
{
    cpu_flags f = {0};
    cpu_flags_put(&f, 0x2u | fl);
    return f;
}

/* Deterministic generator for the randomized checks. */
static inline uint32_t tf_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 11);
}

#define ck_flags(f, mask, want) do { \
        uint32_t got_ = cpu_flags_get(f) & (mask); \
        ck_assert_msg(got_ == ((want) & (mask)), "flags %03x want %03x (mask %03x)", \
                      (unsigned)got_, (unsigned)((want) & (mask)), (unsigned)(mask)); \
    } while (0)

Suite *alu_core_suite(void);
Suite *alu_shift_suite(void);
Suite *alu_muldiv_suite(void);
Suite *alu_bcd_suite(void);
Suite *alu_bitop_suite(void);

#endif
