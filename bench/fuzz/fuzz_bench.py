#!/usr/bin/python3
"""bench/fuzz: `vmmsim fuzz` runs per second per core on every scenario in scenarios/.

Each scenario gets campaigns of a fixed number of runs with --jobs 1 (one core, random
strategy, fixed seed, no --out so no files are written), over several rounds. A round
times a campaign of N runs and one of 1 run; their difference is the N - 1 runs alone
(loading and assembling the scenario, the process start, cancel out). Both CPU time
(the child's user + system time, from wait4) and wall time are reported, as median,
min and max over the rounds. With --vs OTHER, a second vmmsim runs the same campaigns,
alternated with the first inside every round (A B, then B A, ...), so that the
machine's drift hits both alike; the ratio is the ratio of the CPU medians.
Measures, never asserts; not a ctest test.

    bench/fuzz/fuzz_bench.py [--vmmsim build/cli/vmmsim] [--vs OTHER_VMMSIM]
                             [--runs 20000] [--rounds 5] [--json fuzz.json]
                             [SCENARIO.yaml ...]
"""
import argparse
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
RUNS_MAX = 10_000_000
ROUNDS_MAX = 50


def default_vmmsim():
    if os.environ.get("VMMSIM"):
        return os.environ["VMMSIM"]
    for cand in ("build/cli/vmmsim", "build-bench/cli/vmmsim"):
        if (ROOT / cand).exists():
            return str(ROOT / cand)
    return "vmmsim"


def records(vmmsim, scen):
    """Trace records of the canonical run: the size of one run."""
    p = subprocess.run([vmmsim, "run", str(scen)], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    m = re.search(r"^# records: (\d+)$", p.stdout, re.M)
    return int(m.group(1)) if m else None


def campaign(vmmsim, scen, runs):
    """One campaign as a whole process: (stdout, stderr, exit code, wall seconds)."""
    argv = [vmmsim, "fuzz", str(scen), "--runs", str(runs), "--jobs", "1", "--seed", "1",
            "--json", "--quiet"]
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True)
    out, err = p.communicate(timeout=3600)
    wall = time.monotonic() - t0
    return out, err, p.returncode, wall


def timed(vmmsim, scen, runs):
    before = os.times()
    out, err, rc, wall = campaign(vmmsim, scen, runs)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if rc not in (0, 1):
        return None, (err.strip().splitlines()[-1:] or [f"exit {rc}"])[0], cpu, wall
    return json.loads(out.strip().splitlines()[-1]), None, cpu, wall


def stat(v):
    return {"median": round(statistics.median(v), 1), "min": round(min(v), 1),
            "max": round(max(v), 1), "rounds": [round(x, 1) for x in v]}


def one_round(vmmsim, scen, runs, acc):
    """Adds one round's rates (runs per CPU second and per wall second) to acc."""
    s, err, cpu_n, wall_n = timed(vmmsim, scen, runs)
    if s is None:
        return err
    _, err, cpu_1, wall_1 = timed(vmmsim, scen, 1)
    if err:
        return err
    n = runs - 1
    # os.times() counts in clock ticks (10 ms): a campaign shorter than a few ticks
    # measures nothing, so the rate is then left out rather than made up.
    dcpu, dwall = cpu_n - cpu_1, wall_n - wall_1
    if dcpu > 0.02:
        acc["cpu"].append(n / dcpu)
    if dwall > 0:
        acc["wall"].append(n / dwall)
    acc["summary"] = s
    return None


def bench(engines, scen, runs, rounds):
    acc = [{"cpu": [], "wall": [], "summary": None} for _ in engines]
    vs_err = None   # the other engine may not know a scenario newer than itself
    for r in range(rounds):
        order = range(len(engines)) if r % 2 == 0 else reversed(range(len(engines)))
        for k in order:
            if k > 0 and vs_err:
                continue
            err = one_round(engines[k], scen, runs, acc[k])
            if err and k == 0:
                return {"scenario": str(scen.relative_to(ROOT)), "error": err}
            vs_err = vs_err or err
    row = {"scenario": str(scen.relative_to(ROOT)), "records": records(engines[0], scen),
           "runs": runs}
    for k, a in enumerate(acc):
        key = "" if k == 0 else "vs_"
        if k > 0 and vs_err:
            row["vs_error"] = vs_err
            continue
        if not a["cpu"]:
            return {"scenario": row["scenario"], "error": "campaign too short to time: raise --runs"}
        row[key + "cpu_runs_per_s"] = stat(a["cpu"])
        row[key + "wall_runs_per_s"] = stat(a["wall"])
    s = acc[0]["summary"]
    row["runs_per_s_per_core"] = row["cpu_runs_per_s"]["median"]
    row["failures"] = s["failures"]
    row["distinct_schedules"] = s["distinct_schedules"]
    if len(engines) > 1 and not vs_err:
        row["ratio_cpu"] = round(row["cpu_runs_per_s"]["median"] / row["vs_cpu_runs_per_s"]["median"], 3)
    return row


def table(rows, vs):
    head = "| scenario | records | runs/s/core (CPU) median [min..max] | wall median |"
    line = "|---|---:|---:|---:|"
    if vs:
        head += " other (CPU) | ratio |"
        line += "---:|---:|"
    out = [head, line]
    for r in rows:
        name = pathlib.Path(r["scenario"]).stem
        if "error" in r:
            out.append(f"| {name} | | error: {r['error']} | |" + (" | |" if vs else ""))
            continue
        c, w = r["cpu_runs_per_s"], r["wall_runs_per_s"]
        cell = f"| {name} | {r['records']} | {c['median']:,.0f} [{c['min']:,.0f}..{c['max']:,.0f}] | {w['median']:,.0f} |"
        if vs and "vs_error" in r:
            cell += " (the other cannot run it) | |"
        elif vs:
            o = r["vs_cpu_runs_per_s"]
            cell += f" {o['median']:,.0f} | {r['ratio_cpu']:.2f}x |"
        out.append(cell)
    return "\n".join(out)


def machine():
    model = ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"machine": platform.machine(), "cpu_model": model, "cpus": os.cpu_count(),
            "load_avg": list(os.getloadavg())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmmsim", default=default_vmmsim())
    ap.add_argument("--vs", help="a second vmmsim, alternated with the first in every round")
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    if not 2 <= a.runs <= RUNS_MAX or not 1 <= a.rounds <= ROUNDS_MAX:
        ap.error(f"--runs 2..{RUNS_MAX}, --rounds 1..{ROUNDS_MAX}")
    scens = [pathlib.Path(s).resolve() for s in a.scenarios] or \
        sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "bench").glob("*.yaml"))
    engines = [a.vmmsim] + ([a.vs] if a.vs else [])
    host = machine()
    rows = []
    for i, s in enumerate(scens):
        rows.append(bench(engines, s, a.runs, a.rounds))
        r = rows[-1]
        print(f"[{i + 1}/{len(scens)}] {s.stem}: "
              f"{r.get('runs_per_s_per_core', r.get('error'))}", file=sys.stderr)
    print(table(rows, a.vs))
    ok = sorted(r["runs_per_s_per_core"] for r in rows if "error" not in r)
    if ok:
        print(f"\n{len(ok)} scenarios: median {ok[len(ok) // 2]:,.0f} runs/s/core (CPU time), "
              f"min {ok[0]:,.0f}, max {ok[-1]:,.0f}")
    if a.vs:
        ratios = sorted(r["ratio_cpu"] for r in rows if "ratio_cpu" in r)
        if ratios:
            print(f"ratio to {a.vs}: median {ratios[len(ratios) // 2]:.2f}x, "
                  f"min {ratios[0]:.2f}x, max {ratios[-1]:.2f}x")
    host["load_avg_after"] = list(os.getloadavg())
    if a.json:
        doc = {"bench": "fuzz", "runs": a.runs, "rounds": a.rounds, "jobs": 1,
               "statistic": "runs per CPU second and per wall second of a campaign, its "
                            "1-run campaign subtracted; median, min, max over rounds",
               "vmmsim": a.vmmsim, "vs": a.vs, "host": host, "results": rows}
        pathlib.Path(a.json).write_text(json.dumps(doc, indent=1) + "\n")
    return 1 if len(ok) < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
