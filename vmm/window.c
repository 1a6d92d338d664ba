/*
** window.c — window steps (vmm_set_explore, docs/fuzzing.md "Window steps"): a
** stimulus whose `at:` is a window [lo, hi] is offered at each VMM step from lo on
** (a run-loop iteration: an event dispatched, a service call, a callback's return, an
** idle step), and a `window` decision says whether it takes effect at this step. Every
** cycle between two steps gives the same order of the stimulus against the others, so
** the steps are the window's distinct places; the canonical run (0 at lo) is the
** jitter window's canonical run (at = lo).
*/
#include <assert.h>

#include "vmm_int.h"

int vmm_set_explore(vmm_state *v, unsigned flags) {
    assert(v != NULL && (flags & ~(unsigned)(VMM_EXPLORE_WINDOW_STEPS | VMM_EXPLORE_FOOTPRINT)) == 0);
    unsigned old = v->explore;
    v->explore = flags;
    int rc = vmmi_por_open(v);
    if (rc) v->explore = old;
    return rc;
}

unsigned vmm_explore(const vmm_state *v) {
    assert(v != NULL);
    return v->explore;
}

static int windowed(const vmm_state *v, uint32_t i) {
    assert(i < v->s->nstim);
    return (v->explore & VMM_EXPLORE_WINDOW_STEPS) && v->s->stim[i].at_hi > v->s->stim[i].at_lo;
}

/* Option 0 is the stimulus taking effect (its identity); option 1, the machine's next
** step, has none. */
static const uint64_t *win_ids(uint32_t i, uint64_t ids[2]) {
    ids[0] = VMM_POR_ID_STIMULUS | i;
    ids[1] = 0;
    return ids;
}

/* The stimulus's event came due (at lo, or at a step the run loop reached later):
** 1 when it waits for a later step. */
int vmmi_win_defer(vmm_state *v, uint32_t i) {
    assert(i < v->s->nstim && v->run.nwait <= v->s->nstim);
    uint64_t ids[2];
    if (!windowed(v, i) || vmmi_cycles(v) >= v->s->stim[i].at_hi) return 0;
    /* POR: the step that fires it is the one whose option the walk may put to sleep;
    ** it stands for the stimulus entering the pending FIFO (now or at a later step),
    ** so it touches what the FIFO's other writers touch (run.c, vmmi_stim_fire). */
    vmmi_por_tag(v, VMM_POR_PEND, 1);
    if (vmmi_choose_opts(v, ENG_CHOICE_WINDOW, 2, win_ids(i, ids), NULL) == 0) {
        vmmi_por_due(v, v->s->stim[i].at_lo);   /* no order fires it before its window */
        return 0;
    }
    v->wait[i] = v->run.step + 1;   /* offered at this step already */
    v->run.nwait++;
    return 1;
}

/* At the top of each run-loop step: every waiting stimulus (timeline order) takes
** effect here or waits on; at its window's last cycle it takes effect. */
void vmmi_win_offer(vmm_state *v) {
    assert(v->run.nwait > 0 && v->run.nwait <= v->s->nstim);
    uint64_t now = vmmi_cycles(v);
    for (uint32_t i = 0; i < v->s->nstim && v->run.nwait > 0; i++) {
        if (v->wait[i] == 0 || v->wait[i] == v->run.step + 1) continue;
        uint64_t ids[2];
        if (now < v->s->stim[i].at_hi && vmmi_choose_opts(v, ENG_CHOICE_WINDOW, 2, win_ids(i, ids), NULL) != 0) {
            v->wait[i] = v->run.step + 1;
            continue;
        }
        if (now < v->s->stim[i].at_hi) vmmi_por_due(v, v->s->stim[i].at_lo);   /* its option 0 */
        v->wait[i] = 0;
        v->run.nwait--;
        vmmi_stim_fire(v, i);
    }
}

/* The earliest last cycle of a waiting stimulus (UINT64_MAX: none waits): the run
** loop stops there so that it takes effect by its window's end. */
uint64_t vmmi_win_until(const vmm_state *v) {
    assert(v->run.nwait <= v->s->nstim);
    uint64_t until = UINT64_MAX;
    for (uint32_t i = 0; i < v->s->nstim && v->run.nwait > 0; i++)
        if (v->wait[i] && v->s->stim[i].at_hi < until) until = v->s->stim[i].at_hi;
    return until;
}
