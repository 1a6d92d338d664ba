/*
** check.c — vmm_check: the VMM's invariants, walked over the whole machine.
**
** The test build (CMake option VMMSIM_CHECKS, on by default) runs the walk after
** every dispatch of the run loop (run.c), so a broken invariant stops the run where
** it broke instead of surfacing later as a wrong trace. docs/vmm.md, "Invariants",
** lists them. Each walk is bounded by the machine's limits (VMs, contexts, frames,
** table sizes), never by data it reads.
*/
#include <stdarg.h>
#include <stdio.h>

#include "vmm_int.h"

#define CHECK_FAIL (-1)

/* Records why the first broken invariant broke; returns CHECK_FAIL. */
static int broken(char *why, size_t len, const char *fmt, ...) {
    assert(fmt != NULL);
    va_list ap;
    if (!why || len == 0) return CHECK_FAIL;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return CHECK_FAIL;
}

/* The run: current VM and loaded context in range; the time slicer's VMs valid. */
static int check_run(const vmm_state *v, char *why, size_t len) {
    assert(v->s != NULL && v->ctx != NULL);
    if (v->nvms == 0 || v->nvms > VMM_VMS_MAX || v->nctx != v->nvms + 1 || v->sys >= v->nvms)
        return broken(why, len, "machine shape: %u VMs, %u contexts, system VM %u", v->nvms, v->nctx, v->sys);
    if (v->run.cur >= v->nvms)
        return broken(why, len, "current VM %u is not one of the %u VMs", v->run.cur, v->nvms);
    if (v->run.oncpu < -1 || v->run.oncpu >= (int)v->nctx)
        return broken(why, len, "loaded context %d out of range", v->run.oncpu);
    if (v->run.npend > v->s->nstim)
        return broken(why, len, "%u pending stimuli, more than the %u there are", v->run.npend, v->s->nstim);
    if (v->run.nsites >= VMM_SITES)
        return broken(why, len, "%u patched call sites fill the table (%u)", v->run.nsites, VMM_SITES);
    if (v->sl.focus >= v->nvms || v->sl.owner < -1 || v->sl.owner >= (int)v->nvms)   /* SL-1 */
        return broken(why, len, "time slicer: focus %u, owner %d", v->sl.focus, v->sl.owner);
    return VMM_OK;
}

/* CS-1 … CS-3: at most one owner, with a claim count; waiters only while owned. */
static int check_crit(const vmm_state *v, char *why, size_t len) {
    assert(v->nctx == v->nvms + 1);
    int owner = v->crit.owner;
    if (owner < -1 || owner >= (int)v->nvms)
        return broken(why, len, "critical-section owner %d is not a VM", owner);
    if ((owner < 0) != (v->crit.count == 0))
        return broken(why, len, "critical section: owner %d with claim count %u", owner, v->crit.count);
    if (owner >= 0 && v->ctx[owner].blocked)
        return broken(why, len, "critical-section owner %d waits for the section", owner);
    for (uint32_t i = 0; i < v->nvms; i++)
        if (v->ctx[i].blocked && owner < 0)
            return broken(why, len, "VM %u waits for a free critical section", i);
    if (v->ctx[v->nvms].blocked)
        return broken(why, len, "the VMM's own context waits for the critical section");
    return VMM_OK;
}

/* Every context's frame stack within VMM_FRAMES_MAX, each frame of a known kind. */
static int check_ctx(const vmm_state *v, char *why, size_t len) {
    assert(v->ctx != NULL && v->nctx <= VMM_VMS_MAX + 1);
    for (uint32_t ci = 0; ci < v->nctx; ci++) {
        const vmm_ctx *c = &v->ctx[ci];
        if (c->depth > VMM_FRAMES_MAX)
            return broken(why, len, "context %u nests %u callbacks (limit %u)", ci, c->depth, VMM_FRAMES_MAX);
        for (uint32_t k = 0; k < c->depth; k++) {
            const vmm_frame *f = &c->frame[k];
            if (f->kind == 0 || f->kind >= VMM_CB_KIND_COUNT || f->vm >= v->nvms)
                return broken(why, len, "context %u frame %u: kind %u, VM %u", ci, k, f->kind, f->vm);
            if (f->has_caller != (k > 0))
                return broken(why, len, "context %u frame %u: has_caller %u", ci, k, f->has_caller);
        }
    }
    return VMM_OK;
}

/* Pending counts within their capacities (NC-1, NC-2, IDLE-1, TS-1, EV, TO, I/O). */
static int check_counts(const vmm_state *v, char *why, size_t len) {
    assert(v->nc.cb && v->idle.cb && v->ts.cb);
    const vmm_machine *m = &v->m;
    if (v->nc.n > m->nc_slots || v->nc.owed > v->nc.n)
        return broken(why, len, "not-critical callbacks: %u installed (%u slots), %u owed",
                      v->nc.n, m->nc_slots, v->nc.owed);
    if (v->idle.n > m->idle_slots)
        return broken(why, len, "%u idle callbacks in %u slots", v->idle.n, m->idle_slots);
    if (v->ts.n > m->ts_slots || v->ts.old >= v->nvms)
        return broken(why, len, "task-switch callbacks: %u in %u slots, old VM %u", v->ts.n, m->ts_slots, v->ts.old);
    if (v->ev.n > v->ev.cap || v->tm.n > v->tm.cap || v->ev.cap != v->m.event_capacity
        || v->tm.cap != v->m.event_capacity)
        return broken(why, len, "%u events and %u time-outs pending (limit %u each)", v->ev.n, v->tm.n,
                      v->m.event_capacity);
    if (v->io.n > VMM_IO_PEND_MAX)
        return broken(why, len, "%u port accesses held (limit %u)", v->io.n, VMM_IO_PEND_MAX);
    if (v->hk.n > VMM_HOOKS_MAX)   /* HK-3 */
        return broken(why, len, "%u V86 interrupt hooks (limit %u)", v->hk.n, VMM_HOOKS_MAX);
    return VMM_OK;
}

/* One pending event or time-out: a VM target names a VM, a handle has its tag. */
static int check_ev(const vmm_state *v, const vmm_ev *e, const char *what, uint32_t k,
                    uint32_t tag, char *why, size_t len) {
    assert(e && what);
    int has_vm = e->type == VMM_EVT_VM || e->type == VMM_EVT_PRIO;   /* == VMM_TOT_* */
    if (e->type > VMM_EVT_PRIO || (has_vm && e->vm >= v->nvms))
        return broken(why, len, "%s %u (handle 0x%08x): type %u, VM %u", what, k, e->handle, e->type, e->vm);
    if ((e->handle & VMM_H_TAG) != tag && !(tag == VMM_H_EVENT && (e->handle & VMM_H_TAG) == VMM_H_PRIO))
        return broken(why, len, "%s %u has handle 0x%08x", what, k, e->handle);
    return VMM_OK;
}

/* Every queued event's and time-out's VM valid; INT-1 state within its IRQs. */
static int check_queued(const vmm_state *v, char *why, size_t len) {
    assert(v->ev.list && v->tm.list);
    int rc;
    for (uint32_t k = 0; k < v->ev.n; k++)
        if ((rc = check_ev(v, &v->ev.list[k], "event", k, VMM_H_EVENT, why, len))) return rc;
    for (uint32_t k = 0; k < v->tm.n; k++)
        if ((rc = check_ev(v, &v->tm.list[k], "time-out", k, VMM_H_TIMEOUT, why, len))) return rc;
    for (uint32_t i = 0; i < v->nvms; i++) {
        int h = v->vm[i].vhandler;
        if (h < -1 || h >= VMM_IRQS)
            return broken(why, len, "VM %u runs the client handler of IRQ %d", i, h);
    }
    if (v->nvms < 64 && v->pic.vid_due >> v->nvms)   /* no bit beyond the last VM */
        return broken(why, len, "VID procedures due for VMs beyond %u", v->nvms);
    return VMM_OK;
}

/* Client code (client.c): only a VM with a program (a V86 space, which lies in RAM and
** above 1 MiB + HMA) halts or has a simulated interrupt's return address; outside a
** client run the CPU is not in V86 mode. */
static int check_client(const vmm_state *v, char *why, size_t len) {
    assert(v && v->cpu);
    for (uint32_t i = 0; i < v->nvms; i++) {
        const vmm_vm *m = &v->vm[i];
        if (!m->v86 && (m->halted || m->irq_ret))
            return broken(why, len, "VM %u has no client program but is halted or in its handler", i);
        if (v->hk.hw_due[i] && (!m->v86 || m->vhandler < 0))   /* HK-1: a simulated interrupt's hooks */
            return broken(why, len, "VM %u has hooks of interrupt %02Xh due but no simulated interrupt", i,
                          v->hk.hw_due[i] & 0xFFu);
        if (m->v86 && (m->v86 < VMM_V86_SIZE || m->v86 > v->ram_size - VMM_V86_SIZE || !v->tss))
            return broken(why, len, "VM %u's V86 space 0x%08x is outside RAM or has no TSS", i, m->v86);
    }
    if (cpu_get_eflags(v->cpu) & CPU_VM)
        return broken(why, len, "the CPU is left in V86 mode outside client code");
    return VMM_OK;
}

/* IOT-2: a VM emulates a trapped instruction exactly while its context holds the
** VMM_CB_IOTRAP frame; the handler table fits; trapping names only existing VMs. */
static int check_trap(const vmm_state *v, char *why, size_t len) {
    uint64_t vms = v->nvms == 64 ? ~0ull : (1ull << v->nvms) - 1u;
    if (v->trap.n > VMM_TRAP_PORTS_MAX)
        return broken(why, len, "%u I/O handlers, more than %u", v->trap.n, VMM_TRAP_PORTS_MAX);
    for (uint32_t i = 0; i < v->trap.n; i++)
        if (v->trap.port[i].on & ~vms)
            return broken(why, len, "port 0x%04x is trapped in a VM that does not exist", v->trap.port[i].port);
    for (uint32_t i = 0; i < v->nvms; i++) {
        const vmm_trap_run *t = &v->trap.run[i];
        int framed = 0;
        for (uint32_t d = 0; d < v->ctx[i].depth && d < VMM_FRAMES_MAX; d++)
            framed |= v->ctx[i].frame[d].kind == VMM_CB_IOTRAP;
        if (framed != t->active)
            return broken(why, len, t->active ? "VM %u: a trapped instruction in progress without its iotrap frame"
                                              : "VM %u: an iotrap frame without a trapped instruction", i);
        if (t->active && ((t->esize != 1 && t->esize != 2 && t->esize != 4) || t->k >= t->esize ||
                          t->left > VMM_TRAP_REP_MAX))
            return broken(why, len, "VM %u: trapped instruction at byte %u of %u, %u elements left", i,
                          t->k, t->esize, t->left);
    }
    return VMM_OK;
}

int vmm_check(const vmm_state *v, char *why, size_t len) {
    int rc;
    assert(why != NULL || len == 0);
    if (!v) { broken(why, len, "no machine"); return VMM_EBROKEN; }
    if (why && len) why[0] = 0;
    if ((rc = check_run(v, why, len)) || (rc = check_crit(v, why, len)) ||
        (rc = check_ctx(v, why, len)) || (rc = check_counts(v, why, len)) ||
        (rc = check_queued(v, why, len)) || (rc = check_client(v, why, len)) ||
        (rc = check_trap(v, why, len)) ||
        (rc = vmmi_nx_check(v, why, len)) ||
        (rc = vmmi_life_check(v, why, len)))
        return VMM_EBROKEN;
    return VMM_OK;
}
