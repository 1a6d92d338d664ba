/*
** bare_main.c — `vmmsim_bare`, cli/bare.c as a stand-alone program, so the bare-mode
** ROM tests run when the vmmsim executable is not built (cli.h: argv[0] = "bare").
*/
#include "cli.h"

int main(int argc, char **argv) {
    argv[0] = "bare";
    return cli_bare_main(argc, argv);
}
