"""The scenario forms of scenarios/README.md, "Symbols" and "Callback expectations":
symbolic values (VM_name, labels, +N), the registers a timeline `call` sets, and the
`entry`, `calls` and `before` expectations, each passing and failing with its line."""
import re

from conftest import SCENARIOS, run_vmmsim

DEMO = (SCENARIOS / "demo_default.yaml").read_text()

# A VxD entry point that keeps the registers it was called with.
REGS = """\
name: call registers
vms:
  - { name: sys, system: true }
  - { name: dos1 }
  - { name: dos2 }
vxds:
  - name: R
    asm: |
      Control_Proc:
              clc
              ret
      entry:  mov     [got_eax], eax
              mov     [got_ebx], ebx
              mov     [got_ecx], ecx
              mov     [got_edx], edx
              mov     [got_esi], esi
              mov     [got_edi], edi
              ret
      got_eax: dd 0
      got_ebx: dd 0
      got_ecx: dd 0
      got_edx: dd 0
      got_esi: dd 0
      got_edi: dd 0
timeline:
  - { at: 1000, vm: dos2, do: call(R.entry), regs: { eax: 0x11, ecx: VM_dos1, edx: R.got_edx+4, esi: 7, edi: 0xFFFFFFFF } }
expect:
  - memory: { label: R.got_eax, value: 0x11 }
  - memory: { label: R.got_ebx, value: VM_dos2 }
  - memory: { label: R.got_ecx, value: VM_dos1 }
  - memory: { label: R.got_edx, value: R.got_esi }
  - memory: { addr: R.got_esi, value: 7 }
  - memory: { addr: R.got_eax+20, value: 0xFFFFFFFF }
  - memory: { addr: VM_dos2+8, value: VM_dos2+0x80 }
  - entry: { cb: R.entry, vm: dos2, eax: 0x11, ebx: VM_dos2, edx: R.got_esi, ebp: VM_dos2+0x80 }
"""


def run_text(tmp_path, text, code, name="t.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return run_vmmsim("run", "-q", f, check_codes=(code,))


def expect_lines(out):
    return [l for l in out.splitlines() if l.startswith("# expect ")]


def test_call_sets_registers_and_symbols_resolve(tmp_path):
    p = run_text(tmp_path, REGS, 0)
    lines = expect_lines(p.stdout)
    assert len(lines) == 8 and all(l.startswith("# expect ok:") for l in lines), p.stdout
    assert "# expect ok: memory R.got_ebx (0x" in p.stdout and "== 0x10200" in p.stdout
    assert "# expect ok: entry R.entry (every entry; entered 1 time)" in p.stdout


def test_call_without_regs_keeps_eax_zero(tmp_path):
    """Unset registers are what they were before `regs:` existed: EAX 0 at a call."""
    text = REGS.replace(", regs: { eax: 0x11, ecx: VM_dos1, edx: R.got_edx+4, esi: 7, edi: 0xFFFFFFFF }",
                        ", arg: 3")
    p = run_text(tmp_path, text, 1)
    assert "# expect FAILED: memory R.got_eax (0x" in p.stdout and "expected 0x11, found 0x0" in p.stdout
    assert "expect ok: memory R.got_ebx" in p.stdout


def where(text, token):
    """'line:col' (1-based) of the first occurrence of token in text."""
    i = text.index(token)
    line = text.count("\n", 0, i) + 1
    return f"{line}:{i - (text.rfind(chr(10), 0, i) + 1) + 1}"


def test_symbol_errors_name_file_line_column(tmp_path):
    # (old, new, where the error points, the message)
    cases = [
        ("value: VM_dos2 }", "value: VM_dos9 }", "VM_dos9",
         r"expect\.memory\.value: expected the handle of a VM of 'vms' "
         r"\(VM_sys, VM_dos1, VM_dos2\), found unknown VM 'VM_dos9'"),
        ("value: R.got_esi }", "value: R.nope+4 }", "R.nope",
         r"expected a label of a VxD \(VXD\.label\), found unknown label 'R\.nope'"),
        ("{ label: R.got_eax, value: 0x11 }", "{ label: R.got_eax, size: 1, value: R.got_eax }",
         "R.got_eax }", r"'R\.got_eax'\+0 is 0x1000\w\w: expected a value at most 0xff"),
        ("ecx: VM_dos1", "ecx: VM_dos1+", "VM_dos1+",
         r"timeline\.regs\.ecx: expected a number, VM_name, VXD\.label"),
        ("ecx: VM_dos1", "ebx: VM_dos1", "ebx: VM_dos1",
         r"timeline\.regs \(EBX and EBP are set by the VMM\): unknown key 'ebx'"),
        ("edi: 0xFFFFFFFF }", "edi: 0xFFFFFFFF }, arg: 5", "arg: 5",
         r"timeline entry: unexpected key 'arg' \(regs\.edx sets EDX too\)"),
        ("{ addr: R.got_esi, value: 7 }", "{ addr: R.got_esi, offset: 4, value: 7 }", "offset",
         r"expect\.memory: unexpected key 'offset' \(only with 'label:'"),
    ]
    for old, new, token, msg in cases:
        assert old in REGS, old
        text = REGS.replace(old, new, 1)
        p = run_text(tmp_path, text, 2)
        assert re.search(rf"t\.yaml:{where(text, token)}: " + msg, p.stderr), (new, p.stderr)


def test_regs_only_on_a_call(tmp_path):
    text = DEMO.replace("do: release_time_slice }", "do: release_time_slice, regs: { eax: 1 } }")
    p = run_text(tmp_path, text, 2)
    assert "timeline entry: unexpected key 'regs' (only do: call(VXD.label) takes it)" in p.stderr


FORMS = """\
  - entry: { cb: DEMO.idle_a, vm: sys, ebx: VM_sys, ebp: VM_sys+0x80 }
  - entry: { cb: DEMO.Control_Proc, nth: 5, eax: 7, ebx: VM_dos1 }
  - entry: { cb: DEMO.nc_done, edx: 0x1234, vm: dos1 }
  - calls: { cb: DEMO.Control_Proc, exactly: 7 }
  - calls: { cb: DEMO.idle_a, at_least: 1, at_most: 1 }
  - calls: { cb: DEMO.idle_b, at_most: 3 }
  - calls: { cb: DEMO.nc_done, at_least: 1 }
  - before: [DEMO.start_work, DEMO.nc_done, DEMO.idle_a]
  - before: { every: [DEMO.Control_Proc, DEMO.start_work] }
  - before: { first: [DEMO.idle_a, DEMO.idle_b] }
"""


def test_new_expectations_pass(tmp_path):
    p = run_text(tmp_path, DEMO + FORMS, 0)
    lines = expect_lines(p.stdout)[4:]
    assert lines == [
        "# expect ok: entry DEMO.idle_a (every entry; entered 1 time)",
        "# expect ok: entry DEMO.Control_Proc (entry 5; entered 7 times)",
        "# expect ok: entry DEMO.nc_done (every entry; entered 1 time)",
        "# expect ok: calls DEMO.Control_Proc exactly 7 (entered 7 times)",
        "# expect ok: calls DEMO.idle_a exactly 1 (entered 1 time)",
        "# expect ok: calls DEMO.idle_b at most 3 (entered 1 time)",
        "# expect ok: calls DEMO.nc_done at least 1 (entered 1 time)",
        "# expect ok: before [DEMO.start_work, DEMO.nc_done, DEMO.idle_a]",
        "# expect ok: before every [DEMO.Control_Proc, DEMO.start_work]",
        "# expect ok: before [DEMO.idle_a, DEMO.idle_b]",
    ], p.stdout


FAILING = """\
  - entry: { cb: DEMO.Control_Proc, ebx: VM_sys }
  - entry: { cb: DEMO.Control_Proc, nth: 2, vm: dos1 }
  - entry: { cb: DEMO.nc_done, nth: 2, edx: 0x1234 }
  - entry: { cb: DEMO.idle_c, eax: 0 }
  - calls: { cb: DEMO.Control_Proc, exactly: 6 }
  - calls: { cb: DEMO.idle_a, at_least: 2 }
  - calls: { cb: DEMO.idle_a, at_least: 2, at_most: 4 }
  - calls: { cb: DEMO.Control_Proc, at_most: 0 }
  - before: [DEMO.idle_b, DEMO.idle_a]
  - before: { every: [DEMO.Control_Proc, DEMO.idle_c] }
  - before: { every: [DEMO.idle_a, DEMO.Control_Proc] }
"""


def test_new_expectations_fail_with_reasons(tmp_path):
    asm_end = "      idle_b_count: dd 0\n"
    text = DEMO.replace(asm_end, asm_end + "      idle_c: ret\n") + FAILING
    p = run_text(tmp_path, text, 1)
    lines = expect_lines(p.stdout)[4:]
    assert lines == [
        "# expect FAILED: entry DEMO.Control_Proc (every entry): entry 5 at cycle 476: "
        "ebx expected 0x00010000 (VM_sys), found 0x00010100 (VM_dos1)",
        "# expect FAILED: entry DEMO.Control_Proc (entry 2): entry 2 at cycle 40: "
        "vm expected dos1, found sys",
        "# expect FAILED: entry DEMO.nc_done (entry 2): entered 1 time",
        "# expect FAILED: entry DEMO.idle_c (every entry): entered 0 times",
        "# expect FAILED: calls DEMO.Control_Proc exactly 6 (entered 7 times)",
        "# expect FAILED: calls DEMO.idle_a at least 2 (entered 1 time)",
        "# expect FAILED: calls DEMO.idle_a 2 to 4 (entered 1 time)",
        "# expect FAILED: calls DEMO.Control_Proc exactly 0 (entered 7 times)",   # at_most: 0
        "# expect FAILED: before [DEMO.idle_b, DEMO.idle_a]: DEMO.idle_a entered at cycle 60059, "
        "before DEMO.idle_b's first entry at cycle 60086",
        "# expect FAILED: before every [DEMO.Control_Proc, DEMO.idle_c]: DEMO.idle_c is never entered",
        "# expect FAILED: before every [DEMO.idle_a, DEMO.Control_Proc]: DEMO.Control_Proc entered at "
        "cycle 9, before DEMO.idle_a's last entry at cycle 60059",
    ], p.stdout
    assert "# verdict: FAIL" in p.stdout


def test_new_expectations_refuse_a_cut_trace(tmp_path):
    text = DEMO.replace("machine: { clock_hz", "machine: { trace_records: 64, clock_hz", 1)
    full = run_text(tmp_path, DEMO, 0, "full.yaml")
    assert "# records: 62" in full.stdout   # fits: the forms below are checked
    many = text.replace("  - { at: 60000, do: kernel_idle }",
                        "\n".join(f"  - {{ at: {60000 + 1000 * k}, do: kernel_idle }}" for k in range(8)))
    p = run_text(tmp_path, many + FORMS, 1, "cut.yaml")
    lines = expect_lines(p.stdout)[4:]
    assert len(lines) == 10
    for k, l in enumerate(lines):
        assert re.fullmatch(rf"# expect FAILED: expect:{k + 4} cannot be checked: the trace kept only "
                            r"the first 64 of \d+ records \(raise machine\.trace_records\)", l), l


def test_new_expectation_errors_name_file_line_column(tmp_path):
    # (an appended expectation, where the error points, the message)
    cases = [
        ("  - entry: { cb: DEMO.idle_a }\n", "{ cb",
         r"expect\.entry: expected at least one of vm, eax, ebx, edx, ebp \(to count entries, use calls:\)"),
        ("  - entry: { cb: DEMO.idle_a, nth: 0, eax: 0 }\n", "0, eax",
         r"expect\.entry\.nth: expected an entry number from 1"),
        ("  - entry: { cb: DEMO.idle_a, esi: 0 }\n", "esi",
         r"expect\.entry: unknown key 'esi' \(expected one of: cb, nth, vm, eax, ebx, edx, ebp\)"),
        ("  - entry: { cb: DEMO.idle_a, vm: dos7 }\n", "dos7",
         r"expect\.entry\.vm: expected a VM of 'vms' \(sys, dos1\), found 'dos7'"),
        ("  - calls: { cb: DEMO.idle_a }\n", "{ cb",
         r"expect\.calls: missing key 'exactly' \(expected a count \(or at_least / at_most\)\)"),
        ("  - calls: { cb: DEMO.idle_a, exactly: 1, at_most: 2 }\n", "exactly",
         r"expect\.calls: unexpected key 'exactly' \(give exactly, or at_least and/or at_most\)"),
        ("  - calls: { cb: DEMO.idle_a, at_least: 3, at_most: 2 }\n", "2 }",
         r"expect\.calls\.at_most: expected a count >= at_least, found '2'"),
        ("  - before: [DEMO.idle_a]\n", "[DEMO.idle_a]",
         r"expect\.before: expected a list of at least two labels"),
        ("  - before: { every: [DEMO.idle_a, DEMO.idle_b], first: [DEMO.idle_a, DEMO.idle_b] }\n",
         "{ every", r"expect\.before: expected \[A, B, \.\.\.\], \{ first: \[A, B, \.\.\.\] \} or"),
        ("  - before: [DEMO.idle_a, DEMO.nope]\n", "DEMO.nope",
         r"expected a label of a VxD \(VXD\.label\), found unknown label 'DEMO\.nope'"),
        ("  - register: { vm: dos1, reg: EAX, value: VM_x }\n", "VM_x",
         r"expect\.register\.value: expected the handle of a VM of 'vms' \(VM_sys, VM_dos1\), "
         r"found unknown VM 'VM_x'"),
    ]
    for extra, token, msg in cases:
        text = DEMO + extra
        line, col = DEMO.count("\n") + 1, extra.index(token) + 1
        p = run_text(tmp_path, text, 2)
        assert re.search(rf"t\.yaml:{line}:{col}: " + msg, p.stderr), (extra, p.stderr)


def test_long_name(tmp_path):
    first = DEMO.splitlines()[1]
    assert first.startswith("name: ")
    long = "n" * 1023
    run_text(tmp_path, DEMO.replace(first, f"name: {long}", 1), 0)
    p = run_vmmsim("run", tmp_path / "t.yaml", check_codes=(0,))
    assert f"# name: {long}\n" in p.stdout
    p = run_text(tmp_path, DEMO.replace(first, f"name: x{long}", 1), 2)
    assert "t.yaml:2:7: name: expected a text of at most 1023 characters" in p.stderr
    p = run_text(tmp_path, DEMO.replace("name: demo - a", 'name: "demo\\n -', 1).replace(
        "idle chain at work\n", 'idle chain at work"\n', 1), 2)
    assert "t.yaml:2:7: name: expected one line of text (no line breaks or control characters)" in p.stderr


# Client state at a label (scenarios/README.md, "Client state at a label") on the
# showcase: V86 and protected-mode programs, a real IRQ handler, busy loops and the
# single steps while something waits for the virtual IF.
PROBES = """\
  - register: { vm: dos2, reg: CS, value: 0x1000, when: dos2.rx_isr }
  - memory: { vm: dos2, at: 0x1000:0x0184, size: 2, value: 0, when: dos2.poll.data, nth: 1 }
  - register: { vm: dos1, reg: ECX, value: 0xFFFF, when: dos1.compute.inner, nth: 1 }
  - register: { vm: dos1, reg: EDX, value: 1, when: dos1.compute.inner, nth: 65536 }
  - register: { vm: sys, reg: CS, value: 7, when: sys.msg_loop.dispatch }
  - register: { vm: dos2, reg: EAX, value: 0, when: dos2.poll }
"""


def test_client_state_at_a_label_keeps_the_trace(tmp_path):
    base = (SCENARIOS / "showcase_client.yaml").read_text()
    assert base.rstrip().splitlines()[-1].startswith("  - ")   # expect: is the last section
    path = tmp_path / "showcase_probed.yaml"
    path.write_text(base.rstrip("\n") + "\n" + PROBES)
    plain = run_vmmsim("run", SCENARIOS / "showcase_client.yaml").stdout
    proc = run_vmmsim("run", path, check_codes=(1,))
    records = lambda t: [l for l in t.splitlines() if not l.startswith("#")]
    assert records(proc.stdout) == records(plain)
    out = proc.stdout
    assert "expect ok: register dos2 CS at dos2.rx_isr (every pass; reached 6 times) == 0x1000" in out
    assert "expect ok: memory dos2 1000:0184 size 2 at dos2.poll.data (pass 1; reached 6 times) == 0x0" in out
    assert "expect ok: register dos1 ECX at dos1.compute.inner (pass 1; reached 131070 times) == 0xffff" in out
    assert "expect ok: register dos1 EDX at dos1.compute.inner (pass 65536; reached 131070 times) == 0x1" in out
    assert "expect ok: register sys CS at sys.msg_loop.dispatch (every pass; reached 3 times) == 0x7" in out
    assert re.search(r"expect FAILED: register dos2 EAX at dos2.poll \(every pass\): pass 2 at cycle \d+: "
                     r"expected 0x0, found 0x1600", out)
