"""The deep-bug benchmark's scenarios (scenarios/deep/, docs/fuzzing.md, "The deep-bug
benchmark"): each passes canonically, is found by a fuzz campaign, and its failing
schedule shrinks (decisions only) to exactly the number of non-canonical decisions
its description documents: shrinking reaches the true minimum on order choices.
"""
import pathlib
import re

import pytest

from conftest import ROOT, rel, run_vmmsim

DEEP = sorted((ROOT / "scenarios" / "deep").glob("*.yaml"))
NEEDS = re.compile(r"\((\d)\s+non-canonical\s+decisions")


def documented_minimum(scen):
    m = NEEDS.search(pathlib.Path(scen).read_text())
    assert m, f"{scen.name}: its description does not say how many non-canonical decisions it needs"
    return int(m.group(1))


def test_there_are_eight_deep_scenarios():
    assert len(DEEP) >= 8


@pytest.mark.parametrize("scen", DEEP, ids=[s.stem for s in DEEP])
def test_deep_bug_passes_canonically_and_shrinks_to_its_minimum(scen, tmp_path):
    need = documented_minimum(scen)
    assert 2 <= need <= 3
    run = run_vmmsim("run", rel(scen), "--quiet", check_codes=(0,))
    assert "PASS" in run.stdout
    out = tmp_path / "found"
    run_vmmsim("fuzz", rel(scen), "--runs", "20000", "--max-failures", "1", "--seed", "1",
               "--jobs", "1", "--quiet", "--out", out, check_codes=(1,))
    found = sorted(out.glob("run-*.schedule"))
    assert len(found) == 1
    mini = tmp_path / "min.schedule"
    run_vmmsim("shrink", rel(scen), "--schedule", found[0], "--keep-stimuli", "--out", mini,
               check_codes=(0,))
    lines = [l.split() for l in mini.read_text().splitlines()
             if l and not l.startswith("#")]
    start = next(i for i, l in enumerate(lines) if l[0] == "decisions") + 1
    noncanonical = [l for l in lines[start:] if l[2] != "0"]
    assert len(noncanonical) == need, f"{scen.stem}: shrunk to {noncanonical}"
    kinds = {l[0] for l in noncanonical}
    assert len(kinds) >= 2, f"{scen.stem}: one kind only: {noncanonical}"


def fuzz_json(*args):
    p = run_vmmsim("fuzz", *args, "--json", "--quiet", check_codes=(0, 1))
    d = __import__("json").loads(p.stdout.strip().splitlines()[-1])
    d.pop("timing")
    return d


@pytest.mark.parametrize("extra", [[], ["--strategy", "pct", "--depth", "2"], ["--swarm"],
                                   ["--strategy", "pct", "--pct-by", "rank"]])
def test_max_failures_and_signatures_same_with_jobs_1_and_2(extra, tmp_path):
    """--max-failures stops at the N-th failure in run order: the summary (runs,
    coverage, signatures) and findings.jsonl are the same whatever --jobs, and no
    schedule of a later run stays under --out."""
    s = rel(ROOT / "scenarios" / "deep" / "timer_stop.yaml")
    docs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}"
        docs.append(fuzz_json(s, *extra, "--runs", "3000", "--seed", "5", "--jobs", jobs,
                              "--max-failures", "3", "--out", out))
        assert len(list(out.glob("run-*.schedule"))) == docs[-1]["failures"]
    assert docs[0] == docs[1]
    assert docs[0]["failures"] == 3 and docs[0]["stopped"]
    assert docs[0]["runs"] == max(int(l.split('"run":')[1].split(",")[0]) for l in
                                  (tmp_path / "j1" / "findings.jsonl").read_text().splitlines()) + 1
    assert (tmp_path / "j1" / "findings.jsonl").read_text() == \
        (tmp_path / "j2" / "findings.jsonl").read_text()
    sig = docs[0]["signatures"]
    assert sum(x["count"] for x in sig) == 3
    assert all(x["noncanonical"] >= 3 for x in sig)


def test_shrink_each_signature_to_its_minimum(tmp_path):
    s = ROOT / "scenarios" / "deep" / "arm_fire.yaml"
    out = tmp_path / "o"
    d = fuzz_json(rel(s), "--runs", "500", "--seed", "2", "--jobs", "2", "--out", out, "--shrink")
    assert d["failures"] > 0 and d["signatures"]
    for i, x in enumerate(d["signatures"]):
        assert x["shrunk"] == f"sig-{i}.min.schedule"
        lines = (out / x["shrunk"]).read_text().splitlines()
        start = next(k for k, l in enumerate(lines) if l.startswith("decisions ")) + 1
        assert len([l for l in lines[start:] if l.split()[2] != "0"]) == documented_minimum(s)
        p = run_vmmsim("replay", rel(s), "--schedule", out / x["shrunk"], check_codes=(0,))
        assert "# verdict: FAIL" in p.stdout and "replay: identical" in p.stdout


def test_coverage_counts_and_log(tmp_path):
    s = rel(ROOT / "scenarios" / "deep" / "journal_order.yaml")
    log = tmp_path / "cov.txt"
    d = fuzz_json(s, "--runs", "300", "--seed", "1", "--jobs", "2", "--coverage-log", log)
    c = d["coverage"]
    assert c["distinct_schedules"] == d["distinct_schedules"] > 1
    assert 1 < c["distinct_traces"] <= 300
    assert c["kind_rank_pairs"] > 13          # pending-event ranks 0..12 and more kinds
    assert 0 < c["callback_pairs_both_orders"] <= c["callback_pairs"]
    rows = [list(map(int, l.split())) for l in log.read_text().splitlines()]
    assert rows[-1] == [300, c["distinct_schedules"], c["distinct_traces"], c["kind_rank_pairs"],
                        c["callback_pairs_both_orders"], c["distinct_callback_orders"]]
    assert 1 < c["distinct_callback_orders"] <= c["distinct_traces"]
    assert all(a[0] < b[0] and all(x <= y for x, y in zip(a, b)) for a, b in zip(rows, rows[1:]))
    canon = fuzz_json(s, "--runs", "300", "--seed", "1", "--strategy", "pct", "--depth", "1",
                      "--swarm")
    assert canon["coverage"]["distinct_schedules"] > 1
    assert canon["swarm"] is True and canon["pct_by"] == "source"


def test_shrink_needs_out():
    p = run_vmmsim("fuzz", rel(DEEP[0]), "--shrink", check_codes=(2,))
    assert "--out" in p.stderr


def test_pct_run_trace_says_its_mapping_and_old_headers_replay_by_rank(tmp_path):
    """`run --strategy pct` over sources writes pct-by=source; over ranks it writes the
    header of old, and a header without the field replays over (kind, rank)."""
    s = rel(ROOT / "scenarios" / "deep" / "journal_order.yaml")
    for by, field in (("source", " pct-by=source"), ("rank", "")):
        t = tmp_path / f"{by}.trace"
        run_vmmsim("run", "-q", "--strategy", "pct", "--pct-by", by, "--seed", 11, "--trace", t, s)
        assert f"# run: strategy=pct seed=11 depth=3{field}\n" in t.read_text()
        p = run_vmmsim("replay", s, t, "--quiet", check_codes=(0,))
        assert "replay: identical" in p.stdout
    a = (tmp_path / "source.trace").read_text().splitlines()
    b = (tmp_path / "rank.trace").read_text().splitlines()
    assert [l for l in a if "CHOICE" in l] != [l for l in b if "CHOICE" in l]
    run_vmmsim("run", "--strategy", "pct", "--pct-by", "threads", s, check_codes=(2,))
