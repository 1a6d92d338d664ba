/*
** vmm_base_int.h — the limits, guest memory layout and callback types every file of vmm/
** and every feature header shares.
** The model and its choices are described in docs/vmm.md.
*/
#ifndef VMMSIM_VMM_BASE_INT_H
#define VMMSIM_VMM_BASE_INT_H

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

#pragma GCC visibility pop

#endif
