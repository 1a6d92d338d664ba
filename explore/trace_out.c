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

/* ---- Chrome trace-event JSON (docs/trace-format.md, "Chrome trace-event JSON") ----
** One process (pid 1); its tracks (tid): 1 the VM time slices (a span per stretch
** a VM is the current one), 2 the interrupts (IRQ records, zero-length spans), and
** per VM i three:
** PF_TID_VM + 3i its callbacks (CB_ENTER..CB_RETURN spans), + 1 its service calls
** (SERVICE..SVC_RET spans), + 2 its other records (instants). Flow arrows (ph s/f)
** run from a callback's trigger record to its CB_ENTER. */

#define PF_DEPTH_MAX 64
#define PF_TID_SLICES 1
#define PF_TID_IRQ 2
#define PF_TID_VM 10
#define PF_TRACKS (PF_TID_VM + 3 * SCEN_VMS_MAX)
#define PF_KEYS_MAX 256u              /* scheduled events / time-outs awaiting their run */
#define PF_IRQ_MAX 16u

/* Per track, the names of the open spans, so that every E matches its B. */
typedef struct pf_track {
    char name[PF_DEPTH_MAX][48];
    uint32_t depth;
} pf_track;

/* A trigger's flow id, by event or time-out handle (or IRQ line). */
typedef struct pf_key { uint32_t handle; uint64_t flow; } pf_key;

typedef struct pf_state {
    FILE *f;
    const xpl_sim *c;
    double us_per_cycle;
    int cur_vm;                  /* the current VM: records without vm= go there */
    uint64_t flows;              /* flow ids handed out */
    uint64_t next_flow;          /* the flow the next CB_ENTER ends (0: none) */
    uint64_t nc_flow, idle_flow[SCEN_VMS_MAX];
    pf_key keys[PF_KEYS_MAX]; uint32_t nkeys;
    uint64_t irq_flow[PF_IRQ_MAX];
    pf_track track[PF_TRACKS];
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

static void pf_head(pf_state *p, uint64_t cycle, const char *ph, int tid) {
    assert(p && ph && tid > 0 && tid < PF_TRACKS);
    fprintf(p->f, ",\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,\"name\":", ph, tid,
            (double)cycle * p->us_per_cycle);
}

static void pf_event(pf_state *p, const xpl_tline *t, const char *ph, const char *name,
                     size_t nlen, int tid) {
    assert(p && t && ph && name);
    pf_head(p, t->cycle, ph, tid);
    json_str(p->f, name, nlen);
    if (ph[0] == 'i') fputs(",\"s\":\"t\"", p->f);
    fprintf(p->f, ",\"args\":{\"cycle\":%llu", (unsigned long long)t->cycle);
    json_kvs(p->f, t);
    fputs("}}", p->f);
}

/* A flow arrow's end (ph f, bound to the span that begins here) or start (ph s). */
static void pf_flow(pf_state *p, uint64_t cycle, int tid, uint64_t id, int end) {
    assert(p && id > 0);
    pf_head(p, cycle, end ? "f" : "s", tid);
    fprintf(p->f, "\"trigger\",\"cat\":\"trigger\",\"id\":%llu%s}", (unsigned long long)id,
            end ? ",\"bp\":\"e\"" : "");
}

static uint64_t pf_flow_start(pf_state *p, const xpl_tline *t, int tid) {
    assert(p && t);
    pf_flow(p, t->cycle, tid, ++p->flows, 0);
    return p->flows;
}

/* Opens a span named name (key) on the track; an overflowing depth becomes an instant. */
static void pf_begin(pf_state *p, const xpl_tline *t, int tid, const char *key) {
    assert(p && t && key && tid > 0 && tid < PF_TRACKS);
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
    assert(p && t && key && tid > 0 && tid < PF_TRACKS);
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

static uint32_t pf_u32(const xpl_tline *t, const char *key) {
    assert(t && key);
    uint32_t n = 0;
    const char *v = xpl_tline_get(t, key, &n);
    return v ? (uint32_t)strtoul(v, NULL, 0) : 0;   /* the record's own hex or decimal */
}

/* A scheduled event's or time-out's flow, kept by handle until its run. */
static void pf_key_put(pf_state *p, uint32_t handle, uint64_t flow) {
    assert(p && flow > 0);
    if (!handle) return;
    for (uint32_t i = 0; i < p->nkeys; i++)
        if (p->keys[i].handle == handle) { p->keys[i].flow = flow; return; }
    if (p->nkeys < PF_KEYS_MAX) p->keys[p->nkeys++] = (pf_key){ handle, flow };
}

static uint64_t pf_key_take(pf_state *p, uint32_t handle) {
    assert(p && p->nkeys <= PF_KEYS_MAX);
    for (uint32_t i = 0; i < p->nkeys; i++)
        if (p->keys[i].handle == handle) {
            uint64_t f = p->keys[i].flow;
            p->keys[i] = p->keys[--p->nkeys];
            return f;
        }
    return 0;
}

/* Trigger records (docs/bench.md's pairing): EV schedule -> run, TIMEOUT set ->
** call, IRQ raise -> hw_int, CRIT release -> the next nc callback, Int2F_1689 ->
** the idle callbacks of its chain. tid is the track the trigger record goes on. */
static void pf_trigger(pf_state *p, const xpl_tline *t, int tid, int vm) {
    assert(p && t);
    uint32_t n = 0;
    const char *op = xpl_tline_get(t, "op", &n);
    int is_ev = xpl_tline_is(t, "EV"), is_to = xpl_tline_is(t, "TIMEOUT"), is_irq = xpl_tline_is(t, "IRQ");
#define PF_OP(s) (op && n == strlen(s) && !memcmp(op, s, n))
    if ((is_ev && PF_OP("schedule")) || (is_to && PF_OP("set")))
        pf_key_put(p, pf_u32(t, "handle"), pf_flow_start(p, t, tid));
    else if (is_ev && (PF_OP("run") || PF_OP("timeout"))) {
        uint32_t h = pf_u32(t, "handle");
        p->next_flow = h ? pf_key_take(p, h) : pf_flow_start(p, t, tid);
    } else if (is_to && PF_OP("call"))
        p->next_flow = pf_key_take(p, pf_u32(t, "handle"));
    else if (is_irq && PF_OP("raise") && pf_u32(t, "irq") < PF_IRQ_MAX)
        p->irq_flow[pf_u32(t, "irq")] = pf_flow_start(p, t, tid);
    else if (is_irq && PF_OP("hw_int") && pf_u32(t, "irq") < PF_IRQ_MAX) {
        p->next_flow = p->irq_flow[pf_u32(t, "irq")];
        p->irq_flow[pf_u32(t, "irq")] = 0;
    } else if (xpl_tline_is(t, "CRIT") && PF_OP("release"))
        p->nc_flow = pf_flow_start(p, t, tid);
    else if (xpl_tline_is(t, "SERVICE") && vm >= 0) {
        const char *svc = xpl_tline_get(t, "svc", &n);
        if (svc && n == 10 && !memcmp(svc, "Int2F_1689", 10)) p->idle_flow[vm] = pf_flow_start(p, t, tid);
    }
#undef PF_OP
}

/* The flow a callback entry ends: the trigger its kind names, if one is open. */
static uint64_t pf_enter_flow(pf_state *p, const xpl_tline *t, int vm) {
    assert(p && t);
    uint32_t n = 0;
    const char *kind = xpl_tline_get(t, "kind", &n);
    uint64_t f = 0;
    if (kind && n == 2 && !memcmp(kind, "nc", 2)) { f = p->nc_flow; p->nc_flow = 0; }
    else if (kind && n == 4 && !memcmp(kind, "idle", 4) && vm >= 0) {
        f = p->idle_flow[vm];                /* the chain's first callback: one arrow per flow */
        p->idle_flow[vm] = 0;
    }
    else if (kind && ((n == 5 && !memcmp(kind, "event", 5)) || (n == 4 && !memcmp(kind, "prio", 4)) ||
                      (n == 7 && !memcmp(kind, "timeout", 7)) || (n == 5 && !memcmp(kind, "hwint", 5))))
        f = p->next_flow;
    p->next_flow = 0;
    return f;
}

/* The time-slice track: a span "VM <name>" while that VM is the current one. */
static void pf_slice(pf_state *p, const xpl_tline *t, int to) {
    assert(p && t && to >= 0 && to < SCEN_VMS_MAX);
    pf_track *tr = &p->track[PF_TID_SLICES];
    if (tr->depth) {
        pf_head(p, t->cycle, "E", PF_TID_SLICES);
        json_str(p->f, tr->name[0], strlen(tr->name[0]));
        fputc('}', p->f);
    }
    snprintf(tr->name[0], sizeof tr->name[0], "VM %s", p->c->s.vms[to].name);
    tr->depth = 1;
    pf_head(p, t->cycle, "B", PF_TID_SLICES);
    json_str(p->f, tr->name[0], strlen(tr->name[0]));
    fputc('}', p->f);
    p->cur_vm = to;
}

/* Callbacks and service calls are spans on their VM's tracks; IRQ records go to the
** interrupts track; every other record is an instant on its VM's (or the current
** VM's) records track. */
static void pf_record(pf_state *p, const xpl_tline *t) {
    assert(p && t);
    int vm = vm_of(p, t, "vm");
    if (xpl_tline_is(t, "TASK_SWITCH")) {
        int to = vm_of(p, t, "new");
        if (to >= 0) pf_slice(p, t, to);
    }
    int base = PF_TID_VM + 3 * (vm >= 0 ? vm : p->cur_vm);
    if (xpl_tline_is(t, "CB_ENTER")) {
        uint64_t f = pf_enter_flow(p, t, vm);
        pf_begin(p, t, base, "cb");
        if (f) pf_flow(p, t->cycle, base, f, 1);
    } else if (xpl_tline_is(t, "CB_RETURN")) pf_end(p, t, base, "cb");
    else if (xpl_tline_is(t, "SERVICE")) { pf_begin(p, t, base + 1, "svc"); pf_trigger(p, t, base + 1, vm); }
    else if (xpl_tline_is(t, "SVC_RET")) pf_end(p, t, base + 1, "svc");
    else if (xpl_tline_is(t, "IRQ")) {
        /* A zero-length span, not an instant: viewers bind a flow's start to the
        ** slice open on its track (Perfetto drops one without). */
        pf_event(p, t, "B", t->type, t->typelen, PF_TID_IRQ);
        pf_trigger(p, t, PF_TID_IRQ, vm);
        pf_event(p, t, "E", t->type, t->typelen, PF_TID_IRQ);
    } else {
        pf_event(p, t, "i", t->type, t->typelen, base + 2);
        /* a trigger inside a service call (EV, TIMEOUT, CRIT) starts its arrow there:
        ** on the services track of the VM that runs (vm= may name the target) */
        int cur = PF_TID_VM + 3 * p->cur_vm + 1;
        pf_trigger(p, t, p->track[cur].depth ? cur : p->track[base + 1].depth ? base + 1 : base + 2, vm);
    }
}

/* Spans still open when the trace ends (a blocked VM, --max-cycles, the current
** VM's time slice) are closed at the last cycle, so that viewers show them. */
static void pf_close_all(pf_state *p, uint64_t cycle) {
    assert(p);
    for (int tid = 1; tid < PF_TRACKS; tid++)
        while (p->track[tid].depth > 0) {
            pf_track *tr = &p->track[tid];
            tr->depth--;
            pf_head(p, cycle, "E", tid);
            json_str(p->f, tr->name[tr->depth], strlen(tr->name[tr->depth]));
            fputs("}", p->f);
        }
}

/* Names and orders the tracks (metadata events, ph M, each with its tid). */
static void pf_meta(pf_state *p) {
    assert(p && p->c);
    const xpl_sim *c = p->c;
    const char *pname = c->s.name[0] ? c->s.name : c->path;
    fputs("\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"ts\":0,\"name\":\"process_name\",\"args\":{\"name\":", p->f);
    json_str(p->f, pname, strlen(pname));
    fputs("}}", p->f);
    static const char *const what[3] = { "callbacks", "services", "records" };
    for (int tid = 1; tid < PF_TID_VM + 3 * (int)c->s.nvms; tid++) {
        char name[96];
        if (tid == PF_TID_SLICES) snprintf(name, sizeof name, "VM time slices");
        else if (tid == PF_TID_IRQ) snprintf(name, sizeof name, "interrupts");
        else if (tid >= PF_TID_VM)
            snprintf(name, sizeof name, "VM %s%s: %s", c->s.vms[(tid - PF_TID_VM) / 3].name,
                     c->s.vms[(tid - PF_TID_VM) / 3].system ? " (system)" : "", what[(tid - PF_TID_VM) % 3]);
        else continue;
        fprintf(p->f, ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"ts\":0,\"name\":\"thread_name\",\"args\":{\"name\":", tid);
        json_str(p->f, name, strlen(name));
        fprintf(p->f, "}},\n{\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"ts\":0,\"name\":\"thread_sort_index\","
                "\"args\":{\"sort_index\":%d}}", tid, tid);
    }
}

int xpl_perfetto_write(const xpl_sim *c, const char *path, FILE *err) {
    assert(c && c->v && path && err && c->s.nvms <= SCEN_VMS_MAX);
    xpl_afile af;
    FILE *f = xpl_afile_open(&af, path);
    if (!f) { fprintf(err, "vmmsim: %s: cannot write: %s\n", path, strerror(errno)); return XPL_EXIT_HOST; }
    pf_state *p = calloc(1, sizeof *p);
    if (!p) { xpl_afile_abort(&af); fprintf(err, "vmmsim: out of memory\n"); return XPL_EXIT_HOST; }
    p->f = f;
    p->c = c;
    p->us_per_cycle = 1e6 / (double)(c->s.vs.m.clock_hz ? c->s.vs.m.clock_hz : 33000000);
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    pf_meta(p);
    char line[XPL_LINE_MAX];
    const eng_trace *t = vmm_trace(c->v);
    uint64_t last = 0;
    int started = 0;
    for (uint32_t i = 0; i < t->len; i++) {
        size_t n = xpl_sim_line(c, i, line, sizeof line);
        xpl_tline tl;
        if (xpl_tline_parse(line, n, &tl)) continue;
        if (!started) {                      /* the system VM runs first */
            int sys = 0;
            for (uint32_t v = 0; v < c->s.nvms; v++) if (c->s.vms[v].system) sys = (int)v;
            if (c->s.nvms) pf_slice(p, &tl, sys);
            started = 1;
        }
        pf_record(p, &tl);
        last = tl.cycle;
    }
    pf_close_all(p, last);
    fputs("\n]}\n", f);
    free(p);
    if (xpl_afile_commit(&af)) { fprintf(err, "vmmsim: %s: write error\n", path); return XPL_EXIT_HOST; }
    return XPL_EXIT_OK;
}
