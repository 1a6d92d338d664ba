/*
** fuzz_merge.c — `vmmsim fuzz-merge FILE...`: the findings files of a campaign's
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

#include "fuzz.h"
#include "afile.h"

#define FZM_LINES_MAX (1u << 24)
#define FZM_LINE_MAX 4096
#define FZM_HEAD_MAX 96             /* a distinct file's header line */

static const char merge_help[] =
"usage: vmmsim fuzz-merge [--out FILE] [--json] [--quiet]\n"
"                         [--distinct HASHES.txt]... [--no-distinct] FINDINGS.jsonl...\n"
"\n"
"Combines the findings files of the shards of one campaign ('vmmsim fuzz --shard\n"
"I/N --out DIR' writes DIR/findings.jsonl) into one, in run order, dropping\n"
"duplicate lines. Writes to FILE or stdout.\n"
"\n"
"It also counts the distinct schedules of the whole campaign: the union of the\n"
"shards' hash sets (DIR/distinct.txt, written by 'vmmsim fuzz --out DIR'), the count\n"
"the unsharded campaign reports. By default the set beside each findings file is\n"
"used; --distinct names the sets instead (repeat it, one per shard; with no findings\n"
"file only the count is printed).\n"
"\n"
"options:\n"
"  --out FILE             write the merged findings to FILE (default: stdout)\n"
"  --distinct FILE        a shard's hash set (repeatable)\n"
"  --no-distinct          do not count distinct schedules\n"
"  --json                 print the summary as one JSON object\n"
"  --quiet                no summary\n"
"The summary goes to stdout, or to stderr when the findings go to stdout.\n"
"\n"
"exit status: 0 merged, 2 bad usage or input, 4 host error.\n";

typedef struct fzm_line { uint64_t run; char *text; } fzm_line;

/* The shards' hash sets: their headers (hashes moved into all) and the union. */
typedef struct fzm_sets {
    fz_dset *d; uint32_t nd;        /* headers, in the order given */
    uint64_t *all, nall;            /* every shard's hashes, concatenated */
    uint32_t shards;                /* distinct shard indices among d */
    uint64_t done, distinct;
    int      exact;
} fzm_sets;

static int by_run(const void *a, const void *b) {
    const fzm_line *x = a, *y = b;
    if (x->run != y->run) return x->run < y->run ? -1 : 1;
    return strcmp(x->text, y->text);
}

static int by_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int by_shard(const void *a, const void *b) {
    const fz_dset *x = a, *y = b;
    return x->shard_i < y->shard_i ? -1 : x->shard_i > y->shard_i;
}

/* Sorts v; the number of distinct values. */
uint64_t fz_union_count(uint64_t *v, uint64_t n) {
    assert(v || !n);
    if (n) qsort(v, n, sizeof *v, by_u64);
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) k += !i || v[i] != v[i - 1];
    return k;
}

void fz_dset_free(fz_dset *d) {
    free(d->h);
    d->h = NULL;
    d->n = 0;
}

int fz_dset_same_campaign(const fz_dset *a, const fz_dset *b) {
    return a->scen_hash == b->scen_hash && a->seed == b->seed && a->depth == b->depth
        && a->runs == b->runs && a->shard_n == b->shard_n && !strcmp(a->strategy, b->strategy);
}

/* "key value\n": the value, or NULL. */
static const char *head_val(FILE *f, const char *key, char *line, size_t len) {
    size_t kl = strlen(key);
    if (!fgets(line, (int)len, f)) return NULL;
    size_t n = strlen(line);
    if (!n || line[n - 1] != '\n' || strncmp(line, key, kl) || line[kl] != ' ') return NULL;
    line[n - 1] = '\0';
    return line + kl + 1;
}

static int head_read(fz_dset *d, FILE *f, uint64_t *count) {
    char line[FZM_HEAD_MAX], c;
    const char *v;
    uint64_t x;
    if (!fgets(line, sizeof line, f) || strcmp(line, FZ_DISTINCT_MAGIC "\n")) return 1;
    if (!(v = head_val(f, "scenario-hash", line, sizeof line)) || cli_u64_arg(v, &d->scen_hash)) return 2;
    if (!(v = head_val(f, "strategy", line, sizeof line))
        || (strcmp(v, "random") && strcmp(v, "pct") && strcmp(v, "dfs"))) return 3;
    memcpy(d->strategy, v, strlen(v) + 1);      /* one of the three names */
    if (!(v = head_val(f, "depth", line, sizeof line)) || cli_u64_arg(v, &x) || x > ENG_PCT_DEPTH_MAX) return 4;
    d->depth = (uint32_t)x;
    if (!(v = head_val(f, "seed", line, sizeof line)) || cli_u64_arg(v, &d->seed)) return 5;
    if (!(v = head_val(f, "runs", line, sizeof line)) || cli_u64_arg(v, &d->runs)) return 6;
    if (!(v = head_val(f, "shard", line, sizeof line))
        || sscanf(v, "%u/%u%c", &d->shard_i, &d->shard_n, &c) != 2 || d->shard_i >= d->shard_n) return 7;
    if (!(v = head_val(f, "done", line, sizeof line)) || cli_u64_arg(v, &d->done) || d->done > d->runs) return 8;
    if (!(v = head_val(f, "exact", line, sizeof line)) || (strcmp(v, "true") && strcmp(v, "false"))) return 9;
    d->exact = !strcmp(v, "true");
    if (!(v = head_val(f, "count", line, sizeof line)) || cli_u64_arg(v, count)
        || *count > FZ_DISTINCT_MAX || *count > d->done) return 10;
    return 0;
}

/* "0x" and 16 hex digits: the hash, or 0 (never in a set: fuzz_out.c stores a hash 0 as 1). */
static uint64_t hash_line(const char *line) {
    if (strlen(line) != 19 || strncmp(line, "0x", 2) || line[18] != '\n') return 0;
    for (int i = 2; i < 18; i++)
        if (!isxdigit((unsigned char)line[i]) || isupper((unsigned char)line[i])) return 0;
    return strtoull(line + 2, NULL, 16);
}

/* One hash set file (format: docs/fuzzing.md). Every line is checked: a set that is
** not strictly increasing, or whose count is wrong, is refused rather than miscounted. */
int fz_dset_read(fz_dset *d, const char *path, FILE *err) {
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(err, "vmmsim fuzz-merge: %s: %s\n", path, strerror(errno)); return CLI_EXIT_USAGE; }
    uint64_t count = 0;
    int bad = head_read(d, f, &count), rc = 0;
    if (bad) {
        fprintf(err, "vmmsim fuzz-merge: %s:%d: bad header line (expected a '%s' file)\n",
                path, bad, FZ_DISTINCT_MAGIC);
        fclose(f);
        return CLI_EXIT_USAGE;
    }
    if (!(d->h = malloc((count ? count : 1) * sizeof *d->h))) { fclose(f); return CLI_EXIT_HOST; }
    char line[32];
    for (uint64_t i = 0; i < count && !rc; i++) {
        uint64_t h = fgets(line, sizeof line, f) ? hash_line(line) : 0;
        if (!h || (i && h <= d->h[i - 1])) {
            fprintf(err, "vmmsim fuzz-merge: %s:%llu: expected a hash 0x%%016x above the previous one\n",
                    path, (unsigned long long)(i + 11));
            rc = CLI_EXIT_USAGE;
        }
        d->h[d->n++] = h;
    }
    if (!rc && fgetc(f) != EOF) {
        fprintf(err, "vmmsim fuzz-merge: %s: more hashes than its count %llu\n", path, (unsigned long long)count);
        rc = CLI_EXIT_USAGE;
    }
    if (ferror(f) && !rc) rc = CLI_EXIT_HOST;
    fclose(f);
    if (rc) fz_dset_free(d);
    return rc;
}

/* The set beside a findings file: the same directory's distinct.txt. */
static void beside(const char *findings, char *out, size_t len) {
    const char *slash = strrchr(findings, '/');
    int dl = slash ? (int)(slash - findings) : 1;
    snprintf(out, len, "%.*s/%s", dl, slash ? findings : ".", FZ_DISTINCT_FILE);
}

/* Reads one set into s, checking it belongs to the campaign of the first. */
static int sets_add(fzm_sets *s, const char *path, uint32_t cap) {
    assert(s->nd < cap);
    (void)cap;
    fz_dset *d = &s->d[s->nd];
    int rc = fz_dset_read(d, path, stderr);
    if (rc) return rc;
    if (s->nd && !fz_dset_same_campaign(d, &s->d[0])) {
        fprintf(stderr, "vmmsim fuzz-merge: %s: another campaign than %s's (scenario, strategy, seed, "
                "runs or shard count differ)\n", path, FZ_DISTINCT_FILE);
        fz_dset_free(d);
        return CLI_EXIT_USAGE;
    }
    if (s->nall + d->n > FZ_UNION_MAX) {
        fprintf(stderr, "vmmsim fuzz-merge: %s: the sets hold more than %u hashes together: "
                "cannot count their union\n", path, FZ_UNION_MAX);
        fz_dset_free(d);
        return CLI_EXIT_USAGE;
    }
    uint64_t *na = realloc(s->all, (s->nall + d->n + 1) * sizeof *na);
    if (!na) { fz_dset_free(d); return CLI_EXIT_HOST; }
    s->all = na;
    memcpy(s->all + s->nall, d->h, d->n * sizeof *na);
    s->nall += d->n;
    fz_dset_free(d);
    s->nd++;
    return 0;
}

/* The union's size; a shard given twice is refused (its runs would count twice). */
static int sets_count(fzm_sets *s) {
    qsort(s->d, s->nd, sizeof *s->d, by_shard);
    s->exact = 1;
    for (uint32_t i = 0; i < s->nd; i++) {
        if (i && s->d[i].shard_i == s->d[i - 1].shard_i) {
            fprintf(stderr, "vmmsim fuzz-merge: shard %u/%u's distinct set given twice\n",
                    s->d[i].shard_i, s->d[i].shard_n);
            return CLI_EXIT_USAGE;
        }
        s->done += s->d[i].done;
        s->exact &= s->d[i].exact;
    }
    s->shards = s->nd;
    s->distinct = fz_union_count(s->all, s->nall);
    return 0;
}

static void summary(FILE *f, const fzm_sets *s, uint32_t nfiles, uint64_t nlines, int json) {
    const fz_dset *d = s->nd ? &s->d[0] : NULL;
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

static int read_file(const char *path, fzm_line **v, uint32_t *n, uint32_t *cap) {
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "vmmsim fuzz-merge: %s: %s\n", path, strerror(errno)); return CLI_EXIT_USAGE; }
    char line[FZM_LINE_MAX];
    uint32_t lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        char *end;
        if (strncmp(line, "{\"run\":", 7) || !strchr(line, '\n')) {
            fprintf(stderr, "vmmsim fuzz-merge: %s:%u: not a findings line\n", path, lineno);
            rc = CLI_EXIT_USAGE;
            break;
        }
        uint64_t run = strtoull(line + 7, &end, 10);
        if (*end != ',' || *n >= FZM_LINES_MAX) { rc = CLI_EXIT_USAGE; break; }
        if (*n == *cap) {
            uint32_t nc = *cap ? *cap * 2 : 1024;
            fzm_line *nv = realloc(*v, nc * sizeof *nv);
            if (!nv) { rc = CLI_EXIT_HOST; break; }
            *v = nv;
            *cap = nc;
        }
        if (!((*v)[*n].text = strdup(line))) { rc = CLI_EXIT_HOST; break; }
        (*v)[(*n)++].run = run;
    }
    fclose(f);
    return rc;
}

/* The sets: those named by --distinct, else the one beside every findings file (all
** or none: a campaign counted over some shards only would look like the whole). */
static int sets_load(fzm_sets *s, int argc, char **argv, int no_distinct) {
    int named = 0, found = 0, files = 0, rc = 0;
    char path[SCEN_PATH_MAX + 32];
    struct stat st;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--distinct")) { named = 1; i++; }
        else if (!strcmp(argv[i], "--out")) i++;
        else if (argv[i][0] != '-' || !argv[i][1]) {
            beside(argv[i], path, sizeof path);
            files++;
            found += !stat(path, &st);
        }
    }
    if (no_distinct) return 0;
    if (!named && found && found < files) {
        fprintf(stderr, "vmmsim fuzz-merge: %d of %d findings files have no %s beside them: name "
                "the sets with --distinct, or pass --no-distinct\n", files - found, files, FZ_DISTINCT_FILE);
        return CLI_EXIT_USAGE;
    }
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--out")) { i++; continue; }
        if (!strcmp(argv[i], "--distinct")) { rc = sets_add(s, argv[++i], (uint32_t)argc); continue; }
        if (named || !found || (argv[i][0] == '-' && argv[i][1])) continue;
        beside(argv[i], path, sizeof path);
        rc = sets_add(s, path, (uint32_t)argc);
    }
    return rc ? rc : s->nd ? sets_count(s) : 0;
}

int cli_fuzz_merge_main(int argc, char **argv) {
    const char *out = NULL;
    fzm_line *v = NULL;
    fzm_sets s;
    uint32_t n = 0, cap = 0, nfiles = 0, nlines = 0;
    int rc = 0, json = 0, quiet = 0, no_distinct = 0, ndistinct = 0;
    memset(&s, 0, sizeof s);
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(merge_help, stdout); goto done; }
        if ((!strcmp(a, "--out") || !strcmp(a, "--distinct")) && i + 1 < argc) {
            if (a[2] == 'o') out = argv[i + 1];
            else ndistinct++;
            i++;
        } else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (!strcmp(a, "--no-distinct")) no_distinct = 1;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vmmsim fuzz-merge: unknown option %s (or its value is missing)\n"
                    "(see 'vmmsim fuzz-merge --help')\n", a);
            rc = CLI_EXIT_USAGE;
        } else {
            rc = read_file(a, &v, &n, &cap);
            nfiles++;
        }
    }
    if (!rc && !nfiles && !ndistinct) {
        fprintf(stderr, "vmmsim fuzz-merge: expected findings files\n");
        rc = CLI_EXIT_USAGE;
    }
    if (!rc && ndistinct && no_distinct) {
        fprintf(stderr, "vmmsim fuzz-merge: --distinct and --no-distinct together\n");
        rc = CLI_EXIT_USAGE;
    }
    if (!rc && !(s.d = calloc((size_t)argc, sizeof *s.d))) rc = CLI_EXIT_HOST;
    if (!rc) rc = sets_load(&s, argc, argv, no_distinct);
    if (!rc && nfiles) {
        if (n) qsort(v, n, sizeof *v, by_run);   /* v is NULL when there are no findings */
        cli_afile af;
        FILE *f = out ? cli_afile_open(&af, out) : stdout;
        if (!f) { fprintf(stderr, "vmmsim fuzz-merge: %s: %s\n", out, strerror(errno)); rc = CLI_EXIT_HOST; }
        for (uint32_t i = 0; f && i < n; i++)
            if (!i || strcmp(v[i].text, v[i - 1].text)) { fputs(v[i].text, f); nlines++; }
        if (f && (out ? cli_afile_commit(&af) : ferror(f) | fflush(f))) rc = CLI_EXIT_HOST;
    }
    if (!rc && !quiet) summary(out || !nfiles ? stdout : stderr, &s, nfiles, nlines, json);
done:
    for (uint32_t i = 0; i < n; i++) free(v[i].text);
    free(v);
    free(s.d);
    free(s.all);
    return rc;
}
