/*
** trap.c — I/O trapping: Install_IO_Handler, Install_Mult_IO_Handlers, the global and
** local trapping switches, and the emulation of a client IN/OUT/INS/OUTS on a trapped
** port (docs/vmm.md, "I/O trapping", rules IOT-1 … IOT-6).
**
** The client TSS's I/O permission bitmap (client.c) holds, while a VM's client code
** runs, a 1 for each port trapped in that VM: an access to one faults (#GP) before it
** reaches the bus, every other port goes straight to the bus (io.c). The VMM then
** emulates the instruction as Simulate_IO reduces it: each element (one for IN/OUT,
** CX or ECX for REP INS/OUTS) is split into byte accesses; each byte of a trapped port
** calls that port's handler in the VM's own context (a VMM_CB_IOTRAP frame) with
** Byte_Input or Byte_Output, each byte of an untrapped port goes to the bus. The
** client's registers and memory change as the instruction would have changed them,
** and it resumes after it. VxD code runs at ring 0 (CPL <= IOPL): its I/O is never
** checked against the bitmap and never trapped (IOT-5).
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

#define IOT_BYTE_INPUT   0x00u     /* IOType values (DDK, Install_IO_Handler) */
#define IOT_BYTE_OUTPUT  0x04u
#define IOT_OP_FAULT     0u        /* IOTRAP record ops */
#define IOT_OP_CALL      1u
#define IOT_OP_DONE      2u
#define IOT_OP_INSTALL   3u

void vmmi_trap_reset(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    memset(&v->trap, 0, sizeof v->trap);   /* guest RAM is reset too: the bitmap is all 0 */
}

static vmm_trap_port *port_of(vmm_state *v, uint32_t port) {
    assert(v->trap.n <= VMM_TRAP_PORTS_MAX);
    for (uint32_t i = 0; i < v->trap.n; i++)
        if (v->trap.port[i].port == port) return &v->trap.port[i];
    return NULL;
}

static uint64_t all_vms(const vmm_state *v) {
    assert(v->nvms >= 1 && v->nvms <= VMM_VMS_MAX);
    return v->nvms == 64 ? ~0ull : (1ull << v->nvms) - 1u;
}

/* The lifecycle (life.c): a VM created at run time starts with each port's global
** state ("the global state applies to VMs created later", docs/vmm.md, "I/O
** trapping"); a destroyed VM keeps no trapping state and no instruction in progress. */
void vmmi_trap_vm_created(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->trap.n <= VMM_TRAP_PORTS_MAX);
    for (uint32_t i = 0; i < v->trap.n; i++) {
        vmm_trap_port *p = &v->trap.port[i];
        p->on = p->glob ? p->on | 1ull << vm : p->on & ~(1ull << vm);
    }
    memset(&v->trap.run[vm], 0, sizeof v->trap.run[vm]);
}

void vmmi_trap_vm_destroyed(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->trap.n <= VMM_TRAP_PORTS_MAX);
    for (uint32_t i = 0; i < v->trap.n; i++) v->trap.port[i].on &= ~(1ull << vm);
    memset(&v->trap.run[vm], 0, sizeof v->trap.run[vm]);
}

/* ---- services (IOT-1) ----------------------------------------------------------- */

/* IOT-1: one handler per port, at most VMM_TRAP_PORTS_MAX; trapping starts enabled in
** every VM (the global state is enabled "when the system first starts"). 1: refused. */
static void rec_trap(vmm_state *v, uint32_t op, uint32_t vm, uint32_t port, uint64_t a1, uint64_t a2,
                     uint64_t a3) {
    assert(op <= IOT_OP_INSTALL && vm < v->nvms);
    vmmi_rec(v, VMM_REC_IOTRAP, 4, op | (uint64_t)vm << 8 | (uint64_t)port << 16, a1, a2, a3, 0, 0);
}

static int install(vmm_state *v, uint32_t port, uint32_t cb) {
    assert(port <= 0xFFFFu);
    int refused = port_of(v, port) || v->trap.n >= VMM_TRAP_PORTS_MAX;
    rec_trap(v, IOT_OP_INSTALL, v->run.cur, port, !refused, cb, 0);   /* IOT-1 */
    if (refused) return 1;
    vmm_trap_port *p = &v->trap.port[v->trap.n++];
    memset(p, 0, sizeof *p);
    p->port = (uint16_t)port;
    p->cb = cb;
    p->on = all_vms(v);
    p->glob = 1;
    return 0;
}

/* Install_Mult_IO_Handlers: the table's entries in order, through Install_IO_Handler;
** the first refusal stops it with CF set and EDX = that port (the ones before stay). */
static int install_mult(vmm_state *v, vmm_call *c) {
    uint16_t count = 0;
    if (cpu_lin_read(v->cpu, c->r.edi, &count, 2) != CPU_OK)
        return vmmi_fail(v, VMM_EGUEST, "Install_Mult_IO_Handlers: table at 0x%08x is outside guest memory", c->r.edi);
    c->r.eflags &= ~CPU_CF;
    for (uint32_t i = 0; i < count; i++) {   /* bounded: a word count */
        uint8_t e[6];
        int rc;
        if (cpu_lin_read(v->cpu, c->r.edi + 2 + 6 * i, e, 6) != CPU_OK)
            return vmmi_fail(v, VMM_EGUEST, "Install_Mult_IO_Handlers: entry %u at 0x%08x is outside guest "
                             "memory", i, c->r.edi + 2 + 6 * i);
        uint32_t port = (uint32_t)e[0] | (uint32_t)e[1] << 8;
        uint32_t cb = (uint32_t)e[2] | (uint32_t)e[3] << 8 | (uint32_t)e[4] << 16 | (uint32_t)e[5] << 24;
        if ((rc = vmmi_svc_check_cb(v, c, cb, "I/O callback (table entry)"))) return rc;
        if (install(v, port, cb)) {
            c->r.eflags |= CPU_CF;
            c->r.edx = port;
            return VMM_OK;
        }
    }
    return VMM_OK;
}

/* Enable/Disable_Global_Trapping (every VM, and the state a new VM gets) and
** Enable/Disable_Local_Trapping (the VM in EBX): "must not be used unless an I/O
** callback procedure has been installed for the given port" — a guest error. */
static int switch_trap(vmm_state *v, vmm_call *c, uint32_t num) {
    static const char *const name[] = { "Enable_Global_Trapping", "Enable_Local_Trapping",
                                        "Disable_Global_Trapping", "Disable_Local_Trapping" };
    assert(num >= 0x97 && num <= 0x9A);
    vmm_trap_port *p = port_of(v, c->r.edx & 0xFFFFu);
    int on = num <= 0x98, local = num == 0x98 || num == 0x9A;
    if (!p)
        return vmmi_fail(v, VMM_EGUEST, "%s: no I/O handler is installed for port 0x%04X", name[num - 0x97],
                         c->r.edx & 0xFFFFu);
    if (!local) {
        p->glob = (uint8_t)on;
        p->on = on ? all_vms(v) : 0;
        return VMM_OK;
    }
    int vm = vmmi_svc_vm_arg(v, c, c->r.ebx);
    if (vm < 0) return v->run.err;
    p->on = on ? p->on | 1ull << vm : p->on & ~(1ull << vm);
    return VMM_OK;
}

/* Services 94h..9Ah; Simulate_IO (94h) stays not implemented (vmmsim never gives a
** handler more than a byte: IOT-4). Returns 1 for any other service. */
int vmmi_trap_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c);
    if (num < 0x95 || num > 0x9A) return 1;
    if (num == 0x95 || num == 0x96) {
        if (v->run.booted)   /* "This service is only available during initialization." */
            return vmmi_fail(v, VMM_EGUEST, "%s is only available during initialization",
                             num == 0x95 ? "Install_Mult_IO_Handlers" : "Install_IO_Handler");
        if (num == 0x95) return install_mult(v, c);
        int rc = vmmi_svc_check_cb(v, c, c->r.esi, "I/O callback (ESI)");
        if (rc) return rc;
        c->r.eflags = install(v, c->r.edx & 0xFFFFu, c->r.esi) ? c->r.eflags | CPU_CF : c->r.eflags & ~CPU_CF;
        return VMM_OK;
    }
    return switch_trap(v, c, num);
}

/* IOT-3: the client TSS's bitmap as VM vm's client code must see it; only the bits of
** installed ports ever change, and only when they differ from what is there. */
void vmmi_trap_iopm(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->trap.n <= VMM_TRAP_PORTS_MAX);
    /* Partial-order reduction: what the client's I/O does depends on the trapping
    ** state, which the trapping services change (their footprint is MISC, svc.c). */
    if (v->trap.n) vmmi_por_tag(v, VMM_POR_MISC, 0);
    for (uint32_t i = 0; i < v->trap.n; i++) {
        vmm_trap_port *p = &v->trap.port[i];
        uint8_t want = (uint8_t)(p->on >> vm & 1), b = 0;
        if (want == p->set) continue;
        uint32_t at = v->tss + VMM_TSS_IOMAP + p->port / 8u;
        if (NEVER(cpu_phys_read(v->cpu, at, &b, 1) != CPU_OK)) return;
        b = want ? (uint8_t)(b | 1u << (p->port & 7u)) : (uint8_t)(b & ~(1u << (p->port & 7u)));
        if (NEVER(cpu_phys_write(v->cpu, at, &b, 1) != CPU_OK)) return;
        p->set = want;
    }
}

/* ---- decoding the faulting instruction ------------------------------------------ */

/* The I/O instruction at the client's CS:IP into t (16-bit code: V86 or the 16-bit
** protected-mode client). 1: not an I/O instruction (another #GP). */
static int decode(vmm_state *v, uint32_t vm, vmm_trap_run *t) {
    uint32_t cs = vmmi_creg_get(v, vm, vmmi_cseg_off[CPU_CS], 2), ip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu, osz = 2;
    uint8_t b[VMM_TRAP_INSN_MAX];
    memset(t, 0, sizeof *t);
    t->seg = CPU_DS;
    for (uint32_t i = 0; i < VMM_TRAP_INSN_MAX; i++) {
        if (vmmi_cl_mem(v, vm, cs, (ip + i) & 0xFFFFu, &b[i], 1, 0)) return -1;
        switch (b[i]) {
        case 0x66: osz = 6 - osz; continue;             /* 2 <-> 4 */
        case 0x67: t->a32 ^= 1; continue;
        case 0xF2: case 0xF3: t->rep = 1; continue;
        case 0xF0: continue;
        case 0x26: t->seg = CPU_ES; continue;
        case 0x2E: t->seg = CPU_CS; continue;
        case 0x36: t->seg = CPU_SS; continue;
        case 0x3E: t->seg = CPU_DS; continue;
        case 0x64: t->seg = CPU_FS; continue;
        case 0x65: t->seg = CPU_GS; continue;
        }
        uint8_t op = b[i];
        t->len = (uint8_t)(i + 1);
        if ((op & 0xF4) == 0xE4) {                      /* E4-E7 imm8, EC-EF DX */
            t->out = (op & 2) != 0;
            t->esize = (uint8_t)((op & 1) ? osz : 1);
            if (op & 8) t->port = (uint16_t)vmmi_creg_get(v, vm, VMM_CR_EDX, 2);
            else if (i + 1 >= VMM_TRAP_INSN_MAX) return 1;   /* too long: the 386's #GP */
            else if (vmmi_cl_mem(v, vm, cs, (ip + i + 1) & 0xFFFFu, &b[i + 1], 1, 0)) return -1;
            else { t->port = b[i + 1]; t->len++; }
            t->rep = 0;
            t->left = 1;
            return 0;
        }
        if ((op & 0xFC) != 0x6C) return 1;              /* 6C-6F: INS, OUTS */
        t->str = 1;
        t->out = (op & 2) != 0;
        t->esize = (uint8_t)((op & 1) ? osz : 1);
        t->port = (uint16_t)vmmi_creg_get(v, vm, VMM_CR_EDX, 2);
        t->rev = (vmmi_creg_get(v, vm, VMM_CR_EFL, 4) & CPU_DF) != 0;
        t->left = !t->rep ? 1 : t->a32 ? vmmi_creg_get(v, vm, VMM_CR_ECX, 4) : vmmi_creg_get(v, vm, VMM_CR_ECX, 2);
        return 0;
    }
    return 1;
}

/* ---- the emulation (IOT-2, IOT-4) ------------------------------------------------ */

static int trapped(const vmm_state *v, uint32_t vm, uint32_t port) {
    assert(vm < v->nvms);
    for (uint32_t i = 0; i < v->trap.n; i++)
        if (v->trap.port[i].port == (port & 0xFFFFu)) return (int)(v->trap.port[i].on >> vm & 1);
    return 0;
}

/* The string operand's offset register (SI for OUTS, DI for INS), as the address size says. */
static uint32_t str_reg(vmm_state *v, uint32_t vm, const vmm_trap_run *t) {
    uint32_t r = vmmi_creg_get(v, vm, t->out ? VMM_CR_ESI : VMM_CR_EDI, 4);
    return t->a32 ? r : r & 0xFFFFu;
}

/* An element starts: its output value, and (IOT-4) the order of its trapped bytes. */
static int elem_start(vmm_state *v, uint32_t vm, vmm_trap_run *t) {
    uint32_t n = 0;
    assert(t->k == 0 && t->left > 0);
    t->val = 0;
    if (t->out && !t->str) t->val = vmmi_creg_get(v, vm, VMM_CR_EAX, t->esize);
    if (t->out && t->str) {
        uint32_t sel = vmmi_creg_get(v, vm, vmmi_cseg_off[t->seg], 2);
        if (vmmi_cl_mem(v, vm, sel, str_reg(v, vm, t), &t->val, t->esize, 0)) return v->run.err;
    }
    for (uint32_t b = 0; b < t->esize; b++) n += (uint32_t)trapped(v, vm, t->port + b);
    t->desc = (uint8_t)(n >= 2 && vmmi_choose(v, ENG_CHOICE_IO_ORDER, 2) == 1);
    return VMM_OK;
}

/* An element ends: the input goes to AL/AX/EAX or ES:(E)DI, the string registers move. */
static int elem_end(vmm_state *v, uint32_t vm, vmm_trap_run *t) {
    assert(t->k == t->esize && t->left > 0);
    if (!t->out && !t->str) vmmi_creg_set(v, vm, VMM_CR_EAX, t->val, t->esize);
    if (t->str) {
        uint32_t off = str_reg(v, vm, t), reg = t->out ? VMM_CR_ESI : VMM_CR_EDI;
        if (!t->out && vmmi_cl_mem(v, vm, vmmi_creg_get(v, vm, vmmi_cseg_off[CPU_ES], 2), off, &t->val, t->esize, 1))
            return v->run.err;
        off = t->rev ? off - t->esize : off + t->esize;
        vmmi_creg_set(v, vm, reg, off, t->a32 ? 4 : 2);
        if (t->rep) vmmi_creg_set(v, vm, VMM_CR_ECX, (t->a32 ? vmmi_creg_get(v, vm, VMM_CR_ECX, 4) : vmmi_creg_get(v, vm, VMM_CR_ECX, 2)) - 1, t->a32 ? 4 : 2);
    }
    t->left--;
    t->k = 0;
    return VMM_OK;
}

/* The frame's step: bus bytes at once, up to the next trapped byte, whose handler it
** enters; 1 when the instruction is done. Bounded: every pass does one byte. */
static int trap_step(vmm_state *v, uint32_t ci, vmm_frame *f) {
    uint32_t vm = ci;
    vmm_trap_run *t = &v->trap.run[vm];
    assert(f->kind == VMM_CB_IOTRAP && vm < v->nvms && t->active);
    for (uint64_t guard = 0; guard < 4ull * VMM_TRAP_REP_MAX + 4; guard++) {
        if (t->left == 0 || v->run.err) return 1;
        if (t->k == 0 && elem_start(v, vm, t)) return 1;
        uint32_t b = t->desc ? t->esize - 1u - t->k : t->k, port = (t->port + b) & 0xFFFFu;
        const vmm_trap_port *p = port_of(v, port);
        if (p && (p->on >> vm & 1)) {
            uint32_t type = t->out ? IOT_BYTE_OUTPUT : IOT_BYTE_INPUT, byte = t->out ? t->val >> (8 * b) & 0xFFu : 0;
            t->hb = (uint8_t)b;
            rec_trap(v, IOT_OP_CALL, vm, port, type, p->cb, byte);
            vmmi_cb_regs in = { .cb = p->cb, .eax = byte, .ebx = v->vm[vm].handle, .edx = port,
                                .ebp = vmmi_client_ptr(v, vm), .set_eax = 1, .set_edx = 1 };
            int rc = vmmi_ctx_enter(v, ci, f, &in);
            if (!rc) cpu_set_reg(v->cpu, CPU_ECX, type);
            return rc;
        }
        uint32_t in = vmmi_io_bus(v, (uint16_t)port, 1, t->out, t->val >> (8 * b) & 0xFFu);   /* IOT-4 */
        if (!t->out) t->val |= in << (8 * b);
        if (++t->k == t->esize && elem_end(v, vm, t)) return 1;
    }
    (void)NEVER(1);   /* every pass does a byte; no instruction has this many */
    return 1;
}

/* The handler returned: an input byte is its AL. */
static int trap_next(vmm_state *v, vmm_frame *f, uint32_t cf) {
    (void)cf;   /* the DDK gives an I/O callback's carry no meaning */
    uint32_t vm = f->vm;
    vmm_trap_run *t = &v->trap.run[vm];
    assert(f->kind == VMM_CB_IOTRAP && vm < v->nvms && t->active && t->k < t->esize);
    if (!t->out) t->val |= (cpu_get_reg(v->cpu, CPU_EAX) & 0xFFu) << (8 * t->hb);
    if (++t->k == t->esize && elem_end(v, vm, t)) return 0;
    return 1;
}

/* The instruction is done: the client resumes after it (IOT-6: the VMM's return). */
static void trap_done(vmm_state *v, const vmm_frame *f) {
    uint32_t vm = f->vm;
    vmm_trap_run *t = &v->trap.run[vm];
    assert(f->kind == VMM_CB_IOTRAP && vm < v->nvms && t->active);
    uint32_t eip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4);
    vmmi_creg_set(v, vm, VMM_CR_EIP, (eip & 0xFFFF0000u) | ((eip + t->len) & 0xFFFFu), 4);
    rec_trap(v, IOT_OP_DONE, vm, t->port, t->out || t->str ? 0 : t->val, 0, 0);
    vmmi_charge(v, VMM_CYC_V86_IRET);
    t->active = 0;
}

const vmmi_cb_ops vmmi_trap_ops = { trap_step, trap_next, trap_done };

/* IOT-2: a #GP of VM vm's client code (its registers are in its Client_Reg_Struc). An
** I/O instruction faults only on a port trapped in the VM: the VMM emulates it in a
** frame of the VM's context. 1: not an I/O instruction. */
int vmmi_trap_gp(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms && v->ctx[vm].depth == 0);
    vmm_trap_run *t = &v->trap.run[vm];
    int rc = decode(v, vm, t);
    if (rc < 0) return ALWAYS(v->run.err) ? v->run.err : VMM_EBROKEN;   /* vmmi_cl_mem failed the run */
    if (rc) return 1;
    if (t->left > VMM_TRAP_REP_MAX)
        return vmmi_fail(v, VMM_ELIMIT, "VM %s: a trapped REP string I/O of %u elements (at most %u)",
                         v->s->vms[vm].name, t->left, VMM_TRAP_REP_MAX);
    uint32_t cs = vmmi_creg_get(v, vm, vmmi_cseg_off[CPU_CS], 2), ip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    rec_trap(v, IOT_OP_FAULT, vm, t->port, t->esize | (uint64_t)t->out << 8 | (uint64_t)t->str << 9 |
             (uint64_t)t->rep << 10, t->left, cs << 16 | ip);
    v->run.entered = 1;
    /* Partial-order reduction: the VMM entry from client code ends a segment, so the
    ** handler's footprint is a step of its own that earlier steps can conflict with
    ** (client code runs between decisions otherwise, in one segment). */
    vmmi_por_step(v, 1, NULL);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);   /* IOT-6: the #GP into the VMM */
    t->active = 1;
    return vmmi_ctx_start(v, vm, VMM_CB_IOTRAP, 0, 0, NULL);
}
