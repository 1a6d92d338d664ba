/*
** scen_asm.c — VxD sources -> flat images + labels (nasm -f bin), and label
** resolution. nasm runs in a private temporary folder that is always removed.
** Images and labels are kept in the image cache (scen_cache.c) under a hash of what
** decides them; a hit runs no nasm and makes no temporary folder.
**
** Each source is wrapped in a small prologue: a [map symbols] directive (the label
** table), `org` at the load address, `bits 32`, and a %line directive so that nasm's
** own error lines already name the scenario file and the line inside the asm block.
*/
/* realpath() is XSI (scen_include_dir). */
#define _XOPEN_SOURCE 700
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "scen_int.h"

#ifndef VMMSIM_NASM_PATH
#define VMMSIM_NASM_PATH "nasm"
#endif
/* Where vmm.inc is found (scen_include_dir): the source tree's scenarios/include for
** a binary inside the build tree, the installed share/vmmsim/include otherwise. */
#ifndef VMMSIM_SOURCE_INCLUDE_DIR
#define VMMSIM_SOURCE_INCLUDE_DIR "scenarios/include"
#endif
#ifndef VMMSIM_BUILD_DIR
#define VMMSIM_BUILD_DIR ""
#endif
#ifndef VMMSIM_INSTALL_INCLUDE_DIR
#define VMMSIM_INSTALL_INCLUDE_DIR "/usr/local/share/vmmsim/include"
#endif
/* The .deb installs under /usr whatever the build's prefix (cmake/install.cmake). */
#define SCEN_INC_PACKAGE "/usr/share/vmmsim/include"
#define SCEN_INC_REL "/../share/vmmsim/include"

#define NASM_MISSING "nasm (the Netwide Assembler) is not installed: install it with " \
    "'apt-get install nasm' (or run tools/setup), or set VMMSIM_NASM to its path"

typedef struct asm_tmp {
    char dir[256];
    char src[300], bin[300], map[300], log[300];
    char dep[300], dep2[300], ver[300];   /* nasm -MD, nasm -M, nasm -v (image cache) */
} asm_tmp;

/* One scen_assemble: the temporary folder (made when nasm first has to run) and the
** image cache (scen_cache.c). */
typedef struct asm_ctx {
    asm_tmp    t;
    int        have_tmp;
    scen_cache c;
} asm_ctx;

static int tmp_open(scen *s, asm_tmp *t) {
    assert(s && t);
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 200) base = "/tmp";
    snprintf(t->dir, sizeof t->dir, "%s/vmmsim-XXXXXX", base);
    if (!mkdtemp(t->dir))
        return scen_fail(s, SCEN_EIO, 0, 0, "cannot create a temporary folder in %s: %s",
                         base, strerror(errno));
    snprintf(t->src, sizeof t->src, "%s/vxd.asm", t->dir);
    snprintf(t->bin, sizeof t->bin, "%s/vxd.bin", t->dir);
    snprintf(t->map, sizeof t->map, "%s/vxd.map", t->dir);
    snprintf(t->log, sizeof t->log, "%s/nasm.log", t->dir);
    snprintf(t->dep, sizeof t->dep, "%s/vxd.d", t->dir);
    snprintf(t->dep2, sizeof t->dep2, "%s/vxd.m", t->dir);
    snprintf(t->ver, sizeof t->ver, "%s/nasm.ver", t->dir);
    return SCEN_OK;
}

/* The files of one nasm run; the folder stays for the next VxD. */
static void tmp_unlink(const asm_tmp *t) {
    assert(t && t->dir[0]);
    unlink(t->src); unlink(t->bin); unlink(t->map); unlink(t->log);
    unlink(t->dep); unlink(t->dep2); unlink(t->ver);
}

static void tmp_clean(asm_tmp *t) {
    assert(t && t->dir[0]);
    tmp_unlink(t);
    rmdir(t->dir);
}

static int ensure_tmp(scen *s, asm_ctx *a) {
    assert(s && a);
    if (a->have_tmp) return SCEN_OK;
    int rc = tmp_open(s, &a->t);
    a->have_tmp = rc == SCEN_OK;
    return rc;
}

/* Reads a whole file (at most max bytes) into a malloc'd buffer, NUL-terminated. */
static char *slurp(const char *path, size_t max, size_t *len) {
    assert(path && len && max > 0);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f) || n > max;
    fclose(f);
    if (!buf || bad) { free(buf); return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The wrapped source nasm reads, less its first line ([map symbols PATH], a temporary
** path): the part the image cache's key covers. *body is malloc'd. */
static int make_body(scen *s, uint32_t i, char **body, size_t *len) {
    assert(s && body && len && SCEN_SRC_VALID(s, i));
    const scen_src *src = &s->src[i];
    *body = NULL;
    FILE *f = open_memstream(body, len);
    if (!f) return scen_fail(s, SCEN_ENOMEM, 0, 0, "out of memory");
    /* A client program (a slot after the VxDs', scen_int.h) is 16-bit V86 code. */
    fprintf(f, "org 0x%08x\nbits %d\n", s->vxds[i].load_addr, i >= SCEN_VXDS_MAX ? 16 : 32);
    /* VM handles by name, so that VxD code need not hard-code them. */
    for (uint32_t k = 0; k < s->nvms; k++)
        fprintf(f, "%%define VM_%s 0x%08x\n", s->vms[k].name, vmm_handle_of_index(k));
    if (src->text) {
        /* nasm numbers the line after "%line N+1" as N+1. */
        fprintf(f, "%%line %u+1 %s\n", src->pos.line - 1, s->path);
        fputs(src->text, f);
        fputs("\n", f);
    } else {
        fprintf(f, "%%include \"%s\"\n", src->file);
    }
    int bad = ferror(f);
    if (fclose(f) || bad || !*body) {
        free(*body);
        *body = NULL;
        return scen_fail(s, SCEN_ENOMEM, 0, 0, "out of memory");
    }
    return SCEN_OK;
}

static int write_source(scen *s, const asm_tmp *t, const char *body, size_t len) {
    assert(s && t && body);
    FILE *f = fopen(t->src, "w");
    if (!f) return scen_fail(s, SCEN_EIO, 0, 0, "cannot write %s: %s", t->src, strerror(errno));
    fprintf(f, "[map symbols %s]\n", t->map);
    fwrite(body, 1, len, f);
    int bad = ferror(f);
    if (fclose(f) || bad) return scen_fail(s, SCEN_EIO, 0, 0, "cannot write %s", t->src);
    return SCEN_OK;
}

/* ---- nasm, bounded --------------------------------------------------------------
** The assembler is input too: `times 0x7FFFFFFF db 0`, `align 0x7FFFFFFF` or an
** %include of /dev/zero would run for minutes and fill the disk. nasm runs with a CPU
** and a wall-clock limit (SCEN_NASM_TIME_S, or VMMSIM_NASM_TIME_S), a size limit on
** every file it writes (SCEN_NASM_FILE_MAX: image, map, log) and an address-space
** limit; it dies with vmmsim (PDEATHSIG), and a stop signal sent to vmmsim while it
** runs kills and reaps it and removes the temporary folder before vmmsim stops. */

static volatile sig_atomic_t nasm_pid, nasm_signal;
static int nasm_status(scen *s, uint32_t i, int st, int timed_out, uint32_t secs);

static void nasm_on_signal(int signum) {
    nasm_signal = signum;
    if (nasm_pid > 0) kill((pid_t)nasm_pid, SIGKILL);
}

static const int nasm_stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NASM_NSIG (sizeof nasm_stop_signals / sizeof nasm_stop_signals[0])

static void nasm_signals(int on, struct sigaction *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nasm_on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NASM_NSIG; i++) {
        if (!on) { sigaction(nasm_stop_signals[i], &old[i], NULL); continue; }
        sigaction(nasm_stop_signals[i], NULL, &old[i]);
        if (old[i].sa_handler != SIG_IGN) sigaction(nasm_stop_signals[i], &sa, NULL);   /* nohup */
    }
}

static uint32_t nasm_time_s(void) {
    const char *e = getenv("VMMSIM_NASM_TIME_S");
    unsigned long v = e && *e ? strtoul(e, NULL, 10) : 0;
    uint32_t t = v >= 1 && v <= 3600 ? (uint32_t)v : SCEN_NASM_TIME_S;
    assert(t >= 1 && t <= 3600);
    return t;
}

/* The child: limits, stdout to outp (/dev/null but for `nasm -v`), stderr to the log,
** then nasm. Only async-signal-safe calls between fork and exec. */
static void nasm_child(const char *nasm, char **argv, const char *outp, const char *log,
                       uint32_t secs) {
    struct rlimit cpu = { secs, secs + 1 }, fsz = { SCEN_NASM_FILE_MAX, SCEN_NASM_FILE_MAX },
                  as = { SCEN_NASM_AS_MAX, SCEN_NASM_AS_MAX };
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_FSIZE, &fsz);
    setrlimit(RLIMIT_AS, &as);
    int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600),
        err = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execvp(nasm, argv);
    _exit(errno == ENOENT || errno == EACCES ? 127 : 126);
}

/* Waits for nasm at most `secs` of wall-clock time plus a grace, then kills it. */
static int nasm_wait(pid_t pid, uint32_t secs, int *st, int *timed_out) {
    const struct timespec tick = { 0, 2000000 };              /* 2 ms */
    uint64_t ticks_max = ((uint64_t)secs * 2 + 5) * 500;      /* twice the CPU limit, + 5 s */
    *timed_out = 0;
    for (uint64_t k = 0;; k++) {
        pid_t r = waitpid(pid, st, WNOHANG);
        if (r == pid) return 0;
        if (r < 0 && errno != EINTR) return -1;
        if (k == ticks_max) { *timed_out = 1; kill(pid, SIGKILL); }
        nanosleep(&tick, NULL);
    }
}

static int is_dir(const char *path) {
    struct stat st;
    assert(path != NULL);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder holding vmm.inc, in this order: $VMMSIM_INCLUDE; for a binary under the
** build tree, the source tree's scenarios/include; BIN/../share/vmmsim/include beside
** the running binary (an installed or relocated vmmsim, found through /proc/self/exe);
** the install prefix's share/vmmsim/include, then the .deb's (a program embedding the
** libraries, run from elsewhere). Returns NULL when none exists. */
const char *scen_include_dir(char *buf, size_t len) {
    assert(buf && len >= SCEN_PATH_MAX);
    const char *env = getenv("VMMSIM_INCLUDE");
    if (env && *env) return env;
    char exe[SCEN_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        /* /proc/self/exe is a resolved path: compare with the resolved build folder. */
        char bdir[PATH_MAX];
        size_t nb = VMMSIM_BUILD_DIR[0] && realpath(VMMSIM_BUILD_DIR, bdir) ? strlen(bdir) : 0;
        if (nb && !strncmp(exe, bdir, nb) && exe[nb] == '/' && is_dir(VMMSIM_SOURCE_INCLUDE_DIR))
            return VMMSIM_SOURCE_INCLUDE_DIR;
        char *slash = strrchr(exe, '/');
        if (slash && (size_t)(slash - exe) + sizeof SCEN_INC_REL <= len) {
            snprintf(buf, len, "%.*s%s", (int)(slash - exe), exe, SCEN_INC_REL);
            if (is_dir(buf)) return buf;
        }
    }
    if (is_dir(VMMSIM_INSTALL_INCLUDE_DIR)) return VMMSIM_INSTALL_INCLUDE_DIR;
    return is_dir(SCEN_INC_PACKAGE) ? SCEN_INC_PACKAGE : NULL;
}

/* What one nasm run is for: the image (with its dependency list for the image cache:
** -MD), the dependency list alone (-M: nasm 2.16.01's -MD leaves out %include files),
** or its version (-v, part of the image cache's key). */
enum { NASM_IMAGE, NASM_IMAGE_MD, NASM_DEPS, NASM_VERSION };

static const char *nasm_name(void) {
    const char *nasm = getenv("VMMSIM_NASM");
    if (!nasm || !*nasm) nasm = access(VMMSIM_NASM_PATH, X_OK) == 0 ? VMMSIM_NASM_PATH : "nasm";
    return nasm;
}

/* nasm's argument list for `mode` (argv has room for 14). */
static void nasm_argv(char **argv, int mode, const asm_tmp *t, char *inc1, char *inc2) {
    assert(argv && t && inc1 && inc2);
    int n = 0;
    argv[n++] = (char *)nasm_name();
    if (mode == NASM_VERSION) {
        argv[n++] = "-v";
    } else {
        argv[n++] = "-f"; argv[n++] = "bin"; argv[n++] = inc1; argv[n++] = inc2;
        if (mode == NASM_DEPS) {
            argv[n++] = "-M"; argv[n++] = "-MF"; argv[n++] = (char *)t->dep2;
        } else {
            if (mode == NASM_IMAGE_MD) { argv[n++] = "-MD"; argv[n++] = (char *)t->dep; }
            argv[n++] = "-o"; argv[n++] = (char *)t->bin;
        }
        argv[n++] = (char *)t->src;
    }
    assert(n < 14);
    argv[n] = NULL;
}

/* Runs nasm; returns its exit status (>= 0) or a negative SCEN_E* code. */
static int run_nasm(scen *s, uint32_t i, const asm_tmp *t, int mode) {
    assert(s && t && SCEN_SRC_VALID(s, i) && t->src[0] && t->bin[0] && t->map[0]);
    char incbuf[SCEN_PATH_MAX];
    const char *inc = scen_include_dir(incbuf, sizeof incbuf);
    if (!inc)
        return scen_fail(s, SCEN_EIO, 0, 0, "cannot find vmm.inc's folder (share/vmmsim/include "
                         "beside the vmmsim binary, " VMMSIM_INSTALL_INCLUDE_DIR " or " SCEN_INC_PACKAGE "): set "
                         "VMMSIM_INCLUDE to it");
    char inc1[SCEN_PATH_MAX + 4], inc2[SCEN_PATH_MAX + 4], *argv[14];
    snprintf(inc1, sizeof inc1, "-I%s/", s->dir);
    snprintf(inc2, sizeof inc2, "-I%s/", inc);
    nasm_argv(argv, mode, t, inc1, inc2);
    uint32_t secs = nasm_time_s();
    struct sigaction old[NASM_NSIG];
    int st = 0, timed_out = 0, werr;
    nasm_signal = 0;
    nasm_signals(1, old);
    pid_t pid = fork();
    if (pid == 0)
        nasm_child(argv[0], argv, mode == NASM_VERSION ? t->ver : "/dev/null", t->log, secs);
    nasm_pid = pid;
    werr = pid < 0 ? -1 : nasm_wait(pid, secs, &st, &timed_out);
    nasm_pid = 0;
    nasm_signals(0, old);
    if (nasm_signal) {                 /* vmmsim was told to stop: nasm is reaped */
        tmp_clean((asm_tmp *)t);
        raise(nasm_signal);
        return scen_fail(s, SCEN_EIO, 0, 0, "interrupted while assembling VxD '%s'", s->vxds[i].name);
    }
    if (pid < 0) return scen_fail(s, SCEN_EIO, 0, 0, "cannot run %s: %s", argv[0], strerror(errno));
    if (werr) return scen_fail(s, SCEN_EIO, 0, 0, "waitpid: %s", strerror(errno));
    return nasm_status(s, i, st, timed_out, secs);
}

/* nasm's end: its exit status, or a limit it hit as a clear error naming the VxD. */
static int nasm_status(scen *s, uint32_t i, int st, int timed_out, uint32_t secs) {
    const scen_src *src = &s->src[i];
    const char *vxd = s->vxds[i].name;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) return scen_fail(s, SCEN_ENONASM, 0, 0, NASM_MISSING);
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    if (timed_out || sig == SIGXCPU)
        return scen_fail(s, SCEN_ELIMIT, src->at.line, src->at.col, "VxD '%s': expected nasm to "
                         "finish within %u s, found it still running (stopped; a huge times/align "
                         "or a device as input?)", vxd, secs);
    if (sig == SIGXFSZ)
        return scen_fail(s, SCEN_ELIMIT, src->at.line, src->at.col, "VxD '%s': expected nasm's "
                         "output and messages within %u MiB each, found more (stopped)", vxd,
                         SCEN_NASM_FILE_MAX >> 20);
    return scen_fail(s, SCEN_ELIMIT, src->at.line, src->at.col, "VxD '%s': nasm was killed by "
                     "signal %d (out of its %u MiB of memory?)", vxd, sig, SCEN_NASM_AS_MAX >> 20);
}

/* nasm's "file:line: error: msg" lines -> "file:line:col: VxD 'X': error: msg". Lines
** in the scenario itself get the asm block's column; the rest (a `file:` source or
** an include) are already right. */
static int asm_errors(scen *s, uint32_t i, const asm_tmp *t) {
    assert(s && t && SCEN_SRC_VALID(s, i));
    size_t len = 0;
    char *log = slurp(t->log, 65536, &len);
    char msg[SCEN_ERR_MAX] = "";
    size_t used = 0;
    uint32_t nerr = 0;
    for (char *line = log, *next; line && *line && nerr < 8; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        else next = line + strlen(line);
        char *e = strstr(line, ": error: ");
        if (!e) e = strstr(line, ": fatal: ");
        if (!e) continue;
        *e = 0;
        char *colon = strrchr(line, ':');
        const char *file = line, *lno = colon ? colon + 1 : "?";
        if (colon) *colon = 0;
        uint32_t col = (s->src[i].text && !strcmp(file, s->path)) ? s->src[i].pos.col : 1;
        char at[24];
        if (!strcmp(file, t->src)) {   /* the loader's own prologue: name the VxD entry */
            file = s->path;
            snprintf(at, sizeof at, "%u", s->src[i].at.line);
            lno = at;
            col = s->src[i].at.col;
        }
        int k = snprintf(msg + used, sizeof msg - used, "%s%s:%s:%u: %s '%s': expected valid "
                         "NASM source, assembler says: %s", nerr ? "\n" : "", file, lno, col,
                         i >= SCEN_VXDS_MAX ? "the client program of VM" : "VxD", s->vxds[i].name, e + 9);
        if (k > 0 && (size_t)k < sizeof msg - used) used += (size_t)k;
        nerr++;
    }
    free(log);
    if (!nerr)
        return scen_fail(s, SCEN_EASM, s->src[i].at.line, s->src[i].at.col,
                         "VxD '%s': nasm failed without an error message", s->vxds[i].name);
    s->errcode = SCEN_EASM;
    snprintf(s->err, sizeof s->err, "%s", msg);
    return SCEN_EASM;
}

static uint32_t hex(const char **p) {
    assert(p && *p);
    uint32_t v = 0;
    while (**p == ' ') (*p)++;
    for (int n = 0; n < 9; n++, (*p)++) {
        char ch = **p;
        int d = (ch >= '0' && ch <= '9') ? ch - '0' : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10 : -1;
        if (d < 0) break;
        v = v * 16 + (uint32_t)d;
    }
    return v;
}

/* The map's section tables: "Real  Virtual  Name" rows, hex addresses -> img. */
static int read_map(scen *s, uint32_t i, const asm_tmp *t, scen_image *img) {
    assert(s && t && img && SCEN_SRC_VALID(s, i));
    size_t len = 0;
    char *map = slurp(t->map, 4u << 20, &len);
    if (!map) return scen_fail(s, SCEN_EIO, 0, 0, "nasm wrote no symbol map for VxD '%s'", s->vxds[i].name);
    const scen_src *src = &s->src[i];
    img->labels = calloc(SCEN_LABELS_MAX, sizeof *img->labels);
    if (!img->labels) { free(map); return scen_fail(s, SCEN_ENOMEM, 0, 0, "out of memory"); }
    int in_table = 0;
    for (char *line = map, *next; *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        else next = line + strlen(line);
        if (!strncmp(line, "---- Section", 12)) { in_table = 0; continue; }
        if (!strncmp(line, "Real ", 5)) { in_table = 1; continue; }
        if (!in_table || !*line) continue;
        const char *p = line;
        uint32_t real = hex(&p);
        (void)hex(&p);
        while (*p == ' ') p++;
        size_t nlen = strlen(p);
        if (!nlen || nlen >= sizeof img->labels[0].name) continue;
        if (img->nlabels >= SCEN_LABELS_MAX) {
            free(map);
            return scen_fail(s, SCEN_ELIMIT, src->at.line, src->at.col,
                             "VxD '%s': more than %u labels", s->vxds[i].name, SCEN_LABELS_MAX);
        }
        memcpy(img->labels[img->nlabels].name, p, nlen + 1);
        img->labels[img->nlabels].addr = real;
        img->nlabels++;
    }
    free(map);
    return SCEN_OK;
}

/* VxD i gets img (the scenario owns it from here), which must fit in guest memory. */
static int take_image(scen *s, uint32_t i, scen_image *img) {
    assert(s && img && img->image && SCEN_SRC_VALID(s, i) && img->len <= SCEN_IMAGE_MAX);
    s->src[i].image = img->image;
    s->src[i].labels = img->labels;
    s->src[i].nlabels = img->nlabels;
    s->vxds[i].image = img->image;
    s->vxds[i].image_len = img->len;
    memset(img, 0, sizeof *img);
    if ((uint64_t)s->vxds[i].load_addr + s->vxds[i].image_len > (uint64_t)s->m.memory_kb * 1024)
        return scen_fail(s, SCEN_ESCHEMA, s->src[i].at.line, s->src[i].at.col,
                         "VxD '%s': expected its image (0x%08x + 0x%x bytes) inside guest "
                         "memory, found it ends beyond machine.memory_kb (%u KiB)",
                         s->vxds[i].name, s->vxds[i].load_addr, s->vxds[i].image_len,
                         s->m.memory_kb);
    return SCEN_OK;
}

/* A `file:` source must be a readable regular file (not a folder, /dev/zero, a FIFO). */
static int check_file(scen *s, uint32_t i) {
    assert(s && SCEN_SRC_VALID(s, i));
    const scen_src *src = &s->src[i];
    struct stat st;
    if (!src->file) return SCEN_OK;
    if (stat(src->file, &st) || access(src->file, R_OK) != 0)
        return scen_fail(s, SCEN_EIO, src->pos.line, src->pos.col, "vxds.file: expected a "
                         "readable NASM source, found '%s': %s", src->file, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return scen_fail(s, SCEN_EIO, src->pos.line, src->pos.col, "vxds.file: expected a "
                         "regular file as NASM source, found '%s', a %s", src->file,
                         S_ISDIR(st.st_mode) ? "folder" : "device, FIFO or socket");
    return SCEN_OK;
}

/* nasm makes VxD i's image and labels in img (md: with its dependency list). An image
** beyond guest memory comes back without labels: take_image reports it. */
static int assemble_nasm(scen *s, uint32_t i, asm_ctx *a, const char *body, size_t len,
                         int md, scen_image *img) {
    assert(s && a && body && img && SCEN_SRC_VALID(s, i));
    int rc = ensure_tmp(s, a);
    if (rc == SCEN_OK) rc = write_source(s, &a->t, body, len);
    if (rc == SCEN_OK) rc = run_nasm(s, i, &a->t, md ? NASM_IMAGE_MD : NASM_IMAGE);
    if (rc < 0) return rc;
    if (rc > 0) return asm_errors(s, i, &a->t);
    size_t ilen = 0;
    img->image = (uint8_t *)slurp(a->t.bin, SCEN_IMAGE_MAX, &ilen);
    if (!img->image)
        return scen_fail(s, SCEN_ELIMIT, s->src[i].at.line, s->src[i].at.col,
                         "VxD '%s': expected an image of at most 1 MiB", s->vxds[i].name);
    img->len = (uint32_t)ilen;
    if ((uint64_t)s->vxds[i].load_addr + ilen > (uint64_t)s->m.memory_kb * 1024) return SCEN_OK;
    return read_map(s, i, &a->t, img);
}

/* A helper run of nasm (its dependencies, its version) for the image cache only: a
** failure turns the cache off for this VxD and is not the scenario's error. */
static int cache_nasm(scen *s, uint32_t i, asm_ctx *a, int mode) {
    assert(s && a && SCEN_SRC_VALID(s, i) && (mode == NASM_DEPS || mode == NASM_VERSION));
    int rc = ensure_tmp(s, a);
    if (rc == SCEN_OK) rc = run_nasm(s, i, &a->t, mode);
    if (rc == SCEN_OK) return SCEN_OK;
    if (!nasm_signal) {                /* an interrupted run stays the scenario's error */
        s->errcode = 0;
        s->err[0] = 0;
    }
    return -1;
}

/* Stores VxD i's fresh image under k with the files nasm read (-MD and -M, less the
** wrapped source). Anything missing: not stored. */
static void cache_store(scen *s, uint32_t i, asm_ctx *a, const scen_key *k,
                        const scen_image *img) {
    assert(s && a && k && img && a->c.on);
    scen_deps d = { .n = 0 };
    if (!scen_cache_deps_read(&d, a->t.dep, a->t.src) && !cache_nasm(s, i, a, NASM_DEPS)
        && !scen_cache_deps_read(&d, a->t.dep2, a->t.src))
        scen_cache_put(&a->c, k, img, &d);
    scen_cache_deps_free(&d);
}

/* The image cache's key of VxD i: 0 when there is none (no vmm.inc folder). */
static int cache_key(scen *s, uint32_t i, const asm_ctx *a, const char *body, size_t len,
                     scen_key *k) {
    assert(s && a && body && k && SCEN_SRC_VALID(s, i));
    char incbuf[SCEN_PATH_MAX];
    const char *inc = a->c.on ? scen_include_dir(incbuf, sizeof incbuf) : NULL;
    if (!inc) return 0;
    const char *dirs[2] = { s->dir, inc };
    return scen_cache_key(&a->c, dirs, 2, s->vxds[i].load_addr, body, len, k);
}

static int assemble1(scen *s, uint32_t i, asm_ctx *a) {
    assert(s && a && SCEN_SRC_VALID(s, i));
    int rc = check_file(s, i);
    char *body = NULL;
    size_t len = 0;
    if (rc == SCEN_OK) rc = make_body(s, i, &body, &len);
    if (rc) return rc;
    scen_key k;
    scen_image img = { NULL, 0, NULL, 0 };
    int keyed = cache_key(s, i, a, body, len, &k);
    if (keyed && scen_cache_get(&a->c, &k, &img)) {
        free(body);
        return take_image(s, i, &img);
    }
    rc = assemble_nasm(s, i, a, body, len, keyed, &img);
    free(body);
    if (rc == SCEN_OK && keyed && img.labels) cache_store(s, i, a, &k, &img);
    if (rc == SCEN_OK) return take_image(s, i, &img);
    free(img.image);
    free(img.labels);
    return rc;
}

/* The image cache for this scen_assemble: its folder, and nasm's `-v` when the
** folder does not remember it yet. */
static void cache_open(scen *s, asm_ctx *a, uint32_t first) {
    assert(s && a && SCEN_SRC_VALID(s, first));   /* first: a source to name in errors */
    scen_cache_begin(&a->c, nasm_name());
    if (!a->c.on || scen_cache_nasm_known(&a->c)) return;
    size_t len = 0;
    char *ver = cache_nasm(s, first, a, NASM_VERSION) ? NULL : slurp(a->t.ver, 4096, &len);
    if (ver && len > 0) scen_cache_nasm_version(&a->c, ver, len);
    else a->c.on = 0;
    free(ver);
}

int scen_assemble(scen *s) {
    assert(s);
    if (s->errcode) return s->errcode;
    uint32_t first = s->nvxds ? 0 : UINT32_MAX;   /* the first source: a VxD's, else a client's */
    for (uint32_t k = 0; k < s->nvms && first == UINT32_MAX; k++)
        if (s->src[SCEN_CLIENT_SRC(k)].text || s->src[SCEN_CLIENT_SRC(k)].file) first = SCEN_CLIENT_SRC(k);
    if (first == UINT32_MAX) return SCEN_OK;
    asm_ctx *a = calloc(1, sizeof *a);
    if (!a) return scen_fail(s, SCEN_ENOMEM, 0, 0, "out of memory");
    cache_open(s, a, first);
    int rc = s->errcode;               /* an interrupted `nasm -v` */
    uint32_t next = SCEN_LOAD_BASE;
    for (uint32_t i = 0; i < s->nvxds && rc == SCEN_OK; i++) {
        if (!s->vxds[i].load_addr) s->vxds[i].load_addr = next;
        rc = assemble1(s, i, a);
        if (rc == SCEN_OK) {
            uint64_t end = (uint64_t)s->vxds[i].load_addr + s->vxds[i].image_len;
            end = (end + SCEN_LOAD_ALIGN - 1) / SCEN_LOAD_ALIGN * SCEN_LOAD_ALIGN;
            if (end > next) next = end > 0xFFFFF000u ? 0xFFFFF000u : (uint32_t)end;
        }
        if (a->have_tmp) tmp_unlink(&a->t);
    }
    for (uint32_t k = 0; k < s->nvms && rc == SCEN_OK; k++) {   /* client programs (scen_load.c) */
        if (!s->src[SCEN_CLIENT_SRC(k)].text && !s->src[SCEN_CLIENT_SRC(k)].file) continue;
        rc = assemble1(s, SCEN_CLIENT_SRC(k), a);
        if (a->have_tmp) tmp_unlink(&a->t);
    }
    if (a->have_tmp) tmp_clean(&a->t);
    free(a);
    return rc;
}

/* ---- labels -------------------------------------------------------------- */

static const vmm_label *find_label(const scen_src *src, const char *name) {
    assert(src && name);
    for (uint32_t j = 0; j < src->nlabels; j++)
        if (!strcmp(src->labels[j].name, name)) return &src->labels[j];
    return NULL;
}

static int unknown_label(scen *s, const scen_ref *r, int vxd) {
    assert(s && r);
    char list[200] = "";
    uint32_t shown = 0;
    for (uint32_t i = 0; i < s->nvxds; i++) {
        if (vxd >= 0 && (uint32_t)vxd != i) continue;
        for (uint32_t j = 0; j < s->src[i].nlabels && shown < 8; j++, shown++) {
            char one[140];
            snprintf(one, sizeof one, "%s%s.%s", shown ? ", " : "", s->vxds[i].name,
                     s->src[i].labels[j].name);
            strncat(list, one, sizeof list - strlen(list) - 1);
        }
    }
    return scen_fail(s, SCEN_ELABEL, r->pos.line, r->pos.col,
                     "expected a label of a VxD (VXD.label), found unknown label '%s'%s%s%s",
                     r->name, shown ? " (labels: " : "", list, shown ? ", ...)" : "");
}

static int resolve1(scen *s, scen_ref *r) {
    assert(s && r);
    const char *dot = strchr(r->name, '.');
    if (dot) {
        for (uint32_t i = 0; i < s->nvxds; i++) {
            size_t n = strlen(s->vxds[i].name);
            if ((size_t)(dot - r->name) != n || strncmp(r->name, s->vxds[i].name, n)) continue;
            const vmm_label *l = find_label(&s->src[i], dot + 1);
            if (!l) return unknown_label(s, r, (int)i);
            r->addr = l->addr;
            return SCEN_OK;
        }
    }
    /* Unqualified: allowed when exactly one VxD defines it. */
    const vmm_label *hit = NULL;
    for (uint32_t i = 0; i < s->nvxds; i++) {
        const vmm_label *l = find_label(&s->src[i], r->name);
        if (l && hit)
            return scen_fail(s, SCEN_ELABEL, r->pos.line, r->pos.col,
                             "expected an unambiguous label, found '%s' in several VxDs "
                             "(write VXD.%s)", r->name, r->name);
        if (l) hit = l;
    }
    if (!hit) return unknown_label(s, r, -1);
    r->addr = hit->addr;
    return SCEN_OK;
}

int scen_resolve(scen *s) {
    assert(s);
    if (s->errcode) return s->errcode;
    for (uint32_t i = 0; i < s->nvxds; i++) {
        scen_ref *r = &s->refs[s->src[i].control_ref];
        if (resolve1(s, r)) {
            s->errcode = 0;
            return scen_fail(s, SCEN_ELABEL, r->pos.line, r->pos.col,
                             "VxD '%s': expected a control procedure label '%s' in its source "
                             "(or name another with 'control:'), found none",
                             s->vxds[i].name, strchr(r->name, '.') + 1);
        }
        s->vxds[i].control_proc = r->addr;
        s->vxds[i].labels = s->src[i].labels;
        s->vxds[i].nlabels = s->src[i].nlabels;
    }
    for (uint32_t i = 0; i < s->nrefs; i++)
        if (resolve1(s, &s->refs[i])) return s->errcode;
    for (uint32_t i = 0; i < s->nstim; i++)
        if (s->stim[i].kind == VMM_STIM_CALL) {
            assert(s->stim_ref[i] < s->nrefs);
            s->stim[i].target = s->refs[s->stim_ref[i]].addr;
        }
    for (uint32_t i = 0; i < s->nexp; i++)
        if (s->exp[i].kind == SCEN_EXP_MEMORY && s->exp[i].nrefs)
            s->exp[i].addr += s->refs[s->exp[i].ref0].addr;
    for (uint32_t i = 0; i < s->nfix; i++) {   /* values written label+N (get_sym) */
        const scen_fix *f = &s->fix[i];
        const scen_ref *r = &s->refs[f->ref];
        uint64_t v = (uint64_t)*f->dst + r->addr;
        assert(f->ref < s->nrefs && f->dst);
        if (v > f->max)
            return scen_fail(s, SCEN_ESCHEMA, r->pos.line, r->pos.col, "'%s'+%u is 0x%llx: expected "
                             "a value at most 0x%x", r->name, *f->dst, (unsigned long long)v, f->max);
        *f->dst = (uint32_t)v;
    }
    if (scen_client_resolve(s)) return s->errcode;
    s->vs.m = s->m;
    s->vs.vms = s->vms;   s->vs.nvms = s->nvms;
    s->vs.vxds = s->vxds; s->vs.nvxds = s->nvxds;
    s->vs.stim = s->stim; s->vs.nstim = s->nstim;
    s->vs.ports = s->ports; s->vs.nports = s->nports;
    return SCEN_OK;
}

const char *scen_label_at(const scen *s, uint32_t addr, char *buf, size_t len) {
    assert(s && buf && len > 0);
    for (uint32_t i = 0; i < s->nvxds; i++)
        for (uint32_t j = 0; j < s->src[i].nlabels; j++)
            if (s->src[i].labels[j].addr == addr) {
                snprintf(buf, len, "%s.%s", s->vxds[i].name, s->src[i].labels[j].name);
                return buf;
            }
    return NULL;
}
