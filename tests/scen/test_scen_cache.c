/*
** test_scen_cache.c — Check tests of the VxD image cache (scen/scen_cache.c): a hit
** gives the image and labels nasm gave; a changed include, a damaged or truncated
** entry are misses (and the entry is rewritten); VMMSIM_CACHE=off touches no folder;
** a folder that cannot be written costs one warning and no failure.
*/
#define _XOPEN_SOURCE 700
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scen/scen.h"

static char root[64];                  /* this test's scratch folder */
static char cache[128];                /* VMMSIM_CACHE */

/* A VxD in a `file:` source beside the scenario that %includes a file of its own
** (in a folder whose name needs make's escapes) and vmm.inc. */
static const char yaml[] =
    "vms: [ { name: sys, system: true }, { name: dos1 } ]\n"
    "vxds:\n"
    "  - { name: A, file: 'sub dir#1/drv.asm' }\n"
    "  - name: B\n"
    "    asm: |\n"
    "      %include \"vmm.inc\"\n"
    "      Control_Proc: clc\n"
    "              ret\n"
    "      cb:     mov eax, VM_dos1\n"
    "              ret\n";

static void write_text(const char *rel, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static void setup(void) {
    snprintf(root, sizeof root, "/tmp/vmmsim-cache-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    snprintf(cache, sizeof cache, "%s/cache", root);
    setenv("VMMSIM_CACHE", cache, 1);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub dir#1", root);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_text("sub dir#1/drv.asm", "%include \"sub dir#1/defs.inc\"\nControl_Proc: clc\n ret\n"
               "entry: mov eax, VALUE\n ret\n");
    write_text("sub dir#1/defs.inc", "VALUE equ 0x11111111\n");
    write_text("s.yaml", yaml);
}

static void teardown(void) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
    unsetenv("VMMSIM_CACHE");
}

static uint64_t lookups;               /* of the last load() */

/* Loads s.yaml; returns how many lookups hit. The scenario is in *s. */
static uint64_t load(scen *s) {
    char path[256];
    scen_cache_counts before, after;
    snprintf(path, sizeof path, "%s/s.yaml", root);
    scen_cache_counts_get(&before);
    ck_assert_msg(scen_load(s, path) == SCEN_OK, "%s", scen_error(s));
    scen_cache_counts_get(&after);
    lookups = after.hits + after.misses - before.hits - before.misses;
    return after.hits - before.hits;
}

/* The one entry file of VxD `nth` (0 or 1, in name order), or "" when none. */
static void entry(int nth, char *out, size_t len) {
    DIR *d = opendir(cache);
    char names[2][300] = { "", "" };
    int n = 0;
    out[0] = 0;
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "vxd-", 4) && n < 2) snprintf(names[n++], 300, "%s", e->d_name);
    closedir(d);
    ck_assert_int_eq(n, 2);
    if (strcmp(names[0], names[1]) > 0) nth = !nth;
    snprintf(out, len, "%s/%s", cache, names[nth]);
}

static void same_vxds(const scen *a, const scen *b) {
    ck_assert_uint_eq(a->nvxds, b->nvxds);
    for (uint32_t i = 0; i < a->nvxds; i++) {
        ck_assert_uint_eq(a->vxds[i].image_len, b->vxds[i].image_len);
        ck_assert_int_eq(memcmp(a->vxds[i].image, b->vxds[i].image, a->vxds[i].image_len), 0);
        ck_assert_uint_eq(a->vxds[i].nlabels, b->vxds[i].nlabels);
        ck_assert_int_eq(memcmp(a->vxds[i].labels, b->vxds[i].labels,
                                a->vxds[i].nlabels * sizeof *a->vxds[i].labels), 0);
        ck_assert_uint_eq(a->vxds[i].control_proc, b->vxds[i].control_proc);
    }
}

START_TEST(hit_after_miss_is_identical) {
    static scen cold, warm, off;
    ck_assert_uint_eq(load(&cold), 0);
    ck_assert_uint_eq(lookups, 2);
    ck_assert_uint_eq(load(&warm), 2);
    same_vxds(&cold, &warm);
    ck_assert_uint_eq(warm.vxds[0].image[2], 0xB8);     /* clc, ret, mov eax */
    ck_assert_uint_eq(warm.vxds[1].nlabels, 2);
    setenv("VMMSIM_CACHE", "off", 1);
    ck_assert_uint_eq(load(&off), 0);
    ck_assert_uint_eq(lookups, 0);
    same_vxds(&cold, &off);
    scen_free(&cold); scen_free(&warm); scen_free(&off);
}
END_TEST

START_TEST(changed_include_misses) {
    static scen a, b, c;
    scen_cache_counts k0, k1;
    load(&a);
    ck_assert_uint_eq(load(&b), 2);
    /* Same size, other contents: the file's hash, not its size or time, decides. */
    write_text("sub dir#1/defs.inc", "VALUE equ 0x22222222\n");
    scen_cache_counts_get(&k0);
    ck_assert_uint_eq(load(&c), 1);                     /* B still hits */
    scen_cache_counts_get(&k1);
    ck_assert_uint_eq(k1.stale - k0.stale, 1);
    ck_assert_uint_eq(c.vxds[0].image[4], 0x22);        /* the new value, from nasm */
    ck_assert_uint_eq(a.vxds[0].image[4], 0x11);
    scen_free(&c);
    ck_assert_uint_eq(load(&c), 2);                     /* the entry was replaced */
    ck_assert_uint_eq(c.vxds[0].image[4], 0x22);
    scen_free(&a); scen_free(&b); scen_free(&c);
}
END_TEST

/* Damage: a flipped byte (in the last label's address; in the middle), a truncation,
** an empty file, another key's entry. */
START_TEST(damaged_entry_misses_and_is_rewritten) {
    static scen a, b;
    char path[256], other[256];
    load(&a);
    entry(_i == 3 ? 1 : 0, path, sizeof path);
    entry(0, other, sizeof other);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    if (_i == 0 || _i == 4) {
        int fd = open(path, O_RDWR);
        unsigned char ch;
        off_t at = _i == 0 ? st.st_size - 8 - 3 : st.st_size / 2;
        ck_assert_int_eq(pread(fd, &ch, 1, at), 1);
        ch ^= 0x40;
        ck_assert_int_eq(pwrite(fd, &ch, 1, at), 1);
        close(fd);
    } else if (_i == 1 || _i == 2) {
        ck_assert_int_eq(truncate(path, _i == 1 ? st.st_size - 9 : 0), 0);
    } else {                                            /* B's name, A's bytes */
        char cmd[600];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", other, path);
        ck_assert_int_eq(system(cmd), 0);
    }
    scen_cache_counts k0, k1;
    scen_cache_counts_get(&k0);
    ck_assert_uint_eq(load(&b), 1);
    scen_cache_counts_get(&k1);
    ck_assert_uint_eq(k1.damaged - k0.damaged, 1);
    ck_assert_uint_eq(k1.stores - k0.stores, 1);
    same_vxds(&a, &b);
    scen_free(&b);
    ck_assert_uint_eq(load(&b), 2);
    same_vxds(&a, &b);
    scen_free(&a); scen_free(&b);
}
END_TEST

static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.' || e->d_name[1] > '.';
    closedir(d);
    return n;
}

START_TEST(off_touches_no_folder) {
    static scen a;
    char xdg[128], home[128];
    snprintf(xdg, sizeof xdg, "%s/xdg", root);
    snprintf(home, sizeof home, "%s/home", root);
    ck_assert_int_eq(mkdir(xdg, 0700), 0);
    ck_assert_int_eq(mkdir(home, 0700), 0);
    setenv("XDG_CACHE_HOME", xdg, 1);
    setenv("HOME", home, 1);
    setenv("VMMSIM_CACHE", "off", 1);
    ck_assert_uint_eq(load(&a), 0);
    scen_free(&a);
    ck_assert_uint_eq(load(&a), 0);
    ck_assert_int_eq(entries(xdg), 0);
    ck_assert_int_eq(entries(home), 0);
    ck_assert_int_eq(entries(cache), -1);
    scen_free(&a);
    /* Unset, it is $XDG_CACHE_HOME/vmmsim. */
    unsetenv("VMMSIM_CACHE");
    load(&a);
    snprintf(xdg, sizeof xdg, "%s/xdg/vmmsim", root);
    ck_assert_int_ge(entries(xdg), 3);                  /* nasm -v memo, two VxDs */
    scen_free(&a);
}
END_TEST

/* A folder that cannot be made, and one that cannot be written (even by root): the
** scenario loads each time, with one warning per folder. */
START_TEST(unwritable_folder_warns_once) {
    static scen a;
    char log[128], bad[128];
    snprintf(log, sizeof log, "%s/stderr", root);
    snprintf(bad, sizeof bad, "%s/s.yaml/cache", root);  /* under a regular file */
    fflush(stderr);
    int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(dup2(fd, 2), 0);
    close(fd);
    const char *dirs[] = { bad, "/proc/self" };
    for (int d = 0; d < 2; d++) {
        setenv("VMMSIM_CACHE", dirs[d], 1);
        for (int k = 0; k < 3; k++) {
            ck_assert_uint_eq(load(&a), 0);
            ck_assert_uint_eq(lookups, d == 0 ? 0 : 2);   /* none / misses, not stored */
            scen_free(&a);
        }
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(log, "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    int warnings = 0;
    for (const char *p = text; (p = strstr(p, "warning: image cache")); p++) warnings++;
    ck_assert_msg(warnings == 2, "want one warning per folder, got:\n%s", text);
    ck_assert_ptr_nonnull(strstr(text, bad));
}
END_TEST

/* Over VMMSIM_CACHE_MAX_MB, a store evicts the least recently used entries (here three
** old 400 KiB stand-ins) until a quarter of the cap is free; a stale temporary file
** of a writer that died goes too, a fresh one stays. */
START_TEST(store_over_the_cap_evicts_oldest) {
    static scen a;
    ck_assert_int_eq(mkdir(cache, 0700), 0);
    static char big[400 << 10];
    const char *names[] = { "vxd-old1", "vxd-old2", "vxd-old3", ".tmp-dead", ".tmp-busy" };
    for (int i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", cache, names[i]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(big, 1, i < 3 ? sizeof big : 10, f), i < 3 ? sizeof big : 10);
        fclose(f);
        struct timespec ts[2] = { { 1000000 + i, 0 }, { 1000000 + i, 0 } };
        if (i != 4) ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
    setenv("VMMSIM_CACHE_MAX_MB", "1", 1);
    load(&a);
    ck_assert_uint_eq(a.nvxds, 2);
    scen_free(&a);
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/vxd-old1", cache);
    ck_assert_int_ne(stat(path, &st), 0);               /* oldest: evicted */
    snprintf(path, sizeof path, "%s/vxd-old2", cache);
    ck_assert_int_ne(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/vxd-old3", cache);
    ck_assert_int_eq(stat(path, &st), 0);               /* 400 KiB + new ones < 768 KiB */
    snprintf(path, sizeof path, "%s/.tmp-dead", cache);
    ck_assert_int_ne(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/.tmp-busy", cache);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(load(&a), 2);                     /* the new entries stayed */
    scen_free(&a);
    unsetenv("VMMSIM_CACHE_MAX_MB");
}
END_TEST

int main(void) {
    Suite *s = suite_create("scen_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, hit_after_miss_is_identical);
    tcase_add_test(tc, changed_include_misses);
    tcase_add_loop_test(tc, damaged_entry_misses_and_is_rewritten, 0, 5);
    tcase_add_test(tc, off_touches_no_folder);
    tcase_add_test(tc, unwritable_folder_warns_once);
    tcase_add_test(tc, store_over_the_cap_evicts_oldest);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
