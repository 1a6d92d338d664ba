/*
** shrink_log.c — the shrinker's candidate buffer and its kept decision list, shared by
** the decision passes (shrink.c) and the stimulus passes (shrink_scen.c).
*/
#include <assert.h>
#include <stdlib.h>

#include "xpl_shrink.h"

/* The run just replayed, as its decision log with trailing canonical choices
** dropped (canonical past the end anyway). */
void xpl_shr_norm_log(const xpl_shr *s, const eng_decision *cand, uint32_t n,
                     const eng_decision **d, uint32_t *m) {
    assert(s && s->c && s->c->v && d && m && (cand || !n));
    const eng_chooser *ch = vmm_chooser(s->c->v);
    *d = cand;
    *m = n;
    if (!eng_chooser_overflow(ch)) *d = eng_chooser_log(ch, m);
    while (*m > 0 && (*d)[*m - 1].chosen == 0) (*m)--;
}

int xpl_shr_keep_log(xpl_shr *s, const eng_decision *cand, uint32_t n) {
    const eng_decision *d;
    uint32_t m;
    assert(s && (cand || !n));
    xpl_shr_norm_log(s, cand, n, &d, &m);
    if (xpl_sched_set(&s->cur, d, m)) { s->err = XPL_EXIT_HOST; return -1; }
    return 0;
}

int xpl_shr_cand_room(xpl_shr *s, uint32_t n) {
    assert(s && n > 0 && (s->cand || !s->cand_cap));
    if (n <= s->cand_cap) return 0;
    eng_decision *nc = realloc(s->cand, n * sizeof *nc);
    if (!nc) { s->err = XPL_EXIT_HOST; return -1; }
    s->cand = nc;
    s->cand_cap = n;
    return 0;
}
