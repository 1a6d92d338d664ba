/* test_vmm_main.c — runs the vmm Check suites. */
#include <stdlib.h>

#include "test_vmm.h"

int main(void) {
    SRunner *sr = srunner_create(nc_suite());
    srunner_add_suite(sr, idle_suite());
    srunner_add_suite(sr, crit_suite());
    srunner_add_suite(sr, misc_suite());
    srunner_add_suite(sr, ev_suite());
    srunner_add_suite(sr, sl_suite());
    srunner_add_suite(sr, vpicd_suite());
    srunner_add_suite(sr, io_suite());
    srunner_add_suite(sr, client_suite());
    srunner_add_suite(sr, trap_suite());
    srunner_add_suite(sr, check_suite());
    srunner_add_suite(sr, hook_suite());
    srunner_add_suite(sr, nest_suite());
    srunner_add_suite(sr, life_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
