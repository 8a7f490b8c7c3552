#!/usr/bin/env bash
# Builds and runs every benchmark; each prints its rows and ratios. The run's output is kept in
# build/bench/results.txt and its @ratio lines drawn by bench/chart.py into build/bench/chart.svg
# (BENCH_CHART=bench/chart.svg make bench: the chart the README shows).
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
: >build/bench/results.txt
for src in bench/*.c; do
    exe=build/bench/$(basename "$src" .c)
    cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -o "$exe" "$src"
    "$exe" | tee -a build/bench/results.txt
    echo
done
# Windows: the mingw-w64 build of bench_win.c under Wine, mp.h against raw Win32 calls
# (CreateProcess + WaitForSingleObject, a named pipe, a semaphore ping-pong) in the same run.
if command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 && command -v wine >/dev/null 2>&1; then
    x86_64-w64-mingw32-gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -static \
        -o build/bench/bench_win.exe bench/bench_win.c
    WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d" \
        WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}" wine build/bench/bench_win.exe | tr -d '\r' | tee -a build/bench/results.txt
fi
if command -v python3 >/dev/null 2>&1; then # bench/chart-results.txt: the run behind bench/chart.svg
    python3 bench/chart.py build/bench/results.txt "${BENCH_CHART:-build/bench/chart.svg}"
else
    echo "chart: python3 not installed, no build/bench/chart.svg"
fi
