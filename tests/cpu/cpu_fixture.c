/*
** cpu_fixture.c — the test machine (cpu_fixture.h). nasm runs at test time on a
** private temporary directory; its map file gives the snippet's labels.
*/
#include "cpu_fixture.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TC_NASM
#error "TC_NASM (path of nasm) must be defined by the build"
#endif

static uint32_t tc_io_in(void *ctx, uint16_t port, unsigned size_bytes) {
    tc_machine *m = ctx;
    if (m->io_count < TC_IO_LOG_MAX)
        m->io_log[m->io_count++] = (tc_io){ port, (uint8_t)size_bytes, 0, 0 };
    uint32_t mask = size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1;
    return m->io_in_value & mask;
}

static void tc_io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
    tc_machine *m = ctx;
    if (m->io_count < TC_IO_LOG_MAX)
        m->io_log[m->io_count++] = (tc_io){ port, (uint8_t)size_bytes, 1, value };
    if (m->stop_port && port == m->stop_port)
        cpu_request_stop(m->cpu);
}

tc_machine *tc_new(uint32_t ram_kb) {
    tc_machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    m->ram_size = ram_kb * 1024u;
    ck_assert_uint_eq(m->ram_size % 4096u, 0);
    m->ram = calloc(1, m->ram_size);
    ck_assert_ptr_nonnull(m->ram);
    m->bus = (cpu_bus){ .ram = m->ram, .ram_size = m->ram_size, .io_ctx = m,
                        .io_in = tc_io_in, .io_out = tc_io_out };
    m->cpu = cpu_new(&m->bus);
    ck_assert_ptr_nonnull(m->cpu);
    return m;
}

void tc_free(tc_machine *m) {
    if (!m) return;
    cpu_free(m->cpu);
    free(m->ram);
    free(m);
}

static void tc_slurp(const char *path, char *buf, size_t cap) {
    assert(cap > 0);
    buf[0] = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* nasm's map file, "-- Symbols --" part: lines "REAL  VIRTUAL  NAME" in hex. */
static void tc_parse_map(tc_machine *m, const char *path) {
    m->nsyms = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[256];
    int in_syms = 0;
    while (fgets(line, sizeof line, f) && m->nsyms < TC_SYMS_MAX) {
        if (strstr(line, "-- Symbols")) { in_syms = 1; continue; }
        if (!in_syms) continue;
        char real[32], virt[32], name[64];
        if (sscanf(line, "%31s %31s %63s", real, virt, name) != 3) continue;
        char *end;
        unsigned long v = strtoul(virt, &end, 16);
        if (*end || strlen(name) >= sizeof m->syms[0].name) continue;
        tc_sym_entry *s = &m->syms[m->nsyms++];
        memcpy(s->name, name, strlen(name) + 1);    /* length checked above */
        s->addr = (uint32_t)v;
    }
    fclose(f);
}

uint32_t tc_asm(tc_machine *m, unsigned bits, uint32_t org, const char *src,
                uint8_t *out, uint32_t cap) {
    assert(bits == 16 || bits == 32);
    char dir[] = "/tmp/vmmsim-tc-XXXXXX";
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp failed");
    char asm_path[64], bin_path[64], map_path[64], err_path[64], cmd[512];
    snprintf(asm_path, sizeof asm_path, "%s/in.asm", dir);
    snprintf(bin_path, sizeof bin_path, "%s/out.bin", dir);
    snprintf(map_path, sizeof map_path, "%s/out.map", dir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", dir);
    FILE *f = fopen(asm_path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "bits %u\norg 0x%x\n[map symbols %s]\n%s\n", bits, org, map_path, src);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' -f bin -o %s %s >%s 2>&1", TC_NASM, bin_path,
             asm_path, err_path);
    int rc = system(cmd);
    char msg[2048];
    tc_slurp(err_path, msg, sizeof msg);
    uint32_t n = 0;
    if (rc == 0) {
        f = fopen(bin_path, "rb");
        if (f) { n = (uint32_t)fread(out, 1, cap, f); fclose(f); }
        tc_parse_map(m, map_path);
    }
    unlink(asm_path); unlink(bin_path); unlink(map_path); unlink(err_path);
    rmdir(dir);
    ck_assert_msg(rc == 0, "nasm failed on snippet:\n%s\n%s", src, msg);
    ck_assert_msg(n < cap, "snippet larger than %u bytes", cap);
    return n;
}

void tc_load(tc_machine *m, unsigned bits, uint32_t addr, const char *src) {
    static_assert(TC_CODE_MAX <= 65536, "snippet buffer lives on the stack");
    uint8_t buf[TC_CODE_MAX];
    uint32_t n = tc_asm(m, bits, addr, src, buf, sizeof buf);
    ck_assert_int_eq(cpu_phys_write(m->cpu, addr, buf, n), CPU_OK);
    m->code_len = n;
}

void tc_flat(tc_machine *m, const char *src) {
    ck_assert_int_eq(cpu_enter_flat32(m->cpu, TC_CODE, TC_STACK_TOP, TC_GDT), CPU_OK);
    tc_load(m, 32, TC_CODE, src);
    cpu_get_config(m->cpu)->exc_intercept = TC_ALL_EXC;
}

/* Real mode: CS = DS = ES = SS = 0 (bases 0), so IP = linear address = TC_REAL_CODE. */
void tc_real(tc_machine *m, const char *src) {
    cpu_reset(m->cpu);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    for (int s = 0; s < 6; s++) { r.seg[s].sel = 0; r.seg[s].base = 0; r.seg[s].limit = 0xFFFF; }
    r.eip = TC_REAL_CODE;
    r.r[CPU_ESP] = 0xFFFE;
    cpu_set_regs(m->cpu, &r);
    tc_load(m, 16, TC_REAL_CODE, src);
    cpu_get_config(m->cpu)->exc_intercept = TC_ALL_EXC;
}

uint32_t tc_sym(tc_machine *m, const char *name) {
    for (unsigned i = 0; i < m->nsyms; i++)
        if (!strcmp(m->syms[i].name, name)) return m->syms[i].addr;
    ck_abort_msg("snippet has no label '%s'", name);
    return 0;
}

int tc_run(tc_machine *m, uint64_t budget_cycles) {
    memset(&m->info, 0, sizeof m->info);
    return cpu_run(m->cpu, budget_cycles, &m->info);
}

void tc_run_expect(tc_machine *m, int want) {
    int got = tc_run(m, 10000000);
    ck_assert_msg(got == want,
                  "stop %s (vector %u, error 0x%x, eip 0x%x, fault_eip 0x%x%s%s), expected %s",
                  cpu_stop_name(got), m->info.vector, m->info.error_code,
                  cpu_get_eip(m->cpu), m->info.fault_eip,
                  m->info.message ? ": " : "", m->info.message ? m->info.message : "",
                  cpu_stop_name(want));
}

uint32_t tc_reg(tc_machine *m, int reg) { return cpu_get_reg(m->cpu, reg); }
uint32_t tc_flags(tc_machine *m) { return cpu_get_eflags(m->cpu); }

static void tc_read(tc_machine *m, uint32_t phys, void *dst, uint32_t n) {
    ck_assert_int_eq(cpu_phys_read(m->cpu, phys, dst, n), CPU_OK);
}
uint32_t tc_rd32(tc_machine *m, uint32_t phys) {
    uint8_t b[4]; tc_read(m, phys, b, 4);
    return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}
uint16_t tc_rd16(tc_machine *m, uint32_t phys) {
    uint8_t b[2]; tc_read(m, phys, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}
uint8_t tc_rd8(tc_machine *m, uint32_t phys) {
    uint8_t b; tc_read(m, phys, &b, 1);
    return b;
}
void tc_wr32(tc_machine *m, uint32_t phys, uint32_t v) {
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    ck_assert_int_eq(cpu_phys_write(m->cpu, phys, b, 4), CPU_OK);
}

uint64_t tc_clocks_between(tc_machine *m, const char *from, const char *to) {
    cpu_breakpoint_clear(m->cpu);
    /* A run resumes past a breakpoint at its first EIP, so `from` at the current EIP
    ** needs no run to reach it. */
    if (cpu_get_eip(m->cpu) != tc_sym(m, from)) {
        ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, from)), CPU_OK);
        tc_run_expect(m, CPU_STOP_BREAKPOINT);
        tc_eq(cpu_get_eip(m->cpu), tc_sym(m, from));
    }
    uint64_t c0 = cpu_cycles(m->cpu);
    cpu_breakpoint_clear(m->cpu);
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, to)), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, to));
    cpu_breakpoint_clear(m->cpu);
    return cpu_cycles(m->cpu) - c0;
}

int tc_main(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void tc_check_case(const tc_case *c) {
    tc_machine *m = tc_new(1024);
    if (c->bits == 16) tc_real(m, c->src); else tc_flat(m, c->src);
    int got = tc_run(m, 1000000);
    ck_assert_msg(got == CPU_STOP_HLT, "%s: stop %s (vector %u, fault_eip 0x%x), expected HLT",
                  c->name, cpu_stop_name(got), m->info.vector, m->info.fault_eip);
    if (c->reg1 >= 0) {
        uint32_t v = tc_reg(m, c->reg1);
        ck_assert_msg(v == c->want1, "%s: reg %d = 0x%08x, expected 0x%08x",
                      c->name, c->reg1, v, c->want1);
    }
    if (c->reg2 >= 0) {
        uint32_t v = tc_reg(m, c->reg2);
        ck_assert_msg(v == c->want2, "%s: reg %d = 0x%08x, expected 0x%08x",
                      c->name, c->reg2, v, c->want2);
    }
    uint32_t f = tc_flags(m) & c->fmask;
    ck_assert_msg(f == (c->fwant & c->fmask), "%s: flags & 0x%x = 0x%03x, expected 0x%03x",
                  c->name, c->fmask, f, c->fwant & c->fmask);
    tc_free(m);
}
