"""Every scenario's trace equals its golden trace, byte for byte (except the header's
host-fact lines), and `vmmsim replay` accepts the golden trace."""
import difflib

import pytest

from conftest import golden_path, rel, run_vmmsim, comparable


def test_golden_trace(scenario, regen):
    proc = run_vmmsim("run", rel(scenario))
    golden = golden_path(scenario)
    if regen:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(proc.stdout)
        return
    if not golden.exists():
        pytest.fail(f"no golden trace {golden.name}: run 'harness/regen-goldens' and review it")
    want = comparable(golden.read_text())
    got = comparable(proc.stdout)
    if want != got:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                 "golden", "now", n=2))[:60])
        pytest.fail(f"{scenario.name}: trace differs from {golden.name}:\n{diff}")


def test_replay_accepts_golden(scenario, regen):
    if regen:
        pytest.skip("regenerating")
    proc = run_vmmsim("replay", rel(scenario), golden_path(scenario), check_codes=(0,))
    assert "replay: identical" in proc.stdout
