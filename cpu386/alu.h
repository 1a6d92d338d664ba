/*
** alu.h — (internal to cpu386) arithmetic, logic, shifts, multiply/divide, BCD and
** bit operations over a lazily-evaluated flags state.
**
** These are pure functions of their arguments and a cpu_flags: no memory, no
** cpu_state, so they are tested on their own. Sizes are in bytes (1, 2, 4); operands
** are passed zero-extended and results returned masked to the size. Undefined flags
** follow the 386 (test386.asm's README, "Undefined Behaviour"), or later CPUs when
** the flags state says CPU_UNDEF_LATER (docs/cpu386.md has the table).
**
** Lazy flags: an arithmetic op records (op, size, a, b, result) instead of computing
** CF/PF/AF/ZF/SF/OF; they are computed only when read (Jcc, PUSHF, LAHF…).
*/
#ifndef VMMSIM_CPU386_ALU_H
#define VMMSIM_CPU386_ALU_H

#include <stdint.h>

#include "cpu386.h"   /* CPU_CF … CPU_OF bit names */

#define CPU_ARITH_FLAGS 0x8D5u   /* CF PF AF ZF SF OF */

typedef struct cpu_flags {
    uint32_t eflags;   /* all bits; the CPU_ARITH_FLAGS bits are stale while op != 0 */
    uint32_t res, a, b;
    uint8_t  op;       /* 0: eflags is exact; else a CPU_LF_* lazy-op code */
    uint8_t  size;
    uint8_t  cf_in;    /* carry-in for ADC/SBB, and CF kept across INC/DEC */
    uint8_t  undef;    /* CPU_UNDEF_386 or CPU_UNDEF_LATER: how undefined flags are set */
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
** differing by `mem` (the 386's early-out formula: the manual's 9–38 etc.; src is
** the multiplier whose magnitude sets the count). */
int cpu_mul(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem);
/* Two/three-operand IMUL (size 2 or 4): returns the truncated product; *clocks gets
** the count. b is the multiplier: the r/m operand of IMUL r,r/m, the immediate
** (sign-extended imm8 allowed) of IMUL r,r/m,imm; `mem` is 1 when r/m is memory. */
uint32_t cpu_imul2(cpu_flags *f, unsigned size, uint32_t a, uint32_t b,
                   int mem, int *clocks);
/* DIV/IDIV: returns the clock count, or -1 for #DE (divide by zero or quotient
** overflow), in which case *eax and *edx are unchanged. */
int cpu_div(cpu_flags *f, unsigned size, int is_signed, uint32_t src,
            uint32_t *eax, uint32_t *edx, int mem);

/* BCD on AL/AH inside *eax. cpu_bcd_aam returns 0, or -1 (#DE, nothing changed)
** when base is 0. Their clock counts are fixed (manual, chapter 17): */
#define CPU_CLOCKS_AAA 4
#define CPU_CLOCKS_AAS 4
#define CPU_CLOCKS_DAA 4
#define CPU_CLOCKS_DAS 4
#define CPU_CLOCKS_AAM 17
#define CPU_CLOCKS_AAD 19
void cpu_bcd_daa(cpu_flags *f, uint32_t *eax);
void cpu_bcd_das(cpu_flags *f, uint32_t *eax);
void cpu_bcd_aaa(cpu_flags *f, uint32_t *eax);
void cpu_bcd_aas(cpu_flags *f, uint32_t *eax);
int  cpu_bcd_aam(cpu_flags *f, uint32_t *eax, uint8_t base);
void cpu_bcd_aad(cpu_flags *f, uint32_t *eax, uint8_t base);

/* BT/BTS/BTR/BTC (size 2 or 4): bit index already reduced modulo the operand width
** by the caller (or by the caller's bit-string addressing); sets CF (and OF as the
** 386 does, see bitop.c); returns the new value (BT: v unchanged). */
enum { CPU_BT_BT, CPU_BT_BTS, CPU_BT_BTR, CPU_BT_BTC };
uint32_t cpu_bitop(cpu_flags *f, unsigned op, unsigned size, uint32_t v, unsigned bit);
/* BSF/BSR (size 2 or 4): ZF = (src == 0); returns the index, or `dst` unchanged when
** src == 0. *clocks gets the data-dependent register-form count (manual: 10+3n; n
** as defined in bitop.c); the caller adds the memory-form difference. */
uint32_t cpu_bsf(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks);
uint32_t cpu_bsr(cpu_flags *f, unsigned size, uint32_t src, uint32_t dst, int *clocks);

/* ---- Lazy-op codes and inline fast paths ----------------------------------------
** The lazy state says how to derive CF PF AF ZF SF OF from (a, b, res) at `size`:
**   ADD/ADC: res = a + b (+ carry); CF and OF from the carry chain of a, b, res, which
**            is exact with or without a carry-in, so ADC needs no extra state.
**   SUB/SBB: res = a - b (- borrow); likewise.  CMP and NEG (0 - x) are SUB.
**   LOGIC:   CF = OF = 0; AF (undefined in the manual, no 386 measurement published)
**            = 0, as later Intel CPUs and QEMU/Unicorn leave it.
**   INC/DEC: res = a ± 1, CF = cf_in (the CF before the instruction: INC/DEC keep it).
**   SZP:     CF, AF, OF already computed, held as EFLAGS bits in `a`; PF ZF SF from
**            res. Shifts, multiplies and BCD adjusts use it.
** ADD and SUB (no carry-in) differ from ADC and SBB only in cpu_flags_cond's fast
** paths, which may compare a with b directly.  Values a, b, res are kept masked. */
enum { CPU_LF_NONE, CPU_LF_ADD, CPU_LF_ADC, CPU_LF_SUB, CPU_LF_SBB, CPU_LF_LOGIC,
       CPU_LF_INC, CPU_LF_DEC, CPU_LF_SZP, CPU_LF_COUNT };

/* Computes CF PF AF ZF SF OF of the lazy state (EFLAGS bit positions). */
uint32_t cpu_flags_arith(const cpu_flags *f);
/* Condition cc from the materialised flags (the slow path of cpu_flags_cond). */
int      cpu_flags_cond_slow(cpu_flags *f, unsigned cc);
/* Parity flag of the low byte of v: set when the number of 1 bits is even. */
static inline uint32_t cpu_parity(uint32_t v)
{
    v = (v ^ (v >> 4)) & 0xFu;
    return ((0x6996u >> v) & 1u) ^ 1u;
}

static inline uint32_t cpu_size_mask(unsigned size) { return 0xFFFFFFFFu >> (32u - 8u * size); }
static inline uint32_t cpu_size_sign(unsigned size) { return 1u << (8u * size - 1u); }

/* Records a lazy result: every ALU op ends here, so this is the hot store. */
static inline void cpu_flags_set_lazy(cpu_flags *f, unsigned op, unsigned size,
                                      uint32_t a, uint32_t b, uint32_t res)
{
    f->op = (uint8_t)op;
    f->size = (uint8_t)size;
    f->a = a;
    f->b = b;
    f->res = res;
}

static inline int cpu_flags_cf_inl(cpu_flags *f)
{
    uint32_t sign;
    switch (f->op) {
    case CPU_LF_NONE:  return (int)(f->eflags & CPU_CF);
    case CPU_LF_ADD:   return f->res < f->a;
    case CPU_LF_SUB:   return f->a < f->b;
    case CPU_LF_LOGIC: return 0;
    case CPU_LF_INC:
    case CPU_LF_DEC:   return f->cf_in;
    case CPU_LF_SZP:   return (int)(f->a & CPU_CF);
    case CPU_LF_ADC:
        sign = cpu_size_sign(f->size);
        return (((f->a & f->b) | ((f->a | f->b) & ~f->res)) & sign) != 0;
    default:  /* CPU_LF_SBB */
        sign = cpu_size_sign(f->size);
        return (((~f->a & f->b) | ((~f->a | f->b) & f->res)) & sign) != 0;
    }
}

/* ZF: every lazy op keeps res masked, and ZF is res == 0 for all of them (flags.c). */
static inline int cpu_flags_zf_inl(const cpu_flags *f)
{
    return f->op != CPU_LF_NONE ? f->res == 0 : (f->eflags & CPU_ZF) != 0;
}

/* Group-1 ALU op without any flag computation: a few instructions once `op` and
** `size` are constants at the call site. */
static inline uint32_t cpu_alu_inl(cpu_flags *f, unsigned op, unsigned size,
                                   uint32_t a, uint32_t b)
{
    uint32_t m = cpu_size_mask(size), r, c;
    a &= m;
    b &= m;   /* callers may pass a sign-extended imm8 */
    switch (op) {
    case CPU_ALU_ADD: r = (a + b) & m; cpu_flags_set_lazy(f, CPU_LF_ADD, size, a, b, r); return r;
    case CPU_ALU_OR:  r = a | b; cpu_flags_set_lazy(f, CPU_LF_LOGIC, size, a, b, r); return r;
    case CPU_ALU_ADC:
        c = (uint32_t)cpu_flags_cf_inl(f);
        r = (a + b + c) & m;
        cpu_flags_set_lazy(f, c ? CPU_LF_ADC : CPU_LF_ADD, size, a, b, r);
        return r;
    case CPU_ALU_SBB:
        c = (uint32_t)cpu_flags_cf_inl(f);
        r = (a - b - c) & m;
        cpu_flags_set_lazy(f, c ? CPU_LF_SBB : CPU_LF_SUB, size, a, b, r);
        return r;
    case CPU_ALU_AND: r = a & b; cpu_flags_set_lazy(f, CPU_LF_LOGIC, size, a, b, r); return r;
    case CPU_ALU_SUB: r = (a - b) & m; cpu_flags_set_lazy(f, CPU_LF_SUB, size, a, b, r); return r;
    case CPU_ALU_XOR: r = a ^ b; cpu_flags_set_lazy(f, CPU_LF_LOGIC, size, a, b, r); return r;
    default:          r = (a - b) & m; cpu_flags_set_lazy(f, CPU_LF_SUB, size, a, b, r); return a;
    }
}

/* Condition cc straight from the lazy state for the common producers (CMP/SUB,
** logic/TEST, ADD, INC/DEC); anything else materialises. */
static inline int cpu_flags_cond_inl(cpu_flags *f, unsigned cc)
{
    unsigned neg = cc & 1u, sh = 32u - 8u * f->size;
    int32_t sa, sb;
    int r;
    switch (f->op) {
    case CPU_LF_SUB:
        sa = (int32_t)(f->a << sh);
        sb = (int32_t)(f->b << sh);
        switch (cc >> 1) {
        case 1: r = f->a < f->b; break;             /* B  */
        case 2: r = f->a == f->b; break;            /* E  */
        case 3: r = f->a <= f->b; break;            /* BE */
        case 4: r = (int32_t)(f->res << sh) < 0; break;  /* S */
        case 6: r = sa < sb; break;                 /* L  */
        case 7: r = sa <= sb; break;                /* LE */
        default: return cpu_flags_cond_slow(f, cc);
        }
        return r ^ (int)neg;
    case CPU_LF_LOGIC:
        switch (cc >> 1) {
        case 0: r = 0; break;                       /* O  */
        case 1: r = 0; break;                       /* B  */
        case 2: r = f->res == 0; break;             /* E  */
        case 3: r = f->res == 0; break;             /* BE */
        case 4: r = (int32_t)(f->res << sh) < 0; break;  /* S */
        case 6: r = (int32_t)(f->res << sh) < 0; break;  /* L: SF != OF, OF = 0 */
        case 7: r = (int32_t)(f->res << sh) <= 0; break; /* LE: ZF or SF */
        default: return cpu_flags_cond_slow(f, cc);
        }
        return r ^ (int)neg;
    case CPU_LF_ADD:
    case CPU_LF_INC:
    case CPU_LF_DEC:
        switch (cc >> 1) {
        case 1: if (f->op != CPU_LF_ADD) return cpu_flags_cond_slow(f, cc);
                r = f->res < f->a; break;           /* B  */
        case 2: r = f->res == 0; break;             /* E  */
        case 4: r = (int32_t)(f->res << sh) < 0; break;  /* S */
        default: return cpu_flags_cond_slow(f, cc);
        }
        return r ^ (int)neg;
    default:
        return cpu_flags_cond_slow(f, cc);
    }
}

#endif
