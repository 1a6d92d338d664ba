/*
** opt.h — the one option parser of the `vmmsim` subcommands: each describes its
** options in a table (name, kind, where the value goes, its range) and calls
** cli_opt_parse. Every usage error is one line "vmmsim CMD: <what>" and a pointer to
** the subcommand's --help, exit status CLI_EXIT_USAGE. Internal to cli/.
*/
#ifndef VMMSIM_CLI_OPT_H
#define VMMSIM_CLI_OPT_H

#include <stdint.h>

enum cli_opt_kind {
    CLI_OPT_FLAG = 1,       /* no value: *(int *)dst = 1 */
    CLI_OPT_STR,            /* *(const char **)dst = value */
    CLI_OPT_U64,            /* *(uint64_t *)dst, in [min, max], decimal or 0x */
    CLI_OPT_U32,            /* *(uint32_t *)dst, in [min, max] (max <= UINT32_MAX) */
    CLI_OPT_SECONDS,        /* *(double *)dst > 0 */
    CLI_OPT_STRATEGY,       /* *(int *)dst, an eng_strategy whose bit is set in max */
    CLI_OPT_LIST,           /* appends to (const char **)dst, count in *n, at most max */
    CLI_OPT_FUNC            /* fn(values, dst): 0, or -1 for a bad value; nval values */
};

typedef struct cli_opt {
    const char *name;       /* "--runs" */
    const char *alias;      /* "-j", or NULL */
    int         kind;
    void       *dst;
    uint64_t    min, max;
    const char *expects;    /* "a positive integer": "--runs expects <it>, found X" */
    uint32_t   *n;          /* LIST: values so far */
    int       (*fn)(const char *const *val, void *dst);
    uint32_t    nval;       /* FUNC: values taken (1 or 2) */
} cli_opt;

typedef struct cli_cmd {
    const char *name;       /* "fuzz", "bench latency": messages say "vmmsim <name>: " */
    const char *help;       /* printed by --help / -h (NULL: by the caller) */
    const cli_opt *opt;
    uint32_t    nopt;
    const char **pos;       /* positional arguments, at most npos_max */
    uint32_t    npos_max;
    uint32_t   *npos;
    const char *pos_name;   /* "SCENARIO": "expected one SCENARIO, found another: X" */
} cli_cmd;

#define CLI_OPTS_MAX 32u
#define CLI_STRATS(a, b, c) ((1u << (a)) | (1u << (b)) | (1u << (c)))

/* Parses argv[first..argc). 0, -1 after printing --help, or CLI_EXIT_USAGE after
** one message on stderr. */
int cli_opt_parse(const cli_cmd *cmd, int argc, char **argv, int first);
/* "vmmsim <cmd>: msg arg" and the --help pointer on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_err(const cli_cmd *cmd, const char *msg, const char *arg);
/* CLI_OPT_FUNC for --pct-by: "source" or "rank" into an int (ENG_PCT_BY_*). */
int cli_pct_by_arg(const char *const *val, void *dst);

#endif
