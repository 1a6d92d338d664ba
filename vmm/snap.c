/*
** snap.c — whole-machine snapshots (vmm.h, docs/debug.md "Snapshots"). A snapshot is
** one buffer of sections, each a length and its bytes: the vmm_state struct, the
** tables it points to, the CPU (cpu386/snap.c), the queue, chooser and trace
** (engine/snap.c), then the guest RAM pages written since the machine's last reset
** (the CPU's dirty bitmap; the others equal v->ram0). Pointers are never restored
** from a snapshot: each struct's pointer fields keep the target's values.
*/
#include <stdlib.h>
#include <string.h>

#include "vmm_int.h"

#define SNAP_PAGE 4096u

typedef struct snap_w { uint8_t *p; size_t at, cap; } snap_w;
typedef struct snap_r { const uint8_t *p; size_t at, len; } snap_r;

/* The tables of a vmm_state, in snapshot order (the event candidates are scratch,
** the labels never change; the partial-order footprints are refused, vmm_snap_take). */
typedef struct snap_tab { void *p; size_t bytes; } snap_tab;

static uint32_t tables(vmm_state *v, snap_tab t[16]) {
    assert(v && v->s && v->nctx == v->nvms + 1);
    const vmm_machine *m = &v->m;
    uint32_t n = 0;
    t[n++] = (snap_tab){ v->ctx, v->nctx * sizeof *v->ctx };
    t[n++] = (snap_tab){ v->pend, (v->s->nstim + 1) * sizeof *v->pend };
    t[n++] = (snap_tab){ v->wait, (v->s->nstim + 1) * sizeof *v->wait };
    t[n++] = (snap_tab){ v->sites, VMM_SITES * sizeof *v->sites };
    t[n++] = (snap_tab){ v->find, VMM_FINDINGS_MAX * sizeof *v->find };
    t[n++] = (snap_tab){ v->idle.cb, (m->idle_slots + 1) * sizeof *v->idle.cb };
    t[n++] = (snap_tab){ v->nc.cb, (m->nc_slots + 1) * sizeof *v->nc.cb };
    t[n++] = (snap_tab){ v->nc.ref, (m->nc_slots + 1) * sizeof *v->nc.ref };
    t[n++] = (snap_tab){ v->ts.cb, (m->ts_slots + 1) * sizeof *v->ts.cb };
    t[n++] = (snap_tab){ v->ev.list, v->ev.cap * sizeof *v->ev.list };
    t[n++] = (snap_tab){ v->tm.list, v->tm.cap * sizeof *v->tm.list };
    t[n++] = (snap_tab){ v->ports, v->nports * sizeof *v->ports };
    assert(n <= 16);
    return n;
}

static uint32_t dirty_pages(vmm_state *v, const uint64_t **bits) {
    assert(v && v->cpu && bits);
    uint32_t np = 0;
    *bits = cpu_dirty_bitmap(v->cpu, &np);
    assert(np <= v->ram_size / SNAP_PAGE);
    uint32_t n = 0;
    for (uint32_t p = 0; p < np; p++) n += (uint32_t)((*bits)[p / 64] >> (p % 64) & 1);
    return n;
}

static void put(snap_w *w, const void *src, size_t n) {
    assert(w->at + 8 + n <= w->cap);
    uint64_t len = n;
    memcpy(w->p + w->at, &len, 8);
    if (n && src != w->p + w->at + 8) memcpy(w->p + w->at + 8, src, n);   /* else written in place */
    w->at += 8 + n;
}

/* The next section: its bytes (NULL when the buffer ends or it is not `want` long,
** with want SIZE_MAX: any length, stored in *n). */
static const uint8_t *get(snap_r *r, size_t want, size_t *n) {
    assert(r && r->p && r->at <= r->len);
    uint64_t len;
    if (r->len - r->at < 8) return NULL;
    memcpy(&len, r->p + r->at, 8);
    if (len > r->len - r->at - 8 || (want != SIZE_MAX && len != want)) return NULL;
    const uint8_t *p = r->p + r->at + 8;
    r->at += 8 + (size_t)len;
    if (n) *n = (size_t)len;
    return p;
}

void vmm_snap_init(vmm_snap *sn) {
    assert(sn);
    memset(sn, 0, sizeof *sn);
}

void vmm_snap_close(vmm_snap *sn) {
    assert(sn);
    free(sn->buf);
    memset(sn, 0, sizeof *sn);
}

/* Writes every section into w (sized by the caller from the same sizes). */
static int save_all(snap_w *w, vmm_state *v, const uint64_t *bits) {
    assert(w && w->p && v && bits);
    snap_tab t[16] = { { NULL, 0 } };
    uint32_t nt = tables(v, t);
    put(w, v, sizeof *v);
    for (uint32_t k = 0; k < nt; k++) put(w, t[k].p, t[k].bytes);
    size_t n = cpu_snap_size(v->cpu);
    if (cpu_snap_save(v->cpu, w->p + w->at + 8) != CPU_OK) return VMM_EINVAL;   /* inside cpu_run */
    put(w, w->p + w->at + 8, n);   /* the bytes are in place already: put keeps them */
    n = eng_queue_snap_size(v->q);
    eng_queue_snap_save(v->q, w->p + w->at + 8);
    put(w, w->p + w->at + 8, n);
    n = eng_chooser_snap_size(&v->ch);
    eng_chooser_snap_save(&v->ch, w->p + w->at + 8);
    put(w, w->p + w->at + 8, n);
    n = eng_trace_snap_size(&v->tr);
    eng_trace_snap_save(&v->tr, w->p + w->at + 8);
    put(w, w->p + w->at + 8, n);
    for (uint32_t p = 0; p < v->ram_size / SNAP_PAGE; p++)
        if (bits[p / 64] >> (p % 64) & 1) {
            put(w, &p, sizeof p);
            put(w, v->ram + (size_t)p * SNAP_PAGE, SNAP_PAGE);
        }
    return VMM_OK;
}

int vmm_snap_take(vmm_snap *sn, vmm_state *v) {
    assert(sn && v && v->cpu);
    snap_tab t[16] = { { NULL, 0 } };
    const uint64_t *bits;
    if (v->por.fp) return VMM_EINVAL;   /* footprints (vmm_set_explore) are not saved */
    uint32_t nt = tables(v, t), npages = dirty_pages(v, &bits);
    size_t need = 8 * (1 + nt + 4 + 2 * (size_t)npages) + sizeof *v + cpu_snap_size(v->cpu)
                + eng_queue_snap_size(v->q) + eng_chooser_snap_size(&v->ch) + eng_trace_snap_size(&v->tr)
                + (size_t)npages * (SNAP_PAGE + sizeof(uint32_t));
    for (uint32_t k = 0; k < nt; k++) need += t[k].bytes;
    if (need > sn->cap) {   /* a buffer grows, never shrinks: a retake reuses it */
        uint8_t *p = realloc(sn->buf, need);
        if (!p) return VMM_ENOMEM;
        sn->buf = p;
        sn->cap = need;
    }
    snap_w w = { sn->buf, 0, need };
    sn->len = 0;
    if (save_all(&w, v, bits) != VMM_OK) return VMM_EINVAL;
    assert(w.at == need);
    sn->len = need;
    sn->cycles = vmmi_cycles(v);
    sn->icount = cpu_instructions(v->cpu);
    return VMM_OK;
}

/* Guest RAM back to the snapshot's: the target's written pages to the reset image,
** then the snapshot's pages; each page rewritten drops its decoded instructions. */
static int load_ram(vmm_state *v, snap_r *r) {
    assert(v && r && v->ram && v->ram0);
    const uint64_t *bits;
    uint32_t npages = v->ram_size / SNAP_PAGE;
    dirty_pages(v, &bits);
    for (uint32_t p = 0; p < npages; p++)
        if (bits[p / 64] >> (p % 64) & 1) {
            memcpy(v->ram + (size_t)p * SNAP_PAGE, v->ram0 + (size_t)p * SNAP_PAGE, SNAP_PAGE);
            cpu_invalidate(v->cpu, p * SNAP_PAGE, SNAP_PAGE);
        }
    for (uint32_t k = 0; k < npages && r->at < r->len; k++) {   /* at most every page */
        uint32_t p;
        const uint8_t *b = get(r, sizeof p, NULL);
        if (!b) return VMM_EINVAL;
        memcpy(&p, b, sizeof p);
        if (p >= npages || !(b = get(r, SNAP_PAGE, NULL))) return VMM_EINVAL;
        memcpy(v->ram + (size_t)p * SNAP_PAGE, b, SNAP_PAGE);
        cpu_invalidate(v->cpu, p * SNAP_PAGE, SNAP_PAGE);
    }
    return r->at == r->len ? VMM_OK : VMM_EINVAL;
}

/* The vmm_state's own fields: the saved struct with the target's pointers and hooks. */
static int load_state(vmm_state *v, const uint8_t *b) {
    assert(v && b);
    vmm_state *h = malloc(sizeof *h);
    if (!h) return VMM_ENOMEM;
    memcpy(h, b, sizeof *h);
    if (h->nvms != v->nvms || h->ram_size != v->ram_size || h->nports != v->nports
        || memcmp(&h->m, &v->m, sizeof h->m) || h->ev.cap != v->ev.cap || h->tm.cap != v->tm.cap
        || h->explore != v->explore || h->por.fp) {
        free(h);
        return VMM_EINVAL;
    }
    h->s = v->s;   h->ram = v->ram;   h->ram0 = v->ram0;   h->cpu = v->cpu;   h->q = v->q;
    h->ch = v->ch;   h->tr = v->tr;   /* restored from their own sections */
    h->ctx = v->ctx;   h->pend = v->pend;   h->wait = v->wait;   h->por = v->por;
    h->sites = v->sites;   h->find = v->find;
    h->lab = v->lab;   h->nlab = v->nlab;   h->ports = v->ports;
    h->idle.cb = v->idle.cb;   h->nc.cb = v->nc.cb;   h->nc.ref = v->nc.ref;   h->ts.cb = v->ts.cb;
    h->ev.list = v->ev.list;   h->ev.cand = v->ev.cand;   h->tm.list = v->tm.list;
    h->rec_hook = v->rec_hook;   h->rec_hook_ud = v->rec_hook_ud;
    h->loop_hook = v->loop_hook;   h->loop_hook_ud = v->loop_hook_ud;   h->loop_slice = v->loop_slice;
    memcpy(v, h, sizeof *v);
    free(h);
    return VMM_OK;
}

int vmm_snap_restore(vmm_state *v, const vmm_snap *sn) {
    assert(v && sn && v->cpu);
    snap_r r = { sn->buf, 0, sn->len };
    snap_tab t[16] = { { NULL, 0 } };
    size_t n;
    const uint8_t *b = sn->buf ? get(&r, sizeof *v, NULL) : NULL;
    int rc = b ? load_state(v, b) : VMM_EINVAL;
    if (rc) return rc;
    uint32_t nt = tables(v, t);
    for (uint32_t k = 0; k < nt; k++) {
        if (!(b = get(&r, t[k].bytes, NULL))) return VMM_EINVAL;
        if (t[k].bytes) memcpy(t[k].p, b, t[k].bytes);
    }
    const uint8_t *cpu = get(&r, cpu_snap_size(v->cpu), NULL);
    if (!cpu) return VMM_EINVAL;
    if (!(b = get(&r, SIZE_MAX, &n)) || eng_queue_snap_load(v->q, b, n) != ENG_OK) return VMM_EINVAL;
    if (!(b = get(&r, SIZE_MAX, &n)) || eng_chooser_snap_load(&v->ch, b, n) != ENG_OK) return VMM_EINVAL;
    if (!(b = get(&r, SIZE_MAX, &n)) || eng_trace_snap_load(&v->tr, b, n) != ENG_OK) return VMM_EINVAL;
    if ((rc = load_ram(v, &r))) return rc;
    /* last: the CPU's dirty bitmap becomes the snapshot's (load_ram marked pages) */
    if (cpu_snap_load(v->cpu, cpu, cpu_snap_size(v->cpu)) != CPU_OK) return VMM_EINVAL;
    assert(vmm_check(v, NULL, 0) == VMM_OK);   /* a snapshot is of a machine that kept them */
    return VMM_OK;
}
