# Install the build into a temporary prefix and build examples/ against it:
# with find_package(lpae) (shared and static) and with pkg-config, then run
# each result. The script is tests/install/check-install.sh.
find_program(LPAE_BASH bash)
if(LPAE_BASH)
  set(lpae_install_flags "")
  if(LPAE_SANITIZE)
    # The installed library is instrumented; the example must link the runtimes too.
    set(lpae_install_flags "-fsanitize=address,undefined")
  endif()
  add_test(NAME install_and_example
    COMMAND ${LPAE_BASH} ${PROJECT_SOURCE_DIR}/tests/install/check-install.sh
            ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR} ${CMAKE_C_COMPILER} "${lpae_install_flags}")
  set_tests_properties(install_and_example PROPERTIES TIMEOUT 300)
endif()
