/*
** cpu386.h — vmmsim's i386 interpreter (docs/cpu386.md).
**
** Runs 80386 integer code in real, protected (rings 0–3, paging) and V86 mode,
** charging each instruction its clock count from the Intel 80386 Programmer's
** Reference Manual (1986), chapter 17. It knows nothing of the VMM: the host gives it
** a bus and a cycle budget, and it stops when the host must act.
**
** Every guest memory access is bounds-checked against the bus; guest code can never
** reach host memory. Errors are negative CPU_E* codes; cpu_strerror() names them.
*/
#ifndef VMMSIM_CPU386_H
#define VMMSIM_CPU386_H

#include <stddef.h>
#include <stdint.h>

enum {
    CPU_OK = 0,
    CPU_ENOMEM = -1,
    CPU_EINVAL = -2,
    CPU_ERANGE = -3     /* physical/linear range outside the bus, or not mapped */
};
const char *cpu_strerror(int err);

/* General registers in encoding order; segment registers in sreg encoding order. */
enum { CPU_EAX, CPU_ECX, CPU_EDX, CPU_EBX, CPU_ESP, CPU_EBP, CPU_ESI, CPU_EDI };
enum { CPU_ES, CPU_CS, CPU_SS, CPU_DS, CPU_FS, CPU_GS };

/* EFLAGS bits */
#define CPU_CF   0x00000001u
#define CPU_PF   0x00000004u
#define CPU_AF   0x00000010u
#define CPU_ZF   0x00000040u
#define CPU_SF   0x00000080u
#define CPU_TF   0x00000100u
#define CPU_IF   0x00000200u
#define CPU_DF   0x00000400u
#define CPU_OF   0x00000800u
#define CPU_IOPL 0x00003000u
#define CPU_NT   0x00004000u
#define CPU_RF   0x00010000u
#define CPU_VM   0x00020000u

/* Exception vectors */
enum {
    CPU_EXC_DE = 0, CPU_EXC_DB = 1, CPU_EXC_NMI = 2, CPU_EXC_BP = 3, CPU_EXC_OF = 4,
    CPU_EXC_BR = 5, CPU_EXC_UD = 6, CPU_EXC_NM = 7, CPU_EXC_DF = 8, CPU_EXC_TS = 10,
    CPU_EXC_NP = 11, CPU_EXC_SS = 12, CPU_EXC_GP = 13, CPU_EXC_PF = 14
};

/* A segment register with its descriptor cache. */
typedef struct cpu_seg {
    uint16_t sel;
    uint16_t attr;      /* descriptor bits 40–55: access byte | (flags nibble << 12) */
    uint32_t base;
    uint32_t limit;     /* byte granular (already scaled when G = 1) */
} cpu_seg;

typedef struct cpu_dtr { uint32_t base; uint16_t limit; } cpu_dtr;

/* The architecturally visible state: plain data, copyable (a VMM keeps one per
** execution context). cpu_get_regs() materialises lazily-held flags into eflags. */
typedef struct cpu_regs {
    uint32_t r[8];
    uint32_t eip;
    uint32_t eflags;
    cpu_seg  seg[6];
    cpu_seg  ldtr, tr;
    cpu_dtr  gdtr, idtr;
    uint32_t cr0, cr2, cr3;
    uint32_t dr[8];
    uint32_t tr6, tr7;
} cpu_regs;

/* The bus. Physical RAM is [0, ram_size); the ROM image (optional) is mapped so that it
** ends at 0xFFFFFFFF and again so that it ends at 0xFFFFF (a PC BIOS), taking precedence
** over RAM there. Reads of unmapped physical addresses return all-ones bytes; writes to
** them and to ROM are dropped. io_in/io_out may be NULL (reads give all-ones). */
typedef struct cpu_bus {
    uint8_t       *ram;
    uint32_t       ram_size;          /* multiple of 4096 */
    const uint8_t *rom;
    uint32_t       rom_size;
    void          *io_ctx;
    uint32_t     (*io_in)(void *ctx, uint16_t port, unsigned size_bytes);
    void         (*io_out)(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value);
} cpu_bus;

/* Why cpu_run() returned. */
enum cpu_stop {
    CPU_STOP_BUDGET = 0,   /* the cycle budget is spent (at an instruction boundary) */
    CPU_STOP_HLT,          /* HLT executed; EIP is after it */
    CPU_STOP_VMMCALL,      /* INT 20h with trap_int20: info.vmmcall holds the dword,
                              EIP is after the dword */
    CPU_STOP_INT,          /* INT n intercepted (cpu_config.int_intercept): info.vector;
                              EIP is after the INT instruction, nothing pushed */
    CPU_STOP_EXCEPTION,    /* exception intercepted (cpu_config.exc_intercept):
                              info.vector, info.error_code; state as at the fault */
    CPU_STOP_BREAKPOINT,   /* EIP reached a breakpoint address (before executing it) */
    CPU_STOP_REQUEST,      /* the host called cpu_request_stop() (e.g. from io_out) */
    CPU_STOP_STI,          /* STI executed while config.stop_on_sti is set */
    CPU_STOP_TRIPLE_FAULT, /* shutdown */
    CPU_STOP_UNSUPPORTED   /* something this interpreter does not model: info.message
                              says what (no instruction raises it since call gates
                              to inner rings and task switches are modelled) */
};
const char *cpu_stop_name(int stop);

typedef struct cpu_stop_info {
    int      reason;        /* enum cpu_stop */
    uint32_t vmmcall;       /* CPU_STOP_VMMCALL */
    uint8_t  vector;        /* CPU_STOP_INT, CPU_STOP_EXCEPTION */
    uint8_t  has_error_code;
    uint32_t error_code;
    uint32_t fault_eip;     /* EIP of the instruction that stopped the run */
    const char *message;    /* static string, CPU_STOP_UNSUPPORTED / TRIPLE_FAULT */
} cpu_stop_info;

#define CPU_MAX_BREAKPOINTS 16

typedef struct cpu_config {
    uint32_t exc_intercept;        /* bit v: exception v stops the run instead of IDT */
    uint32_t int_intercept[8];     /* bit n: INT n stops the run (software INT only) */
    int      trap_int20;           /* INT 20h + dword is a VMM call (CPU_STOP_VMMCALL);
                                      protected mode outside V86 only (in real and V86
                                      mode INT 20h is DOS's) */
    int      stop_on_sti;          /* STI stops the run after it executes */
    uint32_t wait_states;          /* clocks added per data memory access (default 0);
                                      instruction fetch is not charged */
    int      undef_flags;          /* CPU_UNDEF_386 (default) or CPU_UNDEF_LATER: the
                                      flags the manual leaves undefined (docs/cpu386.md) */
} cpu_config;

/* cpu_config.undef_flags: what the flags the 386 manual leaves undefined become.
** CPU_UNDEF_386 is what an 80386 does (hardware-validated, docs/cpu386.md);
** CPU_UNDEF_LATER is what later CPUs and QEMU/Unicorn leave, for comparing with them. */
enum { CPU_UNDEF_386 = 0, CPU_UNDEF_LATER = 1 };

typedef struct cpu_state cpu_state;   /* opaque */

/* Lifecycle. cpu_new allocates the state and its decode cache; the bus is copied
** (its buffers stay the caller's and must outlive the CPU). */
cpu_state *cpu_new(const cpu_bus *bus);
void       cpu_free(cpu_state *c);
void       cpu_reset(cpu_state *c);   /* the 386 reset state: CS:EIP = F000:FFF0 */
/* 32-bit flat protected mode at ring 0: writes a GDT at physical gdt_phys (null,
** then flat code at selector 0x28 and flat data at 0x30, as the Windows VMM uses),
** loads GDTR, CS = 0x28, DS = ES = SS = FS = GS = 0x30, paging off, IF clear. */
int        cpu_enter_flat32(cpu_state *c, uint32_t eip, uint32_t esp, uint32_t gdt_phys);

cpu_config *cpu_get_config(cpu_state *c);       /* mutable; effective on next run */
/* TF and the debug registers work as on a 386 (docs/cpu386.md, "Debugging"): a #DB
** is delivered through the IDT, or stops the run when exc_intercept has bit 1. Setting
** RF with cpu_set_eflags/cpu_set_regs resumes over an instruction breakpoint;
** cpu_set_regs (a new context) drops the debug traps the old state had pending. */
void cpu_get_regs(cpu_state *c, cpu_regs *out);
void cpu_set_regs(cpu_state *c, const cpu_regs *in);  /* flushes the TLB when CR0, CR3 or a DR changes */
uint32_t cpu_get_reg(cpu_state *c, int reg);    /* CPU_EAX… */
void     cpu_set_reg(cpu_state *c, int reg, uint32_t v);
uint32_t cpu_get_eip(cpu_state *c);
void     cpu_set_eip(cpu_state *c, uint32_t eip);
uint32_t cpu_get_eflags(cpu_state *c);
void     cpu_set_eflags(cpu_state *c, uint32_t eflags);

uint64_t cpu_cycles(const cpu_state *c);        /* clocks since cpu_new */
void     cpu_set_cycles(cpu_state *c, uint64_t cycles);
uint64_t cpu_instructions(const cpu_state *c);  /* instructions retired */

/* Runs until cpu_cycles() >= start + budget_cycles (checked before each instruction)
** or another stop; returns the reason and fills *info (may be NULL). */
int  cpu_run(cpu_state *c, uint64_t budget_cycles, cpu_stop_info *info);
void cpu_request_stop(cpu_state *c);    /* stop after the current instruction */

/* Delivers external interrupt `vector` through the IDT/IVT now (at a boundary),
** as INTR would; returns CPU_EINVAL if IF is clear, inside the STI shadow, or while a
** debug trap held by the last run's stop waits (the next cpu_run delivers it first). */
int  cpu_interrupt(cpu_state *c, uint8_t vector);

/* A breakpoint stops the run before the instruction at that linear EIP; the first
** instruction of a run never stops, so running again resumes past it. */
int  cpu_breakpoint_add(cpu_state *c, uint32_t linear_eip);   /* CPU_EINVAL when full */
void cpu_breakpoint_clear(cpu_state *c);

/* Host access to guest memory. Every one is bounds-checked: nothing outside the bus is
** ever touched. Reads see what the guest would see (RAM, ROM, all-ones where nothing is
** mapped) and fail with CPU_ERANGE only past 4 GiB; writes must land wholly in RAM, else
** CPU_ERANGE and nothing is written. Writes invalidate decoded code and mark pages
** dirty. Linear accesses translate through paging when CR0.PG is set
** (a not-present page is CPU_ERANGE; no #PF is raised). */
int cpu_phys_read(cpu_state *c, uint32_t addr, void *dst, uint32_t len);
int cpu_phys_write(cpu_state *c, uint32_t addr, const void *src, uint32_t len);
int cpu_lin_read(cpu_state *c, uint32_t addr, void *dst, uint32_t len);
int cpu_lin_write(cpu_state *c, uint32_t addr, const void *src, uint32_t len);

/* Data-access observer: fn(ud, linear, n, write) for every data read and write the
** CPU makes through its linear-access paths (operands, stack, descriptor tables, not
** instruction fetch). While one is set, the TLB is bypassed and every access takes the
** slow path, so an observer costs nothing when none is set. fn NULL removes it. The
** exploration's partial-order reduction records what a step touched with it
** (docs/fuzzing.md, "Partial-order reduction"). */
typedef void (*cpu_access_hook)(void *ud, uint32_t lin, unsigned n, int write);
void cpu_set_access_hook(cpu_state *c, cpu_access_hook fn, void *ud);

/* Dirty-page tracking for cheap resets between runs: one bit per 4 KiB page of RAM,
** set by every guest or host write. */
const uint64_t *cpu_dirty_bitmap(const cpu_state *c, uint32_t *npages);
void cpu_dirty_clear(cpu_state *c);
void cpu_invalidate(cpu_state *c, uint32_t phys, uint32_t len); /* after out-of-band RAM writes */
/* Snapshots (cpu386/snap.c), between runs only: cpu_snap_save writes cpu_snap_size bytes
** (CPU_EINVAL inside cpu_run); cpu_snap_load restores them into a CPU on a bus of the
** same size, keeping its host step hook and watches and flushing its TLB. Guest RAM is
** not included: the caller restores it and calls cpu_invalidate on the pages it wrote. */
size_t cpu_snap_size(const cpu_state *c);
int cpu_snap_save(const cpu_state *c, void *dst);
int cpu_snap_load(cpu_state *c, const void *src, size_t len);

/* A host step hook: fn(ud, c) is called before each instruction the CPU is about to
** fetch and execute (after a host breakpoint there has stopped the run, so never for
** an instruction that does not start), with every register and cpu_cycles() exact.
** It observes only: it must not change the CPU's state (it may read registers and
** memory, and call cpu_request_stop). While one is set every fetch takes the slow
** lookup, which the run's results do not depend on; fn NULL removes it (no cost
** then). cpu_reset keeps it. For a debugger (debug/). */
typedef void (*cpu_step_fn)(void *ud, cpu_state *c);
void cpu_set_step_hook(cpu_state *c, cpu_step_fn fn, void *ud);
/* Holds the hook back until cpu_instructions() reaches icount: before that, fetches
** keep the fast paths (only the call after each instruction that counts them remains),
** so a debugger re-executes to a known instruction count quickly. 0: from now on. */
void cpu_step_hook_from(cpu_state *c, uint64_t icount);

/* Host watchpoints, for a debugger: guest accesses to [lin, lin + len) (len 1..4) of
** the kinds in rw (CPU_WATCH_READ | CPU_WATCH_WRITE; 0 clears the slot) are recorded
** for the host, with no effect on the guest (no #DB, DR6 untouched). They ride on the
** debug registers' slow memory paths (docs/cpu386.md, "Debugging"). The CPU's own
** accesses (descriptor tables, paging) and the host's never count. CPU_EINVAL for a bad
** slot, len or rw. cpu_watch_hits returns the slots hit since it was last called
** (bit n: slot n) and clears them. cpu_reset keeps the watches. */
#define CPU_HOST_WATCH_MAX 4u
enum { CPU_WATCH_WRITE = 1, CPU_WATCH_READ = 2 };
int      cpu_watch_set(cpu_state *c, unsigned slot, uint32_t lin, uint32_t len, unsigned rw);
uint32_t cpu_watch_hits(cpu_state *c);

/* The A20 line of the bus. A PC masks physical address bit 20 outside the CPU (the
** "A20 gate") so that real and V86 mode code sees the 8086's wrap at 1 MiB; the gate's
** logic (port 92h, the keyboard controller) is the machine's (a20.h), which drives
** this line. With it off, every physical address the CPU puts on the bus, paging
** structures included, has bit 20 clear. A new CPU starts with the line on (no
** masking); cpu_reset() does not change it (it is not the CPU's). */
void cpu_set_a20(cpu_state *c, int enabled);
int  cpu_get_a20(const cpu_state *c);

#endif
