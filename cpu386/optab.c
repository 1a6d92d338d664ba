/*
** optab.c — the opcode tables: handler, operand format and clock counts of every
** 80386 instruction form.
**
** Clocks are the "Clocks" column of the Intel 80386 Programmer's Reference Manual
** (1986), chapter 17 (386intel.txt), register variant / memory variant. Parts that
** depend on data or mode are added by the handlers and noted here:
**   +m        the next instruction's components, charged when it runs (run.c);
**   Jcc       3 here, 7+m when taken (x_ctrl.c); JCXZ 5, 9+m taken;
**   MUL/IMUL/DIV/IDIV, BSF/BSR: data-dependent counts from alu.h (0 here);
**   pm=       protected-mode variants (segment loads 18/19, LDS 22, far JMP 27+m,
**             far CALL 34+m, RET far 32+m, INT n 59 / 99 / 119, IRET 38 / 82, IN/OUT)
**             are added in x_mov.c, x_far.c, exc.c, x_io.c;
**   REP       string forms: base 5 (INS 13, OUTS 12) and per iteration (x_string.c).
** A few lines of the manual, for reference:
**   MOV r/m32,r32 2/2   MOV r32,r/m32 2/4   MOV r32,imm32 2   MOV r/m32,imm32 2/2
**   ADD r/m32,r32 2/7   ADD r32,r/m32 2/6   CMP r/m32,r32 2/5  CMP r32,r/m32 2/6
**   INC r32 2  INC r/m32 6   PUSH r32 2  PUSH m32 5  PUSH imm 2  POP r32 4  POP m32 5
**   PUSHA 18  POPA 24  PUSHF 4  POPF 5  CALL rel32 7+m  CALL r/m32 7+m/10+m
**   RET 10+m  LEAVE 4  ENTER imm16,0 10  LOOP 11+m  MOVSX/MOVZX 3/6  LEA 2
**   XCHG r32,r/m32 3/5  XCHG EAX,r32 3  SETcc 4/5  SHL r/m32,CL 3/7  RCL r/m32,1 9/10
**   BT r/m32,r32 3/12  BTS r/m32,r32 6/13  BT r/m32,imm8 3/6  BTS r/m32,imm8 6/8
**   SHLD r/m32,r32,imm8 3/7  HLT 5  CLI 3  STI 3  CLC 2  NOP 3  CBW 3  CWD 2
**   XLAT 5  LAHF 2  SAHF 3  BOUND 10  ARPL 20/21  LAR 15/16  LSL 20/21  LGDT 11
**   SGDT 9  LLDT 20  LTR 23/27  SLDT 2/2  STR 2/2  LMSW 10/13  SMSW 2/3  CLTS 5
**   VERR 10/11  VERW 15/16  MOV CR0,r32 11 (CR2 4, CR3 5)  MOV r32,CRn 6
**   MOVS 7  CMPS 10  STOS 4  LODS 5  SCAS 7  INS 15  OUTS 14  IN al,imm8 12
**   IN al,dx 13  OUT imm8,al 10  OUT dx,al 11  INT3 33  INT imm8 37  INTO 35 (3 no)
**   IRET 22  WAIT 6  AAA 4  AAD 19  AAM 17  DAA 4
*/
#include "x.h"

#define M   CPU_F_MODRM
#define B   CPU_F_BYTE
#define I8  CPU_F_I8
#define IV  CPU_F_IV
#define I16 CPU_F_I16
#define G   CPU_F_GROUP
#define FAR CPU_F_FAR
#define MO  CPU_F_MOFFS

/* Register and memory handler the same function. */
#define E(fn, fmt, cr, cm, op) { fn, fn, fmt, cr, cm, op }
/* Memory-only form (mod = 3 is #UD). */
#define MEM(fn, fmt, cm, op)   { NULL, fn, fmt, 0, cm, op }
/* No ModRM. */
#define N(fn, fmt, clk, op)    { fn, fn, fmt, clk, clk, op }

#define ALU_ROW(base, op, cm_e)                                            \
    [base + 0] = E(x_alu_EG, M | B, 2, cm_e, op),                          \
    [base + 1] = E(x_alu_EG, M, 2, cm_e, op),                              \
    [base + 2] = E(x_alu_GE, M | B, 2, 6, op),                             \
    [base + 3] = E(x_alu_GE, M, 2, 6, op),                                 \
    [base + 4] = N(x_alu_AI, B | I8, 2, op),                               \
    [base + 5] = N(x_alu_AI, IV, 2, op)

enum { GR1, GR8F, GR2, GR3B, GR3, GR4, GR5, GR6, GR7, GR8, GR_COUNT };

const cpu_opdef cpu_optab1[256] = {
    ALU_ROW(0x00, CPU_ALU_ADD, 7),
    ALU_ROW(0x08, CPU_ALU_OR, 7),
    ALU_ROW(0x10, CPU_ALU_ADC, 7),
    ALU_ROW(0x18, CPU_ALU_SBB, 7),
    ALU_ROW(0x20, CPU_ALU_AND, 7),
    ALU_ROW(0x28, CPU_ALU_SUB, 7),
    ALU_ROW(0x30, CPU_ALU_XOR, 7),
    ALU_ROW(0x38, CPU_ALU_CMP, 5),
    [0x06] = N(x_push_sreg, 0, 2, CPU_ES),  [0x07] = N(x_pop_sreg, 0, 7, CPU_ES),
    [0x0E] = N(x_push_sreg, 0, 2, CPU_CS),
    [0x16] = N(x_push_sreg, 0, 2, CPU_SS),  [0x17] = N(x_pop_sreg, 0, 7, CPU_SS),
    [0x1E] = N(x_push_sreg, 0, 2, CPU_DS),  [0x1F] = N(x_pop_sreg, 0, 7, CPU_DS),
    [0x27] = N(x_daa, 0, CPU_CLOCKS_DAA, 0), [0x2F] = N(x_das, 0, CPU_CLOCKS_DAS, 0),
    [0x37] = N(x_aaa, 0, CPU_CLOCKS_AAA, 0), [0x3F] = N(x_aas, 0, CPU_CLOCKS_AAS, 0),
    [0x40] = N(x_inc_r, 0, 2, 0), [0x41] = N(x_inc_r, 0, 2, 0), [0x42] = N(x_inc_r, 0, 2, 0),
    [0x43] = N(x_inc_r, 0, 2, 0), [0x44] = N(x_inc_r, 0, 2, 0), [0x45] = N(x_inc_r, 0, 2, 0),
    [0x46] = N(x_inc_r, 0, 2, 0), [0x47] = N(x_inc_r, 0, 2, 0),
    [0x48] = N(x_dec_r, 0, 2, 0), [0x49] = N(x_dec_r, 0, 2, 0), [0x4A] = N(x_dec_r, 0, 2, 0),
    [0x4B] = N(x_dec_r, 0, 2, 0), [0x4C] = N(x_dec_r, 0, 2, 0), [0x4D] = N(x_dec_r, 0, 2, 0),
    [0x4E] = N(x_dec_r, 0, 2, 0), [0x4F] = N(x_dec_r, 0, 2, 0),
    [0x50] = N(x_push_r, 0, 2, 0), [0x51] = N(x_push_r, 0, 2, 0), [0x52] = N(x_push_r, 0, 2, 0),
    [0x53] = N(x_push_r, 0, 2, 0), [0x54] = N(x_push_r, 0, 2, 0), [0x55] = N(x_push_r, 0, 2, 0),
    [0x56] = N(x_push_r, 0, 2, 0), [0x57] = N(x_push_r, 0, 2, 0),
    [0x58] = N(x_pop_r, 0, 4, 0), [0x59] = N(x_pop_r, 0, 4, 0), [0x5A] = N(x_pop_r, 0, 4, 0),
    [0x5B] = N(x_pop_r, 0, 4, 0), [0x5C] = N(x_pop_r, 0, 4, 0), [0x5D] = N(x_pop_r, 0, 4, 0),
    [0x5E] = N(x_pop_r, 0, 4, 0), [0x5F] = N(x_pop_r, 0, 4, 0),
    [0x60] = N(x_pusha, 0, 18, 0), [0x61] = N(x_popa, 0, 24, 0),
    [0x62] = MEM(x_bound, M, 10, 0),
    [0x63] = E(x_arpl, M, 20, 21, 0),
    [0x68] = N(x_push_I, IV, 2, 0),
    [0x69] = E(x_imul_GEI, M | IV, 0, 0, 0),
    [0x6A] = N(x_push_I, I8, 2, 0),
    [0x6B] = E(x_imul_GEI, M | I8, 0, 0, 0),
    [0x6C] = N(x_ins, B, 15, 0), [0x6D] = N(x_ins, 0, 15, 0),
    [0x6E] = N(x_outs, B, 14, 0), [0x6F] = N(x_outs, 0, 14, 0),
    [0x70] = N(x_jcc, I8, 3, 0), [0x71] = N(x_jcc, I8, 3, 0), [0x72] = N(x_jcc, I8, 3, 0),
    [0x73] = N(x_jcc, I8, 3, 0), [0x74] = N(x_jcc, I8, 3, 0), [0x75] = N(x_jcc, I8, 3, 0),
    [0x76] = N(x_jcc, I8, 3, 0), [0x77] = N(x_jcc, I8, 3, 0), [0x78] = N(x_jcc, I8, 3, 0),
    [0x79] = N(x_jcc, I8, 3, 0), [0x7A] = N(x_jcc, I8, 3, 0), [0x7B] = N(x_jcc, I8, 3, 0),
    [0x7C] = N(x_jcc, I8, 3, 0), [0x7D] = N(x_jcc, I8, 3, 0), [0x7E] = N(x_jcc, I8, 3, 0),
    [0x7F] = N(x_jcc, I8, 3, 0),
    [0x80] = { NULL, NULL, M | B | I8 | G, 0, 0, GR1 },
    [0x81] = { NULL, NULL, M | IV | G, 0, 0, GR1 },
    [0x82] = { NULL, NULL, M | B | I8 | G, 0, 0, GR1 },
    [0x83] = { NULL, NULL, M | I8 | G, 0, 0, GR1 },
    [0x84] = E(x_test_EG, M | B, 2, 5, 0), [0x85] = E(x_test_EG, M, 2, 5, 0),
    [0x86] = E(x_xchg_EG, M | B, 3, 5, 0), [0x87] = E(x_xchg_EG, M, 3, 5, 0),
    [0x88] = E(x_mov_EG, M | B, 2, 2, 0),  [0x89] = E(x_mov_EG, M, 2, 2, 0),
    [0x8A] = E(x_mov_GE, M | B, 2, 4, 0),  [0x8B] = E(x_mov_GE, M, 2, 4, 0),
    [0x8C] = E(x_mov_ES, M, 2, 2, 0),
    [0x8D] = MEM(x_lea, M, 2, 0),
    [0x8E] = E(x_mov_SE, M, 2, 5, 0),
    [0x8F] = { NULL, NULL, M | G, 0, 0, GR8F },
    [0x90] = N(x_nop, 0, 3, 0),
    [0x91] = N(x_xchg_AR, 0, 3, 0), [0x92] = N(x_xchg_AR, 0, 3, 0), [0x93] = N(x_xchg_AR, 0, 3, 0),
    [0x94] = N(x_xchg_AR, 0, 3, 0), [0x95] = N(x_xchg_AR, 0, 3, 0), [0x96] = N(x_xchg_AR, 0, 3, 0),
    [0x97] = N(x_xchg_AR, 0, 3, 0),
    [0x98] = N(x_cbw, 0, 3, 0), [0x99] = N(x_cwd, 0, 2, 0),
    [0x9A] = N(x_call_far, FAR, 17, 0),
    [0x9B] = N(x_wait, 0, 6, 0),
    [0x9C] = N(x_pushf, 0, 4, 0), [0x9D] = N(x_popf, 0, 5, 0),
    [0x9E] = N(x_sahf, 0, 3, 0), [0x9F] = N(x_lahf, 0, 2, 0),
    [0xA0] = N(x_mov_AO, B | MO, 4, 0), [0xA1] = N(x_mov_AO, MO, 4, 0),
    [0xA2] = N(x_mov_OA, B | MO, 2, 0), [0xA3] = N(x_mov_OA, MO, 2, 0),
    [0xA4] = N(x_movs, B, 7, 0), [0xA5] = N(x_movs, 0, 7, 0),
    [0xA6] = N(x_cmps, B, 10, 0), [0xA7] = N(x_cmps, 0, 10, 0),
    [0xA8] = N(x_test_AI, B | I8, 2, 0), [0xA9] = N(x_test_AI, IV, 2, 0),
    [0xAA] = N(x_stos, B, 4, 0), [0xAB] = N(x_stos, 0, 4, 0),
    [0xAC] = N(x_lods, B, 5, 0), [0xAD] = N(x_lods, 0, 5, 0),
    [0xAE] = N(x_scas, B, 7, 0), [0xAF] = N(x_scas, 0, 7, 0),
    [0xB0] = N(x_mov_RI, B | I8, 2, 0), [0xB1] = N(x_mov_RI, B | I8, 2, 0),
    [0xB2] = N(x_mov_RI, B | I8, 2, 0), [0xB3] = N(x_mov_RI, B | I8, 2, 0),
    [0xB4] = N(x_mov_RI, B | I8, 2, 0), [0xB5] = N(x_mov_RI, B | I8, 2, 0),
    [0xB6] = N(x_mov_RI, B | I8, 2, 0), [0xB7] = N(x_mov_RI, B | I8, 2, 0),
    [0xB8] = N(x_mov_RI, IV, 2, 0), [0xB9] = N(x_mov_RI, IV, 2, 0), [0xBA] = N(x_mov_RI, IV, 2, 0),
    [0xBB] = N(x_mov_RI, IV, 2, 0), [0xBC] = N(x_mov_RI, IV, 2, 0), [0xBD] = N(x_mov_RI, IV, 2, 0),
    [0xBE] = N(x_mov_RI, IV, 2, 0), [0xBF] = N(x_mov_RI, IV, 2, 0),
    [0xC0] = { NULL, NULL, M | B | I8 | G, 0, 0, GR2 },
    [0xC1] = { NULL, NULL, M | I8 | G, 0, 0, GR2 },
    [0xC2] = N(x_ret, I16, 10, 0), [0xC3] = N(x_ret, 0, 10, 0),
    [0xC4] = MEM(x_lxs, M, 7, CPU_ES), [0xC5] = MEM(x_lxs, M, 7, CPU_DS),
    [0xC6] = E(x_mov_EI, M | B | I8, 2, 2, 0), [0xC7] = E(x_mov_EI, M | IV, 2, 2, 0),
    [0xC8] = N(x_enter, I16 | I8, 10, 0), [0xC9] = N(x_leave, 0, 4, 0),
    [0xCA] = N(x_retf, I16, 18, 0), [0xCB] = N(x_retf, 0, 18, 0),
    /* INT n, INT3, INTO and IRET: the whole count is charged where it is known (exc.c,
    ** x_far.c, and x_ctrl.c for a trapped or intercepted INT and INTO not taken). */
    [0xCC] = N(x_int3, 0, 0, 0), [0xCD] = N(x_int, I8, 0, 0), [0xCE] = N(x_into, 0, 0, 0),
    [0xCF] = N(x_iret, 0, 0, 0),
    [0xD0] = { NULL, NULL, M | B | G, 0, 0, GR2 },
    [0xD1] = { NULL, NULL, M | G, 0, 0, GR2 },
    [0xD2] = { NULL, NULL, M | B | G, 0, 0, GR2 },
    [0xD3] = { NULL, NULL, M | G, 0, 0, GR2 },
    [0xD4] = N(x_aam, I8, CPU_CLOCKS_AAM, 0), [0xD5] = N(x_aad, I8, CPU_CLOCKS_AAD, 0),
    [0xD7] = N(x_xlat, 0, 5, 0),
    [0xD8] = E(x_esc, M, 1, 1, 0), [0xD9] = E(x_esc, M, 1, 1, 0), [0xDA] = E(x_esc, M, 1, 1, 0),
    [0xDB] = E(x_esc, M, 1, 1, 0), [0xDC] = E(x_esc, M, 1, 1, 0), [0xDD] = E(x_esc, M, 1, 1, 0),
    [0xDE] = E(x_esc, M, 1, 1, 0), [0xDF] = E(x_esc, M, 1, 1, 0),
    [0xE0] = N(x_loop, I8, 11, 0), [0xE1] = N(x_loop, I8, 11, 0), [0xE2] = N(x_loop, I8, 11, 0),
    [0xE3] = N(x_jcxz, I8, 5, 0),
    [0xE4] = N(x_in, B | I8, 12, 0), [0xE5] = N(x_in, I8, 12, 0),
    [0xE6] = N(x_out, B | I8, 10, 0), [0xE7] = N(x_out, I8, 10, 0),
    [0xE8] = N(x_call_rel, IV, 7, 0), [0xE9] = N(x_jmp_rel, IV, 7, 0),
    [0xEA] = N(x_jmp_far, FAR, 12, 0), [0xEB] = N(x_jmp_rel, I8, 7, 0),
    [0xEC] = N(x_in, B, 13, 0), [0xED] = N(x_in, 0, 13, 0),
    [0xEE] = N(x_out, B, 11, 0), [0xEF] = N(x_out, 0, 11, 0),
    [0xF4] = N(x_hlt, 0, 5, 0), [0xF5] = N(x_cmc, 0, 2, 0),
    [0xF6] = { NULL, NULL, M | B | G, 0, 0, GR3B },
    [0xF7] = { NULL, NULL, M | G, 0, 0, GR3 },
    [0xF8] = N(x_clc, 0, 2, 0), [0xF9] = N(x_stc, 0, 2, 0),
    [0xFA] = N(x_cli, 0, 3, 0), [0xFB] = N(x_sti, 0, 3, 0),
    [0xFC] = N(x_cld, 0, 2, 0), [0xFD] = N(x_std, 0, 2, 0),
    [0xFE] = { NULL, NULL, M | B | G, 0, 0, GR4 },
    [0xFF] = { NULL, NULL, M | G, 0, 0, GR5 },
};

const cpu_opdef cpu_optab2[256] = {
    [0x00] = { NULL, NULL, M | G, 0, 0, GR6 },
    [0x01] = { NULL, NULL, M | G, 0, 0, GR7 },
    [0x02] = E(x_lar, M, 15, 16, 0), [0x03] = E(x_lsl, M, 20, 21, 0),
    [0x06] = N(x_clts, 0, 5, 0),
    [0x20] = E(x_mov_cr, M, 6, 6, 0), [0x22] = E(x_mov_cr, M, 4, 4, 0),
    [0x21] = E(x_mov_dr, M, 14, 14, 0), [0x23] = E(x_mov_dr, M, 14, 14, 0),
    [0x24] = E(x_mov_tr, M, 12, 12, 0), [0x26] = E(x_mov_tr, M, 12, 12, 0),
    [0x80] = N(x_jcc, IV, 3, 0), [0x81] = N(x_jcc, IV, 3, 0), [0x82] = N(x_jcc, IV, 3, 0),
    [0x83] = N(x_jcc, IV, 3, 0), [0x84] = N(x_jcc, IV, 3, 0), [0x85] = N(x_jcc, IV, 3, 0),
    [0x86] = N(x_jcc, IV, 3, 0), [0x87] = N(x_jcc, IV, 3, 0), [0x88] = N(x_jcc, IV, 3, 0),
    [0x89] = N(x_jcc, IV, 3, 0), [0x8A] = N(x_jcc, IV, 3, 0), [0x8B] = N(x_jcc, IV, 3, 0),
    [0x8C] = N(x_jcc, IV, 3, 0), [0x8D] = N(x_jcc, IV, 3, 0), [0x8E] = N(x_jcc, IV, 3, 0),
    [0x8F] = N(x_jcc, IV, 3, 0),
    [0x90] = E(x_setcc, M | B, 4, 5, 0), [0x91] = E(x_setcc, M | B, 4, 5, 0),
    [0x92] = E(x_setcc, M | B, 4, 5, 0), [0x93] = E(x_setcc, M | B, 4, 5, 0),
    [0x94] = E(x_setcc, M | B, 4, 5, 0), [0x95] = E(x_setcc, M | B, 4, 5, 0),
    [0x96] = E(x_setcc, M | B, 4, 5, 0), [0x97] = E(x_setcc, M | B, 4, 5, 0),
    [0x98] = E(x_setcc, M | B, 4, 5, 0), [0x99] = E(x_setcc, M | B, 4, 5, 0),
    [0x9A] = E(x_setcc, M | B, 4, 5, 0), [0x9B] = E(x_setcc, M | B, 4, 5, 0),
    [0x9C] = E(x_setcc, M | B, 4, 5, 0), [0x9D] = E(x_setcc, M | B, 4, 5, 0),
    [0x9E] = E(x_setcc, M | B, 4, 5, 0), [0x9F] = E(x_setcc, M | B, 4, 5, 0),
    [0xA0] = N(x_push_sreg, 0, 2, CPU_FS), [0xA1] = N(x_pop_sreg, 0, 7, CPU_FS),
    [0xA3] = E(x_bt_EG, M, 3, 12, CPU_BT_BT),
    [0xA4] = E(x_shld, M | I8, 3, 7, 0), [0xA5] = E(x_shld, M, 3, 7, 0),
    [0xA8] = N(x_push_sreg, 0, 2, CPU_GS), [0xA9] = N(x_pop_sreg, 0, 7, CPU_GS),
    [0xAB] = E(x_bt_EG, M, 6, 13, CPU_BT_BTS),
    [0xAC] = E(x_shrd, M | I8, 3, 7, 0), [0xAD] = E(x_shrd, M, 3, 7, 0),
    [0xAF] = E(x_imul_GE, M, 0, 0, 0),
    [0xB2] = MEM(x_lxs, M, 7, CPU_SS),
    [0xB3] = E(x_bt_EG, M, 6, 13, CPU_BT_BTR),
    [0xB4] = MEM(x_lxs, M, 7, CPU_FS), [0xB5] = MEM(x_lxs, M, 7, CPU_GS),
    [0xB6] = E(x_movzx, M, 3, 6, 0), [0xB7] = E(x_movzx, M, 3, 6, 0),
    [0xBA] = { NULL, NULL, M | I8 | G, 0, 0, GR8 },
    [0xBB] = E(x_bt_EG, M, 6, 13, CPU_BT_BTC),
    [0xBC] = E(x_bsf, M, 0, 0, 0), [0xBD] = E(x_bsr, M, 0, 0, 0),
    [0xBE] = E(x_movsx, M, 3, 6, 0), [0xBF] = E(x_movsx, M, 3, 6, 0),
};

#define SH(cr, cm) E(x_shift, 0, cr, cm, 0)

const cpu_opdef cpu_groups[CPU_GROUPS][8] = {
    [GR1] = { E(x_alu_EI, 0, 2, 7, 0), E(x_alu_EI, 0, 2, 7, 0), E(x_alu_EI, 0, 2, 7, 0),
              E(x_alu_EI, 0, 2, 7, 0), E(x_alu_EI, 0, 2, 7, 0), E(x_alu_EI, 0, 2, 7, 0),
              E(x_alu_EI, 0, 2, 7, 0), E(x_alu_EI, 0, 2, 5, 0) },
    /* 8F: POP r/m (only /0). */
    [GR8F] = { E(x_pop_E, 0, 4, 5, 0) },
    [GR2] = { SH(3, 7), SH(3, 7), SH(9, 10), SH(9, 10), SH(3, 7), SH(3, 7), SH(3, 7), SH(3, 7) },
    [GR3B] = { E(x_test_EI, I8, 2, 5, 0), E(x_test_EI, I8, 2, 5, 0), E(x_not, 0, 2, 6, 0),
               E(x_neg, 0, 2, 6, 0), E(x_muldiv, 0, 0, 0, 0), E(x_muldiv, 0, 0, 0, 0),
               E(x_muldiv, 0, 0, 0, 0), E(x_muldiv, 0, 0, 0, 0) },
    [GR3] = { E(x_test_EI, IV, 2, 5, 0), E(x_test_EI, IV, 2, 5, 0), E(x_not, 0, 2, 6, 0),
              E(x_neg, 0, 2, 6, 0), E(x_muldiv, 0, 0, 0, 0), E(x_muldiv, 0, 0, 0, 0),
              E(x_muldiv, 0, 0, 0, 0), E(x_muldiv, 0, 0, 0, 0) },
    [GR4] = { E(x_incdec_E, 0, 2, 6, 0), E(x_incdec_E, 0, 2, 6, 0) },
    [GR5] = { E(x_incdec_E, 0, 2, 6, 0), E(x_incdec_E, 0, 2, 6, 0),
              E(x_call_E, 0, 7, 10, 0), MEM(x_call_farE, 0, 22, 0),
              E(x_jmp_E, 0, 7, 10, 0), MEM(x_jmp_farE, 0, 17, 0),
              E(x_push_E, 0, 2, 5, 0) },
    [GR6] = { E(x_grp6, 0, 2, 2, 0), E(x_grp6, 0, 2, 2, 0), E(x_grp6, 0, 20, 20, 0),
              E(x_grp6, 0, 23, 27, 0), E(x_grp6, 0, 10, 11, 0), E(x_grp6, 0, 15, 16, 0) },
    [GR7] = { MEM(x_grp7, 0, 9, 0), MEM(x_grp7, 0, 9, 0), MEM(x_grp7, 0, 11, 0),
              MEM(x_grp7, 0, 11, 0), E(x_grp7, 0, 2, 3, 0), { NULL, NULL, 0, 0, 0, 0 },
              E(x_grp7, 0, 10, 13, 0) },
    [GR8] = { { NULL, NULL, 0, 0, 0, 0 }, { NULL, NULL, 0, 0, 0, 0 },
              { NULL, NULL, 0, 0, 0, 0 }, { NULL, NULL, 0, 0, 0, 0 },
              E(x_bt_EI, 0, 3, 6, 0), E(x_bt_EI, 0, 6, 8, 0), E(x_bt_EI, 0, 6, 8, 0),
              E(x_bt_EI, 0, 6, 8, 0) },
};
