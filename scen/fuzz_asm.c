/*
** fuzz_asm.c — libFuzzer target over the loader's assembly step: any byte string is a
** VxD's NASM source (the `asm:` block of a fixed scenario), assembled by the real nasm
** under the loader's limits (scen/scen.h: SCEN_NASM_*; here 2 s of CPU) and resolved. It
** must end in SCEN_OK or an error message — never a crash, a hang past the limits,
** a leftover temporary folder or a nasm still running.
*/
#include <assert.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scen/scen.h"

#define FUZZ_ASM_MAX 4096   /* source bytes taken from an input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_tmp[256];

static void tmp_remove(void) { rmdir(fuzz_tmp); }

/* A private TMPDIR, so that a leftover temporary folder is seen. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc; (void)argv;
    snprintf(fuzz_tmp, sizeof fuzz_tmp, "/tmp/vmmsim-fuzz-asm-%ld", (long)getpid());
    mkdir(fuzz_tmp, 0700);
    atexit(tmp_remove);
    setenv("TMPDIR", fuzz_tmp, 1);
    setenv("VMMSIM_NASM_TIME_S", "2", 1);
    /* Every input is a new source: the image cache (scen/scen_cache.c) would only fill a
    ** folder and run nasm -M once more per input. Its reader has tests of its own. */
    setenv("VMMSIM_CACHE", "off", 1);
    return 0;
}

static int tmp_empty(void) {
    DIR *d = opendir(fuzz_tmp);
    int n = 0;
    if (!d) return 1;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char head[] = "vms: [ { name: sys, system: true } ]\nvxds:\n  - name: F\n"
                               "    asm: |\n      Control_Proc: ret\n      ";
    if (size > FUZZ_ASM_MAX) size = FUZZ_ASM_MAX;
    char *yaml = malloc(sizeof head + size * 8 + 2);
    scen *s = malloc(sizeof *s);
    if (!yaml || !s) { free(yaml); free(s); return 0; }
    size_t n = sizeof head - 1;
    memcpy(yaml, head, n);
    for (size_t i = 0; i < size; i++) {            /* each line indented into the block */
        char ch = (char)data[i];
        if (ch == '\r' || ch == 0) ch = ' ';
        yaml[n++] = ch;
        if (ch == '\n') { memcpy(yaml + n, "      ", 6); n += 6; }
    }
    yaml[n++] = '\n';
    int rc = scen_parse(s, yaml, n, "fuzz.yaml");
    if (rc == SCEN_OK) rc = scen_assemble(s);
    if (rc == SCEN_OK) rc = scen_resolve(s);
    assert(rc <= 0);
    assert(rc == SCEN_OK || rc == SCEN_ENOMEM || s->err[0] != 0);
    assert(tmp_empty());
    scen_free(s);
    free(s);
    free(yaml);
    return 0;
}
