# Embed presets/*.conf into liblpae as a generated C array (src/cost/presets_data.h).
# Included from CMakeLists.txt after the lpae_obj target is defined.
file(GLOB LPAE_PRESET_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/presets/*.conf)
set(LPAE_PRESETS_C ${CMAKE_BINARY_DIR}/generated/lpae_presets_data.c)
add_custom_command(
  OUTPUT ${LPAE_PRESETS_C}
  COMMAND ${CMAKE_COMMAND} -DDIR=${PROJECT_SOURCE_DIR}/presets -DOUT=${LPAE_PRESETS_C}
          -P ${PROJECT_SOURCE_DIR}/cmake/presets_embed.cmake
  DEPENDS ${LPAE_PRESET_FILES} ${PROJECT_SOURCE_DIR}/cmake/presets_embed.cmake
  COMMENT "Embedding CPU presets"
  VERBATIM)
target_sources(lpae_obj PRIVATE ${LPAE_PRESETS_C})
