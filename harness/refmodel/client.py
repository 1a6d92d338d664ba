"""Client code in the reference model (docs/vmm.md, "Client code (CL-1 … CL-5)";
docs/trace-format.md, "CLIENT").

  CL-1  client code runs (CLIENT records) only in the current VM; after its
        interrupt handler the client resumes where the interrupt came in
  CL-2  a SERVICE path=client comes right after its VM's CLIENT op=vmm, AX = the
        INT 2Fh function
  CL-3  an interrupt is simulated into client code, and a PEF_Wait_For_STI event
        (Call_When_VM_Ints_Enabled) runs in it, only while its virtual IF is set (the
        IF its CLIENT records left; an INT reflected or simulated clears it)
  CL-4  a V86 client VM's handler is entered (CLIENT op=simint) only for a simulated
        interrupt past its VID_Virt_Int_Proc, and ends at its IRET (CLIENT op=iret),
        never by irq_handler_cycles (EVENT kind=iret); protected-mode client code
        (mode=pm) has no vector table: no int, simint or iret records
  CL-5  HLT makes the VM idle at once; it runs no client code until an interrupt
        simulated into it wakes it (CLIENT op=wake)
"""


class ClientRules:
    """Mixin of the Model: CLIENT records and the client's virtual IF (CL-*)."""

    def _init_client(self):
        self.cl_if = {}           # vm -> its virtual IF as its CLIENT records left it
        self.cl_halted = set()    # VMs whose client code executed HLT and was not woken
        self.cl_vmm = None        # (vm, AX) of a CLIENT op=vmm awaiting its SERVICE
        self.cl_simint = {}       # vm -> (cs, ip) its simulated interrupt came in at
        self.cl_hlt_idle = None   # vm whose CLIENT op=hlt awaits its VM_STATE idle
        self.cl_pm = set()        # VMs whose client code is protected-mode (mode=pm)

    def on_client(self, rec):
        op, vm = rec.get("op"), rec.get("vm")
        seen_if = rec.num("if")
        if rec.get("mode") == "pm":
            self.cl_pm.add(vm)
            if op in ("int", "simint", "iret"):
                self.fail("CL-4", rec, f"protected-mode client code of {vm} has no vector table "
                          f"to enter (CLIENT op={op})")
        if self.cl_vmm is not None:
            self.fail("CL-2", rec, f"CLIENT op=vmm of {self.cl_vmm[0]} is not followed by its "
                      "SERVICE path=client")
            self.cl_vmm = None
        if vm != self.current and op not in ("simint", "wake"):
            self.fail("CL-1", rec, f"client code of {vm} runs while {self.current} is the current VM")
        if vm in self.cl_halted and op not in ("wake", "simint", "sim") and not self.nx_parked.get(vm):
            self.fail("CL-5", rec, f"{vm} executed HLT and runs client code (op={op}) before "
                      "an interrupt is simulated into it")
        if op == "vmm":
            self.cl_vmm = (vm, rec.num("target"))
        elif op == "hlt":
            self.cl_halted.add(vm)
            self.cl_hlt_idle = vm
        elif op == "wake":
            if vm not in self.cl_halted:
                self.fail("CL-5", rec, f"{vm} is woken but never executed HLT")
            self.cl_halted.discard(vm)
        elif op == "simint":
            self.cl_simint_check(rec, vm, seen_if)
        elif op == "hook":
            self.cl_hook_hw(rec, vm)
        elif op == "iret":
            self.cl_iret_check(rec, vm)
        # an INT the VMM reflects or simulates clears IF after the record (CL-4)
        self.cl_if[vm] = 0 if op in ("int", "simint", "execint") else seen_if

    def cl_simint_check(self, rec, vm, seen_if):
        sim = self.irq_sim.get(vm)
        if self.cl_if.get(vm, 1) != 1 or seen_if != 1:
            self.fail("CL-3", rec, f"an interrupt is simulated into {vm} while its virtual IF "
                      "is clear")
        if vm in self.cl_halted:
            self.fail("CL-5", rec, f"an interrupt is simulated into halted {vm} without "
                      "waking it (CLIENT op=wake)")
        if sim is None or sim["stage"] != "handler":
            self.fail("CL-4", rec, f"{vm}'s client handler entered without IRQ op=simulate "
                      "(or before VID_Virt_Int_Proc returned)")
        self.cl_simint[vm] = (rec.get("cs"), rec.get("ip"))

    def cl_hook_hw(self, rec, vm):
        """HK-1: the hooks of a simulated hardware interrupt's vector run before its
        handler; when one consumes it, the interrupt ends (CLIENT op=iret) where the
        hooks left the client."""
        sim, vec = self.irq_sim.get(vm), rec.num("vector")
        if sim is None or sim["stage"] != "handler" or vm in self.cl_simint:
            return
        irq = sim["irq"]
        if vec == (0x08 + irq if irq < 8 else 0x70 + irq - 8):
            self.cl_simint[vm] = (rec.get("cs"), rec.get("ip"), "hook")

    def cl_iret_check(self, rec, vm):
        sim = self.irq_sim.get(vm)
        back = self.cl_simint.pop(vm, None)
        if sim is None or sim["stage"] != "handler" or back is None:
            self.fail("CL-4", rec, f"{vm}'s client IRET hook without a simulated interrupt "
                      "in its handler")
            return
        if len(back) == 2 and back != (rec.get("cs"), rec.get("ip")):
            self.fail("CL-1", rec, f"{vm} resumes at {rec.get('cs')}:{rec.get('ip')} after its "
                      f"handler, not where the interrupt came in ({back[0]}:{back[1]})")
        sim["stage"] = "eoi"   # the IRET is the handler's end (INT-1's EOI step next)

    def cl_service(self, rec):
        """CL-2: an INT 2Fh from client code is a SERVICE path=client of the current
        VM, right after its CLIENT op=vmm, with AX as the client had it."""
        pend, self.cl_vmm = self.cl_vmm, None
        if rec.get("path") != "client":
            if pend is not None:
                self.fail("CL-2", rec, f"CLIENT op=vmm of {pend[0]} is followed by another "
                          "SERVICE than its own")
            return
        if pend is None or pend[0] != rec.get("vm"):
            self.fail("CL-2", rec, "SERVICE path=client without its CLIENT op=vmm")
            return
        if (rec.num("eax") & 0xFFFF) != (rec.num("dword") & 0xFFFF):
            self.fail("CL-2", rec, f"{rec.get('svc')} from client code with AX "
                      f"{rec.num('eax') & 0xFFFF:#06x}")

    def cl_hlt_state(self, rec):
        """CL-5: HLT makes the VM idle at once (its Idle status bit)."""
        vm, self.cl_hlt_idle = self.cl_hlt_idle, None
        if vm is None:
            return
        if not (rec.type == "VM_STATE" and rec.get("vm") == vm and rec.get("state") == "idle"):
            self.fail("CL-5", rec, f"{vm} executed HLT but was not made idle (VM_STATE idle)")

    def cl3_event(self, rec):
        """CL-3: a PEF_Wait_For_STI event (flags bit 0) runs only while IF is set."""
        if (rec.get("op") == "run" and rec.get("kind") == "priority" and rec.num("flags", 0) & 1
                and self.cl_if.get(rec.get("vm"), 1) != 1):
            self.fail("CL-3", rec, f"a PEF_Wait_For_STI event runs in {rec.get('vm')} while its "
                      "client code's IF is clear")

    def cl4_iret_event(self, rec, vm):
        """CL-4: a V86 client's handler ends at its IRET, not by irq_handler_cycles."""
        if vm in self.cl_if and vm not in self.cl_pm:
            self.fail("CL-4", rec, f"{vm} runs V86 client code: its handler ends at its IRET "
                      "(CLIENT op=iret), not after irq_handler_cycles")
