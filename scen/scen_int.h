/*
** scen_int.h — helpers shared by the scenario loader's files. Internal to scen/.
*/
#ifndef VMMSIM_SCEN_INT_H
#define VMMSIM_SCEN_INT_H

#include "scen.h"
#include "scen_yaml.h"

/* Formats "path:line:col: message" into s->err and returns code. line 0: no position. */
int scen_fail(scen *s, int code, uint32_t line, uint32_t col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* The folder of vmm.inc that nasm gets with -I (scen_asm.c); buf (at least
** SCEN_PATH_MAX bytes) may hold the result. NULL: none found. */
const char *scen_include_dir(char *buf, size_t len);

/* ---- the image cache (scen_cache.c; docs/cli.md, "Image cache") ---------------- */
#define SCEN_CACHE_FORMAT    1u           /* entry layout and key recipe; bump on change */
#define SCEN_CACHE_DEPS_MAX  256u         /* files nasm opened for one VxD */
#define SCEN_CACHE_ENTRY_MAX (4u << 20)   /* bytes of one entry */
#define SCEN_CACHE_MAX_MB    64u          /* the folder's size cap (VMMSIM_CACHE_MAX_MB) */

typedef struct scen_key { uint8_t b[16]; } scen_key;
typedef struct scen_image {             /* what scen_assemble makes of one VxD */
    uint8_t   *image;   uint32_t len;
    vmm_label *labels;  uint32_t nlabels;
} scen_image;
typedef struct scen_deps { char *path[SCEN_CACHE_DEPS_MAX]; uint32_t n; } scen_deps;
typedef struct scen_cache {
    int  on;                            /* a folder and nasm's identity are known */
    int  writable;                      /* stores go on (no failure yet) */
    char dir[SCEN_PATH_MAX];
    char nasm[SCEN_PATH_MAX];           /* resolved like execvp */
    char memo[SCEN_PATH_MAX + 48];      /* where `nasm -v` is remembered */
    char ident[SCEN_PATH_MAX + 512];    /* path, size, mtime, inode, ctime, `nasm -v` */
} scen_cache;

/* Sets c->on when VMMSIM_CACHE allows a cache and nasm is found; then, unless
** scen_cache_nasm_known, the caller runs `nasm -v` and gives scen_cache_nasm_version
** its output. A failure to create the folder warns once and leaves c->on clear. */
void scen_cache_begin(scen_cache *c, const char *nasm);
int  scen_cache_nasm_known(scen_cache *c);
void scen_cache_nasm_version(scen_cache *c, const char *text, size_t len);
/* The key of one VxD: dirs are nasm's -I folders; body the wrapped source less its
** [map] line (a temporary path). 0: none (out of memory). */
int  scen_cache_key(const scen_cache *c, const char *const *dirs, uint32_t ndirs,
                    uint32_t load_addr, const char *body, size_t len, scen_key *k);
/* 1 and img filled (owned by the caller) on a hit; 0 on a miss of any kind. */
int  scen_cache_get(scen_cache *c, const scen_key *k, scen_image *img);
void scen_cache_put(scen_cache *c, const scen_key *k, const scen_image *img,
                    const scen_deps *d);
/* Adds the prerequisites of a make rule in depfile (but `skip`) to d; -1: unusable. */
int  scen_cache_deps_read(scen_deps *d, const char *depfile, const char *skip);
void scen_cache_deps_free(scen_deps *d);

/* Default load address of the first VxD and the alignment of the next ones. */
#define SCEN_LOAD_BASE  0x00100000u
#define SCEN_LOAD_ALIGN 0x1000u

/* The source slot (scen.src, scen.vxds) of VM k's client program: after the VxDs'. */
#define SCEN_CLIENT_SRC(k) (SCEN_VXDS_MAX + (k))
/* i names a source: a VxD's or a VM's client program. */
#define SCEN_SRC_VALID(s, i) ((i) < (s)->nvxds || ((i) >= SCEN_VXDS_MAX && (i) < SCEN_CLIENT_SRC((s)->nvms)))

/* After assembly: each client program's image and labels into its VM, its entry
** label resolved (scen_client.c; called by scen_resolve). */
int scen_client_resolve(scen *s);

/* Name of the control procedure label when the VxD does not say. */
#define SCEN_CONTROL_DEFAULT "Control_Proc"

#endif
