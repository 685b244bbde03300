#!/usr/bin/env bash
# Installs the Debian packages vcpucheck builds against, and only those that are missing.
# Silent when everything is present. Needs root (or sudo) only when something is missing.
#   scripts/bootstrap.sh          what building and running need
#   scripts/bootstrap.sh --tests  and what only the tests need (chromium: the HTML timeline is
#                                 tested in a real browser)
set -euo pipefail

packages=(
  cmake g++ make binutils python3 python3-jsonschema python3-pytest graphviz libxml2-utils libcli11-dev help2man libboost-stacktrace-dev
  libboost-context-dev libboost-graph-dev
  libdw-dev pkg-config  # field names of C memory from DWARF
  nlohmann-json3-dev doctest-dev libunicorn-dev
  clang libclang-rt-dev  # the fuzz build: clang with libFuzzer
  libopenmpi-dev openmpi-bin  # one search over the ranks of an MPI job (checker/cluster.hpp)
)

[ "${1:-}" = "--tests" ] && packages+=(chromium)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
