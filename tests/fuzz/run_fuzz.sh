#!/usr/bin/env bash
# A bounded fuzz run of one loader: FUZZER scenario|trace SOURCE_DIR [SECONDS] (default: $VCPUCHECK_FUZZ_SECONDS, else 60).
# Seeds: the committed corpus (tests/fuzz/corpus/KIND) and every shipped scenario (for traces:
# every golden trace). New inputs go to a scratch directory; a finding (crash, leak, timeout,
# a bad error message) fails the test and its reproducer is kept in build-fuzz/fuzz-findings/.
set -euo pipefail
fuzzer=$1 kind=$2 src=$3 secs=${4:-${VCPUCHECK_FUZZ_SECONDS:-60}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/new" "$work/seeds"
cp "$src/tests/fuzz/corpus/$kind/"* "$work/seeds/" 2>/dev/null || true
if [ "$kind" = scenario ]; then
  find "$src/scenarios" -name '*.json' ! -name '*.schema.json' -exec cp --backup=numbered -t "$work/seeds" {} +
else
  find "$src/traces/golden" -name '*.trace.json' -exec cp --backup=numbered -t "$work/seeds" {} +
fi
findings=$(pwd)/fuzz-findings/$kind
mkdir -p "$findings"
set +e
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$findings/" "$work/new" "$work/seeds" >"$work/log" 2>&1
code=$?
set -e
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo 0)
seeds=$(ls "$work/seeds" | wc -l)
if [ "$code" != 0 ]; then
  tail -40 "$work/log"
  echo "fuzz-$kind: FINDING after $runs inputs (reproducer in $findings)"
  exit 1
fi
echo "fuzz-$kind: $runs inputs in ${secs} s from $seeds seeds, no finding"
