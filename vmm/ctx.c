/*
** ctx.c — execution contexts and callbacks into guest code.
**
** Every piece of VxD code runs inside a frame of some context's frame stack: a
** control message, a timeline call, an idle / not-critical / task-switch callback.
** A frame started while the context already runs code (a callback from inside a
** service) saves the caller's registers and resumes them when its chain ends. The
** VMM pushes the address of its stub page's return breakpoint, so the callback's
** near RET comes back here; CB-1 is checked on every return.
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

void ctx_regs_fresh(const vmm_state *v, uint32_t ci, cpu_regs *r) {
    assert(ci < v->nctx);
    *r = v->regs0;
    memset(r->r, 0, sizeof r->r);
    r->r[CPU_ESP] = VMM_STACK_BASE + (ci + 1) * VMM_STACK_SIZE;
    r->eip = VMM_STUB_CB_RET;
    r->eflags = 0x00000202u;   /* IF set, as VxD code normally runs */
}

/* Puts context ci's registers on the CPU (saving the loaded one's). */
void ctx_load(vmm_state *v, uint32_t ci) {
    assert(ci < v->nctx);
    if (v->d.oncpu == (int)ci) return;
    if (v->d.oncpu >= 0) cpu_get_regs(v->cpu, &v->ctx[v->d.oncpu].regs);
    cpu_set_regs(v->cpu, &v->ctx[ci].regs);
    v->d.oncpu = (int)ci;
}

void ctx_unload(vmm_state *v) {
    if (v->d.oncpu < 0) return;
    cpu_get_regs(v->cpu, &v->ctx[v->d.oncpu].regs);
    v->d.oncpu = -1;
}

void sregs_get(vmm_state *v, vmm_sregs *r) {
    r->eax = cpu_get_reg(v->cpu, CPU_EAX);
    r->ebx = cpu_get_reg(v->cpu, CPU_EBX);
    r->ecx = cpu_get_reg(v->cpu, CPU_ECX);
    r->edx = cpu_get_reg(v->cpu, CPU_EDX);
    r->esi = cpu_get_reg(v->cpu, CPU_ESI);
    r->edi = cpu_get_reg(v->cpu, CPU_EDI);
    r->ebp = cpu_get_reg(v->cpu, CPU_EBP);
    r->eflags = cpu_get_eflags(v->cpu);
}

void sregs_put(vmm_state *v, const vmm_sregs *r) {
    cpu_set_reg(v->cpu, CPU_EAX, r->eax);
    cpu_set_reg(v->cpu, CPU_EBX, r->ebx);
    cpu_set_reg(v->cpu, CPU_ECX, r->ecx);
    cpu_set_reg(v->cpu, CPU_EDX, r->edx);
    cpu_set_reg(v->cpu, CPU_ESI, r->esi);
    cpu_set_reg(v->cpu, CPU_EDI, r->edi);
    cpu_set_reg(v->cpu, CPU_EBP, r->ebp);
    cpu_set_eflags(v->cpu, r->eflags);
}

/* Sets the loaded context's registers to r, cheaply when only the general
** registers, EIP and EFLAGS differ (the common case: all code is flat ring 0). */
static void regs_apply(vmm_state *v, const cpu_regs *r) {
    cpu_regs now;
    int same = 1;
    cpu_get_regs(v->cpu, &now);
    for (int s = 0; s < 6; s++) same &= now.seg[s].sel == r->seg[s].sel;
    if (!same) { cpu_set_regs(v->cpu, r); return; }
    for (int i = 0; i < 8; i++) cpu_set_reg(v->cpu, i, r->r[i]);
    cpu_set_eip(v->cpu, r->eip);
    cpu_set_eflags(v->cpu, r->eflags);
}

/* ---- boot: the control messages in DDK order ----------------------------------- */

static uint32_t boot_total(const vmm_state *v) {
    return (4 + 3 * (v->nvms - 1)) * v->s->nvxds;
}

static void boot_entry(const vmm_state *v, uint32_t p, uint32_t *msg, uint32_t *vm, uint32_t *vxd) {
    uint32_t e = p / v->s->nvxds, k, n = 0;
    *vxd = p % v->s->nvxds;
    *vm = v->sys;
    if (e < 4) { *msg = e; *vm = v->sys; return; }   /* Sys_Critical_Init … Sys_VM_Init */
    k = (e - 4) / 3;
    *msg = 7 + (e - 4) % 3;                           /* Create_VM, VM_Critical_Init, VM_Init */
    for (uint32_t i = 0; i < v->nvms; i++) {
        if (i == v->sys) continue;
        if (n++ == k) { *vm = i; return; }
    }
    assert(0);
}

static uint32_t boot_next(const vmm_state *v, uint32_t p) {
    uint32_t total = boot_total(v);
    while (p < total && v->s->vxds[p % v->s->nvxds].control_proc == 0) p++;
    return p;
}

/* ---- entering a callback --------------------------------------------------------- */

/* Starts the callback of frame f (already on the stack of the loaded context ci). */
static int cb_enter(vmm_state *v, uint32_t ci, vmm_frame *f, uint32_t cb, uint32_t eax,
                    uint32_t ebx, uint32_t edx, uint32_t ebp, int set_eax, int set_edx) {
    vmm_ctx *c = &v->ctx[ci];
    cpu_regs r;
    uint32_t ret = VMM_STUB_CB_RET;
    assert(v->d.oncpu == (int)ci && c->depth > 0);
    if (f->has_caller) r = f->caller; else ctx_regs_fresh(v, ci, &r);
    if (set_eax) r.r[CPU_EAX] = eax;
    r.r[CPU_EBX] = ebx;
    if (set_edx) r.r[CPU_EDX] = edx;
    r.r[CPU_EBP] = ebp;
    f->esp0 = r.r[CPU_ESP];
    f->ebp0 = ebp;
    for (int s = 0; s < 6; s++) f->sel0[s] = r.seg[s].sel;
    r.r[CPU_ESP] -= 4;
    if (r.r[CPU_ESP] < c->stack_top - VMM_STACK_SIZE || r.r[CPU_ESP] >= c->stack_top)
        return vmm_fail(v, VMM_ELIMIT, "ring-0 stack of context %u overflows (ESP 0x%08x) calling 0x%08x",
                        ci, r.r[CPU_ESP], cb);
    if (cpu_lin_write(v->cpu, r.r[CPU_ESP], &ret, 4) != CPU_OK)
        return vmm_fail(v, VMM_EGUEST, "stack at 0x%08x is outside guest memory calling 0x%08x",
                        r.r[CPU_ESP], cb);
    r.eip = cb;
    regs_apply(v, &r);
    vmm_charge(v, VMM_CYC_CB_CALL);
    f->cb = cb;
    f->entry_cycle = vmm_cycles(v);
    vmm_rec(v, VMM_REC_CB_ENTER, 6,
            f->kind | (uint64_t)c->depth << 8 | (uint64_t)f->vm << 16 | (uint64_t)v->vm[v->d.cur].pri << 32,
            cb, r.r[CPU_EAX], ebx, r.r[CPU_EDX], ebp);
    return VMM_OK;
}

/* Starts the frame's callback at its chain position. Returns VMM_OK, or 1 when the
** chain has nothing (left) to call. */
static int chain_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t cur = v->d.cur, sys = v->sys;
    switch (f->kind) {
    case VMM_CB_CONTROL: {
        uint32_t msg, vm, vxd;
        f->index = boot_next(v, f->index);
        if (f->index >= boot_total(v)) return 1;
        boot_entry(v, f->index, &msg, &vm, &vxd);
        f->vm = vm;
        vmm_rec(v, VMM_REC_CONTROL, 3, msg, vxd, vm, 0, 0, 0);
        return cb_enter(v, ci, f, v->s->vxds[vxd].control_proc, msg, v->vm[vm].handle, 0,
                        vmm_client_ptr(v, vm), 1, 1);
    }
    case VMM_CB_CALL: {
        const vmm_stimulus *t = &v->s->stim[f->index];
        f->vm = cur;
        return cb_enter(v, ci, f, t->target, 0, v->vm[cur].handle, t->arg, vmm_client_ptr(v, cur), 1, 1);
    }
    case VMM_CB_IDLE:          /* IDLE-3 order, IDLE-4 registers */
        if (f->index >= v->d.nidle) return 1;
        f->vm = cur;
        return cb_enter(v, ci, f, v->idle[f->index], 0, v->vm[sys].handle, 0, vmm_client_ptr(v, sys), 0, 0);
    case VMM_CB_NC: {          /* NC-2: the most recent, removed as it is called; NC-4 */
        uint32_t top;
        if (v->d.nnc == 0) return 1;
        top = --v->d.nnc;
        f->vm = cur;
        return cb_enter(v, ci, f, v->nc_cb[top], 0, v->vm[cur].handle, v->nc_ref[top],
                        vmm_client_ptr(v, cur), 0, 1);
    }
    case VMM_CB_EVENT: case VMM_CB_PRIO: case VMM_CB_TIMEOUT: case VMM_CB_HWINT:
    case VMM_CB_VID_VIRT: case VMM_CB_VID_EOI: case VMM_CB_VID_IRET: {
        int rc;                /* one callback: EV-1, EV-2, TO-1, INT-1 registers */
        int irqp = f->kind == VMM_CB_HWINT || f->kind >= VMM_CB_VID_VIRT;   /* EAX = IRQ handle */
        if (f->index) return 1;
        f->vm = cur;
        rc = cb_enter(v, ci, f, f->a.cb, f->a.eax, f->a.ebx, f->a.edx, vmm_client_ptr(v, cur),
                      irqp, !irqp);
        if (rc) return rc;
        if (f->kind == VMM_CB_TIMEOUT) cpu_set_reg(v->cpu, CPU_ECX, f->a.ecx);
        uint32_t fl = cpu_get_eflags(v->cpu);
        if (f->kind == VMM_CB_PRIO || f->kind == VMM_CB_VID_IRET)   /* timed out: CF set */
            fl = f->a.cf ? fl | CPU_CF : fl & ~CPU_CF;
        if (irqp) fl &= ~CPU_IF;   /* interrupt gate; VPICD calls VID procedures with IF clear */
        cpu_set_eflags(v->cpu, fl);
        return VMM_OK;
    }
    case VMM_CB_TS: {          /* TS-1: install order, EAX = old VM, EBX = new VM */
        if (f->index >= v->d.nts) return 1;
        f->vm = cur;
        cpu_regs fresh;
        ctx_regs_fresh(v, ci, &fresh);
        return cb_enter(v, ci, f, v->ts[f->index], v->vm[v->d.ts_old].handle, v->vm[cur].handle, 0,
                        fresh.r[CPU_EBP], 1, 0);
    }
    }
    assert(0);
    return 1;
}

/* Ends the top frame of the loaded context: resumes its caller, or leaves the
** context without code. */
static void frame_pop(vmm_state *v, uint32_t ci) {
    vmm_ctx *c = &v->ctx[ci];
    vmm_frame *f = &c->frame[c->depth - 1];
    assert(c->depth > 0 && v->d.oncpu == (int)ci);
    c->depth--;
    if (f->has_caller) regs_apply(v, &f->caller);
    if (f->kind == VMM_CB_PRIO) ev_frame_done(v, f);     /* EV-2: unboost before SVC_RET */
    if (f->kind == VMM_CB_HWINT) irq_hw_done(v, f);
    if (f->kind >= VMM_CB_VID_VIRT) irq_vid_done(v, f);   /* INT-1: the next step */
    if (f->svc) svc_ret_record(v, f->svc, f->vm, &f->out);
    if (f->kind == VMM_CB_CONTROL) {
        v->d.booted = 1;
        v->d.need_resched = 1;
    }
    if (f->kind == VMM_CB_TS) v->d.need_resched = 1;   /* a TS callback may have changed priorities */
}

/* Pushes a frame of `kind` on context ci and starts its first callback. For a frame
** started by a service, `svc`/`out` give the SVC_RET written when the chain ends. */
static int start(vmm_state *v, uint32_t ci, int kind, uint32_t index, const vmm_cbargs *a,
                 uint32_t svc, const vmm_sregs *out) {
    vmm_ctx *c = &v->ctx[ci];
    int rc;
    assert(ci < v->nctx && kind > 0 && kind < VMM_CB_KIND_COUNT);
    if (c->depth >= VMM_FRAMES_MAX)
        return vmm_fail(v, VMM_ELIMIT, "callbacks nested deeper than %u", VMM_FRAMES_MAX);
    ctx_load(v, ci);
    vmm_frame *f = &c->frame[c->depth++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->has_caller = c->depth > 1;
    f->index = index;
    f->svc = svc;
    f->vm = v->d.cur;
    if (out) f->out = *out;
    if (a) f->a = *a;
    else if (c->depth > 1) {   /* INT-1: code nested in an interrupt procedure inherits it */
        f->a.int_time = c->frame[c->depth - 2].a.int_time;
        f->a.int_vmm = c->frame[c->depth - 2].a.int_vmm;
    }
    if (f->has_caller) cpu_get_regs(v->cpu, &f->caller);
    rc = chain_step(v, ci, f);
    if (rc == 1) { frame_pop(v, ci); return VMM_OK; }
    return rc;
}

int ctx_start(vmm_state *v, uint32_t ci, int kind, uint32_t index, uint32_t svc,
              const vmm_sregs *out) {
    return start(v, ci, kind, index, NULL, svc, out);
}

int ctx_start_cb(vmm_state *v, uint32_t ci, int kind, const vmm_cbargs *a, uint32_t svc,
                 const vmm_sregs *out) {
    assert(a && a->cb);
    return start(v, ci, kind, 0, a, svc, out);
}

/* INT-1: whether code in context ci runs at interrupt time (its top frame). */
int ctx_int_time(const vmm_state *v, uint32_t ci, int *int_vmm) {
    const vmm_ctx *c = &v->ctx[ci];
    assert(ci < v->nctx);
    *int_vmm = c->depth ? c->frame[c->depth - 1].a.int_time && c->frame[c->depth - 1].a.int_vmm : 0;
    return c->depth ? c->frame[c->depth - 1].a.int_time : 0;
}

/* CB-1: EBP, ESP and the segment registers must be as the VMM gave them. */
static void check_cb1(vmm_state *v, const vmm_frame *f) {
    static const char *const sname[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    cpu_regs r;
    char text[160];
    const char *lab = vmm_label_at(v, f->cb);
    char addr[16];
    snprintf(addr, sizeof addr, "0x%08x", f->cb);
    cpu_get_regs(v->cpu, &r);
    if (r.r[CPU_EBP] != f->ebp0) {
        snprintf(text, sizeof text, "callback %s changed EBP from 0x%08x to 0x%08x",
                 lab ? lab : addr, f->ebp0, r.r[CPU_EBP]);
        vmm_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 0, f->ebp0, r.r[CPU_EBP], text);
    }
    if (r.r[CPU_ESP] != f->esp0) {
        snprintf(text, sizeof text, "callback %s returned with ESP 0x%08x, expected 0x%08x",
                 lab ? lab : addr, r.r[CPU_ESP], f->esp0);
        vmm_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 1, f->esp0, r.r[CPU_ESP], text);
    }
    for (int s = 0; s < 6; s++)
        if (r.seg[s].sel != f->sel0[s]) {
            snprintf(text, sizeof text, "callback %s changed %s from 0x%04x to 0x%04x",
                     lab ? lab : addr, sname[s], f->sel0[s], r.seg[s].sel);
            vmm_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 2 + (uint64_t)s, f->sel0[s], r.seg[s].sel, text);
        }
}

/* The loaded context's callback returned to the VMM's breakpoint. */
int ctx_on_return(vmm_state *v) {
    int ci = v->d.oncpu;
    assert(ci >= 0);
    vmm_ctx *c = &v->ctx[ci];
    if (c->depth == 0)
        return vmm_fail(v, VMM_EGUEST, "guest code jumped to the VMM's return stub (0x%08x)",
                        VMM_STUB_CB_RET);
    vmm_frame *f = &c->frame[c->depth - 1];
    uint32_t fl = cpu_get_eflags(v->cpu), cf = fl & CPU_CF;
    vmm_rec(v, VMM_REC_CB_RETURN, 4,
            f->kind | (uint64_t)c->depth << 8 | (uint64_t)f->vm << 16 | (uint64_t)(cf != 0) << 32,
            f->cb, cpu_get_reg(v->cpu, CPU_EAX), vmm_cycles(v) - f->entry_cycle, 0, 0);
    check_cb1(v, f);
    v->d.entered = 1;
    int more = 0;
    switch (f->kind) {
    case VMM_CB_CONTROL: {
        uint32_t msg, vm, vxd;
        boot_entry(v, f->index, &msg, &vm, &vxd);
        if (cf) {
            char text[160];
            snprintf(text, sizeof text, "%s failed %s (CF set) for VM %s", v->s->vxds[vxd].name,
                     vmm_control_msg_name(msg), v->s->vms[vm].name);
            vmm_finding_add(v, VMM_FND_INIT, vm, f->cb, vxd, msg, 0, text);
        }
        f->index++;
        more = 1;
        break;
    }
    case VMM_CB_IDLE:   /* IDLE-3: CF set passes to the next; CF clear ends the chain */
        f->index++;
        more = cf != 0;
        break;
    case VMM_CB_TS:
        f->index++;
        more = 1;
        break;
    default:
        break;
    }
    if (more) {
        int rc = chain_step(v, (uint32_t)ci, f);
        if (rc != 1) return rc;
    }
    frame_pop(v, (uint32_t)ci);
    return VMM_OK;
}
