"""Idle callbacks in the reference model (docs/vmm.md, "Idle callbacks (IDLE-1 …
IDLE-5)").

  IDLE-1 Call_When_Idle returns CF set exactly when MACHINE idle_slots callbacks are
        installed (a trace without MACHINE: once an install failed, every later one
        fails too)
  IDLE-2 idle callbacks run only after a kernel idle signal, with every other VM
        idle or suspended
  IDLE-3 idle callbacks run in install order until one returns CF clear
  IDLE-4 idle callback: in the system VM, EBX = its handle, EBP = its Client_Reg_Struc
  IDLE-5 a kernel idle signal in the system VM with every other VM idle or
        suspended runs the chain from the first installed callback; none is skipped
"""


class IdleRules:
    """Mixin of the Model: the Call_When_Idle table and its chain (IDLE-*)."""

    def _init_idle(self):
        self.idle_list = []       # installed idle callbacks (addresses), in order
        self.idle_signal = 0      # open Int2F_1689 services
        self.idle_pos = 0         # next index of idle_list the chain may call
        self.idle_done = False    # a chain callback returned CF clear
        self.idle_cap = None      # installed idle callbacks when a Call_When_Idle failed

    def idle_service(self, rec, svc):
        if svc == "Int2F_1689":
            self.idle_signal += 1
            self.idle_pos, self.idle_done = 0, False

    def idle_svc_ret(self, rec, call, svc):
        if svc == "Call_When_Idle":
            self.idle1_result(rec)
            if rec.get("cf") == "0":
                self.idle_list.append(call.num("esi"))
        elif svc == "Int2F_1689":
            self.idle_signal = max(0, self.idle_signal - 1)

    def idle_cb_return(self, rec, kind):
        if kind == "idle" and rec.get("cf") == "0":
            self.idle_done = True   # IDLE-3: CF clear ends the chain

    def check_idle(self, rec, addr):
        cb = rec.get("cb")
        if rec.get("vm") != self.system_vm:
            self.fail("IDLE-4", rec, f"idle callback {cb} runs in {rec.get('vm')}, not in the "
                      f"system VM {self.system_vm}")
        self.check_cb_regs(rec, "IDLE-4", self.system_vm, None)
        if not self.idle_signal:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs without a kernel idle signal")
        busy = sorted(n for n, v in self.vms.items()
                      if n != self.system_vm and not v["idle"] and v["suspend"] == 0)
        if busy:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs while {', '.join(busy)} "
                      "is neither idle nor suspended")
        if self.idle_done:
            self.fail("IDLE-3", rec, f"idle callback {cb} runs after the chain ended (CF clear)")
        elif (addr in self.idle_list[self.idle_pos + 1:]
              and self.idle_pos < len(self.idle_list)):
            skipped = self.idle_list[self.idle_pos:self.idle_list.index(addr, self.idle_pos + 1)]
            self.fail("IDLE-5", rec, f"idle callback {cb} runs, but the installed "
                      f"{', '.join(f'{a:#010x}' for a in skipped)} before it was skipped: "
                      "callbacks stay installed")
            self.idle_pos = self.idle_list.index(addr, self.idle_pos + 1)
        elif self.idle_pos >= len(self.idle_list) or self.idle_list[self.idle_pos] != addr:
            want = (f"{self.idle_list[self.idle_pos]:#010x}" if self.idle_pos < len(self.idle_list)
                    else "none")
            self.fail("IDLE-3", rec, f"idle callback {cb} out of install order (next: {want})")
        self.idle_pos += 1

    def idle1_result(self, rec):
        """IDLE-1: CF set exactly when idle_slots callbacks are installed. Without a
        MACHINE record the size is unknown but fixed: once an install failed (CF set)
        with k installed, every later one fails too."""
        if self.machine is not None:
            n, slots = len(self.idle_list), self.machine["idle_slots"]
            if (rec.get("cf") == "1") != (n >= slots):
                self.fail("IDLE-1", rec, f"Call_When_Idle returns CF={rec.get('cf')} with {n} "
                          f"callback(s) installed in a table of idle_slots={slots}")
            return
        if rec.get("cf") == "1":
            if self.idle_cap is None:
                self.idle_cap = len(self.idle_list)
        elif self.idle_cap is not None:
            self.fail("IDLE-1", rec, f"Call_When_Idle installs (CF clear) after an install "
                      f"failed with {self.idle_cap} installed: the table is full")

    def idle_expected(self, rec):
        """IDLE-5: a kernel idle signal with every other VM idle or suspended runs the
        chain again from the first installed callback."""
        if rec.get("svc") != "Int2F_1689" or rec.get("vm") != self.system_vm:
            return False
        busy = [n for n, v in self.vms.items()
                if n != self.system_vm and not v["idle"] and v["suspend"] == 0]
        return bool(self.idle_list) and not busy

    def idle5_done(self, rec, ctx):
        if ctx["idle_chain"] and self.idle_pos == 0:
            self.fail("IDLE-5", rec, f"kernel idle with every other VM idle, "
                      f"{len(self.idle_list)} idle callback(s) installed, but none ran")
        elif 0 < self.idle_pos < len(self.idle_list) and not self.idle_done:
            self.fail("IDLE-3", rec, f"the idle chain stops after {self.idle_pos} callback(s) "
                      f"without one returning CF clear ({len(self.idle_list)} installed)")
