/*
** sess.c — the debugged run: the machine's vmm_run as a coroutine (ucontext) that a
** cpu step hook pauses before any guest instruction, and positions as the number of
** step hooks since the run began ("steps"). The hook only observes, so a debugged run
** is the run `vmmsim run` makes with the same schedule (docs/debug.md, "How it works").
** Going back is re-execution: a fresh machine runs forward to the wanted step; runs
** are exactly reproducible, so it lands on the same instruction with the same state.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dbg_int.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define DBG_ASAN 1
#else
#define DBG_ASAN 0
#endif

/* ---- the coroutine --------------------------------------------------------------- */

/* Switches from the debugger's stack to the run's (to_run) or back. The code after
** swapcontext runs in the context switched to, once it is switched back to. */
static void switch_to(dbg_sess *s, int to_run) {
    assert(s && s->stack);
    if (to_run) {
#if DBG_ASAN
        __sanitizer_start_switch_fiber(&s->asan_main_fake, s->stack, DBG_STACK_BYTES);
#endif
        swapcontext(&s->main_uc, &s->co_uc);
#if DBG_ASAN
        __sanitizer_finish_switch_fiber(s->asan_main_fake, NULL, NULL);
#endif
    } else {
#if DBG_ASAN
        __sanitizer_start_switch_fiber(s->co == DBG_CO_DONE ? NULL : &s->asan_fake,
                                       s->asan_bottom, s->asan_size);
#endif
        swapcontext(&s->co_uc, &s->main_uc);
#if DBG_ASAN
        __sanitizer_finish_switch_fiber(s->asan_fake, &s->asan_bottom, &s->asan_size);
#endif
    }
}

/* makecontext passes int arguments: the session's address in two halves. */
static void co_main(unsigned hi, unsigned lo) {
    dbg_sess *s = (dbg_sess *)(uintptr_t)(((uint64_t)hi << 32) | lo);
    assert(s && s->sim.v);
#if DBG_ASAN
    __sanitizer_finish_switch_fiber(NULL, &s->asan_bottom, &s->asan_size);
#endif
    s->run_rc = s->resume ? vmm_resume(s->sim.v) : vmm_run(s->sim.v);
    s->co = DBG_CO_DONE;
    s->why = DBG_WHY_END;
    switch_to(s, 0);
    abort();   /* a finished run is never resumed (dbg_s_resume) */
}

static void pause_run(dbg_sess *s, int why, uint32_t addr) {
    assert(s && s->co == DBG_CO_PAUSED && why != DBG_WHY_NONE);
    s->why = why;
    s->why_addr = addr;
    switch_to(s, 0);
}

void dbg_s_resume(dbg_sess *s) {
    assert(s && s->sim.v && s->co != DBG_CO_DONE);
    if (s->co == DBG_CO_NONE) {
        if (getcontext(&s->co_uc)) abort();
        s->co_uc.uc_stack.ss_sp = s->stack;
        s->co_uc.uc_stack.ss_size = DBG_STACK_BYTES;
        s->co_uc.uc_link = NULL;
        uint64_t a = (uint64_t)(uintptr_t)s;
        makecontext(&s->co_uc, (void (*)(void))co_main, 2, (unsigned)(a >> 32), (unsigned)a);
        s->co = DBG_CO_PAUSED;
    }
    s->why = DBG_WHY_NONE;
    switch_to(s, 1);
    assert(s->why != DBG_WHY_NONE);
}

/* ---- the step hook ------------------------------------------------------------------ */

int dbg_s_linear(dbg_sess *s, uint32_t *eip_lin) {
    assert(s && s->sim.v && eip_lin);
    cpu_regs r;
    cpu_get_regs(vmm_cpu(s->sim.v), &r);
    *eip_lin = r.seg[CPU_CS].base + r.eip;
    return 0;
}

/* A breakpoint at the instruction about to run, or a watchpoint whose bytes changed
** since the last step (their copies are brought up to date: every step calls this). */
static int hit(dbg_sess *s, cpu_state *c, uint32_t *addr) {
    assert(s && c && s->nbp <= DBG_BP_MAX && s->nwp <= DBG_WP_MAX);
    int why = DBG_WHY_NONE;
    uint32_t access = cpu_watch_hits(c);   /* Z3/Z4: slot k is wp[k] (dbg_s_wp_sync) */
    for (uint32_t k = 0; k < s->nwp; k++) {
        dbg_wp *w = &s->wp[k];
        uint8_t now[DBG_WP_LEN_MAX];
        if (w->type != 2) {
            if ((access >> k & 1) && why == DBG_WHY_NONE) {
                why = w->type == 3 ? DBG_WHY_RWATCH : DBG_WHY_AWATCH;
                *addr = w->addr;
            }
            continue;
        }
        if (cpu_lin_read(c, w->addr, now, w->len) != CPU_OK) continue;
        if (memcmp(now, w->last, w->len) && why == DBG_WHY_NONE) {
            why = DBG_WHY_WATCH;
            *addr = w->addr;
        }
        memcpy(w->last, now, w->len);
    }
    if (why != DBG_WHY_NONE || s->nbp == 0) return why;
    uint32_t lin;
    dbg_s_linear(s, &lin);
    for (uint32_t k = 0; k < s->nbp; k++)
        if (s->bp[k].addr == lin) {
            *addr = lin;
            return s->bp[k].hw ? DBG_WHY_HWBREAK : DBG_WHY_SWBREAK;
        }
    return DBG_WHY_NONE;
}

/* The first step after a fast-forward is the point it was recorded at: the step count
** resumes there, and the watchpoints' copies are taken afresh (the steps skipped were
** not compared, which a goto does not need). Later steps record new points. */
static void fast_forward_points(dbg_sess *s, cpu_state *c) {
    assert(s && c && s->nck <= DBG_CK_MAX);
    uint64_t ic = cpu_instructions(c);
    if (s->ff_pending) {
        if (ic != s->ff_icount) s->ff_broken = 1;
        s->steps = s->ff_steps - 1;
        s->ff_pending = 0;
        s->finding_new = 0;
        dbg_s_wp_refresh(s);
        cpu_watch_hits(c);
    } else if (ic != s->last_icount && s->nck < DBG_CK_MAX &&
               s->steps + 1 >= (s->nck ? s->ck[s->nck - 1].steps : 0) + DBG_CK_EVERY) {
        s->ck[s->nck++] = (dbg_ck){ s->steps + 1, ic };
    }
    s->last_icount = ic;
}

static void on_step(void *ud, cpu_state *c) {
    dbg_sess *s = ud;
    assert(s && c && s->co == DBG_CO_PAUSED);
    uint32_t addr = 0;
    fast_forward_points(s, c);
    int finding = s->finding_new;
    s->steps++;
    s->finding_new = 0;
    int why = hit(s, c, &addr);
    switch (s->mode) {
    case DBG_MODE_GOTO:
        if (s->rec_at ? vmm_trace(s->sim.v)->count > s->rec_at : s->steps == s->stop_at)
            pause_run(s, DBG_WHY_STEP, 0);
        return;
    case DBG_MODE_SCAN:
        if (s->steps == s->stop_at) { pause_run(s, DBG_WHY_STEP, 0); return; }
        if (why != DBG_WHY_NONE) { s->scan_hit = s->steps; s->scan_why = why; s->scan_addr = addr; }
        return;
    default:
        assert(s->mode == DBG_MODE_CONT);
        if (why != DBG_WHY_NONE) pause_run(s, why, addr);
        else if (finding && s->o.stop_on_finding) pause_run(s, DBG_WHY_FINDING, 0);
        else if (s->intr) pause_run(s, DBG_WHY_INTR, 0);
        else if (s->step_once || s->steps >= s->slice_end)
            pause_run(s, s->step_once ? DBG_WHY_STEP : DBG_WHY_SLICE, 0);
        return;
    }
}

static void on_record(void *ud, uint64_t index, uint16_t type) {
    dbg_sess *s = ud;
    assert(s);
    (void)index;
    if (type == VMM_REC_FINDING) s->finding_new = 1;
}

/* ---- executions ------------------------------------------------------------------- */

int dbg_s_wp_sync(dbg_sess *s) {
    assert(s && s->sim.v && s->nwp <= DBG_WP_MAX && DBG_WP_MAX <= CPU_HOST_WATCH_MAX);
    cpu_state *c = vmm_cpu(s->sim.v);
    int rc = 0;
    for (uint32_t k = 0; k < DBG_WP_MAX; k++) {
        const dbg_wp *w = &s->wp[k];
        unsigned rw = k >= s->nwp || w->type == 2 ? 0u
                    : w->type == 3 ? (unsigned)CPU_WATCH_READ : (unsigned)(CPU_WATCH_READ | CPU_WATCH_WRITE);
        if (cpu_watch_set(c, k, rw ? w->addr : 0, rw ? w->len : 0, rw) != CPU_OK) rc = -1;
    }
    cpu_watch_hits(c);   /* none from before */
    return rc;
}

void dbg_s_wp_refresh(dbg_sess *s) {
    assert(s && s->sim.v);
    for (uint32_t k = 0; k < s->nwp; k++)
        if (cpu_lin_read(vmm_cpu(s->sim.v), s->wp[k].addr, s->wp[k].last, s->wp[k].len) != CPU_OK)
            memset(s->wp[k].last, 0xFF, sizeof s->wp[k].last);
}

/* ---- snapshots (docs/debug.md, "Snapshots") -------------------------------------- */

static void snap_drop(dbg_sess *s, uint32_t k) {
    assert(k < s->nsnap && s->snap_bytes >= s->snap[k].sn.cap);
    s->snap_bytes -= s->snap[k].sn.cap;
    vmm_snap_close(&s->snap[k].sn);
}

/* Keeps every other snapshot (the first, the third, ...): the kept ones thin out
** towards the start of the run as it grows, the recent ones stay K apart. */
static void snap_thin(dbg_sess *s) {
    assert(s->nsnap <= DBG_SNAP_MAX);
    uint32_t n = 0;
    for (uint32_t k = 0; k < s->nsnap; k++) {
        if (k % 2) { snap_drop(s, k); continue; }
        if (n != k) s->snap[n] = s->snap[k];
        n++;
    }
    for (uint32_t k = n; k < s->nsnap; k++) vmm_snap_init(&s->snap[k].sn);
    s->nsnap = n;
}

/* The loop hook: a snapshot every DBG_SNAP_EVERY instructions past the last one (a
** re-execution behind it takes none), within DBG_SNAP_MAX and DBG_SNAP_BYTES. */
static void on_loop(void *ud, vmm_state *v) {
    dbg_sess *s = ud;
    assert(s && v == s->sim.v && s->nsnap <= DBG_SNAP_MAX);
    if (s->ff_pending || !s->snap) return;   /* the step count is not known during a fast-forward */
    uint64_t ic = cpu_instructions(vmm_cpu(v));
    if (ic < (s->nsnap ? s->snap[s->nsnap - 1].sn.icount : 0) + DBG_SNAP_EVERY) return;
    if (s->nsnap == DBG_SNAP_MAX) snap_thin(s);
    dbg_snap *d = &s->snap[s->nsnap];
    if (vmm_snap_take(&d->sn, v) != VMM_OK) { vmm_snap_close(&d->sn); return; }
    d->steps = s->steps;
    d->last_icount = s->last_icount;
    d->finding_new = s->finding_new;
    s->snap_bytes += d->sn.cap;
    s->nsnap++;
    while (s->snap_bytes > DBG_SNAP_BYTES && s->nsnap > 1) snap_thin(s);
    if (s->snap_bytes > DBG_SNAP_BYTES) { snap_drop(s, 0); s->nsnap = 0; }
}

/* A fresh machine, planned as the first one was, at step 0 (the run not begun), or
** at snapshot sp. A paused run is dropped with its machine: vmm_reset cannot undo a
** cpu_run in progress. */
static int restart_at(dbg_sess *s, const dbg_snap *sp) {
    assert(s);
    int err = 0;
    char msg[256] = "";
    if (s->sim.v) vmm_free(s->sim.v);
    s->sim.v = vmm_new(&s->sim.s.vs, &err, msg, sizeof msg);
    if (!s->sim.v) return -1;
    if (s->sched.n || s->o.schedule) eng_chooser_replay(vmm_chooser(s->sim.v), s->sched.d, s->sched.n);
    else eng_chooser_plan(vmm_chooser(s->sim.v), &s->plan);
    cpu_set_step_hook(vmm_cpu(s->sim.v), on_step, s);
    vmm_set_rec_hook(s->sim.v, on_record, s);
    vmm_set_loop_hook(s->sim.v, on_loop, s, DBG_SNAP_SLICE);
    if (sp && vmm_snap_restore(s->sim.v, &sp->sn) != VMM_OK) return -1;
    if (s->co != DBG_CO_NONE) {   /* a new stack: ASan's shadow of the old one is stale */
        free(s->stack);
        s->stack = malloc(DBG_STACK_BYTES);
        if (!s->stack) return -1;
    }
    s->co = DBG_CO_NONE;
    s->resume = sp != NULL;
    s->steps = sp ? sp->steps : 0;
    s->last_icount = sp ? sp->last_icount : UINT64_MAX;
    s->ff_pending = 0;
    s->finding_new = sp ? sp->finding_new : 0;
    s->intr = 0;
    s->reexecs++;
    s->restores += sp != NULL;
    dbg_s_wp_refresh(s);
    return dbg_s_wp_sync(s);
}

int dbg_s_restart(dbg_sess *s) { return restart_at(s, NULL); }

/* At the last snapshot whose next step is before step (a fresh start when none is,
** or when restoring fails: the machine is then built again from the start). */
int dbg_s_restart_before(dbg_sess *s, uint64_t step) {
    assert(s && s->nsnap <= DBG_SNAP_MAX);
    uint32_t lo = 0, hi = s->nsnap;
    while (lo < hi) {   /* the first snapshot at or after step - 1 */
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->snap[mid].steps + 1 < step) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && restart_at(s, &s->snap[lo - 1]) == 0) return 0;
    return restart_at(s, NULL);
}

/* A fresh run goes at the interpreter's fast speed to the last fast-forward point
** at or before step, then step by step. */
static void fast_forward(dbg_sess *s, uint64_t step) {
    assert(s && s->sim.v && s->nck <= DBG_CK_MAX);
    uint32_t lo = 0, hi = s->nck;
    while (lo < hi) {   /* the first point after step; the one before it is the last at or before */
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->ck[mid].steps <= step) lo = mid + 1; else hi = mid;
    }
    if (lo == 0 || s->ck[lo - 1].steps <= s->steps + 1 ||   /* none past a snapshot's start */
        s->ck[lo - 1].icount <= cpu_instructions(vmm_cpu(s->sim.v)))
        return;
    s->ff_pending = 1;
    s->ff_steps = s->ck[lo - 1].steps;
    s->ff_icount = s->ck[lo - 1].icount;
    cpu_step_hook_from(vmm_cpu(s->sim.v), s->ff_icount);
}

int dbg_s_goto(dbg_sess *s, uint64_t step) {
    assert(s && step >= 1);
    if (step <= s->steps || s->co == DBG_CO_DONE) {
        if (dbg_s_restart_before(s, step)) return -1;
        fast_forward(s, step);
    }
    s->mode = DBG_MODE_GOTO;
    s->stop_at = step;
    s->rec_at = 0;
    dbg_s_resume(s);
    return 0;
}

int dbg_s_goto_record(dbg_sess *s, uint64_t rec) {
    assert(s);
    if (dbg_s_restart(s)) return -1;
    s->mode = DBG_MODE_GOTO;
    s->rec_at = rec + 1;
    dbg_s_resume(s);
    s->rec_at = 0;
    return 0;
}

/* The last hit before step `end`: segments scanned backwards, each from a snapshot
** (the last from the start) to the step after the next segment's start, so that a
** watchpoint hit at a snapshot's first step (its write came before the snapshot, whose
** watch copies are taken there) is seen by the segment before. */
static int scan_back(dbg_sess *s, uint64_t end) {
    assert(s);
    for (uint32_t k = 0; k <= DBG_SNAP_MAX + 1; k++) {   /* each segment starts earlier */
        if (dbg_s_restart_before(s, end - 1)) return -1;
        uint64_t from = s->steps;
        s->mode = DBG_MODE_SCAN;
        s->stop_at = end;
        s->scan_hit = 0;
        dbg_s_resume(s);
        if (s->scan_hit || from == 0) return 0;
        end = from + 2;
    }
    return 0;
}

/* reverse-continue: the last breakpoint or watchpoint hit before now. One pass finds
** it (SCAN), a second lands there. A watchpoint hit at step k means the instruction
** of step k-1 wrote: going backwards lands before that write, at k-1. */
int dbg_s_reverse_cont(dbg_sess *s) {
    assert(s);
    uint64_t end = s->steps + (s->co == DBG_CO_DONE ? 1u : 0u);
    if (scan_back(s, end)) return -1;
    uint64_t to = s->scan_hit;
    int why = s->scan_why;
    uint32_t addr = s->scan_addr;
    if (to && (why == DBG_WHY_WATCH || why == DBG_WHY_RWATCH || why == DBG_WHY_AWATCH)) to--;
    if (!to) {
        if (dbg_s_goto(s, 1)) return -1;
        s->why = DBG_WHY_BEGIN;
        return 0;
    }
    if (dbg_s_goto(s, to)) return -1;
    s->why = why;
    s->why_addr = addr;
    return 0;
}

/* ---- the session ------------------------------------------------------------------- */

static int load(dbg_sess *s, FILE *err) {
    assert(s);
    int rc;
    const char *p = s->o.scenario && strcmp(s->o.scenario, SCEN_DEFAULT_NAME) &&
                    strcmp(s->o.scenario, "-") ? s->o.scenario : NULL;
    s->sim.max_cycles = s->o.max_cycles;
    s->sim.strategy = s->o.strategy;
    s->sim.seed = s->o.seed;
    if (s->o.schedule) {
        rc = xpl_sched_read(&s->sched, s->o.schedule, err);
        if (!rc) rc = xpl_sched_load_scen(&s->sim, p ? p : SCEN_DEFAULT_NAME, &s->sched);
    } else {
        rc = xpl_sim_load(&s->sim, p, err);
    }
    if (rc) return rc;
    s->plan.strategy = s->o.strategy;
    s->plan.seed = s->o.seed;
    return 0;
}

int dbg_sess_new(dbg_sess **out, const dbg_opts *o, FILE *err) {
    assert(out && o && err);
    *out = NULL;
    if (o->strategy != ENG_STRAT_CANONICAL && o->strategy != ENG_STRAT_RANDOM) {
        fprintf(err, "vmmsim debug: the strategy must be canonical or random\n");
        return XPL_EXIT_USAGE;
    }
    dbg_sess *s = calloc(1, sizeof *s);
    if (!s || !(s->stack = malloc(DBG_STACK_BYTES)) || !(s->ck = malloc(DBG_CK_MAX * sizeof *s->ck))
        || !(s->snap = calloc(DBG_SNAP_MAX, sizeof *s->snap))) {
        if (s) { free(s->stack); free(s->ck); }
        free(s);
        fprintf(err, "vmmsim debug: out of memory\n");
        return XPL_EXIT_HOST;
    }
    s->o = *o;
    s->thread_g = -1;
    int rc = load(s, err);
    if (!rc && (dbg_s_restart(s) || dbg_s_goto(s, 1))) {
        fprintf(err, "vmmsim debug: cannot build the machine\n");
        rc = XPL_EXIT_HOST;
    }
    if (rc) { dbg_sess_free(s); return rc; }
    s->reexecs = 0;
    s->restores = 0;
    *out = s;
    return 0;
}

void dbg_sess_free(dbg_sess *s) {
    if (!s) return;
    xpl_sim_free(&s->sim);
    xpl_sched_free(&s->sched);
    free(s->stack);
    free(s->ck);
    for (uint32_t k = 0; s->snap && k < s->nsnap; k++) vmm_snap_close(&s->snap[k].sn);
    free(s->snap);
    free(s);
}

vmm_state *dbg_sess_vmm(dbg_sess *s) { assert(s); return s->sim.v; }
uint64_t dbg_sess_steps(const dbg_sess *s) { assert(s); return s->steps; }
int dbg_sess_ended(const dbg_sess *s) { assert(s); return s->co == DBG_CO_DONE; }
const scen *dbg_sess_scen(const dbg_sess *s) { assert(s); return &s->sim.s; }
uint64_t dbg_sess_reexecs(const dbg_sess *s) { assert(s); return s->reexecs; }
uint64_t dbg_sess_restores(const dbg_sess *s) { assert(s); return s->restores; }
