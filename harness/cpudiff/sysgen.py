"""Random system-level cases for the differential test (mode 0 of cpu_difftest).

Each case starts in real mode at CODE, like the 16-bit cases, and its own code sets
up what it tests: LGDT, CR0.PE and a far jump to 32-bit ring 0; then, by the case's
form, LDT and TR, paging (CR3, CR0.PG), ring 3 (IRETD) or V86 mode (IRETD with VM),
and a body of system instructions with random operands drawn against descriptor
tables and page tables that are random too:

  seg     segment register loads (MOV, POP, LDS/LES/LFS/LGS/LSS) of random selectors,
          then reads and writes through them near their limits; LAR/LSL/VERR/VERW
  far     far JMP/CALL to code segments and call gates (same and inner privilege,
          16- and 32-bit gates with parameters), RETF (imm16) and IRET to the same
          and to an outer ring (with the data-segment nulling rule)
  task    JMP/CALL to a TSS or a task gate, IRET with NT back, 16- and 32-bit TSSs
  paging  reads, writes, pushes at ring 0 and 3 against PTEs and the PDE with random
          P/W/U bits (#PF with CR2; accessed and dirty bits in memory)
  v86     IRETD into V86 mode with a random IOPL, then a 16-bit sequence (gen.py's
          forms) and IOPL-sensitive instructions (#GP when IOPL < 3)

A case ends at DONE (both engines stop there) or at the first exception: Unicorn
does not deliver interrupts or exceptions through the IDT (its interrupt hook replaces
delivery), so an exception ends both runs and the vector, the faulting EIP, CR2 and
the whole state at the fault are compared; delivery itself is left to the Check
suites (known_differences.SYSTEM).

Memory (64 KiB, compared whole): GDT 0x0500, LDT 0x0600, TSSs 0x0800 (A, 386),
0x0900 (B, 386), 0x0A00 (C, 286), code 0x1000, data page 0x2000, page directory
0x4000, page table 0x5000, ring-3 stack 0x6000 page, ring-0 stack 0x7000 page,
stack page 0x8000 (V86 and filled), far pointers at 0x3000.
"""
import random
import struct

import gen
from known_differences import ARITH

CODE = gen.CODE
GDT, LDT = 0x0500, 0x0600
TSS_A, TSS_B, TSS_C = 0x0800, 0x0900, 0x0A00
PTRS = 0x3000
PD, PT = 0x4000, 0x5000
ESP3, ESP0 = 0x6FF0, 0x7FF0
GDTR_AT = 0x0400

# GDT selectors
K_CODE, K_DATA, U_CODE, U_DATA = 0x08, 0x10, 0x1B, 0x23
SEL_TSS_A, SEL_TSS_B, SEL_TSS_C, SEL_LDT = 0x28, 0x30, 0x38, 0x40
SEL_GATE32, SEL_GATE16, SEL_TASKGATE = 0x48, 0x50, 0x58
RANDOM_FIRST, RANDOM_LAST = 0x60, 0xF8      # random descriptors
FORMS = ("seg", "far", "task", "paging", "v86")


def le(v, n):
    return gen.le(v, n)


def desc(base, limit, access, flags):
    """An 8-byte segment descriptor; limit is the 20-bit field. Code and data
    descriptors are made with the accessed bit set (known_differences.SYSTEM)."""
    if access & 0x10:
        access |= 1
    return struct.pack("<HHBBBB", limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF,
                       access, ((flags & 0xF) << 4) | ((limit >> 16) & 0xF), base >> 24)


def gate_desc(sel, off, typ, dpl, count=0):
    return struct.pack("<HHBBH", off & 0xFFFF, sel, count & 0x1F,
                       0x80 | (dpl << 5) | typ, (off >> 16) & 0xFFFF)


class Sys:
    """One system case under construction: code, text, memory patches."""

    def __init__(self, rng):
        self.rng = rng
        self.code = bytearray()
        self.text = []
        self.patches = {}
        self.undef = 0
        self.cpl = 0
        # the current and the new task's TSS have the same size (SYSTEM["tss_mixed"])
        self.tss16 = False   # 286 TSSs: SYSTEM["tss_286"]

    def at(self):
        return CODE + len(self.code)

    def emit(self, text, bs):
        self.text.append(text)
        self.code += bs

    def pointer(self):
        """A fresh 8-byte slot for a far pointer (each use its own)."""
        self.nptr = getattr(self, "nptr", 0) + 1
        assert self.nptr < 0x100
        return PTRS + 8 * self.nptr

    def patch(self, addr, bs):
        self.patches[addr] = bytes(bs)

    # -- building blocks (32-bit code) --------------------------------------
    def mov_r32(self, reg, v):
        self.emit("mov %s,0x%x" % (gen.R32[reg], v), bytes([0xB8 + reg]) + le(v, 4))

    def mov_sreg(self, sreg, sel):
        self.emit("mov ax,0x%x" % sel, b"\x66\xB8" + le(sel, 2))
        self.emit("mov %ss,ax" % "ecsdfg"[sreg], bytes([0x8E, 0xC0 | sreg << 3]))

    def push32(self, v):
        self.emit("push dword 0x%x" % v, b"\x68" + le(v, 4))

    def random_selector(self):
        r = self.rng
        pick = r.randrange(10)
        if pick == 0:
            return r.choice([0, 1, 2, 3])                       # null selectors
        if pick == 1:
            return (r.randrange(8) << 3) | 4 | r.randrange(4)   # LDT
        if pick == 2:
            return r.choice([K_DATA, U_DATA, K_CODE, U_CODE])
        return r.randrange(RANDOM_FIRST >> 3, (RANDOM_LAST >> 3) + 1) << 3 | r.randrange(4)


def random_desc(rng):
    """A random segment or system descriptor (biased towards usable data/code)."""
    kind = rng.randrange(10)
    dpl = rng.randrange(4)
    present = 0x80 if rng.randrange(8) else 0
    base = rng.choice([0, 0, 0x800, 0x1000])
    if rng.randrange(3):
        limit, flags = rng.choice([0x1FFF, 0x2FFF, 0x27FF, 0x20FF, 0x2FFE, 0x1000, 0xFFFF]), 0x4
    else:
        limit, flags = 0xFFFFF, 0xC
    if rng.randrange(5) == 0:
        flags &= ~0x4                                   # B/D = 0
    if kind < 6:                                        # data: RO/RW, expand-down
        typ = rng.choice([0x0, 0x2, 0x2, 0x2, 0x6, 0x4, 0x3])
        return desc(base, limit, present | dpl << 5 | 0x10 | typ, flags)
    if kind < 9:                                        # code: X, XR, conforming
        typ = rng.choice([0x8, 0xA, 0xA, 0xE, 0xC, 0xB])
        climit = rng.choice([0x1FFF, 0x2FFF, 0xFFFF])   # SYSTEM["code_limit"]
        return desc(0, climit if rng.randrange(2) else 0xFFFFF, present | dpl << 5 | 0x10 | typ,
                    0xC if rng.randrange(2) else 0x4)
    typ = rng.choice([0x2, 0x3, 0xB, 0x0, 0xD])   # system types (busy TSSs only: SYSTEM["tss_mixed"])
    return desc(0x0A00, 0x67, present | dpl << 5 | typ, 0)


def tss32_image(eip, esp, eflags, cs, ds, ss, ldt=0, cr3=0):
    t = bytearray(0x68)
    struct.pack_into("<IIIIIII", t, 4, ESP0, K_DATA, ESP0 - 0x100, K_DATA, ESP0 - 0x200,
                     K_DATA, cr3)
    struct.pack_into("<II", t, 0x20, eip, eflags)
    for i in range(8):
        struct.pack_into("<I", t, 0x28 + 4 * i, (0x1111 * (i + 1)) if i != 4 else esp)
    for i, s in enumerate([ds, cs, ss, ds, ds, ds]):
        struct.pack_into("<H", t, 0x48 + 4 * i, s)
    struct.pack_into("<H", t, 0x60, ldt)
    return bytes(t)


def tss16_image(ip, sp, flags, cs, ds, ss, ldt=0):
    t = bytearray(0x2C)
    struct.pack_into("<HHHHHHH", t, 2, ESP0 & 0xFFFF, K_DATA, 0, K_DATA, 0, K_DATA, 0)
    struct.pack_into("<HH", t, 0x0E, ip, flags)
    for i in range(8):
        struct.pack_into("<H", t, 0x12 + 2 * i, (0x2222 * (i + 1)) & 0xFFFF if i != 4 else sp)
    struct.pack_into("<HHHHH", t, 0x22, ds, cs, ss, ds, ldt)
    return bytes(t)


def tables(s):
    """GDT, LDT, TSS A, page tables: the fixed part plus random descriptors."""
    r = s.rng
    g = bytearray(0x100)
    g[0x08:0x10] = desc(0, 0xFFFFF, 0x9A, 0xC)
    g[0x10:0x18] = desc(0, 0xFFFFF, 0x92, 0xC)
    g[0x18:0x20] = desc(0, 0xFFFFF, 0xFA, 0xC)
    g[0x20:0x28] = desc(0, 0xFFFFF, 0xF2, 0xC)
    g[0x28:0x30] = desc(TSS_A, 0x67, 0x89, 0)
    g[0x30:0x38] = desc(TSS_B, 0x67 if r.randrange(8) else 0x50, 0x89, 0)
    g[0x38:0x40] = desc(TSS_C, 0x2B, 0x81, 0)
    g[0x40:0x48] = desc(LDT, 0x3F, 0x82, 0)
    for sel in range(RANDOM_FIRST, RANDOM_LAST + 8, 8):
        g[sel:sel + 8] = random_desc(r)
    s.gdt = g
    ldt = bytearray()
    for _ in range(8):
        ldt += random_desc(r)
    s.patch(LDT, ldt)
    s.patch(TSS_A, tss32_image(0, 0, 2, K_CODE, K_DATA, K_DATA))
    s.patch(TSS_C, tss16_image(0, 0, 2, K_CODE, K_DATA, K_DATA))
    s.patch(GDTR_AT, struct.pack("<HI", 0xFF, GDT))
    pt = bytearray()
    for page in range(16):
        pt += le(page << 12 | 7, 4)
    s.pt = pt


def prologue(s):
    """Real mode to 32-bit ring 0 (flat), ESP0; LLDT, LTR."""
    s.emit("cli", b"\xFA")
    s.emit("o32 lgdt [cs:0x%x]" % GDTR_AT, b"\x66\x2E\x0F\x01\x16" + le(GDTR_AT, 2))
    s.emit("mov eax,cr0", b"\x0F\x20\xC0")
    s.emit("and al,0xf1 (MP, EM, TS clear: both engines alike)", b"\x24\xF1")
    s.emit("or al,1", b"\x0C\x01")
    s.emit("mov cr0,eax", b"\x0F\x22\xC0")
    target = s.at() + 8
    s.emit("jmp dword 0x08:0x%x" % target, b"\x66\xEA" + le(target, 4) + le(K_CODE, 2))
    for sreg in (3, 0, 4, 5, 2):
        s.mov_sreg(sreg, K_DATA)
    s.mov_r32(4, ESP0)
    s.emit("mov ax,0x40", b"\x66\xB8" + le(SEL_LDT, 2))
    s.emit("lldt ax", b"\x0F\x00\xD0")
    tr = SEL_TSS_C if s.tss16 else SEL_TSS_A
    s.emit("mov ax,0x%x" % tr, b"\x66\xB8" + le(tr, 2))
    s.emit("ltr ax", b"\x0F\x00\xD8")


def to_ring3(s, iopl=0):
    """IRETD to ring 3 at the next instruction, ESP3, with IOPL."""
    nxt = s.at() + 5 * 5 + 1
    for v in (U_DATA, ESP3, 0x2 | iopl << 12, U_CODE, nxt):
        s.push32(v)
    s.emit("iretd", b"\xCF")
    assert s.at() == nxt
    s.cpl = 3
    s.mov_sreg(3, U_DATA)      # IRET nulled DS and ES (DPL 0); ring-3 data for them
    s.mov_sreg(0, U_DATA)


def paging_on(s):
    s.mov_r32(0, PD)
    s.emit("mov cr3,eax", b"\x0F\x22\xD8")
    s.emit("mov eax,cr0", b"\x0F\x20\xC0")
    s.emit("or eax,0x80000000", b"\x0D" + le(0x80000000, 4))
    s.emit("mov cr0,eax", b"\x0F\x22\xC0")


# -- body forms -------------------------------------------------------------------

def b_segload(s):
    r = s.rng
    sreg = r.choice([0, 3, 4, 5, 2])
    sel = s.random_selector()
    if sreg == 2 and not flat_or_unloadable(s, sel):
        sel = r.choice([K_DATA, U_DATA, K_DATA | 3, 0, K_CODE])   # stacks stay flat
    if sreg in (4, 5) and (sel & ~3) == 0:
        sel = 0                                   # SYSTEM["null_fs_gs"]
    how = r.randrange(4)
    if how == 0 or sreg == 2 and how == 3:
        s.mov_sreg(sreg, sel)
    elif how == 1:
        s.push32(sel)
        pops = {0: b"\x07", 2: b"\x17", 3: b"\x1F", 4: b"\x0F\xA1", 5: b"\x0F\xA9"}
        s.emit("pop %ss" % "ecsdfg"[sreg], pops[sreg])
    else:                                                   # LxS r32, [PTRS]
        ops = {0: b"\xC4", 3: b"\xC5", 2: b"\x0F\xB2", 4: b"\x0F\xB4", 5: b"\x0F\xB5"}
        reg = r.choice([0, 1, 2, 3, 5, 6, 7])
        at = s.pointer()
        s.patch(at, le(r.getrandbits(32), 4) + le(sel, 2))
        s.emit("l%ss %s,[ss:0x%x]" % ("ecsdfg"[sreg], gen.R32[reg], at),
               b"\x36" + ops[sreg] + bytes([reg << 3 | 5]) + le(at, 4))
    # An access through it, only where the segment allows it (Unicorn does not check
    # limits or rights of data accesses: known_differences.SYSTEM["segment_checks"]),
    # at offsets up to its limit (expand-up) or just above it (expand-down).
    size = r.choice([1, 2, 4])
    write = r.randrange(2)
    off = access_offset(s, sel, sreg, size, write)
    if off is None:
        return
    prefix = [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65][sreg]
    s.mov_r32(3, off)
    op = (0x88 if size == 1 else 0x89) + (0 if write else 2)
    s.emit("%s %s[%ss:ebx]" % ("mov" if write else "mov", "store " if write else "load ",
                               "ecsdfg"[sreg]),
           bytes([prefix]) + (b"\x66" if size == 2 else b"") + bytes([op, 0x03]))


def descriptor(s, sel):
    """The 8 descriptor bytes a selector names in this case's tables, or None."""
    if sel & 4:
        table = s.patches[LDT]
    else:
        table = s.gdt
    i = sel & ~7
    return None if (sel & ~3) == 0 or i + 8 > len(table) else table[i:i + 8]


def access_offset(s, sel, sreg, size, write):
    """An offset inside the segment sel for this access when the segment would load
    at the current CPL and allows it (writable, readable, present); else None."""
    d = descriptor(s, sel)
    if d is None:
        return None
    lo, hi = struct.unpack("<II", d)
    a, dpl, rpl = (hi >> 8) & 0xFF, (hi >> 13) & 3, sel & 3
    code, ec, rw = a & 0x08, a & 0x04, a & 0x02
    if not (a & 0x80) or not (a & 0x10):
        return None
    if sreg == 2:
        if code or not rw or dpl != s.cpl or rpl != s.cpl:
            return None
    elif (code and not rw) or (not (code and ec) and (dpl < s.cpl or dpl < rpl)):
        return None
    if write and (code or not rw):
        return None
    limit = (lo & 0xFFFF) | (hi & 0xF0000)
    if hi & 0x800000:
        limit = limit << 12 | 0xFFF
    base = (lo >> 16) | (hi & 0xFF) << 16 | (hi & 0xFF000000)
    if not code and ec:                                 # expand-down
        top = 0xFFFFFFFF if hi & 0x400000 else 0xFFFF
        lo_off, hi_off = limit + 1, top - (size - 1)
    else:
        lo_off, hi_off = 0, limit - (size - 1)
    # stay inside the data page (linear 0x2000..0x2FFF) so nothing else is written
    lo_off, hi_off = max(lo_off, 0x2000 - base), min(hi_off, 0x2FFF - (size - 1) - base)
    if lo_off > hi_off:
        return None
    return s.rng.choice([lo_off, hi_off, s.rng.randint(lo_off, hi_off)])


def flat_or_unloadable(s, sel):
    """For SS: a flat writable segment, or one that cannot be loaded as a stack at
    any CPL (later pushes are not limit-checked by Unicorn: SYSTEM["segment_checks"])."""
    d = descriptor(s, sel)
    if d is None:
        return True
    lo, hi = struct.unpack("<II", d)
    a = (hi >> 8) & 0xFF
    if not (a & 0x10) or (a & 0x08) or not (a & 0x02):
        return True
    base = (lo >> 16) | (hi & 0xFF) << 16 | (hi & 0xFF000000)
    return (hi & 0x800000) and (lo & 0xFFFF) == 0xFFFF and (hi & 0xF0000) == 0xF0000 \
        and not (a & 0x04) and base == 0


def b_lar(s):
    r = s.rng
    sel = s.random_selector()
    s.mov_r32(1, sel)
    which = r.randrange(4)
    ops = [b"\x0F\x02\xD1", b"\x0F\x03\xD1", b"\x0F\x00\xE1", b"\x0F\x00\xE9"]
    s.emit(["lar edx,ecx", "lsl edx,ecx", "verr cx", "verw cx"][which], ops[which])
    s.undef &= ~0x40


def b_far(s):
    """Far JMP/CALL (direct or through memory) to a random code selector or gate;
    the target offset is the next instruction, so the run goes on at the new CS."""
    r = s.rng
    pick = r.randrange(6)
    if pick < 2:
        sel = r.choice([SEL_GATE32, SEL_GATE16]) | r.randrange(4)
    elif pick < 4:
        sel = r.choice([K_CODE, U_CODE, K_CODE | 3]) if r.randrange(2) else s.random_selector()
    else:
        sel = s.random_selector()
    call = r.randrange(2)
    mem = r.randrange(3) == 0
    n = 7
    nxt = s.at() + n
    # gates land on the next instruction too (their offset field)
    gsel = sel & ~3
    count = r.randrange(4)
    if gsel == SEL_GATE32:
        target = r.choice([K_CODE, K_CODE, U_CODE, 0x60])
        if target == 0x60 and (s.gdt[0x65] & 0x1C == 0x1C or not s.gdt[0x65] & 0x80):
            target = K_CODE              # SYSTEM["gate_target"]
        s.gdt[gsel:gsel + 8] = gate_desc(target, nxt, 0xC, r.choice([3, 3, 0]), count)
    elif gsel == SEL_GATE16:
        s.gdt[gsel:gsel + 8] = gate_desc(r.choice([K_CODE, U_CODE]), nxt, 0x4, 3, count)
    if mem:
        at = s.pointer()
        s.patch(at, le(nxt, 4) + le(sel, 2))
        s.emit("%s far [ss:0x%x] (%x:%x)" % ("call" if call else "jmp", at, sel, nxt),
               b"\x36\xFF" + bytes([0x1D if call else 0x2D]) + le(at, 4))
    else:
        s.emit("%s 0x%x:0x%x" % ("call" if call else "jmp", sel, nxt),
               (b"\x9A" if call else b"\xEA") + le(nxt, 4) + le(sel, 2))
    assert s.at() == nxt


def b_ret(s):
    """RETF (imm16) or IRETD with a frame built by pushes: same or outer ring."""
    r = s.rng
    iret = r.randrange(2)
    cs = r.choice([K_CODE, U_CODE, U_CODE, s.random_selector()])
    outer = (cs & 3) != 0 or r.randrange(4) == 0
    imm = r.choice([0, 0, 4, 8]) if not iret else 0
    npush = (2 if outer else 0) + (3 if iret else 2)
    nxt = s.at() + 5 * npush + (1 if iret or not imm else 3) + 5 * (imm // 4)
    if outer:
        # flat stacks only: a small limit would fault later pushes on a 386 but not
        # under Unicorn (SYSTEM["segment_checks"])
        s.push32(r.choice([U_DATA, U_DATA, K_DATA, 0, K_DATA | 3, U_DATA & ~3]))
        s.push32(ESP3 - r.randrange(0, 0x40, 4))
    for _ in range(imm // 4):
        s.push32(r.getrandbits(32))           # RETF imm16's parameters
    if iret:
        s.push32(0x2 | r.randrange(4) << 12 | r.choice([0, 0x1, 0x40, 0x8D5]))
    s.push32(cs)
    s.push32(nxt)
    if iret:
        s.emit("iretd", b"\xCF")
    elif imm:
        s.emit("retf %d" % imm, b"\xCA" + le(imm, 2))
    else:
        s.emit("retf", b"\xCB")
    assert s.at() == nxt, (s.at(), nxt)


def b_task(s):
    """JMP/CALL to TSS B (386 or 286 image) or the task gate; the new task starts at
    the next instruction; after a CALL the body ends with IRETD back (NT)."""
    r = s.rng
    call = r.randrange(2)
    back = call and r.randrange(2)
    via_gate = r.randrange(2)
    sel = SEL_TASKGATE if via_gate else SEL_TSS_B
    over = s.at() + 7 + 2 + 5 + (1 if back else 0)
    nxt = s.at() + 7 + 2                      # the new task's first instruction
    big = not s.tss16
    cs = r.choice([K_CODE, K_CODE, U_CODE, s.random_selector()])
    ds = r.choice([K_DATA, U_DATA, 0, s.random_selector()])
    ss = r.choice([K_DATA, U_DATA]) if (cs & 3) == 0 or cs == U_CODE else K_DATA
    if cs == U_CODE:
        ss = U_DATA
    fl = 0x2 | r.choice([0, 0x1, 0x8D5]) | r.randrange(4) << 12
    if big:
        s.patch(TSS_B, tss32_image(nxt, ESP0 - 0x400, fl, cs, ds, ss,
                                   r.choice([0, SEL_LDT])))
        s.gdt[SEL_TSS_B:SEL_TSS_B + 8] = desc(TSS_B, 0x67 if r.randrange(8) else 0x5F, 0x89, 0)
    else:
        s.patch(TSS_B, tss16_image(nxt, (ESP0 - 0x400) & 0xFFFF, fl & 0xFFFF, cs, ds, ss))
        s.gdt[SEL_TSS_B:SEL_TSS_B + 8] = desc(TSS_B, 0x2B, 0x81, 0)
    s.gdt[SEL_TASKGATE:SEL_TASKGATE + 8] = gate_desc(SEL_TSS_B, 0, 0x5, r.choice([0, 3]))
    s.emit("%s 0x%x:0" % ("call" if call else "jmp", sel),
           (b"\x9A" if call else b"\xEA") + le(0, 4) + le(sel, 2))
    s.emit("jmp short over (the caller resumes here)", b"\xEB" + bytes([over - s.at() - 2]))
    assert s.at() == nxt
    s.mov_r32(0, r.getrandbits(32))
    if back:
        s.emit("iretd (NT: back to the caller)", b"\xCF")
    assert s.at() == over


def b_paging(s):
    """A read, write or push at a linear address in a page with random PTE bits."""
    r = s.rng
    page = r.choice([2, 2, 3, 0xA, 0xB])
    lin = page << 12 | r.randrange(0, 0x1000 - 4)
    size = r.choice([1, 2, 4])
    s.mov_r32(3, lin)
    kind = r.randrange(3)
    if kind == 0:
        s.emit("mov [ebx],eax (%d)" % size, (b"\x66" if size == 2 else b"") +
               bytes([0x88 if size == 1 else 0x89, 0x03]))
    elif kind == 1:
        s.emit("mov eax,[ebx] (%d)" % size, (b"\x66" if size == 2 else b"") +
               bytes([0x8A if size == 1 else 0x8B, 0x03]))
    else:
        s.emit("xchg esp,ebx", b"\x87\xDC")
        s.emit("push eax", b"\x50")
        s.emit("xchg esp,ebx", b"\x87\xDC")


def b_v86(s, paged=False):
    """IRETD into V86 mode at the next instruction, then a 16-bit body."""
    r = s.rng
    iopl = r.choice([0, 3, 3])
    nxt = s.at() + 9 * 5 + 1
    for v in (0, 0, 0, 0, 0, 0x8FF0, 0x20002 | iopl << 12 | r.choice([0, 0x8D5]), 0, nxt):
        s.push32(v)
    s.emit("iretd (to V86, IOPL %d)" % iopl, b"\xCF")
    assert s.at() == nxt
    v = gen.Seq(r, 16)
    forms = [f for f in V86_FORMS if not (paged and f is gen.f_string)]   # SYSTEM["cmps_order"]
    for _ in range(r.randrange(2, 8)):
        r.choice(forms)(v)
    sensitive = [b"\xFA", b"\xFB", b"\x9C"]     # no PUSHFD: SYSTEM["pushfd_v86"]
    if iopl < 3:      # #GP; with IOPL 3 POPF could set TF, INT n would be delivered
        sensitive += [b"\x9D\x90", b"\xCD\x21", b"\xCF"]
    for _ in range(r.randrange(0, 2)):
        op = r.choice(sensitive)
        if op == b"\x9C":
            v.define_flags(ARITH)        # PUSHF stores only defined flags
        v.emit("iopl-sensitive %s" % op.hex(), op)
    s.text += ["v86: " + t for t in v.text]
    s.code += v.code
    s.undef = v.undef


V86_FORMS = [gen.f_alu, gen.f_incdec, gen.f_unary, gen.f_test, gen.f_mov, gen.f_lea,
             gen.f_xchg, gen.f_conv, gen.f_setcc, gen.f_movx, gen.f_bt, gen.f_flagops,
             gen.f_string, gen.f_xlat, gen.f_mul]


def random_pt(s):
    r = s.rng
    pt = s.pt
    for page in (2, 3, 0xA, 0xB):      # identity: SYSTEM["paging_alias"]
        bits = r.choice([7, 7, 5, 3, 1, 6, 4, 0, 2])
        pt[4 * page:4 * page + 4] = le(page << 12 | bits, 4)
    pde = r.choice([7, 7, 7, 5, 3])
    s.patch(PD, le(PT | pde, 4))


def make_case(seed, form=None):
    """A system case dict (mode 0) for cpu_difftest and unicorn_ref."""
    rng = random.Random(seed * 7 + 3)
    s = Sys(rng)
    form = form or rng.choice(FORMS)
    tables(s)
    prologue(s)
    if form == "paging":
        random_pt(s)
        paging_on(s)
        if rng.randrange(2):
            to_ring3(s)
        for _ in range(rng.randrange(1, 4)):
            b_paging(s)
    elif form == "v86":
        paged = rng.randrange(3) == 0
        if paged:
            random_pt(s)
            paging_on(s)
        b_v86(s, paged)
    else:
        if rng.randrange(3) == 0:
            to_ring3(s, rng.randrange(4))
        body = {"seg": [b_segload, b_segload, b_lar], "far": [b_far, b_ret, b_segload],
                "task": [b_task, b_segload, b_lar]}[form]
        for _ in range(rng.randrange(1, 5)):
            rng.choice(body)(s)
    done = s.at()
    s.emit("done", b"\xF4")
    s.patch(GDT, s.gdt)
    s.patch(PT, s.pt)
    regs = [rng.getrandbits(32) for _ in range(8)]
    regs[4] = 0x8800
    return {"seed": seed, "mode": 0, "form": form, "regs": regs, "eflags": 0x2,
            "tr": SEL_TSS_C if s.tss16 else SEL_TSS_A,
            "memseed": rng.getrandbits(63), "code": bytes(s.code), "text": s.text,
            "undef": s.undef & ARITH, "done": done, "patches": sorted(s.patches.items())}
