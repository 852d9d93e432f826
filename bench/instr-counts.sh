#!/bin/sh
# Instructions per operation, counted by callgrind: the repeatable speed
# figures (timings on a shared host are noise; these are not). Used for the
# before/after table of docs/performance.md.
#
# usage: bench/instr-counts.sh [BUILD_DIR [PRESET]]   (default: build cortex-a15)
#
# Prints, for the translation cases of bin/speed (--case 0..4), the
# inclusive instructions per call of lpae_cpu_translate() (lpae_walk() for
# case 4), and for a generated mixed trace (lpaesim gen mixed count=300
# touches=2 bs=4K, 147,696 events) the instructions per event of reading it
# (binary, text) and of replaying it through one configuration (pinned,
# VMSPLIT_4G_4G, the PRESET CPUs (Cortex-A15 unless given), 2 of them), whole process, set-up included; and
# the same for a user-access-heavy trace (touches=64, count=100), each also
# read and replayed as text.
set -eu
B=${1:-build}
P=${2:-cortex-a15}
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "instr-counts: $tool not found (Debian: apt-get install valgrind)" >&2
        exit 1
    }
done
[ -x "$B/bin/speed" ] && [ -x "$B/bin/lpaesim" ] || {
    echo "instr-counts: $B/bin/speed or $B/bin/lpaesim missing (build first: make build)" >&2
    exit 1
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

# inclusive cost of every call of function $2 in callgrind file $1, divided
# by the number of calls
per_call() {
    callgrind_annotate --inclusive=yes --tree=calling "$1" 2>/dev/null |
        awk -v fn=":$2 " '
            $0 ~ /^ *[0-9,]+ .*>   / && index($0, fn) {
                c = $1; gsub(",", "", c)
                n = $0; sub(/.*\(/, "", n); sub(/x\).*/, "", n); gsub(",", "", n)
                cost += c; calls += n
            }
            END { if (calls) printf "%.0f", cost / calls; else printf "?" }'
}

total() {
    valgrind --tool=callgrind --callgrind-out-file="$T/cg" "$@" >"$T/out" 2>"$T/err"
    sed -n 's/.*Collected : *//p' "$T/err"
}

echo "translation cases (instructions per call):"
for c in 0 1 2 3 4; do
    valgrind --tool=callgrind --callgrind-out-file="$T/cg" "$B/bin/speed" --quick --runs 1 \
        --only xlate --case "$c" >/dev/null 2>&1
    fn=lpae_cpu_translate
    [ "$c" = 4 ] && fn=lpae_walk
    case $c in
    0) name="micro-TLB hit (fast path)" ;;
    1) name="main-TLB hit" ;;
    2) name="walk from the walk cache" ;;
    3) name="full 3-level walk, caches on" ;;
    4) name="bare lpae_walk()" ;;
    esac
    printf '  --case %s  %-32s %s\n' "$c" "$name" "$(per_call "$T/cg" "$fn")"
done

"$B/bin/lpaesim" gen mixed count=300 touches=2 bs=4K -o "$T/mixed.lpb" --to binary
# count_trace NAME FILE.lpb: instructions per event of reading and replaying
# FILE.lpb and its text form
count_trace() {
    "$B/bin/lpaesim" convert "$2" -o "${2%.lpb}.lpt" --to text
    ev=$("$B/bin/speed" --child-read "$2" | cut -d' ' -f1)
    echo "$1, $ev events (instructions per event, whole process; replay on $P):"
    for what in read:binary:lpb read:text:lpt replay:binary:lpb replay:text:lpt; do
        mode=${what%%:*}
        rest=${what#*:}
        n=$(total "$B/bin/speed" "--child-$mode" "${2%.lpb}.${rest#*:}" "$P")
        printf '  %-7s %-7s %s\n' "$mode" "${rest%%:*}" "$(echo "$n $ev" | awk '{printf "%.0f", $1 / $2}')"
    done
}
count_trace "mixed trace" "$T/mixed.lpb"

# the user-access-heavy trace of bin/speed: 64 user touches per syscall
"$B/bin/lpaesim" gen mixed count=100 touches=64 bs=4K -o "$T/user.lpb" --to binary
count_trace "user-access-heavy trace (touches=64)" "$T/user.lpb"
