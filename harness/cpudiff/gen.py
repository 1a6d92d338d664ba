"""Random i386 instruction sequences for the differential test.

A sequence is built from a table of instruction forms with random registers,
immediates and addressing modes, in 32-bit flat protected mode or 16-bit real mode.
Memory operands always land in the data page (DATA .. DATA+0xFFF): the generator
emits the MOVs that set base and index registers right before the instruction that
uses them. The generator tracks which arithmetic flags are currently undefined
(known_differences.UNDEFINED_FLAGS) and, before an instruction that reads a flag,
re-defines it with a CMP; the final comparison masks the flags still undefined.
Everything is a pure function of the seed.
"""
import random

from known_differences import (ARITH, AF, CF, OF, PF, SF, ZF, UNDEFINED_FLAGS as U)

CODE = 0x1000
DATA = 0x2000
STACK = 0x8000
ESP0 = 0x8800
HLT = 0xF4
R8 = ["al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"]
R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
ESP = 4
ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"]
SHIFTS = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"]
CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF,
            SF | OF, SF | OF, SF | OF | ZF, SF | OF | ZF]


def rname(reg, size):
    return (R8 if size == 1 else R16 if size == 2 else R32)[reg]


def le(v, n):
    return (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")


class Seq:
    """One instruction sequence under construction."""

    def __init__(self, rng, mode):
        self.rng, self.mode = rng, mode
        self.code = bytearray()
        self.text = []
        self.undef = 0            # arithmetic flags currently undefined
        self.sp_off = 0           # stack pointer relative to ESP0 (bytes)

    # -- encoding helpers -------------------------------------------------
    def osz(self, size):
        """Operand-size prefix for a 2- or 4-byte operand in this mode."""
        if size == 1:
            return b""
        return b"\x66" if (size == 2) == (self.mode == 32) else b""

    def emit(self, text, bs):
        self.text.append(text)
        self.code += bs

    def value(self, size):
        r, m = self.rng, (1 << (8 * size)) - 1
        pick = r.randrange(5)
        if pick == 0:
            return r.choice([0, 1, m, m >> 1, (m >> 1) + 1, 0x7F, 0x80, 0xFF])
        if pick == 1:
            return r.randrange(0, 16)
        return r.getrandbits(8 * size)

    def gp(self, size):
        """A general register for a destination: never (E)SP for words/dwords."""
        while True:
            reg = self.rng.randrange(8)
            if size == 1 or reg != ESP:
                return reg

    def set_reg(self, reg, val, size=None):
        size = size or (4 if self.mode == 32 else 2)
        op = (0xB0 if size == 1 else 0xB8) + reg
        self.emit("mov %s,0x%x" % (rname(reg, size), val & ((1 << 8 * size) - 1)),
                  self.osz(size) + bytes([op]) + le(val, size))

    def define_flags(self, mask):
        """Re-define the flags in mask (those undefined now) with a CMP r, imm."""
        if not (self.undef & mask):
            return
        size = self.rng.choice([1, 4] if self.mode == 32 else [1, 2])
        reg = self.gp(size)
        imm = self.value(size if size < 4 else 4)
        if size == 1:
            self.emit("cmp %s,0x%x" % (R8[reg], imm), bytes([0x80, 0xF8 | reg, imm & 0xFF]))
        else:
            self.emit("cmp %s,0x%x" % (rname(reg, size), imm),
                      self.osz(size) + bytes([0x81, 0xF8 | reg]) + le(imm, size))
        self.undef = 0

    def flags(self, defined, undefined=0):
        self.undef = (self.undef & ~defined) | undefined

    # -- operands ---------------------------------------------------------
    def mem(self, size, avoid=()):
        """Emits the set-up of a memory operand (never writing a register in avoid);
        returns (modrm_fn(regfield), text)."""
        r = self.rng
        if self.mode == 32:
            kind = r.randrange(3) if not avoid else 0
            if kind == 0:
                addr = DATA + r.randrange(0, 0x1000 - 4)
                return (lambda f: bytes([(f << 3) | 5]) + le(addr, 4)), "[0x%x]" % addr
            base = r.choice([x for x in (0, 1, 2, 3, 5, 6, 7) if x not in avoid])
            bval = DATA + r.randrange(0x100, 0xE00)
            disp = r.randrange(-128, 128)
            self.set_reg(base, bval)
            if kind == 1:
                return (lambda f: bytes([0x40 | (f << 3) | base]) + le(disp, 1),
                        "[%s%+d]" % (R32[base], disp))
            index = r.choice([x for x in (0, 1, 2, 3, 5, 6, 7) if x != base and x not in avoid])
            scale = r.randrange(4)
            self.set_reg(index, r.randrange(0, 16))
            sib = (scale << 6) | (index << 3) | base
            return (lambda f: bytes([0x44 | (f << 3), sib]) + le(disp, 1),
                    "[%s+%s*%d%+d]" % (R32[base], R32[index], 1 << scale, disp))
        kind = r.randrange(9)
        if kind < 8 and any(x in avoid for x in (3, 5, 6, 7)):
            kind = 8
        if kind == 8:
            addr = DATA + r.randrange(0, 0x1000 - 4)
            return (lambda f: bytes([(f << 3) | 6]) + le(addr, 2)), "[0x%x]" % addr
        regs = {0: (3, 6), 1: (3, 7), 2: (5, 6), 3: (5, 7), 4: (6,), 5: (7,), 6: (5,), 7: (3,)}[kind]
        self.set_reg(regs[0], DATA + r.randrange(0x100, 0xD00), 2)
        if len(regs) == 2:
            self.set_reg(regs[1], r.randrange(0, 0x100), 2)
        disp = r.randrange(-128, 128)
        name = "+".join(R16[x] for x in regs)
        return (lambda f: bytes([0x40 | (f << 3) | kind]) + le(disp, 1)), "[%s%+d]" % (name, disp)

    def rm(self, size, allow_mem=True, avoid=()):
        """A r/m operand: register (never ESP) or memory whose set-up writes no register
        in avoid. Returns (modrm_fn, text, reg)."""
        if allow_mem and self.rng.randrange(3) == 0:
            fn, text = self.mem(size, avoid)
            return fn, text, None
        reg = self.gp(size)
        return (lambda f: bytes([0xC0 | (f << 3) | reg])), rname(reg, size), reg

    def size(self):
        return self.rng.choice([1, 2, 4])


# -- instruction forms -----------------------------------------------------
def f_alu(s):
    r, op, size = s.rng, s.rng.randrange(8), s.size()
    name = ALU[op]
    if name in ("adc", "sbb"):
        s.define_flags(CF)
    w = 0 if size == 1 else 1
    kind = r.randrange(4)
    if kind == 0:   # op r/m, r
        fn, t, _ = s.rm(size)
        src = s.gp(size) if size > 1 else r.randrange(8)
        s.emit("%s %s,%s" % (name, t, rname(src, size)), s.osz(size) + bytes([op * 8 + w]) + fn(src))
    elif kind == 1:  # op r, r/m
        fn, t, _ = s.rm(size)
        dst = s.gp(size)
        s.emit("%s %s,%s" % (name, rname(dst, size), t), s.osz(size) + bytes([op * 8 + 2 + w]) + fn(dst))
    elif kind == 2:  # op r/m, imm (80/81/83)
        fn, t, _ = s.rm(size)
        if size > 1 and r.randrange(2):
            imm = r.randrange(-128, 128)
            s.emit("%s %s,byte %d" % (name, t, imm), s.osz(size) + bytes([0x83]) + fn(op) + le(imm, 1))
        else:
            imm = s.value(size)
            s.emit("%s %s,0x%x" % (name, t, imm), s.osz(size) + bytes([0x80 + w]) + fn(op) + le(imm, size))
    else:            # op AL/eAX, imm
        imm = s.value(size)
        s.emit("%s %s,0x%x" % (name, rname(0, size), imm), s.osz(size) + bytes([op * 8 + 4 + w]) + le(imm, size))
    s.flags(ARITH, U.get(name, 0))


def f_incdec(s):
    r, size, dec = s.rng, s.size(), s.rng.randrange(2)
    name = "dec" if dec else "inc"
    if size > 1 and r.randrange(2):
        reg = s.gp(size)
        s.emit("%s %s" % (name, rname(reg, size)), s.osz(size) + bytes([0x40 + 8 * dec + reg]))
    else:
        fn, t, _ = s.rm(size)
        s.emit("%s %s" % (name, t), s.osz(size) + bytes([0xFE if size == 1 else 0xFF]) + fn(dec))
    s.flags(ARITH & ~CF)


def f_unary(s):
    size, op = s.size(), s.rng.choice([2, 3])     # not, neg
    fn, t, _ = s.rm(size)
    s.emit("%s %s" % ("not" if op == 2 else "neg", t),
           s.osz(size) + bytes([0xF6 if size == 1 else 0xF7]) + fn(op))
    if op == 3:
        s.flags(ARITH)


def f_test(s):
    r, size = s.rng, s.size()
    w = 0 if size == 1 else 1
    fn, t, _ = s.rm(size)
    if r.randrange(2):
        src = s.gp(size) if size > 1 else r.randrange(8)
        s.emit("test %s,%s" % (t, rname(src, size)), s.osz(size) + bytes([0x84 + w]) + fn(src))
    else:
        imm = s.value(size)
        s.emit("test %s,0x%x" % (t, imm), s.osz(size) + bytes([0xF6 + w]) + fn(0) + le(imm, size))
    s.flags(ARITH, U["test"])


def f_shift(s):
    r, size = s.rng, s.size()
    op = r.randrange(8)
    name = SHIFTS[op]
    width = 8 * size
    if name in ("rcl", "rcr"):
        s.define_flags(CF)
        count = r.randrange(0, min(width, {8: 9, 16: 17, 32: 32}[width]))
    elif size < 4:
        count = r.randrange(0, width)
    else:
        count = r.randrange(0, 32)
    w = 0 if size == 1 else 1
    how = r.randrange(3)
    if how == 2:        # by CL: the count goes in first, the operand set-up keeps ECX
        raw = count | (r.randrange(8) << 5)     # the CPU masks the count to 5 bits
        s.set_reg(1, raw, 1)
        fn, t, _ = s.rm(size, avoid=(1,))
        s.emit("%s %s,cl" % (name, t), s.osz(size) + bytes([0xD2 + w]) + fn(op))
    elif count == 1 and how == 0:
        fn, t, _ = s.rm(size)
        s.emit("%s %s,1" % (name, t), s.osz(size) + bytes([0xD0 + w]) + fn(op))
    else:
        fn, t, _ = s.rm(size)
        s.emit("%s %s,%d" % (name, t, count), s.osz(size) + bytes([0xC0 + w]) + fn(op) + bytes([count]))
    if count == 0:
        return
    if op in (0, 1, 2, 3):      # rotates: CF and (count 1) OF only
        s.flags(CF | OF, 0 if count == 1 else U["rotate_count_not_1"])
    else:
        und = U["shift"] | (0 if count == 1 else U["shift_count_not_1"])
        s.flags(ARITH, und)


def f_shxd(s):
    r, size = s.rng, s.rng.choice([2, 4])
    right = r.randrange(2)
    count = r.randrange(0, 17 if size == 2 else 32)
    name = "shrd" if right else "shld"
    if r.randrange(2):
        fn, t, _ = s.rm(size)
        src = s.gp(size)
        s.emit("%s %s,%s,%d" % (name, t, rname(src, size), count),
               s.osz(size) + bytes([0x0F, 0xAC if right else 0xA4]) + fn(src) + bytes([count]))
    else:
        s.set_reg(1, count | (r.randrange(8) << 5), 1)
        fn, t, _ = s.rm(size, avoid=(1,))
        src = s.gp(size)
        s.emit("%s %s,%s,cl" % (name, t, rname(src, size)),
               s.osz(size) + bytes([0x0F, 0xAD if right else 0xA5]) + fn(src))
    if count == 0:
        return
    und = U["shxd"] | (0 if count == 1 else U["shxd_count_not_1"])
    if size == 2 and count == 16:
        und |= CF | OF | SF | ZF | PF  # count = width: defined value, flags loosely specified
    s.flags(ARITH, und)


def f_mul(s):
    r, size = s.rng, s.size()
    kind = r.randrange(4)
    if kind == 0:                                  # MUL/IMUL r/m (one operand)
        op = r.choice([4, 5])
        fn, t, _ = s.rm(size)
        s.emit("%s %s" % ("mul" if op == 4 else "imul", t),
               s.osz(size) + bytes([0xF6 if size == 1 else 0xF7]) + fn(op))
    else:
        size = r.choice([2, 4])
        fn, t, _ = s.rm(size)
        dst = s.gp(size)
        if kind == 1:
            s.emit("imul %s,%s" % (rname(dst, size), t), s.osz(size) + bytes([0x0F, 0xAF]) + fn(dst))
        elif kind == 2:
            imm = r.randrange(-128, 128)
            s.emit("imul %s,%s,%d" % (rname(dst, size), t, imm), s.osz(size) + bytes([0x6B]) + fn(dst) + le(imm, 1))
        else:
            imm = s.value(size)
            s.emit("imul %s,%s,0x%x" % (rname(dst, size), t, imm), s.osz(size) + bytes([0x69]) + fn(dst) + le(imm, size))
    s.flags(CF | OF, U["mul"])


def f_div(s):
    r, size = s.rng, s.size()
    signed = r.randrange(2)
    m = (1 << (8 * size)) - 1
    divisor = 0
    while divisor == 0 or (signed and divisor == m):
        divisor = s.value(size)
    # dividend: low part random, high part chosen so the quotient fits
    low = s.value(size)
    if signed:
        if size == 1:
            low_s = low - 256 if low & 0x80 else low
            s.set_reg(0, low_s & 0xFFFF, 2)          # AX = sign-extended AL
        else:
            s.set_reg(0, low, size)
            s.set_reg(2, m if low >> (8 * size - 1) else 0, size)
    else:
        high = r.randrange(0, divisor)
        if size == 1:
            s.set_reg(0, (high << 8) | low, 2)
        else:
            s.set_reg(0, low, size)
            s.set_reg(2, high, size)
    op = 7 if signed else 6
    if r.randrange(2):
        fn, t = s.mem(size, avoid=(0, 2))
        mov = s.osz(size) + bytes([0xC6 if size == 1 else 0xC7]) + fn(0) + le(divisor, size)
        s.emit("mov %s,0x%x" % (t, divisor), mov)
    else:
        reg = r.choice([1, 3, 5, 6, 7]) if size > 1 else r.choice([1, 2, 3, 5, 6, 7])
        s.set_reg(reg, divisor, size)
        fn, t = (lambda f: bytes([0xC0 | (f << 3) | reg])), rname(reg, size)
    s.emit("%s %s" % ("idiv" if signed else "div", t),
           s.osz(size) + bytes([0xF6 if size == 1 else 0xF7]) + fn(op))
    s.flags(0, ARITH)


def f_bcd(s):
    r = s.rng
    which = r.choice(["daa", "das", "aaa", "aas", "aam", "aad"])
    if which in ("daa", "das"):
        a, b = r.randrange(256), r.randrange(256)
        s.set_reg(0, a, 1)
        s.emit("%s al,0x%x" % ("add" if which == "daa" else "sub", b),
               bytes([0x04 if which == "daa" else 0x2C, b]))
        s.flags(ARITH)
        s.emit(which, bytes([0x27 if which == "daa" else 0x2F]))
        s.flags(ARITH, U[which])
    elif which == "aaa":
        a = r.randrange(0, 0xFA)
        b = r.randrange(0, 0xFA - a)
        s.set_reg(0, a, 1)
        s.emit("add al,0x%x" % b, bytes([0x04, b]))
        s.emit("aaa", b"\x37")
        s.flags(ARITH, U["aaa"])
    elif which == "aas":
        a = r.randrange(6, 256)
        b = r.randrange(0, a - 5)
        s.set_reg(0, a, 1)
        s.emit("sub al,0x%x" % b, bytes([0x2C, b]))
        s.emit("aas", b"\x3F")
        s.flags(ARITH, U["aas"])
    elif which == "aam":
        base = r.choice([10, 16, r.randrange(1, 256)])
        s.emit("aam %d" % base, bytes([0xD4, base]))
        s.flags(ARITH, U["aam"])
    else:
        base = r.choice([10, 16, r.randrange(0, 256)])
        s.emit("aad %d" % base, bytes([0xD5, base]))
        s.flags(ARITH, U["aad"])


def f_bt(s):
    r, size = s.rng, s.rng.choice([2, 4])
    op = r.randrange(4)
    name = ["bt", "bts", "btr", "btc"][op]
    if r.randrange(2):
        fn, t, _ = s.rm(size)
        bit = r.randrange(256)
        s.emit("%s %s,%d" % (name, t, bit), s.osz(size) + bytes([0x0F, 0xBA]) + fn(4 + op) + bytes([bit]))
    else:
        idx = r.choice([1, 2, 3])
        s.set_reg(idx, r.randrange(-64, 256), size)
        fn, t, reg = s.rm(size, avoid=(idx,))
        s.emit("%s %s,%s" % (name, t, rname(idx, size)),
               s.osz(size) + bytes([0x0F, 0xA3 + 8 * op]) + fn(idx))
    s.flags(CF, U["bt"])


def f_bsf(s):
    r, size = s.rng, s.rng.choice([2, 4])
    rev = r.randrange(2)
    src = r.choice([1, 2, 3, 5, 6, 7])
    v = 0
    while v == 0:
        v = s.value(size)
    s.set_reg(src, v, size)
    dst = s.gp(size)
    s.emit("%s %s,%s" % ("bsr" if rev else "bsf", rname(dst, size), rname(src, size)),
           s.osz(size) + bytes([0x0F, 0xBD if rev else 0xBC, 0xC0 | (dst << 3) | src]))
    s.flags(ZF, U["bsf"])


def f_setcc(s):
    cc = s.rng.randrange(16)
    s.define_flags(CC_READS[cc])
    fn, t, _ = s.rm(1)
    s.emit("set%s %s" % (CC[cc], t), bytes([0x0F, 0x90 + cc]) + fn(0))


def f_jcc(s):
    """A short Jcc (or JMP) forward over one MOV r, imm."""
    r = s.rng
    cc = r.randrange(17)
    reg = s.gp(4 if s.mode == 32 else 2)
    size = 4 if s.mode == 32 else 2
    skipped = bytes([0xB8 + reg]) + le(s.value(size), size)
    if cc == 16:
        s.emit("jmp short +%d" % len(skipped), bytes([0xEB, len(skipped)]))
    else:
        s.define_flags(CC_READS[cc])
        s.emit("j%s short +%d" % (CC[cc], len(skipped)), bytes([0x70 + cc, len(skipped)]))
    s.emit("  (mov %s,imm)" % rname(reg, size), skipped)


def f_movx(s):
    r = s.rng
    dsize = r.choice([2, 4])
    ssize = r.choice([1, 2]) if dsize == 4 else 1
    sx = r.randrange(2)
    fn, t, _ = s.rm(ssize)
    dst = s.gp(dsize)
    op = (0xBE if sx else 0xB6) + (ssize == 2)
    s.emit("%s %s,%s" % ("movsx" if sx else "movzx", rname(dst, dsize), t),
           s.osz(dsize) + bytes([0x0F, op]) + fn(dst))


def f_mov(s):
    r, size = s.rng, s.size()
    w = 0 if size == 1 else 1
    kind = r.randrange(4)
    if kind == 0:
        fn, t, _ = s.rm(size)
        src = s.gp(size) if size > 1 else r.randrange(8)
        s.emit("mov %s,%s" % (t, rname(src, size)), s.osz(size) + bytes([0x88 + w]) + fn(src))
    elif kind == 1:
        fn, t, _ = s.rm(size)
        dst = s.gp(size)
        s.emit("mov %s,%s" % (rname(dst, size), t), s.osz(size) + bytes([0x8A + w]) + fn(dst))
    elif kind == 2:
        fn, t, _ = s.rm(size)
        imm = s.value(size)
        s.emit("mov %s,0x%x" % (t, imm), s.osz(size) + bytes([0xC6 + w]) + fn(0) + le(imm, size))
    else:
        reg = s.gp(size)
        imm = s.value(size)
        op = (0xB0 if size == 1 else 0xB8) + reg
        s.emit("mov %s,0x%x" % (rname(reg, size), imm), s.osz(size) + bytes([op]) + le(imm, size))


def f_lea(s):
    r = s.rng
    size = 4 if s.mode == 32 else 2
    dst = s.gp(size)
    if s.mode == 32:
        base, index = r.randrange(8), r.randrange(8)
        if index == ESP:
            index = 5
        disp = s.value(4)
        sib = (r.randrange(4) << 6) | (index << 3) | base
        s.emit("lea %s,[%s+%s*%d+0x%x]" % (R32[dst], R32[base], R32[index], 1 << (sib >> 6), disp),
               bytes([0x8D, 0x84 | (dst << 3), sib]) + le(disp, 4))
    else:
        rm = r.randrange(8)
        disp = s.value(2)
        s.emit("lea %s,[rm%d+0x%x]" % (R16[dst], rm, disp), bytes([0x8D, 0x80 | (dst << 3) | rm]) + le(disp, 2))


def f_xchg(s):
    r, size = s.rng, s.size()
    if size > 1 and r.randrange(2):
        reg = s.gp(size)
        s.emit("xchg %s,%s" % (rname(0, size), rname(reg, size)), s.osz(size) + bytes([0x90 + reg]))
        return
    fn, t, _ = s.rm(size)
    reg = s.gp(size)
    s.emit("xchg %s,%s" % (t, rname(reg, size)), s.osz(size) + bytes([0x86 + (size > 1)]) + fn(reg))


def f_conv(s):
    r = s.rng
    size = r.choice([2, 4])
    op = r.choice([0x98, 0x99])
    names = {(0x98, 2): "cbw", (0x98, 4): "cwde", (0x99, 2): "cwd", (0x99, 4): "cdq"}
    s.emit(names[(op, size)], s.osz(size) + bytes([op]))


def f_stack(s):
    r = s.rng
    size = 4 if s.mode == 32 else 2
    kind = r.randrange(6)
    if s.sp_off <= -0x600:
        kind = 3
    if s.sp_off >= 0x600:
        kind = 0
    if kind == 0:
        reg = r.randrange(8)
        s.emit("push %s" % rname(reg, size), bytes([0x50 + reg]))
        s.sp_off -= size
    elif kind == 1:
        if r.randrange(2):
            imm = r.randrange(-128, 128)
            s.emit("push byte %d" % imm, bytes([0x6A]) + le(imm, 1))
        else:
            imm = s.value(size)
            s.emit("push 0x%x" % imm, bytes([0x68]) + le(imm, size))
        s.sp_off -= size
    elif kind == 2:
        fn, t = s.mem(size)
        s.emit("push %s" % t, bytes([0xFF]) + fn(6))
        s.sp_off -= size
    elif kind == 3:
        reg = s.gp(size)
        s.emit("pop %s" % rname(reg, size), bytes([0x58 + reg]))
        s.sp_off += size
    elif kind == 4:
        if r.randrange(2):
            s.emit("pusha", b"\x60")
            s.sp_off -= 8 * size
        else:
            s.emit("popa", b"\x61")
            s.sp_off += 8 * size
    else:
        s.define_flags(ARITH)
        if r.randrange(2):
            s.emit("pushf", b"\x9C")
            s.sp_off -= size
        else:
            s.emit("lahf", b"\x9F")


def f_flagops(s):
    r = s.rng
    op = r.choice([0xF5, 0xF8, 0xF9, 0xFC, 0xFD, 0x9E])
    if op == 0xF5:
        s.define_flags(CF)
    s.emit({0xF5: "cmc", 0xF8: "clc", 0xF9: "stc", 0xFC: "cld", 0xFD: "std", 0x9E: "sahf"}[op], bytes([op]))
    if op in (0xF5, 0xF8, 0xF9):
        s.flags(CF)
    elif op == 0x9E:
        s.flags(SF | ZF | AF | PF | CF)


def f_string(s):
    """A string instruction with small counts, pointers inside the data page."""
    r = s.rng
    asz = 4 if s.mode == 32 else 2
    if r.randrange(2):
        s.emit("cld", b"\xFC")
    else:
        s.emit("std", b"\xFD")
    s.set_reg(6, DATA + r.randrange(0x100, 0xE00), asz)
    s.set_reg(7, DATA + r.randrange(0x100, 0xE00), asz)
    count = r.randrange(0, 9)
    s.set_reg(1, count, asz)
    op = r.choice(["movs", "stos", "lods", "cmps", "scas"])
    size = s.size()
    base = {"movs": 0xA4, "stos": 0xAA, "lods": 0xAC, "cmps": 0xA6, "scas": 0xAE}[op]
    rep = r.randrange(3)
    prefix = b""
    text = op + {1: "b", 2: "w", 4: "d"}[size]
    if rep == 1:
        prefix, text = b"\xF3", "rep " + text
    elif rep == 2 and op in ("cmps", "scas"):
        prefix, text = b"\xF2", "repne " + text
    elif rep == 2:
        prefix, text = b"\xF3", "rep " + text
    s.emit(text, prefix + s.osz(size) + bytes([base + (size > 1)]))
    if op in ("cmps", "scas") and (rep == 0 or count > 0):
        s.flags(ARITH)


def f_xlat(s):
    asz = 4 if s.mode == 32 else 2
    s.set_reg(3, DATA + s.rng.randrange(0, 0xE00), asz)
    s.emit("xlat", b"\xD7")


def f_loop(s):
    """LOOP/JECXZ forward over one MOV, with a known ECX."""
    r = s.rng
    asz = 4 if s.mode == 32 else 2
    s.set_reg(1, r.randrange(0, 3), asz)
    reg = r.choice([0, 2, 3, 5, 6, 7])
    skipped = bytes([0xB8 + reg]) + le(s.value(asz), asz)
    op = r.choice([0xE0, 0xE1, 0xE2, 0xE3])
    if op in (0xE0, 0xE1):
        s.define_flags(ZF)
    s.emit({0xE0: "loopne", 0xE1: "loope", 0xE2: "loop", 0xE3: "jecxz"}[op] + " +%d" % len(skipped),
           bytes([op, len(skipped)]))
    s.emit("  (mov %s,imm)" % rname(reg, asz), skipped)


def f_call(s):
    """CALL to the next instruction then POP: pushes and reads back a return address."""
    size = 4 if s.mode == 32 else 2
    s.emit("call +0", bytes([0xE8]) + le(0, size))
    reg = s.gp(size)
    s.emit("pop %s" % rname(reg, size), bytes([0x58 + reg]))


FORMS = [(f_alu, 12), (f_incdec, 3), (f_unary, 2), (f_test, 2), (f_shift, 6), (f_shxd, 2),
         (f_mul, 3), (f_div, 3), (f_bcd, 2), (f_bt, 3), (f_bsf, 1), (f_setcc, 2), (f_jcc, 2),
         (f_movx, 2), (f_mov, 5), (f_lea, 2), (f_xchg, 2), (f_conv, 1), (f_stack, 4),
         (f_flagops, 2), (f_string, 3), (f_xlat, 1), (f_loop, 1), (f_call, 1)]
_FN = [f for f, w in FORMS for _ in range(w)]


def random_regs(rng, mode):
    regs = []
    for i in range(8):
        v = rng.getrandbits(32)
        if rng.randrange(4) == 0:
            v = rng.choice([0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, rng.randrange(256)])
        regs.append(v)
    regs[ESP] = ESP0 if mode == 32 else (rng.getrandbits(16) << 16) | ESP0
    return regs


def make_case(seed, mode, length=None):
    """Returns a dict: seed, mode, regs, eflags, memseed, code, text, undef."""
    rng = random.Random(seed * 2 + (mode == 16))
    s = Seq(rng, mode)
    n = length or rng.randrange(1, 12)
    for _ in range(n):
        rng.choice(_FN)(s)
    s.emit("hlt", bytes([HLT]))
    eflags = 0x2 | (rng.getrandbits(12) & ARITH)
    return {"seed": seed, "mode": mode, "regs": random_regs(rng, mode), "eflags": eflags,
            "memseed": rng.getrandbits(63), "code": bytes(s.code), "text": s.text,
            "undef": s.undef}
