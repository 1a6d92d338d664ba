/*
** shrink.c — `vmmsim shrink SCENARIO --schedule FILE`: minimise a failing schedule's
** decision list while the same failure (same signature: the same expectations failed,
** the same unexpected findings, the same error) persists, the way Hypothesis shrinks
** choice sequences (DESIGN.md §4): truncate, delete runs of decisions, set decisions to
** canonical 0 or to the smallest value that still fails; shrink_scen.c then shrinks
** the scenario's timeline. Every kept candidate is the
** decision log of a run that failed, with trailing canonical decisions dropped, so the
** result replays exactly.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "shrink.h"

static const char shrink_help[] =
"usage: vmmsim shrink [OPTIONS] SCENARIO.yaml --schedule FILE\n"
"\n"
"Replays the failing schedule FILE (from 'vmmsim fuzz'), then searches for a smaller\n"
"list of decisions that fails the same way (same failed expectations, unexpected\n"
"findings and errors): truncating it, deleting runs of decisions, and setting\n"
"decisions to the canonical choice 0 or to smaller values; then the scenario's\n"
"timeline: deleting entries and narrowing `at: [lo, hi]` windows to the cycle the\n"
"failing run used. Writes the smallest schedule and the reduced scenario found,\n"
"loads that scenario back and checks that the schedule still fails on it.\n"
"\n"
"options:\n"
"  --schedule FILE      the failing schedule (required)\n"
"  --out FILE           where to write the result (default FILE.shrunk)\n"
"  --out-scenario YAML  where to write the reduced scenario (default OUT.yaml); the\n"
"                       shrunk schedule is made for it (its scenario hash)\n"
"  --keep-stimuli       shrink only the decisions; the schedule stays one for SCENARIO\n"
"  --max-attempts N     replays to try at most (default 20000)\n"
"  --max-cycles N       as for 'vmmsim run'\n"
"  --help               this text\n"
"\n"
"exit status: 0 shrunk and verified, 1 the schedule does not fail (nothing to shrink),\n"
"2 bad usage or input, 3 the shrunk schedule did not verify, 4 host error.\n";

/* Shortlex: fewer decisions, then the lexicographically smaller choices. */
static int smaller(const eng_decision *a, uint32_t na, const eng_decision *b, uint32_t nb) {
    if (na != nb) return na < nb;
    for (uint32_t i = 0; i < na; i++)
        if (a[i].chosen != b[i].chosen) return a[i].chosen < b[i].chosen;
    return 0;
}

/* The run just replayed, as its decision log with trailing canonical choices
** dropped (canonical past the end anyway). */
static void norm_log(shr *s, const eng_decision *cand, uint32_t n,
                     const eng_decision **d, uint32_t *m) {
    const eng_chooser *ch = vmm_chooser(s->c->v);
    *d = cand;
    *m = n;
    if (!ch->log_overflow) { *d = ch->log; *m = ch->log_len; }
    while (*m > 0 && (*d)[*m - 1].chosen == 0) (*m)--;
}

int shr_keep_log(shr *s, const eng_decision *cand, uint32_t n) {
    const eng_decision *d;
    uint32_t m;
    norm_log(s, cand, n, &d, &m);
    if (cli_sched_set(&s->cur, d, m)) { s->err = CLI_EXIT_HOST; return -1; }
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
    const eng_decision *d;
    uint32_t m;
    norm_log(s, cand, n, &d, &m);
    if (!smaller(d, m, s->cur.d, s->cur.n)) return 0;
    if (cli_sched_set(&s->cur, d, m)) { s->err = CLI_EXIT_HOST; return 0; }
    return 1;
}

int shr_cand_room(shr *s, uint32_t n) {
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
    if (shr_cand_room(s, s->cur.n + 1)) return 0;
    if (s->cur.n == 0) return 0;   /* nothing to cut (and cur.d may be NULL) */
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
            if (shr_cand_room(s, n)) return kept;
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
        if (shr_cand_room(s, n)) return kept;
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

static int shrink_decisions(shr *s) {
    for (uint32_t round = 0; round < 64 && !s->err && s->attempts < s->max_attempts; round++) {
        int kept = pass_truncate(s);
        kept |= pass_delete(s);
        kept |= pass_values(s);
        if (!kept) break;
    }
    return s->err;
}

/* Decisions first (cheap), then stimuli; fewer stimuli change the choice points, so
** the decisions are shrunk again on the reduced scenario. */
static int shrink_loop(shr *s, int stimuli) {
    for (uint32_t round = 0; round < 16 && !s->err; round++) {
        if (shrink_decisions(s)) break;
        if (!stimuli || !shr_stim_pass(s)) break;
    }
    return s->err;
}

typedef struct shr_args {
    const char *scen, *sched, *out, *out_scen;
    uint64_t max_attempts, max_cycles;
    int keep_stimuli;
} shr_args;

static int parse_args(int argc, char **argv, shr_args *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(shrink_help, stdout); return -1; }
        if (!strcmp(a, "--schedule") && val) { o->sched = val; i++; }
        else if (!strcmp(a, "--out") && val) { o->out = val; i++; }
        else if (!strcmp(a, "--out-scenario") && val) { o->out_scen = val; i++; }
        else if (!strcmp(a, "--keep-stimuli")) o->keep_stimuli = 1;
        else if ((!strcmp(a, "--max-attempts") || !strcmp(a, "--max-cycles")) && val) {
            errno = 0;
            uint64_t x = strtoull(val, &end, 0);
            if (errno || *end || !x || *val == '-') {
                fprintf(stderr, "vmmsim shrink: %s expects a positive integer\n", a);
                return CLI_EXIT_USAGE;
            }
            *(!strcmp(a, "--max-attempts") ? &o->max_attempts : &o->max_cycles) = x;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vmmsim shrink: unknown option %s (or its value is missing)\n(see 'vmmsim shrink --help')\n", a);
            return CLI_EXIT_USAGE;
        } else if (!o->scen) o->scen = a;
        else { fprintf(stderr, "vmmsim shrink: expected one SCENARIO\n"); return CLI_EXIT_USAGE; }
    }
    if (!o->scen || !o->sched) {
        fprintf(stderr, "vmmsim shrink: expected SCENARIO and --schedule FILE\n(see 'vmmsim shrink --help')\n");
        return CLI_EXIT_USAGE;
    }
    if (o->keep_stimuli && o->out_scen) {
        fprintf(stderr, "vmmsim shrink: --out-scenario and --keep-stimuli exclude each other\n");
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Replays cur on c (the reduced scenario loaded from its file, or the machine the
** shrinker used) and checks the failure is still the target. */
static int verify(shr *s, cli_sim *c, cli_verdict *v) {
    if (cli_replay_run(c, s->cur.d, s->cur.n, v)) return CLI_EXIT_HOST;
    if (!v->failed || strcmp(v->sig, s->target)) {
        fprintf(stderr, "vmmsim shrink: the shrunk schedule fails as '%s', not '%s'\n",
                v->failed ? v->sig : "(passes)", s->target);
        return CLI_EXIT_SIM;
    }
    s->cur.trace_hash = vmm_trace(c->v)->hash;
    return 0;
}

/* Writes the reduced scenario, loads it back from the file (nasm and all) and
** replays the shrunk schedule on it: the pair is checked as the user will use it. */
static int verify_scen(shr *s, const char *out_scen, cli_verdict *v) {
    int rc = shr_scen_write(&s->st, out_scen, stderr);
    if (rc) return rc;
    if ((rc = cli_scen_hash(out_scen, &s->cur.scen_hash, stderr))) return rc;
    cli_sim *c = calloc(1, sizeof *c);
    if (!c) return CLI_EXIT_HOST;
    c->max_cycles = s->c->max_cycles;
    rc = cli_sim_load(c, out_scen, stderr);
    if (rc) fprintf(stderr, "vmmsim shrink: the reduced scenario %s does not load\n", out_scen);
    else rc = verify(s, c, v);
    cli_sim_free(c);
    free(c);
    return rc;
}

static int finish(shr *s, const cli_sched *orig, const shr_args *o, uint32_t n0) {
    cli_verdict v;
    s->cur.scen_hash = orig->scen_hash;
    int rc = o->keep_stimuli ? verify(s, s->c, &v) : verify_scen(s, o->out_scen, &v);
    if (rc) return rc;
    snprintf(s->cur.strategy, sizeof s->cur.strategy, "shrunk");
    s->cur.seed = orig->seed;
    s->cur.depth = orig->depth;
    snprintf(s->cur.failure, sizeof s->cur.failure, "%s", s->target);
    if ((rc = cli_sched_write(&s->cur, o->out, stderr))) return rc;
    printf("shrink: %u -> %u decisions in %llu replays; failure %s: %s\n", n0, s->cur.n,
           (unsigned long long)s->attempts, s->target, v.first);
    if (!o->keep_stimuli)
        printf("shrink: %u -> %u stimuli (%u windows narrowed); wrote %s\n", s->st.n,
               s->st.n - s->st.removed, s->st.narrowed, o->out_scen);
    printf("shrink: verified; wrote %s (trace hash 0x%016llx)\n", o->out,
           (unsigned long long)s->cur.trace_hash);
    return 0;
}

/* Loads the scenario, replays the schedule and sets the target failure. */
static int start(shr *s, const cli_sched *orig, const shr_args *o) {
    s->c->max_cycles = o->max_cycles;
    int rc = cli_sched_load_scen(s->c, o->scen, orig);
    cli_verdict v;
    if (!rc) rc = cli_replay_run(s->c, orig->d, orig->n, &v);
    if (rc) return rc;
    if (!v.failed) {
        fprintf(stderr, "vmmsim shrink: %s does not fail on %s: nothing to shrink\n", o->sched, o->scen);
        return CLI_EXIT_FINDING;
    }
    snprintf(s->target, sizeof s->target, "%s", v.sig);
    if (orig->failure[0] && strcmp(orig->failure, v.sig))
        fprintf(stderr, "vmmsim shrink: note: the schedule recorded failure '%s', the replay fails as '%s'\n",
                orig->failure, v.sig);
    if (cli_sched_set(&s->cur, orig->d, orig->n)) return CLI_EXIT_HOST;
    return o->keep_stimuli ? 0 : shr_stim_init(s);
}

/* Before the work: the outputs are writable and neither overwrites an input (nor
** the scenario the other), so a shrink can never destroy what it reads. */
static int check_outputs(const shr_args *o) {
    const char *in[] = { o->sched, o->scen, o->out };
    const char *out[] = { o->out, o->out_scen };
    char why[300];
    for (int k = 0; k < 2; k++)
        if (out[k] && cli_afile_check(out[k], in, 2 + k, why, sizeof why)) {
            fprintf(stderr, "vmmsim shrink: %s %s: %s\n", k ? "--out-scenario" : "--out", out[k], why);
            return CLI_EXIT_USAGE;
        }
    return CLI_EXIT_OK;
}

int cli_shrink_main(int argc, char **argv) {
    shr_args o = { .max_attempts = 20000 };
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    char outbuf[SCEN_PATH_MAX + 16], scenbuf[SCEN_PATH_MAX + 24];
    if (!o.out) { snprintf(outbuf, sizeof outbuf, "%s.shrunk", o.sched); o.out = outbuf; }
    if (!o.out_scen) { snprintf(scenbuf, sizeof scenbuf, "%s.yaml", o.out); o.out_scen = scenbuf; }
    if (o.keep_stimuli) o.out_scen = NULL;
    if ((rc = check_outputs(&o))) return rc;
    cli_sched orig;
    if ((rc = cli_sched_read(&orig, o.sched, stderr))) return rc;
    shr s;
    memset(&s, 0, sizeof s);
    s.max_attempts = o.max_attempts;
    s.c = calloc(1, sizeof *s.c);
    if (!s.c) { cli_sched_free(&orig); return CLI_EXIT_HOST; }
    rc = start(&s, &orig, &o);
    if (!rc) rc = shrink_loop(&s, !o.keep_stimuli);
    if (!rc) rc = finish(&s, &orig, &o, orig.n);
    cli_sched_free(&s.cur);
    free(s.cand);
    cli_sim_free(s.c);
    free(s.c);
    shr_stim_free(&s);
    cli_sched_free(&orig);
    return rc;
}
