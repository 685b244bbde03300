"""`vcpucheck-trace dot`: Graphviz pictures of why a violation happened.

The happens-before graph: the events that matter -- the violation's accesses and every step
on a happens-before path into them that crosses threads (the ends of the trace's links) -- in
one column per thread, joined by program order (grey) and by the links (colored, named by
kind). Between a race's two accesses the edge that is missing is drawn dashed: nothing orders
them. `--lock-order`: the lock-order graph of a lock-order inversion, its cycle in red.
"""

LINK_COLORS = {"lock": "#1f77b4", "reads-from": "#2ca02c", "fence": "#17becf", "wakeup": "#9467bd",
               "rcu": "#8c564b", "spawn": "#7f7f7f", "join": "#7f7f7f", "ipi": "#ff7f0e"}


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def label(e):
    where = e.loc.rsplit("/", 1)[-1]
    return f"{e.step}: {e.text}\n{e.function.split('  ')[-1] if e.guest else e.function}\n{where}"


def predecessors(trace, targets):
    """Every step that happens before one of `targets` (program order and links), targets included."""
    into = {}
    for l in trace.links:
        into.setdefault(l.to, []).append(l.frm)
    prev_of = {}
    last = {}
    for e in trace.events:
        prev_of[e.step] = last.get(e.tid)
        last[e.tid] = e.step
    seen, todo = set(), [t for t in targets if 0 <= t < len(trace.events)]
    while todo:
        s = todo.pop()
        if s in seen or s is None:
            continue
        seen.add(s)
        todo.append(prev_of[s])
        todo.extend(into.get(s, []))
    return seen


def hb_graph(trace):
    involved = sorted(s for s in trace.involved_steps if 0 <= s < len(trace.events))
    if not involved and 0 <= trace.verdict.get("step", -1) < len(trace.events):
        involved = [trace.verdict["step"]]
    # The operation that failed before it completed (a double free) is the step after the last.
    failing = [i for i in trace.involved if i.step == len(trace.events) and i.thread in trace.threads]
    targets = involved
    if not involved and not failing:
        if trace.lock_order:
            raise ValueError(f"{trace.file}: a lock-order inversion is found over the whole search, not at a step of "
                             "this execution: draw it with --lock-order")
        # Checked at the end of the execution (an invariant, a leak, a deadlock): what ordered
        # what up to each thread's last step.
        last = {}
        for e in trace.events:
            last[e.tid] = e.step
        targets = sorted(last.values())
    if failing:  # what its thread did before it
        tids = {trace.threads.index(i.thread) for i in failing}
        targets = targets + [max((e.step for e in trace.events if e.tid == t), default=-1) for t in tids]
    before = predecessors(trace, targets)
    links = [l for l in trace.links if l.to in before and l.frm in before]
    nodes = {t for t in targets if t >= 0} | {l.frm for l in links} | {l.to for l in links}
    by_thread = {trace.threads.index(f.thread): [] for f in failing}
    for s in sorted(nodes):
        by_thread.setdefault(trace.events[s].tid, []).append(s)
    out = ["digraph happens_before {", "  rankdir=TB;", '  node [shape=box, fontname="monospace", fontsize=10];',
           f"  label={quote(trace.headline())}; labelloc=t; fontname=\"sans-serif\";"]
    for tid, steps in sorted(by_thread.items()):
        out.append(f"  subgraph cluster_{tid} {{")
        out.append(f"    label={quote(trace.threads[tid])}; style=rounded; color=\"#bbbbbb\";")
        for s in steps:
            style = ', style="filled,bold", fillcolor="#ffd6d6", color="#d62728"' if s in involved else ""
            out.append(f"    s{s} [label={quote(label(trace.events[s]))}{style}];")
        for f in failing:
            if trace.threads.index(f.thread) == tid:
                text = f"{f.step}: {f.what or 'the operation that failed'}\n{f.loc.rsplit('/', 1)[-1]}"
                out.append(f'    s{f.step} [label={quote(text)}, style="filled,bold", fillcolor="#ffd6d6", '
                           'color="#d62728"];')
                steps = steps + [f.step]
        for a, b in zip(steps, steps[1:]):
            out.append(f'    s{a} -> s{b} [color="#999999", label="po", fontsize=8];')
        out.append("  }")
    for l in links:
        text = l.kind + (f" {l.text}" if l.text else "")
        out.append(f"  s{l.frm} -> s{l.to} [color={quote(LINK_COLORS.get(l.kind, 'black'))}, penwidth=1.6, "
                   f"label={quote(text)}, fontsize=9];")
    if len(involved) >= 2:
        a, b = involved[0], involved[-1]
        ordered = a in predecessors(trace, [b])
        if not ordered:
            out.append(f'  s{a} -> s{b} [style=dashed, color="#d62728", penwidth=2, constraint=false, '
                       f'label="no happens-before", fontcolor="#d62728", fontsize=9];')
    out.append("}")
    return out


def lock_order_graph(trace):
    if not trace.lock_order:
        raise ValueError(f"{trace.file}: has no lock-order graph (its verdict is {trace.kind or trace.outcome}; "
                         "only a lock-order-inversion trace has one)")
    locks = sorted({e.held for e in trace.lock_order} | {e.taken for e in trace.lock_order})
    out = ["digraph lock_order {", '  node [shape=ellipse, fontname="monospace"];',
           f"  label={quote(trace.headline())}; labelloc=t; fontname=\"sans-serif\";"]
    on_cycle = {e.held for e in trace.lock_order if e.cycle}
    for i, name in enumerate(locks):
        style = ', color="#d62728", penwidth=2' if name in on_cycle else ""
        out.append(f"  l{i} [label={quote(name)}{style}];")
    for e in trace.lock_order:
        text = f"{e.thread}: takes {e.taken} at {e.taken_at}\nholding {e.held} since {e.held_at}"
        style = 'color="#d62728", penwidth=2, fontcolor="#d62728"' if e.cycle else 'color="#777777"'
        out.append(f"  l{locks.index(e.held)} -> l{locks.index(e.taken)} [{style}, label={quote(text)}, fontsize=9];")
    out.append("}")
    return out
