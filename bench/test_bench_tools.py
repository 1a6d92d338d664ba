"""Checks of the benchmark tooling that cannot depend on the host's speed: what
`vmmsim bench host` counts and pairs, that its runs leave the trace `vmmsim run`
gives, its JSON, and bench/run-all's plan and plotting helpers. No time is asserted.

    VMMSIM=build/cli/vmmsim /usr/bin/python3 -m pytest -q bench/test_bench_tools.py
"""
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import plots  # noqa: E402

VMMSIM = os.environ.get("VMMSIM", str(ROOT / "build" / "cli" / "vmmsim"))
KNOWN = ROOT / "scenarios" / "bench" / "latency_known.yaml"
KINDS = ["nc", "idle", "event", "prio", "timeout", "hwint"]


def vmmsim(*args):
    return subprocess.run([VMMSIM, *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_bench_host_counts_and_pairs(tmp_path):
    run = vmmsim("run", KNOWN)
    hash_ = re.search(r"^# hash: (0x[0-9a-f]+)$", run.stdout, re.M).group(1)
    records = int(re.search(r"^# records: (\d+)$", run.stdout, re.M).group(1))
    # bench latency's canonical samples per run: the callbacks the host side pairs
    lat = tmp_path / "lat.json"
    assert vmmsim("bench", "latency", KNOWN, "--runs", "1", "--strategy", "canonical",
                  "--json", lat).returncode == 0
    per_run = {k: v["count"] for k, v in json.loads(lat.read_text())["kinds"].items()}
    out = tmp_path / "host.json"
    p = vmmsim("bench", "host", KNOWN, "--repeat", "3", "--runs-per-repeat", "2", "--json", out)
    assert p.returncode == 0, p.stderr
    assert f"{records} records, hash {hash_}" in p.stdout
    d = json.loads(out.read_text())
    assert d["run"]["hash"] == hash_ and d["run"]["records"] == records and d["run"]["trace_complete"]
    assert d["run"]["callbacks"] >= sum(per_run.values()) and d["run"]["events"] > 0
    assert d["run"]["instructions"] > 0 and d["run"]["cycles"] > 0
    assert d["repeat"] == 3 and len(d["repeats"]) == 3 and all(r["runs"] == 2 for r in d["repeats"])
    t = d["trigger_to_entry_ns"]
    for k in KINDS:   # one stamped run per repeat: the samples of 3 canonical runs
        assert t[k]["count"] == 3 * per_run[k], k
    assert t["all"]["count"] == 3 * sum(per_run.values())
    assert t["all"]["min"] <= t["all"]["median"] <= t["all"]["p99"] <= t["all"]["max"]
    for name, m in d["metrics"].items():
        assert m["median"] > 0 and m["p99"] > 0, name
    host = d["host"]
    assert host["cpus"] >= 1 and host["cpu_model"] and host["kernel"] and host["compiler"]
    assert host["build_type"] != ""


def test_bench_host_usage_errors():
    assert vmmsim("bench", "host").returncode == 2
    assert vmmsim("bench", "host", KNOWN, "--repeat", "0").returncode == 2
    assert vmmsim("bench", "host", KNOWN, "--bogus").returncode == 2
    h = vmmsim("bench", "host", "--help")
    assert h.returncode == 0 and "--runs-per-repeat" in h.stdout


def test_run_all_plan(tmp_path):
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "run-all"), "--quick", "--dry-run",
                        "--build", str(tmp_path / "b"), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    names = [line.split()[1] for line in p.stdout.splitlines() if re.match(r"^\s*\d+ ", line)]
    scen = sorted((ROOT / "bench" / "latency").glob("*.yaml")) or \
        sorted((ROOT / "scenarios" / "bench").glob("*.yaml"))
    host = scen + sorted((ROOT / "scenarios").glob("showcase_*.yaml"))   # + the client showcase
    want = ["configure", "build", "queue", "cpu", "fuzz", "explore"] + \
        [f"latency:{s.stem}" for s in scen] + [f"host:{s.stem}" for s in host]
    assert names == want
    assert not (tmp_path / "o").exists()   # a dry run writes nothing


def test_histogram_keeps_every_sample():
    cyc = [5, 5, 6, 90, 1000, 1000, 1001]
    hist, width = plots.histogram(cyc, bins=10)
    assert sum(n for _, n in hist) == len(cyc) and len(hist) <= 10 and width >= 1
    hist, width = plots.histogram([42] * 4)
    assert hist == [(42.0, 4)] and width == 1


def test_peers_table_has_bochs_and_its_ratio():
    res = [{"loop": "alu", "engine": e, "ok": True, "mips": m}
           for e, m in [("vmmsim", 300.0), ("unicorn", 3000.0), ("qemu-i386", 4000.0), ("bochs", 100.0)]]
    res += [{"loop": "mixed", "engine": "vmmsim", "ok": True, "mips": 150.0},
            {"loop": "mixed", "engine": "bochs", "ok": False, "mips": 0.0}]
    rows = plots.md_peers({"cpu": {"results": res}})
    assert rows[0] == "| loop | vmmsim | Unicorn | qemu-i386 | Bochs | vmmsim / Bochs |"
    assert rows[2].startswith("| alu | 300 | 3,000 | 4,000 | 100 |") and rows[2].endswith("| 3.00× |")
    assert rows[3] == "| mixed | 150 | – | – | – | – |"   # a failed engine has no figure, no ratio


def test_percentile_points_on_the_log_axis():
    kd = {"samples": [{"cycles": c} for c in (30, 10, 20, 40)]}
    pts = plots.percentile_points(kd)
    assert [v for _, v in pts] == [10, 20, 30, 40]
    assert [round(x, 6) for x, _ in pts] == [1.25, round(5 / 3, 6), 2.5, 5.0]   # (n+1)/(n+1-rank)
    hist = {"histogram": {"bin_cycles": 10, "bins": [[0, 2], [20, 1]]}}
    assert [v for _, v in plots.percentile_points(hist)] == [9, 9, 29]


def test_percentile_plot_written(tmp_path):
    if not plots.shutil.which("gnuplot"):
        return   # gnuplot is a --bench tool (tools/setup --bench); the points are tested above
    lat = {"runs": 2, "strategy": "random", "clock_hz": 25_000_000,
           "kinds": {"nc": {"count": 3, "samples": [{"cycles": c} for c in (9, 9, 12)]}}}
    out = plots.plot_percentiles("t", lat, tmp_path, "svg")
    assert out and out.exists() and "<svg" in out.read_text()
