"""Callback registers in the reference model: the CB-1 findings of callbacks that did
not preserve a register (docs/vmm.md, "Execution contexts and callbacks";
docs/trace-format.md, "FINDING"). The entry registers (EBX, EBP, EDX) are checked by
the core's check_cb_regs under each family's rule.

  CB-1  a FINDING rule=CB-1 follows the CB_RETURN of the callback it names, once per
        register, only for a register the contract preserves, expected != actual,
        and an EBP finding expects the CB_ENTER's EBP. That a return WITHOUT a
        finding preserved the registers is not checkable: CB_RETURN carries only
        CF and EAX
"""
# CB-1: the registers a callback must preserve (docs/trace-format.md, FINDING).
CB1_REGS = frozenset(("ebp", "esp", "es", "cs", "ss", "ds", "fs", "gs"))


class CallbackRegRules:
    """Mixin of the Model: CB-1."""

    def _init_cbregs(self):
        self.last_return = None   # (CB_RETURN record, its CB_ENTER, registers reported)

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
