#!/bin/sh
# Install the Debian packages lpae needs, or stop with one line saying what
# to install. Used by `make demo` and `make test`; every package named here
# is one that a target of the Makefile needs.
set -u
need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_hdr() { [ -f "/usr/include/$1" ]; }
have_cmd cmake || need="$need cmake"
have_cmd cc || need="$need gcc"
have_cmd make || need="$need make"
have_cmd pkg-config || need="$need pkg-config"
have_hdr gelf.h || need="$need libelf-dev"
have_hdr cmocka.h || need="$need libcmocka-dev"
have_hdr uthash.h || need="$need uthash-dev"
# make test also runs the QEMU conformance slice (tests/conformance).
have_cmd qemu-system-arm || need="$need qemu-system-arm"
have_cmd arm-none-eabi-gcc || need="$need gcc-arm-none-eabi"
# test_elf also loads real armhf shared objects from the cross libc.
[ -f /usr/arm-linux-gnueabihf/lib/libc.so.6 ] || need="$need libc6-armhf-cross"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif have_cmd sudo && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "lpae: missing packages; run: sudo apt-get install -y$need" >&2; exit 1
fi
echo "lpae: installing$need" >&2
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need; } >/tmp/lpae-apt.log 2>&1; then
    echo "lpae: could not install$need (see /tmp/lpae-apt.log); run: sudo apt-get install -y$need" >&2
    exit 1
fi
