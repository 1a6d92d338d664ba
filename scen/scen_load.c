/*
** scen_load.c — the scenario schema: a YAML tree -> struct scen (see scen.h and
** scenarios/README.md). Every rejection names file:line:column, what was expected
** and what was found.
*/
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "scen_int.h"
#include "vmmsim_assert.h"

/* ---- node helpers -------------------------------------------------------- */

typedef struct sctx {
    scen *s;
    scen_ytree *t;
    const char *text;       /* the YAML, to find an asm block's indentation */
    size_t len;
} sctx;

static const scen_ynode *N(const sctx *c, uint32_t i) {
    assert(i > 0 && i < c->t->len);
    return &c->t->n[i];
}

/* Describes what a node is, for "found ..." (scalars quoted, truncated). */
static const char *found(const sctx *c, uint32_t i, char *buf, size_t len) {
    assert(c && buf && len > 0);
    const scen_ynode *n = N(c, i);
    if (n->type == SCEN_Y_SEQ) return "a list";
    if (n->type == SCEN_Y_MAP) return "a mapping";
    if (n->len == 0) return "an empty value";
    snprintf(buf, len, "'%.40s%s'", n->text, n->len > 40 ? "..." : "");
    for (char *p = buf; *p; p++) if (*p == '\n' || *p == '\t') *p = ' ';
    return buf;
}

static int expect_fail(const sctx *c, uint32_t i, const char *what, const char *expected) {
    assert(c && what && expected);
    char buf[64];
    const scen_ynode *n = N(c, i);
    return scen_fail(c->s, SCEN_ESCHEMA, n->line, n->col, "%s: expected %s, found %s",
                     what, expected, found(c, i, buf, sizeof buf));
}

static int want_type(const sctx *c, uint32_t i, uint32_t type, const char *what) {
    assert(c && what && type >= SCEN_Y_SCALAR && type <= SCEN_Y_MAP);
    if (N(c, i)->type == type) return SCEN_OK;
    return expect_fail(c, i, what, type == SCEN_Y_MAP ? "a mapping" :
                       type == SCEN_Y_SEQ ? "a list" : "a scalar value");
}

/* Decimal or 0x-hex digits (the whole string) -> *out; -1 when not a number or
** larger than 64 bits. */
static int parse_num(const char *p, uint64_t *out) {
    assert(p && out);
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { base = 16; p += 2; }
    if (!*p || strlen(p) > 20) return -1;
    uint64_t v = 0;
    for (; *p; p++) {
        int d = (*p >= '0' && *p <= '9') ? *p - '0'
              : (base == 16 && *p >= 'a' && *p <= 'f') ? *p - 'a' + 10
              : (base == 16 && *p >= 'A' && *p <= 'F') ? *p - 'A' + 10 : -1;
        if (d < 0) return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* Unsigned integer: decimal or 0x-hex, plain scalar, <= max. */
static int get_u64(const sctx *c, uint32_t i, const char *what, uint64_t max, uint64_t *out) {
    assert(c && what && out);
    const scen_ynode *n = N(c, i);
    char exp[96];
    snprintf(exp, sizeof exp, "an integer from 0 to %llu (decimal or 0x hex)",
             (unsigned long long)max);
    uint64_t v = 0;
    if (n->type != SCEN_Y_SCALAR || !n->plain || n->len == 0 || n->len > 20 ||
        parse_num(n->text, &v) || v > max)
        return expect_fail(c, i, what, exp);
    *out = v;
    return SCEN_OK;
}

static int get_u32(const sctx *c, uint32_t i, const char *what, uint32_t max, uint32_t *out) {
    assert(c && what && out);
    uint64_t v = 0;
    int rc = get_u64(c, i, what, max, &v);
    if (rc == SCEN_OK) *out = (uint32_t)v;
    return rc;
}

static int get_bool(const sctx *c, uint32_t i, const char *what, int *out) {
    assert(c && what && out);
    const scen_ynode *n = N(c, i);
    if (n->type == SCEN_Y_SCALAR && n->plain) {
        if (!strcmp(n->text, "true")) { *out = 1; return SCEN_OK; }
        if (!strcmp(n->text, "false")) { *out = 0; return SCEN_OK; }
    }
    return expect_fail(c, i, what, "true or false");
}

static int get_str(const sctx *c, uint32_t i, const char *what, char *dst, size_t cap) {
    assert(c && what && dst && cap > 0);
    const scen_ynode *n = N(c, i);
    char exp[64];
    snprintf(exp, sizeof exp, "a text of at most %zu characters", cap - 1);
    if (n->type != SCEN_Y_SCALAR || n->len >= cap) return expect_fail(c, i, what, exp);
    memcpy(dst, n->text, (size_t)n->len + 1);
    return SCEN_OK;
}

static int is_ident(const char *p, int dots) {
    assert(p);
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
          (dots && (*p == '.' || *p == '@' || *p == '$' || *p == '?'))))
        return 0;
    for (p++; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || (dots && (*p == '.' || *p == '@' || *p == '$' || *p == '?' || *p == '#'))))
            return 0;
    return 1;
}

/* A VM or VxD name: an identifier of at most VMM_NAME_MAX-1 characters. */
static int get_name(const sctx *c, uint32_t i, const char *what, char *dst) {
    assert(c && what && dst);
    const scen_ynode *n = N(c, i);
    if (n->type != SCEN_Y_SCALAR || n->len == 0 || n->len >= VMM_NAME_MAX || !is_ident(n->text, 0))
        return expect_fail(c, i, what, "a name (letters, digits, '_'; at most 31 characters)");
    memcpy(dst, n->text, (size_t)n->len + 1);
    return SCEN_OK;
}

/* Checks a mapping's keys against a list (NULL-terminated) and for duplicates. */
static int check_keys(const sctx *c, uint32_t map, const char *what, const char *const *keys) {
    assert(c && what && keys);
    assert(N(c, map)->type == SCEN_Y_MAP);
    for (uint32_t k = N(c, map)->first; k; k = N(c, N(c, k)->next)->next) {
        const scen_ynode *kn = N(c, k);
        if (kn->type != SCEN_Y_SCALAR) return expect_fail(c, k, what, "a key (a name)");
        int ok = 0;
        for (size_t j = 0; keys[j]; j++) ok |= !strcmp(kn->text, keys[j]);
        if (!ok) {
            char list[256] = "";
            for (size_t j = 0; keys[j]; j++) {
                strncat(list, j ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, keys[j], sizeof list - strlen(list) - 1);
            }
            char buf[64];
            return scen_fail(c->s, SCEN_ESCHEMA, kn->line, kn->col,
                             "%s: unknown key %s (expected one of: %s)", what,
                             found(c, k, buf, sizeof buf), list);
        }
        for (uint32_t j = N(c, map)->first; j != k; j = N(c, N(c, j)->next)->next)
            if (!strcmp(N(c, j)->text, kn->text))
                return scen_fail(c->s, SCEN_ESCHEMA, kn->line, kn->col,
                                 "%s: duplicate key '%s' (first at line %u)", what,
                                 kn->text, N(c, j)->line);
    }
    return SCEN_OK;
}

/* The value node of key in a mapping, or 0. */
static uint32_t get(const sctx *c, uint32_t map, const char *key) {
    assert(c && key && map < c->t->len);
    /* Only a mapping has keys; its callers check the type first, so a non-map here is
    ** a caller's slip, answered as "no such key" rather than walking a list as pairs. */
    if (NEVER(N(c, map)->type != SCEN_Y_MAP)) return 0;
    for (uint32_t k = N(c, map)->first; k; k = N(c, N(c, k)->next)->next)
        if (N(c, k)->type == SCEN_Y_SCALAR && !strcmp(N(c, k)->text, key))
            return N(c, k)->next;
    return 0;
}

static int missing(const sctx *c, uint32_t map, const char *what, const char *key, const char *exp) {
    assert(c && what && key && exp);
    const scen_ynode *n = N(c, map);
    return scen_fail(c->s, SCEN_ESCHEMA, n->line, n->col, "%s: missing key '%s' (expected %s)",
                     what, key, exp);
}

/* Column (1-based) of the first non-blank character of a line of the YAML text. */
static uint32_t indent_of(const sctx *c, uint32_t line) {
    assert(c && c->text);
    size_t p = 0;
    for (uint32_t l = 1; l < line && p < c->len; p++)
        if (c->text[p] == '\n') l++;
    uint32_t col = 1;
    while (p < c->len && c->text[p] == ' ' && col < 4096) { p++; col++; }
    return col;
}

/* Adds a reference to the label `name` (checked by the caller) written at line:col. */
static int add_ref_at(const sctx *c, const char *name, uint32_t line, uint32_t col, uint32_t *out) {
    assert(c && name && out && c->s->nrefs <= SCEN_REFS_MAX);
    scen *s = c->s;
    assert(strlen(name) < sizeof s->refs[0].name);
    if (s->nrefs >= SCEN_REFS_MAX)
        return scen_fail(s, SCEN_ELIMIT, line, col, "more than %u label references", SCEN_REFS_MAX);
    scen_ref *r = &s->refs[s->nrefs];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->pos.line = line;
    r->pos.col = col;
    r->addr = 0;
    *out = s->nrefs++;
    return SCEN_OK;
}

/* Adds a label reference taken from scalar node i. */
static int add_ref(const sctx *c, uint32_t i, const char *what, uint32_t *out) {
    assert(c && what && out);
    const scen_ynode *n = N(c, i);
    if (n->type != SCEN_Y_SCALAR || n->len == 0 || n->len >= sizeof c->s->refs[0].name ||
        !is_ident(n->text, 1))
        return expect_fail(c, i, what, "a label (VXD.label)");
    return add_ref_at(c, n->text, n->line, n->col, out);
}

/* ---- sections ------------------------------------------------------------ */

static int parse_machine(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    static const char *const keys[] = { "clock_hz", "memory_kb", "timer_tick_ms", "max_vms",
        "idle_slots", "nc_slots", "ts_slots", "event_capacity", "wait_states",
        "service_cycles", "max_cycles", "hang_cycles", "irq_handler_cycles", "time_slicing",
        "time_slice_ms", "trace_records", "irq_boundary_window", "run_to_max_cycles",
        "explore_ambiguities", NULL };
    vmm_machine *m = &c->s->m;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "machine")) || (rc = check_keys(c, i, "machine", keys)))
        return rc;
    struct { const char *k; uint32_t *p; uint32_t lo, hi; } u32s[] = {
        { "clock_hz", &m->clock_hz, 1000000, 1000000000 },
        { "memory_kb", &m->memory_kb, 2048, 262144 },
        { "timer_tick_ms", &m->timer_tick_ms, 1, 1000 },
        { "max_vms", &m->max_vms, 1, SCEN_VMS_MAX },
        { "idle_slots", &m->idle_slots, 0, 1024 },
        { "nc_slots", &m->nc_slots, 0, 1024 },
        { "ts_slots", &m->ts_slots, 0, 1024 },
        { "event_capacity", &m->event_capacity, 16, 1u << 20 },
        { "wait_states", &m->wait_states, 0, 16 },
        { "service_cycles", &m->service_cycles, 0, 100000 },
        { "irq_handler_cycles", &m->irq_handler_cycles, 1, 1000000000 },   /* INT-1 */
        { "time_slice_ms", &m->time_slice_ms, 1, 60000 },                  /* SL-1 */
        /* INT-1: 1 keeps the IRQ on the next boundary (no choice point, old traces) */
        { "irq_boundary_window", &m->irq_boundary_window, 1, 64 },
        /* Records kept for expectations, `bench latency` and trace files; a record is
        ** about 112 bytes, so the cap keeps one machine's trace under 256 MiB. */
        { "trace_records", &m->trace_records, 64, SCEN_TRACE_RECORDS_MAX },
    };
    for (size_t j = 0; j < sizeof u32s / sizeof u32s[0]; j++) {
        uint32_t v = get(c, i, u32s[j].k);
        if (!v) continue;
        char what[48], exp[80];
        uint64_t x;
        snprintf(what, sizeof what, "machine.%s", u32s[j].k);
        snprintf(exp, sizeof exp, "an integer from %u to %u", u32s[j].lo, u32s[j].hi);
        /* one message for every bad value: the range it must lie in */
        if (get_u64(c, v, what, UINT64_MAX / 2, &x)) { c->s->errcode = 0; return expect_fail(c, v, what, exp); }
        if (x < u32s[j].lo || x > u32s[j].hi) return expect_fail(c, v, what, exp);
        *u32s[j].p = (uint32_t)x;
        if (u32s[j].p == &m->memory_kb && m->memory_kb % 4)
            return expect_fail(c, v, what, "a multiple of 4 from 2048 to 262144");
    }
    uint32_t v;
    if ((v = get(c, i, "max_cycles")) &&
        (rc = get_u64(c, v, "machine.max_cycles", UINT64_MAX / 2, &m->max_cycles)))
        return rc;
    if (v && !m->max_cycles)   /* 0 is not "the default": say so rather than run 1e8 */
        return expect_fail(c, v, "machine.max_cycles", "a positive number of cycles");
    if ((v = get(c, i, "hang_cycles")) &&
        (rc = get_u64(c, v, "machine.hang_cycles", UINT64_MAX / 2, &m->hang_cycles)))
        return rc;
    if ((v = get(c, i, "time_slicing"))) {   /* SL-1 is opt-in: off keeps old traces */
        int on;
        if ((rc = get_bool(c, v, "machine.time_slicing", &on))) return rc;
        m->time_slicing = on ? 1u : 0u;
    }
    if ((v = get(c, i, "explore_ambiguities"))) {   /* AMB-1..3: off keeps old traces */
        int on;
        if ((rc = get_bool(c, v, "machine.explore_ambiguities", &on))) return rc;
        m->explore_ambiguities = on ? 1u : 0u;
    }
    /* END-1: a run meant to be cut (endless periodic work) says so */
    if ((v = get(c, i, "run_to_max_cycles")) &&
        (rc = get_bool(c, v, "machine.run_to_max_cycles", &c->s->run_to_max)))
        return rc;
    return SCEN_OK;
}

/* A program's source: `asm: |` inline or `file:` beside the scenario (VxDs, clients). */
static int parse_source(sctx *c, uint32_t i, scen_src *src, const char *what, const char *name) {
    assert(c && src && what && name);
    scen *s = c->s;
    char key[40];
    int rc;
    uint32_t a = get(c, i, "asm"), f = get(c, i, "file");
    if ((a != 0) == (f != 0))
        return scen_fail(s, SCEN_ESCHEMA, N(c, i)->line, N(c, i)->col,
                         "%s entry '%s': expected exactly one of 'asm' (inline source) or "
                         "'file' (a .asm beside the scenario), found %s", what, name,
                         a ? "both" : "neither");
    if (a) {
        snprintf(key, sizeof key, "%s.asm", what);
        if (N(c, a)->type != SCEN_Y_SCALAR) return expect_fail(c, a, key, "NASM source text (asm: |)");
        if (!(src->text = strdup(N(c, a)->text))) return SCEN_ENOMEM;
        /* A block scalar's text starts on the line after its '|' indicator. */
        src->pos.line = N(c, a)->line + (N(c, a)->block ? 1 : 0);
        src->pos.col = N(c, a)->block ? indent_of(c, src->pos.line) : N(c, a)->col;
        return SCEN_OK;
    }
    char fname[SCEN_PATH_MAX];
    snprintf(key, sizeof key, "%s.file", what);
    if ((rc = get_str(c, f, key, fname, sizeof fname))) return rc;
    if (fname[0] == 0) return expect_fail(c, f, key, "a file name");
    size_t need = strlen(s->dir) + strlen(fname) + 2;
    if (!(src->file = malloc(need))) return SCEN_ENOMEM;
    if (fname[0] == '/') snprintf(src->file, need, "%s", fname);
    else snprintf(src->file, need, "%s/%s", s->dir, fname);
    src->pos.line = N(c, f)->line;
    src->pos.col = N(c, f)->col;
    return SCEN_OK;
}

/* "SEG:OFF", each 0..0xFFFF (decimal or 0x hex). */
static int get_segoff(const sctx *c, uint32_t i, const char *what, uint16_t *seg, uint16_t *off) {
    assert(c && what && seg && off);
    const scen_ynode *n = N(c, i);
    char buf[32], *colon;
    uint64_t a = 0, b = 0;
    const char *exp = "SEG:OFF, each from 0 to 0xFFFF (e.g. 0x1000:0x0100)";
    if (n->type != SCEN_Y_SCALAR || n->len == 0 || n->len >= sizeof buf) return expect_fail(c, i, what, exp);
    memcpy(buf, n->text, (size_t)n->len + 1);
    if (!(colon = strchr(buf, ':'))) return expect_fail(c, i, what, exp);
    *colon = 0;
    if (parse_num(buf, &a) || parse_num(colon + 1, &b) || a > 0xFFFF || b > 0xFFFF)
        return expect_fail(c, i, what, exp);
    *seg = (uint16_t)a;
    *off = (uint16_t)b;
    return SCEN_OK;
}

/* client.regs: { eax … edi, ebp, ds, es } — the program's registers at its start. */
static int parse_client_regs(sctx *c, uint32_t i, vmm_client *p) {
    static const char *const keys[] = { "eax", "ecx", "edx", "ebx", "ebp", "esi", "edi", "ds", "es", NULL };
    static const uint32_t slot[] = { VMM_CREG_EAX, VMM_CREG_ECX, VMM_CREG_EDX, VMM_CREG_EBX, VMM_CREG_EBP,
                                     VMM_CREG_ESI, VMM_CREG_EDI, VMM_CREG_DS, VMM_CREG_ES };
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "vms.client.regs")) ||
        (rc = check_keys(c, i, "vms.client.regs (ESP is ss_sp's)", keys)))
        return rc;
    for (uint32_t k = 0; keys[k]; k++) {
        uint32_t v = get(c, i, keys[k]);
        char what[40];
        if (!v) continue;
        snprintf(what, sizeof what, "vms.client.regs.%s", keys[k]);
        if ((rc = get_u32(c, v, what, slot[k] >= VMM_CREG_DS ? 0xFFFF : UINT32_MAX, &p->regs[slot[k]])))
            return rc;
        p->regs_set |= 1u << slot[k];
    }
    return SCEN_OK;
}

/* vms.client: the VM's program (docs/vmm.md, "Client code"): its source, where it is
** loaded, its CS:IP (a number or a label of the program), SS:SP and registers. */
static int parse_client(sctx *c, uint32_t i, uint32_t vm) {
    static const char *const keys[] = { "asm", "file", "load", "cs_ip", "ss_sp", "regs", "mode", NULL };
    scen *s = c->s;
    vmm_client *p = &s->vms[vm].client;
    scen_src *src = &s->src[SCEN_CLIENT_SRC(vm)];
    uint32_t v;
    int rc;
    assert(vm < SCEN_VMS_MAX);
    if ((rc = want_type(c, i, SCEN_Y_MAP, "vms.client")) || (rc = check_keys(c, i, "vms.client", keys)))
        return rc;
    src->at.line = N(c, i)->line;
    src->at.col = N(c, i)->col;
    if ((rc = parse_source(c, i, src, "vms.client", s->vms[vm].name))) return rc;
    p->load_seg = 0x1000;
    if ((v = get(c, i, "load")) && (rc = get_segoff(c, v, "vms.client.load", &p->load_seg, &p->load_off)))
        return rc;
    p->cs = p->load_seg;
    p->ip = p->load_off;
    p->ss = p->load_seg;
    p->sp = 0xFFFE;
    if ((v = get(c, i, "cs_ip"))) {
        if (N(c, v)->type == SCEN_Y_SCALAR && N(c, v)->len > 0 && N(c, v)->len < VMM_NAME_MAX &&
            is_ident(N(c, v)->text, 0)) {   /* a label of the program, in its load segment */
            memcpy(s->cl_entry[vm], N(c, v)->text, (size_t)N(c, v)->len + 1);
            s->cl_entry_pos[vm].line = N(c, v)->line;
            s->cl_entry_pos[vm].col = N(c, v)->col;
        } else if ((rc = get_segoff(c, v, "vms.client.cs_ip", &p->cs, &p->ip))) {
            return rc;
        }
    }
    if ((v = get(c, i, "ss_sp")) && (rc = get_segoff(c, v, "vms.client.ss_sp", &p->ss, &p->sp))) return rc;
    if ((v = get(c, i, "regs")) && (rc = parse_client_regs(c, v, p))) return rc;
    if ((v = get(c, i, "mode"))) {   /* v86 (default) or pm: the Windows kernel's, system VM only */
        if (N(c, v)->type != SCEN_Y_SCALAR || (strcmp(N(c, v)->text, "v86") && strcmp(N(c, v)->text, "pm")))
            return expect_fail(c, v, "vms.client.mode", "v86 or pm");
        p->pm = !strcmp(N(c, v)->text, "pm");
        if (p->pm && !s->vms[vm].system)
            return expect_fail(c, v, "vms.client.mode", "v86 (pm is the system VM's: the Windows kernel)");
    }
    /* The loader assembles it beside the VxDs (scen_assemble): a slot of its own. */
    snprintf(s->vxds[SCEN_CLIENT_SRC(vm)].name, VMM_NAME_MAX, "%s", s->vms[vm].name);
    s->vxds[SCEN_CLIENT_SRC(vm)].load_addr = p->load_off;
    return SCEN_OK;
}

static int parse_vm(sctx *c, uint32_t i, vmm_vm_desc *vm) {
    assert(c && c->s && c->t && i < c->t->len && vm);
    static const char *const keys[] = { "name", "system", "fg_priority", "bg_priority",
        "background", "exclusive", "high_pri_background", "client", "start", NULL };
    int rc, b;
    uint32_t v;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "vms entry")) || (rc = check_keys(c, i, "vms entry", keys)))
        return rc;
    if (!(v = get(c, i, "name"))) return missing(c, i, "vms entry", "name", "a VM name");
    if ((rc = get_name(c, v, "vms.name", vm->name))) return rc;
    vm->fg_priority = 100;
    vm->bg_priority = 50;
    if ((v = get(c, i, "system")) && (rc = get_bool(c, v, "vms.system", &vm->system))) return rc;
    if ((v = get(c, i, "fg_priority")) && (rc = get_u32(c, v, "vms.fg_priority", 10000, &vm->fg_priority)))
        return rc;
    if ((v = get(c, i, "bg_priority")) && (rc = get_u32(c, v, "vms.bg_priority", 10000, &vm->bg_priority)))
        return rc;
    /* CB_VM_Status bits (docs/vmm.md, "Memory"; vmm/vmm_trace.h):
    ** Exclusive 0, Background 1, High_Pri_Back 9. */
    if ((v = get(c, i, "exclusive"))) {
        if ((rc = get_bool(c, v, "vms.exclusive", &b))) return rc;
        if (b) vm->status_flags |= 1u << 0;
    }
    if ((v = get(c, i, "background"))) {
        if ((rc = get_bool(c, v, "vms.background", &b))) return rc;
        if (b) vm->status_flags |= 1u << 1;
    }
    if ((v = get(c, i, "high_pri_background"))) {
        if ((rc = get_bool(c, v, "vms.high_pri_background", &b))) return rc;
        if (b) vm->status_flags |= 1u << 9;
    }
    if ((v = get(c, i, "client")) && (rc = parse_client(c, v, (uint32_t)(vm - c->s->vms)))) return rc;
    if ((v = get(c, i, "start"))) {   /* VML: boot (default) or later (a create_vm creates it) */
        if (N(c, v)->type != SCEN_Y_SCALAR ||
            (strcmp(N(c, v)->text, "boot") && strcmp(N(c, v)->text, "later")))
            return expect_fail(c, v, "vms.start", "boot or later");
        vm->start_later = !strcmp(N(c, v)->text, "later");
    }
    return SCEN_OK;
}

static int parse_vms(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    scen *s = c->s;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, "vms"))) return rc;
    if (N(c, i)->nkids == 0 || N(c, i)->nkids > SCEN_VMS_MAX)
        return expect_fail(c, i, "vms", "a list of 1 to 64 VMs");
    uint32_t nsys = 0;
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next) {
        vmm_vm_desc *vm = &s->vms[s->nvms];
        if ((rc = parse_vm(c, k, vm))) return rc;
        for (uint32_t j = 0; j < s->nvms; j++)
            if (!strcmp(s->vms[j].name, vm->name))
                return scen_fail(s, SCEN_ESCHEMA, N(c, k)->line, N(c, k)->col,
                                 "vms: expected unique VM names, found '%s' twice", vm->name);
        nsys += vm->system != 0;
        s->nvms++;
    }
    if (nsys != 1)
        return scen_fail(s, SCEN_ESCHEMA, N(c, i)->line, N(c, i)->col,
                         "vms: expected exactly one VM with 'system: true', found %u", nsys);
    return SCEN_OK;
}

static int parse_vxd(sctx *c, uint32_t i, uint32_t idx) {
    assert(c && c->s && c->t && i < c->t->len);
    static const char *const keys[] = { "name", "device_id", "load", "asm", "file", "control", NULL };
    scen *s = c->s;
    vmm_vxd_desc *d = &s->vxds[idx];
    scen_src *src = &s->src[idx];
    int rc;
    uint32_t v, a;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "vxds entry")) || (rc = check_keys(c, i, "vxds entry", keys)))
        return rc;
    src->at.line = N(c, i)->line;
    src->at.col = N(c, i)->col;
    if (!(v = get(c, i, "name"))) return missing(c, i, "vxds entry", "name", "a VxD name");
    if ((rc = get_name(c, v, "vxds.name", d->name))) return rc;
    for (uint32_t j = 0; j < idx; j++)
        if (!strcmp(s->vxds[j].name, d->name))
            return scen_fail(s, SCEN_ESCHEMA, N(c, v)->line, N(c, v)->col,
                             "vxds: expected unique VxD names, found '%s' twice", d->name);
    if ((v = get(c, i, "device_id")) && (rc = get_u32(c, v, "vxds.device_id", 0xFFFF, &a))) return rc;
    d->device_id = v ? (uint16_t)a : 0;
    d->load_addr = 0;   /* 0: placed by scen_assemble */
    if ((v = get(c, i, "load"))) {
        if ((rc = get_u32(c, v, "vxds.load", 0xFFFFF000u, &d->load_addr))) return rc;
        if (d->load_addr < SCEN_LOAD_BASE || d->load_addr % SCEN_LOAD_ALIGN)
            return expect_fail(c, v, "vxds.load", "an address at or above 0x100000 (1 MiB), "
                               "aligned to 4 KiB (0x1000)");
    }
    if ((rc = parse_source(c, i, src, "vxds", d->name))) return rc;
    uint32_t ctl = get(c, i, "control");
    char qual[VMM_NAME_MAX * 2 + 2];
    if (ctl) {
        if (N(c, ctl)->type != SCEN_Y_SCALAR || N(c, ctl)->len == 0 ||
            N(c, ctl)->len >= VMM_NAME_MAX || !is_ident(N(c, ctl)->text, 1))
            return expect_fail(c, ctl, "vxds.control", "a label of this VxD");
        if ((rc = add_ref(c, ctl, "vxds.control", &src->control_ref))) return rc;
        snprintf(qual, sizeof qual, "%s.%s", d->name, N(c, ctl)->text);
        memcpy(s->refs[src->control_ref].name, qual, sizeof qual);
    } else {
        if (s->nrefs >= SCEN_REFS_MAX) return scen_fail(s, SCEN_ELIMIT, 0, 0, "too many labels");
        scen_ref *r = &s->refs[s->nrefs];
        snprintf(r->name, sizeof r->name, "%s.%s", d->name, SCEN_CONTROL_DEFAULT);
        r->pos = src->at;
        src->control_ref = s->nrefs++;
    }
    return SCEN_OK;
}

static int parse_vxds(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    scen *s = c->s;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, "vxds"))) return rc;
    if (N(c, i)->nkids > SCEN_VXDS_MAX) return expect_fail(c, i, "vxds", "a list of at most 32 VxDs");
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next) {
        s->nvxds++;   /* counted first so that scen_free frees a half-parsed entry */
        if ((rc = parse_vxd(c, k, s->nvxds - 1))) return rc;
    }
    return SCEN_OK;
}

static int find_vm(const sctx *c, uint32_t i, const char *what, uint32_t *out) {
    assert(c && c->s && c->t && i < c->t->len && out && what);
    const scen *s = c->s;
    const scen_ynode *n = N(c, i);
    if (n->type == SCEN_Y_SCALAR)
        for (uint32_t j = 0; j < s->nvms; j++)
            if (!strcmp(s->vms[j].name, n->text)) { *out = j; return SCEN_OK; }
    char list[256] = "", buf[64];
    for (uint32_t j = 0; j < s->nvms; j++) {
        strncat(list, j ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, s->vms[j].name, sizeof list - strlen(list) - 1);
    }
    return scen_fail(c->s, SCEN_ELABEL, n->line, n->col,
                     "%s: expected a VM of 'vms' (%s), found %s", what, list,
                     found(c, i, buf, sizeof buf));
}

/* The VM named `name` (without VM_), or -1. */
static int vm_index(const scen *s, const char *name) {
    assert(s && name && s->nvms <= SCEN_VMS_MAX);
    for (uint32_t j = 0; j < s->nvms; j++)
        if (!strcmp(s->vms[j].name, name)) return (int)j;
    return -1;
}

/* VM_name: the handle the loader also gives VxD code (scen/scen_asm.c). An unknown
** VM is an error here, not an unknown label later: the author meant a VM. */
static int sym_vm(const sctx *c, uint32_t i, const char *what, const char *sym, uint64_t *out) {
    assert(c && what && sym && out && !strncmp(sym, "VM_", 3));
    const scen *s = c->s;
    int k = vm_index(s, sym + 3);
    if (k >= 0) { *out = vmm_handle_of_index((uint32_t)k); return SCEN_OK; }
    char list[256] = "";
    for (uint32_t j = 0; j < s->nvms; j++) {
        strncat(list, j ? ", VM_" : "VM_", sizeof list - strlen(list) - 1);
        strncat(list, s->vms[j].name, sizeof list - strlen(list) - 1);
    }
    return scen_fail(c->s, SCEN_ELABEL, N(c, i)->line, N(c, i)->col,
                     "%s: expected the handle of a VM of 'vms' (%s), found unknown VM '%s'",
                     what, list, sym);
}

/* A value that may name a symbol (scenarios/README.md, "Symbols"): a number, VM_name
** (that VM's handle), a label (VXD.label), or either with +N. A label's address is
** known only after assembling, so *out gets N and a fix-up adds the address in
** scen_resolve, which also checks the sum against max. */
static int get_sym(const sctx *c, uint32_t i, const char *what, uint32_t max, uint32_t *out) {
    assert(c && c->s && what && out);
    static const char exp[] = "a number, VM_name, VXD.label, or VM_name+N or VXD.label+N";
    scen *s = c->s;
    const scen_ynode *n = N(c, i);
    if (n->type == SCEN_Y_SCALAR && n->len && n->text[0] >= '0' && n->text[0] <= '9')
        return get_u32(c, i, what, max, out);
    char sym[sizeof s->refs[0].name];
    const char *plus = n->type == SCEN_Y_SCALAR ? strchr(n->text, '+') : NULL;
    size_t len = plus ? (size_t)(plus - n->text) : n->len;
    uint64_t off = 0, v = 0;
    if (n->type != SCEN_Y_SCALAR || !n->plain || len == 0 || len >= sizeof sym ||
        (plus && (parse_num(plus + 1, &off) || off > UINT32_MAX)))
        return expect_fail(c, i, what, exp);
    memcpy(sym, n->text, len);
    sym[len] = 0;
    if (!is_ident(sym, 1)) return expect_fail(c, i, what, exp);
    int rc;
    if (!strncmp(sym, "VM_", 3) && !strchr(sym, '.')) {
        if ((rc = sym_vm(c, i, what, sym, &v))) return rc;
        if (v + off > max) {
            char e2[64];
            snprintf(e2, sizeof e2, "a value at most 0x%x", max);
            return expect_fail(c, i, what, e2);
        }
        *out = (uint32_t)(v + off);
        return SCEN_OK;
    }
    if (s->nfix >= SCEN_FIX_MAX)
        return scen_fail(s, SCEN_ELIMIT, n->line, n->col, "more than %u symbolic values", SCEN_FIX_MAX);
    scen_fix *f = &s->fix[s->nfix];
    if ((rc = add_ref_at(c, sym, n->line, n->col, &f->ref))) return rc;
    f->dst = out;
    f->max = max;
    *out = (uint32_t)off;
    s->nfix++;
    return SCEN_OK;
}

static const struct { const char *name; uint32_t kind; } stim_names[] = {
    { "release_time_slice", VMM_STIM_RELEASE_TIME_SLICE }, { "wake", VMM_STIM_WAKE },
    { "kernel_idle", VMM_STIM_KERNEL_IDLE }, { "suspend", VMM_STIM_SUSPEND },
    { "resume", VMM_STIM_RESUME }, { "begin_crit", VMM_STIM_BEGIN_CRIT },
    { "end_crit", VMM_STIM_END_CRIT }, { "irq", VMM_STIM_IRQ },
    { "create_vm", VMM_STIM_CREATE_VM }, { "destroy_vm", VMM_STIM_DESTROY_VM },
    { "exit", VMM_STIM_EXIT },
};

/* do: call(VXD.label) | release_time_slice | wake | ... */
static int parse_do(sctx *c, uint32_t i, vmm_stimulus *st, uint32_t *ref) {
    assert(c && c->s && c->t && i < c->t->len && st && ref);
    static const char exp[] = "call(VXD.label), release_time_slice, wake, kernel_idle, "
                              "suspend, resume, create_vm, destroy_vm, exit, begin_crit, "
                              "end_crit or irq";
    const scen_ynode *n = N(c, i);
    if (n->type != SCEN_Y_SCALAR) return expect_fail(c, i, "timeline.do", exp);
    for (size_t j = 0; j < sizeof stim_names / sizeof stim_names[0]; j++)
        if (!strcmp(n->text, stim_names[j].name)) { st->kind = stim_names[j].kind; return SCEN_OK; }
    if (strncmp(n->text, "call(", 5) || n->len < 7 || n->text[n->len - 1] != ')')
        return expect_fail(c, i, "timeline.do", exp);
    scen *s = c->s;
    if (n->len - 6 >= sizeof s->refs[0].name)
        return scen_fail(s, SCEN_ESCHEMA, n->line, n->col,
                         "timeline.do: expected call(VXD.label) with a label of at most %u characters, "
                         "found one of %u", (unsigned)sizeof s->refs[0].name - 1, n->len - 6);
    if (s->nrefs >= SCEN_REFS_MAX)
        return scen_fail(s, SCEN_ELIMIT, n->line, n->col, "more than %u label references",
                         SCEN_REFS_MAX);
    scen_ref *r = &s->refs[s->nrefs];
    memcpy(r->name, n->text + 5, n->len - 6);
    r->name[n->len - 6] = 0;
    if (!is_ident(r->name, 1)) return expect_fail(c, i, "timeline.do", "call(VXD.label)");
    r->pos.line = n->line;
    r->pos.col = n->col + 5;
    *ref = s->nrefs++;
    st->kind = VMM_STIM_CALL;
    return SCEN_OK;
}

static int parse_at(sctx *c, uint32_t i, vmm_stimulus *st) {
    assert(c && c->s && c->t && i < c->t->len && st);
    int rc;
    const uint64_t max = UINT64_MAX / 4;
    if (N(c, i)->type == SCEN_Y_SEQ) {
        if (N(c, i)->nkids != 2) return expect_fail(c, i, "timeline.at", "a cycle or a window [lo, hi]");
        uint32_t lo = N(c, i)->first, hi = N(c, lo)->next;
        if ((rc = get_u64(c, lo, "timeline.at[0]", max, &st->at_lo)) ||
            (rc = get_u64(c, hi, "timeline.at[1]", max, &st->at_hi)))
            return rc;
        if (st->at_hi < st->at_lo) return expect_fail(c, hi, "timeline.at[1]", "hi >= lo");
        if (st->at_hi - st->at_lo >= 0xFFFFFFFFull)
            return expect_fail(c, hi, "timeline.at[1]", "a window narrower than 2^32 cycles");
        return SCEN_OK;
    }
    if ((rc = get_u64(c, i, "timeline.at", max, &st->at_lo))) return rc;
    st->at_hi = st->at_lo;
    return SCEN_OK;
}

/* The key node of key in a mapping, or 0 (for errors that point at a key). */
static uint32_t key_of(const sctx *c, uint32_t map, const char *key) {
    assert(c && key && map < c->t->len);
    /* Only a mapping has keys; its callers check the type first, so a non-map here is
    ** a caller's slip, answered as "no such key" rather than walking a list as pairs. */
    if (NEVER(N(c, map)->type != SCEN_Y_MAP)) return 0;
    for (uint32_t k = N(c, map)->first; k; k = N(c, N(c, k)->next)->next)
        if (N(c, k)->type == SCEN_Y_SCALAR && !strcmp(N(c, k)->text, key)) return k;
    return 0;
}

/* A key that does not apply to this kind of timeline entry. */
static int key_refused(const sctx *c, uint32_t map, const char *what, const char *key,
                       const char *why) {
    assert(c && what && key && why);
    uint32_t k = key_of(c, map, key);
    assert(k);
    return scen_fail(c->s, SCEN_ESCHEMA, N(c, k)->line, N(c, k)->col,
                     "%s: unexpected key '%s' (%s)", what, key, why);
}

/* do: irq — the hardware raises IRQ `irq:` (INT-1). It belongs to no VM (the
** stimulus's vm is 0 and ignored), so `vm:` and `arg:` are refused rather than
** silently dropped. */
static int parse_irq(sctx *c, uint32_t i, vmm_stimulus *st) {
    assert(c && c->s && c->t && i < c->t->len && st);
    uint32_t v;
    int rc;
    assert(st->kind == VMM_STIM_IRQ);
    if (get(c, i, "vm")) return key_refused(c, i, "timeline entry", "vm", "an IRQ belongs to no VM");
    if (get(c, i, "arg")) return key_refused(c, i, "timeline entry", "arg", "do: irq takes 'irq: N'");
    if (!(v = get(c, i, "irq"))) return missing(c, i, "timeline entry", "irq", "an IRQ from 0 to 15");
    if ((rc = get_u32(c, v, "timeline.irq", 15, &st->arg))) return rc;
    st->vm = 0;
    return SCEN_OK;
}

/* regs: { eax: V, ecx: V, edx: V, esi: V, edi: V } — registers at a call's entry.
** EBX (the VM handle) and EBP (its client registers) are the VMM's to set; EDX is
** also `arg:`, so the two together are refused. */
static int parse_call_regs(sctx *c, uint32_t i, uint32_t map, vmm_stimulus *st) {
    assert(c && c->s && c->t && i < c->t->len && st && st->kind == VMM_STIM_CALL);
    static const char *const keys[] = { "eax", "ecx", "edx", "esi", "edi", NULL };
    static const uint32_t slot[] = { VMM_CALL_EAX, VMM_CALL_ECX, VMM_CALL_REGS, VMM_CALL_ESI,
                                     VMM_CALL_EDI };
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "timeline.regs")) ||
        (rc = check_keys(c, i, "timeline.regs (EBX and EBP are set by the VMM)", keys)))
        return rc;
    for (uint32_t k = 0; keys[k]; k++) {
        uint32_t v = get(c, i, keys[k]);
        char what[32];
        if (!v) continue;
        snprintf(what, sizeof what, "timeline.regs.%s", keys[k]);
        if (slot[k] == VMM_CALL_REGS) {   /* EDX: the stimulus's arg */
            if (get(c, map, "arg"))
                return key_refused(c, map, "timeline entry", "arg", "regs.edx sets EDX too");
            if ((rc = get_sym(c, v, what, UINT32_MAX, &st->arg))) return rc;
            continue;
        }
        if ((rc = get_sym(c, v, what, UINT32_MAX, &st->regs[slot[k]]))) return rc;
        st->regs_set |= 1u << slot[k];
    }
    return SCEN_OK;
}

static int parse_stim(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    static const char *const keys[] = { "at", "vm", "do", "arg", "irq", "regs", NULL };
    scen *s = c->s;
    vmm_stimulus *st = &s->stim[s->nstim];
    uint32_t ref = UINT32_MAX, v;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "timeline entry")) ||
        (rc = check_keys(c, i, "timeline entry", keys)))
        return rc;
    memset(st, 0, sizeof *st);
    if (!(v = get(c, i, "at"))) return missing(c, i, "timeline entry", "at", "a cycle or [lo, hi]");
    if ((rc = parse_at(c, v, st))) return rc;
    if (!(v = get(c, i, "do"))) return missing(c, i, "timeline entry", "do", "what happens");
    if ((rc = parse_do(c, v, st, &ref))) return rc;
    if (st->kind == VMM_STIM_IRQ) {
        if ((rc = parse_irq(c, i, st))) return rc;
    } else if (get(c, i, "irq")) {
        return key_refused(c, i, "timeline entry", "irq", "only do: irq takes it");
    } else if ((v = get(c, i, "vm"))) {
        if ((rc = find_vm(c, v, "timeline.vm", &st->vm))) return rc;
    } else if (st->kind == VMM_STIM_KERNEL_IDLE || st->kind == VMM_STIM_EXIT) {
        /* INT 2Fh AX=1689h comes from the system VM, exit ends it: no need to say so. */
        for (uint32_t j = 0; j < s->nvms; j++) if (s->vms[j].system) st->vm = j;
    } else {
        return missing(c, i, "timeline entry", "vm", "the VM it happens in");
    }
    if (st->kind != VMM_STIM_IRQ && (v = get(c, i, "arg")) &&
        (rc = get_sym(c, v, "timeline.arg", UINT32_MAX, &st->arg)))
        return rc;
    if ((v = get(c, i, "regs"))) {
        if (st->kind != VMM_STIM_CALL)
            return key_refused(c, i, "timeline entry", "regs", "only do: call(VXD.label) takes it");
        if ((rc = parse_call_regs(c, v, i, st))) return rc;
    }
    s->stim_ref[s->nstim] = ref;
    s->stim_pos[s->nstim].line = N(c, i)->line;
    s->stim_pos[s->nstim].col = N(c, i)->col;
    s->nstim++;
    return SCEN_OK;
}

static int parse_timeline(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, "timeline"))) return rc;
    /* Stimuli wait in the event queue beside machine.event_capacity, not in it. */
    if (N(c, i)->nkids > SCEN_STIM_MAX)
        return scen_fail(c->s, SCEN_ELIMIT, N(c, i)->line, N(c, i)->col,
                         "timeline: expected at most %u stimuli, found %u", SCEN_STIM_MAX,
                         N(c, i)->nkids);
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next)
        if ((rc = parse_stim(c, k))) return rc;
    return SCEN_OK;
}

/* ports: [ { port: 0x3FD, value: 0x60 }, ... ] — what IN reads from a port
** (docs/vmm.md, "Port I/O"); unmapped ports read all ones. */
static int parse_port(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    static const char *const keys[] = { "port", "value", NULL };
    scen *s = c->s;
    vmm_port *p = &s->ports[s->nports];
    uint32_t v, port;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "ports entry")) || (rc = check_keys(c, i, "ports entry", keys)))
        return rc;
    if (!(v = get(c, i, "port"))) return missing(c, i, "ports entry", "port", "a port from 0 to 0xFFFF");
    if ((rc = get_u32(c, v, "ports.port", 0xFFFF, &port))) return rc;
    for (uint32_t j = 0; j < s->nports; j++)
        if (s->ports[j].port == port)
            return scen_fail(s, SCEN_ESCHEMA, N(c, v)->line, N(c, v)->col,
                             "ports: expected unique ports, found 0x%04x twice", port);
    p->port = (uint16_t)port;
    if (!(v = get(c, i, "value")))
        return missing(c, i, "ports entry", "value", "what IN reads, 0 to 0xFFFFFFFF");
    if ((rc = get_u32(c, v, "ports.value", UINT32_MAX, &p->value))) return rc;
    s->nports++;
    return SCEN_OK;
}

static int parse_ports(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, "ports"))) return rc;
    if (N(c, i)->nkids > VMM_PORTS_MAX)
        return scen_fail(c->s, SCEN_ELIMIT, N(c, i)->line, N(c, i)->col,
                         "ports: expected at most %u ports, found %u", VMM_PORTS_MAX, N(c, i)->nkids);
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next)
        if ((rc = parse_port(c, k))) return rc;
    return SCEN_OK;
}

/* when: VM.label[+N] and nth: N of a client state expectation (register:, memory: with
** vm:) — checked each time (or the n-th time) the VM's code reaches the label rather
** than at the end. The label is resolved after assembly (scen_client.c). */
static int parse_when(sctx *c, uint32_t i, const char *what, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && what && e->vm < c->s->nvms);
    char w[48], buf[160];
    uint32_t v = get(c, i, "when"), n = get(c, i, "nth");
    uint64_t off = 0;
    int rc;
    snprintf(w, sizeof w, "%s.nth", what);
    if (!v) return n ? key_refused(c, i, what, "nth", "only with 'when:'") : SCEN_OK;
    if (n) {
        if ((rc = get_u32(c, n, w, SCEN_TRACE_RECORDS_MAX, &e->nth))) return rc;
        if (e->nth == 0) return expect_fail(c, n, w, "a pass number from 1 (the first)");
    }
    snprintf(w, sizeof w, "%s.when", what);
    const scen_ynode *y = N(c, v);
    const char *vm = c->s->vms[e->vm].name;
    size_t lv = strlen(vm);
    snprintf(buf, sizeof buf, "a label of VM %s's program such as %s.loop or %s.loop+3", vm, vm, vm);
    char label[sizeof e->when + 16], *plus;
    if (y->type != SCEN_Y_SCALAR || strncmp(y->text, vm, lv) || y->text[lv] != '.' ||
        strlen(y->text + lv + 1) >= sizeof label)
        return expect_fail(c, v, w, buf);
    snprintf(label, sizeof label, "%s", y->text + lv + 1);
    if ((plus = strchr(label, '+'))) {
        *plus = 0;
        if (parse_num(plus + 1, &off) || off > 0xFFFF) return expect_fail(c, v, w, buf);
    }
    if (!is_ident(label, 1) || strlen(label) >= sizeof e->when) return expect_fail(c, v, w, buf);
    vmm_client *cl = &c->s->vms[e->vm].client;
    if (cl->nprobes >= VMM_PROBES_MAX)
        return scen_fail(c->s, SCEN_ELIMIT, y->line, y->col, "%s: expected at most %u expectations "
                         "at a label of VM %s, found more", w, VMM_PROBES_MAX, vm);
    memcpy(e->when, label, strlen(label) + 1);
    e->when_off = (uint32_t)off;
    e->when_pos.line = y->line;
    e->when_pos.col = y->col;
    e->probe = 1 + cl->nprobes++;
    cl->probes = c->s->cl_probes[e->vm];
    return SCEN_OK;
}

static int parse_memory(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "addr", "label", "offset", "size", "value", "vm", "at", "when",
                                        "nth", NULL };
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.memory")) ||
        (rc = check_keys(c, i, "expect.memory", keys)))
        return rc;
    uint32_t v, a = get(c, i, "addr"), l = get(c, i, "label");
    if ((v = get(c, i, "vm"))) {   /* a VM's own memory, by SEG:OFF (docs/vmm.md, "Client code") */
        uint16_t seg = 0, off = 0;
        uint32_t at = get(c, i, "at");
        if (a || l) return key_refused(c, i, "expect.memory", a ? "addr" : "label", "'vm:' takes 'at: SEG:OFF'");
        if (!at) return missing(c, i, "expect.memory", "at", "SEG:OFF in the VM's V86 space");
        if ((rc = find_vm(c, v, "expect.memory.vm", &e->vm))) return rc;
        if ((rc = get_segoff(c, at, "expect.memory.at", &seg, &off))) return rc;
        e->v86 = 1 + ((uint32_t)seg << 4) + off;
        e->addr = (uint32_t)seg << 16 | off;   /* as written, for messages */
        a = l = 0;
    } else if (get(c, i, "at") || get(c, i, "when") || get(c, i, "nth")) {
        return key_refused(c, i, "expect.memory", get(c, i, "at") ? "at" : get(c, i, "when") ? "when" : "nth",
                           "only with 'vm:'");
    } else if ((a != 0) == (l != 0))
        return scen_fail(c->s, SCEN_ESCHEMA, N(c, i)->line, N(c, i)->col,
                         "expect.memory: expected exactly one of 'addr' or 'label'");
    if (a) {
        uint32_t nfix = c->s->nfix;
        if ((rc = get_sym(c, a, "expect.memory.addr", UINT32_MAX, &e->addr))) return rc;
        if (c->s->nfix != nfix) {   /* addr: LABEL+N reads as label: LABEL, offset: N */
            e->ref0 = c->s->fix[--c->s->nfix].ref;
            e->nrefs = 1;
        }
        if ((v = get(c, i, "offset")))
            return key_refused(c, i, "expect.memory", "offset", "only with 'label:'; write addr: X+N");
    }
    if (l) {
        uint32_t off = 0;
        if ((rc = add_ref(c, l, "expect.memory.label", &e->ref0))) return rc;
        e->nrefs = 1;
        if ((v = get(c, i, "offset")) && (rc = get_u32(c, v, "expect.memory.offset", 0xFFFFF, &off)))
            return rc;
        e->addr = off;
    }
    e->size = 4;
    if ((v = get(c, i, "size"))) {
        if ((rc = get_u32(c, v, "expect.memory.size", 4, &e->size))) return rc;
        if (e->size != 1 && e->size != 2 && e->size != 4)
            return expect_fail(c, v, "expect.memory.size", "1, 2 or 4");
    }
    if (!(v = get(c, i, "value"))) return missing(c, i, "expect.memory", "value", "an integer");
    if ((rc = get_sym(c, v, "expect.memory.value", e->size == 4 ? UINT32_MAX : (1u << (8 * e->size)) - 1,
                      &e->value)))
        return rc;
    return e->v86 ? parse_when(c, i, "expect.memory", e) : SCEN_OK;
}

/* within.from: { stimulus: K } | { enter: LABEL } | { return: LABEL } | { service: NAME } */
static int parse_trigger(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "stimulus", "enter", "return", "service", NULL };
    static const char exp[] = "one of { stimulus: K }, { enter: VXD.label }, "
                              "{ return: VXD.label }, { service: Name }";
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.within.from")) ||
        (rc = check_keys(c, i, "expect.within.from", keys)))
        return rc;
    if (N(c, i)->nkids != 2) return expect_fail(c, i, "expect.within.from", exp);
    uint32_t k = N(c, i)->first, v = N(c, k)->next;
    const char *key = N(c, k)->text;
    if (!strcmp(key, "stimulus")) {
        e->trig = SCEN_TRIG_STIMULUS;
        if (c->s->nstim == 0)
            return expect_fail(c, v, "expect.within.from.stimulus", "a timeline index (the timeline is empty)");
        if ((rc = get_u32(c, v, "expect.within.from.stimulus", c->s->nstim - 1, &e->trig_index)))
            return rc;
    } else if (!strcmp(key, "service")) {
        const scen_ynode *n = N(c, v);
        e->trig = SCEN_TRIG_SERVICE;
        if (n->type != SCEN_Y_SCALAR || n->len == 0 || n->len >= sizeof e->svc || !is_ident(n->text, 0))
            return expect_fail(c, v, "expect.within.from.service", "a VMM service name such as "
                               "End_Critical_Section");
        memcpy(e->svc, n->text, (size_t)n->len + 1);
    } else {
        e->trig = key[0] == 'e' ? SCEN_TRIG_ENTER : SCEN_TRIG_RETURN;
        if ((rc = add_ref(c, v, key[0] == 'e' ? "expect.within.from.enter" : "expect.within.from.return",
                          &e->trig_ref)))
            return rc;
    }
    return SCEN_OK;
}

/* within: { from: TRIGGER, to: VXD.label, cycles: N } — "callback X is entered
** within N cycles of trigger Y", for every occurrence of the trigger. */
static int parse_within(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "from", "to", "cycles", NULL };
    int rc;
    uint32_t v;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.within")) ||
        (rc = check_keys(c, i, "expect.within", keys)))
        return rc;
    if (!(v = get(c, i, "from")))
        return missing(c, i, "expect.within", "from", "a trigger such as { stimulus: 0 }");
    if ((rc = parse_trigger(c, v, e))) return rc;
    if (!(v = get(c, i, "to"))) return missing(c, i, "expect.within", "to", "a callback label");
    if ((rc = add_ref(c, v, "expect.within.to", &e->ref0))) return rc;
    e->nrefs = 1;
    if (!(v = get(c, i, "cycles"))) return missing(c, i, "expect.within", "cycles", "a cycle count");
    return get_u64(c, v, "expect.within.cycles", UINT64_MAX / 4, &e->cycles);
}

/* Client_Reg_Struc offsets (docs/vmm.md, "Memory"): the client registers a VxD sees and
** changes through EBP. Segment fields are words, padded to dwords. */
static const struct { const char *name; uint8_t off, size; } client_regs[] = {
    { "EDI", 0x00, 4 }, { "ESI", 0x04, 4 }, { "EBP", 0x08, 4 }, { "EBX", 0x10, 4 },
    { "EDX", 0x14, 4 }, { "ECX", 0x18, 4 }, { "EAX", 0x1C, 4 }, { "EIP", 0x24, 4 },
    { "CS", 0x28, 2 },  { "EFLAGS", 0x2C, 4 }, { "ESP", 0x30, 4 }, { "SS", 0x34, 2 },
    { "ES", 0x38, 2 },  { "DS", 0x3C, 2 },  { "FS", 0x40, 2 },  { "GS", 0x44, 2 },
};

/* register: { vm: dos1, reg: EAX, value: 0x1234 } — a client register at the end. */
static int parse_register(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "vm", "reg", "value", "when", "nth", NULL };
    const char *what = "expect.register.reg";
    uint32_t v;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.register")) ||
        (rc = check_keys(c, i, "expect.register", keys)))
        return rc;
    if (!(v = get(c, i, "vm"))) return missing(c, i, "expect.register", "vm", "a VM name");
    if ((rc = find_vm(c, v, "expect.register.vm", &e->vm))) return rc;
    if (!(v = get(c, i, "reg")))
        return missing(c, i, "expect.register", "reg", "a client register such as EAX");
    const scen_ynode *n = N(c, v);
    size_t k = 0, nregs = sizeof client_regs / sizeof client_regs[0];
    if (n->type == SCEN_Y_SCALAR)
        for (; k < nregs; k++) if (!strcasecmp(n->text, client_regs[k].name)) break;
    if (n->type != SCEN_Y_SCALAR || k == nregs)
        return expect_fail(c, v, what, "one of EAX EBX ECX EDX ESI EDI EBP ESP EIP EFLAGS "
                           "CS DS ES FS GS SS");
    memcpy(e->reg, client_regs[k].name, strlen(client_regs[k].name) + 1);
    e->addr = client_regs[k].off;
    e->size = client_regs[k].size;
    if (!(v = get(c, i, "value"))) return missing(c, i, "expect.register", "value", "an integer");
    if ((rc = get_sym(c, v, "expect.register.value", e->size == 2 ? 0xFFFFu : UINT32_MAX, &e->value)))
        return rc;
    return parse_when(c, i, "expect.register", e);
}

/* A list of at least min labels (order:, before:) -> e->ref0, e->nrefs. */
static int parse_ref_list(sctx *c, uint32_t i, const char *what, uint32_t min, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && what && e && min >= 1);
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, what))) return rc;
    if (N(c, i)->nkids < min)
        return expect_fail(c, i, what, min == 1 ? "a non-empty list of labels"
                                                : "a list of at least two labels");
    e->ref0 = c->s->nrefs;
    for (uint32_t j = N(c, i)->first; j; j = N(c, j)->next) {
        uint32_t r;
        if ((rc = add_ref(c, j, what, &r))) return rc;
        assert(r == e->ref0 + e->nrefs);
        e->nrefs++;
    }
    return SCEN_OK;
}

/* entry: { cb: VXD.label, nth: N, vm: NAME, eax: V, ebx: V, edx: V, ebp: V } — the
** registers a CB_ENTER record carries, at every entry of the callback or its n-th. */
static int parse_entry(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "cb", "nth", "vm", "eax", "ebx", "edx", "ebp", NULL };
    static const char *const regs[] = { "eax", "ebx", "edx", "ebp" };   /* SCEN_ENTRY_* */
    uint32_t v;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.entry")) || (rc = check_keys(c, i, "expect.entry", keys)))
        return rc;
    if (!(v = get(c, i, "cb"))) return missing(c, i, "expect.entry", "cb", "a callback label");
    if ((rc = add_ref(c, v, "expect.entry.cb", &e->ref0))) return rc;
    e->nrefs = 1;
    if ((v = get(c, i, "nth"))) {
        if ((rc = get_u32(c, v, "expect.entry.nth", SCEN_TRACE_RECORDS_MAX, &e->nth))) return rc;
        if (e->nth == 0) return expect_fail(c, v, "expect.entry.nth", "an entry number from 1 (the first)");
    }
    if ((v = get(c, i, "vm"))) {
        if ((rc = find_vm(c, v, "expect.entry.vm", &e->regs[SCEN_ENTRY_VM]))) return rc;
        e->regmask |= 1u << SCEN_ENTRY_VM;
    }
    for (uint32_t r = 0; r < sizeof regs / sizeof regs[0]; r++) {
        char what[32];
        if (!(v = get(c, i, regs[r]))) continue;
        snprintf(what, sizeof what, "expect.entry.%s", regs[r]);
        if ((rc = get_sym(c, v, what, UINT32_MAX, &e->regs[r]))) return rc;
        e->regmask |= 1u << r;
    }
    if (!e->regmask)
        return scen_fail(c->s, SCEN_ESCHEMA, N(c, i)->line, N(c, i)->col, "expect.entry: expected "
                         "at least one of vm, eax, ebx, edx, ebp (to count entries, use calls:)");
    return SCEN_OK;
}

/* calls: { cb: VXD.label, exactly: N } or { cb: ..., at_least: N, at_most: M } */
static int parse_calls(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "cb", "exactly", "at_least", "at_most", NULL };
    const uint32_t max = SCEN_TRACE_RECORDS_MAX;
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect.calls")) || (rc = check_keys(c, i, "expect.calls", keys)))
        return rc;
    uint32_t v, x = get(c, i, "exactly"), lo = get(c, i, "at_least"), hi = get(c, i, "at_most");
    if (!(v = get(c, i, "cb"))) return missing(c, i, "expect.calls", "cb", "a callback label");
    if ((rc = add_ref(c, v, "expect.calls.cb", &e->ref0))) return rc;
    e->nrefs = 1;
    if (x && (lo || hi))
        return key_refused(c, i, "expect.calls", "exactly", "give exactly, or at_least and/or at_most");
    if (!x && !lo && !hi)
        return missing(c, i, "expect.calls", "exactly", "a count (or at_least / at_most)");
    e->lo = 0;
    e->hi = UINT32_MAX;
    if (x && (rc = get_u32(c, x, "expect.calls.exactly", max, &e->lo))) return rc;
    if (x) e->hi = e->lo;
    if (lo && (rc = get_u32(c, lo, "expect.calls.at_least", max, &e->lo))) return rc;
    if (hi && (rc = get_u32(c, hi, "expect.calls.at_most", max, &e->hi))) return rc;
    if (e->lo > e->hi) return expect_fail(c, hi, "expect.calls.at_most", "a count >= at_least");
    return SCEN_OK;
}

/* before: [A, B, ...] — the first entry of each comes before the first of the next;
** before: { every: [A, B, ...] } — every entry of each comes before the next's first. */
static int parse_before(sctx *c, uint32_t i, scen_expect *e) {
    assert(c && c->s && c->t && i < c->t->len && e);
    static const char *const keys[] = { "every", "first", NULL };
    int rc;
    if (N(c, i)->type == SCEN_Y_SEQ) return parse_ref_list(c, i, "expect.before", 2, e);
    if (N(c, i)->type != SCEN_Y_MAP || N(c, i)->nkids != 2)
        return expect_fail(c, i, "expect.before", "[A, B, ...], { first: [A, B, ...] } or "
                           "{ every: [A, B, ...] }");
    if ((rc = check_keys(c, i, "expect.before", keys))) return rc;
    e->every = get(c, i, "every") != 0;
    return parse_ref_list(c, e->every ? get(c, i, "every") : get(c, i, "first"),
                          e->every ? "expect.before.every" : "expect.before.first", 2, e);
}

static int parse_expect1(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    static const char *const keys[] = { "order", "never", "always", "memory", "hash", "finding",
                                        "within", "register", "entry", "calls", "before", NULL };
    scen *s = c->s;
    scen_expect *e = &s->exp[s->nexp];
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_MAP, "expect entry")) || (rc = check_keys(c, i, "expect entry", keys)))
        return rc;
    if (N(c, i)->nkids != 2)
        return expect_fail(c, i, "expect entry",
                           "one of order/never/always/memory/hash/finding/within/register/"
                           "entry/calls/before per entry");
    memset(e, 0, sizeof *e);
    e->pos.line = N(c, i)->line;
    e->pos.col = N(c, i)->col;
    uint32_t k = N(c, i)->first, v = N(c, k)->next;
    const char *key = N(c, k)->text;
    if (!strcmp(key, "order")) {
        e->kind = SCEN_EXP_ORDER;
        if ((rc = parse_ref_list(c, v, "expect.order", 1, e))) return rc;
    } else if (!strcmp(key, "entry")) {
        e->kind = SCEN_EXP_ENTRY;
        if ((rc = parse_entry(c, v, e))) return rc;
    } else if (!strcmp(key, "calls")) {
        e->kind = SCEN_EXP_CALLS;
        if ((rc = parse_calls(c, v, e))) return rc;
    } else if (!strcmp(key, "before")) {
        e->kind = SCEN_EXP_BEFORE;
        if ((rc = parse_before(c, v, e))) return rc;
    } else if (!strcmp(key, "never") || !strcmp(key, "always")) {
        e->kind = key[0] == 'n' ? SCEN_EXP_NEVER : SCEN_EXP_ALWAYS;
        if ((rc = add_ref(c, v, key[0] == 'n' ? "expect.never" : "expect.always", &e->ref0))) return rc;
        e->nrefs = 1;
    } else if (!strcmp(key, "memory")) {
        e->kind = SCEN_EXP_MEMORY;
        if ((rc = parse_memory(c, v, e))) return rc;
    } else if (!strcmp(key, "register")) {
        e->kind = SCEN_EXP_REGISTER;
        if ((rc = parse_register(c, v, e))) return rc;
    } else if (!strcmp(key, "within")) {
        e->kind = SCEN_EXP_WITHIN;
        if ((rc = parse_within(c, v, e))) return rc;
    } else if (!strcmp(key, "hash")) {
        e->kind = SCEN_EXP_HASH;
        if ((rc = get_u64(c, v, "expect.hash", UINT64_MAX, &e->hash))) return rc;
    } else {
        e->kind = SCEN_EXP_FINDING;
        const scen_ynode *n = N(c, v);
        if (n->type != SCEN_Y_SCALAR || n->len < 4 || n->len >= sizeof e->rule || !strchr(n->text, '-'))
            return expect_fail(c, v, "expect.finding", "a rule ID such as CS-7");
        memcpy(e->rule, n->text, (size_t)n->len + 1);
    }
    s->nexp++;
    return SCEN_OK;
}

static int parse_expect(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    int rc;
    if ((rc = want_type(c, i, SCEN_Y_SEQ, "expect"))) return rc;
    if (N(c, i)->nkids > SCEN_EXPECT_MAX) return expect_fail(c, i, "expect", "at most 256 expectations");
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next)
        if ((rc = parse_expect1(c, k))) return rc;
    return SCEN_OK;
}

/* rule: CS-1  or  rule: [CS-1, CS-3] — the rule IDs a scenario holds. */
static int parse_rules(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    scen *s = c->s;
    if (N(c, i)->type == SCEN_Y_SCALAR)
        return get_str(c, i, "rule", s->rules, sizeof s->rules);
    if (N(c, i)->type != SCEN_Y_SEQ) return expect_fail(c, i, "rule", "a rule ID or a list of them");
    for (uint32_t k = N(c, i)->first; k; k = N(c, k)->next) {
        char r[16];
        int rc = get_str(c, k, "rule", r, sizeof r);
        if (rc) return rc;
        if (strlen(s->rules) + strlen(r) + 3 > sizeof s->rules)
            return expect_fail(c, k, "rule", "at most 60 characters of rule IDs");
        if (s->rules[0]) strcat(s->rules, ", ");
        strcat(s->rules, r);
    }
    return SCEN_OK;
}

static int alloc_lists(scen *s, const scen_ytree *t) {
    assert(s && t);
    /* Bounded by the tree: no list can have more entries than the tree has nodes. */
    uint32_t n = t->len;
    s->vms = calloc(SCEN_VMS_MAX, sizeof *s->vms);
    s->vxds = calloc(SCEN_VXDS_MAX + SCEN_VMS_MAX, sizeof *s->vxds);   /* + client programs */
    s->src = calloc(SCEN_VXDS_MAX + SCEN_VMS_MAX, sizeof *s->src);
    s->stim = calloc(n < SCEN_STIM_MAX ? n : SCEN_STIM_MAX, sizeof *s->stim);
    s->stim_ref = calloc(n < SCEN_STIM_MAX ? n : SCEN_STIM_MAX, sizeof *s->stim_ref);
    s->stim_pos = calloc(n < SCEN_STIM_MAX ? n : SCEN_STIM_MAX, sizeof *s->stim_pos);
    s->exp = calloc(n < SCEN_EXPECT_MAX ? n : SCEN_EXPECT_MAX, sizeof *s->exp);
    /* A reference comes from a node, or is a VxD's default control procedure. */
    uint32_t nref = n + SCEN_VXDS_MAX < SCEN_REFS_MAX ? n + SCEN_VXDS_MAX : SCEN_REFS_MAX;
    s->refs = calloc(nref, sizeof *s->refs);
    s->ports = calloc(VMM_PORTS_MAX, sizeof *s->ports);
    s->fix = calloc(SCEN_FIX_MAX, sizeof *s->fix);
    if (!s->vms || !s->vxds || !s->src || !s->stim || !s->stim_ref || !s->stim_pos || !s->exp || !s->refs ||
        !s->ports || !s->fix)
        return scen_fail(s, SCEN_ENOMEM, 0, 0, "out of memory");
    return SCEN_OK;
}

static void set_path(scen *s, const char *path) {
    assert(s && path);
    snprintf(s->path, sizeof s->path, "%s", path ? path : "<input>");
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash) snprintf(s->dir, sizeof s->dir, ".");
    else if (slash == path) snprintf(s->dir, sizeof s->dir, "/");
    else snprintf(s->dir, sizeof s->dir, "%.*s", (int)(slash - path), path);
}

/* name: one line of text (the trace's "# name:" header), at most SCEN_NAME_MAX-1 bytes. */
static int parse_name(sctx *c, uint32_t i) {
    assert(c && c->s && c->t && i < c->t->len);
    int rc = get_str(c, i, "name", c->s->name, sizeof c->s->name);
    if (rc) return rc;
    for (const char *p = c->s->name; *p; p++)
        if ((unsigned char)*p < 0x20)
            return expect_fail(c, i, "name", "one line of text (no line breaks or control characters)");
    return SCEN_OK;
}

static int parse_root(sctx *c, uint32_t root) {
    assert(c && c->s && c->t && root < c->t->len);
    static const char *const keys[] = { "name", "rule", "description", "machine", "vms", "vxds",
                                        "ports", "timeline", "expect", NULL };
    int rc;
    uint32_t v;
    if ((rc = want_type(c, root, SCEN_Y_MAP, "scenario")) || (rc = check_keys(c, root, "scenario", keys)))
        return rc;
    if ((v = get(c, root, "name")) && (rc = parse_name(c, v))) return rc;
    if ((v = get(c, root, "description")) && (rc = want_type(c, v, SCEN_Y_SCALAR, "description")))
        return rc;
    if ((v = get(c, root, "rule")) && (rc = parse_rules(c, v))) return rc;
    if ((v = get(c, root, "machine")) && (rc = parse_machine(c, v))) return rc;
    if (!(v = get(c, root, "vms")))
        return missing(c, root, "scenario", "vms", "a list of VMs, one with 'system: true'");
    if ((rc = parse_vms(c, v))) return rc;
    if ((v = get(c, root, "vxds")) && (rc = parse_vxds(c, v))) return rc;
    if ((v = get(c, root, "ports")) && (rc = parse_ports(c, v))) return rc;
    if ((v = get(c, root, "timeline")) && (rc = parse_timeline(c, v))) return rc;
    if ((v = get(c, root, "expect")) && (rc = parse_expect(c, v))) return rc;
    if (c->s->nvms > c->s->m.max_vms)
        return scen_fail(c->s, SCEN_ESCHEMA, N(c, get(c, root, "vms"))->line,
                         N(c, get(c, root, "vms"))->col,
                         "vms: expected at most machine.max_vms (%u) VMs, found %u",
                         c->s->m.max_vms, c->s->nvms);
    return SCEN_OK;
}

int scen_parse(scen *s, const char *text, size_t len, const char *path) {
    assert(s && (text || len == 0));
    memset(s, 0, sizeof *s);
    set_path(s, path);
    vmm_machine_defaults(&s->m);
    scen_ytree t;
    char yerr[512];
    int rc = scen_ytree_parse(&t, text ? text : "", len, yerr, sizeof yerr);
    if (rc) {
        /* yerr is "line:col: message" (or empty when out of memory) */
        snprintf(s->err, sizeof s->err, "%.500s:%.500s", s->path, yerr[0] ? yerr : " out of memory");
        s->errcode = rc;
        scen_ytree_free(&t);
        return rc;
    }
    sctx c = { s, &t, text ? text : "", len };
    if (!t.root) rc = scen_fail(s, SCEN_ESCHEMA, 1, 1, "scenario: expected a mapping with "
                                "'vms' (and vxds, timeline, expect), found an empty document");
    else if ((rc = alloc_lists(s, &t)) == SCEN_OK)
        rc = parse_root(&c, t.root);
    scen_ytree_free(&t);
    return rc;
}

void scen_free(scen *s) {
    assert(s);
    if (!s) return;
    for (uint32_t i = 0; s->src && i < SCEN_VXDS_MAX + SCEN_VMS_MAX; i++) {
        free(s->src[i].text);
        free(s->src[i].file);
        free(s->src[i].image);
        free(s->src[i].labels);
    }
    free(s->vms); free(s->vxds); free(s->src); free(s->stim); free(s->stim_ref);
    free(s->stim_pos); free(s->exp); free(s->refs); free(s->ports); free(s->fix);
    s->vms = NULL; s->vxds = NULL; s->src = NULL; s->stim = NULL; s->stim_ref = NULL;
    s->stim_pos = NULL; s->exp = NULL; s->refs = NULL; s->ports = NULL; s->fix = NULL;
    s->nvms = s->nvxds = s->nstim = s->nexp = s->nrefs = s->nports = s->nfix = 0;
    s->vs.ports = NULL;
    s->vs.nports = 0;
}

/* ---- whole-file loading -------------------------------------------------- */

int scen_load_text(scen *s, const char *text, size_t len, const char *path) {
    assert(s && (text || len == 0) && path);
    int rc = scen_parse(s, text, len, path);
    if (rc == SCEN_OK) rc = scen_assemble(s);
    if (rc == SCEN_OK) rc = scen_resolve(s);
    return rc;
}

int scen_load(scen *s, const char *path) {
    assert(s && path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(s, 0, sizeof *s);
        set_path(s, path);
        return scen_fail(s, SCEN_EIO, 0, 0, "cannot open: %s", strerror(errno));
    }
    /* A regular file is read into a buffer of its own size, so that a load pays for
    ** its file, not for SCEN_INPUT_MAX; one byte more than that size means the size
    ** was no guide (a file that grew, /proc): then the rest, up to the limit. */
    struct stat st;
    size_t cap = SCEN_INPUT_MAX;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < SCEN_INPUT_MAX)
        cap = (size_t)st.st_size;
    char *buf = malloc(cap + 2);
    errno = 0;
    size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
    if (buf && n > cap && cap < SCEN_INPUT_MAX) {
        char *more = realloc(buf, (size_t)SCEN_INPUT_MAX + 2);
        if (!more) free(buf);
        buf = more;
        if (buf) n += fread(buf + n, 1, SCEN_INPUT_MAX + 1 - n, f);
    }
    int rd_err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!buf || rd_err || n > SCEN_INPUT_MAX) {
        free(buf);
        memset(s, 0, sizeof *s);
        set_path(s, path);
        if (!buf || rd_err)
            return scen_fail(s, !buf ? SCEN_ENOMEM : SCEN_EIO, 0, 0, "%s",
                             !buf ? "out of memory" : strerror(rd_err));
        return scen_fail(s, SCEN_ELIMIT, 0, 0, "expected at most %u bytes of YAML, found more",
                         (unsigned)SCEN_INPUT_MAX);
    }
    int rc = scen_load_text(s, buf, n, path);
    free(buf);
    return rc;
}
