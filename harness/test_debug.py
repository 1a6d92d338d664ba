"""`vmmsim debug` driven by Debian's gdb (gdb -batch -nx) over loopback, on a fuzz
finding of the tutorial's buggy scenario (docs/tutorial/buggy.yaml): breakpoints on
labels, registers and a Client_Reg_Struc field, a watchpoint, continue to the end,
reverse-continue back to the write that set the bad value (cycle and EIP checked
against the trace), reverse-stepi over a service call, Ctrl-C during a continue, a
malformed packet, and a client that disconnects inside a packet (docs/debug.md).
Skipped only when gdb is not installed (tools/setup installs it)."""
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import ROOT, run_vmmsim, vmmsim_path

GDB = shutil.which("gdb")
pytestmark = pytest.mark.skipif(GDB is None, reason="gdb is not installed (tools/setup installs it)")

BUGGY = "docs/tutorial/buggy.yaml"

# A VxD that spins until the cycle limit: a continue that only Ctrl-C ends.
SPIN = """\
vms: [ { name: sys, system: true } ]
vxds:
  - name: SPIN
    asm: |
      %include "vmm.inc"
      Control_Proc:
              clc
              ret
      spin:
      .l:     inc     dword [count]
              jmp     .l
      count:  dd 0
timeline:
  - { at: 1000, vm: sys, do: call(SPIN.spin) }
"""


@pytest.fixture(scope="module")
def finding(tmp_path_factory):
    """A failing schedule of `vmmsim fuzz` and the trace of its replay."""
    out = tmp_path_factory.mktemp("found")
    run_vmmsim("fuzz", BUGGY, "--runs", "20", "--out", out / "f", check_codes=(1,))
    sched = out / "f" / "run-00000000.schedule"
    assert sched.exists(), "run 0 of the buggy tutorial's campaign fails (docs/tutorial.md)"
    trace = run_vmmsim("replay", BUGGY, "--schedule", sched, check_codes=(0, 1)).stdout
    return sched, trace


class Server:
    """`vmmsim debug ...` listening on a free loopback port."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([vmmsim_path(), "debug", *map(str, args)], cwd=str(ROOT),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"listening on ([\d.]+):(\d+)", line)
        if not m:
            self.proc.kill()
            pytest.fail(f"vmmsim debug did not listen: {line!r} {self.proc.stderr.read()}")
        self.host, self.port = m.group(1), int(m.group(2))

    def wait(self, timeout=30):
        rc = self.proc.wait(timeout=timeout)
        return rc, self.proc.stderr.read()


def gdb_args(srv, syms, cmds):
    args = [GDB, "-batch", "-nx", "-ex", "set architecture i386", "-ex", "set pagination off"]
    if syms:
        args += ["-ex", f"symbol-file {syms}"]
    args += ["-ex", f"target remote {srv.host}:{srv.port}"]
    for c in cmds:
        args += ["-ex", c]
    return args


def run_gdb(srv, syms, cmds, timeout=60):
    p = subprocess.run(gdb_args(srv, syms, cmds), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.stdout


def records(trace, kind):
    """(cycle, line) of each trace record of a type."""
    out = []
    for line in trace.splitlines():
        parts = line.split()
        if len(parts) > 1 and parts[1] == kind:
            out.append((int(parts[0]), line))
    return out


def where(text):
    """The step and cycle of each `monitor where` line, in order."""
    return [(int(a), int(b)) for a, b in re.findall(r"^step (\d+)(?: \(run ended\))? cycle (\d+)", text, re.M)]


def test_gdb_debugs_the_fuzz_finding_backwards(finding, tmp_path):
    sched, trace = finding
    syms = tmp_path / "buggy.elf"
    srv = Server(BUGGY, "--schedule", sched, "--symbols", syms)
    out = run_gdb(srv, syms, [
        # reverse-stepi over a service call: after Begin_Critical_Section, back to its INT 20h
        "break *'LOG.append'+11", "continue", "monitor where",
        "reverse-stepi", "x/2xb $pc", "monitor where", "stepi", "p/x $pc", "delete",
        # a breakpoint by label; registers; the VM's Client_Reg_Struc (EBP) as its control
        # block names it (CB_Client_Pointer, +8 from the handle in EBX); Client_EFlags
        "break LOG.idle_flush", "continue", "p/x $ebx", "p/x $ebp",
        "x/wx $ebx+8", "x/wx $ebp+0x2c", "info threads",
        # the watchpoint, the end of the run, and back to the write
        "watch *(int *)&'LOG.broken'", "continue", "continue", "monitor where",
        "reverse-continue", "x/i $pc", "printf \"broken=%#x\\n\", &'LOG.broken'", "monitor where",
        "maint packet mzz", "monitor records 2", "kill"])
    rc, err = srv.wait()
    assert rc == 0, err
    # reverse-stepi over the service call
    assert re.search(r"hit Breakpoint 1, 0x[0-9a-f]+ in LOG\.append \(\)", out), out
    assert re.search(r":\s+0xcd\s+0x20\s*$", out, re.M), out          # INT 20h: VMMcall
    w = where(out)
    assert w[1][0] == w[0][0] - 1 and w[1][1] < w[0][1], w
    # the breakpoint by name, registers, Client_Reg_Struc
    assert "hit Breakpoint 2, 0x" in out and "in LOG.idle_flush ()" in out, out
    assert re.search(r"\$\d+ = 0x10000\n\$\d+ = 0x10080\n", out), out     # EBX sys VM, EBP client
    assert re.search(r"0x10008:\s+0x00010080", out), out
    assert re.search(r"0x100ac:\s+0x00000202", out), out
    assert 'Thread 2 "dos1"' in out and 'Thread 3 "VMM"' in out, out
    # the watchpoint forward, the end, then back to the write
    assert re.search(r"Old value = 0\nNew value = 1", out), out
    assert "No more reverse-execution history." in out, out
    assert re.search(r"Old value = 1\nNew value = 0", out), out
    broken = re.search(r"^broken=0x([0-9a-f]+)$", out, re.M)
    assert broken, out
    assert re.search(rf"movl\s+\$0x1,0x{broken.group(1)}", out), out   # pc on the write
    # cycle against the trace: inside idle_flush's CB_ENTER .. CB_RETURN
    enter = [c for c, l in records(trace, "CB_ENTER") if "cb=LOG.idle_flush" in l]
    ret = [c for c, l in records(trace, "CB_RETURN") if "cb=LOG.idle_flush" in l]
    step, cycle = w[-1]
    assert enter and ret and enter[0] <= cycle <= ret[0], (enter, ret, cycle)
    assert 'received: "E01"' in out, out
    assert "-> now: step" in out, out


def test_ctrl_c_interrupts_a_continue(tmp_path):
    scen = tmp_path / "spin.yaml"
    scen.write_text(SPIN)
    srv = Server(scen, "--max-cycles", "100000000000")
    p = subprocess.Popen(gdb_args(srv, None, ["continue", "monitor where", "kill"]),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []   # gdb is there (a sanitizer build may say other things first) ...
    while len(lines) < 20 and not any("client connected" in l for l in lines):
        lines.append(srv.proc.stderr.readline())
    assert "client connected" in lines[-1], lines
    time.sleep(1.5)   # ... and has sent its continue
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    rc, err = srv.wait()
    assert "received signal SIGINT" in out, out
    w = where(out)
    assert w and w[0][0] > 1000, out      # it ran, then stopped where it was
    assert rc == 0, err


def test_malformed_packets_get_errors_and_a_cut_packet_ends_cleanly():
    srv = Server(BUGGY)
    s = socket.create_connection((srv.host, srv.port), timeout=10)
    s.sendall(b"$g#00")                     # bad checksum: '-'
    assert s.recv(16) == b"-"
    s.sendall(b"$m zz#" + b"%02x" % (sum(b"m zz") % 256))
    time.sleep(0.3)
    got = s.recv(4096)
    assert got.startswith(b"+$E01#"), got
    long = b"a" * 20000                       # longer than PacketSize: cut, refused
    s.sendall(b"$" + long + b"#" + b"%02x" % (sum(long) % 256))
    time.sleep(0.3)
    got = s.recv(4096)
    assert got.startswith(b"+$E02#"), got
    s.sendall(b"$m100")                     # and gone in the middle of a packet
    s.close()
    rc, err = srv.wait()
    assert rc == 0, err
    assert "disconnected inside a packet" in err, err
