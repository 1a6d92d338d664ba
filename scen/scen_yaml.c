/*
** scen_yaml.c — libyaml events -> scen_ytree (see scen_yaml.h).
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scen.h"
#include "scen_yaml.h"

typedef struct ybuild {
    scen_ytree *t;
    uint32_t stack[SCEN_DEPTH_MAX + 1];   /* open collections */
    uint32_t last[SCEN_DEPTH_MAX + 1];    /* their last child */
    uint32_t depth;
    char *err;
    size_t errlen;
} ybuild;

static int yfail(ybuild *b, int code, const yaml_mark_t *m, const char *fmt, const char *arg);

static int yfail_nodes(ybuild *b, const yaml_mark_t *m) {
    char num[16];
    snprintf(num, sizeof num, "%u", (unsigned)SCEN_NODES_MAX);
    return yfail(b, SCEN_ELIMIT, m, "more than %s YAML nodes", num);
}

static int yfail(ybuild *b, int code, const yaml_mark_t *m, const char *fmt, const char *arg) {
    assert(b && m && fmt && code < 0);
    int k = snprintf(b->err, b->errlen, "%u:%u: ", (unsigned)m->line + 1, (unsigned)m->column + 1);
    if (k > 0 && (size_t)k < b->errlen)
        snprintf(b->err + k, b->errlen - (size_t)k, fmt, arg);
    return code;
}

static uint32_t ynew(ybuild *b, uint32_t type, const yaml_mark_t *m) {
    assert(b && b->t && m && type >= SCEN_Y_SCALAR && type <= SCEN_Y_MAP);
    scen_ytree *t = b->t;
    if (t->len >= SCEN_NODES_MAX) return 0;
    if (t->len == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 64;
        if (cap > SCEN_NODES_MAX) cap = SCEN_NODES_MAX;
        scen_ynode *n = realloc(t->n, cap * sizeof *n);
        if (!n) return 0;
        t->n = n;
        t->cap = cap;
    }
    uint32_t i = t->len++;
    memset(&t->n[i], 0, sizeof t->n[i]);
    t->n[i].type = type;
    t->n[i].line = (uint32_t)m->line + 1;
    t->n[i].col = (uint32_t)m->column + 1;
    return i;
}

/* Links node i as the next child of the innermost open collection (or the root). */
static void yattach(ybuild *b, uint32_t i) {
    assert(b && i > 0 && i < b->t->len && b->depth <= SCEN_DEPTH_MAX);
    scen_ytree *t = b->t;
    if (b->depth == 0) { t->root = i; return; }
    uint32_t p = b->stack[b->depth - 1];
    if (b->last[b->depth - 1]) t->n[b->last[b->depth - 1]].next = i;
    else t->n[p].first = i;
    b->last[b->depth - 1] = i;
    t->n[p].nkids++;
}

static int yevent(ybuild *b, const yaml_event_t *e, int *done) {
    assert(b && e && done && b->depth <= SCEN_DEPTH_MAX);
    const yaml_mark_t *m = &e->start_mark;
    uint32_t i;
    switch (e->type) {
    case YAML_STREAM_START_EVENT: case YAML_DOCUMENT_END_EVENT:
        return SCEN_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (b->t->root)
            return yfail(b, SCEN_ESYNTAX, m, "expected one YAML document, found a second%s", "");
        return SCEN_OK;
    case YAML_STREAM_END_EVENT:
        *done = 1;
        return SCEN_OK;
    case YAML_ALIAS_EVENT:
        return yfail(b, SCEN_ESYNTAX, m, "expected a value, found the alias '*%s' "
                     "(anchors and aliases are not supported in scenarios)",
                     (const char *)e->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        if (e->data.scalar.length >= SCEN_INPUT_MAX)
            return yfail(b, SCEN_ELIMIT, m, "scalar too long%s", "");
        if (!(i = ynew(b, SCEN_Y_SCALAR, m)))
            return yfail_nodes(b, m);
        b->t->n[i].text = malloc(e->data.scalar.length + 1);
        if (!b->t->n[i].text) return yfail(b, SCEN_ENOMEM, m, "out of memory%s", "");
        memcpy(b->t->n[i].text, e->data.scalar.value, e->data.scalar.length);
        b->t->n[i].text[e->data.scalar.length] = 0;
        b->t->n[i].len = (uint32_t)e->data.scalar.length;
        b->t->n[i].plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        b->t->n[i].block = e->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                           e->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        yattach(b, i);
        return SCEN_OK;
    case YAML_SEQUENCE_START_EVENT: case YAML_MAPPING_START_EVENT:
        if (b->depth >= SCEN_DEPTH_MAX)
            return yfail(b, SCEN_ELIMIT, m, "nesting deeper than 16 levels%s", "");
        i = ynew(b, e->type == YAML_SEQUENCE_START_EVENT ? SCEN_Y_SEQ : SCEN_Y_MAP, m);
        if (!i) return yfail_nodes(b, m);
        yattach(b, i);
        b->stack[b->depth] = i;
        b->last[b->depth] = 0;
        b->depth++;
        return SCEN_OK;
    case YAML_SEQUENCE_END_EVENT: case YAML_MAPPING_END_EVENT:
        assert(b->depth > 0);
        b->depth--;
        return SCEN_OK;
    default:
        return SCEN_OK;
    }
}

int scen_ytree_parse(scen_ytree *t, const char *text, size_t len, char *err, size_t errlen) {
    assert(t && err && errlen > 0);
    memset(t, 0, sizeof *t);
    err[0] = 0;
    ybuild b = { .t = t, .err = err, .errlen = errlen };
    yaml_mark_t zero = { 0, 0, 0 };
    if (len > SCEN_INPUT_MAX) return yfail(&b, SCEN_ELIMIT, &zero, "file larger than 1 MiB%s", "");
    t->n = calloc(64, sizeof *t->n);
    if (!t->n) return SCEN_ENOMEM;
    t->cap = 64;
    t->len = 1;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return SCEN_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = SCEN_OK, done = 0;
    /* Each event consumes input or closes a structure, so the loop is bounded by the
    ** input; the explicit cap is a second guard. */
    for (uint32_t guard = 0; rc == SCEN_OK && !done; guard++) {
        yaml_event_t e;
        if (guard > 4 * SCEN_NODES_MAX + 16) { rc = yfail(&b, SCEN_ELIMIT, &zero, "too many YAML events%s", ""); break; }
        if (!yaml_parser_parse(&p, &e)) {
            yaml_mark_t m = p.problem_mark;
            const char *what = p.problem ? p.problem : "malformed YAML";
            if (p.context) {
                char msg[256];
                snprintf(msg, sizeof msg, "YAML syntax: %s %s", what, p.context);
                rc = yfail(&b, SCEN_ESYNTAX, &m, "%s", msg);
            } else {
                rc = yfail(&b, SCEN_ESYNTAX, &m, "YAML syntax: %s", what);
            }
            break;
        }
        rc = yevent(&b, &e, &done);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    return rc;
}

void scen_ytree_free(scen_ytree *t) {
    assert(t && t->len <= t->cap);
    if (!t) return;
    for (uint32_t i = 1; i < t->len; i++) free(t->n[i].text);
    free(t->n);
    memset(t, 0, sizeof *t);
}
