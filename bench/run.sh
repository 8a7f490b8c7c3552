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
if command -v python3 >/dev/null 2>&1; then # bench/chart-results.txt: the run behind bench/chart.svg
    python3 bench/chart.py build/bench/results.txt "${BENCH_CHART:-build/bench/chart.svg}"
else
    echo "chart: python3 not installed, no build/bench/chart.svg"
fi
