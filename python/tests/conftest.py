"""Shared fixtures: the tool run as a user runs it (a subprocess of python/vcpucheck-trace), and
the golden traces every sub-command is tested on."""
import glob
import os
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(PYTHON_DIR)
TOOL = os.path.join(PYTHON_DIR, "vcpucheck-trace")
GOLDEN = sorted(glob.glob(os.path.join(ROOT, "traces", "golden", "**", "*.trace.json"), recursive=True))
sys.path.insert(0, PYTHON_DIR)


def rel(path):
    return os.path.relpath(path, ROOT)


class Result:
    def __init__(self, p):
        self.code, self.out, self.err = p.returncode, p.stdout, p.stderr


@pytest.fixture
def tool():
    def run(*args, cwd=ROOT):
        p = subprocess.run([sys.executable, TOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
        return Result(p)
    return run


def golden(name):
    """The golden trace whose path ends with `name`."""
    hits = [g for g in GOLDEN if g.endswith(name)]
    assert len(hits) == 1, (name, hits)
    return hits[0]
