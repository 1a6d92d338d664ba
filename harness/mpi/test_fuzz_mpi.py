"""`vmmsim-mpi` under `mpirun -n 2 --oversubscribe` (docs/fuzzing.md, "MPI"): the ranks
are the shards of one `vmmsim fuzz` campaign, the findings rank 0 gathers and merges
are byte for byte those of the unsharded campaign with the same seed and runs, and the
distinct schedules rank 0 counts (the union of the ranks' hash sets) are its count.

Needs a build with -DVMMSIM_MPI=ON; ctest (`ctest -R mpi`) sets VMMSIM, VMMSIM_MPI and
MPIEXEC. Not part of the default harness run (cli/CMakeLists.txt ignores this folder; mpi/CMakeLists.txt runs it).
"""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
RANKS = 2


def tool(var):
    p = os.environ.get(var)
    if not p:
        pytest.skip(f"{var} is not set (configure with -DVMMSIM_MPI=ON and run ctest -R mpi)")
    return p


def mpirun(*args, timeout=120):
    cmd = [os.environ.get("MPIEXEC") or shutil.which("mpirun"), "-n", str(RANKS),
           "--oversubscribe"]
    if os.geteuid() == 0:       # Open MPI refuses root unless told
        cmd.append("--allow-run-as-root")
    cmd += [tool("VMMSIM_MPI"), *map(str, args)]
    return subprocess.run(cmd, cwd=str(ROOT), capture_output=True, text=True, timeout=timeout)


def vmmsim(*args):
    return subprocess.run([tool("VMMSIM"), *map(str, args)], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("bug,strategy", [("bug_crit_waiter_order", "pct"),
                                          ("bug_nc_before_idle", "random")])
def test_mpi_ranks_as_shards_equal_the_unsharded_campaign(tmp_path, bug, strategy):
    scen = f"scenarios/{bug}.yaml"
    args = (scen, "--strategy", strategy, "--runs", 500, "--seed", 4, "--quiet")
    one = vmmsim("fuzz", *args, "--jobs", 2, "--json", "--out", tmp_path / "all")
    assert one.returncode == 1, one.stderr
    want = (tmp_path / "all" / "findings.jsonl").read_text()
    assert want

    out = tmp_path / "mpi"
    p = mpirun(*args, "--json", "--out", out)
    assert p.returncode == 1, p.stderr      # failures found, as `vmmsim fuzz` says
    assert (out / "findings.jsonl").read_text() == want
    s = json.loads(p.stdout.strip().splitlines()[-1])
    assert s["ranks"] == RANKS and s["runs"] == 500 and s["stopped"] is False
    assert s["failures"] == len(want.splitlines())
    assert s["distinct_schedules"] == json.loads(one.stdout.strip().splitlines()[-1])["distinct_schedules"]
    assert s["distinct_exact"] is True

    # Each rank ran its shard: run i's files are in shard-(i mod N), identical to the
    # unsharded campaign's; the temporary gathered files are gone.
    for line in want.splitlines():
        f = json.loads(line)
        shard = out / f"shard-{f['run'] % RANKS}"
        assert (shard / f["schedule"]).read_bytes() == (tmp_path / "all" / f["schedule"]).read_bytes()
    logs = [json.loads((out / f"shard-{r}.log").read_text().splitlines()[-1]) for r in range(RANKS)]
    assert [l["shard"] for l in logs] == [f"{r}/{RANKS}" for r in range(RANKS)]
    assert sum(l["runs"] for l in logs) == 500
    assert not list(out.glob("gathered-*"))


def test_mpi_distinct_schedules_are_the_union_not_the_sum(tmp_path):
    # int1's IRQ-boundary choices repeat across runs, so the ranks' sets overlap.
    args = ("scenarios/int1_hw_int_at_next_boundary.yaml", "--runs", 300, "--seed", 4, "--json")
    one = vmmsim("fuzz", *args, "--out", tmp_path / "all")
    assert one.returncode == 0, one.stderr
    want = json.loads(one.stdout.strip().splitlines()[-1])["distinct_schedules"]
    p = mpirun(*args, "--out", tmp_path / "mpi")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout.strip().splitlines()[-1])
    logs = [json.loads((tmp_path / "mpi" / f"shard-{r}.log").read_text().splitlines()[-1])
            for r in range(RANKS)]
    assert s["distinct_schedules"] == want > 1
    assert s["distinct_schedules"] < sum(l["distinct_schedules"] for l in logs)


def test_mpi_without_failures_exits_0_with_an_empty_findings_file(tmp_path):
    p = mpirun("scenarios/cs3_release_to_highest_waiter.yaml", "--runs", 100, "--out", tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "findings.jsonl").read_text() == ""
    assert "2 ranks, runs=100 failures=0" in p.stdout


@pytest.mark.parametrize("args,err", [
    (("scenarios/bug_nc_before_idle.yaml",), "--out DIR is required"),
    (("scenarios/bug_nc_before_idle.yaml", "--out", "x", "--shard", "0/2"), "no --shard"),
    (("scenarios/bug_nc_before_idle.yaml", "--strategy", "dfs", "--out", "x"), "-n 1"),
])
def test_mpi_bad_usage_is_refused_once(args, err):
    p = mpirun(*args)
    assert p.returncode == 2
    assert p.stderr.count(err) == 1        # said by rank 0 only
