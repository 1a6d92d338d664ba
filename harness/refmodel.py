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
  EV-1  events run only when no VxD code runs (at the return to a VM); a VM event
        only while its VM is current; a cancelled or already run event never runs
  EV-2  a priority event's boost is added when it is queued (or run at once) and
        removed after its callback (unless PEF_Dont_Unboost), on cancel and on
        time-out; PEF_Wait_Not_Crit events run only while no VM owns the critical
        section; a timed-out one runs once, as EV op=timeout, never as a normal run
  TO-1  a time-out falls due at the first timer tick at or after its due time (a VM
        time-out: counting that VM's execution time, at a tick where it is current);
        its callback is called after that, with ECX (late=) the ms late; cancelled
        time-outs never fall due. The tick period is not in the trace: it is
        inferred from the first tick (tick k at cycle ceil(k*tick_ms*clock_hz/1000))

Usage: python3 harness/refmodel.py TRACE...   (exit 1 when a violation is found)
"""
import re
import sys

CRITICAL_SECTION_BOOST = 0x00100000
PEF_WAIT_NOT_CRIT = 0x2
PEF_DONT_UNBOOST = 0x4

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
        self.cb_stack = []        # open callbacks: (kind, addr, info, VM context)
        self.svc_stack = {}       # vm -> open SERVICE records (SVC_RET pairs them)
        self.violations = []
        # events, priority events, time-outs (EV-1, EV-2, TO-1)
        self.clock_hz = None
        self.tick_ms = None       # inferred from the first EVENT kind=tick
        self.last_tick = None     # (k, cycle) of the latest tick
        self.exec_cycles = {}     # vm -> cycles it was the current VM before cur_since
        self.cur_since = 0
        self.events = {}          # handle -> {kind, vm, boost, flags, state, cb}
        self.timeouts = {}        # handle -> {kind, vm, due, state, event}
        self.last_prio_sched = None   # handle of the last queued priority event
        self.boost_want = {}      # vm -> sum of priority-event boosts that should apply
        self.boost_seen = {}      # vm -> sum of PRIORITY reason=event boosts
        self.enter_next = None    # (rule, cb, info): the CB_ENTER an EV/TIMEOUT announced

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
        for vm in sorted(set(self.boost_want) | set(self.boost_seen)):
            want, seen = self.boost_want.get(vm, 0), self.boost_seen.get(vm, 0)
            if want != seen:
                self.fail("EV-2", rec, f"{vm}: priority-event boosts applied sum to {seen:#x}, "
                          f"the events in effect want {want:#x}")
                self.boost_seen[vm] = want   # report once
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
        self.account(rec.cycle)
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
        if rec.get("reason") == "event" and boost is not None:
            self.boost_seen[name] = self.boost_seen.get(name, 0) + boost
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
        info = self.check_announced(rec, kind)
        self.cb_stack.append((kind, addr, info, self.current))

    def on_cb_return(self, rec):
        # the innermost open callback at this address: callbacks of different VMs'
        # contexts can interleave when a VM blocks or is preempted inside VxD code
        addr = rec.num("addr")
        i = next((j for j in range(len(self.cb_stack) - 1, -1, -1)
                  if self.cb_stack[j][1] == addr), len(self.cb_stack) - 1)
        if self.cb_stack:
            kind, _, info, _ = self.cb_stack.pop(i)
            if kind == "idle" and rec.get("cf") == "0":
                self.idle_done = True   # IDLE-3: CF clear ends the chain
            if kind == "prio" and info is not None and info.get("unboost"):
                # EV-2: the boost goes when the callback returns (PEF_Dont_Unboost: stays)
                self.want_boost(info["vm"], -info["boost"])

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

    # -- events, priority events, time-outs (EV-1, EV-2, TO-1) ---------------
    def account(self, cycle):
        """Execution time: the cycles the current VM has been current (TO-1)."""
        if self.current is not None:
            self.exec_cycles[self.current] = (self.exec_cycles.get(self.current, 0)
                                              + cycle - self.cur_since)
        self.cur_since = cycle

    def exec_ms(self, vm, cycle):
        c = self.exec_cycles.get(vm, 0) + (cycle - self.cur_since if vm == self.current else 0)
        return c * 1000 // self.clock_hz if self.clock_hz else None

    def vxd_running(self):
        """The kind of the innermost callback open in the current VM's context, or None
        (each VM has its own context; the VMM returns to a VM only when it has none)."""
        for kind, _, _, vm in reversed(self.cb_stack):
            if vm == self.current:
                return kind
        return None

    def want_boost(self, vm, delta):
        if delta:
            self.boost_want[vm] = self.boost_want.get(vm, 0) + delta

    def tick_cycle(self, k):
        return -(-k * self.tick_ms * self.clock_hz // 1000)

    def on_boot(self, rec):
        self.clock_hz = rec.num("clock_hz")

    def on_event(self, rec):
        if rec.get("kind") != "tick" or not self.clock_hz:
            return
        k = rec.num("index", 0)
        if k <= 0:
            self.fail("TO-1", rec, "timer tick with index 0")
            return
        if self.tick_ms is None:
            # the period whose tick k is closest at or before this cycle
            fits = [(rec.cycle - -(-k * ms * self.clock_hz // 1000), ms) for ms in range(1, 1001)
                    if -(-k * ms * self.clock_hz // 1000) <= rec.cycle]
            if not fits:
                self.fail("TO-1", rec, f"tick {k} comes before any tick period allows")
                return
            self.tick_ms = min(fits)[1]
        if self.last_tick is not None and k <= self.last_tick[0]:
            self.fail("TO-1", rec, f"tick {k} after tick {self.last_tick[0]}")
        lo, hi = self.tick_cycle(k), self.tick_cycle(k + 1)
        if not lo <= rec.cycle < hi:
            self.fail("TO-1", rec, f"tick {k} at cycle {rec.cycle}, expected from cycle {lo} "
                      f"(tick period {self.tick_ms} ms at {self.clock_hz} Hz) and before {hi}")
        self.last_tick = (k, rec.cycle)

    def on_ev(self, rec):
        op, kind, handle = rec.get("op"), rec.get("kind"), rec.num("handle", 0)
        vm, boost, flags = rec.get("vm"), rec.num("boost", 0), rec.num("flags", 0)
        e = self.events.get(handle)
        if op == "schedule":
            if handle == 0 or e is not None:
                self.fail("EV-1", rec, f"event scheduled with handle {handle:#010x} "
                          f"({'zero' if handle == 0 else 'already used'})")
            self.events[handle] = {"kind": kind, "vm": vm, "boost": boost, "flags": flags,
                                   "state": "pending", "cb": rec.get("cb")}
            if kind == "priority":
                self.want_boost(vm, boost)   # EV-2: boosted at once when queued
                self.last_prio_sched = handle
            return
        if op == "cancel":
            if e is None or e["state"] != "pending":
                self.fail("EV-1" if kind != "priority" else "EV-2", rec,
                          f"cancel of event {handle:#010x} that is "
                          f"{'unknown' if e is None else e['state']}")
                return
            e["state"] = "cancelled"
            if kind == "priority":
                self.want_boost(e["vm"], -e["boost"])   # EV-2: cancel undoes the boost
            return
        if op not in ("run", "timeout"):
            self.fail("EV-1", rec, f"unknown EV op {op}")
            return
        rule = "EV-2" if kind == "priority" else "EV-1"
        if handle != 0:
            want = "timedout" if op == "timeout" else "pending"
            if e is None or e["state"] != want:
                self.fail(rule, rec, f"event {handle:#010x} {op} while it is "
                          f"{'never scheduled' if e is None else e['state']}")
            elif op == "run" and e["state"] == "pending":
                pass
            if e is not None:
                e["state"] = "ran"
            if self.vxd_running():
                self.fail(rule, rec, f"queued event {rec.get('cb')} runs while VxD code runs "
                          f"({self.vxd_running()} callback open in {self.current}): events run "
                          "only at the return to a VM")
        if op == "run" and kind in ("vm", "priority") and vm != self.current:
            self.fail(rule, rec, f"{kind} event for {vm} runs while {self.current} is current")
        info = {"vm": vm, "boost": boost, "unboost": False}
        if kind == "priority" and op == "run":
            if flags & PEF_WAIT_NOT_CRIT and self.crit_owner is not None:
                self.fail("EV-2", rec, f"PEF_Wait_Not_Crit event runs while {self.crit_owner} "
                          "owns the critical section")
            if handle == 0:
                self.want_boost(vm, boost)   # run at once: boost, call, unboost
            info["unboost"] = not flags & PEF_DONT_UNBOOST
        self.enter_next = (rule, rec.get("cb"), "prio" if kind == "priority" else "event", info)

    def on_timeout(self, rec):
        op, kind, handle = rec.get("op"), rec.get("kind"), rec.num("handle", 0)
        vm, due = rec.get("vm"), rec.num("due", 0)
        t = self.timeouts.get(handle)
        if op == "set":
            if handle == 0 or t is not None:
                self.fail("TO-1", rec, f"time-out set with handle {handle:#010x}")
            ev = self.last_prio_sched if kind == "priority" else None
            self.timeouts[handle] = {"kind": kind, "vm": vm, "due": due, "state": "set",
                                     "event": ev}
            return
        if t is None:
            self.fail("TO-1", rec, f"{op} of unknown time-out {handle:#010x}")
            return
        if op == "cancel":
            if t["state"] != "set":
                self.fail("TO-1", rec, f"cancel of a time-out that is {t['state']}")
            t["state"] = "cancelled"
        elif op == "due":
            self.check_due(rec, t)
            t["state"] = "due"
            if kind == "priority" and t["event"] in self.events:
                e = self.events[t["event"]]
                if e["state"] == "pending":   # EV-2: the time-out came first
                    e["state"] = "timedout"
                    self.want_boost(e["vm"], -e["boost"])
        elif op == "call":
            if t["state"] != "due":
                self.fail("TO-1", rec, f"time-out called while it is {t['state']}")
            t["state"] = "called"
            self.check_late(rec, t)
            if self.vxd_running():
                self.fail("TO-1", rec, "time-out callback called while VxD code runs "
                          f"({self.vxd_running()} callback open in {self.current})")
            if kind == "vm" and vm != self.current:
                self.fail("TO-1", rec, f"VM time-out of {vm} called while {self.current} "
                          "is current")
            self.enter_next = ("TO-1", rec.get("cb"), "timeout", None)

    def check_due(self, rec, t):
        """TO-1: due at the first tick at or after the due time."""
        if t["state"] != "set":
            self.fail("TO-1", rec, f"time-out falls due while it is {t['state']}")
        if self.last_tick is None or self.last_tick[1] != rec.cycle or self.tick_ms is None:
            self.fail("TO-1", rec, "time-out falls due without a timer tick at this cycle")
            return
        k = self.last_tick[0]
        if t["kind"] == "vm":
            if t["vm"] != self.current:
                self.fail("TO-1", rec, f"VM time-out of {t['vm']} falls due while "
                          f"{self.current} is current")
            ms = self.exec_ms(t["vm"], rec.cycle)
            if ms is not None and ms < t["due"]:
                self.fail("TO-1", rec, f"VM time-out due at {t['due']} ms of execution time "
                          f"falls due at {ms} ms")
            t["exec_ms"] = ms
        else:
            want = -(-t["due"] // self.tick_ms)
            if k != want:
                self.fail("TO-1", rec, f"time-out due at {t['due']} ms falls due at tick {k} "
                          f"({k * self.tick_ms} ms); the first tick at or after it is {want} "
                          f"({want * self.tick_ms} ms)")
        t["tick"] = k

    def check_late(self, rec, t):
        """TO-1: ECX = ms late (late=): the last updated system time - due (global,
        priority) or the VM's execution time - due (VM; to the ms, +-1 for rounding)."""
        late = rec.num("late", 0)
        if self.last_tick is None or self.tick_ms is None:
            return
        if t["kind"] == "vm":
            ms = t.get("exec_ms")
            if ms is not None and abs(late - (ms - t["due"])) > 1:
                self.fail("TO-1", rec, f"VM time-out late={late}, its VM had run {ms} ms at "
                          f"the tick (due {t['due']}): expected {ms - t['due']}")
        else:
            want = self.last_tick[0] * self.tick_ms - t["due"]
            if late != want:
                self.fail("TO-1", rec, f"time-out late={late}, expected {want} (last tick "
                          f"{self.last_tick[0]} at {self.last_tick[0] * self.tick_ms} ms, "
                          f"due {t['due']} ms)")

    def check_announced(self, rec, kind):
        """The CB_ENTER after an EV run/timeout or a TIMEOUT call is that callback."""
        ann, self.enter_next = self.enter_next, None
        if kind in ("event", "prio", "timeout"):
            if ann is None or ann[2] != kind or ann[1] != rec.get("cb"):
                self.fail("EV-1" if kind == "event" else "EV-2" if kind == "prio" else "TO-1",
                          rec, f"{kind} callback {rec.get('cb')} entered without its "
                          f"{'TIMEOUT op=call' if kind == 'timeout' else 'EV op=run/timeout'}")
                return None
            return ann[3]
        if ann is not None and kind not in ("ts", "hwint"):
            self.fail(ann[0], rec, f"{ann[1]} was announced but {kind} callback "
                      f"{rec.get('cb')} was entered")
        elif ann is not None:
            # task-switch callbacks come first (TS-1); a hardware interrupt may come
            # at any instruction boundary (INT-1)
            self.enter_next = ann
        return None

    HANDLERS = {
        "VM_STATE": on_vm_state, "TASK_SWITCH": on_task_switch, "PRIORITY": on_priority,
        "CRIT": on_crit, "SERVICE": on_service, "SVC_RET": on_svc_ret,
        "CB_ENTER": on_cb_enter, "CB_RETURN": on_cb_return,
        "BOOT": on_boot, "EVENT": on_event, "EV": on_ev, "TIMEOUT": on_timeout,
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
