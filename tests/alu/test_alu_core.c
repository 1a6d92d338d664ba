/* ALU core: group-1 ops, INC/DEC/NEG/TEST, lazy flags and conditions. */
#include "test_alu.h"

static int64_t sx(uint32_t v, unsigned size)
{
    unsigned sh = 32u - 8u * size;
    return (int32_t)(v << sh) >> sh;
}

static uint32_t ref_szp(uint32_t r, unsigned size)
{
    unsigned ones = 0, i;
    for (i = 0; i < 8; i++)
        ones += (r >> i) & 1u;
    return (ones % 2 == 0 ? F_PF : 0) | (r == 0 ? F_ZF : 0)
         | ((r >> (8u * size - 1u)) & 1u ? F_SF : 0);
}

/* Independent reference: wide arithmetic, no carry-chain tricks. */
static uint32_t ref_alu(unsigned op, unsigned size, uint32_t a, uint32_t b, unsigned cin,
                        uint32_t *res)
{
    uint32_t m = size == 4 ? 0xFFFFFFFFu : (1u << (8u * size)) - 1u, r, fl = 0;
    unsigned c = (op == CPU_ALU_ADC || op == CPU_ALU_SBB) ? cin : 0;
    a &= m;
    b &= m;
    switch (op) {
    case CPU_ALU_ADD: case CPU_ALU_ADC: {
        uint64_t u = (uint64_t)a + b + c;
        r = (uint32_t)u & m;
        if (u > m) fl |= F_CF;
        if (sx(a, size) + sx(b, size) + c != sx(r, size)) fl |= F_OF;
        if ((a & 15u) + (b & 15u) + c > 15u) fl |= F_AF;
        break;
    }
    case CPU_ALU_SUB: case CPU_ALU_SBB: case CPU_ALU_CMP:
        r = (a - b - c) & m;
        if ((uint64_t)a < (uint64_t)b + c) fl |= F_CF;
        if (sx(a, size) - sx(b, size) - c != sx(r, size)) fl |= F_OF;
        if ((a & 15u) < (b & 15u) + c) fl |= F_AF;
        break;
    case CPU_ALU_AND: r = a & b; break;
    case CPU_ALU_OR:  r = a | b; break;
    default:          r = a ^ b; break;
    }
    *res = op == CPU_ALU_CMP ? a : r;
    return fl | ref_szp(r, size);
}

static int ref_cond(uint32_t fl, unsigned cc)
{
    int of = !!(fl & F_OF), sf = !!(fl & F_SF), zf = !!(fl & F_ZF), cf = !!(fl & F_CF);
    int r[8] = { of, cf, zf, cf | zf, sf, !!(fl & F_PF), sf != of, zf | (sf != of) };
    return r[cc >> 1] ^ (int)(cc & 1u);
}

static const uint32_t edge[] = { 0, 1, 2, 0x0F, 0x10, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF,
                                 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000u,
                                 0x80000001u, 0xFFFFFFFEu, 0xFFFFFFFFu };
#define NEDGE (sizeof edge / sizeof edge[0])

START_TEST(group1_edges_every_flag)
{
    static const unsigned sizes[] = { 1, 2, 4 };
    unsigned op, si, i, j, cin;
    for (op = 0; op < 8; op++)
        for (si = 0; si < 3; si++)
            for (i = 0; i < NEDGE; i++)
                for (j = 0; j < NEDGE; j++)
                    for (cin = 0; cin < 2; cin++) {
                        unsigned size = sizes[si];
                        cpu_flags f = tf_make(cin ? F_CF : 0);
                        uint32_t want_r, want = ref_alu(op, size, edge[i], edge[j], cin, &want_r);
                        uint32_t r = cpu_alu(&f, op, size, edge[i], edge[j]);
                        ck_assert_msg(r == want_r, "op %u size %u %x,%x: %x want %x",
                                      op, size, edge[i], edge[j], r, want_r);
                        ck_flags(&f, F_ALL, want);
                    }
}
END_TEST

START_TEST(group1_literal_boundaries)
{
    cpu_flags f = tf_make(0);
    /* ADD 7FFFFFFF+1: signed overflow into 80000000 */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_ADD, 4, 0x7FFFFFFFu, 1), 0x80000000u);
    ck_flags(&f, F_ALL, F_OF | F_SF | F_AF | F_PF);
    /* SUB 80000000-1: overflow the other way */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_SUB, 4, 0x80000000u, 1), 0x7FFFFFFFu);
    ck_flags(&f, F_ALL, F_OF | F_AF | F_PF);
    /* ADD FF+1 (byte): carry, zero, AF */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_ADD, 1, 0xFF, 1), 0);
    ck_flags(&f, F_ALL, F_CF | F_ZF | F_AF | F_PF);
    /* CMP returns a; 0 - 1 borrows */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_CMP, 2, 0, 1), 0);
    ck_flags(&f, F_ALL, F_CF | F_SF | F_AF | F_PF);
    /* ADC with CF set: FFFF + 0 + 1 = 0 carry */
    cpu_flags_put(&f, 0x2 | F_CF);
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_ADC, 2, 0xFFFF, 0), 0);
    ck_flags(&f, F_ALL, F_CF | F_ZF | F_AF | F_PF);
    /* SBB with CF set: 0 - 0 - 1 */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_SBB, 1, 0, 0), 0xFF);
    ck_flags(&f, F_ALL, F_CF | F_SF | F_AF | F_PF);
    /* logic clears CF OF, AF = 0 as on the 386 */
    cpu_flags_put(&f, 0x2 | F_ALL);
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_XOR, 4, 0x80000000u, 0), 0x80000000u);
    ck_flags(&f, F_ALL, F_SF | F_PF);
    /* the sign-extended imm8 of 83 /0 is masked to the operand size */
    ck_assert_uint_eq(cpu_alu(&f, CPU_ALU_ADD, 2, 0x0001, 0xFFFFFFFFu), 0);
    ck_flags(&f, F_ALL, F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

START_TEST(group1_random_vs_reference)
{
    uint64_t s = 0x386386u;
    int n;
    for (n = 0; n < 200000; n++) {
        unsigned op = tf_rand(&s) & 7u, size = (unsigned[]){ 1, 2, 4 }[tf_rand(&s) % 3];
        uint32_t a = tf_rand(&s) ^ (tf_rand(&s) << 7), b = tf_rand(&s), cin = tf_rand(&s) & 1u;
        cpu_flags f = tf_make(cin);
        uint32_t want_r, want = ref_alu(op, size, a, b, cin, &want_r);
        uint32_t r = cpu_alu(&f, op, size, a, b);
        unsigned cc;
        ck_assert_uint_eq(r, want_r);
        for (cc = 0; cc < 16; cc++) {
            cpu_flags g = f;
            ck_assert_msg(cpu_flags_cond(&g, cc) == ref_cond(want, cc),
                          "cond %u after op %u size %u %x,%x", cc, op, size, a, b);
        }
        ck_assert_int_eq(cpu_flags_cf(&f), (int)(want & F_CF));
        ck_flags(&f, F_ALL, want);
    }
}
END_TEST

START_TEST(incdec_keep_cf_every_flag)
{
    static const unsigned sizes[] = { 1, 2, 4 };
    unsigned si, i, cin;
    for (si = 0; si < 3; si++)
        for (i = 0; i < NEDGE; i++)
            for (cin = 0; cin < 2; cin++) {
                unsigned size = sizes[si];
                cpu_flags f = tf_make(0);
                uint32_t want_r, want, r;
                /* set CF lazily through an ADD, then INC must keep it */
                cpu_alu(&f, CPU_ALU_ADD, 4, cin ? 0xFFFFFFFFu : 0, 1);
                want = ref_alu(CPU_ALU_ADD, size, edge[i], 1, 0, &want_r);
                r = cpu_alu_inc(&f, size, edge[i]);
                ck_assert_uint_eq(r, want_r);
                ck_flags(&f, F_ALL, (want & ~F_CF) | (cin ? F_CF : 0));
                want = ref_alu(CPU_ALU_SUB, size, edge[i], 1, 0, &want_r);
                r = cpu_alu_dec(&f, size, edge[i]);
                ck_assert_uint_eq(r, want_r);
                ck_flags(&f, F_ALL, (want & ~F_CF) | (cin ? F_CF : 0));
            }
}
END_TEST

START_TEST(neg_and_test_every_flag)
{
    static const unsigned sizes[] = { 1, 2, 4 };
    unsigned si, i, j;
    for (si = 0; si < 3; si++)
        for (i = 0; i < NEDGE; i++) {
            unsigned size = sizes[si];
            cpu_flags f = tf_make(F_ALL);
            uint32_t want_r, want = ref_alu(CPU_ALU_SUB, size, 0, edge[i], 0, &want_r);
            ck_assert_uint_eq(cpu_alu_neg(&f, size, edge[i]), want_r);
            ck_flags(&f, F_ALL, want);   /* CF = (operand != 0), OF at the minimum */
            for (j = 0; j < NEDGE; j++) {
                want = ref_alu(CPU_ALU_AND, size, edge[i], edge[j], 0, &want_r);
                cpu_alu_test(&f, size, edge[i], edge[j]);
                ck_flags(&f, F_ALL, want);
            }
        }
}
END_TEST

/* Lazy conditions and CF must equal those of the materialised EFLAGS after any
** producer (ALU, INC/DEC, shifts, rotates, MUL, DIV, BCD, BT), in long random runs. */
START_TEST(lazy_vs_materialised_random)
{
    uint64_t s = 0xC0FFEEu;
    cpu_flags f = tf_make(0);
    uint32_t eax = 0x1234, edx = 0;
    int n;
    for (n = 0; n < 300000; n++) {
        unsigned kind = tf_rand(&s) % 10, size = (unsigned[]){ 1, 2, 4 }[tf_rand(&s) % 3];
        uint32_t a = tf_rand(&s) * 2654435761u, b = tf_rand(&s) >> (tf_rand(&s) & 31u);
        unsigned cc;
        switch (kind) {
        case 0: case 1: case 2: cpu_alu(&f, tf_rand(&s) & 7u, size, a, b); break;
        case 3: cpu_alu_inc(&f, size, a); break;
        case 4: cpu_alu_dec(&f, size, a); break;
        case 5: cpu_shift(&f, tf_rand(&s) & 7u, size, a, (uint8_t)b); break;
        case 6: cpu_mul(&f, size, (int)(b & 1u), a, &eax, &edx, 0); break;
        case 7: edx = 0; cpu_div(&f, size, 0, b | 1u, &eax, &edx, 0); break;
        case 8: cpu_bcd_daa(&f, &eax); break;
        default: cpu_bitop(&f, b & 3u, 4, a, b & 31u); break;
        }
        for (cc = 0; cc < 16; cc++) {
            cpu_flags lazy = f, mat = f;
            uint32_t fl = cpu_flags_get(&mat);
            ck_assert_msg(cpu_flags_cond(&lazy, cc) == ref_cond(fl, cc),
                          "cond %u kind %u op %u", cc, kind, (unsigned)f.op);
        }
        {
            cpu_flags lazy = f;
            ck_assert_int_eq(cpu_flags_cf(&lazy), (int)(cpu_flags_get(&lazy) & F_CF));
        }
        if ((n & 7) == 0)
            cpu_flags_get(&f);   /* mix exact and lazy starting states */
    }
}
END_TEST

START_TEST(put_mask_keeps_or_drops_laziness)
{
    cpu_flags f = tf_make(0);
    cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);           /* CF SF set lazily */
    cpu_flags_put_mask(&f, CPU_IF | CPU_DF, CPU_IF | CPU_DF);
    ck_assert_uint_ne(f.op, CPU_LF_NONE);        /* CLI/STD do not materialise */
    ck_assert_uint_eq(cpu_flags_get(&f) & (CPU_IF | CPU_DF | F_CF), CPU_IF | CPU_DF | F_CF);
    cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);
    cpu_flags_put_mask(&f, 0, F_CF);             /* CLC keeps the other lazy flags */
    ck_assert_uint_eq(cpu_flags_get(&f) & (F_CF | F_SF | CPU_IF), F_SF | CPU_IF);
    cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);
    cpu_flags_put_mask(&f, F_ZF, 0xFFu);         /* SAHF: low byte replaced */
    ck_assert_uint_eq(cpu_flags_get(&f) & F_ALL, F_ZF);
    cpu_alu(&f, CPU_ALU_SUB, 4, 1, 2);
    cpu_flags_put(&f, 0x2);
    ck_assert_uint_eq(cpu_flags_get(&f), 0x2);
}
END_TEST

Suite *alu_core_suite(void)
{
    Suite *s = suite_create("alu_core");
    TCase *tc = tcase_create("alu_core");
    tcase_add_test(tc, group1_edges_every_flag);
    tcase_add_test(tc, group1_literal_boundaries);
    tcase_add_test(tc, group1_random_vs_reference);
    tcase_add_test(tc, incdec_keep_cf_every_flag);
    tcase_add_test(tc, neg_and_test_every_flag);
    tcase_add_test(tc, lazy_vs_materialised_random);
    tcase_add_test(tc, put_mask_keeps_or_drops_laziness);
    suite_add_tcase(s, tc);
    return s;
}
