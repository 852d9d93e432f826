#!/bin/sh
# CLI behaviour of lpaesim convert/import/gen: round trips, one-line errors,
# non-zero exits and no partial output files. Usage: trace_cli.sh LPAESIM SRCDIR TMPDIR
set -u
L=$1; SRC=$2; T=$3
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }

# gen -> convert -> convert is lossless and deterministic
check '"$L" gen mixed count=300 procs=40 touches=1 --seed 7 -o a.lpb'
check '"$L" gen mixed count=300 procs=40 touches=1 --seed 7 -o b.lpb && cmp -s a.lpb b.lpb'
check '"$L" convert a.lpb -o a.txt && "$L" convert a.txt -o c.lpb && cmp -s a.lpb c.lpb'
check 'head -1 a.txt | grep -qx "# lpae-trace v1"'
check 'grep -q "^# gen.seed=7$" a.txt'
# .gz input
check 'gzip -c a.lpb > a.lpb.gz && "$L" convert a.lpb.gz -o d.lpb && cmp -s a.lpb d.lpb'

# bad text line: one line file:line, exit 1, no output
printf '# lpae-trace v1\n0 1 exec\n0 1 nonsense\n' > bad.txt
"$L" convert bad.txt -o out.lpb 2> err.txt; rc=$?
check '[ $rc -eq 1 ]'
check '[ "$(wc -l < err.txt)" -eq 1 ] && grep -q "bad.txt:3: " err.txt'
check '[ ! -e out.lpb ] && [ -z "$(ls | grep tmp)" ]'
# --skip-bad counts
check '"$L" convert bad.txt --skip-bad -o out.lpb 2> err.txt && grep -q "skipped 1 bad lines" err.txt'

# truncated binary: non-zero, says how many events came before the damage
size=$(wc -c < a.lpb)
head -c $((size - 100)) a.lpb > cut.lpb
"$L" convert cut.lpb -o cut.txt 2> err.txt; rc=$?
check '[ $rc -eq 1 ] && grep -q "truncated" err.txt && grep -q "events were read" err.txt'
check '[ ! -e cut.txt ]'

# import strace (recorded sample) and ftrace
check '"$L" import strace "$SRC/tests/data/strace_sh_pipe.txt" -o s.txt && grep -q "^# import.source=strace_sh_pipe.txt$" s.txt'
check '"$L" import ftrace "$SRC/tests/data/ftrace_arm_sample.txt" -o f.lpb && "$L" convert f.lpb -o f.txt && grep -q " clear_user addr=0x01c70000 len=512" f.txt'
printf '1 getpid() = 0x1\n1 what\n' > bad.strace
"$L" import strace bad.strace -o x.lpb 2> err.txt; rc=$?
check '[ $rc -eq 1 ] && grep -q "bad.strace:2: " err.txt && [ ! -e x.lpb ]'

# the shipped real traces are what the importer makes of their captures
for t in xz dd_64K sqlite3; do
    "$L" import strace "$SRC/bench/traces/$t.strace.gz" -o "$t.txt" &&
    "$L" convert "$SRC/bench/traces/$t.lpb.gz" -o "$t.ship.txt" &&
    grep -v '^#' "$t.txt" > "$t.a" && grep -v '^#' "$t.ship.txt" > "$t.b"
    check 'cmp -s "$t.a" "$t.b"'
done

# usage errors exit 2
"$L" gen nope -o x.lpb 2>/dev/null; check '[ $? -eq 2 ]'
"$L" gen dd bs=0 -o x.lpb 2>/dev/null; check '[ $? -eq 2 ] && [ ! -e x.lpb ]'
"$L" convert 2>/dev/null; check '[ $? -eq 2 ]'
"$L" import elf x -o y 2>/dev/null; check '[ $? -eq 2 ]'
"$L" convert missing.lpb -o y.lpb 2> err.txt; check '[ $? -eq 1 ] && grep -q "cannot open" err.txt'

# --mem-cap: a capture whose importer state needs more than the cap fails with one
# line and leaves no output; a generous cap imports it
gzip -dc "$SRC/bench/traces/sqlite3.strace.gz" > sq.strace
"$L" import strace sq.strace -o capped.lpb --mem-cap 4K 2> err.txt
check '[ $? -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -q "out of memory" err.txt && [ ! -e capped.lpb ]'
check '"$L" import strace sq.strace -o uncapped.lpb --mem-cap 64M'
"$L" convert sq.strace -o capped.lpb --mem-cap 4K 2> err.txt
check '[ $? -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && [ ! -e capped.lpb ]'
"$L" convert a.lpb -o y.lpb --mem-cap lots 2> err.txt
check '[ $? -eq 2 ] && grep -q "expected --mem-cap SIZE" err.txt'

echo "trace_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
