/*
** event.c — events (EV-1) and priority events (EV-2), and the work the VMM does
** "just before it returns to a VM": simulated interrupts, due time-outs, priority
** events, then global / VM events. docs/vmm.md, "Events", gives the model.
*/
#include <string.h>

#include "vmm_int.h"

void vmmi_ev_reset(vmm_state *v) {
    vmm_ev *list = v->ev.list;   /* storage stays */
    uint32_t *cand = v->ev.cand, cap = v->ev.cap;
    assert(list && cand && cap > 0);
    memset(&v->ev, 0, sizeof v->ev);
    v->ev.list = list;
    v->ev.cand = cand;
    v->ev.cap = cap;
}

uint32_t vmmi_ev_serial(vmm_state *v, uint32_t tag) {
    assert(tag == VMM_H_EVENT || tag == VMM_H_PRIO || tag == VMM_H_TIMEOUT);
    if (v->ev.serial >= VMM_SERIAL_MAX) {
        vmmi_fail(v, VMM_ELIMIT, "more than %u event and time-out handles in one run", VMM_SERIAL_MAX);
        return 0;
    }
    return tag | ++v->ev.serial;
}

static void rec(vmm_state *v, int op, const vmm_ev *e) {
    assert(e->type <= VMM_EVT_PRIO);
    uint64_t vm = e->type == VMM_EVT_GLOBAL ? VMM_NONE : e->vm;
    vmmi_rec(v, VMM_REC_EV, 6, (uint64_t)op | (uint64_t)e->type << 8 | vm << 16, e->handle, e->cb,
            e->ref, e->boost, e->flags);
}

static int find(const vmm_state *v, uint32_t handle) {
    assert(v->ev.n <= v->ev.cap);
    for (uint32_t i = 0; i < v->ev.n; i++)
        if (v->ev.list[i].handle == handle) return (int)i;
    return -1;
}

static void drop(vmm_state *v, uint32_t i) {
    assert(i < v->ev.n);
    memmove(&v->ev.list[i], &v->ev.list[i + 1], (v->ev.n - i - 1) * sizeof *v->ev.list);
    v->ev.n--;
}

static int push(vmm_state *v, const vmm_ev *e) {
    assert(e->handle != 0 && (e->type == VMM_EVT_GLOBAL || e->vm < v->nvms));
    if (v->ev.n >= v->ev.cap)
        return vmmi_fail(v, VMM_ELIMIT, "more than %u events pending (machine.event_capacity)",
                         v->ev.cap);
    v->ev.list[v->ev.n++] = *e;
    rec(v, VMM_EVOP_SCHEDULE, e);
    return VMM_OK;
}

/* ---- running one ----------------------------------------------------------------- */

/* Starts event i (removed from the list) in context ci: from the VMM's return to a
** VM (client level), or nested in the calling service (svc != 0). */
static int run_ev(vmm_state *v, const vmm_ev *e, uint32_t ci, int timed_out) {
    vmmi_por_tag(v, VMM_POR_EV, 0);   /* a Cancel_* of it would change this */
    assert(ci < v->nctx && e->type <= VMM_EVT_PRIO);
    vmm_cbargs a;
    memset(&a, 0, sizeof a);
    a.cb = e->cb;
    a.ebx = v->vm[v->run.cur].handle;
    a.edx = e->ref;
    if (e->type == VMM_EVT_PRIO) {
        a.cf = timed_out != 0;
        if (!timed_out && !(e->flags & PEF_DONT_UNBOOST)) {
            a.unboost_vm = e->vm + 1;
            a.unboost = e->boost;
        }
    }
    rec(v, timed_out ? VMM_EVOP_TIMEOUT : VMM_EVOP_RUN, e);
    return vmmi_ctx_start_cb(v, ci, e->type == VMM_EVT_PRIO ? VMM_CB_PRIO : VMM_CB_EVENT, &a, 0, NULL);
}

/* EV-2: the priority event's callback returned: its boost goes unless PEF_Dont_Unboost. */
static void ev_prio_done(vmm_state *v, const vmm_frame *f) {
    assert(f->kind == VMM_CB_PRIO && f->a.unboost_vm <= v->nvms);
    if (f->a.unboost_vm) vmmi_sched_set_pri(v, f->a.unboost_vm - 1, -(int64_t)f->a.unboost, VMM_PRI_EVENT);
}

/* EV-2 conditions for a priority event of the current VM. */
static int prio_ready(vmm_state *v, const vmm_ev *e) {
    assert(e->type == VMM_EVT_PRIO && e->vm < v->nvms);
    if (e->fired) return 1;                        /* timed out: runs in any VM */
    if (e->vm != v->run.cur) return 0;
    if ((e->flags & PEF_WAIT_NOT_CRIT) && v->crit.owner >= 0) return 0;
    if (e->flags & PEF_WAIT_FOR_STI) {
        uint32_t fl = 0;
        vmm_read(v, vmmi_client_ptr(v, e->vm) + 0x2C, &fl, 4);   /* Client_EFlags */
        vmmi_por_mem(v, vmmi_client_ptr(v, e->vm) + 0x2C, 4, 0);
        if (!(fl & CPU_IF)) return 0;
    }
    return 1;
}

/* The candidates' handles as their identities (partial-order reduction, por.c): a
** handle is fixed from the event's scheduling on. NULL beyond EV_IDS_MAX (no ids). */
#define EV_IDS_MAX 64
static const uint64_t *ev_ids(vmm_state *v, const uint32_t *cand, uint32_t n, uint64_t *ids) {
    assert(cand && ids && n <= v->ev.n);
    if (!v->por.fp || n > EV_IDS_MAX) return NULL;
    for (uint32_t k = 0; k < n; k++) ids[k] = v->ev.list[cand[k]].handle;
    return ids;
}

/* PCT's sources of pending events: each one's callback, the procedure that the
** VxD's code handed the VMM. Only the first ENG_PCT_RANKS_MAX are named (PCT draws
** uniformly beyond that); NULL when there are more. */
static const uint64_t *ev_sources(const vmm_state *v, const uint32_t *cand, uint32_t n,
                                  uint64_t src[ENG_PCT_RANKS_MAX]) {
    assert(cand != NULL && src != NULL && n >= 1);
    if (n > ENG_PCT_RANKS_MAX) return NULL;
    for (uint32_t k = 0; k < n; k++) src[k] = ENG_SRC_CALLBACK(v->ev.list[cand[k]].cb);
    return src;
}

/* The priority events that can run now, most recent first (the canonical LIFO of
** the PRIORITY_EVENT choice); then one is run. */
static int prio_work(vmm_state *v) {
    assert(v->ev.n <= v->ev.cap && v->run.cur < v->nvms);
    uint32_t *cand = v->ev.cand, n = 0;
    uint64_t ids[EV_IDS_MAX], src[ENG_PCT_RANKS_MAX];
    for (uint32_t i = v->ev.n; i-- > 0;)
        if (v->ev.list[i].type == VMM_EVT_PRIO && prio_ready(v, &v->ev.list[i])) cand[n++] = i;
    if (n == 0) return 0;
    uint32_t i = cand[vmmi_choose_opts(v, ENG_CHOICE_PRIORITY_EVENT, n, ev_ids(v, cand, n, ids),
                                       ev_sources(v, cand, n, src))];
    assert(i < v->ev.n && v->ev.list[i].type == VMM_EVT_PRIO);
    vmm_ev e = v->ev.list[i];
    drop(v, i);
    if (e.link && !e.fired) vmmi_tm_cancel(v, e.link, 1);
    run_ev(v, &e, v->run.cur, e.fired);
    return 1;
}

/* Global events and the current VM's VM events, in schedule order (the canonical
** FIFO of the PENDING_EVENT choice). */
static int plain_work(vmm_state *v) {
    assert(v->ev.n <= v->ev.cap && v->run.cur < v->nvms);
    uint32_t *cand = v->ev.cand, n = 0;
    uint64_t ids[EV_IDS_MAX], src[ENG_PCT_RANKS_MAX];
    for (uint32_t i = 0; i < v->ev.n; i++) {
        const vmm_ev *e = &v->ev.list[i];
        if (e->type == VMM_EVT_GLOBAL || (e->type == VMM_EVT_VM && e->vm == v->run.cur)) cand[n++] = i;
    }
    if (n == 0) return 0;
    uint32_t i = cand[vmmi_choose_opts(v, ENG_CHOICE_PENDING_EVENT, n, ev_ids(v, cand, n, ids),
                                       ev_sources(v, cand, n, src))];
    assert(i < v->ev.n && v->ev.list[i].type != VMM_EVT_PRIO);
    vmm_ev e = v->ev.list[i];
    drop(v, i);
    run_ev(v, &e, v->run.cur, 0);
    return 1;
}

static int vm_has_work(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (v->vm[vm].vreq && v->vm[vm].vhandler < 0) return 1;
    for (uint32_t i = 0; i < v->ev.n; i++)
        if ((v->ev.list[i].type == VMM_EVT_VM || v->ev.list[i].type == VMM_EVT_PRIO) && v->ev.list[i].vm == vm) return 1;
    return vmmi_tm_has_work_for(v, vm);
}

/* The VMM is about to return to the current VM's client code (no VxD code runs).
** Returns 1 when it started something. */
int vmmi_ev_work(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t cur = v->run.cur, best;
    if (!v->run.booted) return 0;
    if (v->ev.n == 0 && v->tm.n == 0 && !v->vm[cur].vreq && !v->pic.in_hwint) {
        int any = 0;   /* the common case: nothing of this file's is pending */
        for (uint32_t i = 0; i < v->nvms && !any; i++) any = v->vm[i].vreq != 0;
        if (!any) return 0;
    }
    if (vmmi_vm_ready(v, cur) && vmmi_ctx_live(v, cur) == 0 && v->ctx[v->nvms].depth == 0 &&
        !vmmi_nx_hold(v, cur)) {
        if (vmmi_irq_work(v) || vmmi_tm_work(v) || prio_work(v) || plain_work(v)) return 1;
    }
    /* VM events need their VM: the time slicer runs it when it may run. */
    best = vmmi_sched_max_pri(v);
    for (uint32_t k = 1; k < v->nvms; k++) {
        uint32_t i = (cur + k) % v->nvms;
        if (vmmi_vm_ready(v, i) && v->vm[i].pri == best && vmmi_ctx_live(v, i) == 0 && vm_has_work(v, i)) {
            vmmi_sched_switch(v, i, VMM_SW_EVENT);
            return 1;
        }
    }
    return 0;
}

/* ---- services -------------------------------------------------------------------- */

/* Call_Global_Event / Call_VM_Event: at once unless inside an interrupt that
** interrupted VxD code, or (VM event) the VM is not current (EV-1). */
static int call_ev(vmm_state *v, vmm_call *c, vmm_ev *e) {
    assert(e->type == VMM_EVT_GLOBAL || (e->type == VMM_EVT_VM && e->vm < v->nvms));
    vmm_sregs *r = &c->r;
    int now = !c->int_vmm && c->path != VMM_PATH_STIM &&
              (e->type == VMM_EVT_GLOBAL || e->vm == c->vm);
    if (!now) {
        if ((e->handle = vmmi_ev_serial(v, VMM_H_EVENT)) == 0) return v->run.err;
        r->esi = e->handle;
        return push(v, e);
    }
    r->esi = 0;                                   /* already called */
    rec(v, VMM_EVOP_RUN, e);
    c->chain = VMM_CB_EVENT;
    c->has_cba = 1;
    memset(&c->cba, 0, sizeof c->cba);
    c->cba.cb = e->cb;
    c->cba.ebx = v->vm[v->run.cur].handle;
    c->cba.edx = e->ref;
    return VMM_OK;
}

static int cancel(vmm_state *v, uint32_t handle, int type) {
    assert(type == VMM_EVT_GLOBAL || type == VMM_EVT_VM || type == VMM_EVT_PRIO);
    int i;
    if (handle == 0 || (i = find(v, handle)) < 0 || v->ev.list[i].type != type) return VMM_OK;
    vmm_ev e = v->ev.list[i];
    drop(v, (uint32_t)i);
    rec(v, VMM_EVOP_CANCEL, &e);
    if (type == VMM_EVT_PRIO) {                   /* EV-2: undo the boost */
        if (e.link && !e.fired) vmmi_tm_cancel(v, e.link, 1);
        if (!e.fired) vmmi_sched_set_pri(v, e.vm, -(int64_t)e.boost, VMM_PRI_EVENT);
    }
    return VMM_OK;
}

/* Cancels a pending event of any kind by its handle, as its Cancel service would (a
** destroyed VM's, life.c); 0 and unknown handles do nothing. */
int vmmi_ev_cancel_handle(vmm_state *v, uint32_t handle) {
    int i = find(v, handle);
    return i < 0 ? VMM_OK : cancel(v, handle, v->ev.list[i].type);
}

/* EV-2: Call_Priority_VM_Event. */
static int prio_call(vmm_state *v, vmm_call *c) {
    assert(c->vm < v->nvms && c->ctx < v->nctx);
    vmm_sregs *r = &c->r;
    vmm_ev e;
    int vm = vmmi_svc_vm_arg(v, c, r->ebx);
    if (vm < 0) return v->run.err;
    memset(&e, 0, sizeof e);
    e.type = VMM_EVT_PRIO;
    e.vm = (uint32_t)vm;
    e.cb = r->esi;
    e.ref = r->edx;
    e.boost = r->eax;
    e.flags = r->ecx;
    if (!c->int_time && c->path != VMM_PATH_STIM && (uint32_t)vm == c->vm &&
        !(e.flags & PEF_ALWAYS_SCHED) && prio_ready(v, &e)) {
        r->esi = 0;                               /* run at once, with the boost */
        vmmi_sched_set_pri(v, e.vm, (int32_t)e.boost, VMM_PRI_EVENT);
        rec(v, VMM_EVOP_RUN, &e);
        c->chain = VMM_CB_PRIO;
        c->has_cba = 1;
        memset(&c->cba, 0, sizeof c->cba);
        c->cba.cb = e.cb;
        c->cba.ebx = v->vm[e.vm].handle;
        c->cba.edx = e.ref;
        if (!(e.flags & PEF_DONT_UNBOOST)) { c->cba.unboost_vm = e.vm + 1; c->cba.unboost = e.boost; }
        return VMM_OK;
    }
    if ((e.handle = vmmi_ev_serial(v, VMM_H_PRIO)) == 0) return v->run.err;
    r->esi = e.handle;
    if (push(v, &e)) return v->run.err;
    if ((e.flags & PEF_TIME_OUT) &&
        vmmi_tm_set(v, VMM_TOT_PRIO, e.vm, r->edi, e.cb, e.ref, e.handle, &v->ev.list[v->ev.n - 1].link))
        return v->run.err;
    vmmi_sched_set_pri(v, e.vm, (int32_t)e.boost, VMM_PRI_EVENT);   /* PRI-1 may switch to it */
    return VMM_OK;
}

/* EV-2: the priority event's time-out came first: its boost is cancelled and it runs
** (CF set) at the VMM's next return to a VM, in whichever VM is current. */
void vmmi_ev_prio_timed_out(vmm_state *v, uint32_t handle) {
    assert((handle & VMM_H_TAG) == VMM_H_PRIO);
    int i = find(v, handle);
    if (i < 0 || v->ev.list[i].fired) return;
    v->ev.list[i].fired = 1;
    v->ev.list[i].link = 0;
    vmmi_sched_set_pri(v, v->ev.list[i].vm, -(int64_t)v->ev.list[i].boost, VMM_PRI_EVENT);
}

int vmmi_ev_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    vmm_ev e;
    int vm;
    memset(&e, 0, sizeof e);
    e.cb = r->esi;
    e.ref = r->edx;
    switch (num) {
    case 0x0E:                                    /* Schedule_Global_Event */
        e.type = VMM_EVT_GLOBAL;
        if ((e.handle = vmmi_ev_serial(v, VMM_H_EVENT)) == 0) return v->run.err;
        r->esi = e.handle;
        return push(v, &e);
    case 0x0F:                                    /* Schedule_VM_Event */
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        e.type = VMM_EVT_VM;
        e.vm = (uint32_t)vm;
        if ((e.handle = vmmi_ev_serial(v, VMM_H_EVENT)) == 0) return v->run.err;
        r->esi = e.handle;
        return push(v, &e);
    case 0x10:                                    /* Call_Global_Event */
        e.type = VMM_EVT_GLOBAL;
        return call_ev(v, c, &e);
    case 0x11:                                    /* Call_VM_Event */
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        e.type = VMM_EVT_VM;
        e.vm = (uint32_t)vm;
        return call_ev(v, c, &e);
    case 0x12: return cancel(v, r->esi, VMM_EVT_GLOBAL);
    case 0x13: return cancel(v, r->esi, VMM_EVT_VM);
    case 0x14: return prio_call(v, c);
    case 0x15: return cancel(v, r->esi, VMM_EVT_PRIO);
    }
    return 1;
}

const vmmi_cb_ops vmmi_ev_ops = { vmmi_ctx_step_one, NULL, NULL };
const vmmi_cb_ops vmmi_ev_prio_ops = { vmmi_ctx_step_one, NULL, ev_prio_done };
