"""`vcpucheck-trace perfetto`: a trace as Chrome/Perfetto Trace Event Format JSON.

One track per thread (host threads and guest CPUs, named); time is the step (one microsecond a
step, so the timeline reads in steps). Every step is a short slice on its thread's track,
named by what it did, with operation, object, value, function and source location as args;
memory accesses are also instant events. Lock holds are async slices from acquire to release.
Flows join the ends of IPIs (sender -> receiver) and the violation's accesses. Loads in
ui.perfetto.dev and chrome://tracing.
"""

ACCESS_OPS = {"read", "write", "rmw", "cas-fail", "buffer", "flush"}
STEP_US = 1.0
SLICE_US = 0.8


def events(trace):
    out = [{"ph": "M", "pid": 1, "tid": 0, "name": "process_name", "args": {"name": trace.scenario_name}}]
    for tid, name in enumerate(trace.threads):
        out.append({"ph": "M", "pid": 1, "tid": tid, "name": "thread_name", "args": {"name": name}})
        out.append({"ph": "M", "pid": 1, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})
    involved = trace.involved_steps
    for e in trace.events:
        ts = e.step * STEP_US
        args = {"step": e.step, "op": e.op, "object": e.object, "value": e.value, "function": e.function, "loc": e.loc}
        cat = "violation" if e.step in involved else ("guest" if e.guest else "host")
        out.append({"ph": "X", "pid": 1, "tid": e.tid, "ts": ts, "dur": SLICE_US, "name": e.text, "cat": cat,
                    "args": args})
        if e.op in ACCESS_OPS:
            out.append({"ph": "i", "s": "t", "pid": 1, "tid": e.tid, "ts": ts, "name": f"{e.op} {e.object}",
                        "cat": "access", "args": args})
    for n, (tid, lock, a, b, still) in enumerate(trace.lock_holds(), start=1):
        name = f"holds {lock}"
        out.append({"ph": "b", "pid": 1, "tid": tid, "ts": a * STEP_US, "id": n, "cat": "lock", "name": name,
                    "args": {"acquired at": trace.events[a].loc}})
        out.append({"ph": "e", "pid": 1, "tid": tid, "ts": (b + 1) * STEP_US if still else b * STEP_US + SLICE_US,
                    "id": n, "cat": "lock", "name": name,
                    "args": {"released at": "(still held at the end)" if still else trace.events[b].loc}})
    flows = [(l.frm, l.to, "ipi", f"IPI {l.text}") for l in trace.links if l.kind == "ipi"]
    steps = sorted(s for s in involved if 0 <= s < len(trace.events))
    if len(steps) >= 2:
        flows.append((steps[0], steps[-1], "violation", f"{trace.kind}: {trace.verdict.get('object', '')}"))
    for n, (a, b, cat, name) in enumerate(flows, start=1):
        ea, eb = trace.events[a], trace.events[b]
        out.append({"ph": "s", "pid": 1, "tid": ea.tid, "ts": a * STEP_US + SLICE_US / 2, "id": n, "cat": cat,
                    "name": name})
        out.append({"ph": "f", "bp": "e", "pid": 1, "tid": eb.tid, "ts": b * STEP_US + SLICE_US / 2, "id": n,
                    "cat": cat, "name": name})
    return out


def document(trace):
    return {"traceEvents": events(trace), "displayTimeUnit": "ns",
            "otherData": {"scenario": trace.scenario_file, "verdict": trace.headline(),
                          "note": "one microsecond is one step"}}
