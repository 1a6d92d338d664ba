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
  INT-1 simulated hardware interrupts (docs/vmm.md, "Simulated interrupts"):
        delivery — a raise of a virtualized IRQ is answered by one IRQ op=hw_int and
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

Usage: python3 harness/refmodel.py TRACE...   (exit 1 when a violation is found)
"""
import re
import sys

CRITICAL_SECTION_BOOST = 0x00100000
PEF_WAIT_NOT_CRIT = 0x2
PEF_DONT_UNBOOST = 0x4
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
# The VMM's chain of a simulated interrupt, per VM.
SIM_STAGES = ("virt", "handler", "eoi", "iret", "done")

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
        # simulated interrupts (INT-1)
        self.vm_order = []        # VM names in creation order (EVENT kind=iret index=)
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
        self.int_boundary(rec)
        if self.current in ready and rec.type != "TASK_SWITCH" and not self.interrupt_time():
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
            self.vm_order.append(name)
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
        if rec.get("reason") == "irq":
            self.int_priority(rec, name, boost)
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
        self.int_service(rec)
        svc = rec.get("svc")
        if svc == "Call_When_Not_Critical":
            self.nc_list.append(rec.num("esi"))
        elif svc == "Int2F_1689":
            self.idle_signal += 1
            self.idle_pos, self.idle_done = 0, False

    def on_svc_ret(self, rec):
        self.int_svc_ret(rec)
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
        self.int_cb_enter(rec, kind, addr)
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
            self.int_cb_return(rec, kind, info)
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
        if rec.get("kind") in ("iret", "iret_timeout"):
            self.on_iret_event(rec)
            return
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
                                     "set_cycle": rec.cycle,
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
            want = self.first_tick_after(t)
            if k != want:
                self.fail("TO-1", rec, f"time-out due at {t['due']} ms falls due at tick {k} "
                          f"({k * self.tick_ms} ms); the first tick at or after it is {want} "
                          f"({want * self.tick_ms} ms)")
        t["tick"] = k

    def first_tick_after(self, t):
        """The first tick at or after a system-time time-out's due time. due= is in
        whole ms (the set time's whole ms + the interval), so the exact due cycle is
        the set cycle + the interval; without a clock rate, due= is taken as exact."""
        if not self.clock_hz:
            return -(-t["due"] // self.tick_ms)
        set_ms = t["set_cycle"] * 1000 // self.clock_hz
        due_x1000 = t["set_cycle"] * 1000 + (t["due"] - set_ms) * self.clock_hz
        k = max(1, t["due"] // self.tick_ms - 1)
        while self.tick_cycle(k) * 1000 < due_x1000:
            k += 1
        return k

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


    # -- simulated interrupts (INT-1) -----------------------------------------
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

    def on_finding(self, rec):
        if rec.get("rule") != "INT-1":
            return
        p = self.int_svc
        if p is None or p[0].get("svc") != rec.get("svc"):
            self.fail("INT-1", rec, f"FINDING rule=INT-1 for {rec.get('svc')} outside a "
                      "service called at interrupt time")
            return
        p[1] = True

    def on_choice(self, rec):
        # an irq-boundary hold lets the interrupted code run up to chosen instructions
        if rec.get("kind") == "irq-boundary" and rec.num("chosen", 0) > 0:
            self.irq_held |= set(self.deliverable())

    def on_end(self, rec):
        if rec.get("reason") != "done":
            return
        lost = sorted(i for i in self.irq_pending if i not in self.irq_in_service)
        if lost:
            self.fail("INT-1", rec, f"the run ends with IRQ {lost[0]} raised and never delivered")
        for vm, sim in sorted(self.irq_sim.items()):
            if sim["stage"] != "done":
                self.fail("INT-1", rec, f"the run ends with IRQ {sim['irq']} simulated into {vm} "
                          f"and never IRETed (stage {sim['stage']})")

    HANDLERS = {
        "VM_STATE": on_vm_state, "TASK_SWITCH": on_task_switch, "PRIORITY": on_priority,
        "CRIT": on_crit, "SERVICE": on_service, "SVC_RET": on_svc_ret,
        "CB_ENTER": on_cb_enter, "CB_RETURN": on_cb_return,
        "BOOT": on_boot, "EVENT": on_event, "EV": on_ev, "TIMEOUT": on_timeout,
        "IRQ": on_irq, "FINDING": on_finding, "CHOICE": on_choice, "END": on_end,
    }

    def run(self, records):
        last = None
        for rec in records:
            if last is not None and rec.cycle != last:
                self.boundary(rec)
            last = rec.cycle
            self.int_progress(rec)
            if rec.type in ("FINDING", "END"):
                self.HANDLERS[rec.type](self, rec)
                continue
            if rec.type == "CHECKPOINT":
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
