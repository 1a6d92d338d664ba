/*
** task.c — task switches (80386 manual chapter 7, and the JMP, CALL, INT and IRET
** pages of chapter 17): far JMP/CALL to a TSS descriptor or a task gate, task gates
** in the IDT, IRET with NT set back through the back link; 16- and 32-bit TSSs.
**
** The order is the manual's (7.5): the checks on the new TSS descriptor and both
** TSS limits fault in the outgoing task with nothing changed; the new TSS is read
** whole (a #PF there is still the outgoing task's); then the outgoing state is
** saved, the busy bits and back link written, TR, CR0.TS, CR3, EFLAGS, the general
** registers and the selectors loaded. From that point faults belong to the new task:
** its LDT, CS, SS and data segments are checked (table 7-1: #TS for an invalid
** selector or descriptor, #NP for a segment not present, #SS for a stack not
** present) with the new task's CS:EIP as the faulting address. Last the T bit of a
** 32-bit TSS raises the debug trap before the new task's first instruction.
**
** Where chapter 17's CALL page says #TS for the privilege and busy checks of a task
** gate or TSS and the JMP page (and chapter 7) say #GP, JMP and CALL both use #GP.
*/
#include "cpu_int.h"

#define TSS32_MIN_LIMIT 103u    /* a 386 TSS is at least 104 bytes (#TS below) */
#define TSS16_MIN_LIMIT 43u     /* a 286 TSS 44 */
#define TYPE_BUSY       0x02u   /* the busy bit of a TSS descriptor's type */
#define DR6_BT          0x8000u /* DR6.BT: the debug trap came from a TSS's T bit */

/* The three kinds of task the manual's clock tables tell apart. */
enum { TK_386 = 0, TK_V86 = 1, TK_286 = 2 };

/* Clocks "ts" (manual chapter 17) by source, old task, new task; JMP and CALL also
** by whether a task gate was used. The m16:16 forms cost 5 more ("5 + ts"). */
static const uint16_t ts_jmp[2][3][2] = {     /* [old 386/286][new][via gate] */
    { { 303, 312 }, { 220, 229 }, { 276, 285 } },
    { { 301, 310 }, { 218, 227 }, { 274, 283 } } };
static const uint16_t ts_call[2][3][2] = {
    { { 300, 309 }, { 217, 226 }, { 273, 282 } },
    { { 298, 307 }, { 217, 226 }, { 273, 282 } } };
static const uint16_t ts_int[3][3] = {        /* [old 386/V86/286][new] */
    { 309, 226, 282 }, { 314, 231, 287 }, { 307, 224, 280 } };
static const uint16_t ts_iret[2][3] = {       /* [old 386/286][new] */
    { 275, 224, 271 }, { 265, 214, 232 } };

/* What a TSS holds for the incoming task. */
typedef struct tss_image {
    uint32_t eip, eflags, cr3, r[8];
    uint16_t seg[6];     /* ES CS SS DS FS GS: the TSS and sreg encoding share it */
    uint16_t ldt;
    int      trap;       /* the T bit */
} tss_image;

static int tss_big(uint32_t attr_or_hi_type) { return (attr_or_hi_type & 0x8u) != 0; }

static void tss_read(cpu_state *c, uint32_t base, int big, tss_image *im)
{
    unsigned k;
    if (big) {
        im->cr3 = cpu_lrd(c, base + 0x1Cu, 4, 0);
        im->eip = cpu_lrd(c, base + 0x20u, 4, 0);
        im->eflags = cpu_lrd(c, base + 0x24u, 4, 0);
        for (k = 0; k < 8; k++) im->r[k] = cpu_lrd(c, base + 0x28u + 4u * k, 4, 0);
        for (k = 0; k < 6; k++) im->seg[k] = (uint16_t)cpu_lrd(c, base + 0x48u + 4u * k, 2, 0);
        im->ldt = (uint16_t)cpu_lrd(c, base + 0x60u, 2, 0);
        im->trap = (int)(cpu_lrd(c, base + 0x64u, 2, 0) & 1u);
        return;
    }
    im->cr3 = c->cr3;
    im->eip = cpu_lrd(c, base + 0x0Eu, 2, 0);
    im->eflags = cpu_lrd(c, base + 0x10u, 2, 0);
    for (k = 0; k < 8; k++) im->r[k] = cpu_lrd(c, base + 0x12u + 2u * k, 2, 0);
    for (k = 0; k < 4; k++) im->seg[k] = (uint16_t)cpu_lrd(c, base + 0x22u + 2u * k, 2, 0);
    im->seg[CPU_FS] = im->seg[CPU_GS] = 0;   /* a 286 TSS has no FS, GS: null */
    im->ldt = (uint16_t)cpu_lrd(c, base + 0x2Au, 2, 0);
    im->trap = 0;
}

/* The outgoing task's dynamic state into its TSS (LDT, CR3 and stacks are static). */
static void tss_save(cpu_state *c, uint32_t eip, uint32_t fl)
{
    uint32_t base = c->tr.base;
    unsigned k;
    if (tss_big(c->tr.attr)) {
        cpu_lwr(c, base + 0x20u, 4, eip, 0);
        cpu_lwr(c, base + 0x24u, 4, fl, 0);
        for (k = 0; k < 8; k++) cpu_lwr(c, base + 0x28u + 4u * k, 4, c->r[k], 0);
        for (k = 0; k < 6; k++) cpu_lwr(c, base + 0x48u + 4u * k, 2, c->seg[k].sel, 0);
        return;
    }
    cpu_lwr(c, base + 0x0Eu, 2, eip, 0);
    cpu_lwr(c, base + 0x10u, 2, fl, 0);
    for (k = 0; k < 8; k++) cpu_lwr(c, base + 0x12u + 2u * k, 2, c->r[k], 0);
    for (k = 0; k < 4; k++) cpu_lwr(c, base + 0x22u + 2u * k, 2, c->seg[k].sel, 0);
}

static void busy_set(cpu_state *c, uint16_t sel, int busy)
{
    uint32_t at = c->gdtr.base + (sel & ~7u) + 5u;
    uint32_t a = cpu_lrd(c, at, 1, 0);
    cpu_lwr(c, at, 1, busy ? (a | TYPE_BUSY) : (a & ~TYPE_BUSY), 0);
}

/* A descriptor from the GDT or LDT with the table-limit check raising `exc` with
** error code `err` (which carries EXT where the switch is an interrupt's). */
static void desc_fetch(cpu_state *c, uint16_t sel, uint32_t *lo, uint32_t *hi, int exc,
                       uint32_t err)
{
    const cpu_seg *ldt = &c->ldtr;
    uint32_t limit = (sel & 4u) ? ldt->limit : c->gdtr.limit;
    if ((sel & 4u) && (!(ldt->attr & 0x80u) || (ldt->sel & ~3u) == 0)) cpu_fault(c, exc, err);
    if ((sel & ~7u) + 7u > limit) cpu_fault(c, exc, err);
    cpu_desc_read(c, sel, lo, hi, exc);
}

static void task_ldt(cpu_state *c, uint16_t sel, int ext)
{
    uint32_t lo, hi, err = (sel & 0xFFFCu) | (uint32_t)ext;
    if ((sel & ~3u) == 0) {
        c->ldtr.sel = sel;
        c->ldtr.attr = 0;
        c->ldtr.base = c->ldtr.limit = 0;
        return;
    }
    if (sel & 4u) cpu_fault(c, CPU_EXC_TS, err);
    desc_fetch(c, sel, &lo, &hi, CPU_EXC_TS, err);
    if (((hi >> 8) & 0x1Fu) != 0x02u || !(hi & 0x8000u)) cpu_fault(c, CPU_EXC_TS, err);
    cpu_seg_from_desc(&c->ldtr, sel, lo, hi);
}

/* One segment register of the new task (table 7-1 tests 6–17), at its CPL. */
static void task_seg(cpu_state *c, unsigned s, uint16_t sel, int ext)
{
    uint32_t lo, hi, a, dpl, rpl = sel & 3u, err = (sel & 0xFFFCu) | (uint32_t)ext;
    cpu_seg *sg = &c->seg[s];
    if ((sel & ~3u) == 0) {
        if (s == CPU_CS || s == CPU_SS) cpu_fault(c, CPU_EXC_TS, err);
        sg->sel = sel;
        sg->attr = 0;
        sg->base = sg->limit = 0;
        cpu_seg_win(c, s);
        return;
    }
    desc_fetch(c, sel, &lo, &hi, CPU_EXC_TS, err);
    a = (hi >> 8) & 0xFFu;
    dpl = (a >> 5) & 3u;
    if (!(a & 0x10u)) cpu_fault(c, CPU_EXC_TS, err);
    if (s == CPU_CS) {
        /* table 7-1 test 6: the DPL equals the RPL, conforming or not */
        if (!(a & 0x08u) || dpl != rpl) cpu_fault(c, CPU_EXC_TS, err);
        if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
    } else if (s == CPU_SS) {
        if ((a & 0x08u) || !(a & 0x02u) || dpl != c->cpl || rpl != c->cpl)
            cpu_fault(c, CPU_EXC_TS, err);
        if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_SS, err);
    } else {
        if ((a & 0x08u) && !(a & 0x02u)) cpu_fault(c, CPU_EXC_TS, err);
        if (!((a & 0x08u) && (a & 0x04u)) && (dpl < c->cpl || dpl < rpl))
            cpu_fault(c, CPU_EXC_TS, err);
        if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
    }
    cpu_desc_set_accessed(c, sel, hi);
    if (s == CPU_CS) {
        cpu_load_cs(c, sel, lo, hi, rpl);
        return;
    }
    cpu_seg_from_desc(sg, sel, lo, hi | 0x100u);
    if (s == CPU_SS) c->stack32 = (sg->attr & 0x4000u) != 0;
    cpu_seg_win(c, s);
}

/* Loads the new task's state: the commit point of the switch. */
static void task_load(cpu_state *c, uint16_t sel, cpu_seg *nt, const tss_image *im, int ext)
{
    static const unsigned data[4] = { CPU_DS, CPU_ES, CPU_FS, CPU_GS };
    int big = tss_big(nt->attr);
    unsigned k;
    nt->sel = sel;
    nt->attr |= TYPE_BUSY;
    c->tr = *nt;
    c->cr0 |= 8u;   /* CR0.TS: every task switch sets it */
    if (big && (c->cr0 & 0x80000000u)) {
        c->cr3 = im->cr3 & 0xFFFFF018u;
        cpu_tlb_flush(c);
        cpu_breakpoints_remark(c);
    }
    /* From a 286 TSS the upper halves of the general registers read as all ones
    ** (an 80386 loads only the words; what it leaves there is 0xFFFF). */
    for (k = 0; k < 8; k++) c->r[k] = big ? im->r[k] : (0xFFFF0000u | (im->r[k] & 0xFFFFu));
    cpu_flags_put(&c->fl, ((big ? im->eflags : (im->eflags & 0xFFFFu)) | 2u) & 0x3FFFFu & ~0x8028u);
    cpu_dbg_update(c);        /* TF and RF come from the new task */
    /* The local breakpoint enables L0–L3 are cleared on every task switch (12.2.2). */
    if (c->dr[7] & 0x55u) {
        c->dr[7] &= ~0x55u;
        cpu_dbg_dr_written(c);
    }
    c->eip = big ? im->eip : (im->eip & 0xFFFFu);
    c->exc_eip = c->eip;   /* faults from here on are the new task's */
    c->ldtr.sel = im->ldt;
    c->ldtr.attr = 0;
    for (k = 0; k < 6; k++) {
        c->seg[k].sel = im->seg[k];
        c->seg[k].attr = 0;   /* not usable until checked below */
    }
    cpu_mode_update(c);       /* V86 from EFLAGS.VM; else CPL = CS.RPL */
    task_ldt(c, im->ldt, ext);
    if (c->vm) {
        for (k = 0; k < 6; k++) cpu_seg_set_real(c, k, im->seg[k]);
    } else {
        task_seg(c, CPU_CS, im->seg[CPU_CS], ext);
        task_seg(c, CPU_SS, im->seg[CPU_SS], ext);
        for (k = 0; k < 4; k++) task_seg(c, data[k], im->seg[data[k]], ext);
    }
    cpu_mode_update(c);
    if (c->eip > c->seg[CPU_CS].limit) cpu_fault(c, CPU_EXC_GP, 0);
}

static int task_kind_now(const cpu_state *c)
{
    if (c->vm) return TK_V86;
    return tss_big(c->tr.attr) ? TK_386 : TK_286;
}

/* The switch to the TSS `sel` (descriptor lo, hi; already checked as the source
** requires). Returns the new task's kind; *trap gets its T bit. */
static int task_switch(cpu_state *c, uint16_t sel, uint32_t lo, uint32_t hi, int src,
                       uint32_t ret_eip, int ext, int *trap)
{
    cpu_seg nt;
    tss_image im;
    int big = tss_big(hi >> 8);
    uint32_t fl = cpu_read_flags(c);
    assert(src >= CPU_TS_JMP && src <= CPU_TS_INT && !(sel & 4u));
    cpu_seg_from_desc(&nt, sel, lo, hi);
    if (nt.limit < (big ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        cpu_fault(c, CPU_EXC_TS, (sel & 0xFFFCu) | (uint32_t)ext);
    if (c->tr.limit < (tss_big(c->tr.attr) ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        cpu_fault(c, CPU_EXC_TS, (c->tr.sel & 0xFFFCu) | (uint32_t)ext);
    tss_read(c, nt.base, big, &im);
    /* From here the switch writes: the outgoing task's state, busy bits, back link. */
    if (src == CPU_TS_IRET) fl &= ~CPU_NT;
    if (src == CPU_TS_INT) fl |= c->exc_rf;   /* a fault's image carries RF (run.c) */
    tss_save(c, ret_eip, fl);
    if (src == CPU_TS_JMP || src == CPU_TS_IRET) busy_set(c, c->tr.sel, 0);
    if (src == CPU_TS_CALL || src == CPU_TS_INT) {
        cpu_lwr(c, nt.base, 2, c->tr.sel, 0);   /* the back link */
        im.eflags |= CPU_NT;
    }
    if (src != CPU_TS_IRET) busy_set(c, sel, 1);
    *trap = im.trap;
    task_load(c, sel, &nt, &im, ext);
    return !big ? TK_286 : (im.eflags & CPU_VM) ? TK_V86 : TK_386;
}

/* The T bit: a debug trap at the new task's first instruction, DR6.BT set. */
static void task_trap(cpu_state *c)
{
    c->dr[6] |= DR6_BT;
    c->exc_eip = c->eip;
    c->exc_trap = 1;          /* a trap: no RF in the image (run.c) */
    cpu_fault0(c, CPU_EXC_DB);
}

void cpu_task_far(cpu_state *c, const cpu_insn *i, uint16_t sel, uint32_t lo, uint32_t hi,
                  int src)
{
    unsigned a = (hi >> 8) & 0xFFu, type = a & 0x1Fu, dpl = (a >> 5) & 3u;
    int gate = type == 0x05, old = task_kind_now(c), new_kind, trap;
    uint32_t err = sel & 0xFFFCu, clk;
    assert(src == CPU_TS_JMP || src == CPU_TS_CALL);
    if (dpl < c->cpl || dpl < (sel & 3u)) cpu_fault(c, CPU_EXC_GP, err);
    if (!gate && type != 0x01 && type != 0x09) cpu_fault(c, CPU_EXC_GP, err);
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, err);
    /* A TSS lives in the GDT (7.2); the manual names no exception for one found
    ** through the LDT: #TS, as the switch's own selector checks raise. */
    if (!gate && (sel & 4u)) cpu_fault(c, CPU_EXC_TS, err);
    if (gate) {
        sel = (uint16_t)(lo >> 16);
        err = sel & 0xFFFCu;
        if (sel & 4u) cpu_fault(c, CPU_EXC_GP, err);
        desc_fetch(c, sel, &lo, &hi, CPU_EXC_GP, err);
        type = (hi >> 8) & 0x1Fu;
        if (type != 0x01 && type != 0x09) cpu_fault(c, CPU_EXC_GP, err);
        if (!(hi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, err);
    }
    new_kind = task_switch(c, sel, lo, hi, src, c->eip + i->len, 0, &trap);
    clk = (src == CPU_TS_JMP ? ts_jmp : ts_call)[old == TK_286][new_kind][gate];
    clk += i->opc == 0xFF ? 5u : 0u;
    assert(clk > i->clk);
    c->cycles += clk - i->clk;
    if (trap) task_trap(c);
}

void cpu_task_iret(cpu_state *c, const cpu_insn *i)
{
    uint16_t sel;
    uint32_t lo, hi, err, type;
    int old = task_kind_now(c), new_kind, trap;
    assert(c->pe && !c->vm && (c->fl.eflags & CPU_NT));
    sel = (uint16_t)cpu_lrd(c, c->tr.base, 2, 0);   /* the back link */
    err = sel & 0xFFFCu;
    if (sel & 4u) cpu_fault(c, CPU_EXC_TS, err);
    desc_fetch(c, sel, &lo, &hi, CPU_EXC_TS, err);
    type = (hi >> 8) & 0x1Fu;
    if (type != 0x03 && type != 0x0B) cpu_fault(c, CPU_EXC_TS, err);
    if (!(hi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, err);
    new_kind = task_switch(c, sel, lo, hi, CPU_TS_IRET, c->eip + i->len, 0, &trap);
    c->cycles += ts_iret[old == TK_286][new_kind];   /* IRET's base is 0 clocks */
    if (trap) task_trap(c);
}

void cpu_task_int(cpu_state *c, uint16_t tss_sel, int ext, int has_err, uint32_t err,
                  uint32_t ret_eip)
{
    uint32_t lo, hi, type, e = (tss_sel & 0xFFFCu) | (uint32_t)ext;
    int old = task_kind_now(c), new_kind, trap;
    if (tss_sel & 4u) cpu_fault(c, CPU_EXC_TS, e);
    desc_fetch(c, tss_sel, &lo, &hi, CPU_EXC_TS, e);
    type = (hi >> 8) & 0x1Fu;
    if (type != 0x01 && type != 0x09) cpu_fault(c, CPU_EXC_TS, e);
    if (!(hi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, e);
    new_kind = task_switch(c, tss_sel, lo, hi, CPU_TS_INT, ret_eip, ext, &trap);
    c->cycles += ts_int[old][new_kind];
    /* The error code goes on the new task's stack, in its TSS's width. */
    if (has_err) cpu_push(c, new_kind == TK_286 ? 2u : 4u, err);
    if (trap) task_trap(c);
}
