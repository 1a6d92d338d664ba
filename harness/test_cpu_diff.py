"""Differential test of cpu386 against Unicorn: random instruction sequences in 32-bit
flat protected mode and 16-bit real mode, comparing registers, defined flags and memory;
and random system cases (harness/cpudiff/sysgen.py: segment loads, far transfers, call
gates, RETF/IRET across rings, task switches, paging with #PF, V86 mode) comparing also
the segment registers, CR0, CR2, CR3, TR and the exception that ends a case.
The known 386-vs-modern differences are excluded in harness/cpudiff/known_differences.py.

Environment:
  VMMSIM_CPU_DIFFTEST   path of the cpu_difftest driver (ctest sets it)
  VMMSIM_CPU_DIFF_N     number of sequences (default 20000; e.g. 1000000 for the long run)
  VMMSIM_CPU_DIFF_SEED  first seed (default 1); sequence i uses seed SEED + i
  VMMSIM_CPU_DIFF_SYS_N number of system cases (default 2000)
Run: VMMSIM_CPU_DIFFTEST=build/tests/cpu/cpu_difftest /usr/bin/python3 -m pytest harness/test_cpu_diff.py
On a mismatch the failure names the seed, the bytes and mnemonics, and what differs;
re-run one seed with VMMSIM_CPU_DIFF_SEED=<seed> VMMSIM_CPU_DIFF_N=1.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpudiff"))

import gen            # noqa: E402
import sysgen         # noqa: E402
import unicorn_ref    # noqa: E402

BATCH = 5000
MISMATCHES_SHOWN = 5


def driver_path():
    path = os.environ.get("VMMSIM_CPU_DIFFTEST")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("VMMSIM_CPU_DIFFTEST does not name the cpu_difftest driver")
    return path


def run_range(driver, mode, first, count):
    ref = unicorn_ref.Reference()
    failures = []
    total_failed = 0
    for start in range(first, first + count, BATCH):
        seeds = range(start, min(start + BATCH, first + count))
        cases = [sysgen.make_case(seed) if mode == 0 else gen.make_case(seed, mode)
                 for seed in seeds]
        ours = unicorn_ref.run_ours(driver, cases)
        bad = []
        for case, (o, _) in zip(cases, ours):
            r, _ = ref.run(case)
            diffs = unicorn_ref.compare(case, r, o)
            if diffs:
                bad.append(case)
        total_failed += len(bad)
        # re-run the first few failures with memory dumps, for the report
        for case in bad[:max(0, MISMATCHES_SHOWN - len(failures))]:
            (o, omem), = unicorn_ref.run_ours(driver, [case], dump=True)
            r, rmem = ref.run(case)
            failures.append(unicorn_ref.describe(case, unicorn_ref.compare(case, r, o), omem, rmem))
    return total_failed, failures


@pytest.mark.parametrize("mode", [32, 16])
def test_cpu_diff(mode):
    driver = driver_path()
    n = int(os.environ.get("VMMSIM_CPU_DIFF_N", "20000"))
    first = int(os.environ.get("VMMSIM_CPU_DIFF_SEED", "1"))
    count = max(1, n // 2) if n > 1 else 1
    failed, shown = run_range(driver, mode, first, count)
    assert failed == 0, "%d of %d %d-bit sequences differ from Unicorn; first ones:\n\n%s" % (
        failed, count, mode, "\n\n".join(shown))


def test_cpu_diff_system():
    """System cases: one per seed, each form in turn by the seed's draw."""
    driver = driver_path()
    n = int(os.environ.get("VMMSIM_CPU_DIFF_SYS_N", "2000"))
    first = int(os.environ.get("VMMSIM_CPU_DIFF_SEED", "1"))
    failed, shown = run_range(driver, 0, first, max(1, n))
    assert failed == 0, "%d of %d system cases differ from Unicorn; first ones:\n\n%s" % (
        failed, n, "\n\n".join(shown))
