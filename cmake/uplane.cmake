# Project-wide compile flags and the helpers every layer uses.

add_compile_options(-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(UPLANE_WERROR)
  add_compile_options(-Werror)
endif()
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_options(-march=native)
endif()

if(UPLANE_SANITIZE)
  set(_san "")
  foreach(s IN LISTS UPLANE_SANITIZE)
    list(APPEND _san "-fsanitize=${s}")
  endforeach()
  list(JOIN _san " " _san_flags)
  add_compile_options(${_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(${_san})
  if("thread" IN_LIST UPLANE_SANITIZE)
    add_compile_definitions(UPLANE_TSAN=1)
  endif()
endif()

# Fuzzing: the libraries carry libFuzzer's coverage instrumentation too, or the fuzzers
# would only see the harness.
if(UPLANE_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# uplane_layer(NAME SOURCES... DEPS ...): one static library per layer under src/.
function(uplane_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  if(L_SOURCES)
    add_library(uplane_${name} STATIC ${L_SOURCES})
    target_include_directories(uplane_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(uplane_${name} PUBLIC ${L_DEPS})
  else()
    add_library(uplane_${name} INTERFACE)
    target_include_directories(uplane_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(uplane_${name} INTERFACE ${L_DEPS})
  endif()
  add_library(uplane::${name} ALIAS uplane_${name})
  uplane_headers_compile_alone(${name})
endfunction()

# Every header compiles alone (STYLE.md): one generated translation unit per header of the
# calling folder, built as an OBJECT library with the layer's include paths, so a header
# that forgets an include breaks the build.
function(uplane_headers_compile_alone name)
  file(GLOB _headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(_tus "")
  foreach(_header IN LISTS _headers)
    get_filename_component(_file ${_header} NAME)
    string(REPLACE "." "_" _stem ${_file})
    set(_tu ${CMAKE_CURRENT_BINARY_DIR}/header_alone/${_stem}.cc)
    file(CONFIGURE OUTPUT ${_tu} CONTENT "#include \"${_rel}/${_file}\"\n")
    list(APPEND _tus ${_tu})
  endforeach()
  if(_tus)
    add_library(uplane_${name}_headers OBJECT ${_tus})
    target_link_libraries(uplane_${name}_headers PRIVATE uplane::${name})
  endif()
endfunction()

include(GoogleTest)

# Everything labelled 'concurrent', so the ThreadSanitizer build compiles only those.
add_custom_target(concurrent_tests)

# uplane_test(NAME SOURCES... DEPS ... LABELS ... [TIMEOUT s]): a GoogleTest binary under CTest.
# Labels say what a test needs (STYLE.md): unit, element, golden, netns, fuzz; 'concurrent'
# marks the tests that also run under ThreadSanitizer in CI.
# Sets LABELS on every case gtest_discover_tests found for `name` (TEST_LIST <name>_cases).
# Labels are a list, which gtest_discover_tests' PROPERTIES flattens in CMake 3.25; set
# them from a script that runs after discovery, over the discovered cases.
function(uplane_label_cases name labels)
  set(_labels_script ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
  file(WRITE ${_labels_script}
       "foreach(_case IN LISTS ${name}_cases)\n"
       "  set_tests_properties(\"\${_case}\" PROPERTIES LABELS \"${labels}\")\n"
       "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${_labels_script})
endfunction()

function(uplane_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  # One CTest test per GoogleTest case, so ctest's summary counts and names each of them.
  gtest_discover_tests(${name} TEST_LIST ${name}_cases PROPERTIES TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
  uplane_label_cases(${name} "${T_LABELS}")
  if("concurrent" IN_LIST T_LABELS)
    add_dependencies(concurrent_tests ${name})
  endif()
endfunction()
