"""The machine's parameters, as the reference model reads them from BOOT and MACHINE
(docs/trace-format.md, "BOOT", "MACHINE"), and the callback-table limits they set.

  MACHINE one record, right after BOOT, with every parameter
  NC-1  (table) an install with MACHINE nc_slots installed ends the run
        (END reason=error code=-3, VMM_ELIMIT) and one below returns
        (docs/vmm.md, "Not-critical callbacks (NC-1 … NC-4)")
  TS-1  (table) an install with MACHINE ts_slots installed ends the run with
        VMM_ELIMIT, one below returns (docs/vmm.md, "Limits")

From here the other families take the exact tick (TO-1), the idle table's size
(IDLE-1) and the slice granularity (SL-1); a trace without MACHINE leaves them to
infer what they can.
"""
from .common import SLICE_MS_MIN, SLICE_MS_MAX

# The MACHINE record's keys (docs/trace-format.md), all decimal.
MACHINE_KEYS = ("timer_tick_ms", "idle_slots", "nc_slots", "ts_slots", "service_cycles",
                "wait_states", "irq_handler_cycles", "time_slicing", "time_slice_ms",
                "irq_boundary_window", "event_capacity", "max_cycles", "hang_cycles")
VMM_ELIMIT = -3            # vmm.h: a machine limit was exceeded (a full callback table)


class MachineRules:
    """Mixin of the Model: BOOT, MACHINE and the NC-1 / TS-1 table limits."""

    def _init_machine(self):
        self.machine = None       # the MACHINE record's values (None: an older trace)
        self.boot_index = None    # record index of BOOT (MACHINE comes right after)
        self.table_install = None # (rule, SERVICE, full, slots): NC-1 / TS-1 table limit

    def on_boot(self, rec):
        self.clock_hz = rec.num("clock_hz")
        self.boot_index = rec.index

    def on_machine(self, rec):
        """The machine's parameters: exact tick (TO-1), table limits (IDLE-1, NC-1,
        TS-1) and granularity (SL-1) from here on."""
        if self.machine is not None or self.boot_index is None or rec.index != self.boot_index + 1:
            self.fail("MACHINE", rec, "MACHINE record not right after BOOT, or a second one")
        m = {k: rec.num(k) for k in MACHINE_KEYS}
        bad = [k for k, v in m.items() if v is None or v < 0]
        if bad:
            self.fail("MACHINE", rec, f"MACHINE record without a decimal {bad[0]}")
            return
        if m["timer_tick_ms"] == 0 or not SLICE_MS_MIN <= m["time_slice_ms"] <= SLICE_MS_MAX:
            self.fail("MACHINE", rec, "MACHINE timer_tick_ms or time_slice_ms out of range")
            return
        self.machine = m
        self.tick_ms = m["timer_tick_ms"]
        self.granularity = m["time_slice_ms"]

    def table_limit(self, rec, svc):
        if self.machine is None:
            return
        if svc == "Call_When_Not_Critical":
            rule, n, slots = "NC-1", len(self.nc_list), self.machine["nc_slots"]
        elif svc == "Call_When_Task_Switched":
            rule, n, slots = "TS-1", len(self.ts_list), self.machine["ts_slots"]
        else:
            return
        self.table_install = (rule, rec, n >= slots, slots)

    def table_check(self, rec):
        """NC-1 / TS-1: an install into a full callback table ends the run with
        VMM_ELIMIT (the DDK has no failure return); one with room returns."""
        rule, call, full, slots = self.table_install
        self.table_install = None
        svc = call.get("svc")
        ended = (rec.type == "END" and rec.get("reason") == "error"
                 and rec.num("code") == VMM_ELIMIT)
        if full and not ended:
            self.fail(rule, rec, f"{svc} with its table full ({slots} installed) is not "
                      f"answered by END reason=error code={VMM_ELIMIT}")
        elif not full and ended:
            self.fail(rule, rec, f"{svc} with room in its table (fewer than {slots} installed) "
                      f"ends the run with VMM_ELIMIT")
