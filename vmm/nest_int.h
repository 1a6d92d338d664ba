/*
** nest_int.h — nested execution, V86 call-backs and break points (nest.c; docs/vmm.md, "Nested execution").
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_NEST_INT_H
#define VMMSIM_NEST_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

/* Nested execution, V86 call-backs and break points (nest.c; docs/vmm.md, "Nested
** execution"). A Resume_Exec (or Exec_Int) parks the calling VxD's frames: the
** context's frames up to the park's depth wait for the VM's client code to reach the
** nested-execution break point (NX-1); frames above it are callbacks run in the nest. */
#define VMM_NX_BLOCKS      4u           /* nested execution blocks open in one VM */
#define VMM_NX_PARKS       2u           /* Resume_Exec waiting in one VM (a nest in a nest) */
#define VMM_NX_CB_MAX      32u          /* Allocate_V86_Call_Back */
#define VMM_NX_BP_MAX      32u          /* Install_V86_Break_Point */
#define VMM_V86_NEST_BP    0x000FFF58u  /* F000:FF58: ARPL, nested execution's return point */
#define VMM_V86_CB_BP      0x000FFE00u  /* F000:FE00 + 2k: ARPL, V86 call-back k */
#define VMM_NX_RET_MAX     8u           /* Call_When_VM_Returns waiting (machine-wide) */
#define VMM_V86_RET_BP     0x000FFE80u  /* F000:FE80 + 2k: ARPL, Call_When_VM_Returns k */

typedef struct vmm_nx_park {
    uint32_t depth;         /* the context's depth when the service parked it */
    uint32_t svc;           /* the parked service's dword (its SVC_RET comes at the break) */
    uint32_t nblk;          /* blocks open at the park (End_Nest_Exec may not close them) */
    uint8_t  hold;          /* AMB-NX: 0 undecided, 1 events run in the nest, 2 held */
} vmm_nx_park;

typedef struct vmm_nx_vm {
    uint32_t nblk, npark;
    uint32_t blk_csip[VMM_NX_BLOCKS];   /* Client CS << 16 | IP at each Begin_Nest_*_Exec */
    vmm_nx_park park[VMM_NX_PARKS];
} vmm_nx_vm;

typedef struct vmm_nx_bp {
    uint32_t vm, addr, cb, ref;         /* addr: segment << 16 | offset */
    uint8_t  orig;                      /* the byte the ARPL replaced */
} vmm_nx_bp;

/* VCB-4: a Call_When_VM_Returns waiting for its VM's IRET (a break point that replaced
** the return address) and its time-out. */
enum vmm_nx_to { VMM_NXTO_NONE = 0, VMM_NXTO_ARMED, VMM_NXTO_FIRED, VMM_NXTO_CALLED };
typedef struct vmm_nx_ret {
    uint32_t vm, cb, ref, csip;         /* csip: the return address the break point replaced */
    int32_t  to_ms;                     /* EAX: > 0 call once, < 0 call at both, 0 no time-out */
    uint8_t  used, to;                  /* to: enum vmm_nx_to */
    uint64_t to_seq;                    /* its engine event while armed */
} vmm_nx_ret;

typedef struct vmm_nx_st {
    vmm_nx_vm vm[VMM_VMS_MAX];
    vmm_nx_ret ret[VMM_NX_RET_MAX];
    uint32_t  ncb, nbp;
    uint32_t  cb[VMM_NX_CB_MAX], cb_ref[VMM_NX_CB_MAX];
    vmm_nx_bp bp[VMM_NX_BP_MAX];
} vmm_nx_st;

extern const vmmi_cb_ops vmmi_nx_cb_ops;     /* nest.c: VMM_CB_V86 */
/* nest.c (NX-1 …, VCB-1 …) */
void vmmi_nx_reset(vmm_state *v);
int  vmmi_nx_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_nx_break(vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip);
int  vmmi_nx_hold(vmm_state *v, uint32_t vm);
void vmmi_nx_ret_timeout(vmm_state *v, uint32_t k, uint64_t seq);
int  vmmi_nx_work(vmm_state *v);
int  vmmi_nx_check(const vmm_state *v, char *why, size_t len);   /* vmm_check's part */

#pragma GCC visibility pop

#endif
