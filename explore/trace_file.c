/*
** trace_file.c — the trace text file: splitting record lines, the unhashed header,
** and reading a saved trace back for `vmmsim replay`. The record format itself is
** docs/trace-format.md; header lines start with '#' and are not hashed.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "explore.h"

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

int xpl_tline_parse(const char *line, size_t len, xpl_tline *t) {
    assert(line && t);
    memset(t, 0, sizeof *t);
    size_t p = 0;
    if (len == 0 || !is_digit(line[0])) return -1;
    for (; p < len && is_digit(line[p]); p++) {
        if (t->cycle > (UINT64_MAX - 9) / 10) return -1;
        t->cycle = t->cycle * 10 + (uint64_t)(line[p] - '0');
    }
    if (p >= len || line[p] != ' ') return -1;
    t->type = line + ++p;
    while (p < len && line[p] != ' ') p++;
    t->typelen = (uint32_t)(line + p - t->type);
    if (t->typelen == 0) return -1;
    while (p < len && t->nkv < XPL_KV_MAX) {
        while (p < len && line[p] == ' ') p++;
        if (p >= len) break;
        xpl_kv *kv = &t->kv[t->nkv];
        kv->k = line + p;
        while (p < len && line[p] != '=' && line[p] != ' ') p++;
        kv->klen = (uint32_t)(line + p - kv->k);
        if (p >= len || line[p] != '=') { kv->v = line + p; kv->vlen = 0; t->nkv++; continue; }
        p++;
        if (p < len && line[p] == '"') {
            kv->quoted = 1;
            kv->v = line + ++p;
            while (p < len && line[p] != '"') p += (line[p] == '\\' && p + 1 < len) ? 2 : 1;
            kv->vlen = (uint32_t)(line + (p < len ? p : len) - kv->v);
            if (p < len) p++;
        } else {
            kv->v = line + p;
            while (p < len && line[p] != ' ') p++;
            kv->vlen = (uint32_t)(line + p - kv->v);
        }
        t->nkv++;
    }
    return 0;
}

const char *xpl_tline_get(const xpl_tline *t, const char *key, uint32_t *vlen) {
    assert(t && key && vlen && t->nkv <= XPL_KV_MAX);
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < t->nkv; i++)
        if (t->kv[i].klen == kl && !memcmp(t->kv[i].k, key, kl)) {
            if (vlen) *vlen = t->kv[i].vlen;
            return t->kv[i].v;
        }
    return NULL;
}

int xpl_tline_is(const xpl_tline *t, const char *type) {
    assert(t && type);
    size_t n = strlen(type);
    return t->typelen == n && !memcmp(t->type, type, n);
}

/* base 0: decimal, or hex with 0x; base 16: hex with or without 0x. */
static uint64_t num(const char *v, uint32_t len, int base) {
    assert(v && (base == 0 || base == 16));
    uint64_t x = 0;
    uint32_t i = 0;
    if (!base) base = 10;
    if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) { base = 16; i = 2; }
    for (; i < len; i++) {
        char ch = v[i];
        int d = is_digit(ch) ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;
        if (d < 0 || d >= base) break;
        x = x * (uint64_t)base + (uint64_t)d;
    }
    return x;
}

/* "<cycle> CHECKPOINT index=N hash=<16 hex digits>" (engine/record.c). */
int xpl_tline_checkpoint(const xpl_tline *t, eng_checkpoint *out) {
    assert(t && out);
    uint32_t il = 0, hl = 0;
    if (!xpl_tline_is(t, "CHECKPOINT")) return 0;
    const char *i = xpl_tline_get(t, "index", &il), *h = xpl_tline_get(t, "hash", &hl);
    if (!i || !h) return 0;
    out->index = num(i, il, 0);
    out->hash = num(h, hl, 16);
    out->cycle = t->cycle;
    return 1;
}

void xpl_trace_header(FILE *f, const xpl_sim *c) {
    assert(f && c && c->path);
    /* Host facts only, never hashed: the trace is the record lines. */
    fprintf(f, "%s\n# vmmsim: %s\n# scenario: %s\n", XPL_TRACE_MAGIC, VMMSIM_VERSION, c->path);
    if (c->s.name[0]) fprintf(f, "# name: %s\n", c->s.name);
    if (c->s.rules[0]) fprintf(f, "# rules: %s\n", c->s.rules);
    fprintf(f, "# run: strategy=%s seed=%llu", eng_strategy_name(c->strategy),
            (unsigned long long)c->seed);
    if (c->strategy == ENG_STRAT_PCT) fprintf(f, " depth=%u", c->depth ? c->depth : XPL_PCT_DEPTH);
    /* PCT over sources says so; a pct line without it is PCT over (kind, rank), as every
    ** trace written before sources existed, so that those replay unchanged. */
    if (c->strategy == ENG_STRAT_PCT && c->pct_by == ENG_PCT_BY_SOURCE) fputs(" pct-by=source", f);
    fputc('\n', f);
}

static int add_line(xpl_tfile *t, const char *line, size_t len, uint32_t *cap) {
    assert(t && line && cap && t->nline <= *cap);
    if (t->nline == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 1024;
        char **nl = realloc(t->line, nc * sizeof *nl);
        if (!nl) return -1;
        t->line = nl;
        *cap = nc;
    }
    if (!(t->line[t->nline] = malloc(len + 1))) return -1;
    memcpy(t->line[t->nline], line, len);
    t->line[t->nline][len] = 0;
    t->nline++;
    return 0;
}

static int add_cp(xpl_tfile *t, const eng_checkpoint *cp, uint32_t *cap) {
    assert(t && cp && cap && t->ncp <= *cap);
    if (t->ncp == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 256;
        eng_checkpoint *n = realloc(t->cp, nc * sizeof *n);
        if (!n) return -1;
        t->cp = n;
        *cap = nc;
    }
    t->cp[t->ncp++] = *cp;
    return 0;
}

/* A whole unsigned decimal (no sign, no junk), as the header writes it. */
static int dec_u64(const char *v, uint64_t *out) {
    char *end;
    assert(v && out);
    if (!is_digit(v[0])) return -1;
    errno = 0;
    *out = strtoull(v, &end, 10);
    return errno || *end ? -1 : 0;
}

/* "# run: strategy=S seed=N [depth=D [pct-by=source]]" exactly (xpl_trace_header): what the replay
** re-runs, so a malformed one is an error, never a canonical run. 0, or -1 with why. */
static int run_line(xpl_tfile *t, char *line, const char **why) {
    assert(t && line && why);
    char *save = NULL, *tok;
    int have_seed = 0, strat;
    uint64_t x;
    int by_source = 0;
    if (t->has_run) return *why = "a second '# run:' line", -1;
    for (tok = strtok_r(line + 6, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (!strncmp(tok, "strategy=", 9) && !t->strategy[0] && strlen(tok + 9) < sizeof t->strategy) {
            if (eng_strategy_parse(tok + 9, &strat)) return *why = "an unknown strategy", -1;
            snprintf(t->strategy, sizeof t->strategy, "%s", tok + 9);
        } else if (!strncmp(tok, "seed=", 5) && !have_seed) {
            if (dec_u64(tok + 5, &t->seed)) return *why = "a seed that is not a decimal integer", -1;
            have_seed = 1;
        } else if (!strncmp(tok, "depth=", 6) && !t->depth) {
            if (dec_u64(tok + 6, &x) || x < 1 || x > XPL_PCT_DEPTH_MAX)
                return *why = "a depth that is not an integer from 1 to " XPL_PCT_DEPTH_MAX_STR, -1;
            t->depth = (uint32_t)x;
        } else if (!strcmp(tok, "pct-by=source") && !by_source) {
            by_source = 1;
        } else {
            return *why = "an unknown or repeated field", -1;
        }
    }
    if (!t->strategy[0] || !have_seed) return *why = "a line without strategy= and seed=", -1;
    if (t->depth && strcmp(t->strategy, "pct")) return *why = "depth= with a strategy other than pct", -1;
    if (by_source && strcmp(t->strategy, "pct")) return *why = "pct-by= with a strategy other than pct", -1;
    t->pct_by = by_source || strcmp(t->strategy, "pct") ? ENG_PCT_BY_SOURCE : ENG_PCT_BY_RANK;
    t->has_run = 1;
    return 0;
}

/* Header and summary lines: '# run:' is read (strictly); '# schedule:' names a run
** that only its schedule file replays; after '# verdict:' nothing may follow. */
static int header_line(xpl_tfile *t, char *line, const char *path, uint32_t lineno, FILE *err) {
    assert(t && line && line[0] == '#' && path && err);
    const char *why = NULL;
    if (!strncmp(line, "# run: ", 7)) {
        char copy[XPL_LINE_MAX + 2];
        snprintf(copy, sizeof copy, "%s", line);
        if (!run_line(t, line, &why)) return 0;
        fprintf(err, "vmmsim replay: %s:%u: expected '# run: strategy=S seed=N [depth=D [pct-by=source]]', found "
                "%s: '%.80s'\n", path, lineno, why, copy);
        return XPL_EXIT_USAGE;
    }
    if (!strncmp(line, "# schedule: ", 12)) {
        fprintf(err, "vmmsim replay: %s:%u: this trace is a schedule's run: replay it with "
                "'vmmsim replay SCENARIO --schedule FILE' (%.80s)\n", path, lineno, line + 12);
        return XPL_EXIT_USAGE;
    }
    if (!strncmp(line, "# verdict: ", 11)) t->ended = 1;
    return 0;
}

/* At the end of the file: it held a trace, with its '# run:' line (what to replay)
** and its summary (else it was cut). 0 or XPL_EXIT_USAGE. */
static int tfile_whole(const xpl_tfile *t, const char *path, int empty, uint32_t lineno, FILE *err) {
    assert(t && path && err);
    if (empty) {
        fprintf(err, "vmmsim replay: %s: empty file, expected a vmmsim trace\n", path);
        return XPL_EXIT_USAGE;
    }
    if (!t->has_run) {
        fprintf(err, "vmmsim replay: %s: expected a '# run: strategy=S seed=N' header line (what "
                "to replay), found none\n", path);
        return XPL_EXIT_USAGE;
    }
    if (!t->ended) {
        fprintf(err, "vmmsim replay: %s:%u: expected the trace to end with its summary ('# verdict:'), "
                "found the end of the file (a cut trace?)\n", path, lineno);
        return XPL_EXIT_USAGE;
    }
    return 0;
}

/* Limits: a trace file of at most 64 Mi lines of at most XPL_LINE_MAX bytes. */
int xpl_tfile_read(xpl_tfile *t, const char *path, FILE *err) {
    assert(t && path && err);
    memset(t, 0, sizeof *t);
    struct stat st;
    if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
        fprintf(err, "vmmsim replay: %s: expected a trace file, found a folder\n", path);
        return XPL_EXIT_USAGE;
    }
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(err, "vmmsim replay: %s: cannot open: %s\n", path, strerror(errno)); return XPL_EXIT_USAGE; }
    char line[XPL_LINE_MAX + 2];
    uint32_t lcap = 0, ccap = 0, lineno = 0;
    int rc = 0, first = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        else if (n > XPL_LINE_MAX) { fprintf(err, "vmmsim replay: %s:%u: line too long\n", path, lineno); rc = XPL_EXIT_USAGE; break; }
        else {   /* the last line, without its newline: the file was cut */
            fprintf(err, "vmmsim replay: %s:%u: expected a whole trace, found it cut in the middle "
                    "of a line ('%.40s')\n", path, lineno, line);
            rc = XPL_EXIT_USAGE;
            break;
        }
        if (t->ended) {
            fprintf(err, "vmmsim replay: %s:%u: expected nothing after the '# verdict:' line, found "
                    "'%.40s'\n", path, lineno, line);
            rc = XPL_EXIT_USAGE;
            break;
        }
        if (first && strcmp(line, XPL_TRACE_MAGIC)) {
            fprintf(err, "vmmsim replay: %s:1: expected a vmmsim trace ('%s'), found '%.40s'\n",
                    path, XPL_TRACE_MAGIC, line);
            rc = XPL_EXIT_USAGE;
            break;
        }
        first = 0;
        if (line[0] == '#') {
            if ((rc = header_line(t, line, path, lineno, err))) break;
            continue;
        }
        xpl_tline tl;
        if (xpl_tline_parse(line, n, &tl)) {
            fprintf(err, "vmmsim replay: %s:%u: expected a record line '<cycle> <TYPE> key=value...', "
                    "found '%.40s'\n", path, lineno, line);
            rc = XPL_EXIT_USAGE;
            break;
        }
        eng_checkpoint cp;
        if ((xpl_tline_checkpoint(&tl, &cp) && add_cp(t, &cp, &ccap)) ||
            t->nline >= (64u << 20) || add_line(t, line, n, &lcap)) {
            fprintf(err, "vmmsim replay: %s: out of memory\n", path);
            rc = XPL_EXIT_HOST;
            break;
        }
    }
    if (!rc) rc = tfile_whole(t, path, first, lineno, err);
    if (!rc && ferror(f)) { fprintf(err, "vmmsim replay: %s: read error\n", path); rc = XPL_EXIT_HOST; }
    fclose(f);
    if (rc) xpl_tfile_free(t);
    return rc;
}

void xpl_tfile_free(xpl_tfile *t) {
    assert(t);
    for (uint32_t i = 0; i < t->nline; i++) free(t->line[i]);
    free(t->line);
    free(t->cp);
    memset(t, 0, sizeof *t);
}
