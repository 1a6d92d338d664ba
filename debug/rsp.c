/*
** rsp.c — the gdb remote serial protocol's framing (docs/debug.md, "Packets"):
** "$data#cs" packets with a modulo-256 checksum, '+'/'-' acknowledgements until
** QStartNoAckMode, the 0x03 interrupt byte between packets, '}' escapes in received
** data. A byte stream in, events out; replies are framed into an output buffer that
** the caller writes to its socket. No I/O here, so the Check tests feed byte strings.
*/
#include <assert.h>
#include <string.h>

#include "dbg_int.h"

enum { ST_IDLE, ST_DATA, ST_ESC, ST_CS1, ST_CS2 };

void dbg_rsp_init(dbg_rsp *r) {
    assert(r);
    memset(r, 0, sizeof *r);
    r->state = ST_IDLE;
}

int dbg_hexval(int ch) {
    assert(ch >= -128 && ch <= 255);
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Appends raw bytes to the output; -1 (nothing appended) when they do not fit. */
static int out_raw(dbg_rsp *r, const void *p, size_t n) {
    assert(r && r->nout <= DBG_OUT_MAX);
    if (n > DBG_OUT_MAX - r->nout) return -1;
    memcpy(r->out + r->nout, p, n);
    r->nout += n;
    return 0;
}

static void ack(dbg_rsp *r, char ch) {
    assert(ch == '+' || ch == '-');
    if (!r->noack) (void)out_raw(r, &ch, 1);   /* a full buffer drops it: gdb resends */
}

/* One byte of packet data (after unescaping); past DBG_PKT_MAX the packet is kept
** as too long and answered with an error once whole. */
static void put_data(dbg_rsp *r, uint8_t ch) {
    assert(r->len <= DBG_PKT_MAX);
    if (r->len < DBG_PKT_MAX) r->buf[r->len++] = ch;
    else r->too_long = 1;
}

/* The end of a packet: its checksum against the one computed. */
static int packet_end(dbg_rsp *r) {
    assert(r->state == ST_IDLE && r->len <= DBG_PKT_MAX);
    r->buf[r->len] = 0;
    if (r->csum != r->sum) {
        r->nbad++;
        ack(r, '-');
        return DBG_EV_BADSUM;
    }
    ack(r, '+');
    return DBG_EV_PACKET;
}

/* The state machine for one byte; an event kind, or DBG_EV_NONE. */
static int step(dbg_rsp *r, uint8_t ch) {
    int h;
    switch (r->state) {
    case ST_IDLE:
        if (ch == '$') {
            r->state = ST_DATA;
            r->len = 0;
            r->sum = 0;
            r->too_long = 0;
        } else if (ch == 0x03) {
            return DBG_EV_INTR;
        }
        return DBG_EV_NONE;   /* '+', '-' and noise between packets are ignored */
    case ST_DATA:
        if (ch == '#') { r->state = ST_CS1; return DBG_EV_NONE; }
        r->sum = (uint8_t)(r->sum + ch);
        if (ch == '$') {      /* a new start inside a packet: the old one was cut */
            r->nbad++;
            r->len = 0;
            r->sum = 0;
            r->too_long = 0;
            return DBG_EV_NONE;
        }
        if (ch == '}') r->state = ST_ESC;
        else put_data(r, ch);
        return DBG_EV_NONE;
    case ST_ESC:
        r->sum = (uint8_t)(r->sum + ch);
        put_data(r, (uint8_t)(ch ^ 0x20));
        r->state = ST_DATA;
        return DBG_EV_NONE;
    case ST_CS1:
        h = dbg_hexval(ch);
        r->csum = (uint8_t)((h < 0 ? 0x100 : h) << 4);   /* junk never matches below */
        r->cs_bad = h < 0;
        r->state = ST_CS2;
        return DBG_EV_NONE;
    default:
        assert(r->state == ST_CS2);
        h = dbg_hexval(ch);
        r->state = ST_IDLE;
        if (h < 0 || r->cs_bad) r->csum = (uint8_t)~r->sum;
        else r->csum = (uint8_t)(r->csum | h);
        return packet_end(r);
    }
}

int dbg_rsp_feed(dbg_rsp *r, const uint8_t *in, size_t n, size_t *used) {
    assert(r && (in || !n) && used);
    size_t k;
    for (k = 0; k < n; k++) {
        int ev = step(r, in[k]);
        if (ev != DBG_EV_NONE) { *used = k + 1; return ev; }
    }
    *used = n;
    return DBG_EV_NONE;
}

int dbg_rsp_partial(const dbg_rsp *r) {
    assert(r);
    return r->state != ST_IDLE;
}

int dbg_rsp_send(dbg_rsp *r, const char *data, size_t len) {
    assert(r && (data || !len));
    static const char hex[] = "0123456789abcdef";
    size_t need = 4, k;
    uint8_t sum = 0;
    for (k = 0; k < len; k++) {
        uint8_t ch = (uint8_t)data[k];
        need += (ch == '#' || ch == '$' || ch == '}' || ch == '*') ? 2 : 1;
    }
    if (need > DBG_OUT_MAX - r->nout) return -1;
    r->out[r->nout++] = '$';
    for (k = 0; k < len; k++) {
        uint8_t ch = (uint8_t)data[k];
        if (ch == '#' || ch == '$' || ch == '}' || ch == '*') {
            r->out[r->nout++] = '}';
            sum = (uint8_t)(sum + '}');
            ch ^= 0x20;
        }
        r->out[r->nout++] = ch;
        sum = (uint8_t)(sum + ch);
    }
    r->out[r->nout++] = '#';
    r->out[r->nout++] = (uint8_t)hex[sum >> 4];
    r->out[r->nout++] = (uint8_t)hex[sum & 15];
    return 0;
}

int dbg_rsp_send_str(dbg_rsp *r, const char *s) {
    assert(s);
    return dbg_rsp_send(r, s, strlen(s));
}

void dbg_rsp_take(dbg_rsp *r, size_t n) {
    assert(r && n <= r->nout);
    memmove(r->out, r->out + n, r->nout - n);
    r->nout -= n;
}
