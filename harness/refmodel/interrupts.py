"""Simulated hardware interrupts and the VPICD in the reference model (docs/vmm.md,
"Simulated interrupts (INT-1)", "The descriptor's procedures", "The interrupt
boundary (choice point)"; docs/trace-format.md, "IRQ").

  INT-1 delivery — a raise of a virtualized IRQ is answered by one IRQ op=hw_int and
        the CB_ENTER kind=hwint of the descriptor's Hw_Int_Proc (EAX = IRQ handle,
        EBX = current VM); raises of a line not yet delivered merge; an unowned IRQ
        is never virtualized; one procedure at a time, a line in service (no
        VPICD_Phys_EOI yet) is not delivered again, the lowest deliverable IRQ goes
        first; a run that ends with nothing left to do delivered every raise;
        boundary — once an IRQ can be delivered (raised, line not in service, no
        interrupt-time or IF-clear procedure open, no irq-boundary hold) the
        interrupted context calls no service, returns no callback and no other
        callback is entered before its hw_int;
        interrupt time — a service called while a Hw_Int_Proc runs is followed by
        FINDING rule=INT-1 exactly when it is not asynchronous, and no INT-1 finding
        is written otherwise; PRI-1 is not applied while interrupt-time code runs;
        simulation — IRQ op=simulate answers a request for a VM that is current with
        no VxD code running; then VID_Virt_Int_Proc (the one simulate names) returns
        before the handler's time starts, which ends (EVENT kind=iret) after it
        started; then the EOI procedure (entered only then), then
        IRQ op=iret and the IRET procedure it names; VID_IRET_Proc is entered only
        after IRQ op=iret (CF clear) or IRQ op=iret_timeout (CF set), once per
        interrupt, and a time-out only between the simulation and the IRET;
        boost — Time_Critical_Boost (PRIORITY reason=irq, +-0x400000) is held from
        the request through the simulation until the IRET procedure returned, and
        removed when the interrupt ended or the request was cleared
"""

TIME_CRITICAL_BOOST = 0x00400000
# INT-1: the services a Hw_Int_Proc may call (docs/vmm.md, "Simulated interrupts"):
# the VM-handle services and Get_VMM_Version, the event, priority event and time-out
# services, the time services, Wake_Up_VM, Get_Crit_Status_No_Block and every VPICD
# service (the VPICD_ prefix).
ASYNC_SERVICES = frozenset("""
    Get_VMM_Version Get_Cur_VM_Handle Test_Cur_VM_Handle Get_Sys_VM_Handle
    Test_Sys_VM_Handle Validate_VM_Handle Get_Next_VM_Handle
    Schedule_Global_Event Schedule_VM_Event Call_Global_Event Call_VM_Event
    Cancel_Global_Event Cancel_VM_Event Call_Priority_VM_Event Cancel_Priority_VM_Event
    Set_Global_Time_Out Set_VM_Time_Out Cancel_Time_Out
    Get_System_Time Get_VM_Exec_Time Get_Last_Updated_System_Time
    Get_Last_Updated_VM_Exec_Time Wake_Up_VM Get_Crit_Status_No_Block
""".split())
# Callbacks that run with IF clear: an IRQ raised meanwhile waits for their return.
IF_CLEAR_KINDS = ("hwint", "vid_virt", "vid_eoi", "vid_iret")
# The VMM's chain of a simulated interrupt, per VM (the values of irq_sim's "stage").
SIM_STAGES = ("virt", "handler", "eoi", "iret", "done")


class InterruptRules:
    """Mixin of the Model: IRQ delivery, interrupt time and simulated interrupts."""

    def _init_interrupts(self):
        self.irq_virt = {}        # irq -> (handle, Hw_Int_Proc label)
        self.irq_pending = {}     # irq -> record index of its undelivered raise
        self.irq_in_service = set()   # delivered, no VPICD_Phys_EOI yet
        self.irq_held = set()     # delivery held by an irq-boundary choice (chosen > 0)
        self.hw_announced = None  # irq whose IRQ op=hw_int awaits its CB_ENTER
        self.hw_open = None       # irq whose Hw_Int_Proc runs (one at a time)
        self.int_svc = None       # [SERVICE record, finding seen] called at interrupt time
        self.irq_req = {}         # vm -> IRQs requested and not yet simulated
        self.irq_sim = {}         # vm -> the interrupt simulated into it (dict)
        self.irq_boost_seen = {}  # vm -> sum of PRIORITY reason=irq boosts
        self.vid_announced = None # (vm, kind, proc label, timed out) the next vid_* entry

    def interrupt_time(self):
        """Interrupt-time code runs or is about to: the VMM delivers IRQs before it
        reschedules, and cannot switch VMs under a Hw_Int_Proc (PRI-1 waits)."""
        return (self.hw_open is not None or self.hw_announced is not None
                or bool(self.deliverable()))

    def if_clear(self):
        """The innermost callback open in the current VM's context runs with IF clear."""
        for kind, _, _, vm in reversed(self.cb_stack):
            if vm == self.current:
                return kind in IF_CLEAR_KINDS
        return False

    def deliverable(self):
        """Raised IRQs the VMM may deliver at the next instruction boundary, lowest first."""
        if self.hw_open is not None or self.hw_announced is not None or self.if_clear():
            return []
        return sorted(i for i in self.irq_pending
                      if i not in self.irq_in_service and i not in self.irq_held)

    def int_progress(self, rec):
        """INT-1: an IRQ that can be delivered is delivered at the next instruction
        boundary: before the interrupted code calls a service or returns, and before
        the VMM enters any other callback."""
        if rec.type not in ("SERVICE", "CB_RETURN", "CB_ENTER"):
            return
        if rec.type == "CB_ENTER" and rec.get("kind") == "hwint":
            return
        ready = self.deliverable()
        if ready:
            irq = ready[0]
            raised = self.irq_pending[irq]
            self.fail("INT-1", rec, f"IRQ {irq} (raised at record {raised}) can be delivered, "
                      f"but {rec.type} {rec.get('svc') or rec.get('cb')} comes first: its "
                      "Hw_Int_Proc runs at the next instruction boundary")
            self.irq_held.add(irq)   # report once

    def int_boundary(self, rec):
        """INT-1: Time_Critical_Boost is held while a VM has a request or a simulated
        interrupt whose IRET procedure has not returned, and only then."""
        for vm in sorted(set(self.irq_req) | set(self.irq_sim) | set(self.irq_boost_seen)):
            sim = self.irq_sim.get(vm)
            live = bool(self.irq_req.get(vm)) or (sim is not None and sim["stage"] != "done")
            seen = self.irq_boost_seen.get(vm, 0)
            if live and seen < TIME_CRITICAL_BOOST:
                what = f"IRQ {sim['irq']} simulated ({sim['stage']})" if sim else "a request"
                self.fail("INT-1", rec, f"{vm} has {what} but not Time_Critical_Boost "
                          f"(irq boosts sum to {seen:#x})")
                self.irq_boost_seen[vm] = TIME_CRITICAL_BOOST   # report once
            elif not live and seen:
                self.fail("INT-1", rec, f"{vm} keeps Time_Critical_Boost ({seen:#x}) with no "
                          "request or simulated interrupt left")
                self.irq_boost_seen[vm] = 0
            if sim is not None and sim["stage"] == "done":
                del self.irq_sim[vm]

    # -- IRQ records -----------------------------------------------------------------
    def on_irq(self, rec):
        op, irq, vm = rec.get("op"), rec.num("irq"), rec.get("vm")
        handle, proc = rec.num("handle"), rec.get("proc")
        v = self.irq_virt.get(irq)
        if op == "virtualize":
            if v is not None:
                self.fail("INT-1", rec, f"IRQ {irq} virtualized twice")
            self.irq_virt[irq] = (handle, proc)
        elif op == "unowned":
            if v is not None:
                self.fail("INT-1", rec, f"IRQ {irq} is virtualized ({v[1]}) but dropped as unowned")
        elif v is None and op in ("raise", "hw_int", "request", "eoi"):
            self.fail("INT-1", rec, f"IRQ op={op} for IRQ {irq}, which nobody virtualized")
        elif op == "raise":
            if (handle, proc) != v:
                self.fail("INT-1", rec, f"IRQ {irq} raised as {proc}/{handle:#x}, virtualized as "
                          f"{v[1]}/{v[0]:#x}")
            self.irq_pending.setdefault(irq, rec.index)   # a second raise merges
        elif op == "hw_int":
            self.on_hw_int(rec, irq, vm, v)
        elif op == "eoi":
            self.irq_in_service.discard(irq)
        elif op == "request":
            if vm not in self.vms:
                self.fail("INT-1", rec, f"IRQ {irq} requested for unknown VM {vm}")
            self.irq_req.setdefault(vm, set()).add(irq)
        elif op == "clear":
            self.irq_req.get(vm, set()).discard(irq)
        elif op == "simulate":
            self.on_simulate(rec, irq, vm, handle, proc)
        elif op in ("iret", "iret_timeout"):
            self.on_irq_iret(rec, op, irq, vm, proc)

    def on_hw_int(self, rec, irq, vm, v):
        if irq not in self.irq_pending:
            self.fail("INT-1", rec, f"IRQ {irq} delivered without an undelivered raise")
        if self.hw_open is not None or self.hw_announced is not None:
            self.fail("INT-1", rec, f"IRQ {irq} delivered while the Hw_Int_Proc of IRQ "
                      f"{self.hw_open if self.hw_open is not None else self.hw_announced} runs")
        if irq in self.irq_in_service:
            self.fail("INT-1", rec, f"IRQ {irq} delivered again before its VPICD_Phys_EOI")
        lower = [i for i in self.irq_pending if i < irq and i not in self.irq_in_service
                 and i not in self.irq_held]
        if lower:
            self.fail("INT-1", rec, f"IRQ {irq} delivered before the lower IRQ {min(lower)}")
        if vm != self.current:
            self.fail("INT-1", rec, f"IRQ {irq} delivered in {vm}, the current VM is {self.current}")
        if rec.get("proc") != v[1]:
            self.fail("INT-1", rec, f"IRQ {irq} delivered to {rec.get('proc')}, virtualized by {v[1]}")
        self.irq_pending.pop(irq, None)
        self.irq_held.discard(irq)
        self.irq_in_service.add(irq)
        self.hw_announced = irq

    def on_simulate(self, rec, irq, vm, handle, proc):
        if irq not in self.irq_req.get(vm, set()):
            self.fail("INT-1", rec, f"IRQ {irq} simulated into {vm} without a request")
        self.irq_req.get(vm, set()).discard(irq)
        if vm != self.current or self.vxd_running():
            self.fail("INT-1", rec, f"IRQ {irq} simulated into {vm} while "
                      f"{'VxD code runs' if vm == self.current else self.current + ' is current'}:"
                      " only at the VMM's return to the VM")
        old = self.irq_sim.get(vm)
        if old is not None and old["stage"] != "done":
            self.fail("INT-1", rec, f"IRQ {irq} simulated into {vm} while IRQ {old['irq']} is "
                      f"({old['stage']})")
        virt = proc not in ("0x00000000", None)
        self.irq_sim[vm] = {"irq": irq, "handle": handle, "stage": "virt" if virt else "handler",
                            "since": rec.cycle, "timed_out": False, "eoi_open": False,
                            "iret_open": None, "iret_proc": None}
        if virt:
            self.vid_announced = (vm, "vid_virt", proc, False)

    def on_iret_event(self, rec):
        """EVENT kind=iret: the handler's time ended; kind=iret_timeout: its
        VID_IRET_Time_Out passed (the IRQ op=iret_timeout record follows)."""
        i = rec.num("index", -1)
        vm = self.vm_order[i] if 0 <= i < len(self.vm_order) else None
        sim = self.irq_sim.get(vm)
        if sim is None or sim["stage"] in ("iret", "done"):
            self.fail("INT-1", rec, f"{rec.get('kind')} event for VM index {i} ({vm}) without "
                      "a simulated interrupt in its handler")
            return
        if rec.get("kind") == "iret_timeout":
            return
        self.cl4_iret_event(rec, vm)
        if sim["stage"] != "handler":
            self.fail("INT-1", rec, f"{vm}'s handler time ends before its VID_Virt_Int_Proc "
                      "returned")
        if rec.cycle <= sim["since"]:
            self.fail("INT-1", rec, f"{vm}'s handler time ends at once (started at cycle "
                      f"{sim['since']})")
        sim["stage"] = "eoi"

    def on_irq_iret(self, rec, op, irq, vm, proc):
        sim = self.irq_sim.get(vm)
        if sim is None or sim["irq"] != irq:
            self.fail("INT-1", rec, f"IRQ op={op} for IRQ {irq} in {vm}, which has no such "
                      "simulated interrupt")
            return
        has_proc = proc not in ("0x00000000", None)
        if op == "iret_timeout":
            if sim["stage"] not in ("handler", "eoi") or sim["timed_out"]:
                self.fail("INT-1", rec, f"VID_IRET_Time_Out of IRQ {irq} in {vm} "
                          f"{'again' if sim['timed_out'] else 'in stage ' + sim['stage']}")
            if not has_proc:
                self.fail("INT-1", rec, f"VID_IRET_Time_Out of IRQ {irq} armed without an IRET "
                          "procedure")
            sim["timed_out"] = True
            sim["iret_proc"] = proc if has_proc else None
            return
        if sim["stage"] != "eoi" or sim["eoi_open"]:
            self.fail("INT-1", rec, f"IRQ {irq} IRETs in {vm} in stage {sim['stage']}"
                      f"{' (its EOI procedure runs)' if sim['eoi_open'] else ''}: the EOI "
                      "procedure comes first")
        if sim["iret_open"] is not None or (sim["timed_out"] and sim["iret_proc"]):
            self.fail("INT-1", rec, f"IRQ {irq} IRETs in {vm} before its timed-out IRET "
                      "procedure returned")
        sim["stage"] = "iret"
        if has_proc and not sim["timed_out"]:
            sim["iret_proc"] = proc
            self.vid_announced = (vm, "vid_iret", proc, False)
        else:
            sim["stage"] = "done"   # no IRET procedure, or it was called at the time-out

    def on_choice(self, rec):
        # an irq-boundary hold lets the interrupted code run up to chosen instructions
        if rec.get("kind") == "irq-boundary" and rec.num("chosen", 0) > 0:
            self.irq_held |= set(self.deliverable())

    def int1_finding(self, rec):
        """INT-1: a finding only for a service called at interrupt time."""
        p = self.int_svc
        if p is None or p[0].get("svc") != rec.get("svc"):
            self.fail("INT-1", rec, f"FINDING rule=INT-1 for {rec.get('svc')} outside a "
                      "service called at interrupt time")
            return
        p[1] = True

    def int_end(self, rec):
        """INT-1: a run that ends (done) delivered every raise and ended every simulation."""
        lost = sorted(i for i in self.irq_pending if i not in self.irq_in_service)
        if lost:
            self.fail("INT-1", rec, f"the run ends with IRQ {lost[0]} raised and never delivered")
        for vm, sim in sorted(self.irq_sim.items()):
            if sim["stage"] != "done":
                self.fail("INT-1", rec, f"the run ends with IRQ {sim['irq']} simulated into {vm} "
                          f"and never IRETed (stage {sim['stage']})")

    # -- the descriptor's procedures (CB_ENTER / CB_RETURN) ---------------------------
    def int_cb_enter(self, rec, kind, addr):
        ann = self.vid_announced
        if kind == "hwint":
            self.hw_enter(rec)
            return
        if self.hw_announced is not None:
            self.fail("INT-1", rec, f"IRQ op=hw_int of IRQ {self.hw_announced}, but {kind} "
                      f"callback {rec.get('cb')} is entered")
            self.hw_announced = None
        if kind not in IF_CLEAR_KINDS:
            if ann is not None and kind != "ts":
                self.fail("INT-1", rec, f"{ann[1]} {ann[2]} of {ann[0]} announced, but {kind} "
                          f"callback {rec.get('cb')} is entered")
                self.vid_announced = None
            return
        vm = rec.get("vm")
        sim = self.irq_sim.get(vm)
        if sim is None:
            self.fail("INT-1", rec, f"{kind} callback {rec.get('cb')} in {vm}, which has no "
                      "simulated interrupt")
            return
        self.vid_args(rec, kind, vm, sim)
        if kind == "vid_eoi":
            if sim["stage"] in ("iret", "done"):
                self.fail("INT-1", rec, f"VID_EOI_Proc {rec.get('cb')} in {vm} after the IRET "
                          "(IRQ op=iret): the EOI procedure comes first")
            elif sim["stage"] != "eoi" or sim["eoi_open"]:
                self.fail("INT-1", rec, f"VID_EOI_Proc {rec.get('cb')} in {vm} in stage "
                          f"{sim['stage']}: only once, after the handler's time")
            sim["eoi_open"] = True
            return
        timed = kind == "vid_iret" and ann is None and sim["timed_out"] and sim["iret_proc"]
        if timed:
            # the CF-set call after VID_IRET_Time_Out, at a later return to the VM
            if sim["iret_proc"] != rec.get("cb"):
                self.fail("INT-1", rec, f"timed-out IRET procedure {sim['iret_proc']} owed, "
                          f"{rec.get('cb')} entered")
            sim["iret_proc"] = None
            sim["iret_open"] = "timeout"
            return
        if ann is None or ann[:3] != (vm, kind, rec.get("cb")):
            self.fail("INT-1", rec, f"{kind} callback {rec.get('cb')} in {vm} entered without "
                      f"its IRQ op={'simulate' if kind == 'vid_virt' else 'iret/iret_timeout'}"
                      f"{' (' + ann[1] + ' ' + ann[2] + ' announced)' if ann else ''}")
        self.vid_announced = None
        if kind == "vid_iret":
            sim["iret_open"] = "iret"

    def vid_args(self, rec, kind, vm, sim):
        """A descriptor procedure: EAX = IRQ handle, EBX = the VM, called from client
        level in that VM's context while it is current."""
        if rec.num("eax") != sim["handle"]:
            self.fail("INT-1", rec, f"{kind} callback gets EAX={rec.get('eax')}, the IRQ handle "
                      f"is {sim['handle']:#010x}")
        if self.name_of(rec.get("ebx")) != vm:
            self.fail("INT-1", rec, f"{kind} callback gets EBX={self.name_of(rec.get('ebx'))}, "
                      f"expected {vm}")
        if vm != self.current or self.vxd_running():
            self.fail("INT-1", rec, f"{kind} callback runs in {vm} while "
                      f"{'VxD code runs' if vm == self.current else self.current + ' is current'}")
        if rec.num("pri", 0) < TIME_CRITICAL_BOOST:
            self.fail("INT-1", rec, f"{kind} callback entered at priority {rec.get('pri')}, "
                      "without Time_Critical_Boost")

    def hw_enter(self, rec):
        irq = self.hw_announced
        if irq is None:
            self.fail("INT-1", rec, f"Hw_Int_Proc {rec.get('cb')} entered without IRQ op=hw_int")
            return
        handle, proc = self.irq_virt.get(irq, (None, None))
        if rec.get("cb") != proc or rec.num("eax") != handle:
            self.fail("INT-1", rec, f"IRQ {irq}'s Hw_Int_Proc is {proc} with EAX={handle:#010x}")
        if rec.get("vm") != self.current or self.name_of(rec.get("ebx")) != self.current:
            self.fail("INT-1", rec, f"Hw_Int_Proc gets EBX={self.name_of(rec.get('ebx'))} in "
                      f"{rec.get('vm')}, the current VM is {self.current}")
        self.hw_announced, self.hw_open = None, irq

    def int_cb_return(self, rec, kind, info):
        if kind == "hwint":
            self.hw_open = None
            return
        sim = self.irq_sim.get(rec.get("vm"))
        if kind not in IF_CLEAR_KINDS or sim is None:
            return
        if kind == "vid_virt" and sim["stage"] == "virt":
            sim["stage"], sim["since"] = "handler", rec.cycle
        elif kind == "vid_eoi":
            sim["eoi_open"] = False
        elif kind == "vid_iret":
            if sim["iret_open"] == "iret":
                sim["stage"] = "done"
            sim["iret_open"] = None

    def int_priority(self, rec, vm, boost):
        if boost is None or abs(boost) != TIME_CRITICAL_BOOST:
            self.fail("INT-1", rec, f"irq boost of {boost}, expected +-{TIME_CRITICAL_BOOST}")
            return
        self.irq_boost_seen[vm] = self.irq_boost_seen.get(vm, 0) + boost
        sim = self.irq_sim.get(vm)
        if boost < 0 and sim is not None and sim["stage"] != "done":
            self.fail("INT-1", rec, f"{vm}'s Time_Critical_Boost removed while IRQ {sim['irq']} "
                      f"is simulated (stage {sim['stage']}): it is held until the IRET "
                      "procedure returned")
            self.irq_boost_seen[vm] += TIME_CRITICAL_BOOST   # report once

    def int_service(self, rec):
        if self.hw_open is not None:
            self.int_svc = [rec, False]

    def int_svc_ret(self, rec):
        p, self.int_svc = self.int_svc, None
        if p is None or p[0].get("svc") != rec.get("svc"):
            return
        svc = rec.get("svc")
        want = not (svc in ASYNC_SERVICES or svc.startswith("VPICD_"))
        if want and not p[1]:
            self.fail("INT-1", rec, f"{svc} is not asynchronous, called at interrupt time "
                      "without FINDING rule=INT-1")
        elif p[1] and not want:
            self.fail("INT-1", rec, f"FINDING rule=INT-1 for the asynchronous service {svc}")
