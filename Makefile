# mp.h: build the examples and the tests into build/, run them, check the format.
#   make            build examples and tests (native compiler)
#   make run        build and run every example          (alias: make examples-run)
#   make test       every test leg; see tests/run_all.sh (MP_REQUIRE_ALL=1: no leg may be skipped)
#   make stress     the fault tests over and over under load, in every leg; see tests/stress.sh
#                   (STRESS_SECONDS, STRESS_ROUNDS scale it; STRESS_QUICK=1 is CI's short run)
#   make bench      every bench/*.c: mp.h against raw system calls and Python
#   make format / make format-check
#   make install PREFIX=/usr/local

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror
PREFIX  ?= /usr/local
BUILD   := build
EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
SOURCES := $(wildcard *.h tests/*.c tests/*.h tests/*.cpp examples/*.c bench/*.c)

.PHONY: all examples run examples-run test stress bench format format-check install clean

all: examples $(BUILD)/tests

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/%.c mp.h
	@mkdir -p $(dir $@)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -o $@ $<

$(BUILD)/tests: tests/*.c tests/*.h mp.h
	@mkdir -p $(BUILD)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -o $@ tests/main.c

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

install:
	install -d $(DESTDIR)$(PREFIX)/include
	install -m 644 mp.h $(DESTDIR)$(PREFIX)/include/mp.h

clean:
	rm -rf $(BUILD)
