"""Reference model of the VMM's callback rules, written independently of the C code.

It reads a vmmsim trace (text, docs/trace-format.md), rebuilds the VMM state the
trace implies (VMs, priorities, the critical section, the installed callbacks) and
re-checks rules of DESIGN.md section 6.2 on every record:

  CS-1  one owner, a claim count, Critical_Section_Boost on the owner while claimed
  CS-3  End decrements; at zero the section is released and the boost removed
  NC-2  one release calls at most one not-critical callback: the most recent one
  NC-3  a not-critical callback runs only when the current VM's priority is below
        Critical_Section_Boost
  IDLE-2 idle callbacks run only after a kernel idle signal, with every other VM
        idle or suspended
  IDLE-3 idle callbacks run in install order until one returns CF clear
  PRI-1 at every cycle boundary the current VM has the highest priority among the
        ready VMs
  TS-1  on every task switch all task-switch callbacks run, in install order, with
        EAX = old VM and EBX = new VM

Usage: python3 harness/refmodel.py TRACE...   (exit 1 when a violation is found)
"""
import re
import sys

CRITICAL_SECTION_BOOST = 0x00100000

LINE = re.compile(r'^(\d+) (\S+)(.*)$')
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


class Record:
    """One record line: cycle, TYPE and its key=value pairs."""
    __slots__ = ("index", "cycle", "type", "kv", "line")

    def __init__(self, index, cycle, rtype, kv, line):
        self.index, self.cycle, self.type, self.kv, self.line = index, cycle, rtype, kv, line

    def get(self, key, default=None):
        return self.kv.get(key, default)

    def num(self, key, default=None):
        v = self.kv.get(key)
        if v is None:
            return default
        try:
            return int(v, 0)
        except ValueError:
            return default


def parse(text):
    """Record lines of a trace (comment lines skipped) as Record objects."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError(f"not a trace record: {line!r}")
        kv = {}
        for k, v in KV.findall(m.group(3)):
            kv[k] = v[1:-1] if v.startswith('"') else v
        out.append(Record(len(out), int(m.group(1)), m.group(2), kv, line))
    return out


class Model:
    """The VMM state implied by the trace so far (docs/trace-format.md, "Re-checking
    rules from the text"). Callbacks are identified by address (CB_ENTER addr= and
    the installing SERVICE's esi=)."""

    def __init__(self):
        self.vms = {}             # name -> state dict
        self.by_handle = {}       # handle (int) -> name
        self.system_vm = None
        self.current = None
        self.crit_owner = None
        self.crit_count = 0
        self.waiters = set()      # VMs blocked on the critical section (CS-2)
        self.crit_obligation = [] # (vm, +1/-1, rule): PRIORITY reason=crit owed
        self.idle_list = []       # installed idle callbacks (addresses), in order
        self.nc_list = []         # installed not-critical callbacks, most recent last
        self.nc_owed = 0          # releases not yet answered by a not-critical callback
        self.ts_list = []         # installed task-switch callbacks, in order
        self.idle_signal = 0      # open Int2F_1689 services
        self.idle_pos = 0         # next index of idle_list the chain may call
        self.idle_done = False    # a chain callback returned CF clear
        self.ts_pending = None    # [old, new, next index] after a TASK_SWITCH
        self.cb_stack = []        # open callbacks: (kind, addr)
        self.svc_stack = {}       # vm -> open SERVICE records (SVC_RET pairs them)
        self.violations = []

    # -- helpers -------------------------------------------------------------
    def vm(self, name):
        if name not in self.vms:
            self.vms[name] = {"pri": 0, "suspend": 0, "blocked": False, "idle": False,
                              "handle": None}
        return self.vms[name]

    def fail(self, rule, rec, text):
        self.violations.append(f"{rule} at record {rec.index} (cycle {rec.cycle}): {text}\n"
                               f"    {rec.line}")

    def ready(self):
        return {n: v for n, v in self.vms.items() if v["suspend"] == 0 and not v["blocked"]}

    def name_of(self, handle_hex):
        try:
            return self.by_handle.get(int(handle_hex, 16), handle_hex)
        except (TypeError, ValueError):
            return handle_hex

    # -- cycle boundaries ----------------------------------------------------
    def boundary(self, rec):
        """What must hold whenever simulated time advances past a cycle. A task switch
        costs cycles (saving and restoring a VM's state), so a TASK_SWITCH record
        lands after the priority change that caused it: PRI-1 is checked at every
        boundary that does not end in the switch itself."""
        ready = self.ready()
        if self.current in ready and rec.type != "TASK_SWITCH":
            top = max(v["pri"] for v in ready.values())
            if self.vms[self.current]["pri"] < top:
                best = sorted(n for n, v in ready.items() if v["pri"] == top)[0]
                self.fail("PRI-1", rec, f"current VM {self.current} (priority "
                          f"{self.vms[self.current]['pri']:#x}) is below ready VM {best} ({top:#x})")
        if self.crit_owner is not None and self.vm(self.crit_owner)["pri"] < CRITICAL_SECTION_BOOST:
            self.fail("CS-1", rec, f"critical-section owner {self.crit_owner} lacks "
                      f"Critical_Section_Boost (priority {self.vm(self.crit_owner)['pri']:#x})")
        for vm, sign, rule in self.crit_obligation:
            self.fail(rule, rec, f"{vm}: Critical_Section_Boost was not "
                      f"{'added' if sign > 0 else 'removed'} (no PRIORITY reason=crit)")
        self.crit_obligation = []

    def ts_check_done(self, rec):
        """TS-1: between a TASK_SWITCH and its last ts callback only ts callbacks run."""
        p = self.ts_pending
        if p is None or (self.cb_stack and self.cb_stack[-1][0] == "ts"):
            return
        if p[2] < len(self.ts_list):
            self.fail("TS-1", rec, f"task switch {p[0]}->{p[1]}: task-switch callback "
                      f"{self.ts_list[p[2]]:#010x} did not run")
        self.ts_pending = None

    # -- records ---------------------------------------------------------------
    def on_vm_state(self, rec):
        name, st = rec.get("vm"), rec.get("state")
        v = self.vm(name)
        if st == "create":
            v["handle"] = rec.num("handle")
            if v["handle"] is not None:
                self.by_handle[v["handle"]] = name
            if rec.get("system") == "1":
                self.system_vm = name
                if self.current is None:
                    self.current = name
        elif st in ("suspend", "resume"):
            v["suspend"] = rec.num("suspend", v["suspend"])
        elif st == "idle":
            v["idle"] = True
        elif st == "wake":
            v["idle"] = False
        elif st == "block":
            v["blocked"] = True
        elif st == "unblock":
            v["blocked"] = False

    def on_task_switch(self, rec):
        old, new = rec.get("old"), rec.get("new")
        if old != self.current:
            self.fail("TS-1", rec, f"task switch from {old}, but the current VM is {self.current}")
        self.current = new
        self.ts_pending = [old, new, 0] if self.ts_list else None

    def on_priority(self, rec):
        name = rec.get("vm")
        v = self.vm(name)
        old, new, boost = rec.num("old"), rec.num("pri"), rec.num("boost")
        if old is not None and old != v["pri"]:
            self.fail("PRI-1", rec, f"{name}: old priority {old:#x}, the model has {v['pri']:#x}")
        if new is not None:
            v["pri"] = new
        if rec.get("reason") == "crit" and boost is not None:
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

    def on_crit(self, rec):
        op, vm, owner = rec.get("op"), rec.get("vm"), rec.get("owner")
        count, n = rec.num("count"), rec.num("n", 1)
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
        elif op == "block":
            if self.crit_owner in (None, vm):
                self.fail("CS-1", rec, f"{vm} blocks on a section that is "
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

    def on_service(self, rec):
        self.svc_stack.setdefault(rec.get("vm"), []).append(rec)
        svc = rec.get("svc")
        if svc == "Call_When_Not_Critical":
            self.nc_list.append(rec.num("esi"))
        elif svc == "Int2F_1689":
            self.idle_signal += 1
            self.idle_pos, self.idle_done = 0, False

    def on_svc_ret(self, rec):
        stack = self.svc_stack.get(rec.get("vm"), [])
        call = stack.pop() if stack else None
        svc = rec.get("svc")
        if call is None or call.get("svc") != svc:
            return
        if svc == "Call_When_Idle" and rec.get("cf") == "0":
            self.idle_list.append(call.num("esi"))
        elif svc == "Call_When_Task_Switched" and rec.get("cf") != "1":
            self.ts_list.append(call.num("esi"))
        elif svc == "Int2F_1689":
            self.idle_signal = max(0, self.idle_signal - 1)

    def on_cb_enter(self, rec):
        kind, addr = rec.get("kind"), rec.num("addr")
        if kind == "nc":
            self.check_nc(rec, addr)
        elif kind == "idle":
            self.check_idle(rec, addr)
        elif kind == "ts":
            self.check_ts(rec, addr)
        self.cb_stack.append((kind, addr))

    def on_cb_return(self, rec):
        if self.cb_stack:
            kind, _ = self.cb_stack.pop()
            if kind == "idle" and rec.get("cf") == "0":
                self.idle_done = True   # IDLE-3: CF clear ends the chain

    # -- rules at callback entry ---------------------------------------------
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
        if addr in self.nc_list:
            del self.nc_list[len(self.nc_list) - 1 - self.nc_list[::-1].index(addr)]
        vm = rec.get("vm")
        if vm != self.current:
            self.fail("NC-4", rec, f"not-critical callback runs in {vm}, current VM is {self.current}")
        pri = self.vm(self.current)["pri"]
        if pri >= CRITICAL_SECTION_BOOST:
            self.fail("NC-3", rec, f"not-critical callback {cb} runs while {self.current} has "
                      f"priority {pri:#x} >= Critical_Section_Boost")

    def check_idle(self, rec, addr):
        cb = rec.get("cb")
        if not self.idle_signal:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs without a kernel idle signal")
        busy = sorted(n for n, v in self.vms.items()
                      if n != self.system_vm and not v["idle"] and v["suspend"] == 0)
        if busy:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs while {', '.join(busy)} "
                      "is neither idle nor suspended")
        if self.idle_done:
            self.fail("IDLE-3", rec, f"idle callback {cb} runs after the chain ended (CF clear)")
        elif self.idle_pos >= len(self.idle_list) or self.idle_list[self.idle_pos] != addr:
            want = (f"{self.idle_list[self.idle_pos]:#010x}" if self.idle_pos < len(self.idle_list)
                    else "none")
            self.fail("IDLE-3", rec, f"idle callback {cb} out of install order (next: {want})")
        self.idle_pos += 1

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

    HANDLERS = {
        "VM_STATE": on_vm_state, "TASK_SWITCH": on_task_switch, "PRIORITY": on_priority,
        "CRIT": on_crit, "SERVICE": on_service, "SVC_RET": on_svc_ret,
        "CB_ENTER": on_cb_enter, "CB_RETURN": on_cb_return,
    }

    def run(self, records):
        last = None
        for rec in records:
            if last is not None and rec.cycle != last:
                self.boundary(rec)
            last = rec.cycle
            if rec.type in ("CHECKPOINT", "FINDING", "END"):
                continue
            if not (rec.type == "CB_ENTER" and rec.get("kind") == "ts"):
                self.ts_check_done(rec)
            h = self.HANDLERS.get(rec.type)
            if h:
                h(self, rec)
        return self.violations


def check_text(text):
    """Violations found in a trace's text (a list of messages; empty = all rules hold)."""
    return Model().run(parse(text))


def main(argv):
    bad = 0
    for path in argv[1:]:
        with open(path) as f:
            v = check_text(f.read())
        for msg in v:
            print(f"{path}: {msg}")
        bad += len(v)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
