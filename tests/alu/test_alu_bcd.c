/* BCD adjusts: test386.asm's EE reference results (defined flags) and its POST E0
** cases (undefined flags, validated against 386SX hardware). */
#include "test_alu.h"

enum { DAA, DAS, AAA, AAS, AAM, AAD };

static void run(cpu_flags *f, unsigned op, uint32_t *eax)
{
    switch (op) {
    case DAA: cpu_bcd_daa(f, eax); break;
    case DAS: cpu_bcd_das(f, eax); break;
    case AAA: cpu_bcd_aaa(f, eax); break;
    case AAS: cpu_bcd_aas(f, eax); break;
    case AAM: ck_assert_int_eq(cpu_bcd_aam(f, eax, 10), 0); break;
    default:  cpu_bcd_aad(f, eax, 10); break;
    }
}

struct bcd_case { unsigned op; uint32_t eax, fin, eax_out, fout, mask; };

#define DM (F_CF | F_PF | F_ZF | F_SF | F_AF)
#define AM (F_CF | F_AF)
#define MM (F_PF | F_ZF | F_SF)
/* test386-EE-reference.txt: "op EAX=in PS=in EAX=out PS=out", PS masked to the
** defined flags. */
static const struct bcd_case ee[] = {
    { DAA, 0x12340503, 0x10, 0x12340509, 0x14, DM }, { DAA, 0x12340506, 0x10, 0x1234050C, 0x14, DM },
    { DAA, 0x12340507, 0x10, 0x1234050D, 0x10, DM }, { DAA, 0x12340559, 0x10, 0x1234055F, 0x14, DM },
    { DAA, 0x12340560, 0x10, 0x12340566, 0x14, DM }, { DAA, 0x1234059F, 0x10, 0x12340505, 0x15, DM },
    { DAA, 0x123405A0, 0x10, 0x12340506, 0x15, DM }, { DAA, 0x12340503, 0x00, 0x12340503, 0x04, DM },
    { DAA, 0x12340506, 0x00, 0x12340506, 0x04, DM }, { DAA, 0x12340503, 0x01, 0x12340563, 0x05, DM },
    { DAA, 0x12340506, 0x01, 0x12340566, 0x05, DM }, { DAA, 0x12340503, 0x11, 0x12340569, 0x15, DM },
    { DAA, 0x12340506, 0x11, 0x1234056C, 0x15, DM },
    { DAS, 0x12340503, 0x10, 0x123405FD, 0x91, DM }, { DAS, 0x12340506, 0x10, 0x12340500, 0x54, DM },
    { DAS, 0x12340507, 0x10, 0x12340501, 0x10, DM }, { DAS, 0x12340559, 0x10, 0x12340553, 0x14, DM },
    { DAS, 0x12340560, 0x10, 0x1234055A, 0x14, DM }, { DAS, 0x1234059F, 0x10, 0x12340539, 0x15, DM },
    { DAS, 0x123405A0, 0x10, 0x1234053A, 0x15, DM }, { DAS, 0x12340503, 0x00, 0x12340503, 0x04, DM },
    { DAS, 0x12340506, 0x00, 0x12340506, 0x04, DM }, { DAS, 0x12340503, 0x01, 0x123405A3, 0x85, DM },
    { DAS, 0x12340506, 0x01, 0x123405A6, 0x85, DM }, { DAS, 0x12340503, 0x11, 0x1234059D, 0x91, DM },
    { DAS, 0x12340506, 0x11, 0x123405A0, 0x95, DM },
    { AAA, 0x12340205, 0x10, 0x1234030B, 0x11, AM }, { AAA, 0x12340306, 0x10, 0x1234040C, 0x11, AM },
    { AAA, 0x1234040A, 0x10, 0x12340500, 0x11, AM }, { AAA, 0x123405FA, 0x10, 0x12340700, 0x11, AM },
    { AAA, 0x12340205, 0x00, 0x12340205, 0x00, AM }, { AAA, 0x12340306, 0x00, 0x12340306, 0x00, AM },
    { AAA, 0x1234040A, 0x00, 0x12340500, 0x11, AM }, { AAA, 0x123405FA, 0x00, 0x12340700, 0x11, AM },
    { AAS, 0x12340205, 0x10, 0x1234000F, 0x11, AM }, { AAS, 0x12340306, 0x10, 0x12340200, 0x11, AM },
    { AAS, 0x1234040A, 0x10, 0x12340304, 0x11, AM }, { AAS, 0x123405FA, 0x10, 0x12340404, 0x11, AM },
    { AAS, 0x12340205, 0x00, 0x12340205, 0x00, AM }, { AAS, 0x12340306, 0x00, 0x12340306, 0x00, AM },
    { AAS, 0x1234040A, 0x00, 0x12340304, 0x11, AM }, { AAS, 0x123405FA, 0x00, 0x12340404, 0x11, AM },
    { AAM, 0x12340547, 0x10, 0x12340701, 0x00, MM }, { AAD, 0x12340407, 0x10, 0x1234002F, 0x00, MM },
};

/* test386.asm POST E0: all six arithmetic flags compared. */
#define PZSO (F_PF | F_ZF | F_SF | F_OF)
#define CAO (F_CF | F_AF | F_OF)
static const struct bcd_case e0[] = {
    { AAA, 0x0000, 0, 0x0000, F_PF | F_ZF, F_ALL },
    { AAA, 0x0001, PZSO, 0x0001, 0, F_ALL },
    { AAA, 0x007A, 0, 0x0100, F_CF | F_AF | F_SF | F_OF, F_ALL },
    { AAA, 0x007B, F_AF, 0x0101, F_CF | F_PF | F_AF | F_SF | F_OF, F_ALL },
    { AAD, 0x0001, CAO, 0x0001, 0, F_ALL },
    { AAD, 0x0D8E, 0, 0x0010, CAO, F_ALL },
    { AAD, 0x0106, 0, 0x0010, F_AF, F_ALL },
    { AAD, 0x01F7, 0, 0x0001, F_CF | F_AF, F_ALL },
    { AAM, 0x0000, 0, 0x0000, F_ZF | F_PF, F_ALL },
    { AAM, 0x0000, CAO, 0x0000, F_ZF | F_PF, F_ALL },
    { AAS, 0x0000, F_SF | F_OF, 0x0000, F_PF | F_ZF, F_ALL },
    { AAS, 0x0000, F_AF, 0xFE0A, F_CF | F_PF | F_AF | F_SF, F_ALL },
    { AAS, 0x0001, PZSO, 0x0001, 0, F_ALL },
    { AAS, 0x0680, F_AF, 0x050A, F_CF | F_AF | F_OF, F_ALL },
    { DAA, 0x001A, F_AF | F_OF, 0x0020, F_AF, F_ALL },
    { DAA, 0x001A, F_CF, 0x0080, F_CF | F_AF | F_SF | F_OF, F_ALL },
    { DAS, 0x0080, F_OF, 0x0080, F_SF, F_ALL },
    { DAS, 0x0080, F_AF, 0x007A, F_AF | F_OF, F_ALL },
};

static void check_cases(const struct bcd_case *t, size_t n, const char *what)
{
    size_t i;
    for (i = 0; i < n; i++) {
        cpu_flags f = tf_make(t[i].fin);
        uint32_t eax = t[i].eax, got;
        run(&f, t[i].op, &eax);
        got = cpu_flags_get(&f) & t[i].mask;
        ck_assert_msg(eax == t[i].eax_out, "%s case %zu: EAX %08x want %08x",
                      what, i, eax, t[i].eax_out);
        ck_assert_msg(got == (t[i].fout & t[i].mask), "%s case %zu: flags %03x want %03x",
                      what, i, got, t[i].fout & t[i].mask);
    }
}

START_TEST(bcd_ee_reference_results)
{
    check_cases(ee, sizeof ee / sizeof ee[0], "EE");
}
END_TEST

START_TEST(bcd_undefined_flags_as_386sx)
{
    check_cases(e0, sizeof e0 / sizeof e0[0], "E0");
}
END_TEST

/* DAA/DAS over every AL, AF, CF against the decimal meaning: for valid packed BCD
** inputs a+b (or a-b), the adjust gives the decimal digits and the decimal carry. */
START_TEST(daa_das_decimal_tables)
{
    unsigned x, y;
    for (x = 0; x < 100; x++)
        for (y = 0; y < 100; y++) {
            cpu_flags f = tf_make(0);
            uint32_t a = (x / 10) << 4 | (x % 10), b = (y / 10) << 4 | (y % 10), eax;
            eax = cpu_alu(&f, CPU_ALU_ADD, 1, a, b);
            cpu_bcd_daa(&f, &eax);
            ck_assert_uint_eq(eax, ((x + y) % 100 / 10) << 4 | ((x + y) % 10));
            ck_flags(&f, F_CF, x + y >= 100 ? F_CF : 0);
            eax = cpu_alu(&f, CPU_ALU_SUB, 1, a, b);
            cpu_bcd_das(&f, &eax);
            ck_assert_uint_eq(eax, ((x + 100 - y) % 100 / 10) << 4 | ((x + 100 - y) % 10));
            ck_flags(&f, F_CF, x < y ? F_CF : 0);
        }
}
END_TEST

START_TEST(aaa_aas_aam_aad_tables)
{
    unsigned x, y;
    for (x = 0; x < 10; x++)
        for (y = 0; y < 10; y++) {
            cpu_flags f = tf_make(0);
            uint32_t eax = 0x0300;   /* AH = 3 */
            eax = (eax & ~0xFFu) | cpu_alu(&f, CPU_ALU_ADD, 1, x, y);
            cpu_bcd_aaa(&f, &eax);
            ck_assert_uint_eq(eax, ((3u + (x + y) / 10) << 8) | ((x + y) % 10));
            ck_flags(&f, F_CF | F_AF, x + y >= 10 ? (F_CF | F_AF) : 0);
            eax = 0x0300 | cpu_alu(&f, CPU_ALU_SUB, 1, x, y);
            cpu_bcd_aas(&f, &eax);
            ck_assert_uint_eq(eax, ((x < y ? 2u : 3u) << 8) | ((x + 10 - y) % 10));
            ck_flags(&f, F_CF | F_AF, x < y ? (F_CF | F_AF) : 0);
            eax = 0xAB00 | (x * y);
            ck_assert_int_eq(cpu_bcd_aam(&f, &eax, 10), 0);
            ck_assert_uint_eq(eax, ((x * y / 10) << 8) | (x * y % 10));
            ck_flags(&f, F_ZF, (x * y % 10) == 0 ? F_ZF : 0);
            cpu_bcd_aad(&f, &eax, 10);
            ck_assert_uint_eq(eax, x * y);
            ck_flags(&f, F_ZF | F_SF, x * y == 0 ? F_ZF : 0);
        }
}
END_TEST

START_TEST(aam_zero_base_is_de_and_other_bases)
{
    cpu_flags f = tf_make(F_CF);
    uint32_t eax = 0xDEAD1234u;
    ck_assert_int_eq(cpu_bcd_aam(&f, &eax, 0), -1);
    ck_assert_uint_eq(eax, 0xDEAD1234u);
    ck_flags(&f, F_ALL, F_CF);
    eax = 0x00FF;
    ck_assert_int_eq(cpu_bcd_aam(&f, &eax, 16), 0);      /* D4 10: split nibbles */
    ck_assert_uint_eq(eax, 0x0F0F);
    cpu_bcd_aad(&f, &eax, 16);                           /* D5 10: join them */
    ck_assert_uint_eq(eax, 0x00FF);
    ck_flags(&f, F_SF | F_ZF | F_PF, F_SF | F_PF);
}
END_TEST

Suite *alu_bcd_suite(void)
{
    Suite *s = suite_create("alu_bcd");
    TCase *tc = tcase_create("alu_bcd");
    tcase_add_test(tc, bcd_ee_reference_results);
    tcase_add_test(tc, bcd_undefined_flags_as_386sx);
    tcase_add_test(tc, daa_das_decimal_tables);
    tcase_add_test(tc, aaa_aas_aam_aad_tables);
    tcase_add_test(tc, aam_zero_base_is_de_and_other_bases);
    suite_add_tcase(s, tc);
    return s;
}
