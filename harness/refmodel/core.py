"""The core of the reference model: the VM state a trace implies, the bookkeeping of
open services and callbacks, and the dispatch of each record to the rule families
(docs/trace-format.md, "Re-checking rules from the text"; docs/vmm.md, "Scheduling
(PRI-1)", "Execution contexts and callbacks").

  PRI-1 at every cycle boundary the current VM has the highest priority among the
        ready VMs (not while interrupt-time code runs: INT-1); a PRIORITY record's
        old= is the priority the model has
  check_cb_regs: a callback's EBX = a VM's handle, EBP = its Client_Reg_Struc
        (handle + 0x80, docs/vmm.md "Memory"), EDX = its install's reference data,
        under the calling family's rule (NC-4, IDLE-4, VCB-1 … VCB-4)

Every other rule is checked by its family's module, a mixin of Model (the family's
state is set up by its _init_<family>(), its checks are its methods):

  machine.py     MACHINE, the NC-1 / TS-1 table limits
  cbregs.py      CB-1
  taskswitch.py  TS-1
  crit.py        CS-1 … CS-7, NC-1 … NC-4
  idle.py        IDLE-1 … IDLE-5
  events.py      EV-1, EV-2, TO-1
  interrupts.py  INT-1
  client.py      CL-1 … CL-5
  slicer.py      SL-1
  nested.py      NX-1 … NX-4, VCB-1 … VCB-4
  lifecycle.py   VML-1 … VML-4
  iotrap.py      IOT-1 … IOT-6 (IotModel, owned as Model.iot)
  hooks.py       HK-1 … HK-4, SIM-1 … SIM-5 (HookModel, owned as Model.hk)

Only this module imports the families; a family reaches the state of the core and of
the other families through self.
"""
from .cbregs import CallbackRegRules
from .client import ClientRules
from .common import CLIENT_REG_OFFSET
from .crit import CritRules
from .events import EventRules
from .hooks import HookModel
from .idle import IdleRules
from .interrupts import InterruptRules
from .iotrap import IotModel
from .lifecycle import LifecycleRules
from .machine import MachineRules
from .nested import NestedRules
from .slicer import SlicerRules
from .taskswitch import TaskSwitchRules


class Model(MachineRules, CallbackRegRules, TaskSwitchRules, CritRules, IdleRules,
            EventRules, InterruptRules, ClientRules, SlicerRules, NestedRules,
            LifecycleRules):
    """The VMM state implied by the trace so far (docs/trace-format.md, "Re-checking
    rules from the text"). Callbacks are identified by address (CB_ENTER addr= and
    the installing SERVICE's esi=)."""

    # record type -> the method that takes it (FINDING and END: also after a break)
    HANDLERS = {
        "VM_STATE": "on_vm_state", "TASK_SWITCH": "on_task_switch", "PRIORITY": "on_priority",
        "CRIT": "on_crit", "SERVICE": "on_service", "SVC_RET": "on_svc_ret",
        "CB_ENTER": "on_cb_enter", "CB_RETURN": "on_cb_return",
        "BOOT": "on_boot", "EVENT": "on_event", "EV": "on_ev_record", "TIMEOUT": "on_timeout",
        "IRQ": "on_irq", "FINDING": "on_finding", "CHOICE": "on_choice", "END": "on_end",
        "SLICE": "on_slice", "MACHINE": "on_machine", "CLIENT": "on_client_record",
    }

    # EVENT kind= / FINDING rule= -> the family's method that takes it
    EVENT_KINDS = {"iret": "on_iret_event", "iret_timeout": "on_iret_event",
                   "slice": "sl_event", "return_timeout": "nx_ret_event", "tick": "ev_tick"}
    FINDING_RULES = {"CB-1": "cb1_finding", "CS-7": "cs7_finding", "INT-1": "int1_finding"}

    def __init__(self):
        self.vms = {}             # name -> state dict
        self.by_handle = {}       # handle (int) -> name
        self.vm_order = []        # VM names in creation order (EVENT kind=iret index=)
        self.system_vm = None
        self.current = None
        self.cb_stack = []        # open callbacks: (kind, addr, info, VM context)
        self.cb_enter = []        # the CB_ENTER record of each cb_stack entry (same index)
        self.svc_stack = {}       # vm -> open SERVICE records (SVC_RET pairs them)
        self.svc_ctx = {}         # vm -> per open SERVICE: what the call did (see svc_begin)
        self.violations = []
        self.clock_hz = None      # BOOT clock_hz (machine.py's on_boot; TO-1, SL-1 use it)
        for init in (self._init_machine, self._init_cbregs, self._init_taskswitch,
                     self._init_crit, self._init_idle, self._init_events,
                     self._init_interrupts, self._init_client, self._init_slicer,
                     self._init_nested, self._init_life):
            init()
        self.iot = IotModel(self) # IOT-1 … IOT-6 (iotrap.py)
        self.hk = HookModel(self) # HK-1 … HK-4, SIM-1 … SIM-5 (hooks.py)
        self.handlers = {t: getattr(self, name) for t, name in self.HANDLERS.items()}

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

    def top_ctx(self, vm):
        ctxs = self.svc_ctx.get(vm)
        return ctxs[-1] if ctxs else None

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
        self.cs_owner_boost(rec)
        self.ev_boundary(rec)
        self.cs_boundary(rec)
        self.sl_boundary(rec)
        self.cs_obligations(rec)

    # -- records ---------------------------------------------------------------
    def on_vm_state(self, rec):
        name, st = rec.get("vm"), rec.get("state")
        v = self.vm(name)
        self.sl_vm_state(rec, name, st)
        self.cs_vm_state(rec, name, st)
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
        self.cs2_switch(rec, new)
        self.eca_interrupted(rec)
        self.account(rec.cycle)
        self.current = new
        self.ts_switched(old, new)

    def on_priority(self, rec):
        name = rec.get("vm")
        v = self.vm(name)
        old, new, boost = rec.num("old"), rec.num("pri"), rec.num("boost")
        if old is not None and old != v["pri"]:
            self.fail("PRI-1", rec, f"{name}: old priority {old:#x}, the model has {v['pri']:#x}")
        if new is not None:
            v["pri"] = new
        reason = rec.get("reason")
        if reason == "irq":
            self.int_priority(rec, name, boost)
        elif reason == "slice":
            self.sl_priority(rec, name, boost)
        elif reason == "event":
            self.ev_priority(rec, name, boost)
        elif reason == "crit":
            self.cs_priority(rec, name, boost)

    def on_event(self, rec):
        self.dispatch(self.EVENT_KINDS, rec.get("kind"), rec)

    def on_ev_record(self, rec):
        self.cl3_event(rec)   # CL-3 before the event's own rules
        self.on_ev(rec)

    def on_client_record(self, rec):
        self.on_client(rec)
        self.nx_client(rec, rec.get("op"), rec.get("vm"))   # NX-2, NX-1, VCB-*

    def on_finding(self, rec):
        self.dispatch(self.FINDING_RULES, rec.get("rule"), rec)

    def dispatch(self, table, key, rec):
        """Hand rec to the method table names for key (none: the record checks nothing)."""
        name = table.get(key)
        if name is not None:
            getattr(self, name)(rec)

    def on_end(self, rec):
        if rec.get("reason") != "done":
            return
        self.nx_end(rec)
        self.nc_end(rec)
        self.int_end(rec)

    # -- services and callbacks ------------------------------------------------
    def on_service(self, rec):
        self.cl_service(rec)
        self.nx_service(rec)
        self.svc_stack.setdefault(rec.get("vm"), []).append(rec)
        self.svc_ctx.setdefault(rec.get("vm"), []).append(self.svc_begin(rec))
        self.int_service(rec)
        self.eca_interrupted(rec)
        svc = rec.get("svc")
        self.table_limit(rec, svc)
        self.nc_service(rec, svc)
        self.idle_service(rec, svc)

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
        self.idle_svc_ret(rec, call, svc)
        self.ts_svc_ret(rec, call, svc)

    def svc_begin(self, rec):
        """What a SERVICE may do, from the model's state at its entry."""
        ctx = {"rec": rec}
        ctx.update(self.cs_begin(rec))
        ctx["idle_chain"] = self.idle_expected(rec)
        return ctx

    def svc_end(self, rec, call, ctx):
        """A SERVICE returned: its family checks what it did."""
        if ctx is None:
            return
        svc = call.get("svc")
        if ctx["crit"] is not None:
            self.cs_done(rec, ctx)
        elif svc == "Call_When_Not_Critical":
            self.nc1_done(rec, call)
        elif svc == "Int2F_1689":
            self.idle5_done(rec, ctx)
        else:
            self.sl_svc_done(rec, call, svc)

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
            self.idle_cb_return(rec, kind)
            self.ev_cb_return(kind, info)

    # -- the run -----------------------------------------------------------------
    def run(self, records):
        """Checks the records in order; a record the model cannot follow (a field
        missing or of the wrong form, as in a hand-edited or truncated trace) ends the
        check with a TRACE violation naming it, never an exception."""
        last = None
        for rec in records:
            try:
                self.step(rec, last)
            except (TypeError, KeyError, ValueError, IndexError, AttributeError) as e:
                self.fail("TRACE", rec, f"malformed record: the model cannot follow it "
                                        f"({type(e).__name__}: {e})")
                break
            last = rec.cycle
        return self.violations

    def step(self, rec, last):
        self.life_record(rec)   # VML-1 .. VML-3
        if last is not None and rec.cycle != last:
            self.boundary(rec)
        self.int_progress(rec)
        if self.table_install is not None and rec.type != "CHECKPOINT":
            self.table_check(rec)
        if rec.type in ("FINDING", "END"):
            self.handlers[rec.type](rec)
            return
        if rec.type not in ("CB_RETURN", "CHECKPOINT"):
            self.last_return = None   # CB-1 findings come right after their return
        if rec.type == "CHECKPOINT":
            return
        if self.cl_hlt_idle is not None and rec.type != "CLIENT":
            self.cl_hlt_state(rec)
        if not (rec.type == "CB_ENTER" and rec.get("kind") == "ts"):
            self.ts_check_done(rec)
        self.iot.observe(rec)
        h = self.handlers.get(rec.type)
        if h:
            h(rec)
        self.hk.on(rec)
