# Conformance of lpae's walk with QEMU's ARMv7 MMU (docs/conformance.md).
#  - tests/conformance/guest/: the bare-metal probe program, built with
#    arm-none-eabi-gcc into conformance/probe.elf;
#  - lpae-conform: generator + QEMU runner + comparison (host, links liblpae);
#  - ctest conformance_qemu_slice: 20,000 probes through QEMU and lpae;
#  - ctest conformance_lpaesim_replay: the recorded cases through `lpaesim translate`;
#  - test_conformance (tests/test_conformance.c) also gets the comparison
#    rule and case reader, and replays tests/conformance/regress/*.case.
set(LPAE_CONF_DIR ${PROJECT_SOURCE_DIR}/tests/conformance)
set(LPAE_CONF_GUEST ${CMAKE_BINARY_DIR}/conformance/probe.elf)
find_program(LPAE_ARM_CC arm-none-eabi-gcc)
find_program(LPAE_QEMU_ARM qemu-system-arm)

if(LPAE_ARM_CC)
  set(LPAE_CONF_GUEST_SRC ${LPAE_CONF_DIR}/guest/start.S ${LPAE_CONF_DIR}/guest/probe.c)
  add_custom_command(OUTPUT ${LPAE_CONF_GUEST}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/conformance
    COMMAND ${LPAE_ARM_CC} -march=armv7ve -marm -mfloat-abi=soft -O2 -ffreestanding -nostdlib
            -nostartfiles -Wall -Wextra -Werror -T ${LPAE_CONF_DIR}/guest/probe.ld
            -o ${LPAE_CONF_GUEST} ${LPAE_CONF_GUEST_SRC} -lgcc
    DEPENDS ${LPAE_CONF_GUEST_SRC} ${LPAE_CONF_DIR}/guest/probe.ld ${LPAE_CONF_DIR}/conf_abi.h
    COMMENT "Building the conformance probe program with arm-none-eabi-gcc"
    VERBATIM)
  add_custom_target(conformance_guest ALL DEPENDS ${LPAE_CONF_GUEST})
else()
  message(STATUS "arm-none-eabi-gcc not found: the QEMU conformance test will fail until "
                 "gcc-arm-none-eabi is installed (make deps) and cmake is re-run")
endif()
if(NOT LPAE_QEMU_ARM)
  set(LPAE_QEMU_ARM qemu-system-arm) # lpae-conform reports it missing
endif()

add_executable(lpae-conform ${LPAE_CONF_DIR}/conform.c ${LPAE_CONF_DIR}/confgen.c
                            ${LPAE_CONF_DIR}/conf_case.c)
target_include_directories(lpae-conform PRIVATE ${LPAE_CONF_DIR})
target_link_libraries(lpae-conform PRIVATE lpae_internal)

add_test(NAME conformance_qemu_slice
  COMMAND lpae-conform --guest ${LPAE_CONF_GUEST} --qemu ${LPAE_QEMU_ARM}
          --probes 20000 --seed 1 --regress-dir ${CMAKE_BINARY_DIR}/conformance/regress)
set_tests_properties(conformance_qemu_slice PROPERTIES TIMEOUT 600)

# The recorded QEMU results through the command line: `lpaesim translate`.
if(TARGET lpaesim)
  add_test(NAME conformance_lpaesim_replay
    COMMAND lpae-conform --lpaesim $<TARGET_FILE:lpaesim> --cases ${LPAE_CONF_DIR}/regress)
endif()

if(TARGET test_conformance)
  target_sources(test_conformance PRIVATE ${LPAE_CONF_DIR}/confgen.c ${LPAE_CONF_DIR}/conf_case.c)
  target_include_directories(test_conformance PRIVATE ${LPAE_CONF_DIR})
endif()
