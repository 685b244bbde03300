"""Bad input: exit 2 and one line on stderr naming the file and, for a field, its JSON path."""
import json

import pytest

from conftest import GOLDEN, golden


def one_line(r):
    lines = [l for l in r.err.splitlines() if l.strip()]
    assert len(lines) == 1, r.err
    return lines[0]


@pytest.fixture
def trace_data():
    with open(golden("x86/plain-increment-race.trace.json")) as f:
        return json.load(f)


def write(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def test_there_are_golden_traces():
    assert len(GOLDEN) >= 40


@pytest.mark.parametrize("command", ["show", "diff"])
def test_another_format_version(tool, tmp_path, trace_data, command):
    trace_data["format"] = 99
    f = write(tmp_path, "old.trace.json", trace_data)
    r = tool(command, *([f] if command == "show" else [f, f]))
    assert r.code == 2
    line = one_line(r)
    assert f in line and "/format" in line and "format 99 is not supported" in line


def test_truncated_file(tool, tmp_path):
    with open(golden("x86/plain-increment-race.trace.json")) as f:
        text = f.read()
    t = write(tmp_path, "cut.trace.json", text[: len(text) // 2])
    r = tool("show", t)
    assert r.code == 2
    assert t in one_line(r) and "malformed JSON" in one_line(r)


def test_json_that_is_not_a_trace(tool, tmp_path):
    for content in ('{"model": "litmus", "threads": []}', "[1, 2]", '"text"'):
        t = write(tmp_path, "scenario.json", content)
        r = tool("show", t)
        assert r.code == 2, content
        assert "not a vcpucheck trace" in one_line(r)


def test_a_field_of_the_wrong_type_is_named_by_its_path(tool, tmp_path, trace_data):
    trace_data["events"][3]["value"] = "three"
    t = write(tmp_path, "bad.trace.json", trace_data)
    r = tool("show", t)
    assert r.code == 2
    assert "at /events/3/value: expected integer, found string" in one_line(r)


def test_a_schedule_naming_a_thread_that_is_not_there(tool, tmp_path, trace_data):
    trace_data["schedule"][5] = 7
    r = tool("diff", write(tmp_path, "a.trace.json", trace_data), golden("x86/plain-increment-race.trace.json"))
    assert r.code == 2 and "at /schedule/5: thread 7 is not in /threads" in one_line(r)


def test_a_missing_field_and_an_unknown_one(tool, tmp_path, trace_data):
    del trace_data["verdict"]
    r = tool("show", write(tmp_path, "a.trace.json", trace_data))
    assert r.code == 2 and "at /verdict: missing field 'verdict'" in one_line(r)
    trace_data["verdict"] = {"outcome": "complete", "kind": ""}
    trace_data["extra"] = 1
    r = tool("show", write(tmp_path, "b.trace.json", trace_data))
    assert r.code == 2 and "at /extra: unknown field 'extra'" in one_line(r)


def test_missing_file_and_binary_file(tool, tmp_path):
    r = tool("show", str(tmp_path / "nope.trace.json"))
    assert r.code == 2 and "nope.trace.json: cannot read" in one_line(r)
    b = tmp_path / "bin.trace.json"
    b.write_bytes(b"\xff\xfe\x00")
    r = tool("show", str(b))
    assert r.code == 2 and "not UTF-8" in one_line(r)


def test_usage_mistakes(tool):
    t = golden("x86/plain-increment-race.trace.json")
    for args, needle in ((["frobnicate", t], "invalid choice"), ([], "no command"), (["show"], "TRACE"),
                         (["show", t, "--steps", "9:3"], "--steps"), (["show", t, "--steps", "a:b"], "--steps"),
                         (["show", t, "--thread", "nobody"], "no thread 'nobody'"), (["show", t, "--bogus"], "--bogus")):
        r = tool(*args)
        assert r.code == 2, (args, r.out, r.err)
        assert needle in one_line(r), (args, r.err)
