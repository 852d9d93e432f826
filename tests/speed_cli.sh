#!/bin/sh
# usage: speed_cli.sh SPEED SRCDIR TMPDIR
# bench/speed as a user runs it on their own trace: rows for the floor and
# the replay, a JSON file written whole, and one line on a bad trace.
set -u
S=$1
SRC=$2
T=$3
rm -rf "$T" && mkdir -p "$T" || exit 1
fail() {
    echo "speed_cli: $*" >&2
    exit 1
}
"$S" --quick --runs 1 --only traces --tmpdir "$T" --trace "$SRC/bench/traces/xz.lpb.gz" \
    --json "$T/out.json" >"$T/out" 2>"$T/err" || fail "speed --trace xz failed: $(cat "$T/err")"
grep -q '^read+parse (floor): xz.lpb.gz' "$T/out" || fail "no floor row: $(cat "$T/out")"
grep -q '^replay: xz.lpb.gz, 1 config ' "$T/out" || fail "no replay row: $(cat "$T/out")"
grep -q '"name": "replay: xz.lpb.gz, 1 config / floor"' "$T/out.json" || fail "no JSON ratio row"
# an imported capture replays with its header's settings (implicit VMAs), so
# its copies are modelled, not faulted: xz copies 2,631,752 bytes in 1,760
# events (regression: bench/speed once replayed it with strict VMAs, 2.7 per event)
b=$(sed -n 's/^work per event: xz.lpb.gz, bytes copied *\([0-9.]*\) .*/\1/p' "$T/out")
[ -n "$b" ] || fail "no bytes-copied row: $(cat "$T/out")"
awk -v b="$b" 'BEGIN { exit !(b > 1400 && b < 1600) }' || fail "xz copied $b bytes per event, expected about 1495"
[ ! -e "$T/out.json.tmp" ] || fail "temporary JSON left behind"
ls "$T" | grep -q '^lpae-speed' && fail "temporary trace directory left behind"
printf '# lpae-trace v1\n0 100 switch\n0 100 bogus\n' >"$T/bad.lpt"
if "$S" --quick --runs 1 --only traces --tmpdir "$T" --trace "$T/bad.lpt" >"$T/out" 2>"$T/err"; then
    fail "a bad trace was accepted"
fi
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "more than one error line: $(cat "$T/err")"
grep -q 'bad.lpt:3' "$T/err" || fail "error does not name file:line: $(cat "$T/err")"
ls "$T" | grep -q '^lpae-speed' && fail "temporary trace directory left behind after the error"
rm -rf "$T"
echo "speed_cli: ok"
