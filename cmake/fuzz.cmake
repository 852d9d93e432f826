# libFuzzer targets (tests/fuzz/fuzz_*.c), built with -DLPAE_FUZZ=ON and
# clang (Debian: clang + libclang-rt-14-dev). Included from CMakeLists.txt
# before any target exists, so that the library, the tools and the tests of
# a fuzz build are all instrumented for coverage (-fsanitize=fuzzer-no-link)
# and built with ASan + UBSan. A normal (gcc) build is not affected: there,
# tests/fuzz.cmake replays the corpora through a plain-C driver instead.
option(LPAE_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)

# Every fuzz target; tests/fuzz/fuzz_<name>.c with corpus tests/fuzz/corpus/<name>/.
set(LPAE_FUZZ_NAMES trace_text trace_binary strace ftrace config preset regs probes elf machine)

if(LPAE_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LPAE_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
  endif()
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  check_c_source_compiles(
    "#include <stdint.h>
     #include <stddef.h>
     int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
     int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }"
    LPAE_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT LPAE_HAVE_LIBFUZZER)
    message(FATAL_ERROR "clang cannot link -fsanitize=fuzzer: install libclang-rt-14-dev")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)

  # All fuzz targets: `cmake --build B --target lpae_fuzz`.
  add_custom_target(lpae_fuzz)
  foreach(name ${LPAE_FUZZ_NAMES})
    add_executable(fuzz_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c)
    target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz)
    target_link_libraries(fuzz_${name} PRIVATE lpae_internal)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(lpae_fuzz fuzz_${name})
  endforeach()
  foreach(name regs probes)
    target_sources(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim/cmd_translate.c)
    target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim)
  endforeach()
endif()
