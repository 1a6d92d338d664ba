/*
** nc.c — not-critical callbacks, NC-1 … NC-4 (docs/vmm.md, "Not-critical callbacks").
**
** Call_When_Not_Critical installs any number of callbacks (NC-1). Each release of
** the critical section owes one call, of the most recent callback, which is removed
** as it is called (NC-2); the call waits until the current VM's execution priority
** is below Critical_Section_Boost (NC-3); the callback gets the current VM's handle
** and client registers through EBP (NC-4).
*/
#include <string.h>

#include "vmm_int.h"

void vmmi_nc_reset(vmm_state *v) {
    assert(v->nc.cb && v->nc.ref);   /* storage stays; only the counts clear */
    v->nc.n = 0;
    v->nc.owed = 0;
    v->nc.rel_n = 0;
    v->nc.asked = v->nc.at_return = 0;
}

/* NC-1: Call_When_Not_Critical (ESI = callback, EDX = reference data). */
int vmmi_nc_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    int rc;
    if (num != 0x24) return 1;
    rc = vmmi_svc_table_add(v, v->nc.cb, &v->nc.n, v->m.nc_slots, c->r.esi, "Call_When_Not_Critical");
    if (rc == VMM_OK) v->nc.ref[v->nc.n - 1] = c->r.edx;
    assert(v->nc.n <= v->m.nc_slots && v->nc.owed <= v->nc.n);
    return rc;
}

/* NC-2: a release owes one not-critical callback (the most recent, when it runs);
** never more owed than installed. */
void vmmi_nc_released(vmm_state *v) {
    assert(v->nc.owed <= v->nc.n);
    if (v->nc.owed < v->nc.n) v->nc.owed++;
    v->nc.rel_n = v->nc.n;   /* AMB-1: the most recent at this release */
}

/* AMB-3 (docs/vmm.md, "Ambiguities"): an owed callback due while VxD code of VM ci
** runs — right after the service that released the section — runs at once, nested in
** that code (canonical), or at the VMM's next return to the VM, once the code has
** returned ("process any simulated interrupts before the system calls the callback").
** Decided once per owed call. 1: it waits. */
int vmmi_nc_waits(vmm_state *v, uint32_t ci) {
    assert(ci < v->nvms);
    if (!v->m.explore_ambiguities || vmmi_ctx_live(v, ci) == 0) return 0;
    if (!v->nc.asked) {
        v->nc.asked = 1;
        v->nc.at_return = vmmi_choose(v, ENG_CHOICE_AMBIGUITY, 2) == 1;
    }
    return v->nc.at_return;
}

/* NC-2, NC-3: an owed callback runs once the current VM's execution priority is
** below Critical_Section_Boost. */
int vmmi_nc_due(vmm_state *v) {
    assert(v->nc.owed <= v->nc.n);
    return v->run.booted && v->nc.owed > 0 && v->nc.n > 0 && vmmi_vm_ready(v, v->run.cur) &&
           v->vm[v->run.cur].pri < VMM_CRIT_BOOST;
}

int vmmi_nc_start(vmm_state *v) {
    vmmi_por_tag(v, VMM_POR_NC, 1);
    assert(v->nc.owed > 0);
    v->nc.owed--;
    v->nc.asked = v->nc.at_return = 0;
    return vmmi_ctx_start(v, v->run.cur, VMM_CB_NC, 0, 0, NULL);
}

/* NC-2: the most recent callback, removed as it is called; NC-4: EBX = the current
** VM, EDX = its reference data, EBP = the current VM's client registers. */
static int nc_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t cur = v->run.cur, top, cb, ref;
    assert(f->kind == VMM_CB_NC);
    if (v->nc.n == 0) return 1;
    top = v->nc.n - 1;
    /* AMB-1: callbacks installed between a deferred release (NC-3) and this call: the
    ** most recent now (canonical) or the most recent at the release. */
    if (v->m.explore_ambiguities && v->nc.rel_n >= 1 && v->nc.rel_n < v->nc.n &&
        vmmi_choose(v, ENG_CHOICE_AMBIGUITY, 2) == 1)
        top = v->nc.rel_n - 1;
    cb = v->nc.cb[top];
    ref = v->nc.ref[top];
    memmove(&v->nc.cb[top], &v->nc.cb[top + 1], (v->nc.n - top - 1) * sizeof *v->nc.cb);
    memmove(&v->nc.ref[top], &v->nc.ref[top + 1], (v->nc.n - top - 1) * sizeof *v->nc.ref);
    v->nc.n--;
    v->nc.rel_n = 0;
    assert(v->nc.owed <= v->nc.n);   /* NC-2: never more owed than installed */
    f->vm = cur;
    vmmi_cb_regs in = { .cb = cb, .ebx = v->vm[cur].handle, .edx = ref,
                        .ebp = vmmi_client_ptr(v, cur), .set_edx = 1 };
    return vmmi_ctx_enter(v, ci, f, &in);
}

const vmmi_cb_ops vmmi_nc_ops = { nc_step, NULL, NULL };
