/*
** expect.c — a scenario's expectations checked against a finished run, and the
** run's findings. A failed expectation or an unexpected finding is a failure of the
** run (exit 1); a finding whose rule the scenario expects is not.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

/* The callback entered by a CB_ENTER record: its linear address (the record's
** addr= key, docs/trace-format.md), or -1 for other records. */
static int64_t cb_entered(const cli_sim *c, uint32_t i) {
    const eng_record *r = &vmm_trace(c->v)->rec[i];
    if (r->type != VMM_REC_CB_ENTER) return -1;
    char line[CLI_LINE_MAX];
    size_t n = cli_sim_line(c, i, line, sizeof line);
    cli_tline t;
    uint32_t vl = 0;
    const char *v;
    if (cli_tline_parse(line, n, &t) || !(v = cli_tline_get(&t, "addr", &vl))) return -1;
    char buf[24];
    if (vl < 3 || vl >= sizeof buf) return -1;
    memcpy(buf, v, vl);
    buf[vl] = 0;
    char *end;
    unsigned long long a = strtoull(buf, &end, 16);
    return *end || a > UINT32_MAX ? -1 : (int64_t)a;
}

static void ref_list(const cli_sim *c, const scen_expect *e, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = 0;
    for (uint32_t k = 0; k < e->nrefs && used + 1 < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", c->s.refs[e->ref0 + k].name);
        if (n < 0) break;
        used += (size_t)n;
    }
}

/* order: the entries of the listed callbacks, in trace order, are exactly the list. */
static int check_order(const cli_sim *c, const int64_t *cb, const scen_expect *e, FILE *out) {
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
        fprintf(out, "# expect ok: order [%s]\n", list);
        return 0;
    }
    if (bad_at != UINT32_MAX)
        fprintf(out, "# expect FAILED: order [%s]: entry %u at cycle %llu is not %s\n", list,
                bad_at + 1, (unsigned long long)bad_cycle,
                bad_at < e->nrefs ? c->s.refs[e->ref0 + bad_at].name : "expected (list ended)");
    else
        fprintf(out, "# expect FAILED: order [%s]: only the first %u ran (next expected: %s)\n",
                list, pos, c->s.refs[e->ref0 + pos].name);
    return 1;
}

static int check_count(const cli_sim *c, const int64_t *cb, const scen_expect *e, FILE *out) {
    const eng_trace *t = vmm_trace(c->v);
    uint32_t n = 0;
    uint64_t first = 0;
    for (uint32_t i = 0; i < t->len; i++)
        if (cb[i] == (int64_t)c->s.refs[e->ref0].addr && n++ == 0) first = t->rec[i].cycle;
    const char *name = c->s.refs[e->ref0].name;
    int never = e->kind == SCEN_EXP_NEVER;
    if (never ? n == 0 : n > 0) {
        fprintf(out, "# expect ok: %s %s", never ? "never" : "always", name);
        if (n) fprintf(out, " (entered %u time%s)", n, n == 1 ? "" : "s");
        fputc('\n', out);
        return 0;
    }
    if (never)
        fprintf(out, "# expect FAILED: never %s (entered %u time%s, first at cycle %llu)\n", name,
                n, n == 1 ? "" : "s", (unsigned long long)first);
    else
        fprintf(out, "# expect FAILED: always %s (never entered)\n", name);
    return 1;
}

/* The VM's Client_Reg_Struc is found as a VxD finds it: through CB_Client_Pointer
** (+08) of the VM's control block, so the check reads only guest memory. */
static int check_register(cli_sim *c, const scen_expect *e, FILE *out) {
    const char *vm = c->s.vms[e->vm].name;
    uint8_t b[4] = { 0 };
    uint32_t client = 0, v;
    if (vmm_read(c->v, vmm_vm_handle(c->v, e->vm) + 8u, b, 4) == 0)
        client = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    memset(b, 0, sizeof b);
    if (!client || vmm_read(c->v, client + e->addr, b, e->size)) {
        fprintf(out, "# expect FAILED: register %s %s: no Client_Reg_Struc\n", vm, e->reg);
        return 1;
    }
    v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (v == e->value) {
        fprintf(out, "# expect ok: register %s %s == 0x%x\n", vm, e->reg, v);
        return 0;
    }
    fprintf(out, "# expect FAILED: register %s %s: expected 0x%x, found 0x%x\n", vm,
            e->reg, e->value, v);
    return 1;
}

static int check_memory(cli_sim *c, const scen_expect *e, FILE *out) {
    uint8_t b[4] = { 0 };
    char where[160];
    if (e->nrefs) snprintf(where, sizeof where, "%s+%u (0x%08x)", c->s.refs[e->ref0].name,
                           e->addr - c->s.refs[e->ref0].addr, e->addr);
    else snprintf(where, sizeof where, "0x%08x", e->addr);
    if (e->nrefs && e->addr == c->s.refs[e->ref0].addr)
        snprintf(where, sizeof where, "%s (0x%08x)", c->s.refs[e->ref0].name, e->addr);
    if (vmm_read(c->v, e->addr, b, e->size)) {
        fprintf(out, "# expect FAILED: memory %s: address outside guest memory\n", where);
        return 1;
    }
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (v == e->value) {
        fprintf(out, "# expect ok: memory %s size %u == 0x%x\n", where, e->size, v);
        return 0;
    }
    fprintf(out, "# expect FAILED: memory %s size %u: expected 0x%x, found 0x%x\n", where, e->size,
            e->value, v);
    return 1;
}

static int check_finding(const cli_sim *c, const scen_expect *e, FILE *out) {
    uint32_t n = vmm_finding_count_rule(c->v, e->rule);   /* kept or dropped */
    if (n) { fprintf(out, "# expect ok: finding %s (%u)\n", e->rule, n); return 0; }
    fprintf(out, "# expect FAILED: finding %s (none reported)\n", e->rule);
    return 1;
}

/* Does record i start a `within` expectation's clock? (docs: scenarios/README.md) */
static int is_trigger(const cli_sim *c, const int64_t *cb, uint32_t i, const scen_expect *e) {
    const eng_record *r = &vmm_trace(c->v)->rec[i];
    uint32_t want = e->trig == SCEN_TRIG_STIMULUS ? VMM_REC_STIMULUS
                  : e->trig == SCEN_TRIG_ENTER ? VMM_REC_CB_ENTER
                  : e->trig == SCEN_TRIG_RETURN ? VMM_REC_CB_RETURN : VMM_REC_SERVICE;
    if (r->type != want) return 0;
    if (e->trig == SCEN_TRIG_ENTER) return cb[i] == (int64_t)c->s.refs[e->trig_ref].addr;
    char line[CLI_LINE_MAX], buf[64];
    size_t n = cli_sim_line(c, i, line, sizeof line);
    cli_tline t;
    uint32_t vl = 0;
    const char *key = e->trig == SCEN_TRIG_STIMULUS ? "index"
                    : e->trig == SCEN_TRIG_RETURN ? "addr" : "svc";
    const char *v;
    if (cli_tline_parse(line, n, &t) || !(v = cli_tline_get(&t, key, &vl)) || vl >= sizeof buf)
        return 0;
    memcpy(buf, v, vl);
    buf[vl] = 0;
    if (e->trig == SCEN_TRIG_SERVICE) return !strcmp(buf, e->svc);
    char *end;
    unsigned long long x = strtoull(buf, &end, e->trig == SCEN_TRIG_STIMULUS ? 10 : 16);
    if (*end) return 0;
    return e->trig == SCEN_TRIG_STIMULUS ? x == e->trig_index : x == c->s.refs[e->trig_ref].addr;
}

static void trigger_name(const cli_sim *c, const scen_expect *e, char *buf, size_t len) {
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
static int check_within(const cli_sim *c, const int64_t *cb, const scen_expect *e, FILE *out) {
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
        fprintf(out, "# expect FAILED: within %llu cycles of %s: %s (trigger at cycle %llu) "
                "is never followed by an entry of it\n", (unsigned long long)e->cycles, trig, name,
                (unsigned long long)t->rec[bad].cycle);
        return 1;
    }
    if (bad != UINT32_MAX) {
        fprintf(out, "# expect FAILED: within %llu cycles of %s: %s entered at cycle %llu, "
                "%llu cycles after the trigger at cycle %llu\n", (unsigned long long)e->cycles, trig,
                name, (unsigned long long)t->rec[next].cycle,
                (unsigned long long)(t->rec[next].cycle - t->rec[bad].cycle),
                (unsigned long long)t->rec[bad].cycle);
        return 1;
    }
    if (ntrig == 0) {
        fprintf(out, "# expect FAILED: within %llu cycles of %s: %s (the trigger never happened)\n",
                (unsigned long long)e->cycles, trig, name);
        return 1;
    }
    fprintf(out, "# expect ok: within %llu cycles of %s: %s (%u trigger%s, longest %llu cycles)\n",
            (unsigned long long)e->cycles, trig, name, ntrig, ntrig == 1 ? "" : "s",
            (unsigned long long)worst);
    return 0;
}

static int finding_expected(const cli_sim *c, const char *rule) {
    for (uint32_t k = 0; k < c->s.nexp; k++)
        if (c->s.exp[k].kind == SCEN_EXP_FINDING && !strcmp(c->s.exp[k].rule, rule)) return 1;
    return 0;
}

/* Expectations about callback entries read the stored records; the others read
** guest memory, registers, findings or the hash, which a full trace storage keeps. */
static int needs_records(const scen_expect *e) {
    return e->kind == SCEN_EXP_ORDER || e->kind == SCEN_EXP_NEVER ||
           e->kind == SCEN_EXP_ALWAYS || e->kind == SCEN_EXP_WITHIN;
}

/* END-1 (docs/vmm.md): a run cut by max_cycles before its timeline was delivered, or
** with VxD code still running (a loop that never returns), is incomplete: what it did
** not reach was never checked, so it cannot pass. */
static uint32_t check_end(const cli_sim *c, FILE *out) {
    vmm_end e;
    vmm_end_info(c->v, &e);
    if (c->s.run_to_max || !e.max_cycles || (!e.stimuli_left && !e.contexts_running)) return 0;
    fprintf(out, "# incomplete: the run ended at max_cycles (%llu) with", (unsigned long long)vmm_now(c->v));
    if (e.stimuli_left) fprintf(out, " %u timeline entries not delivered%s", e.stimuli_left,
                                e.contexts_running ? " and" : "");
    if (e.contexts_running)
        fprintf(out, " VxD code still running in VM %s", c->s.vms[e.code_vm].name);
    fprintf(out, " (END-1; raise machine.max_cycles, or set machine.hang_cycles)\n");
    return 1;
}

/* Every finding is judged, the ones past the VMM's kept list (vmm_finding_kept) too:
** those are reported by rule and count, from the per-rule counts. */
static uint32_t check_findings(const cli_sim *c, FILE *out) {
    uint32_t fails = 0, kept = vmm_finding_kept(c->v);
    assert(kept <= vmm_finding_count(c->v));
    for (uint32_t i = 0; i < kept; i++) {
        const vmm_finding *f = vmm_finding_get(c->v, i);
        assert(f);
        int ok = finding_expected(c, f->rule);
        fprintf(out, "# finding: %s at cycle %llu: %s%s\n", f->rule, (unsigned long long)f->cycle,
                f->text, ok ? " (expected)" : "");
        fails += !ok;
    }
    if (kept == vmm_finding_count(c->v)) return fails;
    for (uint32_t k = 0; vmm_finding_rule(k); k++) {
        const char *rule = vmm_finding_rule(k);
        uint32_t n = vmm_finding_count_rule(c->v, rule), in_kept = 0;
        for (uint32_t i = 0; i < kept; i++) in_kept += !strcmp(vmm_finding_get(c->v, i)->rule, rule);
        if (n == in_kept) continue;
        int ok = finding_expected(c, rule);
        fprintf(out, "# finding: %s and %u more not listed (only the first %u findings are kept; "
                "all are in the trace)%s\n", rule, n - in_kept, kept, ok ? " (expected)" : "");
        fails += ok ? 0 : n - in_kept;
    }
    return fails;
}

uint32_t cli_expect_check(cli_sim *c, FILE *out) {
    assert(c && c->v && out);
    uint32_t fails = 0;
    const eng_trace *t = vmm_trace(c->v);
    int64_t *cb = malloc((t->len ? t->len : 1) * sizeof *cb);
    if (!cb) { fprintf(out, "# expect FAILED: out of memory\n"); return 1; }
    for (uint32_t i = 0; i < t->len; i++) cb[i] = cb_entered(c, i);
    fails += check_findings(c, out);
    fails += check_end(c, out);
    for (uint32_t k = 0; k < c->s.nexp; k++) {
        const scen_expect *e = &c->s.exp[k];
        if (t->overflow && needs_records(e)) {
            /* Judging callbacks on part of the trace could pass a `never` falsely. */
            fprintf(out, "# expect FAILED: expect:%u cannot be checked: the trace kept only "
                    "the first %u of %llu records (raise machine.trace_records)\n",
                    k, t->len, (unsigned long long)t->count);
            fails++;
            continue;
        }
        switch (e->kind) {
        case SCEN_EXP_ORDER: fails += (uint32_t)check_order(c, cb, e, out); break;
        case SCEN_EXP_NEVER: case SCEN_EXP_ALWAYS: fails += (uint32_t)check_count(c, cb, e, out); break;
        case SCEN_EXP_MEMORY: fails += (uint32_t)check_memory(c, e, out); break;
        case SCEN_EXP_REGISTER: fails += (uint32_t)check_register(c, e, out); break;
        case SCEN_EXP_FINDING: fails += (uint32_t)check_finding(c, e, out); break;
        case SCEN_EXP_WITHIN: fails += (uint32_t)check_within(c, cb, e, out); break;
        case SCEN_EXP_HASH: {
            uint64_t h = vmm_trace(c->v)->hash;
            int ok = h == e->hash;
            fprintf(out, "# expect %s: hash 0x%016llx%s", ok ? "ok" : "FAILED",
                    (unsigned long long)e->hash, ok ? "\n" : "");
            if (!ok) fprintf(out, " (found 0x%016llx)\n", (unsigned long long)h);
            fails += !ok;
            break;
        }
        default: assert(0);
        }
    }
    free(cb);
    return fails;
}
