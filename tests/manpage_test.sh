#!/usr/bin/env bash
# The man page generated at build time from --help names every command and the options users look
# up, and renders.
set -euo pipefail
page=$1
[ -s "$page" ] || { echo "FAIL: no man page at $page"; exit 1; }
if command -v man >/dev/null; then
  text=$(MANWIDTH=200 man -l -P cat "$page" 2>/dev/null)
else  # no man(1) on this machine: the troff source, unescaped
  text=$(sed -e 's/\\-/-/g' -e 's/\\fB//g; s/\\fR//g' "$page")
fi
for w in "vcpucheck explore" "vcpucheck run" "vcpucheck replay" "vcpucheck list" --time-limit --progress --sarif \
  --junit --no-minimize --traces-dir --load --watchdog "Exit codes" "interrupted"; do
  grep -q -e "$w" <<<"$text" || { echo "FAIL: the man page does not mention '$w'"; exit 1; }
done
echo "manpage: ok"
