/*
** fuzz_mpi.c — `mpirun -n N vmmsim-mpi SCENARIO --out DIR [fuzz options]`: one
** `vmmsim fuzz` campaign whose MPI ranks are its shards. Rank R of N runs the campaign
** with --shard R/N into DIR/shard-R/ (its summary in DIR/shard-R.log); every shard's
** findings are then gathered to rank 0 over MPI and merged in run order into
** DIR/findings.jsonl by `vmmsim fuzz-merge` — byte for byte the file the unsharded
** campaign writes, since a shard's runs depend only on (seed, R, N). Schedules and
** traces stay where their rank wrote them (run i: DIR/shard-(i mod N)/), so only the
** findings need a shared file system. Each shard's set of distinct decision-list hashes
** (DIR/shard-R/distinct.txt) is gathered too, as a sorted uint64 array, and rank 0
** counts their union: the unsharded campaign's distinct schedules, which the sum of
** the shards' counts is not. Built with -DVMMSIM_MPI=ON (docs/fuzzing.md).
**
** Only the main thread calls MPI (MPI_THREAD_FUNNELED): libuv's workers run the
** simulations and never touch it.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define FZMPI_ARGS_MAX 128                   /* the user's arguments */
#define FZMPI_EXTRA_ARGS 8                   /* "fuzz", --shard R/N, --jobs 1, --json, NULL */
#define FZMPI_FINDINGS_MAX (1u << 30)        /* bytes of all shards' findings together */
#define FZMPI_LOG_MAX 4096u                  /* bytes of a shard's summary log read back */

/* One rank's result, summed over the ranks on rank 0 (inexact: the shard's hash set
** was full, so the union is a lower bound). */
typedef struct fzmpi_count { long long runs, failures, stopped, inexact; } fzmpi_count;

static const char mpi_help[] =
"usage: mpirun -n N vmmsim-mpi SCENARIO.yaml --out DIR [OPTIONS]\n"
"\n"
"One 'vmmsim fuzz' campaign run by N MPI ranks: rank R runs the shard R/N into\n"
"DIR/shard-R/ (summary: DIR/shard-R.log), and rank 0 gathers every shard's findings\n"
"and merges them in run order into DIR/findings.jsonl, the file the unsharded\n"
"campaign writes; it counts the distinct schedules of all shards together. OPTIONS are those of 'vmmsim fuzz' (see 'vmmsim fuzz --help')\n"
"except --shard; --jobs defaults to 1 (one rank per core). --strategy dfs needs N = 1.\n"
"\n"
"exit status: 0 no failure, 1 failures found, 2 bad usage or scenario, 4 host error.\n";

static int usage(int rank, const char *msg) {
    if (rank == 0)
        fprintf(stderr, "vmmsim-mpi: %s\n(see 'vmmsim-mpi --help')\n", msg);
    return CLI_EXIT_USAGE;
}

/* The same check on every rank (same argv), so all ranks agree without talking;
** rank 0 alone says why. *help: print the help and stop. */
static int check_args(int argc, char **argv, int rank, int nrank, const char **dir, int *help) {
    if (argc > FZMPI_ARGS_MAX) return usage(rank, "too many arguments");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { *help = 1; return 0; }
        if (!strcmp(a, "--shard")) return usage(rank, "the ranks are the shards: no --shard");
        if (!strcmp(a, "--out")) {
            if (!val) return usage(rank, "--out expects a DIR");
            *dir = val;
        }
        if (!strcmp(a, "--strategy") && val && !strcmp(val, "dfs") && nrank > 1)
            return usage(rank, "--strategy dfs is one sequential walk: run it with -n 1");
    }
    if (!*dir) return usage(rank, "--out DIR is required (rank 0 writes DIR/findings.jsonl)");
    if (strlen(*dir) > SCEN_PATH_MAX) return usage(rank, "--out DIR: path too long");
    return 0;
}

static int has_jobs(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--jobs") || !strcmp(argv[i], "-j")) return 1;
    return 0;
}

/* `vmmsim fuzz ARGS --shard R/N --json` with --out DIR/shard-R, its stdout (the JSON
** summary, parsed back by read_count) in DIR/shard-R.log. */
static int run_shard(int argc, char **argv, const char *dir, int rank, int nrank) {
    char sub[SCEN_PATH_MAX + 32], shard[32], log[SCEN_PATH_MAX + 32];
    const char *av[FZMPI_ARGS_MAX + FZMPI_EXTRA_ARGS];
    int ac = 0;
    assert(argc <= FZMPI_ARGS_MAX && rank >= 0 && rank < nrank);
    snprintf(sub, sizeof sub, "%s/shard-%d", dir, rank);
    snprintf(shard, sizeof shard, "%d/%d", rank, nrank);
    snprintf(log, sizeof log, "%s/shard-%d.log", dir, rank);
    av[ac++] = "fuzz";
    for (int i = 1; i < argc; i++) {
        av[ac++] = argv[i];
        if (!strcmp(argv[i], "--out")) { av[ac++] = sub; i++; }
    }
    if (!has_jobs(argc, argv)) { av[ac++] = "--jobs"; av[ac++] = "1"; }
    av[ac++] = "--shard";
    av[ac++] = shard;
    av[ac++] = "--json";
    av[ac] = NULL;
    assert(ac < FZMPI_ARGS_MAX + FZMPI_EXTRA_ARGS);

    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) { fprintf(stderr, "vmmsim-mpi: %s: %s\n", log, strerror(errno)); return CLI_EXIT_HOST; }
    fflush(stdout);
    int saved = dup(1);
    if (saved < 0 || dup2(fd, 1) < 0) { close(fd); return CLI_EXIT_HOST; }
    close(fd);
    int rc = cli_fuzz_main(ac, (char **)av);
    if (fflush(stdout) && !rc) rc = CLI_EXIT_HOST;
    if (dup2(saved, 1) < 0 && !rc) rc = CLI_EXIT_HOST;
    close(saved);
    return rc;
}

/* A whole file into memory (absent: empty); NULL on a host error or past max bytes. */
static char *slurp(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) { *len = 0; return calloc(1, 1); }
    if (!f) return NULL;
    long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    char *buf = n >= 0 && (size_t)n <= max && !fseek(f, 0, SEEK_SET) ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = '\0'; *len = (size_t)n; }
    return buf;
}

static long long json_int(const char *s, const char *key) {
    const char *p = strstr(s, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

/* This rank's counts from the shard's JSON summary (the last line of its log). */
static int read_count(const char *dir, int rank, fzmpi_count *n) {
    char log[SCEN_PATH_MAX + 32];
    size_t len = 0;
    snprintf(log, sizeof log, "%s/shard-%d.log", dir, rank);
    char *text = slurp(log, FZMPI_LOG_MAX, &len);
    if (!text || !strstr(text, "\"runs\":")) { free(text); return CLI_EXIT_HOST; }
    n->runs = json_int(text, "\"runs\":");
    n->failures = json_int(text, "\"failures\":");
    n->stopped = strstr(text, "\"stopped\":true") != NULL;
    free(text);
    return 0;
}

/* Rank 0: each rank's gathered findings into DIR/gathered-R.jsonl, `vmmsim fuzz-merge
** --out DIR/findings.jsonl` over them, and the temporary files removed. */
static int merge(const char *dir, const char *all, const int *lens, int nrank) {
    char (*paths)[SCEN_PATH_MAX + 32] = calloc((size_t)nrank, sizeof *paths);
    char **av = calloc((size_t)nrank + 6, sizeof *av);
    char out[SCEN_PATH_MAX + 32];
    int rc = !paths || !av ? CLI_EXIT_HOST : 0, ac = 0;
    size_t off = 0;
    if (!rc) {
        snprintf(out, sizeof out, "%s/findings.jsonl", dir);
        av[ac++] = "fuzz-merge";
        av[ac++] = "--quiet";           /* rank 0 prints the campaign's summary */
        av[ac++] = "--no-distinct";     /* counted from the gathered sets */
        av[ac++] = "--out";
        av[ac++] = out;
    }
    for (int r = 0; r < nrank && !rc; r++) {
        snprintf(paths[r], sizeof paths[r], "%s/gathered-%d.jsonl", dir, r);
        FILE *f = fopen(paths[r], "wb");
        if (!f || fwrite(all + off, 1, (size_t)lens[r], f) != (size_t)lens[r]) rc = CLI_EXIT_HOST;
        if (f && fclose(f)) rc = CLI_EXIT_HOST;
        if (rc) fprintf(stderr, "vmmsim-mpi: %s: cannot write\n", paths[r]);
        off += (size_t)lens[r];
        av[ac++] = paths[r];
    }
    if (!rc) rc = cli_fuzz_merge_main(ac, av);
    for (int r = 0; paths && r < nrank; r++) if (paths[r][0]) remove(paths[r]);
    free(paths);
    free(av);
    return rc;
}

/* Every rank's findings text to rank 0 (MPI_Gatherv), merged there. Collective: every
** rank calls it; rank 0 tells the others whether it can take the data before any is
** sent, so a failure on rank 0 never leaves a rank blocked in the gather. */
static int gather(const char *dir, const char *mine, size_t len, int rank, int nrank) {
    assert(mine && len <= FZMPI_FINDINGS_MAX);
    int n = (int)len, ok = 1, rc = 0;
    int *lens = rank == 0 ? calloc((size_t)nrank, sizeof *lens) : NULL;
    int *displ = rank == 0 ? calloc((size_t)nrank, sizeof *displ) : NULL;
    char *all = NULL;
    if (rank == 0 && (!lens || !displ)) ok = 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) MPI_Gather(&n, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0 && ok) {
        long long total = 0;
        for (int r = 0; r < nrank; r++) {
            displ[r] = (int)(total <= INT_MAX ? total : 0);
            total += lens[r];
        }
        if (total > FZMPI_FINDINGS_MAX) {
            fprintf(stderr, "vmmsim-mpi: the findings exceed %u bytes\n", FZMPI_FINDINGS_MAX);
            ok = 0;
        }
        if (ok && !(all = malloc((size_t)total + 1))) ok = 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) {
        MPI_Gatherv(mine, n, MPI_CHAR, all, lens, displ, MPI_CHAR, 0, MPI_COMM_WORLD);
        if (rank == 0) rc = merge(dir, all, lens, nrank);
    } else {
        rc = CLI_EXIT_HOST;
    }
    free(all);
    free(lens);
    free(displ);
    return rc;
}

/* Every rank's sorted hash set to rank 0 (MPI_Gatherv of uint64), and their union's
** size there in *distinct. Collective, with rank 0's go-ahead first as in gather. */
static int gather_distinct(const xpl_fz_dset *d, int rank, int nrank, uint64_t *distinct) {
    assert(d->n <= XPL_FZ_DISTINCT_MAX);
    int n = (int)d->n, ok = 1;
    int *lens = rank == 0 ? calloc((size_t)nrank, sizeof *lens) : NULL;
    int *displ = rank == 0 ? calloc((size_t)nrank, sizeof *displ) : NULL;
    uint64_t *all = NULL;
    if (rank == 0 && (!lens || !displ)) ok = 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) MPI_Gather(&n, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
    long long total = 0;
    if (rank == 0 && ok) {
        for (int r = 0; r < nrank; r++) {
            displ[r] = (int)(total <= INT_MAX ? total : 0);
            total += lens[r];
        }
        if (total > XPL_FZ_UNION_MAX) {
            fprintf(stderr, "vmmsim-mpi: the shards' distinct sets hold more than %u hashes together: "
                    "cannot count their union\n", XPL_FZ_UNION_MAX);
            ok = 0;
        }
        if (ok && !(all = malloc(((size_t)total + 1) * sizeof *all))) ok = 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (ok) {
        MPI_Gatherv(d->h, n, MPI_UINT64_T, all, lens, displ, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        if (rank == 0) *distinct = xpl_fz_union_count(all, (uint64_t)total);
    }
    free(all);
    free(lens);
    free(displ);
    return ok ? 0 : CLI_EXIT_HOST;
}

/* Rank 0's summary of the whole campaign: distinct schedules are those of the union
** of the shards' sets, as the unsharded campaign counts them. */
static void summary(int argc, char **argv, int nrank, const char *dir, const fzmpi_count *t,
                    uint64_t distinct) {
    int json = 0;
    for (int i = 1; i < argc; i++) json |= !strcmp(argv[i], "--json");
    if (json) {
        printf("{\"ranks\":%d,\"runs\":%lld,\"failures\":%lld,\"distinct_schedules\":%llu,"
               "\"distinct_exact\":%s,\"stopped\":%s,\"findings\":", nrank, t->runs, t->failures,
               (unsigned long long)distinct, t->inexact ? "false" : "true", t->stopped ? "true" : "false");
        char path[SCEN_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/findings.jsonl", dir);
        xpl_json_str(stdout, path);
        printf("}\n");
    } else {
        printf("vmmsim-mpi: %d ranks, runs=%lld failures=%lld distinct_schedules=%s%llu%s; findings in "
               "%s/findings.jsonl, shard summaries in %s/shard-*.log\n", nrank, t->runs, t->failures,
               t->inexact ? ">=" : "", (unsigned long long)distinct, t->stopped ? " (stopped)" : "", dir, dir);
    }
    fflush(stdout);
}

/* After the shards ran: agree on the worst exit code; when every shard ran, gather
** and merge the findings and print the summary. Returns the campaign's exit code. */
static int finish(int argc, char **argv, const char *dir, int frc, int rank, int nrank) {
    char path[SCEN_PATH_MAX + 64];
    size_t len = 0;
    char *mine = NULL;
    fzmpi_count n = {0, 0, 0, 0}, t = {0, 0, 0, 0};
    xpl_fz_dset set;
    uint64_t distinct = 0;
    int ran = frc == CLI_EXIT_OK || frc == CLI_EXIT_FINDING;
    memset(&set, 0, sizeof set);
    snprintf(path, sizeof path, "%s/shard-%d/findings.jsonl", dir, rank);
    if (ran && (!(mine = slurp(path, FZMPI_FINDINGS_MAX, &len)) || read_count(dir, rank, &n))) {
        fprintf(stderr, "vmmsim-mpi: rank %d: cannot read back %s or its summary\n", rank, path);
        frc = CLI_EXIT_HOST;
    }
    snprintf(path, sizeof path, "%s/shard-%d/" XPL_FZ_DISTINCT_FILE, dir, rank);
    if (ran && frc != CLI_EXIT_HOST && xpl_fz_dset_read(&set, path, stderr)) frc = CLI_EXIT_HOST;
    n.inexact = !set.exact;
    int worst = frc, rc = 0;
    MPI_Allreduce(&frc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (worst == CLI_EXIT_OK || worst == CLI_EXIT_FINDING) {
        MPI_Reduce(&n, &t, 4, MPI_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
        rc = gather(dir, mine, len, rank, nrank);
        int drc = gather_distinct(&set, rank, nrank, &distinct);
        if (!rc) rc = drc;
        if (rank == 0 && !rc) summary(argc, argv, nrank, dir, &t, distinct);
    }
    xpl_fz_dset_free(&set);
    free(mine);
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc ? rc : worst;
}

int main(int argc, char **argv) {
    int provided = 0, rank = 0, nrank = 1, help = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nrank);
    const char *dir = NULL;
    int rc = check_args(argc, argv, rank, nrank, &dir, &help);
    if (help) {
        if (rank == 0) fputs(mpi_help, stdout);
        MPI_Finalize();
        return CLI_EXIT_OK;
    }
    if (!rc && rank == 0 && mkdir(dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "vmmsim-mpi: %s: %s\n", dir, strerror(errno));
        rc = CLI_EXIT_HOST;
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);   /* DIR exists before any shard */
    if (!rc) rc = finish(argc, argv, dir, run_shard(argc, argv, dir, rank, nrank), rank, nrank);
    MPI_Finalize();
    /* Rank 0 carries the campaign's exit code (every rank knows it): mpirun passes it
    ** on, and a non-zero status from another rank could end rank 0 before its output
    ** got out. */
    return rank == 0 ? rc : CLI_EXIT_OK;
}
