"""The VM lifecycle in the reference model (docs/vmm.md, "The VM lifecycle (VML-1 …
VML-4)"; docs/trace-format.md, "CONTROL", "FINDING").

  VML-1 a destroyed VM's VM events, priority events and VM time-outs: each one
        the VMM cancels (outside any callback) after its last Destroy_VM follows a
        FINDING rule=VML-1 what=pending_at_destroy naming it, none is left pending
        at its VM_STATE destroy, none runs after; a global time-out / event set
        with a live VM's handle as reference data that runs after that VM was
        destroyed is followed (right after its CB_ENTER) by FINDING rule=VML-1
        what=fired_after_destroy, or rule=VML-3 when the handle now names another
        VM (handle reuse; the finding names both), and no such finding otherwise
  VML-2 a service given a destroyed VM's handle in EBX (path not stim) is followed
        by FINDING rule=VML-2 and returns CF set; no VML-2 follows a live handle
  VML-4 the lifecycle's control messages in the DDK's order: per VM, its messages
        (consecutive repeats, one per VxD, merged) from creation to its VM_STATE
        destroy are Create_VM VM_Critical_Init VM_Init, any VM_Suspend / VM_Resume,
        then a normal close ([Close_VM_Notify] VM_Terminate VM_Not_Executeable with
        flags 0, Destroy_VM), a kill (VM_Not_Executeable VNE_Crashed or VNE_Nuked,
        no VM_Terminate, Destroy_VM), or a failed creation (VM_Not_Executeable with
        the flag of the message that failed, Destroy_VM); no message for a destroyed
        VM; Sys_VM_Terminate only once every other VM is destroyed

The Model hands life_record every record before its own handler.
"""
import re

# VML-2: the services that take a VM handle in EBX (vmm/life.c, takes_vm)
VML_VM_SERVICES = frozenset((
    "Schedule_VM_Event", "Call_VM_Event", "Cancel_VM_Event", "Call_Priority_VM_Event",
    "Adjust_Exec_Priority", "Suspend_VM", "Resume_VM", "No_Fail_Resume_VM", "Nuke_VM",
    "Set_Execution_Focus", "Get_Time_Slice_Priority", "Set_Time_Slice_Priority", "Wake_Up_VM",
    "Get_Next_VM_Handle", "Set_VM_Time_Out", "Get_VM_Exec_Time", "VPICD_Set_Int_Request",
    "VPICD_Clear_Int_Request", "Close_VM"))


class LifecycleRules:
    """Mixin of the Model: destroyed VMs, stale handles and control messages (VML-*)."""

    # VML-4: a VM's messages as tokens (X<flags> for VM_Not_Executeable) and the orders
    # a destroyed VM's tokens may have.
    LIFE_TOKENS = {"Create_VM": "C", "VM_Critical_Init": "K", "VM_Init": "I",
                   "VM_Suspend": "S", "VM_Resume": "R", "Close_VM_Notify": "N",
                   "VM_Terminate": "T", "VM_Not_Executeable": "X", "Destroy_VM": "D"}
    LIFE_ORDER = re.compile(r"^(CKI[SR]*(N?TX0|X1|X2)|CX4|CKX8|CKIX10)D$")

    def _init_life(self):
        self.life_dead = set()      # names of destroyed VMs
        self.life_ref = {}          # global time-out / event handle -> VM its ref named
        self.life_owed = None       # (rule, text) the next finding must be
        self.life_flagged = set()   # handles a VML-1 pending_at_destroy finding named
        self.life_svc = None        # (SERVICE record, stale VM or None) awaiting VML-2 / SVC_RET
        self.life_going = set()     # VMs sent Destroy_VM and not yet VM_STATE destroy
        self.life_msgs = {}         # VM -> its lifecycle message tokens (VML-4)

    def life_control(self, rec):
        vm, msg = rec.get("vm"), rec.get("msg")
        if vm in self.life_dead:
            self.fail("VML-4", rec, f"{msg} sent for destroyed VM {vm}")
        if msg == "Sys_VM_Terminate":
            live = [n for n in self.vm_order if n != self.system_vm and n not in self.life_dead]
            if live:
                self.fail("VML-4", rec, f"Sys_VM_Terminate while {live[0]} exists")
        tok = self.LIFE_TOKENS.get(msg)
        if tok is None:
            return
        if tok == "X":
            tok += format(rec.num("flags", 0), "x")
        seq = self.life_msgs.setdefault(vm, [])
        if not seq or seq[-1] != tok:
            seq.append(tok)

    def life_pending(self, vm):
        evs = [h for h, e in self.events.items()
               if e["vm"] == vm and e["kind"] in ("vm", "priority") and e["state"] == "pending"]
        tos = [h for h, t in self.timeouts.items()
               if t["vm"] == vm and t["kind"] == "vm" and t["state"] in ("set", "due")]
        return evs + tos

    def life_record(self, rec):
        t = rec.type
        if self.life_owed is not None and t not in ("FINDING", "CB_ENTER", "CHECKPOINT"):
            self.fail(self.life_owed[0], rec, self.life_owed[1])
            self.life_owed = None
        if t == "FINDING" and rec.get("rule", "").startswith("VML-"):
            self.life_finding(rec)
        elif t == "VM_STATE" and rec.get("state") == "destroy":
            vm = self.vm(rec.get("vm"))
            left = self.life_pending(rec.get("vm"))
            if left:
                self.fail("VML-1", rec, f"{rec.get('vm')} destroyed with {len(left)} VM event(s) / "
                          f"time-out(s) still pending ({left[0]:#010x})")
            vm["suspend"] = rec.num("suspend", vm["suspend"])
            seq = "".join(self.life_msgs.get(rec.get("vm"), []))
            if not self.LIFE_ORDER.match(seq):
                self.fail("VML-4", rec, f"{rec.get('vm')} destroyed after the messages {seq or 'none'}"
                          " (C Create_VM, K VM_Critical_Init, I VM_Init, S/R VM_Suspend/Resume, "
                          "N Close_VM_Notify, T VM_Terminate, X<flags> VM_Not_Executeable, D Destroy_VM)")
            self.life_dead.add(rec.get("vm"))
            self.life_going.discard(rec.get("vm"))
        elif t == "CONTROL":
            self.life_control(rec)
            if rec.get("msg") == "Destroy_VM":
                self.life_going.add(rec.get("vm"))
        elif t in ("EV", "TIMEOUT"):
            self.life_callback(rec)
        elif t == "SERVICE":
            self.life_service(rec)
        elif t == "SVC_RET" and self.life_svc is not None:
            call, stale = self.life_svc
            if rec.get("svc") == call.get("svc") and stale is not None and rec.get("cf") != "1":
                self.fail("VML-2", rec, f"{call.get('svc')} with the stale handle of {stale} "
                          "returns CF clear")
            self.life_svc = None

    def life_callback(self, rec):
        op, kind, h, vm = rec.get("op"), rec.get("kind"), rec.num("handle", 0), rec.get("vm")
        ref = rec.num("ref")
        if op in ("set", "schedule") and kind == "global" and ref in self.by_handle:
            if self.by_handle[ref] not in self.life_dead:
                self.life_ref[h] = self.by_handle[ref]
        elif op == "cancel" and not self.cb_stack and vm in self.life_going:
            if h not in self.life_flagged:
                self.fail("VML-1", rec, f"the VMM cancels {vm}'s {h:#010x} without a FINDING "
                          "rule=VML-1")
        elif op in ("run", "call", "timeout") and vm in self.life_dead:
            self.fail("VML-1", rec, f"a callback of destroyed VM {vm} runs")
        elif op in ("run", "call") and h in self.life_ref:
            was, now = self.life_ref.pop(h), self.by_handle.get(ref)
            if was in self.life_dead and now != was and now not in self.life_dead:
                self.life_owed = ("VML-3", f"{rec.get('cb')} runs with {was}'s old handle, now "
                                  f"{now}'s, and no FINDING rule=VML-3 follows")
            elif was in self.life_dead:
                self.life_owed = ("VML-1", f"{rec.get('cb')} runs for destroyed VM {was} and no "
                                  "FINDING rule=VML-1 follows")

    def life_service(self, rec):
        h = rec.num("ebx")
        stale = None
        if rec.get("svc") in VML_VM_SERVICES and rec.get("path") != "stim" and h in self.by_handle:
            if self.by_handle[h] in self.life_dead:
                stale = self.by_handle[h]
                self.life_owed = ("VML-2", f"{rec.get('svc')} called with the handle of destroyed "
                                  f"VM {stale} and no FINDING rule=VML-2 follows")
        self.life_svc = (rec, stale)

    def life_finding(self, rec):
        rule, owed = rec.get("rule"), self.life_owed
        if rule == "VML-1" and rec.get("what") == "pending_at_destroy":
            h = rec.num("handle", 0)
            if h not in self.life_pending(rec.get("vm")):
                self.fail("VML-1", rec, f"FINDING rule=VML-1 for {h:#010x}, not a pending VM "
                          f"event or time-out of {rec.get('vm')}")
            self.life_flagged.add(h)
            return
        if owed is None or owed[0] != rule:
            self.fail(rule, rec, f"FINDING rule={rule} where the model expects "
                      f"{'none' if owed is None else owed[0]}")
        elif rule == "VML-2" and self.life_svc and rec.get("svc") != self.life_svc[0].get("svc"):
            self.fail(rule, rec, f"FINDING rule=VML-2 names {rec.get('svc')}, the call was "
                      f"{self.life_svc[0].get('svc')}")
        self.life_owed = None
