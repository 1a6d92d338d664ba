#!/usr/bin/python3
"""bench/explore/explore_bench.py: runs to the first failure, per deep-bug scenario and
exploration strategy (docs/fuzzing.md, "The deep-bug benchmark").

For every scenario of scenarios/deep/ and every strategy, `vmmsim fuzz --max-failures 1
--jobs 1` runs with campaign seeds 0..SEEDS-1 and a fixed budget of runs; the number of
runs to the first failure (its run index + 1) is recorded, or "not found". dfs does
not depend on the seed: it walks once (and so do its variants, --deepen and --por,
measured when this vmmsim has them). Writes JSON (--json), a Markdown table
(--table: median runs-to-find and found/total per cell, and the ratio of random's
median to the best strategy's) and an SVG plot (--svg). With --coverage-svg, one
campaign per strategy (seed 0, --coverage-runs runs, no stop) on each scenario of
--coverage-scenarios logs its coverage (vmmsim fuzz --coverage-log), and a plot shows
the distinct behaviours (callback orders) over runs per strategy. Measures, never
asserts (but --check-found).

    explore_bench.py [--vmmsim BIN] [--seeds N] [--budget RUNS] [--quick]
                     [--json FILE] [--table FILE] [--svg FILE] [--workers N]
                     [--check-found] [--coverage-svg FILE] [--coverage-runs N]
                     [--coverage-scenarios A,B]
"""
import argparse
import concurrent.futures
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
DEEP = ROOT / "scenarios" / "deep"

# (label, fuzz arguments, seeded)
STRATEGIES = [
    ("random", ["--strategy", "random"], True),
    ("pct-d1", ["--strategy", "pct", "--depth", "1"], True),
    ("pct-d2", ["--strategy", "pct", "--depth", "2"], True),
    ("pct-d3", ["--strategy", "pct", "--depth", "3"], True),
    ("pct-rank-d3", ["--strategy", "pct", "--depth", "3", "--pct-by", "rank"], True),
    ("random-swarm", ["--strategy", "random", "--swarm"], True),
    ("pct-d3-swarm", ["--strategy", "pct", "--depth", "3", "--swarm"], True),
    ("dfs", ["--strategy", "dfs"], False),
]
# dfs variants, when this vmmsim has them (its `fuzz --help` names the option)
DFS_VARIANTS = [("dfs-deepen", ["--strategy", "dfs", "--deepen"], False, "--deepen"),
                ("dfs-por", ["--strategy", "dfs", "--por"], False, "--por"),
                ("dfs-por-deepen", ["--strategy", "dfs", "--por", "--deepen"], False, "--por-naive")]
QUICK_SCENARIOS = ["crit_commit", "journal_order"]


COLORS = ["#444", "#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#ff7f0e", "#d62728", "#8c564b",
          "#bcbd22", "#e377c2"]


def add_dfs_variants(vmmsim):
    """Appends to STRATEGIES the dfs variants vmmsim offers."""
    p = subprocess.run([vmmsim, "fuzz", "--help"], capture_output=True, text=True, timeout=60)
    for label, args, seeded, opt in DFS_VARIANTS:
        if f"  {opt} " in p.stdout + p.stderr:
            STRATEGIES.append((label, args, seeded))


def one(vmmsim, scen, args, seed, budget):
    """Runs to the first failure of one campaign, or None within the budget."""
    argv = [vmmsim, "fuzz", str(scen), *args, "--seed", str(seed), "--runs", str(budget),
            "--max-failures", "1", "--jobs", "1", "--json", "--quiet"]
    p = subprocess.run(argv, capture_output=True, text=True, cwd=str(ROOT), timeout=3600)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    doc = json.loads(p.stdout)
    ff = doc.get("first_failure")
    return None if ff is None else ff["run"] + 1


def coverage_curve(vmmsim, scen, args, runs, tmp):
    """(runs, distinct callback orders) after each 64 runs of one campaign."""
    log = pathlib.Path(tmp) / f"{scen.stem}-{'_'.join(args)}.cov"
    argv = [vmmsim, "fuzz", str(scen), *args, "--seed", "0", "--runs", str(runs), "--jobs", "1",
            "--quiet", "--coverage-log", str(log)]
    p = subprocess.run(argv, capture_output=True, text=True, cwd=str(ROOT), timeout=3600)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    rows = [list(map(int, l.split())) for l in log.read_text().splitlines()]
    return [(r[0], r[5]) for r in rows]


def coverage(a):
    import tempfile
    names = a.coverage_scenarios.split(",")
    out = {}
    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=a.workers) as ex:
        jobs = {(n, l): ex.submit(coverage_curve, a.vmmsim, (DEEP / f"{n}.yaml").relative_to(ROOT),
                                  args, a.coverage_runs, tmp)
                for n in names for l, args, _ in STRATEGIES}
        for (n, l), fut in jobs.items():
            out.setdefault(n, {})[l] = fut.result()
    return out


def coverage_svg(curves, path):
    """One panel per scenario: distinct callback orders over runs, a line per strategy."""
    labels = [l for l, _, _ in STRATEGIES]
    colors = COLORS
    PW, PH, L, T = 460, 260, 50, 40
    W, H = PW * len(curves) + 20, PH + T + 60
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
         f'<text x="{W/2}" y="16" text-anchor="middle" font-size="13">distinct behaviours '
         '(orders of the callbacks entered) over runs, seed 0</text>']
    for i, (scen, by) in enumerate(sorted(curves.items())):
        x0 = 10 + i * PW
        xmax = max(r for c in by.values() for r, _ in c) or 1
        ymax = max([v for c in by.values() for _, v in c] + [1])
        def px(r): return x0 + L + (PW - L - 20) * r / xmax
        def py(v): return T + PH - 20 - (PH - 40) * v / ymax
        o.append(f'<text x="{x0 + PW/2}" y="{T - 8}" text-anchor="middle">{scen}</text>')
        o.append(f'<line x1="{px(0):.1f}" x2="{px(xmax):.1f}" y1="{py(0):.1f}" y2="{py(0):.1f}" stroke="#888"/>'
                 f'<line x1="{px(0):.1f}" x2="{px(0):.1f}" y1="{py(0):.1f}" y2="{py(ymax):.1f}" stroke="#888"/>'
                 f'<text x="{px(xmax):.1f}" y="{py(0)+14:.1f}" text-anchor="end">{xmax} runs</text>'
                 f'<text x="{px(0)-4:.1f}" y="{py(ymax)+4:.1f}" text-anchor="end">{ymax}</text>')
        for j, l in enumerate(labels):
            c = by.get(l, [])
            c = c[::max(1, len(c) // 100)] + c[-1:]     # at most about 100 points a line
            pts = " ".join(f"{px(r):.1f},{py(v):.1f}" for r, v in [(0, 0)] + c)
            o.append(f'<polyline points="{pts}" fill="none" stroke="{colors[j % len(colors)]}" '
                     f'stroke-width="1.5"><title>{scen} {l}</title></polyline>')
    for j, l in enumerate(labels):
        lx, ly = 20 + (j % 4) * 200, H - 30 + (j // 4) * 14
        o.append(f'<rect x="{lx}" y="{ly-9}" width="10" height="10" fill="{colors[j % len(colors)]}"/>'
                 f'<text x="{lx+14}" y="{ly}">{l}</text>')
    o.append("</svg>")
    pathlib.Path(path).write_text("\n".join(o) + "\n")


def median_or_inf(xs, total):
    """Median of runs-to-find, counting a miss as infinitely many runs."""
    vals = sorted(x if x is not None else math.inf for x in xs)
    return statistics.median_low(vals) if total else math.inf


def measure(a):
    scens = sorted(DEEP.glob("*.yaml"))
    if a.quick:
        scens = [s for s in scens if s.stem in QUICK_SCENARIOS]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.workers) as ex:
        for s in scens:
            for label, args, seeded in STRATEGIES:
                for seed in (range(a.seeds) if seeded else [0]):
                    jobs[(s.stem, label, seed)] = ex.submit(one, a.vmmsim, s.relative_to(ROOT),
                                                            args, seed, a.budget)
    res = {}
    for (scen, label, seed), fut in jobs.items():
        res.setdefault(scen, {}).setdefault(label, []).append(fut.result())
    return res


def summarize(res):
    out = {}
    for scen, by in res.items():
        out[scen] = {}
        for label, xs in by.items():
            found = sum(x is not None for x in xs)
            med = median_or_inf(xs, len(xs))
            out[scen][label] = {"runs_to_find": xs, "found": found, "total": len(xs),
                                "median": None if med == math.inf else med}
    return out


def fmt(cell):
    m = cell["median"]
    return f"{'—' if m is None else m} ({cell['found']}/{cell['total']})"


def table(summary):
    labels = [l for l, _, _ in STRATEGIES]
    lines = ["| scenario | " + " | ".join(labels) + " | best | random / best | ceiling |",
             "|---|" + "---|" * (len(labels) + 3)]
    tenfold = reachable = 0
    for scen in sorted(summary):
        row = summary[scen]
        meds = {l: (row[l]["median"] if row[l]["median"] is not None else math.inf)
                for l in labels if l in row and l != "dfs"}
        best = min(meds, key=lambda l: (meds[l], l))
        ratio = meds["random"] / meds[best] if meds[best] not in (0, math.inf) else math.nan
        # No strategy's median is below one run, so random's median is the largest
        # ratio any strategy could reach on this scenario.
        ceiling = meds["random"]
        lines.append(f"| {scen} | " + " | ".join(fmt(row[l]) for l in labels if l in row)
                     + f" | {best} | {ratio:.2f} | {ceiling} |")
        tenfold += ratio >= 10
        reachable += ceiling >= 10
    lines.append("")
    lines.append(f"random / best >= 10 in {tenfold} of {len(summary)} scenarios; "
                 f"reachable at all (random's median >= 10 runs) in {reachable}")
    return "\n".join(lines) + "\n"


def svg(summary, path):
    """Grouped bars: per scenario, each strategy's median runs-to-find, log scale; a
    bar at the top (hatched red) is a median not found within the budget."""
    labels = [l for l, _, _ in STRATEGIES]
    colors = COLORS
    scens = sorted(summary)
    W, H, L, B, T = 980, 420, 60, 90, 30
    group = (W - L - 20) / max(1, len(scens))
    bw = group / (len(labels) + 1)
    hi = max([c["median"] or 1 for s in scens for c in summary[s].values()] + [10])
    top = 10 ** math.ceil(math.log10(hi * 2))
    def y(v):
        return T + (H - T - B) * (1 - math.log10(max(v, 1)) / math.log10(top))
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
         f'<text x="{W/2}" y="16" text-anchor="middle" font-size="13">median runs to the first failure '
         '(log scale; lower is better)</text>']
    e = 1
    while e <= top:
        o.append(f'<line x1="{L}" x2="{W-20}" y1="{y(e):.1f}" y2="{y(e):.1f}" stroke="#ddd"/>'
                 f'<text x="{L-4}" y="{y(e)+4:.1f}" text-anchor="end">{e}</text>')
        e *= 10
    for i, s in enumerate(scens):
        x0 = L + i * group
        for j, l in enumerate(labels):
            c = summary[s].get(l)
            if c is None:
                continue
            m = c["median"]
            v = m if m is not None else top
            fill = colors[j % len(colors)] if m is not None else "url(#miss)"
            o.append(f'<rect x="{x0 + (j + 0.5) * bw:.1f}" y="{y(v):.1f}" width="{bw*0.9:.1f}" '
                     f'height="{H - B - y(v):.1f}" fill="{fill}"><title>{s} {l}: {fmt(c)}</title></rect>')
        o.append(f'<text transform="translate({x0 + group/2:.1f},{H-B+12}) rotate(25)" font-size="10">{s}</text>')
    o.insert(1, '<defs><pattern id="miss" width="6" height="6" patternUnits="userSpaceOnUse">'
                '<path d="M0,6 L6,0" stroke="#d62728"/></pattern></defs>')
    for j, l in enumerate(labels):
        lx = L + (j % 4) * 200
        ly = H - 22 + (j // 4) * 14
        o.append(f'<rect x="{lx}" y="{ly-9}" width="10" height="10" fill="{colors[j % len(colors)]}"/>'
                 f'<text x="{lx+14}" y="{ly}">{l}</text>')
    o.append("</svg>")
    pathlib.Path(path).write_text("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vmmsim", default=os.environ.get("VMMSIM", str(ROOT / "build" / "cli" / "vmmsim")))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--budget", type=int, default=20000)
    ap.add_argument("--quick", action="store_true", help="two scenarios, 3 seeds, budget 2000")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check-found", action="store_true",
                    help="exit 1 unless random and pct-d3 found every bug with every seed")
    ap.add_argument("--coverage-svg", help="plot distinct behaviours over runs per strategy")
    ap.add_argument("--coverage-runs", type=int, default=5000)
    ap.add_argument("--coverage-scenarios", default="journal_order,crit_commit")
    ap.add_argument("--json")
    ap.add_argument("--table")
    ap.add_argument("--svg")
    a = ap.parse_args()
    if a.quick:
        a.seeds, a.budget = min(a.seeds, 3), min(a.budget, 2000)
    if a.seeds < 1 or a.budget < 1:
        ap.error("--seeds and --budget must be positive")
    add_dfs_variants(a.vmmsim)
    summary = summarize(measure(a))
    t = table(summary)
    sys.stdout.write(t)
    doc = {"seeds": a.seeds, "budget": a.budget, "quick": a.quick,
           "strategies": {l: args for l, args, _ in STRATEGIES}, "scenarios": summary}
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(doc, indent=1) + "\n")
    if a.table:
        pathlib.Path(a.table).write_text(t)
    if a.svg:
        svg(summary, a.svg)
    if a.coverage_svg:
        curves = coverage(a)
        doc["coverage"] = curves
        coverage_svg(curves, a.coverage_svg)
        if a.json:
            pathlib.Path(a.json).write_text(json.dumps(doc, indent=1) + "\n")
    missed = [(s, l) for s, row in summary.items() for l in ("random", "pct-d3")
              if row[l]["found"] != row[l]["total"]]
    if a.check_found and missed:
        sys.stderr.write(f"explore_bench: not found within the budget: {missed}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
