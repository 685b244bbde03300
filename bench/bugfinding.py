#!/usr/bin/env python3
"""How many executions each search strategy needs to find each shipped bug.

For every scenario under scenarios/*/bugs/, runs `vcpucheck explore` with each strategy: dpor once
(it is deterministic: the seed decides nothing), and random, pct and pos with seeds 1..N, each with
a budget of executions. A run counts as found when it reports the scenario's expected verdict.
Per strategy it prints how many seeds found the bug and the median executions over all N seeds, a
miss counting as more than the budget (so the median is ">budget" when half or more missed).

    python3 bench/bugfinding.py build/cli/vcpucheck [--seeds 20] [--executions 2000] [--depth 3]
        [--strategies dpor,random,pct,pos] [--jobs 2] [--markdown]

The figures are deterministic (same seeds, same budgets): a difference between two builds is the
strategy's, not the machine's.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRATEGIES = ("dpor", "random", "pct", "pos")


def explore(vcpucheck, scenario, strategy, seed, executions, depth, tmp):
    """Executions the run needed to report its first violation and that violation, or None."""
    trace = os.path.join(tmp, f"{os.getpid()}-{strategy}-{seed}-{os.path.basename(scenario)}")
    args = [vcpucheck, "explore", scenario, "--strategy", strategy,
            "--executions", str(executions), "--trace-out", trace]
    if strategy != "dpor":
        args += ["--seed", str(seed)]
    if strategy == "pct":
        args += ["--depth", str(depth)]
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if p.returncode not in (0, 1):  # bad input or a broken build: not a miss
        raise SystemExit(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    first = p.stdout.splitlines()[0] if p.stdout else ""
    m = re.search(r": (\S+) in (\d+) executions?", first)
    if p.returncode != 1 or not m:
        return None
    return m.group(1), int(m.group(2))


def expected_verdict(scenario):
    """The violation the scenario expects; None for one that expects a pass (the same bug under
    another memory model, kept next to its failing twin) or every symptom of a bug (`verdicts`:
    explored going on past each violation, so there is no first one to count to)."""
    v = json.load(open(scenario))["expect"].get("verdict")
    return None if v == "pass" else v


def seeds_of(strategy, n):
    return [1] if strategy == "dpor" else range(1, n + 1)  # dpor's seed decides nothing


def summary(found, runs, budget):
    """(found count, median) where a miss counts as more than the budget."""
    if not found:
        return 0, None
    values = sorted(found) + [budget + 1] * (runs - len(found))
    med = statistics.median_low(values)
    return len(found), (None if med > budget else med)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vcpucheck")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--executions", type=int, default=2000)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", default="", help="substring of the scenario paths to run")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args()
    strategies = [s for s in a.strategies.split(",") if s]
    for s in strategies:
        if s not in STRATEGIES:
            ap.error(f"--strategies: unknown strategy {s!r}")
    vcpucheck = os.path.abspath(a.vcpucheck)
    scenarios = sorted(glob.glob(os.path.join(ROOT, "scenarios/*/bugs/*.json")))
    scenarios = [s for s in scenarios if a.only in s and expected_verdict(s)]

    with tempfile.TemporaryDirectory() as tmp, \
            concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        jobs = {}
        for s in scenarios:
            for strategy in strategies:
                for seed in seeds_of(strategy, a.seeds):
                    jobs[(s, strategy, seed)] = pool.submit(
                        explore, vcpucheck, s, strategy, seed, a.executions, a.depth, tmp)

        def cell(n, runs, med):
            shown = str(med) if med is not None else ">" + str(a.executions)
            return shown if runs == 1 else f"{n}/{runs} {shown}"

        widths = [max(len(os.path.relpath(s, ROOT)) for s in scenarios)] + [14] * len(strategies)
        header = ["scenario"] + strategies
        if a.markdown:
            print("| " + " | ".join(header) + " |")
            print("|---" + "|---:" * len(strategies) + "|")
        else:
            print(" ".join(h.ljust(w) if i == 0 else h.rjust(w)
                           for i, (h, w) in enumerate(zip(header, widths))))
        totals = {st: [0, 0, []] for st in strategies}
        for s in scenarios:
            expected = expected_verdict(s)
            row = [os.path.relpath(s, ROOT)]
            for strategy in strategies:
                seeds = seeds_of(strategy, a.seeds)
                found = []
                for seed in seeds:
                    r = jobs[(s, strategy, seed)].result()
                    if r and r[0] == expected:
                        found.append(r[1])
                n, med = summary(found, len(seeds), a.executions)
                totals[strategy][0] += n
                totals[strategy][1] += len(seeds)
                totals[strategy][2].append(med)
                row.append(cell(n, len(seeds), med))
            if a.markdown:
                print("| " + " | ".join(row) + " |", flush=True)
            else:
                print(" ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))), flush=True)
    print()
    for st, (f, n, meds) in totals.items():
        solved = sum(1 for m in meds if m is not None)
        print(f"{st}: {f} of {n} runs found the bug; median within budget on {solved} of "
              f"{len(meds)} scenarios ({a.executions} executions per run)")


if __name__ == "__main__":
    sys.exit(main())
