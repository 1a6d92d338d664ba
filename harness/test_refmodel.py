"""The reference model (the package refmodel/) re-checks CB-1, CS-1..CS-7, NC-1..NC-4,
IDLE-1..IDLE-5, PRI-1, TS-1, EV-1, EV-2, TO-1, INT-1, SL-1, CL-1..CL-5, HK-1..HK-4 and
SIM-1..SIM-5 on every scenario's trace
and on seeded random schedules, and catches hand-broken traces (including traces whose
MACHINE record no longer matches the run)."""
import re

import pytest

import refmodel
from conftest import rel, run_vmmsim

# A small well-formed trace in the text format of docs/trace-format.md: two VMs,
# a critical section with a not-critical callback, an idle chain of two callbacks
# (the first passes with CF set), and a task switch with two task-switch callbacks.
GOOD = """\
# vmmsim-trace 1
000000000000 BOOT vms=2 vxds=1 stimuli=4 clock_hz=33000000 memory_kb=4096
000000000000 VM_STATE vm=sys state=create handle=0x00011000 system=1 status=0x00000000 suspend=0
000000000000 VM_STATE vm=dos1 state=create handle=0x00011100 system=0 status=0x00000000 suspend=0
000000000100 SERVICE vm=sys svc=Call_When_Idle dword=0x0001003a path=int eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100100
000000000150 SVC_RET vm=sys svc=Call_When_Idle cf=0 zf=0 eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100100
000000000200 SERVICE vm=sys svc=Call_When_Idle dword=0x0001003a path=int eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100200
000000000250 SVC_RET vm=sys svc=Call_When_Idle cf=0 zf=0 eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100200
000000000300 SERVICE vm=sys svc=Call_When_Task_Switched dword=0x0001002a path=int eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100300
000000000350 SVC_RET vm=sys svc=Call_When_Task_Switched cf=0 zf=0 eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100300
000000000400 SERVICE vm=sys svc=Call_When_Task_Switched dword=0x0001002a path=int eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100400
000000000450 SVC_RET vm=sys svc=Call_When_Task_Switched cf=0 zf=0 eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00100400
000000010000 STIMULUS index=0 do=call vm=dos1 target=DEMO.start arg=0x00000000
000000010000 TASK_SWITCH old=sys new=dos1 reason=slice pri=0x00000000
000000010010 CB_ENTER kind=ts cb=DEMO.ts_a addr=0x00100300 vm=dos1 pri=0x00000000 depth=1 eax=0x00011000 ebx=0x00011100 edx=0x00000000 ebp=0x00011180
000000010020 CB_RETURN kind=ts cb=DEMO.ts_a addr=0x00100300 vm=dos1 depth=1 cf=0 eax=0x00000000 cycles=10
000000010030 CB_ENTER kind=ts cb=DEMO.ts_b addr=0x00100400 vm=dos1 pri=0x00000000 depth=1 eax=0x00011000 ebx=0x00011100 edx=0x00000000 ebp=0x00011180
000000010040 CB_RETURN kind=ts cb=DEMO.ts_b addr=0x00100400 vm=dos1 depth=1 cf=0 eax=0x00000000 cycles=10
000000010100 CB_ENTER kind=call cb=DEMO.start addr=0x00100500 vm=dos1 pri=0x00000000 depth=1 eax=0x00000000 ebx=0x00011100 edx=0x00000000 ebp=0x00011180
000000010133 SERVICE vm=dos1 svc=Begin_Critical_Section dword=0x0001001f path=int eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000010133 CRIT op=claim vm=dos1 owner=dos1 count=1 n=1
000000010133 PRIORITY vm=dos1 pri=0x00100000 old=0x00000000 boost=1048576 reason=crit
000000010183 SVC_RET vm=dos1 svc=Begin_Critical_Section cf=0 zf=0 eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000010200 SERVICE vm=dos1 svc=Call_When_Not_Critical dword=0x00010024 path=int eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00100600
000000010250 SVC_RET vm=dos1 svc=Call_When_Not_Critical cf=0 zf=0 eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00100600
000000010300 SERVICE vm=dos1 svc=Call_When_Not_Critical dword=0x00010024 path=call eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00100700
000000010350 SVC_RET vm=dos1 svc=Call_When_Not_Critical cf=0 zf=0 eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00100700
000000010400 SERVICE vm=dos1 svc=End_Critical_Section dword=0x00010020 path=int eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000010400 CRIT op=release vm=dos1 owner=none count=0 n=1
000000010400 PRIORITY vm=dos1 pri=0x00000000 old=0x00100000 boost=-1048576 reason=crit
000000010420 CB_ENTER kind=nc cb=DEMO.nc_b addr=0x00100700 vm=dos1 pri=0x00000000 depth=2 eax=0x00000000 ebx=0x00011100 edx=0x00000000 ebp=0x00011180
000000010430 CB_RETURN kind=nc cb=DEMO.nc_b addr=0x00100700 vm=dos1 depth=2 cf=0 eax=0x00000000 cycles=10
000000010450 SVC_RET vm=dos1 svc=End_Critical_Section cf=0 zf=0 eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000010460 CB_RETURN kind=call cb=DEMO.start addr=0x00100500 vm=dos1 depth=1 cf=0 eax=0x00000000 cycles=360
000000040000 SERVICE vm=dos1 svc=Int2F_1680 dword=0x002f1680 path=stim eax=0x00001680 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000040000 VM_STATE vm=dos1 state=idle handle=0x00011100 system=0 status=0x00008000 suspend=0
000000040050 SVC_RET vm=dos1 svc=Int2F_1680 cf=0 zf=0 eax=0x00000000 ebx=0x00011100 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000060000 SERVICE vm=sys svc=Int2F_1689 dword=0x002f1689 path=stim eax=0x00001689 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000060010 CB_ENTER kind=idle cb=DEMO.idle_a addr=0x00100100 vm=sys pri=0x00000000 depth=1 eax=0x00000000 ebx=0x00011000 edx=0x00000000 ebp=0x00011080
000000060020 CB_RETURN kind=idle cb=DEMO.idle_a addr=0x00100100 vm=sys depth=1 cf=1 eax=0x00000000 cycles=10
000000060030 CB_ENTER kind=idle cb=DEMO.idle_b addr=0x00100200 vm=sys pri=0x00000000 depth=1 eax=0x00000000 ebx=0x00011000 edx=0x00000000 ebp=0x00011080
000000060040 CB_RETURN kind=idle cb=DEMO.idle_b addr=0x00100200 vm=sys depth=1 cf=0 eax=0x00000000 cycles=10
000000060090 SVC_RET vm=sys svc=Int2F_1689 cf=0 zf=0 eax=0x00000000 ebx=0x00011000 ecx=0x00000000 edx=0x00000000 esi=0x00000000
000000060100 END reason=done code=0 findings=0
000000060100 CHECKPOINT index=44 hash=0123456789abcdef
"""


def violations(text):
    return refmodel.check_text(text)


def rules(text):
    return sorted({v.split()[0] for v in violations(text)})


def edit(old, new, count=1):
    assert GOOD.count(old) >= count, old
    return GOOD.replace(old, new, count)


def drop(fragment):
    lines = GOOD.splitlines(True)
    keep = [l for l in lines if fragment not in l]
    assert len(keep) == len(lines) - 1, fragment
    return "".join(keep)


def test_good_trace_is_clean():
    assert violations(GOOD) == []


def test_nc2_wrong_callback_caught():
    # NC-2: the older callback runs instead of the most recent one.
    bad = GOOD.replace("cb=DEMO.nc_b addr=0x00100700", "cb=DEMO.nc_a addr=0x00100600")
    assert "NC-2" in rules(bad)


def test_nc2_two_callbacks_for_one_release_caught():
    extra = ("000000010440 CB_ENTER kind=nc cb=DEMO.nc_a addr=0x00100600 vm=dos1 pri=0x00000000 depth=2 "
             "eax=0x00000000 ebx=0x00011100 edx=0x00000000 ebp=0x00011180\n"
             "000000010445 CB_RETURN kind=nc cb=DEMO.nc_a addr=0x00100600 vm=dos1 depth=2 cf=0 "
             "eax=0x00000000 cycles=5\n")
    anchor = "000000010450 SVC_RET vm=dos1 svc=End_Critical_Section"
    bad = GOOD.replace(anchor, extra + anchor)
    assert "NC-2" in rules(bad)


def test_nc3_callback_while_boosted_caught():
    # NC-3: the boost is removed only after the callback ran.
    line = "000000010400 PRIORITY vm=dos1 pri=0x00000000 old=0x00100000 boost=-1048576 reason=crit\n"
    bad = GOOD.replace(line, "").replace(
        "000000010450 SVC_RET vm=dos1 svc=End_Critical_Section",
        line.replace("000000010400", "000000010440") +
        "000000010450 SVC_RET vm=dos1 svc=End_Critical_Section")
    assert "NC-3" in rules(bad)


def test_idle2_callback_while_vm_busy_caught():
    # IDLE-2: dos1 never released its time slice.
    bad = drop("VM_STATE vm=dos1 state=idle")
    assert "IDLE-2" in rules(bad)


def test_idle2_callback_without_idle_signal_caught():
    bad = GOOD.replace("svc=Int2F_1689", "svc=Int2F_1680")
    assert "IDLE-2" in rules(bad)


def test_idle3_chain_continues_after_cf_clear_caught():
    bad = GOOD.replace("cb=DEMO.idle_a addr=0x00100100 vm=sys depth=1 cf=1",
                       "cb=DEMO.idle_a addr=0x00100100 vm=sys depth=1 cf=0")
    assert "IDLE-3" in rules(bad)


def test_idle3_out_of_install_order_caught():
    bad = (GOOD.replace("esi=0x00100100", "esi=0x00100X00")
               .replace("esi=0x00100200", "esi=0x00100100")
               .replace("esi=0x00100X00", "esi=0x00100200"))
    assert "IDLE-3" in rules(bad)


def test_cs1_missing_boost_caught():
    bad = drop("PRIORITY vm=dos1 pri=0x00100000 old=0x00000000 boost=1048576 reason=crit")
    assert "CS-1" in rules(bad)


def test_cs1_claim_of_owned_section_caught():
    anchor = "000000010183 SVC_RET"
    bad = GOOD.replace(anchor, "000000010150 CRIT op=claim vm=sys owner=sys count=2 n=1\n" + anchor)
    assert "CS-1" in rules(bad)


def test_cs3_boost_not_removed_caught():
    bad = drop("PRIORITY vm=dos1 pri=0x00000000 old=0x00100000 boost=-1048576 reason=crit")
    assert "CS-3" in rules(bad)


def test_cs3_wrong_count_caught():
    bad = GOOD.replace("CRIT op=release vm=dos1 owner=none count=0 n=1",
                       "CRIT op=end vm=dos1 owner=dos1 count=0 n=1")
    assert "CS-3" in rules(bad)


def test_cs3_grant_to_lower_priority_waiter_caught():
    tail = ("000000070000 VM_STATE vm=dos2 state=create handle=0x00011200 system=0 status=0x00000000 suspend=0\n"
            "000000070000 PRIORITY vm=dos2 pri=0x00001000 old=0x00000000 boost=4096 reason=adjust\n"
            "000000070000 CRIT op=claim vm=sys owner=sys count=1 n=1\n"
            "000000070000 PRIORITY vm=sys pri=0x00100000 old=0x00000000 boost=1048576 reason=crit\n"
            "000000070000 CRIT op=block vm=dos1 owner=sys count=1 n=1\n"
            "000000070000 CRIT op=block vm=dos2 owner=sys count=1 n=1\n"
            "000000070000 CRIT op=release vm=sys owner=none count=0 n=1\n"
            "000000070000 PRIORITY vm=sys pri=0x00000000 old=0x00100000 boost=-1048576 reason=crit\n"
            "000000070000 CRIT op=grant vm=dos1 owner=dos1 count=1 n=1\n"
            "000000070000 PRIORITY vm=dos1 pri=0x00100000 old=0x00000000 boost=1048576 reason=crit\n")
    base = GOOD.replace("000000060100 END", tail + "000000060100 END")
    assert "CS-3" in rules(base)
    assert "CS-3" not in rules(base.replace("op=grant vm=dos1 owner=dos1", "op=grant vm=dos2 owner=dos2")
                               .replace("PRIORITY vm=dos1 pri=0x00100000 old=0x00000000 boost=1048576 reason=crit\n000000060100",
                                        "PRIORITY vm=dos2 pri=0x00101000 old=0x00001000 boost=1048576 reason=crit\n000000060100"))


def test_pri1_lower_priority_vm_left_running_caught():
    # sys (ready) gets a boost but dos1 stays current across a cycle boundary.
    anchor = "000000060100 END"
    bad = GOOD.replace(anchor,
                       "000000060050 PRIORITY vm=sys pri=0x00001000 old=0x00000000 boost=4096 reason=adjust\n"
                       + anchor)
    assert "PRI-1" in rules(bad)


def test_ts1_missing_callback_caught():
    lines = [l for l in GOOD.splitlines(True) if "cb=DEMO.ts_b" not in l]
    assert "TS-1" in rules("".join(lines))


def test_ts1_out_of_order_caught():
    bad = (GOOD.replace("cb=DEMO.ts_a addr=0x00100300", "cb=DEMO.ts_X addr=0x00100400", 2)
               .replace("cb=DEMO.ts_b addr=0x00100400", "cb=DEMO.ts_a addr=0x00100300", 2))
    assert "TS-1" in rules(bad)


def test_ts1_wrong_registers_caught():
    bad = GOOD.replace("cb=DEMO.ts_b addr=0x00100400 vm=dos1 pri=0x00000000 depth=1 eax=0x00011000",
                       "cb=DEMO.ts_b addr=0x00100400 vm=dos1 pri=0x00000000 depth=1 eax=0x00011100")
    assert "TS-1" in rules(bad)


def test_refmodel_on_scenario(scenario):
    """Every scenario's trace satisfies the rules as the reference model sees them."""
    proc = run_vmmsim("run", rel(scenario))
    v = violations(proc.stdout)
    assert v == [], "\n".join(v)


@pytest.mark.parametrize("pattern, repl, rule", [
    # IDLE-3: idle_a returns CF clear, yet idle_b still runs.
    (r"(CB_RETURN kind=idle cb=DEMO\.idle_a \S+ \S+ \S+) cf=1", r"\1 cf=0", "IDLE-3"),
    # CS-1: the claim does not add Critical_Section_Boost.
    (r"PRIORITY vm=dos1 pri=0x00100000 old=0x00000000 boost=1048576 reason=crit",
     "PRIORITY vm=dos1 pri=0x00000000 old=0x00000000 boost=0 reason=adjust", "CS-1"),
    # NC-2: the callback runs although nothing was installed.
    (r"svc=Call_When_Not_Critical dword=0x00010024", "svc=Get_Cur_VM_Handle dword=0x00010001", "NC-2"),
    # IDLE-2: dos1 never became idle.
    (r"VM_STATE vm=dos1 state=idle", "VM_STATE vm=dos1 state=wake", "IDLE-2"),
])
def test_refmodel_catches_broken_real_trace(pattern, repl, rule):
    """The model engages on vmmsim's own output: a one-line edit of the built-in
    scenario's trace is a violation of the rule it breaks."""
    import re
    text = run_vmmsim("run", check_codes=(0,)).stdout
    assert violations(text) == []
    broken, n = re.subn(pattern, repl, text, count=1)
    assert n == 1, pattern
    assert rule in rules(broken)


# EV-1, EV-2 and TO-1 on hand-broken copies of the golden traces of the scenarios
# that hold them: each edit breaks one rule the way a wrong VMM would.
def _drop(line_re):
    return (r"(?m)^" + line_re + r".*\n", "")


@pytest.mark.parametrize("golden, pattern, repl, rule", [
    # EV-1: the VM event for dos2 runs while another VM is current.
    ("ev1_global_vs_vm_event", r"(EV op=run kind=vm handle=0xe0000002) vm=dos2", r"\1 vm=sys", "EV-1"),
    ("ev1_global_vs_vm_event", *_drop(r"\d+ TASK_SWITCH old=dos1 new=dos2 reason=event"), "EV-1"),
    # EV-1: the global event runs inside the VxD call, not at the return to the VM.
    ("ev1_global_vs_vm_event",
     r"(?m)^(\d+ CB_RETURN kind=call cb=EVT\.place_start.*\n)(\d+ EV op=run kind=global.*\n)",
     r"\2\1", "EV-1"),
    # EV-1: a cancelled event runs.
    ("ev1_global_vs_vm_event", r"EV op=run kind=vm handle=0xe0000003", "EV op=run kind=vm handle=0xe0000005",
     "EV-1"),
    # EV-2: the boost is not added when the priority event is queued.
    ("ev2_priority_event_waits_not_crit",
     *_drop(r"000000010465 PRIORITY vm=dos2 pri=0x00001000 old=0x00000000 boost=4096 reason=event"), "EV-2"),
    # EV-2: the boost is not removed after the callback returned.
    ("ev2_priority_event_waits_not_crit",
     *_drop(r"000000020804 PRIORITY vm=dos2 pri=0x00000000 old=0x00001000 boost=-4096 reason=event"), "EV-2"),
    # EV-2: Cancel_Priority_VM_Event leaves the boost.
    ("ev2_priority_event_waits_not_crit",
     *_drop(r"000000300533 PRIORITY vm=dos2 pri=0x00000000 old=0x00001000 boost=-4096 reason=event"), "EV-2"),
    # EV-2: a PEF_Wait_Not_Crit event runs while dos1 still owns the section.
    ("ev2_priority_event_waits_not_crit", *_drop(r"000000020664 CRIT op=release vm=dos1"), "EV-2"),
    # EV-2: the time-out does not cancel the boost.
    ("ev2_priority_time_out_carry",
     *_drop(r"000001320001 PRIORITY vm=dos2 pri=0x00000000 old=0x00001000 boost=-4096 reason=event"), "EV-2"),
    # EV-2: a timed-out priority event runs as a normal run (without CF).
    ("ev2_priority_time_out_carry", r"EV op=timeout kind=priority", "EV op=run kind=priority", "EV-2"),
    # TO-1: the time-out falls due a tick late (due 15 ms: the 20 ms tick, not 30 ms).
    ("to1_global_late_by_tick", r"(TIMEOUT op=set kind=global handle=0xe2000001 \S+ \S+ \S+) due=25",
     r"\1 due=15", "TO-1"),
    # TO-1: ECX is not the ms late.
    ("to1_global_late_by_tick", r"(TIMEOUT op=call kind=global .*) late=5", r"\1 late=4", "TO-1"),
    # TO-1: the tick comes before its cycle (tick 3 of 10 ms at 25 MHz is cycle 750000).
    ("to1_global_late_by_tick", r"000000750000 EVENT seq=3 kind=tick index=3",
     "000000740000 EVENT seq=3 kind=tick index=3", "TO-1"),
    # TO-1: a cancelled time-out falls due.
    ("to1_global_late_by_tick", r"TIMEOUT op=(due|call) kind=global handle=0xe2000001",
     r"TIMEOUT op=\1 kind=global handle=0xe2000002", "TO-1"),
    # TO-1: the callback is called without the time-out falling due.
    ("to1_global_late_by_tick", *_drop(r"\d+ TIMEOUT op=due"), "TO-1"),
    # TO-1: a VM time-out falls due while its VM is not running (its time stood still).
    ("to1_vm_time_out_exec_time", *_drop(r"000003300100 TASK_SWITCH old=sys new=dos1"), "TO-1"),
    # TO-1: a VM time-out's ECX is not its VM's execution time - due.
    ("to1_vm_time_out_exec_time", r"(TIMEOUT op=call kind=vm .*) late=14", r"\1 late=20", "TO-1"),
    # VML-1 .. VML-4 (the VM lifecycle, docs/vmm.md) on their golden traces.
    # VML-1: the VMM cancels the destroyed VM's time-out without a finding.
    ("vml1_callbacks_of_destroyed_vm", *_drop(r"\d+ FINDING rule=VML-1 vm=dos1 cb=TMO\.vm_cb"), "VML-1"),
    # VML-1: the time-out is left pending when dos1 is destroyed.
    ("vml1_callbacks_of_destroyed_vm", *_drop(r"\d+ TIMEOUT op=cancel kind=vm"), "VML-1"),
    # VML-1: the global time-out for the destroyed VM fires without a finding.
    ("vml1_callbacks_of_destroyed_vm", *_drop(r"\d+ FINDING rule=VML-1 vm=dos1 cb=TMO\.glob_cb"), "VML-1"),
    # VML-2: a destroyed VM's handle is used and no finding follows.
    ("vml2_stale_handle", *_drop(r"\d+ FINDING rule=VML-2"), "VML-2"),
    # VML-2: the service with the stale handle returns CF clear.
    ("vml2_stale_handle", r"(SVC_RET vm=sys svc=Schedule_VM_Event) cf=1", r"\1 cf=0", "VML-2"),
    # VML-3: the aliased handle runs without a finding naming both VMs.
    ("vml3_handle_reuse_alias", *_drop(r"\d+ FINDING rule=VML-3"), "VML-3"),
    # VML-3: a VML-3 finding where the handle was not reused (dos2 got its own block).
    ("vml3_handle_reuse_alias", r"(VM_STATE vm=dos2 state=create) handle=0x00010100",
     r"\1 handle=0x00010200", "VML-3"),
    # VML-4: a nuked VM gets VM_Not_Executeable with flags 0 (as if closed) and no VM_Terminate.
    ("vml4_lifecycle_messages", r"(CONTROL msg=VM_Not_Executeable vxd=LOG vm=dos4) flags=0x00000002",
     r"\1 flags=0x00000000", "VML-4"),
    # VML-4: a failed creation's VM_Not_Executeable names another failure (VNE_CreateFail).
    ("vml4_lifecycle_messages", r"(CONTROL msg=VM_Not_Executeable vxd=LOG vm=dos3) flags=0x00000008",
     r"\1 flags=0x00000004", "VML-4"),
    # VML-4: Sys_VM_Terminate before dos5 is destroyed.
    ("vml4_lifecycle_messages", r"(?m)^(\d+ VM_STATE vm=dos5 state=destroy.*\n)"
     r"(\d+ CONTROL msg=Sys_VM_Terminate vxd=LOG.*\n)", r"\2\1", "VML-4"),
])
def test_refmodel_catches_broken_event_trace(golden, pattern, repl, rule):
    """EV-1, EV-2, TO-1, VML-1 .. VML-4: the golden trace is clean; the one-place edit is
    caught."""
    import re
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    broken, n = re.subn(pattern, repl, text, count=2 if "(due|call)" in pattern else 1)
    assert n >= 1, pattern
    assert rule in rules(broken), violations(broken)


@pytest.mark.parametrize("old, new, want", [
    # the bound holds (9 cycles from the return to the global event's entry)
    ("cycles: 100 }", "cycles: 9 }", "# expect ok: within 9 cycles of return of EVT.place_start: EVT.ev_glob"),
    # one cycle too few
    ("cycles: 100 }", "cycles: 8 }", "# expect FAILED: within 8 cycles of return of EVT.place_start: "
     "EVT.ev_glob entered at cycle 10484, 9 cycles after the trigger at cycle 10475"),
    # a trigger after which the callback never runs again
    ("{ from: { stimulus: 1 }, to: EVT.ev_now", "{ from: { stimulus: 2 }, to: EVT.ev_now",
     "# expect FAILED: within 400 cycles of stimulus 2: EVT.ev_now (trigger at cycle 400100) is never"),
    # every trigger counts: the second Call_VM_Event is not followed by ev_now
    ("{ from: { stimulus: 1 }, to: EVT.ev_now", "{ from: { service: Call_VM_Event }, to: EVT.ev_now",
     "# expect FAILED: within 400 cycles of service Call_VM_Event: EVT.ev_now (trigger at cycle 200664)"),
    # a trigger that never happens fails rather than passing vacuously
    ("{ from: { stimulus: 1 }, to: EVT.ev_now", "{ from: { enter: EVT.ev_never }, to: EVT.ev_now",
     "# expect FAILED: within 400 cycles of entry of EVT.ev_never: EVT.ev_now (the trigger never happened)"),
])
def test_within_expectation_bounds(tmp_path, old, new, want):
    """`within` timing expectations (scenarios/README.md): exact at the bound, one
    cycle less fails, and a trigger without a following entry fails."""
    from conftest import SCENARIOS
    text = (SCENARIOS / "ev1_global_vs_vm_event.yaml").read_text()
    assert text.count(old) == 1, old
    scen = tmp_path / "within.yaml"
    scen.write_text(text.replace(old, new))
    proc = run_vmmsim("run", scen)
    assert want in proc.stdout, [l for l in proc.stdout.splitlines() if "within" in l]
    assert proc.returncode == (0 if "expect ok" in want else 1)


# INT-1 on hand-broken copies of the golden traces of the INT-1 scenarios. Each case
# is a list of edits: (pattern, replacement) for a one-place regex substitution, or
# ("move", line, before) to move the first line matching `line` to just before the
# first line matching `before`. Each breaks one INT-1 rule the way a wrong VMM would;
# the model must name INT-1 with the given words.
HW = "int1_hw_int_at_next_boundary"
NC3 = "int1_nc3_simulated_interrupt_pending"
VEI = "int1_virt_eoi_iret_procs"


def _line(line_re):
    return r"(?m)^\d+ " + line_re + r".*\n"


def _mutate(text, edits):
    import re
    for e in edits:
        if e[0] == "move":
            m = re.search(_line(e[1]), text)
            assert m, e[1]
            text = text[:m.start()] + text[m.end():]
            b = re.search(_line(e[2]), text)
            assert b, e[2]
            text = text[:b.start()] + m.group(0) + text[b.start():]
        else:
            text, n = re.subn(e[0], e[1], text, count=1)
            assert n == 1, e[0]
    return text


@pytest.mark.parametrize("golden, edits, words", [
    # delivery: a Hw_Int_Proc runs for an IRQ nobody raised
    (HW, [_drop(r"\d+ IRQ op=raise irq=5")], "delivered without an undelivered raise"),
    # delivery: the IRQ op=hw_int is missing before the Hw_Int_Proc's entry
    (HW, [_drop(r"\d+ IRQ op=hw_int irq=6")], "entered without IRQ op=hw_int"),
    # delivery: the Hw_Int_Proc gets the wrong IRQ handle in EAX
    (HW, [(r"(CB_ENTER kind=hwint cb=DEV\.hw5 \S+ \S+ \S+ \S+) eax=0xe3000005", r"\1 eax=0xe3000006")],
     "Hw_Int_Proc is DEV.hw5"),
    # delivery: a virtualized IRQ is dropped as unowned
    (HW, [(r"IRQ op=raise irq=6", "IRQ op=unowned irq=6")], "dropped as unowned"),
    # delivery: a raise after the last EOI is never delivered (and the interrupted
    # code returns before it)
    (HW, [("move", r"IRQ op=raise irq=6", r"CB_RETURN kind=call cb=DEV\.irq_spin"),
          _drop(r"\d+ IRQ op=hw_int irq=6")], "raised and never delivered"),
    # one at a time: IRQ 6 is delivered while IRQ 5's procedure still runs
    (HW, [("move", r"CB_RETURN kind=hwint cb=DEV\.hw5", r"SERVICE vm=dos1 svc=Get_Cur_VM_Handle")],
     "while the Hw_Int_Proc of IRQ 5 runs"),
    # in service: IRQ 5 raised and delivered again before its VPICD_Phys_EOI
    (HW, [_drop(r"\d+ IRQ op=eoi irq=5"),
          (r"IRQ op=raise irq=6 vm=none proc=DEV\.hw6 handle=0xe3000006",
           "IRQ op=raise irq=5 vm=none proc=DEV.hw5 handle=0xe3000005"),
          (r"IRQ op=hw_int irq=6 vm=dos1 proc=DEV\.hw6 handle=0xe3000006",
           "IRQ op=hw_int irq=5 vm=dos1 proc=DEV.hw5 handle=0xe3000005"),
          (r"cb=DEV\.hw6 addr=0x00100053 vm=dos1 pri=0x00000000 depth=2 eax=0xe3000006",
           "cb=DEV.hw5 addr=0x0010003a vm=dos1 pri=0x00000000 depth=2 eax=0xe3000005")],
     "delivered again before its VPICD_Phys_EOI"),
    # priority: IRQ 6 goes first although IRQ 5 was raised too
    (HW, [(r"(\d+) (IRQ op=raise irq=6 .*\n)", r"\1 \2\1 IRQ op=raise irq=5 vm=none proc=DEV.hw5 "
           r"handle=0xe3000005\n")], "before the lower IRQ 5"),
    # boundary: the interrupted code calls a service after the raise, before delivery
    (NC3, [("move", r"IRQ op=raise irq=7", r"SERVICE vm=dos1 svc=Begin_Critical_Section")],
     "Begin_Critical_Section comes first"),
    # interrupt time: a service that is not asynchronous without its finding
    (HW, [_drop(r"\d+ FINDING rule=INT-1")], "without FINDING rule=INT-1"),
    # interrupt time: a finding for an asynchronous service
    (HW, [(r"(\d+) FINDING rule=INT-1 vm=dos1 svc=Adjust_Exec_Priority\n", ""),
          (r"(\d+ SERVICE vm=dos1 svc=Get_Cur_VM_Handle .*\n)",
           r"\g<1>000000040293 FINDING rule=INT-1 vm=dos1 svc=Get_Cur_VM_Handle\n")],
     "for the asynchronous service Get_Cur_VM_Handle"),
    # simulation: without a request
    (VEI, [_drop(r"\d+ IRQ op=request irq=5"),
           _drop(r"000000020290 PRIORITY vm=dos1 pri=0x00400000")], "without a request"),
    # simulation: while the VM's VxD code still runs
    (VEI, [("move", r"IRQ op=simulate irq=5", r"CB_RETURN kind=call cb=DEV\.spin")],
     "only at the VMM's return to the VM"),
    # order: the handler's time ends before VID_Virt_Int_Proc returned
    (VEI, [("move", r"CB_RETURN kind=vid_virt", r"CB_ENTER kind=vid_eoi")],
     "before its VID_Virt_Int_Proc returned"),
    # order: the IRET comes before the EOI procedure
    (VEI, [("move", r"IRQ op=iret irq=5", r"CB_ENTER kind=vid_eoi")], "the EOI procedure comes first"),
    # order: VID_IRET_Proc entered (with CF set) without a time-out
    (VEI, [_drop(r"\d+ IRQ op=iret_timeout irq=3")], "entered without its IRQ op=iret/iret_timeout"),
    # once: VID_IRET_Proc called again at the real IRET after its time-out call
    (VEI, [(r"(\d+ IRQ op=iret irq=3 .*\n)",
            r"\g<1>000000240474 CB_ENTER kind=vid_iret cb=DEV.iret3 addr=0x00100090 vm=dos1 "
            r"pri=0x00400000 depth=1 eax=0xe3000003 ebx=0x00010100 edx=0x00000000 ebp=0x00010180\n"
            r"000000240474 CB_RETURN kind=vid_iret cb=DEV.iret3 addr=0x00100090 vm=dos1 depth=1 "
            r"cf=0 eax=0xe3000003 cycles=21\n")], "entered without its IRQ op=iret/iret_timeout"),
    # boost: removed before the IRET procedure returned
    (VEI, [("move", r"PRIORITY vm=dos1 pri=0x00000000 old=0x00400000 boost=-4194304 reason=irq",
            r"CB_ENTER kind=vid_iret cb=DEV\.iret5")], "held until the IRET procedure returned"),
    # boost: never removed after the IRET
    (VEI, [_drop(r"000000080771 PRIORITY vm=dos1")], "keeps Time_Critical_Boost"),
    # boost: not given on the request
    (NC3, [_drop(r"000000020462 PRIORITY vm=dos1"),
           (r"PRIORITY vm=dos1 pri=0x00400000 old=0x00500000", "PRIORITY vm=dos1 pri=0x00000000 old=0x00100000"),
           (r"PRIORITY vm=dos1 pri=0x00000000 old=0x00400000 boost=-4194304 reason=irq\n", "")],
     "but not Time_Critical_Boost"),
])
def test_refmodel_catches_broken_int1_trace(golden, edits, words):
    """INT-1: the golden trace is clean; the edited copy is an INT-1 violation with
    the given words."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    v = [m for m in violations(_mutate(text, edits)) if m.startswith("INT-1")]
    assert any(words in m for m in v), violations(_mutate(text, edits))


def _irq_window_scenario(tmp_path):
    from test_fuzz import IRQ_WINDOW_SCENARIO
    f = tmp_path / "irq_window3.yaml"
    f.write_text(IRQ_WINDOW_SCENARIO % 3)
    return f


@pytest.mark.parametrize("name", ["int1_hw_int_at_next_boundary", "int1_nc3_simulated_interrupt_pending",
                                  "int1_virt_eoi_iret_procs", "bench/latency_known",
                                  "bench/breakdown_known", "latency:idle", "latency:loaded",
                                  "latency:irq_storm", "irq_window3"])
def test_refmodel_int1_on_fuzzed_runs(name, tmp_path):
    """INT-1 (and every other rule the model checks) holds on seeded random
    schedules of the scenarios that raise IRQs, not only on the canonical one."""
    import re
    from conftest import ROOT, SCENARIOS
    if name == "irq_window3":
        scen = _irq_window_scenario(tmp_path)
    elif name.startswith("latency:"):
        scen = rel(ROOT / "bench" / "latency" / (name[8:] + ".yaml"))
    else:
        scen = rel(SCENARIOS / (name + ".yaml"))
    held = 0
    for seed in (1, 2, 3, 4):
        text = run_vmmsim("run", "--strategy", "random", "--seed", seed, scen).stdout
        assert "IRQ op=hw_int" in text
        held += bool(re.search(r"CHOICE kind=irq-boundary n=3 chosen=[12]", text))
        v = violations(text)
        assert v == [], f"seed {seed}:\n" + "\n".join(v[:5])
    if name == "irq_window3":
        assert held, "no schedule held an IRQ past its first boundary"


# CB-1, CS-2 .. CS-7, NC-1, NC-4, IDLE-1, IDLE-4, IDLE-5 and SL-1 on hand-broken copies
# of the golden traces of the scenarios that hold them (same edit language as the
# INT-1 cases above): each edit is what a wrong VMM would write; the model must name
# the rule. A drop of a CB_ENTER/CB_RETURN pair uses two _drop edits.
CB1 = "cb1_ebp_not_preserved"
SL1 = "sl1_cpu_shares_fg100_bg50"


@pytest.mark.parametrize("golden, edits, rule", [
    # CB-1: the finding names another callback than the one that returned
    (CB1, [(r"FINDING rule=CB-1 vm=dos1 cb=DEMO\.clobber", "FINDING rule=CB-1 vm=dos1 cb=DEMO.start")],
     "CB-1"),
    # CB-1: the finding's expected EBP is not what the callback was given
    (CB1, [(r"reg=ebp expected=0x00010180", "reg=ebp expected=0x00010080")], "CB-1"),
    # CB-1: a finding for EAX, which a callback may change
    (CB1, [(r"reg=ebp expected", "reg=eax expected")], "CB-1"),
    # CB-1: a finding that follows no callback's return
    (CB1, [("move", r"FINDING rule=CB-1", r"CB_ENTER kind=nc cb=DEMO\.clobber")], "CB-1"),
    # CS-2: dos2 claims the section dos1 owns without blocking
    ("cs2_other_vm_blocks", [_drop(r"\d+ CRIT op=block vm=dos2")], "CS-2"),
    # CS-2: dos2 waits for the section but is not blocked
    ("cs2_other_vm_blocks", [_drop(r"\d+ VM_STATE vm=dos2 state=block")], "CS-2"),
    # CS-2: the blocked dos2 runs (task switch to it before the grant)
    ("cs2_other_vm_blocks", [(r"TASK_SWITCH old=dos2 new=dos1 reason=block",
                              "TASK_SWITCH old=dos2 new=dos2 reason=block")], "CS-2"),
    # CS-4: Claim_Critical_Section with EAX=2 does nothing
    ("cs4_claim_release_counts", [(r"(SERVICE vm=dos1 svc=Claim_Critical_Section \S+ \S+) eax=0x00000000",
                                   r"\1 eax=0x00000002")], "CS-4"),
    # CS-4: Release_Critical_Section with ECX=1 ends twice
    ("cs4_claim_release_counts", [(r"(SERVICE vm=dos1 svc=Release_Critical_Section \S+ \S+ \S+ \S+) "
                                   r"ecx=0x00000002", r"\1 ecx=0x00000001")], "CS-4"),
    # CS-5: Get_Crit_Section_Status names the caller, not the owner dos1
    ("cs5_crit_section_status", [(r"(SVC_RET vm=dos2 svc=Get_Crit_Section_Status cf=1 zf=0 \S+) "
                                  r"ebx=0x00010100", r"\1 ebx=0x00010200")], "CS-5"),
    # CS-5: the count is wrong
    ("cs5_crit_section_status", [(r"(SVC_RET vm=dos2 svc=Get_Crit_Section_Status cf=1 zf=0 \S+ \S+) "
                                  r"ecx=0x00000001", r"\1 ecx=0x00000002")], "CS-5"),
    # CS-5: CF clear although dos2 runs at a priority above Critical_Section_Boost
    ("cs5_crit_section_status", [(r"SVC_RET vm=dos2 svc=Get_Crit_Section_Status cf=1",
                                  "SVC_RET vm=dos2 svc=Get_Crit_Section_Status cf=0")], "CS-5"),
    # CS-6: End_Crit_And_Suspend with count 2 reports success
    ("cs6_end_crit_and_suspend", [(r"SVC_RET vm=dos1 svc=End_Crit_And_Suspend cf=1",
                                   "SVC_RET vm=dos1 svc=End_Crit_And_Suspend cf=0")], "CS-6"),
    # CS-6: with count 1 it releases but does not suspend
    ("cs6_end_crit_and_suspend", [_drop(r"\d+ VM_STATE vm=dos1 state=suspend")], "CS-6"),
    # CS-6: release and suspend are not one step (the task switch comes in between)
    ("cs6_end_crit_and_suspend", [("move", r"TASK_SWITCH old=dos1 new=sys reason=suspend",
                                   r"VM_STATE vm=dos1 state=suspend")], "CS-6"),
    # CS-7: an End without a Begin is not reported
    ("cs7_end_without_begin", [_drop(r"\d+ FINDING rule=CS-7")], "CS-7"),
    # CS-7: the finding misstates the count before the call
    ("cs7_end_without_begin", [(r"(FINDING rule=CS-7 .*) count=0", r"\1 count=1")], "CS-7"),
    # CS-7: a matched End is reported
    ("cs6_end_crit_and_suspend", [(r"(\d+) (CRIT op=end vm=dos1 owner=dos1 count=1 n=1\n)",
                                   r"\1 \2\1 FINDING rule=CS-7 vm=dos1 svc=End_Critical_Section "
                                   r"owner=dos1 count=2\n")], "CS-7"),
    # NC-1: an install is lost (one release goes unanswered to the end)
    ("nc1_install_any_number", [_drop(r"000000030364 CB_ENTER kind=nc"),
                                _drop(r"000000030386 CB_RETURN kind=nc")], "NC-1"),
    # NC-1: Call_When_Not_Critical returns a value
    ("nc1_install_any_number", [(r"(SVC_RET vm=dos1 svc=Call_When_Not_Critical .* esi=)0x0010002d",
                                 r"\g<1>0x00000000")], "NC-1"),
    # NC-4: the callback gets another reference data
    ("nc4_client_registers_through_ebp", [(r"(CB_ENTER kind=nc .*) edx=0x0000cafe", r"\1 edx=0x0000caff")],
     "NC-4"),
    # NC-4: EBP is the system VM's Client_Reg_Struc, not dos1's
    ("nc4_client_registers_through_ebp", [(r"(CB_ENTER kind=nc .*) ebp=0x00010180", r"\1 ebp=0x00010080")],
     "NC-4"),
    # IDLE-1: an install succeeds after one failed on a full table
    ("idle1_table_full", [(r"(000000000398 SVC_RET vm=sys svc=Call_When_Idle) cf=0", r"\1 cf=1"),
                          (r"(000000000577 SVC_RET vm=sys svc=Call_When_Idle) cf=1", r"\1 cf=0")], "IDLE-1"),
    # IDLE-4: EBX is not the system VM
    ("idle4_registers", [(r"(CB_ENTER kind=idle .*) ebx=0x00010000", r"\1 ebx=0x00010100")], "IDLE-4"),
    # IDLE-4: EBP is not the system VM's Client_Reg_Struc
    ("idle4_registers", [(r"(CB_ENTER kind=idle .*) ebp=0x00010080", r"\1 ebp=0x00010180")], "IDLE-4"),
    # IDLE-5: the callback was removed after the first signal: the second runs nothing
    ("idle5_stay_installed", [_drop(r"000000040059 CB_ENTER kind=idle"),
                              _drop(r"000000040077 CB_RETURN kind=idle")], "IDLE-5"),
    # IDLE-5: the first installed callback is skipped
    ("idle3_chain_stops_at_cf_clear", [_drop(r"000000060059 CB_ENTER kind=idle"),
                                       _drop(r"000000060077 CB_RETURN kind=idle")], "IDLE-5"),
    # IDLE-3: the chain stops after a callback that returned CF set
    ("idle1_table_full", [_drop(r"000000020080 CB_ENTER kind=idle"),
                          _drop(r"000000020092 CB_RETURN kind=idle")], "IDLE-3"),
    # SL-1: the old slice holder keeps Cur_Run_VM_Boost when the next slice starts
    (SL1, [_drop(r"000000400147 PRIORITY vm=sys pri=0x00000000 old=0x00000004 boost=-4")], "SL-1"),
    # SL-1: a slice ends that is not the current one
    (SL1, [(r"EVENT seq=2 kind=slice index=2", "EVENT seq=2 kind=slice index=3")], "SL-1"),
    # SL-1: a slice shorter than the granularity (20 ms at 10 MHz)
    (SL1, [(r"SLICE op=start vm=dos1 cycles=200000", "SLICE op=start vm=dos1 cycles=100000")], "SL-1"),
    # SL-1: dos1 gets slices although it is not on the time-slice list (no Background)
    (SL1, [(r"(VM_STATE vm=dos1 state=create .*) status=0x00000002", r"\1 status=0x00000000")], "SL-1"),
    # SL-1: the slice boost is not given when the slice starts
    (SL1, [_drop(r"000000400147 PRIORITY vm=dos1 pri=0x00000004 old=0x00000000 boost=4")], "SL-1"),
    # SL-1: Cur_Run_VM_Boost with the time slicer off
    ("cs4_claim_release_counts", [(r"(\d+) (END reason=done)", r"\1 PRIORITY vm=dos1 pri=0x00000004 "
                                   r"old=0x00000000 boost=4 reason=slice\n\1 \2")], "SL-1"),
])
def test_refmodel_catches_broken_rule_trace(golden, edits, rule):
    """CB-1, CS-2..CS-7, NC-1, NC-4, IDLE-1, IDLE-4, IDLE-5, SL-1: the golden trace
    is clean; the edited copy is a violation of the rule."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    broken = _mutate(text, edits)
    assert broken != text
    assert rule in rules(broken), violations(broken)


@pytest.mark.parametrize("name", [
    "cb1_ebp_not_preserved", "cs2_other_vm_blocks", "cs3_release_to_highest_waiter",
    "cs4_claim_release_counts", "cs5_crit_section_status", "cs6_end_crit_and_suspend",
    "cs7_end_without_begin", "bug_crit_waiter_order", "nc1_install_any_number",
    "nc4_registers", "nc4_client_registers_through_ebp", "idle1_table_full",
    "idle2_waits_for_every_vm", "idle4_registers", "idle5_stay_installed",
    "sl1_cpu_shares_fg100_bg50", "latency:loaded", "cl1_client_regs_through_ebp",
    "cl2_int2f_from_client", "cl3_virtual_if_holds_irq", "cl3_ints_enabled_waiters",
    "cl4_reflect_and_boost_until_iret", "cl5_hlt_idle_until_interrupt", "cl1_pm_kernel_idle_loop",
    "cl5_pm_hlt_until_interrupt", "iot3_global_and_local_trapping", "iot4_word_over_byte_ports_low_first",
    "nx1_exec_int_runs_client_handler", "nx4_event_runs_in_the_nest",
    "vcb1_v86_call_back", "vcb2_break_point", "vcb4_call_when_vm_returns"])
def test_refmodel_on_fuzzed_runs(name):
    """Every rule the model checks (CB-1, CS-*, NC-*, IDLE-*, SL-1, CL-* included) holds
    on seeded random schedules of the scenarios that hold them."""
    from conftest import ROOT, SCENARIOS
    if name.startswith("latency:"):
        scen = rel(ROOT / "bench" / "latency" / (name[8:] + ".yaml"))
    else:
        scen = rel(SCENARIOS / (name + ".yaml"))
    for seed in range(1, 9):
        text = run_vmmsim("run", "--strategy", "random", "--seed", seed, scen).stdout
        assert " END reason=" in text
        v = violations(text)
        assert v == [], f"seed {seed}:\n" + "\n".join(v[:5])


# The MACHINE record (docs/trace-format.md) makes IDLE-1's limit, NC-1's and TS-1's
# table limits, TO-1's tick period and SL-1's granularity exact: a golden copy whose
# MACHINE no longer matches what the run did is a violation of the rule.
def _machine(key, value):
    return (r"(?m)^(\d+ MACHINE .*\b" + key + r")=\d+", r"\g<1>=" + str(value))


@pytest.mark.parametrize("golden, edits, rule", [
    # IDLE-1: two installed fill a table of 2; a table of 3 would take the third
    ("idle1_table_full", [_machine("idle_slots", 3)], "IDLE-1"),
    # IDLE-1: a table of 1 is full after the first install, the second succeeds
    ("idle1_table_full", [_machine("idle_slots", 1)], "IDLE-1"),
    # NC-1: five installs in a list of 4: the fifth must end the run (VMM_ELIMIT)
    ("nc1_install_any_number", [_machine("nc_slots", 4)], "NC-1"),
    # TS-1: two installs in a table of 1: the second must end the run (VMM_ELIMIT)
    ("ts1_callbacks_in_install_order", [_machine("ts_slots", 1)], "TS-1"),
    # TO-1: the ticks are of 10 ms; with 20 ms tick 3 would be at cycle 1500000
    ("to1_global_late_by_tick", [_machine("timer_tick_ms", 20)], "TO-1"),
    # SL-1: the granularity is 20 ms, not the 10 ms the machine would have
    (SL1, [_machine("time_slice_ms", 10)], "SL-1"),
    # SL-1: a 40 ms granularity: the slices of 20 ms are too short
    (SL1, [_machine("time_slice_ms", 40)], "SL-1"),
    # SL-1: slices although the machine has the time slicer off
    (SL1, [_machine("time_slicing", 0)], "SL-1"),
    # MACHINE: the record must come right after BOOT
    ("demo_default", [("move", r"MACHINE ", r"CONTROL msg=Sys_Critical_Init")], "MACHINE"),
])
def test_refmodel_catches_machine_mismatch(golden, edits, rule):
    """IDLE-1, NC-1, TS-1, TO-1, SL-1 exact from MACHINE: the golden trace is clean;
    the copy with one MACHINE value changed is a violation of the rule."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    broken = _mutate(text, edits)
    assert broken != text
    assert rule in rules(broken), violations(broken)


@pytest.mark.parametrize("golden", ["idle1_table_full", "nc1_install_any_number",
                                    "to1_global_late_by_tick", SL1, "demo_default"])
def test_refmodel_without_machine_record_falls_back(golden):
    """A trace written before the MACHINE record still checks: the tick is inferred
    (TO-1) and IDLE-1 is checked for consistency only."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    old = _mutate(text, [_drop(r"\d+ MACHINE ")])
    assert old != text and " MACHINE " not in old
    assert violations(old) == []


def _sl1_granularity_scenario(tmp_path):
    """sl1_cpu_shares_fg100_bg50 with Set_Time_Slice_Granularity(30) at cycle 1000000."""
    from conftest import SCENARIOS
    s = (SCENARIOS / "sl1_cpu_shares_fg100_bg50.yaml").read_text()
    s = s.replace("      sys_ms:  dd 0", "      set_gran:\n              mov     eax, 30\n"
                  "              VMMcall Set_Time_Slice_Granularity\n              ret\n"
                  "      sys_ms:  dd 0")
    s = s.replace("  - { at: 6000000,", "  - { at: 1000000, vm: sys, do: call(SLC.set_gran) }\n"
                  "  - { at: 6000000,")
    s = s[:s.index("expect:")]
    p = tmp_path / "sl1_granularity.yaml"
    p.write_text(s)
    return p


def test_refmodel_sl1_granularity_follows_set_time_slice_granularity(tmp_path):
    """SL-1: the granularity is MACHINE time_slice_ms until Set_Time_Slice_Granularity
    returns, then its EAX; a slice that still says (or lasts) 20 ms is caught."""
    import re
    scen = _sl1_granularity_scenario(tmp_path)
    text = run_vmmsim("run", scen).stdout
    assert "granularity=30" in text and "granularity=20" in text
    assert violations(text) == []
    # the first slice after the change keeps the old granularity
    broken, n = re.subn(r"(SLICE op=start vm=dos1 cycles=\d+ pri=50 credit=0) granularity=30",
                        r"\1 granularity=20", text, count=1)
    assert n == 1
    assert "SL-1" in rules(broken), violations(broken)
    # the change is lost: every later slice of 30 ms is longer than it should be, and
    # their granularity is not the machine's
    broken = re.sub(r"(?m)^\d+ SERVICE vm=sys svc=Set_Time_Slice_Granularity.*\n"
                    r"\d+ SVC_RET vm=sys svc=Set_Time_Slice_Granularity.*\n", "", text)
    assert broken != text
    assert "SL-1" in rules(broken), violations(broken)


def test_refmodel_nc1_full_list_ends_the_run(tmp_path):
    """NC-1: with nc_slots 4, the fifth Call_When_Not_Critical ends the run with
    VMM_ELIMIT: the model accepts that, and catches a return instead (or a run that
    ends so with room in the list)."""
    import re
    from conftest import SCENARIOS
    s = (SCENARIOS / "nc1_install_any_number.yaml").read_text()
    s = s.replace("\nvms:", "\nmachine: { nc_slots: 4 }\nvms:", 1)
    s = s[:s.index("expect:")]
    p = tmp_path / "nc1_full.yaml"
    p.write_text(s)
    text = run_vmmsim("run", p, check_codes=None).stdout
    assert "END reason=error code=-3" in text
    assert violations(text) == []
    assert "NC-1" in rules(re.sub(r"nc_slots=4", "nc_slots=5", text))
    ret = re.sub(r"(?m)^(\d+) (END reason=error code=-3)",
                 r"\1 SVC_RET vm=dos1 svc=Call_When_Not_Critical cf=1 zf=0 eax=0x00000000 "
                 r"ebx=0x00010100 ecx=0x00000000 edx=0x00000005 esi=0x0010002d\n\1 \2", text)
    assert ret != text
    assert "NC-1" in rules(ret), violations(ret)


# Client code (CL-1 … CL-5, docs/vmm.md "Client code"): each golden is clean; each
# edited copy breaks the rule its edit names.
CL1, CL3, CL4, CL5 = ("cl1_client_regs_through_ebp", "cl3_virtual_if_holds_irq",
                      "cl4_reflect_and_boost_until_iret", "cl5_hlt_idle_until_interrupt")


@pytest.mark.parametrize("golden, edits, rule", [
    # CL-1: after its handler the client resumes elsewhere than where it was interrupted
    (CL4, [(r"(CLIENT op=iret vm=dos1 cs=0x1000) ip=0x012f", r"\1 ip=0x0130")], "CL-1"),
    # CL-1: client code of a VM that is not the current one runs
    (CL1, [(r"CLIENT op=vmm vm=sys cs=0x2000 ip=0x0012", "CLIENT op=vmm vm=dos1 cs=0x2000 ip=0x0012")],
     "CL-1"),
    # CL-2: an INT 2Fh service from client code without its CLIENT op=vmm
    (CL1, [_drop(r"000000000391 CLIENT op=vmm")], "CL-2"),
    # CL-2: the service gets another AX than the client's INT 2Fh function
    (CL1, [(r"(SERVICE vm=sys svc=Int2F_1689 dword=0x002f1689 path=client) eax=0x00001689",
            r"\1 eax=0x00001234")], "CL-2"),
    # CL-3: an interrupt is simulated while the client's IF is clear
    (CL3, [(r"(CLIENT op=if vm=dos1 cs=0x1000 ip=0x001e at=dos1.start.busy\+9) if=1", r"\1 if=0")],
     "CL-3"),
    # CL-3: Call_When_VM_Ints_Enabled's callback runs before the client's STI
    ("cl3_ints_enabled_waiters", [(r"(CLIENT op=if vm=dos1 cs=0x1000 ip=0x0007 at=dos1.start.spin) if=1",
                                   r"\1 if=0")], "CL-3"),
    # CL-4: a client VM's handler ends by time (EVENT kind=iret) instead of its IRET
    (CL4, [(r"(\d+) CLIENT op=iret vm=dos1 (.*)\n", r"\1 EVENT seq=99 kind=iret index=1\n")], "CL-4"),
    # CL-4: the IRET hook without a simulated interrupt in its handler
    (CL4, [_drop(r"\d+ CLIENT op=simint vm=dos1")], "CL-4"),
    # CL-4: protected-mode client code has no vector table to reflect an INT into
    ("cl5_pm_hlt_until_interrupt", [(r"CLIENT op=hlt vm=sys cs=0x0007 ip=0x0001", "CLIENT op=int vm=sys "
                                     "cs=0x0007 ip=0x0001")], "CL-4"),
    # CL-4: a protected-mode client's handler is time (EVENT kind=iret), which is no violation;
    # removing the wake of the halted kernel is (CL-5)
    ("cl5_pm_hlt_until_interrupt", [_drop(r"\d+ CLIENT op=wake vm=sys")], "CL-5"),
    # CL-5: HLT without the VM becoming idle
    (CL5, [_drop(r"\d+ VM_STATE vm=dos1 state=idle")], "CL-5"),
    # CL-5: a halted VM runs client code without being woken
    (CL5, [_drop(r"\d+ CLIENT op=wake vm=dos1")], "CL-5"),
])
def test_refmodel_catches_broken_client_trace(golden, edits, rule):
    _caught(golden, edits, rule)


def _caught(golden, edits, rule):
    """The golden trace passes; with the edits, the model reports rule."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    broken = _mutate(text, edits)
    assert broken != text
    assert rule in rules(broken), violations(broken)


# ---- I/O trapping (IOT-1 … IOT-6) ------------------------------------------------------
IOT1, IOT2 = "iot1_one_handler_per_port", "iot2_handler_runs_in_vm_context"
IOT3, IOT4 = "iot3_global_and_local_trapping", "iot4_word_over_byte_ports_low_first"


@pytest.mark.parametrize("golden, edits, rule", [
    # IOT-1: a second handler for one port accepted
    (IOT1, [(r"(IOTRAP op=install vm=sys port=0x0060) ok=0 (handler=TRAPD\.io_other addr=0x[0-9a-f]+\n"
             r"\d+ SVC_RET vm=sys svc=Install_IO_Handler) cf=1", r"\1 ok=1 \2 cf=0")], "IOT-1"),
    # IOT-1: Install_IO_Handler says CF clear although its install was refused
    (IOT1, [(r"(SVC_RET vm=sys svc=Install_IO_Handler) cf=1", r"\1 cf=0")], "IOT-1"),
    # IOT-1: Install_Mult_IO_Handlers names another port than the refused one
    (IOT1, [(r"(SVC_RET vm=sys svc=Install_Mult_IO_Handlers cf=1 .*) edx=0x00000060", r"\1 edx=0x00000061")],
     "IOT-1"),
    # IOT-2: the handler is entered with another VM's handle
    (IOT2, [(r"(CB_ENTER kind=iotrap .*) ebx=0x00010100", r"\1 ebx=0x00010000")], "IOT-2"),
    # IOT-2: the output byte is not in EAX
    (IOT2, [(r"(CB_ENTER kind=iotrap .*) eax=0x00000048", r"\1 eax=0x00000000")], "IOT-2"),
    # IOT-2: the client's IN does not get the handler's AL
    (IOT2, [(r"(IOTRAP op=done vm=dos1 port=0x03f8) value=0x0000005a", r"\1 value=0x00000041")], "IOT-2"),
    # IOT-3: a client IN on a trapped port reaches the bus
    (IOT3, [(r"(\d+) IOTRAP op=fault vm=dos2 .*\n\d+ IOTRAP op=call vm=dos2 .*\n\d+ CB_ENTER kind=iotrap .*\n"
             r"\d+ CB_RETURN kind=iotrap .*\n\d+ IOTRAP op=done vm=dos2 .*\n",
             r"\1 IO op=in vm=dos2 port=0x03f8 size=1 value=0x00000041\n")], "IOT-3"),
    # IOT-3: a fault on a port whose trapping is off in that VM
    (IOT3, [(r"(\d+) IO op=in vm=dos1 port=0x03f8 size=1 value=0x00000041\n",
             r"\1 IOTRAP op=fault vm=dos1 port=0x03f8 size=1 dir=in string=0 rep=0 count=1 cs=0x1000 "
             r"ip=0x0103\n")], "IOT-3"),
    # IOT-4: the word's bytes in descending order without an io-order choice saying so
    (IOT4, [_drop(r"\d+ CHOICE kind=io-order n=2 chosen=0"),
            (r"port=0x02ea iotype=0x04 handler=LOG\.io_log addr=(0x[0-9a-f]+) value=0xaa",
             r"port=0x02eb iotype=0x04 handler=LOG.io_log addr=\1 value=0xaa")], "IOT-4"),
    # IOT-4: a REP OUTSB that ends an element early
    (IOT4, [(r"(?m)^(\d+) IOTRAP op=call vm=dos1 port=0x02eb iotype=0x04 handler=LOG\.io_log "
             r"addr=0x[0-9a-f]+ value=0x7a\n\d+ CB_ENTER .*\n\d+ CB_RETURN .*\n", "")], "IOT-4"),
    # IOT-4: a handler given a word type
    (IOT4, [(r"(port=0x02e8) iotype=0x00", r"\1 iotype=0x08")], "IOT-4"),
    # IOT-5: VxD code's own IN trapped (a fault while its callback runs)
    (IOT3, [(r"(\d+) IO op=in vm=sys port=0x03f8 size=1 value=0x00000041\n(\d+ SERVICE vm=sys "
             r"svc=Disable_Global)", r"\1 IOTRAP op=fault vm=sys port=0x03f8 size=1 dir=in string=0 "
             r"rep=0 count=1 cs=0x0007 ip=0x0003\n\2")], "IOT-5"),
    # IOT-6: the first handler call without the VMM entry's cycles
    (IOT2, [(r"000000000627 (IOTRAP op=call)", r"000000000508 \1"),
            (r"000000000636 (CB_ENTER kind=iotrap)", r"000000000517 \1")], "IOT-6"),
])
def test_refmodel_catches_broken_iot_trace(golden, edits, rule):
    """IOT-1 … IOT-6: the golden trace is clean; the edited copy violates the rule."""
    _caught(golden, edits, rule)


# ---- nested execution, V86 call-backs and break points (NX-1 … NX-4, VCB-1 … VCB-3) ----
@pytest.mark.parametrize("golden, edits, rule", [
    # NX-1: Exec_Int returns without the client reaching the nest's break point
    ("nx1_exec_int_runs_client_handler", [_drop(r"\d+ CLIENT op=break vm=dos1")], "NX-1"),
    # NX-1: Exec_Int returns before its break point
    ("nx1_exec_int_runs_client_handler", [("move", r"SVC_RET vm=dos1 svc=Exec_Int",
                                           r"CLIENT op=break vm=dos1")], "NX-1"),
    # NX-1: the parked VxD's callback returns before its Resume_Exec did
    ("nx4_event_runs_in_the_nest", [("move", r"CB_RETURN kind=call cb=VDOS\.go",
                                     r"CLIENT op=break vm=dos1")], "NX-1"),
    # NX-2: Exec_Int 21h enters another vector
    ("nx1_exec_int_runs_client_handler", [(r"op=execint (.*) vector=0x21", r"op=execint \1 vector=0x10")],
     "NX-2"),
    # NX-3: Exec_Int outside a nested execution block
    ("nx1_exec_int_runs_client_handler", [_drop(r"\d+ SERVICE vm=dos1 svc=Begin_Nest_V86_Exec")], "NX-3"),
    # NX-4: the event in the nest runs at the parked VxD's depth, not above it
    ("nx4_event_runs_in_the_nest", [(r"(CB_ENTER kind=event .*) depth=2", r"\1 depth=1")], "NX-4"),
    # VCB-1: the client breaks at a call-back address with another callback
    ("vcb1_v86_call_back", [(r"(CLIENT op=break .* vector=0x01) target=0x\w+", r"\1 target=0x00100000")],
     "VCB-1"),
    # VCB-1: the call-back gets other reference data
    ("vcb1_v86_call_back", [(r"(CB_ENTER kind=v86cb .*) edx=0x0000cafe", r"\1 edx=0x0000cafd")], "VCB-1"),
    # VCB-2: a break where no break point was installed
    ("vcb2_break_point", [(r"(SVC_RET vm=dos1 svc=Install_V86_Break_Point) cf=0", r"\1 cf=1")], "VCB-2"),
    # VCB-3: a break at a removed break point
    ("vcb2_break_point", [("move", r"SERVICE vm=dos1 svc=Remove_V86_Break_Point", r"CLIENT op=break"),
                          ("move", r"SVC_RET vm=dos1 svc=Remove_V86_Break_Point", r"CLIENT op=break")],
     "VCB-3"),
    # VCB-4: the time-out call without its time-out falling due
    ("vcb4_call_when_vm_returns", [_drop(r"\d+ EVENT seq=\d+ kind=return_timeout")], "VCB-4"),
    # VCB-4: a negative time-out's IRET skips the second call
    ("vcb4_call_when_vm_returns", [(r"(vector=0x03) target=0x\w+", r"\1 target=0x00000000")], "VCB-4"),
])
def test_refmodel_catches_broken_nest_trace(golden, edits, rule):
    """NX-1 … NX-4, VCB-1 … VCB-3: the golden trace is clean; the edited copy breaks
    the rule."""
    from conftest import GOLDEN
    text = (GOLDEN / f"{golden}.trace").read_text()
    assert violations(text) == []
    broken = _mutate(text, edits)
    assert broken != text
    assert rule in rules(broken), violations(broken)


# ---- V86 interrupt hooks and Simulate_* (HK-1 … HK-4, SIM-1 … SIM-5) ------------------
HK1, HK4, SIM1 = ("hk1_hooks_last_installed_first", "hk4_int2f_hooks_before_the_vmm",
                  "sim1_simulate_services_change_client_execution")


@pytest.mark.parametrize("golden, edits, rule", [
    # HK-1: the first installed hook runs first
    (HK1, [(r"(CB_ENTER kind=v86int cb=VDOS\.hook) addr=0x0010102e", r"\1 addr=0x0010001e")], "HK-1"),
    # HK-1: a hook entered with another VM's handle in EBX
    (HK1, [(r"(CB_ENTER kind=v86int .*) ebx=0x00010100", r"\1 ebx=0x00010000")], "HK-1"),
    # HK-1: a hook passes the interrupt on, and the next one is skipped
    (HK1, [_drop(r"\d+ CB_ENTER kind=v86int cb=VMON\.hook"), _drop(r"\d+ CB_RETURN kind=v86int cb=VMON\.hook")],
     "HK-1"),
    # HK-2: a consumed interrupt is reflected all the same
    (HK1, [(r"(\d+) (CB_RETURN kind=v86int cb=VDOS\.hook .* cf=0 .*\n)",
            r"\1 \2\1 CLIENT op=int vm=dos1 cs=0x1000 ip=0x0119 if=1 vector=0x21 target=0x10000129\n")], "HK-2"),
    # HK-2: every hook passed it on, but it is not reflected
    (HK1, [_drop(r"\d+ CLIENT op=int vm=dos1 cs=0x1000 ip=0x0122")], "HK-2"),
    # HK-2: a simulated hardware interrupt enters its handler without its hook
    ("hk1_hardware_interrupt_hooks", [_drop(r"\d+ CB_RETURN kind=v86int cb=VHK\.hook .* cf=1")], "HK-2"),
    # HK-3: the install for interrupt 100h succeeds
    (HK1, [(r"(SVC_RET vm=sys svc=Hook_V86_Int_Chain) cf=1", r"\1 cf=0")], "HK-3"),
    # HK-4: the VMM takes INT 2Fh 1680h before its hook passed it on
    (HK4, [_drop(r"\d+ CB_RETURN kind=v86int cb=VMUX\.hook .* cf=1")], "HK-4"),
    # SIM-1: Simulate_Int returns without entering the vector
    (SIM1, [_drop(r"\d+ CLIENT op=int vm=dos1 cs=0x1000 ip=0x012a")], "SIM-1"),
    # SIM-2: Simulate_Push pushes another word than EAX's
    (SIM1, [(r"(svc=Simulate_Push .*) value=0x00001234", r"\1 value=0x00001235")], "SIM-2"),
    # SIM-2: Simulate_Pop returns another word than the one popped
    (SIM1, [(r"(SVC_RET vm=dos1 svc=Simulate_Pop .*) eax=0x00007777", r"\1 eax=0x00007778")], "SIM-2"),
    # SIM-3: Simulate_Far_Call goes elsewhere than CX:EDX
    (SIM1, [(r"ip=0x016f (at=dos1\.far_proc)", r"ip=0x0170 \1")], "SIM-3"),
    # SIM-4: Simulate_Far_Ret_N leaves the parameter word on the stack
    (SIM1, [(r"(svc=Simulate_Far_Ret_N ss=0x1000 old_sp=0xfff8) sp=0xfffe", r"\1 sp=0xfffc")], "SIM-4"),
    # SIM-5: Map_Flat returns another address than its record
    (SIM1, [(r"(SVC_RET vm=dos1 svc=Map_Flat .*) eax=0x0031c00a", r"\1 eax=0x0031c00b")], "SIM-5"),
])
def test_refmodel_catches_broken_hook_trace(golden, edits, rule):
    _caught(golden, edits, rule)


def test_refmodel_command_line(tmp_path):
    """python3 harness/refmodel.py TRACE... (the file next to the package refmodel/
    keeps the command line): exit 0 and no output when every trace holds the rules,
    exit 1 and each violation prefixed by its file otherwise."""
    import subprocess
    import sys
    from conftest import ROOT
    good, bad = tmp_path / "good.trace", tmp_path / "bad.trace"
    good.write_text(GOOD)
    bad.write_text(GOOD.replace("depth=1 eax=0x00011000", "depth=1 eax=0x00011100"))
    cli = [sys.executable, str(ROOT / "harness" / "refmodel.py")]
    ok = subprocess.run(cli + [str(good)], capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout) == (0, ""), ok.stderr
    ko = subprocess.run(cli + [str(good), str(bad)], capture_output=True, text=True, timeout=60)
    assert ko.returncode == 1, ko.stderr
    heads = [line for line in ko.stdout.splitlines() if not line.startswith(" ")]
    assert heads and all(line.startswith(f"{bad}: ") for line in heads), ko.stdout
    assert f"{bad}: TS-1 at record " in ko.stdout


def test_refmodel_malformed_record_is_a_violation_not_an_exception():
    """A record the model cannot follow (here a Call_When_Not_Critical SERVICE record
    without its ESI, so the later NC callback cannot be compared with it) ends the check
    with a TRACE violation naming that record; check_text never raises on bad input."""
    from conftest import ROOT
    text = (ROOT / "scenarios" / "golden" / "bug_amb3_nc_at_next_return.trace").read_text()
    assert refmodel.check_text(text) == []
    broken, n = re.subn(r"(SERVICE vm=\S+ svc=Call_When_Not_Critical .*?) esi=0x[0-9a-f]+", r"\1",
                        text, count=1)
    assert n == 1
    v = refmodel.check_text(broken)
    assert v and v[-1].startswith("TRACE at record ") and "malformed record" in v[-1], v
