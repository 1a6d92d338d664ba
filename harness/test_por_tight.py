"""Partial-order reduction's finer dependences (docs/fuzzing.md, "Partial-order
reduction"): each test is a small scenario on which the finer rule, applied naively,
would leave out an outcome that plain dfs reaches; the reduced walk still reaches
every one (test_search.soundness) and runs fewer schedules where it may."""
from conftest import run_vmmsim, drv_scenario
from test_fuzz import summary
from test_search import FOUR_EVENTS, soundness

# Three global events queued at once: ev_a reads the system time, ev_b and ev_c touch
# nothing ev_a does but spin @B@ and @C@ times. Sleep sets keep a clock read's slack:
# ev_a, explored first, sleeps past ev_b only when ev_b is too short to move its read
# out of its millisecond. With the spins over a millisecond ev_a reads four times
# (first, after ev_b, after ev_c, after both); had it slept past ev_b (memory alone
# says independent) the order ev_b, ev_a, ev_c would never run.
SLEEP_CLOCK = drv_scenario("three global events, one reading the clock, two long ones", """\
      start:  mov     esi, ev_a
              VMMcall Schedule_Global_Event
              mov     esi, ev_b
              VMMcall Schedule_Global_Event
              mov     esi, ev_c
              VMMcall Schedule_Global_Event
              ret
      ev_a:   VMMcall Get_System_Time
              mov     [va], eax
              ret
      ev_b:   mov     ecx, @B@
      .spin:  dec     ecx
              jnz     .spin
              mov     dword [vb], 1
              ret
      ev_c:   mov     ecx, @C@
      .spin:  dec     ecx
              jnz     .spin
              mov     dword [vc], 1
              ret
      va:     dd 0
      vb:     dd 0
      vc:     dd 0
""", """\
  - { at: 5000, vm: dos1, do: release_time_slice }
  - { at: 10000, vm: sys, do: call(DRV.start) }
expect:
  - memory: { label: DRV.vb, value: 1 }
""")


def test_por_sleep_sets_keep_clock_slack(tmp_path):
    long_ = tmp_path / "sleep_clock_long.yaml"
    long_.write_text(SLEEP_CLOCK.replace("@B@", "30000").replace("@C@", "70000"))
    plain, red = soundness(long_, tmp_path, "sleep_clock_long")
    assert plain == 6 and red == 4            # 4 outcomes: each needs its own run
    short = tmp_path / "sleep_clock_short.yaml"
    short.write_text(SLEEP_CLOCK.replace("@B@", "10").replace("@C@", "20"))
    plain, red = soundness(short, tmp_path, "sleep_clock_short")
    assert plain == 6 and red == 1


# The four events of test_search, with a delay measured from ev_a's entry to ev_b's.
WITHIN_EVENTS = FOUR_EVENTS.replace(
    "@EXPECT@", "  - memory: { label: DRV.cnt, value: 2 }\n"
    "  - within: { from: { enter: DRV.ev_a }, to: DRV.ev_b, cycles: @LIM@ }")

# ev_a schedules ev_b, so ev_b always follows it; ev_c, queued before ev_a, spins
# @SPIN@ times. Only the time between them can fail the `within`.
WITHIN_CHAIN = drv_scenario("a delay from an event to the event it schedules, and a long one", """\
      start:  mov     esi, ev_c
              VMMcall Schedule_Global_Event
              mov     esi, ev_a
              VMMcall Schedule_Global_Event
              ret
      ev_a:   mov     dword [va], 1
              mov     esi, ev_b
              VMMcall Schedule_Global_Event
              ret
      ev_b:   mov     dword [vb], 1
              ret
      ev_c:   mov     ecx, @SPIN@
      .spin:  dec     ecx
              jnz     .spin
              mov     dword [vc], 1
              ret
      va:     dd 0
      vb:     dd 0
      vc:     dd 0
""", """\
  - { at: 5000, vm: dos1, do: release_time_slice }
  - { at: 10000, vm: sys, do: call(DRV.start) }
expect:
  - memory: { label: DRV.vc, value: 1 }
  - within: { from: { enter: DRV.ev_a }, to: DRV.ev_b, cycles: 5000 }
""")


def test_por_within_delays_are_clock_reads_with_slack(tmp_path):
    """A `within` from a stimulus or an entry makes its trigger and its measured entry
    read the clock with the slack the verdict leaves (vmm/por_within.c), not depend on
    every step: with a loose bound the reduced walk runs 4 of the 24 orders, with a
    tight one more, and both reach every outcome and failure plain dfs reaches (ev_b before
    ev_a fails it too: a trigger never followed by an entry)."""
    assert "@LIM@" in WITHIN_EVENTS
    runs = {}
    for lim in (100000, 50):
        path = tmp_path / ("within_%d.yaml" % lim)
        path.write_text(WITHIN_EVENTS.replace("@LIM@", str(lim)))
        runs[lim] = soundness(path, tmp_path, "within_%d" % lim)
    assert runs[100000] == (24, 4) and runs[50][0] == 24 and 4 < runs[50][1] < 24
    for spin in (3000, 1):   # ev_c run between ev_a and ev_b: fails when long
        path = tmp_path / ("within_chain_%d.yaml" % spin)
        path.write_text(WITHIN_CHAIN.replace("@SPIN@", str(spin)))
        soundness(path, tmp_path, "within_chain_%d" % spin)
    p = run_vmmsim("fuzz", tmp_path / "within_chain_3000.yaml", "--strategy", "dfs", "--por",
                   "--json", "--quiet", check_codes=(1,))
    assert summary(p.stdout)["failures"] >= 1


# fa and fc write x in stimulus windows; fb, a timeline call at 60000, reads it. fa's
# window ends at 40000: however long fa waits it runs before fb, so its wait never
# races with fb. fc's window ends at @HI@: past 60000 its waits put fb first, a
# read of 1 instead of 3 (an outcome more), and must all be explored.
WINDOW_BEFORE_FIXED = drv_scenario("a windowed write that ends before a fixed-time reader, and one that may not", """\
      fa:     mov     dword [x], 1
              ret
      fb:     mov     eax, [x]
              mov     [y], eax
              ret
      fc:     mov     dword [x], 3
              ret
      x:      dd 0
      y:      dd 0
""", """\
  - { at: 5000, vm: dos1, do: release_time_slice }
  - { at: [20000, 40000], vm: sys, do: call(DRV.fa) }
  - { at: 60000, vm: sys, do: call(DRV.fb) }
  - { at: [20000, @HI@], vm: sys, do: call(DRV.fc) }
expect:
  - memory: { label: DRV.x, value: 3 }
""")


def test_por_window_wait_races_only_what_it_can_pass(tmp_path):
    """A window's "wait" is explored against a later step only when waiting can put
    that step first: not when the step cannot begin before the window ends (a timer
    tick, a timeline stimulus: fixed times)."""
    runs = {}
    for hi in (50000, 80000):
        path = tmp_path / ("window_fixed_%d.yaml" % hi)
        path.write_text(WINDOW_BEFORE_FIXED.replace("@HI@", str(hi)))
        runs[hi] = soundness(path, tmp_path, "window_fixed_%d" % hi)
    # both windows end before fb: 4 orders of the two windowed writes (sleeps last
    # one level, POR-S), none of fb against a wait
    assert runs[50000] == (22, 4)
    assert runs[80000][0] == 34 and runs[50000][1] < runs[80000][1] < 34
