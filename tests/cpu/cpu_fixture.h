/*
** cpu_fixture.h — a small machine for the cpu386 Check suites: RAM on a bus, an I/O
** log, and snippets assembled by nasm at test time so that tests read as assembly.
**
** A snippet is NASM source. tc_flat() assembles it at TC_CODE, enters 32-bit flat
** protected mode (cpu_enter_flat32) and leaves the CPU ready to run; tc_real() does the
** same in real mode with CS = DS = ES = SS = 0. Labels of the last snippet are looked
** up with tc_sym() (from nasm's map file), so a test can name the instruction it checks.
*/
#ifndef VMMSIM_TEST_CPU_FIXTURE_H
#define VMMSIM_TEST_CPU_FIXTURE_H

#include <check.h>
#include <stdint.h>

#include "cpu386/cpu386.h"

#define TC_CODE      0x10000u   /* snippets are assembled and loaded here */
#define TC_DATA      0x20000u   /* a scratch data area tests may use */
#define TC_STACK_TOP 0x80000u   /* initial ESP (flat) */
#define TC_GDT       0x00800u   /* cpu_enter_flat32's GDT */
#define TC_REAL_CODE 0x01000u   /* real-mode snippets: CS = DS = ES = SS = 0, SP = 0xFFFE */
#define TC_IO_LOG_MAX 64
#define TC_SYMS_MAX   64
#define TC_CODE_MAX   65536

typedef struct tc_io {
    uint16_t port;
    uint8_t  size_bytes;
    uint8_t  is_out;
    uint32_t value;
} tc_io;

typedef struct tc_sym_entry { char name[48]; uint32_t addr; } tc_sym_entry;

typedef struct tc_machine {
    uint8_t    *ram;
    uint32_t    ram_size;
    cpu_bus     bus;
    cpu_state  *cpu;
    tc_io       io_log[TC_IO_LOG_MAX];
    unsigned    io_count;
    uint32_t    io_in_value;        /* what every IN returns (masked to its size) */
    uint16_t    stop_port;          /* an OUT to this port calls cpu_request_stop */
    tc_sym_entry syms[TC_SYMS_MAX];
    unsigned    nsyms;
    uint32_t    code_len;
    cpu_stop_info info;
} tc_machine;

tc_machine *tc_new(uint32_t ram_kb);
void        tc_free(tc_machine *m);

/* Assembles `src` (a "bits N / org ADDR" header is prepended) into out; returns the
** length. Aborts the test with nasm's message on an assembly error. */
uint32_t tc_asm(tc_machine *m, unsigned bits, uint32_t org, const char *src,
                uint8_t *out, uint32_t cap);
/* Assembles and writes the snippet to physical `addr`. */
void     tc_load(tc_machine *m, unsigned bits, uint32_t addr, const char *src);
void     tc_flat(tc_machine *m, const char *src);   /* 32-bit flat, ring 0 */
void     tc_real(tc_machine *m, const char *src);   /* real mode, CS:IP = 0:TC_REAL_CODE */
uint32_t tc_sym(tc_machine *m, const char *name);   /* aborts when unknown */

int      tc_run(tc_machine *m, uint64_t budget_cycles);   /* fills m->info */
/* Runs and requires stop reason `want` (with a diagnostic naming both on failure). */
void     tc_run_expect(tc_machine *m, int want);

uint32_t tc_reg(tc_machine *m, int reg);
uint32_t tc_flags(tc_machine *m);
uint32_t tc_rd32(tc_machine *m, uint32_t phys);
uint16_t tc_rd16(tc_machine *m, uint32_t phys);
uint8_t  tc_rd8(tc_machine *m, uint32_t phys);
void     tc_wr32(tc_machine *m, uint32_t phys, uint32_t v);

/* Clocks charged to the instruction(s) between labels `from` and `to`: runs to a
** breakpoint at `from`, then to one at `to`, and returns the cycle difference. */
uint64_t tc_clocks_between(tc_machine *m, const char *from, const char *to);

#define TC_ALL_EXC 0xFFFFFFFFu

/* Runs a suite (CK_NORMAL output); the process exit status for ctest. */
int tc_main(Suite *s);

/* A table-driven case: run `src` (flat 32-bit unless bits == 16) to HLT, then check
** up to two registers and the flags in fmask. reg < 0 means "no check". */
typedef struct tc_case {
    const char *name;
    const char *src;
    int         reg1; uint32_t want1;
    int         reg2; uint32_t want2;
    uint32_t    fmask, fwant;
    unsigned    bits;
} tc_case;
void tc_check_case(const tc_case *c);

/* Equality with hex diagnostics. */
#define tc_eq(got, want) do {                                                         \
    uint32_t tc_g_ = (uint32_t)(got), tc_w_ = (uint32_t)(want);                       \
    ck_assert_msg(tc_g_ == tc_w_, "%s = 0x%08x, expected 0x%08x", #got, tc_g_, tc_w_); \
} while (0)
/* The flags in `mask` equal `want` (other bits ignored). */
#define tc_flags_eq(m, mask, want) do {                                               \
    uint32_t tc_f_ = tc_flags(m) & (mask);                                            \
    ck_assert_msg(tc_f_ == ((want) & (mask)), "flags & 0x%x = 0x%03x, expected 0x%03x", \
                  (unsigned)(mask), tc_f_, (unsigned)((want) & (mask)));              \
} while (0)

#define TC_OSZAPC (CPU_OF | CPU_SF | CPU_ZF | CPU_AF | CPU_PF | CPU_CF)
#define TC_OSZPC  (CPU_OF | CPU_SF | CPU_ZF | CPU_PF | CPU_CF)
#define TC_SZPC   (CPU_SF | CPU_ZF | CPU_PF | CPU_CF)

#endif
