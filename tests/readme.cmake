# The API snippet in README.md must compile, link against the public library
# and run: extract the first ```c block into the build tree and build it as
# a user would (public headers only, the shared liblpae).
set(lpae_readme ${PROJECT_SOURCE_DIR}/README.md)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${lpae_readme})
file(READ ${lpae_readme} lpae_readme_text)
string(REGEX MATCH "```c\n(.*)" lpae_snippet "${lpae_readme_text}")
string(FIND "${CMAKE_MATCH_1}" "\n```" lpae_snippet_end)
if(lpae_snippet STREQUAL "" OR lpae_snippet_end LESS 0)
  message(FATAL_ERROR "README.md has no complete ```c block for the API snippet test")
endif()
string(SUBSTRING "${CMAKE_MATCH_1}" 0 ${lpae_snippet_end} lpae_snippet)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/readme/readme_snippet.c CONTENT "${lpae_snippet}\n" @ONLY)
add_executable(readme_snippet ${CMAKE_BINARY_DIR}/readme/readme_snippet.c)
target_link_libraries(readme_snippet PRIVATE lpae)
add_test(NAME readme_snippet COMMAND readme_snippet)
