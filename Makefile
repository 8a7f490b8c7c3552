# mp.h: build the examples and the tests into build/, run them, check the format.
#   make            build examples and tests (native compiler)
#   make run        build and run every example          (alias: make examples-run)
#   make test       every test leg; see tests/run_all.sh (MP_REQUIRE_ALL=1: no leg may be skipped)
#   make stress     the fault tests over and over under load, in every leg; see tests/stress.sh
#                   (STRESS_SECONDS, STRESS_ROUNDS scale it; STRESS_QUICK=1 is CI's short run)
#   make bench      every bench/*.c: mp.h against raw system calls and Python, and the chart
#                   build/bench/chart.svg (bench/chart.py; bench/chart.svg is a committed run)
#   make format / make format-check
#   make install PREFIX=/usr/local DESTDIR=   mp.h, its CMake package and mp.pc
#
# Fast builds: the implementation is compiled once (build/mp.o) and every example is linked
# against it with -DMP_NO_IMPLEMENTATION (each example keeps its #define MP_IMPLEMENTATION, so
# it still builds alone: cc -I.. join.c -o join). Jobs run in parallel (one per CPU) unless a
# -j is given.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDLIBS  ?= -pthread
WARN    := -Wall -Wextra -Wpedantic -Werror
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
SOURCES := $(wildcard *.h tests/*.c tests/*.h tests/*.cpp tests/consumer/*.c examples/*.c bench/*.c)
VERSION := $(shell awk '/^\#define MP_VERSION_(MAJOR|MINOR|PATCH) /{v = v s $$3; s = "."} END{print v}' mp.h)
NPROC   := $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
ifeq ($(filter -j% j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(NPROC)
endif

.PHONY: all examples run examples-run test stress bench format format-check install clean

all: examples $(BUILD)/tests

examples: $(EXAMPLES)

$(BUILD)/mp.o: mp.h
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -DMP_IMPLEMENTATION -x c -c -o $@ mp.h

$(BUILD)/examples/%: examples/%.c mp.h $(BUILD)/mp.o
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -DMP_NO_IMPLEMENTATION -o $@ $< $(BUILD)/mp.o $(LDLIBS)

$(BUILD)/tests: tests/*.c tests/*.h mp.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -o $@ tests/main.c $(LDLIBS)

run examples-run: examples
	@for e in $(EXAMPLES); do echo "== $$e"; $$e || exit 1; done

test:
	@bash tests/run_all.sh

stress:
	@bash tests/stress.sh

bench:
	@bash bench/run.sh

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) && echo "format: ok"

# The same files as `cmake --install`: the header, the CMake package (share/cmake/mp) and the
# pkg-config file (share/pkgconfig); both config files find the header relative to themselves.
install:
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/cmake/mp \
		$(DESTDIR)$(PREFIX)/share/pkgconfig
	install -m 644 mp.h $(DESTDIR)$(PREFIX)/include/mp.h
	install -m 644 cmake/mpConfig.cmake $(DESTDIR)$(PREFIX)/share/cmake/mp/mpConfig.cmake
	sed -e 's/@MP_VERSION@/$(VERSION)/g' -e 's/@MP_VERSION_MAJOR@/$(word 1,$(subst ., ,$(VERSION)))/g' \
		-e 's/@MP_VERSION_MINOR@/$(word 2,$(subst ., ,$(VERSION)))/g' cmake/mpConfigVersion.cmake.in \
		> $(DESTDIR)$(PREFIX)/share/cmake/mp/mpConfigVersion.cmake
	sed -e 's/@MP_VERSION@/$(VERSION)/g' cmake/mp.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/mp.pc

clean:
	rm -rf $(BUILD)
