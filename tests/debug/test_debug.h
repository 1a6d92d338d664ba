/* test_debug.h — the suites of test_debug (tests/debug). */
#ifndef VMMSIM_TEST_DEBUG_H
#define VMMSIM_TEST_DEBUG_H
#include <check.h>
Suite *test_rsp_suite(void);
Suite *test_target_suite(void);
Suite *test_snap_suite(void);
#endif
