#!/usr/bin/env bash
# Regenerates the pictures the README shows (docs/*.png) from golden traces, with
# python/vcpucheck-trace and headless Chromium (scripts/bootstrap.sh --tests installs it):
#   scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shot() {  # TRACE PNG WIDTH HEIGHT
  python/vcpucheck-trace html "$1" -o "$tmp/page.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size="$3,$4" --screenshot="$2" "file://$tmp/page.html" >/dev/null 2>&1
  echo "wrote $2"
}
shot traces/golden/scenarios/x86/plain-increment-race.trace.json docs/timeline-guest-race.png 1400 420
shot traces/golden/scenarios/bhyve-ap/bugs/sipi-ungated.trace.json docs/timeline-bhyve-ap.png 1400 420
python/vcpucheck-trace dot traces/golden/scenarios/x86/plain-increment-race.trace.json | dot -Tpng -o docs/hb-guest-race.png
echo "wrote docs/hb-guest-race.png"
