/* test_vmm.h — the vmm Check suites. */
#ifndef VMMSIM_TEST_VMM_H
#define VMMSIM_TEST_VMM_H
#include <check.h>
#include "fixture.h"
Suite *nc_suite(void);
Suite *idle_suite(void);
Suite *crit_suite(void);
Suite *misc_suite(void);
Suite *ev_suite(void);
Suite *sl_suite(void);
Suite *vpicd_suite(void);
Suite *io_suite(void);
Suite *client_suite(void);
Suite *trap_suite(void);
Suite *check_suite(void);
Suite *hook_suite(void);
Suite *nest_suite(void);
Suite *life_suite(void);
#endif
