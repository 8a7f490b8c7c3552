#!/usr/bin/env bash
# Builds and runs every benchmark; each prints its rows and ratios.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
for src in bench/*.c; do
    exe=build/bench/$(basename "$src" .c)
    cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -o "$exe" "$src"
    "$exe"
    echo
done
# Windows: the mingw-w64 build of bench_win.c under Wine, mp.h against raw Win32 calls
# (CreateProcess + WaitForSingleObject, a named pipe, a semaphore ping-pong) in the same run.
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && command -v wine >/dev/null 2>&1; then
    x86_64-w64-mingw32-gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -static \
        -o build/bench/bench_win.exe bench/bench_win.c
    WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d" \
        WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}" wine build/bench/bench_win.exe | tr -d '\r'
fi
