/* BT/BTS/BTR/BTC and BSF/BSR: results, CF/ZF, the 386's OF and clocks. */
#include "test_alu.h"

START_TEST(bt_family_results_cf)
{
    unsigned bit;
    for (bit = 0; bit < 32; bit++) {
        cpu_flags f = tf_make(0);
        uint32_t v = 0xA5A5A5A5u, want_cf = (v >> bit) & 1u;
        ck_assert_uint_eq(cpu_bitop(&f, CPU_BT_BT, 4, v, bit), v);
        ck_flags(&f, F_CF, want_cf ? F_CF : 0);
        ck_assert_uint_eq(cpu_bitop(&f, CPU_BT_BTS, 4, v, bit), v | (1u << bit));
        ck_assert_uint_eq(cpu_bitop(&f, CPU_BT_BTR, 4, v, bit), v & ~(1u << bit));
        ck_assert_uint_eq(cpu_bitop(&f, CPU_BT_BTC, 4, v, bit), v ^ (1u << bit));
        ck_flags(&f, F_CF, want_cf ? F_CF : 0);
    }
    {
        cpu_flags f = tf_make(F_ZF | F_SF | F_PF | F_AF);
        ck_assert_uint_eq(cpu_bitop(&f, CPU_BT_BTC, 2, 0x8000, 15), 0);
        ck_flags(&f, F_CF | F_ZF | F_SF | F_PF | F_AF, F_CF | F_ZF | F_SF | F_PF | F_AF);
    }
}
END_TEST

/* test386.asm POST E0 (386SX): value 1, CF in either state; OF "same as RCR with
** CF=0"; the other flags unchanged. */
START_TEST(bt_undefined_of_as_386sx)
{
    static const struct { unsigned bit; uint32_t fin, fout; } t[] = {
        { 0, 0, F_CF }, { 0, F_CF, F_CF }, { 1, 0, F_OF }, { 1, F_CF, F_OF },
        { 2, 0, F_OF }, { 2, F_CF, F_OF }, { 3, 0, 0 }, { 3, F_CF, 0 },
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        cpu_flags f = tf_make(t[i].fin);
        cpu_bitop(&f, CPU_BT_BT, 4, 1, t[i].bit);
        ck_flags(&f, F_ALL, t[i].fout);
    }
}
END_TEST

START_TEST(bsf_bsr_results_zf_clocks)
{
    cpu_flags f = tf_make(F_CF);
    int clk = 0;
    ck_assert_uint_eq(cpu_bsf(&f, 4, 0x00010000u, 7, &clk), 16);
    ck_flags(&f, F_ZF | F_CF, F_CF);
    ck_assert_int_eq(clk, 10 + 3 * 16);
    ck_assert_uint_eq(cpu_bsr(&f, 4, 0x00010000u, 7, &clk), 16);
    ck_assert_int_eq(clk, 10 + 3 * 15);
    ck_assert_uint_eq(cpu_bsf(&f, 2, 0x8000, 7, &clk), 15);
    ck_assert_int_eq(clk, 10 + 3 * 15);
    ck_assert_uint_eq(cpu_bsr(&f, 2, 0xFFFF8001u, 7, &clk), 15);   /* masked to 16 bits */
    ck_assert_int_eq(clk, 10);
    ck_assert_uint_eq(cpu_bsf(&f, 4, 1, 7, &clk), 0);
    ck_assert_int_eq(clk, 10);
    /* zero source: ZF set, destination unchanged */
    ck_assert_uint_eq(cpu_bsf(&f, 4, 0, 0xDEADBEEFu, &clk), 0xDEADBEEFu);
    ck_flags(&f, F_ZF | F_CF, F_ZF | F_CF);
    ck_assert_uint_eq(cpu_bsr(&f, 2, 0xFFFF0000u, 0x1234, &clk), 0x1234);
    ck_flags(&f, F_ZF, F_ZF);
    ck_assert_int_eq(clk, 10 + 3 * 16);
}
END_TEST

Suite *alu_bitop_suite(void)
{
    Suite *s = suite_create("alu_bitop");
    TCase *tc = tcase_create("alu_bitop");
    tcase_add_test(tc, bt_family_results_cf);
    tcase_add_test(tc, bt_undefined_of_as_386sx);
    tcase_add_test(tc, bsf_bsr_results_zf_clocks);
    suite_add_tcase(s, tc);
    return s;
}
