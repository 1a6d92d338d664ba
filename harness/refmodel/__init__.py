"""Reference model of the VMM's callback rules, written independently of the C code.

It reads a vmmsim trace (text, docs/trace-format.md), rebuilds the VMM state the
trace implies (VMs, priorities, the critical section, the installed callbacks) and
re-checks the rules of docs/vmm.md on every record. One module per part:

  records.py     the trace parser (Record, parse)
  common.py      constants more than one family needs
  core.py        Model: VM states, service / callback bookkeeping, dispatch, PRI-1
  machine.py     BOOT and MACHINE, NC-1 / TS-1 table limits
  cbregs.py      CB-1, callback entry registers
  taskswitch.py  TS-1 task-switch callbacks
  crit.py        CS-1 … CS-7 critical section, NC-1 … NC-4 not-critical callbacks
  idle.py        IDLE-1 … IDLE-5 idle callbacks
  events.py      EV-1, EV-2 events and priority events, TO-1 time-outs
  interrupts.py  INT-1 simulated interrupts and the VPICD
  client.py      CL-1 … CL-5 client code
  slicer.py      SL-1 the time slicer
  nested.py      NX-1 … NX-4 nested execution, VCB-1 … VCB-4 V86 call-backs
  lifecycle.py   VML-1 … VML-4 the VM lifecycle
  iotrap.py      IOT-1 … IOT-6 I/O trapping
  hooks.py       HK-1 … HK-4 V86 interrupt hooks, SIM-1 … SIM-5 Simulate_*

Each module's docstring states its rules. harness/test_refmodel.py shows every check
passing on real traces and failing, with the right rule, on hand-broken ones.

Usage: python3 harness/refmodel.py TRACE...   (exit 1 when a violation is found)
   or: import refmodel; refmodel.check_text(text) -> list of violation messages
"""
from .core import Model
from .records import Record, parse

__all__ = ["Model", "Record", "parse", "check_text", "main"]


def check_text(text):
    """Violations found in a trace's text (a list of messages; empty = all rules hold)."""
    return Model().run(parse(text))


def main(argv):
    """The command line: check each trace file; exit status 1 when any violates a rule."""
    bad = 0
    for path in argv[1:]:
        with open(path) as f:
            v = check_text(f.read())
        for msg in v:
            print(f"{path}: {msg}")
        bad += len(v)
    return 1 if bad else 0

