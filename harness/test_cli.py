"""The `vmmsim run` / `vmmsim replay` command line: exit codes (docs/cli.md), error
messages with file:line:column, output formats, replay divergence."""
import json
import re

import pytest

from conftest import ROOT, SCENARIOS, run_vmmsim, scenario_files, rel

HASH = re.compile(r"^# hash: (0x[0-9a-f]{16})$", re.M)


def test_default_scenario_runs_and_passes():
    proc = run_vmmsim("run", check_codes=(0,))
    assert proc.stdout.startswith("# vmmsim-trace 1\n")
    assert "# scenario: <built-in>" in proc.stdout
    assert "# verdict: PASS" in proc.stdout
    assert HASH.search(proc.stdout)
    assert "CB_ENTER" in proc.stdout


def test_help_and_usage_errors():
    assert "usage: vmmsim run" in run_vmmsim("run", "--help", check_codes=(0,)).stdout
    assert "usage: vmmsim replay" in run_vmmsim("replay", "--help", check_codes=(0,)).stdout
    p = run_vmmsim("run", "--bogus", check_codes=(2,))
    assert "unknown option --bogus" in p.stderr
    run_vmmsim("run", "--max-cycles", "x", check_codes=(2,))
    run_vmmsim("run", "--strategy", "sideways", check_codes=(2,))
    run_vmmsim("replay", "only-one-arg", check_codes=(2,))


def test_missing_scenario_file_is_usage_error(tmp_path):
    p = run_vmmsim("run", tmp_path / "nope.yaml", check_codes=(2,))
    assert "nope.yaml: cannot open" in p.stderr


@pytest.mark.parametrize("text, where, what", [
    ("vms: [ { name: sys, system: true } ]\nmachin: {}\n", ":2:1:", "unknown key 'machin'"),
    ("vms: [ { name: sys, system: true }\n", ":2:1:", "YAML syntax"),
    ("vms: [ { name: sys, system: true } ]\ntimeline:\n  - { at: 5, vm: dos, do: wake }\n",
     ":3:18:", "found 'dos'"),
    ("vms: [ { name: sys, system: true } ]\nvxds:\n  - name: D\n    asm: |\n"
     "      Control_Proc: ret\n      mov eax, [nothere]\n", ":6:7:", "nothere"),
    ("vms: [ { name: sys, system: true } ]\nports:\n  - { port: 0x10000, value: 1 }\n",
     ":3:13:", "ports.port: expected an integer from 0 to 65535"),
])
def test_bad_scenario_names_file_line_column(tmp_path, text, where, what):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    p = run_vmmsim("run", f, check_codes=(2,))
    first = p.stderr.splitlines()[0]
    assert first.startswith(str(f) + where), p.stderr
    assert what in first, p.stderr


def test_missing_nasm_one_clear_line(tmp_path):
    import os, subprocess
    from conftest import vmmsim_path
    env = dict(os.environ, VMMSIM_NASM=str(tmp_path / "no-nasm"))
    p = subprocess.run([vmmsim_path(), "run"], capture_output=True, text=True, env=env)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install nasm" in lines[0], p.stderr


def test_jsonl_format():
    p = run_vmmsim("run", "--format", "jsonl", check_codes=(0,))
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    assert recs and all("cycle" in r and "type" in r for r in recs)
    assert any(r["type"] == "CHECKPOINT" for r in recs)
    assert "# verdict: PASS" in p.stderr


def test_perfetto_export(tmp_path):
    out = tmp_path / "t.json"
    run_vmmsim("run", "--quiet", "--perfetto", out, check_codes=(0,))
    doc = json.loads(out.read_text())
    ev = doc["traceEvents"]
    names = {e["args"]["name"] for e in ev if e.get("name") == "thread_name"}
    assert any(n.startswith("VM ") for n in names)
    begins = [e for e in ev if e["ph"] == "B"]
    ends = [e for e in ev if e["ph"] == "E"]
    assert begins and len(begins) == len(ends)
    assert all(e["ts"] >= 0 for e in ev if "ts" in e)


def test_trace_file_equals_stdout(tmp_path):
    out = tmp_path / "t.trace"
    p = run_vmmsim("run", "--trace", out, check_codes=(0,))
    assert out.read_text() == p.stdout


def test_replay_identical_and_diverged(tmp_path):
    scen = tmp_path / "s.yaml"
    base = (SCENARIOS / "demo_default.yaml").read_text() if (SCENARIOS / "demo_default.yaml").exists() else None
    if base is None:
        pytest.skip("scenarios/demo_default.yaml missing")
    scen.write_text(base)
    tr = tmp_path / "t.trace"
    run_vmmsim("run", "--quiet", "--trace", tr, scen, check_codes=(0,))
    ok = run_vmmsim("replay", scen, tr, check_codes=(0,))
    assert "replay: identical" in ok.stdout
    # A different scenario (one stimulus later) must diverge, and say where.
    times = re.findall(r"at: (\d+)", base)
    assert times, "demo_default.yaml has no 'at: N' stimulus"
    scen.write_text(base.replace(f"at: {times[-1]}", f"at: {int(times[-1]) + 1000}", 1))
    bad = run_vmmsim("replay", scen, tr, check_codes=(1,))
    assert "DIVERGED in checkpoint window" in bad.stdout
    assert "trace :" in bad.stdout and "replay:" in bad.stdout


def test_replay_of_edited_trace_is_detected(tmp_path):
    tr = tmp_path / "t.trace"
    run_vmmsim("run", "--quiet", "--trace", tr, check_codes=(0,))
    lines = tr.read_text().splitlines(True)
    i = next(k for k, l in enumerate(lines) if " CB_ENTER " in l)
    lines[i] = lines[i].replace("CB_ENTER", "CB_ENTRY")
    tr.write_text("".join(lines))
    p = run_vmmsim("replay", "-", tr, check_codes=(1,))
    assert "record" in p.stdout


def test_max_cycles_cuts_the_run():
    full = run_vmmsim("run", "--quiet", check_codes=(0,)).stdout
    cut = run_vmmsim("run", "--quiet", "--max-cycles", "1000", check_codes=None).stdout
    assert HASH.search(full).group(1) != HASH.search(cut).group(1)


def test_bug_scenario_passes_canonically_fails_under_some_schedule(tmp_path):
    """scenarios/bug_nc_before_idle.yaml: the driver's ordering assumption holds in the
    canonical order and breaks under some random schedule of its window; the failing
    run replays exactly from its trace."""
    scen = "scenarios/bug_nc_before_idle.yaml"
    assert "# verdict: PASS" in run_vmmsim("run", "--quiet", scen, check_codes=(0,)).stdout
    failing = None
    for seed in range(1, 21):
        p = run_vmmsim("run", "--quiet", "--strategy", "random", "--seed", seed, scen)
        if p.returncode == 1:
            failing = seed
            assert "expect FAILED: memory DRV.bug" in p.stdout
            break
    assert failing is not None, "no seed in 1..20 broke the driver"
    tr = tmp_path / "bad.trace"
    run_vmmsim("run", "--quiet", "--strategy", "random", "--seed", failing, "--trace", tr, scen,
               check_codes=(1,))
    assert "replay: identical" in run_vmmsim("replay", scen, tr, check_codes=(0,)).stdout


def test_trace_records_key_sizes_the_stored_trace(tmp_path):
    """machine.trace_records sets how many records are kept; expectations about callback
    entries on a cut trace fail with a reason instead of judging part of it (a `never`
    could pass falsely), while memory expectations and the hash still hold."""
    text = (SCENARIOS / "sl1_cpu_shares_fg100_bg50.yaml").read_text()
    full = run_vmmsim("run", "-q", SCENARIOS / "sl1_cpu_shares_fg100_bg50.yaml", check_codes=(0,))
    for n, code in ((64, 1), (4096, 0)):
        f = tmp_path / f"sl1_{n}.yaml"
        f.write_text(text.replace("machine: { clock_hz", f"machine: {{ trace_records: {n}, clock_hz", 1))
        p = run_vmmsim("run", "-q", f, check_codes=(code,))
        assert "# hash:" in p.stdout and p.stdout.split("# hash:")[1].split()[0] == \
            full.stdout.split("# hash:")[1].split()[0]
        cut = "cannot be checked: the trace kept only the first 64 of 139 records" in p.stdout
        assert cut == (n == 64), p.stdout
        assert "expect ok: memory SLC.sys_ms" in p.stdout
    f = tmp_path / "bad.yaml"
    f.write_text(text.replace("machine: { clock_hz", "machine: { trace_records: 10, clock_hz", 1))
    p = run_vmmsim("run", f, check_codes=(2,))
    assert "machine.trace_records: expected an integer from 64 to 2097152, found '10'" in p.stderr


def test_run_pct_is_seeded_recorded_and_replayed(tmp_path):
    """`run --strategy pct`: the same seed gives the same trace, the header records
    strategy, seed and depth, and `replay` re-runs exactly that run; some seed finds
    bug_crit_waiter_order's ordering bug, which the canonical run does not show."""
    s = SCENARIOS / "bug_crit_waiter_order.yaml"
    verdicts = set()
    for seed in range(16):
        t1, t2 = tmp_path / f"a{seed}.trace", tmp_path / f"b{seed}.trace"
        p = run_vmmsim("run", "-q", "--strategy", "pct", "--seed", seed, "--depth", 2, "--trace", t1, s,
                       check_codes=(0, 1))
        run_vmmsim("run", "-q", "--strategy", "pct", "--seed", seed, "--depth", 2, "--trace", t2, s,
                   check_codes=(p.returncode,))
        assert t1.read_text() == t2.read_text()
        assert f"# run: strategy=pct seed={seed} depth=2 pct-by=source\n" in t1.read_text()
        r = run_vmmsim("replay", s, t1, check_codes=(0,))
        assert "replay: identical" in r.stdout
        verdicts.add(p.returncode)
    assert verdicts == {0, 1}
    run_vmmsim("run", "--strategy", "pct", "--depth", 0, s, check_codes=(2,))
