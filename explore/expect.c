/*
** expect.c — a scenario's expectations checked against a finished run, and the
** run's findings. A failed expectation or an unexpected finding is a failure of the
** run (exit 1); a finding whose rule the scenario expects is not.
*/
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

/* The service device number of Int2F_xxxx in the trace's service names (vmm/svc.c). */
#define XPL_INT2F_DEVICE 0x002Fu
#define XPL_SAY_MAX 512           /* one expectation line */

/* Where the lines of a check go: printed (out), and/or into a verdict (v). A passed
** expectation is only formatted when printed: the fuzz loop checks without out. */
typedef struct sink {
    FILE        *out;             /* NULL: not printed */
    xpl_verdict *v;               /* NULL: no verdict */
    uint32_t     k;               /* the expectation being checked: its "expect:k" */
} sink;

/* Appends ",tok" to sig unless tok is already listed. */
static void sig_add(char *sig, const char *tok) {
    assert(sig && tok && *tok && strlen(sig) < XPL_SIG_MAX);
    size_t n = strlen(sig), t = strlen(tok);
    for (const char *p = sig; (p = strstr(p, tok)) != NULL; p += t)
        if ((p == sig || p[-1] == ',') && (p[t] == ',' || p[t] == 0)) return;
    if (n + t + 2 > XPL_SIG_MAX) return;
    if (n) sig[n++] = ',';
    memcpy(sig + n, tok, t + 1);
}

/* One "# ..." line; a failure (ok 0) also names expectation k in the verdict. */
static void say(sink *k, int ok, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void say(sink *k, int ok, const char *fmt, ...) {
    assert(k && fmt);
    if (ok && !k->out) return;
    char line[XPL_SAY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k->out) fprintf(k->out, "# %s\n", line);
    if (ok || !k->v) return;
    char tok[32];
    snprintf(tok, sizeof tok, "expect:%u", k->k);
    sig_add(k->v->sig, tok);
    if (k->v->first[0]) return;
    size_t n = strlen(line) < XPL_SIG_MAX ? strlen(line) : XPL_SIG_MAX - 1;   /* truncated */
    memcpy(k->v->first, line, n);
    k->v->first[n] = 0;
}

/* The callback entered by record i: a CB_ENTER's address (its args[1], the addr= of
** docs/trace-format.md), or -1 for other records. */
static int64_t cb_entered(const xpl_sim *c, uint32_t i) {
    assert(c && c->v && i < vmm_trace(c->v)->len);
    const eng_record *r = &vmm_trace(c->v)->rec[i];
    if (r->type != VMM_REC_CB_ENTER || r->nargs < 2) return -1;
    return (int64_t)(uint32_t)r->args[1];
}

/* Is dword (a SERVICE record's) the service the trace names `name`? */
static int svc_is(uint32_t dword, const char *name) {
    assert(name);
    const char *n = vmm_service_name(dword);
    char buf[32];
    if (!n) {
        if (dword >> 16 == XPL_INT2F_DEVICE) snprintf(buf, sizeof buf, "Int2F_%04X", dword & 0xFFFFu);
        else snprintf(buf, sizeof buf, "Service_%08X", dword);
        n = buf;
    }
    return !strcmp(n, name);
}

static void ref_list(const xpl_sim *c, const scen_expect *e, char *buf, size_t len) {
    assert(c && e && buf && len > 0 && e->ref0 + e->nrefs <= c->s.nrefs);
    size_t used = 0;
    buf[0] = 0;
    for (uint32_t k = 0; k < e->nrefs && used + 1 < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", c->s.refs[e->ref0 + k].name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* order: the entries of the listed callbacks, in trace order, are exactly the list. */
static int check_order(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    assert(c && cb && e && k && e->kind == SCEN_EXP_ORDER && e->nrefs > 0);
    const eng_trace *t = vmm_trace(c->v);
    uint32_t pos = 0, bad_at = UINT32_MAX;
    uint64_t bad_cycle = 0;
    for (uint32_t i = 0; i < t->len && bad_at == UINT32_MAX; i++) {
        int64_t a = cb[i];
        if (a < 0) continue;
        int listed = 0;
        for (uint32_t k = 0; k < e->nrefs; k++) listed |= c->s.refs[e->ref0 + k].addr == (uint32_t)a;
        if (!listed) continue;
        if (pos < e->nrefs && c->s.refs[e->ref0 + pos].addr == (uint32_t)a) pos++;
        else { bad_at = pos; bad_cycle = t->rec[i].cycle; }
    }
    char list[512];
    ref_list(c, e, list, sizeof list);
    if (bad_at == UINT32_MAX && pos == e->nrefs) {
        say(k, 1, "expect ok: order [%s]", list);
        return 0;
    }
    if (bad_at != UINT32_MAX)
        say(k, 0, "expect FAILED: order [%s]: entry %u at cycle %llu is not %s", list,
                bad_at + 1, (unsigned long long)bad_cycle,
                bad_at < e->nrefs ? c->s.refs[e->ref0 + bad_at].name : "expected (list ended)");
    else
        say(k, 0, "expect FAILED: order [%s]: only the first %u ran (next expected: %s)",
                list, pos, c->s.refs[e->ref0 + pos].name);
    return 1;
}

static int check_count(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    assert(c && cb && e && k && e->nrefs >= 1 && e->ref0 < c->s.nrefs);
    const eng_trace *t = vmm_trace(c->v);
    uint32_t n = 0;
    uint64_t first = 0;
    for (uint32_t i = 0; i < t->len; i++)
        if (cb[i] == (int64_t)c->s.refs[e->ref0].addr && n++ == 0) first = t->rec[i].cycle;
    const char *name = c->s.refs[e->ref0].name;
    int never = e->kind == SCEN_EXP_NEVER;
    if (never ? n == 0 : n > 0) {
        if (n) say(k, 1, "expect ok: %s %s (entered %u time%s)", never ? "never" : "always", name, n,
                   n == 1 ? "" : "s");
        else say(k, 1, "expect ok: %s %s", never ? "never" : "always", name);
        return 0;
    }
    if (never)
        say(k, 0, "expect FAILED: never %s (entered %u time%s, first at cycle %llu)", name,
                n, n == 1 ? "" : "s", (unsigned long long)first);
    else
        say(k, 0, "expect FAILED: always %s (never entered)", name);
    return 1;
}

/* calls: the number of entries of the callback is within [lo, hi]. */
static int check_calls(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    assert(c && cb && e && k && e->kind == SCEN_EXP_CALLS && e->nrefs == 1 && e->lo <= e->hi);
    const eng_trace *t = vmm_trace(c->v);
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->len; i++) n += cb[i] == (int64_t)c->s.refs[e->ref0].addr;
    char want[64];
    if (e->lo == e->hi) snprintf(want, sizeof want, "exactly %u", e->lo);
    else if (e->hi == UINT32_MAX) snprintf(want, sizeof want, "at least %u", e->lo);
    else if (e->lo == 0) snprintf(want, sizeof want, "at most %u", e->hi);
    else snprintf(want, sizeof want, "%u to %u", e->lo, e->hi);
    int ok = n >= e->lo && n <= e->hi;
    say(k, ok, "expect %s: calls %s %s (entered %u time%s)", ok ? "ok" : "FAILED",
        c->s.refs[e->ref0].name, want, n, n == 1 ? "" : "s");
    return !ok;
}

/* before: for each pair (A, B) of the list, A's first entry (with every: its last)
** comes before B's first entry; each listed callback must be entered at all, so that
** a typo or a callback that never runs cannot make it pass. */
static int check_before(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    assert(c && cb && e && k && e->kind == SCEN_EXP_BEFORE && e->nrefs >= 2);
    const eng_trace *t = vmm_trace(c->v);
    char list[512];
    ref_list(c, e, list, sizeof list);
    const char *how = e->every ? "every " : "";
    for (uint32_t p = 0; p + 1 < e->nrefs; p++) {
        const scen_ref *a = &c->s.refs[e->ref0 + p], *b = &c->s.refs[e->ref0 + p + 1];
        uint32_t a_first = UINT32_MAX, a_last = UINT32_MAX, b_first = UINT32_MAX;
        for (uint32_t i = 0; i < t->len; i++) {
            if (cb[i] == (int64_t)a->addr) { if (a_first == UINT32_MAX) a_first = i; a_last = i; }
            if (cb[i] == (int64_t)b->addr && b_first == UINT32_MAX) b_first = i;
        }
        const scen_ref *never = a_first == UINT32_MAX ? a : b_first == UINT32_MAX ? b : NULL;
        if (never) {
            say(k, 0, "expect FAILED: before %s[%s]: %s is never entered", how, list, never->name);
            return 1;
        }
        uint32_t ai = e->every ? a_last : a_first;
        if (ai > b_first) {
            say(k, 0, "expect FAILED: before %s[%s]: %s entered at cycle %llu, before %s%s entry "
                "at cycle %llu", how, list, b->name, (unsigned long long)t->rec[b_first].cycle,
                a->name, e->every ? "'s last" : "'s first", (unsigned long long)t->rec[ai].cycle);
            return 1;
        }
    }
    say(k, 1, "expect ok: before %s[%s]", how, list);
    return 0;
}

/* A register value as the trace shows it, with the VM whose handle it is. */
static const char *reg_text(const xpl_sim *c, uint32_t v, char *buf, size_t len) {
    assert(c && buf && len > 0);
    for (uint32_t j = 0; j < c->s.nvms; j++)
        if (vmm_vm_handle(c->v, j) == v) {
            snprintf(buf, len, "0x%08x (VM_%s)", v, c->s.vms[j].name);
            return buf;
        }
    snprintf(buf, len, "0x%08x", v);
    return buf;
}

/* The first register of e that CB_ENTER record r does not match, or -1. Its
** arguments (vmm/trace.c): a0 = kind | depth << 8 | vm << 16, a2..a5 = EAX EBX EDX EBP. */
static int entry_mismatch(const scen_expect *e, const eng_record *r, uint32_t *found) {
    assert(e && r && found && r->type == VMM_REC_CB_ENTER);
    for (int g = 0; g < SCEN_ENTRY_COUNT; g++) {
        if (!(e->regmask & 1u << g)) continue;
        uint32_t v = g == SCEN_ENTRY_VM ? (uint32_t)(r->args[0] >> 16 & 0xFFFF)
                   : r->nargs > 2 + g ? (uint32_t)r->args[2 + g] : 0;
        if (v != e->regs[g]) { *found = v; return g; }
    }
    return -1;
}

/* entry: the registers at every entry of the callback (or only the n-th) are those
** given. At least one entry (the n-th) must exist: a check of nothing fails. */
static int check_entry(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    static const char *const names[SCEN_ENTRY_COUNT] = { "eax", "ebx", "edx", "ebp", "vm" };
    assert(c && cb && e && k && e->kind == SCEN_EXP_ENTRY && e->nrefs == 1 && e->regmask);
    const eng_trace *t = vmm_trace(c->v);
    const char *name = c->s.refs[e->ref0].name;
    char which[32] = "every entry", exp[64], got[64];
    if (e->nth) snprintf(which, sizeof which, "entry %u", e->nth);
    uint32_t n = 0, found = 0;
    for (uint32_t i = 0; i < t->len; i++) {
        if (cb[i] != (int64_t)c->s.refs[e->ref0].addr) continue;
        if (++n != e->nth && e->nth) continue;
        int g = entry_mismatch(e, &t->rec[i], &found);
        if (g < 0) continue;
        if (g == SCEN_ENTRY_VM) {
            snprintf(exp, sizeof exp, "%s", c->s.vms[e->regs[g]].name);
            snprintf(got, sizeof got, "%s", found < c->s.nvms ? c->s.vms[found].name : "?");
        } else {
            reg_text(c, e->regs[g], exp, sizeof exp);
            reg_text(c, found, got, sizeof got);
        }
        say(k, 0, "expect FAILED: entry %s (%s): entry %u at cycle %llu: %s expected %s, found %s",
            name, which, n, (unsigned long long)t->rec[i].cycle, names[g], exp, got);
        return 1;
    }
    if (n == 0 || n < e->nth) {
        say(k, 0, "expect FAILED: entry %s (%s): entered %u time%s", name, which, n, n == 1 ? "" : "s");
        return 1;
    }
    say(k, 1, "expect ok: entry %s (%s; entered %u time%s)", name, which, n, n == 1 ? "" : "s");
    return 0;
}

/* An expectation at a label (`when:`): the passes its probe counted in the run, and
** the first compared pass whose value differed (docs/vmm.md, "Client state at a label"). */
static int check_probe(xpl_sim *c, const scen_expect *e, sink *k, const char *what) {
    assert(c && e && k && what && e->probe && e->vm < c->s.nvms);
    vmm_probe_result r;
    char which[32] = "every pass", at[sizeof e->when + VMM_NAME_MAX + 16];
    if (e->nth) snprintf(which, sizeof which, "pass %u", e->nth);
    if (e->when_off) snprintf(at, sizeof at, "%s.%s+%u", c->s.vms[e->vm].name, e->when, e->when_off);
    else snprintf(at, sizeof at, "%s.%s", c->s.vms[e->vm].name, e->when);
    if (vmm_probe_result_get(c->v, e->vm, e->probe - 1, &r)) {
        say(k, 0, "expect FAILED: %s at %s (%s): no probe", what, at, which);
        return 1;
    }
    if (r.bad_pass) {
        say(k, 0, "expect FAILED: %s at %s (%s): pass %u at cycle %llu: expected 0x%x, found 0x%x", what,
            at, which, r.bad_pass, (unsigned long long)r.bad_cycle, e->value, r.found);
        return 1;
    }
    if (r.passes == 0 || r.passes < e->nth) {
        say(k, 0, "expect FAILED: %s at %s (%s): reached %u time%s", what, at, which, r.passes,
            r.passes == 1 ? "" : "s");
        return 1;
    }
    say(k, 1, "expect ok: %s at %s (%s; reached %u time%s) == 0x%x", what, at, which, r.passes,
        r.passes == 1 ? "" : "s", e->value);
    return 0;
}

/* The VM's Client_Reg_Struc is found as a VxD finds it: through CB_Client_Pointer
** (+08) of the VM's control block, so the check reads only guest memory. */
static int check_register(xpl_sim *c, const scen_expect *e, sink *k) {
    assert(c && e && k && e->kind == SCEN_EXP_REGISTER && e->vm < c->s.vs.nvms && e->size <= 4);
    const char *vm = c->s.vms[e->vm].name;
    uint8_t b[4] = { 0 };
    uint32_t client = 0, v;
    if (e->probe) {
        char what[64];
        snprintf(what, sizeof what, "register %s %s", vm, e->reg);
        return check_probe(c, e, k, what);
    }
    if (vmm_read(c->v, vmm_vm_handle(c->v, e->vm) + 8u, b, 4) == 0)
        client = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    memset(b, 0, sizeof b);
    if (!client || vmm_read(c->v, client + e->addr, b, e->size)) {
        say(k, 0, "expect FAILED: register %s %s: no Client_Reg_Struc", vm, e->reg);
        return 1;
    }
    v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (v == e->value) {
        say(k, 1, "expect ok: register %s %s == 0x%x", vm, e->reg, v);
        return 0;
    }
    say(k, 0, "expect FAILED: register %s %s: expected 0x%x, found 0x%x", vm,
            e->reg, e->value, v);
    return 1;
}

/* The expectation's address as the messages name it: a label, an address, or a
** VM's SEG:OFF. Formatted only for a line that is said. */
static void mem_where(const xpl_sim *c, const scen_expect *e, char *where, size_t n) {
    assert(c && e && where && n > 0);
    if (e->v86) snprintf(where, n, "%s %04X:%04X", c->s.vms[e->vm].name, e->addr >> 16, e->addr & 0xFFFFu);
    else if (e->nrefs && e->addr == c->s.refs[e->ref0].addr)
        snprintf(where, n, "%s (0x%08x)", c->s.refs[e->ref0].name, e->addr);
    else if (e->nrefs) snprintf(where, n, "%s+%u (0x%08x)", c->s.refs[e->ref0].name,
                                e->addr - c->s.refs[e->ref0].addr, e->addr);
    else snprintf(where, n, "0x%08x", e->addr);
}

static int check_memory(xpl_sim *c, const scen_expect *e, sink *k) {
    assert(c && e && k && e->kind == SCEN_EXP_MEMORY && e->size >= 1 && e->size <= 4);
    uint8_t b[4] = { 0 };
    char where[160];
    uint32_t addr = e->addr;
    if (e->v86) {   /* VM vm's own space: at its CB_High_Linear */
        uint32_t lin = e->v86 - 1, base = vmm_vm_high_linear(c->v, e->vm);
        mem_where(c, e, where, sizeof where);
        if (!base) {
            say(k, 0, "expect FAILED: memory %s: VM %s has no client program", where, c->s.vms[e->vm].name);
            return 1;
        }
        addr = base + lin;
        if (e->probe) {
            char what[sizeof where + 16];
            snprintf(what, sizeof what, "memory %s size %u", where, e->size);
            return check_probe(c, e, k, what);
        }
    }
    if (vmm_read(c->v, addr, b, e->size)) {
        mem_where(c, e, where, sizeof where);
        say(k, 0, "expect FAILED: memory %s: address outside guest memory", where);
        return 1;
    }
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (v == e->value && !k->out) return 0;   /* the fuzz loop: nothing to say */
    mem_where(c, e, where, sizeof where);
    if (v == e->value) {
        say(k, 1, "expect ok: memory %s size %u == 0x%x", where, e->size, v);
        return 0;
    }
    say(k, 0, "expect FAILED: memory %s size %u: expected 0x%x, found 0x%x", where, e->size,
            e->value, v);
    return 1;
}

static int check_finding(const xpl_sim *c, const scen_expect *e, sink *k) {
    assert(c && e && k && e->kind == SCEN_EXP_FINDING);
    uint32_t n = vmm_finding_count_rule(c->v, e->rule);   /* kept or dropped */
    if (n) { say(k, 1, "expect ok: finding %s (%u)", e->rule, n); return 0; }
    say(k, 0, "expect FAILED: finding %s (none reported)", e->rule);
    return 1;
}

/* Does record i start a `within` expectation's clock? (docs: scenarios/README.md) */
static int is_trigger(const xpl_sim *c, const int64_t *cb, uint32_t i, const scen_expect *e) {
    assert(c && cb && e && e->kind == SCEN_EXP_WITHIN && i < vmm_trace(c->v)->len);
    const eng_record *r = &vmm_trace(c->v)->rec[i];
    uint32_t want = e->trig == SCEN_TRIG_STIMULUS ? VMM_REC_STIMULUS
                  : e->trig == SCEN_TRIG_ENTER ? VMM_REC_CB_ENTER
                  : e->trig == SCEN_TRIG_RETURN ? VMM_REC_CB_RETURN : VMM_REC_SERVICE;
    if (r->type != want) return 0;
    if (e->trig == SCEN_TRIG_ENTER) return cb[i] == (int64_t)c->s.refs[e->trig_ref].addr;
    /* The record's packing: vmm/trace.c (STIMULUS a0 = index, CB_RETURN a1 = addr,
    ** SERVICE a0 = dword | vm << 32 | path << 48). */
    if (r->nargs < 2) return 0;
    if (e->trig == SCEN_TRIG_SERVICE) return svc_is((uint32_t)r->args[0], e->svc);
    if (e->trig == SCEN_TRIG_STIMULUS) return (uint32_t)r->args[0] == e->trig_index;
    return (uint32_t)r->args[1] == c->s.refs[e->trig_ref].addr;
}

static void trigger_name(const xpl_sim *c, const scen_expect *e, char *buf, size_t len) {
    assert(c && e && buf && len > 0);
    switch (e->trig) {
    case SCEN_TRIG_STIMULUS: snprintf(buf, len, "stimulus %u", e->trig_index); break;
    case SCEN_TRIG_ENTER: snprintf(buf, len, "entry of %s", c->s.refs[e->trig_ref].name); break;
    case SCEN_TRIG_RETURN: snprintf(buf, len, "return of %s", c->s.refs[e->trig_ref].name); break;
    default: snprintf(buf, len, "service %s", e->svc); break;
    }
}

/* within: after every trigger record, the first later entry of the callback comes
** at most e->cycles cycles after it. A trigger that never happens fails too: a
** timing expectation that checks nothing would pass by accident. */
static int check_within(const xpl_sim *c, const int64_t *cb, const scen_expect *e, sink *k) {
    assert(c && cb && e && k && e->kind == SCEN_EXP_WITHIN && e->ref0 < c->s.nrefs);
    const eng_trace *t = vmm_trace(c->v);
    const uint32_t to = c->s.refs[e->ref0].addr;
    uint32_t ntrig = 0, next = UINT32_MAX, bad = UINT32_MAX;
    uint64_t worst = 0;
    /* Backwards, so that `next` is the first entry of the callback after record i. */
    for (uint32_t i = t->len; i-- > 0;) {
        if (is_trigger(c, cb, i, e)) {
            ntrig++;
            if (next == UINT32_MAX || t->rec[next].cycle - t->rec[i].cycle > e->cycles) {
                bad = i;
                break;
            }
            if (t->rec[next].cycle - t->rec[i].cycle > worst)
                worst = t->rec[next].cycle - t->rec[i].cycle;
        }
        if (cb[i] == (int64_t)to) next = i;
    }
    char trig[128];
    trigger_name(c, e, trig, sizeof trig);
    const char *name = c->s.refs[e->ref0].name;
    if (bad != UINT32_MAX && next == UINT32_MAX) {
        say(k, 0, "expect FAILED: within %llu cycles of %s: %s (trigger at cycle %llu) "
                "is never followed by an entry of it", (unsigned long long)e->cycles, trig, name,
                (unsigned long long)t->rec[bad].cycle);
        return 1;
    }
    if (bad != UINT32_MAX) {
        say(k, 0, "expect FAILED: within %llu cycles of %s: %s entered at cycle %llu, "
                "%llu cycles after the trigger at cycle %llu", (unsigned long long)e->cycles, trig,
                name, (unsigned long long)t->rec[next].cycle,
                (unsigned long long)(t->rec[next].cycle - t->rec[bad].cycle),
                (unsigned long long)t->rec[bad].cycle);
        return 1;
    }
    if (ntrig == 0) {
        say(k, 0, "expect FAILED: within %llu cycles of %s: %s (the trigger never happened)",
                (unsigned long long)e->cycles, trig, name);
        return 1;
    }
    say(k, 1, "expect ok: within %llu cycles of %s: %s (%u trigger%s, longest %llu cycles)",
            (unsigned long long)e->cycles, trig, name, ntrig, ntrig == 1 ? "" : "s",
            (unsigned long long)worst);
    return 0;
}

static int finding_expected(const xpl_sim *c, const char *rule) {
    assert(c && rule);
    for (uint32_t k = 0; k < c->s.nexp; k++)
        if (c->s.exp[k].kind == SCEN_EXP_FINDING && !strcmp(c->s.exp[k].rule, rule)) return 1;
    return 0;
}

/* Expectations about callback entries read the stored records; the others read
** guest memory, registers, findings or the hash, which a full trace storage keeps. */
static int needs_records(const scen_expect *e) {
    assert(e && e->kind >= SCEN_EXP_ORDER);
    return e->kind == SCEN_EXP_ORDER || e->kind == SCEN_EXP_NEVER ||
           e->kind == SCEN_EXP_ALWAYS || e->kind == SCEN_EXP_WITHIN ||
           e->kind == SCEN_EXP_ENTRY || e->kind == SCEN_EXP_CALLS || e->kind == SCEN_EXP_BEFORE;
}

/* A failure that is not an expectation's: its token joins the signature, its line
** is the verdict's first when none came before, and it is printed when k prints. */
static void fail_line(sink *k, const char *tok, const char *line) {
    assert(k && tok && line);
    if (k->v) {
        if (strlen(tok) < 32) sig_add(k->v->sig, tok);
        if (!k->v->first[0])   /* a long line is cut: the verdict keeps its start */
            snprintf(k->v->first, sizeof k->v->first, "%.*s", (int)sizeof k->v->first - 1, line);
    }
    if (k->out) fprintf(k->out, "# %s\n", line);
}

/* Finding i's line; an unexpected one is a failure ("finding:RULE"). 1 when it is. */
static int finding_line(const xpl_sim *c, sink *k, uint32_t i) {
    assert(c && k && i < vmm_finding_kept(c->v));
    const vmm_finding *f = vmm_finding_get(c->v, i);
    assert(f);
    int ok = finding_expected(c, f->rule);
    char tok[64], line[XPL_SAY_MAX];
    snprintf(tok, sizeof tok, "finding:%s", f->rule);
    snprintf(line, sizeof line, "finding: %s at cycle %llu: %s%s", f->rule,
             (unsigned long long)f->cycle, f->text, ok ? " (expected)" : "");
    if (ok) { if (k->out) fprintf(k->out, "# %s\n", line); return 0; }
    fail_line(k, tok, line);
    return 1;
}

/* Every finding is judged, the ones past the VMM's kept list (vmm_finding_kept) too:
** those are reported by rule and count, from the per-rule counts. */
static uint32_t check_findings(const xpl_sim *c, sink *k) {
    uint32_t fails = 0, kept = vmm_finding_kept(c->v);
    assert(kept <= vmm_finding_count(c->v));
    for (uint32_t i = 0; i < kept; i++) fails += (uint32_t)finding_line(c, k, i);
    if (kept == vmm_finding_count(c->v)) return fails;
    for (uint32_t r = 0; vmm_finding_rule(r); r++) {
        const char *rule = vmm_finding_rule(r);
        uint32_t n = vmm_finding_count_rule(c->v, rule), in_kept = 0;
        for (uint32_t i = 0; i < kept; i++) in_kept += !strcmp(vmm_finding_get(c->v, i)->rule, rule);
        if (n == in_kept) continue;
        int ok = finding_expected(c, rule);
        char tok[64], line[XPL_SAY_MAX];
        snprintf(tok, sizeof tok, "finding:%s", rule);
        snprintf(line, sizeof line, "finding: %s and %u more not listed (only the first %u "
                 "findings are kept; all are in the trace)%s", rule, n - in_kept, kept,
                 ok ? " (expected)" : "");
        if (ok) { if (k->out) fprintf(k->out, "# %s\n", line); continue; }
        fail_line(k, tok, line);
        fails += n - in_kept;
    }
    return fails;
}

/* END-1 (docs/vmm.md): a run cut by max_cycles before its timeline was delivered, or
** with VxD code still running (a loop that never returns), is incomplete: what it did
** not reach was never checked, so it cannot pass. */
static uint32_t check_end(const xpl_sim *c, sink *k) {
    vmm_end e;
    assert(c && c->v && k);
    vmm_end_info(c->v, &e);
    if (c->s.run_to_max || !e.max_cycles || (!e.stimuli_left && !e.contexts_running)) return 0;
    char line[XPL_SAY_MAX], part[2][160] = { "", "" };
    if (e.stimuli_left)
        snprintf(part[0], sizeof part[0], " %u timeline entries not delivered%s", e.stimuli_left,
                 e.contexts_running ? " and" : "");
    if (e.contexts_running && e.code_vm >= 0 && (uint32_t)e.code_vm < c->s.nvms)
        snprintf(part[1], sizeof part[1], " VxD code still running in VM %s", c->s.vms[e.code_vm].name);
    snprintf(line, sizeof line, "incomplete: the run ended at max_cycles (%llu) with%s%s (END-1; "
             "raise machine.max_cycles, or set machine.hang_cycles)",
             (unsigned long long)vmm_now(c->v), part[0], part[1]);
    fail_line(k, "incomplete", line);
    return 1;
}

static int check_hash(const xpl_sim *c, const scen_expect *e, sink *k) {
    assert(c && e && k && e->kind == SCEN_EXP_HASH);
    uint64_t h = vmm_trace(c->v)->hash;
    if (h == e->hash) { say(k, 1, "expect ok: hash 0x%016llx", (unsigned long long)e->hash); return 0; }
    say(k, 0, "expect FAILED: hash 0x%016llx (found 0x%016llx)", (unsigned long long)e->hash,
        (unsigned long long)h);
    return 1;
}

/* Findings first, then one line per expectation in scenario order. */
static uint32_t expect_run(xpl_sim *c, sink *k) {
    assert(c && c->v && k);
    uint32_t fails = 0;
    const eng_trace *t = vmm_trace(c->v);
    int64_t *cb = malloc((t->len ? t->len : 1) * sizeof *cb);
    if (!cb) { say(k, 0, "expect FAILED: out of memory"); return 1; }
    for (uint32_t i = 0; i < t->len; i++) cb[i] = cb_entered(c, i);
    fails += check_findings(c, k);
    fails += check_end(c, k);
    for (uint32_t n = 0; n < c->s.nexp; n++) {
        const scen_expect *e = &c->s.exp[n];
        k->k = n;
        if (t->overflow && needs_records(e)) {
            /* Judging callbacks on part of the trace could pass a `never` falsely. */
            say(k, 0, "expect FAILED: expect:%u cannot be checked: the trace kept only "
                "the first %u of %llu records (raise machine.trace_records)",
                n, t->len, (unsigned long long)t->count);
            fails++;
            continue;
        }
        switch (e->kind) {
        case SCEN_EXP_ORDER: fails += (uint32_t)check_order(c, cb, e, k); break;
        case SCEN_EXP_NEVER: case SCEN_EXP_ALWAYS: fails += (uint32_t)check_count(c, cb, e, k); break;
        case SCEN_EXP_MEMORY: fails += (uint32_t)check_memory(c, e, k); break;
        case SCEN_EXP_REGISTER: fails += (uint32_t)check_register(c, e, k); break;
        case SCEN_EXP_FINDING: fails += (uint32_t)check_finding(c, e, k); break;
        case SCEN_EXP_WITHIN: fails += (uint32_t)check_within(c, cb, e, k); break;
        case SCEN_EXP_HASH: fails += (uint32_t)check_hash(c, e, k); break;
        case SCEN_EXP_ENTRY: fails += (uint32_t)check_entry(c, cb, e, k); break;
        case SCEN_EXP_CALLS: fails += (uint32_t)check_calls(c, cb, e, k); break;
        case SCEN_EXP_BEFORE: fails += (uint32_t)check_before(c, cb, e, k); break;
        default: assert(0);
        }
    }
    free(cb);
    return fails;
}

uint32_t xpl_expect_check(xpl_sim *c, FILE *out) {
    sink k = { out, NULL, 0 };
    assert(out);
    return expect_run(c, &k);
}

static const char *err_token(int rc) {
    assert(rc != 0);
    switch (rc) {
    case VMM_EHANG:   return "hang";
    case VMM_EGUEST:  return "guest-fault";
    case VMM_ELIMIT:  return "limit";
    case VMM_EUNIMPL: return "unimplemented";
    case VMM_ENOMEM:  return "nomem";
    default:          return "error";
    }
}

/* The verdict straight from the records and findings: nothing is printed or parsed
** (docs/fuzzing.md, "Failures": the signature names what failed, not when). */
int xpl_verdict_get(xpl_sim *c, xpl_verdict *v) {
    assert(c && c->v && v);
    memset(v, 0, sizeof *v);
    if (c->run_rc) {
        char tok[32];
        snprintf(tok, sizeof tok, "error:%s", err_token(c->run_rc));
        sig_add(v->sig, tok);
        snprintf(v->first, sizeof v->first, "%s: %s", vmm_strerror(c->run_rc), vmm_error(c->v));
    }
    sink k = { NULL, v, 0 };
    v->fails = expect_run(c, &k);
    v->failed = v->fails > 0 || c->run_rc != 0;
    assert(!v->failed || v->sig[0]);
    return 0;
}
