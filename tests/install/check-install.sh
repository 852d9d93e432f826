#!/bin/bash
# Usage: check-install.sh SOURCE_DIR BINARY_DIR CC [EXTRA_CFLAGS]
# Installs BINARY_DIR into a fresh temporary prefix, then builds and runs
# examples/walkdepth against it three ways: find_package(lpae) with the
# shared library, find_package(lpae COMPONENTS static) with the static one,
# and plain pkg-config. Fails on the first step that fails.
set -euo pipefail
src=$1 bin=$2 cc=$3 extra=${4:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lpae-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step() { echo "== $*"; }

step "install into $tmp/prefix"
cmake --install "$bin" --prefix "$tmp/prefix" >"$tmp/install.log"
for f in include/lpae/walk.h include/lpae/pgtable.h; do
    test -f "$tmp/prefix/$f" || { echo "not installed: $f"; exit 1; }
done
pc=$(find "$tmp/prefix" -name lpae.pc)
cfg=$(find "$tmp/prefix" -name lpaeConfig.cmake)
test -n "$pc" || { echo "lpae.pc not installed"; exit 1; }
test -n "$cfg" || { echo "lpaeConfig.cmake not installed"; exit 1; }
find "$tmp/prefix" -name 'liblpae.a' | grep -q . || { echo "liblpae.a not installed"; exit 1; }
find "$tmp/prefix" -name 'liblpae.so*' | grep -q . || { echo "liblpae.so not installed"; exit 1; }

expect_output() { # the example must print its header and at least one translation
    grep -q '^split VMSPLIT_4G_4G' "$1" && grep -q 'PAR 0x' "$1" ||
        { echo "unexpected example output:"; cat "$1"; exit 1; }
}

for kind in shared static; do
    step "find_package(lpae) ($kind)"
    static=OFF; [ "$kind" = static ] && static=ON
    cmake -S "$src/examples" -B "$tmp/ex-$kind" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DCMAKE_BUILD_TYPE=Debug \
        -DLPAE_EXAMPLE_STATIC=$static >"$tmp/ex-$kind.log" || { cat "$tmp/ex-$kind.log"; exit 1; }
    cmake --build "$tmp/ex-$kind" -j1 >>"$tmp/ex-$kind.log" || { cat "$tmp/ex-$kind.log"; exit 1; }
    "$tmp/ex-$kind/walkdepth" >"$tmp/out-$kind.txt"
    expect_output "$tmp/out-$kind.txt"
    if [ "$kind" = static ] && readelf -d "$tmp/ex-$kind/walkdepth" | grep -q 'liblpae\.so'; then
        echo "static example still needs liblpae.so"; exit 1
    fi
done

step "pkg-config"
export PKG_CONFIG_PATH="$(dirname "$pc")"
pkg-config --exists --print-errors lpae
pkg-config --static --libs lpae | grep -q -- '-lelf' || { echo "lpae.pc lacks libelf for static links"; exit 1; }
libdir=$(pkg-config --variable=libdir lpae)
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra $(pkg-config --cflags lpae) \
    "$src/examples/walkdepth.c" -o "$tmp/walkdepth-pc" $(pkg-config --libs lpae) -Wl,-rpath,"$libdir"
"$tmp/walkdepth-pc" >"$tmp/out-pc.txt"
expect_output "$tmp/out-pc.txt"
cmp "$tmp/out-shared.txt" "$tmp/out-pc.txt"
cmp "$tmp/out-shared.txt" "$tmp/out-static.txt"
step "ok"
