/*
** cpu_peers.c — the peers of cpu386 in cpu_bench: Unicorn in this process (its C API,
** the same flat image), and qemu-i386 and Bochs as child processes timed by wait4's
** rusage (CPU time: user + system) and the monotonic clock (wall time).
**
** A child pays start-up (qemu's translation, Bochs's BIOS boot) besides the loop, so
** each child peer runs twice: N iterations and BENCH_TINY_ITERS; the difference of the
** two is the figure, for (N - BENCH_TINY_ITERS) iterations.
**
** Unicorn is loaded with dlopen(RTLD_DEEPBIND): its QEMU core has a global cpu_reset()
** of its own, which would otherwise bind to cpu386's cpu_reset() in this executable.
*/
#define _GNU_SOURCE     /* RTLD_DEEPBIND, wait4 */
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu_bench.h"

#ifdef BENCH_HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

extern char **environ;

#define BENCH_FLOPPY_BYTES 1474560L     /* a 1.44 MB floppy image */
#define BENCH_CHILD_OUT    65536        /* bytes of a child's output read back */

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_fill_buffers(uint32_t buf1[BENCH_FILL_DWORDS], uint32_t buf2[BENCH_FILL_DWORDS])
{
    uint32_t x = 1;
    for (unsigned k = 0; k < BENCH_FILL_DWORDS; k++) {
        buf1[k] = x;
        x += 0x9E3779B1u;
        buf2[k] = x;
        x += 0x9E3779B1u;
    }
}

/* ---- Unicorn ------------------------------------------------------------------ */

#ifdef BENCH_HAVE_UNICORN
typedef struct bench_uc {
    void *lib;
    uc_err (*open)(uc_arch, uc_mode, uc_engine **);
    uc_err (*close)(uc_engine *);
    uc_err (*mem_map)(uc_engine *, uint64_t, size_t, uint32_t);
    uc_err (*mem_write)(uc_engine *, uint64_t, const void *, size_t);
    uc_err (*reg_write)(uc_engine *, int, const void *);
    uc_err (*reg_read)(uc_engine *, int, void *);
    uc_err (*emu_start)(uc_engine *, uint64_t, uint64_t, uint64_t, size_t);
    const char *(*strerror)(uc_err);
} bench_uc;

static int bench_uc_load(bench_uc *u)
{
    memset(u, 0, sizeof *u);
    u->lib = dlopen(BENCH_UNICORN_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!u->lib) return -1;
#define BENCH_SYM(f) (*(void **)&u->f = dlsym(u->lib, "uc_" #f)) == NULL
    if (BENCH_SYM(open) || BENCH_SYM(close) || BENCH_SYM(mem_map) || BENCH_SYM(mem_write) ||
        BENCH_SYM(reg_write) || BENCH_SYM(reg_read) || BENCH_SYM(emu_start) ||
        BENCH_SYM(strerror))
        return -1;
#undef BENCH_SYM
    return 0;
}

/* The loop's registers as loops.asm's entry contract says, then run to its HLT. */
static void bench_uc_run(bench_uc *u, uc_engine *uc, const bench_job *j, bench_sample *s)
{
    assert(u && uc && j && j->loop && s && j->loop->end > j->loop->entry);
    static const int in[] = { UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX,
                              UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI, UC_X86_REG_ESP };
    static const int out[BENCH_NREGS] = { UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_EDX,
                                          UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI };
    const uint32_t val[] = { BENCH_EAX0, 0, j->iters, 0, 0, BENCH_BUF1, BENCH_BUF2, BENCH_STACK };
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) u->reg_write(uc, in[i], &val[i]);
    double w0 = bench_now_s(), c0 = bench_thread_cpu_s();
    uc_err err = u->emu_start(uc, j->loop->entry, j->loop->end, 0, 0);
    double c1 = bench_thread_cpu_s(), w1 = bench_now_s();
    if (err != UC_ERR_OK) {
        snprintf(s->note, sizeof s->note, "unicorn: %s", u->strerror(err));
        return;
    }
    for (int i = 0; i < BENCH_NREGS; i++) u->reg_read(uc, out[i], &s->regs.r[i]);
    s->have_regs = 1;
    s->cpu_s = c1 - c0;
    s->wall_s = w1 - w0;
    s->instructions = (uint64_t)j->iters * j->loop->insns_per_iter;
    s->ok = 1;
}

void bench_run_unicorn(const bench_job *j, bench_sample *s)
{
    bench_uc u;
    uc_engine *uc;
    if (bench_uc_load(&u) || u.open(UC_ARCH_X86, UC_MODE_32, &uc) != UC_ERR_OK) {
        snprintf(s->note, sizeof s->note, "cannot load %s", BENCH_UNICORN_SONAME);
        if (u.lib) dlclose(u.lib);
        return;
    }
    static uint32_t b1[BENCH_FILL_DWORDS], b2[BENCH_FILL_DWORDS];
    bench_fill_buffers(b1, b2);
    if (u.mem_map(uc, 0, BENCH_RAM, UC_PROT_ALL) != UC_ERR_OK ||
        u.mem_write(uc, BENCH_IMG_BASE, j->img, j->img_size) != UC_ERR_OK ||
        u.mem_write(uc, BENCH_BUF1, b1, sizeof b1) != UC_ERR_OK ||
        u.mem_write(uc, BENCH_BUF2, b2, sizeof b2) != UC_ERR_OK)
        snprintf(s->note, sizeof s->note, "unicorn: cannot map the image");
    else
        bench_uc_run(&u, uc, j, s);
    u.close(uc);
    dlclose(u.lib);
}
#else
void bench_run_unicorn(const bench_job *j, bench_sample *s)
{
    (void)j;
    snprintf(s->note, sizeof s->note, "built without libunicorn");
}
#endif

/* ---- child processes ------------------------------------------------------------ */

/* Runs argv[0] with stdin from /dev/null and stdout+stderr to out_path (or /dev/null);
** returns its wait status, or -1 when it could not run. */
static int bench_child(char *const argv[], const char *out_path, double *cpu_s, double *wall_s)
{
    posix_spawn_file_actions_t fa;
    const char *out = out_path ? out_path : "/dev/null";
    assert(argv && argv[0] && cpu_s && wall_s);
    if (posix_spawn_file_actions_init(&fa) != 0) return -1;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    double w0 = bench_now_s();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    struct rusage ru;
    pid_t got;
    do got = wait4(pid, &status, 0, &ru); while (got < 0 && errno == EINTR);
    if (got != pid) return -1;
    *wall_s = bench_now_s() - w0;
    *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return status;
}

/* The long run minus the tiny run; a difference that is not positive is no figure. */
static void bench_difference(const bench_job *j, uint32_t iters, const double big[2],
                             const double tiny[2], const char *who, bench_sample *s)
{
    assert(iters > BENCH_TINY_ITERS && big && tiny && s);
    s->cpu_s = big[0] - tiny[0];
    s->wall_s = big[1] - tiny[1];
    s->tiny_cpu_s = tiny[0];
    s->tiny_wall_s = tiny[1];
    s->instructions = (uint64_t)(iters - BENCH_TINY_ITERS) * j->loop->insns_per_iter;
    s->timing_only = s->cpu_s <= 0 || s->wall_s <= 0;
    if (s->timing_only)
        snprintf(s->note, sizeof s->note, "%s: long run not slower than the tiny one "
                 "(raise --minsns)", who);
    else
        s->ok = 1;
}

void bench_run_qemu(const bench_job *j, bench_sample *s)
{
#ifdef BENCH_QEMU
    /* A JIT runs the loop in milliseconds: more iterations keep the difference above the
    ** noise of process start-up. */
    uint64_t want = (uint64_t)j->iters * BENCH_QEMU_SCALE;
    uint32_t iters = want > UINT32_MAX ? UINT32_MAX : (uint32_t)want;
    double t[2][2];
    for (int k = 0; k < 2; k++) {
        char arg[16];
        snprintf(arg, sizeof arg, "%" PRIu32, k == 0 ? iters : BENCH_TINY_ITERS);
        char *argv[] = { (char *)BENCH_QEMU, (char *)j->loop->elf, arg, NULL };
        int st = bench_child(argv, NULL, &t[k][0], &t[k][1]);
        if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            snprintf(s->note, sizeof s->note, "qemu-i386 run failed (status %d)", st);
            return;
        }
    }
    bench_difference(j, iters, t[0], t[1], "qemu-i386", s);
#else
    (void)j;
    snprintf(s->note, sizeof s->note, "qemu-i386 or ld not found at configure time");
#endif
}

/* ---- Bochs ---------------------------------------------------------------------- */

#ifdef BENCH_BOCHS
/* The temporary files of one Bochs run: the floppy image, bochsrc, the debugger's
** commands (Debian's Bochs is built with its debugger, which stops before the first
** instruction: "c" continues), Bochs's log and its console output. */
typedef struct bench_bx_files {
    char dir[64], img[96], rc[96], cmds[96], log[96], out[96];
} bench_bx_files;

static int bench_bx_write(const char *path, const void *data, size_t n, long pad_to)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(data, 1, n, f) != n;
    if (!bad && pad_to > 0) bad = fseek(f, pad_to - 1, SEEK_SET) != 0 || fputc(0, f) == EOF;
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int bench_bx_setup(bench_bx_files *f)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/cpu_bench.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->img, sizeof f->img, "%s/floppy.img", f->dir);
    snprintf(f->rc, sizeof f->rc, "%s/bochsrc", f->dir);
    snprintf(f->cmds, sizeof f->cmds, "%s/cmds", f->dir);
    snprintf(f->log, sizeof f->log, "%s/bochs.log", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out.txt", f->dir);
    char rc[1024];
    /* Debian's Bochs has no "nogui" display library: rfb with timeout=0 waits for no
    ** VNC client. sync=none runs as fast as the host can; time0 fixes the CMOS clock.
    ** Sound goes to the dummy drivers: with ALSA and no sound card Bochs 2.7 aborts. */
    int n = snprintf(rc, sizeof rc,
        "megs: 16\nromimage: file=%s\nvgaromimage: file=%s\n"
        "floppya: 1_44=%s, status=inserted\nboot: floppy\n"
        "display_library: rfb, options=\"timeout=0\"\nport_e9_hack: enabled=1\n"
        "clock: sync=none, time0=1\nspeaker: enabled=0\n"
        "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy\n"
        "log: %s\npanic: action=fatal\nerror: action=report\ninfo: action=ignore\n",
        BENCH_BOCHS_BIOS, BENCH_BOCHS_VGABIOS, f->img, f->log);
    if (n <= 0 || (size_t)n >= sizeof rc) return -1;
    return bench_bx_write(f->rc, rc, (size_t)n, 0) || bench_bx_write(f->cmds, "c\nquit\n", 7, 0);
}

static void bench_bx_cleanup(const bench_bx_files *f)
{
    const char *files[] = { f->img, f->rc, f->cmds, f->log, f->out };
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) unlink(files[i]);
    rmdir(f->dir);
}

/* The loop's report on port 0xE9: "R" and six registers in hex. */
static int bench_bx_regs(const char *out_path, bench_regs *r)
{
    static char buf[BENCH_CHILD_OUT + 1];     /* one run at a time */
    assert(out_path && r);
    FILE *f = fopen(out_path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, BENCH_CHILD_OUT, f);
    fclose(f);
    buf[n] = 0;
    for (char *p = buf; (p = strstr(p, "R ")) != NULL; p++) {
        if (p != buf && p[-1] != '\n') continue;
        if (sscanf(p, "R %" SCNx32 " %" SCNx32 " %" SCNx32 " %" SCNx32 " %" SCNx32 " %" SCNx32,
                   &r->r[0], &r->r[1], &r->r[2], &r->r[3], &r->r[4], &r->r[5]) == BENCH_NREGS)
            return 0;
    }
    return -1;
}

/* One Bochs run of `iters` iterations; *regs from its report. */
static int bench_bx_once(const bench_bx_files *f, const bench_job *j, const uint8_t *boot,
                         size_t boot_size, uint32_t iters, double t[2], bench_regs *regs)
{
    assert(f && j && boot && boot_size >= 512 && t && regs);
    uint8_t *img = malloc(boot_size);
    if (!img) return -1;
    memcpy(img, boot, boot_size);
    uint32_t id = (uint32_t)j->loop->id;
    memcpy(img + 4, &iters, 4);         /* loops.asm, BOCHS: iters at 4, loop id at 8 */
    memcpy(img + 8, &id, 4);
    int rc = bench_bx_write(f->img, img, boot_size, BENCH_FLOPPY_BYTES);
    free(img);
    if (rc) return -1;
    char *argv[] = { (char *)BENCH_BOCHS, (char *)"-q", (char *)"-f", (char *)f->rc,
                     (char *)"-rc", (char *)f->cmds, NULL };
    if (bench_child(argv, f->out, &t[0], &t[1]) < 0) return -1;
    return bench_bx_regs(f->out, regs);
}

void bench_run_bochs(const bench_job *j, const uint8_t *boot, size_t boot_size, bench_sample *s)
{
    bench_bx_files f;
    double t[2][2];
    if (boot_size < 512 || bench_bx_setup(&f)) {
        snprintf(s->note, sizeof s->note, "bochs: cannot write its files");
        return;
    }
    if (bench_bx_once(&f, j, boot, boot_size, j->iters, t[0], &s->regs) ||
        bench_bx_once(&f, j, boot, boot_size, BENCH_TINY_ITERS, t[1], &s->tiny_regs)) {
        snprintf(s->note, sizeof s->note, "bochs: no register report on port 0xE9");
    } else {
        s->have_regs = s->have_tiny_regs = 1;
        bench_difference(j, j->iters, t[0], t[1], "bochs", s);
    }
    bench_bx_cleanup(&f);
}
#else
void bench_run_bochs(const bench_job *j, const uint8_t *boot, size_t boot_size, bench_sample *s)
{
    (void)j; (void)boot; (void)boot_size;
    snprintf(s->note, sizeof s->note, "bochs (bochs-bin, bochsbios, vgabios) not found at "
             "configure time");
}
#endif
