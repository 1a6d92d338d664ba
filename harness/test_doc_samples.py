"""Sample outputs in the docs are the real output (as harness/test_tutorial.py checks
the tutorial): every ```sh block of docs/cli.md and docs/vmm.md that starts with `$ `
is a session of commands run from a folder that sees the repository's scenarios/ and
docs/, each followed by its output (with the
tutorial's `…` elisions); the README's fuzz → replay → shrink lines name files a
campaign really writes; the exit codes docs/cli.md lists are each command's own."""
import json
import re

import pytest

from conftest import ROOT, run_vmmsim
from test_tutorial import blocks, check_output, run_cmd, sessions

DOCS = ["docs/cli.md", "docs/vmm.md"]


@pytest.mark.parametrize("doc", DOCS)
def test_doc_sessions_print_what_they_show(doc, tmp_path):
    samples = "".join(f"```sh\n{body}```\n" for lang, body, _, _ in blocks((ROOT / doc).read_text())
                      if lang == "sh" and body.startswith("$ "))
    cmds = sessions(samples)      # (other sh blocks are commands to read, not samples)
    assert cmds, f"{doc}: no sample session"
    for d in ("scenarios", "docs"):      # the paths the docs use; files they write stay here
        (tmp_path / d).symlink_to(ROOT / d)
    for lineno, cmd, code, shown in cmds:
        where = f"{doc}: $ {cmd}"
        proc = run_cmd(cmd, tmp_path)
        assert proc.returncode == code, f"{where}: exit {proc.returncode}, the doc says {code}"
        check_output(where, shown, proc.stdout + proc.stderr)


def test_readme_fuzz_replay_shrink_name_real_files(tmp_path):
    lines = [l for l in (ROOT / "README.md").read_text().splitlines() if "--out findings/" in l
             or "--schedule findings/" in l]
    fuzz = next(l for l in lines if " fuzz " in l).split()
    assert fuzz[0] == "build/cli/vmmsim"
    scen = ROOT / fuzz[2]
    run_vmmsim("fuzz", scen, *fuzz[3:], "--quiet", cwd=tmp_path, check_codes=(1,))
    named = {re.search(r"--schedule (\S+)", l).group(1) for l in lines if "--schedule" in l}
    assert named
    for n in named:
        assert (tmp_path / n).is_file(), f"README names {n}; the campaign wrote " \
            f"{sorted(p.name for p in (tmp_path / 'findings').iterdir())[:4]}"
        run_vmmsim("replay", scen, "--schedule", n, "--quiet", cwd=tmp_path, check_codes=(0, 1))


def help_codes(cmd):
    text = run_vmmsim(*cmd, "--help", check_codes=(0,)).stdout
    tail = text[text.index("exit status:"):] if "exit status:" in text else ""
    return {int(c) for c in re.findall(r"\b([0-4]) ", tail)}


@pytest.mark.parametrize("cmd", [["run"], ["replay"], ["fuzz"], ["fuzz-merge"], ["shrink"]])
def test_exit_codes_in_docs_match_the_help(cmd):
    row = next(l for l in (ROOT / "docs" / "cli.md").read_text().splitlines()
               if l.startswith(f"| `{' '.join(cmd)}` |"))
    documented = {int(c) for c in re.findall(r"\b([0-4])\b", row.split("|")[2])}
    assert help_codes(cmd) <= documented, row
    assert documented <= help_codes(cmd) | {3} and (3 in documented) == (3 in help_codes(cmd)), row


def test_perfetto_metadata_events_name_a_thread(tmp_path):
    out = tmp_path / "t.json"
    run_vmmsim("run", "--quiet", "--perfetto", out, check_codes=(0,))
    meta = [e for e in json.loads(out.read_text())["traceEvents"] if e["ph"] == "M"]
    assert any(e["name"] == "process_name" for e in meta)
    assert all("tid" in e and "pid" in e for e in meta), meta[0]
