"""`vmmsim bench latency` (docs/bench.md): trigger-to-callback latency in simulated
cycles, paired from the trace. The numbers are checked for correctness: a scenario
whose latency is known by construction must give exactly the derived cycles."""
import json

import pytest

from conftest import ROOT, SCENARIOS, rel, run_vmmsim

KNOWN = rel(SCENARIOS / "bench" / "latency_known.yaml")
CLOCK_HZ = 25_000_000          # latency_known.yaml's machine.clock_hz

# Costs from docs/vmm.md ("The service call path and its cost") and 386 clocks.
ENTER_CB = 9                   # entering a callback: CALL reg, 7 + m
TASK_SWITCH = 100              # a task switch
IRQ_GATE = 59                  # hardware interrupt through an interrupt gate
SERVICE = 50                   # service_cycles (default)
NOP, STC, RET = 3, 2, 10       # i386 clocks: NOP 3, STC 2, RET near 10

# Each kind's latency in latency_known.yaml, derived. Trace records are stamped after
# the service path cost is charged, so a service-time trigger starts the clock at the
# service's work, not at its INT 20h.
EXPECTED = {
    # End_Critical_Section releases the section (CRIT op=release) and enters the
    # not-critical callback at once (NC-2): only the callback entry.
    "nc": [ENTER_CB],
    # Int2F_1689 enters idle_a (9); idle_a runs 4 NOPs, STC, RET and passes CF set on
    # (IDLE-3), so idle_b is entered 9 cycles after idle_a returns.
    "idle": [ENTER_CB, ENTER_CB + 4 * NOP + STC + RET + ENTER_CB],
    # Schedule_Global_Event returns; 10 NOPs and the RET finish the VxD code; the event
    # runs right after it (EV-1: when no VxD code runs).
    "event": [10 * NOP + RET + ENTER_CB],
    # Call_Priority_VM_Event boosts the system VM above dos1: the VMM switches to it
    # when the service returns (PRI-1) and runs the event there (EV-2).
    "prio": [TASK_SWITCH + ENTER_CB],
    # Set_Global_Time_Out(25 ms) at cycle 60185 is due 25 ms = 625000 cycles later, at
    # cycle 685185 (vmm/timer.c; the trace's due=27 is the set time's whole ms + 25);
    # with 10 ms ticks the first tick at or after it is tick 3 at 30 ms = cycle 750000
    # (TO-1); then the callback entry.
    "timeout": [750000 - (60185 + 25 * CLOCK_HZ // 1000) + ENTER_CB],
    # IRQ 5 is raised while only client code runs (an instruction boundary): interrupt
    # gate + service path, then the Hw_Int_Proc entry (INT-1).
    "hwint": [IRQ_GATE + SERVICE + ENTER_CB],
}


COMPONENTS = ["vmm_path", "vxd_code", "interrupts", "other_vms", "time_slice", "timer", "waiting"]


def comps(**kw):
    """A breakdown: the named components, the others 0."""
    assert set(kw) <= set(COMPONENTS)
    return {c: kw.get(c, 0) for c in COMPONENTS}


# Where each latency of latency_known.yaml comes from (docs/bench.md, "Breakdown").
BREAKDOWN = {
    # the callback entry is the VMM's path
    "nc": [comps(vmm_path=ENTER_CB)],
    # idle_b waits for idle_a's code (another callback: VxD code) and both entries
    "idle": [comps(vmm_path=ENTER_CB), comps(vmm_path=2 * ENTER_CB, vxd_code=4 * NOP + STC + RET)],
    # the rest of the scheduling VxD code, then the entry
    "event": [comps(vmm_path=ENTER_CB, vxd_code=10 * NOP + RET)],
    # the task switch to the boosted system VM and the entry: VMM path
    "prio": [comps(vmm_path=TASK_SWITCH + ENTER_CB)],
    # from the due time to the tick that made it due: the timer; then the entry
    "timeout": [comps(timer=750000 - (60185 + 25 * CLOCK_HZ // 1000), vmm_path=ENTER_CB)],
    # an hwint's own interrupt gate, VPICD's dispatch and entry are its VMM path
    "hwint": [comps(vmm_path=IRQ_GATE + SERVICE + ENTER_CB)],
}


def bench(*args, json_path=None):
    extra = ["--json", str(json_path)] if json_path else []
    return run_vmmsim("bench", "latency", *args, *extra, check_codes=(0,))


def test_bench_help():
    out = run_vmmsim("bench", "latency", "--help", check_codes=(0,)).stdout
    assert "--runs" in out and "--strategy" in out and "--json" in out


def test_bench_bad_usage():
    for args in (["latency"], ["latency", KNOWN, "--strategy", "dfs"], ["latency", KNOWN, "--runs", "0"],
                 ["latency", KNOWN, "--json"], ["host", KNOWN, "--repeat", "0"], ["walk", KNOWN], []):
        proc = run_vmmsim("bench", *args, check_codes=(2,))
        prefix = f"vmmsim bench {args[0]}:" if args and args[0] != "walk" else "vmmsim bench:"
        assert proc.stderr.startswith(prefix), (args, proc.stderr)


@pytest.mark.parametrize("strategy", ["canonical", "random", "pct"])
def test_latency_known_by_construction(tmp_path, strategy):
    """NC-2, IDLE-3, EV-1, EV-2, TO-1, INT-1: each kind's latency is exactly the
    derived number of cycles, in every run (the scenario has no choice points)."""
    runs = 4
    js = tmp_path / "lat.json"
    bench(KNOWN, "--runs", runs, "--strategy", strategy, "--seed", 11, json_path=js)
    d = json.loads(js.read_text())
    assert d["clock_hz"] == CLOCK_HZ and d["runs"] == runs
    for kind, per_run in EXPECTED.items():
        k = d["kinds"][kind]
        assert k["unpaired"] == 0, kind
        got = [s["cycles"] for s in k["samples"]]
        assert got == per_run * runs, kind
        assert [s["run"] for s in k["samples"]] == sorted(s["run"] for s in k["samples"])
        assert all(s["enter"] - s["trigger"] == s["cycles"] for s in k["samples"])
        assert k["cycles"]["min"] == min(per_run) and k["cycles"]["max"] == max(per_run)
        assert [s["breakdown"] for s in k["samples"]] == BREAKDOWN[kind] * runs, kind


def test_latency_table_in_cycles_and_us():
    text = bench(KNOWN, "--runs", 2, "--strategy", "canonical").stdout
    out, brk = text.split("# breakdown:")
    out = out.splitlines()
    rows = {l.split()[0]: l.split() for l in out if l and not l.startswith(("#", " ", "kind"))}
    us_rows = [l.split() for l in out if l.startswith(" ")]
    # The breakdown table: per kind the mean cycles per component, then the shares.
    brk = brk.splitlines()[1:]
    assert brk[0].split() == ["kind"] + COMPONENTS
    ev_i = [l.split()[0] for l in brk].index("event")
    assert brk[ev_i].split() == ["event", "9", "40", "0", "0", "0", "0", "0"]
    assert brk[ev_i + 1].split() == ["18.4", "81.6", "0.0", "0.0", "0.0", "0.0", "0.0"]   # 9/49, 40/49
    assert list(rows) == ["nc", "idle", "event", "prio", "timeout", "hwint"]
    ev = rows["event"]
    assert ev[1:3] == ["2", "0"] and ev[3:] == [str(EXPECTED["event"][0])] * 5
    # µs at 25 MHz: 64824 cycles = 2592.960 µs.
    to_us = us_rows[list(rows).index("timeout")]
    assert to_us == ["us"] + ["2592.960"] * 5


def test_latency_p50_p90_p99_nearest_rank(tmp_path):
    """Percentiles are nearest-rank over all samples: idle's two per run are 9 and 42."""
    js = tmp_path / "lat.json"
    bench(KNOWN, "--runs", 10, "--strategy", "canonical", json_path=js)
    c = json.loads(js.read_text())["kinds"]["idle"]["cycles"]
    assert (c["min"], c["p50"], c["p90"], c["p99"], c["max"]) == (9, 9, 42, 42, 42)


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_same_seed_same_output(tmp_path, strategy):
    """Deterministic: the same seed twice gives byte-identical table and JSON, on a
    scenario whose choices change the latencies."""
    scen = rel(SCENARIOS / "bug_global_event_order.yaml")
    outs = []
    for i in range(2):
        js = tmp_path / f"r{i}.json"
        out = bench(scen, "--runs", 40, "--strategy", strategy, "--seed", 5, json_path=js).stdout
        outs.append((out, js.read_bytes()))
    assert outs[0] == outs[1]
    assert json.loads(outs[0][1])["kinds"]["event"]["count"] > 0


# breakdown_known.yaml: VPICD_Phys_EOI's first call from its site, as cpu386 and the
# VMM charge it: INT 20h decode 1 + INT 59 + IRETD 38 + CALL [m32] 12 + RET 12 + service.
FIRST_CALL = 1 + 59 + 38 + 12 + 12 + SERVICE
BREAKDOWN_KNOWN = rel(SCENARIOS / "bench" / "breakdown_known.yaml")


@pytest.mark.parametrize("strategy", ["canonical", "random"])
def test_breakdown_known_by_construction(tmp_path, strategy):
    """EV-1, INT-1: components known by construction. A VM event for dos2 waits for
    dos1's VxD code (another VM) and a task switch; a global event waits for its
    scheduler's 100 NOPs and RET (VxD code) and for IRQ 5's Hw_Int_Proc nested in
    them (interrupts: gate + dispatch, entry, 4 NOPs, EOI's first call, CLC, RET)."""
    js = tmp_path / "brk.json"
    bench(BREAKDOWN_KNOWN, "--runs", 3, "--strategy", strategy, json_path=js)
    d = json.loads(js.read_text())
    assert d["components"] == COMPONENTS and d["breakdown_mismatches"] == 0
    hw5 = 4 * NOP + FIRST_CALL + STC + RET              # CLC takes 2 clocks, as STC
    want = [comps(other_vms=10 * NOP + RET, vmm_path=TASK_SWITCH + ENTER_CB),
            comps(vxd_code=100 * NOP + RET, interrupts=IRQ_GATE + SERVICE + ENTER_CB + hw5,
                  vmm_path=ENTER_CB)]
    ev = d["kinds"]["event"]
    assert [s["breakdown"] for s in ev["samples"]] == want * 3
    assert [s["cycles"] for s in ev["samples"]] == [sum(w.values()) for w in want] * 3
    # IRQ 5 is due at cycle 20500, in the middle of one of the scheduler's NOPs; it is
    # raised at that NOP's end (20502) and the sample counts from 20500: the 2 cycles
    # are waiting (docs/bench.md, "Coordinated omission").
    recs = [json.loads(l) for l in run_vmmsim("run", "--format", "jsonl", BREAKDOWN_KNOWN).stdout.splitlines()]
    assert [r["cycle"] for r in recs if r.get("type") == "IRQ" and r.get("op") == "raise"] == [20500 + 2]
    hw = [comps(vmm_path=IRQ_GATE + SERVICE + ENTER_CB, waiting=2)]
    assert [s["breakdown"] for s in d["kinds"]["hwint"]["samples"]] == hw * 3
    assert [s["trigger"] for s in d["kinds"]["hwint"]["samples"]] == [20500] * 3
    # the kind-level breakdown: totals, means and shares of the samples
    b = ev["breakdown"]
    assert b["interrupts"]["total"] == 3 * want[1]["interrupts"]
    assert b["vmm_path"]["mean"] == (want[0]["vmm_path"] + want[1]["vmm_path"] + 1) // 2


BUNDLED = ["idle", "loaded", "irq_storm"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_breakdown_sums(tmp_path, name):
    """The bundled scenarios give samples of every kind, all paired, and every
    sample's components sum exactly to its latency, under random schedules; the
    breakdown's model of the trace never disagrees with the trace."""
    js = tmp_path / f"{name}.json"
    bench(rel(ROOT / "bench" / "latency" / f"{name}.yaml"), "--runs", 8, "--seed", 3, json_path=js)
    d = json.loads(js.read_text())
    assert d["breakdown_mismatches"] == 0
    for kind, k in d["kinds"].items():
        assert k["count"] > 0 and k["unpaired"] == 0, kind
        for s in k["samples"]:
            assert sorted(s["breakdown"]) == sorted(COMPONENTS)
            assert sum(s["breakdown"].values()) == s["cycles"], (kind, s)
        assert sum(c["total"] for c in k["breakdown"].values()) == sum(s["cycles"] for s in k["samples"])
    if name == "irq_storm":
        assert d["irq_merged"] > 0           # INT-1: raises of a requested line merge
    if name == "loaded":                     # SL-1: VM events wait for their VM's slice
        assert d["kinds"]["event"]["breakdown"]["time_slice"]["total"] > 0


def test_bundled_scenarios_pass_run():
    """Each bundled scenario holds its own expectations (within bounds, counts)."""
    for name in BUNDLED:
        proc = run_vmmsim("run", "--quiet", rel(ROOT / "bench" / "latency" / f"{name}.yaml"), check_codes=(0,))
        assert "# verdict: PASS" in proc.stdout


def _bench_host(tmp_path, name, *args):
    js = tmp_path / f"{name}.json"
    proc = run_vmmsim("bench", "host", rel(ROOT / "bench" / "latency" / "idle.yaml"), *args,
                      "--json", js, check_codes=(0,))
    return proc.stdout, json.loads(js.read_text())


def test_bench_host_strategy_random_fields(tmp_path):
    """`bench host --strategy random`: run i of every repeat is the chooser seeded from
    (--seed, i), as in bench latency; the strategy and seed are in the text and the
    JSON, and each run index gives the same trace in every repeat (the command exits
    3 otherwise). No timing is asserted."""
    args = ("--strategy", "random", "--seed", 7, "--repeat", 2, "--runs-per-repeat", 3)
    out, d = _bench_host(tmp_path, "a", *args)
    assert "strategy=random seed=7" in out.splitlines()[0]
    assert d["strategy"] == "random" and d["seed"] == 7
    assert d["repeat"] == 2 and d["runs_per_repeat"] == 3
    assert [r["runs"] for r in d["repeats"]] == [3, 3]
    w = d["repeat_work"]
    assert 1 <= w["distinct_traces"] <= 3 and w["trace_complete"] is True
    assert w["cycles"] >= d["run"]["cycles"] and w["callbacks"] >= d["run"]["callbacks"] > 0
    # the same seeded runs again: the same traces and work
    _, d2 = _bench_host(tmp_path, "b", *args)
    assert d2["run"]["hash"] == d["run"]["hash"] and d2["repeat_work"] == w
    # the default stays canonical: every run is `vmmsim run`'s trace
    out, c = _bench_host(tmp_path, "c", "--repeat", 2, "--runs-per-repeat", 3)
    assert c["strategy"] == "canonical" and c["seed"] == 0 and "strategy=canonical" in out
    assert c["repeat_work"]["distinct_traces"] == 1
    assert c["repeat_work"]["cycles"] == 3 * c["run"]["cycles"]
    run = run_vmmsim("run", "--quiet", rel(ROOT / "bench" / "latency" / "idle.yaml"), check_codes=(0,))
    assert f"# hash: {c['run']['hash']}" in run.stdout


def test_bench_host_bad_strategy_is_a_usage_error():
    proc = run_vmmsim("bench", "host", rel(ROOT / "bench" / "latency" / "idle.yaml"),
                      "--strategy", "dfs", check_codes=(2,))
    assert "--strategy expects canonical, random or pct" in proc.stderr
