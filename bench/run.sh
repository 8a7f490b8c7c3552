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
