/*
** schedule_run.c — a finished run's trace file, and replaying decisions to a verdict
** (expect.c computes it). Fuzz, shrink and replay share them so that "the same
** failure" means one thing everywhere (docs/fuzzing.md, "Failures").
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "explore.h"

void xpl_run_write(xpl_sim *c, FILE *f, const char *run_line, int records) {
    assert(c && c->v && f);
    const eng_trace *t = vmm_trace(c->v);
    char line[XPL_LINE_MAX];
    if (records) {
        if (run_line) {
            fprintf(f, "%s\n# vmmsim: %s\n# scenario: %s\n", XPL_TRACE_MAGIC, VMMSIM_VERSION, c->path);
            if (c->s.name[0]) fprintf(f, "# name: %s\n", c->s.name);
            if (c->s.rules[0]) fprintf(f, "# rules: %s\n", c->s.rules);
            fprintf(f, "%s\n", run_line);
        } else {
            xpl_trace_header(f, c);
        }
        for (uint32_t i = 0; i < t->len; i++) {
            size_t n = xpl_sim_line(c, i, line, sizeof line);
            fwrite(line, 1, n, f);
            fputc('\n', f);
        }
    }
    fprintf(f, "# hash: 0x%016llx\n# records: %llu\n", (unsigned long long)t->hash,
            (unsigned long long)t->count);
    if (t->overflow)
        fprintf(f, "# note: only the first %u records were kept (trace storage full)\n", t->len);
    if (c->run_rc) fprintf(f, "# error: %s: %s\n", vmm_strerror(c->run_rc), vmm_error(c->v));
    uint32_t fails = xpl_expect_check(c, f);
    fprintf(f, "# verdict: %s\n", c->run_rc ? "ERROR" : fails ? "FAIL" : "PASS");
}

int xpl_replay_run(xpl_sim *c, const eng_decision *d, uint32_t n, xpl_verdict *v) {
    assert(c && c->v && (d || !n));
    vmm_reset(c->v);
    vmm_set_explore(c->v, c->explore);
    eng_chooser_replay(vmm_chooser(c->v), d, n);
    c->run_rc = vmm_run(c->v);
    return xpl_verdict_get(c, v);
}
