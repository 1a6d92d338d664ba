/*
** fixture.h — helpers for the vmm Check suites: load a test VxD assembled by nasm at
** build time (image + symbol map), build a vmm_scenario by hand, run it, and look
** at the trace text and guest memory.
*/
#ifndef VMMSIM_TEST_VMM_FIXTURE_H
#define VMMSIM_TEST_VMM_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/vmm.h"

#define TF_VMS_MAX   8
#define TF_STIM_MAX  64
#define TF_LABELS    256
#define TF_TEXT_MAX  (1u << 20)

typedef struct tf {
    vmm_scenario s;
    vmm_vm_desc vms[TF_VMS_MAX];
    vmm_vxd_desc vxd;
    vmm_label lab[TF_LABELS];
    uint8_t *image;
    vmm_stimulus stim[TF_STIM_MAX];
    vmm_state *v;
    int rc;
    char *text;              /* the whole trace as text, after tf_run */
    size_t textlen;
} tf;

/* Loads VxD `name` (tests/vmm/vxd/NAME.asm, assembled at build time) as VxD "T" at
** 1 MiB with its control procedure at label Control_Proc, and VMs sys, dos1…dosN. */
void tf_init(tf *t, const char *name, uint32_t nvms);
void tf_free(tf *t);
uint32_t tf_label(const tf *t, const char *label);       /* aborts the test if unknown */
void tf_stim(tf *t, uint64_t at, uint32_t kind, uint32_t vm, const char *target, uint32_t arg);
int  tf_run(tf *t);                                      /* vmm_new + vmm_run + text */
uint32_t tf_u32(tf *t, const char *label);               /* guest dword at a label */
uint8_t  tf_u8(tf *t, const char *label);
uint32_t tf_handle(tf *t, uint32_t vm);
/* Number of trace lines containing every one of the space-separated words of `pat`. */
int  tf_count(const tf *t, const char *pat);
/* Index (line number) of the n-th (0-based) line matching pat, -1 when none. */
long tf_line(const tf *t, const char *pat, int n);
/* The line with that index (static buffer). */
const char *tf_line_text(const tf *t, long idx);
uint64_t tf_hash(const tf *t);
void tf_give(tf *t, uint32_t vm, const uint8_t *img, uint32_t len);   /* client program at 1000:0000 */
uint32_t tf_creg(tf *t, uint32_t vm, uint32_t off, uint32_t size);   /* Client_Reg_Struc field */

#endif
