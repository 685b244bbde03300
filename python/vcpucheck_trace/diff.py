"""`vcpucheck-trace diff A B`: where two executions of one scenario part ways.

Two views: the schedule (which thread ran at each step) and the events (what each step did:
operation, object, value -- its behaviour; a change of only file:line is reported apart, the
trace of a model whose code moved). Then, thread by thread, whether each thread did the same
things in the same order, only interleaved differently with the others, or something else.
"""


# Operations whose value is an identity numbered in the order of the whole execution (a block's
# id), not something the thread computed: compared without it.
IDENTITY_VALUES = {"alloc", "free", "spawn", "join"}


def own(e):
    return (e.op, e.object, None if e.op in IDENTITY_VALUES else e.value)


def behaviour(e):
    return (e.thread,) + own(e)


def first_difference(xs, ys):
    for i, (x, y) in enumerate(zip(xs, ys)):
        if x != y:
            return i
    return None if len(xs) == len(ys) else min(len(xs), len(ys))


def describe(e):
    return f"{e.thread}: {e.text}  ({e.loc})" if e else "(no such step: the execution had ended)"


def diff(a, b):
    """(lines, identical)"""
    lines = [f"A: {a.file}: {a.headline()}", f"B: {b.file}: {b.headline()}"]
    if a.data["scenario"]["file"] != b.data["scenario"]["file"] or a.data["scenario"]["hash"] != b.data["scenario"]["hash"]:
        lines.append(f"note: the traces are of different scenarios ({a.scenario_file} {a.data['scenario']['hash']}, "
                     f"{b.scenario_file} {b.data['scenario']['hash']}): steps are compared all the same")
    if a.threads != b.threads:
        lines.append(f"note: the threads differ: A has {', '.join(a.threads)}; B has {', '.join(b.threads)}")
    identical = True

    k = first_difference(a.schedule, b.schedule)
    if k is None:
        lines.append(f"schedule: the same {len(a.schedule)} steps")
    else:
        identical = False
        name = lambda t, i: t.threads[t.schedule[i]] if i < len(t.schedule) else "nothing (ended)"
        lines.append(f"schedule: the same for the first {k} steps; at step {k} A runs {name(a, k)}, B runs {name(b, k)}")

    k = first_difference([behaviour(e) for e in a.events], [behaviour(e) for e in b.events])
    at = lambda t, i: t.events[i] if i < len(t.events) else None
    if k is None:
        lines.append(f"events: the same {len(a.events)} events")
        moved = first_difference([e.loc for e in a.events], [e.loc for e in b.events])
        if moved is not None:
            identical = False
            lines.append(f"  the same behaviour, other source lines from step {moved}: A at {a.events[moved].loc}, "
                         f"B at {b.events[moved].loc}")
    else:
        identical = False
        lines.append(f"events: the same for the first {k} steps; at step {k}:")
        lines.append(f"  A  {describe(at(a, k))}")
        lines.append(f"  B  {describe(at(b, k))}")

    # Per thread: its own sequence of operations.
    same_order, interleaved, differ = [], [], []
    for name in sorted(set(a.threads) | set(b.threads), key=lambda n: (a.threads + b.threads).index(n)):
        ea = [e for e in a.events if e.thread == name]
        eb = [e for e in b.events if e.thread == name]
        j = first_difference([own(e) for e in ea], [own(e) for e in eb])
        if j is None:
            steps_a = [e.step for e in ea]
            steps_b = [e.step for e in eb]
            (same_order if steps_a == steps_b else interleaved).append(name)
        else:
            x = ea[j] if j < len(ea) else None
            y = eb[j] if j < len(eb) else None
            differ.append((name, j, x, y))
    lines.append("threads:")
    if same_order:
        lines.append(f"  the same operations at the same steps: {', '.join(same_order)}")
    if interleaved:
        lines.append(f"  the same operations in the same order, interleaved differently: {', '.join(interleaved)}")
    for name, j, x, y in differ:
        lines.append(f"  {name}: differs from its operation #{j + 1}:")
        lines.append(f"    A  " + (f"step {x.step}: {x.text}  ({x.loc})" if x else "(it had no more operations)"))
        lines.append(f"    B  " + (f"step {y.step}: {y.text}  ({y.loc})" if y else "(it had no more operations)"))
    if a.headline() != b.headline():
        identical = False
    return lines, identical
