"""The scenario JSON Schema (docs/schemas/scenario.schema.json): it is a valid
2020-12 schema, every bundled scenario validates against it, and scenarios the loader
refuses are refused by the schema too, where a schema can say so. What only the loader
can check (labels and VMs that exist, unique names, label+N that fits) is listed in
LOADER_ONLY and shown to pass the schema, so that the gap is known, not hidden."""
import json

import jsonschema   # Debian: python3-jsonschema (tools/setup installs it)
import pytest
import yaml

from conftest import ROOT, SCENARIOS, run_vmmsim

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "scenario.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DEMO = (SCENARIOS / "demo_default.yaml").read_text()


def schema_errors(text):
    return list(VALIDATOR.iter_errors(yaml.safe_load(text)))


def test_schema_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


BUNDLED = sorted(SCENARIOS.glob("**/*.yaml")) + sorted((ROOT / "docs" / "tutorial").glob("*.yaml")) + \
    sorted((ROOT / "bench" / "latency").glob("*.yaml"))


def test_bundled_scenarios_found():
    assert len(BUNDLED) >= 45   # scenarios/, scenarios/bench/, the tutorial's, bench/latency/


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_scenario_validates(path):
    errs = schema_errors(path.read_text())
    assert not errs, [f"{list(e.absolute_path)}: {e.message}" for e in errs]


def test_new_forms_validate(tmp_path):
    """Every form of scenarios/README.md's examples, symbols included."""
    text = DEMO.replace("arg: 0x1234 }", "regs: { edx: 0x1234, eax: DEMO.nc_done, esi: VM_dos1+4 } }") + """\
  - memory: { addr: DEMO.nc_ref+0, value: 0x1234 }
  - memory: { addr: VM_dos1+8, value: VM_dos1+0x80 }
  - register: { vm: dos1, reg: ebx, value: VM_dos1 }
  - entry: { cb: DEMO.idle_a, nth: 1, vm: sys, eax: 0, ebx: VM_sys, edx: 0, ebp: VM_sys+0x80 }
  - calls: { cb: DEMO.idle_a, exactly: 1 }
  - calls: { cb: DEMO.idle_a, at_least: 1, at_most: 2 }
  - before: [DEMO.start_work, DEMO.nc_done]
  - before: { every: [DEMO.start_work, DEMO.nc_done] }
  - before: { first: [DEMO.start_work, DEMO.nc_done] }
"""
    assert not schema_errors(text)
    f = tmp_path / "forms.yaml"
    f.write_text(text)
    run_vmmsim("run", "-q", f, check_codes=(0, 1))   # and the loader takes it

# (old text of demo_default.yaml, new text, what the loader says): refused by both.
REFUSED = [
    ("name: demo", "nmae: demo", "scenario: unknown key 'nmae'"),
    ("  - { name: dos1 }\n", "  - { name: dos1, system: true }\n",
     "expected exactly one VM with 'system: true', found 2"),
    ("  - { name: dos1 }", "  - { name: dos-1 }", "vms.name: expected a name"),
    ("  - { name: dos1 }", "  - { name: dos1, fg_priority: 20000 }", "vms.fg_priority: expected an integer"),
    ("memory_kb: 4096", "memory_kb: 4098", "machine.memory_kb: expected a multiple of 4"),
    ("timer_tick_ms: 20", "timer_tick_ms: 20, trace_records: 10", "machine.trace_records: expected an integer"),
    ("    device_id: 0x7000\n", "    device_id: 0x7000\n    file: x.asm\n",
     "expected exactly one of 'asm' (inline source) or 'file'"),
    ("do: release_time_slice }", "do: jump }", "timeline.do: expected call(VXD.label), release_time_slice"),
    ("do: release_time_slice }", "do: irq, irq: 5 }", "timeline entry: unexpected key 'vm' (an IRQ belongs to no VM)"),
    ("do: release_time_slice }", "do: irq }", "timeline entry: unexpected key 'vm'"),
    ("{ at: 60000, do: kernel_idle }", "{ at: 60000, do: irq }", "timeline entry: missing key 'irq'"),
    ("{ at: 60000, do: kernel_idle }", "{ at: 60000, do: wake }", "timeline entry: missing key 'vm'"),
    ("do: release_time_slice }", "do: release_time_slice, regs: { eax: 1 } }",
     "timeline entry: unexpected key 'regs' (only do: call(VXD.label) takes it)"),
    ("arg: 0x1234 }", "regs: { ebx: 1 } }", "timeline.regs (EBX and EBP are set by the VMM): unknown key 'ebx'"),
    ("arg: 0x1234 }", "arg: 1, regs: { edx: 1 } }", "timeline entry: unexpected key 'arg' (regs.edx sets EDX too)"),
    ("arg: 0x1234 }", 'arg: "0x1234" }', "timeline.arg: expected an integer"),
    ("arg: 0x1234 }", "arg: VM_dos1+ }", "timeline.arg: expected a number, VM_name"),
    ("at: 40000,", "at: [40000],", "timeline.at: expected a cycle or a window [lo, hi]"),
    ("  - order: [DEMO.nc_done, DEMO.idle_a, DEMO.idle_b]", "  - order: []", "expect.order: expected a non-empty list"),
    ("  - order:", "  - never: DEMO.idle_a\n    order:", "expect entry: expected one of order/never"),
    ("value: 1 }", "size: 3, value: 1 }", "expect.memory.size: expected 1, 2 or 4"),
    ("{ label: DEMO.nc_count, value: 1 }", "{ addr: DEMO.nc_count, offset: 4, value: 1 }",
     "expect.memory: unexpected key 'offset'"),
    ("{ label: DEMO.nc_count, value: 1 }", "{ label: DEMO.nc_count, addr: 4, value: 1 }",
     "expect.memory: expected exactly one of 'addr' or 'label'"),
]
APPENDED = [
    ("  - register: { vm: dos1, reg: EXX, value: 0 }\n", "expect.register.reg: expected one of EAX"),
    ("  - finding: CS7\n", "expect.finding: expected a rule ID"),
    ("  - within: { from: { stimulus: 0, service: X }, to: DEMO.idle_a, cycles: 5 }\n",
     "expect.within.from: expected one of"),
    ("  - entry: { cb: DEMO.idle_a }\n", "expect.entry: expected at least one of vm, eax"),
    ("  - entry: { cb: DEMO.idle_a, nth: 0, eax: 0 }\n", "expect.entry.nth: expected an entry number"),
    ("  - entry: { cb: DEMO.idle_a, esi: 0 }\n", "expect.entry: unknown key 'esi'"),
    ("  - calls: { cb: DEMO.idle_a }\n", "expect.calls: missing key 'exactly'"),
    ("  - calls: { cb: DEMO.idle_a, exactly: 1, at_least: 1 }\n", "expect.calls: unexpected key 'exactly'"),
    ("  - calls: { exactly: 1 }\n", "expect.calls: missing key 'cb'"),
    ("  - before: [DEMO.idle_a]\n", "expect.before: expected a list of at least two labels"),
    ("  - before: { all: [DEMO.idle_a, DEMO.idle_b] }\n", "expect.before: unknown key 'all'"),
    ("  - before: DEMO.idle_a\n", "expect.before: expected [A, B, ...]"),
]
CASES = REFUSED + [("expect:\n", "expect:\n" + extra, msg) for extra, msg in APPENDED]


@pytest.mark.parametrize("old,new,msg", CASES, ids=[m[:40] for _, _, m in CASES])
def test_refused_by_loader_and_schema(tmp_path, old, new, msg):
    assert old in DEMO, old
    text = DEMO.replace(old, new, 1)
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    p = run_vmmsim("run", "-q", f, check_codes=(2,))
    assert msg in p.stderr, p.stderr
    assert schema_errors(text), f"the schema accepts what the loader refuses: {msg}"


def test_long_name_within_both_limits():
    first = DEMO.splitlines()[1]
    assert not schema_errors(DEMO.replace(first, "name: " + "n" * 1023, 1))
    assert schema_errors(DEMO.replace(first, "name: " + "n" * 1024, 1))


# Refused by the loader only: they need the VxD's labels, the VM list or sums.
LOADER_ONLY = [
    ("value: 0x1234 }", "value: DEMO.nope }", "found unknown label 'DEMO.nope'"),
    ("value: 0x1234 }", "value: VM_dos7 }", "found unknown VM 'VM_dos7'"),
    ("  - { name: dos1 }", "  - { name: dos1 }\n  - { name: dos1 }", "expected unique VM names"),
    ("{ label: DEMO.nc_count, value: 1 }", "{ label: DEMO.nc_count, size: 1, value: DEMO.nc_count }",
     "expected a value at most 0xff"),
    ("do: release_time_slice }", "do: call(DEMO.nope) }", "found unknown label 'DEMO.nope'"),
]


@pytest.mark.parametrize("old,new,msg", LOADER_ONLY, ids=[m[:40] for _, _, m in LOADER_ONLY])
def test_refused_by_loader_only(tmp_path, old, new, msg):
    assert old in DEMO, old
    text = DEMO.replace(old, new, 1)
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    p = run_vmmsim("run", "-q", f, check_codes=(2,))
    assert msg in p.stderr, p.stderr
    assert not schema_errors(text)
