/*
** alu.h — (internal to cpu386) arithmetic, logic, shifts, multiply/divide, BCD and
** bit operations over a lazily-evaluated flags state.
**
** These are pure functions of their arguments and a cpu_flags: no memory, no
** cpu_state, so they are tested on their own. Sizes are in bytes (1, 2, 4); operands
** are passed zero-extended and results returned masked to the size. Undefined flags
** follow the 386 (test386.asm's README, "Undefined Behaviour").
**
** Lazy flags: an arithmetic op records (op, size, a, b, result) instead of computing
** CF/PF/AF/ZF/SF/OF; they are computed only when read (Jcc, PUSHF, LAHF…).
*/
#ifndef VMMSIM_CPU386_ALU_H
#define VMMSIM_CPU386_ALU_H

#include <stdint.h>

#define CPU_ARITH_FLAGS 0x8D5u   /* CF PF AF ZF SF OF */

typedef struct cpu_flags {
    uint32_t eflags;   /* all bits; the CPU_ARITH_FLAGS bits are stale while op != 0 */
    uint32_t res, a, b;
    uint8_t  op;       /* 0: eflags is exact; else an internal lazy-op code */
    uint8_t  size;
    uint8_t  cf_in;    /* carry-in for ADC/SBB, and CF kept across INC/DEC */
    uint8_t  pad;
} cpu_flags;

uint32_t cpu_flags_get(cpu_flags *f);                  /* exact EFLAGS (materialises) */
void     cpu_flags_put(cpu_flags *f, uint32_t eflags); /* set all bits, drop laziness */
/* Replace only the bits in mask (e.g. SAHF, POPF with IOPL rules applied by caller). */
void     cpu_flags_put_mask(cpu_flags *f, uint32_t eflags, uint32_t mask);
int      cpu_flags_cf(cpu_flags *f);
/* Condition cc (0–15, the low nibble of Jcc/SETcc/…): O NO B AE E NE BE A S NS P NP
** L GE LE G. Fast path from the lazy state without materialising where possible. */
int      cpu_flags_cond(cpu_flags *f, unsigned cc);

/* Group-1 ops in x86 encoding order. CMP returns a (and sets flags like SUB). */
enum { CPU_ALU_ADD, CPU_ALU_OR, CPU_ALU_ADC, CPU_ALU_SBB,
       CPU_ALU_AND, CPU_ALU_SUB, CPU_ALU_XOR, CPU_ALU_CMP };
uint32_t cpu_alu(cpu_flags *f, unsigned op, unsigned size, uint32_t a, uint32_t b);
uint32_t cpu_alu_inc(cpu_flags *f, unsigned size, uint32_t a);   /* CF unchanged */
uint32_t cpu_alu_dec(cpu_flags *f, unsigned size, uint32_t a);   /* CF unchanged */
uint32_t cpu_alu_neg(cpu_flags *f, unsigned size, uint32_t a);
void     cpu_alu_test(cpu_flags *f, unsigned size, uint32_t a, uint32_t b);

/* Group-2 ops in encoding order (/6 is an alias of SHL on the 386). The count is the
** raw CL/imm8 value; it is masked to 5 bits here, and a masked count of 0 changes
** neither the value nor any flag. */
enum { CPU_SH_ROL, CPU_SH_ROR, CPU_SH_RCL, CPU_SH_RCR,
       CPU_SH_SHL, CPU_SH_SHR, CPU_SH_SAL, CPU_SH_SAR };
uint32_t cpu_shift(cpu_flags *f, unsigned op, unsigned size, uint32_t a, uint8_t count);
/* SHLD/SHRD (size 2 or 4): dst, src, raw count (masked to 5 bits here). */
uint32_t cpu_shld(cpu_flags *f, unsigned size, uint32_t dst, uint32_t src, uint8_t count);
uint32_t cpu_shrd(cpu_flags *f, unsigned size, uint32_t dst, uint32_t src, uint8_t count);

/* One-operand MUL/IMUL: AL/AX/EAX × src into AX / DX:AX / EDX:EAX (via *eax, *edx;
** size 1 uses only *eax's AX). Returns the clock count, register and memory forms
** differing by `mem` (the 386's early-out formula: the manual's 9–38 etc.). */
int cpu_mul(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem);
/* Two/three-operand IMUL: returns the truncated product; *clocks gets the count. */
uint32_t cpu_imul2(cpu_flags *f, unsigned size, uint32_t a, uint32_t b,
                   int mem, int *clocks);
/* DIV/IDIV: returns the clock count, or -1 for #DE (divide by zero or quotient
** overflow), in which case *eax/*edx are unchanged. */
int cpu_div(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem);

/* BCD on AL/AH inside *eax. cpu_bcd_aam returns -1 (#DE) when base is 0. */
void cpu_bcd_daa(cpu_flags *f, uint32_t *eax);
void cpu_bcd_das(cpu_flags *f, uint32_t *eax);
void cpu_bcd_aaa(cpu_flags *f, uint32_t *eax);
void cpu_bcd_aas(cpu_flags *f, uint32_t *eax);
int  cpu_bcd_aam(cpu_flags *f, uint32_t *eax, uint8_t base);
void cpu_bcd_aad(cpu_flags *f, uint32_t *eax, uint8_t base);

/* BT/BTS/BTR/BTC: bit index already reduced modulo the operand width by the caller
** (or by the caller's bit-string addressing); sets CF; returns the new value. */
enum { CPU_BT_BT, CPU_BT_BTS, CPU_BT_BTR, CPU_BT_BTC };
uint32_t cpu_bitop(cpu_flags *f, unsigned op, unsigned size, uint32_t v, unsigned bit);
/* BSF/BSR: ZF = (src == 0); returns the index, or `dst` unchanged when src == 0.
** *clocks gets the data-dependent count (manual: BSF 10+3n, BSR 10+3n). */
uint32_t cpu_bsf(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks);
uint32_t cpu_bsr(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks);

#endif
