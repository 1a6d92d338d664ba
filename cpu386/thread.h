/*
** thread.h — (internal to cpu386) threaded dispatch: each handler ends by jumping to
** the next instruction's handler itself (a tail call) instead of returning to run_loop.
**
** A threaded handler (cpu_tfn, the entry's `tfn`) receives the cycle count with its own
** base clocks charged (`cyc`), the chain's cycle limit (`tend`) and the instruction
** count before it (`icnt`) in registers. It follows the same links as run_loop (`link`
** after falling through, `tlink` after a relative jump taken to exactly EIP + len +
** imm) under the same key test, and stops the chain (cpu_t_exit: cycles, instruction
** count and owed "+m" back to the state, return to run_loop) wherever run_loop's
** chain would stop: a key that does not match, the budget, a stop, a changed code page.
**
** What stays exact, and why:
** - Register-only handlers (ALU, MOV, INC/DEC, shifts on registers, Jcc) cannot fault,
**   stop, read the clocks or change the code page, so they keep cycles and the
**   instruction count in registers and test neither c->dbg nor code_lin_page.
** - Every other handler first stores cycles and the instruction count (so a fault, a
**   bus callback or the handler itself sees exact values, as with run_loop), reads the
**   cycles back after (wait states, data-dependent clocks), and ends the chain when a
**   debug event (c->dbg) or a change of the code page (code_lin_page != tpage: writes
**   to code, CS loads, stops) happened, as run_loop does after every instruction.
** - EIP is kept in the state by every handler, as for run_loop.
** - The chain's length is bounded by `tend` (at most CPU_CHAIN_CLK clocks past its
**   start, and never past the budget): every specialised threaded form charges at least one clock,
**   and cpu_t_any ends the chain after an instruction that charged none, so a build
**   that does not turn the tail calls into jumps (-O0) nests a bounded number of
**   frames. With clang the tail calls are forced (musttail); GCC makes them jumps from
**   -O2 on (sibling-call optimisation).
*/
#ifndef VMMSIM_CPU386_THREAD_H
#define VMMSIM_CPU386_THREAD_H

#include "cpu_int.h"

#pragma GCC visibility push(hidden)

#if defined(__has_attribute)
#if __has_attribute(musttail)
#define CPU_MUSTTAIL __attribute__((musttail))
#endif
#endif
#ifndef CPU_MUSTTAIL
#define CPU_MUSTTAIL
#endif

/* Clocks a chain may run before it returns to run_loop (which re-enters at once):
** bounds the frames of a build without tail calls. */
#ifdef __OPTIMIZE__
#define CPU_CHAIN_CLK 2048u
#else
#define CPU_CHAIN_CLK 256u
#endif

#define CPU_TARGS cpu_state *c, const cpu_insn *i, uint64_t cyc, uint64_t tend, uint64_t icnt

/* The chain's end: cycles, instruction count and the owed "+m" (0 or 0xFF) to the
** state (EIP is there already); run_loop continues from them. Returns 0. */
int cpu_t_exit(cpu_state *c, uint64_t cyc, uint64_t icnt, unsigned mp);
/* Any handler: run_loop's step around i->fn (run.c). */
int cpu_t_any(CPU_TARGS);
/* The threaded form of a decoded entry (x_fast.c): specialised, or cpu_t_any. */
cpu_tfn cpu_thread_fn(const cpu_insn *o);

/* After a control transfer (c->eip set by the handler, which fell through to `next`
** otherwise): the target's entry through tlink or, on the chain's page, through the
** decode cache; NULL ends the chain (run_loop then looks it up). */
static inline const cpu_insn *cpu_t_target(const cpu_state *c, const cpu_insn *i,
                                           uint32_t next)
{
    uint32_t eip = c->eip, lin, phys;
    const cpu_insn *n;
    if (eip == next + i->imm && cpu_insn_key(i->tlink) == i->nkey + (int32_t)i->imm)
        return i->tlink;
    lin = c->seg[CPU_CS].base + eip;
    if ((lin & ~0xFFFu) != c->tpage) return NULL;
    phys = c->code_phys_page | (lin & 0xFFFu);
    n = &c->icache[phys & (CPU_ICACHE_SIZE - 1)];
    return cpu_insn_key(n) == (((uint64_t)c->code_tag << 32) | phys) ? n : NULL;
}

/* Fell through (EIP advanced, icnt counts the instruction): the linked entry, or the
** chain's end. */
#define CPU_T_NEXT()                                                                \
    do {                                                                            \
        const cpu_insn *n_ = i->link;                                               \
        if (CPU_UNLIKELY(cpu_insn_key(n_) != i->nkey || cyc >= tend))               \
            return cpu_t_exit(c, cyc, icnt, 0);                                     \
        assert(n_->fn && n_->tfn);   /* a key that matches is a decoded entry's */  \
        CPU_MUSTTAIL return n_->tfn(c, n_, cyc + n_->clk, tend, icnt);              \
    } while (0)

/* A handler that transferred control (c->eip, c->mpend set) after falling through
** would have reached `next`: the target's entry with its "+m", or the chain's end. */
#define CPU_T_JUMPED(next)                                                          \
    do {                                                                            \
        unsigned mp_ = c->mpend;                                                    \
        const cpu_insn *n_;                                                         \
        c->mpend = 0;                                                               \
        n_ = cpu_t_target(c, i, (next));                                            \
        if (CPU_UNLIKELY(!n_ || cyc >= tend)) return cpu_t_exit(c, cyc, icnt, mp_); \
        assert(n_->fn && n_->tfn && (mp_ == 0 || mp_ == 0xFFu));                    \
        CPU_MUSTTAIL return n_->tfn(c, n_, cyc + n_->clk + (n_->comps & mp_), tend, \
                                    icnt);                                          \
    } while (0)

#pragma GCC visibility pop

#endif
