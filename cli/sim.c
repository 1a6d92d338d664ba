/*
** sim.c — one simulation for the commands: load a scenario, build the machine, run.
*/
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "fuzz.h"

static int scen_exit(int rc) {
    return rc == SCEN_ENOMEM ? CLI_EXIT_HOST : CLI_EXIT_USAGE;
}

int cli_sim_load(cli_sim *c, const char *path, FILE *err) {
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
        return verr == VMM_ENOMEM ? CLI_EXIT_HOST : CLI_EXIT_USAGE;
    }
    if (c->strategy == ENG_STRAT_PCT) {
        /* One PCT run, planned as `vmmsim fuzz` plans each of its runs: change points
        ** over k decisions, k from a canonical and a random run (cli_pct_steps). */
        uint32_t k = cli_pct_steps(c, c->seed);
        vmm_reset(c->v);
        eng_chooser_pct(vmm_chooser(c->v), c->seed, c->depth ? c->depth : CLI_PCT_DEPTH, k);
    } else if (c->strategy == ENG_STRAT_RANDOM) eng_chooser_random(vmm_chooser(c->v), c->seed);
    else eng_chooser_canonical(vmm_chooser(c->v));
    return CLI_EXIT_OK;
}

void cli_sim_run(cli_sim *c, FILE *err) {
    assert(c && c->v);
    c->run_rc = vmm_run(c->v);
    if (c->run_rc)
        fprintf(err, "%s: simulation stopped at cycle %llu: %s: %s\n", c->path,
                (unsigned long long)vmm_now(c->v), vmm_strerror(c->run_rc), vmm_error(c->v));
}

void cli_sim_free(cli_sim *c) {
    if (c->v) vmm_free(c->v);
    c->v = NULL;
    scen_free(&c->s);
}

size_t cli_sim_line(const cli_sim *c, uint32_t i, char *buf, size_t len) {
    const eng_trace *t = vmm_trace(c->v);
    assert(i < t->len && len > 0);
    size_t n = vmm_format_record(c->v, &t->rec[i], buf, len);
    return n < len ? n : len - 1;
}

int cli_strategy_parse(const char *name, int *out) {
    if (!strcmp(name, "canonical")) { *out = ENG_STRAT_CANONICAL; return 0; }
    if (!strcmp(name, "random")) { *out = ENG_STRAT_RANDOM; return 0; }
    if (!strcmp(name, "pct")) { *out = ENG_STRAT_PCT; return 0; }
    return -1;
}

const char *cli_strategy_name(int strategy) {
    return strategy == ENG_STRAT_RANDOM ? "random" : strategy == ENG_STRAT_PCT ? "pct" : "canonical";
}

int cli_u64_arg(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    *out = strtoull(s, &end, 0);
    return errno || *end ? -1 : 0;
}

uint32_t cli_pct_steps(cli_sim *c, uint64_t seed) {
    uint32_t k = 1;
    for (int pass = 0; pass < 2; pass++) {
        vmm_reset(c->v);
        if (pass) eng_chooser_random(vmm_chooser(c->v), seed);
        else eng_chooser_canonical(vmm_chooser(c->v));
        vmm_run(c->v);
        const eng_chooser *ch = vmm_chooser(c->v);
        uint32_t n = ch->log_len + ch->log_overflow;
        if (n > k) k = n;
    }
    return k;
}

void cli_chooser_for_run(eng_chooser *ch, int strategy, uint64_t seed, uint64_t run,
                         uint32_t depth, uint32_t steps) {
    uint64_t s = fz_run_seed(seed, run);
    assert(strategy == ENG_STRAT_CANONICAL || strategy == ENG_STRAT_RANDOM ||
           strategy == ENG_STRAT_PCT);
    if (strategy == ENG_STRAT_PCT) eng_chooser_pct(ch, s, depth, steps);
    else if (strategy == ENG_STRAT_RANDOM) eng_chooser_random(ch, s);
    else eng_chooser_canonical(ch);
}
