/* MUL/IMUL/DIV/IDIV: results, CF/OF, #DE, and the manual's clock counts. */
#include "test_alu.h"

START_TEST(mul_results_cf_of)
{
    cpu_flags f = tf_make(0);
    uint32_t eax, edx;
    eax = 0xAABBCC80u; edx = 0x11111111u;   /* MUL r/m8: AX = AL * src */
    ck_assert_int_eq(cpu_mul(&f, 1, 0, 2, &eax, &edx, 0), 9);
    ck_assert_uint_eq(eax, 0xAABB0100u);
    ck_assert_uint_eq(edx, 0x11111111u);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    eax = 0x0000007Fu;
    cpu_mul(&f, 1, 0, 2, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0xFE);
    ck_flags(&f, F_CF | F_OF, 0);
    eax = 0x5555FFFFu; edx = 0x7777AAAAu;   /* MUL r/m16: DX:AX */
    cpu_mul(&f, 2, 0, 0xFFFF, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0x55550001u);
    ck_assert_uint_eq(edx, 0x7777FFFEu);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    eax = 0xFFFFFFFFu; edx = 0;             /* MUL r/m32: EDX:EAX */
    cpu_mul(&f, 4, 0, 0xFFFFFFFFu, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 1);
    ck_assert_uint_eq(edx, 0xFFFFFFFEu);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    eax = 0x80000000u;                      /* IMUL r/m32: -2^31 * -1 = 2^31 overflows */
    cpu_mul(&f, 4, 1, 0xFFFFFFFFu, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0x80000000u);
    ck_assert_uint_eq(edx, 0);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    eax = 0xFFFFFFFEu;                      /* IMUL: -2 * 3 = -6 fits */
    cpu_mul(&f, 4, 1, 3, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0xFFFFFFFAu);
    ck_assert_uint_eq(edx, 0xFFFFFFFFu);
    ck_flags(&f, F_CF | F_OF, 0);
    eax = 0x80;                             /* IMUL r/m8: -128 * -1 = 128 > 127 */
    cpu_mul(&f, 1, 1, 0xFF, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0x0080);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    eax = 0xC0;                             /* -64 * 2 = -128 fits AL */
    cpu_mul(&f, 1, 1, 2, &eax, &edx, 0);
    ck_assert_uint_eq(eax, 0xFF80);
    ck_flags(&f, F_CF | F_OF, 0);
}
END_TEST

START_TEST(mul_random_vs_wide_product)
{
    uint64_t s = 77;
    int n;
    for (n = 0; n < 100000; n++) {
        unsigned size = (unsigned[]){ 1, 2, 4 }[tf_rand(&s) % 3], bits = 8u * size;
        uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << bits) - 1u;
        uint32_t a = tf_rand(&s) >> (tf_rand(&s) & 31u), b = tf_rand(&s) >> (tf_rand(&s) & 31u);
        uint32_t eax = a, edx = tf_rand(&s), sgn = tf_rand(&s) & 1u;
        cpu_flags f = tf_make(0);
        uint64_t wide;
        int over;
        cpu_mul(&f, size, (int)sgn, b, &eax, &edx, 0);
        if (!sgn) {
            wide = (uint64_t)(a & m) * (b & m);
            over = (wide >> bits) != 0;
        } else {
            int64_t sa = (int64_t)((int32_t)((a & m) << (32 - bits)) >> (32 - bits));
            int64_t sb = (int64_t)((int32_t)((b & m) << (32 - bits)) >> (32 - bits));
            int64_t p = sa * sb;
            wide = (uint64_t)p;
            over = p < -((int64_t)1 << (bits - 1)) || p >= ((int64_t)1 << (bits - 1));
        }
        if (size == 1)
            ck_assert_uint_eq(eax & 0xFFFFu, (uint32_t)wide & 0xFFFFu);
        else {
            ck_assert_uint_eq(eax & m, (uint32_t)wide & m);
            ck_assert_uint_eq(edx & m, (uint32_t)(wide >> bits) & m);
        }
        ck_flags(&f, F_CF | F_OF, over ? (F_CF | F_OF) : 0);
    }
}
END_TEST

/* Manual: clocks = max(ceiling(log2 |m|), 3) + 6 for m != 0, 9 for m = 0; +3 when
** the multiplier is in memory. Ranges 9-14, 9-22, 9-38 / 12-17, 12-25, 12-41. */
START_TEST(mul_clocks_early_out)
{
    static const struct { uint32_t m; int sgn; unsigned size; int clk; } t[] = {
        { 0, 0, 4, 9 }, { 1, 0, 4, 9 }, { 2, 0, 4, 9 }, { 8, 0, 4, 9 }, { 9, 0, 4, 10 },
        { 16, 0, 4, 10 }, { 17, 0, 4, 11 }, { 255, 0, 1, 14 }, { 0xFFFF, 0, 2, 22 },
        { 0x8000, 0, 2, 21 }, { 0xFFFFFFFFu, 0, 4, 38 }, { 0x80000000u, 0, 4, 37 },
        { 0x80000001u, 0, 4, 38 }, { 0xFF, 1, 1, 9 } /* -1 */, { 0x80, 1, 1, 13 },
        { 0x80000000u, 1, 4, 37 }, { 0xFFFFFFF7u, 1, 4, 10 } /* -9 */,
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        cpu_flags f = tf_make(0);
        uint32_t eax = 3, edx = 0;
        ck_assert_msg(cpu_mul(&f, t[i].size, t[i].sgn, t[i].m, &eax, &edx, 0) == t[i].clk,
                      "case %zu", i);
        eax = 3;
        ck_assert_int_eq(cpu_mul(&f, t[i].size, t[i].sgn, t[i].m, &eax, &edx, 1), t[i].clk + 3);
    }
}
END_TEST

START_TEST(imul2_results_flags_clocks)
{
    cpu_flags f = tf_make(0);
    int clk = 0;
    ck_assert_uint_eq(cpu_imul2(&f, 2, 0x0100, 0x0100, 0, &clk), 0);   /* 2^16 */
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    ck_assert_int_eq(clk, 14);   /* |m| = 256: log2 = 8 */
    ck_assert_uint_eq(cpu_imul2(&f, 4, 0xFFFFFFFFu, 0xFFFFFF80u, 1, &clk), 0x80);
    ck_flags(&f, F_CF | F_OF, 0);
    ck_assert_int_eq(clk, 13 + 3);   /* imm8 -128 multiplier, r/m in memory */
    ck_assert_uint_eq(cpu_imul2(&f, 4, 0x40000000u, 2, 0, &clk), 0x80000000u);
    ck_flags(&f, F_CF | F_OF, F_CF | F_OF);
    ck_assert_int_eq(clk, 9);
    ck_assert_uint_eq(cpu_imul2(&f, 2, 0x7FFF, 0xFFFF, 0, &clk), 0x8001);   /* -32767 */
    ck_flags(&f, F_CF | F_OF, 0);
    ck_assert_uint_eq(cpu_imul2(&f, 4, 12345, 0, 0, &clk), 0);
    ck_assert_int_eq(clk, 9);
}
END_TEST

START_TEST(div_results_and_clocks)
{
    cpu_flags f = tf_make(0);
    uint32_t eax = 0xAAAA0007u, edx = 0x12345678u;
    ck_assert_int_eq(cpu_div(&f, 1, 0, 2, &eax, &edx, 0), 14);       /* 7/2 */
    ck_assert_uint_eq(eax, 0xAAAA0103u);
    ck_assert_uint_eq(edx, 0x12345678u);
    eax = 0x5555FFFFu; edx = 0x6666FFFEu;                            /* FFFEFFFF/FFFF */
    ck_assert_int_eq(cpu_div(&f, 2, 0, 0xFFFF, &eax, &edx, 1), 25);
    ck_assert_uint_eq(eax, 0x5555FFFFu);
    ck_assert_uint_eq(edx, 0x6666FFFEu);
    eax = 0; edx = 1;                                                /* 2^32 / 2 */
    ck_assert_int_eq(cpu_div(&f, 4, 0, 2, &eax, &edx, 0), 38);
    ck_assert_uint_eq(eax, 0x80000000u);
    ck_assert_uint_eq(edx, 0);
    eax = 0xFFF9; edx = 0;                                           /* -7 / 2 */
    ck_assert_int_eq(cpu_div(&f, 1, 1, 2, &eax, &edx, 0), 19);
    ck_assert_uint_eq(eax & 0xFFFF, 0xFFFD);   /* AL = -3, AH = -1: truncation */
    eax = 0xFFFFFFF9u; edx = 0xFFFFFFFFu;                            /* -7 / -2 */
    ck_assert_int_eq(cpu_div(&f, 4, 1, 0xFFFFFFFEu, &eax, &edx, 1), 46);
    ck_assert_uint_eq(eax, 3);
    ck_assert_uint_eq(edx, 0xFFFFFFFFu);
    eax = 0xFF80; edx = 0;                                           /* -128 / 1 fits */
    ck_assert_int_eq(cpu_div(&f, 1, 1, 1, &eax, &edx, 0), 19);
    ck_assert_uint_eq(eax, 0x0080);
    eax = 0x8000; edx = 0xFFFF;                                      /* -32768 / -1 */
    ck_assert_int_eq(cpu_div(&f, 2, 1, 0xFFFF, &eax, &edx, 0), -1);
    eax = 0x8000; edx = 0;                                           /* +32768 / 1 */
    ck_assert_int_eq(cpu_div(&f, 2, 1, 1, &eax, &edx, 0), -1);
    eax = 0x8000; edx = 0xFFFF;                                      /* -32768 / 1 */
    ck_assert_int_eq(cpu_div(&f, 2, 1, 1, &eax, &edx, 0), 27);
    ck_assert_uint_eq(eax, 0x8000);
    ck_assert_uint_eq(edx, 0);   /* remainder 0 replaces DX */
}
END_TEST

START_TEST(div_faults_leave_state)
{
    static const struct { unsigned size; int sgn; uint32_t src, eax, edx; } t[] = {
        { 1, 0, 0, 0x1234, 0 },                 /* divide by zero */
        { 2, 1, 0, 0x1234, 0x5678 },
        { 4, 0, 0, 1, 2 },
        { 1, 0, 1, 0x0100, 0 },                 /* 256 / 1 > FF */
        { 2, 0, 2, 0x0000, 0x0002 },            /* 20000h / 2 > FFFF */
        { 4, 0, 0xFFFFFFFFu, 0, 0xFFFFFFFFu },  /* quotient > 2^32-1 */
        { 1, 1, 0xFF, 0x8000, 0 },              /* IDIV -32768 / -1 = 32768 */
        { 1, 1, 0xFF, 0xFF80, 0 },              /* -128 / -1 = 128 > 127 */
        { 1, 1, 1, 0x0080, 0 },                 /* 128 / 1 > 127 */
        { 4, 1, 0xFFFFFFFFu, 0x80000000u, 0xFFFFFFFFu },   /* -2^31 / -1 */
        { 4, 1, 0xFFFFFFFFu, 0, 0x80000000u },  /* -2^63 / -1 */
        { 4, 1, 1, 0x80000000u, 0 },            /* 2^31 / 1 */
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        cpu_flags f = tf_make(0);
        uint32_t eax = t[i].eax, edx = t[i].edx, before;
        cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);
        before = cpu_flags_get(&f);
        ck_assert_msg(cpu_div(&f, t[i].size, t[i].sgn, t[i].src, &eax, &edx, 0) == -1,
                      "case %zu must raise #DE", i);
        ck_assert_uint_eq(eax, t[i].eax);
        ck_assert_uint_eq(edx, t[i].edx);
        ck_assert_uint_eq(cpu_flags_get(&f), before);
    }
}
END_TEST

START_TEST(div_random_vs_reference)
{
    uint64_t s = 99;
    int n;
    for (n = 0; n < 100000; n++) {
        unsigned size = (unsigned[]){ 1, 2, 4 }[tf_rand(&s) % 3], bits = 8u * size;
        uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << bits) - 1u;
        uint32_t eax = tf_rand(&s), edx = tf_rand(&s) >> (tf_rand(&s) & 31u);
        uint32_t d = tf_rand(&s) >> (tf_rand(&s) & 31u), e0 = eax, d0 = edx;
        cpu_flags f = tf_make(0);
        uint64_t num = size == 1 ? (eax & 0xFFFFu) : (((uint64_t)(edx & m) << bits) | (eax & m));
        int rc = cpu_div(&f, size, 0, d, &eax, &edx, 0);
        if ((d & m) == 0 || num / (d & m) > m) {
            ck_assert_int_eq(rc, -1);
            ck_assert_uint_eq(eax, e0);
            continue;
        }
        ck_assert_int_gt(rc, 0);
        if (size == 1) {
            ck_assert_uint_eq(eax & 0xFFu, (uint32_t)(num / (d & m)));
            ck_assert_uint_eq((eax >> 8) & 0xFFu, (uint32_t)(num % (d & m)));
            ck_assert_uint_eq(eax & 0xFFFF0000u, e0 & 0xFFFF0000u);
        } else {
            ck_assert_uint_eq(eax & m, (uint32_t)(num / (d & m)));
            ck_assert_uint_eq(edx & m, (uint32_t)(num % (d & m)));
            ck_assert_uint_eq(edx & ~m, d0 & ~m);
        }
    }
}
END_TEST

Suite *alu_muldiv_suite(void)
{
    Suite *s = suite_create("alu_muldiv");
    TCase *tc = tcase_create("alu_muldiv");
    tcase_add_test(tc, mul_results_cf_of);
    tcase_add_test(tc, mul_random_vs_wide_product);
    tcase_add_test(tc, mul_clocks_early_out);
    tcase_add_test(tc, imul2_results_flags_clocks);
    tcase_add_test(tc, div_results_and_clocks);
    tcase_add_test(tc, div_faults_leave_state);
    tcase_add_test(tc, div_random_vs_reference);
    suite_add_tcase(s, tc);
    return s;
}
