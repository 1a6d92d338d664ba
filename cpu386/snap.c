/*
** snap.c — the CPU's part of a whole-machine snapshot (vmm/snap.c). The architectural
** state and the run bookkeeping are saved as the struct's bytes plus the dirty-page
** bitmap; a restore keeps everything of the target that is not the guest's: its own
** storage (decode cache, page tables of the cache, bitmaps), its bus, its host step
** hook and host watches. The TLB and the code-fetch fast path are flushed, not copied
** (they hold host pointers); the decode cache is kept coherent by the caller, which
** invalidates every RAM page it rewrites (cpu_invalidate). Guest RAM is the caller's.
*/
#include <stdlib.h>
#include <string.h>

#include "cpu_int.h"

size_t cpu_snap_size(const cpu_state *c)
{
    assert(c);
    return sizeof *c + ((size_t)(c->npages + 63u) / 64u + 1u) * sizeof *c->dirty;
}

/* Only between runs: a snapshot inside cpu_run would need the host's call stack. */
int cpu_snap_save(const cpu_state *c, void *dst)
{
    assert(c && dst);
    if (c->in_run) return CPU_EINVAL;
    memcpy(dst, c, sizeof *c);
    memcpy((uint8_t *)dst + sizeof *c, c->dirty, cpu_snap_size(c) - sizeof *c);
    return CPU_OK;
}

/* The target's host-side fields: storage, bus, hook, watches, jump buffer. */
static void keep_host(cpu_state *c, const cpu_state *t)
{
    assert(c && t && c != t);
    c->icache = t->icache;   c->pgen = t->pgen;   c->codemap = t->codemap;
    c->codelines = t->codelines;   c->dirty = t->dirty;   c->npages = t->npages;
    c->bus = t->bus;   c->cfg = t->cfg;
    c->step_fn = t->step_fn;   c->step_ud = t->step_ud;   c->step_from = t->step_from;
    c->acc_fn = t->acc_fn;   c->acc_ud = t->acc_ud;
    memcpy(c->hw_lin, t->hw_lin, sizeof c->hw_lin);
    memcpy(c->hw_len, t->hw_len, sizeof c->hw_len);
    memcpy(c->hw_rw, t->hw_rw, sizeof c->hw_rw);
    c->hw_hits = t->hw_hits;
    memcpy(&c->jb, &t->jb, sizeof c->jb);
    c->scratch = t->scratch;   /* decoded bytes hold pointers into the cache */
    c->tpage = CPU_TLB_INVALID;
    c->tend = 0;
}

int cpu_snap_load(cpu_state *c, const void *src, size_t len)
{
    assert(c && src && !c->in_run);
    if (len != cpu_snap_size(c)) return CPU_EINVAL;
    cpu_state *h = malloc(sizeof *h);   /* large (TLBs): not on the stack */
    if (!h) return CPU_ENOMEM;
    memcpy(h, src, sizeof *h);
    if (h->in_run || h->npages != c->npages || h->bus.ram_size != c->bus.ram_size) {
        free(h);
        return CPU_EINVAL;
    }
    keep_host(h, c);
    memcpy(c, h, sizeof *c);
    free(h);
    memcpy(c->dirty, (const uint8_t *)src + sizeof *c, len - sizeof *c);
    cpu_mode_update(c);
    cpu_dbg_dr_written(c);   /* flushes the TLB and the fetch fast path too */
    cpu_dbg_update(c);       /* HOST follows this machine's hook, not the saved one's */
    return CPU_OK;
}
