"""`vmmsim fuzz`, `shrink`, `fuzz-merge` and `replay --schedule` (DESIGN.md section 4,
docs/fuzzing.md): ordering bugs that the canonical order does not show are found by
random and PCT within a bounded number of runs, replay exactly from their schedule,
shrink, and the shrunk schedule still fails the same way; output does not depend on
--jobs; shards union to the unsharded campaign; Ctrl-C keeps what was found."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, SCENARIOS, run_vmmsim, rel, vmmsim_path

# Scenarios with real ordering bugs, and the choice point that exposes each.
BUGS = ["bug_nc_before_idle", "bug_crit_waiter_order", "bug_global_event_order",
        "bug_idle_races_timeout", "bug_trap_crit_vs_nc",
        "bug_hook_consumes_int", "bug_timeout_destroyed_vm"]
RUNS_BOUND = 64          # each bug must be found within this many runs


def scen(name):
    return rel(SCENARIOS / (name + ".yaml"))


def summary(stdout):
    d = json.loads(stdout.strip().splitlines()[-1])
    d.pop("timing")
    return d


def schedule_decisions(path):
    lines = path.read_text().splitlines()
    assert lines[0] == "# vmmsim-schedule 1"
    head = dict(l.split(" ", 1) for l in lines[1:] if not l[0].isdigit() and " " in l)
    n = int(head["decisions"])
    return head, lines[len(lines) - n:]


def test_help_of_new_commands():
    for cmd in ("fuzz", "shrink", "fuzz-merge"):
        assert f"usage: vmmsim {cmd}" in run_vmmsim(cmd, "--help", check_codes=(0,)).stdout
    assert "--schedule FILE" in run_vmmsim("replay", "--help", check_codes=(0,)).stdout
    run_vmmsim("fuzz", check_codes=(2,))
    run_vmmsim("fuzz", scen(BUGS[0]), "--strategy", "dfs-ish", check_codes=(2,))
    run_vmmsim("fuzz", scen(BUGS[0]), "--shard", "2/2", check_codes=(2,))
    run_vmmsim("shrink", scen(BUGS[0]), check_codes=(2,))


@pytest.mark.parametrize("strategy", ["random", "pct"])
@pytest.mark.parametrize("bug", BUGS)
def test_s4_bug_found_replayed_shrunk(bug, strategy, tmp_path):
    # The canonical order passes: only another schedule shows the bug.
    run_vmmsim("run", "-q", scen(bug), check_codes=(0,))
    out = tmp_path / "out"
    p = run_vmmsim("fuzz", scen(bug), "--strategy", strategy, "--runs", RUNS_BOUND, "--seed", 1,
                   "--jobs", 2, "--out", out, "--json", check_codes=(1,))
    s = summary(p.stdout)
    assert s["runs"] == RUNS_BOUND and 1 <= s["failures"] <= RUNS_BOUND
    findings = [json.loads(l) for l in (out / "findings.jsonl").read_text().splitlines()]
    assert len(findings) == s["failures"]
    f = findings[0]
    assert f["run"] == s["first_failure"]["run"] and f["strategy"] == strategy
    sched = out / f["schedule"]
    head, dec = schedule_decisions(sched)
    assert head["strategy"] == strategy and head["failure"] == f["failure"]
    assert int(head["trace-hash"], 16) == int(f["trace_hash"], 16)

    # The schedule replays exactly, and its trace is the run's trace.
    r = run_vmmsim("replay", scen(bug), "--schedule", sched, check_codes=(0,))
    assert f"replay: identical (hash {f['trace_hash']})" in r.stdout
    assert "# verdict: FAIL" in r.stdout and f"# failure: {f['failure']}" in r.stdout
    trace = (out / f["trace"]).read_text()
    body = lambda t: [l for l in t.splitlines() if l[:1].isdigit()]
    assert body(trace) == body(r.stdout)
    if strategy == "random":   # its header names strategy and seed: plain replay works too
        run_vmmsim("replay", scen(bug), out / f["trace"], check_codes=(0,))

    # Shrinking keeps the same failure and never grows the list.
    small = tmp_path / "min.schedule"
    k = run_vmmsim("shrink", scen(bug), "--schedule", sched, "--out", small, "--keep-stimuli",
                   check_codes=(0,))
    assert "verified" in k.stdout
    h2, dec2 = schedule_decisions(small)
    assert h2["failure"] == f["failure"] and len(dec2) <= len(dec)
    assert len(dec2) >= 1      # the canonical order passes, so some decision is needed
    r2 = run_vmmsim("replay", scen(bug), "--schedule", small, "-q", check_codes=(0,))
    assert "# verdict: FAIL" in r2.stdout and f"# failure: {f['failure']}" in r2.stdout
    assert "replay: identical" in r2.stdout

    # By default the timeline shrinks too: the shrunk schedule goes with the reduced
    # scenario written beside it, which loads on its own and still fails the same way.
    k = run_vmmsim("shrink", scen(bug), "--schedule", sched, "--out", tmp_path / "m2",
                   check_codes=(0,))
    reduced = tmp_path / "m2.yaml"
    assert f"wrote {reduced}" in k.stdout
    h3, _ = schedule_decisions(tmp_path / "m2")
    assert h3["failure"] == f["failure"]
    r3 = run_vmmsim("replay", reduced, "--schedule", tmp_path / "m2", "-q", check_codes=(0,))
    assert f"# failure: {f['failure']}" in r3.stdout and "replay: identical" in r3.stdout


def test_s4_shrink_minimises_jitter_to_the_edge(tmp_path):
    """bug_nc_before_idle fails when finish_io is released after the idle signal at
    40000; its window starts at 20000, so the smallest failing offset is 20001."""
    out = tmp_path / "o"
    run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--runs", 16, "--seed", 3, "--out", out,
               "--quiet", check_codes=(1,))
    first = sorted(out.glob("run-*.schedule"))[0]
    small = tmp_path / "s"
    run_vmmsim("shrink", scen("bug_nc_before_idle"), "--schedule", first, "--out", small,
               "--keep-stimuli", check_codes=(0,))
    assert schedule_decisions(small)[1] == ["jitter 40001 20001"]


def test_s4_idle_races_timeout_edge_is_the_tick(tmp_path):
    """bug_idle_races_timeout (IDLE-2, TO-1): the give-up time-out falls due at the 20 ms
    tick, cycle 500000; the kernel's idle call comes in [200000, 700000]. An idle call
    one cycle before the tick completes first and passes; at the tick itself the
    time-out's callback runs first (at the return to a VM, due time-outs come before
    stimuli), so every failing schedule shrinks to offset 300000."""
    bug = scen("bug_idle_races_timeout")
    for offset, verdict in ((299999, "PASS"), (300000, "FAIL")):
        f = tmp_path / f"at{offset}.schedule"
        f.write_text(f"# vmmsim-schedule 1\nstrategy random\nseed 0\ndecisions 1\n"
                     f"jitter 500001 {offset}\n")
        r = run_vmmsim("replay", bug, "--schedule", f, "-q", check_codes=(0,))
        assert f"# verdict: {verdict}" in r.stdout
    out = tmp_path / "o"
    run_vmmsim("fuzz", bug, "--strategy", "pct", "--runs", 16, "--seed", 5, "--out", out,
               "--quiet", check_codes=(1,))
    last = sorted(out.glob("run-*.schedule"))[-1]
    small = tmp_path / "s"
    run_vmmsim("shrink", bug, "--schedule", last, "--out", small, "--keep-stimuli",
               check_codes=(0,))
    assert schedule_decisions(small)[1] == ["jitter 500001 300000"]


NOISE = """timeline:
  - { at: 5000, vm: dos1, do: release_time_slice }
  # stimuli that have nothing to do with the bug
  - { at: [6000, 9000], vm: dos1, do: release_time_slice }
  - { at: [10000, 12000], vm: sys, do: call(DRV.start) }
  - at: 20000
    vm: dos1
    do: release_time_slice
  - { at: [30000, 31000], do: kernel_idle }
expect:"""


def timeline(text):
    lines = text.split("timeline:\n", 1)[1].split("expect:", 1)[0].splitlines()
    return [l for l in lines if l.strip().startswith("-")]


def test_s4_shrink_drops_irrelevant_stimuli(tmp_path):
    """The stimulus half of shrinking: bug_global_event_order with four extra timeline
    entries (three with `at:` windows, one in block style) shrinks to the one entry
    the bug needs, its window narrowed to a point, and the reduced scenario fails with
    the shrunk schedule the same way the original did."""
    text = (SCENARIOS / "bug_global_event_order.yaml").read_text()
    head, rest = text.split("timeline:\n", 1)
    noisy = tmp_path / "noisy.yaml"
    noisy.write_text(head + NOISE + rest.split("expect:", 1)[1])
    assert len(timeline(noisy.read_text())) == 5
    out = tmp_path / "out"
    run_vmmsim("fuzz", noisy, "--runs", RUNS_BOUND, "--seed", 1, "--out", out, "--quiet",
               check_codes=(1,))
    first = sorted(out.glob("run-*.schedule"))[0]
    head0, _ = schedule_decisions(first)
    small, reduced = tmp_path / "min.schedule", tmp_path / "min.yaml"
    k = run_vmmsim("shrink", noisy, "--schedule", first, "--out", small, "--out-scenario",
                   reduced, check_codes=(0,))
    assert "5 -> 1 stimuli" in k.stdout
    kept = timeline(reduced.read_text())
    assert kept == ["  - { at: 10000, vm: sys, do: call(DRV.start) }"]
    # Everything but the timeline is the user's text, unchanged.
    assert reduced.read_text().split("timeline:")[0] == noisy.read_text().split("timeline:")[0]
    h, dec = schedule_decisions(small)
    assert h["failure"] == head0["failure"] and dec == ["pending-event 2 1"]
    r = run_vmmsim("replay", reduced, "--schedule", small, "-q", check_codes=(0,))
    assert f"# failure: {h['failure']}" in r.stdout and "replay: identical" in r.stdout
    # The shrunk schedule belongs to the reduced scenario, not to the original.
    run_vmmsim("replay", noisy, "--schedule", small, check_codes=(2,))
    # Without the decision, the reduced scenario passes: the bug is still an ordering bug.
    run_vmmsim("run", "-q", reduced, check_codes=(0,))


def test_s4_same_findings_with_jobs_1_2_and_4(tmp_path):
    res = []
    for jobs in (1, 2, 4):
        out = tmp_path / f"j{jobs}"
        p = run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--runs", 2000, "--seed", 9,
                       "--jobs", jobs, "--out", out, "--json", check_codes=(1,))
        files = {q.name: q.read_bytes() for q in sorted(out.iterdir())}
        res.append((summary(p.stdout), files))
    assert res[0][0] == res[1][0] == res[2][0]
    # findings.jsonl, schedules and traces, byte for byte
    assert res[0][1] == res[1][1] == res[2][1]
    assert res[0][0]["distinct_schedules"] > 1000


@pytest.mark.parametrize("name,strategy,runs", [("bug_crit_waiter_order", "pct", 500),
                                               ("int1_hw_int_at_next_boundary", "random", 300)])
def test_shard_union_equals_unsharded_campaign(tmp_path, name, strategy, runs):
    args = ("fuzz", scen(name), "--strategy", strategy, "--runs", runs, "--seed", 4, "--quiet",
            "--json")
    whole = summary(run_vmmsim(*args, "--out", tmp_path / "all").stdout)
    parts, counts = [], []
    for i in range(3):
        p = run_vmmsim(*args, "--shard", f"{i}/3", "--jobs", 1 + i % 2, "--out", tmp_path / f"s{i}")
        counts.append(summary(p.stdout)["distinct_schedules"])
        parts.append(tmp_path / f"s{i}" / "findings.jsonl")
    runs_of = [set(json.loads(l)["run"] for l in p.read_text().splitlines()) for p in parts]
    assert not (runs_of[0] & runs_of[1]) and not (runs_of[1] & runs_of[2])
    assert not (runs_of[0] & runs_of[2])
    m = run_vmmsim("fuzz-merge", *reversed(parts), "--json", check_codes=(0,))
    assert m.stdout == (tmp_path / "all" / "findings.jsonl").read_text()

    # Distinct schedules: the union of the shards' sets (each DIR/distinct.txt, found
    # beside its findings file) is the unsharded campaign's count; the shards' own
    # counts overlap, so their sum is not.
    merged = json.loads(m.stderr.strip().splitlines()[-1])
    assert merged["distinct_schedules"] == whole["distinct_schedules"] > 1
    assert merged["distinct_schedules"] < sum(counts)
    assert merged["distinct_exact"] and merged["complete"] and merged["runs"] == runs
    assert merged["shards"] == "3/3" and merged["findings"] == whole["failures"]
    sets = [tmp_path / f"s{i}" / "distinct.txt" for i in range(3)]
    lines = sets[0].read_text().splitlines()
    assert lines[0] == "# vmmsim-distinct 1" and "shard 0/3" in lines
    hashes = lines[10:]
    assert len(hashes) == counts[0] and hashes == sorted(set(hashes))
    union = set().union(*(p.read_text().splitlines()[10:] for p in sets))
    assert len(union) == whole["distinct_schedules"]

    # Named explicitly (a Slurm or Kubernetes job collecting the files itself); text
    # summary on stdout when the findings go to --out.
    named = [a for p in sets[::-1] for a in ("--distinct", p)]
    t = run_vmmsim("fuzz-merge", *named, "--out", tmp_path / "m.jsonl", *parts, check_codes=(0,))
    assert f"distinct_schedules={whole['distinct_schedules']} over {runs} of {runs} runs" in t.stdout
    assert (tmp_path / "m.jsonl").read_text() == m.stdout
    two = json.loads(run_vmmsim("fuzz-merge", "--json", *named[:4], check_codes=(0,)).stdout)
    assert two["shards"] == "2/3" and not two["complete"]

    # Refused: a shard twice, another campaign's set, a damaged set, some sets missing.
    run_vmmsim("fuzz-merge", "--distinct", sets[0], "--distinct", sets[0], check_codes=(2,))
    run_vmmsim(*args[:4], "--seed", 5, "--runs", 10, "--out", tmp_path / "other", check_codes=(0, 1))
    p = run_vmmsim("fuzz-merge", "--distinct", sets[0], "--distinct", tmp_path / "other" / "distinct.txt",
                   check_codes=(2,))
    assert "another campaign" in p.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines[:10] + hashes[1:2] + hashes[:1]) + "\n")
    assert "above the previous" in run_vmmsim("fuzz-merge", "--distinct", bad, check_codes=(2,)).stderr
    (tmp_path / "s1" / "distinct.txt").unlink()
    run_vmmsim("fuzz-merge", *parts, check_codes=(2,))
    assert run_vmmsim("fuzz-merge", "--no-distinct", *parts, check_codes=(0,)).stdout == m.stdout


def test_replay_schedule_on_another_scenario_is_refused(tmp_path):
    out = tmp_path / "o"
    run_vmmsim("fuzz", scen("bug_crit_waiter_order"), "--runs", 16, "--out", out, "--quiet",
               check_codes=(1,))
    sched = sorted(out.glob("run-*.schedule"))[0]
    p = run_vmmsim("replay", scen("bug_nc_before_idle"), "--schedule", sched, check_codes=(2,))
    assert "different scenario file" in p.stderr


def test_sigint_stops_cleanly_and_keeps_findings(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.Popen([vmmsim_path(), "fuzz", scen("bug_nc_before_idle"), "--runs",
                             "1000000000", "--jobs", "2", "--out", str(out), "--json", "--quiet"],
                            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    s = summary(stdout)
    assert s["stopped"] is True and 0 < s["runs"] < 1000000000
    lines = (out / "findings.jsonl").read_text().splitlines()
    assert len(lines) == s["failures"]
    for l in lines:     # every finding complete, with its files
        f = json.loads(l)
        assert f["run"] < s["runs"]
        assert (out / f["schedule"]).exists() and (out / f["trace"]).exists()


def test_json_summary_reports_the_campaign_rate():
    """The summary's timing block is what bench/fuzz/fuzz_bench.py reads: the rate is
    there and consistent with the run count. Speed itself is measured in bench/, never
    asserted here."""
    p = run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--runs", 2000, "--jobs", 1, "--json",
                   "--quiet", check_codes=(1,))
    s = json.loads(p.stdout.strip().splitlines()[-1])
    t = s["timing"]
    assert s["runs"] == 2000
    assert isinstance(t["runs_per_s_per_job"], (int, float)) and t["runs_per_s_per_job"] > 0
    print("runs/s/core:", t["runs_per_s_per_job"])


def test_s4_dfs_covers_the_tree_and_finds_the_waiter_bug(tmp_path):
    """bug_crit_waiter_order has one crit-waiter choice of 2: the tree has 2 schedules,
    run 0 is the canonical (passing) one, run 1 the failing one."""
    out = tmp_path / "o"
    p = run_vmmsim("fuzz", scen("bug_crit_waiter_order"), "--strategy", "dfs", "--runs", 100,
                   "--out", out, "--json", check_codes=(1,))
    s = summary(p.stdout)
    assert s["covered"] is True and s["runs"] == 2 and s["distinct_schedules"] == 2
    assert s["failures"] == 1 and s["first_failure"]["run"] == 1
    r = run_vmmsim("replay", scen("bug_crit_waiter_order"), "--schedule", out / "run-00000001.schedule",
                   "-q", check_codes=(0,))
    assert "# verdict: FAIL" in r.stdout and "replay: identical" in r.stdout
    # A tree too big for the run limit is reported as not covered; a bound shrinks it.
    p = run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--strategy", "dfs", "--runs", 50,
                   "--windows", "cycles", "--json", "--quiet", check_codes=(0,))
    assert summary(p.stdout)["covered"] is False
    # A scenario without choice points: a tree of one schedule.
    p = run_vmmsim("fuzz", scen("cs3_release_to_highest_waiter"), "--strategy", "dfs", "--json",
                   check_codes=(0,))
    assert summary(p.stdout)["covered"] is True


def test_self_check_finds_no_nondeterminism():
    p = run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--self-check", "--runs", 500, "--json",
                   "--quiet", "--strategy", "pct", check_codes=(1,))
    plain = run_vmmsim("fuzz", scen("bug_nc_before_idle"), "--runs", 500, "--json", "--quiet",
                       "--strategy", "pct", check_codes=(1,))
    assert summary(p.stdout) == summary(plain.stdout)   # same failures, none nondeterministic


@pytest.mark.parametrize("text,err", [
    ("", "empty schedule"),
    ("# vmmsim-trace 1\n", "not a schedule file"),
    ("# vmmsim-schedule 1\nseed x\n", "malformed"),
    ("# vmmsim-schedule 1\njitter 1 0\n", "malformed"),          # n < 2
    ("# vmmsim-schedule 1\njitter 4 4\n", "malformed"),          # chosen >= n
    ("# vmmsim-schedule 1\nwarp 4 1\n", "malformed"),            # unknown kind
    ("# vmmsim-schedule 1\ndecisions 2\njitter 4 1\n", "decision lines"),
])
def test_malformed_schedule_files_are_rejected(tmp_path, text, err):
    f = tmp_path / "bad.schedule"
    f.write_text(text)
    for cmd in (("replay", scen(BUGS[0]), "--schedule", f), ("shrink", scen(BUGS[0]), "--schedule", f)):
        p = run_vmmsim(*cmd, check_codes=(2,))
        assert err in p.stderr


def test_schedule_past_its_end_runs_canonically(tmp_path):
    """An empty decision list is the canonical run (DESIGN.md section 4), which passes;
    shrink refuses it as not failing."""
    f = tmp_path / "empty.schedule"
    f.write_text("# vmmsim-schedule 1\nstrategy random\nseed 0\ndecisions 0\n")
    r = run_vmmsim("replay", scen(BUGS[0]), "--schedule", f, "-q", check_codes=(0,))
    canon = run_vmmsim("run", "-q", scen(BUGS[0]), check_codes=(0,))
    assert "# verdict: PASS" in r.stdout
    assert canon.stdout.splitlines()[0] in r.stdout.splitlines()   # same hash line
    run_vmmsim("shrink", scen(BUGS[0]), "--schedule", f, check_codes=(1,))


RULE_SCENARIOS = sorted(p.stem for p in SCENARIOS.glob("*.yaml")
                        if not p.stem.startswith(("bug_", "showcase_")))


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_rule_scenarios_hold_in_every_order_explored(strategy):
    """A rule scenario states what the documentation guarantees, so its expectations
    must hold in every order the documentation leaves open, not only the canonical
    one: no finding under 300 explored schedules of each. (bug_* scenarios are the
    ones meant to fail.)"""
    bad = {}
    for name in RULE_SCENARIOS:
        p = run_vmmsim("fuzz", scen(name), "--strategy", strategy, "--runs", 300, "--seed", 7,
                       "--json", "--quiet", check_codes=(0, 1))
        s = json.loads(p.stdout.strip().splitlines()[-1])
        if s["failures"]:
            bad[name] = s["failures"]
    assert not bad, bad


IRQ_WINDOW_SCENARIO = """\
name: two IRQs raised while VxD code runs, each on one of 3 instruction boundaries
rule: [INT-1]
machine: { irq_boundary_window: %d }
vms:
  - { name: sys, system: true }
  - { name: dos1 }
vxds:
  - name: DEV
    asm: |
      %%include "vmm.inc"
      Control_Proc:
              cmp     eax, Device_Init
              jne     .done
              mov     edi, irq5_desc
              VPICDcall VPICD_Virtualize_IRQ
      .done:  clc
              ret
      spin:   mov     ecx, edx
      .l:     dec     ecx
              jnz     .l
              ret
      hw5:    mov     [hw5_ecx], ecx
              inc     dword [hw5_runs]
              VPICDcall VPICD_Phys_EOI
              clc
              ret
      align 4
      irq5_desc:  dw 5, 0
                  dd hw5, 0, 0, 0, 0, 500
      hw5_ecx:    dd 0
      hw5_runs:   dd 0
timeline:
  - { at: 10000, vm: dos1, do: call(DEV.spin), arg: 10000 }
  - { at: 20000, do: irq, irq: 5 }
  - { at: 40000, do: irq, irq: 5 }
expect:
  - memory: { label: DEV.hw5_runs, value: 2 }
"""


@pytest.mark.parametrize("window,schedules", [(1, 1), (3, 9)])
def test_dfs_covers_the_irq_boundary_tree(tmp_path, window, schedules):
    """INT-1 / DESIGN.md section 4: with machine.irq_boundary_window 3 each IRQ raised
    inside VxD code is an irq-boundary choice of 3, so two raises make a tree of 3 x 3
    schedules; the default window 1 asks nothing (one schedule)."""
    f = tmp_path / "irq_window.yaml"
    f.write_text(IRQ_WINDOW_SCENARIO % window)
    p = run_vmmsim("fuzz", f, "--strategy", "dfs", "--runs", 100, "--json", check_codes=(0,))
    s = summary(p.stdout)
    assert s["covered"] is True and s["failures"] == 0
    assert s["runs"] == schedules and s["distinct_schedules"] == schedules
    canon = run_vmmsim("run", f, check_codes=(0,)).stdout
    assert canon.count("CHOICE kind=irq-boundary n=3 chosen=0") == (2 if window == 3 else 0)


def test_ev2_pending_priority_events_lifo_canonically_both_orders_explored():
    """EV-2 / DESIGN.md §4: among pending priority events the canonical order is LIFO
    (the documentation's "usually"); the other order is a choice point that random
    schedules reach, and the scenario's expectations hold in both."""
    name = "ev2_priority_events_lifo"

    def entries(p):
        return [l.split(" cb=")[1].split()[0] for l in p.stdout.splitlines()
                if " CB_ENTER kind=prio " in l]

    canon = run_vmmsim("run", scen(name), check_codes=(0,))
    assert entries(canon) == ["P.cb_second", "P.cb_first"]
    seen = set()
    for seed in range(32):
        p = run_vmmsim("run", scen(name), "--strategy", "random", "--seed", seed, check_codes=(0,))
        seen.add(tuple(entries(p)))
    assert seen == {("P.cb_second", "P.cb_first"), ("P.cb_first", "P.cb_second")}


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_showcase_client_same_findings_with_jobs_1_and_2(strategy):
    """The client-code showcase (every VM runs a program; IRQs in jitter windows) holds
    its expectations on explored schedules, and a campaign finds the same with one
    worker thread as with two (client code keeps fuzzing deterministic). It runs
    20 M cycles per run, so it gets fewer runs than the rule scenarios above."""
    sums = []
    for jobs in (1, 2):
        p = run_vmmsim("fuzz", scen("showcase_client"), "--strategy", strategy, "--runs", 40,
                       "--seed", 11, "--jobs", jobs, "--json", "--quiet", check_codes=(0, 1))
        s = json.loads(p.stdout.strip().splitlines()[-1])
        s.pop("timing")
        sums.append(s)
    assert sums[0] == sums[1]
    assert sums[0]["failures"] == 0, sums[0]
    assert sums[0]["distinct_schedules"] > 1


def test_amb_nx_explored(tmp_path):
    """AMB-NX (docs/vmm.md, "Nested execution"): under machine.explore_ambiguities the
    other reading (an event due while a VxD waits in Resume_Exec runs only after it goes
    on) is a choice that random and pct fuzzing reach: nx4's expectation (the event ran
    before Resume_Exec returned) fails on it, and never canonically."""
    text = (SCENARIOS / "nx4_event_runs_in_the_nest.yaml").read_text()
    f = tmp_path / "nx4_amb.yaml"
    f.write_text(text.replace("\nvms:", "\nmachine: { explore_ambiguities: true }\nvms:", 1))
    for strategy in ("random", "pct"):
        p = run_vmmsim("fuzz", f, "--strategy", strategy, "--runs", 50, "--seed", 7, "--json", "--quiet",
                       check_codes=(0, 1))
        s = json.loads(p.stdout.strip().splitlines()[-1])
        assert s["failures"] > 0 and s["signatures"][0]["failure"] == "expect:0", s
        assert s["signatures"][0]["noncanonical"] == 1, s


LIFE_ORDER_SCENARIO = """\
name: a global time-out for dos1 falls due in the step dos1 is destroyed
vms:
  - { name: sys, system: true }
  - { name: dos1 }
vxds:
  - name: T
    asm: |
      %include "vmm.inc"
      Control_Proc:
              clc
              ret
      arm:    mov     edx, ebx
              mov     eax, 19
              mov     esi, flush
              VMMcall Set_Global_Time_Out
              ret
      flush:  ret
timeline:
  - { at: 10000, vm: dos1, do: call(T.arm) }
  - { at: 660000, vm: dos1, do: destroy_vm }
"""


def test_life_order_choice_is_explored(tmp_path):
    """The life-order choice point (docs/vmm.md, "The VM lifecycle"): the time-out due at
    the 20 ms tick runs before dos1's destruction canonically, after it (a VML-1 finding)
    in the other order; dfs covers both, and the failing schedule replays."""
    s = tmp_path / "life.yaml"
    s.write_text(LIFE_ORDER_SCENARIO)
    canon = run_vmmsim("run", s, check_codes=(0,)).stdout
    assert "CHOICE kind=life-order n=2 chosen=0" in canon and "# verdict: PASS" in canon
    out = tmp_path / "o"
    p = run_vmmsim("fuzz", s, "--strategy", "dfs", "--runs", 10, "--out", out, "--json",
                   check_codes=(1,))
    d = summary(p.stdout)
    assert d["covered"] is True and d["runs"] == 2 and d["failures"] == 1
    lines = (out / "run-00000001.schedule").read_text().splitlines()
    assert lines[0] == "# vmmsim-schedule 2"   # a kind that version 1 files do not know
    assert lines[-1] == "life-order 2 1" and "decisions 1" in lines
    r = run_vmmsim("replay", s, "--schedule", out / "run-00000001.schedule", check_codes=(0,))
    assert "FINDING rule=VML-1" in r.stdout and "replay: identical" in r.stdout
