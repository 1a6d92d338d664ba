/* Shifts and rotates: defined flags against the manual's bit-by-bit loops, and the
** undefined flags against test386.asm's 386SX-validated cases (POST E0). */
#include "test_alu.h"

/* The manual's pseudo-code, one bit per iteration (Intel 80386 PRM, SAL/SAR/SHL/SHR
** and RCL/RCR/ROL/ROR): an independent reference for result and CF. */
static uint32_t loop_shift(unsigned op, unsigned size, uint32_t v, unsigned count, int *cf)
{
    unsigned bits = 8u * size, i;
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << bits) - 1u, top = 1u << (bits - 1u);
    v &= m;
    for (i = 0; i < count; i++) {
        uint32_t hi = (v & top) != 0, lo = v & 1u;
        switch (op) {
        case CPU_SH_ROL: v = ((v << 1) | hi) & m; *cf = (int)(v & 1u); break;
        case CPU_SH_ROR: v = (v >> 1) | (lo ? top : 0); *cf = (int)((v & top) != 0); break;
        case CPU_SH_RCL: v = ((v << 1) | (uint32_t)*cf) & m; *cf = (int)hi; break;
        case CPU_SH_RCR: v = (v >> 1) | (*cf ? top : 0); *cf = (int)lo; break;
        case CPU_SH_SHL: case CPU_SH_SAL: *cf = (int)hi; v = (v << 1) & m; break;
        case CPU_SH_SHR: *cf = (int)lo; v >>= 1; break;
        default:         *cf = (int)lo; v = (v >> 1) | (v & top); break;
        }
    }
    return v;
}

START_TEST(shift_rotate_vs_manual_loops)
{
    static const unsigned sizes[] = { 1, 2, 4 };
    uint64_t s = 0x5157u;
    int n;
    for (n = 0; n < 100000; n++) {
        unsigned op = tf_rand(&s) & 7u, size = sizes[tf_rand(&s) % 3], bits = 8u * size;
        unsigned count = 1u + tf_rand(&s) % 31u;
        uint32_t v = tf_rand(&s) ^ (tf_rand(&s) << 9), r, fl0 = tf_rand(&s) & F_ALL;
        int cf = (int)(fl0 & F_CF);
        cpu_flags f = tf_make(fl0);
        if ((op >= CPU_SH_SHL && op != CPU_SH_SAR) && count >= bits)
            count = 1u + count % (bits - 1u);   /* >= width: checked by the E0 cases */
        r = cpu_shift(&f, op, size, v, (uint8_t)(count | (tf_rand(&s) & 0xE0u)));
        ck_assert_uint_eq(r, loop_shift(op, size, v, count, &cf));
        ck_flags(&f, F_CF, cf ? F_CF : 0);
        if (op >= CPU_SH_SHL) {   /* SF ZF PF from the result */
            uint32_t top = (r >> (bits - 1u)) & 1u;
            ck_flags(&f, F_ZF | F_SF, (r == 0 ? F_ZF : 0) | (top ? F_SF : 0));
            ck_flags(&f, F_PF, cpu_parity(r) ? F_PF : 0);
        } else {                  /* rotates leave SF ZF AF PF alone */
            ck_flags(&f, F_SF | F_ZF | F_AF | F_PF, fl0);
        }
        if (count == 1) {         /* OF is defined for 1-bit shifts */
            uint32_t top = (r >> (bits - 1u)) & 1u, next = (r >> (bits - 2u)) & 1u;
            uint32_t of;
            if (op == CPU_SH_SAR)
                of = 0;
            else if (op == CPU_SH_ROL || op == CPU_SH_RCL || op == CPU_SH_SHL || op == CPU_SH_SAL)
                of = top ^ (uint32_t)cf;
            else if (op == CPU_SH_SHR)
                of = (v >> (bits - 1u)) & 1u;
            else
                of = top ^ next;
            ck_flags(&f, F_OF, of ? F_OF : 0);
        }
    }
}
END_TEST

START_TEST(shift_count_zero_and_32_change_nothing)
{
    unsigned op;
    for (op = 0; op < 8; op++) {
        cpu_flags f = tf_make(0);
        cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);       /* lazy CF SF AF PF */
        ck_assert_uint_eq(cpu_shift(&f, op, 4, 0x12345678u, 0), 0x12345678u);
        ck_assert_uint_eq(cpu_shift(&f, op, 1, 0x81, 32), 0x81);
        ck_assert_uint_eq(cpu_shift(&f, op, 2, 0x8001, 64), 0x8001);
        ck_flags(&f, F_ALL, F_CF | F_SF | F_AF | F_PF);
    }
}
END_TEST

START_TEST(shift_defined_edges)
{
    cpu_flags f = tf_make(0);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SHL, 4, 0x80000001u, 1), 2);
    ck_flags(&f, F_CF | F_OF | F_ZF | F_SF, F_CF | F_OF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SHL, 4, 1, 31), 0x80000000u);
    ck_flags(&f, F_CF | F_SF | F_ZF, F_SF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SHL, 4, 3, 33), 6);   /* masked to 1 */
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SHR, 4, 0x80000000u, 31), 1);
    ck_flags(&f, F_CF | F_ZF, 0);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SAR, 4, 0x80000000u, 31), 0xFFFFFFFFu);
    ck_flags(&f, F_CF | F_SF | F_OF, F_SF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SAR, 1, 0x80, 9), 0xFF);   /* >= width: sign */
    ck_flags(&f, F_CF | F_SF, F_CF | F_SF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_SAR, 2, 0x4000, 20), 0);
    ck_flags(&f, F_CF | F_ZF, F_ZF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_ROL, 4, 0x80000000u, 1), 1);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_ROR, 1, 0x01, 1), 0x80);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_ROL, 1, 0x81, 8), 0x81);   /* full turn */
    ck_flags(&f, F_CF, F_CF);
    /* RCL/RCR rotate through CF modulo 9 (byte) / 17 (word) of the masked count */
    cpu_flags_put(&f, 0x2 | F_CF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_RCL, 1, 0x80, 10), 0x01);  /* = RCL 1 */
    ck_flags(&f, F_CF, F_CF);
    cpu_flags_put(&f, 0x2);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_RCR, 2, 0x0001, 18), 0x0000);  /* = RCR 1 */
    ck_flags(&f, F_CF, F_CF);
    cpu_flags_put(&f, 0x2 | F_CF);
    ck_assert_uint_eq(cpu_shift(&f, CPU_SH_RCL, 4, 0, 31), 0x40000000u);
    ck_flags(&f, F_CF, 0);
}
END_TEST

struct e0_case { unsigned op, size; uint32_t v; uint8_t count; uint32_t fin, fout; };

/* test386.asm src/test386.asm, POST E0, "validated against 386SX hardware". The
** flags compared are all six arithmetic flags. */
static const struct e0_case e0_shift[] = {
    { CPU_SH_SHR, 1, 0x81, 1, 0, F_CF | F_AF | F_OF },
    { CPU_SH_SHR, 1, 0x82, 2, 0, F_CF | F_AF },
    { CPU_SH_SHR, 1, 0x80, 8, 0, F_CF | F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x00, 8, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x80, 16, 0, F_CF | F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x00, 16, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x80, 24, 0, F_CF | F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x00, 24, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 1, 0x80, 32, 0, 0 },
    { CPU_SH_SHR, 2, 0x8000, 16, 0, F_CF | F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 2, 0x0000, 16, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHR, 2, 0x8000, 32, 0, 0 },
    { CPU_SH_SHL, 1, 0x81, 1, 0, F_CF | F_AF | F_OF },
    { CPU_SH_SHL, 1, 0x41, 2, 0, F_CF | F_AF | F_OF },
    { CPU_SH_SHL, 1, 0x01, 8, 0, F_CF | F_PF | F_AF | F_ZF | F_OF },
    { CPU_SH_SHL, 1, 0x00, 8, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHL, 1, 0x01, 16, 0, F_CF | F_PF | F_AF | F_ZF | F_OF },
    { CPU_SH_SHL, 1, 0x00, 16, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHL, 1, 0x01, 24, 0, F_CF | F_PF | F_AF | F_ZF | F_OF },
    { CPU_SH_SHL, 1, 0x00, 24, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHL, 1, 0x01, 32, 0, 0 },
    { CPU_SH_SHL, 2, 0x01, 16, 0, F_CF | F_PF | F_AF | F_ZF | F_OF },
    { CPU_SH_SHL, 2, 0x00, 16, F_CF, F_PF | F_AF | F_ZF },
    { CPU_SH_SHL, 2, 0x01, 32, 0, 0 },
    { CPU_SH_RCR, 1, 0, 9, 0, 0 },
    { CPU_SH_RCR, 1, 0, 9, F_CF | F_OF, F_CF },
    { CPU_SH_RCR, 1, 0x40, 9, 0, F_OF },
    { CPU_SH_RCR, 1, 0x40, 9, F_CF | F_OF, F_CF | F_OF },
    { CPU_SH_RCR, 2, 0, 17, 0, 0 },
    { CPU_SH_RCR, 2, 0, 17, F_CF | F_OF, F_CF },
    { CPU_SH_RCR, 2, 0x4000, 17, 0, F_OF },
    { CPU_SH_RCR, 2, 0x4000, 17, F_CF | F_OF, F_CF | F_OF },
    { CPU_SH_RCL, 1, 0, 9, 0, 0 },
    { CPU_SH_RCL, 1, 0, 9, F_CF | F_OF, F_CF | F_OF },
    { CPU_SH_RCL, 1, 0x80, 9, 0, F_OF },
    { CPU_SH_RCL, 1, 0x80, 9, F_CF | F_OF, F_CF },
    { CPU_SH_RCL, 2, 0, 17, 0, 0 },
    { CPU_SH_RCL, 2, 0, 17, F_CF | F_OF, F_CF | F_OF },
    { CPU_SH_RCL, 2, 0x8000, 17, 0, F_OF },
    { CPU_SH_RCL, 2, 0x8000, 17, F_CF | F_OF, F_CF },
};

START_TEST(shift_undefined_flags_as_386sx)
{
    size_t i;
    for (i = 0; i < sizeof e0_shift / sizeof e0_shift[0]; i++) {
        const struct e0_case *c = &e0_shift[i];
        cpu_flags f = tf_make(c->fin);
        uint32_t r = cpu_shift(&f, c->op, c->size, c->v, c->count);
        uint32_t got = cpu_flags_get(&f) & F_ALL;
        ck_assert_msg(got == c->fout, "E0 case %zu (op %u size %u v %x count %u): "
                      "flags %03x want %03x", i, c->op, c->size, c->v, c->count, got, c->fout);
        if (c->op == CPU_SH_RCL || c->op == CPU_SH_RCR || (c->count & 31u) == 0)
            ck_assert_uint_eq(r, c->v);          /* full turns and count 0: unchanged */
        else if (c->count >= 8u * c->size)
            ck_assert_uint_eq(r, 0);             /* everything shifted out */
        else if (c->op == CPU_SH_SHR)
            ck_assert_uint_eq(r, c->v >> c->count);
        else
            ck_assert_uint_eq(r, (c->v << c->count) & (c->size == 1 ? 0xFFu : 0xFFFFu));
    }
}
END_TEST

START_TEST(shld_shrd)
{
    cpu_flags f = tf_make(0);
    ck_assert_uint_eq(cpu_shld(&f, 4, 0x12345678u, 0x9ABCDEF0u, 8), 0x3456789Au);
    ck_flags(&f, F_CF | F_ZF | F_SF, 0);
    ck_assert_uint_eq(cpu_shrd(&f, 4, 0x12345678u, 0x9ABCDEF0u, 8), 0xF0123456u);
    ck_flags(&f, F_CF | F_ZF | F_SF, F_SF);
    ck_assert_uint_eq(cpu_shld(&f, 4, 0x80000000u, 0, 1), 0);
    ck_flags(&f, F_CF | F_ZF | F_OF | F_PF, F_CF | F_ZF | F_OF | F_PF);
    ck_assert_uint_eq(cpu_shrd(&f, 2, 0x0001, 0x8000, 1), 0x0000);
    ck_flags(&f, F_CF | F_ZF | F_OF, F_CF | F_ZF);
    ck_assert_uint_eq(cpu_shld(&f, 2, 0x1234, 0xABCD, 40), 0x34AB);   /* masked to 8 */
    ck_assert_uint_eq(cpu_shld(&f, 4, 0xDEADBEEFu, 0, 32), 0xDEADBEEFu);  /* count 0 */
    /* word counts 17..31 continue through dst:src:dst */
    ck_assert_uint_eq(cpu_shld(&f, 2, 0x1234, 0xABCD, 20), 0xBCD1);
    ck_assert_uint_eq(cpu_shrd(&f, 2, 0x1234, 0xABCD, 20), 0x4ABC);
}
END_TEST

Suite *alu_shift_suite(void)
{
    Suite *s = suite_create("alu_shift");
    TCase *tc = tcase_create("alu_shift");
    tcase_add_test(tc, shift_rotate_vs_manual_loops);
    tcase_add_test(tc, shift_count_zero_and_32_change_nothing);
    tcase_add_test(tc, shift_defined_edges);
    tcase_add_test(tc, shift_undefined_flags_as_386sx);
    tcase_add_test(tc, shld_shrd);
    suite_add_tcase(s, tc);
    return s;
}
