/*
** cpu_difftest.c — runs a batch of differential test cases through cpu386, one process
** for thousands of cases (harness/test_cpu_diff.py compares the output with Unicorn).
**
** Input, one case per line (MODE decimal, the other numbers hex without 0x):
**   MODE FLAGS MEMSEED EAX ECX EDX EBX ESP EBP ESI EDI EFLAGS CODE
** MODE is 16 (real mode, all segments 0) or 32 (flat protected mode, ring 0); FLAGS bit
** 0 asks for a memory dump; CODE is the code bytes, loaded at 0x1000 and ending with
** HLT. MODE 0 is a system case (harness/cpudiff/sysgen.py): it starts in real mode
** like 16, its code sets up protected mode, paging, rings, tasks or V86 itself, and
** the line goes on with DONE (hex: the linear address where the case ends, a
** breakpoint here and Unicorn's stop address there) and patches ADDR:HEXBYTES
** written after the fill (descriptor tables, TSSs, page tables). Memory: DIFF_MEM_BYTES of RAM, zero except two pages (data, stack), each a
** 256-byte pattern from splitmix64(MEMSEED) repeated (the harness does the same; a
** short pattern keeps the Python side fast).
** Output, one line per case:
**   STOP VECTOR EAX ECX EDX EBX ESP EBP ESI EDI EIP EFLAGS CRC32(memory) INSNS
** where EIP is that of the HLT when STOP is "hlt"; a system case appends
**   CS SS DS ES FS GS CR0 CR2 CR3 TR
** (STOP "hlt" then means DONE was reached). Exceptions stop the run (intercepted):
** STOP "exception" with VECTOR. With a dump, a second line "MEM " and the memory in
** hex follows.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu386.h"

#define DIFF_MEM_BYTES   0x10000u   /* compared memory: [0, 64 KiB) */
#define DIFF_RAM_BYTES   0x20000u   /* the flat GDT lives above the compared part */
#define DIFF_CODE        0x1000u
#define DIFF_CODE_MAX    0x1000u
#define DIFF_FILL_A      0x2000u    /* data page */
#define DIFF_FILL_B      0x8000u    /* stack page */
#define DIFF_GDT         0x10000u
#define DIFF_LINE_MAX    (2 * DIFF_CODE_MAX + 512)
#define DIFF_BUDGET      200000u    /* clocks: far more than any generated sequence */
#define DIFF_PATCH_BYTES 0x4000u    /* all patch bytes of one system case */

typedef struct diff_case {
    unsigned mode, flags;
    uint64_t memseed;
    uint32_t r[8], eflags;
    uint8_t  code[DIFF_CODE_MAX];
    uint32_t code_len;
    uint32_t done;                       /* system case: where it ends */
    uint8_t  patch[DIFF_PATCH_BYTES];    /* system case: bytes to write ... */
    uint32_t patch_at[DIFF_PATCH_BYTES]; /* ... and where (one address per byte) */
    uint32_t patch_len;
} diff_case;

static uint64_t diff_splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void diff_fill(uint8_t *page, uint64_t *seed) {
    for (uint32_t i = 0; i < 256; i += 8) {
        uint64_t v = diff_splitmix(seed);
        for (int b = 0; b < 8; b++) page[i + b] = (uint8_t)(v >> (8 * b));
    }
    for (uint32_t i = 256; i < 4096; i++) page[i] = page[i & 255];
}

/* CRC-32 (IEEE, as Python's zlib.crc32), table-driven. */
static void diff_crc_init(uint32_t table[256]) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        table[i] = c;
    }
}

static uint32_t diff_crc32(const uint32_t table[256], const uint8_t *p, uint32_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static int diff_hexval(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* n hex digits to n / 2 bytes; -1 on a bad digit. */
static int diff_hexbytes(const char *tok, size_t n, uint8_t *out) {
    for (size_t i = 0; i < n / 2; i++) {
        int hi = diff_hexval(tok[2 * i]), lo = diff_hexval(tok[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* A system case's DONE and ADDR:HEX patches (inside the compared memory). */
static int diff_parse_sys(diff_case *dc, char **save) {
    char *tok = strtok_r(NULL, " \t\r\n", save), *end;
    if (!tok) return -1;
    dc->done = (uint32_t)strtoul(tok, &end, 16);
    if (*end || dc->done >= DIFF_MEM_BYTES) return -1;
    while ((tok = strtok_r(NULL, " \t\r\n", save)) != NULL) {
        uint32_t at = (uint32_t)strtoul(tok, &end, 16);
        size_t n;
        uint8_t buf[256];
        if (*end != ':') return -1;
        n = strlen(end + 1);
        if (n % 2 || n / 2 > sizeof buf || at + n / 2 > DIFF_MEM_BYTES) return -1;
        if (dc->patch_len + n / 2 > DIFF_PATCH_BYTES) return -1;
        if (diff_hexbytes(end + 1, n, buf)) return -1;
        for (size_t i = 0; i < n / 2; i++) {
            dc->patch_at[dc->patch_len] = at + (uint32_t)i;
            dc->patch[dc->patch_len++] = buf[i];
        }
    }
    return 0;
}

/* Parses one input line; returns 0 or -1. */
static int diff_parse(char *line, diff_case *dc) {
    char *save = NULL, *tok;
    uint64_t v[12];
    for (int i = 0; i < 12; i++) {
        tok = strtok_r(i ? NULL : line, " \t\r\n", &save);
        if (!tok) return -1;
        char *end;
        v[i] = strtoull(tok, &end, i == 0 ? 10 : 16);
        if (*end) return -1;
    }
    dc->mode = (unsigned)v[0];
    dc->flags = (unsigned)v[1];
    dc->memseed = v[2];
    for (int i = 0; i < 8; i++) dc->r[i] = (uint32_t)v[3 + i];
    dc->eflags = (uint32_t)v[11];
    tok = strtok_r(NULL, " \t\r\n", &save);
    if (!tok) return -1;
    size_t n = strlen(tok);
    if (n % 2 || n / 2 > DIFF_CODE_MAX || (dc->mode != 0 && dc->mode != 16 && dc->mode != 32))
        return -1;
    if (diff_hexbytes(tok, n, dc->code)) return -1;
    dc->code_len = (uint32_t)(n / 2);
    dc->patch_len = 0;
    dc->done = 0;
    if (dc->mode != 0) return 0;
    return diff_parse_sys(dc, &save);
}

static void diff_setup(cpu_state *c, uint8_t *ram, const diff_case *dc) {
    memset(ram, 0, DIFF_RAM_BYTES);
    uint64_t seed = dc->memseed;
    diff_fill(ram + DIFF_FILL_A, &seed);
    diff_fill(ram + DIFF_FILL_B, &seed);
    memcpy(ram + DIFF_CODE, dc->code, dc->code_len);
    for (uint32_t i = 0; i < dc->patch_len; i++) ram[dc->patch_at[i]] = dc->patch[i];
    cpu_invalidate(c, 0, DIFF_RAM_BYTES);
    cpu_reset(c);
    cpu_regs r;
    if (dc->mode == 32) {
        int rc = cpu_enter_flat32(c, DIFF_CODE, dc->r[CPU_ESP], DIFF_GDT);
        assert(rc == CPU_OK);
        (void)rc;
        cpu_get_regs(c, &r);
    } else {
        cpu_get_regs(c, &r);
        for (int s = 0; s < 6; s++) { r.seg[s].sel = 0; r.seg[s].base = 0; r.seg[s].limit = 0xFFFF; }
        r.eip = DIFF_CODE;
    }
    for (int i = 0; i < 8; i++) r.r[i] = dc->r[i];
    r.eflags = dc->eflags;
    cpu_set_regs(c, &r);
    cpu_get_config(c)->exc_intercept = 0xFFFFFFFFu;
    cpu_breakpoint_clear(c);
    if (dc->mode == 0) {
        int rc = cpu_breakpoint_add(c, dc->done);
        assert(rc == CPU_OK);
        (void)rc;
    }
}

static void diff_run(cpu_state *c, uint8_t *ram, const uint32_t crc_table[256],
                     const diff_case *dc) {
    diff_setup(c, ram, dc);
    uint64_t insns0 = cpu_instructions(c);
    cpu_stop_info info;
    memset(&info, 0, sizeof info);
    int stop = cpu_run(c, DIFF_BUDGET, &info);
    cpu_regs r;
    cpu_get_regs(c, &r);
    uint32_t eip = r.eip - (stop == CPU_STOP_HLT ? 1u : 0u);
    int done = stop == CPU_STOP_HLT || (dc->mode == 0 && stop == CPU_STOP_BREAKPOINT);
    if (dc->mode == 0) eip = r.eip;   /* at DONE, or at the fault */
    printf("%s %x", done ? "hlt" : cpu_stop_name(stop), info.vector);
    for (int i = 0; i < 8; i++) printf(" %x", r.r[i]);
    printf(" %x %x %x %" PRIx64, eip, r.eflags, diff_crc32(crc_table, ram, DIFF_MEM_BYTES),
           cpu_instructions(c) - insns0);
    if (dc->mode == 0) {
        static const int order[6] = { CPU_CS, CPU_SS, CPU_DS, CPU_ES, CPU_FS, CPU_GS };
        for (int k = 0; k < 6; k++) printf(" %x", r.seg[order[k]].sel);
        printf(" %x %x %x %x", r.cr0, r.cr2, r.cr3, r.tr.sel);
    }
    fputc('\n', stdout);
    if (dc->flags & 1) {
        fputs("MEM ", stdout);
        for (uint32_t i = 0; i < DIFF_MEM_BYTES; i++) printf("%02x", ram[i]);
        fputc('\n', stdout);
    }
}

int main(void) {
    uint8_t *ram = calloc(1, DIFF_RAM_BYTES);
    static char line[DIFF_LINE_MAX];
    diff_case *dc = malloc(sizeof *dc);
    if (!ram || !dc) { fprintf(stderr, "cpu_difftest: out of memory\n"); return 4; }
    cpu_bus bus = { .ram = ram, .ram_size = DIFF_RAM_BYTES };
    cpu_state *c = cpu_new(&bus);
    if (!c) { fprintf(stderr, "cpu_difftest: cpu_new failed\n"); return 4; }
    static uint32_t crc_table[256];
    diff_crc_init(crc_table);
    unsigned long lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (diff_parse(line, dc)) {
            fprintf(stderr, "cpu_difftest: bad case on line %lu\n", lineno);
            rc = 2;
            break;
        }
        diff_run(c, ram, crc_table, dc);
    }
    fflush(stdout);
    cpu_free(c);
    free(dc);
    free(ram);
    return rc;
}
