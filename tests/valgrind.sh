#!/bin/sh
# Run every cmocka unit test (bin/test_*) and every corpus replay
# (bin/fuzz_replay_*) of build directory $1, and a replay of a shipped real
# trace through lpae-bench, under valgrind memcheck.
# Fails when any reports an error or a definite/indirect leak.
set -u
B=${1:-build}
SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
cd "$B" || exit 1
fail=0; n=0
for t in bin/test_*; do
  [ -x "$t" ] || continue
  n=$((n+1))
  if ! valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect "$t" >"$t.valgrind.log" 2>&1; then
    echo "valgrind: $t FAILED (see $B/$t.valgrind.log)"; fail=$((fail+1))
  fi
done
for t in bin/fuzz_replay_*; do
  [ -x "$t" ] || continue
  n=$((n+1)); name=${t#bin/fuzz_replay_}
  if ! valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect "$t" "$SRC/tests/fuzz/corpus/$name" >"$t.valgrind.log" 2>&1; then
    echo "valgrind: $t FAILED (see $B/$t.valgrind.log)"; fail=$((fail+1))
  fi
done
# a whole replay: reader, replay engine, three kernels, report
n=$((n+1))
if ! valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
     --show-leak-kinds=definite,indirect bin/lpae-bench --no-progress --threshold 256 \
     --strategy direct,pinned,ttbr0-switch "$SRC/bench/traces/xz.lpb.gz" >replay.valgrind.log 2>&1; then
  echo "valgrind: lpae-bench replay FAILED (see $B/replay.valgrind.log)"; fail=$((fail+1))
fi
echo "valgrind: $n programs, $fail failed"
[ "$fail" -eq 0 ]
