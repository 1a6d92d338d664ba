"""The VxD image cache (scen/scen_cache.c, docs/cli.md "Image cache") seen from the
command line: a warm run prints exactly what a cold run and a run without the cache
print; concurrent processes share one folder; an unusable folder costs one warning.
Each test has a cache folder of its own (VMMSIM_CACHE)."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, rel, vmmsim_path

BUGS = ["bug_nc_before_idle.yaml", "bug_crit_waiter_order.yaml", "example_vcomd.yaml"]


def run(args, cache, timeout=120, extra=None):
    env = dict(os.environ, VMMSIM_CACHE=str(cache), **(extra or {}))
    return subprocess.run([vmmsim_path(), *map(str, args)], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=timeout, env=env)


def entries(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def strip_host(text):
    return "".join(l for l in text.splitlines(True) if not l.startswith("# vmmsim: "))


@pytest.mark.parametrize("name", BUGS)
def test_warm_run_prints_what_a_cold_run_and_no_cache_print(tmp_path, name):
    cache = tmp_path / "cache"
    scen = rel(ROOT / "scenarios" / name)
    outs = []
    for i, where in enumerate([cache, cache, "off"]):
        trace = tmp_path / f"t{i}.trace"
        p = run(["run", scen, "--trace", trace], where)
        assert p.returncode in (0, 1) and p.stderr == "", p.stderr
        outs.append((p.returncode, p.stdout, strip_host(trace.read_text())))
        if i == 0:
            vxd = [e for e in entries(cache) if e.startswith("vxd-")]
            assert vxd, entries(cache)
            stamps = {e: (cache / e).stat().st_mtime_ns for e in vxd}
    assert outs[0] == outs[1] == outs[2]
    assert all(not e.startswith(".tmp-") for e in entries(cache))
    # the warm run read the entries (used, so kept longest) and wrote none
    assert {e for e in entries(cache) if e.startswith("vxd-")} == set(stamps)
    p = run(["replay", scen, tmp_path / "t0.trace"], cache)
    assert p.returncode == 0 and "replay: identical" in p.stdout, p.stdout + p.stderr


def test_fuzz_with_a_warm_cache_finds_the_same(tmp_path):
    cache = tmp_path / "cache"
    scen = rel(ROOT / "scenarios" / "bug_nc_before_idle.yaml")
    args = ["fuzz", scen, "--runs", "200", "--jobs", "1", "--json"]
    cold, warm, off = run(args, cache), run(args, cache), run(args, "off")
    assert cold.returncode == warm.returncode == off.returncode
    res = [json.loads(p.stdout) for p in (cold, warm, off)]
    for r in res:
        del r["timing"]                # host time
    assert res[0]["scenario_hash"] and res[0] == res[1] == res[2]


def test_concurrent_processes_share_one_folder(tmp_path):
    """Four cold processes race on one folder: each stores whole entries by rename."""
    cache = tmp_path / "cache"
    scen = rel(ROOT / "scenarios" / "example_vcomd.yaml")
    env = dict(os.environ, VMMSIM_CACHE=str(cache))
    procs = [subprocess.Popen([vmmsim_path(), "run", "--quiet", scen], cwd=str(ROOT), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(err == "" for _, err in outs), outs
    assert len({out for out, _ in outs}) == 1
    assert all(not e.startswith(".tmp-") for e in entries(cache))
    p = run(["run", "--quiet", scen], cache)
    assert p.stdout == outs[0][0]


def test_unusable_folder_warns_once_and_runs(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    scen = rel(ROOT / "scenarios" / "example_vcomd.yaml")
    p = run(["run", "--quiet", scen], blocker / "cache")
    good = run(["run", "--quiet", scen], "off")
    assert p.returncode == good.returncode and p.stdout == good.stdout
    assert p.stderr.count("warning: image cache") == 1, p.stderr
