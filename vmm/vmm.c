/*
** vmm.c — building, resetting and inspecting a simulated VMM machine.
** Guest memory layout and the reasons for it: docs/vmm.md, "Memory".
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm_int.h"

const char *vmm_strerror(int err) {
    switch (err) {
    case VMM_OK:      return "success";
    case VMM_ENOMEM:  return "out of memory";
    case VMM_EINVAL:  return "invalid scenario data";
    case VMM_ELIMIT:  return "machine limit exceeded";
    case VMM_EUNIMPL: return "service not implemented";
    case VMM_EGUEST:  return "guest fault";
    case VMM_EHANG:   return "no progress (hang)";
    case VMM_EBROKEN: return "internal invariant broken";
    default:          return "unknown error";
    }
}

const char *vmm_stim_name(uint32_t kind) {
    static const char *const n[VMM_STIM_KIND_COUNT] = {
        NULL, "call", "release_time_slice", "wake", "kernel_idle", "suspend", "resume",
        "begin_crit", "end_crit", "irq", "create_vm", "destroy_vm", "exit" };
    assert(n[VMM_STIM_KIND_COUNT - 1] != NULL);   /* one name per kind */
    return kind > 0 && kind < VMM_STIM_KIND_COUNT ? n[kind] : "unknown";
}

void vmm_machine_defaults(vmm_machine *m) {
    assert(m != NULL);
    memset(m, 0, sizeof *m);
    m->clock_hz = 33000000;
    m->memory_kb = 4096;
    m->timer_tick_ms = 20;
    m->max_vms = 16;
    m->idle_slots = 8;
    m->nc_slots = 32;
    m->ts_slots = 16;
    m->event_capacity = 4096;
    m->wait_states = 0;
    m->service_cycles = 50;
    m->max_cycles = 100000000;
    m->hang_cycles = 0;
    m->irq_handler_cycles = VMM_IRQ_HANDLER_DEFAULT;
    m->time_slicing = 0;
    m->time_slice_ms = VMM_SLICE_MS_DEFAULT;
}

/* Zero fields mean "default" (so a zeroed vmm_machine is the default machine). */
static void machine_fill(vmm_machine *m, const vmm_machine *in) {
    assert(m && in);
    vmm_machine d;
    vmm_machine_defaults(&d);
    *m = *in;
#define DEF(f) if (!m->f) m->f = d.f
    DEF(clock_hz); DEF(memory_kb); DEF(timer_tick_ms); DEF(max_vms); DEF(idle_slots);
    DEF(nc_slots); DEF(ts_slots); DEF(event_capacity); DEF(service_cycles);
    DEF(max_cycles); DEF(irq_handler_cycles); DEF(time_slice_ms);
#undef DEF
    if (!m->trace_records) m->trace_records = VMM_TRACE_DEFAULT;
    if (!m->checkpoint_every) m->checkpoint_every = VMM_CHECKPOINT_DEFAULT;
}

int vmmi_fail(vmm_state *v, int err, const char *fmt, ...) {
    va_list ap;
    assert(err < 0);
    if (v->run.err) return v->run.err;    /* keep the first error */
    va_start(ap, fmt);
    vsnprintf(v->errmsg, sizeof v->errmsg, fmt, ap);
    va_end(ap);
    v->run.err = err;
    return err;
}

static vmm_state *new_fail(vmm_state *v, int *err, int code, char *buf, size_t len,
                           const char *msg) {
    assert(code != VMM_OK);
    if (err) *err = code;
    if (buf && len) snprintf(buf, len, "%s", msg);
    vmm_free(v);
    return NULL;
}

static int check_scenario(const vmm_scenario *s, const vmm_machine *m, char *why, size_t n) {
    assert(s && m && why);
    uint32_t nsys = 0;
    if (m->max_vms > VMM_VMS_MAX) return snprintf(why, n, "max_vms %u exceeds %u", m->max_vms, VMM_VMS_MAX), VMM_ELIMIT;
    uint32_t nboot = 0;   /* VML: max_vms bounds the VMs that exist at once */
    for (uint32_t i = 0; i < s->nvms; i++) nboot += !s->vms[i].start_later;
    if (s->nvms > VMM_VMS_MAX || nboot == 0 || nboot > m->max_vms)
        return snprintf(why, n, "%u VMs at boot (1..max_vms %u), %u in all (at most %u)", nboot,
                        m->max_vms, s->nvms, VMM_VMS_MAX), VMM_ELIMIT;
    if (m->memory_kb < 2048 || m->memory_kb > VMM_RAM_MAX_KB || m->memory_kb % 4)
        return snprintf(why, n, "memory_kb %u: need a multiple of 4 in 2048..%u", m->memory_kb, VMM_RAM_MAX_KB), VMM_EINVAL;
    if (m->idle_slots > VMM_SLOTS_MAX || m->nc_slots > VMM_SLOTS_MAX || m->ts_slots > VMM_SLOTS_MAX)
        return snprintf(why, n, "callback table size above %u", VMM_SLOTS_MAX), VMM_ELIMIT;
    if (m->time_slicing > 1 || m->time_slice_ms > 60000)
        return snprintf(why, n, "time_slicing %u (0 or 1) / time_slice_ms %u (1..60000)", m->time_slicing,
                        m->time_slice_ms), VMM_EINVAL;
    if (m->irq_boundary_window > VMM_IRQ_WINDOW_MAX)
        return snprintf(why, n, "irq_boundary_window %u (1..%u)", m->irq_boundary_window,
                        VMM_IRQ_WINDOW_MAX), VMM_EINVAL;
    int rc = vmmi_io_check(s, why, n);
    if (rc) return rc;
    for (uint32_t i = 0; i < s->nvms; i++) {
        nsys += s->vms[i].system != 0;
        if (!memchr(s->vms[i].name, 0, VMM_NAME_MAX) || !s->vms[i].name[0])
            return snprintf(why, n, "VM %u has no name", i), VMM_EINVAL;
    }
    if (nsys != 1) return snprintf(why, n, "%u system VMs (need exactly 1)", nsys), VMM_EINVAL;
    for (uint32_t i = 0; i < s->nvxds; i++) {
        const vmm_vxd_desc *x = &s->vxds[i];
        uint64_t end = (uint64_t)x->load_addr + x->image_len;
        if (x->load_addr < VMM_VXD_BASE || x->load_addr % 4096 || end > (uint64_t)m->memory_kb * 1024)
            return snprintf(why, n, "VxD %s at 0x%08x+0x%x is outside 0x%08x..RAM end", x->name,
                            x->load_addr, x->image_len, VMM_VXD_BASE), VMM_EINVAL;
        if (x->image_len && !x->image) return snprintf(why, n, "VxD %s has no image", x->name), VMM_EINVAL;
    }
    for (uint32_t i = 0; i < s->nstim; i++) {
        const vmm_stimulus *t = &s->stim[i];
        if (t->kind == 0 || t->kind >= VMM_STIM_KIND_COUNT || t->vm >= s->nvms ||
            t->at_hi < t->at_lo || t->at_hi - t->at_lo >= 0xFFFFFFFFull)
            return snprintf(why, n, "stimulus %u is malformed", i), VMM_EINVAL;
        if (t->kind == VMM_STIM_CALL &&
            (t->target < VMM_VXD_BASE || t->target >= (uint64_t)m->memory_kb * 1024))
            return snprintf(why, n, "stimulus %u calls 0x%08x, outside the VxD area", i, t->target), VMM_EINVAL;
        if (t->kind == VMM_STIM_IRQ && t->arg >= VMM_IRQS)
            return snprintf(why, n, "stimulus %u raises IRQ %u (0..%u)", i, t->arg, VMM_IRQS - 1), VMM_EINVAL;
    }
    return VMM_OK;
}

static int lab_cmp(const void *a, const void *b) {
    assert(a && b);
    const struct vmm_lab *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int build_labels(vmm_state *v) {
    assert(v->nlab == 0 && v->lab == NULL);
    const vmm_scenario *s = v->s;
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nvxds; i++) n += s->vxds[i].nlabels;
    if (n > VMM_LABELS_MAX) return VMM_ELIMIT;
    v->lab = calloc(n ? n : 1, sizeof *v->lab);
    if (!v->lab) return VMM_ENOMEM;
    for (uint32_t i = 0; i < s->nvxds; i++)
        for (uint32_t k = 0; k < s->vxds[i].nlabels; k++) {
            struct vmm_lab *l = &v->lab[v->nlab];
            const vmm_label *src = &s->vxds[i].labels[k];
            l->addr = src->addr;
            l->order = v->nlab++;
            snprintf(l->name, sizeof l->name, "%s.%.*s", s->vxds[i].name,
                     (int)sizeof src->name, src->name);
        }
    qsort(v->lab, v->nlab, sizeof *v->lab, lab_cmp);
    return VMM_OK;
}

const char *vmm_label_at(const vmm_state *v, uint32_t addr) {
    assert(v->nlab == 0 || v->lab);
    uint32_t lo = 0, hi = v->nlab;
    while (lo < hi) {   /* first label at >= addr: the earliest-defined one at addr */
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->lab[mid].addr < addr) lo = mid + 1; else hi = mid;
    }
    return lo < v->nlab && v->lab[lo].addr == addr ? v->lab[lo].name : NULL;
}

uint32_t vmmi_client_ptr(const vmm_state *v, uint32_t vm) {
    assert(vm < v->nvms);
    return v->vm[vm].handle + VMM_CLIENT_OFF;
}

uint32_t vmmi_status(vmm_state *v, uint32_t vm) {
    uint32_t st = 0;
    assert(vm < v->nvms);
    int rc = cpu_phys_read(v->cpu, v->vm[vm].handle + CB_VM_STATUS, &st, 4);
    assert(rc == CPU_OK);
    (void)rc;
    return st;
}

void vmmi_status_set(vmm_state *v, uint32_t vm, uint32_t set, uint32_t clear) {
    uint32_t st = (vmmi_status(v, vm) & ~clear) | set;
    vmmi_por_mem(v, v->vm[vm].handle + CB_VM_STATUS, 4, 1);
    int rc = cpu_phys_write(v->cpu, v->vm[vm].handle + CB_VM_STATUS, &st, 4);
    assert(rc == CPU_OK);
    (void)rc;
}

/* The control block a handle names (its index), or -1: not a block's address. */
int vmmi_block_of(const vmm_state *v, uint32_t handle) {
    assert(v && v->nvms <= VMM_VMS_MAX);
    if (handle < VMM_CB_BASE || (handle - VMM_CB_BASE) % VMM_CB_SIZE) return -1;
    uint32_t i = (handle - VMM_CB_BASE) / VMM_CB_SIZE;
    return i < v->nvms ? (int)i : -1;
}

int vmmi_vm_of_handle(const vmm_state *v, uint32_t handle) {
    assert(v && v->nvms <= VMM_VMS_MAX);
    if (v->life.on) return vmmi_life_vm_of_handle(v, handle);   /* VML: blocks change hands */
    return vmmi_block_of(v, handle);   /* block i is VM i's for the whole run */
}

uint64_t vmmi_cycles(const vmm_state *v) { return cpu_cycles(v->cpu); }
uint64_t vmm_now(const vmm_state *v) { return cpu_cycles(v->cpu); }
void vmmi_charge(vmm_state *v, uint64_t cycles) {
    assert(v && v->cpu && cpu_cycles(v->cpu) + cycles >= cycles);   /* no wrap */
    cpu_set_cycles(v->cpu, cpu_cycles(v->cpu) + cycles);
}

/* Writes the VMM's structures into guest memory (docs/vmm.md, "Memory"). */
static int layout(vmm_state *v) {
    assert(v->nvms > 0 && v->cpu);
    const vmm_scenario *s = v->s;
    uint8_t hlt = 0xF4;   /* if the return breakpoint were ever missed, stop there */
    int rc = cpu_phys_write(v->cpu, VMM_STUB_CB_RET, &hlt, 1);
    for (uint32_t i = 0; i < v->nvms && rc == CPU_OK; i++) {
        uint32_t cb[4] = { s->vms[i].status_flags, 0, v->vm[i].handle + VMM_CLIENT_OFF, i + 1 };
        uint32_t client_fl = 0x202;   /* client code runs with interrupts enabled */
        rc = cpu_phys_write(v->cpu, v->vm[i].handle, cb, sizeof cb);
        if (rc == CPU_OK)
            rc = cpu_phys_write(v->cpu, v->vm[i].handle + VMM_CLIENT_OFF + 0x2C, &client_fl, 4);
    }
    for (uint32_t i = 0; i < s->nvxds && rc == CPU_OK; i++)
        if (s->vxds[i].image_len)
            rc = cpu_phys_write(v->cpu, s->vxds[i].load_addr, s->vxds[i].image, s->vxds[i].image_len);
    if (rc == CPU_OK) rc = cpu_enter_flat32(v->cpu, VMM_STUB_CB_RET, VMM_STACK_BASE + VMM_STACK_SIZE, VMM_GDT_PHYS);
    return rc == CPU_OK ? VMM_OK : VMM_EINVAL;
}

static int alloc_tables(vmm_state *v) {
    assert(v->nctx == v->nvms + 1);
    const vmm_machine *m = &v->m;
    v->ctx = calloc(v->nctx, sizeof *v->ctx);
    v->idle.cb = calloc(m->idle_slots + 1, sizeof *v->idle.cb);
    v->nc.cb = calloc(m->nc_slots + 1, sizeof *v->nc.cb);
    v->nc.ref = calloc(m->nc_slots + 1, sizeof *v->nc.ref);
    v->ts.cb = calloc(m->ts_slots + 1, sizeof *v->ts.cb);
    v->pend = calloc(v->s->nstim + 1, sizeof *v->pend);
    v->wait = calloc(v->s->nstim + 1, sizeof *v->wait);
    v->sites = calloc(VMM_SITES, sizeof *v->sites);
    v->find = calloc(VMM_FINDINGS_MAX, sizeof *v->find);
    /* Pending events and time-outs are limited by the machine's event_capacity, as
    ** the engine queue is; the queue also holds every stimulus (run.c), beyond it. */
    v->ev.cap = v->tm.cap = m->event_capacity;
    v->ev.list = calloc(m->event_capacity, sizeof *v->ev.list);
    v->ev.cand = calloc(m->event_capacity, sizeof *v->ev.cand);
    v->tm.list = calloc(m->event_capacity, sizeof *v->tm.list);
    v->q = calloc(1, eng_queue_size());
    if (!v->ctx || !v->idle.cb || !v->nc.cb || !v->nc.ref || !v->ts.cb || !v->pend || !v->wait || !v->sites ||
        !v->find || !v->q || !v->ev.list || !v->ev.cand || !v->tm.list)
        return VMM_ENOMEM;
    if ((uint64_t)m->event_capacity + v->s->nstim > ENG_QUEUE_CAP_MAX
        || eng_queue_init(v->q, m->event_capacity + v->s->nstim) != ENG_OK) { free(v->q); v->q = NULL; return VMM_ENOMEM; }
    if (eng_chooser_init(&v->ch, VMM_CHOICE_LOG) != ENG_OK) return VMM_ENOMEM;
    uint32_t keep = m->trace_records == VMM_TRACE_NONE ? 0 : m->trace_records;
    if (eng_trace_init(&v->tr, keep, m->checkpoint_every) != ENG_OK) return VMM_ENOMEM;
    return VMM_OK;
}

/* Each feature's reset clears the state its file owns (vmm_int.h). */
static void (*const feature_reset[])(vmm_state *v) = {
    vmmi_run_reset, vmmi_crit_reset, vmmi_nc_reset, vmmi_idle_reset, vmmi_ts_reset,
    vmmi_ev_reset, vmmi_tm_reset, vmmi_irq_reset, vmmi_sl_reset, vmmi_io_reset, vmmi_por_reset,
    vmmi_trap_reset, vmmi_hk_reset, vmmi_nx_reset,
};

/* Clears everything a run changes, except guest memory and the CPU. */
static void dyn_reset(vmm_state *v) {
    for (size_t k = 0; k < sizeof feature_reset / sizeof feature_reset[0]; k++)
        feature_reset[k](v);
    for (uint32_t i = 0; i < v->nvms; i++) {
        v->vm[i].pri = 0;
        v->vm[i].suspend = 0;
        v->vm[i].exec_cycles = 0;
        v->vm[i].run_since = 0;
        v->vm[i].vreq = 0;
        v->vm[i].vboost = 0;
        v->vm[i].vhandler = -1;
        v->vm[i].halted = 0;
        v->vm[i].irq_ret = 0;
        v->vm[i].if_seen = 1;   /* client code starts with IF set (client.c) */
        memset(v->vm[i].probe, 0, sizeof v->vm[i].probe);
    }
    vmmi_life_reset(v);   /* after the VMs' fields: a VM not created yet is held */
    for (uint32_t i = 0; i < v->nctx; i++) {
        vmm_ctx *c = &v->ctx[i];
        c->depth = 0;
        c->blocked = 0;
        c->want = 0;
        c->wait_seq = 0;
        c->ret_svc = 0;
        c->stack_top = VMM_STACK_BASE + (i + 1) * VMM_STACK_SIZE;
        vmmi_ctx_regs_fresh(v, i, &c->regs);
    }
    v->errmsg[0] = 0;
}

vmm_state *vmm_new(const vmm_scenario *s, int *err, char *errbuf, size_t errlen) {
    char why[200];
    int rc;
    vmm_state *v = calloc(1, sizeof *v);
    if (!v) return new_fail(NULL, err, VMM_ENOMEM, errbuf, errlen, "out of memory");
    v->s = s;
    machine_fill(&v->m, &s->m);
    if ((rc = check_scenario(s, &v->m, why, sizeof why)))
        return new_fail(v, err, rc, errbuf, errlen, why);
    v->nvms = s->nvms;
    v->nctx = s->nvms + 1;
    for (uint32_t i = 0; i < v->nvms; i++) {
        v->vm[i].handle = vmm_handle_of_index(i);
        if (s->vms[i].system) v->sys = i;
    }
    if ((rc = vmmi_life_init(v, why, sizeof why))) return new_fail(v, err, rc, errbuf, errlen, why);
    v->ram_size = v->m.memory_kb * 1024u;
    v->ram = calloc(1, v->ram_size);
    v->ram0 = malloc(v->ram_size);
    if (!v->ram || !v->ram0) return new_fail(v, err, VMM_ENOMEM, errbuf, errlen, "out of memory (guest RAM)");
    cpu_bus bus = { .ram = v->ram, .ram_size = v->ram_size };
    if ((rc = vmmi_io_init(v, &bus))) return new_fail(v, err, rc, errbuf, errlen, "out of memory (ports)");
    if (!(v->cpu = cpu_new(&bus))) return new_fail(v, err, VMM_ENOMEM, errbuf, errlen, "out of memory (cpu)");
    if ((rc = alloc_tables(v))) return new_fail(v, err, rc, errbuf, errlen, "out of memory (tables)");
    if ((rc = build_labels(v))) return new_fail(v, err, rc, errbuf, errlen, "too many labels");
    if ((rc = layout(v))) return new_fail(v, err, rc, errbuf, errlen, "guest memory layout failed");
    if ((rc = vmmi_cl_layout(v, why, sizeof why))) return new_fail(v, err, rc, errbuf, errlen, why);
    cpu_config *cf = cpu_get_config(v->cpu);
    cf->trap_int20 = 1;
    cf->exc_intercept = 0xFFFFFFFFu;            /* every fault is the VMM's to report */
    cf->int_intercept[0x2F / 32] |= 1u << (0x2F % 32);
    cf->wait_states = v->m.wait_states;
    cpu_get_regs(v->cpu, &v->regs0);
    if (cpu_breakpoint_add(v->cpu, VMM_STUB_CB_RET) != CPU_OK)
        return new_fail(v, err, VMM_ELIMIT, errbuf, errlen, "no cpu breakpoint left");
    memcpy(v->ram0, v->ram, v->ram_size);
    cpu_dirty_clear(v->cpu);
    dyn_reset(v);
    assert(vmm_check(v, NULL, 0) == VMM_OK);   /* a fresh machine keeps every invariant */
    if (err) *err = VMM_OK;
    return v;
}

void vmm_free(vmm_state *v) {
    if (!v) return;
    if (v->cpu) cpu_free(v->cpu);
    if (v->q) { eng_queue_close(v->q); free(v->q); }
    if (v->ch.log) eng_chooser_close(&v->ch);
    if (v->tr.rec || v->tr.cp) eng_trace_close(&v->tr);
    free(v->ram); free(v->ram0); free(v->ctx); free(v->idle.cb); free(v->nc.cb); free(v->nc.ref);
    free(v->ts.cb); free(v->pend); free(v->wait); free(v->sites); free(v->find); free(v->lab); free(v->ev.list); free(v->ev.cand); free(v->tm.list);
    free(v->ports);
    vmmi_por_free(v);
    free(v);
}

int vmm_reset(vmm_state *v) {
    uint32_t npages = 0;
    const uint64_t *dirty = cpu_dirty_bitmap(v->cpu, &npages);
    assert(npages <= v->ram_size / 4096);
    for (uint32_t w = 0; w < (npages + 63) / 64; w++)   /* a run dirties a few pages of many */
        for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
            uint32_t p = w * 64u + (uint32_t)__builtin_ctzll(bits);
            assert(p < npages);
            memcpy(v->ram + p * 4096u, v->ram0 + p * 4096u, 4096);
            cpu_invalidate(v->cpu, p * 4096u, 4096);
        }
    cpu_dirty_clear(v->cpu);
    cpu_set_regs(v->cpu, &v->regs0);
    cpu_set_cycles(v->cpu, 0);
    eng_queue_reset(v->q);
    eng_chooser_rewind(&v->ch);
    eng_trace_reset(&v->tr);
    dyn_reset(v);
    assert(vmm_check(v, NULL, 0) == VMM_OK);   /* a fresh machine keeps every invariant */
    return VMM_OK;
}

eng_chooser *vmm_chooser(vmm_state *v) { return &v->ch; }
eng_trace   *vmm_trace(vmm_state *v) { return &v->tr; }
cpu_state   *vmm_cpu(vmm_state *v) { return v->cpu; }
const char  *vmm_error(const vmm_state *v) { return v->errmsg; }

uint32_t vmm_finding_count(const vmm_state *v) { return v->run.nfind; }
const vmm_finding *vmm_finding_get(const vmm_state *v, uint32_t i) {
    assert(v && v->find);
    return i < v->run.nfind && i < VMM_FINDINGS_MAX ? &v->find[i] : NULL;
}
uint32_t vmm_finding_kept(const vmm_state *v) {
    assert(v);
    return v->run.nfind < VMM_FINDINGS_MAX ? v->run.nfind : VMM_FINDINGS_MAX;
}
const char *vmm_finding_rule(uint32_t k) {
    static const char *const name[] = { "CB-1", "CS-7", "INIT", "INT-1", "VML-1", "VML-2", "VML-3" };
    assert(sizeof name / sizeof name[0] == VMM_FND_COUNT - 1);
    return k < sizeof name / sizeof name[0] ? name[k] : NULL;
}
uint32_t vmm_finding_count_rule(const vmm_state *v, const char *rule) {
    assert(v && rule);
    for (uint32_t k = 0; vmm_finding_rule(k); k++)
        if (!strcmp(vmm_finding_rule(k), rule)) return v->run.nfind_code[VMM_FND_CB1 + k];
    return 0;
}

int vmm_read(vmm_state *v, uint32_t linear, void *dst, uint32_t len) {
    assert(v && (dst || len == 0));
    return cpu_lin_read(v->cpu, linear, dst, len) == CPU_OK ? VMM_OK : VMM_EINVAL;
}

int vmm_vm_index(const vmm_state *v, const char *name) {
    assert(v && name);
    for (uint32_t i = 0; i < v->nvms; i++)
        if (!strncmp(v->s->vms[i].name, name, VMM_NAME_MAX)) return (int)i;
    return -1;
}

uint32_t vmm_handle_of_index(uint32_t vm_index) {
    assert(vm_index < (0xFFFFFFFFu - VMM_CB_BASE) / VMM_CB_SIZE);
    return VMM_CB_BASE + vm_index * VMM_CB_SIZE;
}

uint32_t vmm_vm_handle(const vmm_state *v, uint32_t vm_index) {
    assert(v && v->nvms <= VMM_VMS_MAX);
    return vm_index < v->nvms ? v->vm[vm_index].handle : 0;
}
