/*
** vpicd.c — simulated hardware interrupts and the VPICD services (INT-1).
**
** A scenario raises IRQ n; if a VxD virtualized it (VPICD_Virtualize_IRQ), its
** VID_Hw_Int_Proc runs at the next instruction boundary — nested in whatever code
** runs, at interrupt time — unless running VxD code has interrupts disabled (then at
** its STI) or the IRQ is still in service (until VPICD_Phys_EOI). A VxD requests the
** interrupt for a VM (VPICD_Set_Int_Request): the VM gets Time_Critical_Boost at once,
** the interrupt is simulated at the VMM's next return to that VM with its virtual IF
** set, and the boost goes when the client handler IRETs irq_handler_cycles later.
** docs/vmm.md, "Simulated interrupts".
*/
#include <string.h>

#include "vmm_int.h"

#define VPICD_VERSION 0x030Au

static void rec(vmm_state *v, int op, uint32_t irq, uint64_t vm, uint32_t proc) {
    assert(irq < VMM_IRQS);
    vmm_rec(v, VMM_REC_IRQ, 3, (uint64_t)op | (uint64_t)irq << 8 | vm << 16, proc,
            VMM_H_IRQ | irq, 0, 0, 0);
}

/* Services a VxD may call at interrupt time (DDK: "asynchronous services"). */
int svc_async(uint32_t dword) {
    uint32_t dev = dword >> 16, num = dword & 0x7FFFu;
    if (dev == VPICD_DEVICE) return 1;
    if (dev != 1) return 0;
    switch (num) {
    case 0x00: case 0x01: case 0x02: case 0x03: case 0x04: case 0x05:   /* VM handles, version */
    case 0x0E: case 0x0F: case 0x10: case 0x11: case 0x12: case 0x13:   /* events */
    case 0x14: case 0x15:                                                /* priority events */
    case 0x3C: case 0x3D: case 0x3E: case 0x3F: case 0x40:               /* time-outs, time */
    case 0x39:                                                           /* Wake_Up_VM */
    case 0xCF: case 0xD0: case 0xF1:
        return 1;
    }
    return 0;
}

static int irq_of(vmm_state *v, uint32_t handle) {
    if ((handle & VMM_H_TAG) != VMM_H_IRQ || (handle & ~VMM_H_TAG) >= VMM_IRQS ||
        !v->d.irq[handle & ~VMM_H_TAG].desc)
        return vmm_fail(v, VMM_EGUEST, "VPICD: 0x%08x is not a virtualized IRQ handle", handle);
    return (int)(handle & ~VMM_H_TAG);
}

/* The hardware raises the line; an IRQ nobody virtualized is dropped. */
void irq_raise(vmm_state *v, uint32_t irq) {
    assert(irq < VMM_IRQS);
    vmm_irq *q = &v->d.irq[irq];
    if (!q->desc) { rec(v, VMM_IRQOP_UNOWNED, irq, VMM_NONE, 0); return; }
    rec(v, VMM_IRQOP_RAISE, irq, VMM_NONE, q->hw_proc);
    q->irr = 1;
}

/* The context an interrupt lands in: the code that runs (or would run) now, else
** the current VM's client level, else the VMM's own. */
int run_target_ctx(vmm_state *v, int *vxd_running) {
    uint32_t cur = v->d.cur;
    *vxd_running = 1;
    if (v->ctx[v->nvms].depth > 0) return (int)v->nvms;
    if (vm_ready(v, cur) && v->ctx[cur].depth > 0) return (int)cur;
    *vxd_running = 0;
    return vm_ready(v, cur) ? (int)cur : (int)v->nvms;
}

/* Delivers the highest-priority (lowest-numbered) requested IRQ at this instruction
** boundary. Returns 1 when a hardware-interrupt procedure was started. */
int irq_deliver(vmm_state *v) {
    cpu_config *cf = cpu_get_config(v->cpu);
    int busy, ci;
    uint32_t irq = VMM_IRQS;
    for (uint32_t i = 0; i < VMM_IRQS && irq == VMM_IRQS; i++)
        if (v->d.irq[i].irr && !v->d.irq[i].isr) irq = i;
    if (irq == VMM_IRQS || v->d.in_hwint) { cf->stop_on_sti = 0; return 0; }
    ci = run_target_ctx(v, &busy);
    if (busy) {                                   /* VxD code with IF clear: wait for STI */
        uint32_t fl = v->d.oncpu == ci ? cpu_get_eflags(v->cpu) : v->ctx[ci].regs.eflags;
        if (!(fl & CPU_IF)) { cf->stop_on_sti = 1; return 0; }
    }
    cf->stop_on_sti = 0;
    vmm_irq *q = &v->d.irq[irq];
    q->irr = 0;
    q->isr = 1;
    v->d.in_hwint = 1;
    v->d.entered = 1;
    v->d.progress_cycle = vmm_cycles(v);
    vmm_charge(v, VMM_CYC_HWINT + v->m.service_cycles);
    rec(v, VMM_IRQOP_HWINT, irq, v->d.cur, q->hw_proc);
    vmm_cbargs a;
    memset(&a, 0, sizeof a);
    a.cb = q->hw_proc;
    a.eax = VMM_H_IRQ | irq;
    a.ebx = v->vm[v->d.cur].handle;
    a.int_time = 1;
    a.int_vmm = (uint8_t)(busy != 0);
    ctx_start_cb(v, (uint32_t)ci, VMM_CB_HWINT, &a, 0, NULL);
    return 1;
}

void irq_hw_done(vmm_state *v, const vmm_frame *f) {
    (void)f;
    v->d.in_hwint = 0;
}

/* Event time in the current VM: simulate its lowest requested IRQ if its virtual
** interrupts are enabled (Client_EFlags.IF) and no handler of it runs. */
int irq_work(vmm_state *v) {
    uint32_t cur = v->d.cur, fl = 0;
    vmm_vm *m = &v->vm[cur];
    if (!m->vreq || m->vhandler >= 0) return 0;
    vmm_read(v, vmm_client_ptr(v, cur) + 0x2C, &fl, 4);
    if (!(fl & CPU_IF)) return 0;
    uint32_t irq = 0;
    while (!(m->vreq >> irq & 1)) irq++;
    m->vreq &= (uint16_t)~(1u << irq);
    m->vhandler = (int)irq;
    rec(v, VMM_IRQOP_SIMULATE, irq, cur, 0);
    v->d.entered = 1;
    if (eng_queue_push(v->q, vmm_cycles(v) + v->m.irq_handler_cycles, VMM_EV_CLASS_IRQ, VMM_EV_IRET,
                       cur, 0, NULL) != ENG_OK)
        vmm_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
    return 1;
}

/* The VM's client handler returned: its Time_Critical_Boost goes. */
void irq_iret(vmm_state *v, uint32_t vm) {
    vmm_vm *m = &v->vm[vm];
    assert(vm < v->nvms && m->vhandler >= 0);
    uint32_t irq = (uint32_t)m->vhandler;
    m->vhandler = -1;
    rec(v, VMM_IRQOP_IRET, irq, vm, 0);
    if (m->vboost >> irq & 1) {
        m->vboost &= (uint16_t)~(1u << irq);
        sched_set_pri(v, vm, -(int64_t)VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
    }
}

int irq_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    vmm_sregs *r = &c->r;
    int irq, vm;
    switch (num) {
    case 0x00:                                    /* VPICD_Get_Version */
        r->eax = VPICD_VERSION;
        r->ebx = 0;
        r->ecx = VMM_IRQS - 1;
        return VMM_OK;
    case 0x01: {                                  /* VPICD_Virtualize_IRQ, EDI = descriptor */
        uint16_t n = 0xFFFF;
        uint32_t proc = 0;
        if (vmm_read(v, r->edi + VID_IRQ_NUMBER, &n, 2) || vmm_read(v, r->edi + VID_HW_INT_PROC, &proc, 4))
            return vmm_fail(v, VMM_EGUEST, "VPICD_Virtualize_IRQ: descriptor 0x%08x is outside memory", r->edi);
        if (n >= VMM_IRQS || v->d.irq[n].desc || !proc) {
            r->eflags |= CPU_CF;                  /* already virtualized, or no procedure */
            return VMM_OK;
        }
        v->d.irq[n].desc = r->edi;
        v->d.irq[n].hw_proc = proc;
        r->eax = VMM_H_IRQ | n;
        r->eflags &= ~CPU_CF;
        rec(v, VMM_IRQOP_VIRTUALIZE, n, VMM_NONE, proc);
        return VMM_OK;
    }
    case 0x02: case 0x03:                         /* VPICD_Set_Int_Request / _Clear_ */
        if ((irq = irq_of(v, r->eax)) < 0) return v->d.err;
        if ((vm = vmm_vm_of_handle(v, r->ebx)) < 0)
            return vmm_fail(v, VMM_EGUEST, "VPICD: 0x%08x is not a VM handle", r->ebx);
        vmm_vm *m = &v->vm[vm];
        uint16_t bit = (uint16_t)(1u << irq);
        if (num == 0x02) {
            if (m->vreq & bit) return VMM_OK;
            m->vreq |= bit;
            rec(v, VMM_IRQOP_REQUEST, (uint32_t)irq, (uint32_t)vm, 0);
            if (!(m->vboost & bit)) {             /* until the handler returns */
                m->vboost |= bit;
                sched_set_pri(v, (uint32_t)vm, VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
            }
            return VMM_OK;
        }
        if (!(m->vreq & bit)) return VMM_OK;
        m->vreq &= (uint16_t)~bit;
        rec(v, VMM_IRQOP_CLEAR, (uint32_t)irq, (uint32_t)vm, 0);
        if ((m->vboost & bit) && m->vhandler != irq) {
            m->vboost &= (uint16_t)~bit;
            sched_set_pri(v, (uint32_t)vm, -(int64_t)VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
        }
        return VMM_OK;
    case 0x04:                                    /* VPICD_Phys_EOI */
        if ((irq = irq_of(v, r->eax)) < 0) return v->d.err;
        v->d.irq[irq].isr = 0;
        rec(v, VMM_IRQOP_EOI, (uint32_t)irq, VMM_NONE, 0);
        return VMM_OK;
    }
    return 1;
}
