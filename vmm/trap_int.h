/*
** trap_int.h — I/O trapping (trap.c; docs/vmm.md, "I/O trapping", IOT-1 … IOT-6).
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_TRAP_INT_H
#define VMMSIM_TRAP_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

#define VMM_TRAP_PORTS_MAX 128       /* Install_IO_Handler: the system limit of handlers */
#define VMM_TRAP_REP_MAX   65536u    /* elements of one trapped REP INS/OUTS (Addr_32_IO
                                        counts above this fail the run) */
#define VMM_TRAP_INSN_MAX  15u       /* bytes of one instruction (386) */

/* One trapped port: its handler and the VMs it is trapped in. */
typedef struct vmm_trap_port {
    uint32_t cb;              /* the I/O callback (Install_IO_Handler's ESI) */
    uint64_t on;              /* bit per VM: trapping enabled there */
    uint16_t port;
    uint8_t  glob;            /* the global state, for VMs created later (DDK) */
    uint8_t  set;             /* its bit in the client TSS's I/O bitmap now */
} vmm_trap_port;

/* A trapped instruction being emulated for one VM (its VMM_CB_IOTRAP frame). */
typedef struct vmm_trap_run {
    uint8_t  active, out, str, rep, a32, rev, desc;
    uint8_t  esize;           /* bytes per element: 1, 2, 4 */
    uint8_t  seg;             /* OUTS source segment (CPU_DS unless overridden) */
    uint8_t  k;               /* bytes of the element done */
    uint8_t  len;             /* instruction length */
    uint8_t  hb;              /* byte the running handler serves */
    uint16_t port;
    uint32_t left;            /* elements still to do */
    uint32_t val;             /* the element's value */
} vmm_trap_run;

typedef struct vmm_trap_st {
    vmm_trap_port port[VMM_TRAP_PORTS_MAX];   /* install order */
    uint32_t n;
    vmm_trap_run run[VMM_VMS_MAX];
} vmm_trap_st;

extern const vmmi_cb_ops vmmi_trap_ops;      /* trap.c: VMM_CB_IOTRAP */
/* trap.c (IOT-1 … IOT-6) */
void vmmi_trap_reset(vmm_state *v);
int  vmmi_trap_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_trap_vm_created(vmm_state *v, uint32_t vm);     /* life.c: a VM created */
void vmmi_trap_vm_destroyed(vmm_state *v, uint32_t vm);   /* life.c: a VM destroyed */
void vmmi_trap_iopm(vmm_state *v, uint32_t vm);
int  vmmi_trap_gp(vmm_state *v, uint32_t vm);

#pragma GCC visibility pop

#endif
