#pragma once
// The host configuration file: TOML in, a checked HostSpec (tenant/spec.h) out.
//
// The schema (docs/tenancy.md has the table and a worked example):
//   control = "PATH"            optional; relative paths are relative to the TOML file
//   default_tenant = "NAME"     optional; also gets the frames no selector picks on its ports
//   [[port]]    name, device (required), driver, queues, ring_size
//   [[worker]]  cpu, ports (required); none at all: one unpinned worker polls every port
//   [[tenant]]  name (required), config = "FILE" or click = "TEXT" (exactly one), mode,
//               [tenant.selector] ports, vlans, macs; [tenant.budget] cpu_share, pps, bps,
//               frames, weight
//
// Checking is a compiler's: every error found is reported (up to kMaxHostConfigErrors), one
// per line, "file:line:col: what was wrong", in the order of the file. Positions come from
// toml++'s source regions; a tenant's Click errors point into its .click file, or for inline
// text into the TOML file (exactly, when the text is a literal string or has no escapes).
// Unknown keys are errors everywhere, so a typo is never silently ignored.
//
// toml++ is included by host_config.cc alone: this header, and every file that includes
// it, stays free of it.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "graph/config.h"
#include "tenant/spec.h"

namespace uplane::tenant {

// Errors reported before the list is cut short.
inline constexpr std::size_t kMaxHostConfigErrors = 50;

// Reads and checks a host configuration file. The error message holds every error found,
// one per line.
Result<HostSpec> parse_host_config_file(const std::string& path);
// Checks `text` as the host configuration read from `file_name`: messages name it, and
// relative paths in it (tenant config files, the control socket) are relative to its
// directory. Reads the tenants' .click files.
Result<HostSpec> parse_host_config(std::string_view text, std::string_view file_name);

// A change to a running host: `text` (read from `file_name`, which names it in messages and
// anchors its relative paths) holds exactly one [[tenant]] table, checked as the host
// configuration checks its tenants — against `current`'s ports and workers, and for overlap
// with `current`'s other tenants. `replacing`: the name of the tenant it replaces (which
// must be the table's name), or empty for a new tenant (whose name must be free).
Result<TenantSpec> parse_tenant_change(std::string_view text, std::string_view file_name,
                                       const HostSpec& current, std::string_view replacing = {});

// Parses and elaborates a tenant's Click configuration with its errors' positions mapped
// to where the text came from (tenant.click_file, from line tenant.click_line).
// Element names are the tenant's own ("rt"), not yet in its namespace.
Result<graph::FlatConfig> parse_tenant_click(const TenantSpec& tenant);

// Whether `tenant` can join `host` as it is configured: its Click configuration parses and
// elaborates, every element class is registered (the registry holds what the calling
// binary links), ports and push/pull agree, and each FromDevice(P)/ToDevice(P) names a host
// port P among the tenant's selector ports (skipped when the selector names none: that is
// the selector's error), without the driver keywords that are the host's (METHOD, QUEUE,
// RING_SIZE, ...). Element arguments are not configured (that would open devices): the
// host finds those errors when it builds the tenant. Several errors come one per line.
// Control thread; touches no device.
Status check_tenant_config(const HostSpec& host, const TenantSpec& tenant);

// "tenant/element": an element's name in the host, in its tenant's namespace.
std::string tenant_element_name(std::string_view tenant, std::string_view element);

// [A-Za-z][A-Za-z0-9_-]*, at most 64 bytes: the names of tenants and host ports.
bool is_valid_host_name(std::string_view name) noexcept;

}  // namespace uplane::tenant
