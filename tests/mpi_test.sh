#!/usr/bin/env bash
# One search over the ranks of an MPI job (checker/cluster.hpp), as a user runs it:
# `mpirun -n K vcpucheck explore S.json` prints what one process prints (the time aside) and
# writes the same trace bytes, on a pass, a violation, a deadlock, a lock-order inversion and a
# TSO scenario, on 2 ranks of one thread and on 3 ranks of two; what a job of several ranks
# cannot split is exit 2 with one line.
#   tests/mpi_test.sh VCPUCHECK MPIEXEC
set -uo pipefail
bin=$1
mpiexec=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
export OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
untimed() { sed -E 's/ in [0-9.]+ s, [0-9]+ executions\/s, [0-9]+ steps\/s//'; }

for f in scenarios/bench/lastzero-10.json scenarios/bench/casrot-9.json scenarios/kvm/bugs/no-kvm-lock.json \
         scenarios/kvm/bugs/no-synchronize-rcu.json scenarios/litmus/gated-lock-order.json \
         scenarios/x86/tso/publish-ipi.tso.json scenarios/kvm/online-create-foreach.json; do
  "$bin" explore "$f" --trace-out "$tmp/t.trace.json" > "$tmp/one.out" 2>/dev/null
  want=$?
  rm -f "$tmp/one.trace.json"; [ -f "$tmp/t.trace.json" ] && mv "$tmp/t.trace.json" "$tmp/one.trace.json"
  for shape in "2 1" "3 2"; do
    set -- $shape
    "$mpiexec" -n "$1" --oversubscribe "$bin" explore "$f" --jobs "$2" --trace-out "$tmp/t.trace.json" \
      > "$tmp/mpi.out" 2> "$tmp/mpi.err"
    got=$?
    if [ "$got" != "$want" ]; then
      echo "FAIL $f on $1 ranks x $2 threads: exit $got, one process exits $want"; cat "$tmp/mpi.err"; fail=1
    elif ! diff <(untimed < "$tmp/one.out") <(untimed < "$tmp/mpi.out" | sed '/^---/,$d'); then
      echo "FAIL $f on $1 ranks x $2 threads: prints otherwise"; fail=1
    elif [ -f "$tmp/one.trace.json" ] && ! cmp -s "$tmp/one.trace.json" "$tmp/t.trace.json"; then
      echo "FAIL $f on $1 ranks x $2 threads: another trace"; fail=1
    else
      echo "ok   $f on $1 ranks x $2 threads: $(head -1 "$tmp/mpi.out" | untimed)"
    fi
    rm -f "$tmp/t.trace.json"
  done
done

# What a job of several ranks cannot split: exit 2, one line, from rank 0 only.
for args in "--strategy random --executions 10" "--keep-going" "--preemptions 2"; do
  "$mpiexec" -n 2 --oversubscribe "$bin" explore scenarios/bench/lastzero-4.json $args > "$tmp/o" 2> "$tmp/e"
  rc=$?
  lines=$(grep -c '^vcpucheck: ' "$tmp/e")
  if [ "$rc" = 0 ] || [ "$lines" != 1 ] || ! grep -q 'MPI job of 2 ranks' "$tmp/e"; then
    echo "FAIL explore $args on 2 ranks: exit $rc, $lines error lines:"; cat "$tmp/e"; fail=1
  else
    echo "ok   explore $args on 2 ranks: $(grep '^vcpucheck: ' "$tmp/e")"
  fi
done
exit $fail
