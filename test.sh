#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ unit and scenario tests (ctest), then all of them
# again in a build with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/), then a
# bounded fuzz run of the scenario and trace loaders (build-fuzz/, clang + libFuzzer, about a
# minute per loader; VCPUCHECK_FUZZ_SECONDS sets it).
#   ./test.sh               everything
#   ./test.sh --no-sanitize the plain build only (a quicker loop while developing)
set -euo pipefail
cd "$(dirname "$0")"
./scripts/bootstrap.sh --tests
./scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
(cd build && ctest --output-on-failure -j "$jobs")
if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== the sanitizer build (ASan + UBSan) =="
  ./scripts/build.sh build-asan -DVCPUCHECK_SANITIZE=ON
  (cd build-asan && ctest --output-on-failure -j "$jobs")
  echo "== fuzzing the loaders (clang + libFuzzer) =="
  CC=clang CXX=clang++ ./scripts/build.sh build-fuzz -DVCPUCHECK_FUZZ=ON -DCMAKE_ASM_COMPILER=gcc
  (cd build-fuzz && VCPUCHECK_FUZZ_SECONDS=${VCPUCHECK_FUZZ_SECONDS:-60} ctest --output-on-failure -j "$jobs")
fi
