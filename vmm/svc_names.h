/* svc_names.h — the VMM service names, generated from vmm/vmm_services.csv. */
#ifndef VMMSIM_SVC_NAMES_H
#define VMMSIM_SVC_NAMES_H
#include <stdint.h>
extern const uint32_t vmm_svc_count;
extern const char *const vmm_svc_names[];
#endif
