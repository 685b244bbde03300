"""`vcpucheck-trace show`: the event log of a trace, filtered, with the violation's accesses marked."""
import fnmatch


def parse_steps(text, last):
    """"10:40" (both included), "10:", ":40" or "17" -> (first, last); ValueError naming the problem."""
    if ":" in text:
        a, b = text.split(":", 1)
    else:
        a = b = text
    try:
        first = int(a) if a.strip() else 0
        end = int(b) if b.strip() else last
    except ValueError:
        raise ValueError(f"--steps expects FIRST:LAST (steps, both included; either may be left out), got '{text}'")
    if first < 0 or end < 0:
        raise ValueError(f"--steps: steps are from 0, got '{text}'")
    if first > end:
        raise ValueError(f"--steps: {first} comes after {end}")
    return first, end


def object_matches(name, pattern):
    """A pattern names an object and everything inside it: "vcpu[1]" matches "vcpu[1].state";
    shell wildcards work too ("*.mtx")."""
    if any(c in pattern for c in "*?"):
        return fnmatch.fnmatchcase(name, pattern)
    return name == pattern or name.startswith(pattern + ".") or name.startswith(pattern + "[")


def event_line(e, width, marked):
    where = e.function + "  " + e.loc if e.function else e.loc
    return f"{'>>' if marked else '  '}{e.step:5d}  {e.thread:<{width}}  {e.text:<40}  {where}"


def select(trace, threads=(), objects=(), steps=None):
    out = []
    for e in trace.events:
        if threads and e.thread not in threads:
            continue
        if objects and not any(object_matches(e.object, o) for o in objects):
            continue
        if steps and not steps[0] <= e.step <= steps[1]:
            continue
        out.append(e)
    return out


def show(trace, threads=(), objects=(), steps=None):
    """The lines to print."""
    unknown = [t for t in threads if t not in trace.threads]
    if unknown:
        raise ValueError(f"--thread: no thread '{unknown[0]}' in {trace.file} (threads: {', '.join(trace.threads)})")
    chosen = select(trace, threads, objects, steps)
    marked = trace.involved_steps
    width = max([len(t) for t in trace.threads] + [6])
    lines = [f"{trace.file}: {trace.scenario_file} (model {trace.data['config']['model']}), "
             f"{len(trace.events)} steps, {len(trace.threads)} threads: {', '.join(trace.threads)}"]
    lines += [event_line(e, width, e.step in marked) for e in chosen]
    if len(chosen) != len(trace.events):
        lines.append(f"({len(chosen)} of {len(trace.events)} steps shown)")
    lines.append(trace.headline())
    for i in trace.involved:
        # A lock-order inversion is found over the whole search: its accesses have no step here.
        where = f"step {i.step}" if i.step >= 0 else "seen in the search"
        lines.append(f"  >> {where}  {i.thread}: {i.what or '(the failing operation)'}  at {i.loc}")
    return lines
