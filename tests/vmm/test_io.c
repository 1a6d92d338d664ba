/* test_io.c — port I/O of VxD code (docs/vmm.md, "Port I/O"): what IN reads from the
** scenario's port map and from unmapped ports, the IO trace records of IN/OUT and of
** each REP INSB/OUTSB iteration (values, order, cycles), determinism across machines
** and vmm_reset, and the port map's limits. VxD: tests/vmm/vxd/io.asm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vmm.h"

#define IO_LINES_MAX 64

static const vmm_port io_map[] = { { 0x3FD, 0x12345660u }, { 0x3F8, 0x000000ABu } };

static void setup(tf *t, const char *entry, int mapped) {
    tf_init(t, "io", 1);
    if (mapped) {
        t->s.ports = io_map;
        t->s.nports = sizeof io_map / sizeof io_map[0];
    }
    tf_stim(t, 10000, VMM_STIM_CALL, 0, entry, 0);
}

static uint64_t line_cycle(const char *l) {
    unsigned long long c = 0;
    ck_assert_msg(sscanf(l, "%llu", &c) == 1, "no cycle in '%s'", l);
    return c;
}

/* The IO records' text without the cycle, and their cycles; returns how many. */
static int io_lines(const tf *t, char out[][96], uint64_t *cyc) {
    int n = 0;
    for (long i = 0;; i++) {
        const char *l = tf_line_text(t, i);
        if (!l[0]) break;
        if (strncmp(l + 12, " IO ", 4)) continue;
        ck_assert_int_lt(n, IO_LINES_MAX);
        snprintf(out[n], 96, "%s", l + 13);
        cyc[n++] = line_cycle(l);
    }
    return n;
}

/* Record cycles never go back, IO records included (stamped at instruction ends). */
static void assert_cycles_monotonic(const tf *t) {
    uint64_t last = 0;
    for (long i = 0;; i++) {
        const char *l = tf_line_text(t, i);
        if (!l[0]) break;
        if (strstr(l, "CHECKPOINT")) continue;
        uint64_t c = line_cycle(l);
        ck_assert_msg(c >= last, "line %ld goes back in time: %s", i, l);
        last = c;
    }
}

START_TEST(io_in_out_sizes_mapped_and_floating) {
    static const char *const want[] = {
        "IO op=in vm=sys port=0x03fd size=1 value=0x00000060",
        "IO op=in vm=sys port=0x03fd size=2 value=0x00005660",
        "IO op=in vm=sys port=0x03fd size=4 value=0x12345660",
        "IO op=in vm=sys port=0x0080 size=1 value=0x000000ff",
        "IO op=in vm=sys port=0x02f8 size=2 value=0x0000ffff",
        "IO op=in vm=sys port=0x02f8 size=4 value=0xffffffff",
        "IO op=out vm=sys port=0x0080 size=1 value=0x0000005a",
        "IO op=out vm=sys port=0x03f8 size=2 value=0x0000beef",
        "IO op=out vm=sys port=0x03f8 size=4 value=0xcafef00d",
        "IO op=out vm=sys port=0x03fd size=1 value=0x00000011",
        "IO op=in vm=sys port=0x03fd size=1 value=0x00000060",
    };
    char got[IO_LINES_MAX][96];
    uint64_t cyc[IO_LINES_MAX];
    tf t;
    setup(&t, "io_basic", 1);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "in8"), 0x60);
    ck_assert_uint_eq(tf_u32(&t, "in16") & 0xFFFF, 0x5660);
    ck_assert_uint_eq(tf_u32(&t, "in32"), 0x12345660u);
    ck_assert_uint_eq(tf_u8(&t, "un8"), 0xFF);
    ck_assert_uint_eq(tf_u32(&t, "un16") & 0xFFFF, 0xFFFF);
    ck_assert_uint_eq(tf_u32(&t, "un32"), 0xFFFFFFFFu);
    ck_assert_uint_eq(tf_u8(&t, "after_out"), 0x60);   /* OUT does not latch */
    int n = io_lines(&t, got, cyc);
    ck_assert_int_eq(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(got[i], want[i]);
        if (i) ck_assert_uint_gt(cyc[i], cyc[i - 1]);   /* one record per instruction */
    }
    /* Between CB_ENTER and CB_RETURN of the call, in order. */
    long enter = tf_line(&t, "CB_ENTER kind=call", 0), ret = tf_line(&t, "CB_RETURN kind=call", 0);
    ck_assert(enter >= 0 && enter < tf_line(&t, "IO op=in", 0));
    ck_assert(ret > tf_line(&t, "IO op=in", 5));
    assert_cycles_monotonic(&t);
    tf_free(&t);
}
END_TEST

/* Without a port map every IN reads the floating bus, masked to its size. */
START_TEST(io_unmapped_reads_all_ones) {
    tf t;
    setup(&t, "io_basic", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "in8"), 0xFF);
    ck_assert_uint_eq(tf_u32(&t, "in16") & 0xFFFF, 0xFFFF);
    ck_assert_uint_eq(tf_u32(&t, "in32"), 0xFFFFFFFFu);
    ck_assert_int_eq(tf_count(&t, "IO op=in value=0x000000ff"), 3);   /* in8, un8, after_out */
    ck_assert_int_eq(tf_count(&t, "IO op=out"), 4);
    tf_free(&t);
}
END_TEST

/* One record per REP INSB / OUTSB iteration, each at the end of its iteration. */
START_TEST(io_rep_insb_outsb_one_record_per_iteration) {
    char got[IO_LINES_MAX][96];
    uint64_t cyc[IO_LINES_MAX];
    tf t;
    setup(&t, "io_rep", 1);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "buf_in"), 0x60606060u);
    ck_assert_uint_eq(tf_u32(&t, "rep_ecx"), 0);
    int n = io_lines(&t, got, cyc);
    ck_assert_int_eq(n, 7);
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(got[i], "IO op=in vm=sys port=0x03fd size=1 value=0x00000060");
    ck_assert_str_eq(got[4], "IO op=out vm=sys port=0x03f8 size=1 value=0x00000001");
    ck_assert_str_eq(got[5], "IO op=out vm=sys port=0x03f8 size=1 value=0x00000002");
    ck_assert_str_eq(got[6], "IO op=out vm=sys port=0x03f8 size=1 value=0x00000003");
    for (int i = 1; i < n; i++) ck_assert_uint_gt(cyc[i], cyc[i - 1]);
    assert_cycles_monotonic(&t);
    tf_free(&t);
}
END_TEST

/* Same scenario, two machines: same hash; vmm_reset and run again: same trace. */
START_TEST(io_deterministic_across_machines_and_reset) {
    tf a, b;
    setup(&a, "io_basic", 1);
    tf_stim(&a, 20000, VMM_STIM_CALL, 0, "io_rep", 0);
    setup(&b, "io_basic", 1);
    tf_stim(&b, 20000, VMM_STIM_CALL, 0, "io_rep", 0);
    ck_assert_int_eq(tf_run(&a), VMM_OK);
    ck_assert_int_eq(tf_run(&b), VMM_OK);
    ck_assert_int_eq(tf_count(&a, "IO op="), 18);
    uint64_t h = tf_hash(&a);
    ck_assert_uint_eq(tf_hash(&b), h);
    char *first = strdup(a.text);
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(vmm_reset(a.v), VMM_OK);
    ck_assert_uint_eq(tf_u32(&a, "buf_in"), 0);          /* guest memory restored */
    ck_assert_int_eq(tf_run(&a), VMM_OK);
    ck_assert_uint_eq(tf_hash(&a), h);
    ck_assert_str_eq(a.text, first);
    free(first);
    tf_free(&a);
    tf_free(&b);
}
END_TEST

static int new_fails(const vmm_scenario *s, int want, const char *why) {
    char err[256] = "";
    int rc = 0;
    vmm_state *v = vmm_new(s, &rc, err, sizeof err);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(rc, want);
    ck_assert_msg(strstr(err, why) != NULL, "error '%s' lacks '%s'", err, why);
    return rc;
}

/* The map's limits: VMM_PORTS_MAX ports, each port at most once. */
START_TEST(io_port_map_limits) {
    static vmm_port many[VMM_PORTS_MAX + 1];
    static const vmm_port dup[] = { { 0x60, 1 }, { 0x64, 2 }, { 0x60, 3 } };
    tf t;
    setup(&t, "io_basic", 1);
    for (uint32_t i = 0; i <= VMM_PORTS_MAX; i++) { many[i].port = (uint16_t)i; many[i].value = i; }
    t.s.ports = many;
    t.s.nports = VMM_PORTS_MAX + 1;
    new_fails(&t.s, VMM_ELIMIT, "ports exceed");
    t.s.ports = dup;
    t.s.nports = 3;
    new_fails(&t.s, VMM_EINVAL, "0x0060 is mapped twice");
    t.s.ports = many;                      /* exactly the limit is fine */
    t.s.nports = VMM_PORTS_MAX;
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "un8"), 0x80);   /* port 0x80's value is 0x80 */
    tf_free(&t);
}
END_TEST

Suite *io_suite(void) {
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    tcase_add_test(tc, io_in_out_sizes_mapped_and_floating);
    tcase_add_test(tc, io_unmapped_reads_all_ones);
    tcase_add_test(tc, io_rep_insb_outsb_one_record_per_iteration);
    tcase_add_test(tc, io_deterministic_across_machines_and_reset);
    tcase_add_test(tc, io_port_map_limits);
    suite_add_tcase(s, tc);
    return s;
}
