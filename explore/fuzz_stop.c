/*
** fuzz_stop.c — how a campaign stops and where it writes: SIGINT, SIGTERM and SIGHUP
** (what Ctrl-C, `timeout`, systemd, containers and CI send) all stop it the same way
** (the runs in progress finish, every finding is written, the summary printed); a
** second one exits at once with 128 + the signal, after publishing the findings
** emitted so far. --out DIR must be empty or new, so that no stale finding of another
** campaign mixes in; --force clears a campaign's files from it first.
*/
#define _POSIX_C_SOURCE 200809L
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xpl_fuzz.h"

static const int stop_signals[XPL_FZ_STOP_SIGNALS] = { SIGINT, SIGTERM, SIGHUP };

static const char *sig_name(int signum) {
    assert(signum == SIGINT || signum == SIGTERM || signum == SIGHUP);
    return signum == SIGINT ? "SIGINT" : signum == SIGTERM ? "SIGTERM" : "SIGHUP";
}

static void on_stop_signal(uv_signal_t *s, int signum) {
    xpl_fz_campaign *cp = s->data;
    if (++cp->sigints >= 2) {
        /* The loop thread runs this between emissions: the findings file holds whole
        ** lines of emitted runs, whose files exist; publish it, then go. */
        if (cp->findings) xpl_afile_commit(&cp->findings_af);
        cp->findings = NULL;
        fflush(stdout);
        fprintf(stderr, "\nvmmsim fuzz: %s again, exiting now\n", sig_name(signum));
        _exit(128 + signum);
    }
    fprintf(stderr, "\nvmmsim fuzz: %s: stopping after the %u work items in progress "
            "(send it again to quit now)\n", sig_name(signum), cp->inflight);
    cp->stop = 1;
}

void xpl_fz_signals_start(xpl_fz_campaign *cp) {
    assert(cp && XPL_FZ_STOP_SIGNALS == sizeof stop_signals / sizeof stop_signals[0]);
    for (int i = 0; i < XPL_FZ_STOP_SIGNALS; i++) {
        uv_signal_init(&cp->loop, &cp->sig[i]);
        cp->sig[i].data = cp;
        uv_signal_start(&cp->sig[i], on_stop_signal, stop_signals[i]);
        uv_unref((uv_handle_t *)&cp->sig[i]);   /* the work items keep the loop alive */
    }
}

void xpl_fz_signals_close(xpl_fz_campaign *cp) {
    for (int i = 0; i < XPL_FZ_STOP_SIGNALS; i++) uv_close((uv_handle_t *)&cp->sig[i], NULL);
    /* The last files are written after the loop: a signal now must not cut them. */
    for (int i = 0; i < XPL_FZ_STOP_SIGNALS; i++) signal(stop_signals[i], SIG_IGN);
}

/* A file a campaign writes into --out DIR (docs/fuzzing.md). */
static int campaign_file(const char *n) {
    assert(n != NULL);
    size_t len = strlen(n);
    if (!strcmp(n, "findings.jsonl") || !strcmp(n, XPL_FZ_DISTINCT_FILE) || !strcmp(n, XPL_FZ_OUTCOMES_FILE) ||
        xpl_afile_is_tmp(n))
        return 1;
    return !strncmp(n, "run-", 4) && ((len > 9 && !strcmp(n + len - 9, ".schedule")) ||
                                      (len > 6 && !strcmp(n + len - 6, ".trace")));
}

/* Empty or new: ok. Otherwise refused, or with --force its campaign files removed. */
int xpl_fz_out_prepare(const xpl_fz_opts *o, FILE *err) {
    assert(o->out);
    if (mkdir(o->out, 0777) == 0) return 0;
    if (errno != EEXIST) {
        fprintf(err, "vmmsim fuzz: %s: cannot create: %s\n", o->out, strerror(errno));
        return XPL_EXIT_HOST;
    }
    DIR *d = opendir(o->out);
    if (!d) { fprintf(err, "vmmsim fuzz: --out %s: %s\n", o->out, strerror(errno)); return XPL_EXIT_USAGE; }
    int rc = 0;
    uint64_t n = 0;
    char path[SCEN_PATH_MAX + 300];
    for (struct dirent *e; (e = readdir(d)) && !rc; ) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!o->force || !campaign_file(e->d_name)) { n++; continue; }
        snprintf(path, sizeof path, "%s/%s", o->out, e->d_name);
        if (unlink(path)) {
            fprintf(err, "vmmsim fuzz: %s: cannot remove: %s\n", path, strerror(errno));
            rc = XPL_EXIT_HOST;
        }
    }
    closedir(d);
    if (rc || !n) return rc;
    fprintf(err, o->force ? "vmmsim fuzz: --out %s holds files that are not a campaign's; "
                            "use an empty folder\n"
                          : "vmmsim fuzz: --out %s is not empty (another campaign's findings?); "
                            "use a new folder, or --force to replace its campaign files\n", o->out);
    return XPL_EXIT_USAGE;
}
