/*
** crit.c — the one global critical section (CS-1 … CS-7).
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

static void rec(vmm_state *v, int op, uint32_t vm, uint32_t n) {
    assert(vm < v->nvms);
    uint64_t owner = v->crit.owner < 0 ? VMM_NONE : (uint64_t)v->crit.owner;
    vmmi_rec(v, VMM_REC_CRIT, 5, (uint64_t)op, vm, owner, v->crit.count, n, 0);
}

void vmmi_crit_reset(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    memset(&v->crit, 0, sizeof v->crit);
    v->crit.owner = -1;
}

/* Claims n times for the calling VM. Returns 1 when the caller blocks (CS-2). */
int vmmi_crit_claim(vmm_state *v, vmm_call *c, uint32_t n) {
    assert(n > 0);
    if (v->crit.owner < 0) {           /* CS-1: the first claim boosts the owner */
        v->crit.owner = (int)c->vm;
        v->crit.count = n;
        rec(v, VMM_CRIT_CLAIM, c->vm, n);
        vmmi_sched_set_pri(v, c->vm, VMM_CRIT_BOOST, VMM_PRI_CRIT);
        return 0;
    }
    if (v->crit.owner == (int)c->vm) {
        if (v->crit.count > UINT32_MAX - n) {
            vmmi_fail(v, VMM_ELIMIT, "critical section claim count overflows");
            return 0;
        }
        v->crit.count += n;
        rec(v, VMM_CRIT_CLAIM, c->vm, n);
        return 0;
    }
    if (c->ctx >= v->nvms) {             /* the VMM's own context cannot wait */
        vmmi_fail(v, VMM_EGUEST, "a task-switch callback blocked on the critical section");
        return 0;
    }
    vmm_ctx *x = &v->ctx[c->ctx];        /* CS-2: wait until it is free */
    x->blocked = 1;
    x->want = n;
    x->wait_seq = ++v->crit.wait_seq;
    assert(v->crit.owner >= 0 && v->crit.owner != (int)c->vm);   /* CS-2: owned by another VM */
    vmmi_status_set(v, c->vm, VMM_VMSTAT_BLOCKED, 0);
    rec(v, VMM_CRIT_BLOCK, c->vm, n);
    vmmi_rec_vmstate(v, c->vm, VMM_ST_BLOCK);
    v->run.need_resched = 1;
    v->run.sw_reason = VMM_SW_BLOCK;
    return 1;
}

/* CS-3: the highest-priority waiter claims the free section; equal priorities are
** a CRIT_WAITER choice, canonically first come first served. */
static void grant(vmm_state *v) {
    assert(v->crit.owner < 0 && v->crit.count == 0);
    uint32_t w[VMM_VMS_MAX], n = 0, best = 0;
    for (uint32_t i = 0; i < v->nvms; i++)
        if (v->ctx[i].blocked && v->vm[i].pri >= best) best = v->vm[i].pri;
    for (uint32_t i = 0; i < v->nvms; i++) {
        if (!v->ctx[i].blocked || v->vm[i].pri != best) continue;
        uint32_t k = n++;                /* insertion sort by blocking order */
        while (k > 0 && v->ctx[w[k - 1]].wait_seq > v->ctx[i].wait_seq) { w[k] = w[k - 1]; k--; }
        w[k] = i;
    }
    if (n == 0) return;
    uint64_t ids[VMM_VMS_MAX], src[VMM_VMS_MAX];
    for (uint32_t k = 0; k < n; k++) {
        ids[k] = VMM_POR_ID_WAITER | w[k];   /* POR: the waiting VM */
        src[k] = ENG_SRC_VM(w[k]);           /* PCT: waiters are VMs */
    }
    uint32_t g = w[vmmi_choose_opts(v, ENG_CHOICE_CRIT_WAITER, n, ids, src)];
    vmmi_por_tag(v, VMM_POR_CRIT, 1);
    assert(g < v->nvms && v->ctx[g].blocked);
    vmm_ctx *x = &v->ctx[g];
    v->crit.owner = (int)g;
    v->crit.count = x->want;
    x->blocked = 0;
    vmmi_status_set(v, g, 0, VMM_VMSTAT_BLOCKED);
    rec(v, VMM_CRIT_GRANT, g, x->want);
    vmmi_sched_set_pri(v, g, VMM_CRIT_BOOST, VMM_PRI_CRIT);
    vmmi_rec_vmstate(v, g, VMM_ST_UNBLOCK);
    vmmi_sched_became_ready(v, g);
    v->run.need_resched = 1;
    v->run.sw_reason = VMM_SW_UNBLOCK;
}

/* VML: a VM whose destruction starts while it owns the critical section gives up every
** claim at once, as its End_Critical_Section calls would have (CS-3: to the highest
** waiter; NC-2: the release owes a not-critical callback). The DDK gives Close_VM_Notify
** a flag for "the VM owns the critical section", so such a VM may be closed. */
void vmmi_crit_drop(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (v->crit.owner != (int)vm || v->crit.count == 0) return;
    uint32_t n = v->crit.count;
    v->crit.count = 0;
    v->crit.owner = -1;
    rec(v, VMM_CRIT_RELEASE, vm, n);
    vmmi_sched_set_pri(v, vm, -(int64_t)VMM_CRIT_BOOST, VMM_PRI_CRIT);
    vmmi_nc_released(v);
    grant(v);
}

/* CS-7: an End the caller has no claim for. */
static void unbalanced(vmm_state *v, vmm_call *c) {
    assert(c->vm < v->nvms);
    char text[160], name[64];
    uint64_t owner = v->crit.owner < 0 ? VMM_NONE : (uint64_t)v->crit.owner;
    snprintf(text, sizeof text, "%s by VM %s without a matching claim (owner %s, count %u)",
             vmmi_svc_name(c->dword, name, sizeof name), v->s->vms[c->vm].name,
             v->crit.owner < 0 ? "none" : v->s->vms[v->crit.owner].name, v->crit.count);
    vmmi_finding_add(v, VMM_FND_CS7, c->vm, 0, c->dword, owner, v->crit.count, text);
}

/* n Ends for the calling VM (CS-3, CS-4); extra Ends are CS-7 findings. */
void vmmi_crit_end(vmm_state *v, vmm_call *c, uint32_t n) {
    assert(n > 0);
    if (v->crit.owner != (int)c->vm || v->crit.count == 0) { unbalanced(v, c); return; }
    if (n > v->crit.count) { unbalanced(v, c); n = v->crit.count; }
    v->crit.count -= n;
    if (v->crit.count > 0) { rec(v, VMM_CRIT_END, c->vm, n); return; }
    v->crit.owner = -1;
    rec(v, VMM_CRIT_RELEASE, c->vm, n);
    vmmi_sched_set_pri(v, c->vm, -(int64_t)VMM_CRIT_BOOST, VMM_PRI_CRIT);
    vmmi_nc_released(v);   /* NC-2: this release owes one not-critical callback */
    grant(v);
}
