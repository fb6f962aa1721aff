#pragma once
// The host and its tenants as plain values: what a host configuration file (host_config.h)
// parses into, and what the running host (host.h) is built from and changed with. No
// behaviour here; validation lives with the parser, running with the host.
//
// A tenant's Click configuration reaches the host only through FromDevice/ToDevice
// elements that name host ports (PortSpec::name): inside a tenant, `FromDevice(p0)` is
// "this tenant's share of what arrives on host port p0" (the frames its Selector picks)
// and `ToDevice(p0)` is "send on p0, as this tenant" (the host enforces egress).

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace uplane::tenant {

// Where a value came from, for messages: "host.toml:12:5".
struct SourceRef {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A host port: one io::Port (and its queues), shared by the tenants that select it.
struct PortSpec {
  std::string name;    // host-wide name; tenants' FromDevice/ToDevice use it
  std::string device;  // Linux interface (or shm/null name) the driver opens
  std::string driver;  // "xdp", "packet", "tap", "shm", "null", "auto"
  std::uint32_t queues = 1;
  std::optional<std::uint32_t> ring_size;  // driver default when unset
  SourceRef where;
};

// A worker thread and the host ports it polls.
struct WorkerSpec {
  int cpu = -1;                    // pinned CPU, -1: not pinned
  std::vector<std::string> ports;  // PortSpec names; every port has exactly one worker
  SourceRef where;
};

using Mac = std::array<std::uint8_t, 6>;

// A MAC address (six bytes at `m`) as the low 48 bits of an integer: one compare on the
// data path instead of a memcmp.
inline std::uint64_t mac_key(const std::uint8_t* m) noexcept {
  // Two loads combined in registers: six bytes copied into an 8-byte temporary would be
  // stored in two pieces and read back whole, a store-forwarding stall on every frame.
  std::uint32_t lo = 0;
  std::uint16_t hi = 0;
  std::memcpy(&lo, m, 4);
  std::memcpy(&hi, m + 4, 2);
  return lo | (std::uint64_t{hi} << 32);
}
inline std::vector<std::uint64_t> mac_keys(const std::vector<Mac>& macs) {
  std::vector<std::uint64_t> v;
  v.reserve(macs.size());
  for (const Mac& m : macs) v.push_back(mac_key(m.data()));
  return v;
}

// Which frames are a tenant's. A frame is the tenant's when it arrives on one of `ports`,
// and — for each of the other two sets that is not empty — its VLAN ID (untagged = 0) is in
// `vlans` and its destination MAC is in `macs` (broadcast and multicast go to every tenant
// on the port whose VLANs match). Two tenants' selectors may not overlap.
struct Selector {
  std::vector<std::string> ports;
  std::vector<std::uint16_t> vlans;
  std::vector<Mac> macs;
};

// Budgets; 0 means unlimited.
struct Budget {
  double cpu_share = 0;      // share of its worker's cycles, (0, 1]
  std::uint64_t pps = 0;     // packets per second into the tenant's graph
  std::uint64_t bps = 0;     // bits per second into the tenant's graph
  std::uint32_t frames = 0;  // packet frames the tenant may hold at once
  std::uint32_t weight = 1;  // share of the worker against its other tenants
};

enum class TenantMode : std::uint8_t { kInProcess, kProcess };
// What the host does when an out-of-process tenant's process exits without being asked:
// start another always, only when it failed (a signal or a non-zero status), or never.
enum class RestartPolicy : std::uint8_t { kAlways, kOnFailure, kNever };

struct TenantSpec {
  std::string name;              // [A-Za-z][A-Za-z0-9_-]*; its elements are "name/..."
  std::string click;             // the Click configuration text
  std::string click_file;        // where it came from ("host.toml" for inline text)
  std::uint32_t click_line = 1;  // line of `click_file` where the text starts
  Selector selector;
  Budget budget;
  TenantMode mode = TenantMode::kInProcess;
  // mode = process (tenant_process.h): its restart policy; how long its rx ring may stay
  // full before the host deems it stalled and kills it; whether the host trusts it with
  // its own pool (zero copy); the program to run (empty: the host's own binary).
  RestartPolicy restart = RestartPolicy::kAlways;
  std::uint64_t stall_ms = 2000;
  bool trusted = false;
  std::string program;
  SourceRef where;
};

struct HostSpec {
  std::vector<PortSpec> ports;
  std::vector<WorkerSpec> workers;
  std::string control;  // Unix socket path of the control endpoint; empty: none
  std::vector<TenantSpec> tenants;
  std::string default_tenant;  // gets unmatched traffic; empty: counted and dropped
  std::string file;            // the host configuration's path
};

}  // namespace uplane::tenant
