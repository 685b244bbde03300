#!/usr/bin/env bash
# Configures (once) and builds. Warnings are errors; assertions are on in every build.
#   scripts/build.sh                 ./build, the build every command and test uses
#   scripts/build.sh build-asan -DVCPUCHECK_SANITIZE=ON    another directory, extra CMake options
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
if [ ! -f "$dir/CMakeCache.txt" ] || [ ! -f "$dir/Makefile" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$dir" -j "$jobs" -- --no-print-directory >/dev/null || cmake --build "$dir" -j 1
