/*
** idle.c — idle callbacks, IDLE-1 … IDLE-5 (docs/vmm.md, "Idle callbacks").
**
** Call_When_Idle installs a callback in a fixed-size table, CF set when it is full
** (IDLE-1). The chain runs when the system VM reports itself idle (INT 2Fh 1689h)
** while every other VM is idle or suspended (IDLE-2), in install order, each passing
** on with CF set and ending the chain with CF clear (IDLE-3), with EBX = the system
** VM and EBP = its client registers (IDLE-4); callbacks stay installed (IDLE-5).
*/
#include "vmm_int.h"

void vmmi_idle_reset(vmm_state *v) {
    assert(v->idle.cb);   /* storage stays; only the count clears */
    v->idle.n = 0;
}

/* IDLE-1: Call_When_Idle (ESI = callback); CF set when the table is full. */
int vmmi_idle_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    if (num != 0x3A) return 1;
    assert(v->idle.n <= v->m.idle_slots);
    if (v->idle.n >= v->m.idle_slots) { c->r.eflags |= CPU_CF; return VMM_OK; }
    v->idle.cb[v->idle.n++] = c->r.esi;
    c->r.eflags &= ~CPU_CF;
    return VMM_OK;
}

/* IDLE-2: every VM other than the system VM is idle or suspended. */
static int others_idle(vmm_state *v) {
    assert(v->sys < v->nvms);
    for (uint32_t i = 0; i < v->nvms; i++)
        if (i != v->sys && v->vm[i].suspend == 0 && !(vmmi_status(v, i) & VMM_VMSTAT_IDLE)) return 0;
    return 1;
}

/* INT 2Fh 1689h (kernel idle): IDLE-2, IDLE-3, IDLE-5 — the system VM's call starts
** the chain when every other VM is idle. */
void vmmi_idle_kernel_idle(vmm_state *v, vmm_call *c) {
    vmmi_por_tag(v, VMM_POR_IDLE, 1);
    assert(c->vm < v->nvms);
    if (c->vm == v->sys && v->idle.n > 0 && others_idle(v)) c->chain = VMM_CB_IDLE;
}

/* IDLE-3 order, IDLE-4 registers: EBX = the system VM, EBP = its client registers. */
static int idle_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t sys = v->sys;
    assert(f->kind == VMM_CB_IDLE);
    if (f->index == 0) f->chain_n = v->idle.n;
    if (f->index >= v->idle.n) return 1;
    /* AMB-2: a callback installed while the chain runs is called in this pass
    ** (canonical) or only from the next idle signal. */
    if (v->m.explore_ambiguities && f->index >= f->chain_n &&
        vmmi_choose(v, ENG_CHOICE_AMBIGUITY, 2) == 1)
        return 1;
    f->vm = v->run.cur;
    vmmi_cb_regs in = { .cb = v->idle.cb[f->index], .ebx = v->vm[sys].handle,
                        .ebp = vmmi_client_ptr(v, sys) };
    return vmmi_ctx_enter(v, ci, f, &in);
}

/* IDLE-3: CF set passes to the next callback; CF clear ends the chain. */
static int idle_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    (void)v;
    assert(f->kind == VMM_CB_IDLE && f->index < v->idle.n);
    f->index++;
    return cf != 0;
}

const vmmi_cb_ops vmmi_idle_ops = { idle_step, idle_next, NULL };
