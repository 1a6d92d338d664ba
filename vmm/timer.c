/*
** timer.c — the system timer, system and VM execution time, and time-outs (TO-1).
**
** Time is derived from the cycle count: system time (ms) = cycles · 1000 / clock_hz,
** and timer tick k falls at cycle ceil(k · timer_tick_ms · clock_hz / 1000). Ticks are
** only queued while a time-out waits for one, so runs without time-outs see none.
** A time-out falls due at the first tick at or after its due time; its callback runs
** at the VMM's next return to a VM (event time), global ones in the current VM, VM
** ones in their VM (docs/vmm.md, "Time-outs").
*/
#include <string.h>

#include "vmm_int.h"

void vmmi_tm_reset(vmm_state *v) {
    vmm_ev *list = v->tm.list;   /* storage stays */
    uint32_t cap = v->tm.cap;
    assert(list && cap > 0);
    memset(&v->tm, 0, sizeof v->tm);
    v->tm.list = list;
    v->tm.cap = cap;
}

static uint64_t hz(const vmm_state *v) { return v->m.clock_hz; }
static uint64_t tick_ms(const vmm_state *v) { return v->m.timer_tick_ms; }

uint64_t vmmi_tm_sys_ms(const vmm_state *v) { return vmmi_cycles(v) * 1000 / hz(v); }
static uint64_t ms_cyc(const vmm_state *v, uint64_t ms) { return (ms * hz(v) + 999) / 1000; }
static uint64_t tick_cycle(const vmm_state *v, uint64_t k) { return (k * tick_ms(v) * hz(v) + 999) / 1000; }

/* Get_Last_Updated_System_Time: the system time at the last tick. */
static uint64_t last_tick_ms(const vmm_state *v) {
    assert(tick_ms(v) > 0 && hz(v) > 0);   /* machine limits: timer_tick_ms, clock_hz >= 1 */
    return vmmi_cycles(v) * 1000 / (tick_ms(v) * hz(v)) * tick_ms(v);
}

/* The first tick at or after cycle c. */
static uint64_t first_tick(const vmm_state *v, uint64_t c) {
    uint64_t k = c == 0 ? 0 : (1000 * (c - 1)) / (tick_ms(v) * hz(v)) + 1;
    assert(tick_cycle(v, k) >= c && (k == 0 || tick_cycle(v, k - 1) < c));
    return k;
}

/* Partial-order reduction (por.c): the cycles around now at which a read of the
** system time gives the same millisecond. */
static void ms_range(const vmm_state *v, uint64_t *lo, uint64_t *hi) {
    uint64_t ms = vmmi_tm_sys_ms(v);
    *lo = (ms * hz(v) + 999) / 1000;
    *hi = ((ms + 1) * hz(v) + 999) / 1000 - 1;
    assert(*lo <= vmmi_cycles(v) && vmmi_cycles(v) <= *hi);
}

/* A global time-out set now, due_cyc = now + d: its result (due_ms, the tick it
** falls due at) is the same while now stays in its millisecond and due_cyc between
** the tick before that tick and it. d = 0 (due at once, a tie with the tick being
** dispatched) is left to the coarse rule. */
static void por_timeout_read(vmm_state *v, uint64_t d) {
    uint64_t lo, hi, now = vmmi_cycles(v);
    assert(v->por.fp != NULL && now + d >= now);
    if (d == 0) { vmmi_por_time(v); return; }
    ms_range(v, &lo, &hi);
    uint64_t k = first_tick(v, now + d);
    uint64_t tlo = k == 0 ? 0 : tick_cycle(v, k - 1) + 1, thi = tick_cycle(v, k);
    tlo = tlo > d ? tlo - d : 0;
    thi -= d;
    vmmi_por_time_read(v, lo > tlo ? lo : tlo, hi < thi ? hi : thi);
}

static uint64_t exec_cyc(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->vm[vm].exec_cycles + (vm == v->run.cur ? vmmi_cycles(v) - v->vm[vm].run_since : 0);
}

/* Execution time accounting on a task switch; VM time-outs of the new VM run on. */
void vmmi_tm_switch(vmm_state *v, uint32_t old, uint32_t to) {
    assert(old < v->nvms && to < v->nvms && old != to);
    uint64_t now = vmmi_cycles(v);
    v->vm[old].exec_cycles += now - v->vm[old].run_since;
    v->vm[to].run_since = now;
    if (v->tm.n) vmmi_tm_arm(v);
}

static void rec(vmm_state *v, int op, const vmm_ev *t, uint64_t late) {
    assert(t->type <= VMM_TOT_PRIO);
    uint64_t vm = t->type == VMM_TOT_GLOBAL ? VMM_NONE : t->vm;
    vmmi_rec(v, VMM_REC_TIMEOUT, 5, (uint64_t)op | (uint64_t)t->type << 8 | vm << 16 | late << 32,
            t->handle, t->cb, t->ref, t->due_ms, 0);
}

/* Queues the timer tick the earliest pending time-out needs (VM time-outs of VMs
** that are not running need none yet). */
void vmmi_tm_arm(vmm_state *v) {
    uint64_t now = vmmi_cycles(v), best = UINT64_MAX;
    for (uint32_t i = 0; i < v->tm.n; i++) {
        const vmm_ev *t = &v->tm.list[i];
        uint64_t c;
        if (t->fired) continue;
        if (t->type != VMM_TOT_VM) c = t->due_cyc;
        else if (t->vm != v->run.cur) continue;
        else {
            uint64_t e = exec_cyc(v, t->vm);
            c = now + (t->due_cyc > e ? t->due_cyc - e : 0);
        }
        if (c < best) best = c;
    }
    if (best == UINT64_MAX) return;
    uint64_t k = first_tick(v, best < now ? now : best);
    if (k < v->tm.ticks_done) k = v->tm.ticks_done;   /* a tick is dispatched once */
    uint64_t at = tick_cycle(v, k);
    if (v->tm.tick_armed && v->tm.tick_cycle <= at) return;
    if (v->tm.tick_armed) {
        int rc = eng_queue_cancel(v->q, v->tm.tick_seq);
        assert(rc == ENG_OK);
        (void)rc;
    }
    if (eng_queue_push(v->q, at, VMM_EV_CLASS_TIMER, VMM_EV_TICK, k, 0, &v->tm.tick_seq) != ENG_OK) {
        vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
        return;
    }
    v->tm.tick_armed = 1;
    v->tm.tick_cycle = at;
    v->tm.tick_k = k;
}

/* Tick k: time-outs whose time has come fall due (a priority event's time-out makes
** it run with CF set, EV-2). */
void vmmi_tm_tick(vmm_state *v, uint64_t k) {
    vmmi_por_tag(v, VMM_POR_TM, 1);
    assert(v->tm.n <= v->tm.cap);
    uint64_t now = vmmi_cycles(v);
    v->tm.tick_armed = 0;
    v->tm.ticks_done = k + 1;
    for (uint32_t i = 0; i < v->tm.n;) {
        vmm_ev *t = &v->tm.list[i];
        assert(t->type <= VMM_TOT_PRIO && (t->type == VMM_TOT_GLOBAL || t->vm < v->nvms));
        int due = !t->fired && (t->type == VMM_TOT_VM ? t->vm == v->run.cur && exec_cyc(v, t->vm) >= t->due_cyc
                                                      : t->due_cyc <= now);
        if (!due) { i++; continue; }
        rec(v, VMM_TOOP_DUE, t, 0);
        if (t->type == VMM_TOT_PRIO) {
            uint32_t ev = t->link;
            memmove(t, t + 1, (v->tm.n - i - 1) * sizeof *t);
            v->tm.n--;
            vmmi_ev_prio_timed_out(v, ev);
            continue;
        }
        t->fired = 1;
        i++;
    }
    vmmi_tm_arm(v);
}

int vmmi_tm_has_work_for(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    for (uint32_t i = 0; i < v->tm.n; i++)
        if (v->tm.list[i].fired && v->tm.list[i].type == VMM_TOT_VM && v->tm.list[i].vm == vm) return 1;
    return 0;
}

/* Event time: the first due time-out that may run in the current VM. ECX = how late,
** in ms, to the resolution of the last tick (as the DDK says). */
int vmmi_tm_work(vmm_state *v) {
    assert(v->run.cur < v->nvms && v->tm.n <= v->tm.cap);
    for (uint32_t i = 0; i < v->tm.n; i++) {
        vmm_ev t = v->tm.list[i];
        if (!t.fired || (t.type == VMM_TOT_VM && t.vm != v->run.cur)) continue;
        uint64_t now_ms = t.type == VMM_TOT_VM ? exec_cyc(v, t.vm) * 1000 / hz(v) : last_tick_ms(v);
        uint64_t late = now_ms > t.due_ms ? now_ms - t.due_ms : 0;
        if (late > 0xFFFFFFFFu) late = 0xFFFFFFFFu;
        memmove(&v->tm.list[i], &v->tm.list[i + 1], (v->tm.n - i - 1) * sizeof t);
        v->tm.n--;
        rec(v, VMM_TOOP_CALL, &t, late);
        vmm_cbargs a;
        memset(&a, 0, sizeof a);
        a.cb = t.cb;
        a.ebx = v->vm[v->run.cur].handle;
        a.ecx = (uint32_t)late;
        a.edx = t.ref;
        vmmi_ctx_start_cb(v, v->run.cur, VMM_CB_TIMEOUT, &a, 0, NULL);
        return 1;
    }
    return 0;
}

int vmmi_tm_set(vmm_state *v, int type, uint32_t vm, uint32_t ms, uint32_t cb, uint32_t ref,
           uint32_t link, uint32_t *handle) {
    assert(type <= VMM_TOT_PRIO && (type == VMM_TOT_GLOBAL || vm < v->nvms));
    vmm_ev t;
    *handle = 0;
    if (v->tm.n >= v->tm.cap) return VMM_OK;   /* ESI = 0: not scheduled */
    memset(&t, 0, sizeof t);
    t.type = (uint8_t)type;
    t.vm = vm;
    t.cb = cb;
    t.ref = ref;
    t.link = link;
    if (type == VMM_TOT_VM) {
        vmmi_por_time(v);   /* a VM's execution time: every step's cycles count (por.c) */
        t.due_cyc = exec_cyc(v, vm) + ms_cyc(v, ms);
        t.due_ms = exec_cyc(v, vm) * 1000 / hz(v) + ms;
    } else {
        if (v->por.fp) por_timeout_read(v, ms_cyc(v, ms));
        t.due_cyc = vmmi_cycles(v) + ms_cyc(v, ms);
        t.due_ms = vmmi_tm_sys_ms(v) + ms;
    }
    if ((t.handle = vmmi_ev_serial(v, VMM_H_TIMEOUT)) == 0) return v->run.err;
    v->tm.list[v->tm.n++] = t;
    *handle = t.handle;
    rec(v, VMM_TOOP_SET, &t, 0);
    vmmi_tm_arm(v);
    return VMM_OK;
}

/* Cancel_Time_Out (0 and unknown handles do nothing). quiet: a priority event's own
** time-out, removed with it. */
void vmmi_tm_cancel(vmm_state *v, uint32_t handle, int quiet) {
    assert(v->tm.n <= v->tm.cap);
    if (handle == 0) return;
    for (uint32_t i = 0; i < v->tm.n; i++) {
        if (v->tm.list[i].handle != handle) continue;
        vmm_ev t = v->tm.list[i];
        if (!quiet && t.type == VMM_TOT_PRIO) return;   /* not the caller's to cancel */
        memmove(&v->tm.list[i], &v->tm.list[i + 1], (v->tm.n - i - 1) * sizeof t);
        v->tm.n--;
        rec(v, VMM_TOOP_CANCEL, &t, 0);
        return;
    }
}

int vmmi_tm_svc(vmm_state *v, vmm_call *c, uint32_t num) {
    assert(c->vm < v->nvms);
    vmm_sregs *r = &c->r;
    int vm;
    switch (num) {
    case 0x3C:                                    /* Set_Global_Time_Out */
        return vmmi_tm_set(v, VMM_TOT_GLOBAL, c->vm, r->eax, r->esi, r->edx, 0, &r->esi);
    case 0x3D:                                    /* Set_VM_Time_Out */
        if ((vm = vmmi_vm_of_handle(v, r->ebx)) < 0)
            return vmmi_fail(v, VMM_EGUEST, "Set_VM_Time_Out: 0x%08x is not a VM handle", r->ebx);
        return vmmi_tm_set(v, VMM_TOT_VM, (uint32_t)vm, r->eax, r->esi, r->edx, 0, &r->esi);
    case 0x3E: vmmi_tm_cancel(v, r->esi, 0); return VMM_OK;
    case 0x3F: {                                                           /* Get_System_Time */
        uint64_t lo, hi;
        if (v->por.fp) {
            ms_range(v, &lo, &hi);
            vmmi_por_time_read(v, lo, hi);
        }
        r->eax = (uint32_t)vmmi_tm_sys_ms(v);
        return VMM_OK;
    }
    case 0x40: case 0xD0:                         /* Get_(Last_Updated_)VM_Exec_Time */
        if ((vm = vmmi_vm_of_handle(v, r->ebx)) < 0)
            return vmmi_fail(v, VMM_EGUEST, "Get_VM_Exec_Time: 0x%08x is not a VM handle", r->ebx);
        r->eax = (uint32_t)(exec_cyc(v, (uint32_t)vm) * 1000 / hz(v));
        if (num == 0xD0) r->eax = (uint32_t)(r->eax / tick_ms(v) * tick_ms(v));
        return VMM_OK;
    case 0xCF: r->eax = (uint32_t)last_tick_ms(v); return VMM_OK;      /* Get_Last_Updated_System_Time */
    }
    return 1;
}

const vmmi_cb_ops vmmi_tm_ops = { vmmi_ctx_step_one, NULL, NULL };
