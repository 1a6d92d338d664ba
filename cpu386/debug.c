/*
** debug.c — the 386's debug features (Intel 80386 Programmer's Reference Manual, 1986,
** chapter 12): the single-step trap (TF), the resume flag (RF), and the debug
** registers DR0–DR3, DR6, DR7 (instruction breakpoints, data write and read/write
** breakpoints of 1, 2 or 4 bytes, general detect).
**
** Cost when unused: the hot loop (run.c) tests one byte, c->dbg, after each
** instruction. It is nonzero only while TF or RF is set, a data breakpoint has hit,
** or a trap is held; cpu_dbg_update() recomputes it whenever TF or RF change.
** Instruction breakpoints cost nothing per instruction: their decoded entries carry
** the breakpoint mark (tag bit 31, as host breakpoints do), which keeps them off the
** fast paths, so only the slow fetch (run.c, fetch_slow) checks DR0–DR3. Data
** breakpoints keep the pages they watch out of the TLBs, so only the slow memory
** paths (mem.c, cpu_lrd/cpu_lwr) match them.
**
** Rules implemented (DBG-n are this file's rule IDs, cited where the code applies them):
**   DBG-1 single step: a trap after an instruction that began with TF = 1, with
**         DR6.BS; not after the instruction that sets TF (POPF, IRET).
**   DBG-2 an interrupt or exception delivered during an instruction (INT n, INT 3,
**         INTO, a fault, a hardware interrupt) discards its pending debug traps: the
**         handler starts with TF clear and is not single-stepped. When the host
**         takes it instead (exc_intercept, int_intercept, a VMM call), the next
**         instruction is single-stepped if TF is set, as after the handler's IRET.
**   DBG-3 MOV SS and POP SS hold debug traps for one instruction (as they hold
**         interrupts), so SS:ESP are loaded together before any handler runs.
**   DBG-4 instruction breakpoints are faults, taken before the instruction at the
**         linear address CS.base + EIP (the first prefix), unless RF is set.
**   DBG-5 RF is cleared after every instruction that completes, except the one that
**         loaded it (IRET, or the host); every fault pushes RF = 1 in its EFLAGS image
**         (traps do not), so an IRET back to a faulting instruction does not fault on
**         its breakpoint again.
**   DBG-6 data breakpoints are traps after the instruction that accessed any byte of
**         the field [DRn & ~(len-1), +len), len 1, 2 or 4; R/W = 01 writes only,
**         11 reads and writes; R/W = 10 (undefined on the 386) never matches and
**         LEN = 10 (undefined) is taken as 1 byte. DR6.Bn is set for every
**         matching breakpoint, enabled or not, as the manual allows.
**   DBG-7 general detect: with DR7.GD set, MOV to or from any DRn is a #DB fault with
**         DR6.BD set, and GD is cleared for the handler.
**   DBG-8 a trap due when the run is stopping (HLT, a VMM call, a host request) is
**         held (CPU_DBG_PEND) and delivered before the next instruction executes,
**         at the start of the next cpu_run().
** The DR6 bits are never cleared by the processor (the handler clears them).
*/
#include "cpu_int.h"

#define DR7_GD 0x2000u

static unsigned dr7_enabled(uint32_t dr7, unsigned n) { return (dr7 >> (2u * n)) & 3u; }
static unsigned dr7_rw(uint32_t dr7, unsigned n) { return (dr7 >> (16u + 4u * n)) & 3u; }

static uint32_t dr7_len(uint32_t dr7, unsigned n)
{
    static const uint32_t len[4] = { 1, 2, 1, 4 };   /* DBG-6: LEN = 10 taken as 1 */
    return len[(dr7 >> (18u + 4u * n)) & 3u];
}

void cpu_set_step_hook(cpu_state *c, cpu_step_fn fn, void *ud)
{
    assert(c && !c->in_run);
    c->step_fn = fn;
    c->step_ud = fn ? ud : NULL;
    c->step_from = 0;
    c->code_lin_page = CPU_TLB_INVALID;
    cpu_dbg_update(c);
}

int cpu_watch_set(cpu_state *c, unsigned slot, uint32_t lin, uint32_t len, unsigned rw)
{
    assert(c);
    if (slot >= CPU_HOST_WATCH_MAX || rw > (CPU_WATCH_READ | CPU_WATCH_WRITE) ||
        (rw && (len < 1 || len > 4 || lin > 0xFFFFFFFFu - (len - 1u))))
        return CPU_EINVAL;
    c->hw_lin[slot] = rw ? lin : 0;
    c->hw_len[slot] = rw ? len : 0;
    c->hw_rw[slot] = (uint8_t)rw;
    c->hw_hits &= ~(1u << slot);
    cpu_dbg_dr_written(c);   /* recomputes dbg_data, flushes the TLBs of watched pages */
    return CPU_OK;
}

uint32_t cpu_watch_hits(cpu_state *c)
{
    uint32_t h;
    assert(c && c->hw_hits < (1u << CPU_HOST_WATCH_MAX));
    h = c->hw_hits;
    c->hw_hits = 0;
    return h;
}

void cpu_step_hook_from(cpu_state *c, uint64_t icount)
{
    assert(c);
    c->step_from = icount;
    if (icount <= c->icount) c->code_lin_page = CPU_TLB_INVALID;   /* armed at once */
}

void cpu_dbg_update(cpu_state *c)
{
    uint8_t d = (uint8_t)(c->dbg & (CPU_DBG_ARMED | CPU_DBG_HIT | CPU_DBG_PEND));
    if (c->fl.eflags & CPU_TF) d |= CPU_DBG_TF;
    if (c->fl.eflags & CPU_RF) d |= CPU_DBG_RF;
    if (c->step_fn) d |= CPU_DBG_HOST;
    c->dbg = d;
}

/* DBG-2: a delivery discards the traps of the instruction it interrupts. */
static void dbg_discard(cpu_state *c)
{
    c->dbg_hits = 0;
    c->dbg &= (uint8_t)~(CPU_DBG_ARMED | CPU_DBG_HIT);
    cpu_dbg_update(c);
}

void cpu_dbg_delivered(cpu_state *c) { dbg_discard(c); }

/* DBG-2 when the host is the handler (an intercepted exception, INT n or VMM call):
** the traps are discarded and, as after the IRET that would end a handler, the next
** instruction is armed when TF is set. */
void cpu_dbg_host_handled(cpu_state *c)
{
    dbg_discard(c);
    if (c->fl.eflags & CPU_TF) c->dbg |= CPU_DBG_ARMED;
}

static _Noreturn void raise_trap(cpu_state *c)
{
    c->exc_trap = 1;   /* DBG-5: no RF in the pushed image */
    cpu_fault0(c, CPU_EXC_DB);
}

/* After an instruction completed (c->icount already counts it) with c->dbg != 0. */
void cpu_dbg_after(cpu_state *c)
{
    uint32_t dr6 = 0;
    uint64_t done = c->icount - 1u;           /* the instruction that completed */
    int hold = c->ss_hold_icount == done + 2u;   /* DBG-3: it was MOV/POP SS */
    int armed = (c->dbg & CPU_DBG_ARMED) != 0;
    assert(c->icount > 0);
    if (c->dbg & CPU_DBG_HOST) {
        if (c->icount >= c->step_from)
            c->code_lin_page = CPU_TLB_INVALID;   /* the next fetch calls the step hook */
        if (c->dbg == CPU_DBG_HOST) return;
    }
    if ((c->fl.eflags & CPU_RF) && c->rf_icount != done)
        c->fl.eflags &= ~CPU_RF;              /* DBG-5 */
    if (!hold) {
        if (armed) dr6 |= CPU_DR6_BS;         /* DBG-1 */
        if (c->dbg & CPU_DBG_HIT) dr6 |= c->dbg_hits;   /* DBG-6 */
        c->dbg_hits = 0;
        c->dbg &= (uint8_t)~(CPU_DBG_ARMED | CPU_DBG_HIT);
    }
    /* The next instruction is armed when TF is set now (DBG-1), or when a held
    ** single-step trap carries over it (DBG-3). */
    if ((c->fl.eflags & CPU_TF) || (hold && armed)) c->dbg |= CPU_DBG_ARMED;
    else c->dbg &= (uint8_t)~CPU_DBG_ARMED;
    cpu_dbg_update(c);
    if (!dr6) return;
    c->dr[6] |= dr6;
    if (c->cycle_end == 0 || c->stop_req) {   /* DBG-8: the run is stopping */
        c->dbg |= CPU_DBG_PEND;
        return;
    }
    raise_trap(c);
}

void cpu_dbg_deliver_pending(cpu_state *c)
{
    assert(c->dbg & CPU_DBG_PEND);
    c->dbg &= (uint8_t)~CPU_DBG_PEND;
    raise_trap(c);
}

uint32_t cpu_dbg_exec_bits(const cpu_state *c, uint32_t lin)
{
    uint32_t dr7 = c->dr[7], bits = 0;
    unsigned n;
    for (n = 0; n < 4; n++)
        if (dr7_enabled(dr7, n) && dr7_rw(dr7, n) == 0 && c->dr[n] == lin) bits |= 1u << n;
    return bits;
}

/* [lo, lo + len) and [a, a + n) share a byte (64-bit sums: no wrap at 4 GiB). */
static int overlaps(uint32_t lo, uint32_t len, uint32_t a, uint32_t n)
{
    return (uint64_t)a < (uint64_t)lo + len && (uint64_t)lo < (uint64_t)a + n;
}

void cpu_dbg_data(cpu_state *c, uint32_t lin, unsigned n, int write)
{
    uint32_t dr7 = c->dr[7], hits = 0;
    unsigned k;
    assert(n >= 1 && n <= 4);
    for (k = 0; k < 4; k++) {
        unsigned rw = dr7_rw(dr7, k);
        uint32_t len = dr7_len(dr7, k);
        if (!dr7_enabled(dr7, k) || rw == 0 || rw == 2 || (rw == 1 && !write)) continue;
        if (overlaps(c->dr[k] & ~(len - 1u), len, lin, n)) hits |= 1u << k;
    }
    if (hits) {
        c->dbg_hits |= hits;
        c->dbg |= CPU_DBG_HIT;
    }
    for (k = 0; k < CPU_HOST_WATCH_MAX; k++)   /* the host's: recorded, nothing raised */
        if ((c->hw_rw[k] & (write ? CPU_WATCH_WRITE : CPU_WATCH_READ)) &&
            overlaps(c->hw_lin[k], c->hw_len[k], lin, n))
            c->hw_hits |= 1u << k;
}

int cpu_dbg_page_watched(const cpu_state *c, uint32_t lin_page)
{
    uint32_t dr7 = c->dr[7];
    unsigned k;
    for (k = 0; k < 4; k++) {
        uint32_t len = dr7_len(dr7, k);
        unsigned rw = dr7_rw(dr7, k);
        if (dr7_enabled(dr7, k) && (rw == 1 || rw == 3) &&
            overlaps(c->dr[k] & ~(len - 1u), len, lin_page & ~0xFFFu, 0x1000u))
            return 1;
    }
    for (k = 0; k < CPU_HOST_WATCH_MAX; k++)
        if (c->hw_rw[k] && overlaps(c->hw_lin[k], c->hw_len[k], lin_page & ~0xFFFu, 0x1000u))
            return 1;
    return 0;
}

void cpu_dbg_remark(cpu_state *c)
{
    unsigned n;
    for (n = 0; n < 4; n++)
        if (dr7_enabled(c->dr[7], n) && dr7_rw(c->dr[7], n) == 0)
            cpu_breakpoint_mark(c, c->dr[n]);
}

void cpu_dbg_dr_written(cpu_state *c)
{
    uint32_t dr7 = c->dr[7];
    unsigned n;
    c->dbg_exec = c->dbg_data = 0;
    for (n = 0; n < 4; n++) {
        if (!dr7_enabled(dr7, n)) continue;
        if (dr7_rw(dr7, n) == 0) c->dbg_exec = 1;
        else if (dr7_rw(dr7, n) != 2) c->dbg_data = 1;
    }
    for (n = 0; n < CPU_HOST_WATCH_MAX; n++)   /* host watches take the same slow paths */
        if (c->hw_rw[n]) c->dbg_data = 1;
    cpu_tlb_flush(c);     /* drops TLB entries of pages now watched; ends chaining */
    cpu_dbg_remark(c);
}

/* DBG-7: MOV to or from a debug register while DR7.GD is set. */
void cpu_dbg_gd_check(cpu_state *c)
{
    if (!(c->dr[7] & DR7_GD)) return;
    c->dr[6] |= CPU_DR6_BD;
    c->dr[7] &= ~DR7_GD;
    cpu_fault0(c, CPU_EXC_DB);
}
