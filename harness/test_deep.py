"""The deep-bug benchmark's scenarios (scenarios/deep/, docs/fuzzing.md, "The deep-bug
benchmark"): each passes canonically, is found by a fuzz campaign, and its failing
schedule shrinks (decisions only) to exactly the number of non-canonical decisions
its description documents: shrinking reaches the true minimum on order choices.
"""
import pathlib
import re

import pytest

from conftest import ROOT, rel, run_vmmsim

DEEP = sorted((ROOT / "scenarios" / "deep").glob("*.yaml"))
NEEDS = re.compile(r"\((\d)\s+non-canonical\s+decisions")


def documented_minimum(scen):
    m = NEEDS.search(pathlib.Path(scen).read_text())
    assert m, f"{scen.name}: its description does not say how many non-canonical decisions it needs"
    return int(m.group(1))


def test_there_are_eight_deep_scenarios():
    assert len(DEEP) >= 8


@pytest.mark.parametrize("scen", DEEP, ids=[s.stem for s in DEEP])
def test_deep_bug_passes_canonically_and_shrinks_to_its_minimum(scen, tmp_path):
    need = documented_minimum(scen)
    assert 2 <= need <= 3
    run = run_vmmsim("run", rel(scen), "--quiet", check_codes=(0,))
    assert "PASS" in run.stdout
    out = tmp_path / "found"
    run_vmmsim("fuzz", rel(scen), "--runs", "20000", "--max-failures", "1", "--seed", "1",
               "--jobs", "1", "--quiet", "--out", out, check_codes=(1,))
    found = sorted(out.glob("run-*.schedule"))
    assert len(found) == 1
    mini = tmp_path / "min.schedule"
    run_vmmsim("shrink", rel(scen), "--schedule", found[0], "--keep-stimuli", "--out", mini,
               check_codes=(0,))
    lines = [l.split() for l in mini.read_text().splitlines()
             if l and not l.startswith("#")]
    start = next(i for i, l in enumerate(lines) if l[0] == "decisions") + 1
    noncanonical = [l for l in lines[start:] if l[2] != "0"]
    assert len(noncanonical) == need, f"{scen.stem}: shrunk to {noncanonical}"
    kinds = {l[0] for l in noncanonical}
    assert len(kinds) >= 2, f"{scen.stem}: one kind only: {noncanonical}"
