#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ unit and scenario tests (ctest) and the Python
# tools' tests (python/).
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh
./scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
(cd build && ctest --output-on-failure -j "$jobs")
