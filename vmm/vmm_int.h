/*
** vmm_int.h — internals of the simulated VMM, shared by the files of vmm/.
** The model and its choices are described in docs/vmm.md.
*/
#ifndef VMMSIM_VMM_INT_H
#define VMMSIM_VMM_INT_H

#include <stdint.h>

#include "vmmsim_assert.h"

#include "vmm.h"
#include "vmm_trace.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

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
#define VMM_IRQS           16        /* IRQ 0..15 (two 8259s) */
#define VMM_IRQ_HANDLER_DEFAULT 2000u
#define VMM_IRQ_WINDOW_MAX 64        /* machine.irq_boundary_window: 1..64 instructions */
#define VMM_SLICE_MS_DEFAULT 20u     /* SL-1: Windows 3.1's default MinTimeSlice */
#define VMM_SLICE_PRI_MAX  10000u    /* time-slice priorities are 1..10000 */
#define VMM_SLICE_PRI_FG   100u      /* defaults when a VM description gives 0 */
#define VMM_SLICE_PRI_BG   50u
#define VMM_RELEASE_PENALTY_MS 500   /* Release_Time_Slice by a background VM (DDK) */
#define VMM_SLICE_CREDIT_MAX 3600000 /* |execution-time credit| bound, ms */
#define VMM_IO_PEND_MAX    4         /* port accesses held until the CPU stops (one per
                                        instruction or INS/OUTS iteration; vmm/io.c) */

/* Handles returned to guest code: a tag and a per-run serial number (never reused). */
#define VMM_H_EVENT        0xE0000000u
#define VMM_H_PRIO         0xE1000000u
#define VMM_H_TIMEOUT      0xE2000000u
#define VMM_H_IRQ          0xE3000000u
#define VMM_H_TAG          0xFF000000u
#define VMM_SERIAL_MAX     0x00FFFFFFu

/* ---- guest memory layout (docs/vmm.md, "Memory") ------------------------------ */
#define VMM_GDT_PHYS       0x00001000u  /* cpu_enter_flat32's GDT */
#define VMM_STUB_PHYS      0x00002000u  /* VMM stub page: callback return breakpoint */
#define VMM_STUB_CB_RET    (VMM_STUB_PHYS + 0x0)
#define VMM_CB_BASE        0x00010000u  /* VM control blocks, one block per VM */
#define VMM_CB_SIZE        0x100u
#define VMM_CLIENT_OFF     0x80u        /* Client_Reg_Struc inside a VM's block */
#define VMM_CLIENT_SIZE    0x6Cu
/* Client_Reg_Struc's fields (scenarios/include/vmm.inc), one set for every file. */
#define VMM_CR_EDI 0x00u
#define VMM_CR_ESI 0x04u
#define VMM_CR_EBP 0x08u
#define VMM_CR_EBX 0x10u
#define VMM_CR_EDX 0x14u
#define VMM_CR_ECX 0x18u
#define VMM_CR_EAX 0x1Cu
#define VMM_CR_EIP 0x24u
#define VMM_CR_CS  0x28u
#define VMM_CR_EFL 0x2Cu
#define VMM_CR_ESP 0x30u
#define VMM_CR_SS  0x34u
#define VMM_STACK_BASE     0x00020000u  /* ring-0 stacks, one per execution context */
#define VMM_STACK_SIZE     0x2000u
#define VMM_VXD_BASE       0x00100000u  /* VxD images load at or above 1 MiB */

/* CB offsets */
#define CB_VM_STATUS       0x00u
#define CB_HIGH_LINEAR     0x04u
#define CB_CLIENT_POINTER  0x08u
#define CB_VMID            0x0Cu

/* Call_Priority_VM_Event flags (EV-2) */
#define PEF_WAIT_FOR_STI   0x01u
#define PEF_WAIT_NOT_CRIT  0x02u
#define PEF_DONT_UNBOOST   0x04u
#define PEF_ALWAYS_SCHED   0x08u
#define PEF_TIME_OUT       0x10u

/* VPICD (device 3) and its IRQ descriptor (Windows 3.1 DDK, VPICD_IRQ_Descriptor) */
#define VPICD_DEVICE       0x0003u
#define VID_IRQ_NUMBER     0x00u   /* word */
#define VID_OPTIONS        0x02u   /* word */
#define VID_HW_INT_PROC    0x04u
#define VID_VIRT_INT_PROC  0x08u   /* 0: none (each procedure but Hw_Int_Proc is optional) */
#define VID_EOI_PROC       0x0Cu
#define VID_MASK_CHANGE_PROC 0x10u /* never called: nothing changes a VM's virtual mask */
#define VID_IRET_PROC      0x14u
#define VID_IRET_TIME_OUT  0x18u   /* ms; 0: no time-out */
#define VID_SIZE           0x1Cu

/* ---- client code (client.c; docs/vmm.md, "Client code") ------------------------ */
#define VMM_V86_SIZE       0x110000u    /* 1 MiB + the HMA */
#define VMM_V86_IRET_STUB  0x000FFF53u  /* F000:FF53: IRET, where the default IVT points */
#define VMM_V86_IRQ_BP     0x000FFF50u  /* F000:FF50: ARPL, the V86 breakpoint a simulated
                                           interrupt's frame returns to (#UD in V86) */
#define VMM_V86_BIOS_SEG   0xF000u
#define VMM_TSS_SIZE       0x2069u      /* 386 TSS + I/O bitmap (all ports) + 0xFF end */
#define VMM_TSS_IOMAP      0x68u
/* A protected-mode client's LDT (in its area's first page): code, data, stack. */
#define VMM_PM_CS          0x07u        /* LDT index 0, RPL 3: the load segment, code */
#define VMM_PM_DS          0x0Fu        /* LDT index 1: the load segment, data */
#define VMM_PM_SS          0x17u        /* LDT index 2: the ss_sp segment, data */
#define VMM_PM_LDT_N       3u

/* ---- callbacks ----------------------------------------------------------------- */
/* One callback's entry registers and what its return undoes (event, priority event,
** time-out, hardware-interrupt callbacks). */
typedef struct vmm_cbargs {
    uint32_t cb, eax, ebx, ecx, edx;
    uint32_t cf;            /* carry flag at entry (EV-2: set on time-out) */
    uint32_t unboost_vm;    /* EV-2: priority removed on return (0: none) */
    uint32_t unboost;
    uint8_t  int_time;      /* INT-1: runs at interrupt time */
    uint8_t  int_vmm;       /* the interrupt interrupted VxD code (not a VM's client) */
} vmm_cbargs;

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
    uint32_t chain_n;       /* IDLE: callbacks installed when the chain started (AMB-2) */
    uint32_t svc;           /* service whose SVC_RET is due when the chain ends (0: none) */
    uint32_t vm;            /* VM the callback runs for (trace) */
    uint32_t esp0, ebp0;    /* CB-1: ESP after the RET, EBP as given */
    uint16_t sel0[6];       /* CB-1: segment selectors as given */
    uint64_t entry_cycle;
    vmm_sregs out;          /* the service's results, for that SVC_RET */
    cpu_regs caller;        /* registers to resume with when the chain ends */
    vmm_cbargs a;           /* VMM_CB_EVENT, _PRIO, _TIMEOUT, _HWINT */
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
    uint64_t exec_cycles;   /* TO-1: cycles it was the current VM, until run_since */
    uint64_t run_since;     /* cycle it last became the current VM */
    uint16_t vreq;          /* INT-1: virtual IRQ requests not yet simulated */
    uint16_t vboost;        /* IRQs whose Time_Critical_Boost it holds */
    int      vhandler;      /* IRQ whose client handler runs, -1: none */
    uint32_t fg, bg;        /* SL-1: foreground / background time-slice priorities */
    int32_t  credit_ms;     /* SL-1: Adjust_Execution_Time credit for its next slices */
    uint32_t v86;           /* client.c: physical base of its V86 space (CB_High_Linear),
                               0: no client program (fixed by vmm_new) */
    uint32_t pd;            /* client.c: its page directory (V86 space at linear 0), or
                               for a protected-mode client its LDT */
    uint8_t  halted;        /* client.c: its client code executed HLT (idle until an
                               interrupt is simulated into it) */
    uint32_t irq_ret;       /* client.c: CS << 16 | IP its simulated interrupt returns to */
    uint8_t  if_seen;       /* client.c: the IF its last CLIENT record left (CL-3) */
    vmm_probe_result probe[VMM_PROBES_MAX];   /* client.c: its client probes' findings */
} vmm_vm;

/* A pending event (EV-1), priority event (EV-2) or time-out (TO-1). */
typedef struct vmm_ev {
    uint32_t handle;
    uint8_t  type;          /* vmm_ev_type / vmm_to_type */
    uint8_t  fired;         /* time-out: its tick came; priority event: timed out */
    uint32_t vm;            /* target VM (VM events, VM time-outs, priority events) */
    uint32_t cb, ref;
    uint32_t boost, flags;  /* priority events */
    uint32_t link;          /* priority event <-> its time-out handle (0: none) */
    uint64_t due_cyc;       /* time-out: cycle (global) or VM execution cycles (VM) */
    uint64_t due_ms;        /* time-out: system time or VM execution time, ms */
} vmm_ev;

/* A hardware IRQ line (INT-1). */
typedef struct vmm_irq {
    uint32_t desc;          /* VPICD_IRQ_Descriptor address, 0: not virtualized */
    uint32_t hw_proc;       /* VID_Hw_Int_Proc */
    uint32_t virt_proc, eoi_proc, iret_proc;   /* VID_*_Proc, 0: none */
    uint32_t iret_to_ms;    /* VID_IRET_Time_Out (only with an IRET procedure) */
    uint8_t  irr, isr;      /* requested by the hardware; in service (until Phys_EOI) */
} vmm_irq;

/* INT-1: where a VM's simulated interrupt is on its way through the descriptor's
** procedures (vmm/vpicd.c; docs/vmm.md, "Simulated interrupts"). */
enum vmm_vid_phase { VMM_VID_NONE = 0, VMM_VID_VIRT_RUN, VMM_VID_HANDLER, VMM_VID_EOI_DUE,
                     VMM_VID_EOI_RUN, VMM_VID_IRET_DUE, VMM_VID_IRET_RUN };
enum vmm_vid_to { VMM_VTO_NONE = 0, VMM_VTO_ARMED, VMM_VTO_FIRED, VMM_VTO_CALLED };
typedef struct vmm_vid {
    uint8_t  phase;         /* enum vmm_vid_phase */
    uint8_t  to;            /* enum vmm_vid_to: VID_IRET_Time_Out */
    uint64_t to_seq;        /* its engine event, while armed */
} vmm_vid;


/* A service call in progress. */
typedef struct vmm_call {
    uint32_t  dword;        /* (device << 16) | service; 0x002F16xx for INT 2Fh */
    uint32_t  ctx;          /* calling context */
    uint32_t  vm;           /* current VM at the call */
    int       path;         /* enum vmm_path */
    vmm_sregs r;
    int       chain;        /* the service asks for a callback chain (VMM_CB_*) */
    int       has_cba;      /* chain is one callback with these arguments */
    vmm_cbargs cba;
    int       int_time;     /* INT-1: called at interrupt time */
    int       int_vmm;      /* ... from an interrupt that interrupted VxD code */
    uint32_t  site;         /* linear address of the calling instruction (code paths) */
    int       held;         /* nest.c: the service returns later (Resume_Exec, Exec_Int: NX-1) */
} vmm_call;

enum vmm_finding_code { VMM_FND_CB1 = 1, VMM_FND_CS7, VMM_FND_INIT, VMM_FND_INT1,
                        VMM_FND_VML1, VMM_FND_VML2, VMM_FND_VML3, VMM_FND_COUNT };

/* A port access made inside cpu_run, traced when the CPU has stopped (vmm/io.c). */
typedef struct vmm_io {
    uint16_t port;
    uint8_t  size;          /* 1, 2 or 4 */
    uint8_t  out;           /* 0: IN, 1: OUT */
    uint32_t value;         /* read (after masking) or written */
} vmm_io;

enum vmm_io_op { VMM_IOOP_IN = 0, VMM_IOOP_OUT };

/* ---- I/O trapping (trap.c; docs/vmm.md, "I/O trapping", IOT-1 … IOT-6) ---------- */
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

/* ---- state a run changes, one struct per feature ------------------------------
** Each struct belongs to the file named in its comment: only that file's reset
** function clears it (vmm_reset calls them all, vmm.c), and the file is the home of
** the rules it implements. Tables the machine allocates once (idle, nc, ts, the
** event lists) keep their storage across resets; only their counts are cleared. */

/* The run itself (run.c): current VM, loaded context, reschedule requests. */
typedef struct vmm_run_st {
    uint32_t cur;             /* current VM */
    int      oncpu;           /* context loaded on the CPU, -1: none */
    int      booted;
    int      need_resched;
    int      sw_reason;       /* enum vmm_sw_reason of the pending reschedule */
    int      entered;         /* the VMM was entered since guest code last ran */
    int      ended;
    int      err;
    uint64_t progress_cycle;  /* last VMM entry (hang detection) */
    uint32_t npend;           /* stimuli fired but not yet taken effect, FIFO (v->pend) */
    uint32_t nfind;           /* findings reported (kept: min(n, VMM_FINDINGS_MAX)) */
    uint32_t nfind_code[VMM_FND_COUNT];     /* reported, by code (kept or not) */
    uint32_t nstim_fired;     /* stimulus events dispatched (END-1) */
    int      end_reason;      /* VMM_END_* of the finished run */
    uint32_t nsites;          /* patched call sites remembered (v->sites) */
    uint32_t nwait;           /* windowed stimuli waiting for a later step (window.c) */
    uint64_t step;            /* run-loop iterations: the VMM steps a window spans */
    uint64_t loop_last;       /* the loop's last cycle seen, and steps since it moved */
    uint64_t loop_still;      /* (livelock detection; here so that a snapshot has them) */
} vmm_run_st;

/* The critical section, CS-1 … CS-7 (crit.c). */
typedef struct vmm_crit_st {
    int      owner;           /* VM index, -1: free */
    uint32_t count;
    uint64_t wait_seq;        /* last blocking order handed out (CS-3 FIFO) */
} vmm_crit_st;

/* Call_When_Not_Critical, NC-1 … NC-4 (nc.c). */
typedef struct vmm_nc_st {
    uint32_t *cb, *ref;       /* installed callbacks and their reference data */
    uint32_t  n;
    uint32_t  owed;           /* releases whose callback has not run yet (NC-2) */
    uint32_t  rel_n;          /* AMB-1: callbacks installed at the last release (0: none) */
    int       asked;          /* AMB-3: the owed call's place was decided */
    int       at_return;      /* AMB-3: it waits for the releasing code to return */
} vmm_nc_st;

/* Call_When_Idle, IDLE-1 … IDLE-5 (idle.c). */
typedef struct vmm_idle_st {
    uint32_t *cb;             /* the table, install order */
    uint32_t  n;
} vmm_idle_st;

/* Call_When_Task_Switched, TS-1 (sched.c). */
typedef struct vmm_ts_st {
    uint32_t *cb;             /* install order */
    uint32_t  n;
    uint32_t  old;            /* the VM switched away from (TS-1 EAX) */
} vmm_ts_st;

/* Events and priority events, EV-1 and EV-2 (event.c). */
typedef struct vmm_ev_st {
    vmm_ev  *list;            /* pending, in schedule order; cap entries */
    uint32_t *cand;           /* scratch for the runnable ones; cap entries */
    uint32_t cap;             /* machine.event_capacity */
    uint32_t n;
    uint32_t serial;          /* last handle serial number (every handle kind) */
} vmm_ev_st;

/* Time-outs and the timer tick, TO-1 (timer.c). */
typedef struct vmm_tm_st {
    vmm_ev  *list;            /* pending time-outs, in set order; cap entries */
    uint32_t cap;             /* machine.event_capacity */
    uint32_t n;
    int      tick_armed;      /* a timer tick event is queued */
    uint64_t tick_seq, tick_cycle, tick_k, ticks_done;
} vmm_tm_st;

/* Hardware interrupts and VPICD, INT-1 (vpicd.c). */
typedef struct vmm_pic_st {
    vmm_irq  irq[VMM_IRQS];
    int      in_hwint;        /* a hardware-interrupt procedure runs */
    uint32_t hold;            /* instructions still to run before delivering (IRQ_BOUNDARY) */
    uint16_t fresh;           /* IRQs raised at this boundary: may ask IRQ_BOUNDARY */
    uint64_t vid_due;         /* VMs with a VID procedure to call (bit per VM) */
    vmm_vid  vid[VMM_VMS_MAX];
} vmm_pic_st;

/* The time slicer, SL-1 (slice.c). */
typedef struct vmm_sl_st {
    uint32_t focus;           /* VM with the execution focus */
    uint32_t ms;              /* granularity: the minimum slice */
    int      owner;           /* VM holding Cur_Run_VM_Boost, -1: none */
    uint32_t last;            /* the last owner: the ring continues after it */
    int      armed;           /* its slice-end event is queued */
    int      due;             /* the slice ended while VxD code ran: rotate after it */
    uint64_t seq;             /* that event's queue seq */
    uint64_t serial;          /* slices started (the slice-end event's payload) */
} vmm_sl_st;

/* Footprints for partial-order reduction (por.c); the tables are allocated when
** VMM_EXPLORE_FOOTPRINT is first set. */
#define VMM_POR_IDS_POOL (1u << 20)
#define VMM_POR_TRIG_MAX 8u   /* a delay's triggers before one entry; more: coarse rule */
enum vmm_por_tag { VMM_POR_CRIT = 1, VMM_POR_NC, VMM_POR_IDLE, VMM_POR_TS, VMM_POR_EV,
                   VMM_POR_TM, VMM_POR_SERIAL, VMM_POR_SCHED, VMM_POR_PEND, VMM_POR_IRQ,
                   VMM_POR_MISC, VMM_POR_OBSERVED, VMM_POR_HOOK, VMM_POR_TAG_COUNT };
typedef struct vmm_por_st {
    vmm_footprint *fp;        /* per step: its segment; NULL: footprints off */
    uint32_t *off;            /* per step s: its ids are ids[off[s], off[s + 1]) */
    int32_t  *dec;            /* per step: its decision, -1: one option */
    uint32_t *ser;            /* per step: v->ev.serial when its segment ended */
    uint32_t  ser0;           /* v->ev.serial when step 0 began (boot's handles are older) */
    uint32_t *dstep;          /* per decision: its step */
    uint64_t *cyc;            /* per step: the cycle it began at; cyc[n]: the run's end */
    uint64_t *idle;           /* per step: cycles its segment skipped, no code to run */
    uint64_t *due;            /* per step: the cycle it can begin at the earliest, 0: any */
    uint64_t  idle_cur;       /* the same for the segment being recorded */
    uint64_t *ids;
    uint32_t  n, ndec, nids;
    vmm_footprint cur;        /* the segment being recorded */
    uint32_t  obs[VMM_OBSERVED_MAX], nobs;   /* vmm_set_observed: kept across resets */
    int       obs_time, obs_all;
    vmm_within win[VMM_WITHIN_MAX];          /* vmm_set_observed_within: kept across resets */
    uint32_t  nwin;
    uint32_t  ntrig[VMM_WITHIN_MAX];         /* per delay: triggers waiting for their entry */
    uint64_t  trig_cyc[VMM_WITHIN_MAX][VMM_POR_TRIG_MAX];
    uint8_t   trig_open[VMM_WITHIN_MAX];     /* of those, in the open segment */
    uint8_t   trig_ovf[VMM_WITHIN_MAX];      /* a trigger was not kept: coarse rule */
} vmm_por_st;

/* Port I/O (io.c). */
typedef struct vmm_io_st {
    vmm_io   pend[VMM_IO_PEND_MAX];   /* accesses of the running instruction */
    uint32_t n;
    uint32_t lost;            /* accesses beyond pend (an invariant broken) */
} vmm_io_st;

/* V86 interrupt hooks, HK-1 … HK-4 (hook.c). */
#define VMM_HOOKS_MAX      64        /* Hook_V86_Int_Chain installs per run */
typedef struct vmm_hk_st {
    uint32_t cb[VMM_HOOKS_MAX];       /* hook procedures, install order */
    uint8_t  vec[VMM_HOOKS_MAX];      /* the interrupt each hooks */
    uint32_t n;
    uint16_t hw_due[VMM_VMS_MAX];     /* HK-1: 0x100 | the vector of a simulated hardware
                                         interrupt whose hooks are still to run (0: none) */
} vmm_hk_st;
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
    uint32_t *pend;           /* pending stimuli (indexes) */
    uint64_t *wait;           /* per stimulus: 1 + the step it was last offered at while
                                 it waits (window steps), 0: not waiting */
    unsigned  explore;        /* VMM_EXPLORE_* (vmm_set_explore), kept across resets */
    uint32_t *sites;          /* patched call sites (open addressing, 0 = empty) */
    vmm_finding *find;
    struct vmm_lab { uint32_t addr, order; char name[VMM_NAME_MAX * 3]; } *lab;
    uint32_t  nlab;
    vmm_run_st  run;          /* run.c */
    vmm_crit_st crit;         /* crit.c */
    vmm_nc_st   nc;           /* nc.c */
    vmm_idle_st idle;         /* idle.c */
    vmm_ts_st   ts;           /* sched.c */
    vmm_ev_st   ev;           /* event.c */
    vmm_tm_st   tm;           /* timer.c */
    vmm_pic_st  pic;          /* vpicd.c */
    vmm_sl_st   sl;           /* slice.c */
    vmm_io_st   io;           /* io.c */
    vmm_trap_st trap;         /* trap.c */
    vmm_hk_st   hk;           /* hook.c */
    vmm_por_st  por;          /* por.c */
    vmm_nx_st   nx;           /* nest.c */
    vmm_life_st life;         /* life.c */
    char      errmsg[256];
    vmm_rec_hook rec_hook;    /* host-side observer (vmm_set_rec_hook), or NULL */
    void     *rec_hook_ud;
    uint32_t  tss;            /* client.c: the TSS (I/O bitmap) client code runs with, 0: none */
    vmm_port *ports;          /* s->ports sorted by port (binary search), or NULL */
    uint32_t  nports;
    vmm_loop_hook loop_hook;  /* host-side observer (vmm_set_loop_hook), or NULL */
    void     *loop_hook_ud;
    uint64_t  loop_slice;     /* its guest-run cut, cycles (0: none) */
};

/* Frames of context ci that run VxD code now: its depth less the frames a Resume_Exec
** parked (NX-1: they wait for the VM's nested client code, which runs meanwhile). */
static inline uint32_t vmmi_ctx_live(const vmm_state *v, uint32_t ci) {
    uint32_t d = v->ctx[ci].depth, n = ci < v->nvms ? v->nx.vm[ci].npark : 0;
    return n ? d - v->nx.vm[ci].park[n - 1].depth : d;
}

/* ---- callback kinds ----------------------------------------------------------------
** The frame machinery (ctx.c) knows no rule family: for each enum vmm_cb_kind it calls
** the steps the kind's home file exports as a vmmi_cb_ops. */

/* Entry registers of one callback: EBX and EBP always; EAX and EDX only when
** set_eax / set_edx (else the caller's, or a fresh context's zeros). */
typedef struct vmmi_cb_regs {
    uint32_t cb, eax, ebx, edx, ebp;
    uint8_t  set_eax, set_edx;
} vmmi_cb_regs;

typedef struct vmmi_cb_ops {
    /* starts the callback at the frame's chain position (vmmi_ctx_enter); 1: none left */
    int  (*step)(vmm_state *v, uint32_t ci, vmm_frame *f);
    /* after a callback returned with carry `cf`: 1 to step the chain again (NULL: 0) */
    int  (*next)(vmm_state *v, vmm_frame *f, uint32_t cf);
    /* the frame ends, before its SVC_RET (NULL: nothing to undo) */
    void (*done)(vmm_state *v, const vmm_frame *f);
} vmmi_cb_ops;

/* Steps of a kind after its frame is gone (after its SVC_RET), which may start frames
** (so they read f first): ctx.c's cb_after table, NULL for most kinds. */
typedef void (*vmmi_cb_after)(vmm_state *v, const vmm_frame *f);

extern const vmmi_cb_ops vmmi_idle_ops;      /* idle.c: VMM_CB_IDLE */
extern const vmmi_cb_ops vmmi_nc_ops;        /* nc.c: VMM_CB_NC */
extern const vmmi_cb_ops vmmi_ts_ops;        /* sched.c: VMM_CB_TS */
extern const vmmi_cb_ops vmmi_ev_ops;        /* event.c: VMM_CB_EVENT */
extern const vmmi_cb_ops vmmi_ev_prio_ops;   /* event.c: VMM_CB_PRIO */
extern const vmmi_cb_ops vmmi_tm_ops;        /* timer.c: VMM_CB_TIMEOUT */
extern const vmmi_cb_ops vmmi_irq_hw_ops;    /* vpicd.c: VMM_CB_HWINT */
extern const vmmi_cb_ops vmmi_irq_vid_ops;   /* vpicd.c: VMM_CB_VID_* */
extern const vmmi_cb_ops vmmi_trap_ops;      /* trap.c: VMM_CB_IOTRAP */
extern const vmmi_cb_ops vmmi_nx_cb_ops;     /* nest.c: VMM_CB_V86 */
extern const vmmi_cb_ops vmmi_life_ops;      /* life.c: VMM_CB_LIFE */

/* vmm.c */
int  vmmi_fail(vmm_state *v, int err, const char *fmt, ...);
uint32_t vmmi_client_ptr(const vmm_state *v, uint32_t vm);
uint32_t vmmi_status(vmm_state *v, uint32_t vm);
void vmmi_status_set(vmm_state *v, uint32_t vm, uint32_t set, uint32_t clear);
int  vmmi_block_of(const vmm_state *v, uint32_t handle);   /* control block index, -1 */
int  vmmi_vm_of_handle(const vmm_state *v, uint32_t handle);
uint64_t vmmi_cycles(const vmm_state *v);
void vmmi_charge(vmm_state *v, uint64_t cycles);

/* trace.c */
void vmmi_rec(vmm_state *v, uint16_t type, uint8_t n, uint64_t a0, uint64_t a1, uint64_t a2,
             uint64_t a3, uint64_t a4, uint64_t a5);
void vmmi_rec_vmstate(vmm_state *v, uint32_t vm, int state);
void vmmi_rec_machine(vmm_state *v);   /* MACHINE: the effective vmm_machine, after BOOT */
void vmmi_finding_add(vmm_state *v, int code, uint32_t vm, uint32_t addr, uint64_t a3,
                     uint64_t a4, uint64_t a5, const char *text);
uint32_t vmmi_choose(vmm_state *v, uint32_t kind, uint32_t n);
/* With each option's identity (ids, por.c) and source (src, ENG_SRC_*, which PCT orders
** by, docs/fuzzing.md); either may be NULL. */
uint32_t vmmi_choose_opts(vmm_state *v, uint32_t kind, uint32_t n, const uint64_t *ids,
                          const uint64_t *src);
const char *vmmi_control_msg_name(uint32_t msg);
const char *vmmi_cb_kind_name(uint32_t kind);   /* "idle", "nc", ... as CB_ENTER names it */

/* ctx.c */
void vmmi_ctx_load(vmm_state *v, uint32_t ci);
void vmmi_ctx_unload(vmm_state *v);
int  vmmi_ctx_start(vmm_state *v, uint32_t ci, int kind, uint32_t index, uint32_t svc,
               const vmm_sregs *out);
int  vmmi_ctx_start_cb(vmm_state *v, uint32_t ci, int kind, const vmm_cbargs *a, uint32_t svc,
                  const vmm_sregs *out);
int  vmmi_ctx_enter(vmm_state *v, uint32_t ci, vmm_frame *f, const vmmi_cb_regs *in);
int  vmmi_ctx_step_one(vmm_state *v, uint32_t ci, vmm_frame *f);
int  vmmi_ctx_int_time(const vmm_state *v, uint32_t ci, int *int_vmm);
int  vmmi_ctx_on_return(vmm_state *v);
void vmmi_ctx_regs_fresh(const vmm_state *v, uint32_t ci, cpu_regs *r);
void vmmi_sregs_get(vmm_state *v, vmm_sregs *r);
void vmmi_sregs_put(vmm_state *v, const vmm_sregs *r);

/* sched.c */
int  vmmi_vm_ready(vmm_state *v, uint32_t vm);
int  vmmi_sched_resched(vmm_state *v);
int  vmmi_sched_switch(vmm_state *v, uint32_t to, int reason);
void vmmi_sched_set_pri(vmm_state *v, uint32_t vm, int64_t boost, int reason);
int  vmmi_sched_suspend(vmm_state *v, uint32_t vm);
int  vmmi_sched_resume(vmm_state *v, uint32_t vm, int no_fail);
void vmmi_sched_idle(vmm_state *v, uint32_t vm);
void vmmi_sched_wake(vmm_state *v, uint32_t vm);
int  vmmi_sched_release_slice(vmm_state *v, uint32_t vm);
void vmmi_sched_became_ready(vmm_state *v, uint32_t vm);
uint32_t vmmi_sched_max_pri(const vmm_state *v);

/* sched.c: task-switch callbacks (TS-1) */
void vmmi_ts_reset(vmm_state *v);
int  vmmi_ts_svc(vmm_state *v, vmm_call *c, uint32_t num);

/* nc.c (NC-1 … NC-4) */
void vmmi_nc_reset(vmm_state *v);
int  vmmi_nc_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_nc_released(vmm_state *v);
int  vmmi_nc_due(vmm_state *v);
int  vmmi_nc_start(vmm_state *v);

/* idle.c (IDLE-1 … IDLE-5) */
void vmmi_idle_reset(vmm_state *v);
int  vmmi_idle_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_idle_kernel_idle(vmm_state *v, vmm_call *c);

/* crit.c */
void vmmi_crit_reset(vmm_state *v);
int  vmmi_crit_claim(vmm_state *v, vmm_call *c, uint32_t n);
void vmmi_crit_end(vmm_state *v, vmm_call *c, uint32_t n);
void vmmi_crit_drop(vmm_state *v, uint32_t vm);   /* life.c: a destroyed owner's claims end */

/* svc.c */
int  vmmi_svc_dispatch(vmm_state *v, vmm_call *c);
int  vmmi_svc_finish(vmm_state *v, vmm_call *c);
const char *vmmi_svc_name(uint32_t dword, char *buf, size_t len);
void vmmi_svc_ret_record(vmm_state *v, uint32_t dword, uint32_t vm, const vmm_sregs *r);
int  vmmi_svc_vm_arg(vmm_state *v, const vmm_call *c, uint32_t handle);   /* VM index, or -1 and failed */
int  vmmi_svc_table_add(vmm_state *v, uint32_t *tab, uint32_t *n, uint32_t cap, uint32_t cb,
                        const char *what);   /* NC-1, TS-1: VMM_ELIMIT when full */
/* where.c: the VxD whose image holds addr (-1: none); addr as "VXD.label+off"; a
** callback address passed to a service must lie in a VxD image (else VMM_EGUEST). */
int  vmmi_vxd_of_addr(const vmm_state *v, uint32_t addr);
const char *vmmi_where(const vmm_state *v, uint32_t addr, char *buf, size_t len);
int  vmmi_svc_check_cb(vmm_state *v, const vmm_call *c, uint32_t cb, const char *what);

/* run.c */
void vmmi_run_reset(vmm_state *v);
void vmmi_stim_fire(vmm_state *v, uint32_t i);
int  vmmi_run_loop(vmm_state *v);
int  vmmi_run_target_ctx(vmm_state *v, int *vxd_running);

/* por.c (footprints, VMM_EXPLORE_FOOTPRINT) */
int  vmmi_por_open(vmm_state *v);
void vmmi_por_free(vmm_state *v);
void vmmi_por_reset(vmm_state *v);
void vmmi_por_tag(vmm_state *v, uint32_t tag, int write);
void vmmi_por_time(vmm_state *v);
void vmmi_por_time_read(vmm_state *v, uint64_t lo_cyc, uint64_t hi_cyc);
void vmmi_por_idle(vmm_state *v, uint64_t to_cyc);
void vmmi_por_mem(vmm_state *v, uint32_t lin, uint32_t n, int write);
void vmmi_por_step(vmm_state *v, uint32_t n, const uint64_t *ids);
void vmmi_por_finish(vmm_state *v);
void vmmi_por_enter(vmm_state *v, uint32_t cb);
void vmmi_por_due(vmm_state *v, uint64_t at_cyc);
/* por_within.c (a `within` expectation's delays, vmm_set_observed_within) */
void vmmi_por_within_reset(vmm_state *v);
void vmmi_por_within_stim(vmm_state *v, uint32_t i);
void vmmi_por_within_enter(vmm_state *v, uint32_t cb);
void vmmi_por_within_close(vmm_state *v);

/* nc.c (AMB-3: where the owed call runs; 1 = not nested in VM ci's running code now) */
int  vmmi_nc_waits(vmm_state *v, uint32_t ci);

/* window.c (window steps, vmm_set_explore) */
int      vmmi_win_defer(vmm_state *v, uint32_t i);
void     vmmi_win_offer(vmm_state *v);
uint64_t vmmi_win_until(const vmm_state *v);

/* event.c (EV-1, EV-2) */
void vmmi_ev_reset(vmm_state *v);
int  vmmi_ev_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_ev_work(vmm_state *v);
void vmmi_ev_prio_timed_out(vmm_state *v, uint32_t handle);
uint32_t vmmi_ev_serial(vmm_state *v, uint32_t tag);

/* timer.c (TO-1) */
void vmmi_tm_reset(vmm_state *v);
int  vmmi_tm_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_tm_tick(vmm_state *v, uint64_t k);
void vmmi_tm_switch(vmm_state *v, uint32_t old, uint32_t to);
void vmmi_tm_arm(vmm_state *v);
int  vmmi_tm_work(vmm_state *v);
int  vmmi_tm_has_work_for(const vmm_state *v, uint32_t vm);
int  vmmi_tm_set(vmm_state *v, int type, uint32_t vm, uint32_t ms, uint32_t cb, uint32_t ref,
            uint32_t link, uint32_t *handle);
void vmmi_tm_cancel(vmm_state *v, uint32_t handle, int quiet);
uint64_t vmmi_tm_sys_ms(const vmm_state *v);

/* slice.c (SL-1) */
int  vmmi_sl_on(const vmm_state *v);
int  vmmi_sl_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_sl_check(vmm_state *v);
void vmmi_sl_end(vmm_state *v, uint64_t serial);
int  vmmi_sl_release(vmm_state *v, uint32_t vm);
void vmmi_sl_reset(vmm_state *v);

/* io.c (port I/O) */
void vmmi_io_reset(vmm_state *v);
int  vmmi_io_check(const vmm_scenario *s, char *why, size_t n);
int  vmmi_io_init(vmm_state *v, cpu_bus *bus);
void vmmi_io_flush(vmm_state *v);
uint32_t vmmi_io_bus(vmm_state *v, uint16_t port, unsigned size, int out, uint32_t value);

/* trap.c (IOT-1 … IOT-6) */
void vmmi_trap_reset(vmm_state *v);
int  vmmi_trap_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_trap_vm_created(vmm_state *v, uint32_t vm);     /* life.c: a VM created */
void vmmi_trap_vm_destroyed(vmm_state *v, uint32_t vm);   /* life.c: a VM destroyed */
void vmmi_trap_iopm(vmm_state *v, uint32_t vm);
int  vmmi_trap_gp(vmm_state *v, uint32_t vm);

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

/* run.c: an INT 2Fh entry point taken from a stimulus or client code (path) */
int  vmmi_run_int2f(vmm_state *v, uint32_t vm, uint32_t dword, int path, uint32_t eax);

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

/* simc.c (SIM-1 … SIM-5: Simulate_* services; the client register helpers) */
/* client.c: Client_Reg_Struc offsets of the CPU's registers (CPU_EAX…) and segments
** (CPU_ES…). */
extern const uint8_t vmmi_creg_off[8], vmmi_cseg_off[6];
uint32_t vmmi_creg_get(vmm_state *v, uint32_t vm, uint32_t off, uint32_t size);
void vmmi_creg_set(vmm_state *v, uint32_t vm, uint32_t off, uint32_t val, uint32_t size);
/* Enters vector vec of VM vm's own table as an INT does in V86 mode (CL-4, SIM-1): FLAGS
** and ret_cs:ret_ip pushed on the client stack, IF and TF cleared, CS:IP from the vector;
** a CLIENT record of `op` (VMM_CLOP_INT or _SIMINT). Shared by reflection, simulated
** hardware interrupts and Simulate_Int (and Exec_Int). */
int  vmmi_simc_int(vmm_state *v, uint32_t vm, uint32_t vec, uint32_t ret_cs, uint32_t ret_ip, int op);
int  vmmi_simc_svc(vmm_state *v, vmm_call *c, uint32_t num);
/* nest.c (NX-1 …, VCB-1 …) */
void vmmi_nx_reset(vmm_state *v);
int  vmmi_nx_svc(vmm_state *v, vmm_call *c, uint32_t num);
int  vmmi_nx_break(vmm_state *v, uint32_t vm, uint32_t cs, uint32_t ip);
int  vmmi_nx_hold(vmm_state *v, uint32_t vm);
void vmmi_nx_ret_timeout(vmm_state *v, uint32_t k, uint64_t seq);
int  vmmi_nx_work(vmm_state *v);
int  vmmi_nx_check(const vmm_state *v, char *why, size_t len);   /* vmm_check's part */

/* client.c, for nest.c: Exec_Int's entry into the VM's own vector (vmmi_cl_rec above) */
int  vmmi_cl_exec_int(vmm_state *v, uint32_t vm, uint32_t vec);
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
int  vmmi_ev_cancel_handle(vmm_state *v, uint32_t handle);   /* event.c: any kind, quietly */

/* vpicd.c (INT-1) */
void vmmi_irq_reset(vmm_state *v);
int  vmmi_irq_svc(vmm_state *v, vmm_call *c, uint32_t num);
void vmmi_irq_raise(vmm_state *v, uint32_t irq);
int  vmmi_irq_deliver(vmm_state *v);
int  vmmi_irq_work(vmm_state *v);
void vmmi_irq_iret(vmm_state *v, uint32_t vm);
int  vmmi_irq_vid_work(vmm_state *v);
void vmmi_irq_iret_timeout(vmm_state *v, uint32_t vm, uint64_t seq);
int  vmmi_svc_async(uint32_t dword);

#pragma GCC visibility pop

#endif
