"""V86 interrupt hooks and the Simulate_* services in the reference model (docs/vmm.md,
"V86 interrupt hooks (HK-1 … HK-4)", "Changing client execution (SIM-1 … SIM-5)").

  HK-1  a chain (CLIENT op=hook) calls the hooks of its interrupt installed so far, the
        last installed first, each with EAX = the interrupt, EBX = the VM, EBP = its
        Client_Reg_Struc
  HK-2  a hook returning CF clear ends the chain and the interrupt is not reflected;
        when every hook returns CF set, the next CLIENT record of the VM is the
        reflection (op=int) or the VMM's own function (op=vmm); a hooked interrupt is
        never reflected without its chain
  HK-3  Hook_V86_Int_Chain returns CF set exactly for an interrupt above 0FFh or a full
        table (64), and installs otherwise
  HK-4  INT 2Fh reaches the VMM (CLIENT op=vmm) only after every INT 2Fh hook passed it
  SIM-1 Simulate_Int runs its interrupt's hooks (op=hook) or enters its vector (op=int)
        before its SVC_RET
  SIM-2 Simulate_Push / Simulate_Pop move SP by -2 / +2 with the word of EAX / into EAX
  SIM-3 Simulate_Far_Call, Build_Int_Stack_Frame push 4 / 6 bytes with the old CS:IP and
        go to CX:EDX; Simulate_Far_Jmp goes there without pushing
  SIM-4 Simulate_Far_Ret (+4), Simulate_Far_Ret_N (+4+EAX), Simulate_Iret (+6) go on at
        the CS:IP they popped
  SIM-5 Map_Flat's EAX is its record's address: for V86 code, the VM's space base +
        segment * 16 + offset, one base per VM

A small class of its own that the Model owns (Model.hk): the Model calls
HookModel.on(rec) after each record; the state here is only what these rules need.
"""
from .common import CLIENT_REG_OFFSET

HOOKS_MAX = 64            # vmm/vmm_int.h VMM_HOOKS_MAX: Hook_V86_Int_Chain installs per run
SIM_SP_DELTA = {"Simulate_Push": -2, "Simulate_Pop": 2, "Simulate_Far_Call": -4,
                "Simulate_Far_Jmp": 0, "Simulate_Far_Ret": 4, "Simulate_Far_Ret_N": 4,
                "Simulate_Iret": 6, "Build_Int_Stack_Frame": -6, "Map_Flat": 0}


class HookModel:
    """HK-1 … HK-4 and SIM-1 … SIM-5 re-checked from CLIENT op=hook/int/vmm/sim, CB_ENTER
    kind=v86int, and the SERVICE / SVC_RET of the services."""

    def __init__(self, model):
        self.m = model
        self.hooks = []           # (interrupt, hook address), install order
        self.chains = {}          # vm -> stack of open chains (nested Simulate_Int)
        self.svc = {}             # vm -> the open SERVICE records of these services
        self.sim_int = {}         # vm -> [interrupt, seen its hook / int record]
        self.flat_base = {}       # vm -> its space's base as Map_Flat showed it (V86)

    def hooked(self, vec):
        return [a for v, a in reversed(self.hooks) if v == vec]

    def on(self, rec):
        h = {"SERVICE": self.on_service, "SVC_RET": self.on_svc_ret, "CLIENT": self.on_client,
             "CB_ENTER": self.on_cb_enter, "CB_RETURN": self.on_cb_return}.get(rec.type)
        if h:
            h(rec)

    def on_service(self, rec):
        svc = rec.get("svc", "")
        if svc == "Hook_V86_Int_Chain" or svc in SIM_SP_DELTA or svc == "Simulate_Int":
            self.svc.setdefault(rec.get("vm"), []).append(rec)
        if svc == "Simulate_Int":
            self.sim_int[rec.get("vm")] = [rec.num("eax"), False]

    def on_svc_ret(self, rec):
        stack = self.svc.get(rec.get("vm"), [])
        if not stack or stack[-1].get("svc") != rec.get("svc"):
            return
        call = stack.pop()
        svc, cf = call.get("svc"), rec.get("cf")
        if svc == "Hook_V86_Int_Chain":
            bad = call.num("eax") > 0xFF or len(self.hooks) >= HOOKS_MAX
            if (cf == "1") != bad:
                self.m.fail("HK-3", rec, f"Hook_V86_Int_Chain of interrupt {call.get('eax')} with "
                            f"{len(self.hooks)} installed returned CF={cf}")
            if cf == "0":
                self.hooks.append((call.num("eax"), call.num("esi")))
        elif svc == "Simulate_Int":
            pend = self.sim_int.pop(rec.get("vm"), None)
            if pend is not None and not pend[1]:
                self.m.fail("SIM-1", rec, f"Simulate_Int {pend[0]:#x} returned without its hooks "
                            "(CLIENT op=hook) or the VM's vector (CLIENT op=int)")
        elif svc == "Simulate_Pop" and call.get("popped") is not None:
            if rec.num("eax") != call.get("popped"):
                self.m.fail("SIM-2", rec, f"Simulate_Pop returned EAX {rec.get('eax')}, but the "
                            f"word popped was {call.get('popped'):#x}")
        elif svc == "Map_Flat" and call.get("flat") is not None and rec.num("eax") != call.get("flat"):
            self.m.fail("SIM-5", rec, f"Map_Flat returned {rec.get('eax')}, its record said "
                        f"{call.get('flat'):#x}")

    def on_client(self, rec):
        op, vm, vec = rec.get("op"), rec.get("vm"), rec.num("vector")
        chains = self.chains.setdefault(vm, [])
        if op == "hook":
            want = self.hooked(vec)
            if rec.num("target") != len(want):
                self.m.fail("HK-1", rec, f"{len(want)} hooks of interrupt {vec:#x} are installed, the "
                            f"chain says {rec.get('target')}")
        if chains and chains[-1].get("next"):
            self.m.fail("HK-1", rec, f"a hook of interrupt {chains[-1]['vec']:#x} passed it on (CF set), "
                        "but the next hook of the chain was not called")
            chains.pop()
        if op in ("hook", "int") and vm in self.sim_int and self.sim_int[vm][0] == vec:
            self.sim_int[vm][1] = True
        if chains and chains[-1]["passed"] and op not in ("int", "vmm", "simint", "wake", "if"):
            self.m.fail("HK-2", rec, f"every hook of interrupt {chains[-1]['vec']:#x} passed it on, "
                        "but it was not reflected nor taken by the VMM")
            chains.pop()
        if op == "hook":
            chains.append({"vec": vec, "want": self.hooked(vec), "pos": 0, "passed": not self.hooked(vec)})
        elif op in ("int", "vmm", "simint") and self.hooked(vec):
            if chains and chains[-1]["passed"] and chains[-1]["vec"] == vec:
                chains.pop()
            else:
                rule = "HK-4" if op == "vmm" else "HK-2"
                self.m.fail(rule, rec, f"interrupt {vec:#x} of {vm} is hooked but reaches "
                            f"{'the VMM' if op == 'vmm' else 'its vector table'} without every hook "
                            "passing it on")
        elif op == "sim":
            self.sim_check(rec, vm)

    def on_cb_enter(self, rec):
        if rec.get("kind") != "v86int":
            return
        vm = rec.get("vm")
        chains = self.chains.get(vm, [])
        if not chains or chains[-1]["passed"] or chains[-1]["pos"] >= len(chains[-1]["want"]):
            self.m.fail("HK-2", rec, f"a V86 hook runs for {vm} outside a chain, or after its "
                        "interrupt was consumed or passed by every hook")
            return
        ch = chains[-1]
        want, h = ch["want"][ch["pos"]], self.m.handle_of(vm)
        if rec.num("addr") != want:
            self.m.fail("HK-1", rec, f"hook {ch['pos'] + 1} of interrupt {ch['vec']:#x} should be "
                        f"{want:#010x} (the last installed first)")
        regs = {"eax": ch["vec"], "ebx": h, "ebp": None if h is None else h + CLIENT_REG_OFFSET}
        for k, val in regs.items():
            if val is not None and rec.num(k) != val:
                self.m.fail("HK-1", rec, f"hook entered with {k.upper()}={rec.get(k)}, expected {val:#010x}")
        ch["pos"] += 1
        ch["next"] = False

    def on_cb_return(self, rec):
        if rec.get("kind") != "v86int":
            return
        chains = self.chains.get(rec.get("vm"), [])
        if not chains:
            return
        ch = chains[-1]
        if rec.get("cf") == "0":
            chains.pop()                       # HK-2: consumed, the chain ends here
        elif ch["pos"] >= len(ch["want"]):
            ch["passed"] = True                # HK-2: the reflection (or CL-2) comes next
        else:
            ch["next"] = True                  # HK-1: the next hook comes next

    def sim_check(self, rec, vm):
        svc = rec.get("svc")
        stack = self.svc.get(vm, [])
        call = stack[-1] if stack else None
        if call is None or call.get("svc") != svc:
            self.m.fail("SIM-2", rec, f"CLIENT op=sim of {svc} outside its SERVICE")
            return
        old, sp = rec.num("old_sp"), rec.num("sp")
        delta = SIM_SP_DELTA.get(svc, 0) + (call.num("eax") & 0xFFFF if svc == "Simulate_Far_Ret_N" else 0)
        rule = {"Simulate_Push": "SIM-2", "Simulate_Pop": "SIM-2", "Map_Flat": "SIM-5"}.get(
            svc, "SIM-3" if SIM_SP_DELTA.get(svc, 0) <= 0 else "SIM-4")
        if sp != (old + delta) & 0xFFFF:
            self.m.fail(rule, rec, f"{svc} moved SP from {old:#06x} to {sp:#06x}, expected "
                        f"{(old + delta) & 0xFFFF:#06x}")
        csip, value, target = rec.num("cs") << 16 | rec.num("ip"), rec.num("value"), rec.num("target")
        if svc == "Simulate_Push" and value != call.num("eax") & 0xFFFF:
            self.m.fail(rule, rec, f"Simulate_Push pushed {value:#x}, EAX was {call.get('eax')}")
        if svc == "Simulate_Pop":
            call.kv["popped"] = value
        if svc in ("Simulate_Far_Call", "Simulate_Far_Jmp", "Build_Int_Stack_Frame"):
            dest = (call.num("ecx") & 0xFFFF) << 16 | call.num("edx") & 0xFFFF
            if csip != dest or (svc != "Simulate_Far_Jmp" and value != target):
                self.m.fail(rule, rec, f"{svc} goes to {csip:#010x} having pushed {value:#x}; expected "
                            f"CX:EDX {dest:#010x} and the return address {target:#010x}")
        if svc in ("Simulate_Far_Ret", "Simulate_Far_Ret_N", "Simulate_Iret") and csip != value:
            self.m.fail(rule, rec, f"{svc} popped {value:#010x} but goes on at {csip:#010x}")
        if svc == "Map_Flat":
            self.flat_check(rec, vm, call, target, value)

    def flat_check(self, rec, vm, call, target, value):
        call.kv["flat"] = value
        if rec.get("mode") == "pm":
            return
        base = value - ((target >> 16) * 16 + (target & 0xFFFF))
        if self.flat_base.setdefault(vm, base) != base:
            self.m.fail("SIM-5", rec, f"Map_Flat of {target >> 16:04x}:{target & 0xFFFF:04x} gave "
                        f"{value:#x}: not {vm}'s space base {self.flat_base[vm]:#x} + seg * 16 + offset")

