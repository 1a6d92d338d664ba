"""The trace parser of the reference model: a vmmsim trace's text (docs/trace-format.md,
"Line shape") as a list of Record objects, one per record line.

It checks no rule itself; every other module of the model reads its Records. A line
that is not a record (nor a comment) is a ValueError, never a crash further on.
"""
import re

LINE = re.compile(r'^(\d+) (\S+)(.*)$')
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


class Record:
    """One record line: cycle, TYPE and its key=value pairs."""
    __slots__ = ("index", "cycle", "type", "kv", "line")

    def __init__(self, index, cycle, rtype, kv, line):
        self.index, self.cycle, self.type, self.kv, self.line = index, cycle, rtype, kv, line

    def get(self, key, default=None):
        return self.kv.get(key, default)

    def num(self, key, default=None):
        v = self.kv.get(key)
        if v is None:
            return default
        try:
            return int(v, 0)
        except ValueError:
            return default


def parse(text):
    """Record lines of a trace (comment lines skipped) as Record objects."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError(f"not a trace record: {line!r}")
        kv = {}
        for k, v in KV.findall(m.group(3)):
            kv[k] = v[1:-1] if v.startswith('"') else v
        out.append(Record(len(out), int(m.group(1)), m.group(2), kv, line))
    return out
