/*
** x_fast.c — specialised handlers for the hottest forms (32-bit register and
** memory ALU ops, MOV, INC/DEC, shifts by a constant, Jcc per condition, PUSH/POP r32,
** CALL rel32 and RET), chosen once at decode time so
** the operation and size are constants in the handler; and the REP clock bases.
** Each is equivalent to the generic handler it replaces. Then the threaded forms
** (thread.h) of these and of a few generic handlers, and cpu_thread_fn, which picks
** an entry's threaded form.
*/
#include "thread.h"
#include "x.h"

/* Instantiates M(P_op, CPU_ALU_OP) for the eight group-1 operations. */
#define ALU_EACH(M, P)                                                            \
    M(P##_add, CPU_ALU_ADD) M(P##_or, CPU_ALU_OR) M(P##_adc, CPU_ALU_ADC)         \
    M(P##_sbb, CPU_ALU_SBB) M(P##_and, CPU_ALU_AND) M(P##_sub, CPU_ALU_SUB)       \
    M(P##_xor, CPU_ALU_XOR) M(P##_cmp, CPU_ALU_CMP)

#define ALU_RR(name, OP)                                                          \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        uint32_t r = cpu_alu_inl(&c->fl, OP, 4, c->r[i->rm], c->r[i->reg]);       \
        if (OP != CPU_ALU_CMP) c->r[i->rm] = r;                                   \
        c->eip += i->len;                                                         \
    }
#define ALU_GM(name, OP)                                                          \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        uint32_t b = cpu_rd(c, i->seg, cpu_ea(c, i), 4);                          \
        uint32_t r = cpu_alu_inl(&c->fl, OP, 4, c->r[i->reg], b);                 \
        if (OP != CPU_ALU_CMP) c->r[i->reg] = r;                                  \
        c->eip += i->len;                                                         \
    }
#define ALU_RI(name, OP)                                                          \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        uint32_t r = cpu_alu_inl(&c->fl, OP, 4, c->r[i->rm], i->imm);             \
        if (OP != CPU_ALU_CMP) c->r[i->rm] = r;                                   \
        c->eip += i->len;                                                         \
    }

ALU_EACH(ALU_RR, rr) ALU_EACH(ALU_GM, gm) ALU_EACH(ALU_RI, ri)

static const cpu_fn rr_fns[8] = { rr_add, rr_or, rr_adc, rr_sbb, rr_and, rr_sub, rr_xor, rr_cmp };
static const cpu_fn gm_fns[8] = { gm_add, gm_or, gm_adc, gm_sbb, gm_and, gm_sub, gm_xor, gm_cmp };
static const cpu_fn ri_fns[8] = { ri_add, ri_or, ri_adc, ri_sbb, ri_and, ri_sub, ri_xor, ri_cmp };

/* op r32, r32 in the 02/03 direction: dest is reg, source rm. */
#define ALU_GR(name, OP)                                                          \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        uint32_t r = cpu_alu_inl(&c->fl, OP, 4, c->r[i->reg], c->r[i->rm]);       \
        if (OP != CPU_ALU_CMP) c->r[i->reg] = r;                                  \
        c->eip += i->len;                                                         \
    }
ALU_EACH(ALU_GR, gr)
static const cpu_fn gr_fns[8] = { gr_add, gr_or, gr_adc, gr_sbb, gr_and, gr_sub, gr_xor, gr_cmp };

/* op m32, r32 (read-modify-write). */
#define ALU_MG(name, OP)                                                          \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        uint32_t ea = cpu_ea(c, i), a = cpu_rd(c, i->seg, ea, 4);                 \
        uint32_t r = cpu_alu_inl(&c->fl, OP, 4, a, c->r[i->reg]);                 \
        if (OP != CPU_ALU_CMP) cpu_wr(c, i->seg, ea, 4, r);                       \
        c->eip += i->len;                                                         \
    }
ALU_EACH(ALU_MG, mg)
static const cpu_fn mg_fns[8] = { mg_add, mg_or, mg_adc, mg_sbb, mg_and, mg_sub, mg_xor, mg_cmp };

static void mov_rr32(cpu_state *c, const cpu_insn *i) { c->r[i->rm] = c->r[i->reg]; c->eip += i->len; }
static void mov_gr32(cpu_state *c, const cpu_insn *i) { c->r[i->reg] = c->r[i->rm]; c->eip += i->len; }
static void mov_ri32(cpu_state *c, const cpu_insn *i) { c->r[i->reg] = i->imm; c->eip += i->len; }

static void mov_gm32(cpu_state *c, const cpu_insn *i)
{
    c->r[i->reg] = cpu_rd(c, i->seg, cpu_ea(c, i), 4);
    c->eip += i->len;
}

static void mov_mg32(cpu_state *c, const cpu_insn *i)
{
    cpu_wr(c, i->seg, cpu_ea(c, i), 4, c->r[i->reg]);
    c->eip += i->len;
}

static void inc_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t a = c->r[i->reg];
    c->fl.cf_in = (uint8_t)cpu_flags_cf_inl(&c->fl);
    c->r[i->reg] = a + 1u;
    cpu_flags_set_lazy(&c->fl, CPU_LF_INC, 4, a, 1u, a + 1u);
    c->eip += i->len;
}

static void dec_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t a = c->r[i->reg];
    c->fl.cf_in = (uint8_t)cpu_flags_cf_inl(&c->fl);
    c->r[i->reg] = a - 1u;
    cpu_flags_set_lazy(&c->fl, CPU_LF_DEC, 4, a, 1u, a - 1u);
    c->eip += i->len;
}

/* Group 2 on a 32-bit register by 1 (D1) or imm8 (C1): x_shift without the r/m and
** count-source dispatch. */
static void sh1_r32(cpu_state *c, const cpu_insn *i)
{
    c->r[i->rm] = cpu_shift(&c->fl, i->reg, 4, c->r[i->rm], 1);
    c->eip += i->len;
}

/* SHL/SAL, SHR, SAR r32 by 1 (D1 /4 /5 /6 /7) with the flags of shift.c for a count
** of 1: CF the bit shifted out, AF = 1, OF = CF ^ MSB(res) (SHL), MSB(dst) (SHR),
** 0 (SAR); PF ZF SF lazily from the result. */
static void shl1_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t a = c->r[i->rm], r = a << 1, cf = a >> 31;
    c->r[i->rm] = r;
    cpu_flags_set_lazy(&c->fl, CPU_LF_SZP, 4,
                       CPU_AF | (cf ? CPU_CF : 0u) | ((cf ^ (r >> 31)) ? CPU_OF : 0u), 0, r);
    c->eip += i->len;
}

static void shr1_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t a = c->r[i->rm], r = a >> 1;
    c->r[i->rm] = r;
    cpu_flags_set_lazy(&c->fl, CPU_LF_SZP, 4,
                       CPU_AF | ((a & 1u) ? CPU_CF : 0u) | ((a >> 31) ? CPU_OF : 0u), 0, r);
    c->eip += i->len;
}

static void sar1_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t a = c->r[i->rm], r = (uint32_t)((int32_t)a >> 1);
    c->r[i->rm] = r;
    cpu_flags_set_lazy(&c->fl, CPU_LF_SZP, 4, CPU_AF | ((a & 1u) ? CPU_CF : 0u), 0, r);
    c->eip += i->len;
}

static const cpu_fn sh1_fns[8] = { sh1_r32, sh1_r32, sh1_r32, sh1_r32,
                                   shl1_r32, shr1_r32, shl1_r32, sar1_r32 };

/* 32-bit PUSH/POP r, CALL rel and RET with a 32-bit stack (SS's B bit): ESP without
** the SP masking of cpu_push/cpu_pop; a 16-bit stack takes the generic helpers. */
static void push_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t v = c->r[i->reg], sp = c->r[CPU_ESP] - 4u;   /* PUSH ESP: the old ESP */
    if (CPU_LIKELY(c->stack32)) {
        cpu_wr(c, CPU_SS, sp, 4, v);
        c->r[CPU_ESP] = sp;
    } else {
        cpu_push(c, 4, v);
    }
    c->eip += i->len;
}

static void pop_r32(cpu_state *c, const cpu_insn *i)
{
    uint32_t v;
    if (CPU_LIKELY(c->stack32)) {
        v = cpu_rd(c, CPU_SS, c->r[CPU_ESP], 4);
        c->r[CPU_ESP] += 4u;
    } else {
        v = cpu_pop(c, 4);
    }
    c->r[i->reg] = v;   /* POP ESP: the popped value wins */
    c->eip += i->len;
}

static void call_rel32(cpu_state *c, const cpu_insn *i)
{
    uint32_t ret = c->eip + i->len, sp = c->r[CPU_ESP] - 4u;
    if (CPU_LIKELY(c->stack32)) {
        cpu_wr(c, CPU_SS, sp, 4, ret);
        c->r[CPU_ESP] = sp;
    } else {
        cpu_push(c, 4, ret);
    }
    cpu_jump(c, ret + i->imm);
}

static void ret_near32(cpu_state *c, const cpu_insn *i)
{
    uint32_t t;
    (void)i;
    if (CPU_LIKELY(c->stack32)) {
        t = cpu_rd(c, CPU_SS, c->r[CPU_ESP], 4);
        c->r[CPU_ESP] += 4u;
    } else {
        t = cpu_pop(c, 4);
    }
    cpu_jump(c, t);
}

static void shi_r32(cpu_state *c, const cpu_insn *i)
{
    c->r[i->rm] = cpu_shift(&c->fl, i->reg, 4, c->r[i->rm], (uint8_t)i->imm);
    c->eip += i->len;
}

#define JCC(name, CC)                                                             \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        if (cpu_flags_cond_inl(&c->fl, CC)) {                                     \
            c->cycles += CLK_JCC_TAKEN_EXTRA;                                     \
            cpu_jump(c, c->eip + i->len + i->imm);                                \
        } else {                                                                  \
            c->eip += i->len;                                                     \
        }                                                                         \
    }
JCC(jcc0, 0) JCC(jcc1, 1) JCC(jcc2, 2) JCC(jcc3, 3)
JCC(jcc6, 6) JCC(jcc7, 7) JCC(jcc8, 8) JCC(jcc9, 9) JCC(jcc10, 10) JCC(jcc11, 11)
JCC(jcc12, 12) JCC(jcc13, 13) JCC(jcc14, 14) JCC(jcc15, 15)
/* JE/JNE, the loop closers: ZF without the switch over producers. */
#define JZ(name, WANT)                                                            \
    static void name(cpu_state *c, const cpu_insn *i)                             \
    {                                                                             \
        if (cpu_flags_zf_inl(&c->fl) == (WANT)) {                                 \
            c->cycles += CLK_JCC_TAKEN_EXTRA;                                     \
            cpu_jump(c, c->eip + i->len + i->imm);                                \
        } else {                                                                  \
            c->eip += i->len;                                                     \
        }                                                                         \
    }
JZ(jz_e, 1) JZ(jz_ne, 0)
static const cpu_fn jcc_fns[16] = { jcc0, jcc1, jcc2, jcc3, jz_e, jz_ne, jcc6, jcc7,
                                    jcc8, jcc9, jcc10, jcc11, jcc12, jcc13, jcc14, jcc15 };

static int is_string(const cpu_insn *o)
{
    return !(o->flags & CPU_IF_TWOBYTE) &&
           ((o->opc >= 0xA4 && o->opc <= 0xA7) || (o->opc >= 0xAA && o->opc <= 0xAF) ||
            (o->opc >= 0x6C && o->opc <= 0x6F));
}

void cpu_specialize(cpu_insn *o)
{
    int two = (o->flags & CPU_IF_TWOBYTE) != 0;
    unsigned b = o->opc;
    if (o->rep && is_string(o)) {
        o->clk = b == 0x6C || b == 0x6D ? 13 : b == 0x6E || b == 0x6F ? 12 : 5;
    }
    if (!two && o->opsz == 4 && b == 0xA5 && o->fn == x_movs) o->fn = x_movs_d;
    if (!two && o->opsz == 4 && b == 0xAB && o->fn == x_stos) o->fn = x_stos_d;
    if (o->rep && is_string(o)) return;
    if (two) {
        if (b >= 0x80 && b <= 0x8F && o->opsz == 4) o->fn = jcc_fns[b & 15u];
        return;
    }
    if (b >= 0x70 && b <= 0x7F && o->opsz == 4) { o->fn = jcc_fns[b & 15u]; return; }
    if (o->opsz != 4) return;
    if (b < 0x40 && (b & 7u) <= 3 && (b & 1u)) {   /* 01 03 09 0B … 39 3B */
        unsigned op = b >> 3;
        if (o->fn == x_alu_EG && o->mod == 3) o->fn = rr_fns[op];
        else if (o->fn == x_alu_EG) o->fn = mg_fns[op];
        else if (o->fn == x_alu_GE && o->mod == 3) o->fn = gr_fns[op];
        else if (o->fn == x_alu_GE) o->fn = gm_fns[op];
        return;
    }
    if ((b == 0x81 || b == 0x83) && o->mod == 3 && o->fn == x_alu_EI) {
        o->fn = ri_fns[o->reg];
        return;
    }
    if ((b == 0xD1 || b == 0xC1) && o->mod == 3 && o->fn == x_shift) {
        o->fn = b == 0xD1 ? sh1_fns[o->reg] : shi_r32;
        return;
    }
    if (b == 0x50u + o->reg && o->fn == x_push_r) o->fn = push_r32;
    else if (b == 0x58u + o->reg && o->fn == x_pop_r) o->fn = pop_r32;
    else if (b == 0xE8 && o->fn == x_call_rel) o->fn = call_rel32;
    else if (b == 0xC3 && o->fn == x_ret) o->fn = ret_near32;
    if (b == 0x89) o->fn = o->mod == 3 ? mov_rr32 : mov_mg32;
    else if (b == 0x8B) o->fn = o->mod == 3 ? mov_gr32 : mov_gm32;
    else if (b >= 0xB8 && b <= 0xBF) o->fn = mov_ri32;
    else if (b >= 0x40 && b <= 0x47) o->fn = inc_r32;
    else if (b >= 0x48 && b <= 0x4F) o->fn = dec_r32;
}

/* ---- threaded forms (thread.h) --------------------------------------------------- */

/* Register-only: no fault, no stop, no clock read, no memory: state stays in registers. */
#define T_REG(tname, fname)                                                       \
    static int tname(CPU_TARGS)                                                   \
    {                                                                             \
        fname(c, i);                                                              \
        icnt++;                                                                   \
        CPU_T_NEXT();                                                             \
    }
#define T_REG_ALU(name, OP) T_REG(t_##name, name)
ALU_EACH(T_REG_ALU, rr) ALU_EACH(T_REG_ALU, gr) ALU_EACH(T_REG_ALU, ri)
T_REG(t_mov_rr32, mov_rr32) T_REG(t_mov_gr32, mov_gr32) T_REG(t_mov_ri32, mov_ri32)
T_REG(t_inc_r32, inc_r32) T_REG(t_dec_r32, dec_r32)
T_REG(t_sh1_r32, sh1_r32) T_REG(t_shl1_r32, shl1_r32) T_REG(t_shr1_r32, shr1_r32)
T_REG(t_sar1_r32, sar1_r32) T_REG(t_shi_r32, shi_r32)

/* Memory operands: the TLB fast path alone, in registers (a hit cannot fault, stop
** or touch code); anything else runs the plain handler through cpu_t_any. */
#define T_SLOW() do { CPU_MUSTTAIL return cpu_t_any(c, i, cyc, tend, icnt); } while (0)

/* The write pointer of a threaded form: the write TLB, else a store beside code on a
** code page (mem.c: no code line, no watch, no observer; the page then counts as
** dirty, so call it only when nothing can send the form to T_SLOW after it). */
static inline uint8_t *t_wr_ptr(cpu_state *c, unsigned s, uint32_t off, unsigned n)
{
    const cpu_segwin *w = &c->sw[s];
    uint8_t *q = cpu_wr_ptr(c, s, off, n);
    if (CPU_LIKELY(q != NULL)) return q;
    if (!(off >= w->wlo[n >> 1] && off <= w->whi[n >> 1])) return NULL;
    return cpu_code_page_wr(c, c->seg[s].base + off, n, c->ubit);
}

#define T_GM(tname, OP)                                                           \
    static int tname(CPU_TARGS)                                                   \
    {                                                                             \
        const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 4);                \
        uint32_t r;                                                               \
        if (CPU_UNLIKELY(!p)) T_SLOW();                                           \
        r = cpu_alu_inl(&c->fl, OP, 4, c->r[i->reg], cpu_host_ld(p, 4));          \
        if (OP != CPU_ALU_CMP) c->r[i->reg] = r;                                  \
        c->eip += i->len;                                                         \
        icnt++;                                                                   \
        CPU_T_NEXT();                                                             \
    }
#define T_MG(tname, OP)                                                           \
    static int tname(CPU_TARGS)                                                   \
    {                                                                             \
        uint32_t ea = cpu_ea(c, i), r;                                            \
        const uint8_t *p = cpu_rd_ptr(c, i->seg, ea, 4);                          \
        uint8_t *q = NULL;                                                        \
        if (CPU_UNLIKELY(!p)) T_SLOW();                                           \
        if (OP != CPU_ALU_CMP && CPU_UNLIKELY(!(q = t_wr_ptr(c, i->seg, ea, 4)))) \
            T_SLOW();                                                             \
        r = cpu_alu_inl(&c->fl, OP, 4, cpu_host_ld(p, 4), c->r[i->reg]);          \
        if (OP != CPU_ALU_CMP) cpu_host_st(q, 4, r);                              \
        c->eip += i->len;                                                         \
        icnt++;                                                                   \
        CPU_T_NEXT();                                                             \
    }
ALU_EACH(T_GM, t_gm) ALU_EACH(T_MG, t_mg)

static int t_mov_gm32(CPU_TARGS)
{
    const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 4);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    c->r[i->reg] = cpu_host_ld(p, 4);
    c->eip += i->len;
    icnt++;
    CPU_T_NEXT();
}

static int t_mov_mg32(CPU_TARGS)
{
    uint8_t *q = t_wr_ptr(c, i->seg, cpu_ea(c, i), 4);
    if (CPU_UNLIKELY(!q)) T_SLOW();
    cpu_host_st(q, 4, c->r[i->reg]);
    c->eip += i->len;
    icnt++;
    CPU_T_NEXT();
}

/* PUSH/POP r32 on a 32-bit stack (a 16-bit one takes the slow way). */
static int t_push_r32(CPU_TARGS)
{
    uint32_t sp = c->r[CPU_ESP] - 4u;
    uint8_t *q = c->stack32 ? cpu_wr_ptr(c, CPU_SS, sp, 4) : NULL;
    if (CPU_UNLIKELY(!q)) T_SLOW();
    cpu_host_st(q, 4, c->r[i->reg]);   /* PUSH ESP: the old ESP */
    c->r[CPU_ESP] = sp;
    c->eip += i->len;
    icnt++;
    CPU_T_NEXT();
}

static int t_pop_r32(CPU_TARGS)
{
    const uint8_t *p = c->stack32 ? cpu_rd_ptr(c, CPU_SS, c->r[CPU_ESP], 4) : NULL;
    if (CPU_UNLIKELY(!p)) T_SLOW();
    c->r[CPU_ESP] += 4u;
    c->r[i->reg] = cpu_host_ld(p, 4);   /* POP ESP: the popped value wins */
    c->eip += i->len;
    icnt++;
    CPU_T_NEXT();
}

/* CALL rel32 (7+m) and RET (10+m): the target owes its "+m". */
static int t_call_rel32(CPU_TARGS)
{
    uint32_t sp = c->r[CPU_ESP] - 4u, next = c->eip + i->len;
    uint8_t *q = c->stack32 ? cpu_wr_ptr(c, CPU_SS, sp, 4) : NULL;
    if (CPU_UNLIKELY(!q)) T_SLOW();
    cpu_host_st(q, 4, next);
    c->r[CPU_ESP] = sp;
    c->eip = next + i->imm;
    c->mpend = 0xFFu;
    icnt++;
    CPU_T_JUMPED(next);
}

static int t_ret_near32(CPU_TARGS)
{
    uint32_t next = c->eip + i->len;
    const uint8_t *p = c->stack32 ? cpu_rd_ptr(c, CPU_SS, c->r[CPU_ESP], 4) : NULL;
    if (CPU_UNLIKELY(!p)) T_SLOW();
    c->r[CPU_ESP] += 4u;
    c->eip = cpu_host_ld(p, 4);
    c->mpend = 0xFFu;
    icnt++;
    CPU_T_JUMPED(next);
}

/* Jcc rel32 on registers only: taken, the tlink entry owes its "+m" (7+m). */
#define T_JCC(name, COND)                                                         \
    static int name(CPU_TARGS)                                                    \
    {                                                                             \
        uint32_t next = c->eip + i->len;                                          \
        icnt++;                                                                   \
        if (COND) {                                                               \
            const cpu_insn *n = i->tlink;                                         \
            c->eip = next + i->imm;                                               \
            cyc += CLK_JCC_TAKEN_EXTRA;                                           \
            if (CPU_UNLIKELY(cpu_insn_key(n) != i->nkey + (int32_t)i->imm ||      \
                             cyc >= tend))                                        \
                return cpu_t_exit(c, cyc, icnt, 0xFFu);                           \
            assert(n->fn && n->tfn);                                              \
            CPU_MUSTTAIL return n->tfn(c, n, cyc + n->clk + n->comps, tend, icnt); \
        }                                                                         \
        c->eip = next;                                                            \
        CPU_T_NEXT();                                                             \
    }
#define T_JCC_CC(name, CC) T_JCC(name, cpu_flags_cond_inl(&c->fl, CC))
T_JCC_CC(t_jcc0, 0) T_JCC_CC(t_jcc1, 1) T_JCC_CC(t_jcc2, 2) T_JCC_CC(t_jcc3, 3)
T_JCC_CC(t_jcc6, 6) T_JCC_CC(t_jcc7, 7) T_JCC_CC(t_jcc8, 8) T_JCC_CC(t_jcc9, 9)
T_JCC_CC(t_jcc10, 10) T_JCC_CC(t_jcc11, 11) T_JCC_CC(t_jcc12, 12) T_JCC_CC(t_jcc13, 13)
T_JCC_CC(t_jcc14, 14) T_JCC_CC(t_jcc15, 15)
T_JCC(t_jz_e, cpu_flags_zf_inl(&c->fl) == 1) T_JCC(t_jz_ne, cpu_flags_zf_inl(&c->fl) == 0)

/* ---- threaded forms without a plain specialised handler ---------------------------
** 16-bit ALU and MOV, MOVZX/MOVSX of a word, register forms of the groups (TEST,
** shifts, op r/m, imm), LEA: each is the generic handler of its opcode (x_arith.c,
** x_mov.c, x_shift.c) for the operand size and kind fixed at decode time. */

static inline void set16(cpu_state *c, unsigned r, uint32_t v)
{
    c->r[r] = (c->r[r] & 0xFFFF0000u) | (v & 0xFFFFu);
}

/* Fell through: EIP, the count, the linked entry. */
#define T_DONE() do { c->eip += i->len; icnt++; CPU_T_NEXT(); } while (0)

static int t_eg16_r(CPU_TARGS)   /* op r16, r16 (01 direction) */
{
    uint32_t r = cpu_alu_inl(&c->fl, i->op, 2, c->r[i->rm], c->r[i->reg]);
    if (i->op != CPU_ALU_CMP) set16(c, i->rm, r);
    T_DONE();
}

static int t_ge16_r(CPU_TARGS)   /* op r16, r16 (03 direction) */
{
    uint32_t r = cpu_alu_inl(&c->fl, i->op, 2, c->r[i->reg], c->r[i->rm]);
    if (i->op != CPU_ALU_CMP) set16(c, i->reg, r);
    T_DONE();
}

static int t_ge16_m(CPU_TARGS)   /* op r16, m16 */
{
    const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 2);
    uint32_t r;
    if (CPU_UNLIKELY(!p)) T_SLOW();
    r = cpu_alu_inl(&c->fl, i->op, 2, c->r[i->reg], cpu_host_ld(p, 2));
    if (i->op != CPU_ALU_CMP) set16(c, i->reg, r);
    T_DONE();
}

static int t_eg16_m(CPU_TARGS)   /* op m16, r16 (read-modify-write; CMP reads) */
{
    uint32_t ea = cpu_ea(c, i), r;
    const uint8_t *p = cpu_rd_ptr(c, i->seg, ea, 2);
    uint8_t *q = NULL;
    if (CPU_UNLIKELY(!p)) T_SLOW();
    if (i->op != CPU_ALU_CMP && CPU_UNLIKELY(!(q = t_wr_ptr(c, i->seg, ea, 2)))) T_SLOW();
    r = cpu_alu_inl(&c->fl, i->op, 2, cpu_host_ld(p, 2), c->r[i->reg]);
    if (i->op != CPU_ALU_CMP) cpu_host_st(q, 2, r);
    T_DONE();
}

static int t_ei_r(CPU_TARGS)   /* op r, imm (80 81 83, mod = 3), any size */
{
    uint32_t r = cpu_alu_inl(&c->fl, i->reg, i->opsz, cpu_getr(c, i->opsz, i->rm), i->imm);
    if (i->reg != CPU_ALU_CMP) cpu_setr(c, i->opsz, i->rm, r);
    T_DONE();
}

static int t_ei_m(CPU_TARGS)   /* op m16/m32, imm (81 83, mod != 3); CMP reads */
{
    unsigned n = i->opsz;
    uint32_t ea = cpu_ea(c, i), r;
    const uint8_t *p = cpu_rd_ptr(c, i->seg, ea, n);
    uint8_t *q = NULL;
    assert(n == 2 || n == 4);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    if (i->reg != CPU_ALU_CMP && CPU_UNLIKELY(!(q = t_wr_ptr(c, i->seg, ea, n)))) T_SLOW();
    r = cpu_alu_inl(&c->fl, i->reg, n, cpu_host_ld(p, n), i->imm);
    if (i->reg != CPU_ALU_CMP) cpu_host_st(q, n, r);
    T_DONE();
}

static int t_mov_rr16(CPU_TARGS) { set16(c, i->rm, c->r[i->reg]); T_DONE(); }
static int t_mov_gr16(CPU_TARGS) { set16(c, i->reg, c->r[i->rm]); T_DONE(); }

static int t_mov_gm16(CPU_TARGS)
{
    const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 2);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    set16(c, i->reg, cpu_host_ld(p, 2));
    T_DONE();
}

static int t_mov_mg16(CPU_TARGS)
{
    uint8_t *q = t_wr_ptr(c, i->seg, cpu_ea(c, i), 2);
    if (CPU_UNLIKELY(!q)) T_SLOW();
    cpu_host_st(q, 2, c->r[i->reg]);
    T_DONE();
}

/* MOVZX/MOVSX r32, m16 (0F B7 / 0F BF). */
static int t_movzx_m16(CPU_TARGS)
{
    const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 2);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    c->r[i->reg] = cpu_host_ld(p, 2);
    T_DONE();
}

static int t_movsx_m16(CPU_TARGS)
{
    const uint8_t *p = cpu_rd_ptr(c, i->seg, cpu_ea(c, i), 2);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    c->r[i->reg] = (uint32_t)(int32_t)(int16_t)cpu_host_ld(p, 2);
    T_DONE();
}

/* INC/DEC m16 (FF /0 /1): CF kept, as cpu_alu_inc/dec. */
static int t_incdec16_m(CPU_TARGS)
{
    uint32_t ea = cpu_ea(c, i), a, r;
    const uint8_t *p = cpu_rd_ptr(c, i->seg, ea, 2);
    uint8_t *q;
    if (CPU_UNLIKELY(!p)) T_SLOW();
    if (CPU_UNLIKELY(!(q = t_wr_ptr(c, i->seg, ea, 2)))) T_SLOW();
    a = cpu_host_ld(p, 2);
    r = (i->reg ? a - 1u : a + 1u) & 0xFFFFu;
    c->fl.cf_in = (uint8_t)cpu_flags_cf_inl(&c->fl);
    cpu_flags_set_lazy(&c->fl, i->reg ? CPU_LF_DEC : CPU_LF_INC, 2, a, 1u, r);
    cpu_host_st(q, 2, r);
    T_DONE();
}

/* Group 2 on a register, any size and count source (x_shift.c). */
static int t_shift_r(CPU_TARGS)
{
    unsigned n = i->opsz;
    uint8_t cnt = (i->opc & 0xFEu) == 0xD0u ? 1u
                : (i->opc & 0xFEu) == 0xD2u ? (uint8_t)c->r[CPU_ECX] : (uint8_t)i->imm;
    cpu_setr(c, n, i->rm, cpu_shift(&c->fl, i->reg, n, cpu_getr(c, n, i->rm), cnt));
    T_DONE();
}

static int t_test_ri(CPU_TARGS)   /* TEST r, imm (F6/F7 /0, mod = 3) */
{
    uint32_t m = cpu_size_mask(i->opsz), a = c->r[i->rm], b = i->imm;
    if (i->opsz == 1) a = cpu_reg8(c, i->rm);
    cpu_flags_set_lazy(&c->fl, CPU_LF_LOGIC, i->opsz, a & m, b & m, a & b & m);
    T_DONE();
}

static int t_test_rr(CPU_TARGS)   /* TEST r, r (84/85, mod = 3) */
{
    uint32_t m = cpu_size_mask(i->opsz);
    uint32_t a = cpu_getr(c, i->opsz, i->rm), b = cpu_getr(c, i->opsz, i->reg);
    cpu_flags_set_lazy(&c->fl, CPU_LF_LOGIC, i->opsz, a & m, b & m, a & b & m);
    T_DONE();
}

static int t_lea(CPU_TARGS) { cpu_setr(c, i->opsz, i->reg, cpu_ea(c, i)); T_DONE(); }

/* ---- 16-bit control and stack forms (the client programs' code) --------------------
** A relative transfer of operand size 2 wraps its target to 16 bits (x_ctrl.c's
** rel_target); the tlink entry is taken only when no wrap happened, else the chain
** ends and run_loop looks the target up. Taken transfers owe the target's "+m". */
#define T_TAKEN(MASK, EXTRA)                                                      \
    do {                                                                          \
        const cpu_insn *n_ = i->tlink;                                            \
        uint32_t t_ = (next + i->imm) & (MASK);                                   \
        c->eip = t_;                                                              \
        cyc += (EXTRA);                                                           \
        if (CPU_UNLIKELY(t_ != next + i->imm ||                                   \
                         cpu_insn_key(n_) != i->nkey + (int32_t)i->imm ||         \
                         cyc >= tend))                                            \
            return cpu_t_exit(c, cyc, icnt, 0xFFu);                               \
        assert(n_->fn && n_->tfn);                                                \
        CPU_MUSTTAIL return n_->tfn(c, n_, cyc + n_->clk + n_->comps, tend, icnt); \
    } while (0)

/* Jcc rel8/rel16 of operand size 2, per condition (3 not taken, 7+m taken). */
#define T_JCC16(name, COND)                                                       \
    static int name(CPU_TARGS)                                                    \
    {                                                                             \
        uint32_t next = c->eip + i->len;                                          \
        icnt++;                                                                   \
        if (COND) T_TAKEN(0xFFFFu, CLK_JCC_TAKEN_EXTRA);                          \
        c->eip = next;                                                            \
        CPU_T_NEXT();                                                             \
    }
#define T_JCC16_CC(name, CC) T_JCC16(name, cpu_flags_cond_inl(&c->fl, CC))
T_JCC16_CC(t_j16_0, 0) T_JCC16_CC(t_j16_1, 1) T_JCC16_CC(t_j16_2, 2) T_JCC16_CC(t_j16_3, 3)
T_JCC16_CC(t_j16_6, 6) T_JCC16_CC(t_j16_7, 7) T_JCC16_CC(t_j16_8, 8) T_JCC16_CC(t_j16_9, 9)
T_JCC16_CC(t_j16_10, 10) T_JCC16_CC(t_j16_11, 11) T_JCC16_CC(t_j16_12, 12)
T_JCC16_CC(t_j16_13, 13) T_JCC16_CC(t_j16_14, 14) T_JCC16_CC(t_j16_15, 15)
T_JCC16(t_j16_4, cpu_flags_zf_inl(&c->fl) == 1) T_JCC16(t_j16_5, cpu_flags_zf_inl(&c->fl) == 0)
static const cpu_tfn j16_tfns[16] = { t_j16_0, t_j16_1, t_j16_2, t_j16_3, t_j16_4, t_j16_5,
                                      t_j16_6, t_j16_7, t_j16_8, t_j16_9, t_j16_10, t_j16_11,
                                      t_j16_12, t_j16_13, t_j16_14, t_j16_15 };

/* JMP rel8/rel16/rel32 (EB, E9): 7+m, always taken. */
static int t_jmp_rel(CPU_TARGS)
{
    uint32_t next = c->eip + i->len;
    icnt++;
    T_TAKEN(i->opsz == 4 ? 0xFFFFFFFFu : 0xFFFFu, 0u);
}

/* LOOP to itself (E2 with rel8 = -2: a delay loop), taken once already: the further
** executions the chain would run through tlink = i, done in place. Each charges its
** clocks and "+m" and counts; the turns stop where the tail calls would have ended the
** chain (a taken LOOP at or past tend) or at CX = 0. Returns the count left. */
static uint32_t loop_self(const cpu_insn *i, uint64_t *cyc, uint64_t tend, uint64_t *icnt,
                          uint32_t cnt)
{
    uint32_t mask = cpu_size_mask(i->adsz);
    uint64_t k = (uint64_t)i->clk + i->comps;
    assert(k > 0 && cnt != 0);
    while (*cyc < tend) {   /* bounded: each turn adds k > 0 clocks */
        *cyc += k;
        ++*icnt;
        cnt = (cnt - 1u) & mask;
        if (cnt == 0) break;
    }
    return cnt;
}

/* LOOP/LOOPE/LOOPNE (E2 E1 E0): CX or ECX by address size, 11(+m taken), as x_loop. */
static int t_loop(CPU_TARGS)
{
    uint32_t next = c->eip + i->len;
    uint32_t cnt = (cpu_getr(c, i->adsz, CPU_ECX) - 1u) & cpu_size_mask(i->adsz);
    int go = cnt != 0;
    cpu_setr(c, i->adsz, CPU_ECX, cnt);
    if (go && i->opc == 0xE1) go = cpu_flags_zf_inl(&c->fl) == 1;
    if (go && i->opc == 0xE0) go = cpu_flags_zf_inl(&c->fl) == 0;
    icnt++;
    if (go && i->opc == 0xE2 && i->tlink == i && i->imm + i->len == 0 &&
        cpu_insn_key(i) == i->nkey + (int32_t)i->imm) {
        cnt = loop_self(i, &cyc, tend, &icnt, cnt);
        cpu_setr(c, i->adsz, CPU_ECX, cnt);
        if (cnt != 0) {
            c->eip = next + i->imm;
            return cpu_t_exit(c, cyc, icnt, 0xFFu);
        }
        go = 0;
    }
    if (go) T_TAKEN(i->opsz == 4 ? 0xFFFFFFFFu : 0xFFFFu, 0u);
    c->eip = next;
    CPU_T_NEXT();
}

/* INC/DEC r16 (40-4F with operand size 2): CF kept, as cpu_alu_inc/dec. */
static int t_incdec16_r(CPU_TARGS)
{
    uint32_t a = c->r[i->reg] & 0xFFFFu, dec = (i->opc & 8u) != 0;
    uint32_t r = (dec ? a - 1u : a + 1u) & 0xFFFFu;
    c->fl.cf_in = (uint8_t)cpu_flags_cf_inl(&c->fl);
    cpu_flags_set_lazy(&c->fl, dec ? CPU_LF_DEC : CPU_LF_INC, 2, a, 1u, r);
    set16(c, i->reg, r);
    T_DONE();
}

/* PUSH/POP r16 on either stack size (SP wraps in 16 bits on a 16-bit stack, as
** cpu_push/cpu_pop). */
static int t_push_r16(CPU_TARGS)
{
    uint32_t sp = cpu_sp(c) - 2u;
    uint8_t *q;
    if (!c->stack32) sp &= 0xFFFFu;
    q = cpu_wr_ptr(c, CPU_SS, sp, 2);
    if (CPU_UNLIKELY(!q)) T_SLOW();
    cpu_host_st(q, 2, c->r[i->reg]);   /* PUSH SP: the old SP */
    cpu_set_sp(c, sp);
    T_DONE();
}

static int t_pop_r16(CPU_TARGS)
{
    uint32_t sp = cpu_sp(c);
    const uint8_t *p = cpu_rd_ptr(c, CPU_SS, sp, 2);
    if (CPU_UNLIKELY(!p)) T_SLOW();
    cpu_set_sp(c, sp + 2u);
    set16(c, i->reg, cpu_host_ld(p, 2));   /* POP SP: the popped value wins */
    T_DONE();
}

/* The control and stack forms above for a generic handler; NULL: none. */
static cpu_tfn thread_ctrl(const cpu_insn *o)
{
    int two = (o->flags & CPU_IF_TWOBYTE) != 0;
    if (o->fn == x_jcc && o->opsz == 2) return j16_tfns[o->opc & 15u];
    if (two) return NULL;
    if (o->fn == x_jmp_rel) return t_jmp_rel;
    if (o->fn == x_loop) return t_loop;
    if (o->opsz != 2) return NULL;
    if (o->fn == x_inc_r || o->fn == x_dec_r) return t_incdec16_r;
    if (o->fn == x_push_r) return t_push_r16;
    if (o->fn == x_pop_r) return t_pop_r16;
    return NULL;
}

/* The forms above for a generic handler, by operand size and kind; NULL: none. */
static cpu_tfn thread_generic(const cpu_insn *o)
{
    int reg = o->mod == 3, w16 = o->opsz == 2, two = (o->flags & CPU_IF_TWOBYTE) != 0;
    if (o->fn == x_alu_EG && w16) return reg ? t_eg16_r : t_eg16_m;
    if (o->fn == x_alu_GE && w16) return reg ? t_ge16_r : t_ge16_m;
    if (o->fn == x_mov_EG && w16) return reg ? t_mov_rr16 : t_mov_mg16;
    if (o->fn == x_mov_GE && w16) return reg ? t_mov_gr16 : t_mov_gm16;
    if (o->fn == x_alu_EI && reg) return t_ei_r;
    if (o->fn == x_alu_EI && o->opsz != 1) return t_ei_m;
    if (o->fn == x_shift && reg) return t_shift_r;
    if (o->fn == x_test_EI && reg) return t_test_ri;
    if (o->fn == x_test_EG && reg) return t_test_rr;
    if (o->fn == x_incdec_E && w16 && !reg) return t_incdec16_m;
    if (o->fn == x_lea) return t_lea;
    if (two && !reg && o->opsz == 4 && o->fn == x_movzx && o->opc == 0xB7) return t_movzx_m16;
    if (two && !reg && o->opsz == 4 && o->fn == x_movsx && o->opc == 0xBF) return t_movsx_m16;
    return thread_ctrl(o);
}

/* Each specialised handler beside its threaded form; anything else runs through
** cpu_t_any. Every form here charges at least 2 base clocks (thread.h's bound). */
#define T_MAP(name, OP) { name, t_##name },
static const struct { cpu_fn fn; cpu_tfn tfn; } thread_map[] = {
    ALU_EACH(T_MAP, rr) ALU_EACH(T_MAP, gr) ALU_EACH(T_MAP, ri)
    ALU_EACH(T_MAP, gm) ALU_EACH(T_MAP, mg)
    { mov_rr32, t_mov_rr32 }, { mov_gr32, t_mov_gr32 }, { mov_ri32, t_mov_ri32 },
    { mov_gm32, t_mov_gm32 }, { mov_mg32, t_mov_mg32 },
    { inc_r32, t_inc_r32 }, { dec_r32, t_dec_r32 },
    { sh1_r32, t_sh1_r32 }, { shl1_r32, t_shl1_r32 }, { shr1_r32, t_shr1_r32 },
    { sar1_r32, t_sar1_r32 }, { shi_r32, t_shi_r32 },
    { push_r32, t_push_r32 }, { pop_r32, t_pop_r32 },
    { call_rel32, t_call_rel32 }, { ret_near32, t_ret_near32 },
    { jcc0, t_jcc0 }, { jcc1, t_jcc1 }, { jcc2, t_jcc2 }, { jcc3, t_jcc3 },
    { jz_e, t_jz_e }, { jz_ne, t_jz_ne }, { jcc6, t_jcc6 }, { jcc7, t_jcc7 },
    { jcc8, t_jcc8 }, { jcc9, t_jcc9 }, { jcc10, t_jcc10 }, { jcc11, t_jcc11 },
    { jcc12, t_jcc12 }, { jcc13, t_jcc13 }, { jcc14, t_jcc14 }, { jcc15, t_jcc15 },
};

cpu_tfn cpu_thread_fn(const cpu_insn *o)
{
    size_t k;
    cpu_tfn t;
    assert(o && o->fn);
    if (o->clk == 0) return cpu_t_any;   /* thread.h: every other form charges a clock */
    for (k = 0; k < sizeof thread_map / sizeof thread_map[0]; k++)
        if (thread_map[k].fn == o->fn) return thread_map[k].tfn;
    t = thread_generic(o);
    return t ? t : cpu_t_any;
}
