/* tests/alu: the cpu386 ALU (flags, arithmetic, shifts, multiply/divide, BCD, bits). */
#include <stdlib.h>

#include "test_alu.h"

int main(void)
{
    SRunner *sr = srunner_create(alu_core_suite());
    int failed;
    srunner_add_suite(sr, alu_shift_suite());
    srunner_add_suite(sr, alu_muldiv_suite());
    srunner_add_suite(sr, alu_bcd_suite());
    srunner_add_suite(sr, alu_bitop_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
