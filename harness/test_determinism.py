"""Same scenario + same schedule => same trace hash (DESIGN.md section 2)."""
import re

from conftest import rel, run_vmmsim, ROOT

HASH = re.compile(r"^# hash: (0x[0-9a-f]{16})$", re.M)


def run_hash(scenario, *extra, cwd=ROOT, path=None):
    proc = run_vmmsim("run", "--quiet", *extra, path or rel(scenario), cwd=cwd)
    m = HASH.search(proc.stdout)
    assert m, proc.stdout
    return m.group(1)


def test_same_hash_twice(scenario):
    assert run_hash(scenario) == run_hash(scenario)


def test_same_hash_random_strategy_same_seed(scenario):
    a = run_hash(scenario, "--strategy", "random", "--seed", "7")
    b = run_hash(scenario, "--strategy", "random", "--seed", "7")
    assert a == b


def test_hash_independent_of_cwd_and_path(scenario, tmp_path):
    # The hash covers only the records: not the path, the folder, the temp dir.
    assert run_hash(scenario) == run_hash(scenario, cwd=tmp_path, path=str(scenario.resolve()))
