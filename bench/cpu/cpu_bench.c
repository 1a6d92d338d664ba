/*
** cpu_bench.c — interpreter speed: MIPS of cpu386 on an ALU loop and a memory loop
** (cycle counting is always on in cpu386), next to the same loops under Unicorn (its
** C API, same flat image) and qemu-i386 (static ELFs of the same loop bodies), with the
** ratios. It measures and prints; it never asserts a time.
**
** Unicorn is loaded with dlopen(RTLD_DEEPBIND): its QEMU core has a global cpu_reset()
** of its own, which would otherwise bind to cpu386's cpu_reset() in this executable.
**
** usage: cpu_bench [--iters N] [--repeat K] [--json FILE] [--help]
*/
#define _GNU_SOURCE     /* RTLD_DEEPBIND */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "cpu386.h"

#ifdef BENCH_HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

extern char **environ;

#define BENCH_RAM        0x100000u
#define BENCH_ALU_ENTRY  0x1000u
#define BENCH_MEM_ENTRY  0x1100u
#define BENCH_BUF1       0x10000u
#define BENCH_BUF2       0x20000u
#define BENCH_STACK      0x80000u
#define BENCH_GDT        0x800u
#define BENCH_ALU_INSNS  9u       /* per iteration (loops.asm) */
#define BENCH_MEM_INSNS  8u
#define BENCH_REPEAT_MAX 20
#define BENCH_ENGINES    3

typedef struct bench_loop {
    const char *name;
    uint32_t    entry;
    unsigned    insns_per_iter;
    const char *elf;
} bench_loop;

typedef struct bench_result {
    double   seconds;       /* best of the repeats */
    double   mips;
    uint64_t instructions;
    uint64_t cycles;        /* simulated 386 clocks (cpu386 only) */
    int      ok;
    char     note[96];
} bench_result;

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *bench_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(65536);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    if (!buf || n == 0) { free(buf); return NULL; }
    *size = n;
    return buf;
}

/* cpu386: one CPU, the flat image, run to HLT. */
static void bench_vmmsim(const bench_loop *l, const uint8_t *img, size_t n, uint32_t iters,
                         bench_result *r) {
    uint8_t *ram = calloc(1, BENCH_RAM);
    cpu_bus bus = { .ram = ram, .ram_size = BENCH_RAM };
    cpu_state *c = ram ? cpu_new(&bus) : NULL;
    if (!c) { snprintf(r->note, sizeof r->note, "out of memory"); free(ram); return; }
    cpu_phys_write(c, BENCH_ALU_ENTRY, img, (uint32_t)n);
    cpu_enter_flat32(c, l->entry, BENCH_STACK, BENCH_GDT);
    cpu_set_reg(c, CPU_ECX, iters);
    cpu_set_reg(c, CPU_EDX, 0);
    cpu_set_reg(c, CPU_ESI, BENCH_BUF1);
    cpu_set_reg(c, CPU_EDI, BENCH_BUF2);
    uint64_t i0 = cpu_instructions(c), c0 = cpu_cycles(c);
    double t0 = bench_now();
    int stop = cpu_run(c, UINT64_MAX / 2, NULL);
    double t1 = bench_now();
    if (stop != CPU_STOP_HLT) {
        snprintf(r->note, sizeof r->note, "stopped: %s", cpu_stop_name(stop));
    } else {
        r->seconds = t1 - t0;
        r->instructions = cpu_instructions(c) - i0;
        r->cycles = cpu_cycles(c) - c0;
        r->ok = 1;
    }
    cpu_free(c);
    free(ram);
}

#ifdef BENCH_HAVE_UNICORN
typedef struct bench_uc {
    void *lib;
    uc_err (*open)(uc_arch, uc_mode, uc_engine **);
    uc_err (*close)(uc_engine *);
    uc_err (*mem_map)(uc_engine *, uint64_t, size_t, uint32_t);
    uc_err (*mem_write)(uc_engine *, uint64_t, const void *, size_t);
    uc_err (*mem_read)(uc_engine *, uint64_t, void *, size_t);
    uc_err (*reg_write)(uc_engine *, int, const void *);
    uc_err (*emu_start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
    const char *(*strerror)(uc_err);
} bench_uc;

static int bench_uc_load(bench_uc *u) {
    memset(u, 0, sizeof *u);
    u->lib = dlopen(BENCH_UNICORN_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!u->lib) return -1;
#define BENCH_SYM(f) (*(void **)&u->f = dlsym(u->lib, "uc_" #f)) == NULL
    if (BENCH_SYM(open) || BENCH_SYM(close) || BENCH_SYM(mem_map) || BENCH_SYM(mem_write) ||
        BENCH_SYM(mem_read) || BENCH_SYM(reg_write) || BENCH_SYM(emu_start) || BENCH_SYM(strerror))
        return -1;
#undef BENCH_SYM
    return 0;
}

static void bench_unicorn(const bench_loop *l, const uint8_t *img, size_t n, uint32_t iters,
                          bench_result *r) {
    bench_uc u;
    uc_engine *uc;
    if (bench_uc_load(&u) || u.open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK) {
        snprintf(r->note, sizeof r->note, "cannot load %s", BENCH_UNICORN_SONAME);
        if (u.lib) dlclose(u.lib);
        return;
    }
    u.mem_map(uc, 0, BENCH_RAM, UC_PROT_ALL);
    u.mem_write(uc, BENCH_ALU_ENTRY, img, n);
    int regs[] = { UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_ESI, UC_X86_REG_EDI, UC_X86_REG_ESP };
    uint32_t vals[] = { iters, 0, BENCH_BUF1, BENCH_BUF2, BENCH_STACK };
    for (int i = 0; i < 5; i++) u.reg_write(uc, regs[i], &vals[i]);
    /* the HLT that ends the loop (loops.asm), checked */
    uint32_t end = l->entry + (l->insns_per_iter == BENCH_ALU_INSNS ? 16u : 24u);
    uint8_t hlt = 0;
    u.mem_read(uc, end, &hlt, 1);
    if (hlt != 0xF4) {
        snprintf(r->note, sizeof r->note, "loop layout changed (no HLT at 0x%x)", end);
    } else {
        double t0 = bench_now();
        uc_err err = u.emu_start(uc, l->entry, end, 0, 0);
        double t1 = bench_now();
        if (err != UC_ERR_OK) {
            snprintf(r->note, sizeof r->note, "unicorn: %s", u.strerror(err));
        } else {
            r->seconds = t1 - t0;
            r->instructions = (uint64_t)iters * l->insns_per_iter;
            r->ok = 1;
        }
    }
    u.close(uc);
    dlclose(u.lib);
}
#endif

/* qemu-i386 runs a whole process: time N iterations and N/10, and take the
** difference, so that start-up and translation costs cancel. */
static double bench_spawn(const char *qemu, const char *elf, uint32_t iters) {
    char arg[16];
    snprintf(arg, sizeof arg, "%" PRIu32, iters);
    char *argv[] = { (char *)qemu, (char *)elf, arg, NULL };
    pid_t pid;
    double t0 = bench_now();
    if (posix_spawn(&pid, qemu, NULL, NULL, argv, environ) != 0) return -1;
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    return bench_now() - t0;
}

static void bench_qemu(const bench_loop *l, uint32_t iters, bench_result *r) {
#ifdef BENCH_QEMU
    uint32_t small = iters / 10;
    double tb = bench_spawn(BENCH_QEMU, l->elf, iters);
    double ts = bench_spawn(BENCH_QEMU, l->elf, small);
    if (tb < 0 || ts < 0 || tb <= ts) {
        snprintf(r->note, sizeof r->note, "qemu-i386 run failed");
        return;
    }
    r->seconds = tb - ts;
    r->instructions = (uint64_t)(iters - small) * l->insns_per_iter;
    r->ok = 1;
#else
    (void)l; (void)iters;
    snprintf(r->note, sizeof r->note, "qemu-i386 not found at configure time");
#endif
}

static const char *engine_name[BENCH_ENGINES] = { "vmmsim", "unicorn", "qemu-i386" };

static void bench_one(int engine, const bench_loop *l, const uint8_t *img, size_t n,
                      uint32_t iters, bench_result *r) {
    memset(r, 0, sizeof *r);
    if (engine == 0) bench_vmmsim(l, img, n, iters, r);
#ifdef BENCH_HAVE_UNICORN
    else if (engine == 1) bench_unicorn(l, img, n, iters, r);
#else
    else if (engine == 1) snprintf(r->note, sizeof r->note, "built without libunicorn");
#endif
    else bench_qemu(l, iters, r);
    if (r->ok && r->seconds > 0) r->mips = (double)r->instructions / r->seconds / 1e6;
}

static void bench_cpu_model(char *out, size_t cap) {
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = 0;
                snprintf(out, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static void bench_json(FILE *f, const bench_loop *loops, int nloops,
                       bench_result res[][BENCH_ENGINES], uint32_t iters, int repeat) {
    struct utsname u;
    uname(&u);
    char model[128];
    bench_cpu_model(model, sizeof model);
    fprintf(f, "{\n  \"benchmark\": \"cpu386 interpreter\",\n");
    fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"system\": \"%s %s %s\", \"online_cpus\": %ld},\n",
            model, u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"iterations\": %" PRIu32 ", \"repeat\": %d,\n  \"results\": [\n", iters, repeat);
    for (int li = 0; li < nloops; li++) {
        for (int e = 0; e < BENCH_ENGINES; e++) {
            const bench_result *r = &res[li][e];
            fprintf(f, "    {\"loop\": \"%s\", \"engine\": \"%s\", \"ok\": %s, \"mips\": %.1f, "
                    "\"seconds\": %.4f, \"instructions\": %" PRIu64 ", \"cycles\": %" PRIu64
                    ", \"note\": \"%s\"}%s\n", loops[li].name, engine_name[e],
                    r->ok ? "true" : "false", r->mips, r->seconds, r->instructions, r->cycles,
                    r->note, li == nloops - 1 && e == BENCH_ENGINES - 1 ? "" : ",");
        }
    }
    fprintf(f, "  ]\n}\n");
}

static void bench_usage(FILE *out) {
    fprintf(out,
        "usage: cpu_bench [--iters N] [--repeat K] [--json FILE]\n\n"
        "Measures cpu386's speed (MIPS, cycle counting on) on an ALU loop (%u instructions\n"
        "per iteration) and a memory loop (%u per iteration), and runs the same loops under\n"
        "Unicorn and qemu-i386 for comparison. Best of K runs (default 3).\n"
        "  --iters N    loop iterations per run (default 20000000)\n"
        "  --repeat K   runs per engine and loop, best kept (1..%d)\n"
        "  --json FILE  also write the results and the machine's details as JSON\n",
        BENCH_ALU_INSNS, BENCH_MEM_INSNS, BENCH_REPEAT_MAX);
}

int main(int argc, char **argv) {
    uint32_t iters = 20000000u;
    int repeat = 3;
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { bench_usage(stdout); return 0; }
        if (i + 1 < argc && !strcmp(argv[i], "--iters")) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 10 || v > 0xFFFFFFFFul) { fprintf(stderr, "cpu_bench: bad --iters\n"); return 2; }
            iters = (uint32_t)v;
        } else if (i + 1 < argc && !strcmp(argv[i], "--repeat")) {
            repeat = atoi(argv[++i]);
            if (repeat < 1 || repeat > BENCH_REPEAT_MAX) { fprintf(stderr, "cpu_bench: bad --repeat\n"); return 2; }
        } else if (i + 1 < argc && !strcmp(argv[i], "--json")) {
            json = argv[++i];
        } else {
            fprintf(stderr, "cpu_bench: unknown option '%s'\n", argv[i]);
            bench_usage(stderr);
            return 2;
        }
    }
    size_t n;
    uint8_t *img = bench_read(BENCH_FLAT_IMAGE, &n);
    if (!img) { fprintf(stderr, "cpu_bench: cannot read %s\n", BENCH_FLAT_IMAGE); return 4; }
    const bench_loop loops[] = {
        { "alu", BENCH_ALU_ENTRY, BENCH_ALU_INSNS, BENCH_ELF_ALU },
        { "memory", BENCH_MEM_ENTRY, BENCH_MEM_INSNS, BENCH_ELF_MEM },
    };
    enum { NLOOPS = sizeof loops / sizeof loops[0] };
    bench_result res[NLOOPS][BENCH_ENGINES];
    for (int li = 0; li < NLOOPS; li++) {
        for (int e = 0; e < BENCH_ENGINES; e++) {
            bench_result best = { 0 };
            for (int k = 0; k < repeat; k++) {
                bench_result r;
                bench_one(e, &loops[li], img, n, iters, &r);
                if (!r.ok) { best = r; break; }
                if (!best.ok || r.mips > best.mips) best = r;
            }
            res[li][e] = best;
        }
    }
    printf("%-8s %-10s %10s %10s %14s %8s\n", "loop", "engine", "MIPS", "seconds",
           "instructions", "vs ours");
    for (int li = 0; li < NLOOPS; li++) {
        for (int e = 0; e < BENCH_ENGINES; e++) {
            const bench_result *r = &res[li][e];
            if (!r->ok) {
                printf("%-8s %-10s %10s  (%s)\n", loops[li].name, engine_name[e], "-", r->note);
                continue;
            }
            double ratio = res[li][0].ok ? res[li][0].mips / r->mips : 0;
            printf("%-8s %-10s %10.1f %10.3f %14" PRIu64 " %7.2fx\n", loops[li].name,
                   engine_name[e], r->mips, r->seconds, r->instructions, ratio);
        }
        if (res[li][0].ok)
            printf("%-8s vmmsim: %.2f simulated clocks per instruction\n", loops[li].name,
                   (double)res[li][0].cycles / (double)res[li][0].instructions);
    }
    printf("('vs ours' = vmmsim MIPS / engine MIPS; qemu-i386 and Unicorn are JIT translators)\n");
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) { fprintf(stderr, "cpu_bench: cannot write %s: %s\n", json, strerror(errno)); free(img); return 4; }
        bench_json(f, loops, NLOOPS, res, iters, repeat);
        fclose(f);
    }
    free(img);
    return 0;
}
