/*
** opt.c — the table-driven option parser shared by every subcommand (opt.h).
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/engine.h"
#include "opt.h"

int cli_pct_by_arg(const char *const *val, void *dst) {
    assert(val && val[0] && dst);
    int *by = dst;
    if (strcmp(val[0], "source") == 0) *by = ENG_PCT_BY_SOURCE;
    else if (strcmp(val[0], "rank") == 0) *by = ENG_PCT_BY_RANK;
    else return -1;
    return 0;
}

int cli_usage_err(const cli_cmd *cmd, const char *msg, const char *arg) {
    assert(cmd && msg);
    fprintf(stderr, "vmmsim %s: %s%s%s\n(see 'vmmsim %s --help')\n", cmd->name, msg,
            arg ? " " : "", arg ? arg : "", cmd->name);
    return CLI_EXIT_USAGE;
}

/* "--x expects <what>, found <val|nothing>". */
static int bad_value(const cli_cmd *cmd, const cli_opt *o, const char *val) {
    assert(cmd && o && o->name);
    char msg[160];
    snprintf(msg, sizeof msg, "%s expects %s, found", o->name, o->expects ? o->expects : "a value");
    return cli_usage_err(cmd, msg, val ? val : "nothing");
}

/* Stores one option's value(s); 0 or CLI_EXIT_USAGE. */
static int take(const cli_cmd *cmd, const cli_opt *o, const char *const *val, uint32_t nval) {
    uint64_t x = 0;
    char *end;
    assert(o->dst || o->kind == CLI_OPT_FUNC);
    for (uint32_t k = 0; k < nval; k++) if (!val[k]) return bad_value(cmd, o, NULL);
    switch (o->kind) {
    case CLI_OPT_FLAG: *(int *)o->dst = 1; return 0;
    case CLI_OPT_STR: *(const char **)o->dst = val[0]; return 0;
    case CLI_OPT_U64:
    case CLI_OPT_U32:
        if (xpl_u64_arg(val[0], &x) || x < o->min || x > o->max) return bad_value(cmd, o, val[0]);
        if (o->kind == CLI_OPT_U64) *(uint64_t *)o->dst = x;
        else { assert(o->max <= UINT32_MAX); *(uint32_t *)o->dst = (uint32_t)x; }
        return 0;
    case CLI_OPT_SECONDS: {
        double d = strtod(val[0], &end);
        if (!(d > 0) || *end) return bad_value(cmd, o, val[0]);
        *(double *)o->dst = d;
        return 0;
    }
    case CLI_OPT_STRATEGY: {
        int s;
        if (eng_strategy_parse(val[0], &s) || !(o->max >> s & 1)) return bad_value(cmd, o, val[0]);
        *(int *)o->dst = s;
        return 0;
    }
    case CLI_OPT_LIST:
        assert(o->n);
        if (*o->n >= o->max) return bad_value(cmd, o, val[0]);
        ((const char **)o->dst)[(*o->n)++] = val[0];
        return 0;
    case CLI_OPT_FUNC: return o->fn(val, o->dst) ? bad_value(cmd, o, val[0]) : 0;
    default: assert(0); return CLI_EXIT_USAGE;
    }
}

static const cli_opt *find(const cli_cmd *cmd, const char *a) {
    assert(cmd && a && a[0] == '-');
    for (uint32_t k = 0; k < cmd->nopt; k++) {
        const cli_opt *o = &cmd->opt[k];
        if (!strcmp(a, o->name) || (o->alias && !strcmp(a, o->alias))) return o;
    }
    return NULL;
}

int cli_opt_parse(const cli_cmd *cmd, int argc, char **argv, int first) {
    assert(cmd && cmd->nopt <= CLI_OPTS_MAX && first >= 0);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            if (cmd->help) fputs(cmd->help, stdout);   /* NULL: the caller prints it */
            return -1;
        }
        const cli_opt *o = a[0] == '-' && a[1] ? find(cmd, a) : NULL;
        if (o) {
            uint32_t nval = o->kind == CLI_OPT_FLAG ? 0 : o->kind == CLI_OPT_FUNC ? o->nval : 1;
            const char *val[2] = { NULL, NULL };
            assert(nval <= 2);
            for (uint32_t k = 0; k < nval; k++) val[k] = i + 1 + (int)k < argc ? argv[i + 1 + k] : NULL;
            int rc = take(cmd, o, val, nval);
            if (rc) return rc;
            i += (int)nval;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_err(cmd, "unknown option", a);
        } else {
            if (!cmd->npos || *cmd->npos >= cmd->npos_max) {
                char msg[96];
                snprintf(msg, sizeof msg, "expected %s, found another:",
                         cmd->pos_name ? cmd->pos_name : "no more arguments");
                return cli_usage_err(cmd, msg, a);
            }
            cmd->pos[(*cmd->npos)++] = a;
        }
    }
    return 0;
}
