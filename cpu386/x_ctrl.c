/*
** x_ctrl.c — near control transfers (Jcc, JMP, CALL, RET, LOOPcc, JCXZ), flag
** instructions (with CLI/STI's IOPL rule and STI's interrupt shadow), HLT, INT n
** (with the host's INT 20h and INT n intercepts), INT3, INTO and BOUND.
*/
#include "x.h"

static uint32_t rel_target(const cpu_state *c, const cpu_insn *i)
{
    uint32_t t = c->eip + i->len + i->imm;
    return i->opsz == 4 ? t : (t & 0xFFFFu);
}

void x_jcc(cpu_state *c, const cpu_insn *i)
{
    if (cpu_flags_cond_inl(&c->fl, i->opc & 15u)) {
        c->cycles += CLK_JCC_TAKEN_EXTRA;
        cpu_jump(c, rel_target(c, i));
    } else {
        cpu_next(c, i);
    }
}

void x_jmp_rel(cpu_state *c, const cpu_insn *i) { cpu_jump(c, rel_target(c, i)); }

void x_jmp_E(cpu_state *c, const cpu_insn *i)
{
    cpu_jump(c, cpu_rm_rd(c, i, i->opsz));
}

void x_call_rel(cpu_state *c, const cpu_insn *i)
{
    uint32_t t = rel_target(c, i);
    cpu_push(c, i->opsz, c->eip + i->len);
    cpu_jump(c, t);
}

void x_call_E(cpu_state *c, const cpu_insn *i)
{
    uint32_t t = cpu_rm_rd(c, i, i->opsz);
    cpu_push(c, i->opsz, c->eip + i->len);
    cpu_jump(c, t);
}

/* C3, C2 imm16. */
void x_ret(cpu_state *c, const cpu_insn *i)
{
    uint32_t t = cpu_stack_rd(c, 0, i->opsz);
    cpu_set_sp(c, cpu_sp(c) + i->opsz + (i->opc == 0xC2 ? (i->imm & 0xFFFFu) : 0u));
    cpu_jump(c, t);
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP: the counter is CX or ECX by address size. */
void x_loop(cpu_state *c, const cpu_insn *i)
{
    uint32_t cnt = (cpu_getr(c, i->adsz, CPU_ECX) - 1u) & cpu_size_mask(i->adsz);
    int go = cnt != 0;
    cpu_setr(c, i->adsz, CPU_ECX, cnt);
    if (go && i->opc == 0xE1) go = cpu_flags_cond_inl(&c->fl, 4);   /* ZF */
    if (go && i->opc == 0xE0) go = cpu_flags_cond_inl(&c->fl, 5);   /* !ZF */
    if (go) cpu_jump(c, rel_target(c, i));
    else cpu_next(c, i);
}

/* E3: JCXZ/JECXZ, 9+m taken, 5 not. */
void x_jcxz(cpu_state *c, const cpu_insn *i)
{
    if (cpu_getr(c, i->adsz, CPU_ECX) == 0) {
        c->cycles += 4;
        cpu_jump(c, rel_target(c, i));
    } else {
        cpu_next(c, i);
    }
}

void x_clc(cpu_state *c, const cpu_insn *i) { cpu_flags_put_mask(&c->fl, 0, CPU_CF); cpu_next(c, i); }
void x_stc(cpu_state *c, const cpu_insn *i) { cpu_flags_put_mask(&c->fl, CPU_CF, CPU_CF); cpu_next(c, i); }
void x_cld(cpu_state *c, const cpu_insn *i) { c->fl.eflags &= ~CPU_DF; cpu_next(c, i); }
void x_std(cpu_state *c, const cpu_insn *i) { c->fl.eflags |= CPU_DF; cpu_next(c, i); }

void x_cmc(cpu_state *c, const cpu_insn *i)
{
    cpu_flags_put_mask(&c->fl, cpu_flags_cf(&c->fl) ? 0 : CPU_CF, CPU_CF);
    cpu_next(c, i);
}

/* CLI/STI: #GP(0) when CPL > IOPL (V86: when IOPL < 3). */
static void if_check(cpu_state *c)
{
    if (c->pe && (int)c->cpl > cpu_iopl(c)) cpu_fault(c, CPU_EXC_GP, 0);
}

void x_cli(cpu_state *c, const cpu_insn *i)
{
    if_check(c);
    c->fl.eflags &= ~CPU_IF;
    cpu_next(c, i);
}

void x_sti(cpu_state *c, const cpu_insn *i)
{
    if_check(c);
    if (!(c->fl.eflags & CPU_IF)) c->shadow_icount = c->icount + 2;
    c->fl.eflags |= CPU_IF;
    cpu_next(c, i);
    if (c->cfg.stop_on_sti) {
        c->info.fault_eip = c->eip - i->len;
        cpu_stop_now(c, CPU_STOP_STI);
    }
}

void x_hlt(cpu_state *c, const cpu_insn *i)
{
    if (c->pe && c->cpl != 0) cpu_fault(c, CPU_EXC_GP, 0);
    c->info.fault_eip = c->eip;
    cpu_next(c, i);
    cpu_stop_now(c, CPU_STOP_HLT);
}

/* An INT the host takes over (a VMM call, an intercepted INT n or trap) costs the CPU
** only its decode; the host charges the rest of its path (the VMM's service-path cost,
** docs/vmm.md), so the run's cycles stay the sum of documented parts. */
#define CLK_INT_TRAPPED 1u
/* INTO when OF is clear (manual: "INTO 35, 3 if not taken"). */
#define CLK_INTO_NOT_TAKEN 3u

/* INT3 and INTO are exceptions (#BP, #OF) of trap type: EIP after them. Unlike INT n
** they are not IOPL-sensitive in V86 mode (the gate's DPL still applies). */
static void trap_exc(cpu_state *c, const cpu_insn *i, uint8_t vec)
{
    if (c->cfg.exc_intercept & (1u << vec)) {
        cpu_dbg_host_handled(c);   /* DBG-2 (debug.c) */
        c->cycles += CLK_INT_TRAPPED;
        c->info.vector = vec;
        c->info.fault_eip = c->eip;
        cpu_next(c, i);
        cpu_stop_now(c, CPU_STOP_EXCEPTION);
        return;
    }
    cpu_soft_int(c, vec, c->eip + i->len, CPU_INT_TRAP);
}

void x_int3(cpu_state *c, const cpu_insn *i) { trap_exc(c, i, CPU_EXC_BP); }

void x_into(cpu_state *c, const cpu_insn *i)
{
    if (cpu_flags_cond(&c->fl, 0)) {
        trap_exc(c, i, CPU_EXC_OF);
    } else {
        c->cycles += CLK_INTO_NOT_TAKEN;
        cpu_next(c, i);
    }
}

void x_int(cpu_state *c, const cpu_insn *i)
{
    uint8_t vec = (uint8_t)i->imm;
    if (vec == 0x20 && c->cfg.trap_int20 && c->pe && !c->vm) {
        uint32_t dw = cpu_fetch_code(c, c->eip + i->len, 4);   /* faults like a fetch */
        cpu_dbg_host_handled(c);   /* DBG-2 (debug.c) */
        c->cycles += CLK_INT_TRAPPED;
        c->info.vmmcall = dw;
        c->info.fault_eip = c->eip;
        c->eip += i->len + 4u;
        cpu_stop_now(c, CPU_STOP_VMMCALL);
        return;
    }
    if (c->cfg.int_intercept[vec >> 5] & (1u << (vec & 31u))) {
        cpu_dbg_host_handled(c);   /* DBG-2 (debug.c) */
        c->cycles += CLK_INT_TRAPPED;
        c->info.vector = vec;
        c->info.fault_eip = c->eip;
        cpu_next(c, i);
        cpu_stop_now(c, CPU_STOP_INT);
        return;
    }
    if (c->vm && cpu_iopl(c) < 3) cpu_fault(c, CPU_EXC_GP, 0);
    cpu_soft_int(c, vec, c->eip + i->len, CPU_INT_SOFT);
}

/* 62: BOUND r, m (signed bounds pair); #BR is a fault. */
void x_bound(cpu_state *c, const cpu_insn *i)
{
    unsigned n = i->opsz;
    uint32_t ea = cpu_ea(c, i), ea2 = ea + n;
    int32_t lo, hi, v;
    if (i->adsz == 2) ea2 &= 0xFFFFu;
    lo = (int32_t)cpu_rd(c, i->seg, ea, n);
    hi = (int32_t)cpu_rd(c, i->seg, ea2, n);
    v = (int32_t)cpu_getr(c, n, i->reg);
    if (n == 2) { lo = (int16_t)lo; hi = (int16_t)hi; v = (int16_t)v; }
    if (v < lo || v > hi) cpu_fault0(c, CPU_EXC_BR);
    cpu_next(c, i);
}
