/*
** io.c — port I/O of guest code: the scenario's port map answers IN, every IN/OUT
** (each INS/OUTS iteration) becomes an IO trace record. docs/vmm.md, "Port I/O".
**
** The bus callbacks run in the middle of an instruction, where the CPU's cycle count
** is a partial sum (base clocks charged, the protected-mode adjustment and the
** per-iteration clocks not yet). So a callback only answers and notes the access,
** and asks the CPU to stop after the instruction; run.c calls vmmi_io_flush() when
** cpu_run returns, and the record is stamped with the cycle at the end of the
** instruction (of the iteration, for REP INS/OUTS: the stop request ends a string
** instruction after its current iteration, with EIP still on it). One stop per access
** keeps a record's cycle and its place among the other records a function of the
** instruction stream alone.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm_int.h"

void vmmi_io_reset(vmm_state *v) {
    assert(v->nvms <= VMM_VMS_MAX);
    memset(&v->io, 0, sizeof v->io);
}

static int port_cmp(const void *a, const void *b) {
    assert(a && b);
    const vmm_port *x = a, *y = b;
    return (x->port > y->port) - (x->port < y->port);
}

/* Scenario checks for vmm_new: size of the map; unique ports (a duplicate would make
** the answer depend on which entry a search meets first). */
int vmmi_io_check(const vmm_scenario *s, char *why, size_t n) {
    assert(s && why && n > 0);
    if (s->nports > VMM_PORTS_MAX)
        return snprintf(why, n, "%u ports exceed %u", s->nports, VMM_PORTS_MAX), VMM_ELIMIT;
    if (s->nports && !s->ports) return snprintf(why, n, "%u ports but no port map", s->nports), VMM_EINVAL;
    for (uint32_t i = 0; i < s->nports; i++)
        for (uint32_t k = 0; k < i; k++)
            if (s->ports[k].port == s->ports[i].port)
                return snprintf(why, n, "port 0x%04x is mapped twice", s->ports[i].port), VMM_EINVAL;
    return VMM_OK;
}

static const vmm_port *port_find(const vmm_state *v, uint16_t port) {
    assert(v->nports == 0 || v->ports);
    uint32_t lo = 0, hi = v->nports;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->ports[mid].port < port) lo = mid + 1; else hi = mid;
    }
    return lo < v->nports && v->ports[lo].port == port ? &v->ports[lo] : NULL;
}

static uint32_t size_mask(unsigned size) {
    assert(size == 1 || size == 2 || size == 4);
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u;
}

/* Notes one access and stops the CPU after the instruction. */
static void io_note(vmm_state *v, uint16_t port, unsigned size, int out, uint32_t value) {
    assert(v->io.n <= VMM_IO_PEND_MAX);
    if (NEVER(v->io.n == VMM_IO_PEND_MAX)) {   /* one access per instruction or iteration */
        v->io.lost++;           /* vmmi_io_flush fails the run: no record is dropped silently */
    } else {
        vmm_io *a = &v->io.pend[v->io.n++];
        a->port = port;
        a->size = (uint8_t)size;
        a->out = (uint8_t)out;
        a->value = value;
    }
    cpu_request_stop(v->cpu);
}

static uint32_t io_in(void *ctx, uint16_t port, unsigned size_bytes) {
    assert(ctx && (size_bytes == 1 || size_bytes == 2 || size_bytes == 4));
    vmm_state *v = ctx;
    const vmm_port *p = port_find(v, port);
    uint32_t val = (p ? p->value : 0xFFFFFFFFu) & size_mask(size_bytes);   /* floating bus */
    io_note(v, port, size_bytes, 0, val);
    return val;
}

static void io_out(void *ctx, uint16_t port, unsigned size_bytes, uint32_t value) {
    assert(ctx && (size_bytes == 1 || size_bytes == 2 || size_bytes == 4));
    vmm_state *v = ctx;
    io_note(v, port, size_bytes, 1, value & size_mask(size_bytes));
}

/* Sorts a copy of the port map and points the bus's I/O at this machine. */
int vmmi_io_init(vmm_state *v, cpu_bus *bus) {
    const vmm_scenario *s = v->s;
    assert(s->nports <= VMM_PORTS_MAX);
    if (s->nports) {
        v->ports = malloc(s->nports * sizeof *v->ports);
        if (!v->ports) return VMM_ENOMEM;
        memcpy(v->ports, s->ports, s->nports * sizeof *v->ports);
        qsort(v->ports, s->nports, sizeof *v->ports, port_cmp);
    }
    v->nports = s->nports;
    bus->io_ctx = v;
    bus->io_in = io_in;
    bus->io_out = io_out;
    return VMM_OK;
}

static void io_rec(vmm_state *v, const vmm_io *a) {
    assert(a->size == 1 || a->size == 2 || a->size == 4);
    uint64_t op = a->out ? VMM_IOOP_OUT : VMM_IOOP_IN;
    vmmi_rec(v, VMM_REC_IO, 2, op | (uint64_t)a->size << 8 | (uint64_t)v->run.cur << 16 |
            (uint64_t)a->port << 32, a->value, 0, 0, 0, 0);
}

/* A bus access the VMM makes for a trapped client instruction whose byte is not
** trapped (IOT-4, trap.c): the port map answers, traced at once. */
uint32_t vmmi_io_bus(vmm_state *v, uint16_t port, unsigned size, int out, uint32_t value) {
    const vmm_port *p = port_find(v, port);
    vmm_io a = { port, (uint8_t)size, (uint8_t)(out != 0), 0 };
    a.value = (out ? value : p ? p->value : 0xFFFFFFFFu) & size_mask(size);
    io_rec(v, &a);
    return a.value;
}

/* Traces the accesses of the instruction that just ran, at the cycle it ended. */
void vmmi_io_flush(vmm_state *v) {
    assert(v->io.n <= VMM_IO_PEND_MAX);
    for (uint32_t i = 0; i < v->io.n; i++) io_rec(v, &v->io.pend[i]);
    v->io.n = 0;
    if (v->io.lost)
        vmmi_fail(v, VMM_ELIMIT, "%u port accesses in one instruction (at most %u)",
                 v->io.lost + VMM_IO_PEND_MAX, VMM_IO_PEND_MAX);
}
