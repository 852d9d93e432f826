#!/bin/sh
# CLI behaviour of lpae-bench: every output format, byte-identical reruns,
# files written through temporary names, one-line errors with non-zero exits.
# Usage: bench_cli.sh LPAE_BENCH LPAESIM SRCDIR TMPDIR
set -u
B=$1; L=$2; SRC=$3; T=$4
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
pass=0; fail=0
ok()  { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }
# expect_err CMD PATTERN: non-zero exit, exactly one stderr line matching, nothing on stdout
expect_err() {
    eval "$1" > out.txt 2> err.txt; rc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "$2" err.txt && [ ! -s out.txt ]; then
        ok
    else
        bad "$1 (rc=$rc): $(cat err.txt)"
    fi
}

"$L" gen mixed count=150 procs=10 cpus=2 --seed 4 -o mixed.lpb || exit 1
"$L" convert mixed.lpb -o mixed.txt || exit 1

# table with every strategy; the default CPU; gen.cpus taken from the header
check '"$B" --no-progress mixed.lpb > t1.txt'
check 'grep -q "^== mixed.lpb on cortex-a15" t1.txt'
for s in direct ttbr0-pan pinned ttbr0-switch hybrid; do
    check 'grep -q "^$s" t1.txt'
done
check 'grep -q "best threshold" t1.txt'
# deterministic, and the text form gives the same numbers
check '"$B" mixed.lpb > t2.txt && cmp -s t1.txt t2.txt'
check '"$B" mixed.txt | sed 1s/mixed.txt/mixed.lpb/ | grep -v "^== " > t3.txt && grep -v "^== " t1.txt | cmp -s - t3.txt'
# csv/json/svg: byte-identical reruns, files renamed into place, no temporaries left
check '"$B" --format csv mixed.lpb > a.csv && "$B" --format csv mixed.lpb | cmp -s - a.csv'
check '[ "$(wc -l < a.csv)" -eq 6 ] && head -1 a.csv | grep -q "^trace,cpu,split,strategy,"'
check '"$B" --format json --json j1.json --svg s1.svg mixed.lpb > j0.json && cmp -s j0.json j1.json'
check '"$B" --json j2.json --svg s2.svg mixed.lpb > /dev/null && cmp -s j1.json j2.json && cmp -s s1.svg s2.svg'
check 'head -c 5 s1.svg | grep -q "<?xml" && tail -1 s1.svg | grep -q "</svg>"'
check '[ -z "$(ls | grep tmp)" ]'
# several CPUs, strategies and splits
check '"$B" --cpu cortex-a15,cortex-a7 --strategy direct,pinned mixed.lpb > t4.txt && grep -q "^== mixed.lpb on cortex-a7" t4.txt && ! grep -q "^hybrid" t4.txt'
check '"$B" --split VMSPLIT_4G_4G --strategy pinned,ttbr0-switch --threshold 512 mixed.lpb > t5.txt 2> e5.txt && grep -q "VMSPLIT_4G_4G" t5.txt'
# sweeps: threshold and a cost parameter
check '"$B" --strategy pinned,ttbr0-switch,hybrid --sweep threshold=64..4096 mixed.lpb > sw.txt && grep -q "^== sweep threshold" sw.txt && [ "$(grep -c "^ *[0-9][0-9]* .* < " sw.txt)" -eq 7 ]'
check '"$B" --strategy direct,pinned --sweep cp15.ttbr0=1..100:4 --format json mixed.lpb > sw.json && grep -q "\"param\": \"cp15.ttbr0\"" sw.json'
# a config file of overrides changes the numbers
printf 'sw.gup_fast_page = 5000\n' > slow.conf
check '"$B" --strategy pinned --config slow.conf --format csv mixed.lpb > c1.csv && "$B" --strategy pinned --format csv mixed.lpb > c2.csv && ! cmp -s c1.csv c2.csv'
# shipped real trace, straight from its gzip file and from its strace capture
check '"$B" --strategy direct,pinned "$SRC/bench/traces/xz.lpb.gz" > x1.txt'
check '"$B" --strategy direct,pinned "$SRC/bench/traces/xz.strace.gz" | grep -v "^== " > x2.txt && grep -v "^== " x1.txt | cmp -s - x2.txt'

# an ftrace capture from a board, with its CPUs; a smaller RAM
check '"$B" --cpus 4 --strategy direct,pinned "$SRC/tests/data/ftrace_arm_sample.txt" | grep -q "^pinned "'
check '"$B" --ram 512M --strategy direct,pinned mixed.lpb | grep -q "^pinned "'
# stdin
check '"$B" --cpus 2 - < mixed.lpb | grep -v "^== " > s1.txt && grep -v "^== " t1.txt | cmp -s - s1.txt'

# bad input: one line, non-zero exit, no output
expect_err '"$B"' 'expected at least one TRACE'
expect_err '"$B" --bogus mixed.lpb' "unknown option '--bogus'"
expect_err '"$B" --cpu nosuchcpu mixed.lpb' "unknown CPU preset 'nosuchcpu'"
expect_err '"$B" --strategy fast mixed.lpb' "unknown strategy 'fast'"
expect_err '"$B" --split VMSPLIT_5G mixed.lpb' "unknown split 'VMSPLIT_5G'"
expect_err '"$B" --format xml mixed.lpb' "expected table, csv or json"
expect_err '"$B" --ram lots mixed.lpb' "expected a size"
expect_err '"$B" --ram 8M mixed.lpb' "expected a size between 16M and 62G"
expect_err '"$B" --cpus 9 mixed.lpb' "expected a number from 1 to 8"
expect_err '"$B" --sweep threshold=4096..64 mixed.lpb' "expected HI >= LO"
expect_err '"$B" --sweep nosuch.param=1..2 mixed.lpb' "unknown 'nosuch.param'"
expect_err '"$B" --sweep utlb.i.repl=1..2 mixed.lpb' "is not numeric"
expect_err '"$B" missing.lpb' "missing.lpb: cannot open"
printf 'cp15.ttbr0 = 1\nnot a line\n' > bad.conf
expect_err '"$B" --config bad.conf mixed.lpb' "bad.conf:2: "
printf '# lpae-trace v1\n0 1 sys_enter sys=read\n0 1 bogus\n' > bad.txt
expect_err '"$B" bad.txt' "bad.txt:3: "
size=$(wc -c < mixed.lpb)
head -c $((size - 50)) mixed.lpb > cut.lpb
expect_err '"$B" cut.lpb' "truncated"
# a configuration that cannot run the trace: the report shows it failed, one line says why
"$B" --cpus 1 mixed.lpb > out.txt 2> err.txt; rc=$?
check '[ $rc -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -q "CPU 1 but the configuration has 1 CPU" err.txt && grep -q "failed: event" out.txt'
expect_err '"$B" --json /nonexistent/dir/x.json mixed.lpb' "/nonexistent/dir/x.json: cannot create"
check '[ ! -e x.json ] && [ -z "$(ls | grep tmp)" ]'

echo "bench_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
