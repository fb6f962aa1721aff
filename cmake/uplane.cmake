# Project-wide compile flags and the helpers every layer uses.

add_compile_options(-Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(UPLANE_WERROR)
  add_compile_options(-Werror)
endif()
# Link with mold (scripts/install-deps.sh installs it), else gold: both link the sanitized
# test binaries several times faster than ld.bfd.
include(CheckLinkerFlag)
check_linker_flag(CXX "-fuse-ld=mold" UPLANE_HAVE_MOLD)
if(UPLANE_HAVE_MOLD)
  add_link_options(-fuse-ld=mold)
else()
  check_linker_flag(CXX "-fuse-ld=gold" UPLANE_HAVE_GOLD)
  if(UPLANE_HAVE_GOLD)
    add_link_options(-fuse-ld=gold)
  endif()
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
  # AddressSanitizer builds only ever run the tests, which start a binary once per test
  # case: linked as position-dependent executables, they skip the loader's ~850k relative
  # relocations (the sanitizers' metadata) at every start, about a third of a start's time.
  if("address" IN_LIST UPLANE_SANITIZE)
    include(CheckPIESupported)
    check_pie_supported(LANGUAGES CXX)
    set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
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
# that forgets an include breaks the build. A header whose own .cc is built by a library of
# this folder and includes it first (STYLE.md: own header first) already gets that check
# from compiling the .cc, so it gets no second TU (uplane_header_checked_by_source).
function(uplane_headers_compile_alone name)
  file(GLOB _headers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  uplane_header_alone_tus(_tus ${_headers})
  if(_tus)
    add_library(uplane_${name}_headers OBJECT ${_tus})
    target_link_libraries(uplane_${name}_headers PRIVATE uplane::${name})
  endif()
endfunction()

# uplane_header_alone_tus(OUT headers...): writes header_alone/<stem>.cc for each header that
# no library source checks already, and returns their paths in OUT.
function(uplane_header_alone_tus out)
  set(_tus "")
  foreach(_header IN LISTS ARGN)
    # Test-only helpers (*_testing.h) include GoogleTest: their tests compile them.
    if(_header MATCHES "_testing\\.h$")
      continue()
    endif()
    uplane_header_checked_by_source(${_header} _checked)
    if(_checked)
      continue()
    endif()
    file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR}/src ${_header})
    string(REPLACE "/" "_" _stem ${_rel})
    string(REPLACE "." "_" _stem ${_stem})
    set(_tu ${CMAKE_CURRENT_BINARY_DIR}/header_alone/${_stem}.cc)
    file(CONFIGURE OUTPUT ${_tu} CONTENT "#include \"${_rel}\"\n")
    list(APPEND _tus ${_tu})
  endforeach()
  set(${out} ${_tus} PARENT_SCOPE)
endfunction()

# Sets OUT to TRUE when <header minus .h>.cc is a source of a STATIC or OBJECT library
# defined in the calling folder and its first line that is neither blank nor a // comment
# is #include "<header's path from src/>". Read at configure time (CI configures afresh).
function(uplane_header_checked_by_source header out)
  set(${out} FALSE PARENT_SCOPE)
  string(REGEX REPLACE "\\.h$" ".cc" _cc ${header})
  if(NOT EXISTS ${_cc})
    return()
  endif()
  get_property(_targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
  set(_built FALSE)
  foreach(_t IN LISTS _targets)
    get_target_property(_type ${_t} TYPE)
    if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "OBJECT_LIBRARY")
      get_target_property(_srcs ${_t} SOURCES)
      foreach(_s IN LISTS _srcs)
        get_filename_component(_s ${_s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
        if(_s STREQUAL _cc)
          set(_built TRUE)
        endif()
      endforeach()
    endif()
  endforeach()
  if(NOT _built)
    return()
  endif()
  file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR}/src ${header})
  file(STRINGS ${_cc} _lines LIMIT_COUNT 50)
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "^[ \t]*(//.*)?$")
      continue()
    endif()
    if(_line STREQUAL "#include \"${_rel}\"")
      set(${out} TRUE PARENT_SCOPE)
    endif()
    return()
  endforeach()
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

# Every test source starts with <gtest/gtest.h>: it is parsed once, into a precompiled
# header that every test binary reuses (with the same flags: the project's). Not under a
# ccache launcher: ccache does not cache what uses a precompiled header unless its
# sloppiness allows pch_defines,time_macros, and its hits are worth more than the header.
function(uplane_test_pch target)
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    return()
  endif()
  if(NOT TARGET uplane_gtest_pch)
    set(_src ${PROJECT_BINARY_DIR}/uplane_gtest_pch.cc)
    file(CONFIGURE OUTPUT ${_src} CONTENT "// Holds the precompiled <gtest/gtest.h> of the tests.\n")
    add_library(uplane_gtest_pch OBJECT ${_src})
    target_link_libraries(uplane_gtest_pch PRIVATE GTest::gtest)
    target_precompile_headers(uplane_gtest_pch PRIVATE <gtest/gtest.h>)
  endif()
  target_precompile_headers(${target} REUSE_FROM uplane_gtest_pch)
endfunction()

# uplane_elements_included_by(OUT sources...): the element sources (absolute .cc paths under
# src/elements) that SOURCES pull in by #include "elements/<dir>/<name>.h" — <dir>/<name>.cc,
# and in turn what those include. The ThreadSanitizer build compiles only these into a
# concurrent test instead of the whole element library; a test that names an element only
# in a configuration must include its header. They keep their own header first, so they
# skip the tests' precompiled gtest.
function(uplane_elements_included_by out)
  set(_dir ${PROJECT_SOURCE_DIR}/src/elements)
  set(_scan ${ARGN})
  set(_needed "")
  foreach(_round RANGE 20)  # bounded: each round adds files not seen before
    set(_next "")
    foreach(_file IN LISTS _scan)
      file(STRINGS ${_file} _incs REGEX "^#include \"elements/[^\"]+\\.h\"")
      foreach(_inc IN LISTS _incs)
        string(REGEX REPLACE "^#include \"elements/([^\"]+)\\.h\".*" "\\1" _stem "${_inc}")
        foreach(_f ${_dir}/${_stem}.h ${_dir}/${_stem}.cc)
          if(EXISTS ${_f} AND NOT _f IN_LIST _needed)
            list(APPEND _needed ${_f})
            list(APPEND _next ${_f})
          endif()
        endforeach()
      endforeach()
    endforeach()
    set(_scan ${_next})
    if(NOT _scan)
      break()
    endif()
  endforeach()
  list(FILTER _needed INCLUDE REGEX "\\.cc$")
  set_source_files_properties(${_needed} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  set(${out} ${_needed} PARENT_SCOPE)
endfunction()

function(uplane_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  uplane_test_pch(${name})
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
