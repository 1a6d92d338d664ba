"""Partial-order reduction's finer dependences (docs/fuzzing.md, "Partial-order
reduction"): each test is a small scenario on which the finer rule, applied naively,
would leave out an outcome that plain dfs reaches; the reduced walk still reaches
every one (test_search.soundness) and runs fewer schedules where it may."""
from test_search import soundness

# Three global events queued at once: ev_a reads the system time, ev_b and ev_c touch
# nothing ev_a does but spin @B@ and @C@ times. Sleep sets keep a clock read's slack:
# ev_a, explored first, sleeps past ev_b only when ev_b is too short to move its read
# out of its millisecond. With the spins over a millisecond ev_a reads four times
# (first, after ev_b, after ev_c, after both); had it slept past ev_b (memory alone
# says independent) the order ev_b, ev_a, ev_c would never run.
SLEEP_CLOCK = """name: three global events, one reading the clock, two long ones
vms:
  - { name: sys, system: true }
  - { name: dos1 }
vxds:
  - name: DRV
    asm: |
      %include "vmm.inc"
      Control_Proc:
              clc
              ret
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
timeline:
  - { at: 5000, vm: dos1, do: release_time_slice }
  - { at: 10000, vm: sys, do: call(DRV.start) }
expect:
  - memory: { label: DRV.vb, value: 1 }
"""


def test_por_sleep_sets_keep_clock_slack(tmp_path):
    long_ = tmp_path / "sleep_clock_long.yaml"
    long_.write_text(SLEEP_CLOCK.replace("@B@", "30000").replace("@C@", "70000"))
    plain, red = soundness(long_, tmp_path, "sleep_clock_long")
    assert plain == 6 and red == 4            # 4 outcomes: each needs its own run
    short = tmp_path / "sleep_clock_short.yaml"
    short.write_text(SLEEP_CLOCK.replace("@B@", "10").replace("@C@", "20"))
    plain, red = soundness(short, tmp_path, "sleep_clock_short")
    assert plain == 6 and red == 1
