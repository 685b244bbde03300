#!/usr/bin/env bash
# Configures (once) and builds into ./build. Warnings are errors; assertions are on in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build build -j "$jobs" -- --no-print-directory >/dev/null || cmake --build build -j 1
