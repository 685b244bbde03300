#!/usr/bin/env bash
# Installs vcpucheck into a scratch prefix, builds the out-of-tree example model against the
# installed CMake package, and runs its scenarios with the installed `vcpucheck --load`.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/tests/plugin" -B "$tmp/plugin" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/plugin" >/dev/null
"$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libticket_model.so" list | grep -q '^example.ticket:'
"$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libticket_model.so" run "$src/tests/plugin/ticket-lock.json" \
  "$src/tests/plugin/ticket-lock-racy.json"
