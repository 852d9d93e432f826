# A thin driver for CMake; CMake is the build system.
#   make demo     build, then run the translation demo
#   make test     build normal + ASan/UBSan configurations, run ctest in both
#   make install  PREFIX=/usr/local (default)
# Both demo and test first run tools/ensure-deps.sh (installs missing Debian
# packages, or stops with one line naming them).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-asan test demo install clean format tidy conformance

all: build

deps:
	@sh tools/ensure-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DLPAE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

test: build build-asan
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

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
	rm -rf $(BUILD) $(BUILD_ASAN)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# clang-tidy with the checks in .clang-tidy over the library, the tools and
# bench/ (tests use cmocka's macros, which the analyzer misreads). Silent when clean.
tidy: build
	@out=$$(clang-tidy -p $(BUILD) --quiet $$(git ls-files 'src/*.c' 'tools/*.c' 'bench/*.c') 2>&1); \
	rc=$$?; printf '%s\n' "$$out" | grep -v 'warnings\? generated\.$$' | grep . ; exit $$rc
