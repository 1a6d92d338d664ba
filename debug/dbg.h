/*
** dbg.h — `vmmsim debug`: a gdb remote-serial-protocol server over one deterministic
** run of a scenario, with reverse execution by re-execution (docs/debug.md). The one
** public header of debug/; every exported name starts with dbg_ / DBG_.
**
** Two layers: the packet layer (rsp.c: framing, checksums, acks, the interrupt byte;
** bytes in, events out, no I/O) and the session (sess.c, target.c, monitor.c: the
** machine, its run as a coroutine paused before any guest instruction, gdb's i386
** target on top). The socket and event loop are the caller's (cli/debug.c, libuv).
*/
#ifndef VMMSIM_DBG_H
#define VMMSIM_DBG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "explore/explore.h"

/* ---- packet layer (rsp.c) --------------------------------------------------- */

#define DBG_PKT_MAX 16384u                    /* payload bytes: qSupported's PacketSize */
#define DBG_OUT_MAX (2u * DBG_PKT_MAX + 64u)  /* one escaped reply and its acks */

enum dbg_ev {
    DBG_EV_NONE = 0,     /* the bytes given were consumed without a whole event */
    DBG_EV_PACKET,       /* a packet with a good checksum: buf[0..len), NUL-terminated;
                            too_long: it had more than DBG_PKT_MAX bytes (cut) */
    DBG_EV_BADSUM,       /* a packet with a bad or malformed checksum ('-' sent) */
    DBG_EV_INTR          /* the 0x03 byte between packets (Ctrl-C) */
};

typedef struct dbg_rsp {
    int      state;
    uint8_t  buf[DBG_PKT_MAX + 1];
    uint32_t len;
    uint8_t  sum, csum;
    int      cs_bad, too_long;
    int      noack;          /* QStartNoAckMode accepted: no '+'/'-' either way */
    uint64_t nbad;           /* packets refused (bad checksum, cut by a new '$') */
    uint8_t  out[DBG_OUT_MAX];
    size_t   nout;           /* bytes of out to write to the peer */
} dbg_rsp;

void dbg_rsp_init(dbg_rsp *r);
/* Consumes in[0..n) up to and including the byte that completes an event; *used is
** how many bytes were consumed. Acks go to out. Returns enum dbg_ev. */
int  dbg_rsp_feed(dbg_rsp *r, const uint8_t *in, size_t n, size_t *used);
/* Inside a packet (a peer that disconnects now cut one short). */
int  dbg_rsp_partial(const dbg_rsp *r);
/* Frames data as "$...#cs" (escaping # $ } *) into out; -1 when out is full. */
int  dbg_rsp_send(dbg_rsp *r, const char *data, size_t len);
int  dbg_rsp_send_str(dbg_rsp *r, const char *s);
/* Drops the first n bytes of out (written to the peer). */
void dbg_rsp_take(dbg_rsp *r, size_t n);

/* ---- the session (sess.c, target.c, monitor.c) -------------------------------- */

/* Limits (docs/debug.md, "Limits"). */
#define DBG_BP_MAX 64u          /* Z0/Z1 breakpoints */
#define DBG_WP_MAX 4u           /* Z2-Z4 watchpoints, as the 386's debug registers */
#define DBG_WP_LEN_MAX 4u       /* bytes one watchpoint covers */
#define DBG_MEM_MAX 4096u       /* bytes one m/M packet moves */
#define DBG_SLICE_STEPS 200000u /* instructions a continue runs between socket polls */
#define DBG_STACK_BYTES (8u << 20)   /* the run's coroutine stack */
#define DBG_CK_EVERY 65536u     /* steps between two fast-forward points (step, instructions) */
#define DBG_CK_MAX 65536u       /* fast-forward points kept: 1 MiB, 2^32 steps */
#define DBG_SNAP_EVERY (1u << 20)   /* instructions between two whole-machine snapshots (K) */
#define DBG_SNAP_SLICE 65536u   /* guest runs are cut at this many cycles: snapshot points */
#define DBG_SNAP_MAX 64u        /* snapshots kept; when full, every other old one is dropped */
#define DBG_SNAP_BYTES (256u << 20)  /* ... and when their bytes would pass this */

typedef struct dbg_opts {
    const char *scenario;    /* path, or NULL / SCEN_DEFAULT_NAME: the built-in one */
    const char *schedule;    /* a schedule file (vmmsim fuzz, shrink) to replay, or NULL */
    int      strategy;       /* without a schedule: ENG_STRAT_CANONICAL or _RANDOM */
    uint64_t seed;
    uint64_t max_cycles;     /* 0: the scenario's */
    int      stop_on_finding;/* a continue stops after a FINDING record (default 1) */
} dbg_opts;

typedef struct dbg_sess dbg_sess;   /* opaque */

/* Loads the scenario, builds the machine and runs it to its first guest instruction.
** 0 or an XPL_EXIT_* code, one message printed to err. */
int  dbg_sess_new(dbg_sess **out, const dbg_opts *o, FILE *err);
void dbg_sess_free(dbg_sess *s);

enum dbg_rc {
    DBG_RC_REPLIED = 0,      /* the reply (or nothing, for a notification) is in r->out */
    DBG_RC_RUNNING,          /* c/s/vCont: call dbg_sess_run until it stops */
    DBG_RC_CLOSE             /* k or D: the reply is in r->out; end the connection */
};
/* Handles one packet (r->buf, r->len); the reply goes to r->out. enum dbg_rc. */
int  dbg_sess_packet(dbg_sess *s, dbg_rsp *r);
/* While running: up to max_steps instructions. 1 when it stopped (the stop reply is
** in r->out), 0 when it is still running. */
int  dbg_sess_run(dbg_sess *s, dbg_rsp *r, uint64_t max_steps);
/* Ctrl-C: a running session stops at its next instruction (SIGINT). */
void dbg_sess_interrupt(dbg_sess *s);
/* The machine now (for tests): its trace, position (instructions since the run
** began) and whether the run has ended. */
vmm_state *dbg_sess_vmm(dbg_sess *s);
uint64_t   dbg_sess_steps(const dbg_sess *s);
int        dbg_sess_ended(const dbg_sess *s);
const scen *dbg_sess_scen(const dbg_sess *s);   /* the loaded scenario */
/* Re-executions done so far (each reverse command is one or two). */
uint64_t   dbg_sess_reexecs(const dbg_sess *s);
uint64_t   dbg_sess_restores(const dbg_sess *s);   /* re-executions begun at a snapshot */

/* ---- symbols (elf.c) ------------------------------------------------------------ */

/* Writes an ELF32 i386 file whose symbol table holds every label of the scenario's
** VxDs ("LOG.idle_flush") at its linear address, for gdb's symbol-file. 0 or an
** XPL_EXIT_* code (message on err). */
int  dbg_symbols_write(const scen *sc, const char *path, FILE *err);

#endif
