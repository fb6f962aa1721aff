# The running host (host.h): tenant graphs on the host's workers, demux, egress checks,
# live lifecycle, accounting. Included by CMakeLists.txt of this folder.
#
# Its sources use io/ (ports, FromDevice's FORCE_IP helper) by header only: io/ is an
# OBJECT library, so every binary that links uplane::tenant also links uplane_io (and
# uplane_elements for the tenants' element classes), as tenant_test and `uplane` do.
target_sources(uplane_tenant PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/host.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/tenant_elements.cc)

# The host's test runs threads, so it also runs under ThreadSanitizer. That build compiles
# only the elements the test includes (as src/elements does for its concurrent tests): an
# #include of "elements/<dir>/<name>.h" brings <dir>/<name>.cc, and what those include in
# turn. An element the test names in a tenant's configuration must be included there.
if("thread" IN_LIST UPLANE_SANITIZE)
  set(_host_scan ${CMAKE_CURRENT_SOURCE_DIR}/host_test.cc)
  set(_host_needed "")
  set(_elements_dir ${PROJECT_SOURCE_DIR}/src/elements)
  foreach(_round RANGE 20)  # bounded: each round adds files not seen before
    set(_next "")
    foreach(_file IN LISTS _host_scan)
      file(STRINGS ${_file} _incs REGEX "^#include \"elements/[^\"]+\\.h\"")
      foreach(_inc IN LISTS _incs)
        string(REGEX REPLACE "^#include \"elements/([^\"]+)\\.h\".*" "\\1" _stem "${_inc}")
        foreach(_f ${_stem}.h ${_stem}.cc)
          if(EXISTS ${_elements_dir}/${_f} AND NOT ${_elements_dir}/${_f} IN_LIST _host_needed)
            list(APPEND _host_needed ${_elements_dir}/${_f})
            list(APPEND _next ${_elements_dir}/${_f})
          endif()
        endforeach()
      endforeach()
    endforeach()
    set(_host_scan ${_next})
    if(NOT _host_scan)
      break()
    endif()
  endforeach()
  list(FILTER _host_needed INCLUDE REGEX "\\.cc$")
  set_source_files_properties(${_host_needed} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  uplane_test(tenant_host_test SOURCES host_test.cc ${_host_needed}
              DEPS uplane::tenant uplane_io LABELS "element;concurrent" TIMEOUT 300)
else()
  uplane_test(tenant_host_test SOURCES host_test.cc
              DEPS uplane::tenant uplane_elements uplane_io LABELS "element;concurrent"
              TIMEOUT 300)
endif()
