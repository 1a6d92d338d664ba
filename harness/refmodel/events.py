"""Events, priority events and time-outs in the reference model (docs/vmm.md, "Events
(EV-1, EV-2)", "Time-outs (TO-1)"; docs/trace-format.md, "EV", "TIMEOUT").

  EV-1  events run only when no VxD code runs (at the return to a VM); a VM event
        only while its VM is current; a cancelled or already run event never runs
  EV-2  a priority event's boost is added when it is queued (or run at once) and
        removed after its callback (unless PEF_Dont_Unboost), on cancel and on
        time-out; PEF_Wait_Not_Crit events run only while no VM owns the critical
        section; a timed-out one runs once, as EV op=timeout, never as a normal run
  TO-1  a time-out falls due at the first timer tick at or after its due time (a VM
        time-out: counting that VM's execution time, at a tick where it is current);
        its callback is called after that, with ECX (late=) the ms late; cancelled
        time-outs never fall due. Tick k is at cycle ceil(k*tick_ms*clock_hz/1000),
        tick_ms the MACHINE record's timer_tick_ms (a trace without MACHINE: the
        period is inferred from the first tick)

It also checks that the CB_ENTER after an EV run/timeout or a TIMEOUT call is that
callback (check_announced).
"""

PEF_WAIT_NOT_CRIT = 0x2
PEF_DONT_UNBOOST = 0x4


class EventRules:
    """Mixin of the Model: events, priority events, time-outs and the timer ticks."""

    def _init_events(self):
        self.tick_ms = None       # MACHINE timer_tick_ms, or inferred from the first tick
        self.last_tick = None     # (k, cycle) of the latest tick
        self.exec_cycles = {}     # vm -> cycles it was the current VM before cur_since
        self.cur_since = 0
        self.events = {}          # handle -> {kind, vm, boost, flags, state, cb}
        self.timeouts = {}        # handle -> {kind, vm, due, state, event}
        self.last_prio_sched = None   # handle of the last queued priority event
        self.boost_want = {}      # vm -> sum of priority-event boosts that should apply
        self.boost_seen = {}      # vm -> sum of PRIORITY reason=event boosts
        self.enter_next = None    # (rule, cb, info): the CB_ENTER an EV/TIMEOUT announced

    def account(self, cycle):
        """Execution time: the cycles the current VM has been current (TO-1)."""
        if self.current is not None:
            self.exec_cycles[self.current] = (self.exec_cycles.get(self.current, 0)
                                              + cycle - self.cur_since)
        self.cur_since = cycle

    def exec_ms(self, vm, cycle):
        c = self.exec_cycles.get(vm, 0) + (cycle - self.cur_since if vm == self.current else 0)
        return c * 1000 // self.clock_hz if self.clock_hz else None

    def want_boost(self, vm, delta):
        if delta:
            self.boost_want[vm] = self.boost_want.get(vm, 0) + delta

    def tick_cycle(self, k):
        return -(-k * self.tick_ms * self.clock_hz // 1000)

    def ev_boundary(self, rec):
        """EV-2: at a cycle boundary the event boosts applied are the ones in effect."""
        for vm in sorted(set(self.boost_want) | set(self.boost_seen)):
            want, seen = self.boost_want.get(vm, 0), self.boost_seen.get(vm, 0)
            if want != seen:
                self.fail("EV-2", rec, f"{vm}: priority-event boosts applied sum to {seen:#x}, "
                          f"the events in effect want {want:#x}")
                self.boost_seen[vm] = want   # report once

    def ev_priority(self, rec, name, boost):
        if boost is not None:
            self.boost_seen[name] = self.boost_seen.get(name, 0) + boost

    def ev_cb_return(self, kind, info):
        if kind == "prio" and info is not None and info.get("unboost"):
            # EV-2: the boost goes when the callback returns (PEF_Dont_Unboost: stays)
            self.want_boost(info["vm"], -info["boost"])

    def ev_tick(self, rec):
        """TO-1: EVENT kind=tick k lies in [tick_cycle(k), tick_cycle(k + 1))."""
        if not self.clock_hz:
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
