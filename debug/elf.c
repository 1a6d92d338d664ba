/*
** elf.c — the scenario's labels as an ELF32 i386 symbol file (docs/debug.md,
** "Symbols"): one PROGBITS section per VxD holding its image at its load address,
** one text symbol per label ("LOG.idle_flush"), so that gdb's symbol-file names
** addresses and sets breakpoints by label. The layout is the System V ABI's; the
** file is written whole (xpl_afile_*).
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "dbg_int.h"

#define ELF_SYMS_MAX 65536u   /* symbols one file holds */

typedef struct elf_buf { uint8_t *p; size_t len, cap; int nomem; } elf_buf;

static void put(elf_buf *b, const void *src, size_t n) {
    assert(b);
    if (b->nomem) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { b->nomem = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put16(elf_buf *b, uint32_t v) { uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; put(b, x, 2); }
static void put32(elf_buf *b, uint32_t v) {
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    put(b, x, 4);
}
static void align4(elf_buf *b) { static const uint8_t z[4]; put(b, z, (4 - b->len % 4) % 4); }

/* A string table entry; its offset. */
static uint32_t str(elf_buf *t, const char *s) {
    assert(t && s);
    uint32_t at = (uint32_t)t->len;
    put(t, s, strlen(s) + 1);
    return at;
}

typedef struct elf_sh { uint32_t name, type, flags, addr, off, size, link, info, align, entsize; } elf_sh;

static void put_sh(elf_buf *b, const elf_sh *h) {
    assert(b && h);
    put32(b, h->name); put32(b, h->type); put32(b, h->flags); put32(b, h->addr); put32(b, h->off);
    put32(b, h->size); put32(b, h->link); put32(b, h->info); put32(b, h->align); put32(b, h->entsize);
}

static void put_header(elf_buf *b, uint32_t shoff, uint32_t shnum) {
    assert(b && b->len == 0 && shnum >= 4);
    static const uint8_t ident[16] = { 0x7F, 'E', 'L', 'F', 1, 1, 1, 0 };   /* 32-bit, LE, v1 */
    put(b, ident, 16);
    put16(b, 2);        /* ET_EXEC */
    put16(b, 3);        /* EM_386 */
    put32(b, 1);        /* EV_CURRENT */
    put32(b, 0);        /* e_entry */
    put32(b, 0);        /* e_phoff: no program headers (a symbol file) */
    put32(b, shoff);
    put32(b, 0);        /* e_flags */
    put16(b, 52); put16(b, 32); put16(b, 0); put16(b, 40);
    put16(b, shnum); put16(b, shnum - 1);   /* .shstrtab is the last section */
}

/* Symbols: the null one, then each VxD's labels in that VxD's section. */
static void put_symbols(elf_buf *sym, elf_buf *strtab, const scen *sc) {
    assert(sc);
    put(sym, (uint8_t[16]){ 0 }, 16);
    uint32_t n = 0;
    for (uint32_t x = 0; x < sc->nvxds; x++) {
        const vmm_vxd_desc *d = &sc->vxds[x];
        for (uint32_t k = 0; k < d->nlabels && n < ELF_SYMS_MAX; k++, n++) {
            char name[VMM_NAME_MAX * 4];
            snprintf(name, sizeof name, "%s.%s", d->name, d->labels[k].name);
            put32(sym, str(strtab, name));
            put32(sym, d->labels[k].addr);
            put32(sym, 0);                       /* st_size: unknown */
            uint8_t info[4] = { (1u << 4) | 2u, 0, 0, 0 };   /* GLOBAL FUNC, default visibility */
            put(sym, info, 2);
            put16(sym, 1 + x);                   /* the VxD's section */
        }
    }
}

static int build(elf_buf *b, const scen *sc) {
    assert(b && sc && b->len == 0);
    elf_buf sym = { 0 }, strtab = { 0 }, shstr = { 0 };
    str(&strtab, "");
    str(&shstr, "");
    put_symbols(&sym, &strtab, sc);
    uint32_t nvxd = sc->nvxds, shnum = nvxd + 4;
    elf_sh *sh = calloc(shnum, sizeof *sh);
    if (!sh) return -1;
    put_header(b, 0, shnum);   /* e_shoff patched below */
    for (uint32_t x = 0; x < nvxd; x++) {
        char name[VMM_NAME_MAX + 8];
        snprintf(name, sizeof name, ".vxd.%s", sc->vxds[x].name);
        sh[1 + x] = (elf_sh){ str(&shstr, name), 1, 6, sc->vxds[x].load_addr, (uint32_t)b->len,
                              sc->vxds[x].image_len, 0, 0, 16, 0 };   /* PROGBITS, ALLOC|EXEC */
        put(b, sc->vxds[x].image, sc->vxds[x].image_len);
        align4(b);
    }
    sh[nvxd + 1] = (elf_sh){ str(&shstr, ".symtab"), 2, 0, 0, (uint32_t)b->len, (uint32_t)sym.len,
                             nvxd + 2, 1, 4, 16 };   /* SYMTAB: strings in the next, 1 local */
    put(b, sym.p, sym.len);
    sh[nvxd + 2] = (elf_sh){ str(&shstr, ".strtab"), 3, 0, 0, (uint32_t)b->len, (uint32_t)strtab.len, 0, 0, 1, 0 };
    put(b, strtab.p, strtab.len);
    align4(b);
    sh[nvxd + 3] = (elf_sh){ str(&shstr, ".shstrtab"), 3, 0, 0, 0, 0, 0, 0, 1, 0 };
    sh[nvxd + 3].off = (uint32_t)b->len;
    sh[nvxd + 3].size = (uint32_t)shstr.len;
    put(b, shstr.p, shstr.len);
    align4(b);
    uint32_t shoff = (uint32_t)b->len;
    for (uint32_t k = 0; k < shnum; k++) put_sh(b, &sh[k]);
    int nomem = b->nomem || sym.nomem || strtab.nomem || shstr.nomem;
    if (!nomem) memcpy(b->p + 32, &(uint8_t[4]){ (uint8_t)shoff, (uint8_t)(shoff >> 8),
                                                 (uint8_t)(shoff >> 16), (uint8_t)(shoff >> 24) }, 4);
    free(sh); free(sym.p); free(strtab.p); free(shstr.p);
    return nomem ? -1 : 0;
}

int dbg_symbols_write(const scen *sc, const char *path, FILE *err) {
    assert(sc && path && err);
    elf_buf b = { 0 };
    if (build(&b, sc)) {
        free(b.p);
        fprintf(err, "vmmsim: %s: out of memory building the symbol file\n", path);
        return XPL_EXIT_HOST;
    }
    xpl_afile a;
    FILE *f = xpl_afile_open(&a, path);
    int rc = 0;
    if (!f || fwrite(b.p, 1, b.len, f) != b.len) rc = -1;
    if (f && rc) xpl_afile_abort(&a);
    else if (f && xpl_afile_commit(&a)) rc = -1;
    if (rc) { fprintf(err, "vmmsim: cannot write the symbol file %s\n", path); rc = XPL_EXIT_HOST; }
    free(b.p);
    return rc;
}
