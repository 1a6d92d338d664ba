/*
** simc.c — changing what a VM's client code executes (docs/vmm.md, "Changing client
** execution", SIM-1 … SIM-5): Simulate_Int, Simulate_Iret, Simulate_Far_Call,
** Simulate_Far_Jmp, Simulate_Far_Ret, Simulate_Far_Ret_N, Build_Int_Stack_Frame,
** Simulate_Push, Simulate_Pop and Map_Flat, and the client register helpers that
** client.c and hook.c share.
**
** Every service acts on the current VM's Client_Reg_Struc and, for the stack, on the
** client's SS:SP in the VM's own address space: nothing runs until the VMM returns to
** the client, which then executes from what Client_Reg_Struc holds (CL-1). Each stack
** access is checked against the VM's space; one outside it ends the run with
** VMM_EGUEST naming the VM and the address.
*/
#include <stdio.h>

#include "vmm_int.h"

#define SC_OFF_NONE 0xFFu   /* Map_Flat: AL = -1, offset 0 */

/* ---- client registers ---------------------------------------------------------- */

uint32_t vmmi_creg_get(vmm_state *v, uint32_t vm, uint32_t off, uint32_t size) {
    uint32_t val = 0;
    assert(vm < v->nvms && off + size <= VMM_CLIENT_SIZE && size >= 1 && size <= 4);
    if (cpu_phys_read(v->cpu, vmmi_client_ptr(v, vm) + off, &val, size) != CPU_OK) return 0;
    return val;
}

void vmmi_creg_set(vmm_state *v, uint32_t vm, uint32_t off, uint32_t val, uint32_t size) {
    assert(vm < v->nvms && off + size <= VMM_CLIENT_SIZE && size >= 1 && size <= 4);
    int rc = cpu_phys_write(v->cpu, vmmi_client_ptr(v, vm) + off, &val, size);
    if (NEVER(rc != CPU_OK)) return;   /* the control blocks lie in the first 1 MiB of RAM */
}

static uint32_t sp_get(vmm_state *v, uint32_t vm) {
    return vmmi_creg_get(v, vm, VMM_CR_ESP, 4) & 0xFFFFu;
}

/* SP changes; the high word of Client_ESP stays (16-bit stacks, as the CPU's). */
static void sp_set(vmm_state *v, uint32_t vm, uint32_t sp) {
    assert(sp <= 0xFFFFu);
    vmmi_creg_set(v, vm, VMM_CR_ESP, (vmmi_creg_get(v, vm, VMM_CR_ESP, 4) & 0xFFFF0000u) | sp, 4);
}

static void csip_set(vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip) {
    vmmi_creg_set(v, vm, VMM_CR_CS, cs & 0xFFFFu, 2);
    vmmi_creg_set(v, vm, VMM_CR_EIP, ip, 4);
}

/* ---- the client stack ------------------------------------------------------------ */

/* Reads or writes the word at SS:sp of VM vm's client; each byte must lie in the VM's
** own space (the offset wraps inside the 64 KiB segment, as a 16-bit SP does). */
static int stk_word(vmm_state *v, uint32_t vm, uint32_t sp, uint16_t *w, int wr) {
    uint32_t ss = vmmi_creg_get(v, vm, VMM_CR_SS, 2), base, lo = v->vm[vm].v86;
    uint8_t b[2] = { (uint8_t)*w, (uint8_t)(*w >> 8) };
    assert(vm < v->nvms && vmmi_cl_has(v, vm) && sp <= 0xFFFFu);
    if (vmmi_cl_seg_base(v, vm, ss, &base))
        return vmmi_fail(v, VMM_EGUEST, "VM %s: client SS 0x%04x is no segment of its own address space",
                         v->s->vms[vm].name, ss);
    for (uint32_t k = 0; k < 2; k++) {
        uint32_t a = base + ((sp + k) & 0xFFFFu);
        if (a < lo || a >= lo + VMM_V86_SIZE)
            return vmmi_fail(v, VMM_EGUEST, "VM %s: client stack %04X:%04X (0x%08x) lies outside its own "
                             "address space", v->s->vms[vm].name, ss, (sp + k) & 0xFFFFu, a);
        int rc = wr ? cpu_phys_write(v->cpu, a, &b[k], 1) : cpu_phys_read(v->cpu, a, &b[k], 1);
        if (rc != CPU_OK) return vmmi_fail(v, VMM_EBROKEN, "VM %s: address 0x%08x is outside guest memory",
                                           v->s->vms[vm].name, a);
    }
    *w = (uint16_t)(b[0] | b[1] << 8);
    return VMM_OK;
}

/* Pushes n words (vals[0] first) below *sp; *sp follows. Nothing of Client_Reg_Struc
** changes here, so a failed push leaves the client as it was. */
static int stk_push(vmm_state *v, uint32_t vm, uint32_t *sp, const uint32_t *vals, uint32_t n) {
    assert(n <= 3);
    for (uint32_t k = 0; k < n; k++) {
        uint16_t w = (uint16_t)vals[k];
        *sp = (*sp - 2) & 0xFFFFu;
        int rc = stk_word(v, vm, *sp, &w, 1);
        if (rc) return rc;
    }
    return VMM_OK;
}

static int stk_pop(vmm_state *v, uint32_t vm, uint32_t *sp, uint32_t *vals, uint32_t n) {
    assert(n <= 3);
    for (uint32_t k = 0; k < n; k++) {
        uint16_t w = 0;
        int rc = stk_word(v, vm, *sp, &w, 0);
        if (rc) return rc;
        vals[k] = w;
        *sp = (*sp + 2) & 0xFFFFu;
    }
    return VMM_OK;
}

/* ---- CL-4 / SIM-1: entering an interrupt vector ------------------------------------ */

int vmmi_simc_int(vmm_state *v, uint32_t vm, uint32_t vec, uint32_t ret_cs, uint32_t ret_ip, int op) {
    assert(vec < 256 && (op == VMM_CLOP_INT || op == VMM_CLOP_SIMINT || op == VMM_CLOP_EXECINT) &&
           !vmmi_cl_is_pm(v, vm));
    uint32_t sp = sp_get(v, vm), fl = vmmi_creg_get(v, vm, VMM_CR_EFL, 4), vect = 0;
    uint32_t frame[3] = { fl, ret_cs, ret_ip };
    int rc = stk_push(v, vm, &sp, frame, 3);
    if (rc) return rc;
    if (cpu_phys_read(v->cpu, v->vm[vm].v86 + vec * 4, &vect, 4) != CPU_OK)
        return vmmi_fail(v, VMM_EBROKEN, "V86 space of VM %u is outside guest memory", vm);
    vmmi_cl_rec(v, op, vm, vec, vect);
    sp_set(v, vm, sp);
    vmmi_creg_set(v, vm, VMM_CR_EFL, fl & ~(CPU_IF | CPU_TF), 4);
    csip_set(v, vm, vect >> 16, vect & 0xFFFFu);
    return VMM_OK;
}

/* ---- the services -------------------------------------------------------------- */

/* A CLIENT op=sim record: the service (its number in `vector`), CS:IP after it and
** before it (`target`), SS, SP before and after, and the word moved (SIM-2 … SIM-5). */
static void sim_rec(vmm_state *v, uint32_t vm, uint32_t num, uint32_t old_csip, uint32_t old_sp,
                    uint32_t value) {
    uint32_t cs = vmmi_creg_get(v, vm, VMM_CR_CS, 2), ip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    uint32_t vif = (vmmi_creg_get(v, vm, VMM_CR_EFL, 4) & CPU_IF) != 0;
    uint64_t ss = vmmi_creg_get(v, vm, VMM_CR_SS, 2);
    assert(num <= 0xFFu && old_sp <= 0xFFFFu);
    vmmi_rec(v, VMM_REC_CLIENT, 5, VMM_CLOP_SIM | (uint64_t)vm << 8 | (uint64_t)vif << 16 |
             (uint64_t)num << 24 | (uint64_t)vmmi_cl_is_pm(v, vm) << 32, cs << 16 | ip, old_csip,
             ss << 32 | (uint64_t)old_sp << 16 | sp_get(v, vm), value, 0);
    v->vm[vm].if_seen = (uint8_t)vif;
}

/* The VM a service acts on: the current one, with a client program (docs/vmm.md: for
** a VM without one, only Client_Reg_Struc exists, and these services need its code). */
static int sim_vm(vmm_state *v, const vmm_call *c, uint32_t *vm) {
    char name[64];
    *vm = v->run.cur;
    assert(*vm < v->nvms);
    if (vmmi_cl_has(v, *vm)) return VMM_OK;
    return vmmi_fail(v, VMM_EGUEST, "%s: VM %s has no client program, so no client code nor stack to "
                     "change (docs/vmm.md, \"Changing client execution\")",
                     vmmi_svc_name(c->dword, name, sizeof name), v->s->vms[*vm].name);
}

/* SIM-1: Simulate_Int (EAX): the hooks first (HK-1), then the VM's vector. */
static int sim_int(vmm_state *v, vmm_call *c, uint32_t vm) {
    uint32_t vec = c->r.eax;
    if (vec > 0xFFu)
        return vmmi_fail(v, VMM_EGUEST, "Simulate_Int: interrupt 0x%x is not 0..0FFh", vec);
    if (vmmi_cl_is_pm(v, vm))
        return vmmi_fail(v, VMM_EUNIMPL, "Simulate_Int into the protected-mode client of VM %s: "
                         "protected-mode interrupt vectors are not modelled", v->s->vms[vm].name);
    if (v->vm[vm].halted) {   /* CL-5: an interrupt simulated into a halted VM wakes it */
        v->vm[vm].halted = 0;
        vmmi_cl_rec(v, VMM_CLOP_WAKE, vm, vec, 0);
        vmmi_sched_wake(v, vm);
    }
    if (vmmi_hk_hooked(v, vec)) return vmmi_hk_simulate(v, c, vm, vec);
    return vmmi_simc_int(v, vm, vec, vmmi_creg_get(v, vm, VMM_CR_CS, 2), vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu,
                         VMM_CLOP_INT);
}

/* A far target CX:EDX; 16-bit client code has no offset above FFFFh (DDK). */
static int far_target(vmm_state *v, const vmm_call *c) {
    char name[64];
    if (c->r.edx <= 0xFFFFu) return VMM_OK;
    return vmmi_fail(v, VMM_EGUEST, "%s: offset EDX 0x%08x has a high word, but the client code is "
                     "16-bit", vmmi_svc_name(c->dword, name, sizeof name), c->r.edx);
}

/* SIM-2 … SIM-4: the stack and CS:IP services. */
static int sim_stack(vmm_state *v, vmm_call *c, uint32_t vm, uint32_t num) {
    uint32_t sp = sp_get(v, vm), old_sp = sp, cs = vmmi_creg_get(v, vm, VMM_CR_CS, 2);
    uint32_t ip = vmmi_creg_get(v, vm, VMM_CR_EIP, 4) & 0xFFFFu, fl = vmmi_creg_get(v, vm, VMM_CR_EFL, 4);
    uint32_t w[3] = { 0, 0, 0 }, value = 0;
    int rc = VMM_OK;
    if ((num == 0x48 || num == 0x49 || num == 0x4C) && (rc = far_target(v, c))) return rc;
    switch (num) {
    case 0x4D: w[0] = value = c->r.eax & 0xFFFFu; rc = stk_push(v, vm, &sp, w, 1); break;   /* Push */
    case 0x4E: rc = stk_pop(v, vm, &sp, w, 1); value = c->r.eax = w[0]; break;             /* Pop */
    case 0x48: w[0] = cs, w[1] = ip; rc = stk_push(v, vm, &sp, w, 2); value = cs << 16 | ip; break;
    case 0x4C: w[0] = fl, w[1] = cs, w[2] = ip; rc = stk_push(v, vm, &sp, w, 3); value = cs << 16 | ip; break;
    case 0x49: break;                                                                     /* Far_Jmp */
    case 0x4A: case 0x4B: rc = stk_pop(v, vm, &sp, w, 2); value = w[1] << 16 | w[0]; break;
    case 0x47: rc = stk_pop(v, vm, &sp, w, 3); value = w[1] << 16 | w[0]; break;            /* Iret */
    default: assert(0); return 1;
    }
    if (rc) return rc;
    if (num == 0x4B) sp = (sp + (c->r.eax & 0xFFFFu)) & 0xFFFFu;   /* Far_Ret_N: EAX bytes more */
    sp_set(v, vm, sp);
    if (num == 0x48 || num == 0x49 || num == 0x4C) csip_set(v, vm, c->r.ecx, c->r.edx);
    if (num == 0x4A || num == 0x4B || num == 0x47) csip_set(v, vm, w[1], w[0]);
    if (num == 0x47) vmmi_creg_set(v, vm, VMM_CR_EFL, (fl & 0xFFFF0000u) | w[2], 4);
    sim_rec(v, vm, num, cs << 16 | ip, old_sp, value);
    return VMM_OK;
}

/* SIM-5: Map_Flat (AH: Client_Reg_Struc offset of a segment register, AL: of an offset
** register, -1: offset 0) → EAX, the linear address; -1 for a selector that is not the
** client's, an offset outside Client_Reg_Struc, or a VM without a program. */
static int map_flat(vmm_state *v, vmm_call *c) {
    uint32_t vm = v->run.cur, soff = c->r.eax >> 8 & 0xFFu, ooff = c->r.eax & 0xFFu, base = 0, off = 0;
    assert(vm < v->nvms);
    c->r.eax = 0xFFFFFFFFu;
    if (soff + 2 > VMM_CLIENT_SIZE || (ooff != SC_OFF_NONE && ooff + 4 > VMM_CLIENT_SIZE)) return VMM_OK;
    if (ooff != SC_OFF_NONE) off = vmmi_creg_get(v, vm, ooff, 4) & 0xFFFFu;   /* 16-bit client code */
    if (vmmi_cl_seg_base(v, vm, vmmi_creg_get(v, vm, soff, 2), &base)) return VMM_OK;
    c->r.eax = base + off;
    if (vmmi_cl_has(v, vm))
        sim_rec(v, vm, 0x1C, vmmi_creg_get(v, vm, soff, 2) << 16 | off, sp_get(v, vm), c->r.eax);
    return VMM_OK;
}

/* Dispatch (svc.c): 1 for a service not of this file. */
int vmmi_simc_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    uint32_t vm;
    int rc;
    assert(c && num <= 0x7FFFu);
    if (num == 0x1C) return map_flat(v, c);
    if (num < 0x46 || num > 0x4E) return 1;
    if ((rc = sim_vm(v, c, &vm))) return rc;
    if (num == 0x46) return sim_int(v, c, vm);
    return sim_stack(v, c, vm, num);
}
