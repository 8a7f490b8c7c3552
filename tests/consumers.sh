#!/usr/bin/env bash
# The consumer project (tests/consumer/) built against mp.h every way a user would, into a
# temporary directory, and run: after `make install` and after `cmake --install` (into temp
# prefixes) with find_package(mp CONFIG) and with pkg-config, then vendored with
# add_subdirectory and FetchContent. Also: DESTDIR staging, and the version file refuses
# versions it is not compatible with. Ends with "N passed, N failed" (tests/run_all.sh).
set -u
cd "$(dirname "$0")/.."
SRC=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/mp-consumers.XXXXXX")
trap 'rm -rf "$T"' EXIT
CFLAGS="-Wall -Wextra -Wpedantic -Werror"
passed=0
failed=0
step() {
    local name=$1
    shift
    if "$@" >"$T/log" 2>&1; then
        echo "ok   consumers: $name"
        passed=$((passed + 1))
    else
        echo "FAIL consumers: $name"
        tail -n 30 "$T/log" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}
# configure + build + run the consumer: consumer DIR CMAKE-ARGS...
consumer() {
    local dir=$1
    shift
    cmake -S "$SRC/tests/consumer" -B "$dir" -DCMAKE_C_FLAGS="$CFLAGS" -DMP_SOURCE_DIR="$SRC" "$@" &&
        cmake --build "$dir" && "$dir/consumer" && MP_START_METHOD=spawn "$dir/consumer"
}
pc_consumer() {
    local prefix=$1 flags
    flags=$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags --libs mp) &&
        [ "$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --modversion mp)" = "$VERSION" ] &&
        cc -std=c99 $CFLAGS -o "$T/pc_consumer" tests/consumer/main.c tests/consumer/other.c $flags &&
        "$T/pc_consumer"
}
# refuses DIR ARGS...: the configure fails, and because of the version
refuses() { ! consumer "$@" >"$T/refused.log" 2>&1 && grep -q 'version' "$T/refused.log"; }
VERSION=$(awk '/^#define MP_VERSION_(MAJOR|MINOR|PATCH) /{v = v s $3; s = "."} END{print v}' mp.h)

step "make install PREFIX" make --no-print-directory install PREFIX="$T/make"
step "make install DESTDIR" sh -c "make --no-print-directory install PREFIX=/usr DESTDIR='$T/stage' &&
    test -f '$T/stage/usr/include/mp.h' && test -f '$T/stage/usr/share/cmake/mp/mpConfig.cmake' &&
    test -f '$T/stage/usr/share/cmake/mp/mpConfigVersion.cmake' &&
    test -f '$T/stage/usr/share/pkgconfig/mp.pc'"
step "cmake --install" sh -c "cmake -S '$SRC' -B '$T/b-mp' && cmake --install '$T/b-mp' --prefix '$T/cmake'"
for how in make cmake; do
    step "find_package after $how install" consumer "$T/b-pkg-$how" -DMP_HOW=package \
        -DCMAKE_PREFIX_PATH="$T/$how"
    step "pkg-config after $how install" pc_consumer "$T/$how"
done
step "find_package(mp $VERSION EXACT)" consumer "$T/b-exact" -DMP_HOW=package -DMP_WANT="$VERSION EXACT" \
    -DCMAKE_PREFIX_PATH="$T/cmake"
for want in 99.0 0.99 0.0; do # newer; before 1.0 another minor version is another API
    step "find_package(mp $want) is refused" refuses "$T/b-$want" -DMP_HOW=package -DMP_WANT=$want \
        -DCMAKE_PREFIX_PATH="$T/cmake"
done
step "add_subdirectory" consumer "$T/b-sub" -DMP_HOW=subdirectory
step "FetchContent" consumer "$T/b-fetch" -DMP_HOW=fetchcontent
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
