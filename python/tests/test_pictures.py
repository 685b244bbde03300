"""perfetto and dot on every golden trace: the Trace Event Format checked structurally, the DOT
rendered by Graphviz."""
import json
import shutil
import subprocess

import pytest

from conftest import GOLDEN, golden, rel

PHASES = {"X", "i", "b", "e", "s", "f", "M"}


def check_trace_event_format(doc, data):
    assert isinstance(doc, dict) and isinstance(doc["traceEvents"], list)
    open_async, flows_s, flows_f, named = {}, {}, {}, set()
    last_ts = {}
    for ev in doc["traceEvents"]:
        assert ev["ph"] in PHASES, ev
        for key in ("pid", "tid", "name"):
            assert key in ev, (key, ev)
        if ev["ph"] == "M":
            if ev["name"] == "thread_name":
                named.add((ev["tid"], ev["args"]["name"]))
            continue
        assert isinstance(ev["ts"], (int, float)) and ev["ts"] >= 0, ev
        if ev["ph"] == "X":
            assert ev["dur"] > 0
            assert ev["ts"] >= last_ts.get(ev["tid"], 0), "slices of a thread go forward in time"
            last_ts[ev["tid"]] = ev["ts"]
        if ev["ph"] == "i":
            assert ev["s"] in ("t", "p", "g")
        if ev["ph"] == "b":
            key = (ev["cat"], ev["id"])
            assert key not in open_async, ev
            open_async[key] = ev
        if ev["ph"] == "e":
            key = (ev["cat"], ev["id"])
            assert key in open_async, ("an end without its begin", ev)
            b = open_async.pop(key)
            assert b["name"] == ev["name"] and b["tid"] == ev["tid"] and ev["ts"] >= b["ts"]
        if ev["ph"] == "s":
            flows_s[ev["id"]] = ev
        if ev["ph"] == "f":
            assert ev["bp"] == "e"
            flows_f[ev["id"]] = ev
    assert not open_async, "every begin has its end"
    assert flows_s.keys() == flows_f.keys(), "every flow starts and finishes"
    for k, s in flows_s.items():
        assert flows_f[k]["ts"] >= s["ts"]
    assert named == set(enumerate(data["threads"])), "one named track per thread"
    steps = sorted(ev["args"]["step"] for ev in doc["traceEvents"] if ev["ph"] == "X")
    assert steps == list(range(len(data["events"]))), "every step is a slice"


@pytest.mark.parametrize("trace", GOLDEN, ids=rel)
def test_perfetto_on_every_golden_trace(tool, tmp_path, trace):
    out = tmp_path / "t.json"
    r = tool("perfetto", trace, "-o", str(out))
    assert r.code == 0, r.err
    with open(trace) as f:
        data = json.load(f)
    doc = json.loads(out.read_text())
    check_trace_event_format(doc, data)
    ipis = [l for l in data["links"] if l["kind"] == "ipi"]
    assert sum(1 for ev in doc["traceEvents"] if ev["ph"] == "s" and ev["cat"] == "ipi") == len(ipis)


def test_perfetto_flows_join_the_racing_pair_and_the_ipis(tool, tmp_path):
    t = golden("x86/plain-increment-race.trace.json")
    out = tmp_path / "t.json"
    assert tool("perfetto", t, "-o", str(out)).code == 0
    doc = json.loads(out.read_text())
    s = [e for e in doc["traceEvents"] if e["ph"] == "s"]
    race = [e for e in s if e["cat"] == "violation"]
    assert len(race) == 1 and race[0]["tid"] == 1 and int(race[0]["ts"]) == 41  # ap1's write
    assert {e["name"] for e in s if e["cat"] == "ipi"} == {"IPI INIT", "IPI STARTUP vector 0x08"}
    locks = [e for e in doc["traceEvents"] if e["ph"] == "b"]
    assert any(e["name"] == "holds cpu[1].mailbox_lock" for e in locks)


def dot_or_fail():
    dot = shutil.which("dot")
    assert dot, "Graphviz's dot is not installed (scripts/bootstrap.sh installs graphviz)"
    return dot


@pytest.mark.parametrize("trace", GOLDEN, ids=rel)
def test_dot_renders_for_every_golden_trace(tool, tmp_path, trace):
    with open(trace) as f:
        data = json.load(f)
    steps = [i["step"] for i in data["verdict"].get("involved", []) if i["step"] >= 0]
    r = tool("dot", trace, "-o", str(tmp_path / "g.dot"))
    if data["verdict"].get("lock_order"):
        assert r.code == 2 and "--lock-order" in r.err
        return
    assert r.code == 0, r.err
    p = subprocess.run([dot_or_fail(), "-Tsvg", str(tmp_path / "g.dot")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "<svg" in p.stdout, p.stderr
    text = (tmp_path / "g.dot").read_text()
    for s in steps:
        assert f"s{s} [" in text and "fillcolor" in text
    if not steps:  # an end-of-execution verdict: each thread's last step
        last = {e["tid"]: e["step"] for e in data["events"]}
        assert all(f"s{s} [" in text for s in last.values())


def test_dot_draws_the_missing_edge_of_a_race(tool):
    r = tool("dot", golden("x86/plain-increment-race.trace.json"))
    assert r.code == 0
    assert 's41 -> s57 [style=dashed' in r.out
    assert 's22 -> s32 [color="#1f77b4"' in r.out  # the mailbox lock, released by bsp, taken by ap1
    assert 'label="ipi INIT"' in r.out


def test_dot_lock_order(tool, tmp_path):
    t = golden("litmus/gated-lock-order.trace.json")
    r = tool("dot", "--lock-order", t)
    assert r.code == 0, r.err
    red = [l for l in r.out.splitlines() if "->" in l and "#d62728" in l]
    assert len(red) == 2  # A -> B and B -> A
    p = subprocess.run([dot_or_fail(), "-Tsvg"], input=r.out, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "<svg" in p.stdout
    r = tool("dot", "--lock-order", golden("x86/plain-increment-race.trace.json"))
    assert r.code == 2 and "has no lock-order graph" in r.err
