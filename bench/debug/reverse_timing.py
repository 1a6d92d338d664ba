#!/usr/bin/env python3
"""Times `vmmsim debug`'s reverse execution over tests/debug/busy_1s.yaml (a 1.03 s
simulated run) with gdb -batch over loopback: a continue to the end, reverse-stepi
there (twice), a continue back to the end, reverse-continue to a watchpoint hit near
the end (SPIN.done's write, 3 instructions before it) and from there reverse-continue
to the start (no breakpoint: the whole run is scanned). Prints one
line per command with its wall time, best of --repeat runs (docs/debug.md, "Limits").

    bench/debug/reverse_timing.py [--vmmsim build/cli/vmmsim] [--repeat 3]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCEN = os.path.join(ROOT, "tests", "debug", "busy_1s.yaml")
STEPS = [("continue to the end", "continue"),
         ("reverse-stepi at the end", "reverse-stepi"),
         ("reverse-stepi again", "reverse-stepi"),
         ("continue to the end again", "continue"),
         ("watch SPIN.done", "watch *(int *)&'SPIN.done'"),
         ("reverse-continue to the write", "reverse-continue"),
         ("delete", "delete"),
         ("reverse-continue to the start", "reverse-continue")]


def once(vmmsim, syms):
    srv = subprocess.Popen([vmmsim, "debug", SCEN, "--symbols", syms], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    m = re.match(r"listening on ([\d.]+):(\d+)", srv.stdout.readline())
    if not m:
        srv.kill()
        sys.exit("vmmsim debug did not listen")
    args = ["gdb", "-batch", "-nx", "-ex", "set architecture i386", "-ex", "set pagination off",
            "-ex", f"symbol-file {syms}", "-ex", f"target remote {m.group(1)}:{m.group(2)}",
            "-ex", "python import time"]
    for name, cmd in STEPS:
        args += ["-ex", "python t0 = time.perf_counter()", "-ex", cmd,
                 "-ex", f"python print('TIME {name}: %.3f' % (time.perf_counter() - t0))"]
    args += ["-ex", "kill"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300).stdout
    srv.wait(timeout=30)
    times = dict(re.findall(r"TIME (.*): ([\d.]+)", out))
    if len(times) != len(STEPS):
        sys.exit("gdb did not finish:\n" + out)
    return {k: float(v) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmmsim", default=os.path.join(ROOT, "build", "cli", "vmmsim"))
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    best = {}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(max(1, min(a.repeat, 20))):
            for k, v in once(a.vmmsim, os.path.join(d, "busy.elf")).items():
                best[k] = min(v, best.get(k, v))
    for name, _ in STEPS:
        print(f"{name:32s} {best[name]:.3f} s")


if __name__ == "__main__":
    main()
