# CLI tests of lpaesim convert / import / gen (issue: traces).
set(_lpaesim $<TARGET_FILE:lpaesim>)
set(_sh ${PROJECT_SOURCE_DIR}/tests/trace_cli.sh)
add_test(NAME trace_cli COMMAND sh ${_sh} ${_lpaesim} ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/trace_cli.tmp)
