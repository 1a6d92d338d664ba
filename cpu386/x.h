/*
** x.h — (internal to cpu386) instruction handlers, one family per x_*.c file.
** A handler runs one decoded instruction: it reads and checks first, writes last,
** and advances EIP (cpu_next) or transfers control (cpu_jump) at the very end.
*/
#ifndef VMMSIM_CPU386_X_H
#define VMMSIM_CPU386_X_H

#include "cpu_int.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

#define X(name) void name(cpu_state *c, const cpu_insn *i)

/* Swaps in size- and operation-specialised handlers for hot forms (x_fast.c). */
void cpu_specialize(cpu_insn *o);

/* x_arith.c */
X(x_alu_EG); X(x_alu_GE); X(x_alu_AI); X(x_alu_EI);
X(x_inc_r); X(x_dec_r); X(x_incdec_E);
X(x_test_EG); X(x_test_AI); X(x_test_EI); X(x_not); X(x_neg);
X(x_muldiv); X(x_imul_GE); X(x_imul_GEI);
X(x_cbw); X(x_cwd);
X(x_daa); X(x_das); X(x_aaa); X(x_aas); X(x_aam); X(x_aad);

/* x_shift.c, x_bit.c */
X(x_shift); X(x_shld); X(x_shrd);
X(x_bt_EG); X(x_bt_EI); X(x_bsf); X(x_bsr); X(x_setcc);

/* x_mov.c */
X(x_mov_EG); X(x_mov_GE); X(x_mov_RI); X(x_mov_EI); X(x_mov_AO); X(x_mov_OA);
X(x_movzx); X(x_movsx); X(x_lea); X(x_xchg_EG); X(x_xchg_AR); X(x_nop); X(x_xlat);
X(x_mov_ES); X(x_mov_SE); X(x_lxs); X(x_lahf); X(x_sahf);

/* x_stack.c */
X(x_push_r); X(x_pop_r); X(x_push_I); X(x_push_E); X(x_pop_E);
X(x_push_sreg); X(x_pop_sreg); X(x_pusha); X(x_popa); X(x_pushf); X(x_popf);
X(x_enter); X(x_leave);

/* x_ctrl.c */
X(x_jcc); X(x_jmp_rel); X(x_jmp_E); X(x_call_rel); X(x_call_E);
X(x_ret); X(x_loop); X(x_jcxz);
X(x_clc); X(x_stc); X(x_cmc); X(x_cld); X(x_std); X(x_cli); X(x_sti); X(x_hlt);
X(x_int); X(x_int3); X(x_into); X(x_bound);

/* x_far.c: far transfers and IRET (real, protected, V86) */
X(x_jmp_far); X(x_jmp_farE); X(x_call_far); X(x_call_farE); X(x_retf); X(x_iret);

/* x_string.c, x_io.c */
X(x_movs); X(x_movs_d); X(x_cmps); X(x_stos); X(x_stos_d); X(x_lods); X(x_scas); X(x_ins); X(x_outs);
X(x_in); X(x_out);

/* x_system.c */
X(x_grp6); X(x_grp7); X(x_lar); X(x_lsl); X(x_clts); X(x_arpl);
X(x_mov_cr); X(x_mov_dr); X(x_mov_tr); X(x_esc); X(x_wait);

#undef X

/* I/O for x_io.c and x_string.c: the permission check (#GP(0)) and the bus. */
void cpu_io_check(cpu_state *c, uint16_t port, unsigned n);
uint32_t cpu_io_in(cpu_state *c, uint16_t port, unsigned n);
void cpu_io_out(cpu_state *c, uint16_t port, unsigned n, uint32_t v);

#pragma GCC visibility pop

#endif
