/*
** scen_client.c — after assembly, each VM's client program (docs/vmm.md, "Client
** code") gets its image and labels, and a cs_ip given as a label its IP. Parsing the
** `client:` keys is scen_load.c's; assembling is scen_asm.c's (which calls this from
** scen_resolve).
*/
#include <assert.h>
#include <string.h>

#include "scen_int.h"

/* The probes of expectations at a label (`when:`) get the label's address in the VM's
** space, and what they compare (vmm_probe). */
static int resolve_probes(scen *s) {
    assert(s);
    for (uint32_t n = 0; n < s->nexp; n++) {
        const scen_expect *e = &s->exp[n];
        if (!e->probe) continue;
        assert(e->vm < s->nvms && e->probe <= VMM_PROBES_MAX);
        const vmm_client *p = &s->vms[e->vm].client;
        vmm_probe *pr = &s->cl_probes[e->vm][e->probe - 1];
        const char *what = e->kind == SCEN_EXP_MEMORY ? "expect.memory.when" : "expect.register.when";
        const char *vm = s->vms[e->vm].name;
        uint32_t j = 0;
        while (j < p->nlabels && strcmp(p->labels[j].name, e->when)) j++;
        if (!p->image)
            return scen_fail(s, SCEN_ELABEL, e->when_pos.line, e->when_pos.col, "%s: expected a label of "
                             "VM %s's program, found '%s.%s' (the VM has no client program)", what, vm, vm,
                             e->when);
        if (j == p->nlabels)
            return scen_fail(s, SCEN_ELABEL, e->when_pos.line, e->when_pos.col, "%s: expected a label of "
                             "VM %s's program, found unknown label '%s.%s'", what, vm, vm, e->when);
        if (p->labels[j].addr + e->when_off > 0xFFFF)
            return scen_fail(s, SCEN_ESCHEMA, e->when_pos.line, e->when_pos.col,
                             "%s: '%s.%s+%u' is beyond its 64 KiB segment", what, vm, e->when, e->when_off);
        pr->lin = ((uint32_t)p->load_seg << 4) + p->labels[j].addr + e->when_off;
        pr->nth = e->nth;
        pr->what = e->kind == SCEN_EXP_MEMORY ? VMM_PROBE_MEM : e->addr;
        pr->addr = e->kind == SCEN_EXP_MEMORY ? e->v86 - 1 : 0;
        pr->size = e->size;
        pr->value = e->value;
    }
    return SCEN_OK;
}

/* Each client program's image and labels go to its VM; a cs_ip label becomes its IP. */
int scen_client_resolve(scen *s) {
    assert(s && s->nvms <= SCEN_VMS_MAX);
    for (uint32_t k = 0; k < s->nvms; k++) {
        scen_src *src = &s->src[SCEN_CLIENT_SRC(k)];
        vmm_client *p = &s->vms[k].client;
        if (!src->text && !src->file) continue;
        p->image = src->image;
        p->image_len = s->vxds[SCEN_CLIENT_SRC(k)].image_len;
        p->labels = src->labels;
        p->nlabels = src->nlabels;
        if (!s->cl_entry[k][0]) continue;
        uint32_t j = 0;
        while (j < src->nlabels && strcmp(src->labels[j].name, s->cl_entry[k])) j++;
        if (j == src->nlabels)
            return scen_fail(s, SCEN_ELABEL, s->cl_entry_pos[k].line, s->cl_entry_pos[k].col,
                             "vms.client.cs_ip: expected SEG:OFF or a label of VM %s's program, "
                             "found unknown label '%s'", s->vms[k].name, s->cl_entry[k]);
        if (src->labels[j].addr > 0xFFFF)
            return scen_fail(s, SCEN_ESCHEMA, s->cl_entry_pos[k].line, s->cl_entry_pos[k].col,
                             "vms.client.cs_ip: label '%s' is at 0x%x, beyond its 64 KiB segment",
                             s->cl_entry[k], src->labels[j].addr);
        p->ip = (uint16_t)src->labels[j].addr;
    }
    return resolve_probes(s);
}
