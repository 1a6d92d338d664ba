/*
** bare.c — a raw i386 image on the bare interpreter (`vmmsim bare`, xpl_bare_run), with no VMM,
** so that external CPU test ROMs (test386.asm and the like) run unchanged.
**
** The machine: RAM from 0, a ROM image mapped to end at 0xFFFFFFFF and mirrored to
** end at 0xFFFFF (as a PC BIOS is), the 386 reset state (CS:EIP = F000:FFF0) or 32-bit
** flat protected mode (--entry flat32:ADDR). Two diagnostic ports: bytes written to
** 0xE9 go to stdout, values written to 0x190 go to stderr as "POST xx" (test386.asm's
** default POST port). The PC's A20 gate (port 92h and the 8042 path, cpu386/a20.h)
** drives the CPU's A20 line; it starts enabled. Every exception is delivered by the CPU as a 386 delivers it;
** an exception with nowhere to go shows up as a triple fault (protected mode) or as a
** jump through an empty real-mode vector to 0000:0000, which we stop and report.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu386/a20.h"
#include "cpu386/cpu386.h"
#include "explore.h"

typedef struct bare_machine {
    uint8_t   *ram;
    uint8_t   *rom;
    uint32_t   rom_size;
    cpu_bus    bus;
    cpu_state *cpu;
    cpu_a20gate a20;
    int        post_seen;        /* a value was written to the POST port */
    uint32_t   post_last;
} bare_machine;

/* Reads a whole file of at most max bytes; NULL with a message on error. */
static uint8_t *bare_read_file(const char *path, uint32_t max, uint32_t *size) {
    assert(path && size && max > 0);
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
    bare_machine *m = ctx;
    uint32_t v;
    assert(m && size_bytes >= 1 && size_bytes <= 4);
    if (size_bytes == 1 && cpu_a20gate_in(&m->a20, port, &v)) return v;
    return size_bytes >= 4 ? 0xFFFFFFFFu : (1u << (8 * size_bytes)) - 1;
}

static void bare_io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
    bare_machine *m = ctx;
    assert(m && size_bytes >= 1 && size_bytes <= 4);
    if (size_bytes == 1 && cpu_a20gate_out(&m->a20, m->cpu, port, value)) return;
    if (port == XPL_BARE_PORT_CONSOLE) {
        putchar((int)(value & 0xFF));
    } else if (port == XPL_BARE_PORT_POST) {
        m->post_seen = 1;
        m->post_last = value;
        fflush(stdout);
        fprintf(stderr, "POST %0*" PRIX32 "\n", (int)(2 * size_bytes), value);
    }
}

static void bare_free(bare_machine *m) {
    assert(m);
    cpu_free(m->cpu);
    free(m->ram);
    free(m->rom);
}

/* Builds the machine; on error prints why and returns the exit code. */
static int bare_setup(const xpl_bare_opts *o, bare_machine *m) {
    assert(o && m && o->rom_path && o->nloads <= XPL_BARE_LOADS_MAX);
    memset(m, 0, sizeof *m);
    m->rom = bare_read_file(o->rom_path, XPL_BARE_ROM_BYTES_MAX, &m->rom_size);
    if (!m->rom) return XPL_EXIT_USAGE;
    uint32_t ram_size = o->memory_kb * 1024u;
    m->ram = calloc(1, ram_size);
    if (!m->ram) { fprintf(stderr, "vmmsim bare: out of memory\n"); return XPL_EXIT_HOST; }
    m->bus = (cpu_bus){ .ram = m->ram, .ram_size = ram_size, .rom = m->rom,
                        .rom_size = m->rom_size, .io_ctx = m,
                        .io_in = bare_io_in, .io_out = bare_io_out };
    m->cpu = cpu_new(&m->bus);
    if (!m->cpu) { fprintf(stderr, "vmmsim bare: out of memory\n"); return XPL_EXIT_HOST; }
    for (unsigned i = 0; i < o->nloads; i++) {
        const xpl_bare_load *l = &o->loads[i];
        uint32_t size;
        uint8_t *img = bare_read_file(l->path, ram_size, &size);
        if (!img) return XPL_EXIT_USAGE;
        int rc = (uint64_t)l->addr + size > ram_size ? CPU_ERANGE
                                                     : cpu_phys_write(m->cpu, l->addr, img, size);
        free(img);
        if (rc != CPU_OK) {
            fprintf(stderr, "vmmsim bare: '%s' (%" PRIu32 " bytes) at 0x%08" PRIX32
                    " does not fit in %" PRIu32 " KiB of RAM\n", l->path, size, l->addr, o->memory_kb);
            return XPL_EXIT_USAGE;
        }
    }
    cpu_reset(m->cpu);
    cpu_a20gate_init(&m->a20, m->cpu);
    if (o->flat32) {
        /* the stack starts at the top of RAM, below the ROM's low mirror */
        uint32_t mirror = 0x100000u - (m->rom_size <= 0x100000u ? m->rom_size : 0x100000u);
        uint32_t esp = (ram_size < mirror ? ram_size : mirror) & ~15u;
        int rc = cpu_enter_flat32(m->cpu, o->entry, esp, XPL_BARE_FLAT_GDT);
        if (rc != CPU_OK) {
            fprintf(stderr, "vmmsim bare: cannot enter flat32 mode: %s\n", cpu_strerror(rc));
            return XPL_EXIT_USAGE;
        }
    }
    return XPL_EXIT_OK;
}

static void bare_where(bare_machine *m, FILE *out) {
    assert(m && m->cpu && out);
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
    assert(m && m->cpu);
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
    assert(m && m->cpu && cycles_max > 0);
    /* Linear 0 holds the real-mode vector table: nothing legitimate executes there. */
    if (cpu_breakpoint_add(m->cpu, 0) != CPU_OK) return XPL_EXIT_HOST;
    cpu_stop_info info;
    int stop = cpu_run(m->cpu, cycles_max, &info);
    fflush(stdout);
    switch (stop) {
    case CPU_STOP_HLT:
        if (!(cpu_get_eflags(m->cpu) & CPU_IF)) return XPL_EXIT_OK;
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
    return XPL_EXIT_SIM;
}

/* Builds the machine o describes, runs it and reports how it stopped. */
int xpl_bare_run(const xpl_bare_opts *o) {
    assert(o && o->rom_path && o->cycles_max > 0);
    bare_machine m;
    int rc = bare_setup(o, &m);
    if (rc == XPL_EXIT_OK) rc = bare_run(&m, o->cycles_max);
    if (rc == XPL_EXIT_OK && o->expect_post && (!m.post_seen || m.post_last != o->post_want)) {
        if (m.post_seen)
            fprintf(stderr, "vmmsim bare: last POST value %" PRIX32 ", expected %" PRIX32 "\n",
                    m.post_last, o->post_want);
        else
            fprintf(stderr, "vmmsim bare: no POST value written, expected %" PRIX32 "\n",
                    o->post_want);
        rc = XPL_EXIT_FINDING;
    }
    bare_free(&m);
    return rc;
}
