/*
** run.c — the hot loop, the decode cache lookup, breakpoints, and the fault path:
** exceptions raised anywhere longjmp here, then are intercepted for the host or
** delivered (with the 386's double-fault and shutdown rules).
*/
#include <stddef.h>

#include "cpu_int.h"
#include "thread.h"

/* The loop notices a stop on its chain test (code_lin_page) and then reads cycle_end. */
void cpu_stop_now(cpu_state *c, int reason)
{
    c->stop = reason;
    c->cycle_end = 0;
    c->code_lin_page = CPU_TLB_INVALID;
}

void cpu_code_changed(cpu_state *c) { c->code_lin_page = CPU_TLB_INVALID; }

_Noreturn void cpu_fault(cpu_state *c, int vec, uint32_t err)
{
    c->exc_vec = vec;
    c->exc_has_err = 1;
    c->exc_err = err;
    longjmp(c->jb, 1);
}

_Noreturn void cpu_fault0(cpu_state *c, int vec)
{
    c->exc_vec = vec;
    c->exc_has_err = 0;
    c->exc_err = 0;
    longjmp(c->jb, 1);
}

_Static_assert(offsetof(cpu_state, mpend) == offsetof(cpu_state, eip) + 4,
               "cpu_eip_mpend reads eip and mpend as one");
_Static_assert(offsetof(cpu_insn, tag) == offsetof(cpu_insn, phys) + 4 &&
               offsetof(cpu_insn, phys) % 8 == 0, "cpu_insn_key reads phys and tag as one");

const cpu_insn cpu_insn_none = { .phys = 0xFFFFFFFFu, .tag = 0xFFFFFFFFu };

static int is_bp(const cpu_state *c, uint32_t lin)
{
    unsigned k;
    for (k = 0; k < c->nbp; k++)
        if (c->bp[k] == lin) return 1;
    return 0;
}

/* Relative near transfers: their taken target is EIP + len + imm (run_loop checks
** the EIP the handler set against exactly that before following tlink). */
static int is_rel_jump(const cpu_insn *e)
{
    if (e->flags & CPU_IF_TWOBYTE) return e->opc >= 0x80 && e->opc <= 0x8F;
    return (e->opc >= 0x70 && e->opc <= 0x7F) || (e->opc >= 0xE0 && e->opc <= 0xE3) ||
           e->opc == 0xE8 || e->opc == 0xE9 || e->opc == 0xEB;
}

/* The slots of the next instruction and of a relative jump's target, when they start
** on this page: straight-line code and loops then run entry to entry without the
** lookup (run_loop). A slot is followed only while it holds the key expected here. */
static void link_entry(cpu_state *c, cpu_insn *e)
{
    uint32_t off = e->phys & 0xFFFu, t = off + e->len + e->imm;
    e->link = e->tlink = &cpu_insn_none;
    e->nkey = 0;
    if (off + e->len >= 0x1000u) return;
    e->link = &c->icache[(e->phys + e->len) & (CPU_ICACHE_SIZE - 1)];
    e->nkey = ((uint64_t)e->tag << 32) | (e->phys + e->len);
    if (is_rel_jump(e) && t < 0x1000u)   /* t wraps high when the target is below */
        e->tlink = &c->icache[((e->phys & ~0xFFFu) | t) & (CPU_ICACHE_SIZE - 1)];
}

/* Slow fetch: sets up the code page fast path when the whole page is inside the CS
** limit, looks the entry up or decodes it. NULL: stopped at a breakpoint. */
static const cpu_insn *fetch_slow(cpu_state *c, uint32_t lin)
{
    const cpu_seg *cs = &c->seg[CPU_CS];
    uint32_t page_lin = lin & ~0xFFFu, phys, tag;
    uint32_t eip_page_start = c->eip - (lin & 0xFFFu);
    cpu_insn *e;
    int bp = c->nbp && is_bp(c, lin);
    uint32_t dbits = c->dbg_exec ? cpu_dbg_exec_bits(c, lin) : 0u;
    if (bp && c->icount != c->bp_skip_icount) {
        c->info.fault_eip = c->eip;
        cpu_stop_now(c, CPU_STOP_BREAKPOINT);
        return NULL;
    }
    if (CPU_UNLIKELY(c->step_fn) && c->icount >= c->step_from)
        c->step_fn(c->step_ud, c);   /* cpu_set_step_hook */
    if (dbits && !(c->fl.eflags & CPU_RF)) {   /* DBG-4 (debug.c): a fault */
        c->dr[6] |= dbits;
        cpu_fault0(c, CPU_EXC_DB);
    }
    if (c->eip > cs->limit) cpu_fault(c, CPU_EXC_GP, 0);
    phys = cpu_translate(c, lin, 0, c->ubit);
    tag = cpu_page_tag(c, phys) | c->code32;
    /* Fast path only for pages wholly inside CS's limit (no wrap of EIP either). */
    if (eip_page_start <= c->eip && cs->limit >= eip_page_start + 0xFFFu &&
        eip_page_start + 0xFFFu >= eip_page_start) {
        c->code_lin_page = page_lin;
        c->code_phys_page = phys & ~0xFFFu;
        c->code_tag = tag;
    } else {
        c->code_lin_page = CPU_TLB_INVALID;
    }
    e = &c->icache[phys & (CPU_ICACHE_SIZE - 1)];
    if (e->fn && e->phys == phys && (e->tag & 0x7FFFFFFFu) == tag &&
        (lin & 0xFFFu) + e->len <= 0x1000u) {
        /* Cached; its length was limit-checked when decoded under this page. */
        if (c->eip + (uint32_t)e->len - 1u <= cs->limit && c->eip + e->len > c->eip)
            return e;
    }
    cpu_decode(c, lin, &c->scratch);
    c->scratch.phys = phys;
    c->scratch.tag = tag;
    c->scratch.link = c->scratch.tlink = &cpu_insn_none;
    c->scratch.nkey = 0;
    if ((lin & 0xFFFu) + c->scratch.len > 0x1000u) return &c->scratch;  /* crosses */
    cpu_mark_code(c, phys & ~0xFFFu);
    cpu_mark_code_lines(c, phys, c->scratch.len);
    *e = c->scratch;
    link_entry(c, e);
    if (bp || dbits) e->tag |= 0x80000000u;   /* keeps it off the fast path */
    return e;
}

/* Looks up the entry for CS:EIP (linear `lin`) through the code page fast path,
** else fetch_slow. */
static inline const cpu_insn *fetch(cpu_state *c, uint32_t lin)
{
    if (CPU_LIKELY((lin & ~0xFFFu) == c->code_lin_page)) {
        uint32_t phys = c->code_phys_page | (lin & 0xFFFu);
        const cpu_insn *i = &c->icache[phys & (CPU_ICACHE_SIZE - 1)];
        if (CPU_LIKELY(i->phys == phys && i->tag == c->code_tag)) return i;
    }
    return fetch_slow(c, lin);
}

/* The lookup at a block's start: CS:EIP through fetch(); *page becomes the linear
** code page the chain may stay on (1, never a page, when there is none). NULL:
** stopped at a breakpoint. */
static const cpu_insn *block_start(cpu_state *c, uint32_t eip, uint32_t *page)
{
    uint32_t lin = c->seg[CPU_CS].base + eip;
    const cpu_insn *i;
    c->eip = eip;   /* fetch_slow's breakpoint rule reads it and c->icount */
    i = fetch(c, lin);
    *page = i && (lin & ~0xFFFu) == c->code_lin_page ? c->code_lin_page : 1u;
    return i;
}

/* After any other transfer (RET, indirect JMP/CALL): fetch()'s fast path, inline,
** for a target on the chain's page; NULL sends the loop to block_start. */
static inline const cpu_insn *same_page(const cpu_state *c, uint32_t eip, uint32_t page)
{
    uint32_t lin = c->seg[CPU_CS].base + eip, phys;
    const cpu_insn *n;
    if ((lin & ~0xFFFu) != page) return NULL;   /* page 1 (none) never equals */
    phys = c->code_phys_page | (lin & 0xFFFu);
    n = &c->icache[phys & (CPU_ICACHE_SIZE - 1)];
    return cpu_insn_key(n) == (((uint64_t)c->code_tag << 32) | phys) ? n : NULL;
}

/* A threaded chain from entry i (thread.h), cycles `cyc` before its base clocks (its
** "+m" charged, which may pass tend: it runs, as its budget test came first): it
** returns with EIP, cycles, the instruction count and the owed "+m" in the state,
** after the instruction that ended it; a debug event that instruction raised is
** handled as run_loop's own step does. */
static inline void run_chain(cpu_state *c, const cpu_insn *i, uint64_t cyc, uint64_t tend,
                             uint32_t page)
{
    assert(page != 1u && !c->dbg && tend > 0);
    c->tpage = page;
    i->tfn(c, i, cyc + i->clk, tend, c->icount);
    if (CPU_UNLIKELY(c->dbg)) cpu_dbg_after(c);
}

/* The hot loop.
**
** On the code page's fast path and with no debug event pending, a block runs as a
** threaded chain (run_chain, thread.h), which follows the links described here with
** the same tests; otherwise the loop below steps each instruction through its `fn`.
**
** Chaining: after an instruction, the next entry is reached by its `link` (fall
** through) or `tlink` (a relative jump taken to exactly EIP + len + imm) instead of
** the lookup in fetch(). That is the same entry fetch() would return: a link is the
** slot of the target's physical address on the same physical page, followed only when
** that slot holds the key (physical address, current code tag) expected, and while
** c->code_lin_page is still the page the chain started on. Everything that changes
** CS, the mode, CPL, paging, breakpoints or the code page's bytes, and every stop
** (cpu_stop_now, cpu_request_stop), resets code_lin_page, which ends the chain.
** Budget, stops, breakpoints (their entries never carry the code tag) and faults are
** therefore seen exactly where the lookup would see them.
**
** EIP and the cycle count live in locals and are stored before every handler (the
** instruction count is counted in place after it), so they are exact whenever a handler, a bus callback or the fault path
** (longjmp to cpu_run) reads them. The handler's EIP and cycles are compared with the
** prediction (sequential flow, base clocks) afterwards. The budget's end is kept in a
** local too: only a stop changes it, and a stop ends the chain, after which it is read
** again. A control transfer sets mpend; the next instruction's "+m" is charged from
** it, and a transfer to the very next instruction (JMP $+2) leaves the chain too. */
__attribute__((noinline)) static void run_loop(cpu_state *c)
{
    uint32_t eip = c->eip, page = 1u, next;
    uint64_t cyc = c->cycles, end, cnext, tend;
    unsigned mp = c->mpend;
    const cpu_insn *i, *n;
    for (;;) {
        /* A block's start: the budget, then the lookup. mpend stays owed in c until
        ** charged: a fetch fault leaves it to the exception handler's first instruction. */
        c->mpend = mp;
        end = c->cycle_end;
        if (cyc >= end || !(i = block_start(c, eip, &page))) break;
        c->mpend = 0;
        tend = end - cyc > CPU_CHAIN_CLK ? cyc + CPU_CHAIN_CLK : end;
        cyc += i->comps & mp;   /* after the budget test, as the instruction's own clocks */
        if (CPU_LIKELY(page != 1u && !c->dbg)) {
            run_chain(c, i, cyc, tend, page);
            eip = c->eip;
            mp = c->mpend;
            cyc = c->cycles;
            continue;
        }
        for (;;) {   /* one instruction, while debugging or off the code page fast path */
            assert(page == 1u || c->seg[CPU_CS].base + eip == (page | (i->phys & 0xFFFu)));
            cnext = cyc + i->clk;
            c->cycles = cnext;
            next = eip + i->len;
            i->fn(c, i);
            c->icount++;   /* stored before the handler: exact for it and for a fault */
            /* The one test for TF, RF and data breakpoints (debug.c); a trap longjmps
            ** with mpend still owed in c, as for any fault. */
            if (CPU_UNLIKELY(c->dbg)) cpu_dbg_after(c);
            cyc = CPU_LIKELY(c->cycles == cnext) ? cnext : c->cycles;
            if (CPU_LIKELY(cpu_eip_mpend(c) == next)) {   /* fell through */
                n = i->link;
                eip = next;
                mp = 0;
                if (CPU_UNLIKELY(cpu_insn_key(n) != i->nkey || c->code_lin_page != page ||
                                 cyc >= end))
                    break;
            } else {
                eip = c->eip;
                mp = c->mpend;
                c->mpend = 0;
                if (eip == next + i->imm && cpu_insn_key(i->tlink) == i->nkey + (int32_t)i->imm)
                    n = i->tlink;
                else if (!(n = same_page(c, eip, page)))
                    break;
                if (c->code_lin_page != page || cyc >= end) break;
                cyc += n->comps & mp;
            }
            i = n;
        }
    }
}

int cpu_t_exit(cpu_state *c, uint64_t cyc, uint64_t icnt, unsigned mp)
{
    assert(icnt >= c->icount && (mp == 0 || mp == 0xFFu));
    c->cycles = cyc;
    c->icount = icnt;
    c->mpend = mp;
    return 0;
}

/* run_loop's step, threaded: the state exact before the handler (it may fault, stop,
** read or add clocks); after it, the chain ends on a debug event, a change of the
** code page or an instruction of no base clocks (thread.h: the chain's bound). */
int cpu_t_any(CPU_TARGS)
{
    uint32_t next = c->eip + i->len;
    assert(c->tpage == (c->seg[CPU_CS].base + c->eip - (i->phys & 0xFFFu)));
    c->cycles = cyc;
    c->icount = icnt;
    c->tend = tend;   /* through the state: fewer registers to keep across the call */
    i->fn(c, i);
    cyc = c->cycles;
    icnt = c->icount + 1u;
    tend = c->tend;
    if (CPU_UNLIKELY(c->dbg || c->code_lin_page != c->tpage || i->clk == 0))
        return cpu_t_exit(c, cyc, icnt, c->mpend);
    if (CPU_LIKELY(cpu_eip_mpend(c) == next)) CPU_T_NEXT();
    CPU_T_JUMPED(next);
}

static int exc_class(int v)   /* 1 benign, 2 contributory, 3 page fault */
{
    if (v == CPU_EXC_DE || (v >= CPU_EXC_TS && v <= CPU_EXC_GP)) return 2;
    return v == CPU_EXC_PF ? 3 : 1;
}

/* A fault longjmp'ed here: double-fault rules, then intercept or deliver. */
static void handle_fault(cpu_state *c)
{
    int vec = c->exc_vec, has_err = c->exc_has_err;
    uint32_t err = c->exc_err;
    if (c->delivering >= 0) {
        int prev = c->delivering;
        if (prev == CPU_EXC_DF || ++c->exc_nest > CPU_NESTED_EXC_MAX) {
            c->info.message = "triple fault (exception while delivering #DF)";
            c->info.fault_eip = c->exc_eip;
            c->delivering = -1;
            cpu_stop_now(c, CPU_STOP_TRIPLE_FAULT);
            return;
        }
        if ((exc_class(prev) == 2 && exc_class(vec) == 2) ||
            (exc_class(prev) == 3 && exc_class(vec) >= 2)) {
            vec = CPU_EXC_DF;
            has_err = 1;
            err = 0;
        }
    } else {
        c->exc_eip = c->eip;
        c->exc_nest = 0;
    }
    c->eip = c->exc_eip;
    c->delivering = vec;
    if (c->cfg.exc_intercept & (1u << vec)) {
        c->exc_trap = 0;
        cpu_dbg_host_handled(c);   /* DBG-2 (debug.c) */
        c->info.vector = (uint8_t)vec;
        c->info.has_error_code = (uint8_t)has_err;
        c->info.error_code = err;
        c->info.fault_eip = c->exc_eip;
        c->delivering = -1;
        cpu_stop_now(c, CPU_STOP_EXCEPTION);
        return;
    }
    /* DBG-5 (debug.c): a fault's EFLAGS image carries RF; a trap's does not. */
    c->exc_rf = c->exc_trap && vec == CPU_EXC_DB ? 0u : CPU_RF;
    c->exc_trap = 0;
    cpu_deliver(c, (uint8_t)vec, CPU_INT_EXC, has_err, err, c->exc_eip);
    c->exc_rf = 0;
    c->delivering = -1;
    cpu_dbg_delivered(c);
}

int cpu_run(cpu_state *c, uint64_t budget_cycles, cpu_stop_info *info)
{
    assert(c && !c->in_run);
    if (c->pending_stop) {   /* a stop caused by cpu_interrupt()'s delivery */
        c->pending_stop = 0;
        c->info.reason = c->stop;
        if (info) *info = c->info;
        return c->stop;
    }
    c->in_run = 1;
    if (c->cfg.wait_states) cpu_tlb_flush(c);   /* entries filled while they were off */
    memset(&c->info, 0, sizeof c->info);
    c->stop = CPU_STOP_BUDGET;
    c->cycle_end = budget_cycles > UINT64_MAX - c->cycles ? UINT64_MAX
                                                          : c->cycles + budget_cycles;
    c->bp_skip_icount = c->icount;
    c->delivering = -1;
    if (c->step_fn && c->icount >= c->step_from)
        c->code_lin_page = CPU_TLB_INVALID;   /* the first fetch calls it too */
    if (c->stop_req) cpu_stop_now(c, CPU_STOP_REQUEST);
    c->stop_req = 0;
    c->exc_rf = 0;
    c->fl.undef = (uint8_t)(c->cfg.undef_flags == CPU_UNDEF_LATER);   /* cpu386.h */
    if (setjmp(c->jb)) {
        handle_fault(c);   /* a nested fault comes back here too */
    } else if (CPU_UNLIKELY(c->dbg & CPU_DBG_PEND)) {
        cpu_dbg_deliver_pending(c);   /* DBG-8 (debug.c): longjmps to handle_fault */
    }
    /* The loop returns on budget or on a stop (cycle_end = 0). */
    run_loop(c);
    if (c->stop_req && c->stop == CPU_STOP_BUDGET) c->stop = CPU_STOP_REQUEST;
    c->stop_req = 0;
    c->info.reason = c->stop;
    if (c->stop == CPU_STOP_BUDGET || c->stop == CPU_STOP_REQUEST) c->info.fault_eip = c->eip;
    if (info) *info = c->info;
    c->in_run = 0;
    return c->stop;
}

void cpu_request_stop(cpu_state *c)
{
    c->stop_req = 1;
    if (c->in_run) {
        if (c->stop == CPU_STOP_BUDGET) c->stop = CPU_STOP_REQUEST;
        c->cycle_end = 0;
        c->code_lin_page = CPU_TLB_INVALID;   /* ends run_loop's chain */
    }
}

int cpu_interrupt(cpu_state *c, uint8_t vector)
{
    assert(c && !c->in_run);
    if (!(c->fl.eflags & CPU_IF) || c->icount < c->shadow_icount) return CPU_EINVAL;
    if (c->dbg & CPU_DBG_PEND) return CPU_EINVAL;   /* a held debug trap goes first */
    c->in_run = 1;
    if (c->cfg.wait_states) cpu_tlb_flush(c);   /* as in cpu_run */
    c->delivering = -1;
    c->stop = CPU_STOP_BUDGET;
    c->cycle_end = UINT64_MAX;
    memset(&c->info, 0, sizeof c->info);
    if (setjmp(c->jb)) {
        handle_fault(c);
    } else {
        cpu_deliver(c, vector, CPU_INT_HW, 0, 0, c->eip);
        cpu_dbg_delivered(c);
    }
    c->in_run = 0;
    if (c->stop != CPU_STOP_BUDGET) c->pending_stop = 1;
    return CPU_OK;
}
