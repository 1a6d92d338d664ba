"""Scaling: the limits that bound a scenario are the documented ones.

A scenario with 10,000 timeline stimuli and 63 VMs runs to its verdict (the loader's
limits are in scen/scen.h: SCEN_STIM_MAX, SCEN_NODES_MAX, SCEN_INPUT_MAX; the VMM's in
docs/vmm.md). Pending events are bounded by machine.event_capacity, not by a fixed
table: a VxD may keep more than 1024 events pending when the machine allows it, and
gets the named limit when it does not.
"""
import pathlib
import re

from conftest import ROOT, run_vmmsim

DEMO = (ROOT / "scenarios" / "demo_default.yaml").read_text()
VXDS = DEMO[DEMO.index("vxds:"):DEMO.index("timeline:")]


def many_stimuli(nstim, nvms):
    vms = ["  - { name: sys, system: true }"] + [f"  - {{ name: dos{i} }}" for i in range(1, nvms)]
    tl = []
    for k in range(nstim):
        vm, at = f"dos{1 + k % (nvms - 1)}", 10000 + 5000 * k
        if k % 3 == 0:
            tl.append(f"  - {{ at: {at}, vm: {vm}, do: call(DEMO.start_work), arg: {k} }}")
        elif k % 3 == 1:
            tl.append(f"  - {{ at: {at}, vm: {vm}, do: release_time_slice }}")
        else:
            tl.append(f"  - {{ at: {at}, do: kernel_idle }}")
    calls = (nstim + 2) // 3
    return (f"name: {nstim} stimuli, {nvms} VMs\n"
            f"machine: {{ clock_hz: 33000000, memory_kb: 4096, max_vms: {nvms},\n"
            f"           max_cycles: {10000 + 5000 * nstim + 100000} }}\n"
            "vms:\n" + "\n".join(vms) + "\n" + VXDS + "timeline:\n" + "\n".join(tl) + "\n"
            f"expect:\n  - memory: {{ label: DEMO.nc_count, value: {calls} }}\n")


def test_ten_thousand_stimuli_and_63_vms(tmp_path):
    scen = tmp_path / "big.yaml"
    scen.write_text(many_stimuli(10000, 63))
    proc = run_vmmsim("run", "-q", scen, check_codes=(0,))
    assert "verdict: PASS" in proc.stdout + proc.stderr


EVENTS = """name: {n} global events pending at once
machine: {{ event_capacity: {cap} }}
vms: [ {{ name: sys, system: true }} ]
vxds:
  - name: EVQ
    asm: |
      %include "vmm.inc"
      Control_Proc:
              cmp     eax, Device_Init
              jne     .done
              mov     edi, {n}
      .more:  mov     esi, ev_cb
              VMMcall Schedule_Global_Event
              dec     edi
              jnz     .more
      .done:  clc
              ret
      ev_cb:  inc     dword [count]
              ret
      count:  dd 0
expect:
  - memory: {{ label: EVQ.count, value: {n} }}
"""


def test_pending_events_bounded_by_event_capacity(tmp_path):
    ok = tmp_path / "ok.yaml"
    ok.write_text(EVENTS.format(n=2000, cap=4096))
    proc = run_vmmsim("run", "-q", ok, check_codes=(0,))
    assert "verdict: PASS" in proc.stdout + proc.stderr
    full = tmp_path / "full.yaml"
    full.write_text(EVENTS.format(n=2000, cap=1024))
    proc = run_vmmsim("run", "-q", full, check_codes=None)
    assert proc.returncode != 0
    assert re.search(r"more than 1024 events pending \(machine\.event_capacity\)", proc.stderr), proc.stderr
