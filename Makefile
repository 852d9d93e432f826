# A thin driver for CMake; CMake is the build system.
#   make demo     build, then run lpae-bench on the shipped dd_4K trace (table,
#                 build/demo.svg, build/demo.json)
#   make test     build the default (RelWithDebInfo), Release (-O3) and ASan/UBSan
#                 configurations, run ctest in each, then the libFuzzer targets
#                 briefly over their corpora (clang)
#   make install  PREFIX=/usr/local (default)
#   make fuzz     clang + libFuzzer build (build-fuzz/), then each fuzz target
#                 for FUZZ_SECONDS (default 60); new inputs in build-fuzz/fuzz-corpus/
#   make valgrind every unit test, corpus replay and a trace replay under memcheck
# Both demo and test first run tools/ensure-deps.sh (installs missing Debian
# packages, or stops with one line naming them).
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_REL  ?= build-release
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-asan build-release test demo install clean format tidy conformance fuzz fuzz-smoke \
        valgrind

all: build

deps:
	@sh tools/ensure-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DLPAE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

# Release (-O3): what research tools usually link; GCC's warnings differ
# with the optimisation level, and -Werror applies there too.
build-release: deps
	@cmake -S . -B $(BUILD_REL) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_REL) -j $(JOBS)

test: build build-release build-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(BUILD_REL) && ctest --output-on-failure -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)
	@$(MAKE) fuzz-smoke

# Each fuzz target over its corpus plus a few thousand libFuzzer runs, when
# clang and libFuzzer are installed (the gcc builds above already replayed
# every corpus file).
fuzz-smoke:
	@if command -v clang >/dev/null 2>&1 && \
	    cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DLPAE_FUZZ=ON $(CMAKE_ARGS) >/dev/null 2>&1; then \
	  cmake --build $(BUILD_FUZZ) -j $(JOBS) --target lpae_fuzz >/dev/null && \
	  cd $(BUILD_FUZZ) && ctest -L fuzz --output-on-failure -j $(JOBS); \
	else \
	  echo "fuzz-smoke: clang with libFuzzer (libclang-rt-14-dev) not found; corpora were only replayed"; \
	fi

# Each target first runs its corpus under ctest (label fuzz), then fuzzes for
# FUZZ_SECONDS. Crashes are written to build-fuzz/fuzz-artifacts/; add a
# crashing input to tests/fuzz/corpus/<target>/ once it is fixed.
fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DLPAE_FUZZ=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target lpae_fuzz
	@cd $(BUILD_FUZZ) && ctest -L fuzz --output-on-failure
	@mkdir -p $(BUILD_FUZZ)/fuzz-artifacts
	@fail=0; for t in $$(cd $(BUILD_FUZZ)/bin && ls fuzz_* | grep -v '^fuzz_replay_' | sed 's/^fuzz_//'); do \
	  mkdir -p $(BUILD_FUZZ)/fuzz-corpus/$$t; \
	  log=$(BUILD_FUZZ)/fuzz-artifacts/$$t.log; \
	  if $(BUILD_FUZZ)/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	       -artifact_prefix=$(BUILD_FUZZ)/fuzz-artifacts/$$t- \
	       $(BUILD_FUZZ)/fuzz-corpus/$$t tests/fuzz/corpus/$$t >$$log 2>&1; then \
	    echo "fuzz_$$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$log) runs in $(FUZZ_SECONDS) s, no failure"; \
	  else \
	    echo "fuzz_$$t: FAILED ($$(grep -m1 -E 'ERROR|fuzz check failed' $$log)); see $$log"; fail=1; \
	  fi; \
	done; exit $$fail

# Unit tests and corpus replays of the normal build under memcheck; fails on
# any error or definite leak.
valgrind: build
	@sh tests/valgrind.sh $(BUILD)

# Differential test against QEMU's ARMv7 MMU (docs/conformance.md).
CONF_PROBES ?= 1000000
CONF_SEED   ?= 1
conformance: build
	@$(BUILD)/bin/lpae-conform --guest $(BUILD)/conformance/probe.elf --probes $(CONF_PROBES) \
	    --seed $(CONF_SEED) --regress-dir tests/conformance/regress

demo: build
	@$(BUILD)/bin/lpae-bench --svg $(BUILD)/demo.svg --json $(BUILD)/demo.json bench/traces/dd_4K.lpb.gz
	@echo "wrote $(BUILD)/demo.svg and $(BUILD)/demo.json"

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD_REL) $(BUILD_ASAN) $(BUILD_FUZZ)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# clang-tidy with the checks in .clang-tidy over the library, the tools and
# bench/ (tests use cmocka's macros, which the analyzer misreads). Silent when clean.
tidy: build
	@out=$$(clang-tidy -p $(BUILD) --quiet $$(git ls-files 'src/*.c' 'tools/*.c' 'bench/*.c') 2>&1); \
	rc=$$?; printf '%s\n' "$$out" | grep -v 'warnings\? generated\.$$' | grep . ; exit $$rc
