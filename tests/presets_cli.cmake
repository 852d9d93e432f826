# lpaesim presets: listing, printing with marks and sources, user overrides, errors.
set(_lp $<TARGET_FILE:lpaesim>)
add_test(NAME cli_presets_list COMMAND ${_lp} presets)
set_tests_properties(cli_presets_list PROPERTIES
  PASS_REGULAR_EXPRESSION "cortex-a15 .*cortex-a17 .*cortex-a53 .*cortex-a7 .*cortex-a72 ")
add_test(NAME cli_presets_show COMMAND ${_lp} presets cortex-a15)
set_tests_properties(cli_presets_show PROPERTIES
  PASS_REGULAR_EXPRESSION "mtlb.latency +=  *12 +# \\[M\\] S6")
add_test(NAME cli_presets_path COMMAND ${_lp} presets ${PROJECT_SOURCE_DIR}/presets/cortex-a72.conf)
set_tests_properties(cli_presets_path PROPERTIES
  PASS_REGULAR_EXPRESSION "walk.cache_level += l2 +# \\[D\\]")
add_test(NAME cli_presets_config COMMAND ${_lp} presets cortex-a7
  --config ${PROJECT_SOURCE_DIR}/tests/data/cost_good.conf)
set_tests_properties(cli_presets_config PROPERTIES
  PASS_REGULAR_EXPRESSION "mtlb.latency += 3 +# \\[U\\] my board")
add_test(NAME cli_presets_bad_config COMMAND ${_lp} presets cortex-a7
  --config ${PROJECT_SOURCE_DIR}/tests/data/cost_bad.conf)
set_tests_properties(cli_presets_bad_config PROPERTIES
  PASS_REGULAR_EXPRESSION "cost_bad.conf:3: expected a known parameter key, got 'mtlb.latnecy'")
add_test(NAME cli_presets_bad_config_fails COMMAND ${_lp} presets cortex-a7
  --config ${PROJECT_SOURCE_DIR}/tests/data/cost_bad.conf)
set_tests_properties(cli_presets_bad_config_fails PROPERTIES WILL_FAIL TRUE)
add_test(NAME cli_presets_unknown COMMAND ${_lp} presets cortex-a99)
set_tests_properties(cli_presets_unknown PROPERTIES WILL_FAIL TRUE)
