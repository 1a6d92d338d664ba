/*
** cpu_bench.c — interpreter speed: MIPS of cpu386 (cycle counting is always on) on the
** loops of loops.asm (ALU, memory, memory without stores, mixed VxD-like code), beside
** the same loops under Unicorn (in process), qemu-i386 (static ELFs) and Bochs (a boot
** floppy). It measures and prints; it never asserts a time.
**
** Method: R rounds; in each round every loop runs once on every engine, the engines in
** an order rotated by one per round (and per loop), so that a change of the machine's
** load does not fall on one engine. Every run is timed in CPU time (the thread's, or a
** child's rusage) and wall time; the figures are the median over the rounds with the
** minimum and maximum. Child processes (qemu-i386, Bochs) run N and BENCH_TINY_ITERS
** iterations and count the difference (cpu_peers.c). Every engine's final registers
** are compared with cpu386's for the same iterations: a run that computed something
** else is no figure.
**
** usage: cpu_bench [--minsns M] [--rounds R] [--engines LIST] [--strict] [--json FILE]
*/
#define _DEFAULT_SOURCE     /* getloadavg */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpu386.h"
#include "cpu_bench.h"

#define BENCH_ENGINES     4
#define BENCH_LOOPS       4
#define BENCH_ROUNDS_MAX  50
#define BENCH_IMG_MAX     65536u
#define BENCH_MINSNS_MAX  4000u    /* millions of instructions per run */

enum { ENG_VMMSIM, ENG_UNICORN, ENG_QEMU, ENG_BOCHS };
static const char *const eng_name[BENCH_ENGINES] = { "vmmsim", "unicorn", "qemu-i386", "bochs" };

typedef struct bench_cfg {
    unsigned    minsns;         /* millions of guest instructions per run */
    int         rounds;
    unsigned    engines;        /* bit per engine */
    int         strict;         /* exit 3 when a selected engine has a failed run */
    const char *json;
} bench_cfg;

typedef struct bench_stat { double median, min, max; int n; } bench_stat;

typedef struct bench_all {
    bench_loop   loops[BENCH_LOOPS];
    uint32_t     iters[BENCH_LOOPS];
    bench_regs   ref[BENCH_LOOPS], ref_tiny[BENCH_LOOPS];   /* cpu386's results */
    uint64_t     extra_insns[BENCH_LOOPS];  /* cpu386's count beyond iters * per iter */
    bench_sample s[BENCH_ROUNDS_MAX][BENCH_LOOPS][BENCH_ENGINES];
    int          order[BENCH_ROUNDS_MAX][BENCH_LOOPS][BENCH_ENGINES];
    double       load_before[3], load_after[3];
} bench_all;

static uint8_t *bench_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = malloc(BENCH_IMG_MAX);
    size_t n = buf ? fread(buf, 1, BENCH_IMG_MAX, f) : 0;
    fclose(f);
    if (!buf || n == 0 || n == BENCH_IMG_MAX) { free(buf); return NULL; }
    *size = n;
    return buf;
}

/* cpu386: one CPU, the flat image, the entry contract of loops.asm, run to HLT. */
static void bench_run_vmmsim(const bench_job *j, bench_sample *s)
{
    assert(j && j->loop && j->img && s && j->img_size <= BENCH_IMG_MAX);
    uint8_t *ram = calloc(1, BENCH_RAM);
    cpu_bus bus = { .ram = ram, .ram_size = BENCH_RAM };
    cpu_state *c = ram ? cpu_new(&bus) : NULL;
    if (!c) { snprintf(s->note, sizeof s->note, "out of memory"); free(ram); return; }
    uint32_t b1[BENCH_FILL_DWORDS], b2[BENCH_FILL_DWORDS];
    bench_fill_buffers(b1, b2);
    cpu_phys_write(c, BENCH_IMG_BASE, j->img, (uint32_t)j->img_size);
    cpu_phys_write(c, BENCH_BUF1, b1, sizeof b1);
    cpu_phys_write(c, BENCH_BUF2, b2, sizeof b2);
    cpu_enter_flat32(c, j->loop->entry, BENCH_STACK, BENCH_GDT);
    static const int in[] = { CPU_EAX, CPU_EBX, CPU_ECX, CPU_EDX, CPU_EBP, CPU_ESI, CPU_EDI };
    const uint32_t val[] = { BENCH_EAX0, 0, j->iters, 0, 0, BENCH_BUF1, BENCH_BUF2 };
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) cpu_set_reg(c, in[i], val[i]);
    uint64_t i0 = cpu_instructions(c), c0 = cpu_cycles(c);
    double w0 = bench_now_s(), t0 = bench_thread_cpu_s();
    int stop = cpu_run(c, UINT64_MAX / 2, NULL);
    double t1 = bench_thread_cpu_s(), w1 = bench_now_s();
    if (stop != CPU_STOP_HLT) {
        snprintf(s->note, sizeof s->note, "stopped: %s", cpu_stop_name(stop));
    } else {
        static const int out[BENCH_NREGS] = { CPU_EAX, CPU_EBX, CPU_EDX, CPU_EBP, CPU_ESI, CPU_EDI };
        for (int i = 0; i < BENCH_NREGS; i++) s->regs.r[i] = cpu_get_reg(c, out[i]);
        s->have_regs = 1;
        s->cpu_s = t1 - t0;
        s->wall_s = w1 - w0;
        s->instructions = cpu_instructions(c) - i0;
        s->cycles = cpu_cycles(c) - c0;
        s->ok = 1;
    }
    cpu_free(c);
    free(ram);
}

/* A peer's result against cpu386's for the same loop and iterations. */
static void bench_check(const bench_all *a, int li, bench_sample *s)
{
    assert(a && s && li >= 0 && li < BENCH_LOOPS);
    if (!s->ok) return;
    if ((s->have_regs && memcmp(&s->regs, &a->ref[li], sizeof s->regs)) ||
        (s->have_tiny_regs && memcmp(&s->tiny_regs, &a->ref_tiny[li], sizeof s->regs))) {
        s->ok = 0;
        snprintf(s->note, sizeof s->note, "final registers differ from cpu386's: "
                 "EAX %08" PRIx32 " EBP %08" PRIx32, s->regs.r[0], s->regs.r[3]);
    }
}

/* cpu386's results (long and tiny run) that every peer must reproduce, and its own
** instruction count, which must be the loop's static count (plus the jump or HLT
** around it): loops.asm's per-iteration counts are what every MIPS figure divides. */
static int bench_reference(bench_all *a, const uint8_t *img, size_t n)
{
    assert(a && img && n > 0);
    for (int li = 0; li < BENCH_LOOPS; li++) {
        bench_sample big = { 0 }, tiny = { 0 };
        bench_job j = { &a->loops[li], img, n, a->iters[li] };
        bench_run_vmmsim(&j, &big);
        j.iters = BENCH_TINY_ITERS;
        bench_run_vmmsim(&j, &tiny);
        uint64_t want = (uint64_t)a->iters[li] * a->loops[li].insns_per_iter;
        if (!big.ok || !tiny.ok || big.instructions < want || big.instructions - want > 2) {
            fprintf(stderr, "cpu_bench: loop %s: cpu386 %s %" PRIu64 " instructions, "
                    "expected %" PRIu64 " (+2 at most)\n", a->loops[li].name,
                    big.ok ? "counted" : big.note, big.instructions, want);
            return -1;
        }
        a->extra_insns[li] = big.instructions - want;
        a->ref[li] = big.regs;
        a->ref_tiny[li] = tiny.regs;
    }
    return 0;
}

static void bench_one(bench_all *a, int li, int e, const uint8_t *img, size_t n,
                      const uint8_t *boot, size_t boot_n, bench_sample *s)
{
    bench_job j = { &a->loops[li], img, n, a->iters[li] };
    assert(e >= 0 && e < BENCH_ENGINES && j.iters > BENCH_TINY_ITERS);
    memset(s, 0, sizeof *s);
    switch (e) {
    case ENG_VMMSIM:  bench_run_vmmsim(&j, s); break;
    case ENG_UNICORN: bench_run_unicorn(&j, s); break;
    case ENG_QEMU:    bench_run_qemu(&j, s); break;
    default:          bench_run_bochs(&j, boot, boot_n, s); break;
    }
    if (e == ENG_VMMSIM && s->ok)   /* the measured count, minus the code around the loop */
        s->instructions -= a->extra_insns[li];
    bench_check(a, li, s);
}

static void bench_rounds(bench_all *a, const bench_cfg *cfg, const uint8_t *img, size_t n,
                         const uint8_t *boot, size_t boot_n)
{
    assert(cfg->rounds >= 1 && cfg->rounds <= BENCH_ROUNDS_MAX);
    for (int r = 0; r < cfg->rounds; r++) {
        for (int li = 0; li < BENCH_LOOPS; li++) {
            for (int k = 0; k < BENCH_ENGINES; k++) {
                int e = (r + li + k) % BENCH_ENGINES;   /* rotated: see the top comment */
                a->order[r][li][k] = e;
                bench_sample *s = &a->s[r][li][e];
                if (!(cfg->engines & (1u << e))) { memset(s, 0, sizeof *s);
                    snprintf(s->note, sizeof s->note, "not selected (--engines)"); continue; }
                bench_one(a, li, e, img, n, boot, boot_n, s);
            }
        }
        fprintf(stderr, "cpu_bench: round %d/%d done\n", r + 1, cfg->rounds);
    }
}

static int bench_cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* MIPS over the rounds that succeeded: by CPU time (wall = 0) or wall time. */
static bench_stat bench_mips(const bench_all *a, int rounds, int li, int e, int wall)
{
    double v[BENCH_ROUNDS_MAX];
    bench_stat st = { 0, 0, 0, 0 };
    assert(rounds >= 1 && rounds <= BENCH_ROUNDS_MAX && li < BENCH_LOOPS && e < BENCH_ENGINES);
    for (int r = 0; r < rounds; r++) {
        const bench_sample *s = &a->s[r][li][e];
        double t = wall ? s->wall_s : s->cpu_s;
        if (s->ok && t > 0) v[st.n++] = (double)s->instructions / t / 1e6;
    }
    if (st.n == 0) return st;
    qsort(v, (size_t)st.n, sizeof v[0], bench_cmp_double);
    st.median = st.n % 2 ? v[st.n / 2] : (v[st.n / 2 - 1] + v[st.n / 2]) / 2;
    st.min = v[0];
    st.max = v[st.n - 1];
    return st;
}

/* The first failure's note, for a loop and engine with no figure. */
static const char *bench_note(const bench_all *a, int rounds, int li, int e)
{
    for (int r = 0; r < rounds; r++)
        if (!a->s[r][li][e].ok) return a->s[r][li][e].note;
    return "";
}

static void bench_print(const bench_all *a, const bench_cfg *cfg)
{
    printf("%d rounds, engines rotated in each round; MIPS = median [min-max] over the rounds;\n"
           "qemu-i386 and Bochs: N minus %u iterations (start-up and BIOS boot subtracted)\n\n",
           cfg->rounds, BENCH_TINY_ITERS);
    printf("%-7s %-10s %-25s %-25s %9s\n", "loop", "engine", "MIPS (CPU time)",
           "MIPS (wall time)", "vmmsim/x");
    for (int li = 0; li < BENCH_LOOPS; li++) {
        bench_stat ours = bench_mips(a, cfg->rounds, li, ENG_VMMSIM, 0);
        for (int e = 0; e < BENCH_ENGINES; e++) {
            bench_stat c = bench_mips(a, cfg->rounds, li, e, 0), w = bench_mips(a, cfg->rounds, li, e, 1);
            if (c.n == 0) {
                printf("%-7s %-10s -  (%s)\n", a->loops[li].name, eng_name[e],
                       bench_note(a, cfg->rounds, li, e));
                continue;
            }
            char cs[32], ws[32];
            snprintf(cs, sizeof cs, "%.1f [%.1f-%.1f]", c.median, c.min, c.max);
            snprintf(ws, sizeof ws, "%.1f [%.1f-%.1f]", w.median, w.min, w.max);
            printf("%-7s %-10s %-25s %-25s %8.2fx%s\n", a->loops[li].name, eng_name[e], cs, ws,
                   ours.n ? ours.median / c.median : 0.0, c.n < cfg->rounds ? " (some rounds failed)" : "");
        }
        const bench_sample *s0 = &a->s[0][li][ENG_VMMSIM];
        if (s0->ok)
            printf("%-7s vmmsim: %.2f simulated clocks per instruction, %" PRIu32 " iterations\n",
                   a->loops[li].name, (double)s0->cycles / (double)s0->instructions, a->iters[li]);
    }
    printf("('vmmsim/x' = vmmsim's median CPU-time MIPS over the engine's; qemu-i386 and\n"
           " Unicorn translate to host code, Bochs and cpu386 interpret)\n");
}

/* Failed runs of the selected engines, each named on stderr (--strict); a difference
** lost in timing noise is not a failure of the engine. */
static int bench_failures(const bench_all *a, const bench_cfg *cfg)
{
    int n = 0;
    for (int r = 0; r < cfg->rounds; r++)
        for (int li = 0; li < BENCH_LOOPS; li++)
            for (int e = 0; e < BENCH_ENGINES; e++)
                if ((cfg->engines & (1u << e)) && !a->s[r][li][e].ok &&
                    !a->s[r][li][e].timing_only && n++ < 8)
                    fprintf(stderr, "cpu_bench: round %d, %s on %s: %s\n", r + 1,
                            eng_name[e], a->loops[li].name, a->s[r][li][e].note);
    return n;
}

/* ---- JSON ---------------------------------------------------------------------- */

static void bench_cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char *p = strchr(line, ':');
        if (strncmp(line, "model name", 10) || !p) continue;
        p += 1 + (p[1] == ' ');
        p[strcspn(p, "\n")] = 0;
        snprintf(out, cap, "%s", p);
        break;
    }
    fclose(f);
}

#if defined(__clang__)
#define BENCH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define BENCH_COMPILER "gcc " __VERSION__
#else
#define BENCH_COMPILER "unknown"
#endif

static void bench_json_machine(FILE *f, const bench_all *a)
{
    struct utsname u;
    char model[128];
    uname(&u);
    bench_cpu_model(model, sizeof model);
    fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"online_cpus\": %ld, \"system\": \"%s %s %s\",\n"
            "    \"compiler\": \"%s\", \"build_type\": \"%s\",\n"
            "    \"load_avg_before\": [%.2f, %.2f, %.2f], \"load_avg_after\": [%.2f, %.2f, %.2f]},\n",
            model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine,
            BENCH_COMPILER, BENCH_BUILD_TYPE, a->load_before[0], a->load_before[1],
            a->load_before[2], a->load_after[0], a->load_after[1], a->load_after[2]);
}

static void bench_json_stat(FILE *f, const char *key, bench_stat st, const char *sep)
{
    fprintf(f, "\"%s\": {\"median\": %.2f, \"min\": %.2f, \"max\": %.2f}%s", key, st.median,
            st.min, st.max, sep);
}

static void bench_json_results(FILE *f, const bench_all *a, int rounds)
{
    fprintf(f, "  \"results\": [\n");
    for (int li = 0; li < BENCH_LOOPS; li++) {
        for (int e = 0; e < BENCH_ENGINES; e++) {
            bench_stat c = bench_mips(a, rounds, li, e, 0), w = bench_mips(a, rounds, li, e, 1);
            fprintf(f, "    {\"loop\": \"%s\", \"engine\": \"%s\", \"ok\": %s, \"rounds_ok\": %d, "
                    "\"mips\": %.2f, ", a->loops[li].name, eng_name[e], c.n ? "true" : "false",
                    c.n, c.median);
            bench_json_stat(f, "mips_cpu", c, ", ");
            bench_json_stat(f, "mips_wall", w, ", ");
            fprintf(f, "\"note\": \"%s\"}%s\n", c.n == rounds ? "" : bench_note(a, rounds, li, e),
                    li == BENCH_LOOPS - 1 && e == BENCH_ENGINES - 1 ? "" : ",");
        }
    }
    fprintf(f, "  ],\n");
}

static void bench_json_rounds(FILE *f, const bench_all *a, int rounds)
{
    fprintf(f, "  \"rounds\": [\n");
    for (int r = 0; r < rounds; r++) {
        for (int li = 0; li < BENCH_LOOPS; li++) {
            for (int k = 0; k < BENCH_ENGINES; k++) {
                int e = a->order[r][li][k];
                const bench_sample *s = &a->s[r][li][e];
                fprintf(f, "    {\"round\": %d, \"loop\": \"%s\", \"position\": %d, \"engine\": \"%s\", "
                        "\"ok\": %s, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"tiny_cpu_s\": %.6f, "
                        "\"tiny_wall_s\": %.6f, \"instructions\": %" PRIu64 ", \"cycles\": %" PRIu64
                        ", \"note\": \"%s\"}%s\n", r, a->loops[li].name, k, eng_name[e],
                        s->ok ? "true" : "false", s->cpu_s, s->wall_s, s->tiny_cpu_s,
                        s->tiny_wall_s, s->instructions, s->cycles, s->note,
                        r == rounds - 1 && li == BENCH_LOOPS - 1 && k == BENCH_ENGINES - 1 ? "" : ",");
            }
        }
    }
    fprintf(f, "  ]\n");
}

static void bench_json(FILE *f, const bench_all *a, const bench_cfg *cfg)
{
    fprintf(f, "{\n  \"benchmark\": \"cpu386 interpreter\",\n");
    bench_json_machine(f, a);
    fprintf(f, "  \"method\": \"%d rounds, engines rotated within each round; MIPS = loop "
            "instructions / CPU time (user+system), median over the rounds (mips = mips_cpu."
            "median); qemu-i386 and bochs: a run of N minus a run of %u iterations, to remove "
            "start-up and BIOS boot\",\n", cfg->rounds, BENCH_TINY_ITERS);
    fprintf(f, "  \"million_instructions\": %u, \"rounds\": %d, \"tiny_iterations\": %u,\n",
            cfg->minsns, cfg->rounds, BENCH_TINY_ITERS);
    fprintf(f, "  \"loops\": [");
    for (int li = 0; li < BENCH_LOOPS; li++)
        fprintf(f, "{\"name\": \"%s\", \"instructions_per_iteration\": %u, \"iterations\": %"
                PRIu32 "}%s", a->loops[li].name, a->loops[li].insns_per_iter, a->iters[li],
                li == BENCH_LOOPS - 1 ? "],\n" : ", ");
    bench_json_results(f, a, cfg->rounds);
    bench_json_rounds(f, a, cfg->rounds);
    fprintf(f, "}\n");
}

/* ---- options and main ------------------------------------------------------------ */

static void bench_usage(FILE *out)
{
    fprintf(out,
        "usage: cpu_bench [--minsns M] [--rounds R] [--engines LIST] [--strict] [--json FILE]\n\n"
        "Measures cpu386's speed (MIPS, cycle counting on) on four loops (loops.asm: alu,\n"
        "memory, loads = memory without stores, mixed = VxD-like code) beside Unicorn,\n"
        "qemu-i386 and Bochs. R rounds, engines rotated within each round; CPU and wall\n"
        "time, median [min-max]; each engine's result is checked against cpu386's.\n"
        "  --minsns M      millions of guest instructions per run (default 150, 1..%u)\n"
        "  --rounds R      rounds (default 5, 1..%d)\n"
        "  --engines LIST  comma-separated subset of vmmsim,unicorn,qemu-i386,bochs\n"
        "  --strict        exit 3 when a run of a selected engine failed (a peer missing,\n"
        "                  or its result not cpu386's); by default a failure is reported\n"
        "  --json FILE     also write every round, the medians and the machine as JSON\n"
        "qemu-i386 runs %ux the iterations (it translates; a short run is all start-up).\n",
        BENCH_MINSNS_MAX, BENCH_ROUNDS_MAX, BENCH_QEMU_SCALE);
}

static int bench_parse_engines(const char *arg, unsigned *mask)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", arg);
    *mask = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int e = 0;
        while (e < BENCH_ENGINES && strcmp(t, eng_name[e])) e++;
        if (e == BENCH_ENGINES) return -1;
        *mask |= 1u << e;
    }
    return *mask ? 0 : -1;
}

static int bench_parse(int argc, char **argv, bench_cfg *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { bench_usage(stdout); return 1; }
        if (!strcmp(o, "--strict")) { cfg->strict = 1; continue; }
        if (!v) { fprintf(stderr, "cpu_bench: unknown option or missing value: '%s'\n", o); return 2; }
        i++;
        if (!strcmp(o, "--minsns")) {
            unsigned long m = strtoul(v, &end, 10);
            if (*end || m < 1 || m > BENCH_MINSNS_MAX) { fprintf(stderr, "cpu_bench: bad --minsns '%s'\n", v); return 2; }
            cfg->minsns = (unsigned)m;
        } else if (!strcmp(o, "--rounds")) {
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > BENCH_ROUNDS_MAX) { fprintf(stderr, "cpu_bench: bad --rounds '%s'\n", v); return 2; }
            cfg->rounds = (int)r;
        } else if (!strcmp(o, "--engines")) {
            if (bench_parse_engines(v, &cfg->engines)) { fprintf(stderr, "cpu_bench: bad --engines '%s'\n", v); return 2; }
        } else if (!strcmp(o, "--json")) {
            cfg->json = v;
        } else {
            fprintf(stderr, "cpu_bench: unknown option '%s'\n", o);
            return 2;
        }
    }
    return 0;
}

/* The loops, their HLTs from the image's table, and their iterations for M million
** instructions each. */
static int bench_setup_loops(bench_all *a, const uint8_t *img, size_t n, unsigned minsns)
{
    assert(minsns >= 1 && minsns <= BENCH_MINSNS_MAX);
    static const struct { const char *name; uint32_t entry; unsigned insns; const char *elf; } L[] = {
        { "alu", 0x1000u, 9, BENCH_ELF_ALU },       { "memory", 0x1100u, 8, BENCH_ELF_MEMORY },
        { "loads", 0x1200u, 8, BENCH_ELF_LOADS },   { "mixed", 0x1300u, 39, BENCH_ELF_MIXED },
    };
    if (n < BENCH_END_TABLE + 4u * BENCH_LOOPS) return -1;
    for (int li = 0; li < BENCH_LOOPS; li++) {
        bench_loop *l = &a->loops[li];
        uint32_t end;
        memcpy(&end, img + BENCH_END_TABLE + 4u * (unsigned)li, 4);
        if (end <= L[li].entry || end >= BENCH_IMG_BASE + n || img[end - BENCH_IMG_BASE] != 0xF4)
            return -1;
        *l = (bench_loop){ L[li].name, li, L[li].entry, end, L[li].insns, L[li].elf };
        uint64_t it = (uint64_t)minsns * 1000000u / L[li].insns;
        a->iters[li] = (uint32_t)(it < 10u * BENCH_TINY_ITERS ? 10u * BENCH_TINY_ITERS : it);
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_cfg cfg = { 150, 5, (1u << BENCH_ENGINES) - 1, 0, NULL };
    int rc = bench_parse(argc, argv, &cfg);
    if (rc) return rc == 1 ? 0 : rc;
    size_t n = 0, boot_n = 0;
    uint8_t *img = bench_read(BENCH_FLAT_IMAGE, &n), *boot = bench_read(BENCH_BOCHS_IMAGE, &boot_n);
    bench_all *a = calloc(1, sizeof *a);
    if (!img || !boot || !a) {
        fprintf(stderr, "cpu_bench: cannot read %s or %s\n", BENCH_FLAT_IMAGE, BENCH_BOCHS_IMAGE);
        free(img); free(boot); free(a);
        return 4;
    }
    rc = 0;
    if (bench_setup_loops(a, img, n, cfg.minsns)) {
        fprintf(stderr, "cpu_bench: %s: no HLT table at 0x%x (loops.asm)\n", BENCH_FLAT_IMAGE,
                BENCH_IMG_BASE + BENCH_END_TABLE);
        rc = 4;
    } else if (bench_reference(a, img, n)) {
        rc = 3;
    } else {
        if (getloadavg(a->load_before, 3) < 0) memset(a->load_before, 0, sizeof a->load_before);
        bench_rounds(a, &cfg, img, n, boot, boot_n);
        if (getloadavg(a->load_after, 3) < 0) memset(a->load_after, 0, sizeof a->load_after);
        bench_print(a, &cfg);
        FILE *f = cfg.json ? fopen(cfg.json, "w") : NULL;
        if (cfg.json && !f) { fprintf(stderr, "cpu_bench: cannot write %s\n", cfg.json); rc = 4; }
        if (f) { bench_json(f, a, &cfg); if (fclose(f)) rc = 4; }
        if (rc == 0 && cfg.strict && bench_failures(a, &cfg)) rc = 3;
    }
    free(img); free(boot); free(a);
    return rc;
}
