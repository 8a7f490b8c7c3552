#!/usr/bin/env bash
# mp.h against real Python's multiprocessing.connection and shared_memory (tests/interop.py),
# with every interpreter found: the system's python3 (Debian: 3.11), the pyenv builds 3.12
# and 3.13 where present, and any other python3.N on PATH. One that is missing is skipped with
# a note. Ends with the line "N passed, N failed" (tests/run_all.sh reads it).
set -u
cd "$(dirname "$0")/.."
B=build/legs
mkdir -p "$B"
CC=${CC:-gcc}
if ! $CC -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -o $B/interop_peer tests/interop_peer.c; then
    echo "interop_peer did not build"
    echo "0 passed, 1 failed"
    exit 1
fi
PYENV=${PYENV_ROOT:-/root/.pyenv}/versions
candidates="python3 $PYENV/3.12.1/bin/python3 $PYENV/3.13.0/bin/python3"
for v in 3.8 3.9 3.10 3.11 3.12 3.13 3.14; do candidates="$candidates python$v"; done
for d in "$PYENV"/3.1[2-9]*; do [ -x "$d/bin/python3" ] && candidates="$candidates $d/bin/python3"; done
passed=0
failed=0
seen=" "
for py in $candidates; do
    if ! command -v "$py" >/dev/null 2>&1; then
        case $py in */*) echo "note: $py not present, skipped" ;; esac
        continue
    fi
    ver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
    case $seen in *" $ver "*) continue ;; esac
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
        echo "note: $py is $ver (shared_memory needs 3.8), skipped"
        continue
    fi
    seen="$seen$ver "
    echo "== Python $ver ($py)"
    out=$(timeout 300 "$py" tests/interop.py $B/interop_peer 2>&1)
    rc=$?
    printf '%s\n' "$out"
    last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$last" ]; then
        echo "FAIL Python $ver: no summary (exit $rc)"
        failed=$((failed + 1))
        continue
    fi
    p=${last%% passed*}
    f=${last#*, }
    f=${f%% failed*}
    passed=$((passed + p))
    failed=$((failed + f))
done
[ "$seen" = " " ] && echo "note: no Python 3.8+ found: interop skipped"
echo "interop matrix: Python${seen}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
