/* test_debug_main.c — runs debug/'s Check suites. */
#include <stdlib.h>

#include "test_debug.h"

int main(void) {
    SRunner *sr = srunner_create(test_rsp_suite());
    srunner_add_suite(sr, test_target_suite());
    srunner_add_suite(sr, test_snap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
