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

# System cases (sysgen.py): EFLAGS bits compared besides the above, and CR0's bits
# that exist on a 386 (PE, MP, EM, TS, PG; ET reads 1 on the 386, ET and the 486+
# bits are not compared).
SYSTEM_CONTROL_FLAGS = 0x00024200 | 0x3000      # VM, NT, IF, IOPL
SYSTEM_CR0_BITS = 0x8000000F

# What the system cases do not compare, and why.
SYSTEM = {
    "delivery": "Unicorn 2 does not deliver interrupts or exceptions through the IDT "
                "(its interrupt hook replaces delivery): an exception ends both runs "
                "and the vector, faulting EIP, CR2 and state at the fault are compared; "
                "the frames pushed by delivery, error codes, task gates in the IDT and "
                "double faults are covered by the Check suites (test_cpu_system, "
                "test_cpu_modes, test_cpu_tasks), not by the differential.",
    "int_n": "INT n is generated only in V86 mode (where IOPL < 3 makes it #GP before "
             "any delivery); INT3/INTO are not generated.",
    "task_t_bit": "The T bit of a TSS is never set: Unicorn ignores it (a 386 raises "
                  "#DB with DR6.BT; test_cpu_tasks checks it).",
    "cr0_et": "CR0.ET reads 1 on a 386 with no coprocessor here; Unicorn's reset CR0 "
              "differs in ET, CD and NW: only PE, MP, EM, TS and PG are compared.",
    "segment_checks": "Unicorn (QEMU's TCG) checks segments when they are loaded but "
                      "not on each access: no limit, expand-down, read/write or null "
                      "check on data and stack accesses. Accesses are generated only "
                      "inside the limits and rights of the segment used (and stacks are "
                      "flat); those checks are the Check suites' (test_gp_segment_limit, "
                      "test_ss_stack_limit, test_gp_null_selector).",
    "fetch_pf_cr2": "After a #PF on an instruction fetch Unicorn's CR2 holds the "
                    "address it was told to stop at, not the faulting one: CR2 is "
                    "compared for data #PFs only (the vector and EIP always).",
    "tss_mixed": "Unicorn saves the outgoing task in the format of the incoming TSS "
                 "(a 386 uses the outgoing TSS's own): the current and the new TSS of a "
                 "case are both 386 or both 286 TSSs.",
    "paging_alias": "Unicorn 2.0.1 was seen to write through a page mapped to another "
                    "frame into the linear address's own frame: the generated page "
                    "tables map pages to themselves and vary the P/W/U bits only "
                    "(translation to other frames is test_cpu_modes' "
                    "test_paging_translation).",
    "fault_after_switch": "A fault raised after a task switch's commit point (an "
                          "invalid segment in the new TSS) is the new task's on a "
                          "386 (its CS:EIP, its registers); Unicorn reports it at the "
                          "switching instruction with a partly loaded state. For such "
                          "faults (and any exception of a case with task switches, "
                          "which may come from the switch back) only the vector and "
                          "the TR are compared (test_cpu_tasks checks the 386's state).",
    "code_limit": "Unicorn checks the new EIP against the CS limit on far JMP/CALL but "
                  "not on RETF/IRET: generated code segments reach past the code "
                  "(limit checks on transfers are test_cpu_system's).",
    "null_fs_gs": "On a return to an outer ring a null selector with a non-zero RPL "
                  "becomes 0 (the manual: not valid for the outer level); Unicorn does "
                  "so for DS and ES but keeps FS and GS: null FS/GS selectors are "
                  "generated with RPL 0.",
    "tss_286": "Switches to and from 286 TSSs are not generated: Unicorn's 16-bit TSS "
               "loads disagree with the 386 in the segment registers (test_cpu_tasks "
               "covers 286 TSSs).",
    "pushfd_v86": "PUSHFD in V86 mode (IOPL 3) stores VM as 0 on a 386 (the manual: VM "
                  "and RF are not copied); Unicorn stores it as 1: not generated.",
    "pf_flags": "At a #PF on the write of a read-modify-write instruction Unicorn's "
                "arithmetic flags may already hold the instruction's result (a 386 "
                "leaves them as before the instruction): not compared after a #PF.",
    "cmps_order": "CMPS reads DS:ESI then ES:EDI on a 386 (the manual's order); Unicorn "
                  "reads ES:EDI first, so a #PF names the other address: string "
                  "instructions are not generated where pages may be missing.",
    "gate_target": "A call gate to a conforming code segment keeps the CPL on a 386 "
                   "(Unicorn gives the CPL the segment's DPL), and a JMP through a gate "
                   "to a code segment not present is #NP on a 386 (#GP under Unicorn): "
                   "gates are generated with present, non-conforming targets only.",
    "accessed_bit": "Code and data descriptors are generated with the accessed bit "
                    "already set: a 386 sets it on every load into a segment register, "
                    "Unicorn not for CS and SS loaded by far transfers and IRET.",
    "push_sreg_32": "As in CONSTRAINTS: segment registers are pushed only with a 16-bit "
                    "operand.",
}
