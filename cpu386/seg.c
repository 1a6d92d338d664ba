/*
** seg.c — segment registers: descriptor reads, the protected-mode load checks
** (#GP/#SS/#NP with the selector as error code), real and V86 loads, and the
** precomputed offset windows the inline access paths test.
*/
#include "cpu_int.h"

#define A_P     0x80u
#define A_S     0x10u
#define A_CODE  0x08u
#define A_EC    0x04u     /* expand-down (data) / conforming (code) */
#define A_RW    0x02u     /* writable (data) / readable (code) */
#define A_B     0x4000u   /* D/B in attr */

static void win_set(uint32_t lo_[3], uint32_t hi_[3], int ok, uint32_t lo, uint32_t hi)
{
    unsigned k;
    static const uint32_t n[3] = { 1, 2, 4 };
    for (k = 0; k < 3; k++) {
        if (ok && hi >= lo && hi - lo >= n[k] - 1) {
            lo_[k] = lo;
            hi_[k] = hi - (n[k] - 1);
        } else {
            lo_[k] = 1;   /* empty window: every access takes the faulting slow path */
            hi_[k] = 0;
        }
    }
}

void cpu_seg_win(cpu_state *c, unsigned s)
{
    const cpu_seg *sg = &c->seg[s];
    cpu_segwin *w = &c->sw[s];
    uint32_t lo = 0, hi = sg->limit, a = sg->attr;
    int rd, wr;
    assert(s < 6);
    if (!c->pe || c->vm) {
        rd = wr = 1;   /* real mode keeps the cached limit, rights are not checked */
    } else if (!(a & A_P)) {
        rd = wr = 0;   /* null selector */
    } else if (a & A_CODE) {
        rd = (a & A_RW) != 0;
        wr = 0;
    } else {
        rd = 1;
        wr = (a & A_RW) != 0;
        if (a & A_EC) {           /* expand-down: offsets above the limit */
            lo = sg->limit + 1u;
            hi = (a & A_B) ? 0xFFFFFFFFu : 0xFFFFu;
            if (sg->limit == 0xFFFFFFFFu) rd = wr = 0;
        }
    }
    win_set(w->rlo, w->rhi, rd, lo, hi);
    win_set(w->wlo, w->whi, wr, lo, hi);
    if (s == CPU_CS) c->code_lin_page = CPU_TLB_INVALID;
}

void cpu_set_cpl(cpu_state *c, unsigned cpl)
{
    assert(cpl <= 3);
    c->cpl = (uint8_t)cpl;
    c->ubit = cpl == 3;
    c->code_lin_page = CPU_TLB_INVALID;
}

void cpu_mode_update(cpu_state *c)
{
    unsigned s;
    c->pe = (c->cr0 & 1u) != 0;
    c->vm = c->pe && (c->fl.eflags & CPU_VM) != 0;
    if (!c->pe) cpu_set_cpl(c, 0);
    else if (c->vm) cpu_set_cpl(c, 3);
    else cpu_set_cpl(c, c->seg[CPU_CS].sel & 3u);
    c->code32 = c->pe && !c->vm && (c->seg[CPU_CS].attr & A_B);
    c->stack32 = c->pe && !c->vm && (c->seg[CPU_SS].attr & A_B);
    for (s = 0; s < 6; s++) cpu_seg_win(c, s);
    c->code_lin_page = CPU_TLB_INVALID;
}

void cpu_seg_set_real(cpu_state *c, unsigned s, uint16_t sel)
{
    cpu_seg *sg = &c->seg[s];
    sg->sel = sel;
    sg->base = (uint32_t)sel << 4;
    if (c->vm) {
        sg->limit = 0xFFFFu;
        sg->attr = s == CPU_CS ? 0xFBu : 0xF3u;
    } else {
        sg->attr |= A_P;
    }
    if (s == CPU_SS) c->stack32 = 0;
    if (s == CPU_CS) c->code32 = 0;
    cpu_seg_win(c, s);
}

void cpu_seg_from_desc(cpu_seg *sg, uint16_t sel, uint32_t lo, uint32_t hi)
{
    uint32_t limit = (lo & 0xFFFFu) | (hi & 0xF0000u);
    sg->sel = sel;
    sg->base = (lo >> 16) | ((hi & 0xFFu) << 16) | (hi & 0xFF000000u);
    sg->limit = (hi & 0x800000u) ? ((limit << 12) | 0xFFFu) : limit;
    sg->attr = (uint16_t)((hi >> 8) & 0xF0FFu);
}

void cpu_desc_read(cpu_state *c, uint16_t sel, uint32_t *lo, uint32_t *hi, int exc)
{
    uint32_t base, limit, off = sel & ~7u;
    if (sel & 4u) {
        if (!(c->ldtr.attr & A_P) || (c->ldtr.sel & ~3u) == 0)
            cpu_fault(c, exc, sel & 0xFFFCu);
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    if (off + 7u > limit) cpu_fault(c, exc, sel & 0xFFFCu);
    *lo = cpu_lrd(c, base + off, 4, 0);
    *hi = cpu_lrd(c, base + off + 4, 4, 0);
}

void cpu_desc_set_accessed(cpu_state *c, uint16_t sel, uint32_t hi)
{
    uint32_t base = (sel & 4u) ? c->ldtr.base : c->gdtr.base;
    if (hi & 0x100u) return;
    cpu_lwr(c, base + (sel & ~7u) + 5, 1, ((hi >> 8) & 0xFFu) | 1u, 0);
}

void cpu_seg_load(cpu_state *c, unsigned s, uint16_t sel)
{
    uint32_t lo, hi, a;
    unsigned dpl, rpl = sel & 3u, err = sel & 0xFFFCu;
    cpu_seg *sg = &c->seg[s];
    assert(s < 6 && s != CPU_CS);
    if (!c->pe || c->vm) {
        cpu_seg_set_real(c, s, sel);
        return;
    }
    if ((sel & ~3u) == 0) {
        if (s == CPU_SS) cpu_fault(c, CPU_EXC_GP, 0);
        sg->sel = sel;
        sg->attr = 0;
        sg->base = 0;
        sg->limit = 0;
        cpu_seg_win(c, s);
        return;
    }
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    a = (hi >> 8) & 0xFFu;
    dpl = (a >> 5) & 3u;
    if (!(a & A_S)) cpu_fault(c, CPU_EXC_GP, err);
    if (s == CPU_SS) {
        if ((a & A_CODE) || !(a & A_RW) || rpl != c->cpl || dpl != c->cpl)
            cpu_fault(c, CPU_EXC_GP, err);
        if (!(a & A_P)) cpu_fault(c, CPU_EXC_SS, err);
    } else {
        if ((a & A_CODE) && !(a & A_RW)) cpu_fault(c, CPU_EXC_GP, err);
        if (!((a & A_CODE) && (a & A_EC)) && (dpl < c->cpl || dpl < rpl))
            cpu_fault(c, CPU_EXC_GP, err);
        if (!(a & A_P)) cpu_fault(c, CPU_EXC_NP, err);
    }
    cpu_desc_set_accessed(c, sel, hi);
    cpu_seg_from_desc(sg, sel, lo, hi | 0x100u);
    if (s == CPU_SS) c->stack32 = (sg->attr & A_B) != 0;
    cpu_seg_win(c, s);
}

void cpu_load_cs(cpu_state *c, uint16_t sel, uint32_t lo, uint32_t hi, unsigned cpl)
{
    cpu_seg *cs = &c->seg[CPU_CS];
    cpu_seg_from_desc(cs, (uint16_t)((sel & ~3u) | cpl), lo, hi | 0x100u);
    cpu_set_cpl(c, cpl);
    c->code32 = (cs->attr & A_B) != 0;
    cpu_seg_win(c, CPU_CS);
}

void cpu_null_bad_segs(cpu_state *c)
{
    static const unsigned segs[4] = { CPU_ES, CPU_DS, CPU_FS, CPU_GS };
    unsigned k;
    for (k = 0; k < 4; k++) {
        cpu_seg *sg = &c->seg[segs[k]];
        unsigned a = sg->attr, dpl = (a >> 5) & 3u;
        int conforming = (a & A_CODE) && (a & A_EC);
        /* A null selector with a non-zero RPL is not valid for the outer level
        ** either (its AR byte is no data segment's): it becomes 0 too. */
        if ((sg->sel & ~3u) == 0 || ((a & A_P) && !conforming && dpl < c->cpl)) {
            sg->sel = 0;
            sg->attr = 0;
            cpu_seg_win(c, segs[k]);
        }
    }
}
