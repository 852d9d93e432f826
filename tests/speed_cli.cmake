# bench/speed runs (not timed: the figures are its output, not a test): the
# --trace path on a shipped trace, and its one-line error on a bad file.
add_test(NAME speed_cli COMMAND sh ${PROJECT_SOURCE_DIR}/tests/speed_cli.sh
         $<TARGET_FILE:speed> ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/speed_cli.tmp)
