/*
** sim.c — one simulation for the commands: load a scenario, build the machine, run.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

static int scen_exit(int rc) {
    assert(rc < 0);
    return rc == SCEN_ENOMEM ? XPL_EXIT_HOST : XPL_EXIT_USAGE;
}

int xpl_sim_load(xpl_sim *c, const char *path, FILE *err) {
    assert(c);
    c->path = path ? path : SCEN_DEFAULT_NAME;
    int rc = path ? scen_load(&c->s, path)
                  : scen_load_text(&c->s, scen_default_yaml, strlen(scen_default_yaml),
                                   SCEN_DEFAULT_NAME);
    if (rc) {
        fprintf(err, "%s\n", scen_error(&c->s));
        return scen_exit(rc);
    }
    if (c->max_cycles) c->s.vs.m.max_cycles = c->max_cycles;
    int verr = 0;
    char msg[256] = "";
    c->v = vmm_new(&c->s.vs, &verr, msg, sizeof msg);
    if (!c->v) {
        fprintf(err, "%s: cannot build the machine: %s%s%s\n", c->path, vmm_strerror(verr),
                msg[0] ? ": " : "", msg);
        return verr == VMM_ENOMEM ? XPL_EXIT_HOST : XPL_EXIT_USAGE;
    }
    /* One run, planned as `vmmsim fuzz` plans each of its runs: PCT spreads its change
    ** points over k decisions, k from a canonical and a random run (xpl_pct_steps). */
    eng_plan p = { .strategy = c->strategy, .seed = c->seed,
                   .depth = c->depth ? c->depth : XPL_PCT_DEPTH, .pct_by = c->pct_by };
    if (c->strategy == ENG_STRAT_PCT) {
        p.steps = xpl_pct_steps(c, c->seed);
        vmm_reset(c->v);
    }
    eng_chooser_plan(vmm_chooser(c->v), &p);
    return XPL_EXIT_OK;
}

void xpl_sim_run(xpl_sim *c, FILE *err) {
    assert(c && c->v);
    c->run_rc = vmm_run(c->v);
    if (c->run_rc)
        fprintf(err, "%s: simulation stopped at cycle %llu: %s: %s\n", c->path,
                (unsigned long long)vmm_now(c->v), vmm_strerror(c->run_rc), vmm_error(c->v));
}

void xpl_sim_free(xpl_sim *c) {
    assert(c);
    if (c->v) vmm_free(c->v);
    c->v = NULL;
    scen_free(&c->s);
}

size_t xpl_sim_line(const xpl_sim *c, uint32_t i, char *buf, size_t len) {
    const eng_trace *t = vmm_trace(c->v);
    assert(i < t->len && len > 0);
    size_t n = vmm_format_record(c->v, &t->rec[i], buf, len);
    return n < len ? n : len - 1;
}

int xpl_u64_arg(const char *s, uint64_t *out) {
    assert(out);
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    *out = strtoull(s, &end, 0);
    return errno || *end ? -1 : 0;
}

uint32_t xpl_pct_steps(xpl_sim *c, uint64_t seed) {
    assert(c && c->v);
    uint32_t k = 1;
    for (int pass = 0; pass < 2; pass++) {
        vmm_reset(c->v);
        eng_plan p = { .strategy = pass ? ENG_STRAT_RANDOM : ENG_STRAT_CANONICAL, .seed = seed };
        eng_chooser_plan(vmm_chooser(c->v), &p);
        vmm_run(c->v);
        const eng_chooser *ch = vmm_chooser(c->v);
        uint32_t n = 0;
        eng_chooser_log(ch, &n);
        n += eng_chooser_overflow(ch);
        if (n > k) k = n;
    }
    return k;
}
