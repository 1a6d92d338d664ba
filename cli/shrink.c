/*
** shrink.c — `vmmsim shrink SCENARIO --schedule FILE`: minimise a failing schedule's
** decision list while the same failure (same signature: the same expectations failed,
** the same unexpected findings, the same error) persists, the way Hypothesis shrinks
** choice sequences (DESIGN.md §4): truncate, delete runs of decisions, set decisions to
** canonical 0 or to the smallest value that still fails. Every kept candidate is the
** decision log of a run that failed, with trailing canonical decisions dropped, so the
** result replays exactly.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

static const char shrink_help[] =
"usage: vmmsim shrink [OPTIONS] SCENARIO.yaml --schedule FILE\n"
"\n"
"Replays the failing schedule FILE (from 'vmmsim fuzz'), then searches for a smaller\n"
"list of decisions that fails the same way (same failed expectations, unexpected\n"
"findings and errors): truncating it, deleting runs of decisions, and setting\n"
"decisions to the canonical choice 0 or to smaller values. Writes the smallest\n"
"schedule found and checks that it still fails.\n"
"\n"
"options:\n"
"  --schedule FILE      the failing schedule (required)\n"
"  --out FILE           where to write the result (default FILE.shrunk)\n"
"  --max-attempts N     replays to try at most (default 20000)\n"
"  --max-cycles N       as for 'vmmsim run'\n"
"  --help               this text\n"
"\n"
"exit status: 0 shrunk and verified, 1 the schedule does not fail (nothing to shrink),\n"
"2 bad usage or input, 3 the shrunk schedule did not verify, 4 host error.\n";

typedef struct shr {
    cli_sim *c;
    char     target[CLI_SIG_MAX];
    cli_sched cur;                 /* smallest failing list so far */
    eng_decision *cand;            /* scratch, cap = cand_cap */
    uint32_t cand_cap;
    uint64_t attempts, max_attempts;
    int      err;
} shr;

/* Shortlex: fewer decisions, then the lexicographically smaller choices. */
static int smaller(const eng_decision *a, uint32_t na, const eng_decision *b, uint32_t nb) {
    if (na != nb) return na < nb;
    for (uint32_t i = 0; i < na; i++)
        if (a[i].chosen != b[i].chosen) return a[i].chosen < b[i].chosen;
    return 0;
}

/* Replays cand[0, n); keeps it (as its run's normalised log) if it fails the same
** way and is smaller. Returns 1 when kept. */
static int try_cand(shr *s, const eng_decision *cand, uint32_t n) {
    if (s->attempts >= s->max_attempts || s->err) return 0;
    s->attempts++;
    cli_verdict v;
    if (cli_replay_run(s->c, cand, n, &v)) { s->err = CLI_EXIT_HOST; return 0; }
    if (!v.failed || strcmp(v.sig, s->target)) return 0;
    const eng_chooser *ch = vmm_chooser(s->c->v);
    const eng_decision *d = cand;
    uint32_t m = n;
    if (!ch->log_overflow) { d = ch->log; m = ch->log_len; }
    while (m > 0 && d[m - 1].chosen == 0) m--;   /* canonical past the end anyway */
    if (!smaller(d, m, s->cur.d, s->cur.n)) return 0;
    if (cli_sched_set(&s->cur, d, m)) { s->err = CLI_EXIT_HOST; return 0; }
    return 1;
}

static int cand_room(shr *s, uint32_t n) {
    if (n <= s->cand_cap) return 0;
    eng_decision *nc = realloc(s->cand, n * sizeof *nc);
    if (!nc) { s->err = CLI_EXIT_HOST; return -1; }
    s->cand = nc;
    s->cand_cap = n;
    return 0;
}

/* The shortest failing prefix, by bisection (failure is not monotone in the
** length, so this finds a short one, not always the shortest). */
static int pass_truncate(shr *s) {
    uint32_t lo = 0, hi = s->cur.n, kept = 0;
    if (cand_room(s, s->cur.n + 1)) return 0;
    memcpy(s->cand, s->cur.d, s->cur.n * sizeof *s->cand);
    if (try_cand(s, s->cand, 0)) return 1;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (try_cand(s, s->cand, mid)) { hi = mid; kept = 1; }
        else lo = mid;
    }
    return kept;
}

/* Deletes runs of `size` decisions, halving size down to 1. */
static int pass_delete(shr *s) {
    int kept = 0;
    for (uint32_t size = s->cur.n / 2 ? s->cur.n / 2 : 1; size >= 1 && !s->err; size /= 2) {
        for (uint32_t i = 0; i + size <= s->cur.n && s->attempts < s->max_attempts;) {
            uint32_t n = s->cur.n;
            if (cand_room(s, n)) return kept;
            memcpy(s->cand, s->cur.d, i * sizeof *s->cand);
            memcpy(s->cand + i, s->cur.d + i + size, (n - i - size) * sizeof *s->cand);
            if (try_cand(s, s->cand, n - size)) kept = 1;
            else i += size;
        }
        if (size == 1) break;
    }
    return kept;
}

/* Each decision to 0, else to the smallest value found by bisection that fails. */
static int pass_values(shr *s) {
    int kept = 0;
    for (uint32_t i = 0; i < s->cur.n && !s->err && s->attempts < s->max_attempts; i++) {
        if (s->cur.d[i].chosen == 0) continue;
        uint32_t n = s->cur.n, lo = 0, hi = s->cur.d[i].chosen;
        if (cand_room(s, n)) return kept;
        memcpy(s->cand, s->cur.d, n * sizeof *s->cand);
        s->cand[i].chosen = 0;
        if (try_cand(s, s->cand, n)) { kept = 1; continue; }
        while (hi - lo > 1 && s->cur.n == n && s->attempts < s->max_attempts) {
            uint32_t mid = lo + (hi - lo) / 2;
            memcpy(s->cand, s->cur.d, n * sizeof *s->cand);
            s->cand[i].chosen = mid;
            if (try_cand(s, s->cand, n)) { hi = mid; kept = 1; }
            else lo = mid;
        }
    }
    return kept;
}

static int shrink_loop(shr *s) {
    for (uint32_t round = 0; round < 64 && !s->err && s->attempts < s->max_attempts; round++) {
        int kept = pass_truncate(s);
        kept |= pass_delete(s);
        kept |= pass_values(s);
        if (!kept) break;
    }
    return s->err;
}

static int parse_args(int argc, char **argv, const char **scen, const char **sched,
                      const char **out, uint64_t *max_attempts, uint64_t *max_cycles) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(shrink_help, stdout); return -1; }
        if (!strcmp(a, "--schedule") && val) { *sched = val; i++; }
        else if (!strcmp(a, "--out") && val) { *out = val; i++; }
        else if ((!strcmp(a, "--max-attempts") || !strcmp(a, "--max-cycles")) && val) {
            errno = 0;
            uint64_t x = strtoull(val, &end, 0);
            if (errno || *end || !x || *val == '-') {
                fprintf(stderr, "vmmsim shrink: %s expects a positive integer\n", a);
                return CLI_EXIT_USAGE;
            }
            *(!strcmp(a, "--max-attempts") ? max_attempts : max_cycles) = x;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vmmsim shrink: unknown option or missing value: %s\n(see 'vmmsim shrink --help')\n", a);
            return CLI_EXIT_USAGE;
        } else if (!*scen) *scen = a;
        else { fprintf(stderr, "vmmsim shrink: expected one SCENARIO\n"); return CLI_EXIT_USAGE; }
    }
    if (!*scen || !*sched) {
        fprintf(stderr, "vmmsim shrink: expected SCENARIO and --schedule FILE\n(see 'vmmsim shrink --help')\n");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Replays the result once more and writes it with its trace hash. */
static int finish(shr *s, const cli_sched *orig, const char *out, uint32_t n0) {
    cli_verdict v;
    if (cli_replay_run(s->c, s->cur.d, s->cur.n, &v)) return CLI_EXIT_HOST;
    if (!v.failed || strcmp(v.sig, s->target)) {
        fprintf(stderr, "vmmsim shrink: the shrunk schedule fails as '%s', not '%s'\n",
                v.failed ? v.sig : "(passes)", s->target);
        return CLI_EXIT_SIM;
    }
    s->cur.scen_hash = orig->scen_hash;
    snprintf(s->cur.strategy, sizeof s->cur.strategy, "shrunk");
    s->cur.seed = orig->seed;
    s->cur.depth = orig->depth;
    s->cur.trace_hash = vmm_trace(s->c->v)->hash;
    snprintf(s->cur.failure, sizeof s->cur.failure, "%s", s->target);
    int rc = cli_sched_write(&s->cur, out, stderr);
    if (rc) return rc;
    printf("shrink: %u -> %u decisions in %llu replays; failure %s: %s\n", n0, s->cur.n,
           (unsigned long long)s->attempts, s->target, v.first);
    printf("shrink: verified; wrote %s (trace hash 0x%016llx)\n", out,
           (unsigned long long)s->cur.trace_hash);
    return 0;
}

int cli_shrink_main(int argc, char **argv) {
    const char *scen_path = NULL, *sched_path = NULL, *out = NULL;
    uint64_t max_attempts = 20000, max_cycles = 0;
    int rc = parse_args(argc, argv, &scen_path, &sched_path, &out, &max_attempts, &max_cycles);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    char outbuf[SCEN_PATH_MAX + 16];
    if (!out) { snprintf(outbuf, sizeof outbuf, "%s.shrunk", sched_path); out = outbuf; }
    cli_sched orig;
    if ((rc = cli_sched_read(&orig, sched_path, stderr))) return rc;
    shr s;
    memset(&s, 0, sizeof s);
    s.max_attempts = max_attempts;
    s.c = calloc(1, sizeof *s.c);
    if (!s.c) { cli_sched_free(&orig); return CLI_EXIT_HOST; }
    s.c->max_cycles = max_cycles;
    rc = cli_sched_load_scen(s.c, scen_path, &orig);
    cli_verdict v;
    if (!rc) rc = cli_replay_run(s.c, orig.d, orig.n, &v);
    if (!rc && !v.failed) {
        fprintf(stderr, "vmmsim shrink: %s does not fail on %s: nothing to shrink\n", sched_path, scen_path);
        rc = CLI_EXIT_FINDING;
    }
    if (!rc) {
        snprintf(s.target, sizeof s.target, "%s", v.sig);
        if (orig.failure[0] && strcmp(orig.failure, v.sig))
            fprintf(stderr, "vmmsim shrink: note: the schedule recorded failure '%s', the replay fails as '%s'\n",
                    orig.failure, v.sig);
        if (cli_sched_set(&s.cur, orig.d, orig.n)) rc = CLI_EXIT_HOST;
    }
    if (!rc) rc = shrink_loop(&s);
    if (!rc) rc = finish(&s, &orig, out, orig.n);
    cli_sched_free(&s.cur);
    free(s.cand);
    cli_sim_free(s.c);
    free(s.c);
    cli_sched_free(&orig);
    return rc;
}
