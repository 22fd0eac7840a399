# detsim — build, test, benchmark.  `make help` lists the targets.
#
# Variables: CC (gcc or clang), BUILD (output directory, default build), OPT
# (optimisation flags), EXTRA_CFLAGS / EXTRA_LDFLAGS (sanitizers, coverage),
# EXTRA_OBJECTS (linked into every program: the coverage build's _exit wrapper), FIU
# (1, the default: failpoints through libfiu; 0: built without libfiu, for a target
# that has none; only slot faults can then be injected).

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wwrite-strings -Wold-style-definition \
            -Wno-missing-field-initializers -pedantic-errors
FIU     ?= 1
# FIU_ENABLE turns the models' libfiu failpoints on (faults/fault.h); every file
# gets it, so that no object sees the failpoint macros compiled out.
ifeq ($(FIU),1)
FIU_CFLAGS := -DFIU_ENABLE
LDLIBS     := -lfiu
endif
LDLIBS  += -ljansson -lm
CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L $(FIU_CFLAGS) $(OPT) $(WARNINGS) -I. -MMD -MP \
           $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)

# Debian packages the build, the tests and the checks need.
DEPS_PACKAGES := gcc clang libclang-rt-dev make libcriterion-dev libfiu-dev libjansson-dev valgrind \
                 parallel gcovr libxml2-utils jq python3 pkgconf

LIB_SOURCES := $(sort $(wildcard util/*.c faults/*.c model/*.c sim/*.c sim/linux/*.c scenarios/*.c scenarios/lib/*.c \
                 reports/*.c cli/*.c))
LIB_SOURCES := $(filter-out cli/main.c reports/gcov_exit.c,$(LIB_SOURCES))
TEST_SOURCES := $(sort $(wildcard tests/test_*.c)) tests/api/public_scenario.c
LIB_OBJECTS := $(LIB_SOURCES:%.c=$(BUILD)/obj/%.o)
# The built-in catalog of scenarios: linked into build/detsim and the tests, kept
# out of libdetsim.a (a user's program has its own scenarios) and installed as one
# object a program may link in (detsim-catalog.o; docs/install.md).
CATALOG_OBJECTS := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard scenarios/*.c)))
ARCHIVE_OBJECTS := $(filter-out $(CATALOG_OBJECTS),$(LIB_OBJECTS))
TEST_OBJECTS := $(TEST_SOURCES:%.c=$(BUILD)/obj/%.o)

# The flagship for `make run`: ktest's channel exhaustion (bug 0012) at a seed that
# hangs, as in the bug report.
RUN_SEED := 0

.PHONY: all deps install uninstall installcheck run test stress catalog fidelity differential bench \
        asan memcheck coverage determinism layers fuzz faultinject power clean help

all: $(BUILD)/detsim $(BUILD)/libdetsim.a $(BUILD)/detsim-catalog.o

help:
	@echo "make deps         install the Debian packages detsim needs (apt-get; quick when present)"
	@echo "make              build $(BUILD)/detsim and $(BUILD)/libdetsim.a"
	@echo "make run          deps + build + replay ktest's channel exhaustion at a seed that hangs"
	@echo "make test         check the examples in README.md and docs/, replay regressions/,"
	@echo "                  then run the Criterion suites"
	@echo "make stress       make test with the catalog's stress tier: 10,000 seeds per fixed variant"
	@echo "make catalog      every variant of every scenario over CATALOG_SEEDS seeds; reports/out/catalog/"
	@echo "make fidelity     every semantic point on the real kernel and in detsim, side by side"
	@echo "make differential every portable scenario and variant in simulation and on real"
	@echo "                  processes, compared (DIFFERENTIAL_SEEDS, DIFFERENTIAL_RUNS);"
	@echo "                  reports/out/differential/"
	@echo "make asan         the suites and a few sweeps under ASan and UBSan (build/asan)"
	@echo "make memcheck     the suites and a few sweeps under Valgrind; reports/out/memcheck/summary.txt"
	@echo "make coverage     line and branch coverage of the suites and a sweep set (gcovr);"
	@echo "                  reports/out/coverage/index.html, summary.txt, failpoints.txt"
	@echo "make determinism  same hashes from gcc -O0, gcc -O2, clang -O2, ucontext and Valgrind"
	@echo "make layers       check that includes point down the layers (tests/layers.sh)"
	@echo "make fuzz         each parser under libFuzzer (clang, ASan, UBSan) for FUZZ_SECONDS"
	@echo "make faultinject  sweep, merge, replay, shrink with write, fsync, rename, fork and"
	@echo "                  malloc failing (tests/fault_inject.sh)"
	@echo "make bench        context-switch and scheduler benchmarks"
	@echo "make install      the command, libdetsim.a, the headers, detsim.pc and detsim(1)"
	@echo "                  under DESTDIR/PREFIX (default /usr/local); make uninstall"
	@echo "make installcheck install into a temporary prefix, build examples/out-of-tree/"
	@echo "                  with pkg-config alone, run, replay and sweep its scenario"
	@echo "make power        each strategy's failure rate and seeds to the first failure on"
	@echo "                  every buggy variant (POWER_SEEDS); reports/out/power/power.md"
	@echo "make clean        remove build/ and reports/out/"

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The scenario API's own check: a scenario that includes only sim/sys.h, compiled
# with nothing but the standard and warnings (no feature macros, no -DFIU_ENABLE).
API_CFLAGS := -std=c11 -pedantic-errors -Wall -Wextra -Werror $(OPT) -I. -MMD -MP $(EXTRA_CFLAGS)
$(BUILD)/obj/tests/api/public_scenario.o: tests/api/public_scenario.c
	@mkdir -p $(dir $@)
	$(CC) $(API_CFLAGS) -c $< -o $@

$(BUILD)/libdetsim.a: $(ARCHIVE_OBJECTS)
	@rm -f $@
	ar rcs $@ $^

# The catalog as one relocatable object: linking it brings every scenario of it.
$(BUILD)/detsim-catalog.o: $(CATALOG_OBJECTS)
	$(CC) -r -nostdlib $^ -o $@

# Scenarios register through a linker section, so their objects are linked directly.
$(BUILD)/detsim: $(LIB_OBJECTS) $(BUILD)/obj/cli/main.o $(EXTRA_OBJECTS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests: $(LIB_OBJECTS) $(TEST_OBJECTS) $(EXTRA_OBJECTS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) -lcriterion $(LDLIBS)

$(BUILD)/hashes: $(LIB_OBJECTS) $(BUILD)/obj/tests/hashes.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# make fidelity: the real-Linux probes, the detsim scenarios of the same points and
# the driver that compares them (tests/fidelity/).
FIDELITY_OBJECTS := $(patsubst %.c,$(BUILD)/obj/%.o,$(sort $(wildcard tests/fidelity/*.c)))
$(BUILD)/fidelity: $(LIB_OBJECTS) $(FIDELITY_OBJECTS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench: $(LIB_OBJECTS) $(BUILD)/obj/tests/bench.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

deps:
	@missing=""; for p in $(DEPS_PACKAGES); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else echo "deps: all present ($(DEPS_PACKAGES))"; fi

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/detsim run ktest-channel-exhaustion --variant buggy --seed $(RUN_SEED)

# Every semantic point on the real kernel and in detsim (docs/fidelity.md);
# FIDELITY_SEEDS seeds per detsim scenario.
FIDELITY_SEEDS ?= 10
fidelity: $(BUILD)/fidelity
	$(BUILD)/fidelity --seeds $(FIDELITY_SEEDS)

# Every portable scenario and variant, simulated and on real processes (the Linux
# backend), compared (docs/backends.md); DIFFERENTIAL_SEEDS simulated seeds and
# DIFFERENTIAL_RUNS real runs per variant.
DIFFERENTIAL_SEEDS ?= 200
DIFFERENTIAL_RUNS ?= 20
differential: $(BUILD)/detsim
	sh reports/differential.sh $(BUILD)/detsim $(DIFFERENTIAL_SEEDS) $(DIFFERENTIAL_RUNS) \
	    reports/out/differential

# The examples of README.md and docs/*.md are checked first, then the regression
# corpus is replayed (every fixed bug keeps its schedule: docs/commands.md), so the
# output ends with Criterion's line.
DOC_FILES := README.md $(sort $(wildcard docs/*.md))
# The library that fails detsim's own system calls (tests/fault_preload.c), for the
# suites that need it; a sanitizer's runtime must come first, so not under one.
PRELOAD := $(if $(findstring sanitize,$(EXTRA_CFLAGS)),,$(BUILD)/fault_preload.so)
# TEST_TIMEOUT: Criterion's per-test limit in seconds, there only to end a hang
# (no test sets its own): no verdict may rest on wall-clock time. The instrumented
# builds (asan, coverage) and the stress tier run with 0, no limit; memcheck runs the
# suites without one too.
TEST_TIMEOUT ?= 600
test: $(BUILD)/tests $(BUILD)/detsim $(BUILD)/fault_preload.so
	sh tests/readme_check.sh $(BUILD)/detsim $(DOC_FILES)
	$(BUILD)/detsim replay regressions/
	DETSIM_BIN=$(BUILD)/detsim DETSIM_PRELOAD=$(PRELOAD) $(BUILD)/tests --timeout $(TEST_TIMEOUT) \
	    $(TEST_FLAGS)

# The stress tier: every fixed variant of the catalog over 10,000 seeds instead of 500
# (tests/test_catalog.c reads DETSIM_STRESS). CI does not run it.
stress:
	DETSIM_STRESS=1 $(MAKE) --no-print-directory TEST_TIMEOUT=0 test

# The catalog sweep: every variant of every scenario, held to what it declares.
CATALOG_SEEDS ?= 200
catalog: $(BUILD)/detsim
	sh reports/catalog.sh $(BUILD)/detsim $(CATALOG_SEEDS) reports/out/catalog

# make power: how well each schedule strategy finds each bug of the catalog and the
# classic-* scenarios (reports/power.sh; the table of docs/power.md).
POWER_SEEDS ?= 1000
power: $(BUILD)/detsim
	sh reports/power.sh $(BUILD)/detsim $(POWER_SEEDS) reports/out/power 2

# handle_segv=0: the guard-page test expects a plain SIGSEGV; any other segfault
# still fails its test. -j1: Criterion's own runner leaks 48 bytes when it runs
# tests in parallel (libcriterion 2.4.1), which LeakSanitizer would report against
# us; one test at a time keeps leak detection on for everything that is ours.
# Then a sample of sweeps with the same build (reports/sweep_sample.sh): a report
# ends the worker, so its seed is a crash, and the sample fails.
asan:
	ASAN_OPTIONS=handle_segv=0 UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" TEST_FLAGS=-j1 TEST_TIMEOUT=0 test
	@rm -rf reports/out/asan
	@echo "asan: a sample of sweeps (reports/sweep_sample.sh)"
	UBSAN_OPTIONS=print_stacktrace=1 sh reports/sweep_sample.sh build/asan/detsim reports/out/asan

DETERMINISM_SEEDS := 200
determinism:
	$(MAKE) --no-print-directory BUILD=build/det/gcc-O0 CC=gcc OPT="-O0 -g" build/det/gcc-O0/hashes
	$(MAKE) --no-print-directory BUILD=build/det/gcc-O2 CC=gcc OPT="-O2" build/det/gcc-O2/hashes
	$(MAKE) --no-print-directory BUILD=build/det/clang-O2 CC=clang OPT="-O2" build/det/clang-O2/hashes
	$(MAKE) --no-print-directory BUILD=build/det/ucontext CC=gcc OPT="-O2" \
	    EXTRA_CFLAGS=-DCORO_USE_UCONTEXT build/det/ucontext/hashes
	@# FIU=0: a host seldom has libfiu for the target, and the hash runs inject no faults.
	@if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then \
	    $(MAKE) --no-print-directory BUILD=build/det/aarch64 CC=aarch64-linux-gnu-gcc OPT="-O2" \
	        FIU=0 build/det/aarch64/hashes; \
	else echo "determinism: aarch64 skipped (needs gcc-aarch64-linux-gnu and qemu-user)"; fi
	sh tests/determinism.sh $(DETERMINISM_SEEDS) build/det/gcc-O0/hashes \
	    build/det/gcc-O2/hashes build/det/clang-O2/hashes build/det/ucontext/hashes \
	    $(wildcard build/det/aarch64/hashes)

# The Criterion suites and a sample of sweeps under Valgrind memcheck; log per
# process, summary in reports/out/memcheck/summary.txt; fails on any error or
# definite/indirect leak.
# MEMCHECK_FILTER: a Criterion --filter pattern, to check a subset of the suites
# (.ci/run leaves out the suites that start a shell and a detsim process per case,
# which cost the most under Valgrind; the sweep sample still runs detsim).
memcheck: $(BUILD)/tests $(BUILD)/detsim
	sh reports/memcheck.sh reports/out/memcheck $(BUILD)/detsim $(BUILD)/tests \
	    $(if $(MEMCHECK_FILTER),--filter '$(MEMCHECK_FILTER)')

# make install PREFIX=... DESTDIR=...: what a program of one's own needs
# (docs/install.md). The headers are the scenario API (sim/sys.h and what it
# includes), the helpers of scenarios/lib/ and detsim_main (cli/detsim.h), under
# include/detsim/ with their tree's paths, so that '#include "sim/sys.h"' reads the
# same in and out of this tree.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PUBLIC_HEADERS := sim/sys.h sim/scenario.h model/uapi.h util/config.h scenarios/lib/ktest.h \
                  scenarios/lib/procs.h cli/detsim.h
# detsim.pc is written at each install: it names the PREFIX of that install.
install: all
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' \
	    'catalog=$${libdir}/detsim/detsim-catalog.o' '' 'Name: detsim' \
	    'Description: deterministic simulation and fault injection for kernel resource code' \
	    "Version: $$(sed -n 's/^#define DETSIM_VERSION "\(.*\)"/\1/p' sim/run.h)" \
	    'Cflags: -I$${includedir}/detsim' 'Libs: -L$${libdir} -ldetsim $(LDLIBS)' > $(BUILD)/detsim.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/detsim \
	    $(DESTDIR)$(MANDIR)/man1 $(addprefix $(DESTDIR)$(INCLUDEDIR)/detsim/,$(sort $(dir $(PUBLIC_HEADERS))))
	install -m 755 $(BUILD)/detsim $(DESTDIR)$(BINDIR)/detsim
	install -m 644 $(BUILD)/libdetsim.a $(DESTDIR)$(LIBDIR)/libdetsim.a
	install -m 644 $(BUILD)/detsim-catalog.o $(DESTDIR)$(LIBDIR)/detsim/detsim-catalog.o
	install -m 644 $(BUILD)/detsim.pc $(DESTDIR)$(LIBDIR)/pkgconfig/detsim.pc
	install -m 644 docs/detsim.1 $(DESTDIR)$(MANDIR)/man1/detsim.1
	for h in $(PUBLIC_HEADERS); do install -m 644 $$h $(DESTDIR)$(INCLUDEDIR)/detsim/$$h || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/detsim $(DESTDIR)$(LIBDIR)/libdetsim.a \
	    $(DESTDIR)$(LIBDIR)/detsim/detsim-catalog.o $(DESTDIR)$(LIBDIR)/pkgconfig/detsim.pc \
	    $(DESTDIR)$(MANDIR)/man1/detsim.1 $(addprefix $(DESTDIR)$(INCLUDEDIR)/detsim/,$(PUBLIC_HEADERS))
	rmdir $(DESTDIR)$(LIBDIR)/detsim $(addprefix $(DESTDIR)$(INCLUDEDIR)/detsim/,scenarios/lib scenarios \
	    sim model util cli) $(DESTDIR)$(INCLUDEDIR)/detsim 2>/dev/null || true

# A fresh install into a temporary prefix, the headers compiled alone, and
# examples/out-of-tree/ built with pkg-config only, then run, replayed and swept
# (tests/install.sh).
installcheck: all
	sh tests/install.sh $(BUILD) "$(CC)"

# An instrumented copy in build/coverage (gcc: gcovr reads gcc's gcov data); the
# wrapped _exit makes forked sweep workers write their counters. reports/coverage.sh
# runs the suites and the sweep set, then writes reports/out/coverage/.
COVERAGE_BUILD := build/coverage
coverage:
	$(MAKE) --no-print-directory BUILD=$(COVERAGE_BUILD) CC=gcc OPT="-O0 -g" \
	    EXTRA_CFLAGS=--coverage EXTRA_LDFLAGS="--coverage -Wl,--wrap=_exit" \
	    EXTRA_OBJECTS=$(COVERAGE_BUILD)/obj/reports/gcov_exit.o \
	    $(COVERAGE_BUILD)/detsim $(COVERAGE_BUILD)/tests
	sh reports/coverage.sh $(COVERAGE_BUILD) reports/out/coverage

# A libFuzzer target per parser of user input (tests/fuzz/): clang with ASan and
# UBSan, every library object instrumented for coverage. Each target runs
# FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/, from the docs' examples);
# what it finds, and the corpus it grows, stay in build/fuzz/. Any finding fails.
FUZZ_SECONDS ?= 30
FUZZ_BUILD := build/fuzz
FUZZ_TARGETS := repro set fault strategy seeds results
FUZZ_CFLAGS := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
$(BUILD)/fuzz_%: $(LIB_OBJECTS) $(BUILD)/obj/tests/fuzz/fuzz_%.o
	$(CC) $(CFLAGS) -fsanitize=fuzzer $^ -o $@ $(LDFLAGS) $(LDLIBS)
fuzz:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
	    EXTRA_CFLAGS="$(FUZZ_CFLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	    $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
	sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# detsim under faults of its own system calls: the Nth write, fsync, rename, fork
# or malloc fails (an LD_PRELOAD library), and stdio's writes past file size limits
# and to /dev/full (tests/fault_inject.sh).
$(BUILD)/fault_preload.so: tests/fault_preload.c
	$(CC) -shared -fPIC -O2 -g -Wall -Wextra -Werror $< -o $@ -ldl
faultinject: $(BUILD)/detsim $(BUILD)/fault_preload.so
	sh tests/fault_inject.sh $(BUILD)/detsim $(BUILD)/fault_preload.so $(BUILD)/faultinject

# Includes point down: util <- faults <- model <- sim <- scenarios, reports <- cli.
layers:
	sh tests/layers.sh

bench: $(BUILD)/bench
	$(BUILD)/bench

clean:
	rm -rf build reports/out

-include $(LIB_OBJECTS:.o=.d) $(TEST_OBJECTS:.o=.d) $(BUILD)/obj/cli/main.d $(EXTRA_OBJECTS:.o=.d) \
    $(FIDELITY_OBJECTS:.o=.d) \
    $(BUILD)/obj/tests/hashes.d $(BUILD)/obj/tests/bench.d $(wildcard $(BUILD)/obj/tests/fuzz/*.d)
