#!/usr/bin/env bash
# Installs vcpucheck into a scratch prefix, builds the out-of-tree example model against the
# installed CMake package, and runs its scenarios with the installed `vcpucheck --load`.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
step() { "$@" >>"$log" 2>&1 || { echo "FAIL: $*"; cat "$log"; exit 1; }; }
step cmake --install "$build" --prefix "$tmp/prefix"
step cmake -S "$src/tests/plugin" -B "$tmp/plugin" -DCMAKE_PREFIX_PATH="$tmp/prefix"
step cmake --build "$tmp/plugin"
listing=$("$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libticket_model.so" list)
grep -q '^example.ticket:' <<<"$listing" || { echo "FAIL: the loaded model is not listed"; exit 1; }
"$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libticket_model.so" run "$src/tests/plugin/ticket-lock.json" \
  "$src/tests/plugin/ticket-lock-racy.json"
