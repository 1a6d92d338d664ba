"""docs/tutorial.md is a tested document.

- Every ```yaml block is preceded by `<!-- file: PATH -->` and equals that file byte for
  byte, and every file in docs/tutorial/ is shown.
- Every ```sh block is a session: a `$ ` line is a command, the lines after it (up to
  the next `$ ` line) are output it must print. A trailing `# exit N` on the command
  states its exit status (default 0). Commands run in order, from a temporary folder
  holding a copy of docs/tutorial/, so that files one command writes (found/,
  min.schedule) are there for the next. `vmmsim` is the binary under test (VMMSIM);
  `cat` and `diff` are run as they are; nothing else is allowed.
- Output lines: the lines shown are the real output (stdout, then stderr), line for
  line, except that a line `…` alone stands for any number of lines; inside a line
  `0x…` matches one hex number and `…` any text.
"""
import pathlib
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import ROOT, vmmsim_path

DOC = ROOT / "docs" / "tutorial.md"
TUT = ROOT / "docs" / "tutorial"
ELL = "\u2026"
FILE_MARK = re.compile(r"<!--\s*file:\s*(\S+)\s*-->")
EXIT_MARK = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
MAX_BLOCKS = 64
CMD_TIMEOUT_S = 60


def blocks(text):
    """(lang, body, marker, line) for each fenced block with a language; marker is the
    file named by the last non-blank line before the fence if that is a file mark."""
    out = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```") and line.strip() != "```":
            lang = line.strip()[3:]
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            m = FILE_MARK.fullmatch(lines[j].strip()) if j >= 0 else None
            k = i + 1
            while k < len(lines) and not lines[k].startswith("```"):
                k += 1
            assert k < len(lines), f"docs/tutorial.md:{i + 1}: unclosed block"
            out.append((lang, "".join(lines[i + 1:k]), m.group(1) if m else None, i + 1))
            i = k + 1
        else:
            i += 1
    assert len(out) <= MAX_BLOCKS
    return out


def line_regex(shown):
    """A shown output line as a regex over one real line."""
    parts = []
    for piece in re.split(r"(0x" + ELL + "|" + ELL + ")", shown):
        if piece == "0x" + ELL:
            parts.append(r"0x[0-9a-fA-F]+")
        elif piece == ELL:
            parts.append(r".*")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def sessions(text):
    """(doc line, command, expected exit, [shown output lines]) for every command."""
    cmds = []
    for lang, body, _, lineno in blocks(text):
        if lang != "sh":
            continue
        body_lines = body.splitlines()
        assert body_lines and body_lines[0].startswith("$ "), \
            f"docs/tutorial.md:{lineno}: a sh block starts with a '$ ' command"
        for n, line in enumerate(body_lines):
            if line.startswith("$ "):
                cmd = line[2:]
                m = EXIT_MARK.search(cmd)
                code = int(m.group(1)) if m else 0
                if m:
                    cmd = cmd[:m.start()]
                cmds.append((lineno + 1 + n, cmd, code, []))
            else:
                cmds[-1][3].append(line)
    return cmds


def check_output(where, shown, real):
    """The shown lines are the real lines, where a line `…` alone stands for any number
    of real lines (none included): lines shown next to each other are next to each
    other in the real output, and output not shown is marked."""
    real_lines = real.splitlines()
    pos = 0
    skip = False
    for s in shown:
        if s.strip() == ELL:
            skip = True
            continue
        rx = line_regex(s)
        if skip:
            while pos < len(real_lines) and not rx.fullmatch(real_lines[pos]):
                pos += 1
        ok = pos < len(real_lines) and rx.fullmatch(real_lines[pos])
        assert ok, f"{where}: shown line is not the real output's " + \
            ("next matching" if skip else "next") + f" line:\n  {s}\n" \
            f"real line: {real_lines[pos] if pos < len(real_lines) else '(end)'}\n" \
            f"real output:\n{real[-4000:]}"
        pos += 1
        skip = False
    assert skip or pos == len(real_lines), \
        f"{where}: the real output goes on after the last line shown (mark it with …):\n" \
        f"  {real_lines[pos] if pos < len(real_lines) else ''}"


def test_doc_yaml_blocks_are_the_files():
    text = DOC.read_text()
    shown = set()
    for lang, body, mark, lineno in blocks(text):
        if lang != "yaml":
            continue
        assert mark, f"docs/tutorial.md:{lineno}: yaml block without <!-- file: ... -->"
        path = ROOT / mark
        assert path.is_file(), f"docs/tutorial.md:{lineno}: {mark} does not exist"
        assert body == path.read_text(), f"docs/tutorial.md:{lineno}: block differs from {mark}"
        shown.add(path.resolve())
    files = {p.resolve() for p in TUT.glob("*.yaml")}
    assert files and files == shown, f"files not shown: {sorted(map(str, files - shown))}"


def test_line_regex_elisions():
    # the matcher itself: an elision must not let a wrong line through
    assert line_regex("# hash: 0x" + ELL).fullmatch("# hash: 0x9f8d1d729915ba4d")
    assert not line_regex("# hash: 0x" + ELL).fullmatch("# hash: 0xZZ")
    assert line_regex(ELL + " CRIT op=release " + ELL).fullmatch("000000020181 CRIT op=release vm=sys")
    assert not line_regex("# verdict: PASS").fullmatch("# verdict: FAIL")
    check_output("self-test", ["a", ELL, "c"], "a\nb\nc\n")
    with pytest.raises(AssertionError):
        check_output("self-test", ["a", ELL, "b"], "b\na\n")
    with pytest.raises(AssertionError):
        check_output("self-test", ["a", "c"], "a\nb\nc\n")
    with pytest.raises(AssertionError):
        check_output("self-test", ["a"], "a\nb\n")


def run_cmd(cmd, cwd):
    argv = shlex.split(cmd)
    assert argv[0] in ("vmmsim", "cat", "diff"), f"command not allowed in the tutorial: {cmd}"
    if argv[0] == "vmmsim":
        argv[0] = vmmsim_path()
    return subprocess.run(argv, cwd=str(cwd), capture_output=True, text=True,
                          timeout=CMD_TIMEOUT_S)


def test_doc_commands_run_as_shown(tmp_path):
    cmds = sessions(DOC.read_text())
    assert any(c[1].startswith("vmmsim fuzz") for c in cmds)
    shutil.copytree(TUT, tmp_path / "docs" / "tutorial")
    for lineno, cmd, code, shown in cmds:
        where = f"docs/tutorial.md:{lineno}: $ {cmd}"
        proc = run_cmd(cmd, tmp_path)
        assert proc.returncode == code, \
            f"{where}: exit {proc.returncode}, the doc says {code}\n{proc.stderr}{proc.stdout[-2000:]}"
        check_output(where, shown, proc.stdout + proc.stderr)
