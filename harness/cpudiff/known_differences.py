"""The one list of known differences between an 80386 and the modern x86 that Unicorn
(QEMU's TCG) emulates, and of what the 386 leaves undefined.

The differential test never compares anything named here. Each entry says how it is
excluded: by a flags mask after the instruction (the generator marks those flags
undefined, so later flag readers see them redefined first and the final comparison
masks them), or by a constraint on the operands the generator produces.
"""

# EFLAGS bits
CF, PF, AF, ZF, SF, OF, DF = 0x001, 0x004, 0x010, 0x040, 0x080, 0x800, 0x400
ARITH = CF | PF | AF | ZF | SF | OF

# Architecturally undefined flags per instruction (Intel 80386 Programmer's Reference
# Manual, chapter 17, "Flags Affected"). A flag listed here is never compared until an
# instruction defines it again.
UNDEFINED_FLAGS = {
    "and": AF, "or": AF, "xor": AF, "test": AF,
    "mul": SF | ZF | AF | PF,            # also a known difference: modern CPUs set these
    "imul": SF | ZF | AF | PF,
    "div": ARITH, "idiv": ARITH,
    "daa": OF, "das": OF,
    "aaa": OF | SF | ZF | PF,            # known difference: AAA/AAS flags
    "aas": OF | SF | ZF | PF,
    "aam": OF | AF | CF,
    "aad": OF | AF | CF,                 # known difference: AAD flags
    "shift": AF,                         # SHL/SHR/SAR AF: known difference
    "shift_count_not_1": OF,             # OF only defined for a count of 1
    "shift_count_ge_width": CF | OF,     # SHL/SHR/SAR by >= operand width: CF undefined
    "shxd": AF,                          # SHLD/SHRD
    "shxd_count_not_1": OF,
    "rotate_count_not_1": OF,
    "bt": OF | SF | ZF | AF | PF,
    "bsf": OF | SF | AF | PF | CF, "bsr": OF | SF | AF | PF | CF,
}

# Operand constraints that keep known 386-vs-modern differences out of the comparison.
CONSTRAINTS = {
    "rcl_rcr_by_9_17": "RCL/RCR of a byte (word) are generated with a masked count "
                       "below 9 (17): the 386 and modern CPUs disagree on the flags of "
                       "the count-modulo-9/17 cases.",
    "aaa_aas_ax": "AAA adds 6 to AL only on the 386 (AX on later CPUs), AAS likewise "
                  "subtracts from AL: the generator keeps AL in 0..F9h (AAA) and "
                  "6..FFh after the subtraction (AAS), where both agree.",
    "bsf_bsr_zero": "BSF/BSR with a zero source leave the destination undefined (the "
                    "386 changes it, modern CPUs keep it): sources are never zero.",
    "push_sreg_32": "A 32-bit PUSH of a segment register moves ESP by 4 and writes only "
                    "the selector's 2 bytes in vmmsim (docs/cpu386.md, 'Choices where the "
                    "manual is silent'), as Intel's current CPUs do, while QEMU/Unicorn "
                    "writes a zero-extended dword: not generated (segment registers are "
                    "neither pushed nor loaded); tests/cpu/test_cpu_debug.c checks it.",
    "post_386_opcodes": "CPUID, BSWAP, CMPXCHG, XADD, CMOVcc, RDTSC, INVD, WBINVD, INVLPG "
                        "execute under Unicorn but are #UD on a 386: never generated "
                        "(the Check suite test_cpu_system tests that they raise #UD).",
    "div_overflow": "Divisors are never zero and quotients always fit (#DE is tested in "
                    "the Check suites).",
    "shift_8_16_count_ge_width": "SHL/SHR/SAR/ROL/ROR of a byte or word are generated "
                                 "with counts below the operand width (masked counts "
                                 "beyond it differ between steppings and later CPUs).",
    "shxd16_count_gt_16": "SHLD/SHRD of a word by more than 16 leave the result "
                          "undefined: counts are limited to 16.",
    "popf_iopl_tf": "POPF is not generated (TF, IF and IOPL would change the run, not "
                    "the arithmetic).",
    "pushf_undefined": "PUSHF/LAHF are generated only when every arithmetic flag is "
                       "defined, so no undefined flag reaches memory or AH.",
}

# EFLAGS bits compared at the end of a sequence besides the defined arithmetic flags.
COMPARED_CONTROL_FLAGS = DF
