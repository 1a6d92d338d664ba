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
** The descriptor's other procedures follow the simulated interrupt: VID_Virt_Int_Proc
** as it is simulated (the client handler starts when it returns), VID_EOI_Proc at the
** end of the handler's time (its EOI), VID_IRET_Proc at its IRET — or with CF set when
** VID_IRET_Time_Out ms pass first. Each runs in the VM's context, at the VMM's return
** to it, with interrupts disabled. docs/vmm.md, "Simulated interrupts".
*/
#include <string.h>

#include "vmm_int.h"

void vmmi_irq_reset(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    memset(&v->pic, 0, sizeof v->pic);
}

#define VPICD_VERSION 0x030Au

static void rec(vmm_state *v, int op, uint32_t irq, uint64_t vm, uint32_t proc) {
    assert(irq < VMM_IRQS);
    vmmi_rec(v, VMM_REC_IRQ, 3, (uint64_t)op | (uint64_t)irq << 8 | vm << 16, proc,
            VMM_H_IRQ | irq, 0, 0, 0);
}

/* Services a VxD may call at interrupt time (DDK: "asynchronous services"). */
int vmmi_svc_async(uint32_t dword) {
    uint32_t dev = dword >> 16, num = dword & 0x7FFFu;
    assert(dev <= 0xFFFFu && num <= 0x7FFFu);
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
    assert(v && v->nvms >= 1);
    if ((handle & VMM_H_TAG) != VMM_H_IRQ || (handle & ~VMM_H_TAG) >= VMM_IRQS ||
        !v->pic.irq[handle & ~VMM_H_TAG].desc)
        return vmmi_fail(v, VMM_EGUEST, "VPICD: 0x%08x is not a virtualized IRQ handle", handle);
    return (int)(handle & ~VMM_H_TAG);
}

/* The hardware raises the line; an IRQ nobody virtualized is dropped. */
void vmmi_irq_raise(vmm_state *v, uint32_t irq) {
    assert(irq < VMM_IRQS);
    vmm_irq *q = &v->pic.irq[irq];
    if (!q->desc) { rec(v, VMM_IRQOP_UNOWNED, irq, VMM_NONE, 0); return; }
    rec(v, VMM_IRQOP_RAISE, irq, VMM_NONE, q->hw_proc);
    q->irr = 1;
    v->pic.fresh |= (uint16_t)(1u << irq);
}

static uint32_t boundary_window(const vmm_state *v) {
    uint32_t w = v->m.irq_boundary_window;
    assert(w <= VMM_IRQ_WINDOW_MAX);
    return w ? w : 1;
}

/* The interrupt-boundary choice (docs/vmm.md, "The interrupt boundary"): the simulated clock only approximates
** the real one (wait states, refresh, DMA), so an IRQ raised while VxD code runs may
** land on any of the next `irq_boundary_window` instruction boundaries. Option k holds
** delivery for k more instructions (canonical 0: this boundary); run.c steps the CPU
** one instruction at a time meanwhile and delivers early if the code stops first. */
static int boundary_hold(vmm_state *v, int fresh, int busy) {
    assert(v->run.cur < v->nvms);
    uint32_t w = boundary_window(v), k;
    if (!fresh || !busy || w < 2) return 0;
    k = vmmi_choose(v, ENG_CHOICE_IRQ_BOUNDARY, w);
    v->pic.hold = k;
    return k != 0;
}

/* The context an interrupt lands in: the code that runs (or would run) now, else
** the current VM's client level, else the VMM's own. */
int vmmi_run_target_ctx(vmm_state *v, int *vxd_running) {
    assert(vxd_running && v->run.cur < v->nvms);
    uint32_t cur = v->run.cur;
    *vxd_running = 1;
    if (v->ctx[v->nvms].depth > 0) return (int)v->nvms;
    if (vmmi_vm_ready(v, cur) && vmmi_ctx_live(v, cur) > 0) return (int)cur;
    *vxd_running = 0;
    return vmmi_vm_ready(v, cur) ? (int)cur : (int)v->nvms;
}

/* Delivers the highest-priority (lowest-numbered) requested IRQ at this instruction
** boundary. Returns 1 when a hardware-interrupt procedure was started. */
int vmmi_irq_deliver(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    cpu_config *cf = cpu_get_config(v->cpu);
    int busy, ci;
    uint32_t irq = VMM_IRQS;
    for (uint32_t i = 0; i < VMM_IRQS && irq == VMM_IRQS; i++)
        if (v->pic.irq[i].irr && !v->pic.irq[i].isr) irq = i;
    int fresh = irq < VMM_IRQS && (v->pic.fresh >> irq & 1);   /* only where it was raised */
    v->pic.fresh = 0;
    if (v->pic.hold) return 0;                  /* an IRQ_BOUNDARY hold runs out first */
    if (irq == VMM_IRQS || v->pic.in_hwint) { cf->stop_on_sti = 0; return 0; }
    vmm_irq *q = &v->pic.irq[irq];
    ci = vmmi_run_target_ctx(v, &busy);
    if (busy) {                                   /* VxD code with IF clear: wait for STI */
        uint32_t fl = v->run.oncpu == ci ? cpu_get_eflags(v->cpu) : v->ctx[ci].regs.eflags;
        if (!(fl & CPU_IF)) { cf->stop_on_sti = 1; return 0; }
    } else if (vmmi_cl_has(v, v->run.cur) && vmmi_vm_ready(v, v->run.cur) && !vmmi_cl_if(v, v->run.cur)) {
        return 0;   /* CL-3: client code runs at IOPL 3, its CLI holds the real interrupt */
    }
    cf->stop_on_sti = 0;
    if (boundary_hold(v, fresh, busy)) return 0;
    q->irr = 0;
    q->isr = 1;
    v->pic.in_hwint = 1;
    v->run.entered = 1;
    v->run.progress_cycle = vmmi_cycles(v);
    vmmi_charge(v, VMM_CYC_HWINT + v->m.service_cycles);
    rec(v, VMM_IRQOP_HWINT, irq, v->run.cur, q->hw_proc);
    vmm_cbargs a;
    memset(&a, 0, sizeof a);
    a.cb = q->hw_proc;
    a.eax = VMM_H_IRQ | irq;
    a.ebx = v->vm[v->run.cur].handle;
    a.int_time = 1;
    a.int_vmm = (uint8_t)(busy != 0);
    vmmi_ctx_start_cb(v, (uint32_t)ci, VMM_CB_HWINT, &a, 0, NULL);
    return 1;
}

static void irq_hw_done(vmm_state *v, const vmm_frame *f) {
    assert(f->kind == VMM_CB_HWINT && v->pic.in_hwint);
    (void)f;
    v->pic.in_hwint = 0;
}

/* ---- the simulated interrupt in a VM and its VID procedures --------------------- */

static int vid_is_due(const vmm_vid *d) {
    assert(d->phase <= VMM_VID_IRET_RUN && d->to <= VMM_VTO_CALLED);
    return d->phase == VMM_VID_EOI_DUE || d->phase == VMM_VID_IRET_DUE ||
           (d->phase == VMM_VID_HANDLER && d->to == VMM_VTO_FIRED);
}

static void vid_sync(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && vm < 64);
    if (vid_is_due(&v->pic.vid[vm])) v->pic.vid_due |= 1ull << vm;
    else v->pic.vid_due &= ~(1ull << vm);
}

/* Calls a VID procedure in vm's context from client level: EAX = IRQ handle, EBX = VM,
** interrupts disabled (ctx.c), CF = cf (VID_IRET_Proc: timed out). */
static int vid_call(vmm_state *v, uint32_t vm, int kind, uint32_t proc, uint32_t irq, uint32_t cf) {
    vmm_cbargs a;
    assert(proc && irq < VMM_IRQS && vm == v->run.cur);
    memset(&a, 0, sizeof a);
    a.cb = proc;
    a.eax = VMM_H_IRQ | irq;
    a.ebx = v->vm[vm].handle;
    a.cf = cf;
    v->run.entered = 1;
    return vmmi_ctx_start_cb(v, vm, kind, &a, 0, NULL);
}

/* The client handler starts: it runs irq_handler_cycles up to its EOI and IRET; the
** IRET time-out counts from here (only when there is an IRET procedure to tell). */
static void handler_start(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->vm[vm].vhandler >= 0 && v->vm[vm].vhandler < VMM_IRQS);
    vmm_vid *d = &v->pic.vid[vm];
    const vmm_irq *q = &v->pic.irq[v->vm[vm].vhandler];
    uint64_t now = vmmi_cycles(v);
    d->phase = VMM_VID_HANDLER;
    /* CL-4: a client program's real handler runs to its IRET (0); else (1) the handler
    ** is irq_handler_cycles of time */
    int cl = vmmi_cl_has(v, vm) ? vmmi_cl_enter_handler(v, vm, (uint32_t)v->vm[vm].vhandler) : 1;
    if (cl < 0) return;
    if (cl == 1 && eng_queue_push(v->q, now + v->m.irq_handler_cycles, VMM_EV_CLASS_IRQ, VMM_EV_IRET, vm, 0,
                                  NULL) != ENG_OK) {
        vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
        return;
    }
    if (q->iret_proc && q->iret_to_ms) {
        uint64_t cyc = ((uint64_t)q->iret_to_ms * v->m.clock_hz + 999) / 1000;
        if (eng_queue_push(v->q, now + cyc, VMM_EV_CLASS_IRQ, VMM_EV_IRET_TO, vm, 0, &d->to_seq) != ENG_OK) {
            vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
            return;
        }
        d->to = VMM_VTO_ARMED;
    }
}

/* Event time in the current VM: simulate its lowest requested IRQ if its virtual
** interrupts are enabled (Client_EFlags.IF) and no handler of it runs. */
int vmmi_irq_work(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t cur = v->run.cur, fl = 0;
    vmm_vm *m = &v->vm[cur];
    if (!m->vreq || m->vhandler >= 0) return 0;
    vmm_read(v, vmmi_client_ptr(v, cur) + 0x2C, &fl, 4);
    vmmi_por_mem(v, vmmi_client_ptr(v, cur) + 0x2C, 4, 0);
    if (!(fl & CPU_IF)) return 0;
    uint32_t irq = 0;
    while (!(m->vreq >> irq & 1)) irq++;
    m->vreq &= (uint16_t)~(1u << irq);
    m->vhandler = (int)irq;
    const vmm_irq *q = &v->pic.irq[irq];
    rec(v, VMM_IRQOP_SIMULATE, irq, cur, q->virt_proc);
    v->run.entered = 1;
    if (q->virt_proc) {                           /* the handler starts when it returns */
        v->pic.vid[cur].phase = VMM_VID_VIRT_RUN;
        vid_call(v, cur, VMM_CB_VID_VIRT, q->virt_proc, irq, 0);
        return 1;
    }
    handler_start(v, cur);
    return 1;
}

/* The simulated interrupt is over: the VM's Time_Critical_Boost goes. */
static void finish(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->vm[vm].vhandler >= 0 && v->vm[vm].vhandler < VMM_IRQS);
    vmm_vm *m = &v->vm[vm];
    uint32_t irq = (uint32_t)m->vhandler;
    m->vhandler = -1;
    v->pic.vid[vm].phase = VMM_VID_NONE;
    v->pic.vid[vm].to = VMM_VTO_NONE;
    vid_sync(v, vm);
    /* INT-1: a request made again while this handler ran keeps Time_Critical_Boost for
    ** the interrupt simulated next; VPICD_Clear_Int_Request still takes it off. */
    if ((m->vboost >> irq & 1) && !(m->vreq >> irq & 1)) {
        m->vboost &= (uint16_t)~(1u << irq);
        vmmi_sched_set_pri(v, vm, -(int64_t)VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
    }
}

/* The handler IRETs: VID_IRET_Proc is told unless its time-out already did. */
static void iret_step(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->vm[vm].vhandler >= 0 && v->vm[vm].vhandler < VMM_IRQS);
    vmm_vid *d = &v->pic.vid[vm];
    uint32_t irq = (uint32_t)v->vm[vm].vhandler;
    const vmm_irq *q = &v->pic.irq[irq];
    rec(v, VMM_IRQOP_IRET, irq, vm, q->iret_proc);
    if (q->iret_proc && d->to != VMM_VTO_CALLED) {
        d->phase = VMM_VID_IRET_DUE;
        vid_sync(v, vm);
        return;
    }
    finish(v, vm);
}

/* The client handler's time is up (EVENT kind=iret): its EOI, then its IRET. */
void vmmi_irq_iret(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->vm[vm].vhandler >= 0);
    vmm_vid *d = &v->pic.vid[vm];
    const vmm_irq *q = &v->pic.irq[v->vm[vm].vhandler];
    assert(d->phase == VMM_VID_HANDLER);
    if (d->to == VMM_VTO_ARMED) {                 /* IRET in time: no time-out */
        eng_queue_cancel(v->q, d->to_seq);
        d->to = VMM_VTO_NONE;
    }
    if (q->eoi_proc) {
        d->phase = VMM_VID_EOI_DUE;
        vid_sync(v, vm);
        return;
    }
    iret_step(v, vm);
}

/* VID_IRET_Time_Out ms passed before the IRET (EVENT kind=iret_timeout). A time-out
** dispatched after the IRET at the same cycle finds nothing armed. */
void vmmi_irq_iret_timeout(vmm_state *v, uint32_t vm, uint64_t seq) {
    assert(vm < v->nvms);
    vmm_vid *d = &v->pic.vid[vm];
    if (d->to != VMM_VTO_ARMED || d->to_seq != seq) return;
    assert(v->vm[vm].vhandler >= 0);
    d->to = VMM_VTO_FIRED;
    rec(v, VMM_IRQOP_IRET_TIMEOUT, (uint32_t)v->vm[vm].vhandler, vm, v->pic.irq[v->vm[vm].vhandler].iret_proc);
    vid_sync(v, vm);
}

/* A VID procedure returned (ctx.c frame_pop). */
static void irq_vid_done(vmm_state *v, const vmm_frame *f) {
    uint32_t vm = f->vm;
    assert(vm < v->nvms);
    if (v->vm[vm].vhandler < 0) return;          /* a time-out's call outlived the IRET */
    vmm_vid *d = &v->pic.vid[vm];
    if (f->kind == VMM_CB_VID_VIRT && d->phase == VMM_VID_VIRT_RUN) handler_start(v, vm);
    else if (f->kind == VMM_CB_VID_EOI && d->phase == VMM_VID_EOI_RUN) iret_step(v, vm);
    else if (f->kind == VMM_CB_VID_IRET && d->phase == VMM_VID_IRET_RUN) finish(v, vm);
    /* else VID_IRET_Proc told of a time-out: the handler still runs */
}

static int vid_start(vmm_state *v, uint32_t vm) {
    vmm_vid *d = &v->pic.vid[vm];
    uint32_t irq = (uint32_t)v->vm[vm].vhandler;
    const vmm_irq *q = &v->pic.irq[irq];
    assert(v->vm[vm].vhandler >= 0 && vid_is_due(d));
    if (d->phase == VMM_VID_EOI_DUE) {
        d->phase = VMM_VID_EOI_RUN;
        vid_sync(v, vm);
        return vid_call(v, vm, VMM_CB_VID_EOI, q->eoi_proc, irq, 0);
    }
    uint32_t cf = d->to == VMM_VTO_FIRED;
    d->to = VMM_VTO_CALLED;
    if (d->phase == VMM_VID_IRET_DUE) d->phase = VMM_VID_IRET_RUN;
    vid_sync(v, vm);
    return vid_call(v, vm, VMM_CB_VID_IRET, q->iret_proc, irq, cf);
}

/* Before the VMM returns to a VM: a due VID_EOI_Proc / VID_IRET_Proc of the current
** VM; else the time slicer switches to a VM of the top priority that has one. */
int vmmi_irq_vid_work(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t cur = v->run.cur, best;
    if (!v->pic.vid_due || !v->run.booted) return 0;
    if (vmmi_vm_ready(v, cur) && vmmi_ctx_live(v, cur) == 0 && v->ctx[v->nvms].depth == 0) {
        if (v->pic.vid_due >> cur & 1) { vid_start(v, cur); return 1; }
    }
    best = vmmi_sched_max_pri(v);
    for (uint32_t k = 1; k < v->nvms; k++) {
        uint32_t i = (cur + k) % v->nvms;
        if ((v->pic.vid_due >> i & 1) && vmmi_vm_ready(v, i) && v->vm[i].pri == best && vmmi_ctx_live(v, i) == 0) {
            vmmi_sched_switch(v, i, VMM_SW_EVENT);
            return 1;
        }
    }
    return 0;
}

/* A descriptor's procedures (0: none, except the hardware-interrupt one, checked by
** the caller) must lie in a VxD image. */
static int vid_check_procs(vmm_state *v, const vmm_call *c, const uint32_t *d) {
    static const struct { uint32_t off; const char *what; } f[] = {
        { VID_HW_INT_PROC, "VID_Hw_Int_Proc" }, { VID_VIRT_INT_PROC, "VID_Virt_Int_Proc" },
        { VID_EOI_PROC, "VID_EOI_Proc" }, { VID_IRET_PROC, "VID_IRET_Proc" } };
    int rc;
    assert(v && c && d);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (d[f[i].off / 4] && (rc = vmmi_svc_check_cb(v, c, d[f[i].off / 4], f[i].what))) return rc;
    return VMM_OK;
}

int vmmi_irq_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    int irq, vm, rc;
    switch (num) {
    case 0x00:                                    /* VPICD_Get_Version */
        r->eax = VPICD_VERSION;
        r->ebx = 0;
        r->ecx = VMM_IRQS - 1;
        return VMM_OK;
    case 0x01: {                                  /* VPICD_Virtualize_IRQ, EDI = descriptor */
        uint16_t n = 0xFFFF;
        uint32_t d[VID_SIZE / 4];                 /* the descriptor, read as dwords */
        if (vmm_read(v, r->edi, d, VID_SIZE))
            return vmmi_fail(v, VMM_EGUEST, "VPICD_Virtualize_IRQ: descriptor 0x%08x is outside memory", r->edi);
        memcpy(&n, (const uint8_t *)d + VID_IRQ_NUMBER, 2);
        uint32_t proc = d[VID_HW_INT_PROC / 4];
        if (n >= VMM_IRQS || v->pic.irq[n].desc || !proc) {
            r->eflags |= CPU_CF;                  /* already virtualized, or no procedure */
            return VMM_OK;
        }
        if ((rc = vid_check_procs(v, c, d))) return rc;
        v->pic.irq[n].desc = r->edi;
        v->pic.irq[n].hw_proc = proc;
        v->pic.irq[n].virt_proc = d[VID_VIRT_INT_PROC / 4];   /* 0: none (DDK default) */
        v->pic.irq[n].eoi_proc = d[VID_EOI_PROC / 4];
        v->pic.irq[n].iret_proc = d[VID_IRET_PROC / 4];
        v->pic.irq[n].iret_to_ms = d[VID_IRET_TIME_OUT / 4];
        r->eax = VMM_H_IRQ | n;
        r->eflags &= ~CPU_CF;
        rec(v, VMM_IRQOP_VIRTUALIZE, n, VMM_NONE, proc);
        return VMM_OK;
    }
    case 0x02: case 0x03:                         /* VPICD_Set_Int_Request / _Clear_ */
        if ((irq = irq_of(v, r->eax)) < 0) return v->run.err;
        if ((vm = vmmi_vm_of_handle(v, r->ebx)) < 0)
            return vmmi_fail(v, VMM_EGUEST, "VPICD: 0x%08x is not a VM handle", r->ebx);
        vmm_vm *m = &v->vm[vm];
        uint16_t bit = (uint16_t)(1u << irq);
        if (num == 0x02) {
            if (m->vreq & bit) return VMM_OK;
            m->vreq |= bit;
            rec(v, VMM_IRQOP_REQUEST, (uint32_t)irq, (uint32_t)vm, 0);
            if (!(m->vboost & bit)) {             /* until the handler returns */
                m->vboost |= bit;
                vmmi_sched_set_pri(v, (uint32_t)vm, VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
            }
            return VMM_OK;
        }
        if (!(m->vreq & bit)) return VMM_OK;
        m->vreq &= (uint16_t)~bit;
        rec(v, VMM_IRQOP_CLEAR, (uint32_t)irq, (uint32_t)vm, 0);
        if ((m->vboost & bit) && m->vhandler != irq) {
            m->vboost &= (uint16_t)~bit;
            vmmi_sched_set_pri(v, (uint32_t)vm, -(int64_t)VMM_TIME_CRIT_BOOST, VMM_PRI_IRQ);
        }
        return VMM_OK;
    case 0x04:                                    /* VPICD_Phys_EOI */
        if ((irq = irq_of(v, r->eax)) < 0) return v->run.err;
        v->pic.irq[irq].isr = 0;
        rec(v, VMM_IRQOP_EOI, (uint32_t)irq, VMM_NONE, 0);
        return VMM_OK;
    }
    return 1;
}

const vmmi_cb_ops vmmi_irq_hw_ops = { vmmi_ctx_step_one, NULL, irq_hw_done };
const vmmi_cb_ops vmmi_irq_vid_ops = { vmmi_ctx_step_one, NULL, irq_vid_done };
