/*
** sched.c — execution priority, the primary scheduler (PRI-1), task switches
** (TS-1), suspend counts, and the idle state of VMs (SL-1).
*/
#include "vmm_int.h"

int vmmi_vm_ready(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->vm[vm].suspend == 0 && !v->ctx[vm].blocked;
}

uint32_t vmmi_sched_max_pri(const vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    uint32_t best = 0;
    for (uint32_t i = 0; i < v->nvms; i++)
        if (v->vm[i].suspend == 0 && !v->ctx[i].blocked && v->vm[i].pri > best) best = v->vm[i].pri;
    return best;
}

/* Ready VMs of priority `pri` other than `skip`, in round-robin order after the
** current VM (the canonical answer to a READY_VM choice, docs/fuzzing.md). */
static uint32_t ready_ring(vmm_state *v, uint32_t pri, uint32_t skip, uint32_t *out) {
    uint32_t n = 0;
    for (uint32_t k = 1; k <= v->nvms; k++) {
        uint32_t i = (v->run.cur + k) % v->nvms;
        if (i != skip && vmmi_vm_ready(v, i) && v->vm[i].pri == pri) out[n++] = i;
    }
    assert(n <= v->nvms);
    return n;
}

/* Ready VMs' identities for partial-order reduction (por.c): the VM. */
static const uint64_t *vm_ids(const uint32_t *ring, uint32_t n, uint64_t *ids) {
    assert(ring && ids && n <= VMM_VMS_MAX);
    for (uint32_t k = 0; k < n; k++) ids[k] = VMM_POR_ID_VM | ring[k];
    return ids;
}

/* Makes `to` the current VM, then runs the task-switch callbacks (TS-1) in the
** VMM's own context. */
int vmmi_sched_switch(vmm_state *v, uint32_t to, int reason) {
    vmmi_por_tag(v, VMM_POR_SCHED, 1);
    assert(to < v->nvms && to != v->run.cur);
    uint32_t old = v->run.cur;
    v->run.cur = to;
    vmmi_tm_switch(v, old, to);               /* TO-1: execution time counts per VM */
    vmmi_charge(v, VMM_CYC_SWITCH);
    vmmi_rec(v, VMM_REC_TASK_SWITCH, 4, old, to, (uint64_t)reason, v->vm[to].pri, 0, 0);
    v->ts.old = old;
    assert(v->ts.n <= v->m.ts_slots && v->run.cur == to);
    if (v->ts.n == 0) return VMM_OK;
    return vmmi_ctx_start(v, v->nvms, VMM_CB_TS, 0, 0, NULL);
}

/* PCT's sources of ready VMs: the VMs themselves (docs/fuzzing.md). */
static const uint64_t *vm_sources(const uint32_t *ring, uint32_t n, uint64_t *src) {
    assert(ring != NULL && src != NULL && n <= VMM_VMS_MAX);
    for (uint32_t k = 0; k < n; k++) src[k] = ENG_SRC_VM(ring[k]);
    return src;
}

/* PRI-1: the ready VM with the highest execution priority is the current VM. The
** current VM keeps running when it ties (only the time slicer rotates equals). */
int vmmi_sched_resched(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t ring[VMM_VMS_MAX], best = vmmi_sched_max_pri(v), n;
    uint64_t ids[VMM_VMS_MAX], src[VMM_VMS_MAX];
    int reason = v->run.sw_reason;
    v->run.need_resched = 0;
    if (vmmi_vm_ready(v, v->run.cur) && v->vm[v->run.cur].pri == best) return VMM_OK;
    n = ready_ring(v, best, v->run.cur, ring);
    assert(n < v->nvms);
    if (n == 0) return VMM_OK;           /* nothing can run: the current VM stays */
    uint32_t k = vmmi_choose_opts(v, ENG_CHOICE_READY_VM, n, vm_ids(ring, n, ids), vm_sources(ring, n, src));
    return vmmi_sched_switch(v, ring[k], reason);
}

static void want_resched(vmm_state *v, int reason) {
    assert(reason >= VMM_SW_PRIORITY && reason <= VMM_SW_EVENT);
    v->run.need_resched = 1;
    v->run.sw_reason = reason;
}

void vmmi_sched_set_pri(vmm_state *v, uint32_t vm, int64_t boost, int reason) {
    assert(vm < v->nvms);
    int64_t p = (int64_t)v->vm[vm].pri + boost;
    uint32_t old = v->vm[vm].pri;
    if (p < 0) p = 0;
    if (p > VMM_PRI_MAX) p = VMM_PRI_MAX;
    if ((uint32_t)p == old) return;
    v->vm[vm].pri = (uint32_t)p;
    vmmi_rec(v, VMM_REC_PRIORITY, 5, vm, (uint64_t)p, old, (uint64_t)boost, (uint64_t)reason, 0);
    want_resched(v, VMM_SW_PRIORITY);
}

/* A VM that was blocked or suspended may run again: a service it was in returns. */
void vmmi_sched_became_ready(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    vmm_ctx *c = &v->ctx[vm];
    if (!vmmi_vm_ready(v, vm) || !c->ret_svc) return;
    vmmi_svc_ret_record(v, c->ret_svc, vm, &c->ret_out);
    c->ret_svc = 0;
}

/* Suspend_VM: fails for the system VM and for the critical-section owner (DDK). */
int vmmi_sched_suspend(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (vm == v->sys || v->crit.owner == (int)vm) return 1;
    v->vm[vm].suspend++;
    vmmi_status_set(v, vm, VMM_VMSTAT_SUSPENDED, 0);
    vmmi_rec_vmstate(v, vm, VMM_ST_SUSPEND);
    want_resched(v, VMM_SW_SUSPEND);
    if (v->vm[vm].suspend == 1 && v->life.on0) vmmi_life_suspended(v, vm);   /* VM_Suspend */
    return 0;
}

/* Resume_VM / No_Fail_Resume_VM: one decrement; the VM runs at count 0. Resuming a
** VM that is not suspended fails (Resume_VM) or does nothing (No_Fail). */
int vmmi_sched_resume(vmm_state *v, uint32_t vm, int no_fail) {
    assert(vm < v->nvms);
    if (v->vm[vm].suspend == 0) return no_fail ? 0 : 1;
    if (v->vm[vm].suspend == 1 && v->life.on0 && vmmi_life_resume_held(v, vm)) return 0;
    if (--v->vm[vm].suspend == 0) vmmi_status_set(v, vm, 0, VMM_VMSTAT_SUSPENDED);
    vmmi_rec_vmstate(v, vm, VMM_ST_RESUME);
    if (v->vm[vm].suspend == 0) {
        vmmi_sched_became_ready(v, vm);
        want_resched(v, VMM_SW_RESUME);
    }
    return 0;
}

void vmmi_sched_idle(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    vmmi_status_set(v, vm, VMM_VMSTAT_IDLE, 0);
    vmmi_rec_vmstate(v, vm, VMM_ST_IDLE);
}

void vmmi_sched_wake(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (!(vmmi_status(v, vm) & VMM_VMSTAT_IDLE)) return;
    vmmi_status_set(v, vm, 0, VMM_VMSTAT_IDLE);
    vmmi_rec_vmstate(v, vm, VMM_ST_WAKE);
}

/* Release_Time_Slice (SL-1): the VM is idle, and gives the CPU to another ready VM
** of the same (highest) priority if there is one. */
int vmmi_sched_release_slice(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    uint32_t ring[VMM_VMS_MAX], n;
    if (vmmi_sl_on(v)) return vmmi_sl_release(v, vm);   /* the time slicer's own rotation */
    vmmi_sched_idle(v, vm);
    /* From a task-switch callback: no switch inside a switch (the VMM context runs). */
    if (v->ctx[v->nvms].depth > 0) return VMM_OK;
    if (vm != v->run.cur || v->vm[vm].pri != vmmi_sched_max_pri(v)) return VMM_OK;
    n = ready_ring(v, v->vm[vm].pri, vm, ring);
    if (n == 0) return VMM_OK;
    uint64_t ids[VMM_VMS_MAX], src[VMM_VMS_MAX];
    return vmmi_sched_switch(v, ring[vmmi_choose_opts(v, ENG_CHOICE_READY_VM, n, vm_ids(ring, n, ids),
                                                      vm_sources(ring, n, src))],
                             VMM_SW_RELEASE);
}

/* ---- task-switch callbacks (TS-1) ------------------------------------------------ */

void vmmi_ts_reset(vmm_state *v) {
    assert(v->ts.cb);   /* storage stays; only the count clears */
    v->ts.n = 0;
    v->ts.old = 0;
}

/* TS-1: Call_When_Task_Switched (ESI = callback). */
int vmmi_ts_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    if (num != 0x2A) return 1;
    assert(c->ctx < v->nctx);   /* from any context, the VMM's too */
    return vmmi_svc_table_add(v, v->ts.cb, &v->ts.n, v->m.ts_slots, c->r.esi, "Call_When_Task_Switched");
}

/* TS-1: install order, EAX = old VM, EBX = new VM, in the VMM's own context. */
static int ts_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    cpu_regs fresh;
    assert(f->kind == VMM_CB_TS && ci == v->nvms);
    if (f->index >= v->ts.n) return 1;
    f->vm = v->run.cur;
    vmmi_ctx_regs_fresh(v, ci, &fresh);
    vmmi_cb_regs in = { .cb = v->ts.cb[f->index], .eax = v->vm[v->ts.old].handle,
                        .ebx = v->vm[v->run.cur].handle, .ebp = fresh.r[CPU_EBP], .set_eax = 1 };
    return vmmi_ctx_enter(v, ci, f, &in);
}

static int ts_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    (void)v; (void)cf;   /* every callback runs, whatever it returns */
    assert(f->kind == VMM_CB_TS && f->index < v->ts.n);
    f->index++;
    return 1;
}

/* A task-switch callback may have changed priorities. */
static void ts_done(vmm_state *v, const vmm_frame *f) {
    (void)f;
    assert(f->kind == VMM_CB_TS);
    v->run.need_resched = 1;
}

const vmmi_cb_ops vmmi_ts_ops = { ts_step, ts_next, ts_done };
