/*
** fuzz_dfs.c — `vmmsim fuzz --strategy dfs`: a stateless depth-first walk of the
** decision tree (docs/fuzzing.md, "dfs"). Each run replays a prefix of decisions and continues
** canonically; the next prefix is the run's log up to its last decision (within
** --bound) that has an untried option, with that option taken. When no such decision
** is left, every schedule of the bounded tree has run: the tree is covered. The walk
** is sequential (each run's successor depends on its log), on one worker.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "xpl_fuzz.h"

/* The next prefix from the finished run's log; 0 when the tree is exhausted. */
static int dfs_next(xpl_fz_campaign *cp, const eng_chooser *ch) {
    assert(cp && ch && cp->dfs_n <= cp->dfs_cap);
    uint32_t lim;
    const eng_decision *log = eng_chooser_log(ch, &lim);
    if (cp->o.bound && cp->o.bound < lim) lim = cp->o.bound;
    uint32_t j = lim;
    while (j > 0 && log[j - 1].chosen + 1 >= log[j - 1].n) j--;
    if (j == 0) return 0;
    if (j > cp->dfs_cap) {
        eng_decision *nd = realloc(cp->dfs, j * sizeof *nd);
        if (!nd) { cp->err = XPL_EXIT_HOST; return 0; }
        cp->dfs = nd;
        cp->dfs_cap = j;
    }
    memcpy(cp->dfs, log, j * sizeof *cp->dfs);
    cp->dfs[j - 1].chosen++;
    cp->dfs_n = j;
    return 1;
}

static void on_sigint(uv_signal_t *s, int signum) {
    assert(s && s->data);
    xpl_fz_campaign *cp = s->data;
    (void)signum;
    if (++cp->sigints >= 2) _exit(130);
    cp->stop = 1;
}

int xpl_fz_dfs_campaign(xpl_fz_campaign *cp) {
    assert(cp && cp->nw == 1 && cp->o.strat == ENG_STRAT_DFS);
    xpl_sim *c = &cp->w[0].sim;
    xpl_fz_chunk *ch = calloc(1, sizeof *ch);
    if (!ch || uv_loop_init(&cp->loop)) { free(ch); return XPL_EXIT_HOST; }
    uv_signal_init(&cp->loop, &cp->sig);
    cp->sig.data = cp;
    uv_signal_start(&cp->sig, on_sigint, SIGINT);
    cp->t0_ns = uv_hrtime();
    cp->dfs_n = 0;
    for (uint64_t i = 0; i < cp->o.runs && !cp->stop && !cp->err; i++) {
        memset(ch, 0, offsetof(xpl_fz_chunk, fail));
        ch->nfail = 0;
        ch->cp = cp;
        ch->index = i;
        ch->j0 = i;
        ch->nrun = 1;
        xpl_fz_one_run(cp, c, ch, 0);
        if (ch->err) cp->err = ch->err;
        xpl_fz_emit_chunk(cp, ch);
        if (!dfs_next(cp, vmm_chooser(c->v))) { cp->covered = !cp->err && !eng_chooser_overflow(vmm_chooser(c->v)); break; }
        if (cp->o.time_s > 0 && (double)(uv_hrtime() - cp->t0_ns) / 1e9 >= cp->o.time_s) cp->stop = 1;
        uv_run(&cp->loop, UV_RUN_NOWAIT);   /* deliver a pending Ctrl-C */
    }
    uv_close((uv_handle_t *)&cp->sig, NULL);
    uv_run(&cp->loop, UV_RUN_DEFAULT);
    uv_loop_close(&cp->loop);
    free(ch->fail);
    free(ch);
    return cp->err;
}
