/*
** client.c — client code: a VM's own program, run in V86 mode (docs/vmm.md, "Client
** code", rules CL-1 … CL-5).
**
** Each VM with a client program has a private V86 address space of 1 MiB + the HMA
** (VMM_V86_SIZE) in guest RAM, at its CB_High_Linear address (linear = physical for
** VxD code). While its client code runs, paging maps that space at linear 0 (its own
** page directory) and the TSS's I/O bitmap lets every port through, so the 386 runs
** the code as it runs a DOS program under the real VMM: IOPL 3, so CLI, STI, PUSHF,
** POPF and IRET act on the real IF, which is the VM's virtual IF while it runs (CL-3).
** Every INT n and every fault stops the CPU (cpu_config intercepts); the VMM then saves
** the client registers in the VM's Client_Reg_Struc (CL-1), acts, and resumes the
** client from Client_Reg_Struc, so that what VxDs change through EBP is what runs.
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

#define CL_PTE          7u          /* present, writable, user */
#define CL_PG           0x80000000u /* CR0.PG */
#define CL_V86_FLAGS    (CPU_VM | CPU_IOPL | 0x2u)   /* CL-3: V86 at IOPL 3 */
#define CL_PM_FLAGS     (CPU_IOPL | 0x2u)            /* CL-3: ring 3 at IOPL 3 */
#define CL_LDT_SEL      0x40u       /* LDTR's selector (its cache is what the CPU uses) */
#define CL_TSS_SEL      0x38u       /* TR's selector (its cache is what the CPU uses) */
#define CL_STEP_MAX     1u          /* instructions per run while something waits on IF */
#define CL_PAGE         0x1000u
#define CL_VM_AREA      (VMM_V86_SIZE + 2u * CL_PAGE)   /* page directory, table, space */

/* Client_Reg_Struc offsets (scenarios/include/vmm.inc) in CPU register order. */
const uint8_t vmmi_creg_off[8] = { 0x1C, 0x18, 0x14, 0x10, 0x30, 0x08, 0x04, 0x00 };
const uint8_t vmmi_cseg_off[6] = { 0x38, 0x28, 0x34, 0x3C, 0x40, 0x44 };  /* ES CS SS DS FS GS */

uint32_t vmm_vm_high_linear(const vmm_state *v, uint32_t vm_index) {
    assert(v);
    return vm_index < v->nvms ? v->vm[vm_index].v86 : 0;
}

int vmmi_cl_has(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->vm[vm].v86 != 0;
}

static uint32_t cl_rd(vmm_state *v, uint32_t vm, uint32_t off, uint32_t size) {
    return vmmi_creg_get(v, vm, off, size);
}

static void cl_wr(vmm_state *v, uint32_t vm, uint32_t off, uint32_t val, uint32_t size) {
    vmmi_creg_set(v, vm, off, val, size);
}

/* CL-3: the VM's virtual IF, as Client_EFlags holds it. */
uint32_t vmmi_cl_if(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return (cl_rd(v, vm, VMM_CR_EFL, 4) & CPU_IF) != 0;
}

/* A V86 linear address of VM vm as guest-physical: always inside its space. */
static uint32_t v86_phys(const vmm_state *v, uint32_t vm, uint32_t lin) {
    assert(vm < v->nvms && v->vm[vm].v86 != 0);
    return v->vm[vm].v86 + lin % VMM_V86_SIZE;
}

static int v86_rw(vmm_state *v, uint32_t vm, uint32_t lin, void *p, uint32_t n, int wr) {
    assert(n <= 4);
    uint8_t *b = p;
    for (uint32_t k = 0; k < n; k++) {   /* byte-wise: a word may wrap at the space's end */
        uint32_t a = v86_phys(v, vm, lin + k);
        int rc = wr ? cpu_phys_write(v->cpu, a, b + k, 1) : cpu_phys_read(v->cpu, a, b + k, 1);
        if (rc != CPU_OK) return vmmi_fail(v, VMM_EBROKEN, "V86 space of VM %u is outside guest memory", vm);
    }
    return VMM_OK;
}

/* ---- protected-mode clients: their LDT (docs/vmm.md, "Client code") ------------- */

static int is_pm(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->s->vms[vm].client.pm != 0;
}

/* The cache of LDT selector sel of VM vm's protected-mode client (a null selector gives
** a null cache); -1 when sel is not one of its LDT's descriptors. */
static int ldt_seg(const vmm_state *v, uint32_t vm, uint32_t sel, cpu_seg *out) {
    uint8_t d[8];
    assert(out && vm < v->nvms && is_pm(v, vm));
    memset(out, 0, sizeof *out);
    out->sel = (uint16_t)sel;
    if ((sel & ~3u) == 0) return 0;
    if (!(sel & 4u) || (sel >> 3) >= VMM_PM_LDT_N) return -1;
    if (cpu_phys_read(v->cpu, v->vm[vm].pd + (sel >> 3) * 8, d, 8) != CPU_OK) return -1;
    out->base = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24;
    out->limit = ((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)(d[6] & 0xF) << 16);
    out->attr = (uint16_t)(d[5] | (d[6] >> 4) << 12);
    return 0;
}

int vmmi_cl_is_pm(const vmm_state *v, uint32_t vm) {
    return is_pm(v, vm);
}

int vmmi_cl_seg_base(const vmm_state *v, uint32_t vm, uint32_t sel, uint32_t *base) {
    cpu_seg c;
    assert(vm < v->nvms && base);
    if (!vmmi_cl_has(v, vm)) return -1;
    if (!is_pm(v, vm)) { *base = v->vm[vm].v86 + ((sel & 0xFFFFu) << 4); return 0; }
    if (sel > 0xFFFFu || (sel & ~3u) == 0 || ldt_seg(v, vm, sel, &c) || c.base < v->vm[vm].v86) return -1;
    *base = c.base;
    return 0;
}

/* CS:IP as an address of the VM's own space (its CB_High_Linear + this); 0xFFFFFFFF
** when CS is no selector of a protected-mode client's LDT. */
static uint32_t code_lin(const vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip) {
    cpu_seg c;
    if (!is_pm(v, vm)) return (cs << 4) + ip;
    if (ldt_seg(v, vm, cs, &c) || c.base < v->vm[vm].v86) return 0xFFFFFFFFu;
    return c.base - v->vm[vm].v86 + ip;
}

/* n bytes of VM vm's client memory at sel:off (V86: its space; protected mode: through
** its LDT, inside the segment's limit), read or written; for the VMM's emulation of a
** trapped instruction (trap.c). */
int vmmi_cl_mem(vmm_state *v, uint32_t vm, uint32_t sel, uint32_t off, void *p, uint32_t n, int wr) {
    cpu_seg sg;
    assert(vm < v->nvms && vmmi_cl_has(v, vm) && n <= 4);
    if (!is_pm(v, vm)) return v86_rw(v, vm, (sel << 4) + (off & 0xFFFFu), p, n, wr);
    if (ldt_seg(v, vm, sel, &sg) || (sel & ~3u) == 0 || off + n - 1 > sg.limit)
        return vmmi_fail(v, VMM_EGUEST, "VM %s: client address %04X:%04X is outside its segments",
                         v->s->vms[vm].name, sel, off);
    int rc = wr ? cpu_phys_write(v->cpu, sg.base + off, p, n) : cpu_phys_read(v->cpu, sg.base + off, p, n);
    return rc == CPU_OK ? VMM_OK : vmmi_fail(v, VMM_EBROKEN, "client memory of VM %u is outside guest memory", vm);
}

/* ---- labels ----------------------------------------------------------------------- */

/* Where the VM's program is, by label: "dos1.poll+3" (NULL when outside its image). */
const char *vmmi_cl_where(const vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip, char *buf,
                          size_t len) {
    assert(vm < v->nvms && buf && len > 0);
    const vmm_client *p = &v->s->vms[vm].client;
    uint32_t lin = p->image ? code_lin(v, vm, cs, ip) : 0, base = ((uint32_t)p->load_seg << 4) + p->load_off;
    const vmm_label *best = NULL;
    if (!p->image || lin < base || lin >= base + p->image_len) return NULL;
    for (uint32_t k = 0; k < p->nlabels; k++) {
        uint32_t at = ((uint32_t)p->load_seg << 4) + p->labels[k].addr;
        if (at <= lin && (!best || at > ((uint32_t)p->load_seg << 4) + best->addr)) best = &p->labels[k];
    }
    if (!best) return NULL;
    uint32_t d = lin - (((uint32_t)p->load_seg << 4) + best->addr);
    if (d) snprintf(buf, len, "%s.%s+%u", v->s->vms[vm].name, best->name, d);
    else snprintf(buf, len, "%s.%s", v->s->vms[vm].name, best->name);
    return buf;
}

/* ---- layout (vmm_new) ------------------------------------------------------------ */

static int put32(vmm_state *v, uint32_t a, uint32_t val) {
    return cpu_phys_write(v->cpu, a, &val, 4) == CPU_OK ? VMM_OK : VMM_EINVAL;
}

/* The TSS (an I/O bitmap of zeros: client port I/O goes through to the bus, as VxD
** I/O does) and the identity page table of its 4 MiB, shared by every VM's page
** directory. */
static int layout_tss(vmm_state *v, uint32_t base) {
    uint8_t end = 0xFF;
    int rc = put32(v, base + 0x64, (uint32_t)VMM_TSS_IOMAP << 16);   /* T = 0, I/O map base */
    if (!rc) rc = cpu_phys_write(v->cpu, base + VMM_TSS_SIZE - 1, &end, 1) == CPU_OK ? 0 : VMM_EINVAL;
    for (uint32_t k = 0; k < 1024 && !rc; k++)   /* the TSS's 4 MiB, identity */
        rc = put32(v, base + 3 * CL_PAGE + 4 * k, ((base >> 22) << 22) + k * CL_PAGE + CL_PTE);
    v->tss = base;
    return rc;
}

/* One 16-bit, byte-granular, 64 KiB, DPL 3 descriptor (access: FAh code, F2h data). */
static int put_desc(vmm_state *v, uint32_t at, uint32_t base, uint8_t access) {
    uint8_t d[8] = { 0xFF, 0xFF, (uint8_t)base, (uint8_t)(base >> 8), (uint8_t)(base >> 16), access,
                     0x00, (uint8_t)(base >> 24) };
    return cpu_phys_write(v->cpu, at, d, 8) == CPU_OK ? VMM_OK : VMM_EINVAL;
}

/* The VM's way to its space: for V86, its page directory and table (the space at linear
** 0, the rest identity); for a protected-mode client, its LDT: code at CS's paragraph,
** data at the load segment, stack at SS's, each 64 KiB of its own space. */
static int layout_map(vmm_state *v, uint32_t vm, uint32_t pd, uint32_t sp86) {
    const vmm_client *p = &v->s->vms[vm].client;
    uint32_t pt = pd + CL_PAGE;
    int rc;
    if (p->pm) {
        rc = put_desc(v, pd + (VMM_PM_CS >> 3) * 8, sp86 + ((uint32_t)p->cs << 4), 0xFA);
        if (!rc) rc = put_desc(v, pd + (VMM_PM_DS >> 3) * 8, sp86 + ((uint32_t)p->load_seg << 4), 0xF2);
        if (!rc) rc = put_desc(v, pd + (VMM_PM_SS >> 3) * 8, sp86 + ((uint32_t)p->ss << 4), 0xF2);
        return rc;
    }
    rc = put32(v, pd, pt + CL_PTE);
    if (!rc && v->tss >> 22) rc = put32(v, pd + 4 * (v->tss >> 22), v->tss + 3 * CL_PAGE + CL_PTE);
    for (uint32_t k = 0; k < 1024 && !rc; k++)
        rc = put32(v, pt + 4 * k, (k < VMM_V86_SIZE / CL_PAGE ? sp86 : 0) + k * CL_PAGE + CL_PTE);
    return rc;
}

/* CL-1: Client_Reg_Struc holds the client's registers from the start. */
static void layout_regs(vmm_state *v, uint32_t vm) {
    const vmm_client *p = &v->s->vms[vm].client;
    uint32_t cs = p->pm ? VMM_PM_CS : p->cs, ds = p->pm ? VMM_PM_DS : p->cs;
    for (int r = 0; r < 8; r++)
        cl_wr(v, vm, vmmi_creg_off[r], (p->regs_set >> r & 1) ? p->regs[r] : 0, 4);
    cl_wr(v, vm, vmmi_creg_off[CPU_ESP], p->sp, 4);
    cl_wr(v, vm, VMM_CR_EIP, p->ip, 4);
    cl_wr(v, vm, VMM_CR_EFL, (p->pm ? CL_PM_FLAGS : CL_V86_FLAGS) | CPU_IF, 4);
    cl_wr(v, vm, vmmi_cseg_off[CPU_CS], cs, 2);
    cl_wr(v, vm, vmmi_cseg_off[CPU_SS], p->pm ? VMM_PM_SS : p->ss, 2);
    cl_wr(v, vm, vmmi_cseg_off[CPU_DS], (p->regs_set >> VMM_CREG_DS & 1) ? p->regs[VMM_CREG_DS] : ds, 2);
    cl_wr(v, vm, vmmi_cseg_off[CPU_ES], (p->regs_set >> VMM_CREG_ES & 1) ? p->regs[VMM_CREG_ES] : ds, 2);
}

/* VM vm's area: its map (layout_map), its space with the IVT, BIOS stubs and program,
** and its client registers. */
static int layout_vm(vmm_state *v, uint32_t vm, uint32_t area) {
    const vmm_client *p = &v->s->vms[vm].client;
    uint32_t sp86 = area + 2 * CL_PAGE;
    uint8_t iret = 0xCF, bp[2] = { 0x63, 0xC0 };   /* IRET; ARPL AX, AX (#UD in V86) */
    int rc = layout_map(v, vm, area, sp86);
    for (uint32_t k = 0; k < 256 && !rc; k++)   /* every vector: the IRET stub */
        rc = put32(v, sp86 + 4 * k, (uint32_t)VMM_V86_BIOS_SEG << 16 | (VMM_V86_IRET_STUB & 0xFFFFu));
    if (!rc) rc = cpu_phys_write(v->cpu, sp86 + VMM_V86_IRET_STUB, &iret, 1);
    if (!rc) rc = cpu_phys_write(v->cpu, sp86 + VMM_V86_IRQ_BP, bp, 2);
    if (!rc) rc = cpu_phys_write(v->cpu, sp86 + ((uint32_t)p->load_seg << 4) + p->load_off, p->image,
                                 p->image_len);
    if (rc) return VMM_EINVAL;
    v->vm[vm].v86 = sp86;
    v->vm[vm].pd = area;
    layout_regs(v, vm);
    return put32(v, v->vm[vm].handle + CB_HIGH_LINEAR, sp86);
}

/* Client areas at the top of RAM: the TSS, then one area per VM with a program, down
** from it; they must stay above every VxD image. VMs without a program get nothing. */
int vmmi_cl_layout(vmm_state *v, char *why, size_t len) {
    const vmm_scenario *s = v->s;
    uint32_t n = 0, low = VMM_V86_SIZE, top, base;
    for (uint32_t i = 0; i < v->nvms; i++) n += s->vms[i].client.image != NULL;
    if (n == 0) return VMM_OK;
    for (uint32_t i = 0; i < s->nvxds; i++)
        if (s->vxds[i].load_addr + s->vxds[i].image_len > low) low = s->vxds[i].load_addr + s->vxds[i].image_len;
    top = v->ram_size - 4 * CL_PAGE;
    if ((top >> 22) != ((top + 3 * CL_PAGE - 1) >> 22)) top = ((top + 3 * CL_PAGE) & ~0x3FFFFFu) - 4 * CL_PAGE;
    uint64_t need = (uint64_t)n * CL_VM_AREA + 4 * CL_PAGE;
    if ((uint64_t)low + need > top + 4 * CL_PAGE) {
        snprintf(why, len, "machine.memory_kb (%u KiB) is too small for the client programs of %u VMs: "
                 "they need %llu KiB above the VxD images (raise memory_kb to %llu)", v->m.memory_kb, n,
                 (unsigned long long)(need >> 10), (unsigned long long)((low + need + 0x3FFFFu) >> 10));
        return VMM_EINVAL;
    }
    if (layout_tss(v, top)) { snprintf(why, len, "client TSS outside guest memory"); return VMM_EINVAL; }
    base = top;
    for (uint32_t i = 0; i < v->nvms; i++) {
        const vmm_client *p = &s->vms[i].client;
        if (!p->image) continue;
        if (p->nprobes > VMM_PROBES_MAX) {
            snprintf(why, len, "VM %s: %u client probes (expectations at a label), at most %u",
                     s->vms[i].name, p->nprobes, VMM_PROBES_MAX);
            return VMM_EINVAL;
        }
        if (((uint32_t)p->load_seg << 4) + p->load_off + p->image_len > VMM_V86_SIZE) {
            snprintf(why, len, "VM %s: its client program (%u bytes at %04X:%04X) does not fit in "
                     "1 MiB + 64 KiB", s->vms[i].name, p->image_len, p->load_seg, p->load_off);
            return VMM_EINVAL;
        }
        base -= CL_VM_AREA;
        if (layout_vm(v, i, base)) { snprintf(why, len, "VM %s: client layout failed", s->vms[i].name); return VMM_EINVAL; }
    }
    return VMM_OK;
}

/* ---- Client_Reg_Struc <-> the CPU (CL-1) ---------------------------------------- */

/* The segment registers of a protected-mode client from its LDT; a selector that is
** none of its LDT's (a VxD changed Client_CS…) fails the run. */
static int cl_load_pm(vmm_state *v, uint32_t vm, cpu_regs *r) {
    for (int s = 0; s < 6; s++) {
        uint32_t sel = cl_rd(v, vm, vmmi_cseg_off[s], 2);
        if (ldt_seg(v, vm, sel, &r->seg[s]) || ((s == CPU_CS || s == CPU_SS) && (sel & ~3u) == 0))
            return vmmi_fail(v, VMM_EGUEST, "VM %s: client %s selector 0x%04x is not one of its LDT's "
                             "(0x%02x code, 0x%02x data, 0x%02x stack)", v->s->vms[vm].name,
                             s == CPU_CS ? "CS" : s == CPU_SS ? "SS" : "data", sel, VMM_PM_CS, VMM_PM_DS,
                             VMM_PM_SS);
    }
    r->ldtr.sel = CL_LDT_SEL;
    r->ldtr.base = v->vm[vm].pd;
    r->ldtr.limit = VMM_PM_LDT_N * 8 - 1;
    r->ldtr.attr = 0x82u;   /* present LDT */
    return VMM_OK;
}

/* CL-1: the CPU's registers from Client_Reg_Struc: V86 mode with paging (the space at
** linear 0), or ring 3 protected mode through the client's LDT. */
static int cl_load(vmm_state *v, uint32_t vm, cpu_regs *r) {
    assert(vm < v->nvms && vmmi_cl_has(v, vm));
    int pm = is_pm(v, vm);
    *r = v->regs0;
    for (int k = 0; k < 8; k++) r->r[k] = cl_rd(v, vm, vmmi_creg_off[k], 4);
    r->r[CPU_ESP] &= 0xFFFFu;
    r->eip = cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    r->eflags = (cl_rd(v, vm, VMM_CR_EFL, 4) & ~(CPU_NT | CPU_RF | CPU_VM)) | (pm ? CL_PM_FLAGS : CL_V86_FLAGS);
    r->tr.sel = CL_TSS_SEL;
    r->tr.base = v->tss;
    r->tr.limit = VMM_TSS_SIZE - 1;
    r->tr.attr = 0x8Bu;   /* present busy 386 TSS */
    if (pm) return cl_load_pm(v, vm, r);
    for (int s = 0; s < 6; s++) {
        uint16_t sel = (uint16_t)cl_rd(v, vm, vmmi_cseg_off[s], 2);
        r->seg[s].sel = sel;
        r->seg[s].base = (uint32_t)sel << 4;
        r->seg[s].limit = 0xFFFFu;
        r->seg[s].attr = s == CPU_CS ? 0xFBu : 0xF3u;
    }
    r->cr0 |= CL_PG;
    r->cr3 = v->vm[vm].pd;
    return VMM_OK;
}

static void cl_save(vmm_state *v, uint32_t vm, const cpu_regs *r) {
    assert(vm < v->nvms && ((r->eflags & CPU_VM) != 0) == !is_pm(v, vm));
    for (int k = 0; k < 8; k++) cl_wr(v, vm, vmmi_creg_off[k], r->r[k], 4);
    cl_wr(v, vm, VMM_CR_EIP, r->eip, 4);
    cl_wr(v, vm, VMM_CR_EFL, r->eflags, 4);
    for (int s = 0; s < 6; s++) cl_wr(v, vm, vmmi_cseg_off[s], r->seg[s].sel, 2);
}

/* A CLIENT record: where the client is and its IF (CL-3: the trace always knows the
** IF the VMM last saw; an INT it reflects or simulates clears it afterwards). */
void vmmi_cl_rec(vmm_state *v, int op, uint32_t vm, uint32_t vector, uint32_t extra) {
    uint32_t cs = cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), ip = cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    uint32_t vif = vmmi_cl_if(v, vm);
    assert(vm < v->nvms && op != VMM_CLOP_SIM);
    vmmi_rec(v, VMM_REC_CLIENT, 3, (uint64_t)op | (uint64_t)vm << 8 | (uint64_t)vif << 16 |
             (uint64_t)vector << 24 | (uint64_t)is_pm(v, vm) << 32, cs << 16 | ip, extra, 0, 0, 0);
    v->vm[vm].if_seen = (uint8_t)(vif && op != VMM_CLOP_SIMINT && op != VMM_CLOP_INT && op != VMM_CLOP_EXECINT);
}

/* ---- what the client's stops mean -------------------------------------------------- */

/* CL-4: INT n the VMM does not take is reflected into the VM's own vector table, as
** the real VMM's Simulate_Int does. */
static int cl_reflect(vmm_state *v, uint32_t vm, uint32_t vec) {
    int rc = vmmi_simc_int(v, vm, vec, cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu,
                           VMM_CLOP_INT);
    vmmi_charge(v, VMM_CYC_V86_ENTRY + VMM_CYC_V86_IRET);
    return rc;
}

/* NX-2: Exec_Int enters vector vec of the VM's own table from where its client is
** (in a nested execution block: the nest's break point), as an INT there would. */
int vmmi_cl_exec_int(vmm_state *v, uint32_t vm, uint32_t vec) {
    assert(vm < v->nvms && vmmi_cl_has(v, vm) && !is_pm(v, vm));
    int rc = vmmi_simc_int(v, vm, vec, cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu,
                           VMM_CLOP_EXECINT);
    vmmi_charge(v, VMM_CYC_V86_IRET);
    return rc;
}

/* CL-4: a simulated interrupt enters the VM's handler from its vector table (IRQ 0-7:
** 08h-0Fh, 8-15: 70h-77h) with a frame that returns to the VMM's V86 breakpoint, so
** that its IRET is seen (VID_IRET_Proc, the end of Time_Critical_Boost); a halted VM
** wakes (CL-5). A protected-mode client has no interrupt vectors yet: it is only woken,
** and its handler is the irq_handler_cycles model. When the vector is hooked, its
** hooks run first, before the VM's code runs on (HK-1, hook.c), and enter the handler
** or end the interrupt. Returns VMM_OK when the handler runs (or its hooks will), 1 for
** that model, a negative code when the run failed. */
int vmmi_cl_enter_handler(vmm_state *v, uint32_t vm, uint32_t irq) {
    assert(vm < v->nvms && irq < VMM_IRQS && vmmi_cl_has(v, vm));
    uint32_t vec = irq < 8 ? 0x08 + irq : 0x70 + irq - 8;
    if (v->vm[vm].halted) {
        v->vm[vm].halted = 0;
        vmmi_cl_rec(v, VMM_CLOP_WAKE, vm, vec, 0);
        vmmi_sched_wake(v, vm);
    }
    if (is_pm(v, vm)) return 1;
    v->vm[vm].irq_ret = cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2) << 16 | (cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu);
    if (vmmi_hk_hooked(v, vec)) { vmmi_hk_hw_due(v, vm, vec); return VMM_OK; }   /* HK-1: hooks first */
    int rc = vmmi_simc_int(v, vm, vec, VMM_V86_BIOS_SEG, VMM_V86_IRQ_BP & 0xFFFFu, VMM_CLOP_SIMINT);
    vmmi_charge(v, VMM_CYC_V86_IRET);
    return rc;
}

/* The handler's IRET reached the breakpoint: the client goes on where the interrupt
** came in, and VPICD's EOI / IRET steps follow (INT-1). */
static int cl_irq_return(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    if (v->vm[vm].vhandler < 0 || v->pic.vid[vm].phase != VMM_VID_HANDLER) return 0;
    cl_wr(v, vm, vmmi_cseg_off[CPU_CS], v->vm[vm].irq_ret >> 16, 2);
    cl_wr(v, vm, VMM_CR_EIP, v->vm[vm].irq_ret & 0xFFFFu, 4);
    vmmi_cl_rec(v, VMM_CLOP_IRET, vm, 0, 0);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);
    vmmi_irq_iret(v, vm);
    return 1;
}

/* CL-2: INT vec with AX is one of the VMM's own INT 2Fh functions. */
int vmmi_cl_takes(uint32_t vec, uint32_t ax) {
    return vec == 0x2F && (ax == 0x1680 || ax == 0x1681 || ax == 0x1682 || ax == 0x1689);
}

/* CL-2: INT 2Fh AX=1680h, 1681h, 1682h, 1689h enter the VMM as their stimuli do. */
int vmmi_cl_int2f(vmm_state *v, uint32_t vm, uint32_t ax) {
    assert(vm < v->nvms && vmmi_cl_takes(0x2F, ax));
    vmmi_cl_rec(v, VMM_CLOP_VMM, vm, 0x2F, 0);
    vmmi_charge(v, VMM_CYC_V86_ENTRY + VMM_CYC_V86_IRET);
    return vmmi_run_int2f(v, vm, 0x002F0000u | ax, VMM_PATH_CLIENT, cl_rd(v, vm, vmmi_creg_off[CPU_EAX], 4));
}

/* INT n from client code: a hooked vector goes to its hook procedures first (HK-1; the
** VMM's own INT 2Fh functions are the chain's bottom, HK-4), else CL-2 or CL-4. */
static int cl_int(vmm_state *v, uint32_t vm, uint32_t vec) {
    uint32_t ax = cl_rd(v, vm, vmmi_creg_off[CPU_EAX], 4) & 0xFFFFu;
    if (!is_pm(v, vm) && vmmi_hk_hooked(v, vec)) return vmmi_hk_client_int(v, vm, vec);
    if (vmmi_cl_takes(vec, ax)) return vmmi_cl_int2f(v, vm, ax);
    if (is_pm(v, vm))   /* no protected-mode interrupt vectors yet (docs/vmm.md) */
        return vmmi_fail(v, VMM_EGUEST, "INT %02Xh (AX=%04Xh) from the protected-mode client code of VM %s at "
                         "%04X:%04X: only INT 2Fh AX=1680h, 1681h, 1682h, 1689h are modelled there", vec, ax,
                         v->s->vms[vm].name, cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu);
    return cl_reflect(v, vm, vec);
}

/* CL-5: HLT (a #GP at CPL 3) makes the VM idle until an interrupt is simulated into it. */
static int cl_hlt(vmm_state *v, uint32_t vm) {
    cl_wr(v, vm, VMM_CR_EIP, (cl_rd(v, vm, VMM_CR_EIP, 4) + 1) & 0xFFFFu, 4);
    vmmi_cl_rec(v, VMM_CLOP_HLT, vm, 0, 0);
    v->vm[vm].halted = 1;
    vmmi_sched_idle(v, vm);
    vmmi_charge(v, VMM_CYC_V86_ENTRY);
    return VMM_OK;
}

static int cl_fault(vmm_state *v, uint32_t vm, const cpu_stop_info *info, int stop) {
    uint32_t cs = cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), ip = cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    char where[VMM_NAME_MAX * 3 + 16];
    if (!vmmi_cl_where(v, vm, cs, ip, where, sizeof where)) snprintf(where, sizeof where, "outside its program");
    if (stop == CPU_STOP_EXCEPTION)
        return vmmi_fail(v, VMM_EGUEST, "exception %u (error code 0x%x) in the client code of VM %s at "
                         "%04X:%04X (%s)", info->vector, info->error_code, v->s->vms[vm].name, cs, ip, where);
    return vmmi_fail(v, VMM_EGUEST, "client code of VM %s stopped (%s) at %04X:%04X (%s)%s%s",
                     v->s->vms[vm].name, cpu_stop_name(stop), cs, ip, where, info->message ? ": " : "",
                     info->message ? info->message : "");
}

static int cl_exception(vmm_state *v, uint32_t vm, const cpu_stop_info *info) {
    uint32_t cs = cl_rd(v, vm, vmmi_cseg_off[CPU_CS], 2), ip = cl_rd(v, vm, VMM_CR_EIP, 4) & 0xFFFFu;
    uint32_t lin = code_lin(v, vm, cs, ip);
    uint8_t op = 0;
    int rc;
    if (info->vector == CPU_EXC_GP && lin < VMM_V86_SIZE && v86_rw(v, vm, lin, &op, 1, 0) == VMM_OK && op == 0xF4)
        return cl_hlt(v, vm);
    if (info->vector == CPU_EXC_GP && (rc = vmmi_trap_gp(v, vm)) != 1) return rc;   /* IOT-2 */
    if (info->vector == CPU_EXC_UD && !is_pm(v, vm) && lin == VMM_V86_IRQ_BP && cl_irq_return(v, vm))
        return VMM_OK;
    rc = info->vector == CPU_EXC_UD && !is_pm(v, vm) ? vmmi_nx_break(v, vm, cs, ip) : 1;
    if (rc != 1) return rc;   /* NX-1, VCB-1, VCB-2: a break point of nest.c's */
    return cl_fault(v, vm, info, CPU_STOP_EXCEPTION);
}

/* ---- services on the virtual IF (CL-3) ------------------------------------------ */

/* Enable_VM_Ints, Disable_VM_Ints (the current VM's Client_EFlags.IF, as its STI / CLI
** would) and Call_When_VM_Ints_Enabled: a priority VM event of the current VM with boost
** 0 and PEF_Wait_For_STI (EV-2), which runs at once when its IF is already set, else at
** the return to it once it is. Returns 1 for any other service. */
int vmmi_cl_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    uint32_t cur = v->run.cur, fl;
    assert(cur < v->nvms && c);
    if (num == 0x1A || num == 0x1B) {
        fl = cl_rd(v, cur, VMM_CR_EFL, 4);
        fl = num == 0x1A ? fl | CPU_IF : fl & ~CPU_IF;
        cl_wr(v, cur, VMM_CR_EFL, fl, 4);
        if (vmmi_cl_has(v, cur) && ((fl & CPU_IF) != 0) != v->vm[cur].if_seen) vmmi_cl_rec(v, VMM_CLOP_IF, cur, 0, 0);
        return VMM_OK;
    }
    if (num != 0x19) return 1;
    vmm_sregs keep = c->r;
    c->r.eax = 0;
    c->r.ebx = v->vm[cur].handle;
    c->r.ecx = PEF_WAIT_FOR_STI;
    c->r.edi = 0;
    int rc = vmmi_ev_svc(v, c, 0x14);   /* Call_Priority_VM_Event */
    c->r = keep;                        /* the service returns nothing */
    return rc;
}

/* ---- probes: client state at a label ------------------------------------------------ */

int vmm_probe_result_get(const vmm_state *v, uint32_t vm, uint32_t k, vmm_probe_result *out) {
    assert(v && out);
    if (vm >= v->nvms || k >= v->s->vms[vm].client.nprobes || k >= VMM_PROBES_MAX) return VMM_EINVAL;
    *out = v->vm[vm].probe[k];
    return VMM_OK;
}

/* The value probe p names, from the registers the client has now (its Client_Reg_Struc
** is stale while it runs) or from its memory. */
static uint32_t probe_value(vmm_state *v, uint32_t vm, const cpu_regs *r, const vmm_probe *p) {
    assert(p->size >= 1 && p->size <= 4);
    uint32_t val = 0, mask = p->size == 4 ? 0xFFFFFFFFu : (1u << (8 * p->size)) - 1;
    if (p->what == VMM_PROBE_MEM) {
        uint8_t b[4] = { 0 };
        if (v86_rw(v, vm, p->addr, b, p->size, 0)) return 0;
        return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    }
    for (int k = 0; k < 8; k++) if (vmmi_creg_off[k] == p->what) val = r->r[k];
    for (int s = 0; s < 6; s++) if (vmmi_cseg_off[s] == p->what) val = r->seg[s].sel;
    if (p->what == VMM_CR_EIP) val = r->eip;
    if (p->what == VMM_CR_EFL) val = r->eflags;
    return val & mask;
}

/* The client is about to execute the instruction at CS:IP: each probe of that address
** counts a pass and compares its value on the passes it checks (the first difference
** is kept). */
static void probe_pass(vmm_state *v, uint32_t vm) {
    const vmm_client *p = &v->s->vms[vm].client;
    cpu_regs r;
    cpu_get_regs(v->cpu, &r);
    uint32_t lin = r.seg[CPU_CS].base + (r.eip & 0xFFFFu) - (is_pm(v, vm) ? v->vm[vm].v86 : 0);
    assert(p->nprobes <= VMM_PROBES_MAX);
    for (uint32_t k = 0; k < p->nprobes; k++) {
        const vmm_probe *pr = &p->probes[k];
        vmm_probe_result *res = &v->vm[vm].probe[k];
        if (pr->lin != lin) continue;
        res->passes++;
        if ((pr->nth && res->passes != pr->nth) || res->bad_pass) continue;
        uint32_t val = probe_value(v, vm, &r, pr);
        res->compared++;
        if (val == pr->value) continue;
        res->bad_pass = res->passes;
        res->found = val;
        res->bad_cycle = cpu_cycles(v->cpu);
    }
}

/* cpu_run for budget cycles; with probes, the CPU stops at each probed address, the
** pass is checked, and the run goes on. The CPU tests the budget before a breakpoint
** and resumes past it, so the instructions and cycles are those of one run. The
** VMM's callback-return breakpoint (vmm.c) stays set throughout: its linear address
** lies in every V86 space too (0200:0000), where it is passed over the same way. */
static int cl_exec(vmm_state *v, uint32_t vm, uint64_t budget, cpu_stop_info *info) {
    const vmm_client *p = &v->s->vms[vm].client;
    uint32_t base = is_pm(v, vm) ? v->vm[vm].v86 : 0;
    for (uint32_t k = 0; k < p->nprobes && k < VMM_PROBES_MAX; k++)
        if (NEVER(cpu_breakpoint_add(v->cpu, base + p->probes[k].lin) != CPU_OK)) break;
    if (p->nprobes) probe_pass(v, vm);   /* a run that starts at a probed address passes it too */
    uint64_t start = cpu_cycles(v->cpu);
    int stop = cpu_run(v->cpu, budget, info);
    /* Bounded by the budget: each resumed run executes at least one instruction. */
    while (stop == CPU_STOP_BREAKPOINT) {
        uint64_t used = cpu_cycles(v->cpu) - start;
        assert(used < budget);
        if (p->nprobes) probe_pass(v, vm);
        stop = cpu_run(v->cpu, budget - used, info);
    }
    if (!p->nprobes) return stop;
    cpu_breakpoint_clear(v->cpu);   /* the probes' only: the VMM's own comes back */
    if (NEVER(cpu_breakpoint_add(v->cpu, VMM_STUB_CB_RET) != CPU_OK)) return stop;
    return stop;
}

/* ---- running ---------------------------------------------------------------------- */

/* Something waits for the VM's IF (CL-3): a raised IRQ, a requested interrupt, a
** priority event with PEF_Wait_For_STI. */
static int if_waited(const vmm_state *v, uint32_t vm) {
    for (uint32_t i = 0; i < VMM_IRQS; i++)
        if (v->pic.irq[i].irr && !v->pic.irq[i].isr) return 1;
    if (v->vm[vm].vreq) return 1;
    for (uint32_t k = 0; k < v->ev.n; k++)
        if (v->ev.list[k].type == VMM_EVT_PRIO && v->ev.list[k].vm == vm &&
            (v->ev.list[k].flags & PEF_WAIT_FOR_STI))
            return 1;
    return 0;
}

static int cl_run(vmm_state *v, uint32_t vm) {
    cpu_config *cf = cpu_get_config(v->cpu);
    cpu_config keep = *cf;
    cpu_stop_info info;
    cpu_regs r;
    eng_event ev;
    uint64_t now = vmmi_cycles(v), until = v->m.max_cycles;
    if (eng_queue_peek(v->q, &ev) == ENG_OK && ev.cycle < until) until = ev.cycle;
    uint64_t budget = until > now ? until - now : 1;
    assert(vm == v->run.cur && vmmi_cl_has(v, vm));
    vmmi_ctx_unload(v);
    if (cl_load(v, vm, &r)) return v->run.err;
    if (!(r.eflags & CPU_IF) && if_waited(v, vm)) budget = CL_STEP_MAX;   /* to its STI/POPF/IRET */
    cpu_set_regs(v->cpu, &r);
    memset(cf->int_intercept, 0xFF, sizeof cf->int_intercept);   /* CL-4: every INT n */
    cf->io_bitmap_cpl = is_pm(v, vm);   /* IOT-3: the bitmap decides at IOPL 3 too */
    vmmi_trap_iopm(v, vm);
    cf->stop_on_sti = 0;
    v->run.entered = 0;
    int stop = cl_exec(v, vm, budget, &info);
    vmmi_io_flush(v);
    cpu_get_regs(v->cpu, &r);
    *cf = keep;
    cl_save(v, vm, &r);
    cpu_set_regs(v->cpu, &v->regs0);   /* the VMM's flat ring 0 (no paging) again */
    if (((r.eflags & CPU_IF) != 0) != v->vm[vm].if_seen) vmmi_cl_rec(v, VMM_CLOP_IF, vm, 0, 0);   /* CL-3 */
    v->run.progress_cycle = vmmi_cycles(v);
    switch (stop) {
    case CPU_STOP_BUDGET:
    case CPU_STOP_REQUEST:
        return VMM_OK;
    case CPU_STOP_INT:
        return cl_int(v, vm, info.vector);
    case CPU_STOP_EXCEPTION:
        return cl_exception(v, vm, &info);
    default:
        return cl_fault(v, vm, &info, stop);
    }
}

/* The VM can run its client code now. A protected-mode client's simulated interrupt is
** irq_handler_cycles of handler time, during which its own code does not run. */
static int cl_can_run(vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    /* NX-1: a VxD's nested execution runs client code of a VM halted at HLT too */
    return vmmi_cl_has(v, vm) && (!v->vm[vm].halted || v->nx.vm[vm].npark) && vmmi_vm_ready(v, vm) &&
           vmmi_ctx_live(v, vm) == 0 &&
           !(is_pm(v, vm) && v->vm[vm].vhandler >= 0);
}

/* Called when no VxD code can run and the VMM has nothing to do: the current VM's
** client code runs up to the next event; when it has none to run (no program,
** halted), a ready VM of the top priority that has is switched to. 1: done something. */
int vmmi_cl_work(vmm_state *v) {
    uint32_t cur = v->run.cur, best = vmmi_sched_max_pri(v);
    assert(cur < v->nvms);
    if (!v->run.booted || v->ctx[v->nvms].depth > 0 || !v->tss) return 0;
    if (cl_can_run(v, cur)) {
        if (!vmmi_hk_work(v, cur)) cl_run(v, cur);   /* HK-4: an INT 2Fh the hooks passed on first */
        return 1;
    }
    for (uint32_t k = 1; k < v->nvms; k++) {
        uint32_t i = (cur + k) % v->nvms;
        if (cl_can_run(v, i) && v->vm[i].pri == best) {
            vmmi_sched_switch(v, i, VMM_SW_SLICE);
            return 1;
        }
    }
    return 0;
}
