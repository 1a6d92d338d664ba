/*
** xpl_shrink.h — shrinking (xpl_shrink): the shrinker's state, shared by the decision passes
** (shrink.c) and the stimulus passes and reduced-scenario writer (shrink_scen.c).
** Internal to explore/.
*/
#ifndef VMMSIM_SHRINK_H
#define VMMSIM_SHRINK_H

#include "explore.h"

#define XPL_SHR_NO_POINT UINT64_MAX

/* Which of the scenario's timeline entries are kept, and windows narrowed to a point.
** Indexed by the entry's position in the original scenario. */
#define XPL_SHR_PAIR_SPAN 16u   /* pass_pairs: decisions on each side tried with each one */
#define XPL_SHR_PAIR_OPTS 64u   /* pass_pairs: an order choice's values, all tried up to this */
#define XPL_SHR_PAIR_NEAR 64u   /* pass_pairs: a time's values tried on each side of it */

typedef struct xpl_shr_stim {
    uint8_t  *keep;             /* 1: the entry stays */
    uint64_t *point;            /* XPL_SHR_NO_POINT, or the cycle its `at:` window became */
    uint32_t  n;                /* entries in the original scenario */
    uint32_t  protect;          /* entries [0, protect) are named by index (a `within`
                                   from a stimulus): never deleted, so indices hold */
    vmm_stimulus *stim;         /* the reduced timeline, for vs */
    vmm_scenario  vs;           /* the machine c->v is built from (outlives it) */
    uint32_t  removed, narrowed;
    void     *stim_text;        /* shrink_scen.c: the YAML text and where entries are */
} xpl_shr_stim;

typedef struct xpl_shr {
    xpl_sim *c;
    char     target[XPL_SIG_MAX];
    xpl_sched cur;                 /* smallest failing list so far */
    eng_decision *cand;            /* scratch, cap = cand_cap */
    uint32_t cand_cap;
    uint64_t attempts, max_attempts;
    int      err;
    xpl_shr_stim st;
} xpl_shr;

/* shrink_log.c */
int  xpl_shr_cand_room(xpl_shr *s, uint32_t n);
/* The run just replayed, as its decision log with trailing canonical choices
** dropped: *d, *m (cand itself when the log overflowed). */
void xpl_shr_norm_log(const xpl_shr *s, const eng_decision *cand, uint32_t n,
                      const eng_decision **d, uint32_t *m);
/* Keeps the decision log of the run just replayed as cur (trailing canonical
** choices dropped). */
int  xpl_shr_keep_log(xpl_shr *s, const eng_decision *cand, uint32_t n);

/* shrink_scen.c */
int  xpl_shr_stim_init(xpl_shr *s);
void xpl_shr_stim_free(xpl_shr *s);
/* Deletes entries and narrows windows while the failure persists; 1 when the
** scenario got smaller. */
int  xpl_shr_stim_pass(xpl_shr *s);
/* Writes the original scenario text with the dropped entries' lines removed and
** narrowed windows rewritten (0 or an exit code, message on err). */
int  xpl_shr_scen_write(const xpl_shr_stim *st, const char *out, FILE *err);

#endif
