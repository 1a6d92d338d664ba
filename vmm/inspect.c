/*
** inspect.c — a debugger's read-only view of the machine between two guest
** instructions (debug/, docs/debug.md): the execution contexts and their registers,
** and the scheduler's state as text (critical section, priorities, pending
** callbacks). Nothing here changes the machine, so a debugged run stays the run.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

uint32_t vmm_ctx_count(const vmm_state *v) {
    assert(v && v->nctx == v->nvms + 1);
    return v->nctx;
}

int vmm_ctx_current(const vmm_state *v) {
    assert(v && v->run.cur < v->nvms && v->run.oncpu < (int)v->nctx);
    return v->run.oncpu >= 0 ? v->run.oncpu : (int)v->run.cur;
}

int vmm_ctx_regs(vmm_state *v, uint32_t ci, cpu_regs *out) {
    assert(v && out);
    if (ci >= v->nctx) return VMM_EINVAL;
    if ((int)ci == v->run.oncpu) cpu_get_regs(v->cpu, out);   /* live on the CPU */
    else *out = v->ctx[ci].regs;
    return VMM_OK;
}

const char *vmm_ctx_name(const vmm_state *v, uint32_t ci) {
    assert(v && v->s);
    if (ci >= v->nctx) return NULL;
    return ci < v->nvms ? v->s->vms[ci].name : "VMM";
}

uint32_t vmm_ram_bytes(const vmm_state *v) {
    assert(v && v->ram_size % 4096u == 0);
    return v->ram_size;
}

/* Appends printf-style text at *at, never past len (the text is cut there). */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...) {
    assert(buf && at && len > 0);
    if (*at >= len - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, len - *at, fmt, ap);
    va_end(ap);
    if (n > 0) *at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

static void describe_vms(const vmm_state *v, char *buf, size_t len, size_t *at) {
    assert(v && buf && at);
    for (uint32_t i = 0; i < v->nctx; i++) {
        const vmm_ctx *c = &v->ctx[i];
        if (i < v->nvms) {
            const vmm_vm *m = &v->vm[i];
            put(buf, len, at, "VM %s: handle 0x%08x pri 0x%08x suspend %u depth %u%s%s\n",
                v->s->vms[i].name, m->handle, m->pri, m->suspend, c->depth,
                c->blocked ? " blocked-on-crit" : "", i == v->run.cur ? " (current)" : "");
        } else {
            put(buf, len, at, "VMM context: depth %u\n", c->depth);
        }
        for (uint32_t d = 0; d < c->depth && d < VMM_FRAMES_MAX; d++) {
            char where[VMM_NAME_MAX * 3 + 16];
            put(buf, len, at, "  frame %u: %s callback %s\n", d, vmmi_cb_kind_name(c->frame[d].kind),
                vmmi_where(v, c->frame[d].cb, where, sizeof where));
        }
    }
}

static void describe_lists(const vmm_state *v, char *buf, size_t len, size_t *at) {
    assert(v && buf && at);
    char where[VMM_NAME_MAX * 3 + 16];
    for (uint32_t k = 0; k < v->ev.n; k++)
        put(buf, len, at, "event 0x%08x type %u vm %u callback %s\n", v->ev.list[k].handle,
            v->ev.list[k].type, v->ev.list[k].vm, vmmi_where(v, v->ev.list[k].cb, where, sizeof where));
    for (uint32_t k = 0; k < v->tm.n; k++)
        put(buf, len, at, "time-out 0x%08x vm %u due cycle %llu callback %s\n", v->tm.list[k].handle,
            v->tm.list[k].vm, (unsigned long long)v->tm.list[k].due_cyc,
            vmmi_where(v, v->tm.list[k].cb, where, sizeof where));
    for (uint32_t k = 0; k < v->idle.n; k++)
        put(buf, len, at, "idle callback %u: %s\n", k, vmmi_where(v, v->idle.cb[k], where, sizeof where));
    for (uint32_t k = 0; k < v->nc.n; k++)
        put(buf, len, at, "not-critical callback %u: %s (owed %u)\n", k,
            vmmi_where(v, v->nc.cb[k], where, sizeof where), v->nc.owed);
    for (uint32_t k = 0; k < v->ts.n; k++)
        put(buf, len, at, "task-switched callback %u: %s\n", k, vmmi_where(v, v->ts.cb[k], where, sizeof where));
    put(buf, len, at, "stimuli fired, not yet taken effect: %u\n", v->run.npend);
}

size_t vmm_describe(const vmm_state *v, char *buf, size_t len) {
    assert(v && buf && len > 0);
    size_t at = 0;
    buf[0] = 0;
    put(buf, len, &at, "cycle %llu, current VM %s, context on the CPU %s\n",
        (unsigned long long)vmmi_cycles(v), v->s->vms[v->run.cur].name,
        v->run.oncpu < 0 ? "none" : vmm_ctx_name(v, (uint32_t)v->run.oncpu));
    if (v->crit.owner < 0) put(buf, len, &at, "critical section: free\n");
    else put(buf, len, &at, "critical section: owner %s, claims %u\n",
             v->s->vms[v->crit.owner].name, v->crit.count);
    describe_vms(v, buf, len, &at);
    describe_lists(v, buf, len, &at);
    return at;
}
