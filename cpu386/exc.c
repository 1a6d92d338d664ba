/*
** exc.c — interrupt and exception delivery: the real-mode IVT, protected-mode IDT
** interrupt and trap gates (same privilege, inner privilege through the TSS ring
** stack, and out of V86 mode), and EFLAGS read/write rules shared with POPF/IRET.
** Task gates hand over to task.c.
**
** Delivery reads everything (gate, target descriptor, new stack) before writing
** anything, so a fault while delivering leaves the interrupted state intact for the
** double-fault logic in run.c.
*/
#include "cpu_int.h"

uint32_t cpu_read_flags(cpu_state *c)
{
    return (cpu_flags_get(&c->fl) | 2u) & 0x3FFFFu;
}

void cpu_write_flags(cpu_state *c, uint32_t v, uint32_t mask)
{
    uint32_t old = c->fl.eflags;
    cpu_flags_put_mask(&c->fl, v | 2u, mask | 2u);
    c->fl.eflags &= 0x3FFFFu & ~0x28u;   /* reserved bits 3, 5, 15, 18+ read as 0 */
    c->fl.eflags |= 2u;
    if ((old ^ c->fl.eflags) & CPU_VM) cpu_mode_update(c);
    if ((old ^ c->fl.eflags) & (CPU_TF | CPU_RF)) {
        c->rf_icount = c->icount;   /* DBG-5 (debug.c): RF survives this instruction */
        cpu_dbg_update(c);
    }
}

void cpu_ns_push(cpu_state *c, cpu_newstack *ns, unsigned n, uint32_t v)
{
    uint32_t sp = ns->sp - n, a = ns->seg.attr;
    if (!ns->big) sp &= 0xFFFFu;
    if (a & 0x04u) {   /* expand-down stack */
        uint32_t top = (a & 0x4000u) ? 0xFFFFFFFFu : 0xFFFFu;
        if (sp <= ns->seg.limit || sp > top - (n - 1)) cpu_fault(c, CPU_EXC_SS, ns->err);
    } else if (sp > ns->seg.limit || ns->seg.limit - sp < n - 1) {
        cpu_fault(c, CPU_EXC_SS, ns->err);
    }
    cpu_lwr(c, ns->seg.base + sp, n, v, 0);
    ns->sp = sp;
}

void cpu_tss_stack(cpu_state *c, unsigned dpl, cpu_newstack *ns)
{
    uint32_t lo, hi, a, esp;
    uint16_t ss;
    unsigned type = (c->tr.attr & 0xFu);
    if (!(c->tr.attr & 0x80u)) cpu_fault(c, CPU_EXC_TS, c->tr.sel & 0xFFFCu);
    if (type == 0x9 || type == 0xB) {
        if (8u * dpl + 11u > c->tr.limit) cpu_fault(c, CPU_EXC_TS, c->tr.sel & 0xFFFCu);
        esp = cpu_lrd(c, c->tr.base + 4u + 8u * dpl, 4, 0);
        ss = (uint16_t)cpu_lrd(c, c->tr.base + 8u + 8u * dpl, 2, 0);
    } else {
        if (4u * dpl + 5u > c->tr.limit) cpu_fault(c, CPU_EXC_TS, c->tr.sel & 0xFFFCu);
        esp = cpu_lrd(c, c->tr.base + 2u + 4u * dpl, 2, 0);
        ss = (uint16_t)cpu_lrd(c, c->tr.base + 4u + 4u * dpl, 2, 0);
    }
    if ((ss & ~3u) == 0) cpu_fault(c, CPU_EXC_TS, 0);
    cpu_desc_read(c, ss, &lo, &hi, CPU_EXC_TS);
    a = (hi >> 8) & 0xFFu;
    if ((ss & 3u) != dpl || ((a >> 5) & 3u) != dpl || !(a & 0x10u) || (a & 0x08u) ||
        !(a & 0x02u))
        cpu_fault(c, CPU_EXC_TS, ss & 0xFFFCu);
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_SS, ss & 0xFFFCu);
    cpu_desc_set_accessed(c, ss, hi);
    cpu_seg_from_desc(&ns->seg, ss, lo, hi | 0x100u);
    ns->big = (ns->seg.attr & 0x4000u) != 0;
    ns->sp = ns->big ? esp : (esp & 0xFFFFu);
    ns->err = ss & 0xFFFCu;
}

static void deliver_real(cpu_state *c, uint8_t vec, int kind, uint32_t ret_eip)
{
    uint32_t ent = (uint32_t)vec * 4u, sp;
    uint16_t ip, cs;
    if (ent + 3u > c->idtr.limit) cpu_fault(c, CPU_EXC_GP, ent * 2u + 2u);
    ip = (uint16_t)cpu_lrd(c, c->idtr.base + ent, 2, 0);
    cs = (uint16_t)cpu_lrd(c, c->idtr.base + ent + 2, 2, 0);
    sp = cpu_sp(c);
    cpu_wr(c, CPU_SS, (sp - 2) & 0xFFFFu, 2, cpu_read_flags(c));
    cpu_wr(c, CPU_SS, (sp - 4) & 0xFFFFu, 2, c->seg[CPU_CS].sel);
    cpu_wr(c, CPU_SS, (sp - 6) & 0xFFFFu, 2, ret_eip);
    cpu_set_sp(c, (sp - 6) & 0xFFFFu);
    c->fl.eflags &= ~(CPU_IF | CPU_TF);
    cpu_seg_set_real(c, CPU_CS, cs);
    cpu_transfer(c, ip);
    c->cycles += kind != CPU_INT_TRAP ? CLK_INT_REAL
               : vec == CPU_EXC_BP ? CLK_INT3_REAL
               : vec == CPU_EXC_OF ? CLK_INTO_REAL : CLK_INT_REAL;
}

void cpu_deliver(cpu_state *c, uint8_t vec, int kind, int has_err, uint32_t err,
                 uint32_t ret_eip)
{
    uint32_t glo, ghi, lo, hi, a, off, ent = (uint32_t)vec * 8u, gerr;
    unsigned type, dpl, gdpl, n;
    uint16_t sel;
    int ext = kind == CPU_INT_EXC || kind == CPU_INT_HW;
    if (!c->pe) {
        deliver_real(c, vec, kind, ret_eip);
        return;
    }
    gerr = ent + 2u + (ext ? 1u : 0u);
    if (ent + 7u > c->idtr.limit) cpu_fault(c, CPU_EXC_GP, gerr);
    glo = cpu_lrd(c, c->idtr.base + ent, 4, 0);
    ghi = cpu_lrd(c, c->idtr.base + ent + 4, 4, 0);
    type = (ghi >> 8) & 0x1Fu;
    gdpl = (ghi >> 13) & 3u;
    if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0E && type != 0x0F)
        cpu_fault(c, CPU_EXC_GP, gerr);
    if ((kind == CPU_INT_SOFT || kind == CPU_INT_TRAP) && gdpl < c->cpl)
        cpu_fault(c, CPU_EXC_GP, gerr);
    if (!(ghi & 0x8000u)) cpu_fault(c, CPU_EXC_NP, gerr);
    if (type == 0x05) {   /* task gate: the handler is a task (task.c) */
        cpu_task_int(c, (uint16_t)(glo >> 16), ext, has_err, err, ret_eip);
        return;
    }
    sel = (uint16_t)(glo >> 16);
    off = (glo & 0xFFFFu) | ((type & 8u) ? (ghi & 0xFFFF0000u) : 0u);
    n = (type & 8u) ? 4u : 2u;
    if ((sel & ~3u) == 0) cpu_fault(c, CPU_EXC_GP, ext ? 1u : 0u);
    cpu_desc_read(c, sel, &lo, &hi, CPU_EXC_GP);
    a = (hi >> 8) & 0xFFu;
    dpl = (a >> 5) & 3u;
    if (!(a & 0x10u) || !(a & 0x08u) || dpl > c->cpl)
        cpu_fault(c, CPU_EXC_GP, (sel & 0xFFFCu) | (ext ? 1u : 0u));
    if (!(a & 0x80u)) cpu_fault(c, CPU_EXC_NP, (sel & 0xFFFCu) | (ext ? 1u : 0u));
    {
        uint32_t fl = cpu_read_flags(c) | c->exc_rf, old_esp = c->r[CPU_ESP];
        int inner = !(a & 0x04u) && dpl < c->cpl;
        cpu_newstack ns;
        if (c->vm && (!inner || dpl != 0))
            cpu_fault(c, CPU_EXC_GP, (sel & 0xFFFCu) | (ext ? 1u : 0u));
        if (inner) {
            cpu_tss_stack(c, dpl, &ns);
            if (c->vm) {
                cpu_ns_push(c, &ns, n, c->seg[CPU_GS].sel);
                cpu_ns_push(c, &ns, n, c->seg[CPU_FS].sel);
                cpu_ns_push(c, &ns, n, c->seg[CPU_DS].sel);
                cpu_ns_push(c, &ns, n, c->seg[CPU_ES].sel);
            }
            cpu_ns_push(c, &ns, n, c->seg[CPU_SS].sel);
            cpu_ns_push(c, &ns, n, old_esp);
        } else {
            ns.seg = c->seg[CPU_SS];
            ns.big = c->stack32;
            ns.sp = cpu_sp(c);
            ns.err = 0;
        }
        cpu_ns_push(c, &ns, n, fl);
        cpu_ns_push(c, &ns, n, c->seg[CPU_CS].sel);
        cpu_ns_push(c, &ns, n, ret_eip);
        if (has_err) cpu_ns_push(c, &ns, n, err);
        /* Commit. */
        cpu_desc_set_accessed(c, sel, hi);
        c->cycles += c->vm ? CLK_INT_V86 : inner ? CLK_INT_PM_PRIV : CLK_INT_PM;
        if (inner) {
            c->seg[CPU_SS] = ns.seg;
            c->stack32 = (uint8_t)ns.big;
        }
        if (ns.big) c->r[CPU_ESP] = ns.sp;
        else c->r[CPU_ESP] = (c->r[CPU_ESP] & 0xFFFF0000u) | (ns.sp & 0xFFFFu);
        if (c->vm) {
            static const unsigned segs[4] = { CPU_ES, CPU_DS, CPU_FS, CPU_GS };
            unsigned k;
            for (k = 0; k < 4; k++) {
                cpu_seg *sg = &c->seg[segs[k]];
                sg->sel = 0; sg->attr = 0; sg->base = 0; sg->limit = 0;
            }
        }
        c->fl.eflags &= ~(CPU_TF | CPU_NT | CPU_VM | CPU_RF);
        if (!(type & 1u)) c->fl.eflags &= ~CPU_IF;
        cpu_load_cs(c, sel, lo, hi, inner ? dpl : c->cpl);
        cpu_mode_update(c);
        cpu_transfer(c, n == 4 ? off : (off & 0xFFFFu));
    }
}

void cpu_soft_int(cpu_state *c, uint8_t vec, uint32_t next_eip, int kind)
{
    cpu_deliver(c, vec, kind, 0, 0, next_eip);
    cpu_dbg_delivered(c);   /* DBG-2 (debug.c) */
}
