# Install rules: liblpae (shared and static), its public headers, lpae.pc for
# pkg-config and a CMake package config so that find_package(lpae) works.
#
# The shared and the static library go into two export sets: a consumer of
# lpae::lpae needs nothing else, while lpae::lpae_static carries the private
# dependency on libelf (and libm), which lpaeConfig.cmake finds again with
# find_dependency(PkgConfig) + pkg_check_modules(libelf).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LPAE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/lpae)
set(LPAE_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS lpae EXPORT lpaeSharedTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS lpae_static EXPORT lpaeStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lpae
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT lpaeSharedTargets NAMESPACE lpae:: DESTINATION ${LPAE_CMAKE_DIR})
install(EXPORT lpaeStaticTargets NAMESPACE lpae:: DESTINATION ${LPAE_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lpaeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/lpaeConfig.cmake
  INSTALL_DESTINATION ${LPAE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/lpaeConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/lpaeConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/lpaeConfigVersion.cmake
  DESTINATION ${LPAE_CMAKE_DIR})

# lpae.pc is relocatable: prefix is found from the .pc file's own directory
# (${pcfiledir}), so `cmake --install build --prefix DIR` gives a working
# file whatever prefix was configured.
file(RELATIVE_PATH LPAE_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${LPAE_PC_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" LPAE_PC_TO_PREFIX "${LPAE_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lpae.pc.in ${PROJECT_BINARY_DIR}/lpae.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/lpae.pc DESTINATION ${LPAE_PC_DIR})
