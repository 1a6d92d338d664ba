/*
** bare.c — `vmmsim bare`: runs a raw i386 image on the bare interpreter, with no VMM,
** so that external CPU test ROMs (test386.asm and the like) run unchanged.
**
** The machine: RAM from 0, a ROM image mapped to end at 0xFFFFFFFF and mirrored to
** end at 0xFFFFF (as a PC BIOS is), the 386 reset state (CS:EIP = F000:FFF0) or 32-bit
** flat protected mode (--entry flat32:ADDR). Two diagnostic ports: bytes written to
** 0xE9 go to stdout, values written to 0x190 go to stderr as "POST xx" (test386.asm's
** default POST port). Every exception is delivered by the CPU as a 386 delivers it;
** an exception with nowhere to go shows up as a triple fault (protected mode) or as a
** jump through an empty real-mode vector to 0000:0000, which we stop and report.
*/
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cpu386.h"

#define BARE_LOADS_MAX        16
#define BARE_ROM_BYTES_MAX    (256u * 1024u)
#define BARE_MEMORY_KB_MIN    64u
#define BARE_MEMORY_KB_MAX    (1024u * 1024u)
#define BARE_MEMORY_KB_DEF    1024u
#define BARE_CYCLES_DEF       10000000000ull   /* 10^10: ~5 min of a 33 MHz 386 */
#define BARE_PORT_CONSOLE     0xE9
#define BARE_PORT_POST        0x190
#define BARE_FLAT_GDT         0x800u

typedef struct bare_load { uint32_t addr; const char *path; } bare_load;

typedef struct bare_opts {
    const char *rom_path;
    bare_load   loads[BARE_LOADS_MAX];
    unsigned    nloads;
    int         flat32;
    uint32_t    entry;
    uint64_t    cycles_max;
    uint32_t    memory_kb;
} bare_opts;

typedef struct bare_machine {
    uint8_t   *ram;
    uint8_t   *rom;
    uint32_t   rom_size;
    cpu_bus    bus;
    cpu_state *cpu;
} bare_machine;

static void bare_usage(FILE *out) {
    fprintf(out,
        "usage: vmmsim bare --rom FILE [--load ADDR FILE]... [--entry flat32:ADDR]\n"
        "                   [--max-cycles N] [--memory-kb N]\n\n"
        "Runs a raw i386 image on vmmsim's interpreter with no VMM (CPU test ROMs).\n\n"
        "  --rom FILE          ROM image (at most 256 KiB), mapped to end at 0xFFFFFFFF\n"
        "                      and mirrored to end at 0xFFFFF; execution starts from the\n"
        "                      386 reset state, CS:EIP = F000:FFF0\n"
        "  --load ADDR FILE    copy FILE into RAM at physical ADDR (up to %d times)\n"
        "  --entry flat32:ADDR start in 32-bit flat protected mode at ADDR instead (ring 0,\n"
        "                      CS = 0x28, data 0x30, GDT at 0x%x, ESP = top of RAM\n"
        "                      below the ROM's mirror under 1 MiB)\n"
        "  --max-cycles N      stop with an error after N clocks (default %" PRIu64 ")\n"
        "  --memory-kb N       RAM size in KiB, a multiple of 4 (default %u)\n"
        "  --help              this text\n\n"
        "Port 0x%X: bytes written go to stdout. Port 0x%X: values written go to stderr\n"
        "as 'POST xx'. Exit status: 0 on HLT with IF clear; %d for bad usage or input;\n"
        "%d on an unhandled exception, triple fault, HLT with IF set, or the cycle\n"
        "limit (the reason is on stderr); %d on a host error.\n",
        BARE_LOADS_MAX, BARE_FLAT_GDT, (uint64_t)BARE_CYCLES_DEF, BARE_MEMORY_KB_DEF,
        BARE_PORT_CONSOLE, BARE_PORT_POST, CLI_EXIT_USAGE, CLI_EXIT_SIM, CLI_EXIT_HOST);
}

static int bare_bad(const char *what, const char *arg) {
    fprintf(stderr, "vmmsim bare: %s%s%s\n(see 'vmmsim bare --help')\n", what, arg ? " " : "",
            arg ? arg : "");
    return CLI_EXIT_USAGE;
}

static int bare_parse_u64(const char *s, uint64_t max, uint64_t *out) {
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

/* Returns CLI_EXIT_OK, CLI_EXIT_USAGE, or -1 for --help. */
static int bare_parse(int argc, char **argv, bare_opts *o) {
    *o = (bare_opts){ .cycles_max = BARE_CYCLES_DEF, .memory_kb = BARE_MEMORY_KB_DEF };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return -1;
        if (!strcmp(a, "--rom")) {
            if (!v) return bare_bad("--rom needs a file", NULL);
            o->rom_path = v; i++;
        } else if (!strcmp(a, "--load")) {
            if (i + 2 >= argc) return bare_bad("--load needs ADDR and FILE", NULL);
            if (o->nloads == BARE_LOADS_MAX) return bare_bad("too many --load options", NULL);
            if (bare_parse_u64(v, 0xFFFFFFFFu, &n)) return bare_bad("bad --load address", v);
            o->loads[o->nloads++] = (bare_load){ (uint32_t)n, argv[i + 2] };
            i += 2;
        } else if (!strcmp(a, "--entry")) {
            if (!v || strncmp(v, "flat32:", 7))
                return bare_bad("--entry expects flat32:ADDR, got", v ? v : "nothing");
            if (bare_parse_u64(v + 7, 0xFFFFFFFFu, &n)) return bare_bad("bad --entry address", v);
            o->flat32 = 1; o->entry = (uint32_t)n; i++;
        } else if (!strcmp(a, "--max-cycles")) {
            if (bare_parse_u64(v, UINT64_MAX, &n) || n == 0)
                return bare_bad("--max-cycles expects a positive number, got", v ? v : "nothing");
            o->cycles_max = n; i++;
        } else if (!strcmp(a, "--memory-kb")) {
            if (bare_parse_u64(v, BARE_MEMORY_KB_MAX, &n) || n < BARE_MEMORY_KB_MIN || n % 4)
                return bare_bad("--memory-kb expects a multiple of 4 in [64, 1048576], got",
                                v ? v : "nothing");
            o->memory_kb = (uint32_t)n; i++;
        } else {
            return bare_bad("unknown option", a);
        }
    }
    if (!o->rom_path) return bare_bad("--rom FILE is required", NULL);
    return CLI_EXIT_OK;
}

/* Reads a whole file of at most max bytes; NULL with a message on error. */
static uint8_t *bare_read_file(const char *path, uint32_t max, uint32_t *size) {
    struct stat st;
    if (!stat(path, &st) && !S_ISREG(st.st_mode)) {   /* a folder, /dev/zero: never a ROM */
        fprintf(stderr, "vmmsim bare: '%s': expected a regular file, found a %s\n", path,
                S_ISDIR(st.st_mode) ? "folder" : "device, FIFO or socket");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "vmmsim bare: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = malloc((size_t)max + 1);
    size_t n = buf ? fread(buf, 1, (size_t)max + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!buf || err || n == 0 || n > max) {
        fprintf(stderr, "vmmsim bare: '%s': %s\n", path,
                !buf ? "out of memory" : err ? "read error" : n == 0 ? "empty file"
                                                                      : "file too large");
        free(buf);
        return NULL;
    }
    *size = (uint32_t)n;
    return buf;
}

static uint32_t bare_io_in(void *ctx, uint16_t port, unsigned size_bytes) {
    (void)ctx; (void)port;
    return size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1;
}

static void bare_io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
    (void)ctx;
    if (port == BARE_PORT_CONSOLE) {
        putchar((int)(value & 0xFF));
    } else if (port == BARE_PORT_POST) {
        fflush(stdout);
        fprintf(stderr, "POST %0*" PRIX32 "\n", (int)(2 * size_bytes), value);
    }
}

static void bare_free(bare_machine *m) {
    cpu_free(m->cpu);
    free(m->ram);
    free(m->rom);
}

/* Builds the machine; on error prints why and returns the exit code. */
static int bare_setup(const bare_opts *o, bare_machine *m) {
    memset(m, 0, sizeof *m);
    m->rom = bare_read_file(o->rom_path, BARE_ROM_BYTES_MAX, &m->rom_size);
    if (!m->rom) return CLI_EXIT_USAGE;
    uint32_t ram_size = o->memory_kb * 1024u;
    m->ram = calloc(1, ram_size);
    if (!m->ram) { fprintf(stderr, "vmmsim bare: out of memory\n"); return CLI_EXIT_HOST; }
    m->bus = (cpu_bus){ .ram = m->ram, .ram_size = ram_size, .rom = m->rom,
                        .rom_size = m->rom_size, .io_ctx = m,
                        .io_in = bare_io_in, .io_out = bare_io_out };
    m->cpu = cpu_new(&m->bus);
    if (!m->cpu) { fprintf(stderr, "vmmsim bare: out of memory\n"); return CLI_EXIT_HOST; }
    for (unsigned i = 0; i < o->nloads; i++) {
        const bare_load *l = &o->loads[i];
        uint32_t size;
        uint8_t *img = bare_read_file(l->path, ram_size, &size);
        if (!img) return CLI_EXIT_USAGE;
        int rc = (uint64_t)l->addr + size > ram_size ? CPU_ERANGE
                                                     : cpu_phys_write(m->cpu, l->addr, img, size);
        free(img);
        if (rc != CPU_OK) {
            fprintf(stderr, "vmmsim bare: '%s' (%" PRIu32 " bytes) at 0x%08" PRIX32
                    " does not fit in %" PRIu32 " KiB of RAM\n", l->path, size, l->addr, o->memory_kb);
            return CLI_EXIT_USAGE;
        }
    }
    cpu_reset(m->cpu);
    if (o->flat32) {
        /* the stack starts at the top of RAM, below the ROM's low mirror */
        uint32_t mirror = 0x100000u - (m->rom_size <= 0x100000u ? m->rom_size : 0x100000u);
        uint32_t esp = (ram_size < mirror ? ram_size : mirror) & ~15u;
        int rc = cpu_enter_flat32(m->cpu, o->entry, esp, BARE_FLAT_GDT);
        if (rc != CPU_OK) {
            fprintf(stderr, "vmmsim bare: cannot enter flat32 mode: %s\n", cpu_strerror(rc));
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

static void bare_where(bare_machine *m, FILE *out) {
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    fprintf(out, "vmmsim bare: at CS:EIP %04X:%08" PRIX32 " (%s), EFLAGS %08" PRIX32
            ", after %" PRIu64 " cycles and %" PRIu64 " instructions\n",
            r.seg[CPU_CS].sel, r.eip,
            r.eflags & CPU_VM ? "V86" : r.cr0 & 1 ? "protected" : "real",
            r.eflags, cpu_cycles(m->cpu), cpu_instructions(m->cpu));
}

/* A real-mode exception or interrupt through an empty vector lands at 0000:0000; the
** interrupted CS:IP is on the stack. */
static void bare_report_empty_vector(bare_machine *m) {
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    uint8_t frame[4] = { 0 };
    uint32_t sp = r.seg[CPU_SS].base + (r.r[CPU_ESP] & 0xFFFF);
    int rc = cpu_lin_read(m->cpu, sp, frame, sizeof frame);
    fprintf(stderr, "vmmsim bare: unhandled exception or interrupt: execution reached "
            "0000:0000 through an empty interrupt vector");
    if (rc == CPU_OK)
        fprintf(stderr, " (interrupted at %04X:%04X)", frame[2] | frame[3] << 8,
                frame[0] | frame[1] << 8);
    fprintf(stderr, "\n");
}

static int bare_run(bare_machine *m, uint64_t cycles_max) {
    /* Linear 0 holds the real-mode vector table: nothing legitimate executes there. */
    if (cpu_breakpoint_add(m->cpu, 0) != CPU_OK) return CLI_EXIT_HOST;
    cpu_stop_info info;
    int stop = cpu_run(m->cpu, cycles_max, &info);
    fflush(stdout);
    switch (stop) {
    case CPU_STOP_HLT:
        if (!(cpu_get_eflags(m->cpu) & CPU_IF)) return CLI_EXIT_OK;
        fprintf(stderr, "vmmsim bare: HLT with interrupts enabled; nothing can wake the CPU\n");
        break;
    case CPU_STOP_BUDGET:
        fprintf(stderr, "vmmsim bare: cycle limit of %" PRIu64 " reached\n", cycles_max);
        break;
    case CPU_STOP_TRIPLE_FAULT:
        fprintf(stderr, "vmmsim bare: triple fault (an exception with no usable handler)%s%s\n",
                info.message ? ": " : "", info.message ? info.message : "");
        break;
    case CPU_STOP_BREAKPOINT:
        bare_report_empty_vector(m);
        break;
    case CPU_STOP_EXCEPTION:
        fprintf(stderr, "vmmsim bare: unhandled exception %u (error code 0x%" PRIX32 ")\n",
                info.vector, info.error_code);
        break;
    default:
        fprintf(stderr, "vmmsim bare: stopped: %s%s%s\n", cpu_stop_name(stop),
                info.message ? ": " : "", info.message ? info.message : "");
        break;
    }
    bare_where(m, stderr);
    return CLI_EXIT_SIM;
}

int cli_bare_main(int argc, char **argv) {
    bare_opts o;
    int rc = bare_parse(argc, argv, &o);
    if (rc < 0) { bare_usage(stdout); return CLI_EXIT_OK; }
    if (rc != CLI_EXIT_OK) return rc;
    bare_machine m;
    rc = bare_setup(&o, &m);
    if (rc == CLI_EXIT_OK) rc = bare_run(&m, o.cycles_max);
    bare_free(&m);
    return rc;
}
