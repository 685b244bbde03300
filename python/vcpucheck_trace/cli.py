"""The command line of vcpucheck-trace: tools over vcpucheck traces.

Exit codes, as vcpucheck's: 0 done (diff: the traces are the same), 1 diff: they differ, 2 bad
input or usage, with one line on stderr naming the file and the field.
"""
import argparse
import json
import sys

from . import diff as _diff
from . import dot as _dot
from . import html as _html
from . import perfetto as _perfetto
from . import show as _show
from .trace import TraceError, format_version, load


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other mistake
        raise UsageError(message)


def build_parser():
    p = Parser(prog="vcpucheck-trace",
               description="Tools over vcpucheck traces (format %s): read, compare and draw a counterexample." %
               format_version(),
               epilog="Exit codes: 0 done (diff: the same), 1 diff: they differ, 2 bad input or usage.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    s = sub.add_parser("show", help="the event log, filtered, with the violation's accesses marked (>>)")
    s.add_argument("trace", metavar="TRACE")
    s.add_argument("--thread", action="append", default=[], metavar="NAME", help="only this thread (repeatable)")
    s.add_argument("--object", action="append", default=[], metavar="NAME",
                   help="only this object and what is inside it: vcpu[1] takes vcpu[1].state; wildcards: '*.mtx' "
                        "(repeatable)")
    s.add_argument("--steps", metavar="FIRST:LAST", help="only these steps, both included (10:40, 10:, :40, 17)")
    d = sub.add_parser("diff", help="where two traces of one scenario first differ, and how each thread's order differs")
    d.add_argument("a", metavar="A")
    d.add_argument("b", metavar="B")
    h = sub.add_parser("html", help="one self-contained HTML page: a lane per thread, locks, IPIs, the violation")
    h.add_argument("trace", metavar="TRACE")
    h.add_argument("-o", "--output", metavar="OUT.html", required=True)
    f = sub.add_parser("perfetto", help="Chrome/Perfetto Trace Event Format JSON (ui.perfetto.dev, chrome://tracing)")
    f.add_argument("trace", metavar="TRACE")
    f.add_argument("-o", "--output", metavar="OUT.json", required=True)
    g = sub.add_parser("dot", help="Graphviz DOT of the violation's happens-before graph (or --lock-order)")
    g.add_argument("trace", metavar="TRACE")
    g.add_argument("--lock-order", action="store_true", help="the lock-order graph of a lock-order inversion")
    g.add_argument("-o", "--output", metavar="OUT.dot", help="write here instead of stdout")
    return p


def write(path, text):
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror}")


def run(argv):
    args = build_parser().parse_args(argv)
    if args.command is None:
        raise UsageError("no command given (show, diff, html, perfetto or dot; see vcpucheck-trace --help)")
    if args.command == "show":
        t = load(args.trace)
        steps = None
        if args.steps is not None:
            try:
                steps = _show.parse_steps(args.steps, max(len(t.events) - 1, 0))
            except ValueError as e:
                raise UsageError(str(e))
        try:
            lines = _show.show(t, args.thread, args.object, steps)
        except ValueError as e:
            raise UsageError(str(e))
        print("\n".join(lines))
        return 0
    if args.command == "html":
        write(args.output, _html.render(load(args.trace)))
        return 0
    if args.command == "perfetto":
        t = load(args.trace)
        write(args.output, json.dumps(_perfetto.document(t), indent=None, separators=(",", ":")) + "\n")
        return 0
    if args.command == "dot":
        t = load(args.trace)
        try:
            lines = _dot.lock_order_graph(t) if args.lock_order else _dot.hb_graph(t)
        except ValueError as e:
            raise UsageError(str(e))
        if args.output:
            write(args.output, "\n".join(lines) + "\n")
        else:
            print("\n".join(lines))
        return 0
    if args.command == "diff":
        lines, same = _diff.diff(load(args.a), load(args.b))
        print("\n".join(lines))
        return 0 if same else 1
    raise UsageError(f"unknown command '{args.command}'")


def main(argv=None):
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except (UsageError, TraceError) as e:
        print(f"vcpucheck-trace: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
