#!/usr/bin/env bash
# Writes the man page vcpucheck.1 from the command line's own help (help2man): the global options,
# then one section per command with its options, so the page never drifts from --help.
#   scripts/manpage.sh PATH/TO/vcpucheck OUT.1
set -euo pipefail
bin=$1
out=$2
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT
{
  echo "[COMMANDS]"
  for c in list explore replay run; do
    echo ".SS $c"
    echo ".nf"
    "$bin" "$c" --help | grep -v "^Exit codes:" | sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'
    echo ".fi"
  done
  echo "[SEE ALSO]"
  echo "README.md and scenarios/README.md in the vcpucheck sources: the models, the scenario format, traces."
} >"$inc"
help2man --no-info --section 1 --name "deterministic simulator and model checker for vCPU lifecycle protocols" \
  --include "$inc" --output "$out" "$bin"
