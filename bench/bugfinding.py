#!/usr/bin/env python3
"""Bug-finding of the sampling strategies on the shipped bug scenarios.

For every scenario under scenarios/*/bugs/ and each of `random` and `pct`, runs
`vcpucheck explore` with seeds 1..N and a budget of executions, and reports how many seeds found
the scenario's violation and the median number of executions they needed.

    python3 bench/bugfinding.py build/cli/vcpucheck [--seeds 10] [--executions 2000] [--depth 3]

Run it against two builds to compare them; the numbers are deterministic (same seeds, same
executions), so a difference is the strategy's, not the machine's.
"""
import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def explore(vcpucheck, scenario, strategy, seed, executions, depth, trace):
    args = [vcpucheck, "explore", scenario, "--strategy", strategy, "--seed", str(seed),
            "--executions", str(executions), "--trace-out", trace]
    if strategy == "pct":
        args += ["--depth", str(depth)]
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    first = p.stdout.splitlines()[0] if p.stdout else ""
    m = re.search(r": (\S+) in (\d+) executions?", first)
    if p.returncode != 1 or not m:
        return None
    return m.group(1), int(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vcpucheck")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--executions", type=int, default=2000)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--only", default="", help="substring of the scenario paths to run")
    a = ap.parse_args()
    vcpucheck = os.path.abspath(a.vcpucheck)
    scenarios = sorted(glob.glob(os.path.join(ROOT, "scenarios/*/bugs/*.json")))
    scenarios = [s for s in scenarios if a.only in s]
    print(f"{'scenario':52} {'random found':>12} {'median':>7} {'pct found':>10} {'median':>7}")
    totals = {"random": [0, 0], "pct": [0, 0]}
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.json")
        for s in scenarios:
            expected = json.load(open(s))["expect"]["verdict"]
            row = [os.path.relpath(s, ROOT)]
            for strategy in ("random", "pct"):
                found = []
                for seed in range(1, a.seeds + 1):
                    r = explore(vcpucheck, s, strategy, seed, a.executions, a.depth, trace)
                    if r and r[0] == expected:
                        found.append(r[1])
                totals[strategy][0] += len(found)
                totals[strategy][1] += a.seeds
                med = f"{statistics.median(found):.0f}" if found else "-"
                row += [f"{len(found)}/{a.seeds}", med]
            print(f"{row[0]:52} {row[1]:>12} {row[2]:>7} {row[3]:>10} {row[4]:>7}", flush=True)
    for k, (f, n) in totals.items():
        print(f"{k}: {f} of {n} runs found the bug ({a.executions} executions each)")


if __name__ == "__main__":
    sys.exit(main())
