/*
** schedule.c — schedule files: write, read, and the scenario hash that ties a
** schedule to the scenario bytes it was found on (docs/fuzzing.md, "Schedule files").
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "explore.h"

int xpl_scen_hash(const char *path, uint64_t *out, FILE *err) {
    assert(out);
    if (!path || !strcmp(path, SCEN_DEFAULT_NAME)) {
        *out = XXH64(scen_default_yaml, strlen(scen_default_yaml), 0);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(err, "%s: cannot read: %s\n", path, strerror(errno)); return XPL_EXIT_USAGE; }
    XXH64_state_t *st = XXH64_createState();
    if (!st) { fclose(f); return XPL_EXIT_HOST; }
    XXH64_reset(st, 0);
    char buf[8192];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && total <= SCEN_INPUT_MAX) {
        XXH64_update(st, buf, n);
        total += n;
    }
    int bad = ferror(f);
    fclose(f);
    *out = XXH64_digest(st);
    XXH64_freeState(st);
    if (bad) { fprintf(err, "%s: read error\n", path); return XPL_EXIT_USAGE; }
    return 0;
}

int xpl_sched_set(xpl_sched *s, const eng_decision *d, uint32_t n) {
    assert(s && (d || !n) && n <= XPL_SCHED_DECISIONS_MAX);
    if (n > s->cap) {
        eng_decision *nd = realloc(s->d, n * sizeof *nd);
        if (!nd) return -1;
        s->d = nd;
        s->cap = n;
    }
    if (n) memmove(s->d, d, n * sizeof *d);
    s->n = n;
    return 0;
}

void xpl_sched_free(xpl_sched *s) {
    assert(s && s->n <= s->cap);
    free(s->d);
    s->d = NULL;
    s->n = s->cap = 0;
}

/* The kinds version 1 knows end at irq-boundary; a later kind needs version 2. */
#define SCHED_V1_KIND_LAST ENG_CHOICE_IRQ_BOUNDARY

static int sched_v2_kinds(const xpl_sched *s) {
    assert(s && (s->d || s->n == 0));
    for (uint32_t i = 0; i < s->n; i++)
        if (s->d[i].kind > SCHED_V1_KIND_LAST) return 1;
    return 0;
}

void xpl_sched_print(const xpl_sched *s, FILE *f) {
    assert(s && f && (s->d || s->n == 0));
    fprintf(f, "%s\nscenario-hash 0x%016llx\nstrategy %s\nseed %llu\n",
            s->explore || sched_v2_kinds(s) ? XPL_SCHED_MAGIC2 : XPL_SCHED_MAGIC,
            (unsigned long long)s->scen_hash, s->strategy, (unsigned long long)s->seed);
    if (s->explore & VMM_EXPLORE_WINDOW_STEPS) fprintf(f, "windows steps\n");
    if (s->depth) fprintf(f, "depth %u\n", s->depth);
    if (s->trace_hash) fprintf(f, "trace-hash 0x%016llx\n", (unsigned long long)s->trace_hash);
    if (s->failure[0]) fprintf(f, "failure %s\n", s->failure);
    fprintf(f, "decisions %u\n", s->n);
    for (uint32_t i = 0; i < s->n; i++)
        fprintf(f, "%s %u %u\n", eng_choice_kind_name(s->d[i].kind), s->d[i].n, s->d[i].chosen);
}

int xpl_sched_write(const xpl_sched *s, const char *path, FILE *err) {
    assert(s && path && err);
    xpl_afile af;
    FILE *f = xpl_afile_open(&af, path);
    if (!f) { fprintf(err, "%s: cannot write: %s\n", path, strerror(errno)); return XPL_EXIT_HOST; }
    xpl_sched_print(s, f);
    if (xpl_afile_commit(&af)) { fprintf(err, "%s: write error\n", path); return XPL_EXIT_HOST; }
    return 0;
}

static int kind_parse(const char *w, uint32_t *out, int version) {
    assert(w && out && (version == 1 || version == 2));
    uint32_t last = version == 1 ? SCHED_V1_KIND_LAST : ENG_CHOICE_KIND_COUNT - 1;
    for (uint32_t k = 1; k <= last; k++)
        if (!strcmp(w, eng_choice_kind_name(k))) { *out = k; return 0; }
    return -1;
}

static int u64_parse(const char *w, uint64_t *out) {
    assert(w && out);
    char *end;
    errno = 0;
    if (!*w || *w == '-') return -1;
    *out = strtoull(w, &end, 0);
    return errno || *end ? -1 : 0;
}

/* One "key value" header line or one decision line. */
static int parse_line(xpl_sched *s, char *line, uint32_t *declared, int version) {
    assert(s && line && declared);
    char *key = strtok(line, " \t"), *val = strtok(NULL, " \t"), *v2 = strtok(NULL, " \t");
    char *v3 = v2 ? strtok(NULL, " \t") : NULL;
    uint64_t x, y, z;
    uint32_t kind;
    if (!key) return 0;
    if (!val) return -1;
    if (!kind_parse(key, &kind, version)) {
        if (!v2 || v3 || u64_parse(val, &x) || u64_parse(v2, &y) || x < 2 || x > UINT32_MAX || y >= x)
            return -1;
        if (s->n == s->cap) {
            uint32_t nc = s->cap ? s->cap * 2 : 256;
            if (s->n >= XPL_SCHED_DECISIONS_MAX) return -1;
            eng_decision *nd = realloc(s->d, nc * sizeof *nd);
            if (!nd) return -1;
            s->d = nd;
            s->cap = nc;
        }
        s->d[s->n++] = (eng_decision){ kind, (uint32_t)x, (uint32_t)y };
        return 0;
    }
    if (!strcmp(key, "failure")) {   /* the rest of the line, spaces included */
        snprintf(s->failure, sizeof s->failure, "%s%s%s", val, v2 ? " " : "", v2 ? v2 : "");
        return 0;
    }
    if (v2) return -1;
    if (!strcmp(key, "strategy")) { snprintf(s->strategy, sizeof s->strategy, "%s", val); return 0; }
    if (!strcmp(key, "windows") && version == 2) {   /* cycles: as version 1 */
        if (strcmp(val, "steps") && strcmp(val, "cycles")) return -1;
        s->explore = !strcmp(val, "steps") ? VMM_EXPLORE_WINDOW_STEPS : 0;
        return 0;
    }
    if (u64_parse(val, &z)) return -1;
    if (!strcmp(key, "scenario-hash")) s->scen_hash = z;
    else if (!strcmp(key, "seed")) s->seed = z;
    else if (!strcmp(key, "depth")) { if (z > ENG_PCT_DEPTH_MAX) return -1; s->depth = (uint32_t)z; }
    else if (!strcmp(key, "trace-hash")) s->trace_hash = z;
    else if (!strcmp(key, "decisions")) { if (z > XPL_SCHED_DECISIONS_MAX) return -1; *declared = (uint32_t)z; }
    else return -1;
    return 0;
}

int xpl_sched_read(xpl_sched *s, const char *path, FILE *err) {
    assert(s && path && err);
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(err, "%s: cannot read: %s\n", path, strerror(errno)); return XPL_EXIT_USAGE; }
    char line[XPL_LINE_MAX];
    uint32_t lineno = 0, declared = UINT32_MAX;
    int rc = 0, version = 1;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (lineno == 1) {
            version = !strcmp(line, XPL_SCHED_MAGIC) ? 1 : !strcmp(line, XPL_SCHED_MAGIC2) ? 2 : 0;
            if (!version) {
                fprintf(err, "%s:1: not a schedule file (expected '%s' or '%s')\n", path,
                        XPL_SCHED_MAGIC, XPL_SCHED_MAGIC2);
                rc = XPL_EXIT_USAGE;
            }
            continue;
        }
        if (line[0] == '#') continue;
        if (parse_line(s, line, &declared, version)) {
            fprintf(err, "%s:%u: malformed schedule line\n", path, lineno);
            rc = XPL_EXIT_USAGE;
        }
    }
    if (!rc && lineno == 0) { fprintf(err, "%s: empty schedule file\n", path); rc = XPL_EXIT_USAGE; }
    if (!rc && declared != UINT32_MAX && declared != s->n) {
        fprintf(err, "%s: 'decisions %u' but %u decision lines\n", path, declared, s->n);
        rc = XPL_EXIT_USAGE;
    }
    fclose(f);
    if (rc) xpl_sched_free(s);
    return rc;
}
