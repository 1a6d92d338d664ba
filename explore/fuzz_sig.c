/*
** fuzz_sig.c — a campaign's failures by signature (docs/fuzzing.md, "Signatures"):
** the failure tokens (expectations, rules, errors) and the callback of the first
** finding. Counted on the loop thread in run order, so the table is the same
** whatever --jobs; each signature keeps its shortest schedule, which --shrink
** reduces (decisions only) to DIR/sig-K.min.schedule after the campaign. The summary
** prints the table (fuzz_out.c).
*/
#include <assert.h>
#include <string.h>

#include "xpl_fuzz.h"

static int shorter(uint32_t nnc, uint32_t ndec, const xpl_fz_sig *s) {
    assert(s);
    return nnc != s->best_nnc ? nnc < s->best_nnc : ndec < s->best_ndec;
}

void xpl_fz_sig_add(xpl_fz_campaign *cp, const xpl_fz_fail *f) {
    assert(cp && f && f->v.failed && cp->nsigs <= XPL_FZ_SIGS_MAX);
    uint32_t i = 0;
    while (i < cp->nsigs && (cp->sigs[i].cb != f->cb || strcmp(cp->sigs[i].sig, f->v.sig))) i++;
    if (i == cp->nsigs) {
        if (cp->nsigs == XPL_FZ_SIGS_MAX) { cp->sig_overflow++; return; }
        xpl_fz_sig *s = &cp->sigs[cp->nsigs++];
        memset(s, 0, sizeof *s);
        snprintf(s->sig, sizeof s->sig, "%s", f->v.sig);
        s->cb = f->cb;
        s->first_run = s->best_run = f->run;
        s->best_nnc = f->nnc;
        s->best_ndec = f->ndec;
    } else if (shorter(f->nnc, f->ndec, &cp->sigs[i])) {   /* run order: ties keep the earlier */
        cp->sigs[i].best_run = f->run;
        cp->sigs[i].best_nnc = f->nnc;
        cp->sigs[i].best_ndec = f->ndec;
    }
    cp->sigs[i].count++;
}

/* --shrink: each signature's shortest schedule, shrunk with the scenario kept
** (xpl_shrink, decisions only), to DIR/sig-K.min.schedule. A schedule that does not
** shrink to a verified one is reported and left out; the campaign goes on. */
int xpl_fz_sig_shrink(xpl_fz_campaign *cp) {
    char in[SCEN_PATH_MAX + 64], out[SCEN_PATH_MAX + 64];
    assert(cp && cp->o.out && cp->nsigs <= XPL_FZ_SIGS_MAX);
    for (uint32_t i = 0; i < cp->nsigs; i++) {
        xpl_fz_sig *s = &cp->sigs[i];
        snprintf(in, sizeof in, "%s/run-%08llu.schedule", cp->o.out, (unsigned long long)s->best_run);
        snprintf(out, sizeof out, "%s/sig-%u.min.schedule", cp->o.out, i);
        xpl_shrink_opts so = { .scen = cp->o.scenario, .sched = in, .out = out,
                               .max_attempts = XPL_FZ_SHRINK_ATTEMPTS, .max_cycles = cp->o.max_cycles,
                               .keep_stimuli = 1, .quiet = 1 };
        int rc = xpl_shrink(&so);
        if (rc == XPL_EXIT_HOST) return rc;
        s->shrunk = rc == 0;
        if (rc) fprintf(stderr, "vmmsim fuzz: %s: not shrunk (exit %d)\n", in, rc);
    }
    return 0;
}
