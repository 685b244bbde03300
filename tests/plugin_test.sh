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
# Model code that crashes, overflows its stack, aborts or hangs: every one is a reported
# model-crash of its scenario (expected by each), the run goes on, and the trace replays.
V=("$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libfaulty_model.so" --watchdog 1)
out=$("${V[@]}" run "$src/tests/plugin/faults" 2>/dev/null) || { echo "FAIL: the faults run: $out"; exit 1; }
for s in abort assert destructor-crash hang null-deref ok overflow setup-crash; do
  grep -q "^ok    .*faults/$s.json" <<<"$out" || { echo "FAIL: $s not reported: $out"; exit 1; }
done
set +e
"${V[@]}" explore "$src/tests/plugin/faults/null-deref.json" --trace-out "$tmp/crash.json" >"$tmp/explore.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] || { echo "FAIL: explore of a crash exits $code"; cat "$tmp/explore.out"; exit 1; }
grep -q "model-crash: thread bad SIGSEGV (invalid access to 0x0, a null pointer dereference) at libfaulty_model.so+0x" \
  "$tmp/explore.out" || { echo "FAIL: crash report"; cat "$tmp/explore.out"; exit 1; }
"${V[@]}" replay "$tmp/crash.json" | tail -1 | grep -q "^reproduced" || { echo "FAIL: the crash does not replay"; exit 1; }
set +e
"${V[@]}" explore "$src/tests/plugin/faults/destructor-crash.json" >"$tmp/explore.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] && grep -q "model-crash: vcpucheck died of" "$tmp/explore.out" ||
  { echo "FAIL: a crash outside any fiber (exit $code)"; cat "$tmp/explore.out"; exit 1; }
echo "plugin: faults reported and replayed"
