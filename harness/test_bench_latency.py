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
    # Set_Global_Time_Out(25 ms) at cycle 60185 = 2.4 ms: system time 2 ms, due at 27 ms
    # = cycle 675000; with 10 ms ticks the first tick at or after it is tick 3 at
    # 30 ms = cycle 750000 (TO-1); then the callback entry.
    "timeout": [(30 - 27) * CLOCK_HZ // 1000 + ENTER_CB],
    # IRQ 5 is raised while only client code runs (an instruction boundary): interrupt
    # gate + service path, then the Hw_Int_Proc entry (INT-1).
    "hwint": [IRQ_GATE + SERVICE + ENTER_CB],
}


def bench(*args, json_path=None):
    extra = ["--json", str(json_path)] if json_path else []
    return run_vmmsim("bench", "latency", *args, *extra, check_codes=(0,))


def test_bench_help():
    out = run_vmmsim("bench", "latency", "--help", check_codes=(0,)).stdout
    assert "--runs" in out and "--strategy" in out and "--json" in out


def test_bench_bad_usage():
    for args in (["latency"], ["latency", KNOWN, "--strategy", "dfs"], ["latency", KNOWN, "--runs", "0"],
                 ["walk", KNOWN]):
        proc = run_vmmsim("bench", *args, check_codes=(2,))
        assert "vmmsim bench:" in proc.stderr


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


def test_latency_table_in_cycles_and_us():
    out = bench(KNOWN, "--runs", 2, "--strategy", "canonical").stdout.splitlines()
    rows = {l.split()[0]: l.split() for l in out if l and not l.startswith(("#", " ", "kind"))}
    us_rows = [l.split() for l in out if l.startswith(" ")]
    assert list(rows) == ["nc", "idle", "event", "prio", "timeout", "hwint"]
    ev = rows["event"]
    assert ev[1:3] == ["2", "0"] and ev[3:] == [str(EXPECTED["event"][0])] * 5
    # µs at 25 MHz: 75009 cycles = 3000.360 µs.
    to_us = us_rows[list(rows).index("timeout")]
    assert to_us == ["us"] + ["3000.360"] * 5


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
