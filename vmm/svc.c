/*
** svc.c — the VMM service table: INT 20h service dwords and the INT 2Fh entry
** points, with the rules each service follows (docs/vmm.md).
**
** A service reads and writes a vmm_sregs copy of the caller's registers; vmmi_svc_finish
** hands the results back to the guest (or, for a timeline stimulus, only to the
** trace), starts a callback chain the service asked for, or defers the SVC_RET
** when the calling VM cannot run on (blocked, suspended).
*/
#include <stdio.h>

#include "vmm_int.h"
#include "svc_names.h"

#define SVC_JMP_BIT   0x8000u   /* VMMjmp: return to the caller's caller */
#define INT2F_DEVICE  0x002Fu

/* VPICD's Windows 3.1 service table (device 3, VPICD.INC 3.10), for names in traces
** and errors; vmmsim implements 0..4 (docs/vmm.md, VPICD). */
static const char *const vpicd_names[] = {
    "VPICD_Get_Version", "VPICD_Virtualize_IRQ", "VPICD_Set_Int_Request",
    "VPICD_Clear_Int_Request", "VPICD_Phys_EOI", "VPICD_Get_Complete_Status",
    "VPICD_Get_Status", "VPICD_Test_Phys_Request", "VPICD_Physically_Mask",
    "VPICD_Physically_Unmask", "VPICD_Set_Auto_Masking", "VPICD_Get_IRQ_Complete_Status",
    "VPICD_Convert_Handle_To_IRQ", "VPICD_Convert_IRQ_To_Int", "VPICD_Convert_Int_To_IRQ",
    "VPICD_Call_When_Hw_Int", "VPICD_Force_Default_Owner", "VPICD_Force_Default_Behavior",
};

const char *vmm_service_name(uint32_t dword) {
    uint32_t dev = dword >> 16, num = dword & 0x7FFFu;
    if (dev == 1 && num < vmm_svc_count) return vmm_svc_names[num];
    if (dev == VPICD_DEVICE && num < sizeof vpicd_names / sizeof vpicd_names[0])
        return vpicd_names[num];
    return NULL;
}

const char *vmmi_svc_name(uint32_t dword, char *buf, size_t len) {
    assert(buf && len > 0);
    const char *n = vmm_service_name(dword);
    if (n) return n;
    if (dword >> 16 == INT2F_DEVICE) snprintf(buf, len, "Int2F_%04X", dword & 0xFFFFu);
    else snprintf(buf, len, "Service_%08X", dword);
    return buf;
}

void vmmi_svc_ret_record(vmm_state *v, uint32_t dword, uint32_t vm, const vmm_sregs *r) {
    assert(vm < v->nvms && dword != 0);
    uint64_t a0 = dword | (uint64_t)vm << 32 | (uint64_t)((r->eflags & CPU_CF) != 0) << 48 |
                  (uint64_t)((r->eflags & CPU_ZF) != 0) << 49;
    vmmi_rec(v, VMM_REC_SVC_RET, 6, a0, r->eax, r->ebx, r->ecx, r->edx, r->esi);
}

static void set_flag(vmm_sregs *r, uint32_t flag, int on) {
    assert(r && flag != 0 && (flag & (flag - 1)) == 0);   /* one flag bit */
    r->eflags = on ? r->eflags | flag : r->eflags & ~flag;
}

/* Installs callback cb in a table of cap entries (NC-1, TS-1: any number up to the
** machine's slots); a full table fails the run. */
int vmmi_svc_table_add(vmm_state *v, uint32_t *tab, uint32_t *n, uint32_t cap, uint32_t cb,
                       const char *what) {
    assert(tab && *n <= cap);
    if (*n >= cap) return vmmi_fail(v, VMM_ELIMIT, "%s: more than %u callbacks installed", what, cap);
    tab[(*n)++] = cb;
    return VMM_OK;
}

/* A VM handle argument; an invalid one is a guest error (the real VMM would crash). */
int vmmi_svc_vm_arg(vmm_state *v, const vmm_call *c, uint32_t handle) {
    assert(v && c);
    int vm = vmmi_vm_of_handle(v, handle);
    assert(vm < (int)v->nvms);
    if (vm < 0) {
        char name[64];
        vmmi_fail(v, VMM_EGUEST, "%s: 0x%08x is not a VM handle",
                 vmmi_svc_name(c->dword, name, sizeof name), handle);
    }
    return vm;
}

static int int2f(vmm_state *v, vmm_call *c) {
    assert(c->dword >> 16 == INT2F_DEVICE);
    switch (c->dword & 0xFFFFu) {
    case 0x1680:                                   /* release time slice; AL = 0: supported */
        c->r.eax &= ~0xFFu;
        return vmmi_sched_release_slice(v, c->vm);
    case 0x1681:                                   /* begin critical section */
        vmmi_crit_claim(v, c, 1);
        return VMM_OK;
    case 0x1682:
        vmmi_crit_end(v, c, 1);
        return VMM_OK;
    case 0x1689:                                   /* kernel idle: IDLE-2, IDLE-3, IDLE-5 */
        vmmi_idle_kernel_idle(v, c);
        return VMM_OK;
    }
    return vmmi_fail(v, VMM_EUNIMPL, "INT 2Fh AX=%04Xh is not implemented", c->dword & 0xFFFFu);
}

static int crit_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    switch (num) {
    case 0x1F: vmmi_crit_claim(v, c, 1); return VMM_OK;                        /* Begin */
    case 0x20: vmmi_crit_end(v, c, 1); return VMM_OK;                          /* End */
    case 0x21:                                                            /* CS-6 */
        if (v->crit.owner != (int)c->vm || v->crit.count != 1 || c->vm == v->sys) {
            set_flag(r, CPU_CF, 1);
            return VMM_OK;
        }
        vmmi_crit_end(v, c, 1);
        set_flag(r, CPU_CF, vmmi_sched_suspend(v, c->vm));
        return VMM_OK;
    case 0x22: if (r->eax) vmmi_crit_claim(v, c, r->eax); return VMM_OK;       /* CS-4 */
    case 0x23: if (r->ecx) vmmi_crit_end(v, c, r->ecx); return VMM_OK;
    case 0x29:                                                            /* CS-5 */
    case 0xF1:      /* Get_Crit_Status_No_Block: the same, as vmmsim delays no release */
        r->ecx = v->crit.count;
        r->ebx = v->vm[v->crit.owner < 0 ? c->vm : (uint32_t)v->crit.owner].handle;
        set_flag(r, CPU_CF, v->vm[v->run.cur].pri >= VMM_CRIT_BOOST);
        return VMM_OK;
    }
    return 1;
}

static int vm_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    int vm;
    switch (num) {
    case 0x00: r->eax = 0x030A; r->ecx = 0; set_flag(r, CPU_CF, 0); return VMM_OK;
    case 0x01: r->ebx = v->vm[v->run.cur].handle; return VMM_OK;
    case 0x02: set_flag(r, CPU_ZF, r->ebx == v->vm[v->run.cur].handle); return VMM_OK;
    case 0x03: r->ebx = v->vm[v->sys].handle; return VMM_OK;
    case 0x04: set_flag(r, CPU_ZF, r->ebx == v->vm[v->sys].handle); return VMM_OK;
    case 0x05: set_flag(r, CPU_CF, vmmi_vm_of_handle(v, r->ebx) < 0); return VMM_OK;
    case 0x3B:                                             /* Get_Next_VM_Handle */
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        r->ebx = v->vm[((uint32_t)vm + 1) % v->nvms].handle;
        return VMM_OK;
    case 0x1E:                                             /* Adjust_Exec_Priority, PRI-1 */
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        vmmi_sched_set_pri(v, (uint32_t)vm, (int32_t)r->eax, VMM_PRI_ADJUST);
        return VMM_OK;
    case 0x2B:
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        set_flag(r, CPU_CF, vmmi_sched_suspend(v, (uint32_t)vm));
        return VMM_OK;
    case 0x2C: case 0x2D:
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        set_flag(r, CPU_CF, vmmi_sched_resume(v, (uint32_t)vm, num == 0x2D));
        return VMM_OK;
    case 0x38: return vmmi_sched_release_slice(v, c->vm);
    case 0x39:
        if ((vm = vmmi_svc_vm_arg(v, c, r->ebx)) < 0) return v->run.err;
        vmmi_sched_wake(v, (uint32_t)vm);
        return VMM_OK;
    }
    return 1;
}

/* The VMM services that take a callback address in ESI (events, time-outs, the idle,
** not-critical and task-switch tables); VPICD_Virtualize_IRQ's come in its descriptor
** (vpicd.c). Each is checked before the service acts (where.c). */
static int cb_in_esi(uint32_t num) {
    static const uint16_t svc[] = { 0x0E, 0x0F, 0x10, 0x11, 0x14, 0x19, 0x24, 0x2A, 0x3A, 0x3C, 0x3D };
    assert(num <= 0x7FFFu);
    for (size_t i = 0; i < sizeof svc / sizeof svc[0]; i++)
        if (svc[i] == num) return 1;
    return 0;
}

/* What a service reads and changes of the VMM's state, by the table it works on
** (partial-order reduction, por.c): every service of a family reads and writes its
** tag; services that hand out handles share the serial counter; services that read
** a VM's execution time (Get_VM_Exec_Time, Adjust_Execution_Time) depend on every
** step; the system time's readers record their own slack (timer.c). Unlisted ones
** share MISC. */
static void svc_footprint(vmm_state *v, uint32_t dev, uint32_t num) {
    assert(v->por.fp != NULL);
    uint32_t tag = VMM_POR_MISC, serial = 0, time = 0;
    if (dev == INT2F_DEVICE) {   /* 1680h-1689h: slices, the section, kernel idle */
        vmmi_por_tag(v, VMM_POR_CRIT, 1);
        vmmi_por_tag(v, VMM_POR_IDLE, 1);
        tag = VMM_POR_SCHED;
    } else if (dev == VPICD_DEVICE) {
        tag = VMM_POR_IRQ, serial = 1;
    } else if (num <= 0x05) {
        vmmi_por_tag(v, VMM_POR_SCHED, 0);   /* handle queries: the current VM */
        return;
    } else if (num >= 0x0E && num <= 0x15) {
        tag = VMM_POR_EV, serial = 1;
    } else if ((num >= 0x1F && num <= 0x23) || num == 0x29) {
        tag = VMM_POR_CRIT;
    } else if (num == 0x24) {
        tag = VMM_POR_NC;
    } else if (num == 0x2A) {
        tag = VMM_POR_TS;
    } else if (num == 0x3A) {
        tag = VMM_POR_IDLE;
    } else if (num == 0x41) {
        tag = VMM_POR_HOOK;   /* HK-3: the hook table every INT n reads (hook.c) */
    } else if (num >= 0x3C && num <= 0x40) {
        if (num == 0x3F) return;   /* Get_System_Time: its read only (timer.c) */
        tag = VMM_POR_TM, serial = 1, time = num == 0x40;
    } else if (num == 0x1E || (num >= 0x2B && num <= 0x39) || num == 0x3B) {
        tag = VMM_POR_SCHED, time = num == 0x37;
    }
    vmmi_por_tag(v, tag, 1);
    if (serial) vmmi_por_tag(v, VMM_POR_SERIAL, 1);
    if (time) vmmi_por_time(v);
}

int vmmi_svc_dispatch(vmm_state *v, vmm_call *c) {
    assert(c->ctx < v->nctx && c->vm < v->nvms);
    uint32_t dev = c->dword >> 16, num = c->dword & 0x7FFFu;
    char name[64];
    int rc;
    if (v->por.fp) svc_footprint(v, dev, num);
    if ((rc = vmmi_life_svc(v, c, dev, num)) != 1) return rc;   /* VML (life.c) */
    if (dev == INT2F_DEVICE) return int2f(v, c);
    if (dev == 1) {
        if (cb_in_esi(num) && (rc = vmmi_svc_check_cb(v, c, c->r.esi, "callback (ESI)"))) return rc;
        if ((rc = vm_svc(v, c, num)) != 1) return rc;
        if ((rc = crit_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_nc_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_ts_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_idle_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_ev_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_tm_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_sl_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_cl_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_trap_svc(v, c, num)) != 1) return rc;
        if ((rc = vmmi_hk_svc(v, c, num)) != 1 || (rc = vmmi_simc_svc(v, c, num)) != 1) return rc;   /* HK, SIM */
        if ((rc = vmmi_nx_svc(v, c, num)) != 1) return rc;
        if (num < vmm_svc_count)
            return vmmi_fail(v, VMM_EUNIMPL, "%s (0x%08X) is not implemented", vmm_svc_names[num],
                            0x10000u | num);
        return vmmi_fail(v, VMM_EUNIMPL, "VMM service 0x%08X does not exist", c->dword);
    }
    if (dev == VPICD_DEVICE && (rc = vmmi_irq_svc(v, c, num)) != 1) return rc;
    return vmmi_fail(v, VMM_EUNIMPL, "%s: device 0x%04X service 0x%04X is not implemented",
                    vmmi_svc_name(c->dword, name, sizeof name), dev, c->dword & 0xFFFFu);
}

/* Hands the results back. On the code paths the guest's registers are updated. */
int vmmi_svc_finish(vmm_state *v, vmm_call *c) {
    assert(c->ctx < v->nctx);
    int code = c->path != VMM_PATH_STIM && c->path != VMM_PATH_CLIENT;
    vmm_ctx *x = &v->ctx[c->ctx];
    if (c->path == VMM_PATH_CLIENT) {   /* CL-2: the result goes to Client_EAX */
        assert(c->ctx < v->nvms);
        if (cpu_phys_write(v->cpu, vmmi_client_ptr(v, c->ctx) + 0x1C, &c->r.eax, 4) != CPU_OK)
            return vmmi_fail(v, VMM_EBROKEN, "Client_Reg_Struc of VM %u is outside guest memory", c->ctx);
    }
    if (code) {
        vmmi_sregs_put(v, &c->r);
        if (c->dword >> 16 != INT2F_DEVICE && (c->dword & SVC_JMP_BIT)) {
            uint32_t esp = cpu_get_reg(v->cpu, CPU_ESP), ret;
            if (cpu_lin_read(v->cpu, esp, &ret, 4) != CPU_OK)
                return vmmi_fail(v, VMM_EGUEST, "VMMjmp: stack at 0x%08x is outside guest memory", esp);
            cpu_set_reg(v->cpu, CPU_ESP, esp + 4);
            cpu_set_eip(v->cpu, ret);
        }
    }
    if (c->held) return VMM_OK;   /* NX-1: its SVC_RET comes at the nest's break point */
    if (c->chain && c->has_cba)
        return vmmi_ctx_start_cb(v, c->ctx, c->chain, &c->cba, c->dword & ~SVC_JMP_BIT, &c->r);
    if (c->chain) return vmmi_ctx_start(v, c->ctx, c->chain, 0, c->dword & ~SVC_JMP_BIT, &c->r);
    if (c->ctx < v->nvms && !vmmi_vm_ready(v, c->ctx)) {   /* returns when the VM runs again */
        x->ret_svc = c->dword & ~SVC_JMP_BIT;
        x->ret_out = c->r;
        return VMM_OK;
    }
    vmmi_svc_ret_record(v, c->dword & ~SVC_JMP_BIT, c->vm, &c->r);
    return VMM_OK;
}
