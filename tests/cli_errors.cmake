# tests/test_cli_errors.c runs the built lpaesim on bad input.
if(TARGET test_cli_errors AND TARGET lpaesim)
  target_compile_definitions(test_cli_errors PRIVATE LPAESIM_PATH="$<TARGET_FILE:lpaesim>")
  add_dependencies(test_cli_errors lpaesim)
endif()
