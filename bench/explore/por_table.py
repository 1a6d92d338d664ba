#!/usr/bin/python3
"""bench/explore/por_table.py: plain dfs against dfs --por, runs to cover the tree
(docs/fuzzing.md, "Partial-order reduction: measured").

For every scenario given (default: every bundled scenario, scenarios/*.yaml, and the
deep-bug benchmark's, scenarios/deep/*.yaml), runs `vmmsim fuzz S --strategy dfs
--outcomes` and `... --por` with a budget of runs (--budget), and writes a Markdown
table: the runs each walk took, whether it covered the tree within the budget, the
distinct outcomes each reached, the failure signatures each found, and the ratio of
plain runs to reduced runs. A reduced walk that misses an outcome or a failure the
plain walk reached (both covered) is marked "UNSOUND" and makes the exit status 1.

    por_table.py [--vmmsim BIN] [--budget RUNS] [--workers N] [--table FILE]
                 [--json FILE] [--extra ARGS] [--cycles] [SCENARIO...]

The last column, the reduced walk's runs per distinct outcome, is 1.0 where no sound
reduction could run fewer schedules.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


# The walks compared: plain dfs by window steps, reduced, and (--cycles) plain dfs
# walking windows cycle by cycle, the dfs vmmsim had before window steps.
PLAIN, POR, CYCLES = ("--outcomes",), ("--por",), ("--outcomes", "--windows", "cycles")


def walk(vmmsim, scen, mode, budget, extra):
    """One dfs walk's summary: runs, covered, outcomes, failure signatures."""
    argv = [vmmsim, "fuzz", str(scen), "--strategy", "dfs", *mode, *extra, "--runs", str(budget),
            "--json", "--quiet"]
    p = subprocess.run(argv, capture_output=True, text=True, cwd=str(ROOT), timeout=3600)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    return {"runs": d["runs"], "covered": bool(d.get("covered")),
            "outcomes": d.get("distinct_outcomes"),
            "signatures": sorted(s["failure"] for s in d.get("signatures", []))}


def row(name, plain, por, cycles):
    ratio = plain["runs"] / por["runs"] if por["runs"] else float("nan")
    both = plain["covered"] and por["covered"]
    sound = not both or (por["outcomes"] == plain["outcomes"]
                         and set(plain["signatures"]) <= set(por["signatures"]))
    cov = lambda w: "" if w["covered"] else " (not covered)"
    # A sound walk runs at least one schedule per distinct outcome: runs / outcomes
    # of 1.0 is the least any reduction could do.
    per = f"{por['runs'] / por['outcomes']:.1f}" if por["covered"] and por["outcomes"] else "—"
    cyc = "" if cycles is None else f" {cycles['runs']:,}{cov(cycles)} |"
    return (f"| {name} |{cyc} {plain['runs']:,}{cov(plain)} | {por['runs']:,}{cov(por)} | "
            f"{plain['outcomes']} / {por['outcomes']} | {len(plain['signatures'])} / "
            f"{len(por['signatures'])} | {ratio:.1f}{'' if sound else ' UNSOUND'} | {per} |"), sound


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmmsim", default=os.environ.get("VMMSIM", str(ROOT / "build" / "cli" / "vmmsim")))
    ap.add_argument("--budget", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--extra", default="", help="more fuzz arguments for both walks (e.g. '--bound 8')")
    ap.add_argument("--cycles", action="store_true",
                    help="also walk plain dfs with --windows cycles (the first column)")
    ap.add_argument("--table")
    ap.add_argument("--json")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    if a.budget < 1 or a.workers < 1:
        ap.error("--budget and --workers must be positive")
    scens = [pathlib.Path(s).resolve() for s in a.scenarios] or \
        sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "deep").glob("*.yaml"))
    extra = shlex.split(a.extra)
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.workers) as ex:
        jobs = {(s, m): ex.submit(walk, a.vmmsim, s.relative_to(ROOT), m, a.budget, extra)
                for s in scens for m in (PLAIN, POR) + ((CYCLES,) if a.cycles else ())}
        res = {(s, m): f.result() for (s, m), f in jobs.items()}
    head = "| scenario |" + (" plain dfs, windows by cycles |" if a.cycles else "")
    lines = [head + " plain dfs runs | `--por` runs | outcomes plain / por | "
             "signatures plain / por | plain / por | `--por` runs per outcome |",
             "|---|" + "---|" * (6 + a.cycles)]
    ok = True
    for s in scens:
        name = str(s.relative_to(ROOT / "scenarios").with_suffix(""))
        line, sound = row(name, res[(s, PLAIN)], res[(s, POR)], res.get((s, CYCLES)))
        lines.append(line)
        ok &= sound
    t = "\n".join(lines) + "\n"
    sys.stdout.write(t)
    if a.table:
        pathlib.Path(a.table).write_text(t)
    if a.json:
        doc = {"budget": a.budget, "extra": extra,
               "scenarios": {str(s.relative_to(ROOT)): {"plain": res[(s, PLAIN)], "por": res[(s, POR)],
                                                        "cycles": res.get((s, CYCLES))}
                             for s in scens}}
        pathlib.Path(a.json).write_text(json.dumps(doc, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
