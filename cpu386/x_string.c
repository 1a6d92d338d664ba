/*
** x_string.c — MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with REP/REPE/REPNE.
**
** A repeated instruction runs iterations until its count ends or the budget is
** spent (then EIP stays on it and the next run continues): registers are updated
** every iteration, so a fault mid-string restarts where it stopped. Clocks: the
** decoded entry holds the non-REP count, or the REP base (x_fast.c); the handler
** adds the per-iteration part (manual: REP MOVS 5+4n, REP STOS 5+5n, REPE CMPS
** 5+9n, REPE SCAS 5+8n, REP INS 13+6n, REP OUTS 12+5n; REP LODS is not listed and
** charges 5+6n).
*/
#include "x.h"

typedef struct sctx {
    uint32_t amask;
    uint32_t step;   /* +n or -n as a 32-bit two's complement */
} sctx;

static sctx sinit(const cpu_state *c, const cpu_insn *i)
{
    sctx s;
    s.amask = cpu_size_mask(i->adsz);
    s.step = (c->fl.eflags & CPU_DF) ? 0u - i->opsz : i->opsz;
    return s;
}

static uint32_t sreg(const cpu_state *c, const sctx *s, unsigned r) { return c->r[r] & s->amask; }

static void sadv(cpu_state *c, const sctx *s, unsigned r)
{
    c->r[r] = (c->r[r] & ~s->amask) | ((c->r[r] + s->step) & s->amask);
}

static void cnt_dec(cpu_state *c, const sctx *s)
{
    c->r[CPU_ECX] = (c->r[CPU_ECX] & ~s->amask) | ((c->r[CPU_ECX] - 1u) & s->amask);
}

/* More iterations in this handler call? At least one always runs. A data breakpoint
** hit ends the call after its iteration (DBG-6, debug.c): the trap comes after that
** iteration with EIP still on the instruction, as on a 386. */
static int more(const cpu_state *c, uint32_t done)
{
    return done == 0 || (c->cycles < c->cycle_end && !(c->dbg & CPU_DBG_HIT));
}

static void one_movs(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint32_t v = cpu_rd(c, i->seg, sreg(c, s, CPU_ESI), i->opsz);
    cpu_wr(c, CPU_ES, sreg(c, s, CPU_EDI), i->opsz, v);
    sadv(c, s, CPU_ESI);
    sadv(c, s, CPU_EDI);
}

/* MOVSD/STOSD: the size a constant, so the memory fast paths fold it. */
static void one_movs4(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint32_t v = cpu_rd(c, i->seg, sreg(c, s, CPU_ESI), 4);
    cpu_wr(c, CPU_ES, sreg(c, s, CPU_EDI), 4, v);
    sadv(c, s, CPU_ESI);
    sadv(c, s, CPU_EDI);
}

static void one_stos4(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    (void)i;
    cpu_wr(c, CPU_ES, sreg(c, s, CPU_EDI), 4, c->r[CPU_EAX]);
    sadv(c, s, CPU_EDI);
}

static void one_stos(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    cpu_wr(c, CPU_ES, sreg(c, s, CPU_EDI), i->opsz, cpu_getr(c, i->opsz, CPU_EAX));
    sadv(c, s, CPU_EDI);
}

static void one_lods(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    cpu_setr(c, i->opsz, CPU_EAX, cpu_rd(c, i->seg, sreg(c, s, CPU_ESI), i->opsz));
    sadv(c, s, CPU_ESI);
}

static void one_cmps(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint32_t a = cpu_rd(c, i->seg, sreg(c, s, CPU_ESI), i->opsz);
    uint32_t b = cpu_rd(c, CPU_ES, sreg(c, s, CPU_EDI), i->opsz);
    cpu_alu(&c->fl, CPU_ALU_CMP, i->opsz, a, b);
    sadv(c, s, CPU_ESI);
    sadv(c, s, CPU_EDI);
}

static void one_scas(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint32_t b = cpu_rd(c, CPU_ES, sreg(c, s, CPU_EDI), i->opsz);
    cpu_alu(&c->fl, CPU_ALU_CMP, i->opsz, cpu_getr(c, i->opsz, CPU_EAX), b);
    sadv(c, s, CPU_EDI);
}

static void one_ins(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint16_t port = (uint16_t)c->r[CPU_EDX];
    uint32_t di = sreg(c, s, CPU_EDI);
    (void)cpu_rd(c, CPU_ES, di, i->opsz);   /* probe: the port is read only once */
    cpu_wr(c, CPU_ES, di, i->opsz, cpu_io_in(c, port, i->opsz));
    sadv(c, s, CPU_EDI);
}

static void one_outs(cpu_state *c, const cpu_insn *i, const sctx *s)
{
    uint32_t v = cpu_rd(c, i->seg, sreg(c, s, CPU_ESI), i->opsz);
    sadv(c, s, CPU_ESI);
    cpu_io_out(c, (uint16_t)c->r[CPU_EDX], i->opsz, v);
}

typedef void (*one_fn)(cpu_state *c, const cpu_insn *i, const sctx *s);

/* Is this REP the one a stop cut, continued with no instruction in between? Then the
** base clocks (and INS/OUTS's mode adjustment) were charged when it started: the
** host's budget and stops are not events of the simulated machine, so where they fall
** must not change the clocks. An interrupt or any other instruction in between makes
** it a restart, charged again as on a 386. */
static int rep_resumed(cpu_state *c, const cpu_insn *i)
{
    int r = i->rep && c->rep_cut && c->rep_eip == c->eip && c->rep_icount == c->icount;
    c->rep_cut = 0;
    return r;
}

/* Runs a string op; `cond` is 1 for CMPS/SCAS (REPE/REPNE test ZF). Inlined into
** each caller, so `one` is a constant there and its body joins the loop. */
static inline __attribute__((always_inline)) void string_op(cpu_state *c, const cpu_insn *i, one_fn one, unsigned per_iter, int cond,
                      int resumed)
{
    sctx s = sinit(c, i);
    uint32_t done = 0;
    if (!i->rep) {
        one(c, i, &s);
        cpu_next(c, i);
        return;
    }
    if (resumed) {
        assert(c->cycles >= i->clk);
        c->cycles -= i->clk;
    }
    while (sreg(c, &s, CPU_ECX) != 0 && more(c, done)) {
        one(c, i, &s);
        cnt_dec(c, &s);
        c->cycles += per_iter;
        done++;
        if (cond && cpu_flags_cond(&c->fl, 4) != (i->rep == 0xF3)) {   /* ZF */
            cpu_next(c, i);
            return;
        }
    }
    if (sreg(c, &s, CPU_ECX) == 0) {
        cpu_next(c, i);
        return;
    }
    c->rep_cut = 1;                 /* EIP stays on the instruction: see rep_resumed */
    c->rep_eip = c->eip;
    c->rep_icount = c->icount + 1;  /* this call counts as one instruction */
}

void x_movs(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_movs, 4, 0, rep_resumed(c, i)); }
void x_stos(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_stos, 5, 0, rep_resumed(c, i)); }
void x_movs_d(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_movs4, 4, 0, rep_resumed(c, i)); }
void x_stos_d(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_stos4, 5, 0, rep_resumed(c, i)); }
void x_lods(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_lods, 6, 0, rep_resumed(c, i)); }
void x_cmps(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_cmps, 9, 1, rep_resumed(c, i)); }
void x_scas(cpu_state *c, const cpu_insn *i) { string_op(c, i, one_scas, 8, 1, rep_resumed(c, i)); }

/* INS/OUTS: the I/O permission check, then pm clocks as IN/OUT (6 less or 14 more). */
static void io_string(cpu_state *c, const cpu_insn *i, one_fn one, unsigned per_iter)
{
    int resumed = rep_resumed(c, i);
    cpu_io_check(c, (uint16_t)c->r[CPU_EDX], i->opsz);
    if (c->pe && !resumed) {
        if (!c->vm && (int)c->cpl <= cpu_iopl(c)) c->cycles -= 6u;
        else c->cycles += 14u;
    }
    string_op(c, i, one, per_iter, 0, resumed);
}

void x_ins(cpu_state *c, const cpu_insn *i) { io_string(c, i, one_ins, 6); }
void x_outs(cpu_state *c, const cpu_insn *i) { io_string(c, i, one_outs, 5); }
