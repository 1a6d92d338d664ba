/*
** por.c — footprints for the exploration's partial-order reduction (vmm_set_explore
** VMM_EXPLORE_FOOTPRINT; docs/fuzzing.md, "Partial-order reduction"). A run is cut at
** its decisions into segments; each segment's footprint holds the guest memory its
** code read and wrote (the CPU's access observer, byte by byte; the ring-0 stacks
** excepted: a callback's stack below its entry is dead space) and the VMM state it
** read and changed (a tag per table a service or a VMM step uses). Each decision also
** records an identity per option (an event's queue seq or handle, a VM, a stimulus),
** stable among the runs that share the decisions before it.
**
** Sets are 256-bit Bloom filters: a collision makes two steps look dependent, which
** costs reduction, never soundness.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "vmm_int.h"

#define POR_TAG_KEY 0x7A6700000000ull   /* VMM tags hash apart from byte addresses */

static uint32_t bit_of(uint64_t key) {
    return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 56);   /* 0..255 */
}

static void fp_add(vmm_footprint *f, uint64_t key, int write) {
    assert(f != NULL);
    uint32_t b = bit_of(key);
    uint64_t *set = write ? f->w : f->r;
    set[b >> 6] |= 1ull << (b & 63);
}

static int fp_sets_meet(const vmm_footprint *a, const vmm_footprint *b) {
    assert(a != NULL && b != NULL);
    for (int k = 0; k < VMM_FP_WORDS; k++)
        if ((a->w[k] & (b->w[k] | b->r[k])) | (a->r[k] & b->w[k])) return 1;
    return 0;
}

/* Without the cycles two segments move by, a clock read of either kind conflicts. */
int vmm_fp_conflict(const vmm_footprint *a, const vmm_footprint *b) {
    assert(a != NULL && b != NULL);
    if (a->time || b->time || a->all || b->all || a->tread || b->tread) return 1;
    return fp_sets_meet(a, b);
}

int vmm_fp_conflict_moved(const vmm_footprint *a, const vmm_footprint *b,
                          uint64_t a_later, uint64_t b_earlier, uint64_t b_later) {
    assert(a != NULL && b != NULL);
    if (a->time || b->time || a->all || b->all) return 1;
    if (a->tread && a_later > a->thi) return 1;
    if (b->tread && (b_earlier > b->tlo || b_later > b->thi)) return 1;
    return fp_sets_meet(a, b);
}

void vmmi_por_tag(vmm_state *v, uint32_t tag, int write) {
    assert(v != NULL && tag > 0 && tag < VMM_POR_TAG_COUNT);
    if (v->por.fp) fp_add(&v->por.cur, POR_TAG_KEY + tag, write);
}

/* A segment that reads the clock depends on every other: each one moves it. */
void vmmi_por_time(vmm_state *v) {
    assert(v != NULL);
    if (v->por.fp) v->por.cur.time = 1;
}

/* A clock read at this cycle whose result is the same at any cycle of [lo_cyc,
** hi_cyc]: the segment may move that far without changing it (por.c's refinement
** of "a time read depends on every step": only a step long enough to move the read
** out of its range conflicts with it). */
void vmmi_por_time_read(vmm_state *v, uint64_t lo_cyc, uint64_t hi_cyc) {
    assert(v != NULL && lo_cyc <= hi_cyc);
    if (!v->por.fp) return;
    uint64_t now = vmmi_cycles(v);
    if (now < lo_cyc || now > hi_cyc) { v->por.cur.time = 1; return; }
    uint32_t lo = now - lo_cyc > UINT32_MAX ? UINT32_MAX : (uint32_t)(now - lo_cyc);
    uint32_t hi = hi_cyc - now > UINT32_MAX ? UINT32_MAX : (uint32_t)(hi_cyc - now);
    vmm_footprint *f = &v->por.cur;
    if (!f->tread || lo < f->tlo) f->tlo = lo;
    if (!f->tread || hi < f->thi) f->thi = hi;
    f->tread = 1;
}

/* The VMM's own reads and writes of guest memory (VM status, client registers). */
void vmmi_por_mem(vmm_state *v, uint32_t lin, uint32_t n, int write) {
    assert(v != NULL && n >= 1);
    if (!v->por.fp) return;
    for (uint32_t k = 0; k < n; k++) fp_add(&v->por.cur, lin + k, write);
}

static void por_access(void *ud, uint32_t lin, unsigned n, int write) {
    vmm_state *v = ud;
    assert(v && v->por.fp && n >= 1 && n <= 4);
    if (lin >= VMM_STACK_BASE && lin < VMM_STACK_BASE + v->nctx * VMM_STACK_SIZE) return;
    for (unsigned k = 0; k < n; k++) fp_add(&v->por.cur, lin + k, write);
}

int vmmi_por_open(vmm_state *v) {
    assert(v && v->cpu);
    if (!(v->explore & VMM_EXPLORE_FOOTPRINT)) {
        cpu_set_access_hook(v->cpu, NULL, NULL);
        return VMM_OK;
    }
    if (!v->por.fp) {
        v->por.fp = calloc(VMM_POR_STEPS_MAX, sizeof *v->por.fp);
        v->por.off = calloc(VMM_POR_STEPS_MAX + 1, sizeof *v->por.off);
        v->por.dec = calloc(VMM_POR_STEPS_MAX, sizeof *v->por.dec);
        v->por.ser = calloc(VMM_POR_STEPS_MAX, sizeof *v->por.ser);
        v->por.dstep = calloc(VMM_CHOICE_LOG, sizeof *v->por.dstep);
        v->por.ids = calloc(VMM_POR_IDS_POOL, sizeof *v->por.ids);
        v->por.cyc = calloc(VMM_POR_STEPS_MAX + 1, sizeof *v->por.cyc);
        v->por.idle = calloc(VMM_POR_STEPS_MAX, sizeof *v->por.idle);
        v->por.due = calloc(VMM_POR_STEPS_MAX, sizeof *v->por.due);
        if (!v->por.fp || !v->por.off || !v->por.dec || !v->por.ser || !v->por.dstep || !v->por.ids ||
            !v->por.cyc || !v->por.idle || !v->por.due) {
            vmmi_por_free(v);
            return VMM_ENOMEM;
        }
    }
    cpu_set_access_hook(v->cpu, por_access, v);
    return VMM_OK;
}

void vmmi_por_free(vmm_state *v) {
    assert(v != NULL);
    free(v->por.fp); free(v->por.off); free(v->por.dec); free(v->por.ser); free(v->por.dstep);
    free(v->por.ids); free(v->por.cyc); free(v->por.idle); free(v->por.due);
    v->por.cyc = NULL; v->por.idle = NULL; v->por.due = NULL;
    v->por.fp = NULL; v->por.off = NULL; v->por.dec = NULL; v->por.ser = NULL; v->por.dstep = NULL;
    v->por.ids = NULL;
}

void vmm_set_observed(vmm_state *v, const uint32_t *cb, uint32_t n, int time, int all) {
    assert(v != NULL && (cb != NULL || n == 0));
    v->por.obs_all = all || n > VMM_OBSERVED_MAX;
    v->por.obs_time = time;
    v->por.nobs = v->por.obs_all ? 0 : n;
    for (uint32_t i = 0; i < v->por.nobs; i++) v->por.obs[i] = cb[i];
}

/* A callback is entered: an observed one makes its segment depend on the others. */
void vmmi_por_enter(vmm_state *v, uint32_t cb) {
    assert(v != NULL && v->por.nobs <= VMM_OBSERVED_MAX);
    if (!v->por.fp) return;
    if (v->por.obs_all) { v->por.cur.all = 1; return; }
    if (v->por.nwin) vmmi_por_within_enter(v, cb);
    for (uint32_t i = 0; i < v->por.nobs; i++)
        if (v->por.obs[i] == cb) {
            fp_add(&v->por.cur, POR_TAG_KEY + VMM_POR_OBSERVED, 1);
            if (v->por.obs_time) v->por.cur.time = 1;
            return;
        }
}

void vmmi_por_reset(vmm_state *v) {
    assert(v != NULL);
    memset(&v->por.cur, 0, sizeof v->por.cur);
    v->por.idle_cur = 0;
    v->por.step_new = 0;
    v->por.n = v->por.ndec = v->por.nids = 0;
    v->por.ser0 = 0;
    if (v->por.off) v->por.off[0] = 0;
    if (v->por.nwin) vmmi_por_within_reset(v);
}

/* The segment since the last step ends: it is that step's footprint. */
static void close_segment(vmm_state *v) {
    assert(v->por.fp && v->por.n <= VMM_POR_STEPS_MAX);
    if (v->por.nwin) vmmi_por_within_close(v);
    if (v->por.n > 0) {
        v->por.fp[v->por.n - 1] = v->por.cur;
        v->por.ser[v->por.n - 1] = v->ev.serial;
        v->por.idle[v->por.n - 1] = v->por.idle_cur;
    }
    memset(&v->por.cur, 0, sizeof v->por.cur);
    v->por.idle_cur = 0;
}

/* Before a choice point of n options is answered: close the previous segment, keep
** the options' ids (0: none; beyond the pool, none). Steps beyond the table are not
** recorded: the last recorded one's segment then covers the rest of the run (all). */
void vmmi_por_step(vmm_state *v, uint32_t n, const uint64_t *ids) {
    assert(n >= 1);
    if (!v->por.fp) return;
    v->por.step_new = 0;
    if (v->por.n >= VMM_POR_STEPS_MAX || (n >= 2 && v->por.ndec >= VMM_CHOICE_LOG)) {
        v->por.cur.all = 1;
        return;
    }
    close_segment(v);
    uint32_t s = v->por.n++, keep = ids && v->por.nids + n <= VMM_POR_IDS_POOL ? n : 0;
    if (s == 0) v->por.ser0 = v->ev.serial;
    for (uint32_t k = 0; k < keep; k++) v->por.ids[v->por.nids + k] = ids[k];
    v->por.nids += keep;
    v->por.off[s + 1] = v->por.nids;
    v->por.cyc[s] = vmmi_cycles(v);
    v->por.due[s] = 0;
    v->por.step_new = 1;
    v->por.dec[s] = n >= 2 ? (int32_t)v->por.ndec : -1;
    if (n >= 2) v->por.dstep[v->por.ndec++] = s;
}

void vmmi_por_finish(vmm_state *v) {
    assert(v != NULL && v->por.n <= VMM_POR_STEPS_MAX);
    if (v->por.fp && v->por.n > 0) {
        int all = v->por.cur.all;
        close_segment(v);
        v->por.fp[v->por.n - 1].all |= all;
        v->por.cyc[v->por.n] = vmmi_cycles(v);
    }
}

uint64_t vmm_por_step_cycle(const vmm_state *v, uint32_t s) {
    assert(v != NULL);
    return v->por.fp && s <= v->por.n ? v->por.cyc[s] : 0;
}

/* The run loop skips to to_cyc: no code can run until then (run.c). */
void vmmi_por_idle(vmm_state *v, uint64_t to_cyc) {
    assert(v != NULL && v->por.fp != NULL);
    uint64_t now = vmmi_cycles(v);
    if (to_cyc > now) v->por.idle_cur += to_cyc - now;
}

/* The step just begun runs what cannot run before at_cyc in any order: a timer tick
** or a timeline stimulus, fixed by the scenario (run.c, window.c). */
void vmmi_por_due(vmm_state *v, uint64_t at_cyc) {
    assert(v != NULL);
    /* Only a step this choice point recorded: a full table records none (its last
    ** step's segment, which covers the rest, may have begun at this same cycle). */
    if (!v->por.fp || !v->por.step_new) return;
    v->por.step_new = 0;
    assert(v->por.n > 0 && v->por.cyc[v->por.n - 1] == vmmi_cycles(v));
    assert(at_cyc <= v->por.cyc[v->por.n - 1]);
    v->por.due[v->por.n - 1] = at_cyc;
}

uint64_t vmm_por_step_due(const vmm_state *v, uint32_t s) {
    assert(v != NULL);
    return v->por.fp && s < v->por.n ? v->por.due[s] : 0;
}

uint64_t vmm_por_stim_last(const vmm_state *v, uint32_t i) {
    assert(v != NULL && v->s != NULL);
    return i < v->s->nstim ? v->s->stim[i].at_hi : UINT64_MAX;
}

uint64_t vmm_por_step_busy(const vmm_state *v, uint32_t s) {
    assert(v != NULL);
    if (!v->por.fp || s >= v->por.n) return 0;
    uint64_t len = v->por.cyc[s + 1] - v->por.cyc[s];
    assert(v->por.idle[s] <= len);
    return len - v->por.idle[s];
}

uint32_t vmm_por_steps(const vmm_state *v) {
    assert(v != NULL);
    return v->por.fp ? v->por.n : 0;
}

int vmm_por_step(const vmm_state *v, uint32_t s, const uint64_t **ids, uint32_t *nids,
                 const vmm_footprint **fp, int32_t *dec) {
    assert(v && ids && nids && fp && dec);
    if (!v->por.fp || s >= v->por.n) return -1;
    *ids = v->por.ids + v->por.off[s];
    *nids = v->por.off[s + 1] - v->por.off[s];
    *fp = &v->por.fp[s];
    *dec = v->por.dec[s];
    return 0;
}

uint32_t vmm_por_step_serial(const vmm_state *v, uint32_t s) {
    assert(v != NULL);
    return v->por.fp && s < v->por.n ? v->por.ser[s] : 0;
}

/* The serial when step s began: handles at or below it were made before s (by boot,
** for step 0, which begins at the first choice point, not at cycle 0). */
uint32_t vmm_por_step_serial_before(const vmm_state *v, uint32_t s) {
    assert(v != NULL);
    if (!v->por.fp || s >= v->por.n) return 0;
    return s ? v->por.ser[s - 1] : v->por.ser0;
}

int64_t vmm_por_decision_step(const vmm_state *v, uint32_t j) {
    assert(v != NULL);
    return v->por.fp && j < v->por.ndec ? (int64_t)v->por.dstep[j] : -1;
}

/* The run's outcome: guest memory but the ring-0 stacks (dead space between callbacks),
** the findings' count and how the run ended. Two schedules with one outcome left the
** machine's guest-visible state the same. */
uint64_t vmm_outcome_hash(const vmm_state *v) {
    assert(v && v->ram && v->ram0);
    uint32_t lo = VMM_STACK_BASE, hi = VMM_STACK_BASE + v->nctx * VMM_STACK_SIZE, npages = 0;
    assert(hi <= v->ram_size && lo % 4096 == 0 && hi % 4096 == 0);
    /* Only pages the run wrote can differ from the image after vmm_new; of those, the
    ** ones that do (a page written back to its first bytes is the same state). */
    const uint64_t *dirty = cpu_dirty_bitmap(v->cpu, &npages);
    uint64_t h = 0;
    for (uint32_t p = 0; p < npages && p < v->ram_size / 4096u; p++) {
        uint32_t a = p * 4096u;
        if (!(dirty[p / 64] >> (p % 64) & 1) || (a >= lo && a < hi)) continue;
        if (!memcmp(v->ram + a, v->ram0 + a, 4096)) continue;
        h = XXH64(&a, sizeof a, h);
        h = XXH64(v->ram + a, 4096, h);
    }
    uint64_t tail[3] = { v->run.nfind, (uint64_t)v->run.end_reason, (uint64_t)(int64_t)v->run.err };
    return XXH64(tail, sizeof tail, h);
}
