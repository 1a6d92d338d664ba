/*
** main.c — `vmmsim`: dispatches to a subcommand (cli.h).
*/
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct cli_command {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    { "run",    cli_run_main,    "run a scenario (default: the built-in demo) and print its trace" },
    { "replay", cli_replay_main, "re-run a scenario and compare with a saved trace" },
    { "fuzz",   cli_fuzz_main,   "search choice-point schedules for failing runs (random, pct, dfs)" },
    { "fuzz-merge", cli_fuzz_merge_main, "combine the findings files of fuzz shards, in run order" },
    { "shrink", cli_shrink_main, "minimise a failing schedule and the scenario's stimuli" },
    { "bench",  cli_bench_main,  "latency in simulated cycles (latency); host speed (host)" },
    { "debug",  cli_debug_main,  "serve one run to gdb, with reverse execution (remote protocol)" },
    { "bare",   cli_bare_main,   "run a raw i386 image (CPU test ROMs) on the bare interpreter" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
    fprintf(out, "usage: vmmsim COMMAND [OPTIONS]...\n\n"
                 "A deterministic, cycle-level simulator of the Windows 3.1 VMM's\n"
                 "callback scheduling.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'vmmsim COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return CLI_EXIT_USAGE; }
    if (!strcmp(argv[1], "help") && argc >= 3) {      /* `vmmsim help run` = `vmmsim run --help` */
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (!strcmp(argv[2], commands[i].name)) {
                char *av[] = { argv[2], "--help", NULL };
                return commands[i].main(2, av);
            }
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) { printf("vmmsim %s\n", VMMSIM_VERSION); return CLI_EXIT_OK; }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    if (argv[1][0] == '-') {
        fprintf(stderr, "vmmsim: unknown option %s\n(see 'vmmsim --help')\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    fprintf(stderr, "vmmsim: unknown command '%s' (expected one of:", argv[1]);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, ")\n");
    return CLI_EXIT_USAGE;
}
