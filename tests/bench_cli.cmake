# CLI tests of lpae-bench (issue 7): outputs, determinism, one-line errors.
add_test(NAME bench_cli COMMAND sh ${PROJECT_SOURCE_DIR}/tests/bench_cli.sh
         $<TARGET_FILE:lpae-bench> $<TARGET_FILE:lpaesim> ${PROJECT_SOURCE_DIR}
         ${CMAKE_BINARY_DIR}/bench_cli.tmp)
