#!/usr/bin/python3
"""bench/fuzz: `vmmsim fuzz` runs per second per core on every scenario in scenarios/.

Each scenario gets a campaign of a fixed number of runs with --jobs 1 (one core,
random strategy, fixed seed, no --out so no files are written), repeated; the best
rate of the repeats is kept, since other load on the machine only ever slows a run.
The rate is the one `vmmsim fuzz --json` reports (timing.runs_per_s_per_job): the
campaign alone, after the scenario was loaded and assembled once. Measures, never
asserts; not a ctest test.

    bench/fuzz/fuzz_bench.py [--vmmsim build/cli/vmmsim] [--runs 20000] [--repeat 3]
                             [--json fuzz.json] [SCENARIO.yaml ...]
"""
import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
RUNS_MAX = 10_000_000
REPEAT_MAX = 50


def default_vmmsim():
    if os.environ.get("VMMSIM"):
        return os.environ["VMMSIM"]
    for cand in ("build/cli/vmmsim", "build-fz2/cli/vmmsim"):
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
    p = subprocess.run([vmmsim, "fuzz", str(scen), "--runs", str(runs), "--jobs", "1",
                        "--seed", "1", "--json", "--quiet"],
                       capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if p.returncode not in (0, 1):
        return None, p.stderr.strip().splitlines()[-1:] or [f"exit {p.returncode}"]
    return json.loads(p.stdout.strip().splitlines()[-1]), None


def bench_one(vmmsim, scen, runs, repeat):
    best, summ = 0.0, None
    for _ in range(repeat):
        s, err = campaign(vmmsim, scen, runs)
        if s is None:
            return {"scenario": str(scen.relative_to(ROOT)), "error": err[0]}
        rate = s["timing"]["runs_per_s_per_job"]
        if rate > best:
            best, summ = rate, s
    return {"scenario": str(scen.relative_to(ROOT)), "records": records(vmmsim, scen),
            "runs": runs, "runs_per_s_per_core": round(best, 1),
            "failures": summ["failures"], "distinct_schedules": summ["distinct_schedules"],
            "elapsed_s": summ["timing"]["elapsed_s"]}


def table(rows):
    out = ["| scenario | records | runs/s/core | failures | distinct |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        name = pathlib.Path(r["scenario"]).stem
        if "error" in r:
            out.append(f"| {name} | | error: {r['error']} | | |")
        else:
            out.append(f"| {name} | {r['records']} | {r['runs_per_s_per_core']:,.0f} | "
                       f"{r['failures']} | {r['distinct_schedules']} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmmsim", default=default_vmmsim())
    ap.add_argument("--runs", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    if not 1 <= a.runs <= RUNS_MAX or not 1 <= a.repeat <= REPEAT_MAX:
        ap.error(f"--runs 1..{RUNS_MAX}, --repeat 1..{REPEAT_MAX}")
    scens = [pathlib.Path(s).resolve() for s in a.scenarios] or \
        sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "bench").glob("*.yaml"))
    rows = []
    for s in scens:
        rows.append(bench_one(a.vmmsim, s, a.runs, a.repeat))
        print(f"{s.stem}: {rows[-1].get('runs_per_s_per_core', rows[-1].get('error'))}",
              file=sys.stderr)
    print(table(rows))
    ok = [r["runs_per_s_per_core"] for r in rows if "error" not in r]
    if ok:
        ok.sort()
        print(f"\n{len(ok)} scenarios: median {ok[len(ok) // 2]:,.0f} runs/s/core, "
              f"min {ok[0]:,.0f}, max {ok[-1]:,.0f}")
    if a.json:
        doc = {"bench": "fuzz", "runs": a.runs, "repeat": a.repeat, "jobs": 1,
               "host": {"machine": platform.machine(), "cpus": os.cpu_count()}, "results": rows}
        pathlib.Path(a.json).write_text(json.dumps(doc, indent=1) + "\n")
    return 1 if len(ok) < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
