"""show and diff on every golden trace, and on cases whose answer is known."""
import json

import pytest

from conftest import GOLDEN, golden, rel


@pytest.mark.parametrize("trace", GOLDEN, ids=rel)
def test_show_prints_every_step_and_marks_the_involved(tool, trace):
    with open(trace) as f:
        data = json.load(f)
    r = tool("show", trace)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    steps = [l for l in lines[1:] if l[2:7].strip().isdigit()]
    assert [int(l[2:7]) for l in steps] == list(range(len(data["events"])))
    marked = {int(l[2:7]) for l in steps if l.startswith(">>")}
    assert marked == {i["step"] for i in data["verdict"].get("involved", []) if 0 <= i["step"] < len(data["events"])}
    for e, l in zip(data["events"], steps):
        assert e["thread"] in l and e["text"] in l and e["loc"] in l


@pytest.mark.parametrize("trace", GOLDEN, ids=rel)
def test_diff_of_a_trace_with_itself_is_empty(tool, trace):
    r = tool("diff", trace, trace)
    assert r.code == 0, r.out + r.err
    assert "schedule: the same" in r.out and "events: the same" in r.out


def test_show_filters(tool):
    t = golden("x86/plain-increment-race.trace.json")
    r = tool("show", t, "--thread", "ap1", "--steps", "35:45")
    assert r.code == 0
    steps = [l for l in r.out.splitlines() if l[2:7].strip().isdigit()]
    assert [int(l[2:7]) for l in steps] == list(range(35, 46))
    assert all(" ap1 " in l for l in steps)
    assert "(11 of 58 steps shown)" in r.out
    assert steps[41 - 35].startswith(">>")  # the racing write
    r = tool("show", t, "--object", "cpu[1]")
    objs = [l.split()[3] for l in r.out.splitlines() if l[2:7].strip().isdigit()]
    assert objs and all(o.startswith("cpu[1].") for o in objs)
    r = tool("show", t, "--object", "*.mailbox_lock", "--steps", ":4")
    assert [int(l[2:7]) for l in r.out.splitlines() if l[2:7].strip().isdigit()] == [1, 4]


def test_diff_of_two_findings_of_one_scenario(tool):
    a = golden("kvm/bugs/no-kvm-lock-every-symptom.trace.json")
    b = golden("kvm/bugs/no-kvm-lock-every-symptom.2.trace.json")
    r = tool("diff", a, b)
    assert r.code == 1, r.out + r.err
    out = r.out
    assert "schedule: the same for the first 4 steps; at step 4 A runs creator0, B runs creator1" in out
    assert "events: the same for the first 4 steps; at step 4:" in out
    assert "creator0: differs from its operation #5" in out


def test_diff_sees_moved_lines_apart_from_behaviour(tool, tmp_path):
    a = golden("x86/plain-increment-race.trace.json")
    with open(a) as f:
        data = json.load(f)
    for e in data["events"][20:]:
        path, line = e["loc"].rsplit(":", 1)
        e["loc"] = f"{path}:{int(line) + 1}"
    b = tmp_path / "moved.trace.json"
    b.write_text(json.dumps(data))
    r = tool("diff", a, str(b))
    assert r.code == 1
    assert "events: the same 58 events" in r.out
    assert "the same behaviour, other source lines from step 20" in r.out


def test_diff_names_the_threads_only_interleaved_differently(tool, tmp_path):
    # Swap two adjacent independent steps of different threads: each thread does the same, in
    # the same order; only the interleaving differs.
    a = golden("x86/plain-increment-race.trace.json")
    with open(a) as f:
        data = json.load(f)
    ev = data["events"]
    i = next(k for k in range(len(ev) - 1) if ev[k]["thread"] != ev[k + 1]["thread"])
    ev[i], ev[i + 1] = ev[i + 1], ev[i]
    ev[i]["step"], ev[i + 1]["step"] = i, i + 1
    data["schedule"][i], data["schedule"][i + 1] = data["schedule"][i + 1], data["schedule"][i]
    b = tmp_path / "swapped.trace.json"
    b.write_text(json.dumps(data))
    r = tool("diff", a, str(b))
    assert r.code == 1
    assert f"at step {i} A runs {ev[i + 1]['thread']}, B runs {ev[i]['thread']}" in r.out
    assert "interleaved differently: " in r.out
    assert "differs from its operation" not in r.out
