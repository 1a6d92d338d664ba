/*
** trace_out.c — trace output for tools: JSON Lines, and Chrome trace-event JSON
** (the format the Perfetto UI and chrome://tracing open).
**
** Both are derived from the canonical text lines (docs/trace-format.md), so they
** can never disagree with the trace that is hashed.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

static void json_str(FILE *f, const char *s, size_t n) {
    assert(f && (s || n == 0));
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7F) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

/* JSON number only for plain decimal without leading zeros (JSON's grammar). */
static int json_number(const char *v, size_t n) {
    assert(v || n == 0);
    if (n == 0 || n > 19 || (n > 1 && v[0] == '0')) return 0;
    for (size_t i = 0; i < n; i++) if (v[i] < '0' || v[i] > '9') return 0;
    return 1;
}

static void json_kvs(FILE *f, const xpl_tline *t) {
    assert(f && t && t->nkv <= XPL_KV_MAX);
    for (uint32_t i = 0; i < t->nkv; i++) {
        const xpl_kv *kv = &t->kv[i];
        fputc(',', f);
        json_str(f, kv->k, kv->klen);
        fputc(':', f);
        if (!kv->quoted && json_number(kv->v, kv->vlen)) fwrite(kv->v, 1, kv->vlen, f);
        else json_str(f, kv->v, kv->vlen);
    }
}

void xpl_emit_jsonl(FILE *f, const char *line, size_t len) {
    assert(f && line);
    xpl_tline t;
    if (xpl_tline_parse(line, len, &t)) {
        fputs("{\"line\":", f);
        json_str(f, line, len);
        fputs("}\n", f);
        return;
    }
    fprintf(f, "{\"cycle\":%llu,\"type\":", (unsigned long long)t.cycle);
    json_str(f, t.type, t.typelen);
    json_kvs(f, &t);
    fputs("}\n", f);
}

/* ---- Chrome trace-event JSON --------------------------------------------- */

#define PF_DEPTH_MAX 64

/* Per VM track, the names of the open spans, so that every E matches its B. */
typedef struct pf_track {
    char name[PF_DEPTH_MAX][48];
    uint32_t depth;
} pf_track;

typedef struct pf_state {
    FILE *f;
    const xpl_sim *c;
    double us_per_cycle;
    int first;
    int cur_vm;                  /* the current VM: records without vm= go there */
    pf_track track[SCEN_VMS_MAX];
} pf_state;

static int vm_of(const pf_state *p, const xpl_tline *t, const char *key) {
    assert(p && t && key);
    uint32_t n = 0;
    const char *v = xpl_tline_get(t, key, &n);
    if (!v) return -1;
    for (uint32_t i = 0; i < p->c->s.nvms && i < SCEN_VMS_MAX; i++)
        if (strlen(p->c->s.vms[i].name) == n && !memcmp(p->c->s.vms[i].name, v, n)) return (int)i;
    return -1;
}

static void pf_event(pf_state *p, const xpl_tline *t, const char *ph, const char *name,
                     size_t nlen, int tid) {
    fprintf(p->f, "%s\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"name\":",
            p->first ? "" : ",", ph, tid, (double)t->cycle * p->us_per_cycle);
    p->first = 0;
    json_str(p->f, name, nlen);
    if (ph[0] == 'i') fputs(",\"s\":\"t\"", p->f);
    fprintf(p->f, ",\"args\":{\"cycle\":%llu", (unsigned long long)t->cycle);
    json_kvs(p->f, t);
    fputs("}}", p->f);
}

/* Opens a span named name (key) on the track; an overflowing depth becomes an instant. */
static void pf_begin(pf_state *p, const xpl_tline *t, int tid, const char *key) {
    assert(p && t && key && tid >= 0);
    uint32_t n = 0;
    const char *name = xpl_tline_get(t, key, &n);
    pf_track *tr = &p->track[tid];
    if (!name || n >= sizeof tr->name[0] || tr->depth >= PF_DEPTH_MAX) {
        pf_event(p, t, "i", t->type, t->typelen, tid);
        return;
    }
    memcpy(tr->name[tr->depth], name, n);
    tr->name[tr->depth][n] = 0;
    tr->depth++;
    pf_event(p, t, "B", name, n, tid);
}

/* Closes the innermost span if it has this name, else an instant. */
static void pf_end(pf_state *p, const xpl_tline *t, int tid, const char *key) {
    assert(p && t && key && tid >= 0);
    uint32_t n = 0;
    const char *name = xpl_tline_get(t, key, &n);
    pf_track *tr = &p->track[tid];
    if (name && tr->depth > 0 && strlen(tr->name[tr->depth - 1]) == n &&
        !memcmp(tr->name[tr->depth - 1], name, n)) {
        tr->depth--;
        pf_event(p, t, "E", name, n, tid);
        return;
    }
    pf_event(p, t, "i", t->type, t->typelen, tid);
}

/* Callbacks (CB_ENTER..CB_RETURN) and service calls (SERVICE..SVC_RET) are spans on
** the track of their VM; every other record is an instant on its VM's track (or
** the current VM's). */
static void pf_record(pf_state *p, const xpl_tline *t) {
    assert(p && t);
    int vm = vm_of(p, t, "vm");
    if (xpl_tline_is(t, "TASK_SWITCH")) {
        int to = vm_of(p, t, "new");
        if (to >= 0) p->cur_vm = to;
    }
    int tid = vm >= 0 ? vm : p->cur_vm;
    if (xpl_tline_is(t, "CB_ENTER")) pf_begin(p, t, tid, "cb");
    else if (xpl_tline_is(t, "CB_RETURN")) pf_end(p, t, tid, "cb");
    else if (xpl_tline_is(t, "SERVICE")) pf_begin(p, t, tid, "svc");
    else if (xpl_tline_is(t, "SVC_RET")) pf_end(p, t, tid, "svc");
    else pf_event(p, t, "i", t->type, t->typelen, tid);
}

/* Spans still open when the trace ends (a blocked VM, --max-cycles) are closed at
** the last cycle, so that viewers show them. */
static void pf_close_all(pf_state *p, uint64_t cycle) {
    assert(p);
    for (int tid = 0; tid < SCEN_VMS_MAX; tid++)
        while (p->track[tid].depth > 0) {
            pf_track *tr = &p->track[tid];
            tr->depth--;
            fprintf(p->f, ",\n{\"ph\":\"E\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"name\":",
                    tid, (double)cycle * p->us_per_cycle);
            json_str(p->f, tr->name[tr->depth], strlen(tr->name[tr->depth]));
            fputs("}", p->f);
        }
}

int xpl_perfetto_write(const xpl_sim *c, const char *path, FILE *err) {
    assert(c && c->v && path && err);
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(err, "vmmsim: %s: cannot write: %s\n", path, strerror(errno)); return XPL_EXIT_HOST; }
    pf_state *p = calloc(1, sizeof *p);
    if (!p) { fclose(f); fprintf(err, "vmmsim: out of memory\n"); return XPL_EXIT_HOST; }
    p->f = f;
    p->c = c;
    p->first = 1;
    p->us_per_cycle = 1e6 / (double)(c->s.vs.m.clock_hz ? c->s.vs.m.clock_hz : 33000000);
    for (uint32_t i = 0; i < c->s.nvms; i++) if (c->s.vms[i].system) p->cur_vm = (int)i;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    fprintf(f, "\n{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":");
    json_str(f, c->s.name[0] ? c->s.name : c->path, strlen(c->s.name[0] ? c->s.name : c->path));
    fputs("}}", f);
    p->first = 0;
    for (uint32_t i = 0; i < c->s.nvms; i++) {
        fprintf(f, ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\",\"args\":"
                "{\"name\":\"VM %s%s\"}}", i, c->s.vms[i].name, c->s.vms[i].system ? " (system)" : "");
    }
    char line[XPL_LINE_MAX];
    const eng_trace *t = vmm_trace(c->v);
    uint64_t last = 0;
    for (uint32_t i = 0; i < t->len; i++) {
        size_t n = xpl_sim_line(c, i, line, sizeof line);
        xpl_tline tl;
        if (!xpl_tline_parse(line, n, &tl)) { pf_record(p, &tl); last = tl.cycle; }
    }
    pf_close_all(p, last);
    fputs("\n]}\n", f);
    free(p);
    int bad = ferror(f);
    if (fclose(f) || bad) { fprintf(err, "vmmsim: %s: write error\n", path); return XPL_EXIT_HOST; }
    return XPL_EXIT_OK;
}
