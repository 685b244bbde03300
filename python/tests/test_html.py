"""The HTML timeline, in a real browser: every golden trace renders without a script error, with
one lane per thread, every step, the violation's accesses highlighted; a screenshot is not blank."""
import html.parser
import json

import pytest

import browser
from conftest import GOLDEN, golden, rel


class Dom(html.parser.HTMLParser):
    """The elements of a dumped DOM, as (tag, attributes, text)."""

    def __init__(self, text):
        super().__init__()
        self.elements, self.stack = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = [tag, dict(attrs), ""]
        self.elements.append(e)
        if tag not in ("rect", "path", "line", "br", "meta", "input", "marker"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        if not any(e[0] == tag for e in self.stack):
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data

    def having(self, tag=None, cls=None, **attrs):
        out = []
        for t, a, text in self.elements:
            if tag and t != tag:
                continue
            if cls and cls not in a.get("class", "").split():
                continue
            if any(a.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append((t, a, text))
        return out


def render(tool, tmp_path, trace):
    page = tmp_path / "t.html"
    r = tool("html", trace, "-o", str(page))
    assert r.code == 0, r.err
    return page


def check_page(page, data):
    d = Dom(browser.dom(str(page)))
    body = d.having("body")[0][1]
    errors = d.having("pre", id="script-errors")[0]
    assert errors[2].strip() == "", "script errors: " + errors[2]
    assert body.get("data-rendered") == "ok", "the timeline script did not finish"
    lanes = d.having("div", cls="lane")
    assert [a["data-thread"] for _, a, _ in lanes] == data["threads"]
    assert [text for _, _, text in lanes] == data["threads"]
    steps = d.having("rect", cls="step")
    steps = [a for _, a, _ in steps if "data-step" in a]
    assert sorted(int(a["data-step"]) for a in steps) == list(range(len(data["events"]))), "every step is drawn"
    for a in steps:
        e = data["events"][int(a["data-step"])]
        assert a["data-thread"] == e["thread"]
    involved = {i["step"] for i in data["verdict"].get("involved", []) if 0 <= i["step"] < len(data["events"])}
    marked = {int(a["data-step"]) for a in steps if "involved" in a["class"].split()}
    assert marked == involved
    if len(involved) >= 2:
        arrows = d.having("path", cls="race-arrow")
        assert len(arrows) == 1
        assert {int(arrows[0][1]["data-from"]), int(arrows[0][1]["data-to"])} == {min(involved), max(involved)}
    ipis = [l for l in data["links"] if l["kind"] == "ipi"]
    assert len(d.having("path", cls="ipi")) == len(ipis)
    return d


@pytest.mark.parametrize("trace", GOLDEN, ids=rel)
def test_every_golden_trace_renders_in_chromium(tool, tmp_path, trace):
    with open(trace) as f:
        data = json.load(f)
    check_page(render(tool, tmp_path, trace), data)


def test_the_race_page_and_its_screenshot(tool, tmp_path):
    t = golden("x86/plain-increment-race.trace.json")
    with open(t) as f:
        data = json.load(f)
    page = render(tool, tmp_path, t)
    d = check_page(page, data)
    assert [a["data-step"] for _, a, _ in d.having("rect", cls="involved") if "data-step" in a] == ["41", "57"]
    assert len(d.having("path", cls="ipi")) == 5  # INIT and two STARTUPs to ap1, INIT and one STARTUP to ap2
    assert d.having("rect", cls="hold")
    legend = " ".join(text for _, _, text in d.having("span", cls="legend-item"))
    for word in ("memory access", "guest instruction", "LAPIC access", "lock held", "IPI sender"):
        assert word in legend
    png = browser.screenshot(str(page), str(tmp_path / "shot.png"))
    assert browser.png_colors(png) > 20, "the screenshot is blank"


def test_a_long_trace_folds_runs_and_keeps_every_step(tool, tmp_path):
    # The longest golden trace: runs of one thread's steps that involve nothing drawn are folded,
    # their steps still in the page (hidden), so it stays readable.
    longest = max(GOLDEN, key=lambda g: len(json.load(open(g))["events"]))
    with open(longest) as f:
        data = json.load(f)
    d = check_page(render(tool, tmp_path, longest), data)
    folds = [f for f in d.having("rect", cls="fold") if "data-first" in f[1]]  # not the legend's
    assert folds, "nothing folded in a trace of %d steps" % len(data["events"])
    hidden = [a for _, a, _ in d.having("rect", cls="folded")]
    assert sum(int(a["data-last"]) - int(a["data-first"]) + 1 for _, a, _ in folds) == len(hidden)


def test_a_script_error_is_caught(tool, tmp_path):
    # The check the other cases rely on: an error in the page's script is on the page, and the
    # timeline is not marked rendered.
    page = render(tool, tmp_path, golden("x86/plain-increment-race.trace.json"))
    text = page.read_text().replace('document.body.dataset.rendered = "ok";',
                                    'console.error("planted"); undefinedFunction();')
    page.write_text(text)
    d = Dom(browser.dom(str(page)))
    errors = d.having("pre", id="script-errors")[0][2]
    assert "console.error: planted" in errors and "undefinedFunction" in errors
    assert d.having("body")[0][1].get("data-rendered") is None
