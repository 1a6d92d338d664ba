/*
** afile.c — atomic output files (explore.h): temporary name, fsync, rename.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explore.h"

#define AFILE_TRIES 64              /* temporary names tried before giving up */

static atomic_uint afile_serial;    /* distinct temporary names within the process */

/* The folder part of path ("." for a bare name), for the directory fsync. */
static void dir_of(const char *path, char *dir, size_t len) {
    assert(path && dir && len >= 2);
    const char *slash = strrchr(path, '/');
    if (!slash) { snprintf(dir, len, "."); return; }
    size_t n = (size_t)(slash - path);
    snprintf(dir, len, "%.*s", (int)(n ? n : 1), path);
}

FILE *xpl_afile_open(xpl_afile *a, const char *path) {
    struct stat st;
    assert(a && path);
    memset(a, 0, sizeof *a);
    if (strlen(path) + 40 >= sizeof a->path) { errno = ENAMETOOLONG; return NULL; }
    snprintf(a->path, sizeof a->path, "%s", path);
    if (!stat(path, &st) && !S_ISREG(st.st_mode)) {   /* a device or FIFO: in place */
        if (S_ISDIR(st.st_mode)) { errno = EISDIR; return NULL; }
        return a->f = fopen(path, "w");
    }
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    int fd = -1;
    for (int k = 0; k < AFILE_TRIES && fd < 0; k++) {
        snprintf(a->tmp, sizeof a->tmp, "%.*s.%s.%ld.%u.tmp", (int)(base - path), path, base,
                 (long)getpid(), atomic_fetch_add(&afile_serial, 1u));
        fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) { a->tmp[0] = 0; return NULL; }
    if (!(a->f = fdopen(fd, "w"))) { int e = errno; close(fd); unlink(a->tmp); errno = e; }
    return a->f;
}

int xpl_afile_commit(xpl_afile *a) {
    assert(a && a->f);
    int bad = fflush(a->f) || ferror(a->f);
    if (!bad && a->tmp[0]) bad = fsync(fileno(a->f)) != 0;
    int e = errno;
    if (fclose(a->f)) bad = 1, e = errno;
    a->f = NULL;
    if (!a->tmp[0]) { errno = e; return bad ? -1 : 0; }
    if (!bad && rename(a->tmp, a->path)) bad = 1, e = errno;
    if (bad) { unlink(a->tmp); a->tmp[0] = 0; errno = e; return -1; }
    a->tmp[0] = 0;
    char dir[XPL_AFILE_PATH_MAX];
    dir_of(a->path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* the rename itself, durable */
    if (dfd >= 0) { (void)fsync(dfd); close(dfd); }
    return 0;
}

void xpl_afile_abort(xpl_afile *a) {
    assert(a);
    if (a->f) fclose(a->f);
    a->f = NULL;
    if (a->tmp[0]) unlink(a->tmp);
    a->tmp[0] = 0;
}

int xpl_afile_check(const char *path, const char *const *inputs, int n, char *why, size_t len) {
    struct stat out, in;
    char dir[XPL_AFILE_PATH_MAX];
    assert(path && why && len);
    int exists = !stat(path, &out);
    for (int i = 0; i < n; i++) {
        if (!inputs[i]) continue;
        if (!strcmp(path, inputs[i]) || (exists && !stat(inputs[i], &in) && in.st_dev == out.st_dev &&
                                         in.st_ino == out.st_ino)) {
            snprintf(why, len, "is an input of this command (%s): refusing to overwrite it", inputs[i]);
            return -1;
        }
    }
    if (exists && S_ISDIR(out.st_mode)) { snprintf(why, len, "is a folder, expected a file name"); return -1; }
    if (exists && !S_ISREG(out.st_mode)) return 0;     /* /dev/stdout, a FIFO: written in place */
    dir_of(path, dir, sizeof dir);
    if (access(dir, W_OK | X_OK)) {
        snprintf(why, len, "cannot be written in %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int xpl_afile_is_tmp(const char *name) {
    assert(name != NULL);
    size_t n = strlen(name);
    return name[0] == '.' && n > 5 && !strcmp(name + n - 4, ".tmp");
}
