/*
** life_int.h — the VM lifecycle, VML-1 … VML-4 (life.c; docs/vmm.md, "The VM lifecycle").
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_LIFE_INT_H
#define VMMSIM_LIFE_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

/* The VM lifecycle, VML-1 … VML-3 (life.c; docs/vmm.md, "The VM lifecycle"). A VM's
** state: live (0, so that a scenario without the lifecycle needs nothing), not yet
** created, being created, being destroyed, destroyed. A VM that is not live and not
** being destroyed is held suspended (VMM_LIFE_HOLD) so that it is never ready. */
#define VMM_LIFE_OPS_MAX    (2 * VMM_VMS_MAX + 2)   /* queued lifecycle operations */
#define VMM_LIFE_ORPHANS_MAX 64u     /* global callbacks whose reference data was a VM's */
#define VMM_LIFE_HOLD       0x40000000u
enum vmm_life_vm { VMM_LV_LIVE = 0, VMM_LV_ABSENT, VMM_LV_CREATING, VMM_LV_GOING, VMM_LV_DEAD };
enum vmm_life_op { VMM_LOP_CREATE = 1, VMM_LOP_CLOSE, VMM_LOP_NUKE, VMM_LOP_CRASH, VMM_LOP_EXIT,
                   VMM_LOP_CLOSE_VM, VMM_LOP_SUSPEND, VMM_LOP_RESUME };
/* System_Control messages (docs/vmm.md, "Boot") */
#define VMM_MSG_SYS_VM_TERMINATE   0x04u
#define VMM_MSG_SYSTEM_EXIT        0x05u
#define VMM_MSG_SYS_CRITICAL_EXIT  0x06u
#define VMM_MSG_CREATE_VM          0x07u
#define VMM_MSG_VM_CRITICAL_INIT   0x08u
#define VMM_MSG_VM_INIT            0x09u
#define VMM_MSG_VM_TERMINATE       0x0Au
#define VMM_MSG_VM_NOT_EXECUTEABLE 0x0Bu
#define VMM_MSG_DESTROY_VM         0x0Cu
#define VMM_MSG_VM_SUSPEND         0x0Du
#define VMM_MSG_VM_RESUME          0x0Eu
#define VMM_MSG_CLOSE_VM_NOTIFY    0x19u
/* VM_Not_Executeable's EDX flags (VMM.INC) */
#define VMM_VNE_CRASHED    0x01u
#define VMM_VNE_NUKED      0x02u
#define VMM_VNE_CREATEFAIL 0x04u
#define VMM_VNE_CRINITFAIL 0x08u
#define VMM_VNE_INITFAIL   0x10u
#define VMM_CVNF_CRIT_CLOSE 0x01u   /* Close_VM_Notify's EDX */
#define VMM_CVF_CONTINUE_EXEC 0x01u /* Close_VM's ECX */
typedef struct vmm_life_orphan {
    uint32_t handle, cb, ref;   /* a pending global time-out / event, its callback and data */
    uint32_t vm;                /* the destroyed VM whose handle the data is */
} vmm_life_orphan;
typedef struct vmm_life_st {
    int      on;              /* the scenario uses the lifecycle (fixed by vmm_new) */
    int      exited;          /* Windows exited: the run ends */
    uint32_t nlater;          /* start_later VMs (fixed by vmm_new) */
    uint8_t  st[VMM_VMS_MAX]; /* enum vmm_life_vm */
    int      on0;             /* on, as vmm_new found it (the reset value) */
    int8_t   owner[VMM_VMS_MAX];   /* control block k's VM (-1: none yet or freed) */
    int8_t   last[VMM_VMS_MAX];    /* the VM block k belonged to last (or will first) */
    uint8_t  op[VMM_LIFE_OPS_MAX], opvm[VMM_LIFE_OPS_MAX];   /* queued operations, FIFO */
    uint32_t nop;
    uint8_t  cur_op, cur_vm;  /* the operation whose messages run (cur_op 0: none) */
    uint8_t  phase, failed;   /* its message list and position; a message failed (CF) */
    uint32_t nphase;
    uint8_t  msg[8];          /* its messages, in order */
    uint32_t flags;           /* VM_Not_Executeable's EDX */
    int32_t  asked;           /* VML choice: the pending stimulus already asked (-1: none) */
    int32_t  resuming;        /* the VM whose VM_Resume messages all succeeded (-1: none) */
    vmm_life_orphan orphan[VMM_LIFE_ORPHANS_MAX];
    uint32_t norphan, orphans_lost;
} vmm_life_st;

extern const vmmi_cb_ops vmmi_life_ops;      /* life.c: VMM_CB_LIFE */
/* life.c (VML-1 … VML-3) */
int  vmmi_life_init(vmm_state *v, char *why, size_t len);   /* vmm_new: checks, fixed state */
void vmmi_life_reset(vmm_state *v);
int  vmmi_life_svc(vmm_state *v, vmm_call *c, uint32_t dev, uint32_t num);
int  vmmi_life_stim(vmm_state *v, uint32_t i);   /* a create_vm / destroy_vm / exit takes effect */
int  vmmi_life_work(vmm_state *v);
int  vmmi_life_boot_vm(const vmm_state *v, uint32_t vm);   /* 1: the VM exists at boot */
int  vmmi_life_vm_of_handle(const vmm_state *v, uint32_t handle);
void vmmi_life_on_enter(vmm_state *v, const vmm_frame *f);
uint32_t vmmi_life_next_vm(const vmm_state *v, uint32_t vm);   /* Get_Next_VM_Handle */
void vmmi_life_fmt_finding(const vmm_state *v, const uint64_t *a, char *buf, size_t len);
void vmmi_life_suspended(vmm_state *v, uint32_t vm);    /* sched.c: count 0 -> 1 */
int  vmmi_life_check(const vmm_state *v, char *why, size_t len);   /* check.c: 0 or -1 */
int  vmmi_life_resume_held(vmm_state *v, uint32_t vm);  /* sched.c: 1: VM_Resume first */

#pragma GCC visibility pop

#endif
