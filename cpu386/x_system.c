/*
** x_system.c — system instructions: groups 6 and 7 (LDT/TR/GDT/IDT/MSW), LAR, LSL,
** VERR/VERW, ARPL, CLTS, MOV to and from CRn/DRn/TRn, ESC (#NM: no FPU), WAIT, #UD.
*/
#include "x.h"

void cpu_x_ud(cpu_state *c, const cpu_insn *i)
{
    (void)i;
    cpu_fault0(c, CPU_EXC_UD);
}

static void need_pm(cpu_state *c)   /* #UD in real and V86 mode */
{
    if (!c->pe || c->vm) cpu_fault0(c, CPU_EXC_UD);
}

static void need_cpl0(cpu_state *c)
{
    if (c->pe && c->cpl != 0) cpu_fault(c, CPU_EXC_GP, 0);
}

static void set_zf(cpu_state *c, int z) { cpu_flags_put_mask(&c->fl, z ? CPU_ZF : 0, CPU_ZF); }

/* Store a selector-sized value: registers take opsz (zero-extended), memory 16 bits. */
static void store16(cpu_state *c, const cpu_insn *i, uint32_t v)
{
    if (i->mod == 3) cpu_setr(c, i->opsz, i->rm, v);
    else cpu_wr(c, i->seg, cpu_ea(c, i), 2, v);
}

/* Reads a descriptor for LAR/LSL/VERR/VERW: 0 when out of the table (no fault). */
static int peek_desc(cpu_state *c, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    const cpu_dtr *t = NULL;
    uint32_t base, limit;
    if ((sel & ~3u) == 0) return 0;
    if (sel & 4u) {
        if (!(c->ldtr.attr & 0x80u)) return 0;
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        t = &c->gdtr;
        base = t->base;
        limit = t->limit;
    }
    if ((sel & ~7u) + 7u > limit) return 0;
    *lo = cpu_lrd(c, base + (sel & ~7u), 4, 0);
    *hi = cpu_lrd(c, base + (sel & ~7u) + 4, 4, 0);
    return 1;
}

/* Visible at CPL/RPL: conforming code always, else DPL >= max(CPL, RPL). */
static int visible(const cpu_state *c, uint16_t sel, uint32_t hi)
{
    unsigned a = (hi >> 8) & 0xFFu, dpl = (a >> 5) & 3u;
    if ((a & 0x18u) == 0x18u && (a & 0x04u)) return 1;
    return dpl >= c->cpl && dpl >= (sel & 3u);
}

static void lldt(cpu_state *c, uint16_t sel)
{
    uint32_t lo, hi;
    need_cpl0(c);
    if ((sel & ~3u) == 0) {
        c->ldtr.sel = sel;
        c->ldtr.attr = 0;
        c->ldtr.base = 0;
        c->ldtr.limit = 0;
        return;
    }
    if (sel & 4u) cpu_fault(c, CPU_EXC_GP, sel & 0xFFFCu);
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    if (((hi >> 8) & 0x1Fu) != 0x02) cpu_fault(c, CPU_EXC_GP, sel & 0xFFFCu);
    if (!(hi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, sel & 0xFFFCu);
    cpu_seg_from_desc(&c->ldtr, sel, lo, hi);
}

static void ltr(cpu_state *c, uint16_t sel)
{
    uint32_t lo, hi, t;
    need_cpl0(c);
    if ((sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, 0);
    if (sel & 4u) cpu_fault(c, CPU_EXC_GP, sel & 0xFFFCu);
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    t = (hi >> 8) & 0x1Fu;
    if (t != 0x01 && t != 0x09) cpu_fault(c, CPU_EXC_GP, sel & 0xFFFCu);
    if (!(hi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, sel & 0xFFFCu);
    hi |= 0x200u;   /* busy */
    cpu_lwr(c, c->gdtr.base + (sel & ~7u) + 5, 1, (hi >> 8) & 0xFFu, 0);
    cpu_seg_from_desc(&c->tr, sel, lo, hi);
}

static void verrw(cpu_state *c, uint16_t sel, int write)
{
    uint32_t lo, hi;
    unsigned a;
    int ok = 0;
    if (peek_desc(c, sel, &lo, &hi)) {
        a = (hi >> 8) & 0xFFu;
        if ((a & 0x10u) && visible(c, sel, hi))
            ok = write ? !(a & 0x08u) && (a & 0x02u) : !(a & 0x08u) || (a & 0x02u);
    }
    set_zf(c, ok);
}

/* 0F 00: SLDT, STR, LLDT, LTR, VERR, VERW (all #UD outside protected mode). */
void x_grp6(cpu_state *c, const cpu_insn *i)
{
    need_pm(c);
    switch (i->reg) {
    case 0: store16(c, i, c->ldtr.sel); break;
    case 1: store16(c, i, c->tr.sel); break;
    case 2: lldt(c, (uint16_t)cpu_rm_rd(c, i, 2)); break;
    case 3: ltr(c, (uint16_t)cpu_rm_rd(c, i, 2)); break;
    case 4: verrw(c, (uint16_t)cpu_rm_rd(c, i, 2), 0); break;
    case 5: verrw(c, (uint16_t)cpu_rm_rd(c, i, 2), 1); break;
    default: cpu_fault0(c, CPU_EXC_UD);
    }
    cpu_next(c, i);
}

/* 0F 01: SGDT, SIDT, LGDT, LIDT, SMSW, LMSW (/5 and INVLPG /7 are #UD on a 386). */
void x_grp7(cpu_state *c, const cpu_insn *i)
{
    uint32_t ea = cpu_ea(c, i), ea2 = ea + 2u, base;
    uint16_t limit;
    cpu_dtr *t = (i->reg & 1u) ? &c->idtr : &c->gdtr;
    if (i->adsz == 2) ea2 &= 0xFFFFu;
    switch (i->reg) {
    case 0: case 1:
        if (i->mod == 3) cpu_fault0(c, CPU_EXC_UD);
        cpu_wr(c, i->seg, ea, 2, t->limit);
        cpu_wr(c, i->seg, ea2, 4, i->opsz == 4 ? t->base : (t->base & 0x00FFFFFFu));
        break;
    case 2: case 3:
        if (i->mod == 3) cpu_fault0(c, CPU_EXC_UD);
        if (c->vm) cpu_fault(c, CPU_EXC_GP, 0);
        need_cpl0(c);
        limit = (uint16_t)cpu_rd(c, i->seg, ea, 2);
        base = cpu_rd(c, i->seg, ea2, 4);
        t->limit = limit;
        t->base = i->opsz == 4 ? base : (base & 0x00FFFFFFu);
        break;
    case 4:
        store16(c, i, c->cr0 & (i->mod == 3 && i->opsz == 4 ? 0xFFFFFFFFu : 0xFFFFu));
        break;
    case 6: {
        uint32_t v = cpu_rm_rd(c, i, 2), old = c->cr0;
        if (c->vm) cpu_fault(c, CPU_EXC_GP, 0);
        need_cpl0(c);
        c->cr0 = (c->cr0 & ~0xEu) | (v & 0xFu) | (old & 1u);   /* PE cannot be cleared */
        if ((old ^ c->cr0) & 1u) cpu_mode_update(c);
        break;
    }
    default:
        cpu_fault0(c, CPU_EXC_UD);
    }
    cpu_next(c, i);
}

/* LAR and LSL accept a selector whose descriptor is visible at CPL/RPL and is a
** segment or one of the system types in `types` (bit t set: type t accepted). */
#define LAR_TYPES 0x1A3Eu   /* 1 2 3 4 5 9 B C: TSSs, LDT, call and task gates */
#define LSL_TYPES 0x0A0Eu   /* 1 2 3 9 B: TSSs and LDT (gates have no limit) */

static int desc_readable(cpu_state *c, uint16_t sel, uint32_t types, uint32_t *lo, uint32_t *hi)
{
    unsigned a, t;
    if (!peek_desc(c, sel, lo, hi)) return 0;
    a = (*hi >> 8) & 0xFFu;
    t = a & 0x1Fu;
    if (!(a & 0x10u) && !((types >> t) & 1u)) return 0;
    return visible(c, sel, *hi);
}

/* 0F 02: LAR r, r/m16. */
void x_lar(cpu_state *c, const cpu_insn *i)
{
    uint32_t lo, hi;
    int ok;
    need_pm(c);
    ok = desc_readable(c, (uint16_t)cpu_rm_rd(c, i, 2), LAR_TYPES, &lo, &hi);
    if (ok) cpu_setr(c, i->opsz, i->reg, hi & (i->opsz == 4 ? 0x00F0FF00u : 0xFF00u));
    set_zf(c, ok);
    cpu_next(c, i);
}

/* 0F 03: LSL r, r/m16 (20/21 clocks byte granular, 25/26 page granular). */
void x_lsl(cpu_state *c, const cpu_insn *i)
{
    uint32_t lo, hi;
    int ok;
    need_pm(c);
    ok = desc_readable(c, (uint16_t)cpu_rm_rd(c, i, 2), LSL_TYPES, &lo, &hi);
    if (ok) {
        uint32_t l = (lo & 0xFFFFu) | (hi & 0xF0000u);
        if (hi & 0x800000u) { l = (l << 12) | 0xFFFu; c->cycles += 5u; }
        cpu_setr(c, i->opsz, i->reg, l);
    }
    set_zf(c, ok);
    cpu_next(c, i);
}

void x_clts(cpu_state *c, const cpu_insn *i)
{
    if (c->vm) cpu_fault(c, CPU_EXC_GP, 0);
    need_cpl0(c);
    c->cr0 &= ~8u;
    cpu_next(c, i);
}

/* 63: ARPL r/m16, r16 (#UD outside protected mode). */
void x_arpl(cpu_state *c, const cpu_insn *i)
{
    uint32_t d, s;
    need_pm(c);
    d = cpu_rm_rd(c, i, 2);
    s = cpu_getr(c, 2, i->reg);
    if ((d & 3u) < (s & 3u)) {
        cpu_rm_wr(c, i, 2, (d & ~3u) | (s & 3u));
        set_zf(c, 1);
    } else {
        set_zf(c, 0);
    }
    cpu_next(c, i);
}

static void priv_check(cpu_state *c)
{
    if (c->vm) cpu_fault(c, CPU_EXC_GP, 0);
    need_cpl0(c);
}

/* 0F 20 (read) / 0F 22 (write): MOV r32, CRn and MOV CRn, r32. The r/m field is
** always a register. Clocks: from CRn 6; to CR0 10, CR2 4, CR3 5. */
void x_mov_cr(cpu_state *c, const cpu_insn *i)
{
    unsigned cr = i->reg;
    priv_check(c);
    if (cr == 1 || cr > 3) cpu_fault0(c, CPU_EXC_UD);
    if (i->opc == 0x20) {
        c->r[i->rm] = cr == 0 ? c->cr0 : cr == 2 ? c->cr2 : c->cr3;
    } else {
        uint32_t v = c->r[i->rm], old = c->cr0;
        if (cr == 0) {
            if ((v & 0x80000000u) && !(v & 1u)) cpu_fault(c, CPU_EXC_GP, 0);
            c->cr0 = v | 0x10u;   /* ET reads as 1 */
            c->cr0 &= 0x8000001Fu;
            if ((old ^ c->cr0) & 0x80000001u) {
                cpu_tlb_flush(c);
                cpu_mode_update(c);
                cpu_breakpoints_remark(c);
            }
            c->cycles += 6u;
        } else if (cr == 2) {
            c->cr2 = v;
        } else {
            c->cr3 = v & 0xFFFFF018u;
            cpu_tlb_flush(c);
            cpu_breakpoints_remark(c);
            c->cycles += 1u;
        }
    }
    cpu_next(c, i);
}

/* 0F 21 / 0F 23: debug registers (DR4/DR5 alias DR6/DR7), acted on by debug.c.
** Clocks: DR0–3 22, DR6/7 14 (read) / 16 (write). */
void x_mov_dr(cpu_state *c, const cpu_insn *i)
{
    unsigned dr = i->reg;
    priv_check(c);
    cpu_dbg_gd_check(c);   /* DBG-7 (debug.c) */
    if (dr == 4 || dr == 5) dr += 2;
    if (i->opc == 0x21) {
        c->r[i->rm] = c->dr[dr];
    } else {
        c->dr[dr] = c->r[i->rm];
        if (dr != 6) cpu_dbg_dr_written(c);
    }
    c->cycles += dr < 4 ? 8u : (i->opc == 0x21 ? 0u : 2u);
    cpu_next(c, i);
}

/* 0F 24 / 0F 26: test registers TR6, TR7 (12 clocks). */
void x_mov_tr(cpu_state *c, const cpu_insn *i)
{
    priv_check(c);
    if (i->reg != 6 && i->reg != 7) cpu_fault0(c, CPU_EXC_UD);
    if (i->opc == 0x24) c->r[i->rm] = i->reg == 6 ? c->tr6 : c->tr7;
    else if (i->reg == 6) c->tr6 = c->r[i->rm];
    else c->tr7 = c->r[i->rm];
    cpu_next(c, i);
}

/* D8–DF: no coprocessor (docs/cpu386.md): always #NM. */
void x_esc(cpu_state *c, const cpu_insn *i)
{
    (void)i;
    cpu_fault0(c, CPU_EXC_NM);
}

/* 9B WAIT: #NM when CR0.MP and CR0.TS are both set. */
void x_wait(cpu_state *c, const cpu_insn *i)
{
    if ((c->cr0 & 0xAu) == 0xAu) cpu_fault0(c, CPU_EXC_NM);
    cpu_next(c, i);
}
