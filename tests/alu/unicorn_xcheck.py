#!/usr/bin/python3
"""Cross-check cpu386's ALU functions against Unicorn, defined flags only.

Usage: unicorn_xcheck.py LIBALU.so [N]
LIBALU.so is tests/alu's `alu_xcheck_lib` (the ALU sources built as a shared
library). Runs N random cases (default 20000) per family with a fixed seed and
compares results and the flags the 80386 manual defines; undefined flags (and the
cases where a modern CPU differs from a 386: shift counts >= width on bytes and
words, RCL/RCR modulo 9/17) are excluded here and checked by tests/alu instead.
Exit status 0 when everything matches.
"""
import ctypes
import random
import sys

from unicorn import Uc, UC_ARCH_X86, UC_MODE_32
from unicorn.x86_const import (UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX,
                               UC_X86_REG_EDX, UC_X86_REG_EFLAGS)

CF, PF, AF, ZF, SF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x800
ARITH = CF | PF | AF | ZF | SF | OF


class Flags(ctypes.Structure):
    _fields_ = [("eflags", ctypes.c_uint32), ("res", ctypes.c_uint32),
                ("a", ctypes.c_uint32), ("b", ctypes.c_uint32),
                ("op", ctypes.c_uint8), ("size", ctypes.c_uint8),
                ("cf_in", ctypes.c_uint8), ("undef", ctypes.c_uint8)]


class Emu:
    CODE = 0x1000

    def __init__(self):
        self.uc = Uc(UC_ARCH_X86, UC_MODE_32)
        self.uc.mem_map(self.CODE, 0x1000)

    def run(self, code, eax, ebx, ecx, edx, eflags):
        uc = self.uc
        uc.mem_write(self.CODE, bytes(code))
        for reg, v in ((UC_X86_REG_EAX, eax), (UC_X86_REG_EBX, ebx),
                       (UC_X86_REG_ECX, ecx), (UC_X86_REG_EDX, edx),
                       (UC_X86_REG_EFLAGS, eflags)):
            uc.reg_write(reg, v)
        uc.emu_start(self.CODE, self.CODE + len(code))
        return (uc.reg_read(UC_X86_REG_EAX), uc.reg_read(UC_X86_REG_EBX),
                uc.reg_read(UC_X86_REG_EDX), uc.reg_read(UC_X86_REG_EFLAGS))


def prefix(size):
    return [0x66] if size == 2 else []


def rand_val(rng, size):
    bits = 8 * size
    m = (1 << bits) - 1
    pick = rng.randrange(6)
    if pick == 0:
        return rng.choice([0, 1, m, m >> 1, (m >> 1) + 1, 0x0F, 0x10])
    if pick == 1:
        return (1 << rng.randrange(bits)) + rng.choice([-1, 0, 1]) & m
    return rng.getrandbits(bits)


def main():
    lib = ctypes.CDLL(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = random.Random(386)
    emu = Emu()
    u32 = ctypes.c_uint32
    lib.cpu_alu.restype = u32
    lib.cpu_alu.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_uint, u32, u32]
    lib.cpu_shift.restype = u32
    lib.cpu_shift.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_uint, u32, ctypes.c_uint8]
    lib.cpu_flags_get.restype = u32
    lib.cpu_flags_cond.restype = ctypes.c_int
    lib.cpu_flags_cond.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint]
    for name in ("cpu_alu_inc", "cpu_alu_dec", "cpu_alu_neg"):
        getattr(lib, name).restype = u32
        getattr(lib, name).argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, u32]
    lib.cpu_shld.restype = u32
    lib.cpu_shld.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, u32, u32, ctypes.c_uint8]
    lib.cpu_shrd.restype = u32
    lib.cpu_shrd.argtypes = lib.cpu_shld.argtypes
    fails = 0

    def check(what, got_r, got_f, want_r, want_f, mask):
        nonlocal fails
        if got_r != want_r or (got_f ^ want_f) & mask:
            fails += 1
            if fails < 20:
                print("MISMATCH %s: res %s want %s flags %03x want %03x (mask %03x)"
                      % (what, got_r, want_r, got_f & mask, want_f & mask, mask))

    for _ in range(n):
        size = rng.choice([1, 2, 4])
        m = (1 << 8 * size) - 1
        a, b = rand_val(rng, size), rand_val(rng, size)
        fin = 0x2 | rng.choice([0, ARITH, CF, rng.getrandbits(12) & ARITH])
        # group 1: op r/m, reg  (00+8*op /r with mod=11 rm=eax reg=ebx) -> 01 d8
        op = rng.randrange(8)
        code = prefix(size) + [op * 8 + (0 if size == 1 else 1), 0xD8]
        ua, _, _, uf = emu.run(code, a, b, 0, 0, fin)
        f = Flags(eflags=fin)
        r = lib.cpu_alu(ctypes.byref(f), op, size, a, b)
        fl = lib.cpu_flags_get(ctypes.byref(f))
        mask = ARITH & ~(AF if op in (1, 4, 6) else 0)
        check("alu op%d size%d a=%x b=%x fin=%x" % (op, size, a, b, fin),
              r, fl, ua & m, uf, mask)
        # conditions from the lazy state vs Unicorn's flags
        f = Flags(eflags=fin)
        lib.cpu_alu(ctypes.byref(f), op, size, a, b)
        for cc in range(16):
            ok = lib.cpu_flags_cond(ctypes.byref(f), cc)
            ff = uf
            cf, zf, sf, of, pf = [(ff & x) != 0 for x in (CF, ZF, SF, OF, PF)]
            want = [of, cf, zf, cf or zf, sf, pf, sf != of, zf or (sf != of)][cc >> 1] ^ (cc & 1)
            if bool(ok) != bool(want):
                check("cond %d after op%d size%d a=%x b=%x" % (cc, op, size, a, b), 0, 1, 0, 0, 1)
            f = Flags(eflags=fin)
            lib.cpu_alu(ctypes.byref(f), op, size, a, b)
        # INC/DEC/NEG (FE/FF /0 /1, F6/F7 /3)
        for name, code in (("cpu_alu_inc", [0xFE if size == 1 else 0xFF, 0xC0]),
                           ("cpu_alu_dec", [0xFE if size == 1 else 0xFF, 0xC8]),
                           ("cpu_alu_neg", [0xF6 if size == 1 else 0xF7, 0xD8])):
            ua, _, _, uf = emu.run(prefix(size) + code, a, 0, 0, 0, fin)
            f = Flags(eflags=fin)
            r = getattr(lib, name)(ctypes.byref(f), size, a)
            check("%s size%d a=%x" % (name, size, a), r,
                  lib.cpu_flags_get(ctypes.byref(f)), ua & m, uf, ARITH)
        # group 2 by CL: D2/D3 /op, rm=eax; count < width where modern CPUs match
        sop = rng.choice([0, 1, 2, 3, 4, 5, 7])
        cnt = rng.randrange(1, 8 * size) if size < 4 else rng.randrange(1, 32)
        if sop in (2, 3) and size < 4:
            cnt = rng.randrange(1, 8 * size + 1)   # RCL/RCR: below width+1
        code = prefix(size) + [0xD2 if size == 1 else 0xD3, 0xC0 | sop << 3]
        ua, _, _, uf = emu.run(code, a, 0, cnt, 0, fin)
        f = Flags(eflags=fin)
        r = lib.cpu_shift(ctypes.byref(f), sop, size, a, cnt)
        if sop < 4:
            mask = CF | (OF if cnt == 1 else 0)
        else:
            mask = CF | PF | ZF | SF | (OF if cnt == 1 else 0)
        check("shift op%d size%d a=%x cnt=%d" % (sop, size, a, cnt), r,
              lib.cpu_flags_get(ctypes.byref(f)), ua & m, uf, mask)
        # SHLD/SHRD eax, ebx, cl (0F A5 / 0F AD, modrm d8)
        if size > 1:
            cnt = rng.randrange(1, 8 * size + 1) if size == 4 else rng.randrange(1, 17)
            cnt &= 31
            if cnt == 0:
                continue
            for name, opc in (("cpu_shld", 0xA5), ("cpu_shrd", 0xAD)):
                ua, _, _, uf = emu.run(prefix(size) + [0x0F, opc, 0xD8], a, b, cnt, 0, fin)
                f = Flags(eflags=fin)
                r = getattr(lib, name)(ctypes.byref(f), size, a, b, cnt)
                mask = CF | PF | ZF | SF | (OF if cnt == 1 else 0)
                if size == 2 and cnt == 16:
                    mask = CF | PF | ZF | SF
                check("%s size%d a=%x b=%x cnt=%d" % (name, size, a, b, cnt), r,
                      lib.cpu_flags_get(ctypes.byref(f)), ua & m, uf, mask)
    # DAA/DAS exhaustively over AL, AF, CF: result, CF AF SF ZF PF (OF undefined).
    lib.cpu_bcd_daa.argtypes = [ctypes.POINTER(Flags), ctypes.POINTER(u32)]
    lib.cpu_bcd_das.argtypes = lib.cpu_bcd_daa.argtypes
    for al in range(256):
        for fin in (0x2, 0x3, 0x12, 0x13):
            for name, opc in (("cpu_bcd_daa", 0x27), ("cpu_bcd_das", 0x2F)):
                ua, _, _, uf = emu.run([opc], al, 0, 0, 0, fin)
                f = Flags(eflags=fin)
                eax = u32(al)
                getattr(lib, name)(ctypes.byref(f), ctypes.byref(eax))
                check("%s al=%x fin=%x" % (name, al, fin), eax.value,
                      lib.cpu_flags_get(ctypes.byref(f)), ua, uf, ARITH & ~OF)
    # MUL/IMUL (F6/F7 /4 /5 ebx) and DIV (F6/F7 /6 ebx): results, CF/OF for MUL.
    lib.cpu_mul.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_int, u32,
                            ctypes.POINTER(u32), ctypes.POINTER(u32), ctypes.c_int]
    lib.cpu_div.argtypes = lib.cpu_mul.argtypes
    for _ in range(n // 4):
        size = rng.choice([1, 2, 4])
        a, b, d = rand_val(rng, 4), rand_val(rng, size), rand_val(rng, 4)
        sgn = rng.randrange(2)
        code = prefix(size) + [0xF6 if size == 1 else 0xF7, 0xE3 | sgn << 3]
        ua, _, ud, uf = emu.run(code, a, b, 0, d, 0x2)
        f = Flags(eflags=0x2)
        eax, edx = u32(a), u32(d)
        lib.cpu_mul(ctypes.byref(f), size, sgn, b, ctypes.byref(eax), ctypes.byref(edx), 0)
        check("mul size%d sgn%d a=%x b=%x" % (size, sgn, a, b),
              (eax.value, edx.value), lib.cpu_flags_get(ctypes.byref(f)),
              (ua, ud), uf, CF | OF)
        if b == 0:
            continue
        d = d % b if size > 1 and not sgn else d   # keep most unsigned quotients in range
        f = Flags(eflags=0x2)
        eax, edx = u32(a), u32(d)
        rc = lib.cpu_div(ctypes.byref(f), size, 0, b, ctypes.byref(eax), ctypes.byref(edx), 0)
        if rc < 0:
            continue   # #DE: checked in tests/alu
        code = prefix(size) + [0xF6 if size == 1 else 0xF7, 0xF3]
        ua, _, ud, uf = emu.run(code, a, b, 0, d, 0x2)
        check("div size%d a=%x d=%x b=%x" % (size, a, d, b), (eax.value, edx.value), 0,
              (ua, ud), 0, 0)
    print("unicorn_xcheck: %d cases, %d mismatches" % (n, fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
