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

void vmmi_ctx_regs_fresh(const vmm_state *v, uint32_t ci, cpu_regs *r) {
    assert(ci < v->nctx);
    *r = v->regs0;
    memset(r->r, 0, sizeof r->r);
    r->r[CPU_ESP] = VMM_STACK_BASE + (ci + 1) * VMM_STACK_SIZE;
    r->eip = VMM_STUB_CB_RET;
    r->eflags = 0x00000202u;   /* IF set, as VxD code normally runs */
}

/* Puts context ci's registers on the CPU (saving the loaded one's). */
void vmmi_ctx_load(vmm_state *v, uint32_t ci) {
    assert(ci < v->nctx);
    if (v->run.oncpu == (int)ci) return;
    if (v->run.oncpu >= 0) cpu_get_regs(v->cpu, &v->ctx[v->run.oncpu].regs);
    cpu_set_regs(v->cpu, &v->ctx[ci].regs);
    v->run.oncpu = (int)ci;
}

void vmmi_ctx_unload(vmm_state *v) {
    assert(v->run.oncpu < (int)v->nctx);
    if (v->run.oncpu < 0) return;
    cpu_get_regs(v->cpu, &v->ctx[v->run.oncpu].regs);
    v->run.oncpu = -1;
}

void vmmi_sregs_get(vmm_state *v, vmm_sregs *r) {
    assert(v->cpu && r);
    r->eax = cpu_get_reg(v->cpu, CPU_EAX);
    r->ebx = cpu_get_reg(v->cpu, CPU_EBX);
    r->ecx = cpu_get_reg(v->cpu, CPU_ECX);
    r->edx = cpu_get_reg(v->cpu, CPU_EDX);
    r->esi = cpu_get_reg(v->cpu, CPU_ESI);
    r->edi = cpu_get_reg(v->cpu, CPU_EDI);
    r->ebp = cpu_get_reg(v->cpu, CPU_EBP);
    r->eflags = cpu_get_eflags(v->cpu);
}

void vmmi_sregs_put(vmm_state *v, const vmm_sregs *r) {
    assert(v->cpu && r);
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
    assert(v->run.oncpu >= 0 && r);
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
    assert(v->nvms >= 1 && v->s->nvxds > 0 && v->life.nlater < v->nvms);
    return (4 + 3 * (v->nvms - v->life.nlater - 1)) * v->s->nvxds;   /* VML: boot VMs only */
}

static void boot_entry(const vmm_state *v, uint32_t p, uint32_t *msg, uint32_t *vm, uint32_t *vxd) {
    uint32_t e = p / v->s->nvxds, k, n = 0;
    *vxd = p % v->s->nvxds;
    *vm = v->sys;
    if (e < 4) { *msg = e; *vm = v->sys; return; }   /* Sys_Critical_Init … Sys_VM_Init */
    k = (e - 4) / 3;
    *msg = 7 + (e - 4) % 3;                           /* Create_VM, VM_Critical_Init, VM_Init */
    for (uint32_t i = 0; i < v->nvms; i++) {
        if (i == v->sys || !vmmi_life_boot_vm(v, i)) continue;
        if (n++ == k) { *vm = i; return; }
    }
    assert(0);
}

static uint32_t boot_next(const vmm_state *v, uint32_t p) {
    assert(v->s->nvxds > 0);
    uint32_t total = boot_total(v);
    while (p < total && v->s->vxds[p % v->s->nvxds].control_proc == 0) p++;
    return p;
}

/* ---- entering a callback --------------------------------------------------------- */

/* Starts the callback of frame f (already on the stack of the loaded context ci)
** with the entry registers `in`. */
int vmmi_ctx_enter(vmm_state *v, uint32_t ci, vmm_frame *f, const vmmi_cb_regs *in) {
    vmm_ctx *c = &v->ctx[ci];
    cpu_regs r;
    uint32_t ret = VMM_STUB_CB_RET, cb = in->cb;
    assert(v->run.oncpu == (int)ci && c->depth > 0 && f == &c->frame[c->depth - 1]);
    if (f->has_caller) r = f->caller; else vmmi_ctx_regs_fresh(v, ci, &r);
    if (in->set_eax) r.r[CPU_EAX] = in->eax;
    r.r[CPU_EBX] = in->ebx;
    if (in->set_edx) r.r[CPU_EDX] = in->edx;
    r.r[CPU_EBP] = in->ebp;
    f->esp0 = r.r[CPU_ESP];
    f->ebp0 = in->ebp;
    for (int s = 0; s < 6; s++) f->sel0[s] = r.seg[s].sel;
    r.r[CPU_ESP] -= 4;
    if (r.r[CPU_ESP] < c->stack_top - VMM_STACK_SIZE || r.r[CPU_ESP] >= c->stack_top)
        return vmmi_fail(v, VMM_ELIMIT, "ring-0 stack of context %u overflows (ESP 0x%08x) calling 0x%08x",
                         ci, r.r[CPU_ESP], cb);
    if (cpu_lin_write(v->cpu, r.r[CPU_ESP], &ret, 4) != CPU_OK)
        return vmmi_fail(v, VMM_EGUEST, "stack at 0x%08x is outside guest memory calling 0x%08x",
                         r.r[CPU_ESP], cb);
    r.eip = cb;
    regs_apply(v, &r);
    vmmi_charge(v, VMM_CYC_CB_CALL);
    f->cb = cb;
    f->entry_cycle = vmmi_cycles(v);
    vmmi_rec(v, VMM_REC_CB_ENTER, 6,
             f->kind | (uint64_t)c->depth << 8 | (uint64_t)f->vm << 16 | (uint64_t)v->vm[v->run.cur].pri << 32,
             cb, r.r[CPU_EAX], in->ebx, r.r[CPU_EDX], in->ebp);
    vmmi_por_enter(v, cb);
    if (v->life.norphan) vmmi_life_on_enter(v, f);   /* VML-1, VML-3 */
    return VMM_OK;
}

/* ---- callback kinds owned here: control messages, timeline calls ---------------- */

static int control_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t msg, vm, vxd;
    assert(f->kind == VMM_CB_CONTROL);
    f->index = boot_next(v, f->index);
    if (f->index >= boot_total(v)) return 1;
    boot_entry(v, f->index, &msg, &vm, &vxd);
    f->vm = vm;
    vmmi_rec(v, VMM_REC_CONTROL, 3, msg, vxd, vm, 0, 0, 0);
    vmmi_cb_regs in = { .cb = v->s->vxds[vxd].control_proc, .eax = msg, .ebx = v->vm[vm].handle,
                        .ebp = vmmi_client_ptr(v, vm), .set_eax = 1, .set_edx = 1 };
    return vmmi_ctx_enter(v, ci, f, &in);
}

/* A control procedure that returns CF set failed the message: a finding. */
static int control_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    uint32_t msg, vm, vxd;
    assert(f->kind == VMM_CB_CONTROL);
    boot_entry(v, f->index, &msg, &vm, &vxd);
    if (cf) {
        char text[160];
        snprintf(text, sizeof text, "%s failed %s (CF set) for VM %s", v->s->vxds[vxd].name,
                 vmmi_control_msg_name(msg), v->s->vms[vm].name);
        vmmi_finding_add(v, VMM_FND_INIT, vm, f->cb, vxd, msg, 0, text);
    }
    f->index++;
    return 1;
}

static void control_done(vmm_state *v, const vmm_frame *f) {
    (void)f;
    assert(f->kind == VMM_CB_CONTROL);
    v->run.booted = 1;
    v->run.need_resched = 1;
}

static int call_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    const vmm_stimulus *t = &v->s->stim[f->index];
    uint32_t cur = v->run.cur;
    assert(f->kind == VMM_CB_CALL && f->index < v->s->nstim);
    f->vm = cur;
    /* A scenario's call may set EAX, ECX, ESI, EDI (scenarios/README.md); unset ones
    ** keep what the entry gives them (EAX 0), so old scenarios trace as before. */
    uint32_t eax = (t->regs_set & 1u << VMM_CALL_EAX) ? t->regs[VMM_CALL_EAX] : 0;
    vmmi_cb_regs in = { .cb = t->target, .eax = eax, .ebx = v->vm[cur].handle, .edx = t->arg,
                        .ebp = vmmi_client_ptr(v, cur), .set_eax = 1, .set_edx = 1 };
    int rc = vmmi_ctx_enter(v, ci, f, &in);
    if (rc) return rc;
    static const uint8_t cpu_reg[VMM_CALL_REGS] = { CPU_EAX, CPU_ECX, CPU_ESI, CPU_EDI };
    for (uint32_t r = VMM_CALL_ECX; r < VMM_CALL_REGS; r++)
        if (t->regs_set & 1u << r) cpu_set_reg(v->cpu, cpu_reg[r], t->regs[r]);
    return VMM_OK;
}

/* One callback with the arguments its frame carries: EV-1, EV-2, TO-1, INT-1
** registers. EAX is the IRQ handle for interrupt procedures, which run with IF clear
** (an interrupt gate; VPICD calls VID procedures with IF clear). */
int vmmi_ctx_step_one(vmm_state *v, uint32_t ci, vmm_frame *f) {
    int rc;
    int irqp = f->kind == VMM_CB_HWINT || (f->kind >= VMM_CB_VID_VIRT && f->kind <= VMM_CB_VID_IRET);
    assert(f->kind >= VMM_CB_EVENT && f->kind < VMM_CB_KIND_COUNT);
    if (f->index) return 1;
    f->vm = v->run.cur;
    vmmi_cb_regs in = { .cb = f->a.cb, .eax = f->a.eax, .ebx = f->a.ebx, .edx = f->a.edx,
                        .ebp = vmmi_client_ptr(v, v->run.cur), .set_eax = (uint8_t)irqp,
                        .set_edx = (uint8_t)!irqp };
    rc = vmmi_ctx_enter(v, ci, f, &in);
    if (rc) return rc;
    if (f->kind == VMM_CB_TIMEOUT) cpu_set_reg(v->cpu, CPU_ECX, f->a.ecx);
    uint32_t fl = cpu_get_eflags(v->cpu);
    if (f->kind == VMM_CB_PRIO || f->kind == VMM_CB_VID_IRET)   /* timed out: CF set */
        fl = f->a.cf ? fl | CPU_CF : fl & ~CPU_CF;
    if (irqp) fl &= ~CPU_IF;
    cpu_set_eflags(v->cpu, fl);
    return VMM_OK;
}

static const vmmi_cb_ops control_ops = { control_step, control_next, control_done };
static const vmmi_cb_ops call_ops = { call_step, NULL, NULL };

/* Each callback kind's steps, owned by the file of its rule family (vmm_int.h). */
static const vmmi_cb_ops *const cb_ops[VMM_CB_KIND_COUNT] = {
    [VMM_CB_CONTROL] = &control_ops,       [VMM_CB_CALL] = &call_ops,
    [VMM_CB_IDLE] = &vmmi_idle_ops,        [VMM_CB_NC] = &vmmi_nc_ops,
    [VMM_CB_TS] = &vmmi_ts_ops,            [VMM_CB_EVENT] = &vmmi_ev_ops,
    [VMM_CB_PRIO] = &vmmi_ev_prio_ops,     [VMM_CB_TIMEOUT] = &vmmi_tm_ops,
    [VMM_CB_HWINT] = &vmmi_irq_hw_ops,     [VMM_CB_VID_VIRT] = &vmmi_irq_vid_ops,
    [VMM_CB_VID_EOI] = &vmmi_irq_vid_ops,  [VMM_CB_VID_IRET] = &vmmi_irq_vid_ops,
    [VMM_CB_IOTRAP] = &vmmi_trap_ops,
    [VMM_CB_V86INT] = &vmmi_hk_ops,
    [VMM_CB_V86] = &vmmi_nx_cb_ops,
    [VMM_CB_LIFE] = &vmmi_life_ops,
};

/* Each kind's step after its frame is gone, where it has one (vmm_int.h). */
static const vmmi_cb_after cb_after[VMM_CB_KIND_COUNT] = { [VMM_CB_V86INT] = vmmi_hk_after };

static const vmmi_cb_ops *ops_of(int kind) {
    assert(kind > 0 && kind < VMM_CB_KIND_COUNT && cb_ops[kind] && cb_ops[kind]->step);
    return cb_ops[kind];
}

/* Ends the top frame of the loaded context: resumes its caller, or leaves the
** context without code. */
static void frame_pop(vmm_state *v, uint32_t ci) {
    vmm_ctx *c = &v->ctx[ci];
    vmm_frame *f = &c->frame[c->depth - 1];
    const vmmi_cb_ops *ops = ops_of(f->kind);
    assert(c->depth > 0 && v->run.oncpu == (int)ci);
    c->depth--;
    if (f->has_caller) regs_apply(v, &f->caller);
    if (ops->done) ops->done(v, f);       /* e.g. EV-2: unboost before SVC_RET */
    if (f->svc) vmmi_svc_ret_record(v, f->svc, f->vm, &f->out);
    if (cb_after[f->kind]) cb_after[f->kind](v, f);   /* HK-4: may start a frame in this slot */
}

/* Pushes a frame of `kind` on context ci and starts its first callback. For a frame
** started by a service, `svc`/`out` give the SVC_RET written when the chain ends. */
static int start(vmm_state *v, uint32_t ci, int kind, uint32_t index, const vmm_cbargs *a,
                 uint32_t svc, const vmm_sregs *out) {
    vmm_ctx *c = &v->ctx[ci];
    int rc;
    assert(ci < v->nctx && kind > 0 && kind < VMM_CB_KIND_COUNT);
    if (c->depth >= VMM_FRAMES_MAX)
        return vmmi_fail(v, VMM_ELIMIT, "callbacks nested deeper than %u", VMM_FRAMES_MAX);
    vmmi_ctx_load(v, ci);
    vmm_frame *f = &c->frame[c->depth++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->has_caller = c->depth > 1;
    f->index = index;
    f->svc = svc;
    f->vm = v->run.cur;
    if (out) f->out = *out;
    if (a) f->a = *a;
    else if (c->depth > 1) {   /* INT-1: code nested in an interrupt procedure inherits it */
        f->a.int_time = c->frame[c->depth - 2].a.int_time;
        f->a.int_vmm = c->frame[c->depth - 2].a.int_vmm;
    }
    if (f->has_caller) cpu_get_regs(v->cpu, &f->caller);
    rc = ops_of(kind)->step(v, ci, f);
    if (rc == 1) { frame_pop(v, ci); return VMM_OK; }
    return rc;
}

int vmmi_ctx_start(vmm_state *v, uint32_t ci, int kind, uint32_t index, uint32_t svc,
              const vmm_sregs *out) {
    assert(kind != VMM_CB_CALL || index < v->s->nstim);
    return start(v, ci, kind, index, NULL, svc, out);
}

int vmmi_ctx_start_cb(vmm_state *v, uint32_t ci, int kind, const vmm_cbargs *a, uint32_t svc,
                 const vmm_sregs *out) {
    assert(a && a->cb);
    return start(v, ci, kind, 0, a, svc, out);
}

/* INT-1: whether code in context ci runs at interrupt time (its top frame). */
int vmmi_ctx_int_time(const vmm_state *v, uint32_t ci, int *int_vmm) {
    const vmm_ctx *c = &v->ctx[ci];
    assert(ci < v->nctx);
    *int_vmm = c->depth ? c->frame[c->depth - 1].a.int_time && c->frame[c->depth - 1].a.int_vmm : 0;
    return c->depth ? c->frame[c->depth - 1].a.int_time : 0;
}

/* The callback's name for a CB-1 finding: its label, else its address. Only made when
** a finding is (a run returns from thousands of callbacks). */
static const char *cb1_name(vmm_state *v, const vmm_frame *f, char *buf, size_t n) {
    const char *lab = vmm_label_at(v, f->cb);
    if (lab) return lab;
    snprintf(buf, n, "0x%08x", f->cb);
    return buf;
}

/* CB-1: EBP, ESP and the segment registers must be as the VMM gave them. */
static void check_cb1(vmm_state *v, const vmm_frame *f) {
    assert(f->kind > 0 && f->kind < VMM_CB_KIND_COUNT);
    static const char *const sname[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    cpu_regs r;
    char text[160], addr[16];
    cpu_get_regs(v->cpu, &r);
    if (r.r[CPU_EBP] != f->ebp0) {
        snprintf(text, sizeof text, "callback %s changed EBP from 0x%08x to 0x%08x",
                 cb1_name(v, f, addr, sizeof addr), f->ebp0, r.r[CPU_EBP]);
        vmmi_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 0, f->ebp0, r.r[CPU_EBP], text);
    }
    if (r.r[CPU_ESP] != f->esp0) {
        snprintf(text, sizeof text, "callback %s returned with ESP 0x%08x, expected 0x%08x",
                 cb1_name(v, f, addr, sizeof addr), r.r[CPU_ESP], f->esp0);
        vmmi_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 1, f->esp0, r.r[CPU_ESP], text);
    }
    for (int s = 0; s < 6; s++)
        if (r.seg[s].sel != f->sel0[s]) {
            snprintf(text, sizeof text, "callback %s changed %s from 0x%04x to 0x%04x",
                     cb1_name(v, f, addr, sizeof addr), sname[s], f->sel0[s], r.seg[s].sel);
            vmmi_finding_add(v, VMM_FND_CB1, f->vm, f->cb, 2 + (uint64_t)s, f->sel0[s], r.seg[s].sel, text);
        }
}

/* The loaded context's callback returned to the VMM's breakpoint. */
int vmmi_ctx_on_return(vmm_state *v) {
    int ci = v->run.oncpu;
    assert(ci >= 0);
    vmm_ctx *c = &v->ctx[ci];
    if (c->depth == 0)
        return vmmi_fail(v, VMM_EGUEST, "guest code jumped to the VMM's return stub (0x%08x)",
                        VMM_STUB_CB_RET);
    vmm_frame *f = &c->frame[c->depth - 1];
    uint32_t fl = cpu_get_eflags(v->cpu), cf = fl & CPU_CF;
    vmmi_rec(v, VMM_REC_CB_RETURN, 4,
            f->kind | (uint64_t)c->depth << 8 | (uint64_t)f->vm << 16 | (uint64_t)(cf != 0) << 32,
            f->cb, cpu_get_reg(v->cpu, CPU_EAX), vmmi_cycles(v) - f->entry_cycle, 0, 0);
    check_cb1(v, f);
    v->run.entered = 1;
    const vmmi_cb_ops *ops = ops_of(f->kind);
    int more = ops->next ? ops->next(v, f, cf) : 0;
    if (more) {
        int rc = ops->step(v, (uint32_t)ci, f);
        if (rc != 1) return rc;
    }
    frame_pop(v, (uint32_t)ci);
    return VMM_OK;
}
