#!/usr/bin/python3
"""bench/explore/bounded_por_check.py: generated scenarios, plain dfs against
dfs --por within a bound (docs/fuzzing.md, "Partial-order reduction within a bound").

Writes N scenarios (seeds FIRST .. FIRST + N - 1, each a function of its seed alone):
3-5 global events that read and write two shared variables, some of them scheduling
another event, and one or two windowed calls of VxD code that touches the same
variables and may schedule an event. For each bound b given, runs
`vmmsim fuzz S --strategy dfs --max-delays b` plain (--outcomes), with --por and with
--por --por-naive, and counts the distinct outcomes each reaches. A bounded --por walk
stays within the bound, so it can only reach a subset of plain's outcomes: fewer is a
miss. Prints one line per miss and the totals (runs, misses) per walk; exit status 1
when the bounded rule missed anything. A miss line also gives the unbounded walks'
outcomes (plain dfs --outcomes and --por, 50,000 runs each, and whether each covered
the tree): where they agree, the miss is the bound's doing.

    bounded_por_check.py [--vmmsim BIN] [--first S] [--count N] [--bounds 2,3]
                         [--keep DIR]
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
NVARS = 2
WALKS = (("plain", ["--outcomes"]), ("por", ["--por"]), ("naive", ["--por", "--por-naive"]))


def op_lines(r, tag):
    """One access to the shared variables: a store of tag, or a read-add."""
    if r.random() < 0.5:
        return ["mov     dword [v%d], %d" % (r.randrange(NVARS), tag)]
    return ["mov     eax, [v%d]" % r.randrange(NVARS), "add     [v%d], eax" % r.randrange(NVARS)]


def scenario(seed):
    """The scenario of a seed, as YAML text."""
    r = random.Random(seed)
    nev = r.randint(3, 5)
    events = [sum((op_lines(r, i + 1) for _ in range(r.randint(1, 2))), []) for i in range(nev)]
    chained = {}
    for i in range(nev):
        if r.random() < 0.3:
            chained[i] = len(events)
            events.append(op_lines(r, len(events) + 1))
    body, timeline = [], []
    for i, ops in enumerate(events):
        body += ["      ev%d:" % i] + ["              " + o for o in ops]
        if i in chained:
            body += ["              mov     esi, ev%d" % chained[i], "              VMMcall Schedule_Global_Event"]
        body.append("              ret")
    for w in range(r.randint(1, 2)):
        body += ["      f%d:" % w] + ["              " + o for o in op_lines(r, 10 + w)]
        if r.random() < 0.5:
            body += ["              mov     esi, ev%d" % r.randrange(nev), "              VMMcall Schedule_Global_Event"]
        body.append("              ret")
        lo = r.choice([8000, 10000, 12000])
        timeline.append("  - { at: [%d, %d], vm: sys, do: call(DRV.f%d) }" % (lo, lo + r.choice([2000, 6000, 20000]), w))
    start = []
    for i in range(nev):
        start += ["              mov     esi, ev%d" % i, "              VMMcall Schedule_Global_Event"]
    return "\n".join([
        "name: generated events %d" % seed,
        "vms:", "  - { name: sys, system: true }", "  - { name: dos1 }",
        "vxds:", "  - name: DRV", "    asm: |", '      %include "vmm.inc"',
        "      Control_Proc:", "              clc", "              ret", "      start:"]
        + start + ["              ret"] + body
        + ["      v%d:     dd 0" % k for k in range(NVARS)]
        + ["timeline:", "  - { at: 5000, vm: dos1, do: release_time_slice }",
           "  - { at: 10000, vm: sys, do: call(DRV.start) }"] + timeline) + "\n"


def walk(vmmsim, path, bound, extra):
    """(runs, distinct outcomes) of one bounded walk."""
    p = subprocess.run([vmmsim, "fuzz", str(path), "--strategy", "dfs", "--max-delays", str(bound),
                        "--runs", "100000", "--json", "--quiet"] + extra,
                       capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1):
        raise RuntimeError("%s: exit %d: %s" % (path, p.returncode, p.stderr.strip()))
    s = json.loads(p.stdout.strip().splitlines()[-1])
    return s["runs"], s["distinct_outcomes"]


def unbounded(vmmsim, path):
    """The unbounded walks' (distinct outcomes, covered), plain and --por."""
    out = []
    for extra in (["--outcomes"], ["--por"]):
        p = subprocess.run([vmmsim, "fuzz", str(path), "--strategy", "dfs", "--runs", "50000", "--json",
                            "--quiet"] + extra, capture_output=True, text=True, check=False)
        s = json.loads(p.stdout.strip().splitlines()[-1])
        out.append("%d%s" % (s["distinct_outcomes"], "" if s["covered"] else " (not covered)"))
    return "unbounded plain %s, --por %s" % tuple(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmmsim", default=str(ROOT / "build" / "cli" / "vmmsim"))
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--bounds", default="1,2,3")
    ap.add_argument("--keep", help="write the scenarios into this folder (kept)")
    a = ap.parse_args()
    bounds = [int(b) for b in a.bounds.split(",")]
    folder = pathlib.Path(a.keep) if a.keep else pathlib.Path(tempfile.mkdtemp(prefix="bpor-"))
    folder.mkdir(parents=True, exist_ok=True)
    runs = {name: 0 for name, _ in WALKS}
    misses = {name: 0 for name, _ in WALKS}
    for seed in range(a.first, a.first + a.count):
        path = folder / ("gen%d.yaml" % seed)
        path.write_text(scenario(seed))
        for b in bounds:
            got = {name: walk(a.vmmsim, path, b, extra) for name, extra in WALKS}
            for name, (n, outcomes) in got.items():
                runs[name] += n
                if outcomes < got["plain"][1]:
                    misses[name] += 1
                    print("seed %d bound %d: %s reaches %d of %d outcomes; %s" %
                          (seed, b, name, outcomes, got["plain"][1], unbounded(a.vmmsim, path)))
    for name, _ in WALKS:
        print("%-6s runs %d, walks missing an outcome %d" % (name, runs[name], misses[name]))
    return 1 if misses["por"] else 0


if __name__ == "__main__":
    sys.exit(main())
