#!/usr/bin/env bash
# make stress: the fault tests (and a few heavy ones) over and over, under CPU, memory and
# fork load, in the fork, spawn, portable (fork and spawn) and Wine legs. One hang or one
# wrong count fails the run. Ends with "N passed, N failed" (one count per test run).
#
#   STRESS_SECONDS   time for the test runs, shared by the legs (default 360; quick: 150);
#                    each leg runs the whole selection (one run of tests/main.c -x NAMES)
#                    at least once, then again while its share lasts
#   STRESS_ROUNDS    MP_TEST_ROUNDS for each run: multiplies each fault test's own loop
#                    (default 5; quick: 2)
#   STRESS_QUICK=1   the short, bounded version CI runs (about 3 minutes)
#   STRESS_LEGS      legs to run (default "fork spawn forkserver portable-fork portable-spawn
#                    wine"; also portable-forkserver, asan-fork, asan-spawn, asan-forkserver,
#                    and wine-wake: see below)
#   wine-wake        Windows waits (issue 12): the condition, barrier and queue tests and
#                    sync_wake_latency, STRESS_WAKE_RUNS passes (default 200) under Wine, after
#                    the background load has stopped (it would measure the scheduler); fails
#                    on any failure or timeout, and when more than 1 wake in 1000 took 20 ms
#                    or more (the old Windows wait re-read its word every 20 ms: a lost wake
#                    showed as a steady share of 20 ms wakes; a lone outlier on a busy
#                    machine is the scheduler's); prints the worst wake latency seen. Not
#                    timed by STRESS_SECONDS (3 to 4 s a pass).
#   STRESS_TIMEOUT   seconds one test may take before it counts as hung (default 180; quick 90)
#   STRESS_LOAD=0    no background load
#   MP_REQUIRE_ALL=1 a leg whose tool is missing (wine) fails the run instead of a note
set -u
cd "$(dirname "$0")/.."
B=build/stress
mkdir -p "$B"
WARN="-Wall -Wextra -Wpedantic -Werror"

# What is repeated: every test whose name contains one of these words, and these by name.
# Extend here (a fault test's name must contain "killed" or "fault": see tests/test.h).
PATTERNS=(killed fault died dies dead crash owner orphan torture)
HEAVY=(queue_many_producers_consumers lock_counter condition_producer_consumer arena_concurrent_alloc
    lock_interrupt_random pool_idle_workers_join_in)
WAKE_TESTS=(condition_producer_consumer condition_notify_n barrier barrier_timeout_abort_reset
    queue_basic queue_joinable sync_wake_latency)

if [ "${STRESS_QUICK:-0}" = 1 ]; then
    TOTAL=${STRESS_SECONDS:-150}
    ROUNDS=${STRESS_ROUNDS:-2}
    TIMEOUT=${STRESS_TIMEOUT:-90}
else
    TOTAL=${STRESS_SECONDS:-360}
    ROUNDS=${STRESS_ROUNDS:-5}
    TIMEOUT=${STRESS_TIMEOUT:-180}
fi
read -r -a LEGS <<<"${STRESS_LEGS:-fork spawn forkserver portable-fork portable-spawn wine}"
MINGW=x86_64-w64-mingw32-gcc
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d"
export WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}"

passed=0
failed=0
skipped=()
have() { command -v "$1" >/dev/null 2>&1; }
now() { date +%s; }

# -- build what the legs need (before the load starts)
need() { # need BINARY: is a leg that uses it selected?
    local l
    for l in "${LEGS[@]}"; do
        case "$1:$l" in
        gcc:fork | gcc:spawn | gcc:forkserver | portable:portable-* | asan:asan-* | wine:wine | wine:wine-wake) return 0 ;;
        esac
    done
    return 1
}
# build OUT SAME COMMAND...: builds OUT, or copies SAME (the binary tests/run_all.sh built
# with the same flags) when that is newer than every source, as it is right after make test.
build() {
    local out=$1 same=$2
    shift 2
    if [ -x "$same" ] && [ -z "$(find mp.h tests -newer "$same" \( -name '*.[ch]' -o -name '*.cpp' \) | head -n 1)" ]; then
        echo "== $out: $same is up to date"
        cp "$same" "$out.new" && mv -f "$out.new" "$out" && return
    fi
    echo "== build $out"
    if ! "$@"; then
        echo "== FAIL build"
        echo "0 passed, 1 failed"
        exit 1
    fi
}
L=build/legs
build $B/t $L/tests_gcc gcc -std=c99 $WARN -O2 -g -o $B/t tests/main.c
need portable && build $B/t_portable $L/tests_portable \
    gcc -std=c11 $WARN -O2 -g -DMP_PORTABLE -o $B/t_portable tests/main.c
need asan && build $B/t_asan $L/tests_asan clang -std=c11 $WARN -O1 -g -fsanitize=address,undefined \
    -fno-sanitize-recover=all -fno-omit-frame-pointer -o $B/t_asan tests/main.c
if need wine; then
    if have $MINGW && have wine; then
        build $B/t.exe $L/tests.exe $MINGW -std=c99 $WARN -O2 -static -o $B/t.exe tests/main.c
    else
        echo "== SKIP wine: $MINGW or wine not installed"
        skipped+=(wine)
    fi
fi

# -- the selection
pattern=$(
    IFS='|'
    echo "${PATTERNS[*]}"
)
mapfile -t FAULT < <($B/t -l | tail -n +2 | grep -E "$pattern")
mapfile -t TESTS < <(
    printf '%s\n' "${FAULT[@]}"
    [ ${#HEAVY[@]} -eq 0 ] || $B/t -l -x "${HEAVY[@]}" | tail -n +2
)
mapfile -t TESTS < <(printf '%s\n' "${TESTS[@]}" | awk 'NF && !seen[$0]++')
if [ ${#TESTS[@]} -eq 0 ]; then
    echo "no test matches the selection"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "== ${#TESTS[@]} tests: ${TESTS[*]}"
echo "   (under Wine only the ${#FAULT[@]} fault tests: the heavy ones take minutes there)"
echo "== legs: ${LEGS[*]}; ${TOTAL} s of runs; MP_TEST_ROUNDS=$ROUNDS; a test hangs after ${TIMEOUT} s"

# -- the load: busy loops on every core and more, and a loop that forks programs which
#    allocate and touch 64 MiB each; all killed on exit
load_pids=()
stop_load() {
    local p
    for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null; done
    load_pids=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM
if [ "${STRESS_LOAD:-1}" != 0 ]; then
    for i in 1 2 3; do
        (while :; do :; done) &
        load_pids+=($!)
    done
    (while :; do dd if=/dev/zero of=/dev/null bs=64M count=1 status=none; done) &
    load_pids+=($!)
    echo "== load: 3 busy loops, fork + 64 MiB churn (pids ${load_pids[*]})"
fi

# tally OUT RC: the counts of one run (p, f; a run with no summary line, or that failed with no
# failed test, counts as one failure), added to passed, failed and the leg's bad.
tally() {
    local last
    last=$(printf '%s\n' "$1" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -n "$last" ]; then
        p=${last%% passed*}
        f=${last#*, }
        f=${f%% failed*}
    else
        p=0
        f=1
    fi
    [ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    bad=$((bad + f))
}

# run_leg LEG SECONDS COMMAND...: passes over the selection (one run of the runner each)
# until the time is up, at least one.
run_leg() {
    local leg=$1 budget=$2 start pass=0 bad=0 out last p f rc
    shift 2
    start=$(now)
    echo "== leg $leg (${budget} s)"
    while :; do
        pass=$((pass + 1))
        out=$(
            set -o pipefail
            MP_TEST_ROUNDS=$ROUNDS timeout -k 10 $((TIMEOUT * ${#SEL[@]} + 60)) \
                "$@" -t "$TIMEOUT" -x "${SEL[@]}" 2>&1 | tr -d '\r'
        )
        rc=$?
        tally "$out" "$rc"
        if [ "$f" -gt 0 ]; then
            echo "   FAIL $leg pass $pass (exit $rc):"
            printf '%s\n' "$out" | grep -v -E '^(ok |mp\.h tests:)' | sed 's/^/      /' | head -n 60
        fi
        [ $(($(now) - start)) -ge "$budget" ] && break
    done
    echo "   $leg: $pass passes of ${#SEL[@]} tests, $bad failed, $(($(now) - start)) s"
}

# run_wake_leg: the wine-wake leg (see the top).
run_wake_leg() {
    local runs=${STRESS_WAKE_RUNS:-200} i out rc last p f w s n worst=0 stalls=0 wakes=0 bad=0 start
    start=$(now)
    echo "== leg wine-wake: $runs passes of ${WAKE_TESTS[*]} (no background load)"
    for ((i = 1; i <= runs; i++)); do
        out=$(
            set -o pipefail
            MP_TEST_ROUNDS=1 timeout -k 10 $((TIMEOUT * ${#WAKE_TESTS[@]} + 60)) \
                wine $B/t.exe -t "$TIMEOUT" -x "${WAKE_TESTS[@]}" 2>&1 | tr -d '\r'
        )
        rc=$?
        tally "$out" "$rc"
        [ "$f" -gt 0 ] && printf '%s\n' "$out" | grep -v -E '^(ok |mp\.h tests:)' | sed 's/^/      /' | head -n 40
        w=$(printf '%s\n' "$out" | sed -n 's/.*wake latency: worst \([0-9.]*\) ms.*/\1/p' | head -n 1)
        s=$(printf '%s\n' "$out" | sed -n 's/.*wakes, \([0-9]*\) of 20 ms or more.*/\1/p' | head -n 1)
        n=$(printf '%s\n' "$out" | sed -n 's/.* over \([0-9]*\) wakes,.*/\1/p' | head -n 1)
        wakes=$((wakes + ${n:-0}))
        [ -n "$w" ] && worst=$(awk -v a="$worst" -v b="$w" 'BEGIN { print (b > a) ? b : a }')
        stalls=$((stalls + ${s:-0}))
    done
    echo "   wine-wake: $runs passes, $bad failed, worst wake latency $worst ms," \
        "$stalls of $wakes wakes took 20 ms or more, $(($(now) - start)) s"
    if [ $((stalls * 1000)) -gt "$wakes" ]; then
        echo "   FAIL wine-wake: more than 1 wake in 1000 took 20 ms or more"
        failed=$((failed + 1))
    fi
}

nlegs=0
for leg in "${LEGS[@]}"; do
    [ "$leg" = wine-wake ] && continue
    [ "$leg" = wine ] && [ ${#skipped[@]} -gt 0 ] && continue
    nlegs=$((nlegs + 1))
done
share=$((TOTAL / (nlegs > 0 ? nlegs : 1)))
began=$(now)
for leg in "${LEGS[@]}"; do
    SEL=("${TESTS[@]}")
    [ "$leg" = wine ] && SEL=("${FAULT[@]}")
    case $leg in
    fork | spawn | forkserver) run_leg "$leg" $share env MP_START_METHOD=$leg $B/t ;;
    portable-fork | portable-spawn | portable-forkserver)
        run_leg "$leg" $share env MP_START_METHOD=${leg#portable-} $B/t_portable
        ;;
    asan-fork | asan-spawn | asan-forkserver)
        run_leg "$leg" $share env ASAN_OPTIONS=handle_segv=0:handle_abort=0:detect_leaks=1 \
            MP_START_METHOD=${leg#asan-} $B/t_asan
        ;;
    wine) [ ${#skipped[@]} -eq 0 ] && run_leg wine $share wine $B/t.exe ;;
    wine-wake)
        stop_load
        [ ${#skipped[@]} -eq 0 ] && run_wake_leg
        ;;
    *)
        echo "== unknown leg $leg"
        failed=$((failed + 1))
        ;;
    esac
done
stop_load

echo
echo "stress: ${#TESTS[@]} tests, legs ${LEGS[*]}, $(($(now) - began)) s of runs"
if [ ${#skipped[@]} -gt 0 ]; then
    echo "skipped legs: ${skipped[*]}"
    if [ "${MP_REQUIRE_ALL:-0}" = 1 ]; then
        echo "MP_REQUIRE_ALL=1: a skipped leg is a failure"
        failed=$((failed + ${#skipped[@]}))
    fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
