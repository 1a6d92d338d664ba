"""Machine-readable outputs against their JSON Schemas (docs/schemas/*.schema.json,
validated with python3-jsonschema), and the structure of `vmmsim run --perfetto`'s
Chrome trace-event JSON (docs/trace-format.md): begin/end pairs nest per track,
timestamps never go back on a track, callbacks, services, VM time slices and
interrupts on tracks of their own, and a flow arrow from each trigger to its
callback."""
import json
import pathlib

import jsonschema
import pytest

from conftest import ROOT, SCENARIOS, rel, run_vmmsim, scenario_files

SCHEMAS = ROOT / "docs" / "schemas"
KNOWN = rel(SCENARIOS / "bench" / "latency_known.yaml")
FUZZ_SCEN = rel(SCENARIOS / "bug_global_event_order.yaml")
# Callback kinds whose trigger the writer pairs exactly (EV schedule/run, TIMEOUT set/call).
FLOW_KINDS = {"event", "prio", "timeout"}


def validator(name):
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validate(name, doc):
    errs = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.path))
    assert not errs, f"{name}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errs[:5])


def test_every_schema_is_valid_and_used():
    names = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    assert names == {"trace-event", "trace-jsonl", "findings", "fuzz", "fuzz-merge", "bench-latency",
                     "bench-host", "scenario"}
    for n in names - {"scenario"}:   # harness/test_schema.py validates the scenarios
        validator(n)
        assert f'validate("{n}"' in pathlib.Path(__file__).read_text(), f"no test validates {n}"


def test_schema_rejects_a_broken_document(tmp_path):
    """The schemas are strict enough to fail: a missing field, a wrong type, an unknown key."""
    out = tmp_path / "lat.json"
    run_vmmsim("bench", "latency", KNOWN, "--runs", 2, "--json", out, check_codes=(0,))
    doc = json.loads(out.read_text())
    validate("bench-latency", doc)
    bad = [dict(doc, runs="2"), {k: v for k, v in doc.items() if k != "kinds"}, dict(doc, extra=1)]
    p99 = json.loads(out.read_text())
    del p99["kinds"]["nc"]["cycles"]["p99.9"]
    for b in bad + [p99]:
        assert list(validator("bench-latency").iter_errors(b))


def perfetto(tmp_path, scen, *extra):
    out = tmp_path / "t.json"
    run_vmmsim("run", "--quiet", "--perfetto", out, *extra, *([rel(scen)] if scen else []))
    return json.loads(out.read_text())


def tracks(doc):
    """tid -> track name, from the thread_name metadata."""
    return {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def check_structure(doc):
    ev = doc["traceEvents"]
    names = tracks(doc)
    stacks, last_ts, flows_s, flows_f, begins = {}, {}, {}, {}, set()
    for e in ev:
        for k in ("ph", "ts", "pid", "tid", "name"):
            assert k in e, (k, e)
        key = (e["pid"], e["tid"])
        if e["ph"] == "M":
            continue
        assert e["tid"] in names, f"event on an unnamed track: {e}"
        assert e["ts"] >= last_ts.get(key, 0), f"time goes back on track {names[e['tid']]}: {e}"
        last_ts[key] = e["ts"]
        st = stacks.setdefault(key, [])
        if e["ph"] == "B":
            st.append(e["name"])
            begins.add((key, e["ts"]))
        elif e["ph"] == "E":
            assert st and st[-1] == e["name"], f"E without its B on {names[e['tid']]}: {e}"
            st.pop()
        elif e["ph"] == "s":
            assert e["id"] not in flows_s
            assert st, f"flow start outside a span on {names[e['tid']]} (viewers drop it): {e}"
            flows_s[e["id"]] = e
        elif e["ph"] == "f":
            assert e["id"] in flows_s and e["id"] not in flows_f, f"flow end without its start: {e}"
            flows_f[e["id"]] = e
            assert e["ts"] >= flows_s[e["id"]]["ts"]
            assert names[e["tid"]].endswith(": callbacks") and (key, e["ts"]) in begins
    assert all(not s for s in stacks.values()), "spans left open"
    return names, flows_s, flows_f


def test_perfetto_schema_and_structure_every_scenario(tmp_path):
    seen_tracks = set()
    for scen in scenario_files():
        doc = perfetto(tmp_path, scen)
        validate("trace-event", doc)
        names, _, _ = check_structure(doc)
        seen_tracks |= {n.split(": ")[-1] if ": " in n else n for n in names.values()}
    assert {"VM time slices", "interrupts", "callbacks", "services", "records"} <= seen_tracks


def test_perfetto_tracks_by_record_type(tmp_path):
    """Each record lands on its own kind of track: CB_ENTER/CB_RETURN spans on a VM's
    callbacks track, SERVICE/SVC_RET spans on its services track, IRQ records on the
    interrupts track; a TASK_SWITCH starts a span on the time-slice track."""
    irqs = 0
    for scen in ("int1_hw_int_at_next_boundary.yaml", "ev2_priority_time_out_carry.yaml"):
        doc = perfetto(tmp_path, SCENARIOS / scen)
        names = tracks(doc)
        cb = [e for e in doc["traceEvents"] if e["ph"] == "B" and "cb" in e.get("args", {})]
        svc = [e for e in doc["traceEvents"] if e["ph"] == "B" and "svc" in e.get("args", {})]
        irq = [e for e in doc["traceEvents"] if e["name"] == "IRQ"]
        slices = [e for e in doc["traceEvents"] if e["ph"] == "B" and names[e["tid"]] == "VM time slices"]
        assert cb and all(names[e["tid"]].endswith(": callbacks") for e in cb)
        assert svc and all(names[e["tid"]].endswith(": services") for e in svc)
        assert all(names[e["tid"]] == "interrupts" and e["ph"] in "BE" for e in irq)
        assert not [e for e in doc["traceEvents"] if e["ph"] == "i" and e["tid"] in names
                    and names[e["tid"]] == "interrupts"]
        switches = [e for e in doc["traceEvents"] if e["name"] == "TASK_SWITCH"]
        assert len(slices) == len(switches) + 1      # the system VM's first slice, then one per switch
        irqs += len(irq)
    assert irqs


def jsonl(scen):
    out = run_vmmsim("run", "--format", "jsonl", rel(scen)).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_flows_from_trigger_to_callback(tmp_path):
    """Every event, priority event and time-out callback has an arrow from its trigger
    record (EV op=schedule, or op=run when called at once; TIMEOUT op=set); hardware
    interrupt callbacks from their IRQ op=raise on the interrupts track."""
    total = 0
    for scen in scenario_files():
        doc = perfetto(tmp_path, scen)
        names, fs, ff = check_structure(doc)
        enters = [e for e in doc["traceEvents"] if e["ph"] == "B" and e.get("args", {}).get("kind") in FLOW_KINDS]
        ends = {(e["tid"], e["ts"]) for e in ff.values()}
        for e in enters:
            assert (e["tid"], e["ts"]) in ends, f"{scen.name}: no arrow to {e['name']} at cycle {e['args']['cycle']}"
        for fid, f in ff.items():
            s = fs[fid]
            cb = [e for e in doc["traceEvents"] if e["ph"] == "B" and e["tid"] == f["tid"] and e["ts"] == f["ts"]]
            kind = cb[-1]["args"]["kind"]
            if kind == "hwint":
                assert names[s["tid"]] == "interrupts"
        total += len(ff)
    assert total > 20


def test_jsonl_trace_schema():
    for scen in scenario_files()[:12]:
        for line in jsonl(scen):
            validate("trace-jsonl", line)


def test_fuzz_and_merge_outputs(tmp_path):
    for strat in ("random", "pct", "dfs", "dfs --por --outcomes", "dfs --max-delays 1"):
        args = strat.split()
        strat = "-".join(a.strip("-") for a in args)
        out = tmp_path / strat
        proc = run_vmmsim("fuzz", FUZZ_SCEN, "--strategy", *args, "--runs", 40, "--json", "--out", out)
        validate("fuzz", json.loads(proc.stdout))
        lines = (out / "findings.jsonl").read_text().splitlines()
        assert lines
        for line in lines:
            validate("findings", json.loads(line))
        merged = tmp_path / f"{strat}.jsonl"
        m = run_vmmsim("fuzz-merge", "--json", "--out", merged, "--distinct", out / "distinct.txt",
                       out / "findings.jsonl", check_codes=(0,))
        validate("fuzz-merge", json.loads(m.stdout))
        m = run_vmmsim("fuzz-merge", "--json", "--no-distinct", "--out", merged, out / "findings.jsonl",
                       check_codes=(0,))
        validate("fuzz-merge", json.loads(m.stdout))
        for line in merged.read_text().splitlines():
            validate("findings", json.loads(line))


def test_bench_outputs(tmp_path):
    for scen in (KNOWN, rel(ROOT / "bench" / "latency" / "irq_storm.yaml")):
        for strat in ("canonical", "random", "pct"):
            out = tmp_path / f"lat-{strat}.json"
            run_vmmsim("bench", "latency", scen, "--runs", 3, "--strategy", strat, "--json", out, check_codes=(0,))
            validate("bench-latency", json.loads(out.read_text()))
    out = tmp_path / "host.json"
    run_vmmsim("bench", "host", KNOWN, "--repeat", 2, "--runs-per-repeat", 2, "--strategy", "random",
               "--json", out, check_codes=(0,))
    validate("bench-host", json.loads(out.read_text()))
