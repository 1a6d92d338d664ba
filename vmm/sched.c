/*
** sched.c — execution priority, the primary scheduler (PRI-1), task switches
** (TS-1), suspend counts, and the idle state of VMs (SL-1).
*/
#include "vmm_int.h"

int vm_ready(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->vm[vm].suspend == 0 && !v->ctx[vm].blocked;
}

uint32_t sched_max_pri(const vmm_state *v) {
    uint32_t best = 0;
    for (uint32_t i = 0; i < v->nvms; i++)
        if (v->vm[i].suspend == 0 && !v->ctx[i].blocked && v->vm[i].pri > best) best = v->vm[i].pri;
    return best;
}

/* Ready VMs of priority `pri` other than `skip`, in round-robin order after the
** current VM (the canonical answer to a READY_VM choice, DESIGN.md §4). */
static uint32_t ready_ring(vmm_state *v, uint32_t pri, uint32_t skip, uint32_t *out) {
    uint32_t n = 0;
    for (uint32_t k = 1; k <= v->nvms; k++) {
        uint32_t i = (v->d.cur + k) % v->nvms;
        if (i != skip && vm_ready(v, i) && v->vm[i].pri == pri) out[n++] = i;
    }
    assert(n <= v->nvms);
    return n;
}

/* Makes `to` the current VM, then runs the task-switch callbacks (TS-1) in the
** VMM's own context. */
int sched_switch(vmm_state *v, uint32_t to, int reason) {
    assert(to < v->nvms && to != v->d.cur);
    uint32_t old = v->d.cur;
    v->d.cur = to;
    tm_switch(v, old, to);               /* TO-1: execution time counts per VM */
    vmm_charge(v, VMM_CYC_SWITCH);
    vmm_rec(v, VMM_REC_TASK_SWITCH, 4, old, to, (uint64_t)reason, v->vm[to].pri, 0, 0);
    v->d.ts_old = old;
    if (v->d.nts == 0) return VMM_OK;
    return ctx_start(v, v->nvms, VMM_CB_TS, 0, 0, NULL);
}

/* PRI-1: the ready VM with the highest execution priority is the current VM. The
** current VM keeps running when it ties (only the time slicer rotates equals). */
int sched_resched(vmm_state *v) {
    uint32_t ring[VMM_VMS_MAX], best = sched_max_pri(v), n;
    int reason = v->d.sw_reason;
    v->d.need_resched = 0;
    if (vm_ready(v, v->d.cur) && v->vm[v->d.cur].pri == best) return VMM_OK;
    n = ready_ring(v, best, v->d.cur, ring);
    if (n == 0) return VMM_OK;           /* nothing can run: the current VM stays */
    uint32_t k = vmm_choose(v, ENG_CHOICE_READY_VM, n);
    return sched_switch(v, ring[k], reason);
}

static void want_resched(vmm_state *v, int reason) {
    v->d.need_resched = 1;
    v->d.sw_reason = reason;
}

void sched_set_pri(vmm_state *v, uint32_t vm, int64_t boost, int reason) {
    assert(vm < v->nvms);
    int64_t p = (int64_t)v->vm[vm].pri + boost;
    uint32_t old = v->vm[vm].pri;
    if (p < 0) p = 0;
    if (p > VMM_PRI_MAX) p = VMM_PRI_MAX;
    if ((uint32_t)p == old) return;
    v->vm[vm].pri = (uint32_t)p;
    vmm_rec(v, VMM_REC_PRIORITY, 5, vm, (uint64_t)p, old, (uint64_t)boost, (uint64_t)reason, 0);
    want_resched(v, VMM_SW_PRIORITY);
}

/* A VM that was blocked or suspended may run again: a service it was in returns. */
void sched_became_ready(vmm_state *v, uint32_t vm) {
    vmm_ctx *c = &v->ctx[vm];
    if (!vm_ready(v, vm) || !c->ret_svc) return;
    svc_ret_record(v, c->ret_svc, vm, &c->ret_out);
    c->ret_svc = 0;
}

/* Suspend_VM: fails for the system VM and for the critical-section owner (DDK). */
int sched_suspend(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (vm == v->sys || v->d.crit_owner == (int)vm) return 1;
    v->vm[vm].suspend++;
    vmm_status_set(v, vm, VMSTAT_SUSPENDED, 0);
    vmm_rec_vmstate(v, vm, VMM_ST_SUSPEND);
    want_resched(v, VMM_SW_SUSPEND);
    return 0;
}

/* Resume_VM / No_Fail_Resume_VM: one decrement; the VM runs at count 0. Resuming a
** VM that is not suspended fails (Resume_VM) or does nothing (No_Fail). */
int sched_resume(vmm_state *v, uint32_t vm, int no_fail) {
    assert(vm < v->nvms);
    if (v->vm[vm].suspend == 0) return no_fail ? 0 : 1;
    if (--v->vm[vm].suspend == 0) vmm_status_set(v, vm, 0, VMSTAT_SUSPENDED);
    vmm_rec_vmstate(v, vm, VMM_ST_RESUME);
    if (v->vm[vm].suspend == 0) {
        sched_became_ready(v, vm);
        want_resched(v, VMM_SW_RESUME);
    }
    return 0;
}

void sched_idle(vmm_state *v, uint32_t vm) {
    vmm_status_set(v, vm, VMSTAT_IDLE, 0);
    vmm_rec_vmstate(v, vm, VMM_ST_IDLE);
}

void sched_wake(vmm_state *v, uint32_t vm) {
    if (!(vmm_status(v, vm) & VMSTAT_IDLE)) return;
    vmm_status_set(v, vm, 0, VMSTAT_IDLE);
    vmm_rec_vmstate(v, vm, VMM_ST_WAKE);
}

/* Release_Time_Slice (SL-1): the VM is idle, and gives the CPU to another ready VM
** of the same (highest) priority if there is one. */
int sched_release_slice(vmm_state *v, uint32_t vm) {
    uint32_t ring[VMM_VMS_MAX], n;
    if (sl_on(v)) return sl_release(v, vm);   /* the time slicer's own rotation */
    sched_idle(v, vm);
    /* From a task-switch callback: no switch inside a switch (the VMM context runs). */
    if (v->ctx[v->nvms].depth > 0) return VMM_OK;
    if (vm != v->d.cur || v->vm[vm].pri != sched_max_pri(v)) return VMM_OK;
    n = ready_ring(v, v->vm[vm].pri, vm, ring);
    if (n == 0) return VMM_OK;
    return sched_switch(v, ring[vmm_choose(v, ENG_CHOICE_READY_VM, n)], VMM_SW_RELEASE);
}
