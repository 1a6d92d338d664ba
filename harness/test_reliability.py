"""Reliability (no crash from any input, no finding lost to any signal, no unbounded
assembly): one test per defect, each failing on a vmmsim that has it."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, run_vmmsim, vmmsim_path

# A VxD whose Device_Init ends a critical section it never began N times (CS-7 each).
CS7_MANY = """\
vms: [ { name: sys, system: true } ]
vxds:
  - name: D
    asm: |
      %include "vmm.inc"
      Control_Proc:
              cmp     eax, Device_Init
              jne     .done
              mov     ecx, {n}
      .l:     push    ecx
              VMMcall End_Critical_Section
              pop     ecx
              loop    .l
      .done:  clc
              ret
"""


def write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_findings_past_the_kept_limit_are_counted_not_dereferenced(tmp_path):
    """Item 1: 300 findings (256 are kept): no crash, the rest reported as not listed,
    the trace and Perfetto files written, the verdict FAIL (unexpected CS-7)."""
    scen = write(tmp_path, "many.yaml", CS7_MANY.replace("{n}", "300"))
    tr, pf = tmp_path / "t.trace", tmp_path / "p.json"
    p = run_vmmsim("run", "--quiet", "--trace", tr, "--perfetto", pf, scen, check_codes=(1,))
    assert "# finding: CS-7: 44 more not listed" in p.stdout, p.stdout[-500:]
    assert "# verdict: FAIL" in p.stdout
    assert tr.read_text().count(" FINDING ") == 300
    json.loads(pf.read_text())
    # Expected, the dropped ones too: PASS.
    ok = write(tmp_path, "ok.yaml", CS7_MANY.replace("{n}", "300") + "expect:\n  - finding: CS-7\n")
    p = run_vmmsim("run", "--quiet", ok, check_codes=(0,))
    assert "44 more not listed (only the first 256 findings are kept; all are in the trace) (expected)" in p.stdout
    p = run_vmmsim("fuzz", "--runs", "3", "--jobs", "1", "--quiet", scen, check_codes=(1,))
    assert "failures=3" in p.stdout


CB_SCEN = """\
vms: [ { name: sys, system: true }, { name: dos1 } ]
vxds:
  - name: DEMO
    asm: |
      %include "vmm.inc"
      Control_Proc:
              clc
              ret
      evil:   VMMcall Get_Cur_VM_Handle
              mov     eax, 10
              mov     esi, {cb}
              {call}
              ret
      ok:     ret
      align 4
      desc:   dw 5, 0
              dd ok, 0, {cb}, 0, 0, 500
timeline:
  - { at: 10000, vm: dos1, do: call(DEMO.evil) }
"""
CB_SERVICES = ["Set_Global_Time_Out", "Set_VM_Time_Out", "Schedule_Global_Event",
               "Schedule_VM_Event", "Call_Global_Event", "Call_VM_Event", "Call_Priority_VM_Event",
               "Call_When_Idle", "Call_When_Not_Critical", "Call_When_Task_Switched"]


@pytest.mark.parametrize("service", CB_SERVICES + ["VPICD_Virtualize_IRQ"])
@pytest.mark.parametrize("cb", ["0", "0x00001000"])
def test_bad_callback_address_is_a_clear_error(tmp_path, service, cb):
    """Item 2: a callback address outside every VxD image (0, low memory) given to any
    service that takes one: a clear error naming the service, the VxD and its label."""
    if service.startswith("VPICD"):
        if cb == "0":
            pytest.skip("a 0 VID_EOI_Proc means none (docs/vmm.md, VPICD)")
        call, what = "mov edi, desc\n              VPICDcall VPICD_Virtualize_IRQ", "VID_EOI_Proc"
    else:
        call, what = "VMMcall " + service, "callback (ESI)"
    scen = write(tmp_path, "cb.yaml", CB_SCEN.replace("{cb}", cb).replace("{call}", call))
    p = run_vmmsim("run", "--quiet", scen, check_codes=(3,))
    want = (f"{service}: {what} 0x{int(cb, 16):08x} is not in any VxD's image "
            "(called by VxD DEMO at DEMO.evil+")
    assert want in p.stderr, p.stderr
    assert "Assertion" not in p.stderr and "exception 6" not in p.stderr


def test_guest_fault_is_named_by_mnemonic_and_label(tmp_path):
    """Item 8: "#GP(0x1234) at DEMO.evil+7", not "exception 13 at 0x00100009"."""
    scen = write(tmp_path, "gp.yaml", CB_SCEN.replace("{cb}", "ok").replace(
        "{call}", "mov ax, 0x1234\n              mov ds, ax"))
    p = run_vmmsim("run", "--quiet", scen, check_codes=(3,))
    assert "guest fault: #GP(0x1234) at DEMO.evil+" in p.stderr, p.stderr


def test_shrink_of_a_schedule_without_decisions(tmp_path):
    """Item 3: shrinking a schedule with no decisions (the tutorial's shrunk one) must
    not pass NULL to memcpy (the sanitizer build's UBSan aborted here)."""
    buggy = ROOT / "docs" / "tutorial" / "buggy.yaml"
    out = tmp_path / "found"
    run_vmmsim("fuzz", buggy, "--runs", "20", "--jobs", "1", "--quiet", "--out", out, check_codes=(1,))
    first = sorted(out.glob("run-*.schedule"))[0]
    m1 = tmp_path / "min.schedule"
    run_vmmsim("shrink", buggy, "--schedule", first, "--out", m1, check_codes=(0,))
    assert "decisions 0" in m1.read_text()
    m2 = tmp_path / "min2.schedule"
    p = run_vmmsim("shrink", str(m1) + ".yaml", "--schedule", m1, "--out", m2, check_codes=(0,))
    assert "0 -> 0 decisions" in p.stdout + p.stderr
    assert "runtime error" not in p.stderr
