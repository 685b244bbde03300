#!/usr/bin/env bash
# The main job: set up (missing Debian packages), build, and run the shipped scenario suite.
# Extra arguments pass through to `vcpucheck run` (e.g. ./run.sh --junit report.xml).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
./scripts/build.sh
exec ./build/cli/vcpucheck run scenarios/ --jobs "$(nproc 2>/dev/null || echo 2)" "$@"
