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
        time-outs never fall due. Tick k is at cycle ceil(k*tick_ms*clock_hz/1000),
        tick_ms the MACHINE record's timer_tick_ms (a trace without MACHINE: the
        period is inferred from the first tick)
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
  CB-1  a FINDING rule=CB-1 follows the CB_RETURN of the callback it names, once per
        register, only for a register the contract preserves, expected != actual,
        and an EBP finding expects the CB_ENTER's EBP. That a return WITHOUT a
        finding preserved the registers is not checkable: CB_RETURN carries only
        CF and EAX
  CS-2  a claim of a section another VM owns is CRIT op=block, then op=grant, and
        only then the service returns; the waiter is blocked and never current
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
  NC-1  any number installed up to MACHINE nc_slots: Call_When_Not_Critical returns
        the caller's registers (no return value), an install with nc_slots
        installed ends the run (END reason=error code=-3, VMM_ELIMIT) and one below
        returns; a run that ends (done) owes no callback
  NC-4  not-critical callback: EBX = current VM, EDX = its install's EDX, EBP =
        current VM's Client_Reg_Struc (handle + 0x80, docs/vmm.md "Memory")
  IDLE-1 Call_When_Idle returns CF set exactly when MACHINE idle_slots callbacks are
        installed (a trace without MACHINE: once an install failed, every later one
        fails too)
  IDLE-4 idle callback: in the system VM, EBX = its handle, EBP = its Client_Reg_Struc
  IDLE-5 a kernel idle signal in the system VM with every other VM idle or
        suspended runs the chain from the first installed callback; none is skipped
  SL-1  Cur_Run_VM_Boost (+-4, PRIORITY reason=slice) only with the time slicer on,
        added right after SLICE op=start, held by one VM at a time (the current
        slice's); EVENT kind=slice ends the current slice, not before its cycles;
        no slice is shorter than the granularity (without debt); slices go round
        robin in VM order to scheduled VMs (on the list: focus, Background or
        High_Pri_Back, only focus when Exclusive; ready, not idle), passing over
        only VMs not scheduled or in debt (SLICE credit < 0); with a MACHINE record:
        slices only with time_slicing=1, and the granularity is time_slice_ms until
        Set_Time_Slice_Granularity (clamped to 1..60000), on every SLICE record
  TS-1  (table) an install with MACHINE ts_slots installed ends the run with
        VMM_ELIMIT, one below returns
  MACHINE one record, right after BOOT, with every parameter
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

Usage: python3 harness/refmodel.py TRACE...   (exit 1 when a violation is found)
"""
import re
import sys

CRITICAL_SECTION_BOOST = 0x00100000
CUR_RUN_VM_BOOST = 0x00000004
# docs/vmm.md, "Memory": a VM's Client_Reg_Struc lies at its handle + 0x80.
CLIENT_REG_OFFSET = 0x80
# CB-1: the registers a callback must preserve (docs/trace-format.md, FINDING).
CB1_REGS = frozenset(("ebp", "esp", "es", "cs", "ss", "ds", "fs", "gs"))
# SL-1: CB_VM_Status time-slice flags: Exclusive 0x1, Background 0x2, High_Pri_Back 0x200.
TS_EXCLUSIVE, TS_BACKGROUND, TS_HIGH_PRI_BACK = 0x1, 0x2, 0x200
TS_FLAG_BITS = TS_EXCLUSIVE | TS_BACKGROUND | TS_HIGH_PRI_BACK
# Critical-section services: (kind, where the count comes from) (CS-1 .. CS-6).
CRIT_SERVICES = {
    "Begin_Critical_Section": ("claim", None), "Int2F_1681": ("claim", None),
    "Claim_Critical_Section": ("claim", "eax"),
    "End_Critical_Section": ("end", None), "Int2F_1682": ("end", None),
    "Release_Critical_Section": ("end", "ecx"),
    "End_Crit_And_Suspend": ("suspend", None),
    "Get_Crit_Section_Status": ("status", None), "Get_Crit_Status_No_Block": ("status", None),
}
# The MACHINE record's keys (docs/trace-format.md), all decimal.
MACHINE_KEYS = ("timer_tick_ms", "idle_slots", "nc_slots", "ts_slots", "service_cycles",
                "wait_states", "irq_handler_cycles", "time_slicing", "time_slice_ms",
                "irq_boundary_window", "event_capacity", "max_cycles", "hang_cycles")
VMM_ELIMIT = -3            # vmm.h: a machine limit was exceeded (a full callback table)
SLICE_MS_MIN, SLICE_MS_MAX = 1, 60000   # Set_Time_Slice_Granularity clamps to this
PEF_WAIT_NOT_CRIT = 0x2
PEF_DONT_UNBOOST = 0x4
TIME_CRITICAL_BOOST = 0x00400000

# INT-1: the services a Hw_Int_Proc may call (docs/vmm.md, "Simulated interrupts"):
# the VM-handle services and Get_VMM_Version, the event, priority event and time-out
# services, the time services, Wake_Up_VM, Get_Crit_Status_No_Block and every VPICD
# service (the VPICD_ prefix).
# VML-2: the services that take a VM handle in EBX (vmm/life.c, takes_vm)
VML_VM_SERVICES = frozenset((
    "Schedule_VM_Event", "Call_VM_Event", "Cancel_VM_Event", "Call_Priority_VM_Event",
    "Adjust_Exec_Priority", "Suspend_VM", "Resume_VM", "No_Fail_Resume_VM", "Nuke_VM",
    "Set_Execution_Focus", "Get_Time_Slice_Priority", "Set_Time_Slice_Priority", "Wake_Up_VM",
    "Get_Next_VM_Handle", "Set_VM_Time_Out", "Get_VM_Exec_Time", "VPICD_Set_Int_Request",
    "VPICD_Clear_Int_Request", "Close_VM"))

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
        self.tick_ms = None       # MACHINE timer_tick_ms, or inferred from the first tick
        self.machine = None       # the MACHINE record's values (None: an older trace)
        self.boot_index = None    # record index of BOOT (MACHINE comes right after)
        self.granularity = None   # SL-1: the slice granularity, ms (from MACHINE)
        self.table_install = None # (rule, SERVICE, full, slots): NC-1 / TS-1 table limit
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
        # client code (CL-1 … CL-5)
        self.cl_if = {}           # vm -> its virtual IF as its CLIENT records left it
        self.cl_halted = set()    # VMs whose client code executed HLT and was not woken
        self.cl_vmm = None        # (vm, AX) of a CLIENT op=vmm awaiting its SERVICE
        self.cl_simint = {}       # vm -> (cs, ip) its simulated interrupt came in at
        self.cl_hlt_idle = None   # vm whose CLIENT op=hlt awaits its VM_STATE idle
        self.cl_pm = set()        # VMs whose client code is protected-mode (mode=pm)
        self.vid_announced = None # (vm, kind, proc label, timed out) the next vid_* entry
        # CB-1, CS-2 .. CS-7, NC-1, NC-4, IDLE-1, IDLE-4, IDLE-5, SL-1
        self.cb_enter = []        # the CB_ENTER record of each cb_stack entry (same index)
        self.last_return = None   # (CB_RETURN record, its CB_ENTER, registers reported)
        self.svc_ctx = {}         # vm -> per open SERVICE: what the call did (see svc_begin)
        self.nc_ref = []          # reference data (EDX) of each nc_list entry
        self.idle_cap = None      # installed idle callbacks when a Call_When_Idle failed
        self.eca_step = None      # End_Crit_And_Suspend released, its suspend still owed
        self.slice = None         # the current time slice: {vm, serial, cycle, cycles}
        self.slice_serial = 0
        self.slice_boost = {}     # vm -> sum of PRIORITY reason=slice boosts
        self.slice_owed = None    # VM whose SLICE op=start awaits its +Cur_Run_VM_Boost
        self.focus = None         # the execution focus VM (SLICE op=focus; at first sys)
        self.credit = {}          # vm -> execution-time credit, ms (SLICE adjust/release)
        self.ts_flags = {}        # vm -> time-slice flags (CB_VM_Status bits 0, 1, 9)
        self.iot = IotModel(self) # IOT-1 … IOT-6 (its own block, below)
        self.hk = HookModel(self) # HK-1 … HK-4, SIM-1 … SIM-5 (their block below)
        # nested execution, V86 call-backs and break points (NX-1 … NX-4, VCB-1 … VCB-3)
        self.nx_blocks = {}       # vm -> nested execution blocks open
        self.nx_parked = {}       # vm -> [(svc, depth of the parked callback)], innermost last
        self.nx_break = None      # (vm, svc, record index): a nest break awaiting its SVC_RET
        self.nx_execint = None    # (vm, vector, record index): Exec_Int awaiting its entry
        self.nx_v86 = None        # (vm, kind, callback, record index): a break awaiting its entry
        self.nx_cbs = []          # Allocate_V86_Call_Back: (address, callback, reference data)
        self.nx_bps = {}          # (vm, seg:off) -> (callback, reference data)
        self.nx_pending = None    # the open SERVICE of a VCB service (its SVC_RET completes it)
        self.nx_removed = set()   # (vm, seg:off) of break points removed (and not reinstalled)
        self.nx_rets = {}         # VCB-4: slot k -> {vm, cb, ref, to (ms, signed), state}

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
        self.cs_boundary(rec)
        self.sl_boundary(rec)
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
        status = rec.num("status")
        if status is not None:
            self.ts_flags[name] = status & TS_FLAG_BITS
        self.cs_vm_state(rec, name, st)
        if st == "create":
            self.vm_order.append(name)
            v["handle"] = rec.num("handle")
            if v["handle"] is not None:
                self.by_handle[v["handle"]] = name
            if rec.get("system") == "1":
                self.system_vm = name
                self.focus = name   # SL-1: the system VM has the focus at first
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
        if self.vm(new)["blocked"]:
            self.fail("CS-2", rec, f"task switch to {new}, which is blocked on the critical section")
        self.eca_interrupted(rec)
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
        if rec.get("reason") == "slice":
            self.sl_priority(rec, name, boost)
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

    def on_service(self, rec):
        self.cl_service(rec)
        self.nx_service(rec)
        self.svc_stack.setdefault(rec.get("vm"), []).append(rec)
        self.svc_ctx.setdefault(rec.get("vm"), []).append(self.svc_begin(rec))
        self.int_service(rec)
        self.eca_interrupted(rec)
        svc = rec.get("svc")
        self.table_limit(rec, svc)
        if svc == "Call_When_Not_Critical":
            self.nc_list.append(rec.num("esi"))
            self.nc_ref.append(rec.num("edx"))
        elif svc == "Int2F_1689":
            self.idle_signal += 1
            self.idle_pos, self.idle_done = 0, False

    def table_limit(self, rec, svc):
        if self.machine is None:
            return
        if svc == "Call_When_Not_Critical":
            rule, n, slots = "NC-1", len(self.nc_list), self.machine["nc_slots"]
        elif svc == "Call_When_Task_Switched":
            rule, n, slots = "TS-1", len(self.ts_list), self.machine["ts_slots"]
        else:
            return
        self.table_install = (rule, rec, n >= slots, slots)

    def on_svc_ret(self, rec):
        self.int_svc_ret(rec)
        self.nx_svc_ret(rec)
        stack = self.svc_stack.get(rec.get("vm"), [])
        call = stack.pop() if stack else None
        ctxs = self.svc_ctx.get(rec.get("vm"), [])
        ctx = ctxs.pop() if ctxs else None
        svc = rec.get("svc")
        if call is None or call.get("svc") != svc:
            return
        self.svc_end(rec, call, ctx)
        if svc == "Call_When_Idle":
            self.idle1_result(rec)
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
        self.nx_cb_enter(rec)
        self.eca_interrupted(rec)
        info = self.check_announced(rec, kind)
        self.cb_stack.append((kind, addr, info, self.current))
        self.cb_enter.append(rec)

    def on_cb_return(self, rec):
        # the innermost open callback at this address: callbacks of different VMs'
        # contexts can interleave when a VM blocks or is preempted inside VxD code
        addr = rec.num("addr")
        i = next((j for j in range(len(self.cb_stack) - 1, -1, -1)
                  if self.cb_stack[j][1] == addr), len(self.cb_stack) - 1)
        if self.cb_stack:
            self.nx_cb_return(rec, self.cb_enter[i])
            self.last_return = (rec, self.cb_enter.pop(i), set())
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

    def check_idle(self, rec, addr):
        cb = rec.get("cb")
        if rec.get("vm") != self.system_vm:
            self.fail("IDLE-4", rec, f"idle callback {cb} runs in {rec.get('vm')}, not in the "
                      f"system VM {self.system_vm}")
        self.check_cb_regs(rec, "IDLE-4", self.system_vm, None)
        if not self.idle_signal:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs without a kernel idle signal")
        busy = sorted(n for n, v in self.vms.items()
                      if n != self.system_vm and not v["idle"] and v["suspend"] == 0)
        if busy:
            self.fail("IDLE-2", rec, f"idle callback {cb} runs while {', '.join(busy)} "
                      "is neither idle nor suspended")
        if self.idle_done:
            self.fail("IDLE-3", rec, f"idle callback {cb} runs after the chain ended (CF clear)")
        elif (addr in self.idle_list[self.idle_pos + 1:]
              and self.idle_pos < len(self.idle_list)):
            skipped = self.idle_list[self.idle_pos:self.idle_list.index(addr, self.idle_pos + 1)]
            self.fail("IDLE-5", rec, f"idle callback {cb} runs, but the installed "
                      f"{', '.join(f'{a:#010x}' for a in skipped)} before it was skipped: "
                      "callbacks stay installed")
            self.idle_pos = self.idle_list.index(addr, self.idle_pos + 1)
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
        for i in range(len(self.cb_stack) - 1, -1, -1):
            kind, _, _, vm = self.cb_stack[i]
            if vm == self.current:
                if self.cb_enter[i].num("depth", 0) <= self.nx_floor(vm):
                    return None   # NX-1: parked by Resume_Exec / Exec_Int, not running
                return kind
        return None

    def want_boost(self, vm, delta):
        if delta:
            self.boost_want[vm] = self.boost_want.get(vm, 0) + delta

    def tick_cycle(self, k):
        return -(-k * self.tick_ms * self.clock_hz // 1000)

    def on_boot(self, rec):
        self.clock_hz = rec.num("clock_hz")
        self.boot_index = rec.index

    def on_machine(self, rec):
        """The machine's parameters: exact tick (TO-1), table limits (IDLE-1, NC-1,
        TS-1) and granularity (SL-1) from here on."""
        if self.machine is not None or self.boot_index is None or rec.index != self.boot_index + 1:
            self.fail("MACHINE", rec, "MACHINE record not right after BOOT, or a second one")
        m = {k: rec.num(k) for k in MACHINE_KEYS}
        bad = [k for k, v in m.items() if v is None or v < 0]
        if bad:
            self.fail("MACHINE", rec, f"MACHINE record without a decimal {bad[0]}")
            return
        if m["timer_tick_ms"] == 0 or not SLICE_MS_MIN <= m["time_slice_ms"] <= SLICE_MS_MAX:
            self.fail("MACHINE", rec, "MACHINE timer_tick_ms or time_slice_ms out of range")
            return
        self.machine = m
        self.tick_ms = m["timer_tick_ms"]
        self.granularity = m["time_slice_ms"]

    def table_check(self, rec):
        """NC-1 / TS-1: an install into a full callback table ends the run with
        VMM_ELIMIT (the DDK has no failure return); one with room returns."""
        rule, call, full, slots = self.table_install
        self.table_install = None
        svc = call.get("svc")
        ended = (rec.type == "END" and rec.get("reason") == "error"
                 and rec.num("code") == VMM_ELIMIT)
        if full and not ended:
            self.fail(rule, rec, f"{svc} with its table full ({slots} installed) is not "
                      f"answered by END reason=error code={VMM_ELIMIT}")
        elif not full and ended:
            self.fail(rule, rec, f"{svc} with room in its table (fewer than {slots} installed) "
                      f"ends the run with VMM_ELIMIT")

    def on_event(self, rec):
        if rec.get("kind") in ("iret", "iret_timeout"):
            self.on_iret_event(rec)
            return
        if rec.get("kind") == "slice":
            self.sl_event(rec)
            return
        if rec.get("kind") == "return_timeout":
            self.nx_ret_event(rec)
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
        if (rec.get("op") == "run" and rec.get("kind") == "priority" and rec.num("flags", 0) & 1
                and self.cl_if.get(rec.get("vm"), 1) != 1):
            self.fail("CL-3", rec, f"a PEF_Wait_For_STI event runs in {rec.get('vm')} while its "
                      "client code's IF is clear")
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
        if vm in self.cl_if and vm not in self.cl_pm:
            self.fail("CL-4", rec, f"{vm} runs V86 client code: its handler ends at its IRET "
                      "(CLIENT op=iret), not after irq_handler_cycles")
        if sim["stage"] != "handler":
            self.fail("INT-1", rec, f"{vm}'s handler time ends before its VID_Virt_Int_Proc "
                      "returned")
        if rec.cycle <= sim["since"]:
            self.fail("INT-1", rec, f"{vm}'s handler time ends at once (started at cycle "
                      f"{sim['since']})")
        sim["stage"] = "eoi"

    # ---- client code (CL-1 … CL-5) -------------------------------------------------

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
        self.nx_client(rec, op, vm)

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
        if rec.get("rule") == "CB-1":
            self.cb1_finding(rec)
            return
        if rec.get("rule") == "CS-7":
            ctx = self.top_ctx(rec.get("vm"))
            if ctx is None or ctx["crit"] != "end" or ctx["rec"].get("svc") != rec.get("svc"):
                self.fail("CS-7", rec, f"FINDING rule=CS-7 for {rec.get('svc')} outside an End "
                          f"service of {rec.get('vm')}")
            else:
                ctx["findings"].append(rec)
            return
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
        self.nx_end(rec)
        if self.nc_owed > 0:
            self.fail("NC-1", rec, f"the run ends with {self.nc_owed} release(s) of the critical "
                      "section owed a not-critical callback that never ran: every install is kept")
        lost = sorted(i for i in self.irq_pending if i not in self.irq_in_service)
        if lost:
            self.fail("INT-1", rec, f"the run ends with IRQ {lost[0]} raised and never delivered")
        for vm, sim in sorted(self.irq_sim.items()):
            if sim["stage"] != "done":
                self.fail("INT-1", rec, f"the run ends with IRQ {sim['irq']} simulated into {vm} "
                          f"and never IRETed (stage {sim['stage']})")


    # -- callback registers (NC-4, IDLE-4) and CB-1 ---------------------------
    def handle_of(self, vm):
        return self.vms[vm]["handle"] if vm in self.vms else None

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

    # -- critical-section services (CS-2 .. CS-7) ------------------------------
    def top_ctx(self, vm):
        ctxs = self.svc_ctx.get(vm)
        return ctxs[-1] if ctxs else None

    def svc_begin(self, rec):
        """What a SERVICE may do, from the model's state at its entry."""
        kind, src = CRIT_SERVICES.get(rec.get("svc"), (None, None))
        n = 1 if src is None else rec.num(src, 0)
        return {"rec": rec, "crit": kind, "n": n, "owner": self.crit_owner,
                "count": self.crit_count, "crits": [], "findings": [], "states": [],
                "idle_chain": self.idle_expected(rec)}

    def svc_end(self, rec, call, ctx):
        if ctx is None:
            return
        if ctx["crit"] == "claim":
            self.cs_claim_done(rec, ctx)
        elif ctx["crit"] == "end":
            self.cs_end_done(rec, ctx)
        elif ctx["crit"] == "suspend":
            self.cs6_done(rec, ctx)
        elif ctx["crit"] == "status":
            self.cs5_done(rec, ctx)
        elif call.get("svc") == "Call_When_Not_Critical":
            # NC-1: no return value: the caller's registers come back unchanged
            for reg in ("eax", "ebx", "ecx", "edx", "esi"):
                if rec.get(reg) != call.get(reg):
                    self.fail("NC-1", rec, f"Call_When_Not_Critical returns {reg.upper()}="
                              f"{rec.get(reg)} (was {call.get(reg)}): it has no return value")
        elif call.get("svc") == "Int2F_1689":
            self.idle5_done(rec, ctx)
        elif call.get("svc") == "Set_Time_Slice_Granularity" and self.granularity is not None:
            self.granularity = min(max(call.num("eax", 0), SLICE_MS_MIN), SLICE_MS_MAX)
        elif call.get("svc") == "Set_Time_Slice_Priority" and rec.get("cf") != "1":
            # SL-1: EAX's time-slice bits become the VM's flags (no VM_STATE record)
            self.ts_flags[self.name_of(call.get("ebx"))] = call.num("eax", 0) & TS_FLAG_BITS

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

    # -- idle table (IDLE-1, IDLE-5) ---------------------------------------------
    def idle1_result(self, rec):
        """IDLE-1: CF set exactly when idle_slots callbacks are installed. Without a
        MACHINE record the size is unknown but fixed: once an install failed (CF set)
        with k installed, every later one fails too."""
        if self.machine is not None:
            n, slots = len(self.idle_list), self.machine["idle_slots"]
            if (rec.get("cf") == "1") != (n >= slots):
                self.fail("IDLE-1", rec, f"Call_When_Idle returns CF={rec.get('cf')} with {n} "
                          f"callback(s) installed in a table of idle_slots={slots}")
            return
        if rec.get("cf") == "1":
            if self.idle_cap is None:
                self.idle_cap = len(self.idle_list)
        elif self.idle_cap is not None:
            self.fail("IDLE-1", rec, f"Call_When_Idle installs (CF clear) after an install "
                      f"failed with {self.idle_cap} installed: the table is full")

    def idle_expected(self, rec):
        """IDLE-5: a kernel idle signal with every other VM idle or suspended runs the
        chain again from the first installed callback."""
        if rec.get("svc") != "Int2F_1689" or rec.get("vm") != self.system_vm:
            return False
        busy = [n for n, v in self.vms.items()
                if n != self.system_vm and not v["idle"] and v["suspend"] == 0]
        return bool(self.idle_list) and not busy

    def idle5_done(self, rec, ctx):
        if ctx["idle_chain"] and self.idle_pos == 0:
            self.fail("IDLE-5", rec, f"kernel idle with every other VM idle, "
                      f"{len(self.idle_list)} idle callback(s) installed, but none ran")
        elif 0 < self.idle_pos < len(self.idle_list) and not self.idle_done:
            self.fail("IDLE-3", rec, f"the idle chain stops after {self.idle_pos} callback(s) "
                      f"without one returning CF clear ({len(self.idle_list)} installed)")

    # -- time slicer (SL-1) -------------------------------------------------------
    def on_list(self, vm):
        """On the time-slice list: the focus VM, and VMs with Background or
        High_Pri_Back, unless the focus VM is Exclusive."""
        if self.ts_flags.get(self.focus, 0) & TS_EXCLUSIVE:
            return vm == self.focus
        return vm == self.focus or bool(self.ts_flags.get(vm, 0) & (TS_BACKGROUND | TS_HIGH_PRI_BACK))

    def scheduled(self, vm):
        v = self.vm(vm)
        return self.on_list(vm) and v["suspend"] == 0 and not v["blocked"] and not v["idle"]

    def on_slice(self, rec):
        op, vm = rec.get("op"), rec.get("vm")
        if self.granularity is not None and rec.num("granularity") != self.granularity:
            self.fail("SL-1", rec, f"SLICE says granularity {rec.get('granularity')} ms, the "
                      f"machine's is {self.granularity} ms (time_slice_ms or the last "
                      "Set_Time_Slice_Granularity)")
        if op == "focus":
            self.focus = vm
        elif op in ("adjust", "release"):
            self.credit[vm] = rec.num("credit", 0)
        elif op == "start":
            self.sl_start(rec, vm)

    def sl_start(self, rec, vm):
        if self.machine is not None and not self.machine["time_slicing"]:
            self.fail("SL-1", rec, f"slice of {vm} starts, but MACHINE says time_slicing=0")
        holders = [n for n, b in self.slice_boost.items() if b]
        if holders:
            self.fail("SL-1", rec, f"slice of {vm} starts while {holders[0]} still holds "
                      "Cur_Run_VM_Boost")
        if not self.scheduled(vm):
            self.fail("SL-1", rec, f"slice given to {vm}, which is not scheduled (on the list, "
                      "ready and not idle)")
        prev = self.slice["vm"] if self.slice else None
        if prev in self.vm_order and vm in self.vm_order:
            # round robin in VM order: a VM between the two is not scheduled or owes time
            i, j, n = self.vm_order.index(prev), self.vm_order.index(vm), len(self.vm_order)
            for k in range(1, (j - i) % n or n):
                w = self.vm_order[(i + k) % n]
                if self.scheduled(w) and self.credit.get(w, 0) >= 0:
                    self.fail("SL-1", rec, f"slice goes from {prev} to {vm}, passing over "
                              f"{w}, which is scheduled and owes no time")
                    break
        gran = self.granularity if self.granularity is not None else rec.num("granularity", 0)
        credit, cycles = rec.num("credit", 0), rec.num("cycles", 0)
        if self.clock_hz and credit >= 0 and cycles * 1000 < gran * self.clock_hz:
            self.fail("SL-1", rec, f"slice of {cycles} cycles is shorter than the granularity "
                      f"({gran} ms)")
        self.credit[vm] = 0
        self.slice_serial += 1
        self.slice = {"vm": vm, "serial": self.slice_serial, "cycle": rec.cycle, "cycles": cycles}
        self.slice_owed = vm

    def sl_priority(self, rec, vm, boost):
        if boost not in (CUR_RUN_VM_BOOST, -CUR_RUN_VM_BOOST):
            self.fail("SL-1", rec, f"slice boost of {boost}, expected +-{CUR_RUN_VM_BOOST}")
            return
        if boost > 0:
            if self.slice_owed != vm:
                self.fail("SL-1", rec, f"Cur_Run_VM_Boost given to {vm} without its SLICE op=start"
                          f"{'' if self.slice else ' (the time slicer is off)'}")
            self.slice_owed = None
        elif self.slice_boost.get(vm, 0) <= 0:
            self.fail("SL-1", rec, f"Cur_Run_VM_Boost removed from {vm}, which does not hold it")
        self.slice_boost[vm] = self.slice_boost.get(vm, 0) + boost

    def sl_event(self, rec):
        s, k = self.slice, rec.num("index", -1)
        if s is None:
            self.fail("SL-1", rec, "a time slice ends, but none started (the time slicer is off)")
        elif k != s["serial"]:
            self.fail("SL-1", rec, f"slice {k} ends, the current slice is {s['serial']}")
        elif rec.cycle < s["cycle"] + s["cycles"]:
            self.fail("SL-1", rec, f"slice {k} of {s['vm']} ends at cycle {rec.cycle}, before "
                      f"its {s['cycles']} cycles from {s['cycle']}")

    def sl_boundary(self, rec):
        """SL-1: one VM at a time holds Cur_Run_VM_Boost: the current slice's."""
        if self.slice_owed is not None:
            self.fail("SL-1", rec, f"slice of {self.slice_owed} started without Cur_Run_VM_Boost")
            self.slice_owed = None
        for vm, b in sorted(self.slice_boost.items()):
            if b and (b != CUR_RUN_VM_BOOST or self.slice is None or self.slice["vm"] != vm):
                self.fail("SL-1", rec, f"{vm} holds slice boost {b} outside its slice")
                self.slice_boost[vm] = 0   # report once

    # ---- nested execution, V86 call-backs and break points (NX-1 … NX-4, VCB-1 … VCB-3)

    NX_BLOCK_SVCS = ("Exec_Int", "Resume_Exec", "End_Nest_Exec")
    NX_PARK_SVCS = ("Exec_Int", "Resume_Exec")

    def nx_floor(self, vm):
        p = self.nx_parked.get(vm)
        return p[-1][1] if p else 0

    def nx_depth_of(self, vm):
        """Depth of the innermost callback open in vm's context (0: none)."""
        for i in range(len(self.cb_stack) - 1, -1, -1):
            if self.cb_stack[i][3] == vm:
                return self.cb_enter[i].num("depth", 0)
        return 0

    def nx_service(self, rec):
        svc, vm = rec.get("svc"), rec.get("vm")
        if svc in self.NX_BLOCK_SVCS and self.nx_blocks.get(vm, 0) <= 0:
            self.fail("NX-3", rec, f"{svc} of {vm} outside a nested execution block")
        if svc in ("Begin_Nest_Exec", "Begin_Nest_V86_Exec"):
            self.nx_blocks[vm] = self.nx_blocks.get(vm, 0) + 1
        elif svc == "End_Nest_Exec":
            self.nx_blocks[vm] = self.nx_blocks.get(vm, 0) - 1
        if svc in self.NX_PARK_SVCS:
            self.nx_parked.setdefault(vm, []).append((svc, self.nx_depth_of(vm)))
        if svc == "Exec_Int":
            self.nx_execint = (vm, rec.num("eax"), rec.index)
        if svc in ("Allocate_V86_Call_Back", "Install_V86_Break_Point", "Remove_V86_Break_Point",
                   "Call_When_VM_Returns"):
            self.nx_pending = rec

    def nx_svc_ret(self, rec):
        svc, vm = rec.get("svc"), rec.get("vm")
        if svc in self.NX_PARK_SVCS:
            b = self.nx_break
            if b is None or b[0] != vm or b[1] != svc or b[2] + 1 != rec.index:
                self.fail("NX-1", rec, f"{svc} of {vm} returns without its VM reaching the nest's "
                          "break point (CLIENT op=break vector=0x00 right before)")
            self.nx_break = None
        call, self.nx_pending = self.nx_pending, None
        if call is None or call.get("svc") != svc or rec.get("cf") == "1":
            return
        if svc == "Allocate_V86_Call_Back":
            self.nx_cbs.append((rec.num("eax"), call.num("esi"), call.num("edx")))
        elif svc == "Install_V86_Break_Point":
            self.nx_bps[(vm, call.num("eax"))] = (call.num("esi"), call.num("edx"))
            self.nx_removed.discard((vm, call.num("eax")))
        elif svc == "Call_When_VM_Returns":
            k = next(i for i in range(len(self.nx_rets) + 1) if i not in self.nx_rets)
            to = call.num("eax")
            self.nx_rets[k] = {"vm": vm, "cb": call.num("esi"), "ref": call.num("edx"),
                               "to": to - (1 << 32) if to >= 1 << 31 else to, "state": "armed"}
        elif svc == "Remove_V86_Break_Point" and self.nx_bps.pop((vm, call.num("eax")), None):
            self.nx_removed.add((vm, call.num("eax")))

    def nx_client(self, rec, op, vm):
        x = self.nx_execint
        if op == "execint":
            if x is None or x[0] != vm or x[2] + 1 != rec.index or x[1] != rec.num("vector"):
                self.fail("NX-2", rec, f"{vm}'s vector {rec.get('vector')} entered without its "
                          "Exec_Int right before (SERVICE Exec_Int with that EAX)")
            self.nx_execint = None
        elif x is not None:
            self.fail("NX-2", rec, f"Exec_Int of {x[0]} does not enter the VM's vector at once")
            self.nx_execint = None
        if op != "break":
            return
        kind, at = rec.num("vector"), rec.num("cs") << 16 | rec.num("ip")
        if kind == 0:
            p = self.nx_parked.get(vm)
            if not p:
                self.fail("NX-1", rec, f"{vm} reaches the nest's break point with no Resume_Exec "
                          "or Exec_Int waiting")
                return
            self.nx_break = (vm, p.pop()[0], rec.index)
        elif kind == 3:
            self.nx_ret_break(rec, vm, at)
        elif kind == 1:
            want = next((c for c in self.nx_cbs if c[0] == at), None)
            if want is None or want[1] != rec.num("target"):
                self.fail("VCB-1", rec, f"{vm} enters a V86 call-back at {at:#010x} that "
                          "Allocate_V86_Call_Back did not hand out for that callback")
            self.nx_v86 = (vm, "VCB-1", want, rec.index)
        else:
            want = self.nx_bps.get((vm, at))
            if want is None and (vm, at) in self.nx_removed:
                self.fail("VCB-3", rec, f"{vm} breaks at {at:#010x} after its break point was "
                          "removed (the original byte is back)")
            elif want is None or want[0] != rec.num("target"):
                self.fail("VCB-2", rec, f"{vm} breaks at {at:#010x}, where no break point with "
                          "that callback is installed")
            self.nx_v86 = (vm, "VCB-2", want and (at, want[0], want[1]), rec.index)

    def nx_cb_enter(self, rec):
        vm, kind = rec.get("vm"), rec.get("kind")
        if self.nx_parked.get(vm) and rec.num("depth", 0) <= self.nx_floor(vm):
            self.fail("NX-4", rec, f"callback {rec.get('cb')} runs in {vm}'s context at depth "
                      f"{rec.get('depth')}, not above the VxD parked in "
                      f"{self.nx_parked[vm][-1][0]} (depth {self.nx_floor(vm)})")
        w, self.nx_v86 = self.nx_v86, None
        if kind != "v86cb":
            if w is not None:
                self.fail(w[1], rec, f"{w[0]}'s break is not followed by its callback")
            return
        if w is None and self.nx_ret_timeout_call(rec, vm):
            return
        if w is None or w[0] != vm or w[3] + 1 != rec.index:
            self.fail("VCB-1", rec, f"V86 callback {rec.get('cb')} entered without a CLIENT "
                      "op=break right before")
        elif w[2] is not None:
            if rec.num("addr") != w[2][1] or rec.num("eax") != w[2][0]:
                self.fail(w[1], rec, f"{rec.get('cb')} entered for the break at {w[2][0]:#010x} "
                          f"with EAX {rec.get('eax')}")
            self.check_cb_regs(rec, w[1], vm, w[2][2])

    RET_BP = 0xF000FE80

    def nx_ret_event(self, rec):
        """VCB-4: a Call_When_VM_Returns time-out falls due (EVENT kind=return_timeout)."""
        r = self.nx_rets.get(rec.num("index", -1))
        if r is None or r["to"] == 0 or r["state"] != "armed":
            self.fail("VCB-4", rec, "a Call_When_VM_Returns time-out falls due with none armed "
                      "in that slot (no time-out, already returned or already due)")
            return
        r["state"] = "fired"

    def nx_ret_timeout_call(self, rec, vm):
        """A v86cb entered without a break: the time-out call of a fired slot (CF set)."""
        k = (rec.num("eax") - self.RET_BP) // 2
        r = self.nx_rets.get(k)
        if r is None or r["vm"] != vm or r["cb"] != rec.num("addr") or r["state"] != "fired":
            self.fail("VCB-4", rec, f"{rec.get('cb')} is called as a Call_When_VM_Returns "
                      "time-out without its time-out falling due")
            return True
        r["state"] = "called"
        self.check_cb_regs(rec, "VCB-4", vm, r["ref"])
        return True

    def nx_ret_break(self, rec, vm, at):
        """VCB-4: the IRET reached the break point: the callback, unless a positive
        time-out's call came first."""
        k = (at - self.RET_BP) // 2
        r = self.nx_rets.pop(k, None)
        if r is None or r["vm"] != vm:
            self.fail("VCB-4", rec, f"{vm} returns through {at:#010x}, where no Call_When_VM_Returns "
                      "of it waits")
            return
        call = not (r["to"] > 0 and r["state"] == "called")
        if rec.num("target") != (r["cb"] if call else 0):
            self.fail("VCB-4", rec, f"the IRET {'calls' if rec.num('target') else 'skips'} "
                      f"{r['cb']:#010x} (time-out {r['to']} ms, {r['state']})")
        if call:
            self.nx_v86 = (vm, "VCB-4", (at, r["cb"], r["ref"]), rec.index)

    def nx_cb_return(self, rec, enter):
        vm = enter.get("vm")
        if self.nx_parked.get(vm) and enter.num("depth", 0) == self.nx_floor(vm):
            self.fail("NX-1", rec, f"{enter.get('cb')} returns while parked in "
                      f"{self.nx_parked[vm][-1][0]}")

    def nx_end(self, rec):
        for vm, p in sorted(self.nx_parked.items()):
            if p:
                self.fail("NX-1", rec, f"the run ends with {vm}'s VxD parked in {p[-1][0]}")
    # -- the VM lifecycle, VML-1 .. VML-4 (docs/vmm.md, "The VM lifecycle") -----------
    # A separate block: life_record sees every record before its handler.
    #   VML-1 a destroyed VM's VM events, priority events and VM time-outs: each one
    #         the VMM cancels (outside any callback) after its last Destroy_VM follows a
    #         FINDING rule=VML-1 what=pending_at_destroy naming it, none is left pending
    #         at its VM_STATE destroy, none runs after; a global time-out / event set
    #         with a live VM's handle as reference data that runs after that VM was
    #         destroyed is followed (right after its CB_ENTER) by FINDING rule=VML-1
    #         what=fired_after_destroy, or rule=VML-3 when the handle now names another
    #         VM (handle reuse; the finding names both), and no such finding otherwise;
    #   VML-2 a service given a destroyed VM's handle in EBX (path not stim) is followed
    #         by FINDING rule=VML-2 and returns CF set; no VML-2 follows a live handle.
    def life_init(self):
        self.life_dead = set()      # names of destroyed VMs
        self.life_ref = {}          # global time-out / event handle -> VM its ref named
        self.life_owed = None       # (rule, text) the next finding must be
        self.life_flagged = set()   # handles a VML-1 pending_at_destroy finding named
        self.life_svc = None        # (SERVICE record, stale VM or None) awaiting VML-2 / SVC_RET
        self.life_going = set()     # VMs sent Destroy_VM and not yet VM_STATE destroy
        self.life_msgs = {}         # VM -> its lifecycle message tokens (VML-4)

    # VML-4 the lifecycle's control messages in the DDK's order (docs/vmm.md): per VM,
    # its messages (consecutive repeats, one per VxD, merged) from creation to its
    # VM_STATE destroy are Create_VM VM_Critical_Init VM_Init, any VM_Suspend /
    # VM_Resume, then a normal close ([Close_VM_Notify] VM_Terminate VM_Not_Executeable
    # with flags 0, Destroy_VM), a kill (VM_Not_Executeable VNE_Crashed or VNE_Nuked,
    # no VM_Terminate, Destroy_VM), or a failed creation (VM_Not_Executeable with the
    # flag of the message that failed, Destroy_VM); no message for a destroyed VM;
    # Sys_VM_Terminate only once every other VM is destroyed.
    LIFE_TOKENS = {"Create_VM": "C", "VM_Critical_Init": "K", "VM_Init": "I",
                   "VM_Suspend": "S", "VM_Resume": "R", "Close_VM_Notify": "N",
                   "VM_Terminate": "T", "VM_Not_Executeable": "X", "Destroy_VM": "D"}
    LIFE_ORDER = re.compile(r"^(CKI[SR]*(N?TX0|X1|X2)|CX4|CKX8|CKIX10)D$")

    def life_control(self, rec):
        vm, msg = rec.get("vm"), rec.get("msg")
        if vm in self.life_dead:
            self.fail("VML-4", rec, f"{msg} sent for destroyed VM {vm}")
        if msg == "Sys_VM_Terminate":
            live = [n for n in self.vm_order if n != self.system_vm and n not in self.life_dead]
            if live:
                self.fail("VML-4", rec, f"Sys_VM_Terminate while {live[0]} exists")
        tok = self.LIFE_TOKENS.get(msg)
        if tok is None:
            return
        if tok == "X":
            tok += format(rec.num("flags", 0), "x")
        seq = self.life_msgs.setdefault(vm, [])
        if not seq or seq[-1] != tok:
            seq.append(tok)

    def life_pending(self, vm):
        evs = [h for h, e in self.events.items()
               if e["vm"] == vm and e["kind"] in ("vm", "priority") and e["state"] == "pending"]
        tos = [h for h, t in self.timeouts.items()
               if t["vm"] == vm and t["kind"] == "vm" and t["state"] in ("set", "due")]
        return evs + tos

    def life_record(self, rec):
        t = rec.type
        if self.life_owed is not None and t not in ("FINDING", "CB_ENTER", "CHECKPOINT"):
            self.fail(self.life_owed[0], rec, self.life_owed[1])
            self.life_owed = None
        if t == "FINDING" and rec.get("rule", "").startswith("VML-"):
            self.life_finding(rec)
        elif t == "VM_STATE" and rec.get("state") == "destroy":
            vm = self.vm(rec.get("vm"))
            left = self.life_pending(rec.get("vm"))
            if left:
                self.fail("VML-1", rec, f"{rec.get('vm')} destroyed with {len(left)} VM event(s) / "
                          f"time-out(s) still pending ({left[0]:#010x})")
            vm["suspend"] = rec.num("suspend", vm["suspend"])
            seq = "".join(self.life_msgs.get(rec.get("vm"), []))
            if not self.LIFE_ORDER.match(seq):
                self.fail("VML-4", rec, f"{rec.get('vm')} destroyed after the messages {seq or 'none'}"
                          " (C Create_VM, K VM_Critical_Init, I VM_Init, S/R VM_Suspend/Resume, "
                          "N Close_VM_Notify, T VM_Terminate, X<flags> VM_Not_Executeable, D Destroy_VM)")
            self.life_dead.add(rec.get("vm"))
            self.life_going.discard(rec.get("vm"))
        elif t == "CONTROL":
            self.life_control(rec)
            if rec.get("msg") == "Destroy_VM":
                self.life_going.add(rec.get("vm"))
        elif t in ("EV", "TIMEOUT"):
            self.life_callback(rec)
        elif t == "SERVICE":
            self.life_service(rec)
        elif t == "SVC_RET" and self.life_svc is not None:
            call, stale = self.life_svc
            if rec.get("svc") == call.get("svc") and stale is not None and rec.get("cf") != "1":
                self.fail("VML-2", rec, f"{call.get('svc')} with the stale handle of {stale} "
                          "returns CF clear")
            self.life_svc = None

    def life_callback(self, rec):
        op, kind, h, vm = rec.get("op"), rec.get("kind"), rec.num("handle", 0), rec.get("vm")
        ref = rec.num("ref")
        if op in ("set", "schedule") and kind == "global" and ref in self.by_handle:
            if self.by_handle[ref] not in self.life_dead:
                self.life_ref[h] = self.by_handle[ref]
        elif op == "cancel" and not self.cb_stack and vm in self.life_going:
            if h not in self.life_flagged:
                self.fail("VML-1", rec, f"the VMM cancels {vm}'s {h:#010x} without a FINDING "
                          "rule=VML-1")
        elif op in ("run", "call", "timeout") and vm in self.life_dead:
            self.fail("VML-1", rec, f"a callback of destroyed VM {vm} runs")
        elif op in ("run", "call") and h in self.life_ref:
            was, now = self.life_ref.pop(h), self.by_handle.get(ref)
            if was in self.life_dead and now != was and now not in self.life_dead:
                self.life_owed = ("VML-3", f"{rec.get('cb')} runs with {was}'s old handle, now "
                                  f"{now}'s, and no FINDING rule=VML-3 follows")
            elif was in self.life_dead:
                self.life_owed = ("VML-1", f"{rec.get('cb')} runs for destroyed VM {was} and no "
                                  "FINDING rule=VML-1 follows")

    def life_service(self, rec):
        h = rec.num("ebx")
        stale = None
        if rec.get("svc") in VML_VM_SERVICES and rec.get("path") != "stim" and h in self.by_handle:
            if self.by_handle[h] in self.life_dead:
                stale = self.by_handle[h]
                self.life_owed = ("VML-2", f"{rec.get('svc')} called with the handle of destroyed "
                                  f"VM {stale} and no FINDING rule=VML-2 follows")
        self.life_svc = (rec, stale)

    def life_finding(self, rec):
        rule, owed = rec.get("rule"), self.life_owed
        if rule == "VML-1" and rec.get("what") == "pending_at_destroy":
            h = rec.num("handle", 0)
            if h not in self.life_pending(rec.get("vm")):
                self.fail("VML-1", rec, f"FINDING rule=VML-1 for {h:#010x}, not a pending VM "
                          f"event or time-out of {rec.get('vm')}")
            self.life_flagged.add(h)
            return
        if owed is None or owed[0] != rule:
            self.fail(rule, rec, f"FINDING rule={rule} where the model expects "
                      f"{'none' if owed is None else owed[0]}")
        elif rule == "VML-2" and self.life_svc and rec.get("svc") != self.life_svc[0].get("svc"):
            self.fail(rule, rec, f"FINDING rule=VML-2 names {rec.get('svc')}, the call was "
                      f"{self.life_svc[0].get('svc')}")
        self.life_owed = None

    HANDLERS = {
        "VM_STATE": on_vm_state, "TASK_SWITCH": on_task_switch, "PRIORITY": on_priority,
        "CRIT": on_crit, "SERVICE": on_service, "SVC_RET": on_svc_ret,
        "CB_ENTER": on_cb_enter, "CB_RETURN": on_cb_return,
        "BOOT": on_boot, "EVENT": on_event, "EV": on_ev, "TIMEOUT": on_timeout,
        "IRQ": on_irq, "FINDING": on_finding, "CHOICE": on_choice, "END": on_end,
        "SLICE": on_slice, "MACHINE": on_machine, "CLIENT": on_client,
    }

    def run(self, records):
        last = None
        self.life_init()
        for rec in records:
            self.life_record(rec)   # VML-1 .. VML-3
            if last is not None and rec.cycle != last:
                self.boundary(rec)
            last = rec.cycle
            self.int_progress(rec)
            if self.table_install is not None and rec.type != "CHECKPOINT":
                self.table_check(rec)
            if rec.type in ("FINDING", "END"):
                self.HANDLERS[rec.type](self, rec)
                continue
            if rec.type not in ("CB_RETURN", "CHECKPOINT"):
                self.last_return = None   # CB-1 findings come right after their return
            if rec.type == "CHECKPOINT":
                continue
            if self.cl_hlt_idle is not None and rec.type != "CLIENT":
                self.cl_hlt_state(rec)
            if not (rec.type == "CB_ENTER" and rec.get("kind") == "ts"):
                self.ts_check_done(rec)
            self.iot.observe(rec)
            h = self.HANDLERS.get(rec.type)
            if h:
                h(self, rec)
            self.hk.on(rec)
        return self.violations


# ---- I/O trapping (IOT-1 … IOT-6; docs/vmm.md, "I/O trapping") ----------------------
# A block of its own: Model.run hands it every record (Model.iot). It tracks the
# installed handlers and the trapping state per VM from the services' SERVICE/SVC_RET
# records, and each trapped instruction from its IOTRAP op=fault to its op=done.

IOT_PORTS_MAX = 128          # VMM_TRAP_PORTS_MAX: the handler table's size
IOT_ENTRY, IOT_CB_CALL = 119, 9   # VMM_CYC_V86_ENTRY, VMM_CYC_CB_CALL


class IotModel:
    """IOT-1 install results; IOT-2 handler entry registers; IOT-3 the bitmap (a fault
    only on a port trapped in its VM, client IN/OUT on one never reaches the bus);
    IOT-4 the byte breakdown and its order; IOT-5 no fault while VxD code runs; IOT-6
    the VMM entry's cost before the first handler call."""

    def __init__(self, model):
        self.m = model
        self.handler = {}      # port -> handler address (None: installed by a table)
        self.glob = {}         # port -> global state (new VMs, and every VM's default)
        self.local = {}        # (port, vm) -> state set since the last global change
        self.open = {}         # vm -> the trapped instruction in progress (dict)
        self.call = None       # (IOTRAP op=call, vm): its CB_ENTER comes next
        self.order = 0         # the last io-order CHOICE's answer, for the next element
        self.installs = []     # IOTRAP op=install records of the open install service

    def trapped(self, port, vm):
        if port not in self.handler:
            return False
        return self.local.get((port, vm), self.glob.get(port, True))

    def vxd_code(self, vm):
        """VxD code runs for vm: it has an open callback (its client code cannot run)."""
        return any(ctx == vm for _, _, _, ctx in self.m.cb_stack)

    def observe(self, rec):
        h = {"SVC_RET": self.svc_ret, "IOTRAP": self.iotrap, "CB_ENTER": self.cb_enter,
             "CB_RETURN": self.cb_return, "IO": self.io, "CHOICE": self.choice}.get(rec.type)
        if self.call is not None and rec.type != "CB_ENTER":
            self.m.fail("IOT-2", rec, "IOTRAP op=call is not followed by its handler's CB_ENTER")
            self.call = None
        if h:
            h(rec)

    def svc_ret(self, rec):
        stack = self.m.svc_stack.get(rec.get("vm"), [])
        call = stack[-1] if stack else None   # Model pops it after this
        svc = rec.get("svc")
        if call is None or call.get("svc") != svc:
            return
        port = call.num("edx", 0) & 0xFFFF
        last, self.installs = (self.installs[-1] if self.installs else None), []
        if svc in ("Install_IO_Handler", "Install_Mult_IO_Handlers"):
            refused = last is not None and last.get("ok") == "0"
            if (rec.get("cf") == "1") != refused:
                self.m.fail("IOT-1", rec, f"{svc} returned CF={rec.get('cf')}, its last install "
                            f"was {'refused' if refused else 'accepted'}")
            if svc == "Install_Mult_IO_Handlers" and refused and rec.num("edx") != last.num("port"):
                self.m.fail("IOT-1", rec, f"Install_Mult_IO_Handlers returned EDX={rec.get('edx')}, the "
                            f"refused port is {last.get('port')}")
        elif svc in ("Enable_Global_Trapping", "Disable_Global_Trapping"):
            self.glob[port] = svc.startswith("Enable")
            for key in [k for k in self.local if k[0] == port]:
                del self.local[key]
        elif svc in ("Enable_Local_Trapping", "Disable_Local_Trapping"):
            self.local[(port, self.m.name_of(call.get("ebx")))] = svc.startswith("Enable")

    def install(self, rec, port):
        refuse = port in self.handler or len(self.handler) >= IOT_PORTS_MAX
        if (rec.get("ok") == "0") != refuse:
            self.m.fail("IOT-1", rec, f"install of port 0x{port:04x} ok={rec.get('ok')}, expected "
                        f"{int(not refuse)} ({len(self.handler)} installed"
                        f"{', the port has one' if port in self.handler else ''})")
        if not refuse:
            self.handler[port], self.glob[port] = rec.num("addr"), True
        self.installs.append(rec)

    def iotrap(self, rec):
        op, vm, port = rec.get("op"), rec.get("vm"), rec.num("port")
        if op == "install":
            self.install(rec, port)
        elif op == "fault":
            self.fault(rec, vm, port)
        elif op == "call":
            self.byte(rec, vm, port, True)
            self.call = (rec, vm)
        elif op == "done":
            t = self.open.pop(vm, None)
            if t is None:
                self.m.fail("IOT-2", rec, f"IOTRAP op=done without a trapped instruction of {vm}")
            elif t["left"] > 0:
                self.m.fail("IOT-4", rec, f"the trapped instruction of {vm} ended with {t['left']} "
                            "element(s) not done")
            elif t["dir"] == "in" and not t["string"] and rec.num("value") != t["last"]:
                self.m.fail("IOT-2", rec, f"{vm}'s IN got 0x{rec.num('value'):x}, its bytes were "
                            f"0x{t['last']:x}")

    def fault(self, rec, vm, port):
        size, count = rec.num("size"), rec.num("count")
        if vm in self.open:
            self.m.fail("IOT-2", rec, f"{vm} faults while its trapped instruction is not done")
        if self.vxd_code(vm):
            self.m.fail("IOT-5", rec, f"an I/O trap of {vm} while VxD code runs for it")
        if not any(self.trapped((port + b) & 0xFFFF, vm) for b in range(size)):
            self.m.fail("IOT-3", rec, f"{vm} faults on port 0x{port:04x} (size {size}), trapped in "
                        "no byte for it")
        self.open[vm] = {"port": port, "size": size, "dir": rec.get("dir"), "left": count,
                         "string": rec.get("string") == "1", "k": 0, "val": 0, "last": 0,
                         "cycle": rec.cycle, "first": True, "desc": False}

    def byte(self, rec, vm, port, call):
        """A byte access of vm's open instruction: the next one in order (IOT-4), to the
        handler exactly when its port is trapped in vm (IOT-3)."""
        t = self.open.get(vm)
        if t is None:
            self.m.fail("IOT-2", rec, f"a handler call for {vm} outside a trapped instruction")
            return
        if t["k"] == 0:
            t["desc"], self.order = self.order == 1, 0
            t["val"] = 0
        b = t["size"] - 1 - t["k"] if t["desc"] else t["k"]
        want = (t["port"] + b) & 0xFFFF
        if port != want or t["left"] <= 0:
            self.m.fail("IOT-4", rec, f"{vm}'s byte access to port 0x{port:04x}, expected 0x{want:04x} "
                        f"({'descending' if t['desc'] else 'ascending'}, {t['left']} element(s) left)")
        elif self.trapped(port, vm) != call:
            self.m.fail("IOT-3", rec, f"port 0x{port:04x} is {'' if self.trapped(port, vm) else 'not '}"
                        f"trapped in {vm}, its byte went to the {'handler' if call else 'bus'}")
        if call:
            if rec.num("iotype") != (4 if t["dir"] == "out" else 0):
                self.m.fail("IOT-4", rec, f"handler type 0x{rec.num('iotype'):02x} for a byte "
                            f"{t['dir']}put (Byte_Input 0, Byte_Output 4)")
            if rec.num("addr") != self.handler.get(port):
                self.m.fail("IOT-2", rec, f"port 0x{port:04x}'s handler is {self.handler.get(port)}, "
                            f"the VMM called {rec.get('addr')}")
            if t["first"] and rec.cycle != t["cycle"] + IOT_ENTRY:
                self.m.fail("IOT-6", rec, f"first handler call {rec.cycle - t['cycle']} cycles after "
                            f"the fault, expected the VMM entry's {IOT_ENTRY}")
        t["first"] = False
        t["hb"] = b

    def done_byte(self, vm, value):
        t = self.open.get(vm)
        if t is None:
            return
        t["val"] |= (value & 0xFF) << (8 * t.get("hb", 0))
        t["k"] += 1
        if t["k"] >= t["size"]:
            t["k"], t["last"] = 0, t["val"]
            t["left"] -= 1

    def cb_enter(self, rec):
        if rec.get("kind") != "iotrap":
            return
        if self.call is None:
            self.m.fail("IOT-2", rec, "a port-trap handler entered without its IOTRAP op=call")
            return
        call, vm = self.call
        self.call = None
        want = {"vm": vm, "edx": f"0x{call.num('port'):08x}",
                "eax": f"0x{call.num('value') if call.num('iotype') == 4 else 0:08x}",
                "ebx": f"0x{(self.m.vms.get(vm, {}).get('handle') or 0):08x}"}
        if self.m.vms.get(vm, {}).get("handle") is None:
            del want["ebx"]
        for k, v in want.items():
            if rec.get(k) != v:
                self.m.fail("IOT-2", rec, f"handler entered with {k}={rec.get(k)}, expected {v}")
        if rec.num("addr") != call.num("addr") or rec.cycle != call.cycle + IOT_CB_CALL:
            self.m.fail("IOT-2", rec, f"entered {rec.get('addr')} {rec.cycle - call.cycle} cycles after "
                        f"the call of {call.get('addr')} (expected {IOT_CB_CALL}: the VMM's CALL)")

    def cb_return(self, rec):
        if rec.get("kind") != "iotrap":
            return
        vm = rec.get("vm")
        t = self.open.get(vm)
        if t is not None:
            self.done_byte(vm, rec.num("eax", 0) if t["dir"] == "in" else 0)

    def io(self, rec):
        vm, port = rec.get("vm"), rec.num("port")
        if vm in self.open and not self.vxd_code(vm):
            self.byte(rec, vm, port, False)
            self.done_byte(vm, rec.num("value", 0))
        elif not self.vxd_code(vm) and self.trapped(port, vm):
            self.m.fail("IOT-3", rec, f"{vm}'s client code reached the bus on port 0x{port:04x}, "
                        "which is trapped in it")

    def choice(self, rec):
        if rec.get("kind") == "io-order":
            self.order = rec.num("chosen", 0)

# ---- V86 interrupt hooks and the Simulate_* services (HK-1 … HK-4, SIM-1 … SIM-5) ----
# A block of its own: the Model calls HookModel.on(rec) after each record; the state
# here is only what these rules need (docs/vmm.md, "V86 interrupt hooks", "Changing
# client execution").

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
