/*
** gate.c — CALL through a call gate to a more privileged ring (80386 manual, CALL,
** MORE-PRIVILEGE; chapter 6.3.4): the stack of the target ring comes from the TSS,
** the caller's SS:ESP and the gate's count of parameters are copied onto it, then
** the return address. RET far to the outer ring (x_far.c) undoes it.
**
** Everything is read and checked before anything is loaded: the new stack is built
** in memory and only then do SS:ESP, CS:EIP and CPL change, so a fault anywhere
** (#TS, #SS, #PF) leaves the caller's registers as they were.
*/
#include "cpu_int.h"

#define GATE_PARAMS_MAX 31u   /* the gate's count field is 5 bits */

void cpu_call_gate_inner(cpu_state *c, const cpu_insn *i, uint16_t cs_sel, uint32_t lo,
                         uint32_t hi, uint32_t off, unsigned gsize, unsigned count)
{
    unsigned dpl = (hi >> 13) & 3u, k, clk_total;
    uint32_t params[GATE_PARAMS_MAX];
    uint32_t old_esp = c->r[CPU_ESP];
    uint16_t old_ss = c->seg[CPU_SS].sel;
    cpu_newstack ns;
    assert(gsize == 2 || gsize == 4);
    assert(count <= GATE_PARAMS_MAX && dpl < c->cpl);
    cpu_tss_stack(c, dpl, &ns);
    /* The parameters, read from the caller's stack (its own size rules, #SS(0)). */
    for (k = 0; k < count; k++) params[k] = cpu_stack_rd(c, k * gsize, gsize);
    cpu_ns_push(c, &ns, gsize, old_ss);
    cpu_ns_push(c, &ns, gsize, gsize == 4 ? old_esp : (old_esp & 0xFFFFu));
    for (k = count; k-- > 0;) cpu_ns_push(c, &ns, gsize, params[k]);
    cpu_ns_push(c, &ns, gsize, c->seg[CPU_CS].sel);
    cpu_ns_push(c, &ns, gsize, c->eip + i->len);
    /* Commit. */
    cpu_desc_set_accessed(c, cs_sel, hi);
    c->seg[CPU_SS] = ns.seg;
    c->stack32 = (uint8_t)ns.big;
    cpu_seg_win(c, CPU_SS);
    if (ns.big) c->r[CPU_ESP] = ns.sp;
    else c->r[CPU_ESP] = (c->r[CPU_ESP] & 0xFFFF0000u) | (ns.sp & 0xFFFFu);
    cpu_load_cs(c, cs_sel, lo, hi, dpl);
    /* CALL via a call gate, more privilege: pm=86+m without parameters, 94+4x+m with
    ** x; the m16:16 forms (FF /3) 4 more. */
    clk_total = (count ? 94u + 4u * count : 86u) + (i->opc == 0xFF ? 4u : 0u);
    assert(clk_total > i->clk);
    c->cycles += clk_total - i->clk;
    cpu_jump(c, gsize == 4 ? off : (off & 0xFFFFu));
}
