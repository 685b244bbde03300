#!/usr/bin/env bash
# Installs vcpucheck into a scratch prefix, builds the installed example models
# (share/vcpucheck/examples) and the test fixtures (tests/plugin) against the installed CMake
# package, and runs their scenarios with the installed `vcpucheck --load`.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log="$tmp/log"
step() { "$@" >>"$log" 2>&1 || { echo "FAIL: $*"; cat "$log"; exit 1; }; }
step cmake --install "$build" --prefix "$tmp/prefix"
if command -v help2man >/dev/null; then
  [ -s "$tmp/prefix/share/man/man1/vcpucheck.1" ] || { echo "FAIL: the man page is not installed"; exit 1; }
fi
ex="$tmp/prefix/share/vcpucheck/examples"  # the installed copy: what an outside author starts from
[ -s "$ex/README.md" ] && [ -s "$ex/vcpu_fd/vcpu_fd_model.cpp" ] || { echo "FAIL: the examples are not installed"; exit 1; }
step cmake -S "$ex" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$tmp/prefix"
step cmake --build "$tmp/examples"
step cmake -S "$src/tests/plugin" -B "$tmp/plugin" -DCMAKE_PREFIX_PATH="$tmp/prefix"
step cmake --build "$tmp/plugin"
listing=$("$tmp/prefix/bin/vcpucheck" --load "$tmp/examples/libticket_model.so" list)
grep -q '^example.ticket:' <<<"$listing" || { echo "FAIL: the loaded model is not listed"; exit 1; }
"$tmp/prefix/bin/vcpucheck" --load "$tmp/examples/libticket_model.so" run "$ex/ticket"
# The second model, written only with sim/linux.hpp: its scenarios through the installed CLI
# (a result passed to a spawned thread), and the team's own unit test through the in-process API.
out=$(cd "$tmp" && "$tmp/prefix/bin/vcpucheck" --load "$tmp/examples/libvcpu_fd_model.so" run "$ex/vcpu_fd" --progress 0) || { echo "FAIL: the vcpu-fd scenarios: $out"; exit 1; }
grep -q "^ok    .*vcpu-fd-early.json  use-after-free" <<<"$out" || { echo "FAIL: vcpu-fd-early: $out"; exit 1; }
grep -q "^ok    .*vcpu-fd.json  pass (40 executions)" <<<"$out" || { echo "FAIL: vcpu-fd: $out"; exit 1; }
"$tmp/examples/vcpu_fd_test" >"$tmp/check.out" 2>&1 || { echo "FAIL: the in-process check test"; cat "$tmp/check.out"; exit 1; }
grep -q "test cases: 2 | 2 passed" "$tmp/check.out" || { echo "FAIL: the in-process check test ran no tests"; cat "$tmp/check.out"; exit 1; }
# A model in kernel C (vcpucheck_add_c_model): the fixed one passes, the bug is found with the C
# line of each access, and its trace replays.
LS=("$tmp/prefix/bin/vcpucheck" --load "$tmp/examples/liblazy_stats_model.so")
out=$(cd "$tmp" && "${LS[@]}" run "$ex/lazy_stats" --progress 0) || { echo "FAIL: the lazy-stats scenarios: $out"; exit 1; }
grep -q "^ok    .*lazy-stats.json  pass" <<<"$out" && grep -q "^ok    .*lazy-stats-plain-publish.json  use-before-init" <<<"$out" ||
  { echo "FAIL: lazy-stats: $out"; exit 1; }
set +e
(cd "$tmp" && "${LS[@]}" explore "$ex/lazy_stats/lazy-stats-plain-publish.json" --trace-out "$tmp/ls.json" >"$tmp/ls.out" 2>&1)
code=$?
set -e
[ "$code" = 1 ] && grep -q "at lazy_stats/lazy_stats.c:[0-9]* (vm_stats_read)" "$tmp/ls.out" ||
  { echo "FAIL: the C model's report (exit $code)"; cat "$tmp/ls.out"; exit 1; }
(cd / && "${LS[@]}" replay "$tmp/ls.json") | tail -1 | grep -q "^reproduced" || { echo "FAIL: the C model's trace does not replay"; exit 1; }
# A plugin's own guest program (vcpucheck_add_guest_program): its AP lives twice, or never comes
# back when the VMM skips INIT; the report names the plugin's assembler source line.
SL=("$tmp/prefix/bin/vcpucheck" --load "$tmp/examples/libsecond_life_model.so")
out=$(cd "$tmp" && "${SL[@]}" run "$ex/second_life" --progress 0) ||
  { echo "FAIL: the second-life scenarios: $out"; exit 1; }
grep -q "^ok    .*second-life.json  pass (108 executions)" <<<"$out" &&
  grep -q '^ok    .*second-life-sipi-only.json  liveness on AP 1 began its second life' <<<"$out" ||
  { echo "FAIL: second-life: $out"; exit 1; }
set +e
"${SL[@]}" explore "$ex/second_life/second-life-sipi-only.json" --trace-out "$tmp/sl.json" >"$tmp/sl.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] && grep -q '"loc": "second_life/ap_second_life.S:12"' "$tmp/sl.json" ||
  { echo "FAIL: the plugin's guest program in the trace (exit $code)"; cat "$tmp/sl.out"; exit 1; }
"${SL[@]}" replay "$tmp/sl.json" | tail -1 | grep -q "^reproduced" || { echo "FAIL: the second-life trace does not replay"; exit 1; }
set +e
out=$("$tmp/prefix/bin/vcpucheck" --load "$tmp/plugin/libguest_clash.so" list 2>&1)
code=$?
set -e
[ "$code" = 2 ] && grep -q "libguest_clash.so: guest program ap_trampoline (../../examples/second_life/ap_second_life.S): the name is already taken" <<<"$out" ||
  { echo "FAIL: a guest program name clash (exit $code): $out"; exit 1; }
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
# The same crash, the same report, from a search on two threads (and a hang, caught by the watchdog).
for s in null-deref hang; do
  set +e
  "${V[@]}" explore "$src/tests/plugin/faults/$s.json" --no-minimize --trace-out "$tmp/c1.json" >"$tmp/j1.out" 2>&1
  c1=$?
  "${V[@]}" explore "$src/tests/plugin/faults/$s.json" --no-minimize --jobs 2 --trace-out "$tmp/c2.json" >"$tmp/j2.out" 2>&1
  c2=$?
  set -e
  [ "$c1" = 1 ] && [ "$c2" = 1 ] && cmp -s "$tmp/c1.json" "$tmp/c2.json" &&
    diff <(sed -E 's/ in [0-9.]+ s, [0-9]+ executions\/s, [0-9]+ steps\/s//; s#c[12].json#C.json#' "$tmp/j1.out") \
         <(sed -E 's/ in [0-9.]+ s, [0-9]+ executions\/s, [0-9]+ steps\/s//; s#c[12].json#C.json#' "$tmp/j2.out") >/dev/null ||
    { echo "FAIL: $s on two threads (exit $c1, $c2)"; cat "$tmp/j1.out" "$tmp/j2.out"; exit 1; }
done
"${V[@]}" replay "$tmp/crash.json" | tail -1 | grep -q "^reproduced" || { echo "FAIL: the crash does not replay"; exit 1; }
set +e
"${V[@]}" explore "$src/tests/plugin/faults/destructor-crash.json" >"$tmp/explore.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] && grep -q "model-crash: vcpucheck died of" "$tmp/explore.out" ||
  { echo "FAIL: a crash outside any fiber (exit $code)"; cat "$tmp/explore.out"; exit 1; }

# A plugin's traces: source paths relative to the model's source root, the library recorded, a
# replay command that works as printed from anywhere -- and a trace that survives a rebuild of the
# model with a line added above its code. Two copies of the model's source at two paths.
for copy in A B; do
  mkdir -p "$tmp/$copy"
  cp -r "$ex" "$tmp/$copy/src"
  step cmake -S "$tmp/$copy/src" -B "$tmp/$copy/build" -DCMAKE_PREFIX_PATH="$tmp/prefix"
  step cmake --build "$tmp/$copy/build" --target ticket_model
  set +e
  (cd "$tmp/$copy" && "$tmp/prefix/bin/vcpucheck" --load build/libticket_model.so explore src/ticket/ticket-lock-racy.json \
    --trace-out "$tmp/$copy.trace.json" >"$tmp/$copy.out" 2>&1)
  code=$?
  set -e
  [ "$code" = 1 ] || { echo "FAIL: exploring the racy ticket lock in $copy exits $code"; cat "$tmp/$copy.out"; exit 1; }
done
grep -q '"loc": "ticket/ticket_model.cpp:[0-9]*' "$tmp/A.trace.json" ||
  { echo "FAIL: plugin source locations are not relative to its source root"; grep -m3 '"loc"' "$tmp/A.trace.json"; exit 1; }
grep -q '"file": "libticket_model.so"' "$tmp/A.trace.json" || { echo "FAIL: the trace does not name its library"; exit 1; }
sed 's/"file": "src\/ticket\/ticket-lock-racy.json"/X/; /"hash": /d' "$tmp/A.trace.json" >"$tmp/A.cmp"
sed 's/"file": "src\/ticket\/ticket-lock-racy.json"/X/; /"hash": /d' "$tmp/B.trace.json" >"$tmp/B.cmp"
cmp -s "$tmp/A.cmp" "$tmp/B.cmp" || { echo "FAIL: the model built at two paths gives different traces"; diff "$tmp/A.cmp" "$tmp/B.cmp" | head; exit 1; }
# The installed trace tools read the out-of-tree model's trace, from anywhere.
(cd / && "$tmp/prefix/bin/vcpucheck-trace" show "$tmp/A.trace.json" | grep -q '>> ') ||
  { echo "FAIL: the installed vcpucheck-trace does not show the trace's violation"; exit 1; }
(cd / && "$tmp/prefix/bin/vcpucheck-trace" html "$tmp/A.trace.json" -o "$tmp/A.html") && grep -q 'trace-data' "$tmp/A.html" ||
  { echo "FAIL: the installed vcpucheck-trace html"; exit 1; }
printed=$(grep '^replay: ' "$tmp/A.out" | sed 's/^replay: vcpucheck //')
grep -q -- "--load $tmp/A/build/libticket_model.so replay" <<<"$printed" || { echo "FAIL: replay command: $printed"; exit 1; }
# shellcheck disable=SC2086
out=$(cd / && "$tmp/prefix/bin/vcpucheck" $printed) || { echo "FAIL: the printed replay command: $out"; exit 1; }
grep -q '^reproduced' <<<"$out" || { echo "FAIL: the printed replay command does not reproduce: $out"; exit 1; }
set +e
out=$("$tmp/prefix/bin/vcpucheck" replay "$tmp/A.trace.json" 2>&1)
code=$?
set -e
[ "$code" = 2 ] && grep -q "load the library that defines it (the trace was made with libticket_model.so)" <<<"$out" ||
  { echo "FAIL: replay without the library (exit $code): $out"; exit 1; }
# A blank line above the model's code, a rebuild: the trace still reproduces, with a note.
{ echo; cat "$tmp/B/src/ticket/ticket_model.cpp"; } >"$tmp/B/src/moved.cpp" && mv "$tmp/B/src/moved.cpp" "$tmp/B/src/ticket/ticket_model.cpp"
step cmake --build "$tmp/B/build" --target ticket_model
out=$("$tmp/prefix/bin/vcpucheck" --load "$tmp/B/build/libticket_model.so" replay "$tmp/A.trace.json") ||
  { echo "FAIL: the trace does not replay after a line was added above the model's code: $out"; exit 1; }
grep -q "source locations moved (ticket/ticket_model.cpp:[0-9]*.* is now ticket/ticket_model.cpp:[0-9]*" <<<"$out" &&
  grep -q "is not the build of libticket_model.so the trace was made with" <<<"$out" &&
  grep -q "the behaviour is the same" <<<"$out" && grep -q '^reproduced' <<<"$out" ||
  { echo "FAIL: replay after moved lines: $out"; exit 1; }
echo "plugin: faults reported and replayed; plugin traces are path-independent and survive moved lines"
