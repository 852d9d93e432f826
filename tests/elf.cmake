# Real ARM ELF samples for tests/test_elf.c, built with arm-none-eabi-gcc
# when it is installed. Without it the test skips those cases (a skip, not a pass).
find_program(LPAE_ARM_GCC arm-none-eabi-gcc)
if(LPAE_ARM_GCC AND TARGET test_elf)
  set(_elf_dir ${CMAKE_BINARY_DIR}/elf-samples)
  set(_elf_src ${PROJECT_SOURCE_DIR}/tests/elf_samples)
  set(_elf_cflags -O2 -ffreestanding -marm -march=armv7-a -fno-asynchronous-unwind-tables)
  add_custom_command(OUTPUT ${_elf_dir}/arm_user.elf
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_elf_dir}
    COMMAND ${LPAE_ARM_GCC} ${_elf_cflags} -nostdlib -Wl,-Ttext=0x10000 -Wl,-e,_start
            -o ${_elf_dir}/arm_user.elf ${_elf_src}/user.c
    DEPENDS ${_elf_src}/user.c VERBATIM)
  add_custom_command(OUTPUT ${_elf_dir}/arm_kernel.elf
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_elf_dir}
    COMMAND ${LPAE_ARM_GCC} ${_elf_cflags} -nostdlib -Wl,-Ttext=0xC0008000 -Wl,-e,stext
            -o ${_elf_dir}/arm_kernel.elf ${_elf_src}/kernel.c
    DEPENDS ${_elf_src}/kernel.c VERBATIM)
  add_custom_command(OUTPUT ${_elf_dir}/arm_module.o
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_elf_dir}
    COMMAND ${LPAE_ARM_GCC} ${_elf_cflags} -c -o ${_elf_dir}/arm_module.o ${_elf_src}/module.c
    DEPENDS ${_elf_src}/module.c VERBATIM)
  add_custom_target(elf_samples ALL DEPENDS
    ${_elf_dir}/arm_user.elf ${_elf_dir}/arm_kernel.elf ${_elf_dir}/arm_module.o)
  add_dependencies(test_elf elf_samples)
else()
  message(STATUS "arm-none-eabi-gcc not found: real ARM ELF cases of test_elf will be skipped")
endif()
