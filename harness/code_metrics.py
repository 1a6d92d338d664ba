#!/usr/bin/env python3
"""Code metrics of the vmmsim tree, per module folder.

For each module folder (engine, cpu386, vmm, scen, explore, debug, bench, cli): lines of C
(physical lines of its .c and .h files), number of function definitions, number of
assertion-like calls (assert, static_assert, ALWAYS, NEVER, ENG_/VMM_ check macros),
and assertions per function. Then the number of file-level #include circles in the
whole tree: strongly connected components of more than one node of the graph whose
nodes are files with x.c and x.h paired as one node "dir/x", and whose edges are the
#include "..." lines (docs/architecture.md, "Dependencies").

Standard library only.  Usage: harness/code_metrics.py [--root DIR] [--json]
"""
import argparse
import json
import os
import re
import sys

MODULES = ["engine", "cpu386", "vmm", "scen", "explore", "debug", "bench", "cli"]
SKIP_DIRS = {".git", "build", "build-asan", "build-fuzz", "build-mpi"}
ASSERT_RE = re.compile(
    r"\b(assert|static_assert|_Static_assert|ALWAYS|NEVER|"
    r"(?:ENG|VMM|SCEN|XPL|BENCH)_[A-Z_]*(?:ASSERT|CHECK)[A-Z_]*)\s*\(")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_c(text):
    """Text with comments, string and character literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, min(j, n) - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_preproc(code):
    """Drops preprocessor lines (with continuations), keeping line count."""
    lines, res, cont = code.split("\n"), [], False
    for ln in lines:
        if cont or ln.lstrip().startswith("#"):
            cont = ln.rstrip().endswith("\\")
            res.append("")
        else:
            res.append(ln)
    return "\n".join(res)


def count_functions(code):
    """Function definitions: a '{' at brace depth 0 whose previous token is ')'."""
    code = strip_preproc(code)
    depth, count, prev = 0, 0, ""
    for ch in code:
        if ch == "{":
            if depth == 0 and prev == ")":
                count += 1
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if not ch.isspace():
            prev = ch
    return count


def param_list_name(head):
    """The identifier before the parameter list that ends head (its last ')')."""
    j, level = len(head.rstrip()) - 1, 0
    while j >= 0:
        if head[j] == ")":
            level += 1
        elif head[j] == "(":
            level -= 1
            if level == 0:
                break
        j -= 1
    m = re.search(r"([A-Za-z_]\w*)\s*$", head[:max(j, 0)])
    return m.group(1) if m else None


def function_defs(code):
    """(name, is_static) of each function defined in code (preprocessor stripped)."""
    out, depth, prev, stmt_start = [], 0, "", 0
    for i, ch in enumerate(code):
        if ch == "{":
            if depth == 0 and prev == ")":
                head = code[stmt_start:i]
                name = param_list_name(head)
                if name:
                    out.append((name, re.search(r"\bstatic\b", head) is not None))
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                stmt_start = i + 1
        elif ch == ";" and depth == 0:
            stmt_start = i + 1
        if not ch.isspace():
            prev = ch
    return out


def source_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            if f.endswith((".c", ".h")):
                yield os.path.join(dirpath, f)


def module_of(root, path):
    top = os.path.relpath(path, root).split(os.sep)[0]
    return top if top in MODULES else None


def module_metrics(root):
    m = {k: {"files": 0, "lines": 0, "functions": 0, "asserts": 0} for k in MODULES}
    for path in source_files(root):
        mod = module_of(root, path)
        if mod is None:
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        code = strip_c(text)
        e = m[mod]
        e["files"] += 1
        e["lines"] += text.count("\n")
        e["functions"] += count_functions(code)
        e["asserts"] += len(ASSERT_RE.findall(strip_preproc(code)))
    for e in m.values():
        e["asserts_per_function"] = (round(e["asserts"] / e["functions"], 2)
                                     if e["functions"] else 0.0)
    return m


def include_graph(root):
    """Edges between paired nodes ("dir/x" for dir/x.c and dir/x.h)."""
    files = [os.path.relpath(p, root) for p in source_files(root)]
    known = set(files)
    dirs = sorted({os.path.dirname(f) for f in files})
    graph = {}
    for f in files:
        node = os.path.splitext(f)[0]
        graph.setdefault(node, set())
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            incs = INCLUDE_RE.findall(fh.read())
        for inc in incs:
            cand = [os.path.normpath(os.path.join(os.path.dirname(f), inc)),
                    os.path.normpath(inc)]
            cand += [os.path.normpath(os.path.join(d, inc)) for d in dirs]
            hit = next((c for c in cand if c in known), None)
            if hit is None:
                continue
            target = os.path.splitext(hit)[0]
            if target != node:
                graph[node].add(target)
                graph.setdefault(target, set())
    return graph


def use_graph(root):
    """Edges between paired nodes where one file names a function another file
    defines (exported, not static): the circles the include graph hides when one
    header declares the functions of several .c files."""
    files = [os.path.relpath(p, root) for p in source_files(root)]
    codes, owner = {}, {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            codes[f] = strip_preproc(strip_c(fh.read()))
        if f.endswith(".c"):
            for name, static in function_defs(codes[f]):
                if not static:
                    owner.setdefault(name, []).append(os.path.splitext(f)[0])
    graph = {}
    for f in files:
        node = os.path.splitext(f)[0]
        graph.setdefault(node, set())
        if not f.endswith(".c"):
            continue
        top = node.split("/")[0]
        local = {n for n, static in function_defs(codes[f]) if static}
        # Names not reached through a struct (. or ->): calls and function pointers.
        for ident in set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)", codes[f])):
            defs = [] if ident in local else owner.get(ident, [])
            # A name defined in several modules (a clash) binds to the caller's own.
            mine = [d for d in defs if d.split("/")[0] == top]
            t = (mine or defs or [None])[0]
            if t and t != node:
                graph[node].add(t)
                graph.setdefault(t, set())
    return graph


def circles(graph):
    """Strongly connected components with more than one node (iterative Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]; counter[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                    help="tree to measure (default: this checkout)")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    mods = module_metrics(root)
    circ = circles(include_graph(root))
    ucirc = circles(use_graph(root))
    if a.json:
        json.dump({"modules": mods, "include_circles": circ, "use_circles": ucirc},
                  sys.stdout, indent=1)
        print()
        return 0
    print(f"{'module':8} {'files':>5} {'lines':>6} {'funcs':>5} {'asserts':>7} {'a/func':>6}")
    for k in MODULES:
        e = mods[k]
        print(f"{k:8} {e['files']:5} {e['lines']:6} {e['functions']:5} "
              f"{e['asserts']:7} {e['asserts_per_function']:6.2f}")
    total = sum(e["lines"] for e in mods.values())
    print(f"{'total':8} {'':5} {total:6}")
    print(f"include circles: {len(circ)}")
    for c in circ:
        print("  " + " <-> ".join(c))
    print(f"use circles (a file calls a function another file defines): {len(ucirc)}")
    for c in ucirc:
        print("  " + " <-> ".join(c))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
