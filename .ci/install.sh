#!/usr/bin/env bash
# Installs the toolchains needed to build and test mp.h on Debian 12 (root, no sudo).
# Idempotent: when every required command already exists it does nothing (no apt).
#
#   gcc, g++, clang, make            native compilers
#   musl-gcc                         musl-tools
#   tcc                              tcc
#   x86_64-w64-mingw32-gcc / -g++    gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64
#   wine -> /usr/lib/wine/wine64     wine, wine64 (64-bit only, no i386 multiarch)
#   clang-format                     clang-format
#   lld-link                         lld (the clang-cl leg links with it; clang-cl is clang's)
#   python3                          python3 (benchmarks vs. Python multiprocessing)
#   cmake, pkg-config                cmake, pkg-config (the consumers leg: the installed package)
#   (make stress also uses timeout, dd and awk: coreutils and mawk, always installed)
set -euo pipefail

# command -> Debian package providing it
declare -A PKG=(
    [gcc]=gcc
    [g++]=g++
    [clang]=clang
    [make]=make
    [musl-gcc]=musl-tools
    [tcc]=tcc
    [x86_64-w64-mingw32-gcc]=gcc-mingw-w64-x86-64
    [x86_64-w64-mingw32-g++]=g++-mingw-w64-x86-64
    [wine]=wine
    [clang-format]=clang-format
    [lld-link]=lld
    [python3]=python3
    [cmake]=cmake
    [pkg-config]=pkg-config
)

missing=()
for cmd in "${!PKG[@]}"; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        missing+=("${PKG[$cmd]}")
    fi
done
# Debian 12 has no /usr/bin/wine64: the wine64 package ships the 64-bit loader here
# (/usr/bin/wine is a wrapper script from the 'wine' package that execs it).
if [ ! -x /usr/lib/wine/wine64 ]; then
    missing+=(wine64)
fi
# AddressSanitizer's runtime for clang (the asan leg of the tests).
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a >/dev/null 2>&1; then
    missing+=(libclang-rt-dev)
fi
# clang-cl (the clang-cl legs of the tests) comes with clang-tools, not with clang.
if ! command -v clang-cl >/dev/null 2>&1 && ! command -v clang-cl-14 >/dev/null 2>&1; then
    missing+=(clang-tools)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install.sh: all tools present, nothing to do"
    exit 0
fi

# de-duplicate, stable order
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install.sh: installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q --no-install-recommends -o Dpkg::Use-Pty=0
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

apt-get update -q
apt-get install "${apt_opts[@]}" "${missing[@]}"

# Verify.
fail=0
for cmd in "${!PKG[@]}"; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "install.sh: ERROR: '$cmd' still missing after install" >&2
        fail=1
    fi
done
[ -x /usr/lib/wine/wine64 ] || { echo "install.sh: ERROR: /usr/lib/wine/wine64 missing" >&2; fail=1; }
exit "$fail"
