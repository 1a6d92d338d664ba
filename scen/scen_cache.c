/*
** scen_cache.c — the VxD image cache: assembled images and their label tables, kept
** under a content hash of everything that decides them, so that a fresh process does
** not run nasm again for a VxD it has already assembled (docs/cli.md, "Image cache").
**
** Key (XXH3-128, scen_cache_key): the entry format version; nasm's identity (its
** resolved path, size, mtime, inode and `nasm -v`); NASMENV; the current folder and
** the -I folders; the load address; the wrapped source nasm reads (scen_asm.c: org,
** the VM_ defines, %line, the inline text or the %include of a `file:` source). The
** files nasm opened besides it (vmm.inc, every %include and incbin, from nasm -M and
** -MD) are stored in the entry with a hash of their contents: a hit re-hashes them and
** is a miss when one changed.
**
** Entries are written to a temporary file and renamed into place, so a concurrent
** reader sees a whole entry or none; a reader verifies magic, version, length, key
** and checksum, and anything else is a miss that the next store replaces. The folder
** is bounded (SCEN_CACHE_MAX_MB): a store that takes it over evicts the least
** recently used entries. The cache changes no output: an image from it is the one
** nasm wrote, byte for byte.
*/
#define _XOPEN_SOURCE 700
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "scen_int.h"

#define CACHE_MAGIC "VMMSIMIC"
#define CACHE_HDR 48u                  /* magic, version, length, key, counts */
#define CACHE_DEP_FILE_MAX (64u << 20) /* a larger include or incbin is not cached */
#define CACHE_DEPFILE_MAX (1u << 20)   /* bytes of a make-style dependency file */
#define CACHE_SCAN_MAX 65536u          /* folder entries looked at by one eviction */
#define CACHE_TMP_AGE_S 3600           /* a temporary file older than this is litter */
#define CACHE_VERSION_MAX 256u         /* bytes of `nasm -v` kept */

static scen_cache_counts counts;
static char warned_dir[SCEN_PATH_MAX]; /* the folder a warning was given for */

void scen_cache_counts_get(scen_cache_counts *out) {
    assert(out);
    *out = counts;
}

/* One warning per process and folder; stores to that folder stop (reads go on). */
static void cache_warn(scen_cache *c, const char *fmt, ...) {
    assert(c && fmt);
    c->writable = 0;
    if (!strcmp(warned_dir, c->dir)) return;
    snprintf(warned_dir, sizeof warned_dir, "%s", c->dir);
    char msg[SCEN_PATH_MAX + 200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vmmsim: warning: image cache %s: %s (assembling without storing)\n",
            c->dir, msg);
}

/* mkdir -p, mode 0700 for what it makes. */
static int mkdirs(char *path) {
    assert(path && path[0] == '/');
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p) continue;
        char ch = *p;
        *p = 0;
        int bad = mkdir(path, 0700) && errno != EEXIST;
        *p = ch;
        if (bad) return -1;
        if (!ch) return 0;
    }
}

/* VMMSIM_CACHE=off: no cache; =DIR: there; else $XDG_CACHE_HOME/vmmsim or
** ~/.cache/vmmsim. A relative DIR is taken from the current folder. */
static int cache_where(char *dir, size_t len) {
    assert(dir && len >= SCEN_PATH_MAX);
    const char *env = getenv("VMMSIM_CACHE"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    char cwd[SCEN_PATH_MAX];
    int n;
    if (env && (!strcmp(env, "off") || !strcmp(env, "0") || !strcmp(env, "no"))) return 0;
    if (env && *env == '/') n = snprintf(dir, len, "%s", env);
    else if (env && *env) n = getcwd(cwd, sizeof cwd) ? snprintf(dir, len, "%s/%s", cwd, env) : -1;
    else if (xdg && *xdg == '/') n = snprintf(dir, len, "%s/vmmsim", xdg);
    else if (home && *home == '/') n = snprintf(dir, len, "%s/.cache/vmmsim", home);
    else return 0;                     /* no home: nowhere to keep it */
    return n > 0 && (size_t)n < len;
}

/* nasm as execvp finds it: a name without '/' is looked up in PATH. */
static int nasm_resolve(const char *nasm, char *out, size_t len) {
    assert(nasm && out && len > 0);
    if (strchr(nasm, '/')) return snprintf(out, len, "%s", nasm) < (int)len ? 0 : -1;
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        struct stat st;
        if (n && (int)snprintf(out, len, "%.*s/%s", (int)n, p, nasm) < (int)len
            && !stat(out, &st) && S_ISREG(st.st_mode) && !access(out, X_OK))
            return 0;
        p += n + (p[n] == ':');
    }
    return -1;
}

void scen_cache_begin(scen_cache *c, const char *nasm) {
    assert(c && nasm);
    memset(c, 0, sizeof *c);
    if (!cache_where(c->dir, sizeof c->dir)) return;
    struct stat st;
    if (nasm_resolve(nasm, c->nasm, sizeof c->nasm) || stat(c->nasm, &st)) return;
    c->writable = 1;
    if (mkdirs(c->dir)) {
        cache_warn(c, "cannot create it: %s", strerror(errno));
        return;
    }
    /* The nasm binary's identity: `nasm -v` is asked once per binary (a memo file). */
    char ident[SCEN_PATH_MAX + 160];
    int n = snprintf(ident, sizeof ident, "%s\n%lld\n%lld.%09ld\n%llu\n%lld.%09ld\n", c->nasm,
                     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     (unsigned long long)st.st_ino, (long long)st.st_ctim.tv_sec,
                     st.st_ctim.tv_nsec);
    assert(n > 0 && (size_t)n < sizeof ident);
    XXH128_hash_t h = XXH3_128bits(ident, (size_t)n);
    snprintf(c->memo, sizeof c->memo, "%s/nasm-%016llx%016llx", c->dir,
             (unsigned long long)h.high64, (unsigned long long)h.low64);
    memcpy(c->ident, ident, (size_t)n + 1);
    c->on = 1;
}

/* The memo's text (`nasm -v`), or 0 when there is none yet. */
int scen_cache_nasm_known(scen_cache *c) {
    assert(c && c->on);
    FILE *f = fopen(c->memo, "rb");
    if (!f) return 0;
    char buf[CACHE_VERSION_MAX + 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (strncmp(buf, "VMMSIMNV1\n", 10) || n >= sizeof buf - 1 || !strchr(buf + 10, '\n'))
        return 0;                      /* damaged: asked again and rewritten */
    size_t used = strlen(c->ident);
    snprintf(c->ident + used, sizeof c->ident - used, "%s", buf + 10);
    return 1;
}

/* Writes len bytes to a temporary file in the cache folder and renames it to `to`. */
static int store_file(scen_cache *c, const char *to, const void *data, size_t len) {
    assert(c && to && data);
    char tmp[SCEN_PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", c->dir);
    int fd = mkstemp(tmp);
    if (fd < 0) { cache_warn(c, "cannot write in it: %s", strerror(errno)); return -1; }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= (size_t)w;
    }
    int err = errno;
    if (close(fd) || left || rename(tmp, to)) {
        cache_warn(c, "cannot store an entry: %s", strerror(left ? err : errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void scen_cache_nasm_version(scen_cache *c, const char *text, size_t len) {
    assert(c && c->on && text);
    char buf[CACHE_VERSION_MAX + 16];
    if (len > CACHE_VERSION_MAX) len = CACHE_VERSION_MAX;
    int n = snprintf(buf, sizeof buf, "VMMSIMNV1\n%.*s\n", (int)len, text);
    assert(n > 0 && (size_t)n < sizeof buf);
    size_t used = strlen(c->ident);
    snprintf(c->ident + used, sizeof c->ident - used, "%s", buf + 10);
    if (c->writable) store_file(c, c->memo, buf, (size_t)n);
}

int scen_cache_key(const scen_cache *c, const char *const *dirs, uint32_t ndirs,
                   uint32_t load_addr, const char *body, size_t len, scen_key *k) {
    assert(c && c->on && dirs && body && k && ndirs <= 4);
    XXH3_state_t *st = XXH3_createState();
    char cwd[SCEN_PATH_MAX] = "", head[64];
    const char *nasmenv = getenv("NASMENV");
    if (!st) return 0;                 /* out of memory: no cache for this VxD */
    XXH3_128bits_reset(st);
    int n = snprintf(head, sizeof head, "vmmsim image %u load %08x\n", SCEN_CACHE_FORMAT,
                     load_addr);
    XXH3_128bits_update(st, head, (size_t)n);
    XXH3_128bits_update(st, c->ident, strlen(c->ident) + 1);
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    XXH3_128bits_update(st, cwd, strlen(cwd) + 1);
    XXH3_128bits_update(st, nasmenv ? nasmenv : "", nasmenv ? strlen(nasmenv) + 1 : 1);
    for (uint32_t i = 0; i < ndirs; i++) XXH3_128bits_update(st, dirs[i], strlen(dirs[i]) + 1);
    XXH3_128bits_update(st, body, len);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, h);
    memcpy(k->b, canon.digest, sizeof k->b);
    return 1;
}

/* A regular file's contents hash (XXH3-128) and size; -1 when it is unreadable, too
** large or not a regular file (a FIFO put in an include's place must not block). */
static int hash_file(const char *path, uint8_t out[16], uint64_t *size) {
    assert(path && out && size);
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (fd < 0) return -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)CACHE_DEP_FILE_MAX) {
        close(fd);
        return -1;
    }
    XXH3_state_t *st3 = XXH3_createState();
    char buf[16384];
    uint64_t total = 0;
    ssize_t n = 0;
    if (!st3) { close(fd); return -1; }
    XXH3_128bits_reset(st3);
    while (total <= CACHE_DEP_FILE_MAX && ((n = read(fd, buf, sizeof buf)) > 0
                                           || (n < 0 && errno == EINTR))) {
        if (n < 0) continue;
        XXH3_128bits_update(st3, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st3));
    XXH3_freeState(st3);
    memcpy(out, canon.digest, 16);
    *size = total;
    return n < 0 || total > CACHE_DEP_FILE_MAX ? -1 : 0;
}

static void entry_path(const scen_cache *c, const scen_key *k, char *out, size_t len) {
    assert(c && k && out);
    char hexk[33];
    for (int i = 0; i < 16; i++) snprintf(hexk + 2 * i, 3, "%02x", k->b[i]);
    snprintf(out, len, "%s/vxd-%s", c->dir, hexk);
}

/* ---- the entry's bytes ------------------------------------------------------------
** "VMMSIMIC", u32 format, u32 total length, key[16], u32 image length, u32 labels,
** u32 deps, u32 0; deps: { u32 length, path, hash[16], u64 size }; the image; labels:
** { u32 length, name, u32 address }; u64 XXH3-64 of everything before it. Integers
** little-endian. */

typedef struct cbuf { uint8_t *p; size_t len, cap; int bad; } cbuf;

static void put(cbuf *b, const void *data, size_t n) {
    assert(b && (data || !n));
    if (b->bad) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = cap <= SCEN_CACHE_ENTRY_MAX ? realloc(b->p, cap) : NULL;
        if (!p) { b->bad = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put32(cbuf *b, uint32_t v) {
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, x, 4);
}

static void put64(cbuf *b, uint64_t v) {
    put32(b, (uint32_t)v);
    put32(b, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* The entry for key k: header, then each dependency hashed now. */
static int encode(cbuf *b, const scen_key *k, const scen_image *img, const scen_deps *d) {
    assert(b && k && img && d && d->n <= SCEN_CACHE_DEPS_MAX);
    put(b, CACHE_MAGIC, 8);
    put32(b, SCEN_CACHE_FORMAT);
    put32(b, 0);                       /* total length, patched below */
    put(b, k->b, 16);
    put32(b, img->len); put32(b, img->nlabels); put32(b, d->n); put32(b, 0);
    for (uint32_t i = 0; i < d->n; i++) {
        uint8_t h[16];
        uint64_t size;
        if (hash_file(d->path[i], h, &size)) return -1;   /* unreadable: not cached */
        put32(b, (uint32_t)strlen(d->path[i]));
        put(b, d->path[i], strlen(d->path[i]));
        put(b, h, 16);
        put64(b, size);
    }
    put(b, img->image, img->len);
    for (uint32_t i = 0; i < img->nlabels; i++) {
        put32(b, (uint32_t)strlen(img->labels[i].name));
        put(b, img->labels[i].name, strlen(img->labels[i].name));
        put32(b, img->labels[i].addr);
    }
    if (b->bad || b->len + 8 > SCEN_CACHE_ENTRY_MAX) return -1;
    uint32_t total = (uint32_t)b->len + 8;
    uint8_t t[4] = { (uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16),
                     (uint8_t)(total >> 24) };
    memcpy(b->p + 12, t, 4);
    put64(b, XXH3_64bits(b->p, b->len));
    return b->bad ? -1 : 0;
}

/* A reader over an entry's bytes that refuses to run past the end. */
typedef struct crd { const uint8_t *p; size_t len, at; int bad; } crd;

static const uint8_t *take(crd *r, size_t n) {
    assert(r && r->at <= r->len);
    if (r->bad || n > r->len - r->at) { r->bad = 1; return NULL; }
    const uint8_t *p = r->p + r->at;
    r->at += n;
    return p;
}

static uint32_t take32(crd *r) {
    const uint8_t *p = take(r, 4);
    return p ? get32(p) : 0;
}

/* Each dependency as it is now: 0 all unchanged, 1 a damaged record, 2 one changed. */
static int check_deps(crd *r, uint32_t ndeps) {
    assert(r && ndeps <= SCEN_CACHE_DEPS_MAX);
    for (uint32_t i = 0; i < ndeps; i++) {
        uint32_t n = take32(r);
        const uint8_t *path = n < SCEN_PATH_MAX ? take(r, n) : NULL;
        const uint8_t *h = take(r, 16), *sz = take(r, 8);
        if (!path || !h || !sz) return 1;
        char p[SCEN_PATH_MAX];
        memcpy(p, path, n);
        p[n] = 0;
        uint8_t now[16];
        uint64_t size;
        if (hash_file(p, now, &size) || size != get64(sz) || memcmp(now, h, 16)) return 2;
    }
    return 0;
}

static int take_labels(crd *r, scen_image *img) {
    assert(r && img && img->nlabels <= SCEN_LABELS_MAX);
    img->labels = calloc(img->nlabels ? img->nlabels : 1, sizeof *img->labels);
    if (!img->labels) return 1;
    for (uint32_t i = 0; i < img->nlabels; i++) {
        uint32_t n = take32(r);
        const uint8_t *name = n && n < sizeof img->labels[i].name ? take(r, n) : NULL;
        if (!name) return 1;
        memcpy(img->labels[i].name, name, n);
        img->labels[i].addr = take32(r);
    }
    return r->bad;
}

/* 0: a whole entry of key k with unchanged dependencies, its image and labels in img
** (owned by the caller); 1: damaged; 2: a dependency changed. */
static int decode(const uint8_t *p, size_t len, const scen_key *k, scen_image *img) {
    assert(p && k && img);
    memset(img, 0, sizeof *img);
    if (len < CACHE_HDR + 8 || memcmp(p, CACHE_MAGIC, 8) || get32(p + 8) != SCEN_CACHE_FORMAT
        || get32(p + 12) != len || memcmp(p + 16, k->b, 16)
        || get64(p + len - 8) != XXH3_64bits(p, len - 8))
        return 1;
    crd r = { p, len - 8, CACHE_HDR, 0 };
    uint32_t ilen = get32(p + 32), nlab = get32(p + 36), ndeps = get32(p + 40);
    if (ilen > SCEN_IMAGE_MAX || nlab > SCEN_LABELS_MAX || ndeps > SCEN_CACHE_DEPS_MAX)
        return 1;
    int rc = check_deps(&r, ndeps);
    if (rc) return rc;
    const uint8_t *image = take(&r, ilen);
    img->image = image ? malloc((size_t)ilen + 1) : NULL;
    if (!img->image) return 1;
    memcpy(img->image, image, ilen);
    img->image[ilen] = 0;
    img->len = ilen;
    img->nlabels = nlab;
    if (take_labels(&r, img) || r.at != r.len) {
        free(img->image); free(img->labels);
        memset(img, 0, sizeof *img);
        return 1;
    }
    return 0;
}

int scen_cache_get(scen_cache *c, const scen_key *k, scen_image *img) {
    assert(c && c->on && k && img);
    char path[SCEN_PATH_MAX + 48];
    entry_path(c, k, path, sizeof path);
    memset(img, 0, sizeof *img);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { counts.misses++; return 0; }
    struct stat st;
    uint8_t *buf = NULL;
    int rc = 1;
    if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0
        && st.st_size <= (off_t)SCEN_CACHE_ENTRY_MAX && (buf = malloc((size_t)st.st_size))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += (size_t)n;
        }
        rc = decode(buf, got, k, img);
    }
    if (rc == 0) futimens(fd, NULL);   /* least recently used goes first (evict) */
    close(fd);
    free(buf);
    if (rc == 0) { counts.hits++; return 1; }
    counts.misses++;
    if (rc == 1) counts.damaged++;
    else counts.stale++;
    return 0;
}

/* ---- eviction ---------------------------------------------------------------- */

typedef struct cent { char name[48]; int64_t mtime_ns; uint64_t size; } cent;

static int cent_cmp(const void *a, const void *b) {
    const cent *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns) return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->name, y->name);
}

static uint64_t cache_cap_bytes(void) {
    const char *e = getenv("VMMSIM_CACHE_MAX_MB");
    unsigned long v = e && *e ? strtoul(e, NULL, 10) : 0;
    uint64_t mb = v >= 1 && v <= 65536 ? v : SCEN_CACHE_MAX_MB;
    return mb << 20;
}

/* Lists the entries (and removes stale temporary files); returns their count. */
static uint32_t cache_list(const scen_cache *c, cent **out, uint64_t *total) {
    assert(c && out && total);
    DIR *d = opendir(c->dir);
    uint32_t n = 0, cap = 0;
    *out = NULL;
    *total = 0;
    if (!d) return 0;
    time_t now = time(NULL);
    struct dirent *e;
    for (uint32_t seen = 0; (e = readdir(d)) && seen < CACHE_SCAN_MAX; seen++) {
        int tmp = !strncmp(e->d_name, ".tmp-", 5);
        struct stat st;
        if ((!tmp && strncmp(e->d_name, "vxd-", 4) && strncmp(e->d_name, "nasm-", 5))
            || strlen(e->d_name) >= sizeof (*out)->name || fstatat(dirfd(d), e->d_name, &st, 0))
            continue;
        if (tmp) {                     /* a writer that died before its rename */
            if (now - st.st_mtime > CACHE_TMP_AGE_S) unlinkat(dirfd(d), e->d_name, 0);
            continue;
        }
        if (n == cap) {
            cent *p = realloc(*out, (cap = cap ? cap * 2 : 256) * sizeof *p);
            if (!p) break;
            *out = p;
        }
        memcpy((*out)[n].name, e->d_name, strlen(e->d_name) + 1);   /* length checked above */
        (*out)[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        (*out)[n].size = (uint64_t)st.st_size;
        *total += (uint64_t)st.st_size;
        n++;
    }
    closedir(d);
    return n;
}

/* Over the cap: the least recently used entries go until a quarter is free. */
static void evict(scen_cache *c) {
    assert(c && c->on);
    cent *ents;
    uint64_t total, cap = cache_cap_bytes();
    uint32_t n = cache_list(c, &ents, &total);
    if (total > cap) {
        qsort(ents, n, sizeof *ents, cent_cmp);
        for (uint32_t i = 0; i < n && total > cap / 4 * 3; i++) {
            char path[SCEN_PATH_MAX + 64];
            snprintf(path, sizeof path, "%s/%s", c->dir, ents[i].name);
            if (!unlink(path)) { total -= ents[i].size; counts.evicted++; }
        }
    }
    free(ents);
}

void scen_cache_put(scen_cache *c, const scen_key *k, const scen_image *img,
                    const scen_deps *d) {
    assert(c && c->on && k && img && d);
    if (!c->writable) return;
    cbuf b = { NULL, 0, 0, 0 };
    char path[SCEN_PATH_MAX + 48];
    entry_path(c, k, path, sizeof path);
    if (!encode(&b, k, img, d) && !store_file(c, path, b.p, b.len)) {
        counts.stores++;
        evict(c);
    }
    free(b.p);
}

/* ---- dependency lists (make syntax, as nasm -M / -MD write them) ------------------ */

/* The next word of a make rule ("\ " and "\#" escape, "$$" is '$'); NULL at the end. */
static char *dep_word(char **pp, char *out, size_t len, int *overflow) {
    assert(pp && out && len > 0);
    char *p = *pp;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || (p[0] == '\\' && p[1] == '\n'))
        p += 1 + (p[0] == '\\');
    if (!*p) return NULL;
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
        char ch = *p++;
        if (ch == '\\' && (*p == ' ' || *p == '#' || *p == '\\')) ch = *p++;
        else if (ch == '\\' && *p == '\n') break;
        else if (ch == '$' && *p == '$') p++;
        if (n + 1 < len) out[n++] = ch;
        else *overflow = 1;
    }
    out[n] = 0;
    *pp = p;
    return out;
}

int scen_cache_deps_read(scen_deps *d, const char *depfile, const char *skip) {
    assert(d && depfile && skip);
    FILE *f = fopen(depfile, "rb");
    if (!f) return -1;
    char *text = malloc(CACHE_DEPFILE_MAX + 1);
    size_t len = text ? fread(text, 1, CACHE_DEPFILE_MAX + 1, f) : 0;
    fclose(f);
    if (!text || len > CACHE_DEPFILE_MAX) { free(text); return -1; }
    text[len] = 0;
    char w[SCEN_PATH_MAX], *p = text;
    int rules = 0, overflow = 0, rc = 0;
    while (rc == 0 && dep_word(&p, w, sizeof w, &overflow)) {
        size_t n = strlen(w);
        if (n && w[n - 1] == ':') { rules++; w[--n] = 0; }
        if (rules != 1 || !n || !strcmp(w, skip)) continue;   /* the target, our source */
        uint32_t j = 0;
        while (j < d->n && strcmp(d->path[j], w)) j++;
        if (j < d->n) continue;
        if (d->n == SCEN_CACHE_DEPS_MAX || !(d->path[d->n] = strdup(w))) rc = -1;
        else d->n++;
    }
    free(text);
    return rc || overflow || rules != 1 ? -1 : 0;
}

void scen_cache_deps_free(scen_deps *d) {
    assert(d && d->n <= SCEN_CACHE_DEPS_MAX);
    for (uint32_t i = 0; i < d->n; i++) free(d->path[i]);
    d->n = 0;
}
