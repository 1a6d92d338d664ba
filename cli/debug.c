/*
** debug.c — `vmmsim debug SCENARIO`: serves one run of the scenario to gdb over TCP
** (libuv), one client, until it kills or detaches or disconnects. The protocol and
** the run control are debug/'s (debug/dbg.h); this file is the socket and the loop.
*/
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli.h"
#include "opt.h"
#include "debug/dbg.h"

static const char debug_help[] =
"usage: vmmsim debug [OPTIONS] SCENARIO.yaml\n"
"\n"
"Serves one run of SCENARIO to gdb (the remote serial protocol over TCP), stopped\n"
"before its first guest instruction. gdb may step, continue, set breakpoints and\n"
"watchpoints, read registers and memory, and go backwards (reverse-stepi,\n"
"reverse-continue). The run is the one 'vmmsim run' makes with the same schedule.\n"
"Prints 'listening on HOST:PORT' on stdout, then serves one client. docs/debug.md.\n"
"\n"
"  gdb -ex 'set architecture i386' -ex 'symbol-file SYMS' -ex 'target remote HOST:PORT'\n"
"\n"
"options:\n"
"  --schedule FILE    replay a schedule file's decisions (vmmsim fuzz, shrink)\n"
"  --strategy S       without --schedule: canonical (default) or random\n"
"  --seed N           the random strategy's seed (default 0)\n"
"  --max-cycles N     as for 'vmmsim run'\n"
"  --listen HOST:PORT where to listen (default 127.0.0.1:0, a free port)\n"
"  --symbols FILE     write the scenario's labels as an ELF symbol file for gdb\n"
"  --no-stop-on-finding  a continue does not stop after a FINDING record\n"
"  --help             this text\n"
"\n"
"exit status: 0 the client detached, killed or disconnected, 2 bad usage or input,\n"
"4 host error (socket, memory).\n";

typedef struct dbg_srv {
    uv_loop_t  *loop;
    uv_tcp_t    listener, client;
    uv_idle_t   idle;          /* runs the session in slices while gdb waits */
    int         connected, closing, running;
    dbg_sess   *s;
    dbg_rsp     r;
    uint8_t     inbuf[4096];
    int         rc;
} dbg_srv;

typedef struct srv_write { uv_write_t req; uv_buf_t buf; } srv_write;

static void on_written(uv_write_t *req, int status) {
    (void)status;
    srv_write *w = (srv_write *)req;
    free(w->buf.base);
    free(w);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void srv_close(dbg_srv *d) {
    assert(d);
    if (d->closing) return;
    d->closing = 1;
    if (d->running) uv_idle_stop(&d->idle);
    uv_close((uv_handle_t *)&d->idle, on_closed);
    if (d->connected) uv_close((uv_handle_t *)&d->client, on_closed);
    uv_close((uv_handle_t *)&d->listener, on_closed);
}

/* Hands the reply bytes to libuv (a copy: r->out is reused at once). */
static void srv_flush(dbg_srv *d) {
    assert(d && d->r.nout <= DBG_OUT_MAX);
    if (!d->r.nout || !d->connected || d->closing) { d->r.nout = 0; return; }
    srv_write *w = malloc(sizeof *w);
    char *copy = malloc(d->r.nout);
    if (!w || !copy) { free(w); free(copy); d->rc = CLI_EXIT_HOST; srv_close(d); return; }
    memcpy(copy, d->r.out, d->r.nout);
    w->buf = uv_buf_init(copy, (unsigned)d->r.nout);
    dbg_rsp_take(&d->r, d->r.nout);
    if (uv_write(&w->req, (uv_stream_t *)&d->client, &w->buf, 1, on_written)) {
        free(copy);
        free(w);
        srv_close(d);
    }
}

static void on_idle(uv_idle_t *h) {
    dbg_srv *d = h->data;
    assert(d && d->running);
    if (dbg_sess_run(d->s, &d->r, DBG_SLICE_STEPS)) {
        d->running = 0;
        uv_idle_stop(&d->idle);
    }
    srv_flush(d);
}

static void on_packet(dbg_srv *d) {
    int rc = dbg_sess_packet(d->s, &d->r);
    if (rc == DBG_RC_RUNNING && !d->running) {
        d->running = 1;
        uv_idle_start(&d->idle, on_idle);
    }
    srv_flush(d);
    if (rc == DBG_RC_CLOSE) srv_close(d);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    dbg_srv *d = h->data;
    (void)hint;
    *buf = uv_buf_init((char *)d->inbuf, sizeof d->inbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
    dbg_srv *d = st->data;
    assert(d);
    if (n < 0) {
        if (dbg_rsp_partial(&d->r))
            fprintf(stderr, "vmmsim debug: the client disconnected inside a packet\n");
        else
            fprintf(stderr, "vmmsim debug: the client disconnected\n");
        srv_close(d);
        return;
    }
    const uint8_t *p = (const uint8_t *)buf->base;
    size_t left = (size_t)n, used;
    while (left > 0 && !d->closing) {
        int ev = dbg_rsp_feed(&d->r, p, left, &used);
        p += used;
        left -= used;
        if (ev == DBG_EV_PACKET) on_packet(d);
        else if (ev == DBG_EV_INTR) dbg_sess_interrupt(d->s);
        else srv_flush(d);   /* acks, '-' for a bad checksum */
    }
}

static void on_connect(uv_stream_t *l, int status) {
    dbg_srv *d = l->data;
    assert(d);
    if (status < 0 || d->connected) return;   /* one client per run */
    uv_tcp_init(d->loop, &d->client);
    d->client.data = d;
    if (uv_accept(l, (uv_stream_t *)&d->client)) { uv_close((uv_handle_t *)&d->client, on_closed); return; }
    d->connected = 1;
    uv_tcp_nodelay(&d->client, 1);
    fprintf(stderr, "vmmsim debug: client connected\n");
    uv_read_start((uv_stream_t *)&d->client, on_alloc, on_read);
}

/* HOST:PORT (IPv4). */
static int listen_arg(const char *spec, struct sockaddr_in *addr) {
    char host[64];
    const char *colon = strrchr(spec, ':');
    uint64_t port;
    if (!colon || (size_t)(colon - spec) >= sizeof host || xpl_u64_arg(colon + 1, &port) || port > 65535)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    return uv_ip4_addr(host, (int)port, addr) ? -1 : 0;
}

static int serve(dbg_srv *d, const struct sockaddr_in *addr) {
    struct sockaddr_storage name;
    int len = sizeof name;
    char host[64];
    d->loop = uv_default_loop();
    uv_tcp_init(d->loop, &d->listener);
    uv_idle_init(d->loop, &d->idle);
    d->listener.data = d->idle.data = d;
    if (uv_tcp_bind(&d->listener, (const struct sockaddr *)addr, 0) ||
        uv_listen((uv_stream_t *)&d->listener, 1, on_connect) ||
        uv_tcp_getsockname(&d->listener, (struct sockaddr *)&name, &len)) {
        fprintf(stderr, "vmmsim debug: cannot listen on the address given\n");
        srv_close(d);
        uv_run(d->loop, UV_RUN_DEFAULT);
        return CLI_EXIT_HOST;
    }
    const struct sockaddr_in *in = (const struct sockaddr_in *)&name;
    uv_ip4_name(in, host, sizeof host);
    printf("listening on %s:%d\n", host, ntohs(in->sin_port));
    fflush(stdout);
    uv_run(d->loop, UV_RUN_DEFAULT);
    uv_loop_close(d->loop);
    return d->rc;
}

int cli_debug_main(int argc, char **argv) {
    const char *path = NULL, *listen = "127.0.0.1:0", *symbols = NULL;
    uint32_t np = 0;
    int no_stop = 0;
    dbg_opts o = { .strategy = ENG_STRAT_CANONICAL };
    const cli_opt opts[] = {
        { "--schedule", NULL, CLI_OPT_STR, &o.schedule, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--strategy", NULL, CLI_OPT_STRATEGY, &o.strategy, 0,
          CLI_STRATS(ENG_STRAT_CANONICAL, ENG_STRAT_RANDOM, ENG_STRAT_RANDOM), "canonical or random", NULL, NULL, 0 },
        { "--seed", NULL, CLI_OPT_U64, &o.seed, 0, UINT64_MAX, "an integer", NULL, NULL, 0 },
        { "--max-cycles", NULL, CLI_OPT_U64, &o.max_cycles, 1, UINT64_MAX, "a positive integer", NULL, NULL, 0 },
        { "--listen", NULL, CLI_OPT_STR, &listen, 0, 0, "HOST:PORT", NULL, NULL, 0 },
        { "--symbols", NULL, CLI_OPT_STR, &symbols, 0, 0, "a FILE", NULL, NULL, 0 },
        { "--no-stop-on-finding", NULL, CLI_OPT_FLAG, &no_stop, 0, 0, NULL, NULL, NULL, 0 },
    };
    const cli_cmd cmd = { "debug", debug_help, opts, sizeof opts / sizeof opts[0], &path, 1, &np, "SCENARIO" };
    int rc = cli_opt_parse(&cmd, argc, argv, 1);
    if (rc) return rc < 0 ? CLI_EXIT_OK : rc;
    if (np != 1) return cli_usage_err(&cmd, "expected one SCENARIO", NULL);
    struct sockaddr_in addr;
    if (listen_arg(listen, &addr)) return cli_usage_err(&cmd, "--listen expects HOST:PORT (IPv4), found", listen);
    o.scenario = path;
    o.stop_on_finding = !no_stop;
    dbg_srv *d = calloc(1, sizeof *d);
    if (!d) { fprintf(stderr, "vmmsim debug: out of memory\n"); return CLI_EXIT_HOST; }
    dbg_rsp_init(&d->r);
    rc = dbg_sess_new(&d->s, &o, stderr);
    if (!rc && symbols) rc = dbg_symbols_write(dbg_sess_scen(d->s), symbols, stderr);
    if (!rc) rc = serve(d, &addr);
    dbg_sess_free(d->s);
    free(d);
    return rc;
}
