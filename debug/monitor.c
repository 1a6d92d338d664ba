/*
** monitor.c — gdb's `monitor` commands (qRcmd; docs/debug.md, "monitor"): where the
** run is, the trace records around it, going to a record or to the first finding or
** failed expectation, the choice points, and the VMM's scheduling state. The text goes
** back as "O" packets, then OK.
*/
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dbg_int.h"

#define MON_TEXT_MAX 12000u   /* bytes of one command's output (the rest is cut) */
#define MON_RECORDS_MAX 200u  /* records one `monitor records N` shows either side */

typedef struct mon_out { char text[MON_TEXT_MAX]; size_t len; } mon_out;

static void say(mon_out *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(mon_out *m, const char *fmt, ...) {
    assert(m && m->len < MON_TEXT_MAX);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->text + m->len, MON_TEXT_MAX - m->len, fmt, ap);
    va_end(ap);
    if (n > 0) m->len += (size_t)n < MON_TEXT_MAX - m->len ? (size_t)n : MON_TEXT_MAX - m->len - 1;
}

/* The text as O packets of at most 1024 bytes each, then OK. */
static void flush_out(dbg_rsp *r, const mon_out *m) {
    assert(r && m && m->len < MON_TEXT_MAX);
    static const char hex[] = "0123456789abcdef";
    char pkt[1 + 2 * 1024];
    for (size_t at = 0; at < m->len; at += 1024) {
        size_t n = m->len - at < 1024 ? m->len - at : 1024;
        pkt[0] = 'O';
        for (size_t k = 0; k < n; k++) {
            pkt[1 + 2 * k] = hex[(uint8_t)m->text[at + k] >> 4];
            pkt[2 + 2 * k] = hex[(uint8_t)m->text[at + k] & 15];
        }
        if (dbg_rsp_send(r, pkt, 1 + 2 * n)) break;
    }
    dbg_rsp_send_str(r, "OK");
}

static void where(dbg_sess *s, mon_out *m) {
    assert(s && s->sim.v && m);
    vmm_state *v = s->sim.v;
    uint32_t lin;
    dbg_s_linear(s, &lin);
    const char *lab = vmm_label_at(v, lin);
    say(m, "step %llu%s cycle %llu records %llu context %s eip 0x%08x%s%s\n",
        (unsigned long long)s->steps, s->co == DBG_CO_DONE ? " (run ended)" : "",
        (unsigned long long)vmm_now(v), (unsigned long long)vmm_trace(v)->count,
        vmm_ctx_name(v, (uint32_t)vmm_ctx_current(v)), lin, lab ? " " : "", lab ? lab : "");
}

static void show_record(dbg_sess *s, mon_out *m, uint64_t i, const char *mark) {
    assert(s && s->sim.v && m && mark);
    const eng_trace *t = vmm_trace(s->sim.v);
    char line[XPL_LINE_MAX];
    if (i >= t->len) return;
    vmm_format_record(s->sim.v, &t->rec[i], line, sizeof line);
    say(m, "%s%llu: %s\n", mark, (unsigned long long)i, line);
}

/* The n records before now, and the n after it (a look ahead: the run goes on to
** there and comes back by re-execution). */
static void records(dbg_sess *s, mon_out *m, uint64_t n) {
    assert(s && s->sim.v && m && !s->running);
    uint64_t now = vmm_trace(s->sim.v)->count, step = s->steps;
    int done = s->co == DBG_CO_DONE;
    if (n > MON_RECORDS_MAX) n = MON_RECORDS_MAX;
    for (uint64_t i = now > n ? now - n : 0; i < now; i++) show_record(s, m, i, "  ");
    say(m, "-> now: step %llu, cycle %llu\n", (unsigned long long)step, (unsigned long long)vmm_now(s->sim.v));
    if (done) return;
    s->mode = DBG_MODE_GOTO;
    s->rec_at = now + n;
    dbg_s_resume(s);
    s->rec_at = 0;
    for (uint64_t i = now; i < now + n && i < vmm_trace(s->sim.v)->count; i++) show_record(s, m, i, "  ");
    if (dbg_s_goto(s, step)) say(m, "cannot come back to step %llu\n", (unsigned long long)step);
}

static void first_failure(dbg_sess *s, mon_out *m) {
    assert(s && m && !s->running);
    if (dbg_s_restart(s)) { say(m, "out of memory\n"); return; }
    s->mode = DBG_MODE_GOTO;
    s->stop_at = UINT64_MAX;
    s->rec_at = 0;
    dbg_s_resume(s);   /* to the end: the expectations are judged on the whole run */
    const eng_trace *t = vmm_trace(s->sim.v);
    for (uint32_t i = 0; i < t->len; i++)
        if (t->rec[i].type == VMM_REC_FINDING) {
            if (dbg_s_goto_record(s, i)) { say(m, "out of memory\n"); return; }
            say(m, "the first finding, record %u:\n", i);
            show_record(s, m, i, "  ");
            where(s, m);
            return;
        }
    xpl_verdict vd;
    xpl_verdict_get(&s->sim, &vd);
    if (!vd.failed) { say(m, "no finding and no failed expectation; at the end of the run\n"); return; }
    say(m, "no finding; failed: %s\n  %s\nexpectations are judged on the whole run: at its end\n",
        vd.sig, vd.first);
    where(s, m);
}

static void choice(dbg_sess *s, mon_out *m) {
    assert(s && s->sim.v && m);
    const eng_trace *t = vmm_trace(s->sim.v);
    uint32_t n = 0;
    eng_chooser_log(vmm_chooser(s->sim.v), &n);
    say(m, "decisions made so far: %u\n", n);
    for (uint32_t i = t->len; i-- > 0;)
        if (t->rec[i].type == VMM_REC_CHOICE) { say(m, "the last choice point:\n"); show_record(s, m, i, "  "); return; }
    say(m, "no choice point yet\n");
}

/* The snapshots kept (docs/debug.md, "Snapshots"): their steps, bytes and use. */
static void snapshots(dbg_sess *s, mon_out *m) {
    assert(s && m && s->nsnap <= DBG_SNAP_MAX);
    say(m, "snapshots: %u of at most %u, %zu bytes of at most %u, one every %u instructions\n",
        s->nsnap, DBG_SNAP_MAX, s->snap_bytes, DBG_SNAP_BYTES, DBG_SNAP_EVERY);
    say(m, "re-executions: %llu, %llu of them from a snapshot\n",
        (unsigned long long)s->reexecs, (unsigned long long)s->restores);
    for (uint32_t k = 0; k < s->nsnap && k < 16; k++)   /* the first ones; the rest by count */
        say(m, "  step %llu cycle %llu: %zu bytes\n", (unsigned long long)s->snap[k].steps + 1,
            (unsigned long long)s->snap[k].sn.cycles, s->snap[k].sn.len);
}

static const char help_text[] =
"monitor commands (vmmsim debug):\n"
"  where            step, cycle, records so far, context, EIP\n"
"  records [N]      the N trace records before now and after it (default 5)\n"
"  record N         go to trace record N (the first instruction after it)\n"
"  finding          go to the first finding; else run to the end and name the\n"
"                   failed expectations\n"
"  choice           the decisions made so far and the last choice point\n"
"  vmm              critical section, VM priorities, callback frames, pending\n"
"                   events, time-outs and installed callbacks\n"
"  step N           go to step N (instructions since the run began)\n"
"  snapshots        the whole-machine snapshots kept (steps, bytes)\n";

static void run_cmd(dbg_sess *s, mon_out *m, const char *cmd) {
    assert(s && m && cmd && m->len == 0);
    uint64_t n = 0;
    const char *arg = strchr(cmd, ' ');
    size_t len = arg ? (size_t)(arg - cmd) : strlen(cmd);
    int has_n = arg && !xpl_u64_arg(arg + 1, &n);
    if (len == 5 && !strncmp(cmd, "where", 5)) where(s, m);
    else if (len == 7 && !strncmp(cmd, "records", 7)) records(s, m, arg ? (has_n ? n : 5) : 5);
    else if (len == 6 && !strncmp(cmd, "record", 6) && has_n) {
        if (dbg_s_goto_record(s, n)) say(m, "out of memory\n");
        else { show_record(s, m, n, "  "); where(s, m); }
    } else if (len == 4 && !strncmp(cmd, "step", 4) && has_n && n >= 1) {
        if (dbg_s_goto(s, n)) say(m, "out of memory\n");
        else where(s, m);
    } else if (len == 7 && !strncmp(cmd, "finding", 7)) first_failure(s, m);
    else if (len == 6 && !strncmp(cmd, "choice", 6)) choice(s, m);
    else if (len == 9 && !strncmp(cmd, "snapshots", 9)) snapshots(s, m);
    else if (len == 3 && !strncmp(cmd, "vmm", 3)) m->len += vmm_describe(s->sim.v, m->text + m->len, MON_TEXT_MAX - m->len);
    else say(m, "%s", help_text);
}

void dbg_m_command(dbg_sess *s, dbg_rsp *r, const char *hexcmd) {
    assert(s && r && hexcmd);
    char cmd[256];
    size_t n = strlen(hexcmd) / 2;
    if (strlen(hexcmd) % 2 || n >= sizeof cmd) { dbg_rsp_send_str(r, "E01"); return; }
    for (size_t k = 0; k < n; k++) {
        char h[3] = { hexcmd[2 * k], hexcmd[2 * k + 1], 0 };
        char *end;
        long v = strtol(h, &end, 16);
        if (*end || v <= 0) { dbg_rsp_send_str(r, "E01"); return; }
        cmd[k] = (char)v;
    }
    cmd[n] = 0;
    mon_out *m = malloc(sizeof *m);
    if (!m) { dbg_rsp_send_str(r, "E0c"); return; }
    m->len = 0;
    m->text[0] = 0;
    run_cmd(s, m, cmd);
    flush_out(r, m);
    free(m);
}
