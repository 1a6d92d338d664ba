/*
** hook_int.h — V86 interrupt hooks, HK-1 … HK-4 (hook.c; docs/vmm.md).
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_HOOK_INT_H
#define VMMSIM_HOOK_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

#define VMM_HOOKS_MAX      64        /* Hook_V86_Int_Chain installs per run */
typedef struct vmm_hk_st {
    uint32_t cb[VMM_HOOKS_MAX];       /* hook procedures, install order */
    uint8_t  vec[VMM_HOOKS_MAX];      /* the interrupt each hooks */
    uint32_t n;
    uint16_t hw_due[VMM_VMS_MAX];     /* HK-1: 0x100 | the vector of a simulated hardware
                                         interrupt whose hooks are still to run (0: none) */
} vmm_hk_st;

/* hook.c (HK-1 … HK-4: Hook_V86_Int_Chain and the chain of hook procedures) */
extern const vmmi_cb_ops vmmi_hk_ops;        /* hook.c: VMM_CB_V86INT */
void vmmi_hk_after(vmm_state *v, const vmm_frame *f);   /* its cb_after step */
void vmmi_hk_reset(vmm_state *v);
int  vmmi_hk_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_hk_hooked(vmm_state *v, uint32_t vec);
int  vmmi_hk_client_int(vmm_state *v, uint32_t vm, uint32_t vec);
int  vmmi_hk_simulate(vmm_state *v, vmm_call *c, uint32_t vm, uint32_t vec);
int  vmmi_hk_work(vmm_state *v, uint32_t vm);
void vmmi_hk_hw_due(vmm_state *v, uint32_t vm, uint32_t vec);

#pragma GCC visibility pop

#endif
