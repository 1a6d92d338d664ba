/*
** simc_int.h — the Simulate_* services and the client register helpers, SIM-1 … SIM-5 (simc.c).
** Included by vmm_int.h. The feature's file is the only one that changes its state
** (held in vmm_state), and the one that defines the functions below.
*/
#ifndef VMMSIM_SIMC_INT_H
#define VMMSIM_SIMC_INT_H

#include "vmm_base_int.h"

#pragma GCC visibility push(hidden)

/* simc.c (SIM-1 … SIM-5: Simulate_* services; the client register helpers) */
/* client.c: Client_Reg_Struc offsets of the CPU's registers (CPU_EAX…) and segments
** (CPU_ES…). */
extern const uint8_t vmmi_creg_off[8], vmmi_cseg_off[6];
uint32_t vmmi_creg_get(vmm_state *v, uint32_t vm, uint32_t off, uint32_t size);
void vmmi_creg_set(vmm_state *v, uint32_t vm, uint32_t off, uint32_t val, uint32_t size);
/* Enters vector vec of VM vm's own table as an INT does in V86 mode (CL-4, SIM-1): FLAGS
** and ret_cs:ret_ip pushed on the client stack, IF and TF cleared, CS:IP from the vector;
** a CLIENT record of `op` (VMM_CLOP_INT or _SIMINT). Shared by reflection, simulated
** hardware interrupts and Simulate_Int (and Exec_Int). */
int  vmmi_simc_int(vmm_state *v, uint32_t vm, uint32_t vec, uint32_t ret_cs, uint32_t ret_ip, int op);
int  vmmi_simc_svc(vmm_state *v, vmm_call *c, uint32_t num);

#pragma GCC visibility pop

#endif
