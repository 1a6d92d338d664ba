/*
** life.c — the VM lifecycle, VML-1 … VML-3: VMs created and destroyed while the
** system runs (timeline stimuli create_vm, destroy_vm, exit; services Nuke_VM and
** Crash_Cur_VM), their control messages in the DDK's order, what becomes of a
** destroyed VM's pending callbacks, and the findings about stale VM handles.
** docs/vmm.md, "The VM lifecycle", gives the model and the choices the DDK leaves open.
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

#define NUM_NUKE_VM      0x2Eu
#define NUM_CRASH_CUR_VM 0x2Fu
#define NUM_NEXT_VM      0x3Bu
#define NUM_CLOSE_VM     0xECu

static int is_life_stim(uint32_t kind) {
    return kind == VMM_STIM_CREATE_VM || kind == VMM_STIM_DESTROY_VM || kind == VMM_STIM_EXIT;
}

/* ---- the machine's fixed part (vmm_new) -------------------------------------------- */

/* Checks the scenario's lifecycle: a start_later VM is created by exactly one
** create_vm, the system VM is neither created nor destroyed (exit ends it). */
int vmmi_life_init(vmm_state *v, char *why, size_t len) {
    const vmm_scenario *s = v->s;
    uint32_t made[VMM_VMS_MAX] = { 0 };
    assert(v->nvms <= VMM_VMS_MAX && why);
    memset(&v->life, 0, sizeof v->life);
    for (uint32_t i = 0; i < v->nvms; i++) {
        if (!s->vms[i].start_later) continue;
        if (s->vms[i].system)
            return snprintf(why, len, "VM %s: the system VM exists from boot (start: later)",
                            s->vms[i].name), VMM_EINVAL;
        v->life.nlater++;
    }
    for (uint32_t k = 0; k < s->nstim; k++) {
        const vmm_stimulus *t = &s->stim[k];
        if (!is_life_stim(t->kind)) continue;
        v->life.on0 = 1;
        if (t->kind == VMM_STIM_CREATE_VM && (!s->vms[t->vm].start_later || made[t->vm]++))
            return snprintf(why, len, "stimulus %u: create_vm of VM %s, which is not a start: "
                            "later VM or is created twice", k, s->vms[t->vm].name), VMM_EINVAL;
        if (t->kind == VMM_STIM_DESTROY_VM && s->vms[t->vm].system)
            return snprintf(why, len, "stimulus %u: destroy_vm of the system VM (use exit)", k),
                   VMM_EINVAL;
    }
    if (v->life.nlater) v->life.on0 = 1;
    return VMM_OK;
}

void vmmi_life_reset(vmm_state *v) {
    vmm_life_st *l = &v->life;
    int on0 = l->on0;
    uint32_t nlater = l->nlater;
    assert(v->nvms <= VMM_VMS_MAX);
    memset(l, 0, sizeof *l);
    l->on0 = l->on = on0;
    l->nlater = nlater;
    l->asked = -1;
    l->resuming = -1;
    for (uint32_t i = 0; i < VMM_VMS_MAX; i++) {
        int boot = i < v->nvms && !v->s->vms[i].start_later;
        l->owner[i] = boot ? (int8_t)i : -1;
        l->last[i] = i < v->nvms ? (int8_t)i : -1;
        if (i >= v->nvms) continue;
        v->vm[i].handle = vmm_handle_of_index(i);
        l->st[i] = boot ? VMM_LV_LIVE : VMM_LV_ABSENT;
        if (!boot) v->vm[i].suspend = VMM_LIFE_HOLD;   /* never ready until created */
    }
}

int vmmi_life_boot_vm(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return !v->s->vms[vm].start_later;
}

/* ---- handles ------------------------------------------------------------------------ */

/* A handle is valid from Create_VM until every Destroy_VM has returned. */
int vmmi_life_vm_of_handle(const vmm_state *v, uint32_t h) {
    int k = vmmi_block_of(v, h);
    if (k < 0 || v->life.owner[k] < 0) return -1;
    int vm = v->life.owner[k];
    assert(vm < (int)v->nvms && v->vm[vm].handle == h);
    return v->life.st[vm] == VMM_LV_ABSENT || v->life.st[vm] == VMM_LV_DEAD ? -1 : vm;
}

uint32_t vmmi_life_next_vm(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    for (uint32_t k = 1; k <= v->nvms; k++) {
        uint32_t i = (vm + k) % v->nvms;
        if (v->life.st[i] != VMM_LV_ABSENT && v->life.st[i] != VMM_LV_DEAD) return i;
    }
    return vm;
}

/* The VM a handle that names no VM belonged to (a destroyed one, or one not created
** yet), or -1 when it never named one. */
static int stale_vm(const vmm_state *v, uint32_t h) {
    int k = vmmi_block_of(v, h);
    if (k < 0 || vmmi_life_vm_of_handle(v, h) >= 0) return -1;
    return v->life.last[k];
}

/* The block a new VM gets: the lowest one a destroyed VM freed (handle reuse), else
** its own. Its control block (and Client_Reg_Struc) are copied there. */
static int take_block(vmm_state *v, uint32_t vm) {
    vmm_life_st *l = &v->life;
    uint32_t k = vm;
    uint8_t cb[VMM_CB_SIZE];
    assert(vm < v->nvms && l->owner[vm] < 0);
    for (uint32_t j = 0; j < v->nvms; j++)
        if (l->owner[j] < 0 && l->last[j] >= 0 && l->st[l->last[j]] == VMM_LV_DEAD) { k = j; break; }
    l->owner[k] = (int8_t)vm;
    l->last[k] = (int8_t)vm;
    if (k == vm) return VMM_OK;
    uint32_t h = vmm_handle_of_index(k), client = h + VMM_CLIENT_OFF;
    if (cpu_phys_read(v->cpu, v->vm[vm].handle, cb, sizeof cb) != CPU_OK) return VMM_EBROKEN;
    memcpy(cb + CB_CLIENT_POINTER, &client, 4);
    if (cpu_phys_write(v->cpu, h, cb, sizeof cb) != CPU_OK) return VMM_EBROKEN;
    v->vm[vm].handle = h;
    return VMM_OK;
}

/* vmm_check (docs/vmm.md, "Invariants"): each block's owner has that block's handle; a
** VM that does not exist (or no longer) runs no code, is held, owns no block and no
** critical section; the operation queue is within its bound. 0, or -1 with why. */
int vmmi_life_check(const vmm_state *v, char *why, size_t len) {
    const vmm_life_st *l = &v->life;
    char buf[128] = "";
    assert(v->nvms <= VMM_VMS_MAX);
    if (l->nop > VMM_LIFE_OPS_MAX || l->norphan > VMM_LIFE_ORPHANS_MAX)
        snprintf(buf, sizeof buf, "lifecycle queue %u / orphans %u beyond their bounds", l->nop,
                 l->norphan);
    for (uint32_t k = 0; k < v->nvms && !buf[0]; k++) {
        int o = l->owner[k], gone = l->st[k] == VMM_LV_ABSENT || l->st[k] == VMM_LV_DEAD;
        int b = vmmi_block_of(v, v->vm[k].handle);
        if (o >= (int)v->nvms || (o >= 0 && v->vm[o].handle != vmm_handle_of_index(k)))
            snprintf(buf, sizeof buf, "control block %u is owned by VM %d, whose handle differs", k, o);
        else if (gone && (v->ctx[k].depth || v->vm[k].suspend < VMM_LIFE_HOLD ||
                          v->crit.owner == (int)k || (b >= 0 && l->owner[b] == (int)k)))
            snprintf(buf, sizeof buf, "VM %u does not exist but runs code, is not held, owns "
                     "its block or the critical section", k);
    }
    if (!buf[0]) return 0;
    if (why && len) snprintf(why, len, "%s", buf);
    return -1;
}

/* ---- findings ----------------------------------------------------------------------- */

void vmmi_life_fmt_finding(const vmm_state *v, const uint64_t *a, char *buf, size_t len) {
    static const char *const what[] = { "pending_at_destroy", "fired_after_destroy" };
    char svc[64], at[16];
    const char *lab = vmm_label_at(v, (uint32_t)a[2]);
    assert(a && buf && len > 0);
    snprintf(at, sizeof at, "0x%08x", (uint32_t)a[2]);
    if (a[0] == VMM_FND_VML2)
        snprintf(buf, len, " svc=%s handle=0x%08x", vmmi_svc_name((uint32_t)a[3], svc, sizeof svc),
                 (uint32_t)a[4]);
    else if (a[0] == VMM_FND_VML1)
        snprintf(buf, len, " cb=%s what=%s handle=0x%08x", lab ? lab : at, what[a[3] & 1],
                 (uint32_t)a[4]);
    else
        snprintf(buf, len, " cb=%s alias=%s handle=0x%08x", lab ? lab : at,
                 a[3] < v->nvms ? v->s->vms[a[3]].name : "?", (uint32_t)a[4]);
}

/* VML-1: a callback of VM vm still pending when its destruction completes. */
static void pending_finding(vmm_state *v, uint32_t vm, const vmm_ev *e, const char *kind) {
    char text[160];
    const char *lab = vmm_label_at(v, e->cb);
    snprintf(text, sizeof text, "%s %s (0x%08x) still pending for VM %s after its Destroy_VM",
             kind, lab ? lab : "callback", e->handle, v->s->vms[vm].name);
    vmmi_finding_add(v, VMM_FND_VML1, vm, e->cb, 0, e->handle, 0, text);
}

/* ---- destroying a VM ---------------------------------------------------------------- */

/* VML-1 (docs/vmm.md): the VM's events, priority events and time-outs still pending are
** findings and are cancelled (they could never run: the VM never runs again); global
** ones whose reference data is its handle are remembered (orphans). */
static void drop_pending(vmm_state *v, uint32_t vm) {
    vmm_life_st *l = &v->life;
    uint32_t h = v->vm[vm].handle;
    for (uint32_t i = 0; i < v->ev.n;) {
        vmm_ev e = v->ev.list[i];
        if (e.type != VMM_EVT_GLOBAL && e.vm == vm) {
            pending_finding(v, vm, &e, e.type == VMM_EVT_PRIO ? "priority event" : "event");
            vmmi_ev_cancel_handle(v, e.handle);
            continue;
        }
        i++;
    }
    for (uint32_t i = 0; i < v->tm.n;) {
        vmm_ev t = v->tm.list[i];
        if (t.type == VMM_TOT_VM && t.vm == vm) {
            pending_finding(v, vm, &t, "time-out");
            vmmi_tm_cancel(v, t.handle, 1);
            continue;
        }
        i++;
    }
    for (uint32_t pass = 0; pass < 2; pass++) {
        uint32_t n = pass ? v->tm.n : v->ev.n;
        const vmm_ev *list = pass ? v->tm.list : v->ev.list;
        for (uint32_t i = 0; i < n; i++) {
            if (list[i].type != VMM_EVT_GLOBAL || list[i].ref != h) continue;
            if (l->norphan >= VMM_LIFE_ORPHANS_MAX) { l->orphans_lost++; continue; }
            l->orphan[l->norphan++] = (vmm_life_orphan){ list[i].handle, list[i].cb, list[i].ref, vm };
        }
    }
}

/* After the last Destroy_VM: the VM's code, state and handle are gone. */
static void finish_destroy(vmm_state *v, uint32_t vm) {
    vmm_life_st *l = &v->life;
    int k = vmmi_block_of(v, v->vm[vm].handle);
    assert(vm < v->nvms && vm != v->sys && k >= 0);
    drop_pending(v, vm);
    vmm_ctx *c = &v->ctx[vm];
    c->depth = 0;              /* VxD code running for it never returns */
    c->blocked = 0;
    c->want = 0;
    c->ret_svc = 0;            /* Nuke_VM / Crash_Cur_VM from its own code: no return */
    vmmi_ctx_regs_fresh(v, vm, &c->regs);
    v->vm[vm].pri = 0;
    v->vm[vm].vreq = v->vm[vm].vboost = 0;
    v->vm[vm].vhandler = -1;
    v->vm[vm].halted = 0;
    v->vm[vm].irq_ret = 0;
    memset(&v->pic.vid[vm], 0, sizeof v->pic.vid[vm]);
    v->pic.vid_due &= ~(1ull << vm);
    if (v->sl.focus == vm) v->sl.focus = v->sys;
    vmmi_trap_vm_destroyed(v, vm);   /* IOT: its trapping state goes with it */
    vmmi_rec_vmstate(v, vm, VMM_ST_DESTROY);
    l->st[vm] = VMM_LV_DEAD;
    l->owner[k] = -1;
    if (v->run.cur == vm) v->run.need_resched = 1;
}

/* ---- operations and their control messages ---------------------------------------- */

static void set_msgs(vmm_life_st *l, const uint8_t *m, uint32_t n, uint32_t flags) {
    assert(n <= sizeof l->msg);
    memcpy(l->msg, m, n);
    l->nphase = n;
    l->flags = flags;
}

/* An operation starts: its messages, and the VM's state on the way. */
static int op_begin(vmm_state *v, uint32_t op, uint32_t vm) {
    static const uint8_t create[] = { VMM_MSG_CREATE_VM, VMM_MSG_VM_CRITICAL_INIT, VMM_MSG_VM_INIT };
    static const uint8_t close[] = { VMM_MSG_VM_TERMINATE, VMM_MSG_VM_NOT_EXECUTEABLE, VMM_MSG_DESTROY_VM };
    static const uint8_t kill[] = { VMM_MSG_VM_NOT_EXECUTEABLE, VMM_MSG_DESTROY_VM };
    static const uint8_t closevm[] = { VMM_MSG_CLOSE_VM_NOTIFY, VMM_MSG_VM_TERMINATE,
                                       VMM_MSG_VM_NOT_EXECUTEABLE, VMM_MSG_DESTROY_VM };
    static const uint8_t exits[] = { VMM_MSG_SYS_VM_TERMINATE, VMM_MSG_SYSTEM_EXIT,
                                     VMM_MSG_SYS_CRITICAL_EXIT };
    vmm_life_st *l = &v->life;
    static const uint8_t susp[] = { VMM_MSG_VM_SUSPEND }, resm[] = { VMM_MSG_VM_RESUME };
    assert(op >= VMM_LOP_CREATE && op <= VMM_LOP_RESUME && vm < v->nvms && l->cur_op == 0);
    if (op >= VMM_LOP_SUSPEND && l->st[vm] != VMM_LV_LIVE) return VMM_OK;   /* gone since */
    vmmi_por_time(v);   /* a lifecycle step changes what every later step sees */
    l->cur_op = (uint8_t)op;
    l->cur_vm = (uint8_t)vm;
    l->failed = 0;
    if (op == VMM_LOP_CREATE) {
        uint32_t live = 0;
        for (uint32_t i = 0; i < v->nvms; i++)
            live += i != vm && l->st[i] != VMM_LV_ABSENT && l->st[i] != VMM_LV_DEAD;
        if (live >= v->m.max_vms)
            return vmmi_fail(v, VMM_ELIMIT, "create_vm %s: %u VMs exist (machine.max_vms %u)",
                             v->s->vms[vm].name, live, v->m.max_vms);
        l->st[vm] = VMM_LV_CREATING;
        if (take_block(v, vm)) return vmmi_fail(v, VMM_EBROKEN, "VM control block outside RAM");
        vmmi_rec_vmstate(v, vm, VMM_ST_CREATE);
        vmmi_trap_vm_created(v, vm);   /* IOT: each port's global state */
        set_msgs(l, create, 3, 0);
    } else if (op == VMM_LOP_EXIT) {
        set_msgs(l, exits, 3, 0);
    } else if (op >= VMM_LOP_SUSPEND) {
        set_msgs(l, op == VMM_LOP_SUSPEND ? susp : resm, 1, 0);
    } else {
        vmmi_crit_drop(v, vm);   /* its claims end with it (crit.c) */
        if (v->vm[vm].suspend < VMM_LIFE_HOLD) {   /* Close_VM with CVF_Continue_Exec */
            v->vm[vm].suspend += VMM_LIFE_HOLD;
            if (v->run.cur == vm) v->run.need_resched = 1;
        }
        if (op == VMM_LOP_CLOSE) set_msgs(l, close, 3, 0);
        else if (op == VMM_LOP_CLOSE_VM) set_msgs(l, closevm, 4, 0);
        else set_msgs(l, kill, 2, op == VMM_LOP_NUKE ? VMM_VNE_NUKED : VMM_VNE_CRASHED);
    }
    return vmmi_ctx_start(v, v->nvms, VMM_CB_LIFE, 0, 0, NULL);
}

static int life_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    vmm_life_st *l = &v->life;
    uint32_t nx = v->s->nvxds;
    assert(f->kind == VMM_CB_LIFE && ci == v->nvms && l->cur_op);
    if (nx == 0) return 1;
    while (f->index < l->nphase * nx && v->s->vxds[f->index % nx].control_proc == 0) f->index++;
    if (f->index >= l->nphase * nx) return 1;
    uint32_t msg = l->msg[f->index / nx], vxd = f->index % nx;
    uint32_t vm = l->cur_op == VMM_LOP_EXIT ? v->sys : l->cur_vm;
    uint32_t edx = msg == VMM_MSG_VM_NOT_EXECUTEABLE ? l->flags : 0;   /* Close_VM_Notify: 0
                     (its critical-section flag is not modelled; op_begin releases the claims) */
    f->vm = vm;
    vmmi_rec(v, VMM_REC_CONTROL, 4, msg, vxd, vm, edx, 0, 0);
    vmmi_cb_regs in = { .cb = v->s->vxds[vxd].control_proc, .eax = msg, .ebx = v->vm[vm].handle,
                        .edx = edx, .ebp = vmmi_client_ptr(v, vm), .set_eax = 1, .set_edx = 1 };
    return vmmi_ctx_enter(v, ci, f, &in);
}

/* CF set: Create_VM, VM_Critical_Init and VM_Init fail the creation (the VM gets
** VM_Not_Executeable with the matching flag, then Destroy_VM); on any other message
** the carry flag must be clear (a FINDING rule=INIT, as at boot). */
static int life_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    static const uint8_t fail[] = { VMM_MSG_VM_NOT_EXECUTEABLE, VMM_MSG_DESTROY_VM };
    vmm_life_st *l = &v->life;
    uint32_t nx = v->s->nvxds, msg = l->msg[f->index / nx], vxd = f->index % nx;
    assert(f->kind == VMM_CB_LIFE && nx > 0 && f->index < l->nphase * nx);
    if (cf && l->cur_op == VMM_LOP_CREATE && !l->failed) {
        uint32_t flag = msg == VMM_MSG_CREATE_VM ? VMM_VNE_CREATEFAIL
                      : msg == VMM_MSG_VM_CRITICAL_INIT ? VMM_VNE_CRINITFAIL : VMM_VNE_INITFAIL;
        l->failed = 1;
        l->st[l->cur_vm] = VMM_LV_GOING;
        set_msgs(l, fail, 2, flag);
        f->index = 0;
        return 1;
    }
    if (cf && msg == VMM_MSG_VM_RESUME) {   /* the resume is backed out: no more VM_Resume */
        l->failed = 1;
        f->index = l->nphase * nx;
        return 1;
    }
    if (cf) {
        char text[160];
        snprintf(text, sizeof text, "%s failed %s (CF set) for VM %s", v->s->vxds[vxd].name,
                 vmmi_control_msg_name(msg), v->s->vms[f->vm].name);
        vmmi_finding_add(v, VMM_FND_INIT, f->vm, f->cb, vxd, msg, 0, text);
    }
    f->index++;
    return 1;
}

static void life_done(vmm_state *v, const vmm_frame *f) {
    vmm_life_st *l = &v->life;
    uint32_t vm = l->cur_vm;
    assert(f->kind == VMM_CB_LIFE && vm < v->nvms);
    (void)f;
    if (l->cur_op == VMM_LOP_EXIT) {
        l->exited = 1;
    } else if (l->cur_op == VMM_LOP_SUSPEND) {
        /* VM_Suspend cannot fail: nothing to do */
    } else if (l->cur_op == VMM_LOP_RESUME) {
        l->resuming = (int32_t)vm;              /* every VxD agreed: the decrement now */
        if (!l->failed && v->vm[vm].suspend == 1) vmmi_sched_resume(v, vm, 0);
        l->resuming = -1;
    } else if (l->cur_op == VMM_LOP_CREATE && !l->failed) {
        l->st[vm] = VMM_LV_LIVE;
        v->vm[vm].suspend -= VMM_LIFE_HOLD;   /* (an exit's queued close holds it again) */
        vmmi_rec_vmstate(v, vm, VMM_ST_RESUME);   /* it may run from now on */
        v->run.need_resched = 1;
    } else {
        finish_destroy(v, vm);
    }
    l->cur_op = 0;
}

const vmmi_cb_ops vmmi_life_ops = { life_step, life_next, life_done };

/* ---- requests: stimuli and services ------------------------------------------------ */

/* hold: the VM stops running at once (else when the operation starts: Close_VM with
** CVF_Continue_Exec). */
static int enqueue(vmm_state *v, uint32_t op, uint32_t vm, int hold) {
    vmm_life_st *l = &v->life;
    assert(vm < v->nvms && op >= VMM_LOP_CREATE && op <= VMM_LOP_RESUME);
    vmmi_por_time(v);
    if (l->nop >= VMM_LIFE_OPS_MAX)
        return vmmi_fail(v, VMM_ELIMIT, "more than %u VM lifecycle operations queued", VMM_LIFE_OPS_MAX);
    l->on = 1;
    int ends = op != VMM_LOP_CREATE && op != VMM_LOP_EXIT && op < VMM_LOP_SUSPEND;
    if (ends) l->st[vm] = VMM_LV_GOING;
    if (ends && hold) {   /* stops running at once */
        v->vm[vm].suspend += VMM_LIFE_HOLD;
        if (v->run.cur == vm) v->run.need_resched = 1;
    }
    if (op == VMM_LOP_CREATE) l->st[vm] = VMM_LV_CREATING;
    l->op[l->nop] = (uint8_t)op;
    l->opvm[l->nop++] = (uint8_t)vm;
    return VMM_OK;
}

/* A create_vm / destroy_vm / exit takes effect; one for a VM in the wrong state (a
** destroy_vm of a VM already destroyed, say) does nothing. */
int vmmi_life_stim(vmm_state *v, uint32_t i) {
    const vmm_stimulus *t = &v->s->stim[i];
    vmm_life_st *l = &v->life;
    int rc;
    assert(i < v->s->nstim && is_life_stim(t->kind) && t->vm < v->nvms);
    if (t->kind == VMM_STIM_CREATE_VM)
        return l->st[t->vm] == VMM_LV_ABSENT ? enqueue(v, VMM_LOP_CREATE, t->vm, 1) : VMM_OK;
    if (t->kind == VMM_STIM_DESTROY_VM)
        return l->st[t->vm] == VMM_LV_LIVE ? enqueue(v, VMM_LOP_CLOSE, t->vm, 1) : VMM_OK;
    for (uint32_t k = 0; k < l->nop; k++)
        if (l->op[k] == VMM_LOP_EXIT) return VMM_OK;   /* exiting already */
    for (uint32_t vm = 0; vm < v->nvms; vm++) {  /* Sys_VM_Terminate comes after every VM */
        int up = l->st[vm] == VMM_LV_LIVE || l->st[vm] == VMM_LV_CREATING;   /* (queued first) */
        if (vm != v->sys && up && (rc = enqueue(v, VMM_LOP_CLOSE, vm, 1))) return rc;
    }
    return enqueue(v, VMM_LOP_EXIT, v->sys, 1);
}

/* The services that take a VM handle in EBX (VMM, and VPICD's Set/Clear_Int_Request). */
static int takes_vm(uint32_t dev, uint32_t num) {
    static const uint8_t svc[] = { 0x0F, 0x11, 0x13, 0x14, 0x1E, 0x2B, 0x2C, 0x2D, 0x2E, 0x31,
                                   0x32, 0x33, 0x39, 0x3B, 0x3D, 0x40, 0xEC };
    if (dev == VPICD_DEVICE) return num == 2 || num == 3;
    if (dev != 1) return 0;
    for (size_t k = 0; k < sizeof svc; k++)
        if (svc[k] == num) return 1;
    return 0;
}

/* VML-2: a service given a handle that names no VM any more (or not yet). The service
** does nothing: CF set, and ESI = 0 where it would return a new handle. A timeline
** stimulus on such a VM is no VxD's fault: it only does nothing. */
static int stale_call(vmm_state *v, vmm_call *c, int vm) {
    char text[160], name[64];
    assert(vm >= 0 && vm < (int)v->nvms);
    c->r.eflags |= CPU_CF;
    if (c->dword >> 16 == 1 && ((c->dword & 0x7FFF) == 0x0F || (c->dword & 0x7FFF) == 0x11 ||
                                (c->dword & 0x7FFF) == 0x14 || (c->dword & 0x7FFF) == 0x3D))
        c->r.esi = 0;
    if (c->path == VMM_PATH_STIM) return VMM_OK;
    snprintf(text, sizeof text, "%s called with the handle 0x%08x of VM %s, which %s",
             vmmi_svc_name(c->dword, name, sizeof name), c->r.ebx, v->s->vms[vm].name,
             v->life.st[vm] == VMM_LV_DEAD ? "was destroyed" : "does not exist yet");
    vmmi_finding_add(v, VMM_FND_VML2, (uint32_t)vm, 0, c->dword & 0x7FFFFFFFu, c->r.ebx, 0, text);
    return VMM_OK;
}

/* Nuke_VM (EBX = VM) and Crash_Cur_VM: the VM is destroyed without VM_Terminate. Close_VM
** (EAX = time-out, EBX = VM, ECX = flags): Close_VM_Notify, then a normal close. Called
** from the VM's own code, the service does not return (its code is abandoned), but for
** Close_VM with CVF_Continue_Exec. */
static int kill_vm(vmm_state *v, vmm_call *c, uint32_t num) {
    int vm = num == NUM_CRASH_CUR_VM ? (int)v->run.cur : vmmi_svc_vm_arg(v, c, c->r.ebx);
    char name[64];
    if (vm < 0) return v->run.err;
    if ((uint32_t)vm == v->sys)
        return vmmi_fail(v, VMM_EGUEST, "%s of the system VM ends Windows (not modelled)",
                         vmmi_svc_name(c->dword, name, sizeof name));
    if (v->life.st[vm] != VMM_LV_LIVE) return VMM_OK;   /* on its way already */
    if (num == NUM_CLOSE_VM)   /* Close_VM: from the VM itself, CVF_Continue_Exec returns */
        return enqueue(v, VMM_LOP_CLOSE_VM, (uint32_t)vm,
                       c->ctx != (uint32_t)vm || !(c->r.ecx & VMM_CVF_CONTINUE_EXEC));
    return enqueue(v, num == NUM_NUKE_VM ? VMM_LOP_NUKE : VMM_LOP_CRASH, (uint32_t)vm, 1);
}

int vmmi_life_svc(vmm_state *v, vmm_call *c, uint32_t dev, uint32_t num) {
    assert(c && c->vm < v->nvms);
    int vm;
    if (v->life.on && takes_vm(dev, num) && (vm = stale_vm(v, c->r.ebx)) >= 0)
        return stale_call(v, c, vm);
    if (dev != 1) return 1;
    if (v->life.on && num >= 0x2B && num <= 0x2D && (vm = vmmi_vm_of_handle(v, c->r.ebx)) >= 0 &&
        v->life.st[vm] != VMM_LV_LIVE) {        /* being created or destroyed: refused */
        c->r.eflags |= CPU_CF;
        return VMM_OK;
    }
    if (num == NUM_NUKE_VM || num == NUM_CRASH_CUR_VM || num == NUM_CLOSE_VM) return kill_vm(v, c, num);
    if (num == NUM_NEXT_VM && v->life.on) {
        if ((vm = vmmi_svc_vm_arg(v, c, c->r.ebx)) < 0) return v->run.err;
        c->r.ebx = v->vm[vmmi_life_next_vm(v, (uint32_t)vm)].handle;
        return VMM_OK;
    }
    return 1;
}

/* VM_Suspend / VM_Resume (scenarios that use the lifecycle only): a VM's suspend count
** went 0 -> 1; the messages follow when no VxD code runs (it cannot fail). */
void vmmi_life_suspended(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->life.on0);
    if (v->life.st[vm] == VMM_LV_LIVE) enqueue(v, VMM_LOP_SUSPEND, vm, 0);
}

/* A resume to count 0 waits for VM_Resume: the VM stays suspended until every VxD
** returned CF clear; one that sets CF backs the resume out (the VM stays suspended).
** 1: held (the caller's Resume_VM returns CF clear at once). */
int vmmi_life_resume_held(vmm_state *v, uint32_t vm) {
    vmm_life_st *l = &v->life;
    assert(vm < v->nvms && v->vm[vm].suspend == 1);
    if (l->resuming == (int32_t)vm || l->st[vm] != VMM_LV_LIVE) return 0;
    for (uint32_t k = 0; k < l->nop; k++)
        if (l->op[k] == VMM_LOP_RESUME && l->opvm[k] == vm) return 1;   /* asked already */
    if (l->cur_op == VMM_LOP_RESUME && l->cur_vm == vm) return 1;
    enqueue(v, VMM_LOP_RESUME, vm, 0);
    return 1;
}

/* ---- the loop's work ---------------------------------------------------------------- */

/* VML choice: a lifecycle stimulus waits while events or time-outs are due; the DDK
** does not order them. Canonically (0) the due callbacks run first, as for every
** stimulus; 1 delivers the stimulus now. Asked once per stimulus. */
static int order_choice(vmm_state *v) {
    vmm_life_st *l = &v->life;
    int due = v->ev.n > 0;
    for (uint32_t k = 0; k < v->tm.n && !due; k++) due = v->tm.list[k].fired;
    for (uint32_t k = 0; k < v->run.npend && due; k++) {
        uint32_t i = v->pend[k];
        if (!is_life_stim(v->s->stim[i].kind) || l->asked == (int32_t)i) continue;
        l->asked = (int32_t)i;
        if (vmmi_choose(v, ENG_CHOICE_LIFE_ORDER, 2) == 0) return 0;
        const vmm_stimulus *t = &v->s->stim[i];
        vmmi_por_tag(v, VMM_POR_PEND, 1);   /* the pending FIFO's order, as run.c's delivery */
        memmove(&v->pend[k], &v->pend[k + 1], (v->run.npend - k - 1) * sizeof *v->pend);
        v->run.npend--;
        vmmi_rec(v, VMM_REC_STIMULUS, 5, i, t->kind, t->vm, 0, t->arg, 0);
        if (v->por.nwin) vmmi_por_within_stim(v, i);
        v->run.entered = 1;
        vmmi_life_stim(v, i);
        return 1;
    }
    return 0;
}

/* Starts the next queued operation when the VMM's context is free. 1: done something. */
int vmmi_life_work(vmm_state *v) {
    vmm_life_st *l = &v->life;
    if (!l->on) return 0;
    if (l->cur_op == 0 && l->nop > 0 && v->ctx[v->nvms].depth == 0) {
        uint32_t op = l->op[0], vm = l->opvm[0];
        memmove(l->op, l->op + 1, l->nop - 1);
        memmove(l->opvm, l->opvm + 1, l->nop - 1);
        l->nop--;
        op_begin(v, op, vm);
        return 1;
    }
    return order_choice(v);
}

/* ---- callbacks whose reference data named a destroyed VM (VML-1, VML-3) ------------- */

static int still_pending(const vmm_state *v, uint32_t h) {
    for (uint32_t k = 0; k < v->tm.n; k++) if (v->tm.list[k].handle == h) return 1;
    for (uint32_t k = 0; k < v->ev.n; k++) if (v->ev.list[k].handle == h) return 1;
    return 0;
}

/* A global time-out or event set with a VM's handle as reference data runs after that
** VM was destroyed: VML-1, or VML-3 when its control block now belongs to another VM. */
void vmmi_life_on_enter(vmm_state *v, const vmm_frame *f) {
    vmm_life_st *l = &v->life;
    char text[160];
    if (l->norphan == 0 || (f->kind != VMM_CB_TIMEOUT && f->kind != VMM_CB_EVENT)) return;
    for (uint32_t k = 0; k < l->norphan; k++) {
        vmm_life_orphan o = l->orphan[k];
        if (o.cb != f->a.cb || o.ref != f->a.edx || still_pending(v, o.handle)) continue;
        l->orphan[k] = l->orphan[--l->norphan];
        const char *lab = vmm_label_at(v, o.cb), *dead = v->s->vms[o.vm].name;
        int now = vmmi_life_vm_of_handle(v, o.ref);
        if (now >= 0) {
            snprintf(text, sizeof text, "%s runs with the handle 0x%08x of destroyed VM %s, now "
                     "VM %s's", lab ? lab : "callback", o.ref, dead, v->s->vms[now].name);
            vmmi_finding_add(v, VMM_FND_VML3, o.vm, o.cb, (uint64_t)now, o.ref, 0, text);
        } else {
            snprintf(text, sizeof text, "%s (%s) fires for VM %s after its Destroy_VM",
                     lab ? lab : "callback", f->kind == VMM_CB_TIMEOUT ? "time-out" : "event", dead);
            vmmi_finding_add(v, VMM_FND_VML1, o.vm, o.cb, 1, o.handle, 0, text);
        }
        return;
    }
}
