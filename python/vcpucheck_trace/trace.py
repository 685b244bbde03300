"""Reading a vcpucheck trace: the format is traces/trace.schema.json, checked on load.

A trace is one execution: the threads, the schedule, every visible event in order, and the
verdict with the accesses it involves. Errors are TraceError with one line naming the file and
the JSON path of the field, as the C++ side words them.
"""
import json
import os
import re
from dataclasses import dataclass, field

from . import schema as _schema

HERE = os.path.dirname(os.path.abspath(__file__))
# A clean clone: python/vcpucheck_trace/ beside traces/. Installed: share/vcpucheck/ beside it.
SCHEMA_PLACES = (
    os.path.join(HERE, "..", "..", "traces", "trace.schema.json"),
    os.path.join(HERE, "..", "trace.schema.json"),
)


class TraceError(Exception):
    """Bad input: printed as one line, exit code 2."""


def schema_path():
    env = os.environ.get("VCPUCHECK_TRACE_SCHEMA")
    for p in ((env,) if env else SCHEMA_PLACES):
        if os.path.isfile(p):
            return os.path.normpath(p)
    raise TraceError("cannot find trace.schema.json (looked in " + ", ".join(map(os.path.normpath, SCHEMA_PLACES)) +
                     "; VCPUCHECK_TRACE_SCHEMA names another)")


_SCHEMA = None


def trace_schema():
    global _SCHEMA
    if _SCHEMA is None:
        with open(schema_path()) as f:
            _SCHEMA = json.load(f)
    return _SCHEMA


def format_version():
    """The trace format this tool reads: the schema's own."""
    return trace_schema()["properties"]["format"]["const"]


@dataclass
class Event:
    step: int
    tid: int
    thread: str
    op: str
    object: str
    value: int
    text: str
    loc: str
    function: str

    @property
    def guest(self):
        """A guest instruction: its location is an assembly source, its function the bytes and text."""
        return self.loc.split(":")[0].endswith(".S")

    @property
    def instruction(self):
        """For a guest instruction, its disassembly ("movl $1, BSP_DONE"); else ""."""
        if not self.guest:
            return ""
        m = re.match(r"0x[0-9a-f]+ (?:[0-9a-f]{2} )+ *(.*)", self.function)
        return m.group(1).strip() if m else self.function


@dataclass
class Involved:
    thread: str
    what: str
    loc: str
    step: int


@dataclass
class Link:
    """An edge between two threads' steps: a happens-before edge (lock, reads-from, fence, wakeup,
    rcu, spawn, join) or an IPI (ipi; text is its delivery mode)."""
    kind: str
    frm: int
    to: int
    text: str = ""


@dataclass
class LockEdge:
    held: str
    taken: str
    thread: str
    held_at: str
    taken_at: str
    cycle: bool


@dataclass
class Trace:
    file: str
    data: dict
    threads: list
    schedule: list
    events: list
    verdict: dict
    involved: list = field(default_factory=list)
    links: list = field(default_factory=list)
    lock_order: list = field(default_factory=list)

    @property
    def scenario_file(self):
        return self.data["scenario"]["file"]

    @property
    def scenario_name(self):
        return self.data["scenario"]["content"].get("name", os.path.basename(self.scenario_file))

    @property
    def outcome(self):
        return self.verdict["outcome"]

    @property
    def kind(self):
        return self.verdict.get("kind", "")

    @property
    def involved_steps(self):
        return {i.step for i in self.involved}

    def lock_holds(self):
        """[(tid, lock, first step, last step, still held at the end)]: each acquire to its release."""
        open_, holds = {}, []
        for e in self.events:
            key = (e.tid, e.object)
            if e.op == "acquire":
                open_.setdefault(key, []).append(e.step)
            elif e.op == "release" and open_.get(key):
                holds.append((e.tid, e.object, open_[key].pop(), e.step, False))
        end = max(len(self.events) - 1, 0)
        for (tid, lock), starts in sorted(open_.items()):
            holds += [(tid, lock, s, end, True) for s in starts]
        return sorted(holds, key=lambda h: (h[2], h[0], h[1]))

    def headline(self):
        """"data-race: on guest.started_count: ...", or the outcome when nothing was violated."""
        if self.outcome == "violation":
            return f"{self.kind}: {self.verdict.get('message', '')}"
        return self.outcome


def load(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise TraceError(f"{path}: cannot read: {e.strerror}")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise TraceError(f"{path}: not UTF-8 text (byte {e.start})")
    except json.JSONDecodeError as e:
        raise TraceError(f"{path}: malformed JSON: {e.msg} at line {e.lineno}, column {e.colno}")
    if not isinstance(data, dict) or "format" not in data:
        raise TraceError(f"{path}: not a vcpucheck trace (no /format field)")
    want = format_version()
    if data["format"] != want:
        raise TraceError(f"{path}: at /format: trace format {data['format']!r} is not supported (this tool reads format "
                         f"{want}); re-record the trace with `vcpucheck explore`")
    try:
        _schema.validate(data, trace_schema())
    except _schema.SchemaError as e:
        raise TraceError(f"{path}: {e}")
    events = [Event(**e) for e in data["events"]]
    for i, e in enumerate(events):
        if e.step != i:
            raise TraceError(f"{path}: at /events/{i}/step: expected step {i}, found {e.step}")
        if e.tid >= len(data["threads"]):
            raise TraceError(f"{path}: at /events/{i}/tid: thread {e.tid} is not in /threads")
    for i, t in enumerate(data["schedule"]):
        if t >= len(data["threads"]):
            raise TraceError(f"{path}: at /schedule/{i}: thread {t} is not in /threads")
    links = []
    for i, l in enumerate(data["links"]):
        for end in ("from", "to"):
            if l[end] >= len(events):
                raise TraceError(f"{path}: at /links/{i}/{end}: step {l[end]} is not in /events")
        links.append(Link(l["kind"], l["from"], l["to"], l.get("text", "")))
    verdict = data["verdict"]
    involved = [Involved(**i) for i in verdict.get("involved", [])]
    lock_order = [LockEdge(**e) for e in verdict.get("lock_order", [])]
    return Trace(path, data, data["threads"], data["schedule"], events, verdict, involved, links, lock_order)
