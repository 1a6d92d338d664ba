/*
** a20.h — the PC's A20 gate, on the machine's side of the bus (docs/cpu386.md, "A20").
**
** The CPU only has the line (cpu_set_a20). What drives it on a PC is chipset logic
** that a machine embedding cpu386 owns and feeds its port I/O to; `vmmsim bare`
** does (cli/bare.c). Two paths, ORed as on PS/2-style machines:
**   - System control port A, 92h: bit 1 enables A20 (bit 0, the fast reset, is
**     stored but not acted on). Reads return the last value written.
**   - The 8042 keyboard controller: command D1h written to port 64h makes the next
**     byte written to port 60h its output port, whose bit 1 enables A20 (how DOS's
**     HIMEM.SYS switches it); D0h makes the next read of port 60h return the output
**     port; DDh and DFh disable and enable A20 directly. Port 64h reads the status:
**     input and output buffers empty (bits 0 and 1 clear) unless a D0h response
**     waits (bit 0 set), so polling loops end at once.
** The output port starts as DFh (A20 on) and port 92h as 0: a machine starts with
** A20 enabled, as the CPU's line does; software turns it off to get the 8086 wrap.
*/
#ifndef VMMSIM_CPU386_A20_H
#define VMMSIM_CPU386_A20_H

#include <stdint.h>

#include "cpu386.h"

#define CPU_A20_PORT_KBC_DATA   0x60u
#define CPU_A20_PORT_KBC_CMD    0x64u
#define CPU_A20_PORT_SYSCTRL_A  0x92u

typedef struct cpu_a20gate {
    uint8_t port92;       /* system control port A */
    uint8_t kbc_out;      /* the 8042's output port */
    uint8_t kbc_next;     /* the command whose data byte port 60h takes next, or 0 */
    uint8_t kbc_resp;     /* a byte waiting to be read from port 60h */
    uint8_t kbc_full;     /* kbc_resp is valid */
} cpu_a20gate;

/* Power-on state; also drives the line of c (may be NULL) to match. */
void cpu_a20gate_init(cpu_a20gate *g, cpu_state *c);
/* A port write: returns 1 when the port is the gate's (c's A20 line follows). */
int  cpu_a20gate_out(cpu_a20gate *g, cpu_state *c, uint16_t port, uint32_t value);
/* A port read: returns 1 and *value when the port is the gate's. */
int  cpu_a20gate_in(cpu_a20gate *g, uint16_t port, uint32_t *value);
/* What the gate asks of the line now. */
int  cpu_a20gate_enabled(const cpu_a20gate *g);

#endif
