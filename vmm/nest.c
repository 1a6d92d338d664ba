/*
** nest.c — nested execution and V86 break points (docs/vmm.md, "Nested execution",
** rules NX-1 … NX-4 and VCB-1 … VCB-3).
**
** A VxD runs a VM's client code synchronously inside a nested execution block
** (Begin_Nest_V86_Exec / Begin_Nest_Exec … End_Nest_Exec): Begin_Nest points Client_CS:IP
** at the VMM's nested-execution break point (F000:FF58, an ARPL: #UD in V86 mode);
** Exec_Int enters a vector of the VM's own table from there (client.c, as an INT would)
** and Resume_Exec runs the client from Client_CS:IP. Either service parks the calling
** VxD: its frames stay on the VM's context but no longer count as running code
** (vmmi_ctx_live), so the scheduler runs the VM's client code as it runs any — events,
** time-outs and interrupts keep their rules, and callbacks started meanwhile nest on
** the context above the parked frames, on the ring-0 stack below the VxD's. When the
** client reaches the break point the service returns (its SVC_RET) and the VxD goes on
** after its INT 20h.
**
** V86 call-backs (Allocate_V86_Call_Back) and break points (Install_V86_Break_Point)
** are ARPL instructions too; a client that reaches one enters the VxD's callback in the
** VM's context (a VMM_CB_V86 frame).
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

#define NX_ARPL      0x63u
#define NX_SEG       0xF000u              /* the VMM's break points lie in F000h */
#define NX_SVC_JMP   0x8000u
#define NX_CF        1u                   /* VMM_CB_V86 frames: a.cf bits, the entry flags */
#define NX_ZF        2u
#define NX_TIMEOUT   4u                   /* a Call_When_VM_Returns time-out call */

void vmmi_nx_reset(vmm_state *v) {
    assert(v);
    memset(&v->nx, 0, sizeof v->nx);
}

/* ---- the VM's client registers and memory -------------------------------------- */

static uint32_t csip(vmm_state *v, uint32_t vm) {
    return vmmi_creg_get(v, vm, VMM_CR_CS, 2) << 16 | (vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu);
}

static void set_csip(vmm_state *v, uint32_t vm, uint32_t at) {
    vmmi_creg_set(v, vm, VMM_CR_CS, at >> 16, 2);
    vmmi_creg_set(v, vm, VMM_CR_EIP, at & 0xFFFFu, 4);
}

/* n bytes at V86 linear address lin of VM vm's space, through client.c's client
** memory access (a V86 address is segment lin >> 4, offset lin & 0Fh). */
static int v86_io(vmm_state *v, uint32_t vm, uint32_t lin, uint8_t *b, uint32_t n, int wr) {
    assert(vm < v->nvms && v->vm[vm].v86 && n <= 4 && lin + n <= VMM_V86_SIZE);
    return vmmi_cl_mem(v, vm, lin >> 4, lin & 0xFu, b, n, wr);
}

/* An ARPL AX, AX (#UD in V86 mode) at lin in every VM with a V86 client, or in one. */
static int put_arpl(vmm_state *v, int only_vm, uint32_t lin) {
    uint8_t bp[2] = { NX_ARPL, 0xC0 };
    for (uint32_t i = 0; i < v->nvms; i++) {
        if ((only_vm >= 0 && i != (uint32_t)only_vm) || !vmmi_cl_has(v, i) || v->s->vms[i].client.pm) continue;
        int rc = v86_io(v, i, lin, bp, 2, 1);
        if (rc) return rc;
    }
    return VMM_OK;
}

static uint32_t lin_of(uint32_t segoff) {
    return (segoff >> 16 << 4) + (segoff & 0xFFFFu);
}

/* ---- service preconditions --------------------------------------------------------- */

static const char *name_of(const vmm_call *c, char *buf, size_t len) {
    return vmmi_svc_name(c->dword & ~NX_SVC_JMP, buf, len);
}

/* The VM whose client code a nest runs: VxD code of the current VM, which has a V86
** client program; -1 when the run failed. */
static int nest_vm(vmm_state *v, const vmm_call *c) {
    char n[64];
    uint32_t vm = c->ctx;
    if (c->path == VMM_PATH_STIM || vm >= v->nvms || vm != v->run.cur)
        return vmmi_fail(v, VMM_EGUEST, "%s: called outside VxD code running for the current VM",
                         name_of(c, n, sizeof n)), -1;
    if (!vmmi_cl_has(v, vm))
        return vmmi_fail(v, VMM_EGUEST, "%s: VM %s has no client program to run", name_of(c, n, sizeof n),
                         v->s->vms[vm].name), -1;
    if (v->s->vms[vm].client.pm)
        return vmmi_fail(v, VMM_EUNIMPL, "%s: VM %s runs protected-mode client code: nested execution "
                         "of protected-mode clients is not modelled", name_of(c, n, sizeof n),
                         v->s->vms[vm].name), -1;
    return (int)vm;
}

/* Blocks the code of this nest level opened (not those of a VxD parked below it). */
static uint32_t own_blocks(const vmm_state *v, uint32_t vm) {
    const vmm_nx_vm *n = &v->nx.vm[vm];
    assert(n->npark <= VMM_NX_PARKS && n->nblk <= VMM_NX_BLOCKS);
    return n->npark ? n->nblk - n->park[n->npark - 1].nblk : n->nblk;
}

static int need_block(vmm_state *v, const vmm_call *c, uint32_t vm) {
    char n[64];
    if (own_blocks(v, vm)) return VMM_OK;
    return vmmi_fail(v, VMM_EGUEST, "%s outside a nested execution block of VM %s (call "
                     "Begin_Nest_Exec or Begin_Nest_V86_Exec first)", name_of(c, n, sizeof n),
                     v->s->vms[vm].name);
}

/* ---- nested execution (NX-1 … NX-3) ----------------------------------------------- */

/* NX-3: Begin_Nest_V86_Exec, Begin_Nest_Exec: Client_CS:IP saved, then the nest's
** break point (the DDK's return value). A V86 client stays in V86 mode either way. */
static int begin_nest(vmm_state *v, vmm_call *c, uint32_t vm) {
    vmm_nx_vm *n = &v->nx.vm[vm];
    if (n->nblk >= VMM_NX_BLOCKS)
        return vmmi_fail(v, VMM_ELIMIT, "VM %s: more than %u nested execution blocks open",
                         v->s->vms[vm].name, VMM_NX_BLOCKS);
    int rc = put_arpl(v, (int)vm, VMM_V86_NEST_BP);
    if (rc) return rc;
    n->blk_csip[n->nblk++] = csip(v, vm);
    set_csip(v, vm, NX_SEG << 16 | (VMM_V86_NEST_BP & 0xFFFFu));
    (void)c;
    return VMM_OK;
}

/* NX-3: End_Nest_Exec restores Client_CS:IP (and nothing else, as documented). */
static int end_nest(vmm_state *v, vmm_call *c, uint32_t vm) {
    vmm_nx_vm *n = &v->nx.vm[vm];
    int rc = need_block(v, c, vm);
    if (rc) return rc;
    assert(n->nblk > 0);
    set_csip(v, vm, n->blk_csip[--n->nblk]);
    return VMM_OK;
}

/* NX-1: the calling VxD waits (parked) until the client reaches the nest's break point. */
static int park(vmm_state *v, vmm_call *c, uint32_t vm) {
    vmm_nx_vm *n = &v->nx.vm[vm];
    char nm[64];
    assert(v->ctx[vm].depth > 0 && vmmi_ctx_live(v, vm) > 0);
    if (c->int_time)
        return vmmi_fail(v, VMM_EGUEST, "%s at interrupt time: client code cannot run inside an "
                         "interrupt procedure", name_of(c, nm, sizeof nm));
    if (n->npark >= VMM_NX_PARKS)
        return vmmi_fail(v, VMM_ELIMIT, "VM %s: nested execution nested deeper than %u levels",
                         v->s->vms[vm].name, VMM_NX_PARKS);
    vmm_nx_park *p = &n->park[n->npark++];
    p->depth = v->ctx[vm].depth;
    p->svc = c->dword & ~NX_SVC_JMP;
    p->nblk = n->nblk;
    p->hold = 0;
    c->held = 1;
    assert(vmmi_ctx_live(v, vm) == 0);
    return VMM_OK;
}

/* NX-2: Exec_Int (EAX: the interrupt) is Simulate_Int's effect then Resume_Exec. */
static int exec_int(vmm_state *v, vmm_call *c, uint32_t vm) {
    int rc = need_block(v, c, vm);
    if (rc) return rc;
    if (c->r.eax > 0xFFu)
        return vmmi_fail(v, VMM_EGUEST, "Exec_Int: EAX 0x%08x is not an interrupt number (0-0FFh)", c->r.eax);
    if ((rc = park(v, c, vm)) != VMM_OK) return rc;   /* refused before the client changes */
    return vmmi_cl_exec_int(v, vm, c->r.eax);
}

/* NX-1: the client reached the nest's break point: the parked service returns. */
static int nest_return(vmm_state *v, uint32_t vm) {
    vmm_nx_vm *n = &v->nx.vm[vm];
    if (n->npark == 0)
        return vmmi_fail(v, VMM_EGUEST, "client code of VM %s reached the nested-execution break point "
                         "F000:%04X with no Resume_Exec or Exec_Int waiting", v->s->vms[vm].name,
                         VMM_V86_NEST_BP & 0xFFFFu);
    vmm_nx_park p = n->park[--n->npark];
    assert(v->ctx[vm].depth == p.depth && v->run.oncpu != (int)vm);
    vmmi_cl_rec(v, VMM_CLOP_BREAK, vm, VMM_BRK_NEST, 0);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);
    const cpu_regs *r = &v->ctx[vm].regs;   /* the parked VxD's, kept since it stopped */
    vmm_sregs out = { r->r[CPU_EAX], r->r[CPU_EBX], r->r[CPU_ECX], r->r[CPU_EDX], r->r[CPU_ESI],
                      r->r[CPU_EDI], r->r[CPU_EBP], r->eflags };
    vmmi_svc_ret_record(v, p.svc, vm, &out);
    return VMM_OK;
}

/* AMB-NX (machine.explore_ambiguities): whether the VM's due events wait while its
** VxD is parked (1) instead of running in the nest (0, canonical), decided once per park. */
int vmmi_nx_hold(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    vmm_nx_vm *n = &v->nx.vm[vm];
    if (n->npark == 0 || !v->m.explore_ambiguities) return 0;
    vmm_nx_park *p = &n->park[n->npark - 1];
    if (!p->hold) p->hold = vmmi_choose(v, ENG_CHOICE_AMBIGUITY, 2) == 1 ? 2 : 1;
    return p->hold == 2;
}

/* Save_Client_State (EDI) / Restore_Client_State (ESI): Client_Reg_Struc to or from a
** VxD buffer of Client_Reg_Struc_Size bytes. */
static int client_state(vmm_state *v, vmm_call *c, uint32_t vm, int save) {
    uint8_t buf[VMM_CLIENT_SIZE];
    uint32_t at = save ? c->r.edi : c->r.esi, cr = vmmi_client_ptr(v, vm);
    int ok = save ? cpu_phys_read(v->cpu, cr, buf, sizeof buf) == CPU_OK &&
                    cpu_phys_write(v->cpu, at, buf, sizeof buf) == CPU_OK
                  : cpu_phys_read(v->cpu, at, buf, sizeof buf) == CPU_OK &&
                    cpu_phys_write(v->cpu, cr, buf, sizeof buf) == CPU_OK;
    if (ok) return VMM_OK;
    return vmmi_fail(v, VMM_EGUEST, "%s_Client_State: buffer 0x%08x (%u bytes) is outside guest memory",
                     save ? "Save" : "Restore", at, VMM_CLIENT_SIZE);
}

/* ---- V86 call-backs and break points (VCB-1 … VCB-3) ------------------------------ */

static void set_cf(vmm_sregs *r, int on) {
    r->eflags = on ? r->eflags | CPU_CF : r->eflags & ~CPU_CF;
}

/* VCB-1: Allocate_V86_Call_Back (ESI callback, EDX reference data): EAX = the
** segment:offset of a break point in every VM's V86 space; CF set when none is left. */
static int alloc_cb(vmm_state *v, vmm_call *c) {
    vmm_nx_st *x = &v->nx;
    int rc = vmmi_svc_check_cb(v, c, c->r.esi, "callback (ESI)");
    if (rc) return rc;
    if (x->ncb >= VMM_NX_CB_MAX) { set_cf(&c->r, 1); return VMM_OK; }
    uint32_t lin = VMM_V86_CB_BP + 2 * x->ncb;
    if ((rc = put_arpl(v, -1, lin)) != VMM_OK) return rc;
    x->cb[x->ncb] = c->r.esi;
    x->cb_ref[x->ncb++] = c->r.edx;
    c->r.eax = NX_SEG << 16 | (lin & 0xFFFFu);
    set_cf(&c->r, 0);
    return VMM_OK;
}

static int bp_find(const vmm_state *v, uint32_t vm, uint32_t lin) {
    for (uint32_t k = 0; k < v->nx.nbp; k++)
        if (v->nx.bp[k].vm == vm && lin_of(v->nx.bp[k].addr) == lin) return (int)k;
    return -1;
}

/* VCB-2: Install_V86_Break_Point (EAX segment:offset, ESI callback, EDX reference data)
** in the current VM's space: CF set when it has no V86 client, the address already has
** one, lies in the VMM's own break-point page (F000:FE00 and up) or the table is full. */
static int bp_install(vmm_state *v, vmm_call *c) {
    vmm_nx_st *x = &v->nx;
    uint32_t vm = v->run.cur, lin = lin_of(c->r.eax);
    uint8_t orig = 0, arpl = NX_ARPL;
    int rc = vmmi_svc_check_cb(v, c, c->r.esi, "callback (ESI)");
    if (rc) return rc;
    if (!vmmi_cl_has(v, vm) || v->s->vms[vm].client.pm || lin >= VMM_V86_CB_BP || bp_find(v, vm, lin) >= 0 ||
        x->nbp >= VMM_NX_BP_MAX) {
        set_cf(&c->r, 1);
        return VMM_OK;
    }
    if ((rc = v86_io(v, vm, lin, &orig, 1, 0)) || (rc = v86_io(v, vm, lin, &arpl, 1, 1))) return rc;
    x->bp[x->nbp++] = (vmm_nx_bp){ vm, c->r.eax, c->r.esi, c->r.edx, orig };
    set_cf(&c->r, 0);
    return VMM_OK;
}

/* VCB-2: Remove_V86_Break_Point (EAX segment:offset): the original byte comes back;
** CF set when the current VM has no break point there. */
static int bp_remove(vmm_state *v, vmm_call *c) {
    vmm_nx_st *x = &v->nx;
    int k = bp_find(v, v->run.cur, lin_of(c->r.eax));
    if (k < 0 || x->bp[k].addr != c->r.eax) { set_cf(&c->r, 1); return VMM_OK; }
    int rc = v86_io(v, x->bp[k].vm, lin_of(x->bp[k].addr), &x->bp[k].orig, 1, 1);
    if (rc) return rc;
    memmove(&x->bp[k], &x->bp[k + 1], (x->nbp - (uint32_t)k - 1) * sizeof x->bp[0]);
    x->nbp--;
    set_cf(&c->r, 0);
    return VMM_OK;
}

/* A VMM_CB_V86 frame: EAX the break point's segment:offset, EBX the VM, EDX the
** reference data, ESI its linear address (break points), EBP the client registers. */
static int cb_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    assert(f->kind == VMM_CB_V86);
    if (f->index) return 1;
    f->index = 1;
    f->vm = v->run.cur;
    vmmi_cb_regs in = { .cb = f->a.cb, .eax = f->a.eax, .ebx = f->a.ebx, .edx = f->a.edx,
                        .ebp = vmmi_client_ptr(v, f->vm), .set_eax = 1, .set_edx = 1 };
    int rc = vmmi_ctx_enter(v, ci, f, &in);
    if (rc != VMM_OK) return rc;
    uint32_t fl = cpu_get_eflags(v->cpu) & ~(CPU_CF | CPU_ZF);
    cpu_set_eflags(v->cpu, fl | (f->a.cf & NX_CF ? CPU_CF : 0) | (f->a.cf & NX_ZF ? CPU_ZF : 0));
    cpu_set_reg(v->cpu, CPU_ESI, f->a.ecx);
    return VMM_OK;
}

/* The Call_When_VM_Returns slot whose break point is segoff, or -1. */
static int ret_slot(uint32_t segoff) {
    uint32_t off = segoff & 0xFFFFu, base = VMM_V86_RET_BP & 0xFFFFu;
    if (segoff >> 16 != NX_SEG || off < base || off >= base + 2 * VMM_NX_RET_MAX || (off - base) & 1) return -1;
    return (int)((off - base) / 2);
}

static int is_cb_addr(uint32_t segoff) {
    uint32_t off = segoff & 0xFFFFu;
    return segoff >> 16 == NX_SEG && off >= (VMM_V86_CB_BP & 0xFFFFu) &&
           off < (VMM_V86_CB_BP & 0xFFFFu) + 2 * VMM_NX_CB_MAX;
}

/* After the callback: VCB-1, a call-back that left Client_CS:IP on its break point
** returns to its FAR caller (IP, CS popped off the client stack); VCB-3, a break point's
** callback that left it there with the break point still in place is an endless loop. */
static void cb_done(vmm_state *v, const vmm_frame *f) {
    uint32_t vm = f->vm;
    int k = ret_slot(f->a.eax);
    assert(f->kind == VMM_CB_V86 && vm < v->nvms);
    if (f->a.cf & NX_TIMEOUT) return;      /* VCB-4: the client is not on the break point */
    if (k >= 0) {                          /* VCB-4: back to the return address it replaced */
        vmm_nx_ret *r = &v->nx.ret[k];
        if (csip(v, vm) == f->a.eax) set_csip(v, vm, r->csip);
        memset(r, 0, sizeof *r);
        return;
    }
    if (csip(v, vm) != f->a.eax) return;   /* the callback moved the client on */
    if (is_cb_addr(f->a.eax)) {
        uint32_t ss = vmmi_creg_get(v, vm, VMM_CR_SS, 2), sp = vmmi_creg_get(v, vm, VMM_CR_ESP, 4) & 0xFFFFu;
        uint8_t b[4];
        if (v86_io(v, vm, (ss << 4) + sp, b, 2, 0) || v86_io(v, vm, (ss << 4) + ((sp + 2) & 0xFFFFu), b + 2, 2, 0))
            return;
        set_csip(v, vm, (uint32_t)(b[2] | b[3] << 8) << 16 | (uint32_t)(b[0] | b[1] << 8));
        vmmi_creg_set(v, vm, VMM_CR_ESP, (vmmi_creg_get(v, vm, VMM_CR_ESP, 4) & 0xFFFF0000u) | ((sp + 4) & 0xFFFFu), 4);
        return;
    }
    if (bp_find(v, vm, lin_of(f->a.eax)) >= 0)
        vmmi_fail(v, VMM_EGUEST, "VCB-3: break-point callback %s returned with Client_CS:IP still on its "
                  "break point %04X:%04X (VM %s would execute it again forever): advance Client_IP or "
                  "remove the break point", vmm_label_at(v, f->cb) ? vmm_label_at(v, f->cb) : "?",
                  f->a.eax >> 16, f->a.eax & 0xFFFFu, v->s->vms[vm].name);
}

const vmmi_cb_ops vmmi_nx_cb_ops = { cb_step, NULL, cb_done };

static int cb_run(vmm_state *v, uint32_t vm, int kind, uint32_t cb, uint32_t addr, uint32_t ref) {
    vmm_cbargs a;
    memset(&a, 0, sizeof a);
    a.cb = cb;
    a.eax = addr;
    a.ebx = v->vm[vm].handle;
    a.ecx = lin_of(addr);   /* ESI at entry */
    a.edx = ref;
    vmmi_cl_rec(v, VMM_CLOP_BREAK, vm, (uint32_t)kind, cb);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);
    return vmmi_ctx_start_cb(v, vm, VMM_CB_V86, &a, 0, NULL);
}

/* ---- Call_When_VM_Returns (VCB-4) --------------------------------------------------- */

/* Call_When_VM_Returns (EAX time-out ms, EDX reference data, ESI callback): the current
** VM's return address (Client_CS:IP, where its next simulated interrupt returns to) is
** replaced by a break point of its own; a time-out arms an engine event. */
static int ret_install(vmm_state *v, vmm_call *c, uint32_t vm) {
    uint32_t k = 0;
    int rc = vmmi_svc_check_cb(v, c, c->r.esi, "callback (ESI)");
    if (rc) return rc;
    while (k < VMM_NX_RET_MAX && v->nx.ret[k].used) k++;
    if (k == VMM_NX_RET_MAX)
        return vmmi_fail(v, VMM_ELIMIT, "Call_When_VM_Returns: more than %u waiting", VMM_NX_RET_MAX);
    vmm_nx_ret *r = &v->nx.ret[k];
    uint32_t lin = VMM_V86_RET_BP + 2 * k;
    if ((rc = put_arpl(v, (int)vm, lin)) != VMM_OK) return rc;
    *r = (vmm_nx_ret){ .vm = vm, .cb = c->r.esi, .ref = c->r.edx, .csip = csip(v, vm),
                       .to_ms = (int32_t)c->r.eax, .used = 1 };
    set_csip(v, vm, NX_SEG << 16 | (lin & 0xFFFFu));
    if (r->to_ms == 0) return VMM_OK;
    uint64_t ms = r->to_ms < 0 ? (uint64_t)-(int64_t)r->to_ms : (uint64_t)r->to_ms;
    uint64_t at = vmmi_cycles(v) + (ms * v->m.clock_hz + 999) / 1000;
    if (eng_queue_push(v->q, at, VMM_EV_CLASS_TIMER, VMM_EV_RET_TO, k, 0, &r->to_seq) != ENG_OK)
        return vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
    r->to = VMM_NXTO_ARMED;
    return VMM_OK;
}

/* The time-out passed before the IRET (EVENT kind=return_timeout): its call is due. */
void vmmi_nx_ret_timeout(vmm_state *v, uint32_t k, uint64_t seq) {
    assert(k < VMM_NX_RET_MAX);
    vmm_nx_ret *r = &v->nx.ret[k];
    if (!r->used || r->to != VMM_NXTO_ARMED || r->to_seq != seq) return;
    r->to = VMM_NXTO_FIRED;
}

static int ret_call(vmm_state *v, uint32_t vm, uint32_t k, uint32_t flags) {
    vmm_cbargs a;
    const vmm_nx_ret *r = &v->nx.ret[k];
    assert(k < VMM_NX_RET_MAX && r->used && r->vm == vm);
    memset(&a, 0, sizeof a);
    a.cb = r->cb;
    a.eax = NX_SEG << 16 | ((VMM_V86_RET_BP + 2 * k) & 0xFFFFu);
    a.ebx = v->vm[vm].handle;
    a.edx = r->ref;
    a.cf = flags;
    return vmmi_ctx_start_cb(v, vm, VMM_CB_V86, &a, 0, NULL);
}

/* Before the VMM returns to a VM: a due time-out call (CF set) of the current VM, run
** as a VM's events are (no VxD code of it runs); else a switch to a VM of the top
** priority that has one. 1: done something. */
int vmmi_nx_work(vmm_state *v) {
    uint32_t cur = v->run.cur;
    assert(cur < v->nvms);
    if (!v->run.booted || v->ctx[v->nvms].depth > 0) return 0;
    for (uint32_t k = 0; k < VMM_NX_RET_MAX; k++) {
        vmm_nx_ret *r = &v->nx.ret[k];
        if (!r->used || r->to != VMM_NXTO_FIRED || !vmmi_vm_ready(v, r->vm) || vmmi_ctx_live(v, r->vm) != 0)
            continue;
        if (r->vm != cur) {   /* the top priority only now: this runs on every idle step */
            if (v->vm[r->vm].pri != vmmi_sched_max_pri(v)) continue;
            vmmi_sched_switch(v, r->vm, VMM_SW_EVENT);
            return 1;
        }
        r->to = VMM_NXTO_CALLED;
        ret_call(v, cur, k, NX_CF | NX_TIMEOUT);
        return 1;
    }
    return 0;
}

/* VCB-4: the VM executed the IRET: its callback (CF clear; ZF set when a negative
** time-out's call came first), unless a positive time-out's call came first; the
** return address comes back when it returns (cb_done). */
static int ret_break(vmm_state *v, uint32_t vm, uint32_t k) {
    vmm_nx_ret *r = &v->nx.ret[k];
    if (!r->used || r->vm != vm)
        return vmmi_fail(v, VMM_EGUEST, "client code of VM %s reached the Call_When_VM_Returns break point "
                         "F000:%04X that no Call_When_VM_Returns of it installed", v->s->vms[vm].name,
                         (VMM_V86_RET_BP + 2 * k) & 0xFFFFu);
    if (r->to == VMM_NXTO_ARMED) eng_queue_cancel(v->q, r->to_seq);
    int timed_out = r->to == VMM_NXTO_CALLED, call = !(timed_out && r->to_ms > 0);
    vmmi_cl_rec(v, VMM_CLOP_BREAK, vm, VMM_BRK_RETURN, call ? r->cb : 0);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);
    if (!call) {
        set_csip(v, vm, r->csip);
        memset(r, 0, sizeof *r);
        return VMM_OK;
    }
    r->to = VMM_NXTO_NONE;   /* a call that was due and not made yet is this one */
    return ret_call(v, vm, k, timed_out && r->to_ms < 0 ? NX_ZF : 0);
}

/* Client code of VM vm stopped on a #UD at cs:ip (V86): one of nest.c's break points
** is taken (VMM_OK or the run's error), or 1 when the ARPL there is none of them. */
int vmmi_nx_break(vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip) {
    assert(vm < v->nvms && vm == v->run.cur && vmmi_cl_has(v, vm));
    uint32_t lin = (cs << 4) + ip, segoff = cs << 16 | ip;
    if (segoff == (NX_SEG << 16 | (VMM_V86_NEST_BP & 0xFFFFu))) return nest_return(v, vm);
    if (ret_slot(segoff) >= 0) return ret_break(v, vm, (uint32_t)ret_slot(segoff));
    if (is_cb_addr(segoff) && (ip & 1) == 0 && (ip - (VMM_V86_CB_BP & 0xFFFFu)) / 2 < v->nx.ncb) {
        uint32_t k = (ip - (VMM_V86_CB_BP & 0xFFFFu)) / 2;
        return cb_run(v, vm, VMM_BRK_CALLBACK, v->nx.cb[k], segoff, v->nx.cb_ref[k]);
    }
    int k = bp_find(v, vm, lin);
    if (k < 0) return 1;
    const vmm_nx_bp *b = &v->nx.bp[k];
    if (b->addr != segoff)   /* the DDK: the segment must be the one it was installed with */
        return vmmi_fail(v, VMM_EGUEST, "VM %s reached the break point %04X:%04X as %04X:%04X (VCB-2: "
                         "a V86 break point must be executed with the segment it was installed at)",
                         v->s->vms[vm].name, b->addr >> 16, b->addr & 0xFFFFu, cs, ip);
    return cb_run(v, vm, VMM_BRK_POINT, b->cb, segoff, b->ref);
}

/* ---- invariants (vmm_check) ---------------------------------------------------------- */

static int nx_broken(char *why, size_t len, const char *what, uint32_t i) {
    if (why && len) snprintf(why, len, "nested execution: %s (%u)", what, i);
    return VMM_EBROKEN;
}

/* Blocks and parks within their limits; parks of a VM with a client, at rising depths
** within its context's, each leaving the blocks it found; break points and
** Call_When_VM_Returns slots of VMs with a V86 client. */
int vmmi_nx_check(const vmm_state *v, char *why, size_t len) {
    assert(v && v->ctx);
    for (uint32_t i = 0; i < v->nvms; i++) {
        const vmm_nx_vm *n = &v->nx.vm[i];
        if (n->nblk > VMM_NX_BLOCKS || n->npark > VMM_NX_PARKS) return nx_broken(why, len, "limits of VM", i);
        if ((n->nblk || n->npark) && !vmmi_cl_has(v, i)) return nx_broken(why, len, "nest in VM without client", i);
        for (uint32_t k = 0; k < n->npark; k++) {
            const vmm_nx_park *p = &n->park[k];
            if (p->depth == 0 || p->depth > v->ctx[i].depth || (k && p->depth <= n->park[k - 1].depth) ||
                p->nblk > n->nblk)
                return nx_broken(why, len, "parked frames of VM", i);
        }
    }
    if (v->nx.ncb > VMM_NX_CB_MAX || v->nx.nbp > VMM_NX_BP_MAX) return nx_broken(why, len, "table sizes", 0);
    for (uint32_t k = 0; k < v->nx.nbp; k++)
        if (v->nx.bp[k].vm >= v->nvms || !vmmi_cl_has(v, v->nx.bp[k].vm)) return nx_broken(why, len, "break point", k);
    for (uint32_t k = 0; k < VMM_NX_RET_MAX; k++) {
        const vmm_nx_ret *r = &v->nx.ret[k];
        if (r->used && (r->vm >= v->nvms || !vmmi_cl_has(v, r->vm) || r->to > VMM_NXTO_CALLED))
            return nx_broken(why, len, "Call_When_VM_Returns slot", k);
    }
    return VMM_OK;
}

/* ---- dispatch ---------------------------------------------------------------------- */

/* The services of this file; 1 for any other. */
int vmmi_nx_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c && c->vm < v->nvms);
    int vm;
    switch (num) {
    case 0x09: return bp_install(v, c);
    case 0x0A: return bp_remove(v, c);
    case 0x0B: return alloc_cb(v, c);
    case 0x0D:
    case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x8D: case 0x8E:
        break;
    default:
        return 1;
    }
    if ((vm = nest_vm(v, c)) < 0) return v->run.err;
    switch (num) {
    case 0x0D: return ret_install(v, c, (uint32_t)vm);
    case 0x82: case 0x83: return begin_nest(v, c, (uint32_t)vm);
    case 0x84: return exec_int(v, c, (uint32_t)vm);
    case 0x85: {
        int rc = need_block(v, c, (uint32_t)vm);
        return rc ? rc : park(v, c, (uint32_t)vm);
    }
    case 0x86: return end_nest(v, c, (uint32_t)vm);
    default:   return client_state(v, c, (uint32_t)vm, num == 0x8D);
    }
}
