/*
** fuzz_merge.c — merging shards (xpl_fuzz_merge, `vmmsim fuzz-merge`): the findings files of a campaign's
** shards (JSON lines from `vmmsim fuzz --shard I/N --out DIR`) as one file in run
** order — the same lines an unsharded campaign writes — and the number of distinct
** schedules of the shards together, from their DIR/distinct.txt hash sets: the union's
** size, which is the unsharded campaign's count (a sum would count twice a schedule
** two shards both ran).
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xpl_fuzz.h"

#define FZM_LINES_MAX (1u << 24)
#define FZM_LINE_MAX 4096
#define FZM_HEAD_MAX 96             /* a distinct file's header line */

typedef struct xpl_fzm_line { uint64_t run; char *text; } xpl_fzm_line;

/* The shards' hash sets: their headers (hashes moved into all) and the union. */
typedef struct xpl_fzm_sets {
    xpl_fz_dset *d; uint32_t nd;        /* headers, in the order given */
    uint64_t *all, nall;            /* every shard's hashes, concatenated */
    uint32_t shards;                /* distinct shard indices among d */
    uint64_t done, distinct;
    int      exact;
} xpl_fzm_sets;

static int by_run(const void *a, const void *b) {
    assert(a && b);
    const xpl_fzm_line *x = a, *y = b;
    if (x->run != y->run) return x->run < y->run ? -1 : 1;
    return strcmp(x->text, y->text);
}

static int by_u64(const void *a, const void *b) {
    assert(a && b);
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int by_shard(const void *a, const void *b) {
    assert(a && b);
    const xpl_fz_dset *x = a, *y = b;
    return x->shard_i < y->shard_i ? -1 : x->shard_i > y->shard_i;
}

/* Sorts v; the number of distinct values. */
uint64_t xpl_fz_union_count(uint64_t *v, uint64_t n) {
    assert(v || n == 0);
    assert(v || !n);
    if (n) qsort(v, n, sizeof *v, by_u64);
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) k += !i || v[i] != v[i - 1];
    return k;
}

void xpl_fz_dset_free(xpl_fz_dset *d) {
    assert(d);
    free(d->h);
    d->h = NULL;
    d->n = 0;
}

int xpl_fz_dset_same_campaign(const xpl_fz_dset *a, const xpl_fz_dset *b) {
    assert(a && b);
    return a->scen_hash == b->scen_hash && a->seed == b->seed && a->depth == b->depth
        && a->runs == b->runs && a->shard_n == b->shard_n && !strcmp(a->strategy, b->strategy);
}

/* "key value\n": the value, or NULL. */
static const char *head_val(FILE *f, const char *key, char *line, size_t len) {
    assert(f && key && line && len > 0);
    size_t kl = strlen(key);
    if (!fgets(line, (int)len, f)) return NULL;
    size_t n = strlen(line);
    if (!n || line[n - 1] != '\n' || strncmp(line, key, kl) || line[kl] != ' ') return NULL;
    line[n - 1] = '\0';
    return line + kl + 1;
}

static int head_read(xpl_fz_dset *d, FILE *f, uint64_t *count) {
    assert(d && f && count);
    char line[FZM_HEAD_MAX], c;
    const char *v;
    uint64_t x;
    if (!fgets(line, sizeof line, f) || strcmp(line, XPL_FZ_DISTINCT_MAGIC "\n")) return 1;
    if (!(v = head_val(f, "scenario-hash", line, sizeof line)) || xpl_u64_arg(v, &d->scen_hash)) return 2;
    if (!(v = head_val(f, "strategy", line, sizeof line))
        || (strcmp(v, "random") && strcmp(v, "pct") && strcmp(v, "dfs"))) return 3;
    memcpy(d->strategy, v, strlen(v) + 1);      /* one of the three names */
    if (!(v = head_val(f, "depth", line, sizeof line)) || xpl_u64_arg(v, &x) || x > ENG_PCT_DEPTH_MAX) return 4;
    d->depth = (uint32_t)x;
    if (!(v = head_val(f, "seed", line, sizeof line)) || xpl_u64_arg(v, &d->seed)) return 5;
    if (!(v = head_val(f, "runs", line, sizeof line)) || xpl_u64_arg(v, &d->runs)) return 6;
    if (!(v = head_val(f, "shard", line, sizeof line))
        || sscanf(v, "%u/%u%c", &d->shard_i, &d->shard_n, &c) != 2 || d->shard_i >= d->shard_n) return 7;
    if (!(v = head_val(f, "done", line, sizeof line)) || xpl_u64_arg(v, &d->done) || d->done > d->runs) return 8;
    if (!(v = head_val(f, "exact", line, sizeof line)) || (strcmp(v, "true") && strcmp(v, "false"))) return 9;
    d->exact = !strcmp(v, "true");
    if (!(v = head_val(f, "count", line, sizeof line)) || xpl_u64_arg(v, count)
        || *count > XPL_FZ_DISTINCT_MAX || *count > d->done) return 10;
    return 0;
}

/* "0x" and 16 hex digits: the hash, or 0 (never in a set: fuzz_out.c stores a hash 0 as 1). */
static uint64_t hash_line(const char *line) {
    assert(line);
    if (strlen(line) != 19 || strncmp(line, "0x", 2) || line[18] != '\n') return 0;
    for (int i = 2; i < 18; i++)
        if (!isxdigit((unsigned char)line[i]) || isupper((unsigned char)line[i])) return 0;
    return strtoull(line + 2, NULL, 16);
}

/* One hash set file (format: docs/fuzzing.md). Every line is checked: a set that is
** not strictly increasing, or whose count is wrong, is refused rather than miscounted. */
int xpl_fz_dset_read(xpl_fz_dset *d, const char *path, FILE *err) {
    assert(d && path && err);
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(err, "vmmsim fuzz-merge: %s: %s\n", path, strerror(errno)); return XPL_EXIT_USAGE; }
    uint64_t count = 0;
    int bad = head_read(d, f, &count), rc = 0;
    if (bad) {
        fprintf(err, "vmmsim fuzz-merge: %s:%d: bad header line (expected a '%s' file)\n",
                path, bad, XPL_FZ_DISTINCT_MAGIC);
        fclose(f);
        return XPL_EXIT_USAGE;
    }
    if (!(d->h = malloc((count ? count : 1) * sizeof *d->h))) { fclose(f); return XPL_EXIT_HOST; }
    char line[32];
    for (uint64_t i = 0; i < count && !rc; i++) {
        uint64_t h = fgets(line, sizeof line, f) ? hash_line(line) : 0;
        if (!h || (i && h <= d->h[i - 1])) {
            fprintf(err, "vmmsim fuzz-merge: %s:%llu: expected a hash 0x%%016x above the previous one\n",
                    path, (unsigned long long)(i + 11));
            rc = XPL_EXIT_USAGE;
        }
        d->h[d->n++] = h;
    }
    if (!rc && fgetc(f) != EOF) {
        fprintf(err, "vmmsim fuzz-merge: %s: more hashes than its count %llu\n", path, (unsigned long long)count);
        rc = XPL_EXIT_USAGE;
    }
    if (ferror(f) && !rc) rc = XPL_EXIT_HOST;
    fclose(f);
    if (rc) xpl_fz_dset_free(d);
    return rc;
}

/* The set beside a findings file: the same directory's distinct.txt. */
static void beside(const char *findings, char *out, size_t len) {
    assert(findings && out && len > 0);
    const char *slash = strrchr(findings, '/');
    int dl = slash ? (int)(slash - findings) : 1;
    snprintf(out, len, "%.*s/%s", dl, slash ? findings : ".", XPL_FZ_DISTINCT_FILE);
}

/* Reads one set into s, checking it belongs to the campaign of the first. */
static int sets_add(xpl_fzm_sets *s, const char *path, uint32_t cap) {
    assert(s->nd < cap);
    (void)cap;
    xpl_fz_dset *d = &s->d[s->nd];
    int rc = xpl_fz_dset_read(d, path, stderr);
    if (rc) return rc;
    if (s->nd && !xpl_fz_dset_same_campaign(d, &s->d[0])) {
        fprintf(stderr, "vmmsim fuzz-merge: %s: another campaign than %s's (scenario, strategy, seed, "
                "runs or shard count differ)\n", path, XPL_FZ_DISTINCT_FILE);
        xpl_fz_dset_free(d);
        return XPL_EXIT_USAGE;
    }
    if (s->nall + d->n > XPL_FZ_UNION_MAX) {
        fprintf(stderr, "vmmsim fuzz-merge: %s: the sets hold more than %u hashes together: "
                "cannot count their union\n", path, XPL_FZ_UNION_MAX);
        xpl_fz_dset_free(d);
        return XPL_EXIT_USAGE;
    }
    uint64_t *na = realloc(s->all, (s->nall + d->n + 1) * sizeof *na);
    if (!na) { xpl_fz_dset_free(d); return XPL_EXIT_HOST; }
    s->all = na;
    memcpy(s->all + s->nall, d->h, d->n * sizeof *na);
    s->nall += d->n;
    xpl_fz_dset_free(d);
    s->nd++;
    return 0;
}

/* The union's size; a shard given twice is refused (its runs would count twice). */
static int sets_count(xpl_fzm_sets *s) {
    assert(s && s->nd > 0 && (s->all || s->nall == 0));
    qsort(s->d, s->nd, sizeof *s->d, by_shard);
    s->exact = 1;
    for (uint32_t i = 0; i < s->nd; i++) {
        if (i && s->d[i].shard_i == s->d[i - 1].shard_i) {
            fprintf(stderr, "vmmsim fuzz-merge: shard %u/%u's distinct set given twice\n",
                    s->d[i].shard_i, s->d[i].shard_n);
            return XPL_EXIT_USAGE;
        }
        s->done += s->d[i].done;
        s->exact &= s->d[i].exact;
    }
    s->shards = s->nd;
    s->distinct = xpl_fz_union_count(s->all, s->nall);
    return 0;
}

static void summary(FILE *f, const xpl_fzm_sets *s, uint32_t nfiles, uint64_t nlines, int json) {
    assert(f && s);
    const xpl_fz_dset *d = s->nd ? &s->d[0] : NULL;
    int complete = d && s->shards == d->shard_n && s->done == d->runs;
    if (json) {
        fprintf(f, "{\"findings_files\":%u,\"findings\":%llu,\"distinct_files\":%u", nfiles,
                (unsigned long long)nlines, s->nd);
        if (d)
            fprintf(f, ",\"shards\":\"%u/%u\",\"runs\":%llu,\"complete\":%s,\"distinct_schedules\":%llu,"
                    "\"distinct_exact\":%s}\n", s->shards, d->shard_n, (unsigned long long)s->done,
                    complete ? "true" : "false", (unsigned long long)s->distinct, s->exact ? "true" : "false");
        else
            fputs(",\"distinct_schedules\":null}\n", f);
        return;
    }
    fprintf(f, "fuzz-merge: %u findings files, %llu findings", nfiles, (unsigned long long)nlines);
    if (d)
        fprintf(f, "; distinct_schedules=%s%llu over %llu of %llu runs (%u/%u shards)%s\n",
                s->exact ? "" : ">=", (unsigned long long)s->distinct, (unsigned long long)s->done,
                (unsigned long long)d->runs, s->shards, d->shard_n,
                complete ? "" : ": not the whole campaign");
    else
        fputs("; distinct schedules not counted (no distinct sets)\n", f);
}

static int read_file(const char *path, xpl_fzm_line **v, uint32_t *n, uint32_t *cap) {
    assert(path && v && n && cap && *n <= *cap);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "vmmsim fuzz-merge: %s: %s\n", path, strerror(errno)); return XPL_EXIT_USAGE; }
    char line[FZM_LINE_MAX];
    uint32_t lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *end;
        if (strncmp(line, "{\"run\":", 7) || !strchr(line, '\n')) {
            fprintf(stderr, "vmmsim fuzz-merge: %s:%u: not a findings line\n", path, lineno);
            rc = XPL_EXIT_USAGE;
            break;
        }
        uint64_t run = strtoull(line + 7, &end, 10);
        if (*end != ',' || *n >= FZM_LINES_MAX) { rc = XPL_EXIT_USAGE; break; }
        if (*n == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 1024;
            xpl_fzm_line *nv = realloc(*v, nc * sizeof *nv);
            if (!nv) { rc = XPL_EXIT_HOST; break; }
            *v = nv;
            *cap = nc;
        }
        if (!((*v)[*n].text = strdup(line))) { rc = XPL_EXIT_HOST; break; }
        (*v)[(*n)++].run = run;
    }
    fclose(f);
    return rc;
}

/* The sets: those named by --distinct, else the one beside every findings file (all
** or none: a campaign counted over some shards only would look like the whole). */
static int sets_load(xpl_fzm_sets *s, const xpl_merge_opts *o, uint32_t cap) {
    assert(s && o && s->d && cap >= o->nfindings + o->ndistinct);
    int found = 0, rc = 0;
    char path[SCEN_PATH_MAX + 32];
    struct stat st;
    if (o->no_distinct) return 0;
    for (uint32_t i = 0; i < o->nfindings; i++) {
        beside(o->findings[i], path, sizeof path);
        found += !stat(path, &st);
    }
    if (!o->ndistinct && found && found < (int)o->nfindings) {
        fprintf(stderr, "vmmsim fuzz-merge: %d of %u findings files have no %s beside them: name "
                "the sets with --distinct, or pass --no-distinct\n", (int)o->nfindings - found,
                o->nfindings, XPL_FZ_DISTINCT_FILE);
        return XPL_EXIT_USAGE;
    }
    for (uint32_t i = 0; i < o->ndistinct && !rc; i++) rc = sets_add(s, o->distinct[i], cap);
    for (uint32_t i = 0; !o->ndistinct && found && i < o->nfindings && !rc; i++) {
        beside(o->findings[i], path, sizeof path);
        rc = sets_add(s, path, cap);
    }
    return rc ? rc : s->nd ? sets_count(s) : 0;
}

/* Writes the merged findings (in run order, duplicates dropped) to o->out or stdout. */
static int write_merged(const xpl_merge_opts *o, xpl_fzm_line *v, uint32_t n, uint32_t *nlines) {
    assert(o && (v || n == 0) && nlines);
    int rc = 0;
    if (n) qsort(v, n, sizeof *v, by_run);   /* v is NULL when there are no findings */
    FILE *f = o->out ? fopen(o->out, "w") : stdout;
    if (!f) { fprintf(stderr, "vmmsim fuzz-merge: %s: %s\n", o->out, strerror(errno)); return XPL_EXIT_HOST; }
    for (uint32_t i = 0; i < n; i++)
        if (!i || strcmp(v[i].text, v[i - 1].text)) { fputs(v[i].text, f); (*nlines)++; }
    if (ferror(f) | (o->out ? fclose(f) : fflush(f))) rc = XPL_EXIT_HOST;
    return rc;
}

int xpl_fuzz_merge(const xpl_merge_opts *o) {
    xpl_fzm_line *v = NULL;
    xpl_fzm_sets s;
    uint32_t n = 0, cap = 0, nlines = 0;
    int rc = 0;
    assert(o && (o->findings || !o->nfindings) && (o->distinct || !o->ndistinct));
    assert(!(o->ndistinct && o->no_distinct));
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < o->nfindings && !rc; i++) rc = read_file(o->findings[i], &v, &n, &cap);
    uint32_t nsets = o->nfindings + o->ndistinct;
    if (!rc && !(s.d = calloc(nsets + 1, sizeof *s.d))) rc = XPL_EXIT_HOST;
    if (!rc) rc = sets_load(&s, o, nsets + 1);
    if (!rc && o->nfindings) rc = write_merged(o, v, n, &nlines);
    if (!rc && !o->quiet)
        summary(o->out || !o->nfindings ? stdout : stderr, &s, o->nfindings, nlines, o->json);
    for (uint32_t i = 0; i < n; i++) free(v[i].text);
    free(v);
    free(s.d);
    free(s.all);
    return rc;
}
