/*
** fuzz_out.c — a campaign's results, on the loop thread and in run order: findings as
** JSON lines, the count of distinct schedules, the summary and the progress line.
** Nothing here depends on --jobs or on thread timing except the rate and the
** elapsed time, which are reported apart (docs/fuzzing.md, "Output").
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xpl_fuzz.h"

void xpl_json_str(FILE *f, const char *s) {
    assert(f && s);
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void finding_line(xpl_fz_campaign *cp, const xpl_fz_fail *f) {
    assert(cp && cp->findings && f && f->v.failed);
    FILE *o = cp->findings;
    fprintf(o, "{\"run\":%llu,\"seed\":%llu,\"strategy\":\"%s\"", (unsigned long long)f->run,
            (unsigned long long)f->seed, eng_strategy_name(cp->o.strat));
    if (cp->o.strat == ENG_STRAT_PCT) fprintf(o, ",\"depth\":%u", cp->o.depth);
    fprintf(o, ",\"failure\":");
    xpl_json_str(o, f->v.sig);
    fprintf(o, ",\"message\":");
    xpl_json_str(o, f->v.first);
    fprintf(o, ",\"decisions\":%u,\"decision_hash\":\"0x%016llx\",\"trace_hash\":\"0x%016llx\","
            "\"schedule\":\"run-%08llu.schedule\",\"trace\":\"run-%08llu.trace\"}\n", f->ndec,
            (unsigned long long)f->dhash, (unsigned long long)f->thash, (unsigned long long)f->run,
            (unsigned long long)f->run);
}

/* --max-failures: a chunk past the last counted failure is dropped whole, with the
** files its workers wrote, so that the campaign's results (and --out) are those of
** the runs up to that failure, whatever --jobs and the thread timing were. */
static void drop_chunk(const xpl_fz_campaign *cp, const xpl_fz_chunk *ch, uint32_t from) {
    char path[SCEN_PATH_MAX + 64];
    assert(cp && ch && from <= ch->nfail);
    for (uint32_t i = from; cp->o.out && i < ch->nfail; i++) {
        snprintf(path, sizeof path, "%s/run-%08llu.schedule", cp->o.out, (unsigned long long)ch->fail[i].run);
        remove(path);
        snprintf(path, sizeof path, "%s/run-%08llu.trace", cp->o.out, (unsigned long long)ch->fail[i].run);
        remove(path);
    }
}

/* Runs of the chunk that count: all, or those up to the failure that reaches
** --max-failures (then the campaign stops). */
static uint32_t counted_runs(xpl_fz_campaign *cp, const xpl_fz_chunk *ch, uint32_t *nfail) {
    assert(cp && ch && nfail);
    *nfail = ch->nfail;
    if (!cp->o.max_failures || cp->failures + ch->nfail < cp->o.max_failures) return ch->nrun;
    *nfail = (uint32_t)(cp->o.max_failures - cp->failures);
    const xpl_fz_fail *last = &ch->fail[*nfail - 1];
    uint64_t j = (last->run - cp->o.shard_i) / cp->o.shard_n;   /* local run number */
    assert(j >= ch->j0 && j - ch->j0 < ch->nrun);
    cp->maxed = 1;
    cp->stop = 1;
    return (uint32_t)(j - ch->j0 + 1);
}

void xpl_fz_emit_chunk(xpl_fz_campaign *cp, const xpl_fz_chunk *ch) {
    assert(cp && ch && ch->nfail <= ch->capfail && ch->nrun <= XPL_FZ_CHUNK_RUNS);
    if (cp->maxed) { drop_chunk(cp, ch, 0); return; }
    uint32_t nfail, nrun = counted_runs(cp, ch, &nfail);
    drop_chunk(cp, ch, nfail);
    for (uint32_t k = 0; k < nrun; k++) xpl_fz_hset_add(&cp->sched, ch->dhash[k]);
    xpl_fz_cov_count(cp, ch, nrun);
    for (uint32_t i = 0; i < nfail; i++) {
        const xpl_fz_fail *f = &ch->fail[i];
        if (!cp->have_first) {
            cp->have_first = 1;
            cp->first_run = f->run;
            snprintf(cp->first_sig, sizeof cp->first_sig, "%s", f->v.sig);
        }
        if (cp->findings) finding_line(cp, f);
        xpl_fz_sig_add(cp, f);
        if (!cp->o.json && !cp->o.quiet)
            printf("FAIL run %llu seed %llu: %s: %s\n", (unsigned long long)f->run,
                   (unsigned long long)f->seed, f->v.sig, f->v.first);
    }
    if (cp->findings) fflush(cp->findings);
    cp->done += nrun;
    cp->failures += nfail;
}

static int by_u64(const void *a, const void *b) {
    assert(a && b);
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The set, sorted, as DIR/distinct.txt: the header names the campaign and the shard,
** then one hash per line in increasing order, so the file depends only on the runs
** done (not on the table's layout, --jobs or thread timing). */
int xpl_fz_dset_write(const xpl_fz_campaign *cp, const char *path) {
    const xpl_fz_hset *st = &cp->sched;
    assert(st->n <= st->cap && st->cap <= XPL_FZ_DISTINCT_MAX);
    uint64_t n = 0, *v = malloc((st->n ? st->n : 1) * sizeof *v);
    if (!v) return XPL_EXIT_HOST;
    for (uint64_t i = 0; i < st->cap; i++)
        if (st->t[i]) v[n++] = st->t[i];
    assert(n == st->n);
    qsort(v, n, sizeof *v, by_u64);
    xpl_afile af;
    FILE *f = xpl_afile_open(&af, path);
    if (!f) {
        fprintf(stderr, "vmmsim fuzz: %s: cannot write\n", path);
        free(v);
        return XPL_EXIT_HOST;
    }
    fprintf(f, "%s\nscenario-hash 0x%016llx\nstrategy %s\ndepth %u\nseed %llu\nruns %llu\n"
            "shard %u/%u\ndone %llu\nexact %s\ncount %llu\n", XPL_FZ_DISTINCT_MAGIC,
            (unsigned long long)cp->scen_hash, eng_strategy_name(cp->o.strat),
            cp->o.strat == ENG_STRAT_PCT ? cp->o.depth : 0, (unsigned long long)cp->o.seed,
            (unsigned long long)cp->o.runs, cp->o.shard_i, cp->o.shard_n,
            (unsigned long long)cp->done, st->full ? "false" : "true", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++) fprintf(f, "0x%016llx\n", (unsigned long long)v[i]);
    free(v);
    if (xpl_afile_commit(&af)) {
        fprintf(stderr, "vmmsim fuzz: %s: cannot write\n", path);
        return XPL_EXIT_HOST;
    }
    return 0;
}

/* The failure signatures (fuzz_sig.c) as the summary's "signatures" member. */
static void sig_json(const xpl_fz_campaign *cp, FILE *f) {
    assert(cp && f && cp->nsigs <= XPL_FZ_SIGS_MAX);
    fputs("\"signatures\":[", f);
    for (uint32_t i = 0; i < cp->nsigs; i++) {
        const xpl_fz_sig *s = &cp->sigs[i];
        fprintf(f, "%s{\"failure\":", i ? "," : "");
        xpl_json_str(f, s->sig);
        fprintf(f, ",\"callback\":\"0x%08x\",\"count\":%llu,\"first_run\":%llu,\"shortest_run\":%llu,"
                "\"noncanonical\":%u,\"decisions\":%u", s->cb, (unsigned long long)s->count,
                (unsigned long long)s->first_run, (unsigned long long)s->best_run, s->best_nnc,
                s->best_ndec);
        if (s->shrunk) fprintf(f, ",\"shrunk\":\"sig-%u.min.schedule\"", i);
        fputc('}', f);
    }
    fprintf(f, "],\"signatures_overflow\":%llu,", (unsigned long long)cp->sig_overflow);
}

static double elapsed_s(const xpl_fz_campaign *cp) {
    assert(cp);
    return (double)(uv_hrtime() - cp->t0_ns) / 1e9;
}

/* dfs: what the walk covered — the tree, and with --deepen the largest bound on
** non-canonical decisions whose every schedule ran. */
static void dfs_text(const xpl_fz_campaign *cp, FILE *f) {
    assert(cp && f && cp->o.strat == ENG_STRAT_DFS);
    fprintf(f, "fuzz: dfs %s the decision tree%s%s\n", cp->covered ? "covered" : "did not cover",
            cp->o.por ? " (sleep sets: equivalent orders run once)" : "",
            cp->covered ? "" : cp->o.deepen ? "" : " (raise --runs or lower --bound)");
    if (cp->o.por || cp->o.outcomes)
        fprintf(f, "fuzz: dfs reached %llu distinct outcomes\n", (unsigned long long)cp->outcomes);
    if (!cp->o.deepen) return;
    if (cp->delays_covered < 0)
        fprintf(f, "fuzz: dfs covered no delay bound (bound 0 is the canonical run alone)\n");
    else
        fprintf(f, "fuzz: dfs covered delay bound %lld: every schedule with at most %lld "
                "non-canonical decisions ran\n", (long long)cp->delays_covered,
                (long long)cp->delays_covered);
}

/* Coverage and the failure signatures, as text. */
static void cov_sig_text(const xpl_fz_campaign *cp, FILE *f) {
    assert(cp && f && cp->nsigs <= XPL_FZ_SIGS_MAX);
    fprintf(f, "fuzz: coverage: distinct_traces=%llu distinct_callback_orders=%llu "
            "kind_rank_pairs=%llu callback_pairs_both_orders=%llu of %llu\n",
            (unsigned long long)cp->cov.traces.n, (unsigned long long)cp->cov.orders.n,
            (unsigned long long)cp->cov.kind_rank, (unsigned long long)cp->cov.both_orders,
            (unsigned long long)cp->cov.pairs.n);
    for (uint32_t i = 0; i < cp->nsigs; i++)
        fprintf(f, "fuzz: signature %u: %s callback=0x%08x: %llu runs, first %llu, shortest %llu "
                "(%u non-canonical of %u decisions)%s\n", i, cp->sigs[i].sig, cp->sigs[i].cb,
                (unsigned long long)cp->sigs[i].count, (unsigned long long)cp->sigs[i].first_run,
                (unsigned long long)cp->sigs[i].best_run, cp->sigs[i].best_nnc,
                cp->sigs[i].best_ndec, cp->sigs[i].shrunk ? ", shrunk" : "");
}

void xpl_fz_summary(xpl_fz_campaign *cp, FILE *f) {
    assert(cp && cp->c0 && f && cp->o.jobs >= 1);
    double t = elapsed_s(cp), rate = t > 0 ? (double)cp->done / t : 0;
    if (!cp->o.json) {
        fprintf(f, "fuzz: %s strategy=%s", cp->c0->path, eng_strategy_name(cp->o.strat));
        if (cp->o.strat == ENG_STRAT_PCT) fprintf(f, " depth=%u", cp->o.depth);
        fprintf(f, " seed=%llu runs=%llu failures=%llu distinct_schedules=%s%llu%s\n",
                (unsigned long long)cp->o.seed, (unsigned long long)cp->done,
                (unsigned long long)cp->failures, cp->sched.full ? ">=" : "",
                (unsigned long long)cp->sched.n, cp->stop ? " (stopped)" : "");
        cov_sig_text(cp, f);
        if (cp->o.strat == ENG_STRAT_DFS) dfs_text(cp, f);
        fprintf(f, "fuzz: %.0f runs/s (%u jobs, %.0f runs/s/job), %.2f s\n", rate, cp->o.jobs,
                rate / cp->o.jobs, t);
        return;
    }
    fprintf(f, "{\"scenario\":");
    xpl_json_str(f, cp->c0->path);
    fprintf(f, ",\"scenario_hash\":\"0x%016llx\",\"strategy\":\"%s\",\"depth\":%u,\"seed\":%llu,"
            "\"shard\":\"%u/%u\",\"runs\":%llu,\"failures\":%llu,\"distinct_schedules\":%llu,"
            "\"distinct_exact\":%s,\"stopped\":%s,",
            (unsigned long long)cp->scen_hash, eng_strategy_name(cp->o.strat), cp->o.strat == ENG_STRAT_PCT ? cp->o.depth : 0,
            (unsigned long long)cp->o.seed, cp->o.shard_i, cp->o.shard_n, (unsigned long long)cp->done,
            (unsigned long long)cp->failures, (unsigned long long)cp->sched.n,
            cp->sched.full ? "false" : "true", cp->stop ? "true" : "false");
    xpl_fz_cov_json(cp, f);
    fprintf(f, "\"pct_by\":\"%s\",\"swarm\":%s,\"max_failures\":%llu,",
            cp->o.pct_by == ENG_PCT_BY_RANK ? "rank" : "source", cp->o.swarm ? "true" : "false",
            (unsigned long long)cp->o.max_failures);
    sig_json(cp, f);
    if (cp->o.strat == ENG_STRAT_DFS) {
        fprintf(f, "\"covered\":%s,", cp->covered ? "true" : "false");
        if (cp->o.por || cp->o.outcomes) fprintf(f, "\"distinct_outcomes\":%llu,", (unsigned long long)cp->outcomes);
        if (cp->o.por) fputs("\"reduction\":\"sleep-sets\",", f);
        if (cp->o.deepen && cp->delays_covered >= 0)
            fprintf(f, "\"delay_bound_covered\":%lld,", (long long)cp->delays_covered);
        else if (cp->o.deepen)
            fputs("\"delay_bound_covered\":null,", f);
    }
    fputs("\"first_failure\":", f);
    if (cp->have_first) {
        fprintf(f, "{\"run\":%llu,\"failure\":", (unsigned long long)cp->first_run);
        xpl_json_str(f, cp->first_sig);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fprintf(f, ",\"timing\":{\"jobs\":%u,\"elapsed_s\":%.3f,\"runs_per_s\":%.1f,"
            "\"runs_per_s_per_job\":%.1f}}\n", cp->o.jobs, t, rate, rate / cp->o.jobs);
}

void xpl_fz_progress(xpl_fz_campaign *cp) {
    assert(cp && cp->o.shard_n >= 1);
    double t = elapsed_s(cp), rate = t > 0 ? (double)cp->done / t : 0;
    uint64_t total = cp->o.runs / cp->o.shard_n;
    double eta = rate > 0 && total > cp->done ? (double)(total - cp->done) / rate : 0;
    fprintf(stderr, "\r%llu runs, %.0f runs/s, %llu failures, %llu distinct, %llu traces, "
            "%llu both orders, ETA %.0f s   ", (unsigned long long)cp->done, rate,
            (unsigned long long)cp->failures, (unsigned long long)cp->sched.n,
            (unsigned long long)cp->cov.traces.n, (unsigned long long)cp->cov.both_orders, eta);
    fflush(stderr);
}
