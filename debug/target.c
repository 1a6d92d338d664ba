/*
** target.c — gdb's i386 target over the session (docs/debug.md, "Packets"): the 16
** registers of the i386 `g` packet, memory on guest linear addresses (RAM only, never
** host memory), Z0-Z2 breakpoints and watchpoints, c/s/vCont, bs/bc, the contexts as
** threads. A malformed packet is answered with E01, never a crash; one this target
** does not know gets the empty reply ("unsupported").
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dbg_int.h"

#define NREGS 16u   /* eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs */

/* ---- hex helpers -------------------------------------------------------------------- */

/* A hex number of at most 8 digits at *p, moving *p past it; -1 when none or longer. */
static int parse_hex32(const char **p, uint32_t *out) {
    assert(p && *p && out);
    uint32_t v = 0, n = 0;
    int h;
    while ((h = dbg_hexval(**p)) >= 0) {
        if (++n > 8) return -1;
        v = v << 4 | (uint32_t)h;
        (*p)++;
    }
    *out = v;
    return n ? 0 : -1;
}

static void put_hex_bytes(char *dst, const uint8_t *src, size_t n) {
    assert(dst && (src || !n));
    static const char hex[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        dst[2 * k] = hex[src[k] >> 4];
        dst[2 * k + 1] = hex[src[k] & 15];
    }
    dst[2 * n] = 0;
}

/* n bytes from 2n hex digits; -1 on a non-hex digit. */
static int get_hex_bytes(uint8_t *dst, const char *src, size_t n) {
    assert(dst && src);
    for (size_t k = 0; k < n; k++) {
        int a = dbg_hexval(src[2 * k]), b = a < 0 ? -1 : dbg_hexval(src[2 * k + 1]);
        if (b < 0) return -1;
        dst[k] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

static void put_le32(char *dst, uint32_t v) {
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put_hex_bytes(dst, b, 4);
}

/* ---- registers ------------------------------------------------------------------------ */

static const int seg_of[6] = { CPU_CS, CPU_SS, CPU_DS, CPU_ES, CPU_FS, CPU_GS };

static uint32_t reg_get(const cpu_regs *r, uint32_t n) {
    assert(r && n < NREGS);
    if (n < 8) return r->r[n];
    if (n == 8) return r->eip;
    if (n == 9) return r->eflags;
    return r->seg[seg_of[n - 10]].sel;
}

/* The registers of the context g/p read (Hg), or of the current one. */
static int regs_of(dbg_sess *s, cpu_regs *r) {
    assert(s && s->sim.v && r);
    int ci = s->thread_g >= 0 ? s->thread_g : vmm_ctx_current(s->sim.v);
    return vmm_ctx_regs(s->sim.v, (uint32_t)ci, r) == VMM_OK ? 0 : -1;
}

/* Writes go to the CPU, and only for the context on it: a general register, EIP or
** EFLAGS (segment registers would need descriptors: refused). */
static int reg_set(dbg_sess *s, uint32_t n, uint32_t val) {
    assert(s && s->sim.v);
    cpu_state *c = vmm_cpu(s->sim.v);
    if (n >= NREGS || (s->thread_g >= 0 && s->thread_g != vmm_ctx_current(s->sim.v))) return -1;
    if (n < 8) cpu_set_reg(c, (int)n, val);
    else if (n == 8) cpu_set_eip(c, val);
    else if (n == 9) cpu_set_eflags(c, val);
    else {
        cpu_regs r;
        cpu_get_regs(c, &r);
        return reg_get(&r, n) == (val & 0xFFFFu) ? 0 : -1;   /* unchanged is fine */
    }
    return 0;
}

static void cmd_g(dbg_sess *s, dbg_rsp *r) {
    assert(s && r && !s->running);
    char out[NREGS * 8 + 1];
    cpu_regs regs;
    if (regs_of(s, &regs)) { dbg_rsp_send_str(r, "E01"); return; }
    for (uint32_t n = 0; n < NREGS; n++) put_le32(out + 8 * n, reg_get(&regs, n));
    dbg_rsp_send_str(r, out);
}

static uint32_t le32(const uint8_t *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void cmd_G(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && r && arg);
    uint8_t b[NREGS * 4];
    if (strlen(arg) < 8 * NREGS || get_hex_bytes(b, arg, NREGS * 4)) { dbg_rsp_send_str(r, "E01"); return; }
    for (uint32_t n = 0; n < NREGS; n++)
        if (reg_set(s, n, le32(b + 4 * n))) { dbg_rsp_send_str(r, "E02"); return; }
    dbg_rsp_send_str(r, "OK");
}

static void cmd_p(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && r && arg);
    uint32_t n;
    cpu_regs regs;
    char out[9];
    if (parse_hex32(&arg, &n) || *arg) { dbg_rsp_send_str(r, "E01"); return; }
    if (n >= NREGS) { dbg_rsp_send_str(r, "E02"); return; }
    if (regs_of(s, &regs)) { dbg_rsp_send_str(r, "E01"); return; }
    put_le32(out, reg_get(&regs, n));
    dbg_rsp_send_str(r, out);
}

static void cmd_P(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && r && arg);
    uint32_t n;
    uint8_t b[4];
    if (parse_hex32(&arg, &n) || *arg++ != '=' || strlen(arg) != 8 || get_hex_bytes(b, arg, 4)) {
        dbg_rsp_send_str(r, "E01");
        return;
    }
    dbg_rsp_send_str(r, reg_set(s, n, le32(b)) ? "E02" : "OK");
}

/* ---- memory ------------------------------------------------------------------------------ */

/* "ADDR,LEN" within guest RAM and DBG_MEM_MAX; the rest after it in *rest. */
static int mem_range(dbg_sess *s, const char *arg, uint32_t *addr, uint32_t *len, const char **rest) {
    assert(s && arg && addr && len && rest);
    if (parse_hex32(&arg, addr) || *arg++ != ',' || parse_hex32(&arg, len)) return -1;
    *rest = arg;
    if (*len > DBG_MEM_MAX) return -1;
    return (uint64_t)*addr + *len <= vmm_ram_bytes(s->sim.v) ? 0 : -2;
}

static void cmd_m(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && s->sim.v && r && arg);
    uint32_t addr, len;
    const char *rest;
    uint8_t buf[DBG_MEM_MAX];
    char out[2 * DBG_MEM_MAX + 1];
    int rc = mem_range(s, arg, &addr, &len, &rest);
    if (rc || *rest) { dbg_rsp_send_str(r, rc == -2 ? "E14" : "E01"); return; }
    if (cpu_lin_read(vmm_cpu(s->sim.v), addr, buf, len) != CPU_OK) { dbg_rsp_send_str(r, "E14"); return; }
    put_hex_bytes(out, buf, len);
    dbg_rsp_send_str(r, out);
}

static void cmd_M(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && s->sim.v && r && arg);
    uint32_t addr, len;
    const char *rest;
    uint8_t buf[DBG_MEM_MAX];
    int rc = mem_range(s, arg, &addr, &len, &rest);
    if (!rc && (*rest++ != ':' || strlen(rest) != 2u * len || get_hex_bytes(buf, rest, len))) rc = -1;
    if (rc) { dbg_rsp_send_str(r, rc == -2 ? "E14" : "E01"); return; }
    if (cpu_lin_write(vmm_cpu(s->sim.v), addr, buf, len) != CPU_OK) { dbg_rsp_send_str(r, "E14"); return; }
    dbg_s_wp_refresh(s);   /* the debugger's own write is no watchpoint hit */
    dbg_rsp_send_str(r, "OK");
}

/* ---- breakpoints and watchpoints ------------------------------------------------------------ */

static int bp_find(const dbg_sess *s, uint32_t addr, int hw) {
    assert(s && s->nbp <= DBG_BP_MAX);
    for (uint32_t k = 0; k < s->nbp; k++)
        if (s->bp[k].addr == addr && s->bp[k].hw == hw) return (int)k;
    return -1;
}

static int wp_find(const dbg_sess *s, uint32_t addr, uint32_t len, int type) {
    assert(s && s->nwp <= DBG_WP_MAX);
    for (uint32_t k = 0; k < s->nwp; k++)
        if (s->wp[k].addr == addr && s->wp[k].len == len && s->wp[k].type == type) return (int)k;
    return -1;
}

static void bp_change(dbg_sess *s, dbg_rsp *r, uint32_t addr, int hw, int insert) {
    assert(s && r && s->nbp <= DBG_BP_MAX);
    int k = bp_find(s, addr, hw);
    if (insert && k < 0) {
        if (s->nbp >= DBG_BP_MAX) { dbg_rsp_send_str(r, "E28"); return; }
        s->bp[s->nbp++] = (dbg_bp){ addr, hw };
    } else if (!insert && k >= 0) {
        s->bp[k] = s->bp[--s->nbp];
    }
    dbg_rsp_send_str(r, "OK");
}

/* Z2 compares the bytes before each instruction (any writer: guest code or the VMM);
** Z3 and Z4 are the CPU's host watches (guest code's reads, or reads and writes). */
static void wp_change(dbg_sess *s, dbg_rsp *r, uint32_t addr, uint32_t len, int type, int insert) {
    assert(s && r && type >= 2 && type <= 4 && s->nwp <= DBG_WP_MAX);
    if (len < 1 || len > DBG_WP_LEN_MAX || (uint64_t)addr + len > vmm_ram_bytes(s->sim.v)) {
        dbg_rsp_send_str(r, "E22");
        return;
    }
    int k = wp_find(s, addr, len, type);
    if (insert && k < 0) {
        if (s->nwp >= DBG_WP_MAX) { dbg_rsp_send_str(r, "E28"); return; }
        s->wp[s->nwp++] = (dbg_wp){ .addr = addr, .len = len, .type = type };
        dbg_s_wp_refresh(s);
    } else if (!insert && k >= 0) {
        s->wp[k] = s->wp[--s->nwp];
    }
    dbg_rsp_send_str(r, dbg_s_wp_sync(s) ? "E22" : "OK");
}

/* Zt,addr,kind and zt,addr,kind (conditions after a ';' are ignored). */
static void cmd_Z(dbg_sess *s, dbg_rsp *r, const char *arg, int insert) {
    assert(s && r && arg);
    uint32_t type, addr, kind;
    if (parse_hex32(&arg, &type) || *arg++ != ',' || parse_hex32(&arg, &addr) || *arg++ != ',' ||
        parse_hex32(&arg, &kind) || type > 4) {
        dbg_rsp_send_str(r, "E01");
        return;
    }
    if (type <= 1) bp_change(s, r, addr, (int)type, insert);
    else wp_change(s, r, addr, kind, (int)type, insert);
}

/* ---- threads: each VM's context and the VMM's ------------------------------------------------ */

static uint32_t thread_now(dbg_sess *s) {
    assert(s && s->sim.v);
    return (uint32_t)vmm_ctx_current(s->sim.v) + 1u;
}

/* A thread id of a packet: -1 all, 0 any, else a context + 1; -2 when bad. */
static int parse_thread(dbg_sess *s, const char *arg) {
    assert(s && s->sim.v && arg);
    uint32_t id;
    if (!strcmp(arg, "-1")) return -1;
    if (parse_hex32(&arg, &id) || *arg) return -2;
    if (id > vmm_ctx_count(s->sim.v)) return -2;
    return (int)id;
}

static void cmd_H(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && r && arg);
    char op = *arg ? *arg++ : 0;
    int id = parse_thread(s, arg);
    if ((op != 'g' && op != 'c') || id == -2) { dbg_rsp_send_str(r, "E01"); return; }
    if (op == 'g') s->thread_g = id > 0 ? id - 1 : -1;
    dbg_rsp_send_str(r, "OK");
}

static void threads_xml(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && s->sim.v && r && arg);
    char xml[4096];
    size_t at = 0;
    uint32_t off, len;
    at += (size_t)snprintf(xml, sizeof xml, "<?xml version=\"1.0\"?>\n<threads>\n");
    for (uint32_t ci = 0; ci < vmm_ctx_count(s->sim.v) && at < sizeof xml; ci++)
        at += (size_t)snprintf(xml + at, sizeof xml - at, "<thread id=\"%x\" name=\"%s\"/>\n", ci + 1,
                               vmm_ctx_name(s->sim.v, ci));
    if (at < sizeof xml) at += (size_t)snprintf(xml + at, sizeof xml - at, "</threads>\n");
    if (at >= sizeof xml) at = sizeof xml - 1;
    if (parse_hex32(&arg, &off) || *arg++ != ',' || parse_hex32(&arg, &len)) { dbg_rsp_send_str(r, "E01"); return; }
    char out[DBG_PKT_MAX / 2];
    if (off >= at) { dbg_rsp_send_str(r, "l"); return; }
    size_t n = at - off < len ? at - off : len;
    if (n > sizeof out - 2) n = sizeof out - 2;
    out[0] = off + n >= at ? 'l' : 'm';
    memcpy(out + 1, xml + off, n);
    dbg_rsp_send(r, out, n + 1);
}

static void cmd_thread_q(dbg_sess *s, dbg_rsp *r, const char *q) {
    assert(s && r && q);
    char out[256];
    if (!strcmp(q, "fThreadInfo")) {
        size_t at = 0;
        out[at++] = 'm';
        for (uint32_t ci = 0; ci < vmm_ctx_count(s->sim.v) && at < sizeof out - 12; ci++)
            at += (size_t)snprintf(out + at, sizeof out - at, "%s%x", ci ? "," : "", ci + 1);
        dbg_rsp_send(r, out, at);
    } else if (!strcmp(q, "sThreadInfo")) {
        dbg_rsp_send_str(r, "l");
    } else if (!strcmp(q, "C")) {
        snprintf(out, sizeof out, "QC%x", thread_now(s));
        dbg_rsp_send_str(r, out);
    } else {   /* ThreadExtraInfo,ID */
        int id = parse_thread(s, q + strlen("ThreadExtraInfo,"));
        if (id <= 0) { dbg_rsp_send_str(r, "E01"); return; }
        char text[64];
        snprintf(text, sizeof text, "%s%s", vmm_ctx_name(s->sim.v, (uint32_t)id - 1),
                 (uint32_t)id == thread_now(s) ? " (on the CPU)" : "");
        put_hex_bytes(out, (const uint8_t *)text, strlen(text));
        dbg_rsp_send_str(r, out);
    }
}

/* ---- stop replies and resuming ------------------------------------------------------------------- */

static void stop_reply(dbg_sess *s, dbg_rsp *r) {
    assert(s && r);
    char out[96];
    uint32_t th = thread_now(s);
    switch (s->why) {
    case DBG_WHY_SWBREAK: snprintf(out, sizeof out, "T05swbreak:;thread:%x;", th); break;
    case DBG_WHY_HWBREAK: snprintf(out, sizeof out, "T05hwbreak:;thread:%x;", th); break;
    case DBG_WHY_WATCH: snprintf(out, sizeof out, "T05watch:%x;thread:%x;", s->why_addr, th); break;
    case DBG_WHY_RWATCH: snprintf(out, sizeof out, "T05rwatch:%x;thread:%x;", s->why_addr, th); break;
    case DBG_WHY_AWATCH: snprintf(out, sizeof out, "T05awatch:%x;thread:%x;", s->why_addr, th); break;
    case DBG_WHY_INTR: snprintf(out, sizeof out, "T02thread:%x;", th); break;
    case DBG_WHY_BEGIN: snprintf(out, sizeof out, "T05replaylog:begin;thread:%x;", th); break;
    case DBG_WHY_END: snprintf(out, sizeof out, "T05replaylog:end;thread:%x;", th); break;
    default: snprintf(out, sizeof out, "T05thread:%x;", th); break;
    }
    dbg_rsp_send_str(r, out);
}

int dbg_sess_run(dbg_sess *s, dbg_rsp *r, uint64_t max_steps) {
    assert(s && r && s->running && max_steps > 0);
    if (s->co == DBG_CO_DONE) {
        s->why = DBG_WHY_END;
    } else {
        s->mode = DBG_MODE_CONT;
        s->slice_end = s->steps + max_steps;
        dbg_s_resume(s);
        if (s->why == DBG_WHY_SLICE) return 0;
    }
    s->running = 0;
    s->step_once = 0;
    s->intr = 0;
    stop_reply(s, r);
    return 1;
}

void dbg_sess_interrupt(dbg_sess *s) { assert(s); if (s->running) s->intr = 1; }

/* c, s, C, S and vCont: a resume address is refused (the run's flow is the run's). */
static int resume(dbg_sess *s, dbg_rsp *r, int step, const char *addr) {
    assert(s && r && !s->running);
    if (addr && *addr) { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
    s->running = 1;
    s->step_once = step;
    s->intr = 0;
    return DBG_RC_RUNNING;
}

static int cmd_vcont(dbg_sess *s, dbg_rsp *r, const char *arg) {
    assert(s && r && arg);
    if (!strcmp(arg, "?")) { dbg_rsp_send_str(r, "vCont;c;C;s;S"); return DBG_RC_REPLIED; }
    if (*arg != ';') { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
    int step = 0, any = 0;
    /* One CPU: the actions name threads, but a step of any steps the machine. */
    for (const char *p = arg; p && *p == ';'; p = strchr(p + 1, ';')) {
        char a = p[1];
        if (a == 's' || a == 'S') step = 1;
        else if (a != 'c' && a != 'C') { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
        any = 1;
    }
    if (!any) { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
    return resume(s, r, step, NULL);
}

/* bs and bc (ReverseStep, ReverseContinue). */
static void cmd_reverse(dbg_sess *s, dbg_rsp *r, int cont) {
    assert(s && r && !s->running);
    int rc;
    if (cont) {
        rc = dbg_s_reverse_cont(s);
    } else if (s->co == DBG_CO_DONE) {
        rc = dbg_s_goto(s, s->steps);
    } else if (s->steps <= 1) {
        s->why = DBG_WHY_BEGIN;
        rc = 0;
    } else {
        rc = dbg_s_goto(s, s->steps - 1);
    }
    /* A machine that could not be rebuilt (memory), or a re-execution that ended
    ** before the step it had reached before (a broken determinism: a vmmsim bug). */
    if (rc || s->why == DBG_WHY_END || s->ff_broken) { dbg_rsp_send_str(r, "E0c"); return; }
    stop_reply(s, r);
}

/* ---- dispatch ------------------------------------------------------------------------------------ */

static int cmd_query(dbg_sess *s, dbg_rsp *r, const char *q) {
    assert(s && r && q);
    if (!strncmp(q, "Supported", 9)) {
        char out[160];
        snprintf(out, sizeof out, "PacketSize=%x;QStartNoAckMode+;swbreak+;hwbreak+;ReverseStep+;"
                 "ReverseContinue+;qXfer:threads:read+;vContSupported+", DBG_PKT_MAX);
        dbg_rsp_send_str(r, out);
    } else if (!strcmp(q, "fThreadInfo") || !strcmp(q, "sThreadInfo") || !strcmp(q, "C") ||
               !strncmp(q, "ThreadExtraInfo,", 16)) {
        cmd_thread_q(s, r, q);
    } else if (!strncmp(q, "Xfer:threads:read::", 19)) {
        threads_xml(s, r, q + 19);
    } else if (!strcmp(q, "Attached")) {
        dbg_rsp_send_str(r, "1");
    } else if (!strncmp(q, "Rcmd,", 5)) {
        dbg_m_command(s, r, q + 5);
    } else if (!strcmp(q, "Symbol::")) {
        dbg_rsp_send_str(r, "OK");
    } else {
        dbg_rsp_send_str(r, "");
    }
    return DBG_RC_REPLIED;
}

static int dispatch(dbg_sess *s, dbg_rsp *r, const char *p) {
    assert(s && r && p && p[0]);
    switch (p[0]) {
    case '?': stop_reply(s, r); return DBG_RC_REPLIED;
    case 'g': if (p[1]) break; cmd_g(s, r); return DBG_RC_REPLIED;
    case 'G': cmd_G(s, r, p + 1); return DBG_RC_REPLIED;
    case 'p': cmd_p(s, r, p + 1); return DBG_RC_REPLIED;
    case 'P': cmd_P(s, r, p + 1); return DBG_RC_REPLIED;
    case 'm': cmd_m(s, r, p + 1); return DBG_RC_REPLIED;
    case 'M': cmd_M(s, r, p + 1); return DBG_RC_REPLIED;
    case 'Z': case 'z': cmd_Z(s, r, p + 1, p[0] == 'Z'); return DBG_RC_REPLIED;
    case 'H': cmd_H(s, r, p + 1); return DBG_RC_REPLIED;
    case 'T': dbg_rsp_send_str(r, parse_thread(s, p + 1) > 0 ? "OK" : "E01"); return DBG_RC_REPLIED;
    case 'c': return resume(s, r, 0, p + 1);
    case 's': return resume(s, r, 1, p + 1);
    case 'C': case 'S': {   /* the signal is dropped: the guest has none */
        const char *a = p + 1;
        uint32_t sig;
        if (parse_hex32(&a, &sig) || (*a && *a != ';')) break;
        return resume(s, r, p[0] == 'S', *a ? a + 1 : NULL);
    }
    case 'b':
        if (p[1] == 's' && !p[2]) { cmd_reverse(s, r, 0); return DBG_RC_REPLIED; }
        if (p[1] == 'c' && !p[2]) { cmd_reverse(s, r, 1); return DBG_RC_REPLIED; }
        break;
    case 'q': return cmd_query(s, r, p + 1);
    case 'k': return DBG_RC_CLOSE;
    case 'D': dbg_rsp_send_str(r, "OK"); return DBG_RC_CLOSE;
    default: break;
    }
    if (!strncmp(p, "vCont", 5)) return cmd_vcont(s, r, p + 5);
    if (!strcmp(p, "QStartNoAckMode")) {
        dbg_rsp_send_str(r, "OK");
        r->noack = 1;   /* after the OK: gdb acks that one */
        return DBG_RC_REPLIED;
    }
    if (strchr("gbCS", p[0])) { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
    dbg_rsp_send_str(r, "");
    return DBG_RC_REPLIED;
}

int dbg_sess_packet(dbg_sess *s, dbg_rsp *r) {
    assert(s && r && r->len <= DBG_PKT_MAX);
    if (r->too_long) { dbg_rsp_send_str(r, "E02"); return DBG_RC_REPLIED; }
    if (s->running) return DBG_RC_REPLIED;   /* gdb waits for the stop reply: nothing else comes */
    if (r->len == 0) { dbg_rsp_send_str(r, ""); return DBG_RC_REPLIED; }
    if (memchr(r->buf, 0, r->len)) { dbg_rsp_send_str(r, "E01"); return DBG_RC_REPLIED; }
    return dispatch(s, r, (const char *)r->buf);
}
