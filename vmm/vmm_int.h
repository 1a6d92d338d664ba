/*
** vmm_int.h — internals of the simulated VMM, shared by the files of vmm/: the machine
** state (vmm_state) and the core files' functions. Limits and shared types are in
** vmm_base_int.h; each later feature has its own header (trap_int.h, client_int.h,
** hook_int.h, simc_int.h, nest_int.h, life_int.h).
** The model and its choices are described in docs/vmm.md.
*/
#ifndef VMMSIM_VMM_INT_H
#define VMMSIM_VMM_INT_H

#include <stdint.h>

#include "vmmsim_assert.h"

#include "vmm.h"
#include "vmm_trace.h"
#include "vmm_base_int.h"
#include "trap_int.h"
#include "client_int.h"
#include "hook_int.h"
#include "simc_int.h"
#include "nest_int.h"
#include "life_int.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

/* ---- state a run changes, one struct per feature ------------------------------
** Each struct belongs to the file named in its comment: only that file's reset
** function clears it (vmm_reset calls them all, vmm.c), and the file is the home of
** the rules it implements. Tables the machine allocates once (idle, nc, ts, the
** event lists) keep their storage across resets; only their counts are cleared. */

/* The run itself (run.c): current VM, loaded context, reschedule requests. */
typedef struct vmm_run_st {
    uint32_t cur;             /* current VM */
    int      oncpu;           /* context loaded on the CPU, -1: none */
    int      booted;
    int      need_resched;
    int      sw_reason;       /* enum vmm_sw_reason of the pending reschedule */
    int      entered;         /* the VMM was entered since guest code last ran */
    int      ended;
    int      err;
    uint64_t progress_cycle;  /* last VMM entry (hang detection) */
    uint32_t npend;           /* stimuli fired but not yet taken effect, FIFO (v->pend) */
    uint32_t nfind;           /* findings reported (kept: min(n, VMM_FINDINGS_MAX)) */
    uint32_t nfind_code[VMM_FND_COUNT];     /* reported, by code (kept or not) */
    uint32_t nstim_fired;     /* stimulus events dispatched (END-1) */
    int      end_reason;      /* VMM_END_* of the finished run */
    uint32_t nsites;          /* patched call sites remembered (v->sites) */
    uint32_t nwait;           /* windowed stimuli waiting for a later step (window.c) */
    uint64_t step;            /* run-loop iterations: the VMM steps a window spans */
    uint64_t loop_last;       /* the loop's last cycle seen, and steps since it moved */
    uint64_t loop_still;      /* (livelock detection; here so that a snapshot has them) */
} vmm_run_st;

/* The critical section, CS-1 … CS-7 (crit.c). */
typedef struct vmm_crit_st {
    int      owner;           /* VM index, -1: free */
    uint32_t count;
    uint64_t wait_seq;        /* last blocking order handed out (CS-3 FIFO) */
} vmm_crit_st;

/* Call_When_Not_Critical, NC-1 … NC-4 (nc.c). */
typedef struct vmm_nc_st {
    uint32_t *cb, *ref;       /* installed callbacks and their reference data */
    uint32_t  n;
    uint32_t  owed;           /* releases whose callback has not run yet (NC-2) */
    uint32_t  rel_n;          /* AMB-1: callbacks installed at the last release (0: none) */
    int       asked;          /* AMB-3: the owed call's place was decided */
    int       at_return;      /* AMB-3: it waits for the releasing code to return */
} vmm_nc_st;

/* Call_When_Idle, IDLE-1 … IDLE-5 (idle.c). */
typedef struct vmm_idle_st {
    uint32_t *cb;             /* the table, install order */
    uint32_t  n;
} vmm_idle_st;

/* Call_When_Task_Switched, TS-1 (sched.c). */
typedef struct vmm_ts_st {
    uint32_t *cb;             /* install order */
    uint32_t  n;
    uint32_t  old;            /* the VM switched away from (TS-1 EAX) */
} vmm_ts_st;

/* Events and priority events, EV-1 and EV-2 (event.c). */
typedef struct vmm_ev_st {
    vmm_ev  *list;            /* pending, in schedule order; cap entries */
    uint32_t *cand;           /* scratch for the runnable ones; cap entries */
    uint32_t cap;             /* machine.event_capacity */
    uint32_t n;
    uint32_t serial;          /* last handle serial number (every handle kind) */
} vmm_ev_st;

/* Time-outs and the timer tick, TO-1 (timer.c). */
typedef struct vmm_tm_st {
    vmm_ev  *list;            /* pending time-outs, in set order; cap entries */
    uint32_t cap;             /* machine.event_capacity */
    uint32_t n;
    int      tick_armed;      /* a timer tick event is queued */
    uint64_t tick_seq, tick_cycle, tick_k, ticks_done;
} vmm_tm_st;

/* Hardware interrupts and VPICD, INT-1 (vpicd.c). */
typedef struct vmm_pic_st {
    vmm_irq  irq[VMM_IRQS];
    int      in_hwint;        /* a hardware-interrupt procedure runs */
    uint32_t hold;            /* instructions still to run before delivering (IRQ_BOUNDARY) */
    uint16_t fresh;           /* IRQs raised at this boundary: may ask IRQ_BOUNDARY */
    uint64_t vid_due;         /* VMs with a VID procedure to call (bit per VM) */
    vmm_vid  vid[VMM_VMS_MAX];
} vmm_pic_st;

/* The time slicer, SL-1 (slice.c). */
typedef struct vmm_sl_st {
    uint32_t focus;           /* VM with the execution focus */
    uint32_t ms;              /* granularity: the minimum slice */
    int      owner;           /* VM holding Cur_Run_VM_Boost, -1: none */
    uint32_t last;            /* the last owner: the ring continues after it */
    int      armed;           /* its slice-end event is queued */
    int      due;             /* the slice ended while VxD code ran: rotate after it */
    uint64_t seq;             /* that event's queue seq */
    uint64_t serial;          /* slices started (the slice-end event's payload) */
} vmm_sl_st;

/* Footprints for partial-order reduction (por.c); the tables are allocated when
** VMM_EXPLORE_FOOTPRINT is first set. */
#define VMM_POR_IDS_POOL (1u << 20)
#define VMM_POR_TRIG_MAX 8u   /* a delay's triggers before one entry; more: coarse rule */
enum vmm_por_tag { VMM_POR_CRIT = 1, VMM_POR_NC, VMM_POR_IDLE, VMM_POR_TS, VMM_POR_EV,
                   VMM_POR_TM, VMM_POR_SERIAL, VMM_POR_SCHED, VMM_POR_PEND, VMM_POR_IRQ,
                   VMM_POR_MISC, VMM_POR_OBSERVED, VMM_POR_HOOK, VMM_POR_TAG_COUNT };
typedef struct vmm_por_st {
    vmm_footprint *fp;        /* per step: its segment; NULL: footprints off */
    uint32_t *off;            /* per step s: its ids are ids[off[s], off[s + 1]) */
    int32_t  *dec;            /* per step: its decision, -1: one option */
    uint32_t *ser;            /* per step: v->ev.serial when its segment ended */
    uint32_t  ser0;           /* v->ev.serial when step 0 began (boot's handles are older) */
    uint32_t *dstep;          /* per decision: its step */
    uint64_t *cyc;            /* per step: the cycle it began at; cyc[n]: the run's end */
    uint64_t *idle;           /* per step: cycles its segment skipped, no code to run */
    uint64_t *due;            /* per step: the cycle it can begin at the earliest, 0: any */
    int       step_new;       /* the last choice point recorded a step (vmmi_por_due) */
    uint64_t  idle_cur;       /* the same for the segment being recorded */
    uint64_t *ids;
    uint32_t  n, ndec, nids;
    vmm_footprint cur;        /* the segment being recorded */
    uint32_t  obs[VMM_OBSERVED_MAX], nobs;   /* vmm_set_observed: kept across resets */
    int       obs_time, obs_all;
    vmm_within win[VMM_WITHIN_MAX];          /* vmm_set_observed_within: kept across resets */
    uint32_t  nwin;
    uint32_t  ntrig[VMM_WITHIN_MAX];         /* per delay: triggers waiting for their entry */
    uint64_t  trig_cyc[VMM_WITHIN_MAX][VMM_POR_TRIG_MAX];
    int64_t   trig_step[VMM_WITHIN_MAX][VMM_POR_TRIG_MAX];   /* their steps, -1: before any */
    uint8_t   trig_open[VMM_WITHIN_MAX];     /* of those, in the open segment */
    uint8_t   trig_ovf[VMM_WITHIN_MAX];      /* a trigger was not kept: coarse rule */
} vmm_por_st;

/* Port I/O (io.c). */
typedef struct vmm_io_st {
    vmm_io   pend[VMM_IO_PEND_MAX];   /* accesses of the running instruction */
    uint32_t n;
    uint32_t lost;            /* accesses beyond pend (an invariant broken) */
} vmm_io_st;

struct vmm_state {
    const vmm_scenario *s;
    vmm_machine m;            /* s->m with defaults filled in */
    uint32_t  nvms, sys, nctx;
    uint8_t  *ram, *ram0;     /* guest RAM and its image right after vmm_new */
    uint32_t  ram_size;
    cpu_state *cpu;
    cpu_regs  regs0;          /* flat ring-0 template: segments, GDTR, CR0 */
    eng_queue *q;
    eng_chooser ch;
    eng_trace tr;
    vmm_vm    vm[VMM_VMS_MAX];
    vmm_ctx  *ctx;            /* nctx = nvms + 1; the last is the VMM's */
    uint32_t *pend;           /* pending stimuli (indexes) */
    uint64_t *wait;           /* per stimulus: 1 + the step it was last offered at while
                                 it waits (window steps), 0: not waiting */
    unsigned  explore;        /* VMM_EXPLORE_* (vmm_set_explore), kept across resets */
    uint32_t *sites;          /* patched call sites (open addressing, 0 = empty) */
    vmm_finding *find;
    struct vmm_lab { uint32_t addr, order; char name[VMM_NAME_MAX * 3]; } *lab;
    uint32_t  nlab;
    vmm_run_st  run;          /* run.c */
    vmm_crit_st crit;         /* crit.c */
    vmm_nc_st   nc;           /* nc.c */
    vmm_idle_st idle;         /* idle.c */
    vmm_ts_st   ts;           /* sched.c */
    vmm_ev_st   ev;           /* event.c */
    vmm_tm_st   tm;           /* timer.c */
    vmm_pic_st  pic;          /* vpicd.c */
    vmm_sl_st   sl;           /* slice.c */
    vmm_io_st   io;           /* io.c */
    vmm_trap_st trap;         /* trap.c */
    vmm_hk_st   hk;           /* hook.c */
    vmm_por_st  por;          /* por.c */
    vmm_nx_st   nx;           /* nest.c */
    vmm_life_st life;         /* life.c */
    char      errmsg[256];
    vmm_rec_hook rec_hook;    /* host-side observer (vmm_set_rec_hook), or NULL */
    void     *rec_hook_ud;
    uint32_t  tss;            /* client.c: the TSS (I/O bitmap) client code runs with, 0: none */
    vmm_port *ports;          /* s->ports sorted by port (binary search), or NULL */
    uint32_t  nports;
    vmm_loop_hook loop_hook;  /* host-side observer (vmm_set_loop_hook), or NULL */
    void     *loop_hook_ud;
    uint64_t  loop_slice;     /* its guest-run cut, cycles (0: none) */
};

/* Frames of context ci that run VxD code now: its depth less the frames a Resume_Exec
** parked (NX-1: they wait for the VM's nested client code, which runs meanwhile). */
static inline uint32_t vmmi_ctx_live(const vmm_state *v, uint32_t ci) {
    uint32_t d = v->ctx[ci].depth, n = ci < v->nvms ? v->nx.vm[ci].npark : 0;
    return n ? d - v->nx.vm[ci].park[n - 1].depth : d;
}

/* ---- callback kinds: each kind's steps, exported by its home file (vmm_base_int.h) */
extern const vmmi_cb_ops vmmi_idle_ops;      /* idle.c: VMM_CB_IDLE */
extern const vmmi_cb_ops vmmi_nc_ops;        /* nc.c: VMM_CB_NC */
extern const vmmi_cb_ops vmmi_ts_ops;        /* sched.c: VMM_CB_TS */
extern const vmmi_cb_ops vmmi_ev_ops;        /* event.c: VMM_CB_EVENT */
extern const vmmi_cb_ops vmmi_ev_prio_ops;   /* event.c: VMM_CB_PRIO */
extern const vmmi_cb_ops vmmi_tm_ops;        /* timer.c: VMM_CB_TIMEOUT */
extern const vmmi_cb_ops vmmi_irq_hw_ops;    /* vpicd.c: VMM_CB_HWINT */
extern const vmmi_cb_ops vmmi_irq_vid_ops;   /* vpicd.c: VMM_CB_VID_* */
/* vmm.c */
int  vmmi_fail(vmm_state *v, int err, const char *fmt, ...);
uint32_t vmmi_client_ptr(const vmm_state *v, uint32_t vm);
uint32_t vmmi_status(vmm_state *v, uint32_t vm);
void vmmi_status_set(vmm_state *v, uint32_t vm, uint32_t set, uint32_t clear);
int  vmmi_block_of(const vmm_state *v, uint32_t handle);   /* control block index, -1 */
int  vmmi_vm_of_handle(const vmm_state *v, uint32_t handle);
uint64_t vmmi_cycles(const vmm_state *v);
void vmmi_charge(vmm_state *v, uint64_t cycles);

/* trace.c */
void vmmi_rec(vmm_state *v, uint16_t type, uint8_t n, uint64_t a0, uint64_t a1, uint64_t a2,
             uint64_t a3, uint64_t a4, uint64_t a5);
void vmmi_rec_vmstate(vmm_state *v, uint32_t vm, int state);
void vmmi_rec_machine(vmm_state *v);   /* MACHINE: the effective vmm_machine, after BOOT */
void vmmi_finding_add(vmm_state *v, int code, uint32_t vm, uint32_t addr, uint64_t a3,
                     uint64_t a4, uint64_t a5, const char *text);
uint32_t vmmi_choose(vmm_state *v, uint32_t kind, uint32_t n);
/* With each option's identity (ids, por.c) and source (src, ENG_SRC_*, which PCT orders
** by, docs/fuzzing.md); either may be NULL. */
uint32_t vmmi_choose_opts(vmm_state *v, uint32_t kind, uint32_t n, const uint64_t *ids,
                          const uint64_t *src);
const char *vmmi_control_msg_name(uint32_t msg);
const char *vmmi_cb_kind_name(uint32_t kind);   /* "idle", "nc", ... as CB_ENTER names it */

/* ctx.c */
void vmmi_ctx_load(vmm_state *v, uint32_t ci);
void vmmi_ctx_unload(vmm_state *v);
int  vmmi_ctx_start(vmm_state *v, uint32_t ci, int kind, uint32_t index, uint32_t svc,
               const vmm_sregs *out);
int  vmmi_ctx_start_cb(vmm_state *v, uint32_t ci, int kind, const vmm_cbargs *a, uint32_t svc,
                  const vmm_sregs *out);
int  vmmi_ctx_enter(vmm_state *v, uint32_t ci, vmm_frame *f, const vmmi_cb_regs *in);
int  vmmi_ctx_step_one(vmm_state *v, uint32_t ci, vmm_frame *f);
int  vmmi_ctx_int_time(const vmm_state *v, uint32_t ci, int *int_vmm);
int  vmmi_ctx_on_return(vmm_state *v);
void vmmi_ctx_regs_fresh(const vmm_state *v, uint32_t ci, cpu_regs *r);
void vmmi_sregs_get(vmm_state *v, vmm_sregs *r);
void vmmi_sregs_put(vmm_state *v, const vmm_sregs *r);

/* sched.c */
int  vmmi_vm_ready(vmm_state *v, uint32_t vm);
int  vmmi_sched_resched(vmm_state *v);
int  vmmi_sched_switch(vmm_state *v, uint32_t to, int reason);
void vmmi_sched_set_pri(vmm_state *v, uint32_t vm, int64_t boost, int reason);
int  vmmi_sched_suspend(vmm_state *v, uint32_t vm);
int  vmmi_sched_resume(vmm_state *v, uint32_t vm, int no_fail);
void vmmi_sched_idle(vmm_state *v, uint32_t vm);
void vmmi_sched_wake(vmm_state *v, uint32_t vm);
int  vmmi_sched_release_slice(vmm_state *v, uint32_t vm);
void vmmi_sched_became_ready(vmm_state *v, uint32_t vm);
uint32_t vmmi_sched_max_pri(const vmm_state *v);

/* sched.c: task-switch callbacks (TS-1) */
void vmmi_ts_reset(vmm_state *v);
int  vmmi_ts_svc(vmm_state *v, vmm_call *c, uint32_t num);

/* nc.c (NC-1 … NC-4) */
void vmmi_nc_reset(vmm_state *v);
int  vmmi_nc_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_nc_released(vmm_state *v);
int  vmmi_nc_due(vmm_state *v);
int  vmmi_nc_start(vmm_state *v);

/* idle.c (IDLE-1 … IDLE-5) */
void vmmi_idle_reset(vmm_state *v);
int  vmmi_idle_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_idle_kernel_idle(vmm_state *v, vmm_call *c);

/* crit.c */
void vmmi_crit_reset(vmm_state *v);
int  vmmi_crit_claim(vmm_state *v, vmm_call *c, uint32_t n);
void vmmi_crit_end(vmm_state *v, vmm_call *c, uint32_t n);
void vmmi_crit_drop(vmm_state *v, uint32_t vm);   /* life.c: a destroyed owner's claims end */

/* svc.c */
int  vmmi_svc_dispatch(vmm_state *v, vmm_call *c);
int  vmmi_svc_finish(vmm_state *v, vmm_call *c);
const char *vmmi_svc_name(uint32_t dword, char *buf, size_t len);
void vmmi_svc_ret_record(vmm_state *v, uint32_t dword, uint32_t vm, const vmm_sregs *r);
int  vmmi_svc_vm_arg(vmm_state *v, const vmm_call *c, uint32_t handle);   /* VM index, or -1 and failed */
int  vmmi_svc_table_add(vmm_state *v, uint32_t *tab, uint32_t *n, uint32_t cap, uint32_t cb,
                        const char *what);   /* NC-1, TS-1: VMM_ELIMIT when full */
/* where.c: the VxD whose image holds addr (-1: none); addr as "VXD.label+off"; a
** callback address passed to a service must lie in a VxD image (else VMM_EGUEST). */
int  vmmi_vxd_of_addr(const vmm_state *v, uint32_t addr);
const char *vmmi_where(const vmm_state *v, uint32_t addr, char *buf, size_t len);
int  vmmi_svc_check_cb(vmm_state *v, const vmm_call *c, uint32_t cb, const char *what);

/* run.c */
void vmmi_run_reset(vmm_state *v);
void vmmi_stim_fire(vmm_state *v, uint32_t i);
int  vmmi_run_loop(vmm_state *v);
int  vmmi_run_target_ctx(vmm_state *v, int *vxd_running);

/* por.c (footprints, VMM_EXPLORE_FOOTPRINT) */
int  vmmi_por_open(vmm_state *v);
void vmmi_por_free(vmm_state *v);
void vmmi_por_reset(vmm_state *v);
void vmmi_por_tag(vmm_state *v, uint32_t tag, int write);
void vmmi_por_time(vmm_state *v);
void vmmi_por_time_read(vmm_state *v, uint64_t lo_cyc, uint64_t hi_cyc);
void vmmi_por_idle(vmm_state *v, uint64_t to_cyc);
void vmmi_por_mem(vmm_state *v, uint32_t lin, uint32_t n, int write);
void vmmi_por_step(vmm_state *v, uint32_t n, const uint64_t *ids);
void vmmi_por_finish(vmm_state *v);
void vmmi_por_enter(vmm_state *v, uint32_t cb);
void vmmi_por_due(vmm_state *v, uint64_t at_cyc);
/* por_within.c (a `within` expectation's delays, vmm_set_observed_within) */
void vmmi_por_within_reset(vmm_state *v);
void vmmi_por_within_stim(vmm_state *v, uint32_t i);
void vmmi_por_within_enter(vmm_state *v, uint32_t cb);
void vmmi_por_within_close(vmm_state *v);

/* nc.c (AMB-3: where the owed call runs; 1 = not nested in VM ci's running code now) */
int  vmmi_nc_waits(vmm_state *v, uint32_t ci);

/* window.c (window steps, vmm_set_explore) */
int      vmmi_win_defer(vmm_state *v, uint32_t i);
void     vmmi_win_offer(vmm_state *v);
uint64_t vmmi_win_until(const vmm_state *v);

/* event.c (EV-1, EV-2) */
void vmmi_ev_reset(vmm_state *v);
int  vmmi_ev_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_ev_work(vmm_state *v);
void vmmi_ev_prio_timed_out(vmm_state *v, uint32_t handle);
uint32_t vmmi_ev_serial(vmm_state *v, uint32_t tag);

/* timer.c (TO-1) */
void vmmi_tm_reset(vmm_state *v);
int  vmmi_tm_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_tm_tick(vmm_state *v, uint64_t k);
void vmmi_tm_switch(vmm_state *v, uint32_t old, uint32_t to);
void vmmi_tm_arm(vmm_state *v);
int  vmmi_tm_work(vmm_state *v);
int  vmmi_tm_has_work_for(const vmm_state *v, uint32_t vm);
int  vmmi_tm_set(vmm_state *v, int type, uint32_t vm, uint32_t ms, uint32_t cb, uint32_t ref,
            uint32_t link, uint32_t *handle);
void vmmi_tm_cancel(vmm_state *v, uint32_t handle, int quiet);
uint64_t vmmi_tm_sys_ms(const vmm_state *v);

/* slice.c (SL-1) */
int  vmmi_sl_on(const vmm_state *v);
int  vmmi_sl_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_sl_check(vmm_state *v);
void vmmi_sl_end(vmm_state *v, uint64_t serial);
int  vmmi_sl_release(vmm_state *v, uint32_t vm);
void vmmi_sl_reset(vmm_state *v);

/* io.c (port I/O) */
void vmmi_io_reset(vmm_state *v);
int  vmmi_io_check(const vmm_scenario *s, char *why, size_t n);
int  vmmi_io_init(vmm_state *v, cpu_bus *bus);
void vmmi_io_flush(vmm_state *v);
uint32_t vmmi_io_bus(vmm_state *v, uint16_t port, unsigned size, int out, uint32_t value);

/* run.c: an INT 2Fh entry point taken from a stimulus or client code (path) */
int  vmmi_run_int2f(vmm_state *v, uint32_t vm, uint32_t dword, int path, uint32_t eax);

int  vmmi_ev_cancel_handle(vmm_state *v, uint32_t handle);   /* event.c: any kind, quietly */

/* vpicd.c (INT-1) */
void vmmi_irq_reset(vmm_state *v);
int  vmmi_irq_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_irq_raise(vmm_state *v, uint32_t irq);
int  vmmi_irq_deliver(vmm_state *v);
int  vmmi_irq_work(vmm_state *v);
void vmmi_irq_iret(vmm_state *v, uint32_t vm);
int  vmmi_irq_vid_work(vmm_state *v);
void vmmi_irq_iret_timeout(vmm_state *v, uint32_t vm, uint64_t seq);
int  vmmi_svc_async(uint32_t dword);

#pragma GCC visibility pop

#endif
