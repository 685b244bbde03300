"""`vcpucheck-trace html`: one self-contained HTML page of a counterexample.

One lane per thread (host threads and guest CPUs), steps along time. Lock holds are bars under
the steps; guest instructions, LAPIC accesses and IPIs (sender -> receiver arrows) are drawn on
the CPU lanes; the violation's accesses are highlighted with an arrow between them. Hover or
click a step for its operation, object, value, function and source location. Long runs of one
thread's steps that involve nothing drawn are folded (click to unfold); zoom with the buttons
or keys. No network: the script and style are inlined from assets/.
"""
import html
import json
import os

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
LOCK_OPS = ("acquire", "release")


def kind_of(e):
    if ".lapic." in e.object:
        return "lapic"
    if e.guest:
        return "guest"
    if e.op in LOCK_OPS:
        return "lock"
    if e.op in ("read", "write", "rmw", "cas-fail", "buffer", "flush"):
        return "memory"
    return "other"


def page_data(trace):
    involved = sorted(s for s in trace.involved_steps if 0 <= s < len(trace.events))
    return {
        "file": trace.file,
        "scenario": trace.scenario_file,
        "name": trace.scenario_name,
        "model": trace.data["config"]["model"],
        "headline": trace.headline(),
        "threads": trace.threads,
        "events": [[e.tid, e.op, e.object, e.value, e.text, e.loc, e.function, kind_of(e)] for e in trace.events],
        "links": [[l.kind, l.frm, l.to, l.text] for l in trace.links],
        "holds": [list(h) for h in trace.lock_holds()],
        "involved": involved,
        "involvedText": [[i.step, i.thread, i.what, i.loc] for i in trace.involved],
    }


def render(trace):
    with open(os.path.join(ASSETS, "timeline.css")) as f:
        css = f.read()
    with open(os.path.join(ASSETS, "timeline.js")) as f:
        js = f.read()
    data = json.dumps(page_data(trace), separators=(",", ":")).replace("</", "<\\/")
    title = html.escape(f"{trace.scenario_name}: {trace.headline()}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<script>
// Script errors and console errors are shown on the page (and the tests read them from there).
window.vcpucheckErrors = [];
function vcpucheckError(text) {{
  window.vcpucheckErrors.push(text);
  var p = document.getElementById("script-errors");
  if (p) {{ p.textContent = window.vcpucheckErrors.join("\\n"); p.hidden = false; }}
}}
window.addEventListener("error", function (e) {{ vcpucheckError(String(e.message)); }});
window.addEventListener("unhandledrejection", function (e) {{ vcpucheckError("unhandled rejection: " + e.reason); }});
var vcpucheckConsoleError = console.error;
console.error = function () {{
  vcpucheckError("console.error: " + Array.prototype.join.call(arguments, " "));
  vcpucheckConsoleError.apply(console, arguments);
}};
</script>
<style>
{css}
</style>
</head>
<body>
<header>
  <h1>{html.escape(trace.scenario_name)}</h1>
  <p class="where">{html.escape(trace.scenario_file)} &middot; model {html.escape(trace.data['config']['model'])} &middot;
     {len(trace.events)} steps &middot; {len(trace.threads)} threads &middot; trace {html.escape(trace.file)}</p>
  <p class="verdict verdict-{html.escape(trace.outcome)}">{html.escape(trace.headline())}</p>
  <ol id="involved"></ol>
</header>
<nav id="controls">
  <button id="zoom-out" title="zoom out (-)">&minus;</button>
  <button id="zoom-in" title="zoom in (+)">+</button>
  <button id="unfold-all" title="unfold every folded run">unfold all</button>
  <button id="fold-all" title="fold long runs again">fold</button>
  <label><input type="checkbox" id="show-hb"> happens-before links</label>
  <span id="legend"></span>
</nav>
<pre id="script-errors" hidden></pre>
<main id="timeline"><div id="lanes"></div><div id="scroller"><svg id="chart" xmlns="http://www.w3.org/2000/svg"></svg></div></main>
<aside id="detail">Hover or click a step.</aside>
<script id="trace-data" type="application/json">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""
