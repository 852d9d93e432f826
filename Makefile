# Drives CMake; CMake is the build system.
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build build-asan test demo install clean format tidy

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

demo: build
	@$(BUILD)/bin/lpae-bench --svg $(BUILD)/demo.svg --json $(BUILD)/demo.json bench/traces/dd_4K.lpb.gz
	@echo "wrote $(BUILD)/demo.svg and $(BUILD)/demo.json"

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

tidy: build
	@clang-tidy -p $(BUILD) --quiet $$(git ls-files 'src/*.c')
