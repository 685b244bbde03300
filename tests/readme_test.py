"""The README's console sessions work exactly as printed.

Each ```console block in README.md holds `$ command` lines followed by the output they print. A
line ending in `…` matches any line that starts with the text before it (timings vary); a line
`...` skips any number of lines. The expected lines must appear in order.
Run: python3 tests/readme_test.py PATH/TO/vcpucheck
"""
import os
import re
import shlex
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VCPUCHECK = None


def sessions():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                if current:
                    yield current
                current = (line[2:], [])
            elif current:
                current[1].append(line)
        if current:
            yield current


def matches(expected, actual):
    i = 0
    skipping = False
    for want in expected:
        if want == "...":
            skipping = True
            continue
        while i < len(actual):
            got = actual[i]
            i += 1
            ok = got.startswith(want[:-1]) if want.endswith("…") else got == want
            if ok:
                break
            if not skipping:
                return f"expected {want!r}, got {got!r}"
        else:
            return f"expected {want!r}, but the output ended"
        skipping = False
    return None


class Readme(unittest.TestCase):
    def test_console_sessions(self):
        found = list(sessions())
        self.assertGreaterEqual(len(found), 3)
        for cmd, expected in found:
            with self.subTest(cmd=cmd):
                argv = shlex.split(cmd)
                if argv[0] != "build/cli/vcpucheck":
                    self.fail("README sessions run build/cli/vcpucheck; found " + cmd)
                argv[0] = VCPUCHECK
                p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
                problem = matches(expected, p.stdout.splitlines())
                self.assertIsNone(problem, f"`{cmd}`: {problem}\n--- output ---\n{p.stdout}")


if __name__ == "__main__":
    VCPUCHECK = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=1)
