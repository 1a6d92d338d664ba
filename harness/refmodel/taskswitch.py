"""Task-switch callbacks in the reference model (docs/vmm.md, "Scheduling (PRI-1)",
where a TASK_SWITCH runs every Call_When_Task_Switched callback; docs/trace-format.md,
"TASK_SWITCH").

  TS-1  on every task switch all task-switch callbacks run, in install order, with
        EAX = old VM and EBX = new VM (the table's limit: machine.py)
"""


class TaskSwitchRules:
    """Mixin of the Model: the Call_When_Task_Switched table and TS-1."""

    def _init_taskswitch(self):
        self.ts_list = []         # installed task-switch callbacks, in order
        self.ts_pending = None    # [old, new, next index] after a TASK_SWITCH

    def ts_switched(self, old, new):
        """A TASK_SWITCH: every installed callback is owed, in install order."""
        self.ts_pending = [old, new, 0] if self.ts_list else None

    def ts_svc_ret(self, rec, call, svc):
        if svc == "Call_When_Task_Switched" and rec.get("cf") != "1":
            self.ts_list.append(call.num("esi"))

    def ts_check_done(self, rec):
        """TS-1: between a TASK_SWITCH and its last ts callback only ts callbacks run."""
        p = self.ts_pending
        if p is None or (self.cb_stack and self.cb_stack[-1][0] == "ts"):
            return
        if p[2] < len(self.ts_list):
            self.fail("TS-1", rec, f"task switch {p[0]}->{p[1]}: task-switch callback "
                      f"{self.ts_list[p[2]]:#010x} did not run")
        self.ts_pending = None

    def check_ts(self, rec, addr):
        cb = rec.get("cb")
        p = self.ts_pending
        if p is None:
            self.fail("TS-1", rec, f"task-switch callback {cb} runs without a task switch")
            return
        if p[2] >= len(self.ts_list) or self.ts_list[p[2]] != addr:
            want = f"{self.ts_list[p[2]]:#010x}" if p[2] < len(self.ts_list) else "none"
            self.fail("TS-1", rec, f"task-switch callback {cb} out of install order (next: {want})")
        for reg, want in (("eax", p[0]), ("ebx", p[1])):
            got = self.name_of(rec.get(reg))
            if got != want:
                self.fail("TS-1", rec, f"task-switch callback {cb} gets {reg.upper()}={got}, "
                          f"expected {want}")
        p[2] += 1
