"""The critical section and not-critical callbacks in the reference model (docs/vmm.md,
"The critical section (CS-1 … CS-7)", "Not-critical callbacks (NC-1 … NC-4)";
docs/trace-format.md, "CRIT").

  CS-1  one owner, a claim count, Critical_Section_Boost on the owner while claimed
  CS-2  a claim of a section another VM owns is CRIT op=block, then op=grant, and
        only then the service returns; the waiter is blocked and never current
  CS-3  End decrements; at zero the section is released and the boost removed
  CS-4  Claim_Critical_Section (EAX) / Release_Critical_Section (ECX) act as that
        many Begins / Ends: one CRIT claim / end / release of exactly that n, and
        nothing for 0
  CS-5  Get_Crit_Section_Status / Get_Crit_Status_No_Block return ECX = the count,
        EBX = the owner (the caller when free), CF = caller's priority >= the boost
  CS-6  End_Crit_And_Suspend with count 1 (owner, not the system VM) releases and
        suspends in one step and returns CF clear after its resume; otherwise CF set
        and no CRIT / VM_STATE record
  CS-7  an End (or the part of a Release) beyond the caller's claims is FINDING
        rule=CS-7 with the owner and count before the call, and no other End is
  NC-1  Call_When_Not_Critical returns the caller's registers (no return value); a
        run that ends (done) owes no callback (the table limit: machine.py)
  NC-2  one release calls at most one not-critical callback: the most recent one
  NC-3  a not-critical callback runs only when the current VM's priority is below
        Critical_Section_Boost
  NC-4  not-critical callback: EBX = current VM, EDX = its install's EDX, EBP =
        current VM's Client_Reg_Struc (handle + 0x80, docs/vmm.md "Memory")
"""

CRITICAL_SECTION_BOOST = 0x00100000
# Critical-section services: (kind, where the count comes from) (CS-1 .. CS-6).
CRIT_SERVICES = {
    "Begin_Critical_Section": ("claim", None), "Int2F_1681": ("claim", None),
    "Claim_Critical_Section": ("claim", "eax"),
    "End_Critical_Section": ("end", None), "Int2F_1682": ("end", None),
    "Release_Critical_Section": ("end", "ecx"),
    "End_Crit_And_Suspend": ("suspend", None),
    "Get_Crit_Section_Status": ("status", None), "Get_Crit_Status_No_Block": ("status", None),
}


class CritRules:
    """Mixin of the Model: the critical section (CS-*) and the not-critical list (NC-*)."""

    def _init_crit(self):
        self.crit_owner = None
        self.crit_count = 0
        self.waiters = set()      # VMs blocked on the critical section (CS-2)
        self.crit_obligation = [] # (vm, +1/-1, rule): PRIORITY reason=crit owed
        self.nc_list = []         # installed not-critical callbacks, most recent last
        self.nc_ref = []          # reference data (EDX) of each nc_list entry
        self.nc_owed = 0          # releases not yet answered by a not-critical callback
        self.eca_step = None      # End_Crit_And_Suspend released, its suspend still owed

    # -- records and the Model's hooks -------------------------------------------
    def on_crit(self, rec):
        op, vm, owner = rec.get("op"), rec.get("vm"), rec.get("owner")
        count, n = rec.num("count"), rec.num("n", 1)
        ctx = self.top_ctx(vm)
        if ctx is not None and ctx["crit"] is not None:
            ctx["crits"].append((op, n))
        if op == "claim":
            if self.crit_owner not in (None, vm):
                self.fail("CS-1", rec, f"{vm} claims the section owned by {self.crit_owner}")
            if self.crit_owner is None:
                self.crit_obligation.append((vm, +1, "CS-1"))
            self.crit_owner = vm
            self.crit_count += n
        elif op == "end":
            if self.crit_owner != vm:
                self.fail("CS-3", rec, f"{vm} ends a section owned by {self.crit_owner}")
            self.crit_count -= n
            if self.crit_count <= 0:
                self.fail("CS-3", rec, "claim count reached 0 without a release")
        elif op == "release":
            if self.crit_owner != vm:
                self.fail("CS-3", rec, f"{vm} releases a section owned by {self.crit_owner}")
            self.crit_obligation.append((vm, -1, "CS-3"))
            self.crit_owner, self.crit_count = None, 0
            # NC-2: one release, at most one callback (never more than installed).
            self.nc_owed = min(self.nc_owed + 1, len(self.nc_list))
            self.eca_released(rec)
        elif op == "block":
            if self.crit_owner in (None, vm):
                self.fail("CS-2", rec, f"{vm} blocks on a section that is "
                          f"{'free' if self.crit_owner is None else 'its own'}")
            self.waiters.add(vm)
        elif op == "grant":
            if self.crit_owner is not None:
                self.fail("CS-3", rec, f"{vm} granted a section still owned by {self.crit_owner}")
            if vm not in self.waiters:
                self.fail("CS-3", rec, f"{vm} granted the section without waiting for it")
            others = [w for w in self.waiters if w != vm]
            if others:
                top = max(self.vm(w)["pri"] for w in others)
                if top > self.vm(vm)["pri"]:
                    self.fail("CS-3", rec, f"{vm} granted the section before a waiter of "
                              f"higher priority ({top:#x})")
            self.waiters.discard(vm)
            self.crit_obligation.append((vm, +1, "CS-1"))
            self.crit_owner, self.crit_count = vm, n
        if op in ("claim", "end", "release", "grant"):
            want_owner = self.crit_owner if self.crit_owner is not None else "none"
            if owner is not None and owner != want_owner:
                self.fail("CS-1", rec, f"owner {owner}, the model has {want_owner}")
            if count is not None and count != self.crit_count:
                self.fail("CS-3" if op in ("end", "release") else "CS-1", rec,
                          f"claim count {count}, the model has {self.crit_count}")

    def cs_priority(self, rec, name, boost):
        """CS-1 / CS-3: a PRIORITY reason=crit answers a first claim or a release."""
        if boost is None:
            return
        sign = 1 if boost > 0 else -1
        if abs(boost) != CRITICAL_SECTION_BOOST:
            self.fail("CS-1" if sign > 0 else "CS-3", rec,
                      f"crit boost of {boost}, expected +-{CRITICAL_SECTION_BOOST}")
        for i, (vm, s, _) in enumerate(self.crit_obligation):
            if vm == name and s == sign:
                del self.crit_obligation[i]
                break
        else:
            self.fail("CS-1" if sign > 0 else "CS-3", rec,
                      f"{name}: Critical_Section_Boost {'added' if sign > 0 else 'removed'} "
                      "without a first claim / release")

    def cs2_switch(self, rec, new):
        """CS-2: a VM blocked on the critical section is never made current."""
        if self.vm(new)["blocked"]:
            self.fail("CS-2", rec, f"task switch to {new}, which is blocked on the critical section")

    def cs_owner_boost(self, rec):
        """CS-1: at a cycle boundary the owner holds Critical_Section_Boost."""
        if self.crit_owner is not None and self.vm(self.crit_owner)["pri"] < CRITICAL_SECTION_BOOST:
            self.fail("CS-1", rec, f"critical-section owner {self.crit_owner} lacks "
                      f"Critical_Section_Boost (priority {self.vm(self.crit_owner)['pri']:#x})")

    def cs_obligations(self, rec):
        """CS-1 / CS-3: a first claim or a release changed the boost by this boundary."""
        for vm, sign, rule in self.crit_obligation:
            self.fail(rule, rec, f"{vm}: Critical_Section_Boost was not "
                      f"{'added' if sign > 0 else 'removed'} (no PRIORITY reason=crit)")
        self.crit_obligation = []

    def nc_service(self, rec, svc):
        if svc == "Call_When_Not_Critical":
            self.nc_list.append(rec.num("esi"))
            self.nc_ref.append(rec.num("edx"))

    def nc_end(self, rec):
        """NC-1: a run that ends (done) owes no not-critical callback."""
        if self.nc_owed > 0:
            self.fail("NC-1", rec, f"the run ends with {self.nc_owed} release(s) of the critical "
                      "section owed a not-critical callback that never ran: every install is kept")

    def cs7_finding(self, rec):
        ctx = self.top_ctx(rec.get("vm"))
        if ctx is None or ctx["crit"] != "end" or ctx["rec"].get("svc") != rec.get("svc"):
            self.fail("CS-7", rec, f"FINDING rule=CS-7 for {rec.get('svc')} outside an End "
                      f"service of {rec.get('vm')}")
        else:
            ctx["findings"].append(rec)

    def check_nc(self, rec, addr):
        cb = rec.get("cb")
        if self.nc_owed <= 0:
            self.fail("NC-2", rec, f"not-critical callback {cb} runs without a release of "
                      "the critical section left to answer")
        else:
            self.nc_owed -= 1
        if not self.nc_list or self.nc_list[-1] != addr:
            want = f"{self.nc_list[-1]:#010x}" if self.nc_list else "none"
            self.fail("NC-2", rec, f"not-critical callback {cb} runs; the most recently "
                      f"installed is {want}")
        ref = None
        if addr in self.nc_list:
            j = len(self.nc_list) - 1 - self.nc_list[::-1].index(addr)
            ref = self.nc_ref[j]
            del self.nc_list[j], self.nc_ref[j]
        self.check_cb_regs(rec, "NC-4", self.current, ref)
        vm = rec.get("vm")
        if vm != self.current:
            self.fail("NC-4", rec, f"not-critical callback runs in {vm}, current VM is {self.current}")
        pri = self.vm(self.current)["pri"]
        if pri >= CRITICAL_SECTION_BOOST:
            self.fail("NC-3", rec, f"not-critical callback {cb} runs while {self.current} has "
                      f"priority {pri:#x} >= Critical_Section_Boost")

    # -- critical-section services (CS-2 .. CS-7) ------------------------------
    def cs_begin(self, rec):
        """The critical-section part of a SERVICE's context (the core's svc_begin)."""
        kind, src = CRIT_SERVICES.get(rec.get("svc"), (None, None))
        n = 1 if src is None else rec.num(src, 0)
        return {"crit": kind, "n": n, "owner": self.crit_owner, "count": self.crit_count,
                "crits": [], "findings": [], "states": []}

    def cs_done(self, rec, ctx):
        """A critical-section service returned: what it did against what it should."""
        if ctx["crit"] == "claim":
            self.cs_claim_done(rec, ctx)
        elif ctx["crit"] == "end":
            self.cs_end_done(rec, ctx)
        elif ctx["crit"] == "suspend":
            self.cs6_done(rec, ctx)
        elif ctx["crit"] == "status":
            self.cs5_done(rec, ctx)

    def nc1_done(self, rec, call):
        """NC-1: no return value: the caller's registers come back unchanged."""
        for reg in ("eax", "ebx", "ecx", "edx", "esi"):
            if rec.get(reg) != call.get(reg):
                self.fail("NC-1", rec, f"Call_When_Not_Critical returns {reg.upper()}="
                          f"{rec.get(reg)} (was {call.get(reg)}): it has no return value")

    def cs_claim_done(self, rec, ctx):
        vm, n, svc = rec.get("vm"), ctx["n"], rec.get("svc")
        rule = "CS-4" if svc == "Claim_Critical_Section" else "CS-1"
        if n == 0:
            want = []
        elif ctx["owner"] in (None, vm):
            want = [("claim", n)]
        else:
            rule, want = "CS-2", [("block", n), ("grant", n)]
        if ctx["crits"] != want:
            self.fail(rule, rec, f"{svc} by {vm} (count {n}, owner {ctx['owner'] or 'none'}) did "
                      f"{ctx['crits'] or 'nothing'}, expected {want or 'nothing'}")

    def cs_end_done(self, rec, ctx):
        vm, n, svc = rec.get("vm"), ctx["n"], rec.get("svc")
        held = ctx["count"] if ctx["owner"] == vm else 0
        matched = min(n, held)
        want = [] if matched == 0 else [("end" if matched < held else "release", matched)]
        if ctx["crits"] != want:
            self.fail("CS-4" if svc == "Release_Critical_Section" else "CS-3", rec,
                      f"{svc} by {vm} (count {n}, held {held}) did {ctx['crits'] or 'nothing'}, "
                      f"expected {want or 'nothing'}")
        fs = ctx["findings"]
        if n > matched and not fs:
            self.fail("CS-7", rec, f"{svc} by {vm} without a matching claim (owner "
                      f"{ctx['owner'] or 'none'}, count {ctx['count']}) and no FINDING rule=CS-7")
        elif n == matched and fs:
            self.fail("CS-7", rec, f"FINDING rule=CS-7 for {svc} by {vm}, which matched claims")
        elif fs and svc != "Release_Critical_Section":
            if len(fs) != 1:
                self.fail("CS-7", rec, f"{len(fs)} FINDING rule=CS-7 for one {svc}")
            f = fs[0]
            if f.get("owner") != (ctx["owner"] or "none") or f.num("count") != ctx["count"]:
                self.fail("CS-7", rec, f"FINDING rule=CS-7 says owner {f.get('owner')} count "
                          f"{f.get('count')}, before the call the model has "
                          f"{ctx['owner'] or 'none'} {ctx['count']}")

    def cs6_done(self, rec, ctx):
        vm = rec.get("vm")
        ok = ctx["owner"] == vm and ctx["count"] == 1 and vm != self.system_vm
        if ok:
            want_states = ["suspend", "resume"]
            if (ctx["crits"] != [("release", 1)] or ctx["states"][:1] != ["suspend"]
                    or "resume" not in ctx["states"] or rec.get("cf") != "0"):
                self.fail("CS-6", rec, f"End_Crit_And_Suspend by {vm} with count 1 did "
                          f"{ctx['crits']} / {ctx['states']} cf={rec.get('cf')}: expected a "
                          f"release, {' then '.join(want_states)} of {vm}, cf=0")
        elif rec.get("cf") != "1" or ctx["crits"] or ctx["states"]:
            self.fail("CS-6", rec, f"End_Crit_And_Suspend by {vm} (owner "
                      f"{ctx['owner'] or 'none'}, count {ctx['count']}) did {ctx['crits']} / "
                      f"{ctx['states']} cf={rec.get('cf')}: expected CF=1 and no change")

    def eca_released(self, rec):
        ctx = self.top_ctx(rec.get("vm"))
        if ctx is not None and ctx["crit"] == "suspend":
            self.eca_step = rec.get("vm")

    def eca_interrupted(self, rec):
        """CS-6: the release and the suspend are one step: nothing runs in between."""
        if self.eca_step is not None:
            self.fail("CS-6", rec, f"End_Crit_And_Suspend of {self.eca_step} released the "
                      f"section, but {rec.type} comes before its suspend")
            self.eca_step = None

    def cs5_done(self, rec, ctx):
        vm = rec.get("vm")
        owner = self.crit_owner if self.crit_owner is not None else vm
        want = {"ecx": self.crit_count, "ebx": self.handle_of(owner),
                "cf": int(self.vm(vm)["pri"] >= CRITICAL_SECTION_BOOST)}
        for key, val in want.items():
            if val is not None and rec.num(key) != val:
                self.fail("CS-5", rec, f"{rec.get('svc')} in {vm} returns {key.upper()}="
                          f"{rec.get(key)}, expected {val:#x} (owner "
                          f"{self.crit_owner or 'none'}, count {self.crit_count}, priority "
                          f"{self.vm(vm)['pri']:#x})")

    def cs_vm_state(self, rec, name, st):
        ctx = self.top_ctx(name)
        if ctx is not None and ctx["crit"] == "suspend" and st in ("suspend", "resume"):
            ctx["states"].append(st)
        if st == "suspend" and self.eca_step == name:
            self.eca_step = None

    def cs_boundary(self, rec):
        """CS-2: a VM waiting for the section is blocked (VM_STATE state=block)."""
        for w in sorted(self.waiters):
            if not self.vm(w)["blocked"]:
                self.fail("CS-2", rec, f"{w} waits for the critical section but is not blocked")
                self.vm(w)["blocked"] = True   # report once
        if self.eca_step is not None:
            self.eca_interrupted(rec)
