/*
** run.c — the simulation loop: run guest code with a cycle budget up to the next
** event, handle the CPU's stops (service calls, callback returns, faults), dispatch
** due events, deliver stimuli, and advance time when no guest code can run.
** docs/vmm.md describes the model.
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

#define LOOP_IDLE_MAX 1000000u   /* VMM steps without simulated time passing: livelock */

void vmmi_run_reset(vmm_state *v) {
    assert(v->sys < v->nvms && v->sites);
    memset(&v->run, 0, sizeof v->run);
    v->run.oncpu = -1;
    v->run.cur = v->sys;
    memset(v->sites, 0, VMM_SITES * sizeof *v->sites);
    memset(v->wait, 0, (v->s->nstim + 1) * sizeof *v->wait);
}

/* ---- service calls ------------------------------------------------------------- */

/* The INT 20h path on the first call from a site, the patched near call after it. */
static int site_seen(vmm_state *v, uint32_t site) {
    assert(v->run.nsites < VMM_SITES);
    uint32_t h = (site * 2654435761u) & (VMM_SITES - 1);
    for (uint32_t k = 0; k < VMM_SITES; k++, h = (h + 1) & (VMM_SITES - 1)) {
        if (v->sites[h] == site) return 1;
        if (v->sites[h] == 0) {
            if (v->run.nsites < VMM_SITES * 3 / 4) { v->sites[h] = site; v->run.nsites++; }
            return 0;
        }
    }
    return 0;   /* table full: every further site pays the first-call path */
}

/* INT-1: only asynchronous services may be called at interrupt time. */
static void int_time_check(vmm_state *v, vmm_call *c) {
    assert(c->vm < v->nvms && c->ctx < v->nctx);
    char text[160], name[64];
    if (c->path == VMM_PATH_STIM) return;
    c->int_time = vmmi_ctx_int_time(v, c->ctx, &c->int_vmm);
    if (!c->int_time || vmmi_svc_async(c->dword)) return;
    snprintf(text, sizeof text, "%s is not asynchronous but was called at interrupt time by VM %s",
             vmmi_svc_name(c->dword, name, sizeof name), v->s->vms[c->vm].name);
    vmmi_finding_add(v, VMM_FND_INT1, c->vm, 0, c->dword & 0x7FFFFFFFu, 0, 0, text);
}

static int call_service(vmm_state *v, vmm_call *c) {
    assert(c->ctx < v->nctx && c->vm < v->nvms);
    int rc;
    vmmi_rec(v, VMM_REC_SERVICE, 6, (c->dword & 0x7FFFFFFFu) | (uint64_t)c->vm << 32 | (uint64_t)c->path << 48,
            c->r.eax, c->r.ebx, c->r.ecx, c->r.edx, c->r.esi);
    int_time_check(v, c);
    v->run.entered = 1;
    v->run.progress_cycle = vmmi_cycles(v);
    if ((rc = vmmi_svc_dispatch(v, c)) < 0) return rc;
    return vmmi_svc_finish(v, c);
}

static int on_vmmcall(vmm_state *v, const cpu_stop_info *info) {
    assert(v->run.oncpu >= 0 && info->vmmcall != 0);
    vmm_call c;
    memset(&c, 0, sizeof c);
    c.dword = info->vmmcall;
    c.ctx = (uint32_t)v->run.oncpu;
    c.vm = v->run.cur;
    c.path = site_seen(v, info->fault_eip) ? VMM_PATH_CALL : VMM_PATH_INT;
    c.site = info->fault_eip;
    /* cpu386 charges a trapped INT 20h only its decode (1 clock); the VMM charges the
    ** path: the first call from a site takes the INT (59) into the VMM, which patches
    ** the 6 bytes and IRETDs (38) to re-execute them as CALL [m32] (12) whose service
    ** returns with RET (12); later calls take only the CALL and the RET. */
    if (c.path == VMM_PATH_INT)
        vmmi_charge(v, VMM_CYC_INT20 + VMM_CYC_IRETD + VMM_CYC_CALL_M32 + VMM_CYC_RET);
    else
        vmmi_charge(v, VMM_CYC_CALL_M32 + VMM_CYC_RET);
    vmmi_charge(v, v->m.service_cycles);
    vmmi_sregs_get(v, &c.r);
    return call_service(v, &c);
}

static int on_int(vmm_state *v, const cpu_stop_info *info) {
    assert(v->run.oncpu >= 0);
    vmm_call c;
    if (info->vector != 0x2F)
        return vmmi_fail(v, VMM_EGUEST, "INT %02Xh at 0x%08x is not handled", info->vector, info->fault_eip);
    memset(&c, 0, sizeof c);
    c.ctx = (uint32_t)v->run.oncpu;
    c.vm = v->run.cur;
    c.path = VMM_PATH_INT2F;
    c.site = info->fault_eip;
    vmmi_sregs_get(v, &c.r);
    c.dword = 0x002F0000u | (c.r.eax & 0xFFFFu);
    vmmi_charge(v, v->m.service_cycles);
    return call_service(v, &c);
}

/* ---- running guest code ----------------------------------------------------------- */

/* A guest fault as the manuals and the scenario name it: "#GP(0) at DEMO.evil+3". */
static int guest_exception(vmm_state *v, const cpu_stop_info *info) {
    static const char *const mn[] = { "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                      "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
                                      "#MF", "#AC" };
    char where[VMM_NAME_MAX * 3 + 16], code[24] = "";
    assert(v && v->cpu && info);
    if (info->has_error_code) snprintf(code, sizeof code, "(0x%x)", info->error_code);
    if (info->has_error_code && info->error_code < 10) snprintf(code, sizeof code, "(%u)", info->error_code);
    vmmi_where(v, info->fault_eip, where, sizeof where);
    if (info->vector < sizeof mn / sizeof mn[0])
        return vmmi_fail(v, VMM_EGUEST, "%s%s at %s (exception %u at 0x%08x)", mn[info->vector], code,
                        where, info->vector, info->fault_eip);
    return vmmi_fail(v, VMM_EGUEST, "exception %u%s at %s (0x%08x)", info->vector, code, where,
                    info->fault_eip);
}

static int run_cpu(vmm_state *v, uint32_t ci) {
    assert(ci < v->nctx);
    cpu_stop_info info;
    eng_event ev;
    uint64_t now = vmmi_cycles(v), until = v->m.max_cycles;
    vmmi_ctx_load(v, ci);
    /* A budget stop can fall right after a callback's RET, with EIP on the stub's
    ** breakpoint; cpu_run never stops before its first instruction, so the return is
    ** taken here instead of running the stub's HLT. */
    if (cpu_get_eip(v->cpu) == VMM_STUB_CB_RET) {
        v->pic.hold = 0;                       /* the code returned: deliver now */
        v->run.progress_cycle = now;
        return vmmi_ctx_on_return(v);
    }
    if (eng_queue_peek(v->q, &ev) == ENG_OK && ev.cycle < until) until = ev.cycle;
    if (v->run.nwait && vmmi_win_until(v) < until) until = vmmi_win_until(v);
    if (v->m.hang_cycles && v->run.progress_cycle + v->m.hang_cycles < until)
        until = v->run.progress_cycle + v->m.hang_cycles;
    uint64_t budget = until > now ? until - now : 1;
    if (v->loop_slice && budget > v->loop_slice) budget = v->loop_slice;   /* loop hook's points */
    if (v->pic.hold) budget = 1;   /* INT-1: one instruction at a time to the chosen boundary */
    v->run.entered = 0;
    int stop = cpu_run(v->cpu, budget, &info);
    vmmi_io_flush(v);   /* port I/O stops the CPU after the instruction (vmm/io.c) */
    /* INT-1: an I/O stop (the only stop the VMM requests) ends an instruction as a budget
    ** stop does */
    if (v->pic.hold)
        v->pic.hold = stop == CPU_STOP_BUDGET || stop == CPU_STOP_REQUEST ? v->pic.hold - 1 : 0;
    switch (stop) {
    case CPU_STOP_BUDGET:
    case CPU_STOP_REQUEST:
    case CPU_STOP_STI:
        if (v->m.hang_cycles && vmmi_cycles(v) - v->run.progress_cycle >= v->m.hang_cycles)
            return vmmi_fail(v, VMM_EHANG, "VxD code ran %llu cycles without entering the VMM (EIP 0x%08x)",
                            (unsigned long long)v->m.hang_cycles, cpu_get_eip(v->cpu));
        return VMM_OK;
    case CPU_STOP_VMMCALL:
        return on_vmmcall(v, &info);
    case CPU_STOP_INT:
        return on_int(v, &info);
    case CPU_STOP_BREAKPOINT:
        if (cpu_get_eip(v->cpu) != VMM_STUB_CB_RET)
            return vmmi_fail(v, VMM_EGUEST, "unexpected breakpoint at 0x%08x", cpu_get_eip(v->cpu));
        v->run.progress_cycle = vmmi_cycles(v);
        return vmmi_ctx_on_return(v);
    case CPU_STOP_HLT:
        return vmmi_fail(v, VMM_EGUEST, "HLT in VxD code at 0x%08x", info.fault_eip);
    case CPU_STOP_EXCEPTION:
        return guest_exception(v, &info);
    default:
        return vmmi_fail(v, VMM_EGUEST, "cpu stopped (%s) at 0x%08x: %s", cpu_stop_name(stop),
                        info.fault_eip, info.message ? info.message : "");
    }
}

/* ---- events and stimuli ----------------------------------------------------------- */

static void dispatch_event(vmm_state *v, const eng_event *ev) {
    vmmi_rec(v, VMM_REC_EVENT, 3, ev->seq, ev->kind, ev->a, 0, 0, 0);
    if (ev->kind == VMM_EV_TICK) { vmmi_tm_tick(v, ev->a); return; }
    if (ev->kind == VMM_EV_IRET) { vmmi_irq_iret(v, (uint32_t)ev->a); return; }
    if (ev->kind == VMM_EV_SLICE) { vmmi_sl_end(v, ev->a); return; }
    if (ev->kind == VMM_EV_IRET_TO) { vmmi_irq_iret_timeout(v, (uint32_t)ev->a, ev->seq); return; }
    if (ev->kind == VMM_EV_RET_TO) { vmmi_nx_ret_timeout(v, (uint32_t)ev->a, ev->seq); return; }
    assert(ev->kind == VMM_EV_STIMULUS && ev->a < v->s->nstim && v->run.npend < v->s->nstim);
    if (vmmi_win_defer(v, (uint32_t)ev->a)) return;   /* window steps: a later step */
    vmmi_stim_fire(v, (uint32_t)ev->a);
}

/* A stimulus takes effect: an IRQ at once, the others when the VMM can deliver them. */
void vmmi_stim_fire(vmm_state *v, uint32_t i) {
    assert(i < v->s->nstim && v->run.npend < v->s->nstim);
    v->run.nstim_fired++;
    vmmi_por_tag(v, VMM_POR_PEND, 1);   /* the pending FIFO's order */
    const vmm_stimulus *t = &v->s->stim[i];
    if (t->kind == VMM_STIM_IRQ) {               /* INT-1: the hardware does not wait */
        vmmi_rec(v, VMM_REC_STIMULUS, 5, i, t->kind, t->vm, 0, t->arg, 0);
        if (v->por.nwin) vmmi_por_within_stim(v, i);
        vmmi_irq_raise(v, t->arg);
        return;
    }
    v->pend[v->run.npend++] = i;
}

/* Dispatches every event due by now; several of one (cycle, class) are a SAME_CYCLE
** choice (canonically FIFO). */
static void dispatch_due(vmm_state *v) {
    eng_event ev[VMM_SAME_CYCLE_MAX], head;
    uint64_t now = vmmi_cycles(v);
    while (eng_queue_peek(v->q, &head) == ENG_OK && head.cycle <= now) {
        uint32_t n = 0;
        while (n < VMM_SAME_CYCLE_MAX && eng_queue_peek(v->q, &ev[n]) == ENG_OK &&
               ev[n].cycle == head.cycle && ev[n].cls == head.cls) {
            if (!ALWAYS(eng_queue_pop(v->q, &ev[n]) == ENG_OK)) {   /* peeked: it is there */
                vmmi_fail(v, VMM_EBROKEN, "the event queue lost a peeked event");
                return;
            }
            n++;
        }
        assert(n >= 1 && n <= VMM_SAME_CYCLE_MAX);
        uint64_t src[VMM_SAME_CYCLE_MAX];   /* PCT: a queue event is its (kind, index) */
        for (uint32_t k = 0; k < n; k++) src[k] = ENG_SRC_QUEUE(ev[k].kind, ev[k].a);
        while (n > 0) {
            uint64_t ids[VMM_SAME_CYCLE_MAX];
            for (uint32_t k = 0; k < n; k++) ids[k] = VMM_POR_ID_SEQ | ev[k].seq;   /* fixed while queued */
            uint32_t k = vmmi_choose_opts(v, ENG_CHOICE_SAME_CYCLE, n, ids, src);
            if (v->por.fp && (ev[k].kind == VMM_EV_TICK || ev[k].kind == VMM_EV_STIMULUS))
                vmmi_por_due(v, ev[k].cycle);   /* fixed times: the tick's, the timeline's */
            dispatch_event(v, &ev[k]);
            memmove(&ev[k], &ev[k + 1], (n - k - 1) * sizeof ev[0]);
            memmove(&src[k], &src[k + 1], (n - k - 1) * sizeof src[0]);
            n--;
        }
    }
}

/* Stimuli that the VM's client code performs need the VM to be running; the
** others are actions on a VM. */
static int needs_vm(uint32_t kind) {
    assert(kind > 0 && kind < VMM_STIM_KIND_COUNT);
    return kind != VMM_STIM_WAKE && kind != VMM_STIM_SUSPEND && kind != VMM_STIM_RESUME &&
           kind < VMM_STIM_CREATE_VM;   /* VML: create_vm, destroy_vm, exit act on VMs */
}

/* An INT 2Fh entry point (1680h, 1681h, 1682h, 1689h) taken by VM vm's client, from a
** timeline stimulus or from its code (client.c): one path for both, so that client
** code reaches the VMM exactly as the stimuli do. */
int vmmi_run_int2f(vmm_state *v, uint32_t vm, uint32_t dword, int path, uint32_t eax) {
    assert(vm < v->nvms && dword >> 16 == 0x2F);
    assert(path == VMM_PATH_STIM || path == VMM_PATH_CLIENT);
    vmm_call c;
    memset(&c, 0, sizeof c);
    c.dword = dword;
    c.vm = v->run.cur;
    c.ctx = vm;
    c.path = path;
    c.r.eax = eax;
    c.r.ebx = v->vm[vm].handle;
    c.r.ebp = vmmi_client_ptr(v, vm);
    c.r.eflags = 0x202;
    vmmi_charge(v, v->m.service_cycles);
    return call_service(v, &c);
}

static int stim_service(vmm_state *v, const vmm_stimulus *t, uint32_t dword) {
    assert(t->vm < v->nvms && dword != 0);
    vmm_call c;
    if (dword >> 16 == 0x2F) return vmmi_run_int2f(v, t->vm, dword, VMM_PATH_STIM, dword & 0xFFFFu);
    memset(&c, 0, sizeof c);
    c.dword = dword;
    c.vm = v->run.cur;
    c.ctx = needs_vm(t->kind) ? t->vm : v->run.cur;
    c.path = VMM_PATH_STIM;
    c.r.eax = dword >> 16 == 0x2F ? dword & 0xFFFFu : 0;
    c.r.ebx = v->vm[t->vm].handle;
    c.r.ebp = vmmi_client_ptr(v, t->vm);
    c.r.eflags = 0x202;
    vmmi_charge(v, v->m.service_cycles);
    return call_service(v, &c);
}

static int deliver(vmm_state *v, uint32_t i) {
    assert(i < v->s->nstim);
    const vmm_stimulus *t = &v->s->stim[i];
    vmmi_rec(v, VMM_REC_STIMULUS, 5, i, t->kind, t->vm, t->kind == VMM_STIM_CALL ? t->target : 0, t->arg, 0);
    if (v->por.nwin) vmmi_por_within_stim(v, i);
    v->run.entered = 1;
    v->run.progress_cycle = vmmi_cycles(v);
    switch (t->kind) {
    case VMM_STIM_CALL:               return vmmi_ctx_start(v, t->vm, VMM_CB_CALL, i, 0, NULL);
    case VMM_STIM_RELEASE_TIME_SLICE: return stim_service(v, t, 0x002F1680u);
    case VMM_STIM_BEGIN_CRIT:         return stim_service(v, t, 0x002F1681u);
    case VMM_STIM_END_CRIT:           return stim_service(v, t, 0x002F1682u);
    case VMM_STIM_KERNEL_IDLE:        return stim_service(v, t, 0x002F1689u);
    case VMM_STIM_WAKE:               return stim_service(v, t, 0x00010039u);
    case VMM_STIM_SUSPEND:            return stim_service(v, t, 0x0001002Bu);
    case VMM_STIM_RESUME:             return stim_service(v, t, 0x0001002Cu);
    case VMM_STIM_CREATE_VM: case VMM_STIM_DESTROY_VM: case VMM_STIM_EXIT:
        return vmmi_life_stim(v, i);
    }
    return vmmi_fail(v, VMM_EINVAL, "stimulus %u has kind %u", i, t->kind);
}

/* The first pending stimulus that can take effect now. A stimulus for a VM other
** than the current one, which may run (ready, highest priority), makes the time
** slicer switch to it first. Returns 1 when something was done. */
static int deliver_pending(vmm_state *v) {
    assert(v->run.npend <= v->s->nstim);
    uint32_t best = vmmi_sched_max_pri(v);
    for (uint32_t k = 0; k < v->run.npend; k++) {
        uint32_t i = v->pend[k];
        assert(i < v->s->nstim);
        const vmm_stimulus *t = &v->s->stim[i];
        if (needs_vm(t->kind)) {
            if (!vmmi_vm_ready(v, t->vm) || v->vm[t->vm].pri != best) continue;
            if (t->vm != v->run.cur) { vmmi_sched_switch(v, t->vm, VMM_SW_SLICE); return 1; }
        }
        vmmi_por_tag(v, VMM_POR_PEND, 1);
        memmove(&v->pend[k], &v->pend[k + 1], (v->run.npend - k - 1) * sizeof *v->pend);
        v->run.npend--;
        deliver(v, i);
        return 1;
    }
    return 0;
}

/* The test build walks the invariants after each dispatch (vmm_check); a broken one
** ends the run with VMM_EBROKEN and says which. */
static int invariants_hold(vmm_state *v) {
    assert(v && v->cpu && v->q);
#ifdef VMMSIM_CHECKS
    char why[200];
    if (vmm_check(v, why, sizeof why) != VMM_OK) {
        vmmi_fail(v, VMM_EBROKEN, "invariant broken at cycle %llu: %s",
                  (unsigned long long)vmmi_cycles(v), why);
        return 0;
    }
#else
    (void)v;
#endif
    return 1;
}

/* Work when no guest code is running. Returns 1 when something was done. */
static int idle_work(vmm_state *v) {
    assert(v->run.cur < v->nvms);
    uint32_t cur = v->run.cur, best = vmmi_sched_max_pri(v);
    if (!v->run.booted) return 0;
    if (vmmi_nc_due(v)) { vmmi_nc_start(v); return 1; }
    /* VxD code of an equal-priority VM that was preempted: the slicer runs it. */
    for (uint32_t k = 1; k < v->nvms; k++) {
        uint32_t i = (cur + k) % v->nvms;
        if (vmmi_vm_ready(v, i) && vmmi_ctx_live(v, i) > 0 && v->vm[i].pri == best) {
            vmmi_sched_switch(v, i, VMM_SW_SLICE);
            return 1;
        }
    }
    if (vmmi_life_work(v)) return 1;          /* VML: a VM's creation or destruction */
    if (vmmi_irq_vid_work(v)) return 1;       /* INT-1: a due VID_EOI_Proc / VID_IRET_Proc */
    if (vmmi_nx_work(v)) return 1;            /* VCB-4: a due Call_When_VM_Returns time-out call */
    if (vmmi_ev_work(v)) return 1;            /* EV-1, EV-2, TO-1, INT-1: before returning to a VM */
    return deliver_pending(v);
}

static int runnable(vmm_state *v) {
    assert(v->run.cur < v->nvms && v->nctx == v->nvms + 1);
    uint32_t cur = v->run.cur;
    if (v->ctx[v->nvms].depth > 0) return (int)v->nvms;
    if (vmmi_vm_ready(v, cur) && vmmi_ctx_live(v, cur) > 0) return (int)cur;
    return -1;
}

/* The loop keeps nothing in locals across its steps: a snapshot taken at the top of
** a step (the loop hook) is resumed by entering the loop again (vmm_resume). */
int vmmi_run_loop(vmm_state *v) {
    assert(v->q && v->cpu && v->run.cur < v->nvms);
    eng_event ev;
    for (;;) {
        if (v->loop_hook) v->loop_hook(v->loop_hook_ud, v);
        uint64_t now = vmmi_cycles(v);
        if (v->run.err || v->life.exited) break;   /* VML: Windows exited */
        if (now >= v->m.max_cycles) { v->run.ended = 1 + VMM_END_MAX; break; }
        if (now == v->run.loop_last && ++v->run.loop_still > LOOP_IDLE_MAX)
            return vmmi_fail(v, VMM_EHANG, "the VMM made no progress at cycle %llu", (unsigned long long)now);
        if (now != v->run.loop_last) { v->run.loop_last = now; v->run.loop_still = 0; }
        v->run.step++;
        dispatch_due(v);
        if (v->run.nwait) vmmi_win_offer(v);   /* window steps: this step or a later one */
        if (!invariants_hold(v)) break;
        vmmi_sl_check(v);                     /* SL-1: the slice's VM is still scheduled */
        if (vmmi_irq_deliver(v)) continue;    /* INT-1: at this instruction boundary */
        /* INT-1: interrupt-time code is not preempted; the switch waits for its return */
        if (v->run.need_resched && v->run.booted && v->ctx[v->nvms].depth == 0 && !v->pic.in_hwint) {
            vmmi_sched_resched(v);
            continue;
        }
        int ci = runnable(v);
        assert(ci < (int)v->nctx);
        if (ci >= 0 && ci < (int)v->nvms && v->run.entered && !v->pic.in_hwint && vmmi_nc_due(v) &&
            !vmmi_nc_waits(v, (uint32_t)ci)) {
            vmmi_nc_start(v);
            continue;
        }
        if (ci >= 0) { run_cpu(v, (uint32_t)ci); continue; }
        if (v->pic.hold) { v->pic.hold = 0; continue; }   /* no code left: deliver now */
        if (idle_work(v)) continue;
        if (vmmi_cl_work(v)) continue;        /* the current VM's client code (client.c) */
        uint64_t next = vmmi_win_until(v);    /* a waiting stimulus's last cycle */
        if (eng_queue_peek(v->q, &ev) == ENG_OK && ev.cycle < next) next = ev.cycle;
        if (next == UINT64_MAX) break;
        if (v->por.fp) vmmi_por_idle(v, next < v->m.max_cycles ? next : v->m.max_cycles);
        cpu_set_cycles(v->cpu, next < v->m.max_cycles ? next : v->m.max_cycles);
    }
    return v->run.err;
}

/* END-1 (docs/vmm.md): what a run left undone when it ended. */
void vmm_end_info(const vmm_state *v, vmm_end *e) {
    assert(v && e && v->run.nstim_fired <= v->s->nstim && v->run.npend <= v->run.nstim_fired);
    memset(e, 0, sizeof *e);
    e->max_cycles = v->run.ended && v->run.end_reason == VMM_END_MAX;
    e->stimuli_left = v->s->nstim - v->run.nstim_fired + v->run.npend;
    e->code_vm = -1;
    for (uint32_t i = 0; i <= v->nvms; i++)
        if (v->ctx[i].depth > 0) {
            e->contexts_running++;
            if (e->code_vm < 0) e->code_vm = i < v->nvms ? (int)i : (int)v->run.cur;
        }
}

static int run_finish(vmm_state *v, int rc);

int vmm_run(vmm_state *v) {
    assert(v && v->s);
    const vmm_scenario *s = v->s;
    if (v->run.ended || v->tr.count)
        return vmmi_fail(v, VMM_EINVAL, "vmm_run: the machine has run; call vmm_reset first");
    vmmi_rec(v, VMM_REC_BOOT, 5, v->nvms, s->nvxds, s->nstim, v->m.clock_hz, v->m.memory_kb, 0);
    vmmi_rec_machine(v);
    for (uint32_t i = 0; i < v->nvms; i++)
        if (vmmi_life_boot_vm(v, i)) vmmi_rec_vmstate(v, i, VMM_ST_CREATE);
    for (uint32_t i = 0; i < s->nstim; i++) {
        const vmm_stimulus *t = &s->stim[i];
        uint64_t at = t->at_lo;
        if (t->at_hi > t->at_lo && !(v->explore & VMM_EXPLORE_WINDOW_STEPS))
            at += vmmi_choose(v, ENG_CHOICE_JITTER, (uint32_t)(t->at_hi - t->at_lo + 1));
        if (eng_queue_push(v->q, at, VMM_EV_CLASS_STIM, VMM_EV_STIMULUS, i, 0, NULL) != ENG_OK)
            return vmmi_fail(v, VMM_ELIMIT, "event queue full (%u)", v->m.event_capacity);
    }
    if (s->nvxds) vmmi_ctx_start(v, v->sys, VMM_CB_CONTROL, 0, 0, NULL);
    else v->run.booted = 1;
    v->run.loop_last = vmmi_cycles(v);
    return run_finish(v, vmmi_run_loop(v));
}

int vmm_resume(vmm_state *v) {
    assert(v && v->s);
    if (v->run.ended || !v->tr.count)
        return vmmi_fail(v, VMM_EINVAL, "vmm_resume: no run in progress (restore a snapshot first)");
    return run_finish(v, vmmi_run_loop(v));
}

void vmm_set_loop_hook(vmm_state *v, vmm_loop_hook fn, void *ud, uint64_t slice_cycles) {
    assert(v);
    v->loop_hook = fn;
    v->loop_hook_ud = fn ? ud : NULL;
    v->loop_slice = fn ? slice_cycles : 0;
}

/* The END record and the run's end state, after the loop returned rc. */
static int run_finish(vmm_state *v, int rc) {
    assert(v && v->s);
    int reason = rc ? VMM_END_ERROR : v->run.ended ? v->run.ended - 1 : VMM_END_DONE;
    vmmi_por_finish(v);
    vmmi_rec(v, VMM_REC_END, 3, (uint64_t)reason, (uint64_t)(int64_t)rc, v->run.nfind, 0, 0, 0);
    eng_trace_finish(&v->tr, vmmi_cycles(v));
    assert(rc != VMM_OK || vmm_check(v, NULL, 0) == VMM_OK);   /* a run that ended well keeps them */
    v->run.end_reason = reason;
    v->run.ended = 1;
    return rc;
}
