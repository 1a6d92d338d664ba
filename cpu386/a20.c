/*
** a20.c — the CPU's A20 line (cpu386.h) and the PC's A20 gate that drives it (a20.h).
*/
#include "a20.h"
#include "cpu_int.h"

#define A20_BIT        0x02u        /* bit 1 of port 92h and of the 8042 output port */
#define A20_MASK_OFF   0xFFEFFFFFu  /* physical address bit 20 forced to 0 */
#define KBC_READ_OUT   0xD0u
#define KBC_WRITE_OUT  0xD1u
#define KBC_A20_OFF    0xDDu
#define KBC_A20_ON     0xDFu
#define KBC_STATUS     0x1Cu        /* system flag, last write was a command, unlocked */

void cpu_set_a20(cpu_state *c, int enabled)
{
    uint32_t m = enabled ? 0xFFFFFFFFu : A20_MASK_OFF;
    assert(c);
    if (c->a20_mask == m) return;
    c->a20_mask = m;
    cpu_tlb_flush(c);   /* cached translations and the code page assume the old mask */
}

int cpu_get_a20(const cpu_state *c)
{
    assert(c);
    return c->a20_mask == 0xFFFFFFFFu;
}

int cpu_a20gate_enabled(const cpu_a20gate *g)
{
    assert(g);
    return ((g->port92 | g->kbc_out) & A20_BIT) != 0;
}

static void drive(const cpu_a20gate *g, cpu_state *c)
{
    if (c) cpu_set_a20(c, cpu_a20gate_enabled(g));
}

void cpu_a20gate_init(cpu_a20gate *g, cpu_state *c)
{
    assert(g);
    g->port92 = 0;
    g->kbc_out = 0xDFu;
    g->kbc_next = 0;
    g->kbc_resp = 0;
    g->kbc_full = 0;
    drive(g, c);
}

static void kbc_command(cpu_a20gate *g, uint8_t cmd)
{
    g->kbc_next = 0;
    switch (cmd) {
    case KBC_WRITE_OUT: g->kbc_next = cmd; break;
    case KBC_READ_OUT:  g->kbc_resp = g->kbc_out; g->kbc_full = 1; break;
    case KBC_A20_OFF:   g->kbc_out &= (uint8_t)~A20_BIT; break;
    case KBC_A20_ON:    g->kbc_out |= A20_BIT; break;
    default:            break;   /* other 8042 commands are not the gate's */
    }
}

int cpu_a20gate_out(cpu_a20gate *g, cpu_state *c, uint16_t port, uint32_t value)
{
    uint8_t v = (uint8_t)value;
    assert(g);
    switch (port) {
    case CPU_A20_PORT_SYSCTRL_A:
        g->port92 = v;
        break;
    case CPU_A20_PORT_KBC_CMD:
        kbc_command(g, v);
        break;
    case CPU_A20_PORT_KBC_DATA:
        if (g->kbc_next == KBC_WRITE_OUT) g->kbc_out = v;
        g->kbc_next = 0;
        break;
    default:
        return 0;
    }
    drive(g, c);
    return 1;
}

int cpu_a20gate_in(cpu_a20gate *g, uint16_t port, uint32_t *value)
{
    assert(g && value);
    switch (port) {
    case CPU_A20_PORT_SYSCTRL_A:
        *value = g->port92;
        return 1;
    case CPU_A20_PORT_KBC_CMD:
        *value = KBC_STATUS | (g->kbc_full ? 1u : 0u);
        return 1;
    case CPU_A20_PORT_KBC_DATA:
        *value = g->kbc_full ? g->kbc_resp : 0u;
        g->kbc_full = 0;
        return 1;
    default:
        return 0;
    }
}
