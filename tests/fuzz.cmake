# Run every fuzz target over its seed corpus (tests/fuzz/corpus/<name>/) as
# part of ctest:
#  - in a fuzz build (-DLPAE_FUZZ=ON, clang + libFuzzer; cmake/fuzz.cmake
#    builds fuzz_<name>): libFuzzer runs the corpus, then mutates it for a
#    bounded number of runs and seconds. New inputs go to a scratch directory
#    in the build tree, never into the source corpus;
#  - otherwise (gcc, normal or ASan build): fuzz_replay_<name> feeds each
#    corpus file once to the same LLVMFuzzerTestOneInput() through a plain-C
#    main() (tests/fuzz/replay_main.c).
set(_fz_src ${PROJECT_SOURCE_DIR}/tests/fuzz)
set(LPAE_FUZZ_TEST_RUNS 3000 CACHE STRING "libFuzzer runs per target in ctest (fuzz builds)")
set(LPAE_FUZZ_TEST_SECONDS 4 CACHE STRING "libFuzzer seconds per target in ctest (fuzz builds)")
foreach(name ${LPAE_FUZZ_NAMES})
  set(_corpus ${_fz_src}/corpus/${name})
  if(LPAE_FUZZ)
    # A fresh scratch directory each run, so that a run depends only on the
    # source corpus and the seed.
    set(_scratch ${CMAKE_BINARY_DIR}/fuzz-scratch/${name})
    add_test(NAME fuzz_${name}
      COMMAND sh -c "rm -rf \"$1\" && mkdir -p \"$1\" && shift && exec \"$@\"" sh ${_scratch}
              $<TARGET_FILE:fuzz_${name}> -runs=${LPAE_FUZZ_TEST_RUNS}
              -max_total_time=${LPAE_FUZZ_TEST_SECONDS} -seed=1
              -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz-scratch/${name}- ${_scratch} ${_corpus})
  else()
    add_executable(fuzz_replay_${name} ${_fz_src}/fuzz_${name}.c ${_fz_src}/replay_main.c)
    target_include_directories(fuzz_replay_${name} PRIVATE ${_fz_src})
    target_link_libraries(fuzz_replay_${name} PRIVATE lpae_internal)
    if(name STREQUAL "regs" OR name STREQUAL "probes")
      target_sources(fuzz_replay_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim/cmd_translate.c)
      target_include_directories(fuzz_replay_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim)
    endif()
    add_test(NAME fuzz_${name} COMMAND fuzz_replay_${name} ${_corpus})
  endif()
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz)
endforeach()
