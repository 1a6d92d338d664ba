/*
** hook.c — V86 interrupt hooks, HK-1 … HK-4 (docs/vmm.md, "V86 interrupt hooks").
**
** Hook_V86_Int_Chain installs a hook procedure for one interrupt (HK-3). When a VM's
** V86 client code executes INT n, or a VxD calls Simulate_Int, and n is hooked, the
** hooks of n run as a callback chain in that VM's context, the last installed first,
** with EAX = n, EBX = the VM, EBP = its Client_Reg_Struc (HK-1). A hook that returns
** CF set passes the interrupt on; CF clear consumes it and ends the chain (HK-2). When
** every hook passes it on, the interrupt goes where it would have gone without hooks:
** the VMM's own INT 2Fh functions (CL-2, the bottom of the chain: HK-4) or the VM's
** vector table (CL-4, vmmi_simc_int). A simulated hardware interrupt (INT-1) into a V86
** VM runs the hooks of its vector too, before its handler.
**
** A chain's frame carries: a.eax the interrupt, a.edx the VM, a.ecx who simulated it
** (HK_FROM_*: Simulate_Int, client code's INT, VPICD), a.cf 1 once a hook consumed it; chain_n the
** number of installed hooks when it started and index the table position of the hook
** running (hooks installed while it runs are not part of it).
*/
#include <string.h>

#include "vmm_int.h"

enum { HK_FROM_VXD = 0, HK_FROM_CLIENT, HK_FROM_HW };   /* a chain's a.ecx: who simulated it */

void vmmi_hk_reset(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    memset(&v->hk, 0, sizeof v->hk);
}

/* The number of hooks installed for vec. */
static uint32_t hooks_of(const vmm_state *v, uint32_t vec) {
    uint32_t n = 0;
    assert(v->hk.n <= VMM_HOOKS_MAX);
    for (uint32_t k = 0; k < v->hk.n; k++) n += v->hk.vec[k] == vec;
    return n;
}

/* Whether vec has hooks: every INT n and simulated interrupt asks, so it reads the
** hook table (partial-order reduction: it depends on Hook_V86_Int_Chain, svc.c). */
int vmmi_hk_hooked(vmm_state *v, uint32_t vec) {
    vmmi_por_tag(v, VMM_POR_HOOK, 0);
    return vec <= 0xFFu && hooks_of(v, vec) > 0;
}

/* HK-3: Hook_V86_Int_Chain (EAX interrupt, ESI hook procedure): CF clear when installed,
** CF set for an interrupt number above 0FFh or a full table (VMM_HOOKS_MAX). */
int vmmi_hk_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    int rc;
    if (num != 0x41) return 1;
    assert(v->hk.n <= VMM_HOOKS_MAX);
    if ((rc = vmmi_svc_check_cb(v, c, c->r.esi, "hook procedure (ESI)"))) return rc;
    if (c->r.eax > 0xFFu || v->hk.n >= VMM_HOOKS_MAX) { c->r.eflags |= CPU_CF; return VMM_OK; }
    v->hk.cb[v->hk.n] = c->r.esi;
    v->hk.vec[v->hk.n++] = (uint8_t)c->r.eax;
    c->r.eflags &= ~CPU_CF;
    return VMM_OK;
}

/* The chain's arguments for interrupt vec of VM vm: the newest hook is the first. */
static vmm_cbargs chain_args(const vmm_state *v, uint32_t vm, uint32_t vec, uint32_t client) {
    vmm_cbargs a;
    memset(&a, 0, sizeof a);
    for (uint32_t k = v->hk.n; k-- > 0;)
        if (v->hk.vec[k] == vec) { a.cb = v->hk.cb[k]; break; }
    assert(a.cb != 0);
    a.eax = vec;
    a.edx = vm;
    a.ecx = client;
    return a;
}

/* HK-1: client code of VM vm executed INT vec, which is hooked: the VMM is entered
** (`CLIENT op=hook`, target = the number of hooks) and the chain starts in its context. */
int vmmi_hk_client_int(vmm_state *v, uint32_t vm, uint32_t vec) {
    assert(vm == v->run.cur && hooks_of(v, vec) > 0 && v->ctx[vm].depth == 0);
    vmm_cbargs a = chain_args(v, vm, vec, HK_FROM_CLIENT);
    vmmi_cl_rec(v, VMM_CLOP_HOOK, vm, vec, hooks_of(v, vec));
    vmmi_charge(v, VMM_CYC_V86_ENTRY + VMM_CYC_V86_IRET);
    return vmmi_ctx_start_cb(v, vm, VMM_CB_V86INT, &a, 0, NULL);
}

/* SIM-1 with hooks: Simulate_Int's chain runs nested in the calling VxD code, and its
** SVC_RET comes when the chain (and the reflection, if no hook consumed it) is done. */
int vmmi_hk_simulate(vmm_state *v, vmm_call *c, uint32_t vm, uint32_t vec) {
    assert(vm == v->run.cur && hooks_of(v, vec) > 0);
    vmmi_cl_rec(v, VMM_CLOP_HOOK, vm, vec, hooks_of(v, vec));
    c->chain = VMM_CB_V86INT;
    c->has_cba = 1;
    c->cba = chain_args(v, vm, vec, HK_FROM_VXD);
    c->cba.int_time = (uint8_t)c->int_time;   /* INT-1: nested code keeps interrupt time */
    c->cba.int_vmm = (uint8_t)c->int_vmm;
    return VMM_OK;
}

/* HK-1: the next hook of the chain below table position f->index (the first step starts
** above the newest); 1 when none is left. */
static int hk_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t vec = f->a.eax, vm = f->a.edx;
    assert(f->kind == VMM_CB_V86INT && vm < v->nvms && vec <= 0xFFu);
    if (f->chain_n == 0) { f->chain_n = v->hk.n + 1; f->index = v->hk.n; }
    while (f->index > 0 && v->hk.vec[f->index - 1] != vec) f->index--;   /* bounded by hk.n */
    if (f->index == 0) return 1;
    f->index--;
    f->vm = v->run.cur;
    vmmi_cb_regs in = { .cb = v->hk.cb[f->index], .eax = vec, .ebx = v->vm[vm].handle,
                        .ebp = vmmi_client_ptr(v, vm), .set_eax = 1 };
    return vmmi_ctx_enter(v, ci, f, &in);
}

/* HK-2: CF set passes the interrupt to the next hook; CF clear consumes it. */
static int hk_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    (void)v;
    assert(f->kind == VMM_CB_V86INT && f->index < VMM_HOOKS_MAX);
    if (!cf) f->a.cf = 1;
    return cf != 0;
}

/* Where the interrupt goes when the chain is over (HK-2, HK-4). Simulate_Int's: into
** the vector table, before its SVC_RET; the others in vmmi_hk_after. */
static void hk_done(vmm_state *v, const vmm_frame *f) {
    uint32_t vec = f->a.eax, vm = f->a.edx;
    assert(f->kind == VMM_CB_V86INT && vm < v->nvms);
    if (f->a.cf || v->run.err || f->a.ecx != HK_FROM_VXD) return;
    vmmi_simc_int(v, vm, vec, vmmi_creg_get(v, vm, VMM_CR_CS, 2), vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu,
                  VMM_CLOP_INT);
}

/* A client INT n no hook consumed: the VMM's own INT 2Fh function (CL-2, HK-4) or the
** VM's vector table (CL-4). A simulated hardware interrupt: its handler from the vector
** table with the frame back to the V86 breakpoint (CL-4), or, consumed, over at once:
** the client goes on where the hooks left it and INT-1's EOI and IRET steps follow. */
void vmmi_hk_after(vmm_state *v, const vmm_frame *f) {
    uint32_t vec = f->a.eax, vm = f->a.edx, origin = f->a.ecx, consumed = f->a.cf;
    uint32_t cs = vmmi_creg_get(v, vm, VMM_CR_CS, 2), ip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    uint32_t ax = vmmi_creg_get(v, vm, VMM_CR_EAX, 4) & 0xFFFFu;
    assert(f->kind == VMM_CB_V86INT && vm < v->nvms);
    if (v->run.err || origin == HK_FROM_VXD) return;
    if (origin == HK_FROM_CLIENT) {
        if (consumed) return;
        if (vmmi_cl_takes(vec, ax)) vmmi_cl_int2f(v, vm, ax);
        else vmmi_simc_int(v, vm, vec, cs, ip, VMM_CLOP_INT);
        return;
    }
    assert(origin == HK_FROM_HW);
    if (NEVER(v->vm[vm].vhandler < 0 || v->pic.vid[vm].phase != VMM_VID_HANDLER)) return;   /* its IRET ends it */
    if (consumed) {
        vmmi_cl_rec(v, VMM_CLOP_IRET, vm, 0, 0);
        vmmi_irq_iret(v, vm);
        return;
    }
    v->vm[vm].irq_ret = cs << 16 | ip;   /* where the handler's IRET returns (CL-1) */
    vmmi_simc_int(v, vm, vec, VMM_V86_BIOS_SEG, VMM_V86_IRQ_BP & 0xFFFFu, VMM_CLOP_SIMINT);
}

const vmmi_cb_ops vmmi_hk_ops = { hk_step, hk_next, hk_done };

/* HK-1: a simulated hardware interrupt into VM vm whose vector is hooked (client.c,
** called while VPICD's procedures may still run): its chain starts before the VM's
** client code runs on (vmmi_hk_work). */
void vmmi_hk_hw_due(vmm_state *v, uint32_t vm, uint32_t vec) {
    assert(vm < v->nvms && vec <= 0xFFu && !v->hk.hw_due[vm]);
    v->hk.hw_due[vm] = (uint16_t)(0x100u | vec);
}

/* Before VM vm's client code runs on: the hook chain of its simulated hardware
** interrupt, if one is due. 1: started. */
int vmmi_hk_work(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && vm == v->run.cur);
    uint32_t due = v->hk.hw_due[vm], vec = due & 0xFFu;
    if (!due) return 0;
    v->hk.hw_due[vm] = 0;
    if (NEVER(v->vm[vm].vhandler < 0)) return 0;   /* only the handler's IRET ends it */
    vmm_cbargs a = chain_args(v, vm, vec, HK_FROM_HW);
    vmmi_cl_rec(v, VMM_CLOP_HOOK, vm, vec, hooks_of(v, vec));
    v->run.entered = 1;
    vmmi_ctx_start_cb(v, vm, VMM_CB_V86INT, &a, 0, NULL);
    return 1;
}
