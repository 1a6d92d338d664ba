/*
** shrink.c — shrinking (xpl_shrink, `vmmsim shrink`): minimise a failing schedule's
** decision list while the same failure (same signature: the same expectations failed,
** the same unexpected findings, the same error) persists, the way Hypothesis shrinks
** choice sequences (docs/fuzzing.md, "vmmsim shrink"): truncate, delete runs of decisions, set decisions to
** canonical 0 or to the smallest value that still fails; shrink_scen.c then shrinks
** the scenario's timeline. Every kept candidate is the
** decision log of a run that failed, with trailing canonical decisions dropped, so the
** result replays exactly.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xpl_shrink.h"

static uint32_t noncanonical(const eng_decision *a, uint32_t na) {
    uint32_t k = 0;
    assert(a || na == 0);
    for (uint32_t i = 0; i < na; i++) k += a[i].chosen != 0;
    return k;
}

/* Fewer non-canonical decisions, then shortlex: fewer decisions, then the
** lexicographically smaller choices. The count comes first so that a candidate
** that raises one decision while it returns another to canonical is progress. */
static int smaller(const eng_decision *a, uint32_t na, const eng_decision *b, uint32_t nb) {
    assert((a || na == 0) && (b || nb == 0));
    uint32_t ka = noncanonical(a, na), kb = noncanonical(b, nb);
    if (ka != kb) return ka < kb;
    if (na != nb) return na < nb;
    for (uint32_t i = 0; i < na; i++)
        if (a[i].chosen != b[i].chosen) return a[i].chosen < b[i].chosen;
    return 0;
}

/* Replays cand[0, n); keeps it (as its run's normalised log) if it fails the same
** way and is smaller. Returns 1 when kept. */
static int try_cand(xpl_shr *s, const eng_decision *cand, uint32_t n) {
    assert(s && s->c && (cand || n == 0));
    if (s->attempts >= s->max_attempts || s->err) return 0;
    s->attempts++;
    xpl_verdict v;
    if (xpl_replay_run(s->c, cand, n, &v)) { s->err = XPL_EXIT_HOST; return 0; }
    if (!v.failed || strcmp(v.sig, s->target)) return 0;
    const eng_decision *d;
    uint32_t m;
    xpl_shr_norm_log(s, cand, n, &d, &m);
    if (!smaller(d, m, s->cur.d, s->cur.n)) return 0;
    if (xpl_sched_set(&s->cur, d, m)) { s->err = XPL_EXIT_HOST; return 0; }
    return 1;
}

/* The shortest failing prefix, by bisection (failure is not monotone in the
** length, so this finds a short one, not always the shortest). */
static int pass_truncate(xpl_shr *s) {
    assert(s && s->cur.n <= s->cur.cap);
    uint32_t lo = 0, hi = s->cur.n, kept = 0;
    if (xpl_shr_cand_room(s, s->cur.n + 1)) return 0;
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
static int pass_delete(xpl_shr *s) {
    assert(s && s->cur.n <= s->cur.cap);
    int kept = 0;
    for (uint32_t size = s->cur.n / 2 ? s->cur.n / 2 : 1; size >= 1 && !s->err; size /= 2) {
        for (uint32_t i = 0; i + size <= s->cur.n && s->attempts < s->max_attempts;) {
            uint32_t n = s->cur.n;
            if (xpl_shr_cand_room(s, n)) return kept;
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
static int pass_values(xpl_shr *s) {
    assert(s && s->cur.n <= s->cur.cap);
    int kept = 0;
    for (uint32_t i = 0; i < s->cur.n && !s->err && s->attempts < s->max_attempts; i++) {
        if (s->cur.d[i].chosen == 0) continue;
        uint32_t n = s->cur.n, lo = 0, hi = s->cur.d[i].chosen;
        if (xpl_shr_cand_room(s, n)) return kept;
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

/* The k-th value pass_pairs tries for a decision of n options now at c: every value
** of an order choice (at most XPL_SHR_PAIR_OPTS), or, for a time (a window of more
** options), the values nearest c, raised and lowered in turn (c+1, c-1, c+2, ...).
** 0 when there is no k-th value. */
static int pair_value(uint32_t n, uint32_t c, uint32_t k, uint32_t *v) {
    assert(c < n && v);
    if (n <= XPL_SHR_PAIR_OPTS) { *v = k; return k < n; }
    if (k >= 2 * XPL_SHR_PAIR_NEAR) return 0;
    uint32_t d = k / 2 + 1;
    if (k % 2 == 0) { *v = c + d; return *v < n; }
    *v = c - d;
    return d <= c;
}

/* Decision j of cand set to each of pair_value's values in turn; 1 when a
** candidate was kept (a time choice at 0 is left alone: no nearer value to try). */
static int try_each_value(xpl_shr *s, uint32_t n, uint32_t j) {
    assert(s && j < n && n <= s->cur.n);
    uint32_t keep = s->cand[j].chosen, v;
    if (s->cand[j].n > XPL_SHR_PAIR_OPTS && keep == 0) return 0;
    for (uint32_t k = 0; k < XPL_SHR_PAIR_OPTS + 2 * XPL_SHR_PAIR_NEAR; k++) {
        if (s->attempts >= s->max_attempts || s->err) return 0;
        if (!pair_value(s->cand[j].n, keep, k, &v)) {
            if (s->cand[j].n <= XPL_SHR_PAIR_OPTS || k >= 2 * XPL_SHR_PAIR_NEAR) break;
            continue;                      /* one side of a time ran out */
        }
        if (v == keep) continue;
        s->cand[j].chosen = v;
        if (try_cand(s, s->cand, n)) return 1;
        s->cand[j].chosen = keep;
    }
    return 0;
}

/* Pairs: decision i back to canonical while a decision j near it (within
** XPL_SHR_PAIR_SPAN, before or after) takes another value, raised or lowered. An
** option's number depends on which options remain (the second of three pending
** events is the first once the first ran), and a later interrupt boundary is an
** earlier raise, so returning i to canonical often needs j moved: one decision at a
** time stops at a local minimum (issue 17). */
static int pass_pairs(xpl_shr *s) {
    assert(s && s->cur.n <= s->cur.cap);
    int kept = 0;
    for (uint32_t i = 0; i < s->cur.n && !s->err && s->attempts < s->max_attempts; i++) {
        if (s->cur.d[i].chosen == 0) continue;
        uint32_t n = s->cur.n, j0 = i > XPL_SHR_PAIR_SPAN ? i - XPL_SHR_PAIR_SPAN : 0;
        if (xpl_shr_cand_room(s, n)) return kept;
        for (uint32_t j = j0; j < n && j <= i + XPL_SHR_PAIR_SPAN && s->cur.n == n; j++) {
            if (j == i) continue;
            memcpy(s->cand, s->cur.d, n * sizeof *s->cand);
            s->cand[i].chosen = 0;
            if (try_each_value(s, n, j)) { kept = 1; break; }
        }
    }
    return kept;
}

static int shrink_decisions(xpl_shr *s) {
    assert(s && s->target[0]);
    for (uint32_t round = 0; round < 64 && !s->err && s->attempts < s->max_attempts; round++) {
        int kept = pass_truncate(s);
        kept |= pass_delete(s);
        kept |= pass_values(s);
        if (!kept) kept = pass_pairs(s);   /* the costly pass only at a local minimum */
        if (!kept) break;
    }
    return s->err;
}

/* Decisions first (cheap), then stimuli; fewer stimuli change the choice points, so
** the decisions are shrunk again on the reduced scenario. */
static int shrink_loop(xpl_shr *s, int stimuli) {
    assert(s && s->target[0]);
    for (uint32_t round = 0; round < 16 && !s->err; round++) {
        if (shrink_decisions(s)) break;
        if (!stimuli || !xpl_shr_stim_pass(s)) break;
    }
    return s->err;
}

/* Replays cur on c (the reduced scenario loaded from its file, or the machine the
** shrinker used) and checks the failure is still the target. */
static int verify(xpl_shr *s, xpl_sim *c, xpl_verdict *v) {
    assert(s && c && c->v && v && s->target[0]);
    if (xpl_replay_run(c, s->cur.d, s->cur.n, v)) return XPL_EXIT_HOST;
    if (!v->failed || strcmp(v->sig, s->target)) {
        fprintf(stderr, "vmmsim shrink: the shrunk schedule fails as '%s', not '%s'\n",
                v->failed ? v->sig : "(passes)", s->target);
        return XPL_EXIT_SIM;
    }
    s->cur.trace_hash = vmm_trace(c->v)->hash;
    return 0;
}

/* Writes the reduced scenario, loads it back from the file (nasm and all) and
** replays the shrunk schedule on it: the pair is checked as the user will use it. */
static int verify_scen(xpl_shr *s, const char *out_scen, xpl_verdict *v) {
    assert(s && s->c && out_scen && v);
    int rc = xpl_shr_scen_write(&s->st, out_scen, stderr);
    if (rc) return rc;
    if ((rc = xpl_scen_hash(out_scen, &s->cur.scen_hash, stderr))) return rc;
    xpl_sim *c = calloc(1, sizeof *c);
    if (!c) return XPL_EXIT_HOST;
    c->max_cycles = s->c->max_cycles;
    rc = xpl_sim_load(c, out_scen, stderr);
    if (rc) fprintf(stderr, "vmmsim shrink: the reduced scenario %s does not load\n", out_scen);
    else rc = verify(s, c, v);
    xpl_sim_free(c);
    free(c);
    return rc;
}

static int finish(xpl_shr *s, const xpl_sched *orig, const xpl_shrink_opts *o, uint32_t n0) {
    assert(s && orig && o && o->out && s->cur.n <= n0);
    xpl_verdict v;
    s->cur.scen_hash = orig->scen_hash;
    int rc = o->keep_stimuli ? verify(s, s->c, &v) : verify_scen(s, o->out_scen, &v);
    if (rc) return rc;
    snprintf(s->cur.strategy, sizeof s->cur.strategy, "shrunk");
    s->cur.seed = orig->seed;
    s->cur.depth = orig->depth;
    s->cur.explore = orig->explore;
    snprintf(s->cur.failure, sizeof s->cur.failure, "%s", s->target);
    if ((rc = xpl_sched_write(&s->cur, o->out, stderr))) return rc;
    if (o->quiet) return 0;
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
static int start(xpl_shr *s, const xpl_sched *orig, const xpl_shrink_opts *o) {
    assert(s && s->c && orig && o && o->scen);
    s->c->max_cycles = o->max_cycles;
    int rc = xpl_sched_load_scen(s->c, o->scen, orig);
    xpl_verdict v;
    if (!rc) rc = xpl_replay_run(s->c, orig->d, orig->n, &v);
    if (rc) return rc;
    if (!v.failed) {
        fprintf(stderr, "vmmsim shrink: %s does not fail on %s: nothing to shrink\n", o->sched, o->scen);
        return XPL_EXIT_FINDING;
    }
    snprintf(s->target, sizeof s->target, "%s", v.sig);
    if (orig->failure[0] && strcmp(orig->failure, v.sig))
        fprintf(stderr, "vmmsim shrink: note: the schedule recorded failure '%s', the replay fails as '%s'\n",
                orig->failure, v.sig);
    if (xpl_sched_set(&s->cur, orig->d, orig->n)) return XPL_EXIT_HOST;
    return o->keep_stimuli ? 0 : xpl_shr_stim_init(s);
}

int xpl_shrink(const xpl_shrink_opts *op) {
    assert(op && op->scen && op->sched && op->out && op->max_attempts > 0);
    assert(op->keep_stimuli ? !op->out_scen : op->out_scen != NULL);
    xpl_shrink_opts o = *op;
    int rc;
    xpl_sched orig;
    if ((rc = xpl_sched_read(&orig, o.sched, stderr))) return rc;
    if (orig.explore && !o.keep_stimuli) {
        /* Narrowing reads a window's place from its jitter decision, which window
        ** steps do not make: such a schedule shrinks its decisions only. */
        printf("shrink: %s explores windows by steps: its decisions only (--keep-stimuli)\n", o.sched);
        o.keep_stimuli = 1;
        o.out_scen = NULL;
    }
    xpl_shr s;
    memset(&s, 0, sizeof s);
    s.max_attempts = o.max_attempts;
    s.c = calloc(1, sizeof *s.c);
    if (!s.c) { xpl_sched_free(&orig); return XPL_EXIT_HOST; }
    rc = start(&s, &orig, &o);
    if (!rc) rc = shrink_loop(&s, !o.keep_stimuli);
    if (!rc) rc = finish(&s, &orig, &o, orig.n);
    xpl_sched_free(&s.cur);
    free(s.cand);
    xpl_sim_free(s.c);
    free(s.c);
    xpl_shr_stim_free(&s);
    xpl_sched_free(&orig);
    return rc;
}
