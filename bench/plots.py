"""bench/plots.py: the plots (gnuplot, SVG) and the Markdown tables of bench/run-all,
from its bench.json document. Also runs alone on a saved document:

    /usr/bin/python3 bench/plots.py bench-results/bench.json [OUT_DIR [svg|png]]
"""
import json
import pathlib
import shutil
import subprocess
import sys

KINDS = ["nc", "idle", "event", "prio", "timeout", "hwint"]
KIND_TITLE = {"nc": "not-critical (nc)", "idle": "idle", "event": "events",
              "prio": "priority events (prio)", "timeout": "time-outs", "hwint": "hw interrupts (hwint)"}
ENGINES = ["vmmsim", "unicorn", "qemu-i386", "bochs"]
ENGINE_TITLE = {"vmmsim": "vmmsim", "unicorn": "Unicorn", "qemu-i386": "qemu-i386", "bochs": "Bochs"}
BINS = 30
FORMAT = {"svg": "svg dynamic", "png": "pngcairo"}   # --format: gnuplot terminal


def histogram(cycles, bins=BINS):
    """(bin centre, count) pairs over [min, max] in at most `bins` integer-wide bins."""
    lo, hi = min(cycles), max(cycles)
    width = max(1, -(-(hi - lo + 1) // bins))
    counts = {}
    for c in cycles:
        k = (c - lo) // width
        counts[k] = counts.get(k, 0) + 1
    nb = (hi - lo) // width + 1
    return [(lo + k * width + (width - 1) / 2, counts.get(k, 0)) for k in range(nb)], width


def kind_histogram(kd):
    """From the samples (bench latency's JSON) or the histogram bench.json keeps."""
    if "samples" in kd:
        return histogram([s["cycles"] for s in kd["samples"]])
    h = kd["histogram"]
    w = h["bin_cycles"]
    return [(lo + (w - 1) / 2, n) for lo, n in h["bins"]], w


def gnuplot(script, out):
    if not shutil.which("gnuplot"):
        return None
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0 or not out.exists():
        sys.stderr.write(f"plots: gnuplot failed for {out.name}: {p.stderr.strip()[:300]}\n")
        return None
    return out


def terminal(fmt, w, h):
    return f"set terminal {FORMAT[fmt]} size {w},{h} font 'sans,{11 if fmt == 'svg' else 9}'"


def plot_latency(name, lat, out, fmt):
    """One SVG per scenario: a histogram panel per callback kind that has samples."""
    kinds = [k for k in KINDS if lat.get("kinds", {}).get(k, {}).get("count", 0) > 0]
    if not kinds:
        return None
    dat = out / "raw" / f"plot-latency-{name}.dat"
    dat.parent.mkdir(parents=True, exist_ok=True)
    hz = lat.get("clock_hz") or 1
    us = 1e6 / hz                                  # µs per simulated cycle
    blocks, panels = [], []
    for k in kinds:
        hist, width = kind_histogram(lat["kinds"][k])
        blocks.append("\n".join(f"{x * us:.6g} {n}" for x, n in hist))
        counts = [n for _, n in hist if n]
        panels.append((k, width, max(counts) > 20 * min(counts)))
    dat.write_text("\n\n\n".join(blocks) + "\n")
    cols = 2 if len(kinds) > 1 else 1
    rows = -(-len(kinds) // cols)
    svg = out / f"latency-{name}.{fmt}"
    s = [terminal(fmt, 520 * cols, 300 * rows),
         f"set output '{svg}'", "set termoption noenhanced",
         f"set multiplot layout {rows},{cols} title \"{name}: trigger-to-callback latency, "
         f"{lat.get('runs')} runs ({lat.get('strategy')}), {hz / 1e6:g} MHz\"",
         "set format x '%g'", "set style fill solid 0.6 border -1",
         f"set xlabel 'simulated time, us at {hz / 1e6:g} MHz'", "set key off", "set grid ytics"]
    for i, (k, width, logy) in enumerate(panels):
        kd = lat["kinds"][k]
        c, u = kd["cycles"], kd["us"]
        lo, hi = c["min"] * us, c["max"] * us
        pad = max(width * us * 2, (hi - lo) * 0.05, 5 * us)
        s.append(f"set title \"{KIND_TITLE[k]}, n={kd['count']}: p50 {u['p50']} us, "
                 f"p99 {u['p99']} us\"")
        s.append(f"set boxwidth {width * us * 0.9}")
        s.append(f"set xrange [{max(0, lo - pad)}:{hi + pad}]")
        s.append("set logscale y\nset yrange [0.7:*]\nset ylabel 'samples (log)'" if logy else
                 "unset logscale y\nset yrange [0:*]\nset ylabel 'samples'")
        s.append(f"plot '{dat}' index {i} using 1:2 with boxes lc rgb '#3b75af'")
    s.append("unset multiplot")
    return gnuplot("\n".join(s) + "\n", svg)


def percentile_points(kd):
    """(1/(1-p), cycles) per sample in ascending order, p = rank/(n+1) so that the
    maximum stays finite (at n+1); from the samples or the kept histogram's bins."""
    if "samples" in kd:
        vals = sorted(s["cycles"] for s in kd["samples"])
    else:
        w = kd["histogram"]["bin_cycles"]
        vals = [lo + w - 1 for lo, n in kd["histogram"]["bins"] for _ in range(n)]
    n = len(vals)
    return [((n + 1) / (n + 1 - r), v) for r, v in enumerate(vals, 1)]


def plot_percentiles(name, lat, out, fmt):
    """The percentile distribution of every kind on the log 1/(1-p) axis, the way
    HdrHistogram's plots show a latency tail: 90 % at 10, 99 % at 100, 99.9 % at 1000."""
    kinds = [k for k in KINDS if lat.get("kinds", {}).get(k, {}).get("count", 0) > 0]
    if not kinds:
        return None
    dat = out / "raw" / f"plot-percentiles-{name}.dat"
    dat.parent.mkdir(parents=True, exist_ok=True)
    blocks = ["\n".join(f"{x:.6g} {v}" for x, v in percentile_points(lat["kinds"][k])) for k in kinds]
    dat.write_text("\n\n\n".join(blocks) + "\n")
    top = max(len(b.splitlines()) for b in blocks) + 1
    tics = ", ".join(f"'{lab.replace('%', '%%')}' {x}" for lab, x in (("0%", 1), ("90%", 10), ("99%", 100), ("99.9%", 1e3),
                                                   ("99.99%", 1e4), ("99.999%", 1e5), ("99.9999%", 1e6))
                     if x <= max(10, top))
    colors = ["#3b75af", "#e1812c", "#3a923a", "#c03d3e", "#9372b2", "#845b53"]
    img = out / f"percentiles-{name}.{fmt}"
    s = [terminal(fmt, 720, 420), f"set output '{img}'", "set termoption noenhanced",
         f"set title \"{name}: latency by percentile, {lat.get('runs')} runs ({lat.get('strategy')})\"",
         "set logscale x", "set logscale y", f"set xtics ({tics})", f"set xrange [1:{max(10, top)}]",
         "set xlabel 'percentile (axis: 1/(1-p))'", "set ylabel 'simulated cycles (log)'",
         "set grid xtics ytics", "set key below horizontal",
         "plot " + ", ".join(f"'{dat}' index {i} using 1:2 with steps lw 2 lc rgb '{colors[i % 6]}' "
                             f"title '{KIND_TITLE[k]}'" for i, k in enumerate(kinds))]
    return gnuplot("\n".join(s) + "\n", img)


def cpu_mips(cpu):
    """{loop: {engine: mips or None}} from cpu_bench's JSON."""
    t = {}
    for r in (cpu or {}).get("results", []):
        t.setdefault(r["loop"], {})[r["engine"]] = r["mips"] if r.get("ok") else None
    return t


def plot_peers(cpu, out, fmt):
    """Bars per loop, one per engine, with their MIPS written on top (log scale)."""
    t = cpu_mips(cpu)
    if not t:
        return None
    dat = out / "raw" / "plot-peers.dat"
    dat.parent.mkdir(parents=True, exist_ok=True)
    loops = list(t)
    width = 0.8 / len(ENGINES)
    blocks = []
    for j, e in enumerate(ENGINES):   # one data block per engine: x, MIPS
        x0 = (j - (len(ENGINES) - 1) / 2) * width
        rows = [f"{i + x0:.3f} {t[lp][e]}" for i, lp in enumerate(loops) if t[lp].get(e)]
        blocks.append("\n".join(rows) if rows else "nan nan")
    dat.write_text("\n\n\n".join(blocks) + "\n")
    colors = ["#3b75af", "#e1812c", "#3a923a", "#c03d3e"]
    xt = ", ".join(f"'{lp}' {i}" for i, lp in enumerate(loops))
    svg = out / f"peers.{fmt}"
    s = [terminal(fmt, 720, 400), f"set output '{svg}'", "set termoption noenhanced",
         "set title 'Interpreter speed (CPU time, median of the rounds): vmmsim, Unicorn, "
         "qemu-i386, Bochs'",
         "set style fill solid 0.8 border -1", f"set boxwidth {width * 0.95:.3f}", "set logscale y",
         "set ylabel 'MIPS (log scale)'", "set grid ytics", "set key below horizontal",
         f"set xrange [-0.6:{len(loops) - 0.4}]", "set yrange [1:*]", f"set xtics ({xt})",
         "plot " + ", ".join(
             f"'{dat}' index {j} using 1:2 with boxes lc rgb '{colors[j]}' title '{ENGINE_TITLE[e]}', "
             f"'' index {j} using 1:2:(sprintf('%.0f', $2)) with labels offset 0,0.6 notitle"
             for j, e in enumerate(ENGINES))]
    return gnuplot("\n".join(s) + "\n", svg)


def plot_all(doc, out, fmt="svg"):
    made = []
    res = doc.get("results", {})
    for name, lat in sorted(res.get("latency", {}).items()):
        if "kinds" in lat:
            made += [p for p in (plot_latency(name, lat, out, fmt), plot_percentiles(name, lat, out, fmt)) if p]
    p = plot_peers(res.get("cpu"), out, fmt)
    if p:
        made.append(p)
    return made


# ---- Markdown ----------------------------------------------------------------------

def fmt(x, digits=3):
    if x is None:
        return "–"
    if abs(x) >= 1e6:
        return f"{x:.{digits}g}".replace("e+0", "e").replace("e+", "e")
    return f"{x:,.{max(0, digits - len(str(int(abs(x)))))}f}" if abs(x) < 1000 else f"{x:,.0f}"


def md_host(res):
    rows = ["| scenario | × real 33 MHz 386, CPU time (wall) | MIPS, CPU time (wall) | sim. cycles / host s "
            "| events / s | host ns / event | trigger→entry ns (median, p99) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, h in sorted(res.get("host", {}).items()):
        if "metrics" not in h:
            rows.append(f"| {name} | {h.get('error', 'no result')} | | | | | |")
            continue
        m, t = h["metrics"], h["trigger_to_entry_ns"]["all"]
        lat = f"{t['median']:,}, {t['p99']:,}" if t["count"] else "–"
        cpu_x = m.get("cpu_x_real_386_33mhz", {}).get("median")
        cpu_m = m.get("cpu_mips", {}).get("median")
        x = f"{fmt(cpu_x)} ({fmt(m['x_real_386_33mhz']['median'])})" if cpu_x else fmt(m['x_real_386_33mhz']['median'])
        mi = f"{fmt(cpu_m)} ({fmt(m['mips']['median'])})" if cpu_m else fmt(m['mips']['median'])
        rows.append(f"| {name} | {x} | {mi} | {fmt(m['sim_cycles_per_s']['median'])} | "
                    f"{fmt(m['events_per_s']['median'])} | {fmt(m['ns_per_event']['median'])} | {lat} |")
    return rows


def md_latency(res):
    rows = ["| scenario | kind | samples | p50 cycles | p99 cycles | max cycles | p50 µs | p99 µs |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, lat in sorted(res.get("latency", {}).items()):
        for k in KINDS:
            kd = lat.get("kinds", {}).get(k, {})
            if kd.get("count"):
                c, us = kd["cycles"], kd["us"]
                rows.append(f"| {name} | {k} | {kd['count']} | {c['p50']} | {c['p99']} | {c['max']} | "
                            f"{us['p50']} | {us['p99']} |")
    return rows


def md_peers(res):
    """Median CPU-time MIPS per loop and engine, and vmmsim's ratio to Bochs."""
    t = cpu_mips(res.get("cpu"))
    rows = ["| loop | " + " | ".join(ENGINE_TITLE[n] for n in ENGINES) + " | vmmsim / Bochs |",
            "|---|" + "---:|" * (len(ENGINES) + 1)]
    for loop, e in t.items():
        ratio = f"{e['vmmsim'] / e['bochs']:.2f}×" if e.get("vmmsim") and e.get("bochs") else "–"
        rows.append(f"| {loop} | " + " | ".join(fmt(e.get(n)) if e.get(n) else "–" for n in ENGINES)
                    + f" | {ratio} |")
    return rows


def md_queue(res):
    rows = ["| distribution | pending events | engine CPU ns/hold | binary heap | 4-ary heap | "
            "vs binary | vs 4-ary |",
            "|---|---:|---:|---:|---:|---:|---:|"]

    def cell(r, name):
        s = r[name]["cpu_ns"]
        return f"{s['median']:.1f} [{s['min']:.1f}..{s['max']:.1f}]"
    for r in (res.get("queue") or {}).get("results", []):
        rows.append(f"| {r['dist']} | {r['pending']:,} | {cell(r, 'engine')} | {cell(r, 'bheap')} | "
                    f"{cell(r, 'heap4')} | {r['speedup_vs_bheap']:.2f}x | {r['speedup_vs_heap4']:.2f}x |")
    return rows


def md_fuzz(res):
    ok = sorted(r["runs_per_s_per_core"] for r in (res.get("fuzz") or {}).get("results", [])
                if "runs_per_s_per_core" in r)
    if not ok:
        return ["(no fuzz result)"]
    line = (f"{len(ok)} scenarios, `vmmsim fuzz` on one core: median {ok[len(ok) // 2]:,.0f} runs/s, "
            f"min {ok[0]:,.0f}, max {ok[-1]:,.0f}.")
    rows = [r for r in res["fuzz"]["results"] if "ratio_cpu" in r]
    if not rows:
        return [line]
    ratios = sorted(r["ratio_cpu"] for r in rows)
    bug = sorted((pathlib.Path(r["scenario"]).stem, r["ratio_cpu"]) for r in rows
                 if pathlib.Path(r["scenario"]).stem.startswith("bug_"))
    line += (f" Against `{res['fuzz']['vs']}` (alternated in every round, CPU time), on the "
             f"{len(ratios)} scenarios both run: median {ratios[len(ratios) // 2]:.2f}x, "
             f"min {ratios[0]:.2f}x, max {ratios[-1]:.2f}x")
    if bug:
        line += "; the bug scenarios: " + ", ".join(f"{n} {x:.2f}x" for n, x in bug)
    return [line + "."]


def summary_md(doc, made):
    m, res = doc["machine"], doc["results"]
    out = [f"Command: `{doc['command']}` ({doc['mode']}, {doc['duration_s']} s, {doc['started_utc']})",
           f"Machine: {m['cpu_model']}, {m['cpus']} CPUs, {m['kernel']}, {m['compiler']}, "
           f"{m['build_type']} build" + (f", assertions {'on' if m.get('checks') == 'ON' else 'off'}"
                                          if m.get("checks") else "")
           + (f"; load average {m['load_avg'][0]:.1f} / {m['load_avg'][1]:.1f} / {m['load_avg'][2]:.1f}"
              " (1 / 5 / 15 min) at the start" if m.get("load_avg") else ""), "",
           "Host speed (`vmmsim bench host`, medians over the repeats):", ""] + md_host(res) + [
           "", "Simulated latency (`vmmsim bench latency`):", ""] + md_latency(res) + [
            "", "Interpreter, MIPS by CPU time, median over the rounds (`cpu_bench`; qemu-i386 "
            "and Bochs with start-up and BIOS boot subtracted):", ""] + md_peers(res) + [
            "", "Event queue (`bench_queue`, CPU ns per hold, median [min..max] over rounds):", ""] + md_queue(res) + [
           "", "Fuzzing: " + md_fuzz(res)[0], "",
           "Plots: " + (", ".join(p.name for p in made) if made else "none (gnuplot missing?)")]
    return "\n".join(out) + "\n"


USAGE = "usage: bench/plots.py BENCH.json [OUT_DIR [svg|png]]"

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip() if len(sys.argv) > 1 else USAGE,
              file=sys.stdout if len(sys.argv) > 1 else sys.stderr)
        sys.exit(0 if len(sys.argv) > 1 else 2)
    if len(sys.argv) > 3 and sys.argv[3] not in FORMAT:
        sys.exit(f"bench/plots.py: expected svg or png, found {sys.argv[3]!r}\n{USAGE}")
    if not pathlib.Path(sys.argv[1]).is_file():
        sys.exit(f"bench/plots.py: {sys.argv[1]}: no such file\n{USAGE}")
    src = pathlib.Path(sys.argv[1])
    dst = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else src.parent
    d = json.loads(src.read_text())
    made = plot_all(d, dst, sys.argv[3] if len(sys.argv) > 3 else "svg")
    print(summary_md(d, made))
