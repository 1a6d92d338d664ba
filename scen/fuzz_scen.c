/*
** fuzz_scen.c — libFuzzer target over the scenario loader: any byte string given to
** scen_parse, then (when it parses) label resolution against a fixed stand-in label
** table, must end in SCEN_OK or an error message naming a position — never a crash,
** a leak or undefined behaviour. nasm is not run (no processes under the fuzzer);
** assembling is covered by the Check tests and the golden scenarios.
*/
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scen/scen.h"

static const char *const fake_names[] = { "Control_Proc", "entry", "idle_a", "idle_b",
                                          "nc_cb", "flag", "entry.loop" };
#define NFAKE (sizeof fake_names / sizeof fake_names[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    scen *s = malloc(sizeof *s);
    if (!s) return 0;
    int rc = scen_parse(s, (const char *)data, size, "fuzz.yaml");
    assert(rc <= 0);
    if (rc == SCEN_OK) {
        /* Stand-in for scen_assemble: each VxD gets a tiny image and fixed labels. */
        for (uint32_t i = 0; i < s->nvxds && rc == SCEN_OK; i++) {
            scen_src *src = &s->src[i];
            src->image = calloc(16, 1);
            src->labels = calloc(NFAKE, sizeof *src->labels);
            if (!src->image || !src->labels) { rc = SCEN_ENOMEM; break; }
            if (!s->vxds[i].load_addr) s->vxds[i].load_addr = 0x100000u + i * 0x1000u;
            for (uint32_t j = 0; j < NFAKE; j++) {
                strcpy(src->labels[j].name, fake_names[j]);
                src->labels[j].addr = s->vxds[i].load_addr + j;
            }
            src->nlabels = NFAKE;
            s->vxds[i].image = src->image;
            s->vxds[i].image_len = 16;
        }
        if (rc == SCEN_OK) rc = scen_resolve(s);
    }
    /* Every failure carries a message. */
    assert(rc == SCEN_OK || rc == SCEN_ENOMEM || s->err[0] != 0);
    scen_free(s);
    free(s);
    return 0;
}
