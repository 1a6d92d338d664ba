"""Shared fixtures of the vmmsim harness (DESIGN.md section 8).

VMMSIM names the vmmsim binary (ctest sets it); without it the usual build folder is
tried. `pytest harness --regen-goldens` rewrites scenarios/golden/*.trace on purpose
(see scenarios/README.md); everything else only reads them.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = SCENARIOS / "golden"

# Header lines that carry host facts: never compared.
HOST_LINES = ("# vmmsim: ",)


def pytest_addoption(parser):
    parser.addoption("--regen-goldens", action="store_true", default=False,
                     help="rewrite scenarios/golden/*.trace from the current vmmsim")


@pytest.fixture(autouse=True, scope="session")
def _image_cache_outside_home(tmp_path_factory):
    """The harness never fills the user's ~/.cache: without VMMSIM_CACHE (ctest sets
    one in the build tree), its VxD image cache lives in pytest's temporary folder."""
    if "VMMSIM_CACHE" not in os.environ:
        os.environ["VMMSIM_CACHE"] = str(tmp_path_factory.mktemp("image-cache"))
    yield


def vmmsim_path():
    env = os.environ.get("VMMSIM")
    if env:
        return env
    for cand in ("build/cli/vmmsim", "build-scen/cli/vmmsim"):
        p = ROOT / cand
        if p.exists():
            return str(p)
    pytest.exit("set VMMSIM to the vmmsim binary (or build it in build/)", returncode=2)


def scenario_files():
    return sorted(SCENARIOS.glob("*.yaml"))


def golden_path(scen):
    return GOLDEN / (scen.stem + ".trace")


def run_vmmsim(*args, check_codes=(0, 1), cwd=ROOT, timeout=120):
    """Runs vmmsim; returns the CompletedProcess (text). Fails the test on an exit
    code outside check_codes (None: any)."""
    proc = subprocess.run([vmmsim_path(), *map(str, args)], cwd=str(cwd), capture_output=True,
                          text=True, timeout=timeout)
    if check_codes is not None and proc.returncode not in check_codes:
        pytest.fail(f"vmmsim {' '.join(map(str, args))}: exit {proc.returncode}\n"
                    f"stderr:\n{proc.stderr}\nstdout (tail):\n{proc.stdout[-2000:]}")
    return proc


def rel(scen):
    """Scenario path as passed to vmmsim: relative to the repository, so that the
    trace header does not depend on where the checkout lives."""
    return str(pathlib.Path(scen).resolve().relative_to(ROOT))


def comparable(text):
    """A trace without its host-fact header lines."""
    return "".join(l for l in text.splitlines(keepends=True) if not l.startswith(HOST_LINES))


@pytest.fixture
def regen(request):
    return request.config.getoption("--regen-goldens")


def pytest_generate_tests(metafunc):
    if "scenario" in metafunc.fixturenames:
        files = scenario_files()
        metafunc.parametrize("scenario", files, ids=[f.stem for f in files])


def drv_scenario(name, asm_body, rest):
    """A small scenario's text: the system VM and dos1, one VxD DRV whose Control_Proc
    accepts every message followed by asm_body (indented as in the file), and rest,
    the lines after `timeline:` (the timeline, then any expect: block)."""
    return (f"name: {name}\nvms:\n  - {{ name: sys, system: true }}\n  - {{ name: dos1 }}\n"
            "vxds:\n  - name: DRV\n    asm: |\n      %include \"vmm.inc\"\n      Control_Proc:\n"
            "              clc\n              ret\n" + asm_body + "timeline:\n" + rest)
