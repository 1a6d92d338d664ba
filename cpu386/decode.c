/*
** decode.c — bytes at CS:EIP to a cpu_insn: prefixes, opcode (one or two bytes),
** ModRM/SIB resolved to base/index/scale/disp and the effective segment,
** immediates, the handler from the opcode tables (optab.c) and the clocks.
**
** Fetches go through the CS limit and paging byte by byte (a fault here is the
** instruction's fault); more than 15 bytes is #GP(0), as on the 386.
*/
#include "cpu_int.h"
#include "thread.h"
#include "x.h"

typedef struct dctx {
    cpu_state *c;
    uint32_t   lin, eip;
    unsigned   n;           /* bytes consumed */
    uint32_t   page_lin;    /* cached translation of the current fetch page */
    uint32_t   page_phys;
} dctx;

static uint8_t fetch8(dctx *d)
{
    cpu_state *c = d->c;
    uint32_t off = d->eip + d->n, lin = d->lin + d->n;
    if (d->n >= CPU_INSN_MAX) cpu_fault(c, CPU_EXC_GP, 0);
    if (off > c->seg[CPU_CS].limit || off < d->eip) cpu_fault(c, CPU_EXC_GP, 0);
    if ((lin & ~0xFFFu) != d->page_lin) {
        d->page_phys = cpu_translate(c, lin & ~0xFFFu, 0, c->ubit) & ~0xFFFu;
        d->page_lin = lin & ~0xFFFu;
    }
    d->n++;
    return cpu_phys_rd8(c, d->page_phys | (lin & 0xFFFu));
}

static uint32_t fetchn(dctx *d, unsigned n)
{
    uint32_t v = 0;
    unsigned k;
    for (k = 0; k < n; k++) v |= (uint32_t)fetch8(d) << (8 * k);
    return v;
}

static uint32_t sext(uint32_t v, unsigned n)
{
    if (n == 1) return (uint32_t)(int32_t)(int8_t)v;
    if (n == 2) return (uint32_t)(int32_t)(int16_t)v;
    return v;
}

/* ModRM (and SIB, displacement): fills mod/reg/rm and the resolved EA. */
static unsigned decode_modrm(dctx *d, cpu_insn *o, int *seg_ss)
{
    uint8_t m = fetch8(d);
    unsigned comps = 1;
    o->mod = m >> 6;
    o->reg = (m >> 3) & 7u;
    o->rm = m & 7u;
    o->base = o->index = CPU_NOREG;
    o->scale = 0;
    o->disp = 0;
    *seg_ss = 0;
    if (o->mod == 3) return comps;
    if (o->adsz == 2) {
        static const uint8_t b16[8] = { CPU_EBX, CPU_EBX, CPU_EBP, CPU_EBP,
                                        CPU_ESI, CPU_EDI, CPU_EBP, CPU_EBX };
        static const uint8_t i16[8] = { CPU_ESI, CPU_EDI, CPU_ESI, CPU_EDI,
                                        CPU_NOREG, CPU_NOREG, CPU_NOREG, CPU_NOREG };
        if (o->mod == 0 && o->rm == 6) {
            o->disp = fetchn(d, 2);
            return comps + 1;
        }
        o->base = b16[o->rm];
        o->index = i16[o->rm];
        *seg_ss = o->base == CPU_EBP;
        if (o->mod == 1) { o->disp = sext(fetch8(d), 1); comps++; }
        else if (o->mod == 2) { o->disp = fetchn(d, 2); comps++; }
        return comps;
    }
    if (o->rm == 4) {
        uint8_t sib = fetch8(d);
        unsigned base = sib & 7u, idx = (sib >> 3) & 7u;
        comps++;
        o->scale = sib >> 6;
        o->index = idx == 4 ? CPU_NOREG : (uint8_t)idx;
        if (base == 5 && o->mod == 0) {
            o->disp = fetchn(d, 4);
            return comps + 1;
        }
        o->base = (uint8_t)base;
    } else if (o->rm == 5 && o->mod == 0) {
        o->disp = fetchn(d, 4);
        return comps + 1;
    } else {
        o->base = o->rm;
    }
    *seg_ss = o->base == CPU_ESP || o->base == CPU_EBP;
    if (o->mod == 1) { o->disp = sext(fetch8(d), 1); comps++; }
    else if (o->mod == 2) { o->disp = fetchn(d, 4); comps++; }
    return comps;
}

/* The LOCK prefix's instructions (manual, chapter 17, LOCK): BT BTS BTR BTC mem,
** reg/imm; XCHG reg,mem and mem,reg; ADD OR ADC SBB AND SUB XOR mem,reg/imm; NOT
** NEG INC DEC mem. Only their memory-destination forms; anything else is #UD. */
static int lockable(const cpu_insn *o)
{
    unsigned b = o->opc;
    if (o->mod == 3) return 0;
    if (o->flags & CPU_IF_TWOBYTE)
        return b == 0xA3 || b == 0xAB || b == 0xB3 || b == 0xBB || (b == 0xBA && o->reg >= 4);
    if (b < 0x40) return (b & 7u) <= 1u && ((b >> 3) & 7u) != 7u;   /* op r/m, r; not CMP */
    if (b >= 0x80 && b <= 0x83) return o->reg != 7;                  /* op r/m, imm */
    if (b == 0x86 || b == 0x87) return 1;                            /* XCHG */
    if (b == 0xF6 || b == 0xF7) return o->reg == 2 || o->reg == 3;   /* NOT, NEG */
    if (b == 0xFE || b == 0xFF) return o->reg <= 1;                  /* INC, DEC */
    return 0;
}

void cpu_decode(cpu_state *c, uint32_t lin, cpu_insn *o)
{
    dctx d = { c, lin, c->eip, 0, CPU_TLB_INVALID, 0 };
    const cpu_opdef *def;
    unsigned comps = 0, fmt, seg = 0xFF, b, opsz, seg_ss = 0;
    int ss = 0;
    memset(o, 0, sizeof *o);
    o->opsz = opsz = c->code32 ? 4 : 2;
    o->adsz = c->code32 ? 4 : 2;
    for (;;) {   /* prefixes: bounded by the 15-byte limit in fetch8 */
        b = fetch8(&d);
        comps++;
        switch (b) {
        case 0x26: seg = CPU_ES; continue;
        case 0x2E: seg = CPU_CS; continue;
        case 0x36: seg = CPU_SS; continue;
        case 0x3E: seg = CPU_DS; continue;
        case 0x64: seg = CPU_FS; continue;
        case 0x65: seg = CPU_GS; continue;
        case 0x66: o->opsz = opsz = c->code32 ? 2 : 4; continue;
        case 0x67: o->adsz = c->code32 ? 2 : 4; continue;
        case 0xF0: o->flags |= CPU_IF_LOCK; continue;
        case 0xF2: case 0xF3: o->rep = (uint8_t)b; continue;
        default: break;
        }
        break;
    }
    if (b == 0x0F) {
        b = fetch8(&d);
        comps++;
        o->flags |= CPU_IF_TWOBYTE;
        def = &cpu_optab2[b];
    } else {
        def = &cpu_optab1[b];
    }
    o->opc = (uint8_t)b;
    o->reg = b & 7u;   /* register encoded in the opcode (PUSH r, MOV r,imm…) */
    fmt = def->fmt;
    if (fmt & CPU_F_MODRM) {
        comps += decode_modrm(&d, o, &ss);
        seg_ss = (unsigned)ss;
        if (fmt & CPU_F_GROUP) {
            def = &cpu_groups[def->op][o->reg];
            fmt |= def->fmt;
        }
    } else {
        o->mod = 3;
        o->base = o->index = CPU_NOREG;
    }
    if (fmt & CPU_F_BYTE) o->opsz = 1;
    if (fmt & CPU_F_MOFFS) {
        o->disp = fetchn(&d, o->adsz);
        o->mod = 0;
        comps++;
    }
    if (fmt & CPU_F_FAR) {
        o->imm = fetchn(&d, opsz);
        o->imm2 = (uint16_t)fetchn(&d, 2);
        comps++;
    } else if (fmt & CPU_F_I16) {
        o->imm = fetchn(&d, 2);
        comps++;
        if (fmt & CPU_F_I8) { o->imm2 = fetch8(&d); comps++; }   /* ENTER */
    } else if (fmt & CPU_F_I8) {
        o->imm = sext(fetch8(&d), 1);
        comps++;
    } else if (fmt & CPU_F_IV) {
        unsigned n = (fmt & CPU_F_BYTE) ? 1u : opsz;
        o->imm = sext(fetchn(&d, n), n);
        comps++;
    }
    o->seg = (uint8_t)(seg != 0xFF ? seg : (seg_ss ? CPU_SS : CPU_DS));
    if (seg != 0xFF) o->flags |= CPU_IF_SEGOVR;
    o->op = def->op;
    if (o->mod == 3 && (fmt & CPU_F_MODRM)) {
        o->fn = def->fn_r;
        o->clk = def->clk_r;
    } else {
        o->fn = def->fn_m;
        o->clk = def->clk_m;
    }
    if (!(fmt & CPU_F_MODRM)) { o->fn = def->fn_r; o->clk = def->clk_r; }
    if (!o->fn) { o->fn = cpu_x_ud; o->clk = 1; }
    o->len = (uint8_t)d.n;
    o->comps = (uint8_t)comps;
    cpu_specialize(o);
    if ((o->flags & CPU_IF_LOCK) && !lockable(o)) { o->fn = cpu_x_ud; o->clk = 1; }
    o->tfn = cpu_thread_fn(o);
    assert(o->len >= 1 && o->len <= CPU_INSN_MAX);
}
