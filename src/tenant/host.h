#pragma once
// Host: the running host — its packet pool, its ports, its worker threads and the
// in-process tenants' graphs they run (DESIGN.md, "Tenancy and isolation"; docs/architecture.md,
// "tenant/").
//
// One worker thread per WorkerSpec polls its ports. Each pass it takes one burst from
// every port, classifies the burst once by its tenants' selectors (port, VLAN ID of the
// 802.1Q/802.1ad tag — untagged is 0 —, destination MAC) and moves each tenant's frames to
// that tenant's ingress ring for the port (bounded: a full ring is a drop counted against
// that tenant). A broadcast or multicast frame goes to every tenant of the port whose
// VLANs match: the last gets the frame, the others a copy (frames carry no reference
// count). A frame no tenant takes goes to the default tenant when it selects the port,
// else it is counted (unmatched) and dropped. Then the worker runs one pass of each of its
// tenants' graphs (graph::Worker::run_once), timing it with the cycle counter.
//
// A tenant's graph is a hosted graph::Router over the host's pool: frames move from
// port to graph to port with no copy. Its FromDevice(p0) reads its ingress ring of host
// port p0, its ToDevice(p0) sends on p0 as the tenant: the host drops (and counts) what
// the tenant may not send — a port not in its selector, a VLAN ID not among its VLANs, a
// source MAC not among its MACs (each checked when the selector has that set). Other
// driver keywords are refused in tenant configurations.
//
// Budgets (TenantSpec::budget; 0 is unlimited): token buckets on packets/s and bits/s
// taken into the tenant's graph (debited with what its FromDevices took in a pass) and on
// cpu_share of its worker's cycles (debited with each pass's measured cycles), refilled from
// the cycle counter, each at most 10 ms worth deep (packets and bits: at least one burst).
// A tenant with an empty bucket is not served — its graph does not run, so its ingress
// rings absorb, then drop, counted against it alone as over_budget — until the bucket
// refills; a pass may take a burst beyond what is left (the bucket then owes it). Its
// weight is how many graph passes (up to 16) it gets per worker pass while it has work, so
// backlogged tenants on one worker share it in proportion to their weights. Stats count the
// passes and the time it was held back (throttled_passes, throttled_ns).
//
// Adaptive polling: a worker spins while any port or graph has work; idle, it spins 64
// passes, yields 64, sleeps 20 us doubling to 1 ms, then 10 ms and, from about a second of
// idle on, 100 ms — never past the earliest timer of its graphs, 1 ms at most while a
// tenant waits for its budget. When every port it polls has a wait_fd it sleeps in ppoll on
// those and on its own eventfd (which the control thread writes for a change and stop()), so
// a frame or a change wakes it at once; a port without one (shm, null) makes it nap instead.
//
// Every tenant's ports are polled by one worker (its worker); graphs, rings and ports
// are then touched by one thread each. Changes come from one control thread at a time
// (the methods below serialize on a mutex): the new graph is built and initialized there,
// off the data path; the tenant's worker swaps it in at a pass boundary (a mailbox, an
// acknowledgement within HostOptions::ack_timeout_ms); only then is the old one cleaned
// up. A change that fails changes nothing and says why. Ingress rings belong to the
// tenant, not to its graph, so a replaced tenant's queued frames reach its new graph.
//
// Handlers are "TENANT/ELEMENT.HANDLER" ("blue/c.count"); reads run on the calling
// thread, as for a Router; writes run on the tenant's worker at a pass boundary.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tenant/spec.h"

namespace uplane::tenant {

// Why the host dropped a tenant's frame. Counted per tenant; the names are what stats print.
enum class TenantDrop : std::uint8_t {
  kIngressFull,  // its ingress ring had no room (it is slower than its traffic)
  kNoInput,      // its graph has no FromDevice for the port the frame came in on
  kNoMemory,     // no frame for a broadcast/multicast copy
  kEgressPort,   // sent on a host port not in its selector
  kEgressVlan,   // sent with a VLAN ID (untagged: 0) not among its VLANs
  kEgressMac,    // sent with a source MAC not among its MACs
  kEgressRunt,   // sent something shorter than an Ethernet header
  kTxFull,       // the port's transmit ring stayed full (push ToDevice)
  kOverBudget,   // its ingress ring had no room while it was over budget (not served)
  kOverFrames,   // it already held its `frames` budget's worth of the host's frames
  kTenantDown,   // mode process: no process of it was attached to take the frame
  kLinkFull,     // mode process: its process's rx ring (or its pool) had no room
  kCount
};
inline constexpr std::size_t kTenantDropCount = static_cast<std::size_t>(TenantDrop::kCount);
// "ingress_full", "no_input", "no_memory", "egress_port_denied", "egress_vlan_denied",
// "egress_mac_denied", "egress_runt", "tx_full", "over_budget".
std::string_view tenant_drop_name(TenantDrop r) noexcept;

struct TenantStats {
  std::string name;
  int worker = 0;
  std::uint64_t rx_packets = 0;  // into its ingress rings
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_packets = 0;  // taken by a port's tx_burst
  std::uint64_t tx_bytes = 0;
  std::array<std::uint64_t, kTenantDropCount> drops{};
  std::uint64_t cycles = 0;             // cycle counter, over its graph's passes that did work
  std::uint64_t cycles_per_packet = 0;  // cycles / rx_packets (0 before any packet)
  std::uint64_t replacements = 0;       // graphs swapped in since it was added
  std::uint64_t throttled_ns = 0;  // time it waited over budget, its graph not run (ended waits)
  std::uint64_t throttled_passes = 0;  // worker passes that skipped it for its budget
  std::int64_t frames = 0;             // frames it holds now (counted only under a `frames` budget)
  // mode process: its process (pid -1: none runs), how often it was started, died without
  // being asked, was killed for stalling, and what the host took back or refused.
  bool process = false;
  std::int64_t pid = -1;
  std::uint64_t starts = 0, deaths = 0, stalls = 0, frames_reclaimed = 0;
  std::array<std::uint64_t, 4> rejects{};  // FrameReject: out_of_range, not_held, twice, bad_length
  std::uint64_t ring_faults = 0;
  std::uint64_t unbalanced = 0;  // gone processes whose frames did not all come back (0)
  std::string last_exit;

  std::uint64_t drop(TenantDrop r) const noexcept { return drops[static_cast<std::size_t>(r)]; }
  std::uint64_t total_drops() const noexcept;
};

struct HostPortStats {
  std::string name;
  std::uint64_t rx_packets = 0;  // taken from the port by its worker
  std::uint64_t unmatched = 0;   // no tenant's selector took them (and no default tenant)
};

// A worker's pick-ups after idle: the first frame it takes after at least 1 ms without
// work, timed from the kernel's receive stamp on the frame (AF_PACKET ports stamp theirs;
// AF_XDP, TAP, shared-memory and null frames carry none and are not timed) to the pass
// that took it: how long an idle worker takes to wake up for a packet.
struct HostWorkerStats {
  int index = 0;
  std::uint64_t pickups = 0;  // timed pick-ups after idle
  std::uint64_t pickup_ns_last = 0, pickup_ns_sum = 0, pickup_ns_max = 0;
};

struct HostStats {
  std::uint64_t unmatched = 0;  // sum over the ports
  std::vector<HostPortStats> ports;
  std::vector<HostWorkerStats> workers;
};

struct HostOptions {
  std::uint32_t pool_frames = 0;          // frames of the host's pool; 0: from the ports' rings
  std::uint32_t ingress_ring = 1024;      // each tenant's ring per port, a power of two
  std::uint64_t ack_timeout_ms = 2000;    // how long a change waits for the worker
  std::uint64_t drain_timeout_ms = 2000;  // stop(): give up draining after this long
  // Per-tenant bytes and cycles (TSC around each graph pass); off, they read 0 (packets and
  // drops are always counted, one add per batch; budgets keep what they need). Off is for
  // measuring what they cost (bench/tenant/run.sh, case accounting).
  bool accounting = true;
  // The program an out-of-process tenant runs (`PROGRAM tenant --fd 3`) when its spec
  // names none; empty: this process's own binary (`uplane`).
  std::string tenant_program;
  // Workers never sleep or yield when idle: they spin, one core each, as DPDK's do (no
  // wake-up latency, a whole core always). Off: adaptive polling (see host.cc, backoff).
  bool busy_poll = false;
};

class Host {
 public:
  // Opens the pool and every port, builds every tenant: all or nothing, errors name the
  // port or tenant (and the file:line:col of its configuration).
  static Result<std::unique_ptr<Host>> create(const HostSpec& spec, HostOptions options = {});
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;
  ~Host();  // stops if running

  // Starts one thread per worker (pinned to WorkerSpec::cpu when >= 0). Once.
  Status start();
  // Stops polling the ports, lets the graphs drain (bounded), joins the workers, cleans
  // every graph up and closes the ports. Stats and handler reads still work afterwards.
  void stop();
  bool running() const noexcept;

  // --- live lifecycle (from any one thread at a time; safe while running) ---
  Status add_tenant(const TenantSpec& spec);
  // Same name: a new configuration (and VLANs, MACs, budget); the ports must stay the
  // same. Elements that keep their name and class take the old ones' state (take_state).
  Status replace_tenant(const TenantSpec& spec);
  Status remove_tenant(std::string_view name);

  std::vector<std::string> tenant_names() const;
  Result<TenantSpec> tenant(std::string_view name) const;
  std::vector<TenantStats> stats() const;
  HostStats host_stats() const;

  // "TENANT/ELEMENT.HANDLER", or "TENANT/HANDLER" for the tenant graph's router handlers
  // ("blue/list", "blue/flatconfig").
  Result<std::string> read_handler(std::string_view path) const;
  // What a path names, for a control socket's lookups (CHECKREAD, CHECKWRITE).
  struct HandlerInfo {
    bool tenant = false;   // the tenant exists
    bool element = false;  // ... and the element (true for the router's own handlers)
    bool handler = false;  // ... and the handler
    bool readable = false;
    bool writable = false;
  };
  HandlerInfo handler_info(std::string_view path) const;
  Status write_handler(std::string_view path, std::string_view value);

  // After stop(): every frame of the host's pool is back.
  Status check_frames() const;

  struct State;  // host.cc

 private:
  explicit Host(std::unique_ptr<State> s) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace uplane::tenant
