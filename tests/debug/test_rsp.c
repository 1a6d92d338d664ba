/*
** test_rsp.c — debug/rsp.c on byte strings: framing, checksums, acks, no-ack mode,
** the interrupt byte, escapes, over-long and cut packets.
*/
#include <string.h>

#include "test_debug.h"
#include "debug/dbg.h"

/* Feeds a whole string; returns the last event and the number of events in *nev. */
static int feed_all(dbg_rsp *r, const char *s, int *nev) {
    size_t n = strlen(s), used;
    int ev = DBG_EV_NONE;
    *nev = 0;
    while (n > 0) {
        int e = dbg_rsp_feed(r, (const uint8_t *)s, n, &used);
        ck_assert_uint_le(used, n);
        s += used;
        n -= used;
        if (e != DBG_EV_NONE) { ev = e; (*nev)++; }
    }
    return ev;
}

static void out_is(dbg_rsp *r, const char *want) {
    ck_assert_uint_eq(r->nout, strlen(want));
    ck_assert_int_eq(memcmp(r->out, want, r->nout), 0);
    dbg_rsp_take(r, r->nout);
}

START_TEST(packet_and_ack) {
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    ck_assert_int_eq(feed_all(&r, "$g#67", &nev), DBG_EV_PACKET);
    ck_assert_int_eq(nev, 1);
    ck_assert_str_eq((const char *)r.buf, "g");
    out_is(&r, "+");
    ck_assert_int_eq(feed_all(&r, "+$m100,4#5e", &nev), DBG_EV_PACKET);   /* a stray ack first */
    ck_assert_str_eq((const char *)r.buf, "m100,4");
}
END_TEST

START_TEST(bad_checksum_nak) {
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    ck_assert_int_eq(feed_all(&r, "$g#66", &nev), DBG_EV_BADSUM);
    out_is(&r, "-");
    ck_assert_int_eq(feed_all(&r, "$g#zz", &nev), DBG_EV_BADSUM);   /* not hex */
    out_is(&r, "-");
    ck_assert_uint_eq(r.nbad, 2);
    ck_assert_int_eq(feed_all(&r, "$g#67", &nev), DBG_EV_PACKET);   /* and on again */
}
END_TEST

START_TEST(noack_mode) {
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    r.noack = 1;
    ck_assert_int_eq(feed_all(&r, "$g#67", &nev), DBG_EV_PACKET);
    ck_assert_int_eq(feed_all(&r, "$g#00", &nev), DBG_EV_BADSUM);
    ck_assert_uint_eq(r.nout, 0);
}
END_TEST

START_TEST(interrupt_byte) {
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    ck_assert_int_eq(feed_all(&r, "\x03", &nev), DBG_EV_INTR);
    /* inside a packet 0x03 is data: X packets carry binary */
    ck_assert_int_eq(feed_all(&r, "$\x03#03", &nev), DBG_EV_PACKET);
    ck_assert_uint_eq(r.len, 1);
    ck_assert_int_eq(r.buf[0], 3);
}
END_TEST

START_TEST(escapes) {
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    /* "}]" is '}' ^ 0x20 ^ ... : 0x5d ^ 0x20 = '}' ; checksum covers the escaped bytes */
    ck_assert_int_eq(feed_all(&r, "$X}]#32", &nev), DBG_EV_PACKET);
    ck_assert_str_eq((const char *)r.buf, "X}");
    dbg_rsp_take(&r, r.nout);
    ck_assert_int_eq(dbg_rsp_send(&r, "a#b", 3), 0);
    out_is(&r, "$a}\x03" "b#43");
    ck_assert_int_eq(dbg_rsp_send_str(&r, "OK"), 0);
    out_is(&r, "$OK#9a");
}
END_TEST

START_TEST(too_long_and_cut) {
    static char big[DBG_PKT_MAX + 100];
    dbg_rsp r;
    int nev;
    dbg_rsp_init(&r);
    big[0] = '$';
    memset(big + 1, 'a', DBG_PKT_MAX + 10);
    strcpy(big + 1 + DBG_PKT_MAX + 10, "#00");
    int ev = feed_all(&r, big, &nev);
    ck_assert(ev == DBG_EV_PACKET || ev == DBG_EV_BADSUM);   /* never past buf */
    ck_assert_uint_eq(r.len, DBG_PKT_MAX);
    ck_assert_int_eq(r.too_long, 1);
    dbg_rsp_init(&r);
    ck_assert_int_eq(feed_all(&r, "$m10", &nev), DBG_EV_NONE);
    ck_assert_int_eq(dbg_rsp_partial(&r), 1);   /* a client gone now cut it */
    ck_assert_int_eq(feed_all(&r, "$g#67", &nev), DBG_EV_PACKET);   /* a new '$' restarts */
    ck_assert_str_eq((const char *)r.buf, "g");
    ck_assert_int_eq(dbg_rsp_partial(&r), 0);
}
END_TEST

START_TEST(out_full) {
    dbg_rsp r;
    dbg_rsp_init(&r);
    static char data[DBG_PKT_MAX];
    memset(data, 'x', sizeof data);
    ck_assert_int_eq(dbg_rsp_send(&r, data, sizeof data), 0);
    ck_assert_int_eq(dbg_rsp_send(&r, data, sizeof data), 0);
    ck_assert_int_eq(dbg_rsp_send(&r, data, sizeof data), -1);   /* refused whole */
    ck_assert_uint_eq(r.nout, 2 * (DBG_PKT_MAX + 4));
}
END_TEST

Suite *test_rsp_suite(void) {
    Suite *s = suite_create("dbg_rsp");
    TCase *t = tcase_create("rsp");
    tcase_add_test(t, packet_and_ack);
    tcase_add_test(t, bad_checksum_nak);
    tcase_add_test(t, noack_mode);
    tcase_add_test(t, interrupt_byte);
    tcase_add_test(t, escapes);
    tcase_add_test(t, too_long_and_cut);
    tcase_add_test(t, out_full);
    suite_add_tcase(s, t);
    return s;
}
