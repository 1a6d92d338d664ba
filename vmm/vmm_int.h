/*
** vmm_int.h — internals of the simulated VMM, shared by the files of vmm/.
** The model and its choices are described in docs/vmm.md.
*/
#ifndef VMMSIM_VMM_INT_H
#define VMMSIM_VMM_INT_H

#include <assert.h>
#include <stdint.h>

#include "vmm.h"

/* ---- limits ----------------------------------------------------------------- */
#define VMM_VMS_MAX        64        /* machine.max_vms may not exceed this */
#define VMM_FRAMES_MAX     16        /* nested callbacks per execution context */
#define VMM_SLOTS_MAX      4096      /* idle / nc / ts table sizes */
#define VMM_SITES          1024      /* patched call sites remembered (power of 2) */
#define VMM_FINDINGS_MAX   256       /* findings kept (all are counted and traced) */
#define VMM_LABELS_MAX     65536
#define VMM_RAM_MAX_KB     (256u * 1024u)
#define VMM_SAME_CYCLE_MAX 64        /* due events of one (cycle, class) decided together */
#define VMM_TRACE_DEFAULT  65536u    /* records kept by default */
#define VMM_CHECKPOINT_DEFAULT 64u
#define VMM_CHOICE_LOG     65536u

/* ---- guest memory layout (docs/vmm.md, "Memory") ------------------------------ */
#define VMM_GDT_PHYS       0x00001000u  /* cpu_enter_flat32's GDT */
#define VMM_STUB_PHYS      0x00002000u  /* VMM stub page: callback return breakpoint */
#define VMM_STUB_CB_RET    (VMM_STUB_PHYS + 0x0)
#define VMM_CB_BASE        0x00010000u  /* VM control blocks, one block per VM */
#define VMM_CB_SIZE        0x100u
#define VMM_CLIENT_OFF     0x80u        /* Client_Reg_Struc inside a VM's block */
#define VMM_CLIENT_SIZE    0x6Cu
#define VMM_STACK_BASE     0x00020000u  /* ring-0 stacks, one per execution context */
#define VMM_STACK_SIZE     0x2000u
#define VMM_VXD_BASE       0x00100000u  /* VxD images load at or above 1 MiB */

/* CB_VM_Status bits (DESIGN.md §6.1) */
#define VMSTAT_SUSPENDED   0x00000008u
#define VMSTAT_BLOCKED     0x00000400u
#define VMSTAT_IDLE        0x00008000u

/* CB offsets */
#define CB_VM_STATUS       0x00u
#define CB_HIGH_LINEAR     0x04u
#define CB_CLIENT_POINTER  0x08u
#define CB_VMID            0x0Cu

/* Execution priority boosts */
#define VMM_CRIT_BOOST     0x00100000u
#define VMM_TIME_CRIT_BOOST 0x00400000u
#define VMM_PRI_MAX        0x7FFFFFFFu

/* ---- cycle costs (docs/vmm.md, "Cycle costs") --------------------------------- */
#define VMM_CYC_INT20      59u   /* INT n, protected mode, same privilege */
#define VMM_CYC_IRETD      38u   /* IRETD back to the patched instruction */
#define VMM_CYC_CALL_M32   12u   /* CALL [m32] near: 10 + m */
#define VMM_CYC_RET        12u   /* RET near: 10 + m */
#define VMM_CYC_CB_CALL    9u    /* the VMM's CALL reg into a callback: 7 + m */
#define VMM_CYC_SWITCH     100u  /* saving and restoring a VM's state on a task switch */

/* ---- callbacks ----------------------------------------------------------------- */
enum vmm_cb_kind {
    VMM_CB_CONTROL = 1, VMM_CB_CALL, VMM_CB_IDLE, VMM_CB_NC, VMM_CB_TS, VMM_CB_KIND_COUNT
};

/* Registers a service sees and returns. */
typedef struct vmm_sregs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp, eflags;
} vmm_sregs;

/* One callback (or chain of callbacks) in progress in an execution context. */
typedef struct vmm_frame {
    uint8_t  kind;          /* enum vmm_cb_kind */
    uint8_t  has_caller;    /* 1: resume `caller` when done; 0: started from client code */
    uint32_t cb;            /* address of the running callback */
    uint32_t index;         /* chain position (control, idle, ts) */
    uint32_t svc;           /* service whose SVC_RET is due when the chain ends (0: none) */
    uint32_t vm;            /* VM the callback runs for (trace) */
    uint32_t esp0, ebp0;    /* CB-1: ESP after the RET, EBP as given */
    uint16_t sel0[6];       /* CB-1: segment selectors as given */
    uint64_t entry_cycle;
    vmm_sregs out;          /* the service's results, for that SVC_RET */
    cpu_regs caller;        /* registers to resume with when the chain ends */
} vmm_frame;

/* A ring-0 execution context: each VM has one, the VMM one more (task-switch
** callbacks). The regs live on the CPU while the context is loaded. */
typedef struct vmm_ctx {
    cpu_regs  regs;
    vmm_frame frame[VMM_FRAMES_MAX];
    uint32_t  depth;
    uint32_t  stack_top;
    int       blocked;      /* waits for the critical section (CS-2) */
    uint32_t  want;         /* claims wanted when blocked */
    uint64_t  wait_seq;     /* order of blocking (FIFO among equal priorities) */
    uint32_t  ret_svc;      /* a service whose SVC_RET is due when the VM runs again */
    vmm_sregs ret_out;      /* its results */
} vmm_ctx;

typedef struct vmm_vm {
    uint32_t handle;        /* linear address of the control block */
    uint32_t pri;           /* execution priority */
    uint32_t suspend;       /* suspend count */
} vmm_vm;

enum vmm_path { VMM_PATH_INT = 0, VMM_PATH_CALL, VMM_PATH_STIM, VMM_PATH_INT2F };

/* A service call in progress. */
typedef struct vmm_call {
    uint32_t  dword;        /* (device << 16) | service; 0x002F16xx for INT 2Fh */
    uint32_t  ctx;          /* calling context */
    uint32_t  vm;           /* current VM at the call */
    int       path;         /* enum vmm_path */
    vmm_sregs r;
    int       chain;        /* the service asks for a callback chain (VMM_CB_*) */
} vmm_call;

enum vmm_finding_code { VMM_FND_CB1 = 1, VMM_FND_CS7, VMM_FND_INIT };
enum vmm_crit_op { VMM_CRIT_CLAIM = 0, VMM_CRIT_END, VMM_CRIT_RELEASE, VMM_CRIT_BLOCK,
                   VMM_CRIT_GRANT };
enum vmm_vmst { VMM_ST_CREATE = 0, VMM_ST_SUSPEND, VMM_ST_RESUME, VMM_ST_IDLE, VMM_ST_WAKE,
                VMM_ST_BLOCK, VMM_ST_UNBLOCK };
enum vmm_sw_reason { VMM_SW_PRIORITY = 0, VMM_SW_BLOCK, VMM_SW_UNBLOCK, VMM_SW_SUSPEND,
                     VMM_SW_RESUME, VMM_SW_RELEASE, VMM_SW_SLICE };
enum vmm_pri_reason { VMM_PRI_ADJUST = 0, VMM_PRI_CRIT };
enum vmm_ev_kind { VMM_EV_STIMULUS = 1 };
#define VMM_EV_CLASS_STIM 1u
#define VMM_NONE 0xFFFFu   /* "no VM" in trace args */
#define VMM_END_DONE 0
#define VMM_END_MAX 1
#define VMM_END_ERROR 2

/* State that a run changes; vmm_reset clears it. */
typedef struct vmm_dyn {
    uint32_t cur;             /* current VM */
    int      oncpu;           /* context loaded on the CPU, -1: none */
    int      booted;
    int      need_resched;
    int      sw_reason;       /* enum vmm_sw_reason of the pending reschedule */
    int      entered;         /* the VMM was entered since guest code last ran */
    int      ended;
    int      err;
    uint64_t progress_cycle;  /* last VMM entry (hang detection) */
    /* critical section (CS-1…CS-7) */
    int      crit_owner;      /* VM index, -1: free */
    uint32_t crit_count;
    uint64_t wait_seq;
    /* callback tables */
    uint32_t nidle, nnc, nts;
    uint32_t nc_owed;
    uint32_t ts_old;          /* the VM switched away from (TS-1 EAX) */         /* releases whose callback has not run yet (NC-2) */
    /* stimuli fired but not yet taken effect, FIFO */
    uint32_t npend;
    uint32_t nfind;           /* findings reported (kept: min(n, VMM_FINDINGS_MAX)) */
    uint32_t nsites;
} vmm_dyn;

struct vmm_state {
    const vmm_scenario *s;
    vmm_machine m;            /* s->m with defaults filled in */
    uint32_t  nvms, sys, nctx;
    uint8_t  *ram, *ram0;     /* guest RAM and its image right after vmm_new */
    uint32_t  ram_size;
    cpu_state *cpu;
    cpu_regs  regs0;          /* flat ring-0 template: segments, GDTR, CR0 */
    eng_queue *q;
    eng_chooser ch;
    eng_trace tr;
    vmm_vm    vm[VMM_VMS_MAX];
    vmm_ctx  *ctx;            /* nctx = nvms + 1; the last is the VMM's */
    uint32_t *idle;           /* Call_When_Idle table (IDLE-1) */
    uint32_t *nc_cb, *nc_ref; /* Call_When_Not_Critical list (NC-1) */
    uint32_t *ts;             /* Call_When_Task_Switched list (TS-1) */
    uint32_t *pend;           /* pending stimuli (indexes) */
    uint32_t *sites;          /* patched call sites (open addressing, 0 = empty) */
    vmm_finding *find;
    struct vmm_lab { uint32_t addr, order; char name[VMM_NAME_MAX * 3]; } *lab;
    uint32_t  nlab;
    vmm_dyn   d;
    char      errmsg[256];
};

/* vmm.c */
int  vmm_fail(vmm_state *v, int err, const char *fmt, ...);
uint32_t vmm_client_ptr(const vmm_state *v, uint32_t vm);
uint32_t vmm_status(vmm_state *v, uint32_t vm);
void vmm_status_set(vmm_state *v, uint32_t vm, uint32_t set, uint32_t clear);
int  vmm_vm_of_handle(const vmm_state *v, uint32_t handle);
uint64_t vmm_cycles(const vmm_state *v);
void vmm_charge(vmm_state *v, uint64_t cycles);

/* trace.c */
void vmm_rec(vmm_state *v, uint16_t type, uint8_t n, uint64_t a0, uint64_t a1, uint64_t a2,
             uint64_t a3, uint64_t a4, uint64_t a5);
void vmm_rec_vmstate(vmm_state *v, uint32_t vm, int state);
void vmm_finding_add(vmm_state *v, int code, uint32_t vm, uint32_t addr, uint64_t a3,
                     uint64_t a4, uint64_t a5, const char *text);
uint32_t vmm_choose(vmm_state *v, uint32_t kind, uint32_t n);
const char *vmm_control_msg_name(uint32_t msg);

/* ctx.c */
void ctx_load(vmm_state *v, uint32_t ci);
void ctx_unload(vmm_state *v);
int  ctx_start(vmm_state *v, uint32_t ci, int kind, uint32_t index, uint32_t svc,
               const vmm_sregs *out);
int  ctx_on_return(vmm_state *v);
void ctx_regs_fresh(const vmm_state *v, uint32_t ci, cpu_regs *r);
void sregs_get(vmm_state *v, vmm_sregs *r);
void sregs_put(vmm_state *v, const vmm_sregs *r);

/* sched.c */
int  vm_ready(vmm_state *v, uint32_t vm);
int  sched_resched(vmm_state *v);
int  sched_switch(vmm_state *v, uint32_t to, int reason);
void sched_set_pri(vmm_state *v, uint32_t vm, int64_t boost, int reason);
int  sched_suspend(vmm_state *v, uint32_t vm);
int  sched_resume(vmm_state *v, uint32_t vm, int no_fail);
void sched_idle(vmm_state *v, uint32_t vm);
void sched_wake(vmm_state *v, uint32_t vm);
int  sched_release_slice(vmm_state *v, uint32_t vm);
void sched_became_ready(vmm_state *v, uint32_t vm);
uint32_t sched_max_pri(const vmm_state *v);

/* crit.c */
int  crit_claim(vmm_state *v, vmm_call *c, uint32_t n);
void crit_end(vmm_state *v, vmm_call *c, uint32_t n);

/* svc.c */
int  svc_dispatch(vmm_state *v, vmm_call *c);
int  svc_finish(vmm_state *v, vmm_call *c);
const char *svc_name(uint32_t dword, char *buf, size_t len);
void svc_ret_record(vmm_state *v, uint32_t dword, uint32_t vm, const vmm_sregs *r);

/* run.c */
int  run_loop(vmm_state *v);

#endif
