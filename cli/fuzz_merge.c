/*
** fuzz_merge.c — `vmmsim fuzz-merge FILE...`: the findings files of a campaign's
** shards (JSON lines from `vmmsim fuzz --shard I/N --out DIR`) as one file in run
** order — the same lines an unsharded campaign writes.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"

#define FZM_LINES_MAX (1u << 24)
#define FZM_LINE_MAX 4096

static const char merge_help[] =
"usage: vmmsim fuzz-merge [--out FILE] FINDINGS.jsonl...\n"
"\n"
"Combines the findings files of the shards of one campaign ('vmmsim fuzz --shard\n"
"I/N --out DIR' writes DIR/findings.jsonl) into one, in run order, dropping\n"
"duplicate lines. Writes to FILE or stdout.\n"
"\n"
"exit status: 0 merged, 2 bad usage or input, 4 host error.\n";

typedef struct fzm_line { uint64_t run; char *text; } fzm_line;

static int by_run(const void *a, const void *b) {
    const fzm_line *x = a, *y = b;
    if (x->run != y->run) return x->run < y->run ? -1 : 1;
    return strcmp(x->text, y->text);
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

int cli_fuzz_merge_main(int argc, char **argv) {
    const char *out = NULL;
    fzm_line *v = NULL;
    uint32_t n = 0, cap = 0, nfiles = 0;
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(merge_help, stdout); goto done; }
        if (!strcmp(argv[i], "--out") && i + 1 < argc) { out = argv[++i]; continue; }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "vmmsim fuzz-merge: unknown option %s\n", argv[i]);
            rc = CLI_EXIT_USAGE;
            break;
        }
        rc = read_file(argv[i], &v, &n, &cap);
        nfiles++;
    }
    if (!rc && !nfiles) { fprintf(stderr, "vmmsim fuzz-merge: expected findings files\n"); rc = CLI_EXIT_USAGE; }
    if (!rc) {
        qsort(v, n, sizeof *v, by_run);
        FILE *f = out ? fopen(out, "w") : stdout;
        if (!f) { fprintf(stderr, "vmmsim fuzz-merge: %s: %s\n", out, strerror(errno)); rc = CLI_EXIT_HOST; }
        for (uint32_t i = 0; f && i < n; i++)
            if (!i || strcmp(v[i].text, v[i - 1].text)) fputs(v[i].text, f);
        if (f && (ferror(f) | (out ? fclose(f) : fflush(f)))) rc = CLI_EXIT_HOST;
    }
done:
    for (uint32_t i = 0; i < n; i++) free(v[i].text);
    free(v);
    return rc;
}
