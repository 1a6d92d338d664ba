/*
** dbg_int.h — debug/'s internals shared between its files (prefix dbg_s_ for the
** session's run control in sess.c, dbg_m_ for the monitor). Not installed.
*/
#ifndef VMMSIM_DBG_INT_H
#define VMMSIM_DBG_INT_H

#include <ucontext.h>

#include "dbg.h"

#pragma GCC visibility push(hidden)

/* Why the run paused (the stop reply says it). */
enum dbg_why {
    DBG_WHY_NONE = 0,
    DBG_WHY_STEP,        /* a step, a goto (reverse step, monitor record) arrived */
    DBG_WHY_SWBREAK,     /* a Z0 breakpoint's address is about to execute */
    DBG_WHY_HWBREAK,     /* a Z1 breakpoint's */
    DBG_WHY_WATCH,       /* a Z2 watchpoint's bytes changed (why_addr) */
    DBG_WHY_RWATCH,      /* guest code read a Z3 watchpoint's bytes */
    DBG_WHY_AWATCH,      /* guest code read or wrote a Z4 watchpoint's bytes */
    DBG_WHY_FINDING,     /* a FINDING record was appended (stop_on_finding) */
    DBG_WHY_INTR,        /* Ctrl-C */
    DBG_WHY_SLICE,       /* DBG_SLICE_STEPS ran: poll the socket, go on */
    DBG_WHY_BEGIN,       /* a reverse command reached the first instruction */
    DBG_WHY_END          /* the run ended (vmm_run returned) */
};

/* What the step hook checks. */
enum dbg_mode {
    DBG_MODE_GOTO = 1,   /* pause at step stop_at (or at the first step after record
                            rec_at was appended, when rec_at is set) */
    DBG_MODE_CONT,       /* pause at a breakpoint, watchpoint, finding, Ctrl-C or slice end */
    DBG_MODE_SCAN        /* run to stop_at, remembering the last hit before it */
};

enum { DBG_CO_NONE = 0, DBG_CO_PAUSED, DBG_CO_DONE };

typedef struct dbg_bp { uint32_t addr; int hw; } dbg_bp;
/* A fast-forward point: a step that was the first at its instruction count. */
typedef struct dbg_ck { uint64_t steps, icount; } dbg_ck;
/* A whole-machine snapshot (vmm_snap) at a VMM step, with the session's position there. */
typedef struct dbg_snap {
    vmm_snap sn;
    uint64_t steps;            /* step hooks before it: the next is step steps + 1 */
    uint64_t last_icount;
    int      finding_new;
} dbg_snap;
typedef struct dbg_wp {
    uint32_t addr, len;
    int      type;                 /* 2 write, 3 read, 4 access (Z2-Z4) */
    uint8_t  last[DBG_WP_LEN_MAX]; /* its bytes at the last step */
} dbg_wp;

struct dbg_sess {
    dbg_opts  o;
    xpl_sim   sim;             /* the scenario; sim.v the machine of this execution */
    xpl_sched sched;           /* the schedule replayed (sched.n 0: none) */
    eng_plan  plan;            /* without a schedule */
    /* the run as a coroutine, paused inside the cpu step hook */
    ucontext_t main_uc, co_uc;
    uint8_t  *stack;
    int       co;              /* DBG_CO_* */
    int       run_rc;          /* vmm_run's result once DONE */
    void     *asan_fake, *asan_main_fake;   /* AddressSanitizer's fiber bookkeeping */
    const void *asan_bottom;
    size_t    asan_size;
    /* the position: step hooks (instructions about to run) since the run began */
    uint64_t  steps;
    int       mode;
    uint64_t  stop_at;         /* GOTO, SCAN */
    uint64_t  rec_at;          /* GOTO: records to wait for (0: none) */
    uint64_t  slice_end;       /* CONT */
    uint64_t  scan_hit;        /* SCAN: the last step with a hit before stop_at (0 none) */
    int       scan_why;
    uint32_t  scan_addr;
    int       why;             /* of the last pause */
    uint32_t  why_addr;
    int       intr;            /* Ctrl-C pending */
    int       finding_new;     /* a FINDING record since the last step */
    int       running;         /* a c/s/vCont is in progress */
    int       step_once;       /* that one is a single step */
    uint64_t  reexecs;
    dbg_ck   *ck;              /* fast-forward points, by step (DBG_CK_MAX) */
    uint32_t  nck;
    uint64_t  last_icount;     /* the instruction count at the last step */
    int       ff_pending;      /* a re-execution skips the hook up to ff_icount ... */
    uint64_t  ff_steps, ff_icount;   /* ... where it is step ff_steps */
    int       ff_broken;       /* it was not (a broken determinism: a vmmsim bug) */
    dbg_snap *snap;            /* snapshots by step (DBG_SNAP_MAX, DBG_SNAP_BYTES) */
    uint32_t  nsnap;
    size_t    snap_bytes;      /* held by them */
    int       resume;          /* the coroutine resumes a restored machine (vmm_resume) */
    uint64_t  restores;        /* re-executions that began at a snapshot */
    dbg_bp    bp[DBG_BP_MAX];   uint32_t nbp;
    dbg_wp    wp[DBG_WP_MAX];   uint32_t nwp;
    int       thread_g;        /* Hg: context whose registers g/p read (-1: the current) */
};

/* rsp.c: a hex digit's value, -1 for any other character */
int  dbg_hexval(int ch);

/* sess.c: run control */
int  dbg_s_restart(dbg_sess *s);                   /* a fresh machine at step 0; 0 or -1 */
int  dbg_s_restart_before(dbg_sess *s, uint64_t step); /* at the last snapshot before step */
void dbg_s_resume(dbg_sess *s);                    /* runs until the hook pauses or the end */
int  dbg_s_goto(dbg_sess *s, uint64_t step);       /* re-executes to step (1..); 0 or -1 */
int  dbg_s_goto_record(dbg_sess *s, uint64_t rec); /* to the first step after record rec */
int  dbg_s_reverse_cont(dbg_sess *s);              /* to the last hit before now */
void dbg_s_wp_refresh(dbg_sess *s);                /* watchpoints' bytes from memory now */
int  dbg_s_wp_sync(dbg_sess *s);                   /* Z3/Z4 onto the CPU's host watches */
int  dbg_s_linear(dbg_sess *s, uint32_t *eip_lin); /* CS.base + EIP of the current context */

/* monitor.c: qRcmd */
void dbg_m_command(dbg_sess *s, dbg_rsp *r, const char *cmd);

#pragma GCC visibility pop

#endif
