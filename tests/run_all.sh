#!/usr/bin/env bash
# Every leg of the test suite, then one closing line "N passed, N failed".
# Legs: the suite under fork and spawn (gcc), with the portable POSIX fallbacks forced
# (the stand-in for macOS and the BSDs), under AddressSanitizer + UBSan and ThreadSanitizer
# (clang), built by g++ as C++, musl-gcc and tcc, and the mingw-w64 build under Wine; then the
# compile matrix and the format check. A leg whose tool is missing is skipped with a note, or
# fails the run when MP_REQUIRE_ALL=1 (as CI sets it).
set -u
cd "$(dirname "$0")/.."
B=build/legs
mkdir -p "$B"
WARN="-Wall -Wextra -Wpedantic -Werror"
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
# build LEG COMMAND...: a compile step; failure fails the leg.
build() {
    local leg=$1
    shift
    if ! "$@"; then
        fail_leg "$leg: build failed"
        return 1
    fi
}

# -- native gcc: fork and spawn
if build gcc gcc -std=c99 $WARN -O2 -g -o $B/tests_gcc tests/main.c; then
    run_suite fork env MP_START_METHOD=fork $B/tests_gcc
    run_suite spawn env MP_START_METHOD=spawn $B/tests_gcc
fi
# -- the portable POSIX fallbacks forced on
if build portable gcc -std=c11 $WARN -O2 -g -DMP_PORTABLE -o $B/tests_portable tests/main.c; then
    run_suite portable-fork env MP_START_METHOD=fork $B/tests_portable
    run_suite portable-spawn env MP_START_METHOD=spawn $B/tests_portable
fi
# -- AddressSanitizer + UndefinedBehaviorSanitizer
if have clang; then
    if build asan clang -std=c11 $WARN -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -o $B/tests_asan tests/main.c; then
        export ASAN_OPTIONS=handle_segv=0:handle_abort=0:detect_leaks=1
        run_suite asan-fork env MP_START_METHOD=fork $B/tests_asan
        run_suite asan-spawn env MP_START_METHOD=spawn $B/tests_asan
        unset ASAN_OPTIONS
    fi
else skip asan "clang not installed"; fi
# -- ThreadSanitizer: data races between the threads of a process (the threads_* tests), and
#    the rest of the suite, under fork
if have clang; then
    if build tsan clang -std=c11 $WARN -O1 -g -fsanitize=thread -o $B/tests_tsan tests/main.c; then
        run_suite tsan-fork env TSAN_OPTIONS=handle_segv=0:handle_abort=0 MP_START_METHOD=fork \
            $B/tests_tsan
    fi
else skip tsan "clang not installed"; fi
# -- the suite compiled as C++, with musl and with tcc
if build c++ g++ -x c++ -std=c++11 $WARN -O2 -o $B/tests_cpp tests/main.c; then
    run_suite c++-spawn env MP_START_METHOD=spawn $B/tests_cpp
fi
if have musl-gcc; then
    if build musl musl-gcc -std=c99 $WARN -O2 -static -o $B/tests_musl tests/main.c; then
        run_suite musl-fork env MP_START_METHOD=fork $B/tests_musl
        run_suite musl-spawn env MP_START_METHOD=spawn $B/tests_musl
    fi
else skip musl "musl-gcc not installed"; fi
if have tcc; then
    if build tcc tcc -Wall -Werror -o $B/tests_tcc tests/main.c; then
        run_suite tcc-spawn env MP_START_METHOD=spawn $B/tests_tcc
    fi
else skip tcc "tcc not installed"; fi
# -- Windows: mingw-w64 under Wine
MINGW=x86_64-w64-mingw32-gcc
if have $MINGW && have wine; then
    if build mingw $MINGW -std=c99 $WARN -O2 -static -o $B/tests.exe tests/main.c; then
        export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winedbg.exe=d" WINEPREFIX="${WINEPREFIX:-$PWD/build/wineprefix}"
        run_suite wine wine $B/tests.exe
    fi
else skip wine "$MINGW or wine not installed"; fi
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
    if build clang-cl clangcl_exe $B/tests_clangcl.exe; then
        run_suite clang-cl wine $B/tests_clangcl.exe
    fi
    if build clang-cl-msvc-paths clangcl_exe $B/tests_clangcl_msvc.exe -DMP__TEST_MSVC_PATHS -flto; then
        run_suite clang-cl-msvc-paths wine $B/tests_clangcl_msvc.exe
    fi
else skip clang-cl "clang-cl, lld-link, wine or the mingw-w64 CRT not installed"; fi

# -- the compile matrix: every compiler and mode, warnings as errors
echo "== compile matrix"
matrix() {
    local name=$1
    shift
    if "$@" >$B/matrix.log 2>&1; then
        echo "   ok   $name"
        passed=$((passed + 1))
    else
        echo "   FAIL $name"
        sed 's/^/        /' $B/matrix.log | head -n 20
        failed=$((failed + 1))
    fi
}
for std in c99 c11; do
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
# -- examples: each must build (running them is `make run`)
for e in examples/*.c; do
    [ -e "$e" ] || continue
    matrix "example $(basename "$e")" gcc -std=c99 $WARN -o $B/example "$e"
    if have $MINGW; then matrix "example $(basename "$e") (mingw)" $MINGW -std=c99 $WARN -o $B/example.exe "$e"; fi
done
# -- format
if have clang-format; then
    matrix "clang-format" clang-format --dry-run --Werror mp.h tests/*.c tests/*.h tests/*.cpp examples/*.c bench/*.c
else skip format "clang-format not installed"; fi

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
