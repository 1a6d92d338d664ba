/*
** shrink_scen.c — the stimulus half of `vmmsim shrink` (docs/fuzzing.md): delete
** timeline entries and narrow `at: [lo, hi]` windows to the cycle the failing run
** used, while the same failure persists; then write the reduced scenario as the
** original YAML text minus the dropped entries' lines, so comments, VxD sources and
** expectations stay as the user wrote them.
**
** The loader keeps no end positions, so the timeline is located here again from
** libyaml's events (start and end marks). The machine for a candidate is built from
** the already assembled scenario with a reduced stimulus array: nasm runs once.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xpl_shrink.h"

/* Where the timeline's entries are in the text (0-based lines, byte offsets). */
typedef struct stim_loc {
    uint32_t line0, line1;      /* the entry's lines: [line0, line1) */
    size_t   at0, at1;          /* its `at: [lo, hi]` flow window: [at0, at1); 0,0 none */
} stim_loc;

/* The located timeline; static per shrink, so kept next to the text it indexes. */
typedef struct stim_text {
    char     *text;  size_t len;
    stim_loc *loc;   uint32_t n;
    int       lines_ok;          /* entries on lines of their own: deletable */
} stim_text;

static stim_text *text_of(const xpl_shr_stim *st);

/* ---- locating the timeline in the YAML text ---------------------------------- */

typedef struct walk {
    uint32_t depth, kids[SCEN_DEPTH_MAX + 2];
    int      ismap[SCEN_DEPTH_MAX + 2];
    int      tl_key, tl_open, tl_done, at_key, at_open;
    yaml_mark_t tl_end;
} walk;

/* A node starts in the container at w->depth; returns its index there. */
static uint32_t node_start(walk *w) { return w->kids[w->depth]++; }

static int on_event(walk *w, stim_text *t, const yaml_event_t *e) {
    assert(w && t && e);
    uint32_t d = w->depth, idx = 0;
    int is_key = 0;
    if (e->type == YAML_SCALAR_EVENT || e->type == YAML_SEQUENCE_START_EVENT ||
        e->type == YAML_MAPPING_START_EVENT || e->type == YAML_ALIAS_EVENT) {
        idx = node_start(w);
        is_key = w->ismap[d] && idx % 2 == 0;
        if (d == 2 && w->tl_open && !w->tl_done) {          /* a timeline entry */
            if (t->n >= SCEN_STIM_MAX) return -1;
            t->loc[t->n++] = (stim_loc){ (uint32_t)e->start_mark.line, 0, 0, 0 };
        }
    }
    const char *sv = e->type == YAML_SCALAR_EVENT ? (const char *)e->data.scalar.value : "";
    int in_entry = d == 3 && w->tl_open && !w->tl_done && w->ismap[3] && t->n > 0;
    if (d == 1 && is_key) w->tl_key = !strcmp(sv, "timeline") && e->type == YAML_SCALAR_EVENT;
    if (in_entry && is_key) w->at_key = e->type == YAML_SCALAR_EVENT && !strcmp(sv, "at");
    switch (e->type) {
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (w->depth + 1 > SCEN_DEPTH_MAX) return -1;
        if (d == 1 && !is_key && w->tl_key && e->type == YAML_SEQUENCE_START_EVENT) {
            if (e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE) t->lines_ok = 0;
            w->tl_open = 1;
        }
        if (in_entry && !is_key && w->at_key && e->type == YAML_SEQUENCE_START_EVENT &&
            e->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE) {
            t->loc[t->n - 1].at0 = e->start_mark.index;
            w->at_open = 1;
        }
        w->depth++;
        w->kids[w->depth] = 0;
        w->ismap[w->depth] = e->type == YAML_MAPPING_START_EVENT;
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (d == 4 && w->at_open) { t->loc[t->n - 1].at1 = e->end_mark.index; w->at_open = 0; }
        if (d == 2 && w->tl_open && !w->tl_done) { w->tl_end = e->start_mark; w->tl_done = 1; }
        if (w->depth == 0) return -1;
        w->depth--;
        break;
    default:
        break;
    }
    if (d == 1 && !is_key && e->type != YAML_MAPPING_END_EVENT && idx % 2) w->tl_key = 0;
    if (in_entry && !is_key && idx % 2) w->at_key = 0;
    return 0;
}

/* The last entry ends where the sequence does: before the line of the next key, or
** after the line the sequence's end mark is on when text precedes it there. */
static uint32_t end_line(const stim_text *t, yaml_mark_t m) {
    assert(t && m.index <= t->len);
    size_t i = m.index;
    while (i > 0 && t->text[i - 1] != '\n') {
        if (t->text[i - 1] != ' ' && t->text[i - 1] != '\t') return (uint32_t)m.line + 1;
        i--;
    }
    return (uint32_t)m.line;
}

static int locate(stim_text *t) {
    assert(t && t->text && t->loc);
    yaml_parser_t p;
    yaml_event_t e;
    walk w;
    memset(&w, 0, sizeof w);
    t->lines_ok = 1;
    if (!yaml_parser_initialize(&p)) return -1;
    yaml_parser_set_input_string(&p, (const unsigned char *)t->text, t->len);
    int rc = 0;
    for (uint32_t guard = 0; guard < SCEN_NODES_MAX * 2u; guard++) {
        if (!yaml_parser_parse(&p, &e)) { rc = -1; break; }
        int done = e.type == YAML_STREAM_END_EVENT;
        rc = on_event(&w, t, &e);
        yaml_event_delete(&e);
        if (rc || done) break;
    }
    yaml_parser_delete(&p);
    if (rc || !w.tl_done) return -1;
    for (uint32_t i = 0; i < t->n; i++) {
        t->loc[i].line1 = i + 1 < t->n ? t->loc[i + 1].line0 : end_line(t, w.tl_end);
        if (t->loc[i].line1 <= t->loc[i].line0) t->lines_ok = 0;
        if (!t->loc[i].at1) t->loc[i].at0 = 0;
    }
    return 0;
}

static int text_read(stim_text *t, const char *path) {
    assert(t && path && !t->text);
    if (!strcmp(path, SCEN_DEFAULT_NAME)) {
        t->len = strlen(scen_default_yaml);
        t->text = malloc(t->len + 1);
        if (!t->text) return -1;
        memcpy(t->text, scen_default_yaml, t->len + 1);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    t->text = malloc(SCEN_INPUT_MAX + 1);
    t->len = t->text ? fread(t->text, 1, SCEN_INPUT_MAX + 1, f) : 0;
    int bad = !t->text || ferror(f) || t->len > SCEN_INPUT_MAX;
    fclose(f);
    if (bad) return -1;
    t->text[t->len] = 0;
    return 0;
}

/* ---- candidates ---------------------------------------------------------------- */

static stim_text *text_of(const xpl_shr_stim *st) { return (stim_text *)(void *)st->stim_text; }

static int windowed(const xpl_shr *s, uint32_t i) {
    assert(s && s->c && i < s->st.n);
    const vmm_stimulus *o = &s->c->s.vs.stim[i];
    return s->st.keep[i] && s->st.point[i] == XPL_SHR_NO_POINT && o->at_hi > o->at_lo;
}

/* The position of entry i's jitter decision: the machine chooses one per window,
** in timeline order, before anything else (vmm_run). */
static uint32_t jitter_pos(const xpl_shr *s, uint32_t i) {
    assert(s && i < s->st.n);
    uint32_t p = 0;
    for (uint32_t j = 0; j < i; j++) p += (uint32_t)windowed(s, j);
    return p;
}

/* Rebuilds c->v from the original scenario with the kept, narrowed timeline. */
static int machine_build(xpl_shr *s) {
    xpl_shr_stim *st = &s->st;
    xpl_sim *c = s->c;
    uint32_t k = 0;
    for (uint32_t i = 0; i < st->n; i++) {
        if (!st->keep[i]) continue;
        st->stim[k] = c->s.vs.stim[i];
        if (st->point[i] != XPL_SHR_NO_POINT) st->stim[k].at_lo = st->stim[k].at_hi = st->point[i];
        k++;
    }
    assert(k <= st->n);
    st->vs = c->s.vs;
    st->vs.stim = st->stim;
    st->vs.nstim = k;
    if (c->v) vmm_free(c->v);
    int verr = 0;
    char msg[256] = "";
    c->v = vmm_new(&st->vs, &verr, msg, sizeof msg);
    if (!c->v) {
        fprintf(stderr, "vmmsim shrink: cannot build the reduced machine: %s %s\n", vmm_strerror(verr), msg);
        s->err = XPL_EXIT_HOST;
        return -1;
    }
    return 0;
}

/* Deletes (del) or narrows entry i; keeps the change when the failure persists. */
static int try_stim(xpl_shr *s, uint32_t i, int del) {
    assert(s && s->c && i < s->st.n && s->st.keep[i]);
    xpl_shr_stim *st = &s->st;
    if (s->attempts >= s->max_attempts || s->err) return 0;
    s->attempts++;
    int w = windowed(s, i);
    uint32_t p = jitter_pos(s, i), n = s->cur.n, m = 0;
    uint32_t chosen = w && p < n ? s->cur.d[p].chosen : 0;
    if (xpl_shr_cand_room(s, n + 1)) return 0;
    for (uint32_t j = 0; j < n; j++)          /* its jitter decision goes with it */
        if (!(w && j == p)) s->cand[m++] = s->cur.d[j];
    uint8_t keep0 = st->keep[i];
    uint64_t point0 = st->point[i];
    if (del) st->keep[i] = 0;
    else st->point[i] = s->c->s.vs.stim[i].at_lo + chosen;
    xpl_verdict v;
    if (machine_build(s)) return 0;
    if (xpl_replay_run(s->c, s->cand, m, &v)) { s->err = XPL_EXIT_HOST; return 0; }
    if (v.failed && !strcmp(v.sig, s->target)) {
        if (xpl_shr_keep_log(s, s->cand, m)) return 0;
        return 1;
    }
    st->keep[i] = keep0;
    st->point[i] = point0;
    machine_build(s);
    return 0;
}

int xpl_shr_stim_pass(xpl_shr *s) {
    assert(s && s->c && s->st.keep && s->st.point);
    xpl_shr_stim *st = &s->st;
    stim_text *t = text_of(st);
    int kept = 0;
    for (uint32_t i = st->n; i-- > 0 && !s->err && s->attempts < s->max_attempts;) {
        if (!st->keep[i]) continue;
        uint32_t left = 0;
        for (uint32_t j = 0; j < st->n; j++) left += st->keep[j];
        /* One entry stays: an empty `timeline:` would not be a sequence any more. */
        if (t->lines_ok && i >= st->protect && left > 1 && try_stim(s, i, 1)) {
            st->removed++;
            kept = 1;
            continue;
        }
        if (windowed(s, i) && t->loc[i].at1 && try_stim(s, i, 0)) { st->narrowed++; kept = 1; }
    }
    return kept;
}

/* ---- setup and the reduced scenario --------------------------------------------- */

int xpl_shr_stim_init(xpl_shr *s) {
    assert(s && s->c && s->c->v && !s->st.keep);
    xpl_shr_stim *st = &s->st;
    const scen *sc = &s->c->s;
    st->n = sc->vs.nstim;
    st->keep = malloc(st->n + 1);
    st->point = malloc((st->n + 1) * sizeof *st->point);
    st->stim = malloc((st->n + 1) * sizeof *st->stim);
    stim_text *t = calloc(1, sizeof *t);
    st->stim_text = t;
    if (!st->keep || !st->point || !st->stim || !t) return XPL_EXIT_HOST;
    for (uint32_t i = 0; i < st->n; i++) { st->keep[i] = 1; st->point[i] = XPL_SHR_NO_POINT; }
    for (uint32_t e = 0; e < sc->nexp; e++)
        if (sc->exp[e].kind == SCEN_EXP_WITHIN && sc->exp[e].trig == SCEN_TRIG_STIMULUS &&
            sc->exp[e].trig_index + 1 > st->protect)
            st->protect = sc->exp[e].trig_index + 1;
    if (text_read(t, s->c->path)) {
        fprintf(stderr, "vmmsim shrink: cannot read %s again\n", s->c->path);
        return XPL_EXIT_USAGE;
    }
    t->loc = calloc(SCEN_STIM_MAX, sizeof *t->loc);
    if (!t->loc) return XPL_EXIT_HOST;
    if (locate(t) || t->n != st->n) {
        fprintf(stderr, "vmmsim shrink: note: cannot locate the %u timeline entries of %s; "
                "keeping them\n", st->n, s->c->path);
        t->lines_ok = 0;
        t->n = 0;
        st->protect = st->n;
        memset(t->loc, 0, SCEN_STIM_MAX * sizeof *t->loc);
    }
    return 0;
}

void xpl_shr_stim_free(xpl_shr *s) {
    assert(s);
    stim_text *t = text_of(&s->st);
    if (t) { free(t->text); free(t->loc); free(t); }
    free(s->st.keep);
    free(s->st.point);
    free(s->st.stim);
    memset(&s->st, 0, sizeof s->st);
}

int xpl_shr_scen_write(const xpl_shr_stim *st, const char *out, FILE *err) {
    const stim_text *t = text_of(st);
    assert(t && t->text);
    FILE *f = fopen(out, "w");
    if (!f) { fprintf(err, "%s: cannot write: %s\n", out, strerror(errno)); return XPL_EXIT_HOST; }
    uint32_t line = 0, e = 0;       /* e: the entry whose lines come next */
    for (size_t pos = 0; pos < t->len;) {
        while (e < t->n && line >= t->loc[e].line1) e++;
        int dropped = e < t->n && line >= t->loc[e].line0 && !st->keep[e];
        if (!dropped && e < t->n && st->point[e] != XPL_SHR_NO_POINT && pos == t->loc[e].at0) {
            fprintf(f, "%llu", (unsigned long long)st->point[e]);
            for (; pos < t->loc[e].at1; pos++) line += t->text[pos] == '\n';
            continue;
        }
        if (!dropped) fputc(t->text[pos], f);
        line += t->text[pos++] == '\n';
    }
    int bad = ferror(f);
    if (fclose(f) || bad) { fprintf(err, "%s: write error\n", out); return XPL_EXIT_HOST; }
    return 0;
}
