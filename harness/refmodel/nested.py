"""Nested execution, V86 call-backs and break points in the reference model
(docs/vmm.md, "Nested execution, V86 call-backs and break points (NX-1 … NX-4,
VCB-1 … VCB-4)", its "Rules"; docs/trace-format.md, "CLIENT").

  NX-1  Resume_Exec / Exec_Int park the calling VxD: its callback neither runs nor
        returns until the client reaches the nest's break point (CLIENT op=break
        vector=0x00), right before the service's SVC_RET; no VxD is parked at the end
  NX-2  Exec_Int n enters vector n of the VM's table at once (CLIENT op=execint)
  NX-3  Exec_Int, Resume_Exec and End_Nest_Exec only inside a nested execution block
  NX-4  while a VxD is parked, a callback in its VM's context runs above it (CB_ENTER
        depth > the parked VxD's)
  VCB-1 a CLIENT op=break vector=0x01 is an Allocate_V86_Call_Back address with its
        callback, and its CB_ENTER kind=v86cb comes right after (EAX = the address,
        EBX / EBP / EDX as check_cb_regs says)
  VCB-2 a break (vector=0x02) only at an installed break point, its callback next
  VCB-3 a removed break point never breaks again
  VCB-4 Call_When_VM_Returns: the IRET through its break point (vector=0x03) calls the
        callback unless a positive time-out's call came first; a time-out
        (EVENT kind=return_timeout) only for an armed slot, its call (a v86cb
        without a break) only after it
"""


class NestedRules:
    """Mixin of the Model: nested execution blocks, parked VxDs, V86 call-backs, break
    points and Call_When_VM_Returns."""

    NX_BLOCK_SVCS = ("Exec_Int", "Resume_Exec", "End_Nest_Exec")
    NX_PARK_SVCS = ("Exec_Int", "Resume_Exec")
    RET_BP = 0xF000FE80

    def _init_nested(self):
        self.nx_blocks = {}       # vm -> nested execution blocks open
        self.nx_parked = {}       # vm -> [(svc, depth of the parked callback)], innermost last
        self.nx_break = None      # (vm, svc, record index): a nest break awaiting its SVC_RET
        self.nx_execint = None    # (vm, vector, record index): Exec_Int awaiting its entry
        self.nx_v86 = None        # (vm, kind, callback, record index): a break awaiting its entry
        self.nx_cbs = []          # Allocate_V86_Call_Back: (address, callback, reference data)
        self.nx_bps = {}          # (vm, seg:off) -> (callback, reference data)
        self.nx_pending = None    # the open SERVICE of a VCB service (its SVC_RET completes it)
        self.nx_removed = set()   # (vm, seg:off) of break points removed (and not reinstalled)
        self.nx_rets = {}         # VCB-4: slot k -> {vm, cb, ref, to (ms, signed), state}

    def nx_floor(self, vm):
        p = self.nx_parked.get(vm)
        return p[-1][1] if p else 0

    def nx_depth_of(self, vm):
        """Depth of the innermost callback open in vm's context (0: none)."""
        for i in range(len(self.cb_stack) - 1, -1, -1):
            if self.cb_stack[i][3] == vm:
                return self.cb_enter[i].num("depth", 0)
        return 0

    def nx_service(self, rec):
        svc, vm = rec.get("svc"), rec.get("vm")
        if svc in self.NX_BLOCK_SVCS and self.nx_blocks.get(vm, 0) <= 0:
            self.fail("NX-3", rec, f"{svc} of {vm} outside a nested execution block")
        if svc in ("Begin_Nest_Exec", "Begin_Nest_V86_Exec"):
            self.nx_blocks[vm] = self.nx_blocks.get(vm, 0) + 1
        elif svc == "End_Nest_Exec":
            self.nx_blocks[vm] = self.nx_blocks.get(vm, 0) - 1
        if svc in self.NX_PARK_SVCS:
            self.nx_parked.setdefault(vm, []).append((svc, self.nx_depth_of(vm)))
        if svc == "Exec_Int":
            self.nx_execint = (vm, rec.num("eax"), rec.index)
        if svc in ("Allocate_V86_Call_Back", "Install_V86_Break_Point", "Remove_V86_Break_Point",
                   "Call_When_VM_Returns"):
            self.nx_pending = rec

    def nx_svc_ret(self, rec):
        svc, vm = rec.get("svc"), rec.get("vm")
        if svc in self.NX_PARK_SVCS:
            b = self.nx_break
            if b is None or b[0] != vm or b[1] != svc or b[2] + 1 != rec.index:
                self.fail("NX-1", rec, f"{svc} of {vm} returns without its VM reaching the nest's "
                          "break point (CLIENT op=break vector=0x00 right before)")
            self.nx_break = None
        call, self.nx_pending = self.nx_pending, None
        if call is None or call.get("svc") != svc or rec.get("cf") == "1":
            return
        if svc == "Allocate_V86_Call_Back":
            self.nx_cbs.append((rec.num("eax"), call.num("esi"), call.num("edx")))
        elif svc == "Install_V86_Break_Point":
            self.nx_bps[(vm, call.num("eax"))] = (call.num("esi"), call.num("edx"))
            self.nx_removed.discard((vm, call.num("eax")))
        elif svc == "Call_When_VM_Returns":
            k = next(i for i in range(len(self.nx_rets) + 1) if i not in self.nx_rets)
            to = call.num("eax")
            self.nx_rets[k] = {"vm": vm, "cb": call.num("esi"), "ref": call.num("edx"),
                               "to": to - (1 << 32) if to >= 1 << 31 else to, "state": "armed"}
        elif svc == "Remove_V86_Break_Point" and self.nx_bps.pop((vm, call.num("eax")), None):
            self.nx_removed.add((vm, call.num("eax")))

    def nx_client(self, rec, op, vm):
        x = self.nx_execint
        if op == "execint":
            if x is None or x[0] != vm or x[2] + 1 != rec.index or x[1] != rec.num("vector"):
                self.fail("NX-2", rec, f"{vm}'s vector {rec.get('vector')} entered without its "
                          "Exec_Int right before (SERVICE Exec_Int with that EAX)")
            self.nx_execint = None
        elif x is not None:
            self.fail("NX-2", rec, f"Exec_Int of {x[0]} does not enter the VM's vector at once")
            self.nx_execint = None
        if op != "break":
            return
        kind, at = rec.num("vector"), rec.num("cs") << 16 | rec.num("ip")
        if kind == 0:
            p = self.nx_parked.get(vm)
            if not p:
                self.fail("NX-1", rec, f"{vm} reaches the nest's break point with no Resume_Exec "
                          "or Exec_Int waiting")
                return
            self.nx_break = (vm, p.pop()[0], rec.index)
        elif kind == 3:
            self.nx_ret_break(rec, vm, at)
        elif kind == 1:
            want = next((c for c in self.nx_cbs if c[0] == at), None)
            if want is None or want[1] != rec.num("target"):
                self.fail("VCB-1", rec, f"{vm} enters a V86 call-back at {at:#010x} that "
                          "Allocate_V86_Call_Back did not hand out for that callback")
            self.nx_v86 = (vm, "VCB-1", want, rec.index)
        else:
            want = self.nx_bps.get((vm, at))
            if want is None and (vm, at) in self.nx_removed:
                self.fail("VCB-3", rec, f"{vm} breaks at {at:#010x} after its break point was "
                          "removed (the original byte is back)")
            elif want is None or want[0] != rec.num("target"):
                self.fail("VCB-2", rec, f"{vm} breaks at {at:#010x}, where no break point with "
                          "that callback is installed")
            self.nx_v86 = (vm, "VCB-2", want and (at, want[0], want[1]), rec.index)

    def nx_cb_enter(self, rec):
        vm, kind = rec.get("vm"), rec.get("kind")
        if self.nx_parked.get(vm) and rec.num("depth", 0) <= self.nx_floor(vm):
            self.fail("NX-4", rec, f"callback {rec.get('cb')} runs in {vm}'s context at depth "
                      f"{rec.get('depth')}, not above the VxD parked in "
                      f"{self.nx_parked[vm][-1][0]} (depth {self.nx_floor(vm)})")
        w, self.nx_v86 = self.nx_v86, None
        if kind != "v86cb":
            if w is not None:
                self.fail(w[1], rec, f"{w[0]}'s break is not followed by its callback")
            return
        if w is None and self.nx_ret_timeout_call(rec, vm):
            return
        if w is None or w[0] != vm or w[3] + 1 != rec.index:
            self.fail("VCB-1", rec, f"V86 callback {rec.get('cb')} entered without a CLIENT "
                      "op=break right before")
        elif w[2] is not None:
            if rec.num("addr") != w[2][1] or rec.num("eax") != w[2][0]:
                self.fail(w[1], rec, f"{rec.get('cb')} entered for the break at {w[2][0]:#010x} "
                          f"with EAX {rec.get('eax')}")
            self.check_cb_regs(rec, w[1], vm, w[2][2])

    def nx_ret_event(self, rec):
        """VCB-4: a Call_When_VM_Returns time-out falls due (EVENT kind=return_timeout)."""
        r = self.nx_rets.get(rec.num("index", -1))
        if r is None or r["to"] == 0 or r["state"] != "armed":
            self.fail("VCB-4", rec, "a Call_When_VM_Returns time-out falls due with none armed "
                      "in that slot (no time-out, already returned or already due)")
            return
        r["state"] = "fired"

    def nx_ret_timeout_call(self, rec, vm):
        """A v86cb entered without a break: the time-out call of a fired slot (CF set)."""
        k = (rec.num("eax") - self.RET_BP) // 2
        r = self.nx_rets.get(k)
        if r is None or r["vm"] != vm or r["cb"] != rec.num("addr") or r["state"] != "fired":
            self.fail("VCB-4", rec, f"{rec.get('cb')} is called as a Call_When_VM_Returns "
                      "time-out without its time-out falling due")
            return True
        r["state"] = "called"
        self.check_cb_regs(rec, "VCB-4", vm, r["ref"])
        return True

    def nx_ret_break(self, rec, vm, at):
        """VCB-4: the IRET reached the break point: the callback, unless a positive
        time-out's call came first."""
        k = (at - self.RET_BP) // 2
        r = self.nx_rets.pop(k, None)
        if r is None or r["vm"] != vm:
            self.fail("VCB-4", rec, f"{vm} returns through {at:#010x}, where no Call_When_VM_Returns "
                      "of it waits")
            return
        call = not (r["to"] > 0 and r["state"] == "called")
        if rec.num("target") != (r["cb"] if call else 0):
            self.fail("VCB-4", rec, f"the IRET {'calls' if rec.num('target') else 'skips'} "
                      f"{r['cb']:#010x} (time-out {r['to']} ms, {r['state']})")
        if call:
            self.nx_v86 = (vm, "VCB-4", (at, r["cb"], r["ref"]), rec.index)

    def nx_cb_return(self, rec, enter):
        vm = enter.get("vm")
        if self.nx_parked.get(vm) and enter.num("depth", 0) == self.nx_floor(vm):
            self.fail("NX-1", rec, f"{enter.get('cb')} returns while parked in "
                      f"{self.nx_parked[vm][-1][0]}")

    def nx_end(self, rec):
        for vm, p in sorted(self.nx_parked.items()):
            if p:
                self.fail("NX-1", rec, f"the run ends with {vm}'s VxD parked in {p[-1][0]}")
