/*
** cli.h — the `vmmsim` command: one file per subcommand, each an entry point of the
** form int cli_X_main(int argc, char **argv) with argv[0] = the subcommand name. A
** subcommand parses its options (opt.h), calls the libraries (explore/, bench/lib/)
** and prints; it holds no simulation logic (docs/architecture.md).
** Exit codes (README, "Exit codes"): 0 success, 1 a finding or failed expectation,
** 2 bad usage or bad input, 3 a simulation error (guest fault, limit, unimplemented
** service), 4 a host error (I/O, memory).
*/
#ifndef VMMSIM_CLI_H
#define VMMSIM_CLI_H

#include "explore/explore.h"

/* The libraries return these codes; the command passes them on. */
enum {
    CLI_EXIT_OK = XPL_EXIT_OK,
    CLI_EXIT_FINDING = XPL_EXIT_FINDING,
    CLI_EXIT_USAGE = XPL_EXIT_USAGE,
    CLI_EXIT_SIM = XPL_EXIT_SIM,
    CLI_EXIT_HOST = XPL_EXIT_HOST
};

int cli_run_main(int argc, char **argv);
int cli_replay_main(int argc, char **argv);
int cli_bare_main(int argc, char **argv);
int cli_fuzz_main(int argc, char **argv);
int cli_shrink_main(int argc, char **argv);
int cli_fuzz_merge_main(int argc, char **argv);
int cli_bench_main(int argc, char **argv);
int cli_debug_main(int argc, char **argv);
int cli_bench_host_main(int argc, char **argv);   /* `vmmsim bench host`, from bench.c */
/* A bench library result (BENCH_OK, _ENOMEM, _EFULL, _ESIM) as an exit code. */
int cli_bench_exit(int rc);

#endif
