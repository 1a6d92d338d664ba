/*
** vmm_trace.h — the vocabulary of the trace beyond its record types (vmm.h): the
** values packed into record arguments (callback kinds, operations, reasons), the
** CB_VM_Status bits and priority boosts they carry, and the VMM path costs that
** records are stamped after. docs/trace-format.md gives their text names. Public so
** that tools reading a trace (cli/bench_*.c) use the VMM's own numbers; a value here
** changes only with the trace format.
*/
#ifndef VMMSIM_VMM_TRACE_H
#define VMMSIM_VMM_TRACE_H

/* CB_VM_Status bits (docs/vmm.md, "Memory") */
#define VMM_VMSTAT_SUSPENDED   0x00000008u
#define VMM_VMSTAT_BLOCKED     0x00000400u
#define VMM_VMSTAT_IDLE        0x00008000u
#define VMM_VMSTAT_EXCLUSIVE   0x00000001u
#define VMM_VMSTAT_BACKGROUND  0x00000002u
#define VMM_VMSTAT_HIGH_PRI_BACK 0x00000200u
#define VMM_VMSTAT_SLICE_FLAGS (VMM_VMSTAT_EXCLUSIVE | VMM_VMSTAT_BACKGROUND | VMM_VMSTAT_HIGH_PRI_BACK)

/* Execution priority boosts */
#define VMM_CUR_RUN_BOOST  0x00000004u  /* SL-1: the VM whose time slice it is */
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
#define VMM_CYC_HWINT      59u   /* an interrupt gate into ring 0 from ring 0 (INT pm=59) */

enum vmm_cb_kind {
    VMM_CB_CONTROL = 1, VMM_CB_CALL, VMM_CB_IDLE, VMM_CB_NC, VMM_CB_TS,
    VMM_CB_EVENT, VMM_CB_PRIO, VMM_CB_TIMEOUT, VMM_CB_HWINT,
    VMM_CB_VID_VIRT, VMM_CB_VID_EOI, VMM_CB_VID_IRET,   /* INT-1: VID_*_Proc of a descriptor */
    VMM_CB_IOTRAP,        /* IOT-2: a port-trap handler (vmm/trap.c) */
    VMM_CB_V86INT,                                      /* HK-1: a V86 interrupt hook */
    VMM_CB_V86,             /* VCB-1, VCB-2: a V86 call-back or break point (nest.c) */
    VMM_CB_LIFE,        /* VML: a lifecycle's control messages (vmm/life.c) */
    VMM_CB_KIND_COUNT
};

enum vmm_ev_type { VMM_EVT_GLOBAL = 0, VMM_EVT_VM, VMM_EVT_PRIO };

enum vmm_to_type { VMM_TOT_GLOBAL = 0, VMM_TOT_VM, VMM_TOT_PRIO };

enum vmm_path { VMM_PATH_INT = 0, VMM_PATH_CALL, VMM_PATH_STIM, VMM_PATH_INT2F, VMM_PATH_CLIENT };
/* CLIENT record operations (docs/vmm.md, "Client code") */
enum vmm_client_op { VMM_CLOP_INT = 0, VMM_CLOP_HLT, VMM_CLOP_WAKE, VMM_CLOP_SIMINT, VMM_CLOP_IRET,
                     VMM_CLOP_IF, VMM_CLOP_VMM, VMM_CLOP_HOOK, VMM_CLOP_SIM,
                     VMM_CLOP_EXECINT, VMM_CLOP_BREAK };
/* CLIENT op=break: which break point the client reached (its `vector` field) */
enum vmm_break_kind { VMM_BRK_NEST = 0, VMM_BRK_CALLBACK, VMM_BRK_POINT, VMM_BRK_RETURN };
#define VMM_CYC_V86_ENTRY  119u  /* INT n from V86 mode through an interrupt gate to ring 0 */
#define VMM_CYC_V86_IRET   60u   /* IRETD from ring 0 back to V86 mode */

enum vmm_crit_op { VMM_CRIT_CLAIM = 0, VMM_CRIT_END, VMM_CRIT_RELEASE, VMM_CRIT_BLOCK,
                   VMM_CRIT_GRANT };
enum vmm_vmst { VMM_ST_CREATE = 0, VMM_ST_SUSPEND, VMM_ST_RESUME, VMM_ST_IDLE, VMM_ST_WAKE,
                VMM_ST_BLOCK, VMM_ST_UNBLOCK, VMM_ST_DESTROY };
enum vmm_sw_reason { VMM_SW_PRIORITY = 0, VMM_SW_BLOCK, VMM_SW_UNBLOCK, VMM_SW_SUSPEND,
                     VMM_SW_RESUME, VMM_SW_RELEASE, VMM_SW_SLICE, VMM_SW_EVENT };
enum vmm_pri_reason { VMM_PRI_ADJUST = 0, VMM_PRI_CRIT, VMM_PRI_EVENT, VMM_PRI_IRQ, VMM_PRI_SLICE };
enum vmm_ev_kind { VMM_EV_STIMULUS = 1, VMM_EV_TICK, VMM_EV_IRET, VMM_EV_SLICE, VMM_EV_IRET_TO,
                   VMM_EV_RET_TO /* VCB-4: a Call_When_VM_Returns time-out (nest.c) */ };
#define VMM_EV_CLASS_STIM 1u
#define VMM_EV_CLASS_TIMER 2u
#define VMM_EV_CLASS_IRQ 3u
#define VMM_EV_CLASS_SLICE 4u
/* EV / TIMEOUT / IRQ record operations (docs/trace-format.md) */
enum vmm_ev_op { VMM_EVOP_SCHEDULE = 0, VMM_EVOP_RUN, VMM_EVOP_CANCEL, VMM_EVOP_TIMEOUT };
enum vmm_to_op { VMM_TOOP_SET = 0, VMM_TOOP_DUE, VMM_TOOP_CALL, VMM_TOOP_CANCEL };
enum vmm_slice_op { VMM_SLOP_START = 0, VMM_SLOP_FOCUS, VMM_SLOP_RELEASE, VMM_SLOP_ADJUST };
enum vmm_irq_op { VMM_IRQOP_VIRTUALIZE = 0, VMM_IRQOP_RAISE, VMM_IRQOP_UNOWNED, VMM_IRQOP_HWINT,
                  VMM_IRQOP_REQUEST, VMM_IRQOP_CLEAR, VMM_IRQOP_EOI, VMM_IRQOP_SIMULATE,
                  VMM_IRQOP_IRET, VMM_IRQOP_IRET_TIMEOUT };
#define VMM_NONE 0xFFFFu   /* "no VM" in trace args */
#define VMM_END_DONE 0
#define VMM_END_MAX 1
#define VMM_END_ERROR 2

#endif
