"""The time slicer in the reference model (docs/vmm.md, "The time slicer (SL-1)";
docs/trace-format.md, "SLICE").

  SL-1  Cur_Run_VM_Boost (+-4, PRIORITY reason=slice) only with the time slicer on,
        added right after SLICE op=start, held by one VM at a time (the current
        slice's); EVENT kind=slice ends the current slice, not before its cycles;
        no slice is shorter than the granularity (without debt); slices go round
        robin in VM order to scheduled VMs (on the list: focus, Background or
        High_Pri_Back, only focus when Exclusive; ready, not idle), passing over
        only VMs not scheduled or in debt (SLICE credit < 0); with a MACHINE record:
        slices only with time_slicing=1, and the granularity is time_slice_ms until
        Set_Time_Slice_Granularity (clamped to 1..60000), on every SLICE record
"""
from .common import SLICE_MS_MIN, SLICE_MS_MAX

CUR_RUN_VM_BOOST = 0x00000004
# SL-1: CB_VM_Status time-slice flags: Exclusive 0x1, Background 0x2, High_Pri_Back 0x200.
TS_EXCLUSIVE, TS_BACKGROUND, TS_HIGH_PRI_BACK = 0x1, 0x2, 0x200
TS_FLAG_BITS = TS_EXCLUSIVE | TS_BACKGROUND | TS_HIGH_PRI_BACK


class SlicerRules:
    """Mixin of the Model: the time-slice list, the slices and Cur_Run_VM_Boost."""

    def _init_slicer(self):
        self.granularity = None   # SL-1: the slice granularity, ms (from MACHINE)
        self.slice = None         # the current time slice: {vm, serial, cycle, cycles}
        self.slice_serial = 0
        self.slice_boost = {}     # vm -> sum of PRIORITY reason=slice boosts
        self.slice_owed = None    # VM whose SLICE op=start awaits its +Cur_Run_VM_Boost
        self.focus = None         # the execution focus VM (SLICE op=focus; at first sys)
        self.credit = {}          # vm -> execution-time credit, ms (SLICE adjust/release)
        self.ts_flags = {}        # vm -> time-slice flags (CB_VM_Status bits 0, 1, 9)

    def sl_vm_state(self, rec, name, st):
        """A VM_STATE's status= gives the VM's time-slice flags; the system VM has the
        focus at first."""
        status = rec.num("status")
        if status is not None:
            self.ts_flags[name] = status & TS_FLAG_BITS
        if st == "create" and rec.get("system") == "1":
            self.focus = name

    def sl_svc_done(self, rec, call, svc):
        if svc == "Set_Time_Slice_Granularity" and self.granularity is not None:
            self.granularity = min(max(call.num("eax", 0), SLICE_MS_MIN), SLICE_MS_MAX)
        elif svc == "Set_Time_Slice_Priority" and rec.get("cf") != "1":
            # SL-1: EAX's time-slice bits become the VM's flags (no VM_STATE record)
            self.ts_flags[self.name_of(call.get("ebx"))] = call.num("eax", 0) & TS_FLAG_BITS

    def on_list(self, vm):
        """On the time-slice list: the focus VM, and VMs with Background or
        High_Pri_Back, unless the focus VM is Exclusive."""
        if self.ts_flags.get(self.focus, 0) & TS_EXCLUSIVE:
            return vm == self.focus
        return vm == self.focus or bool(self.ts_flags.get(vm, 0) & (TS_BACKGROUND | TS_HIGH_PRI_BACK))

    def scheduled(self, vm):
        v = self.vm(vm)
        return self.on_list(vm) and v["suspend"] == 0 and not v["blocked"] and not v["idle"]

    def on_slice(self, rec):
        op, vm = rec.get("op"), rec.get("vm")
        if self.granularity is not None and rec.num("granularity") != self.granularity:
            self.fail("SL-1", rec, f"SLICE says granularity {rec.get('granularity')} ms, the "
                      f"machine's is {self.granularity} ms (time_slice_ms or the last "
                      "Set_Time_Slice_Granularity)")
        if op == "focus":
            self.focus = vm
        elif op in ("adjust", "release"):
            self.credit[vm] = rec.num("credit", 0)
        elif op == "start":
            self.sl_start(rec, vm)

    def sl_start(self, rec, vm):
        if self.machine is not None and not self.machine["time_slicing"]:
            self.fail("SL-1", rec, f"slice of {vm} starts, but MACHINE says time_slicing=0")
        holders = [n for n, b in self.slice_boost.items() if b]
        if holders:
            self.fail("SL-1", rec, f"slice of {vm} starts while {holders[0]} still holds "
                      "Cur_Run_VM_Boost")
        if not self.scheduled(vm):
            self.fail("SL-1", rec, f"slice given to {vm}, which is not scheduled (on the list, "
                      "ready and not idle)")
        prev = self.slice["vm"] if self.slice else None
        if prev in self.vm_order and vm in self.vm_order:
            # round robin in VM order: a VM between the two is not scheduled or owes time
            i, j, n = self.vm_order.index(prev), self.vm_order.index(vm), len(self.vm_order)
            for k in range(1, (j - i) % n or n):
                w = self.vm_order[(i + k) % n]
                if self.scheduled(w) and self.credit.get(w, 0) >= 0:
                    self.fail("SL-1", rec, f"slice goes from {prev} to {vm}, passing over "
                              f"{w}, which is scheduled and owes no time")
                    break
        gran = self.granularity if self.granularity is not None else rec.num("granularity", 0)
        credit, cycles = rec.num("credit", 0), rec.num("cycles", 0)
        if self.clock_hz and credit >= 0 and cycles * 1000 < gran * self.clock_hz:
            self.fail("SL-1", rec, f"slice of {cycles} cycles is shorter than the granularity "
                      f"({gran} ms)")
        self.credit[vm] = 0
        self.slice_serial += 1
        self.slice = {"vm": vm, "serial": self.slice_serial, "cycle": rec.cycle, "cycles": cycles}
        self.slice_owed = vm

    def sl_priority(self, rec, vm, boost):
        if boost not in (CUR_RUN_VM_BOOST, -CUR_RUN_VM_BOOST):
            self.fail("SL-1", rec, f"slice boost of {boost}, expected +-{CUR_RUN_VM_BOOST}")
            return
        if boost > 0:
            if self.slice_owed != vm:
                self.fail("SL-1", rec, f"Cur_Run_VM_Boost given to {vm} without its SLICE op=start"
                          f"{'' if self.slice else ' (the time slicer is off)'}")
            self.slice_owed = None
        elif self.slice_boost.get(vm, 0) <= 0:
            self.fail("SL-1", rec, f"Cur_Run_VM_Boost removed from {vm}, which does not hold it")
        self.slice_boost[vm] = self.slice_boost.get(vm, 0) + boost

    def sl_event(self, rec):
        s, k = self.slice, rec.num("index", -1)
        if s is None:
            self.fail("SL-1", rec, "a time slice ends, but none started (the time slicer is off)")
        elif k != s["serial"]:
            self.fail("SL-1", rec, f"slice {k} ends, the current slice is {s['serial']}")
        elif rec.cycle < s["cycle"] + s["cycles"]:
            self.fail("SL-1", rec, f"slice {k} of {s['vm']} ends at cycle {rec.cycle}, before "
                      f"its {s['cycles']} cycles from {s['cycle']}")

    def sl_boundary(self, rec):
        """SL-1: one VM at a time holds Cur_Run_VM_Boost: the current slice's."""
        if self.slice_owed is not None:
            self.fail("SL-1", rec, f"slice of {self.slice_owed} started without Cur_Run_VM_Boost")
            self.slice_owed = None
        for vm, b in sorted(self.slice_boost.items()):
            if b and (b != CUR_RUN_VM_BOOST or self.slice is None or self.slice["vm"] != vm):
                self.fail("SL-1", rec, f"{vm} holds slice boost {b} outside its slice")
                self.slice_boost[vm] = 0   # report once
