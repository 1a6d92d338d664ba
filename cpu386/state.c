/*
** state.c — lifecycle (new, free, reset, flat32 entry), register access for the
** host, breakpoints, and the error and stop names.
*/
#include <stdlib.h>

#include "cpu_int.h"

const char *cpu_strerror(int err)
{
    switch (err) {
    case CPU_OK:     return "success";
    case CPU_ENOMEM: return "out of memory";
    case CPU_EINVAL: return "invalid argument or state";
    case CPU_ERANGE: return "address range outside the bus or not mapped";
    default:         return "unknown cpu386 error";
    }
}

const char *cpu_stop_name(int stop)
{
    static const char *const names[] = {
        "budget", "hlt", "vmmcall", "int", "exception", "breakpoint", "request",
        "sti", "triple-fault", "unsupported"
    };
    if (stop < 0 || stop >= (int)(sizeof names / sizeof names[0])) return "unknown";
    return names[stop];
}

static void icache_clear(cpu_state *c)
{
    uint32_t k;
    for (k = 0; k < CPU_ICACHE_SIZE; k++) {
        c->icache[k].fn = NULL;
        c->icache[k].tag = 0xFFFFFFFFu;   /* never equal to a code tag */
    }
}

cpu_state *cpu_new(const cpu_bus *bus)
{
    cpu_state *c;
    uint32_t words;
    if (!bus || (bus->ram_size & 0xFFFu) || (bus->ram_size && !bus->ram) ||
        (bus->rom_size && !bus->rom))
        return NULL;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->bus = *bus;
    c->npages = bus->ram_size >> 12;
    words = (c->npages + 63u) / 64u + 1u;
    c->icache = calloc(CPU_ICACHE_SIZE, sizeof *c->icache);
    c->pgen = calloc(c->npages + 1u, sizeof *c->pgen);
    c->codemap = calloc(words, sizeof *c->codemap);
    c->dirty = calloc(words, sizeof *c->dirty);
    c->codelines = calloc(c->npages + 1u, sizeof *c->codelines);
    if (!c->icache || !c->pgen || !c->codemap || !c->dirty || !c->codelines) {
        cpu_free(c);
        return NULL;
    }
    for (words = 0; words < c->npages; words++) c->pgen[words] = 1;
    c->a20_mask = 0xFFFFFFFFu;   /* the A20 line is the bus's: a CPU reset keeps it */
    icache_clear(c);
    cpu_reset(c);
    return c;
}

void cpu_free(cpu_state *c)
{
    if (!c) return;
    free(c->icache);
    free(c->pgen);
    free(c->codemap);
    free(c->dirty);
    free(c->codelines);
    free(c);
}

static void seg_real(cpu_seg *s, uint16_t sel, uint32_t base, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xFFFFu;
    s->attr = attr;
}

void cpu_reset(cpu_state *c)
{
    unsigned s;
    assert(c);
    memset(c->r, 0, sizeof c->r);
    c->r[CPU_EDX] = 0x0308u;            /* 386DX component and stepping id */
    c->eip = 0xFFF0u;
    memset(&c->fl, 0, sizeof c->fl);
    c->fl.eflags = 2u;
    for (s = 0; s < 6; s++) seg_real(&c->seg[s], 0, 0, 0x93u);
    seg_real(&c->seg[CPU_CS], 0xF000u, 0xFFFF0000u, 0x9Bu);
    seg_real(&c->ldtr, 0, 0, 0x82u);
    seg_real(&c->tr, 0, 0, 0x8Bu);
    c->gdtr.base = 0; c->gdtr.limit = 0xFFFFu;
    c->idtr.base = 0; c->idtr.limit = 0x3FFu;
    c->cr0 = 0x00000004u;               /* EM: no FPU, ESC raises #NM */
    c->cr2 = c->cr3 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xFFFF0FF0u;
    c->dr[7] = 0x00000400u;
    c->tr6 = c->tr7 = 0;
    c->mpend = 0;
    c->shadow_icount = 0;
    c->stop_req = 0;
    c->rep_cut = 0;
    c->pending_stop = 0;
    c->delivering = -1;
    c->dbg_hits = 0;
    c->dbg = c->step_fn ? CPU_DBG_HOST : 0;   /* the host's hook stays */
    cpu_tlb_flush(c);
    cpu_mode_update(c);
    cpu_dbg_dr_written(c);
}

int cpu_enter_flat32(cpu_state *c, uint32_t eip, uint32_t esp, uint32_t gdt_phys)
{
    uint32_t gdt[14] = { 0 };
    int rc;
    unsigned s;
    assert(c);
    gdt[10] = 0x0000FFFFu; gdt[11] = 0x00CF9B00u;   /* 0x28: flat code, ring 0 */
    gdt[12] = 0x0000FFFFu; gdt[13] = 0x00CF9300u;   /* 0x30: flat data, ring 0 */
    rc = cpu_phys_write(c, gdt_phys, gdt, sizeof gdt);
    if (rc) return rc;
    c->gdtr.base = gdt_phys;
    c->gdtr.limit = sizeof gdt - 1u;
    c->cr0 = (c->cr0 | 1u) & ~0x80000000u;
    cpu_flags_put(&c->fl, 2u);
    for (s = 0; s < 6; s++) cpu_seg_from_desc(&c->seg[s], 0x30, gdt[12], gdt[13] | 0x100u);
    cpu_seg_from_desc(&c->seg[CPU_CS], 0x28, gdt[10], gdt[11] | 0x100u);
    c->eip = eip;
    c->r[CPU_ESP] = esp;
    cpu_tlb_flush(c);
    cpu_mode_update(c);
    cpu_dbg_update(c);
    return CPU_OK;
}

cpu_config *cpu_get_config(cpu_state *c) { return &c->cfg; }

void cpu_get_regs(cpu_state *c, cpu_regs *out)
{
    assert(c && out);
    memcpy(out->r, c->r, sizeof out->r);
    out->eip = c->eip;
    out->eflags = cpu_read_flags(c);
    memcpy(out->seg, c->seg, sizeof out->seg);
    out->ldtr = c->ldtr; out->tr = c->tr;
    out->gdtr = c->gdtr; out->idtr = c->idtr;
    out->cr0 = c->cr0; out->cr2 = c->cr2; out->cr3 = c->cr3;
    memcpy(out->dr, c->dr, sizeof out->dr);
    out->tr6 = c->tr6; out->tr7 = c->tr7;
}

void cpu_set_regs(cpu_state *c, const cpu_regs *in)
{
    assert(c && in);
    /* A VMM switches contexts thousands of times a run, mostly within one address
    ** space: cached translations stay valid while CR0 and CR3 do (entries are tagged
    ** with the U/S of the access), and the debug state while DR0-DR7 do. */
    int space_new = c->cr0 != in->cr0 || c->cr3 != in->cr3;
    int dr_new = memcmp(c->dr, in->dr, sizeof c->dr) != 0;
    memcpy(c->r, in->r, sizeof in->r);
    c->r[CPU_NOREG] = 0;
    c->eip = in->eip;
    cpu_flags_put(&c->fl, (in->eflags | 2u) & 0x3FFFFu & ~0x8028u);
    memcpy(c->seg, in->seg, sizeof c->seg);
    c->ldtr = in->ldtr; c->tr = in->tr;
    c->gdtr = in->gdtr; c->idtr = in->idtr;
    c->cr0 = in->cr0; c->cr2 = in->cr2; c->cr3 = in->cr3;
    memcpy(c->dr, in->dr, sizeof c->dr);
    c->tr6 = in->tr6; c->tr7 = in->tr7;
    c->mpend = 0;
    if (space_new) cpu_tlb_flush(c);
    c->code_lin_page = CPU_TLB_INVALID;   /* CS, its limit and code32 may be new */
    cpu_mode_update(c);
    if (dr_new) cpu_dbg_dr_written(c);   /* flushes too: pages now watched */
    c->rf_icount = c->icount - 1u;
    /* A whole new context (a VMM's context switch): the traps the old one had pending
    ** are dropped; the next instruction is single-stepped if this one's TF is set. */
    c->dbg &= (uint8_t)~CPU_DBG_PEND;
    cpu_dbg_host_handled(c);
}

uint32_t cpu_get_reg(cpu_state *c, int reg)
{
    assert(reg >= 0 && reg < 8);
    return c->r[reg & 7];
}

void cpu_set_reg(cpu_state *c, int reg, uint32_t v)
{
    assert(reg >= 0 && reg < 8);
    c->r[reg & 7] = v;
}

uint32_t cpu_get_eip(cpu_state *c) { return c->eip; }
void cpu_set_eip(cpu_state *c, uint32_t eip) { c->eip = eip; c->mpend = 0; }
uint32_t cpu_get_eflags(cpu_state *c) { return cpu_read_flags(c); }

void cpu_set_eflags(cpu_state *c, uint32_t eflags)
{
    uint32_t old = c->fl.eflags;
    cpu_flags_put(&c->fl, (eflags | 2u) & 0x3FFFFu & ~0x8028u);
    if ((old ^ c->fl.eflags) & CPU_VM) cpu_mode_update(c);
    if ((old ^ c->fl.eflags) & (CPU_TF | CPU_RF)) {
        c->rf_icount = c->icount - 1u;   /* a host-set RF covers the next instruction */
        /* TF from the host steps the next instruction, as after an IRET (debug.c). */
        if (c->fl.eflags & CPU_TF) c->dbg |= CPU_DBG_ARMED;
        else c->dbg &= (uint8_t)~CPU_DBG_ARMED;
        cpu_dbg_update(c);
    }
}

uint64_t cpu_cycles(const cpu_state *c) { return c->cycles; }
void cpu_set_cycles(cpu_state *c, uint64_t cycles) { c->cycles = cycles; }
uint64_t cpu_instructions(const cpu_state *c) { return c->icount; }

/* Marks the decoded entry at bp's current physical address so that it leaves the
** fast path; entries decoded later are marked by the decoder's caller. */
void cpu_breakpoint_mark(cpu_state *c, uint32_t lin)
{
    uint32_t phys;
    cpu_insn *e;
    if (cpu_translate_host(c, lin, &phys)) return;
    e = &c->icache[phys & (CPU_ICACHE_SIZE - 1)];
    if (e->fn && e->phys == phys) e->tag |= 0x80000000u;
}

int cpu_breakpoint_add(cpu_state *c, uint32_t linear_eip)
{
    assert(c);
    if (c->nbp >= CPU_MAX_BREAKPOINTS) return CPU_EINVAL;
    c->bp[c->nbp++] = linear_eip;
    cpu_breakpoint_mark(c, linear_eip);
    c->code_lin_page = CPU_TLB_INVALID;
    return CPU_OK;
}

void cpu_breakpoint_clear(cpu_state *c)
{
    uint32_t k;
    assert(c);
    c->nbp = 0;
    for (k = 0; k < CPU_ICACHE_SIZE; k++)
        if (c->icache[k].fn) c->icache[k].tag &= 0x7FFFFFFFu;
    cpu_dbg_remark(c);   /* DR0–DR3 instruction breakpoints stay marked */
}

void cpu_breakpoints_remark(cpu_state *c)
{
    unsigned k;
    for (k = 0; k < c->nbp; k++) cpu_breakpoint_mark(c, c->bp[k]);
    cpu_dbg_remark(c);
}
