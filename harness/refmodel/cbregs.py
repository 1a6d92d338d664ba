"""Callback registers in the reference model: CB-1 findings and the entry registers
several families share (docs/vmm.md, "Execution contexts and callbacks", "Memory";
docs/trace-format.md, "FINDING").

  CB-1  a FINDING rule=CB-1 follows the CB_RETURN of the callback it names, once per
        register, only for a register the contract preserves, expected != actual,
        and an EBP finding expects the CB_ENTER's EBP. That a return WITHOUT a
        finding preserved the registers is not checkable: CB_RETURN carries only
        CF and EAX
  check_cb_regs: EBX = a VM's handle, EBP = its Client_Reg_Struc (handle + 0x80),
        EDX = the install's reference data, under the caller's rule (NC-4, IDLE-4,
        VCB-1 … VCB-4)
"""
from .common import CLIENT_REG_OFFSET

# CB-1: the registers a callback must preserve (docs/trace-format.md, FINDING).
CB1_REGS = frozenset(("ebp", "esp", "es", "cs", "ss", "ds", "fs", "gs"))


class CallbackRegRules:
    """Mixin of the Model: CB-1 and the callback entry registers."""

    def _init_cbregs(self):
        self.last_return = None   # (CB_RETURN record, its CB_ENTER, registers reported)

    def check_cb_regs(self, rec, rule, vm, ref):
        """EBX = vm's handle, EBP = its Client_Reg_Struc, EDX = ref (when known)."""
        h = self.handle_of(vm)
        if h is None:
            return
        want = [("ebx", h), ("ebp", h + CLIENT_REG_OFFSET)]
        if ref is not None:
            want.append(("edx", ref))
        for reg, val in want:
            got = rec.num(reg)
            if got is not None and got != val:
                self.fail(rule, rec, f"{rec.get('kind')} callback {rec.get('cb')} gets "
                          f"{reg.upper()}={got:#010x}, expected {val:#010x}")

    def cb1_finding(self, rec):
        """CB-1: a finding follows the CB_RETURN of the callback it names, once per
        register, for a register the contract says is preserved, with the value the
        callback was given (EBP: the CB_ENTER's) as expected and a different actual."""
        lr = self.last_return
        if lr is None:
            self.fail("CB-1", rec, "FINDING rule=CB-1 that does not follow a callback's return")
            return
        ret, enter, seen = lr
        reg = rec.get("reg")
        if rec.get("cb") != ret.get("cb") or rec.get("vm") != ret.get("vm"):
            self.fail("CB-1", rec, f"FINDING rule=CB-1 names {rec.get('cb')} in {rec.get('vm')}, "
                      f"but {ret.get('cb')} in {ret.get('vm')} returned")
        if reg not in CB1_REGS:
            self.fail("CB-1", rec, f"FINDING rule=CB-1 for {reg}, which a callback may change")
        elif reg in seen:
            self.fail("CB-1", rec, f"two FINDING rule=CB-1 for {reg} on one return")
        seen.add(reg)
        exp, act = rec.num("expected"), rec.num("actual")
        if exp == act:
            self.fail("CB-1", rec, f"FINDING rule=CB-1 for {reg} with expected = actual")
        if reg == "ebp" and exp != enter.num("ebp"):
            self.fail("CB-1", rec, f"FINDING rule=CB-1 expects EBP={rec.get('expected')}, the "
                      f"callback was entered with EBP={enter.get('ebp')}")
