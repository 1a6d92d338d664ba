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
