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
# only the elements the test includes (uplane_elements_included_by): an element the test
# names in a tenant's configuration must be included there.
if("thread" IN_LIST UPLANE_SANITIZE)
  uplane_elements_included_by(_host_needed ${CMAKE_CURRENT_SOURCE_DIR}/host_test.cc)
  uplane_test(tenant_host_test SOURCES host_test.cc ${_host_needed}
              DEPS uplane::tenant uplane_io LABELS "element;concurrent" TIMEOUT 300)
else()
  uplane_test(tenant_host_test SOURCES host_test.cc
              DEPS uplane::tenant uplane_elements uplane_io LABELS "element;concurrent"
              TIMEOUT 300)
endif()

# Out-of-process tenants (tenant_process.h) on a running host: the children are the real
# `uplane tenant` and tenant_hostile, a tenant program that attacks the host through its
# link. Not under ThreadSanitizer: that build does not build `uplane`.
if(NOT "thread" IN_LIST UPLANE_SANITIZE)
  add_executable(tenant_hostile ${CMAKE_CURRENT_SOURCE_DIR}/hostile_tenant.cc)
  target_link_libraries(tenant_hostile PRIVATE uplane::tenant uplane_elements uplane_io)
  uplane_test(tenant_process_test SOURCES process_test.cc
              DEPS uplane::tenant uplane_elements uplane_io LABELS element TIMEOUT 300)
  target_compile_definitions(tenant_process_test PRIVATE
    UPLANE_BINARY="$<TARGET_FILE:uplane>"
    UPLANE_HOSTILE_TENANT="$<TARGET_FILE:tenant_hostile>")
  add_dependencies(tenant_process_test uplane tenant_hostile)
endif()
