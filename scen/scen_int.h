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
