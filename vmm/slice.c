/*
** slice.c — the time slicer (SL-1): time-slice priorities and flags, the execution
** focus, the granularity, Adjust_Execution_Time credit, Release_Time_Slice's
** background penalty, and Cur_Run_VM_Boost moving from VM to VM as slices end.
**
** The slicer is opt-in (machine.time_slicing): when off, no slice event is ever
** queued and no VM gets Cur_Run_VM_Boost, so runs are as without it; the services
** still keep their values. When on, the VMs "scheduled" are the ready, non-idle VMs
** of the time-slice list (the focus VM, plus background VMs unless the focus VM is
** exclusive). They get slices in round-robin VM order; a slice lasts granularity ·
** priority / (smallest priority among the scheduled), so that over a round each VM's
** share is its priority over the sum of the priorities of the scheduled VMs (the
** DDK's proportion) and no slice is shorter than the granularity. The slice's VM
** holds Cur_Run_VM_Boost; PRI-1 then makes it the current VM unless another VM's
** execution priority is higher (docs/vmm.md, "The time slicer").
*/
#include <string.h>

#include "vmm_int.h"

int vmmi_sl_on(const vmm_state *v) { return v->m.time_slicing != 0; }

static uint32_t slice_pri(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return vm == v->sl.focus ? v->vm[vm].fg : v->vm[vm].bg;
}

/* On the time-slice list: the focus VM; background VMs unless the focus is exclusive. */
static int listed(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->sl.focus < v->nvms);
    if (vm == v->sl.focus) return 1;
    if (vmmi_status(v, v->sl.focus) & VMM_VMSTAT_EXCLUSIVE) return 0;
    return (vmmi_status(v, vm) & (VMM_VMSTAT_BACKGROUND | VMM_VMSTAT_HIGH_PRI_BACK)) != 0;
}

static int scheduled(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return listed(v, vm) && vmmi_vm_ready(v, vm) && !(vmmi_status(v, vm) & VMM_VMSTAT_IDLE);
}

/* credit: what a starting slice applied, else the VM's credit after the operation. */
static void rec(vmm_state *v, int op, uint32_t vm, uint64_t cyc, int32_t credit) {
    assert(vm < v->nvms);
    vmmi_rec(v, VMM_REC_SLICE, 5, (uint64_t)op | (uint64_t)vm << 8, cyc, slice_pri(v, vm),
            (uint64_t)(int64_t)credit, v->sl.ms, 0);
}

void vmmi_sl_reset(vmm_state *v) {
    const vmm_scenario *s = v->s;
    assert(v->sys < v->nvms);
    memset(&v->sl, 0, sizeof v->sl);
    for (uint32_t i = 0; i < v->nvms; i++) {
        uint32_t fg = s->vms[i].fg_priority, bg = s->vms[i].bg_priority;
        v->vm[i].fg = fg ? (fg > VMM_SLICE_PRI_MAX ? VMM_SLICE_PRI_MAX : fg) : VMM_SLICE_PRI_FG;
        v->vm[i].bg = bg ? (bg > VMM_SLICE_PRI_MAX ? VMM_SLICE_PRI_MAX : bg) : VMM_SLICE_PRI_BG;
        v->vm[i].credit_ms = 0;
    }
    v->sl.focus = v->sys;
    v->sl.ms = v->m.time_slice_ms;
    v->sl.owner = -1;
    v->sl.last = (v->sys + v->nvms - 1) % v->nvms;   /* the first slice: the system VM's */
}

/* The smallest slice priority among the scheduled VMs (0: none scheduled). */
static uint32_t min_pri(vmm_state *v) {
    assert(v->nvms > 0);
    uint32_t m = 0;
    for (uint32_t i = 0; i < v->nvms; i++)
        if (scheduled(v, i) && (m == 0 || slice_pri(v, i) < m)) m = slice_pri(v, i);
    return m;
}

static uint64_t ms_cycles(const vmm_state *v, uint64_t ms) {
    assert(v->m.clock_hz > 0);
    uint64_t c = ms * v->m.clock_hz / 1000;
    return c ? c : 1;                           /* a clock below 1 kHz: still a slice */
}

/* The VM's slice length in cycles, its execution-time credit applied; 0: the
** credit (a penalty) swallows this slice, which pays the slice off the debt. */
static uint64_t slice_len(vmm_state *v, uint32_t vm, uint32_t minp, int force, int32_t *applied) {
    vmm_vm *x = &v->vm[vm];
    uint64_t base_ms = (uint64_t)v->sl.ms * slice_pri(v, vm) / minp;
    int64_t ms = (int64_t)base_ms + x->credit_ms;
    assert(minp > 0 && base_ms >= v->sl.ms);
    if (ms <= 0 && !force) {
        x->credit_ms += (int32_t)base_ms;
        return 0;
    }
    *applied = x->credit_ms;
    x->credit_ms = 0;
    if (ms < (int64_t)v->sl.ms && force) ms = (int64_t)v->sl.ms;
    return ms_cycles(v, (uint64_t)ms);
}

static void stop_owner(vmm_state *v) {
    int o = v->sl.owner;
    v->sl.due = 0;
    if (v->sl.armed) {
        int rc = eng_queue_cancel(v->q, v->sl.seq);
        assert(rc == ENG_OK);
        (void)rc;
        v->sl.armed = 0;
    }
    if (o < 0) return;
    v->sl.owner = -1;
    v->sl.last = (uint32_t)o;
    vmmi_sched_set_pri(v, (uint32_t)o, -(int64_t)VMM_CUR_RUN_BOOST, VMM_PRI_SLICE);
}

static void start(vmm_state *v, uint32_t vm, uint64_t len, int32_t credit) {
    assert(vm < v->nvms && len > 0 && v->sl.owner < 0);
    v->sl.owner = (int)vm;
    v->sl.serial++;
    rec(v, VMM_SLOP_START, vm, len, credit);
    vmmi_sched_set_pri(v, vm, VMM_CUR_RUN_BOOST, VMM_PRI_SLICE);
    v->run.need_resched = 1;            /* PRI-1 follows the boost: a slice switch */
    v->run.sw_reason = VMM_SW_SLICE;
    if (eng_queue_push(v->q, vmmi_cycles(v) + len, VMM_EV_CLASS_SLICE, VMM_EV_SLICE, v->sl.serial, 0,
                       &v->sl.seq) != ENG_OK) {
        vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
        return;
    }
    v->sl.armed = 1;
}

/* Ends the current slice and gives the next one to the next scheduled VM in VM
** order after the last owner. A VM whose credit swallows its slice is passed over;
** when a whole round passes everyone over, the first one runs a minimum slice. */
static void rotate(vmm_state *v) {
    stop_owner(v);
    uint32_t minp = min_pri(v), first = VMM_VMS_MAX;
    int32_t applied = 0;
    if (minp == 0) return;                      /* nobody is scheduled: no slices */
    for (uint32_t k = 1; k <= v->nvms; k++) {
        uint32_t i = (v->sl.last + k) % v->nvms;
        if (!scheduled(v, i)) continue;
        if (first == VMM_VMS_MAX) first = i;
        uint64_t len = slice_len(v, i, minp, 0, &applied);
        if (len) { start(v, i, len, applied); return; }
    }
    assert(first < v->nvms);
    uint64_t len = slice_len(v, first, minp, 1, &applied);
    start(v, first, len, applied);
}

/* VxD code is on the CPU (or an interrupt procedure runs): the VMM is not
** re-entered, so a slice end waits for it, as the real time slicer (driven by the
** timer interrupt) switches VMs only when the VMM returns to a VM. */
static int vxd_busy(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t cur = v->run.cur;
    return v->ctx[v->nvms].depth > 0 || v->pic.in_hwint || (vmmi_vm_ready(v, cur) && vmmi_ctx_live(v, cur) > 0);
}

/* After any change: a slice that ended gives way to the next one once no VxD code
** runs; the slice's VM must still be scheduled; a scheduled VM must not wait for a
** slice that nobody holds. */
void vmmi_sl_check(vmm_state *v) {
    assert(v->sl.owner < (int)v->nvms);
    if (!vmmi_sl_on(v) || !v->run.booted || v->run.err) return;
    if (v->sl.due) {
        if (vxd_busy(v)) return;
        v->sl.due = 0;
        rotate(v);
        return;
    }
    int o = v->sl.owner;
    if (o >= 0 && scheduled(v, (uint32_t)o)) return;
    if (o < 0 && min_pri(v) == 0) return;
    rotate(v);
}

void vmmi_sl_end(vmm_state *v, uint64_t serial) {
    assert(serial <= v->sl.serial);
    v->sl.armed = 0;
    if (serial != v->sl.serial || !vmmi_sl_on(v)) return;   /* a cancelled slice's event */
    v->sl.due = 1;
    vmmi_sl_check(v);
}

static uint32_t count_scheduled(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->nvms; i++) n += (uint32_t)scheduled(v, i);
    return n;
}

/* Release_Time_Slice with the slicer on: the VM is idle; a background VM (neither
** the focus nor High_Pri_Back) loses 500 ms of execution time (DDK); the rest of
** its slice goes to the next VM. Alone on the list, nothing but the idle bit. */
int vmmi_sl_release(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    int alone = count_scheduled(v) <= 1;
    vmmi_sched_idle(v, vm);
    if (alone) return VMM_OK;
    if (vm != v->sl.focus && !(vmmi_status(v, vm) & VMM_VMSTAT_HIGH_PRI_BACK) && listed(v, vm)) {
        int64_t c = (int64_t)v->vm[vm].credit_ms - VMM_RELEASE_PENALTY_MS;
        v->vm[vm].credit_ms = (int32_t)(c < -VMM_SLICE_CREDIT_MAX ? -VMM_SLICE_CREDIT_MAX : c);
    }
    rec(v, VMM_SLOP_RELEASE, vm, 0, v->vm[vm].credit_ms);
    if (v->sl.owner == (int)vm && v->run.booted) rotate(v);
    return VMM_OK;
}

static void set_cf(vmm_sregs *r, int on) { r->eflags = on ? r->eflags | CPU_CF : r->eflags & ~CPU_CF; }

static uint32_t clamp_pri(uint32_t p) {
    p &= 0xFFFFu;                               /* the high word must be 0 (DDK) */
    p = p == 0 ? 1 : p > VMM_SLICE_PRI_MAX ? VMM_SLICE_PRI_MAX : p;
    assert(p >= 1 && p <= VMM_SLICE_PRI_MAX);
    return p;
}

/* Get_Time_Slice_Priority's ESI: the most of the CPU the VM can get, in percent. */
static uint32_t share_pct(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    uint64_t sum = slice_pri(v, vm);
    if (!listed(v, vm) || !vmmi_vm_ready(v, vm)) return 0;
    for (uint32_t i = 0; i < v->nvms; i++)
        if (i != vm && scheduled(v, i)) sum += slice_pri(v, i);
    return (uint32_t)(slice_pri(v, vm) * 100u / sum);
}

static int focus_svc(vmm_state *v, vmm_call *c) {
    assert(c->vm < v->nvms);
    int vm = vmmi_svc_vm_arg(v, c, c->r.ebx);
    if (vm < 0) return v->run.err;
    /* Only the system VM may give the focus to another VM (DDK). */
    if (c->vm != v->sys && (uint32_t)vm != c->vm) { set_cf(&c->r, 1); return VMM_OK; }
    set_cf(&c->r, 0);
    v->sl.focus = (uint32_t)vm;
    rec(v, VMM_SLOP_FOCUS, (uint32_t)vm, 0, v->vm[vm].credit_ms);
    return VMM_OK;
}

int vmmi_sl_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    int vm;
    switch (num) {
    case 0x30: r->ebx = v->vm[v->sl.focus].handle; return VMM_OK;     /* Get_Execution_Focus */
    case 0x31: return focus_svc(v, c);
    case 0x32:                                                      /* Get_Time_Slice_Priority */
        if ((vm = vmmi_svc_vm_arg(v, c, c->r.ebx)) < 0) return v->run.err;
        r->eax = vmmi_status(v, (uint32_t)vm) & VMM_VMSTAT_SLICE_FLAGS;
        r->ecx = v->vm[vm].fg;
        r->edx = v->vm[vm].bg;
        r->esi = share_pct(v, (uint32_t)vm);
        return VMM_OK;
    case 0x33:                                                      /* Set_Time_Slice_Priority */
        if ((vm = vmmi_svc_vm_arg(v, c, c->r.ebx)) < 0) return v->run.err;
        vmmi_status_set(v, (uint32_t)vm, r->eax & VMM_VMSTAT_SLICE_FLAGS, VMM_VMSTAT_SLICE_FLAGS);
        v->vm[vm].fg = clamp_pri(r->ecx);
        v->vm[vm].bg = clamp_pri(r->edx);
        return VMM_OK;
    case 0x34: r->eax = v->sl.ms; return VMM_OK;               /* Get_Time_Slice_Granularity */
    case 0x35:                                                      /* Set_Time_Slice_Granularity */
        v->sl.ms = r->eax == 0 ? 1 : r->eax > 60000 ? 60000 : r->eax;
        return VMM_OK;
    case 0x36: {                                                    /* Get_Time_Slice_Info */
        uint32_t idle = 0;
        for (uint32_t i = 0; i < v->nvms; i++)
            idle += (uint32_t)(listed(v, i) && vmmi_vm_ready(v, i) && (vmmi_status(v, i) & VMM_VMSTAT_IDLE));
        r->eax = count_scheduled(v);
        r->ebx = v->vm[v->sl.owner >= 0 ? (uint32_t)v->sl.owner : v->run.cur].handle;
        r->ecx = idle;
        return VMM_OK;
    }
    case 0x37: {                                                    /* Adjust_Execution_Time */
        if ((vm = vmmi_svc_vm_arg(v, c, c->r.ebx)) < 0) return v->run.err;
        if (!scheduled(v, (uint32_t)vm)) return VMM_OK;             /* not on the list: nothing */
        int64_t cr = (int64_t)v->vm[vm].credit_ms + (int32_t)r->eax;
        if (cr > VMM_SLICE_CREDIT_MAX) cr = VMM_SLICE_CREDIT_MAX;
        if (cr < -VMM_SLICE_CREDIT_MAX) cr = -VMM_SLICE_CREDIT_MAX;
        v->vm[vm].credit_ms = (int32_t)cr;
        rec(v, VMM_SLOP_ADJUST, (uint32_t)vm, 0, v->vm[vm].credit_ms);
        return VMM_OK;
    }
    }
    return 1;
}
