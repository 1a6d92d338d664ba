/*
** client_int.h — client code in V86 and protected mode (client.c; docs/vmm.md, "Client code").
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_CLIENT_INT_H
#define VMMSIM_CLIENT_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

/* client.c (client code in V86 mode) */
int  vmmi_cl_layout(vmm_state *v, char *why, size_t len);
int  vmmi_cl_work(vmm_state *v);
int  vmmi_cl_has(const vmm_state *v, uint32_t vm);
uint32_t vmmi_cl_if(vmm_state *v, uint32_t vm);
int  vmmi_cl_enter_handler(vmm_state *v, uint32_t vm, uint32_t irq);
int  vmmi_cl_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_cl_mem(vmm_state *v, uint32_t vm, uint32_t sel, uint32_t off, void *p, uint32_t n, int wr);
const char *vmmi_cl_where(const vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip, char *buf,
                          size_t len);
int  vmmi_cl_is_pm(const vmm_state *v, uint32_t vm);
/* The guest-physical base of segment register value sel of VM vm's client (V86: its
** space + sel * 16; protected mode: its LDT descriptor's base); -1: no such selector. */
int  vmmi_cl_seg_base(const vmm_state *v, uint32_t vm, uint32_t sel, uint32_t *base);
void vmmi_cl_rec(vmm_state *v, int op, uint32_t vm, uint32_t vector, uint32_t extra);
int  vmmi_cl_int2f(vmm_state *v, uint32_t vm, uint32_t ax);
int  vmmi_cl_takes(uint32_t vec, uint32_t ax);   /* CL-2: INT vec with AX is the VMM's own */


/* client.c, for nest.c: Exec_Int's entry into the VM's own vector (vmmi_cl_rec above) */
int  vmmi_cl_exec_int(vmm_state *v, uint32_t vm, uint32_t vec);

#pragma GCC visibility pop

#endif
