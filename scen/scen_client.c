/*
** scen_client.c — after assembly, each VM's client program (docs/vmm.md, "Client
** code") gets its image and labels, and a cs_ip given as a label its IP. Parsing the
** `client:` keys is scen_load.c's; assembling is scen_asm.c's (which calls this from
** scen_resolve).
*/
#include <assert.h>
#include <string.h>

#include "scen_int.h"

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
    return SCEN_OK;
}
