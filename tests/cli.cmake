# CLI tests. test_cli_translate calls the translate command in-process (its
# parsers and driver live in tools/lpaesim/cmd_translate.c) and also runs the
# built binary once, found through LPAESIM_PATH.
if(TARGET test_cli_translate AND TARGET lpaesim)
  target_sources(test_cli_translate PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim/cmd_translate.c)
  target_include_directories(test_cli_translate PRIVATE ${PROJECT_SOURCE_DIR}/tools/lpaesim)
  target_compile_definitions(test_cli_translate PRIVATE LPAESIM_PATH="$<TARGET_FILE:lpaesim>")
  add_dependencies(test_cli_translate lpaesim)
endif()

if(TARGET lpaesim AND EXISTS ${PROJECT_SOURCE_DIR}/tools/lpaesim/cmd_demo.c)
  # `lpaesim demo` runs to the end and explains all nine walks.
  add_test(NAME cli_demo COMMAND lpaesim demo)
  set_tests_properties(cli_demo PROPERTIES
    PASS_REGULAR_EXPRESSION "9\\. Unmapped kernel space[^\n]*\n[^\n]*PAR 0x0000000000000[0-9a-f]+")
  add_test(NAME cli_demo_bad_arg COMMAND lpaesim demo --bogus)
  set_tests_properties(cli_demo_bad_arg PROPERTIES WILL_FAIL TRUE)
endif()
if(TARGET lpaesim)
  add_test(NAME cli_translate_help COMMAND lpaesim translate --help)
  set_tests_properties(cli_translate_help PROPERTIES PASS_REGULAR_EXPRESSION "--ram BASE:SIZE")
endif()
