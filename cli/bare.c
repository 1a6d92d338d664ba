/*
** bare.c — `vmmsim bare`: the command line of a raw i386 image on the bare
** interpreter (explore's xpl_bare_run), for CPU test ROMs.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

static void bare_usage(FILE *out) {
    assert(out);
    fprintf(out,
        "usage: vmmsim bare --rom FILE [--load ADDR FILE]... [--entry flat32:ADDR]\n"
        "                   [--max-cycles N] [--memory-kb N] [--expect-post XX]\n\n"
        "Runs a raw i386 image on vmmsim's interpreter with no VMM (CPU test ROMs).\n\n"
        "  --rom FILE          ROM image (at most 256 KiB), mapped to end at 0xFFFFFFFF\n"
        "                      and mirrored to end at 0xFFFFF; execution starts from the\n"
        "                      386 reset state, CS:EIP = F000:FFF0\n"
        "  --load ADDR FILE    copy FILE into RAM at physical ADDR (up to %d times)\n"
        "  --entry flat32:ADDR start in 32-bit flat protected mode at ADDR instead (ring 0,\n"
        "                      CS = 0x28, data 0x30, GDT at 0x%x, ESP = top of RAM\n"
        "                      below the ROM's mirror under 1 MiB)\n"
        "  --max-cycles N      stop with an error after N clocks (default %" PRIu64 ")\n"
        "  --memory-kb N       RAM size in KiB, a multiple of 4 (default %u)\n"
        "  --expect-post XX    the last value written to the POST port must be XX (hex):\n"
        "                      a run that otherwise ends well exits %d when it is not\n"
        "  --help              this text\n\n"
        "Port 0x%X: bytes written go to stdout. Port 0x%X: values written go to stderr\n"
        "as 'POST xx'. Ports 92h, 60h and 64h are the PC's A20 gate (port 92h bit 1, and\n"
        "the keyboard controller's output port written after command D1h); A20 starts\n"
        "enabled. Exit status: 0 on HLT with IF clear; %d for bad usage or input;\n"
        "%d on an unhandled exception, triple fault, HLT with IF set, or the cycle\n"
        "limit (the reason is on stderr); %d on a host error.\n",
        XPL_BARE_LOADS_MAX, XPL_BARE_FLAT_GDT, (uint64_t)XPL_BARE_CYCLES_DEF, XPL_BARE_MEMORY_KB_DEF,
        CLI_EXIT_FINDING, XPL_BARE_PORT_CONSOLE, XPL_BARE_PORT_POST, CLI_EXIT_USAGE, CLI_EXIT_SIM, CLI_EXIT_HOST);
}

static int load_arg(const char *const *val, void *dst) {
    assert(val && dst);
    xpl_bare_opts *o = dst;
    uint64_t n;
    if (o->nloads == XPL_BARE_LOADS_MAX || xpl_u64_arg(val[0], &n) || n > 0xFFFFFFFFu) return -1;
    o->loads[o->nloads++] = (xpl_bare_load){ (uint32_t)n, val[1] };
    return 0;
}

static int post_arg(const char *const *val, void *dst) {
    assert(val && dst);
    xpl_bare_opts *o = dst;
    const char *v = val[0];
    char *end = NULL;
    errno = 0;
    unsigned long long x = *v && *v != '-' ? strtoull(v, &end, 16) : 0;
    if (!*v || *v == '-' || errno || *end || x > 0xFFFFFFFFull) return -1;
    o->expect_post = 1;
    o->post_want = (uint32_t)x;
    return 0;
}

static int entry_arg(const char *const *val, void *dst) {
    assert(val && dst);
    xpl_bare_opts *o = dst;
    uint64_t n;
    if (strncmp(val[0], "flat32:", 7) || xpl_u64_arg(val[0] + 7, &n) || n > 0xFFFFFFFFu) return -1;
    o->flat32 = 1;
    o->entry = (uint32_t)n;
    return 0;
}

/* Returns CLI_EXIT_OK, CLI_EXIT_USAGE, or -1 for --help. */
static int bare_parse(int argc, char **argv, xpl_bare_opts *o) {
    assert(argc >= 1 && argv && o);
    *o = (xpl_bare_opts){ .cycles_max = XPL_BARE_CYCLES_DEF, .memory_kb = XPL_BARE_MEMORY_KB_DEF };
    const cli_opt opts[] = {
        { "--rom", NULL, CLI_OPT_STR, &o->rom_path, 0, 0, "a file", NULL, NULL, 0 },
        { "--load", NULL, CLI_OPT_FUNC, o, 0, 0, "ADDR and FILE (at most 16 times)", NULL, load_arg, 2 },
        { "--entry", NULL, CLI_OPT_FUNC, o, 0, 0, "flat32:ADDR", NULL, entry_arg, 1 },
        { "--max-cycles", NULL, CLI_OPT_U64, &o->cycles_max, 1, UINT64_MAX, "a positive number", NULL, NULL, 0 },
        { "--memory-kb", NULL, CLI_OPT_U32, &o->memory_kb, XPL_BARE_MEMORY_KB_MIN, XPL_BARE_MEMORY_KB_MAX,
          "a multiple of 4 in [64, 1048576]", NULL, NULL, 0 },
        { "--expect-post", NULL, CLI_OPT_FUNC, o, 0, 0, "a hex value such as FF", NULL, post_arg, 1 },
    };
    const cli_cmd cmd = { "bare", NULL, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, NULL };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc;
    if (o->memory_kb % 4) {
        char v[16];
        snprintf(v, sizeof v, "%u", o->memory_kb);
        return cli_usage_err(&cmd, "--memory-kb expects a multiple of 4 in [64, 1048576], found", v);
    }
    if (!o->rom_path) return cli_usage_err(&cmd, "--rom FILE is required", NULL);
    return CLI_EXIT_OK;
}

int cli_bare_main(int argc, char **argv) {
    xpl_bare_opts o;
    int rc = bare_parse(argc, argv, &o);
    if (rc < 0) { bare_usage(stdout); return CLI_EXIT_OK; }
    if (rc != CLI_EXIT_OK) return rc;
    return xpl_bare_run(&o);
}
