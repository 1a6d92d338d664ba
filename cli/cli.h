/*
** cli.h — the `vmmsim` command: one file per subcommand, each an entry point of the
** form int cli_X_main(int argc, char **argv) with argv[0] = the subcommand name.
** Exit codes (README, "Exit codes"): 0 success, 1 a finding or failed expectation,
** 2 bad usage or bad input, 3 a simulation error (guest fault, limit, unimplemented
** service), 4 a host error (I/O, memory).
*/
#ifndef VMMSIM_CLI_H
#define VMMSIM_CLI_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FINDING = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_SIM = 3,
    CLI_EXIT_HOST = 4
};

int cli_run_main(int argc, char **argv);
int cli_replay_main(int argc, char **argv);
int cli_bare_main(int argc, char **argv);
int cli_fuzz_main(int argc, char **argv);
int cli_shrink_main(int argc, char **argv);
int cli_fuzz_merge_main(int argc, char **argv);
int cli_bench_main(int argc, char **argv);

#endif
