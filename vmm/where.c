/*
** where.c — guest addresses as the scenario names them ("DEMO.start_work+12"), and
** the check that a callback address a guest passes to a service lies in a VxD image.
** Guest registers are input: a bad callback is a clear error naming the service, the
** calling VxD and its label, never an assertion later when the callback would run.
*/
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

int vmmi_vxd_of_addr(const vmm_state *v, uint32_t addr) {
    assert(v && v->s);
    for (uint32_t i = 0; i < v->s->nvxds; i++) {
        const vmm_vxd_desc *x = &v->s->vxds[i];
        if (addr >= x->load_addr && (uint64_t)addr < (uint64_t)x->load_addr + x->image_len)
            return (int)i;
    }
    return -1;
}

const char *vmmi_where(const vmm_state *v, uint32_t addr, char *buf, size_t len) {
    assert(v && buf && len);
    int x = vmmi_vxd_of_addr(v, addr);
    if (x < 0) { snprintf(buf, len, "0x%08x", addr); return buf; }
    uint32_t lo = 0, hi = v->nlab, base = v->s->vxds[x].load_addr;
    while (lo < hi) {   /* first label above addr; the one before it is the nearest below */
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->lab[mid].addr <= addr) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && v->lab[lo - 1].addr >= base) {
        uint32_t at = lo - 1;   /* the earliest-defined label at that address */
        while (at > 0 && v->lab[at - 1].addr == v->lab[lo - 1].addr) at--;
        uint32_t off = addr - v->lab[at].addr;
        if (off) snprintf(buf, len, "%s+%u", v->lab[at].name, off);
        else snprintf(buf, len, "%s", v->lab[at].name);
    } else {
        snprintf(buf, len, "%s+0x%x", v->s->vxds[x].name, addr - base);
    }
    return buf;
}

int vmmi_svc_check_cb(vmm_state *v, const vmm_call *c, uint32_t cb, const char *what) {
    char name[64], site[VMM_NAME_MAX * 3 + 16], from[VMM_NAME_MAX * 3 + 48];
    assert(v && c && what);
    if (vmmi_vxd_of_addr(v, cb) >= 0) return VMM_OK;
    if (c->path == VMM_PATH_STIM) snprintf(from, sizeof from, "a timeline stimulus");
    else {
        int x = vmmi_vxd_of_addr(v, c->site);
        snprintf(from, sizeof from, "VxD %s at %s", x < 0 ? "?" : v->s->vxds[x].name,
                 vmmi_where(v, c->site, site, sizeof site));
    }
    return vmmi_fail(v, VMM_EGUEST, "%s: %s 0x%08x is not in any VxD's image (called by %s)",
                    vmmi_svc_name(c->dword & 0x7FFFFFFFu, name, sizeof name), what, cb, from);
}
