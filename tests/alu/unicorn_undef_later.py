#!/usr/bin/python3
"""Cross-check cpu386's CPU_UNDEF_LATER model against Unicorn, undefined flags included.

Usage: unicorn_undef_later.py LIBALU.so [N]
With cpu_flags.undef = CPU_UNDEF_LATER the flags the 80386 manual leaves undefined
must be what Unicorn (QEMU) leaves, for the families docs/cpu386.md's table lists:
SHL/SHR/SAR and SHLD/SHRD (AF), AAA/AAS, AAD/AAM, DAA/DAS, BT/BTS/BTR/BTC (OF),
BSF/BSR (all but ZF, zero sources included), MUL/IMUL (SF ZF AF PF). Every flag is
compared; operands stay where a 386 and a later CPU agree on the result itself
(counts below the width, AAA/AAS inputs as in harness/cpudiff). Exit status 0 when
everything matches.
"""
import ctypes
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unicorn_xcheck import ARITH, OF, Emu, Flags, prefix, rand_val  # noqa: E402

LATER = 1
u32 = ctypes.c_uint32
failures = []


def check(what, got_r, got_f, want_r, want_f):
    if got_r != want_r or (got_f ^ want_f) & ARITH:
        failures.append(what)
        if len(failures) <= 10:
            print("MISMATCH %s: res %s want %s flags %03x want %03x"
                  % (what, got_r, want_r, got_f & ARITH, want_f & ARITH))


def flags_in(rng):
    return 0x2 | (rng.getrandbits(12) & ARITH)


def shifts(lib, emu, rng, n):
    lib.cpu_shift.restype = u32
    lib.cpu_shift.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_uint, u32,
                              ctypes.c_uint8]
    for _ in range(n):
        size = rng.choice([1, 2, 4])
        a, fin, sop = rand_val(rng, size), flags_in(rng), rng.choice([4, 5, 7])
        cnt = rng.randrange(1, 8 * size)
        code = prefix(size) + [0xD2 if size == 1 else 0xD3, 0xC0 | sop << 3]
        ua, _, _, uf = emu.run(code, a, 0, cnt, 0, fin)
        f = Flags(eflags=fin, undef=LATER)
        r = lib.cpu_shift(ctypes.byref(f), sop, size, a, cnt)
        check("shift op%d size%d a=%x cnt=%d" % (sop, size, a, cnt), r,
              lib.cpu_flags_get(ctypes.byref(f)), ua & ((1 << 8 * size) - 1), uf)


def bcd(lib, emu):
    names = (("cpu_bcd_daa", [0x27]), ("cpu_bcd_das", [0x2F]), ("cpu_bcd_aaa", [0x37]),
             ("cpu_bcd_aas", [0x3F]))
    for name, _ in names:
        getattr(lib, name).argtypes = [ctypes.POINTER(Flags), ctypes.POINTER(u32)]
    for ax in [ah << 8 | al for ah in (0, 0x12, 0xFF) for al in range(256)]:
        for fin in (0x2, 0x8D7, 0x13, 0x8C6):
            for name, code in names:
                al = ax & 0xFF
                if (name == "cpu_bcd_aaa" and al > 0xF9) or (name == "cpu_bcd_aas" and al < 6):
                    continue   # the 386 and later CPUs differ on AH there (cpudiff)
                ua, _, _, uf = emu.run(code, ax, 0, 0, 0, fin)
                f = Flags(eflags=fin, undef=LATER)
                eax = u32(ax)
                getattr(lib, name)(ctypes.byref(f), ctypes.byref(eax))
                check("%s ax=%x fin=%x" % (name, ax, fin), eax.value,
                      lib.cpu_flags_get(ctypes.byref(f)), ua, uf)
            for name, opc in (("cpu_bcd_aad", 0xD5), ("cpu_bcd_aam", 0xD4)):   # base 10
                eax = u32(ax)
                f = Flags(eflags=fin, undef=LATER)
                getattr(lib, name)(ctypes.byref(f), ctypes.byref(eax), ctypes.c_uint8(10))
                ua, _, _, uf = emu.run([opc, 0x0A], ax, 0, 0, 0, fin)
                check("%s ax=%x fin=%x" % (name, ax, fin), eax.value,
                      lib.cpu_flags_get(ctypes.byref(f)), ua, uf)


def bits(lib, emu, rng, n):
    lib.cpu_bitop.restype = u32
    lib.cpu_bitop.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_uint, u32,
                              ctypes.c_uint]
    for name in ("cpu_bsf", "cpu_bsr"):
        getattr(lib, name).restype = u32
        getattr(lib, name).argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, u32, u32,
                                       ctypes.POINTER(ctypes.c_int)]
    for _ in range(n):
        size = rng.choice([2, 4])
        a, fin = rand_val(rng, size), flags_in(rng)
        src = 0 if rng.randrange(4) == 0 else rand_val(rng, size)
        bit = rng.randrange(8 * size)
        op = rng.randrange(4)   # BT BTS BTR BTC: 0F A3/AB/B3/BB /r, eax, edx
        ua, _, _, uf = emu.run(prefix(size) + [0x0F, 0xA3 | op << 3, 0xD0], a, 0, 0, bit, fin)
        f = Flags(eflags=fin, undef=LATER)
        r = lib.cpu_bitop(ctypes.byref(f), op, size, a, bit)
        check("bt%d size%d a=%x bit=%d" % (op, size, a, bit), r,
              lib.cpu_flags_get(ctypes.byref(f)), ua & ((1 << 8 * size) - 1), uf)
        for name, opc in (("cpu_bsf", 0xBC), ("cpu_bsr", 0xBD)):
            ua, _, _, uf = emu.run(prefix(size) + [0x0F, opc, 0xC2], a, 0, 0, src, fin)
            f = Flags(eflags=fin, undef=LATER)
            clocks = ctypes.c_int()
            r = getattr(lib, name)(ctypes.byref(f), size, src, a, ctypes.byref(clocks))
            check("%s size%d src=%x" % (name, size, src), r,
                  lib.cpu_flags_get(ctypes.byref(f)), ua & ((1 << 8 * size) - 1), uf)


def muls(lib, emu, rng, n):
    lib.cpu_mul.argtypes = [ctypes.POINTER(Flags), ctypes.c_uint, ctypes.c_int, u32,
                            ctypes.POINTER(u32), ctypes.POINTER(u32), ctypes.c_int]
    for _ in range(n):
        size = rng.choice([1, 2, 4])
        a, b, d, fin = rand_val(rng, 4), rand_val(rng, size), rand_val(rng, 4), flags_in(rng)
        sgn = rng.randrange(2)
        code = prefix(size) + [0xF6 if size == 1 else 0xF7, 0xE3 | sgn << 3]
        ua, _, ud, uf = emu.run(code, a, b, 0, d, fin)
        f = Flags(eflags=fin, undef=LATER)
        eax, edx = u32(a), u32(d)
        lib.cpu_mul(ctypes.byref(f), size, sgn, b, ctypes.byref(eax), ctypes.byref(edx), 0)
        check("mul size%d sgn%d a=%x b=%x" % (size, sgn, a, b), (eax.value, edx.value),
              lib.cpu_flags_get(ctypes.byref(f)), (ua, ud), uf)


def main():
    lib = ctypes.CDLL(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    lib.cpu_flags_get.restype = u32
    lib.cpu_flags_get.argtypes = [ctypes.POINTER(Flags)]
    emu, rng = Emu(), random.Random(386)
    shifts(lib, emu, rng, n)
    bcd(lib, emu)
    bits(lib, emu, rng, n // 2)
    muls(lib, emu, rng, n // 2)
    print("%d mismatches" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
