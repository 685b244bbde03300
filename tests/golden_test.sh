#!/usr/bin/env bash
# Every committed counterexample (traces/golden) must
#  1. replay: `vcpucheck replay` reproduces it step for step (exit 0), and
#  2. be deterministic: exploring its scenario again writes a byte-identical trace.
set -euo pipefail
vcpucheck=$1
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
while IFS= read -r trace; do
  out=$("$vcpucheck" replay "$trace") || { echo "FAIL: $trace does not replay:"; echo "$out" | tail -3; exit 1; }
  grep -q '^reproduced:' <<<"$out" || { echo "FAIL: $trace: no 'reproduced' line"; exit 1; }
  scenario=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenario"]["file"])' "$trace")
  set +e
  rm -f "$tmp"/again*.json  # never compare with an earlier scenario's trace
  "$vcpucheck" explore "$scenario" --trace-out "$tmp/again.trace.json" >/dev/null
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || { echo "FAIL: exploring $scenario again exited $rc, expected 1 (a violation)"; exit 1; }
  # A scenario with several verdicts writes x.trace.json, x.2.trace.json, ...: compare like with like.
  again="$tmp/again.trace.json"
  if [[ "$trace" =~ \.([0-9]+)\.trace\.json$ ]]; then again="$tmp/again.${BASH_REMATCH[1]}.trace.json"; fi
  cmp -s "$trace" "$again" || { echo "FAIL: $scenario no longer gives a byte-identical trace:"; diff "$trace" "$again" | head -20; exit 1; }
  n=$((n + 1))
done < <(find traces/golden -name '*.trace.json' | sort)
[ "$n" -gt 0 ] || { echo "FAIL: no golden traces found"; exit 1; }
echo "golden traces: $n passed, 0 failed"
