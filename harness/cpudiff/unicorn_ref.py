"""Runs differential cases under Unicorn (the reference) and under cpu_difftest (ours),
and compares them.

Memory layout (both sides): 64 KiB at 0; code at 0x1000; the data page 0x2000 and the
stack page 0x8000 hold a 256-byte splitmix64 pattern repeated; everything else is 0.
System cases (mode 0, sysgen.py) add their descriptor tables, TSSs and page tables as
patches, end at their DONE address, and stop at the first exception on both sides.
"""
import subprocess
import zlib

from unicorn import Uc, UcError, UC_ARCH_X86, UC_HOOK_INTR, UC_MODE_16, UC_MODE_32
from unicorn import x86_const as X

import gen
from known_differences import (ARITH, COMPARED_CONTROL_FLAGS, SYSTEM_CONTROL_FLAGS,
                               SYSTEM_CR0_BITS)

MEM_BYTES = 0x10000
REGS = [X.UC_X86_REG_EAX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX, X.UC_X86_REG_EBX,
        X.UC_X86_REG_ESP, X.UC_X86_REG_EBP, X.UC_X86_REG_ESI, X.UC_X86_REG_EDI]
MASK64 = (1 << 64) - 1


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def initial_memory(case):
    mem = bytearray(MEM_BYTES)
    st = case["memseed"]
    for page in (gen.DATA, gen.STACK):
        pat = bytearray()
        for _ in range(32):
            st, v = splitmix(st)
            pat += v.to_bytes(8, "little")
        mem[page:page + 4096] = bytes(pat) * 16
    code = case["code"]
    mem[gen.CODE:gen.CODE + len(code)] = code
    for addr, data in case.get("patches", ()):
        mem[addr:addr + len(data)] = data
    return mem


SEGS = [X.UC_X86_REG_CS, X.UC_X86_REG_SS, X.UC_X86_REG_DS, X.UC_X86_REG_ES,
        X.UC_X86_REG_FS, X.UC_X86_REG_GS]


class Reference:
    """One Unicorn engine per mode, reused across cases."""

    def __init__(self):
        self.uc = {}
        for mode, ucmode in ((32, UC_MODE_32), (16, UC_MODE_16)):
            uc = Uc(UC_ARCH_X86, ucmode)
            uc.mem_map(0, MEM_BYTES)
            self.uc[mode] = uc
        self.event = None

    def _on_interrupt(self, uc, intno, _data):
        if self.event is None:
            self.event = (intno, uc.reg_read(X.UC_X86_REG_EIP))
        uc.emu_stop()

    def run_sys(self, case):
        # A fresh engine per system case: a stop requested from the interrupt hook
        # would end the next run of a reused one early, and no state (CR0, CR3,
        # GDTR, TR, TLB) carries over. Exceptions end the run (no IDT delivery).
        uc = Uc(UC_ARCH_X86, UC_MODE_16)
        uc.mem_map(0, MEM_BYTES)
        uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        uc.mem_write(0, bytes(initial_memory(case)))
        for sreg in SEGS:
            uc.reg_write(sreg, 0)
        for reg, v in zip(REGS, case["regs"]):
            uc.reg_write(reg, v)
        uc.reg_write(X.UC_X86_REG_EFLAGS, case["eflags"])
        self.event = None
        try:
            uc.emu_start(gen.CODE, case["done"], count=100000)
        except UcError as e:
            if self.event is None:
                self.event = (-1, uc.reg_read(X.UC_X86_REG_EIP))
                return {"stop": "unicorn error %s" % e, "regs": [0] * 8, "eip": 0,
                        "eflags": 0, "crc": 0, "sys": [0] * 10}, bytes(MEM_BYTES)
        regs = [uc.reg_read(r) & 0xFFFFFFFF for r in REGS]
        eip = uc.reg_read(X.UC_X86_REG_EIP)
        sysregs = [uc.reg_read(r) for r in SEGS] + [
            uc.reg_read(X.UC_X86_REG_CR0), uc.reg_read(X.UC_X86_REG_CR2),
            uc.reg_read(X.UC_X86_REG_CR3), uc.reg_read(X.UC_X86_REG_TR)[0]]
        eflags = uc.reg_read(X.UC_X86_REG_EFLAGS)
        # With CR0.PG set Unicorn's mem_read goes through its TLB: paging off first,
        # so that the physical memory is what gets compared.
        uc.reg_write(X.UC_X86_REG_CR0, sysregs[6] & 0x7FFFFFFF)
        mem = bytes(uc.mem_read(0, MEM_BYTES))
        if self.event is not None:
            stop, vector, eip = "exception", self.event[0], self.event[1]
        else:
            stop, vector = ("hlt" if eip == case["done"] else "eip=%x" % eip), 0
        return {"stop": stop, "vector": vector, "regs": regs, "eip": eip,
                "eflags": eflags, "crc": zlib.crc32(mem),
                "sys": sysregs}, mem

    def run(self, case):
        """Returns (state dict, memory bytes) or raises UcError."""
        if case["mode"] == 0:
            return self.run_sys(case)
        uc = self.uc[case["mode"]]
        uc.mem_write(0, bytes(initial_memory(case)))
        # Unicorn 2.0 keeps translated blocks across mem_write: drop them, the code changed
        uc.ctl_remove_cache(gen.CODE, gen.CODE + 0x1000)
        if case["mode"] == 16:
            for sreg in (X.UC_X86_REG_CS, X.UC_X86_REG_DS, X.UC_X86_REG_ES,
                         X.UC_X86_REG_SS, X.UC_X86_REG_FS, X.UC_X86_REG_GS):
                uc.reg_write(sreg, 0)
        for reg, v in zip(REGS, case["regs"]):
            uc.reg_write(reg, v)
        uc.reg_write(X.UC_X86_REG_EFLAGS, case["eflags"])
        hlt = gen.CODE + len(case["code"]) - 1
        uc.emu_start(gen.CODE, hlt, count=100000)
        regs = [uc.reg_read(r) & 0xFFFFFFFF for r in REGS]
        eip = uc.reg_read(X.UC_X86_REG_EIP)
        mem = bytes(uc.mem_read(0, MEM_BYTES))
        return {"stop": "hlt" if eip == hlt else "eip=%x" % eip, "regs": regs, "eip": eip,
                "eflags": uc.reg_read(X.UC_X86_REG_EFLAGS), "crc": zlib.crc32(mem)}, mem


def case_line(case, dump=False):
    fields = [case["mode"], 1 if dump else 0, case["memseed"]] + case["regs"] + [case["eflags"]]
    line = " ".join("%x" % v if i else "%d" % v for i, v in enumerate(fields)) + \
        " " + case["code"].hex()
    if case["mode"] == 0:
        line += " %x" % case["done"]
        for addr, data in case["patches"]:
            for k in range(0, len(data), 128):
                line += " %x:%s" % (addr + k, data[k:k + 128].hex())
    return line + "\n"


def run_ours(driver, cases, dump=False):
    """Runs a batch through cpu_difftest; returns a list of (state, memory or None)."""
    text = "".join(case_line(c, dump) for c in cases)
    out = subprocess.run([driver], input=text, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError("cpu_difftest exited %d: %s" % (out.returncode, out.stderr[-2000:]))
    lines = out.stdout.splitlines()
    res = []
    i = 0
    for _ in cases:
        f = lines[i].split()
        i += 1
        mem = None
        if dump:
            mem = bytes.fromhex(lines[i][4:])
            i += 1
        res.append(({"stop": f[0], "vector": int(f[1], 16),
                     "regs": [int(x, 16) for x in f[2:10]], "eip": int(f[10], 16),
                     "eflags": int(f[11], 16), "crc": int(f[12], 16),
                     "sys": [int(x, 16) for x in f[14:24]]}, mem))
    return res


def compare(case, ref, ours):
    """Returns a list of human-readable differences (empty when they agree)."""
    if case["mode"] == 0 and ours["stop"] == ref["stop"] == "exception" and \
            ours["vector"] == ref["vector"] and \
            (ours["sys"][9] != case["tr"] or case["form"] == "task"):
        # A fault after a task switch's commit point: the vector and the new TR only
        # (known_differences.SYSTEM["fault_after_switch"]).
        return [] if ours["sys"][9] == ref["sys"][9] else ["tr: ours %x, unicorn %x" % (
            ours["sys"][9], ref["sys"][9])]
    diffs = []
    if ours["stop"] != ref["stop"]:
        diffs.append("stop: ours %s (vector %d), unicorn %s (vector %d)" % (
            ours["stop"], ours.get("vector", 0), ref["stop"], ref.get("vector", 0)))
    elif case["mode"] == 0 and ours["stop"] == "exception" and ours["vector"] != ref["vector"]:
        diffs.append("vector: ours %d, unicorn %d" % (ours["vector"], ref["vector"]))
    for i, name in enumerate(gen.R32):
        mask = 0xFFFFFFFF
        if ours["regs"][i] & mask != ref["regs"][i] & mask:
            diffs.append("%s: ours %08x, unicorn %08x" % (name, ours["regs"][i], ref["regs"][i]))
    if ours["eip"] != ref["eip"]:
        diffs.append("eip: ours %08x, unicorn %08x" % (ours["eip"], ref["eip"]))
    fmask = (ARITH & ~case["undef"]) | COMPARED_CONTROL_FLAGS
    if case["mode"] == 0:
        fmask |= SYSTEM_CONTROL_FLAGS
        if ours["stop"] == "exception" and ours["vector"] == 14:
            fmask &= ~ARITH          # known_differences.SYSTEM["pf_flags"]
        diffs += compare_sys(ours, ref)
    if (ours["eflags"] ^ ref["eflags"]) & fmask:
        diffs.append("eflags & %03x: ours %03x, unicorn %03x" %
                     (fmask, ours["eflags"] & fmask, ref["eflags"] & fmask))
    if ours["crc"] != ref["crc"]:
        diffs.append("memory differs (crc ours %08x, unicorn %08x)" % (ours["crc"], ref["crc"]))
    return diffs


SYS_NAMES = ["cs", "ss", "ds", "es", "fs", "gs", "cr0", "cr2", "cr3", "tr"]


def compare_sys(ours, ref):
    """Selectors, CR0's 386 bits, CR2 (after a #PF), CR3 and TR of a system case."""
    diffs = []
    for i, name in enumerate(SYS_NAMES):
        o, r = ours["sys"][i], ref["sys"][i]
        if name == "cr0":
            o, r = o & SYSTEM_CR0_BITS, r & SYSTEM_CR0_BITS
        if name == "cr2" and (ours.get("vector") != 14 or
                              (o - ours["eip"]) & 0xFFFFFFFF < 16):
            continue      # no #PF, or a fetch #PF (known_differences.SYSTEM)
        if o != r:
            diffs.append("%s: ours %x, unicorn %x" % (name, o, r))
    return diffs


def describe(case, diffs, ours_mem=None, ref_mem=None):
    lines = ["seed %d, %s, eflags %03x, regs %s" %
             (case["seed"], "system form %s" % case["form"] if case["mode"] == 0
              else "%d-bit mode" % case["mode"], case["eflags"],
              " ".join("%s=%08x" % (n, v) for n, v in zip(gen.R32, case["regs"]))),
             "code: " + case["code"].hex()]
    lines += ["  " + t for t in case["text"]]
    lines += ["difference: " + d for d in diffs]
    if ours_mem is not None and ref_mem is not None:
        shown = 0
        for a in range(MEM_BYTES):
            if ours_mem[a] != ref_mem[a] and shown < 16:
                lines.append("  mem[%04x]: ours %02x, unicorn %02x" % (a, ours_mem[a], ref_mem[a]))
                shown += 1
    return "\n".join(lines)
