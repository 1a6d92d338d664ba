/*
** schedule_run.c — a finished run's verdict as a failure signature (what failed, not
** when), and its trace file. Fuzz, shrink and replay share them so that "the same
** failure" means one thing everywhere (docs/fuzzing.md, "Failures").
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

static const char *err_token(int rc) {
    switch (rc) {
    case VMM_EHANG:   return "hang";
    case VMM_EGUEST:  return "guest-fault";
    case VMM_ELIMIT:  return "limit";
    case VMM_EUNIMPL: return "unimplemented";
    case VMM_ENOMEM:  return "nomem";
    default:          return "error";
    }
}

/* Appends ",tok" unless tok is already listed. */
static void sig_add(char *sig, const char *tok) {
    size_t n = strlen(sig), t = strlen(tok);
    for (const char *p = sig; (p = strstr(p, tok)) != NULL; p += t)
        if ((p == sig || p[-1] == ',') && (p[t] == ',' || p[t] == 0)) return;
    if (n + t + 2 > CLI_SIG_MAX) return;
    if (n) sig[n++] = ',';
    memcpy(sig + n, tok, t + 1);
}

static void first_set(cli_verdict *v, const char *line, size_t len) {
    if (v->first[0]) return;
    if (len >= CLI_SIG_MAX) len = CLI_SIG_MAX - 1;
    memcpy(v->first, line, len);
    v->first[len] = 0;
}

/* cli_expect_check prints the findings first, then one line per expectation in
** scenario order; the k-th "# expect" line is expectation k. */
static void parse_check(cli_verdict *v, char *text) {
    uint32_t k = 0;
    char tok[64];
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (!strncmp(line, "# finding: ", 11)) {
            const char *rule = line + 11, *sp = memchr(rule, ' ', len - 11);
            int expected = len >= 11 && !strncmp(line + len - 11, " (expected)", 11);
            if (!expected && sp && sp - rule < 16) {
                snprintf(tok, sizeof tok, "finding:%.*s", (int)(sp - rule), rule);
                sig_add(v->sig, tok);
                first_set(v, line + 2, len - 2);
            }
        } else if (!strncmp(line, "# incomplete: ", 14)) {     /* END-1 */
            sig_add(v->sig, "incomplete");
            first_set(v, line + 2, len - 2);
        } else if (!strncmp(line, "# expect ", 9)) {
            if (!strncmp(line + 9, "FAILED", 6)) {
                snprintf(tok, sizeof tok, "expect:%u", k);
                sig_add(v->sig, tok);
                first_set(v, line + 2, len - 2);
            }
            k++;
        }
    }
}

int cli_verdict_get(cli_sim *c, cli_verdict *v) {
    assert(c && c->v && v);
    memset(v, 0, sizeof *v);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return CLI_EXIT_HOST;
    v->fails = cli_expect_check(c, f);
    if (fclose(f) || !buf) { free(buf); return CLI_EXIT_HOST; }
    if (c->run_rc) {
        char tok[32];
        snprintf(tok, sizeof tok, "error:%s", err_token(c->run_rc));
        sig_add(v->sig, tok);
        snprintf(v->first, sizeof v->first, "%s: %s", vmm_strerror(c->run_rc), vmm_error(c->v));
    }
    parse_check(v, buf);
    free(buf);
    v->failed = v->fails > 0 || c->run_rc != 0;
    assert(!v->failed || v->sig[0]);
    return 0;
}

void cli_run_write(cli_sim *c, FILE *f, const char *run_line, int records) {
    const eng_trace *t = vmm_trace(c->v);
    char line[CLI_LINE_MAX];
    if (records) {
        if (run_line) {
            fprintf(f, "%s\n# vmmsim: %s\n# scenario: %s\n", CLI_TRACE_MAGIC, VMMSIM_VERSION, c->path);
            if (c->s.name[0]) fprintf(f, "# name: %s\n", c->s.name);
            if (c->s.rules[0]) fprintf(f, "# rules: %s\n", c->s.rules);
            fprintf(f, "%s\n", run_line);
        } else {
            cli_trace_header(f, c);
        }
        for (uint32_t i = 0; i < t->len; i++) {
            size_t n = cli_sim_line(c, i, line, sizeof line);
            fwrite(line, 1, n, f);
            fputc('\n', f);
        }
    }
    fprintf(f, "# hash: 0x%016llx\n# records: %llu\n", (unsigned long long)t->hash,
            (unsigned long long)t->count);
    if (t->overflow)
        fprintf(f, "# note: only the first %u records were kept (trace storage full)\n", t->len);
    if (c->run_rc) fprintf(f, "# error: %s: %s\n", vmm_strerror(c->run_rc), vmm_error(c->v));
    uint32_t fails = cli_expect_check(c, f);
    fprintf(f, "# verdict: %s\n", c->run_rc ? "ERROR" : fails ? "FAIL" : "PASS");
}

int cli_replay_run(cli_sim *c, const eng_decision *d, uint32_t n, cli_verdict *v) {
    assert(c && c->v && (d || !n));
    vmm_reset(c->v);
    eng_chooser_replay(vmm_chooser(c->v), d, n);
    c->run_rc = vmm_run(c->v);
    return cli_verdict_get(c, v);
}
