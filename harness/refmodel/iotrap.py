"""I/O trapping in the reference model (docs/vmm.md, "I/O trapping (IOT-1 … IOT-6)",
"Port I/O"; docs/trace-format.md, "IOTRAP", "IO").

  IOT-1 Install_IO_Handler / Install_Mult_IO_Handlers: an install is refused exactly
        for a port that has a handler or a full table (128); CF (and EDX of the
        multiple install) follow the last install
  IOT-2 a handler is entered right after its IOTRAP op=call (the VMM's CALL's cycles
        later) with EAX = the byte out, EBX = the VM, EDX = the port; an IN gets its
        bytes' value
  IOT-3 the bitmap: a fault only on a port trapped in its VM (global, or local since
        the last global change); client IN/OUT on a trapped port never reaches the bus
  IOT-4 a word / dword access is a byte breakdown in the io-order the CHOICE gave,
        every element done before IOTRAP op=done, handler type Byte_Input 0 /
        Byte_Output 4
  IOT-5 no I/O trap while VxD code runs for the VM
  IOT-6 the first handler call comes the VMM entry's cost after the fault

A small class of its own that the Model owns (Model.iot): Model.run hands it every
record. It tracks the installed handlers and the trapping state per VM from the
services' SERVICE/SVC_RET records, and each trapped instruction from its IOTRAP
op=fault to its op=done.
"""

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
