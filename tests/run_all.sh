#!/usr/bin/env bash
# Every leg of the test suite, then one closing line "N passed, N failed".
# Legs: the suite under fork, spawn and forkserver (gcc), with the portable POSIX fallbacks forced
# (the stand-in for macOS and the BSDs), under AddressSanitizer + UBSan and ThreadSanitizer
# (clang), built by g++ as C++, musl-gcc and tcc, the mingw-w64 build under Wine, and mp.h
# against real Python (tests/interop.sh: every interpreter found); then the
# compile matrix and the format check. A leg whose tool is missing is skipped with a note, or
# fails the run when MP_REQUIRE_ALL=1 (as CI sets it).
# Speed: one background job builds the legs' binaries in order and then runs the compile matrix
# (its results are printed at the end, in order), while the legs run as soon as their binary
# is there; so at most one compile runs beside the tests.
set -u
cd "$(dirname "$0")/.."
B=build/legs
mkdir -p "$B"
rm -rf "$B/bg"
mkdir -p "$B/bg/matrix"
WARN="-Wall -Wextra -Wpedantic -Werror"
MINGW=x86_64-w64-mingw32-gcc
passed=0
failed=0
skipped=()
legs_failed=()

have() { command -v "$1" >/dev/null 2>&1; }
skip() {
    echo "== SKIP $1: $2"
    skipped+=("$1")
}
fail_leg() {
    echo "== FAIL $1"
    legs_failed+=("$1")
    failed=$((failed + 1))
}
# run_suite LEG COMMAND...: runs the suite, adds its counts.
run_suite() {
    local leg=$1 out last p f
    shift
    echo "== leg $leg"
    out=$(
        set -o pipefail
        "$@" 2>&1 | tr -d '\r'
    )
    local rc=$?
    printf '%s\n' "$out" | grep -v '^ok ' || true
    last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$last" ]; then
        fail_leg "$leg (no summary line, exit $rc)"
        return
    fi
    p=${last%% passed*}
    f=${last#*, }
    f=${f%% failed*}
    passed=$((passed + p))
    failed=$((failed + f))
    echo "   $leg: $last"
    [ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || fail_leg "$leg (exit $rc)"
}
# The background job's part. bg_build LEG COMMAND...: builds a leg's binary, then says so.
bg_build() {
    local leg=$1
    shift
    "$@" >"$B/bg/build_$leg.log" 2>&1
    echo $? >"$B/bg/build_$leg.rc"
}
# matrix NAME COMMAND...: one compile-matrix entry; its result is read at the end.
mcount=0
matrix() {
    local name=$1 id
    shift
    mcount=$((mcount + 1))
    id=$(printf '%04d' $mcount)
    printf '%s\n' "$name" >"$B/bg/matrix/$id.name"
    "$@" >"$B/bg/matrix/$id.log" 2>&1
    echo $? >"$B/bg/matrix/$id.rc"
}
# order NAME COMPILER-AND-FLAGS...: tests/compile_order.c (system headers first) compiles, or
# stops with exactly one error, mp.h's #error; with -D_GNU_SOURCE it always compiles.
order() {
    local name=$1 out
    shift
    if out=$("$@" -c -o "$B/bg/order_$mcount.o" tests/compile_order.c 2>&1); then
        echo "compiles"
    else
        printf '%s\n' "$out"
        [ "$(printf '%s\n' "$out" | grep -c 'error:')" -eq 1 ] &&
            printf '%s\n' "$out" | grep -q 'error: .*mp.h: include it before any system header' &&
            echo "one #error, as it should" || return 1
    fi
    "$@" -D_GNU_SOURCE -c -o "$B/bg/order_$mcount.o" tests/compile_order.c
}

# build LEG: waits for the background job's build of LEG; failure fails the leg.
build() {
    local leg=$1
    while [ ! -s "$B/bg/build_$leg.rc" ]; do
        if ! kill -0 "$BG" 2>/dev/null && [ ! -s "$B/bg/build_$leg.rc" ]; then
            fail_leg "$leg: build never ran"
            return 1
        fi
        sleep 0.2
    done
    cat "$B/bg/build_$leg.log"
    if [ "$(cat "$B/bg/build_$leg.rc")" != 0 ]; then
        fail_leg "$leg: build failed"
        return 1
    fi
}

# -- the background job: every leg's build, then the compile matrix
(
    set +e
    bg_build gcc gcc -std=c99 $WARN -O2 -g -o $B/tests_gcc tests/main.c
    bg_build portable gcc -std=c11 $WARN -O2 -g -DMP_PORTABLE -o $B/tests_portable tests/main.c
    if have clang; then
        bg_build asan clang -std=c11 $WARN -O1 -g -fsanitize=address,undefined \
            -fno-sanitize-recover=all -fno-omit-frame-pointer -o $B/tests_asan tests/main.c
        bg_build tsan clang -std=c11 $WARN -O1 -g -fsanitize=thread -o $B/tests_tsan tests/main.c
    fi
    bg_build c++ g++ -x c++ -std=c++11 $WARN -O2 -o $B/tests_cpp tests/main.c
    have musl-gcc && bg_build musl musl-gcc -std=c99 $WARN -O2 -static -o $B/tests_musl tests/main.c
    have tcc && bg_build tcc tcc -Wall -Werror -o $B/tests_tcc tests/main.c
    have $MINGW && have wine && bg_build mingw $MINGW -std=c99 $WARN -O2 -static -o $B/tests.exe \
        tests/main.c

    # -- the compile matrix: every compiler and mode, warnings as errors
    for std in c99 c11 gnu99 gnu11; do
        matrix "gcc -std=$std" gcc -std=$std $WARN -c -o $B/m.o tests/compile_c.c
        have clang && matrix "clang -std=$std" clang -std=$std $WARN -c -o $B/m.o tests/compile_c.c
    done
    matrix "g++ -std=c++98" g++ -std=c++98 $WARN -Wno-long-long -c -o $B/m.o tests/compile_cpp.cpp
    matrix "g++ -std=c++17" g++ -std=c++17 $WARN -c -o $B/m.o tests/compile_cpp.cpp
    have clang++ && matrix "clang++ -std=c++11" clang++ -std=c++11 $WARN -c -o $B/m.o tests/compile_cpp.cpp
    matrix "gcc MP_STATIC, two files" gcc -std=c99 $WARN -o $B/m tests/compile_static.c tests/compile_c.c
    matrix "gcc -m64 -O3 -DMP_PORTABLE" gcc -std=c99 $WARN -O3 -DMP_PORTABLE -c -o $B/m.o tests/compile_c.c
    have musl-gcc && matrix "musl-gcc" musl-gcc -std=c99 $WARN -c -o $B/m.o tests/compile_c.c
    have tcc && matrix "tcc" tcc -Wall -Werror -c -o $B/m.o tests/compile_c.c
    if have $MINGW; then
        matrix "mingw-w64 C99" $MINGW -std=c99 $WARN -c -o $B/m.o tests/compile_c.c
        matrix "mingw-w64 windows.h before" $MINGW -std=c99 $WARN -c -o $B/m.o tests/compile_win_before.c
        matrix "mingw-w64 windows.h after" $MINGW -std=c99 $WARN -c -o $B/m.o tests/compile_win_after.c
        have x86_64-w64-mingw32-g++ && matrix "mingw-w64 C++" x86_64-w64-mingw32-g++ $WARN -c -o $B/m.o tests/compile_cpp.cpp
    fi
    # -- MSVC, as far as CI can see it: clang's MSVC target (_MSC_VER defined, -fms-compatibility)
    #    over the mingw-w64 headers, as C11 and C++17, warnings as errors, once through the paths
    #    clang takes and once with the cl.exe-only paths forced (MP__TEST_MSVC_PATHS);
    #    tests/msvc_prelude.h marks what cl.exe /sdl deprecates (C4996: getenv, strcpy...).
    if have clang && [ -d /usr/x86_64-w64-mingw32/include ]; then
        MSVCT="--target=x86_64-pc-windows-msvc -fms-compatibility -fsyntax-only
            -isystem $(clang -print-resource-dir)/include -isystem /usr/x86_64-w64-mingw32/include
            -include tests/msvc_prelude.h $WARN -Wshorten-64-to-32"
        for forced in "" -DMP__TEST_MSVC_PATHS; do
            matrix "clang MSVC target C11 $forced" clang $MSVCT $forced -std=c11 tests/compile_c.c
            matrix "clang MSVC target C++17 $forced" clang $MSVCT $forced -x c++ -std=c++17 tests/compile_cpp.cpp
            matrix "clang MSVC target MP_STATIC $forced" clang $MSVCT $forced -std=c11 tests/compile_static.c
        done
    fi
    # -- include order: system headers before mp.h, in strict and gnu modes of every compiler
    for std in c99 gnu99 c11 gnu11; do
        matrix "include order: gcc -std=$std" order x gcc -std=$std $WARN
        have clang && matrix "include order: clang -std=$std" order x clang -std=$std $WARN
    done
    for std in c99 gnu99; do
        have musl-gcc && matrix "include order: musl-gcc -std=$std" order x musl-gcc -std=$std $WARN
        have $MINGW && matrix "include order: mingw-w64 -std=$std" order x $MINGW -std=$std $WARN
    done
    for std in c++98 gnu++98 c++17 gnu++17; do
        matrix "include order: g++ -std=$std" order x g++ -x c++ -std=$std $WARN -Wno-long-long
        have clang++ && matrix "include order: clang++ -std=$std" order x clang++ -x c++ -std=$std $WARN -Wno-long-long
    done
    have tcc && matrix "include order: tcc" order x tcc -Wall -Werror
    # -- a counting MP_MALLOC: nothing of mp.h's is live at exit, under fork, spawn and Wine
    matrix "counting allocator, fork and spawn" sh -c "gcc -std=c99 $WARN -O1 -o $B/alloc_count \
        tests/alloc_count.c && MP_START_METHOD=fork $B/alloc_count && \
        MP_START_METHOD=spawn $B/alloc_count"
    if have $MINGW && have wine; then
        matrix "counting allocator, Wine" sh -c "$MINGW -std=c99 $WARN -O1 -static -o \
            $B/alloc_count.exe tests/alloc_count.c && WINEDEBUG=-all \
            WINEDLLOVERRIDES='mscoree,mshtml=;winedbg.exe=d' \
            WINEPREFIX=\"${WINEPREFIX:-$PWD/build/wineprefix}\" wine $B/alloc_count.exe"
    fi
    # -- C++ over two translation units: targets and pool tasks that use another unit's static
    #    object, with the implementation linked first and last, run under spawn (and Wine)
    CPP_TU_FIRST="tests/cpp_static_main.cpp tests/cpp_static_registry.cpp"
    CPP_TU_LAST="tests/cpp_static_registry.cpp tests/cpp_static_main.cpp"
    for order in first last; do
        if [ $order = first ]; then units=$CPP_TU_FIRST; else units=$CPP_TU_LAST; fi
        matrix "g++ two units, mp.h linked $order, spawn and fork" sh -c "g++ -std=c++11 $WARN -O2 \
            -o $B/cpp_tu_$order $units && MP_START_METHOD=spawn $B/cpp_tu_$order && \
            MP_START_METHOD=fork $B/cpp_tu_$order"
        if have x86_64-w64-mingw32-g++ && have wine; then
            matrix "mingw-w64 g++ two units, mp.h linked $order, Wine" sh -c "x86_64-w64-mingw32-g++ \
                -std=c++11 $WARN -O2 -static -o $B/cpp_tu_$order.exe $units && \
                WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=;winedbg.exe=d' \
                WINEPREFIX=\"${WINEPREFIX:-$PWD/build/wineprefix}\" wine $B/cpp_tu_$order.exe"
        fi
    done
    # -- examples: each must build alone, with the one command of its comment (running them is
    #    `make run`); and the README's programs, warning-free, built and run
    for e in examples/*.c; do
        [ -e "$e" ] || continue
        # the command of the example's comment, warnings added, the binary put in $B
        cmd=$(grep -m 1 -o 'cc -std=c99 [^&]*-pthread' "$e" | sed "s|^cc |gcc $WARN |; s|-o [^ ]*|-o ../$B/example|")
        matrix "example $(basename "$e"): ${cmd:-no build command in its comment}" sh -c "cd examples && ${cmd:-false}"
        if have $MINGW; then matrix "example $(basename "$e") (mingw)" $MINGW -std=c99 $WARN -o $B/example.exe "$e"; fi
    done
    rm -f $B/readme_*.c
    awk -v dir="$B" '/^```c$/ {n++; f = sprintf("%s/readme_%d.c", dir, n); code = 1; next}
        /^```/ {code = 0; next} code {print > f}' README.md
    for f in $B/readme_*.c; do
        grep -q 'int main' "$f" || continue
        matrix "README.md program $(basename "$f" .c)" sh -c "gcc -std=c99 $WARN -I. -o ${f%.c} $f \
            && MP_START_METHOD=fork ${f%.c} && MP_START_METHOD=spawn ${f%.c}"
    done
    # -- format
    have clang-format && matrix "clang-format" clang-format --dry-run --Werror mp.h tests/*.c \
        tests/*.h tests/*.cpp tests/consumer/*.c examples/*.c bench/*.c
    : >"$B/bg/done"
) &
BG=$!

# -- native gcc: fork and spawn
if build gcc; then
    run_suite fork env MP_START_METHOD=fork $B/tests_gcc
    run_suite spawn env MP_START_METHOD=spawn $B/tests_gcc
    run_suite forkserver env MP_START_METHOD=forkserver $B/tests_gcc
fi
# -- the portable POSIX fallbacks forced on
if build portable; then
    run_suite portable-fork env MP_START_METHOD=fork $B/tests_portable
    run_suite portable-spawn env MP_START_METHOD=spawn $B/tests_portable
    run_suite portable-forkserver env MP_START_METHOD=forkserver $B/tests_portable
fi
# -- AddressSanitizer + UndefinedBehaviorSanitizer
if have clang; then
    if build asan; then
        export ASAN_OPTIONS=handle_segv=0:handle_abort=0:detect_leaks=1
        run_suite asan-fork env MP_START_METHOD=fork $B/tests_asan
        run_suite asan-spawn env MP_START_METHOD=spawn $B/tests_asan
        run_suite asan-forkserver env MP_START_METHOD=forkserver $B/tests_asan
        unset ASAN_OPTIONS
    fi
else skip asan "clang not installed"; fi
# -- ThreadSanitizer: data races between the threads of a process (the threads_* tests), and
#    the rest of the suite, under fork
if have clang; then
    if build tsan; then
        run_suite tsan-fork env TSAN_OPTIONS=handle_segv=0:handle_abort=0 MP_START_METHOD=fork \
            $B/tests_tsan
    fi
else skip tsan "clang not installed"; fi
# -- the suite compiled as C++, with musl and with tcc
if build c++; then
    run_suite c++-spawn env MP_START_METHOD=spawn $B/tests_cpp
fi
if have musl-gcc; then
    if build musl; then
        run_suite musl-fork env MP_START_METHOD=fork $B/tests_musl
        run_suite musl-spawn env MP_START_METHOD=spawn $B/tests_musl
    fi
else skip musl "musl-gcc not installed"; fi
if have tcc; then
    if build tcc; then
        run_suite tcc-spawn env MP_START_METHOD=spawn $B/tests_tcc
    fi
else skip tcc "tcc not installed"; fi
# -- Windows: mingw-w64 under Wine
if have $MINGW && have wine; then
    if build mingw; then
        export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d" WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}"
        run_suite wine wine $B/tests.exe
    fi
else skip wine "$MINGW or wine not installed"; fi
# -- against real Python: Listener/Client and shared memory with each interpreter found
if have python3; then
    run_suite interop bash tests/interop.sh
else skip interop "python3 not installed"; fi
# -- Windows, MSVC-style: clang-cl (MSVC target, /W4), linked by lld-link against the mingw-w64
#    C runtime and import libraries (no MSVC libraries here), run under Wine; once as clang-cl
#    compiles it and once with the cl.exe-only paths forced (MP__TEST_MSVC_PATHS: _Interlocked
#    atomics, the .CRT$XCU constructor) under -flto and /OPT:REF. tests/msvc_prelude.h makes
#    the mingw-w64 headers readable for clang's MSVC target; tests/clangcl_shim.c adds _fltused.
CLANGCL=$(command -v clang-cl || command -v clang-cl-14 || true)
MINGW_LIB=/usr/x86_64-w64-mingw32/lib
MINGW_GCC_LIB=$(ls -d /usr/lib/gcc/x86_64-w64-mingw32/*-win32 2>/dev/null | head -n 1)
if [ -n "$CLANGCL" ] && have lld-link && have wine && [ -f $MINGW_LIB/crt2.o ] && [ -n "$MINGW_GCC_LIB" ]; then
    CLF="--target=x86_64-pc-windows-msvc /nologo /O2 /W4 /WX /GS- /clang:-mno-stack-arg-probe
        -Wno-deprecated-declarations /imsvc $(clang -print-resource-dir)/include
        /imsvc /usr/x86_64-w64-mingw32/include /FItests/msvc_prelude.h"
    clangcl_exe() { # OUT FLAGS...: builds the suite with clang-cl and lld-link
        local out=$1
        shift
        $CLANGCL $CLF "$@" /c tests/main.c /Fo$out.obj && $CLANGCL $CLF /c tests/clangcl_shim.c \
            /Fo$B/clangcl_shim.obj && lld-link /nologo /out:$out /subsystem:console \
            /entry:mainCRTStartup /nodefaultlib /opt:ref /alternatename:__image_base__=__ImageBase \
            $out.obj $B/clangcl_shim.obj $MINGW_LIB/crt2.o $MINGW_LIB/libmingw32.a \
            $MINGW_GCC_LIB/libgcc.a $MINGW_LIB/libmingwex.a $MINGW_LIB/libmsvcrt.a \
            $MINGW_LIB/libkernel32.a $MINGW_LIB/libadvapi32.a $MINGW_LIB/libuser32.a \
            $MINGW_LIB/libntdll.a $MINGW_GCC_LIB/libgcc.a
    }
    export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d" WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}"
    bg_build clang-cl clangcl_exe $B/tests_clangcl.exe
    if build clang-cl; then
        run_suite clang-cl wine $B/tests_clangcl.exe
    fi
    bg_build clang-cl-msvc-paths clangcl_exe $B/tests_clangcl_msvc.exe -DMP__TEST_MSVC_PATHS -flto
    if build clang-cl-msvc-paths; then
        run_suite clang-cl-msvc-paths wine $B/tests_clangcl_msvc.exe
    fi
else skip clang-cl "clang-cl, lld-link, wine or the mingw-w64 CRT not installed"; fi

# -- consumers: a small project built against the installed package (make install and
#    cmake --install into temporary prefixes) with find_package and with pkg-config, and
#    vendored with add_subdirectory and FetchContent
if have cmake && have pkg-config; then
    run_suite consumers bash tests/consumers.sh
else skip consumers "cmake or pkg-config not installed"; fi

# -- the compile matrix, run by the background job: its results, in order
echo "== compile matrix"
wait "$BG"
[ -e "$B/bg/done" ] || fail_leg "compile matrix (the background job did not finish)"
for n in "$B"/bg/matrix/*.name; do
    [ -e "$n" ] || continue
    id=${n%.name}
    if [ "$(cat "$id.rc" 2>/dev/null)" = 0 ]; then
        echo "   ok   $(cat "$n")"
        passed=$((passed + 1))
    else
        echo "   FAIL $(cat "$n")"
        sed 's/^/        /' "$id.log" | head -n 20
        failed=$((failed + 1))
    fi
done
if ! have clang-format; then skip format "clang-format not installed"; fi

echo
if [ ${#skipped[@]} -gt 0 ]; then
    echo "skipped legs: ${skipped[*]}"
    if [ "${MP_REQUIRE_ALL:-0}" = 1 ]; then
        echo "MP_REQUIRE_ALL=1: a skipped leg is a failure"
        failed=$((failed + ${#skipped[@]}))
    fi
fi
[ ${#legs_failed[@]} -gt 0 ] && echo "failed legs: ${legs_failed[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
