#pragma once
// The host side of a tenant's graph (see host.h): the context a hosted Router hands its
// elements, and the two elements that stand in for FromDevice and ToDevice in a tenant's
// configuration (the host renames the classes when it elaborates it; neither class works
// in a configuration of its own).
//
// =c
// TenantFromDevice(DEVNAME [, KEYWORDS])
// =d
// In a tenant's configuration, what FromDevice(DEVNAME) becomes: pushes the tenant's
// share of what arrives on host port DEVNAME (its ingress ring) out of output 0, up to
// BURST per run. Keywords kept from FromDevice: BURST, FORCE_IP, SNIFFER (true), SNAPLEN,
// TIMESTAMP (accepted; the host does not stamp), OUTBOUND (false). Keywords that choose or
// tune a driver (METHOD, CAPTURE, QUEUE, PROMISC, ZEROCOPY, XDP_MODE, RING_SIZE, FANOUT,
// BPF_FILTER) are the host's and an error here. Handlers: count, reset_counts.
// =c
// TenantToDevice(DEVNAME [, KEYWORDS])
// =d
// What ToDevice(DEVNAME) becomes: sends on host port DEVNAME as the tenant. Each frame is
// checked first: the port must be one of the tenant's, and when the tenant's selector
// lists VLANs (MACs) the frame's VLAN ID (untagged: 0) (source MAC) must be one of them;
// otherwise it is dropped and counted against the tenant (egress_port_denied,
// egress_vlan_denied, egress_mac_denied). Input agnostic, as ToDevice: pull input polls up
// to BURST per run and keeps what the port refuses; push input drops it after a few tries
// (tx_full). Keywords kept: BURST, DEBUG. Handlers: count, drops, reset_counts.
// =c
// TenantProcessLink(N)
// =d
// The host's side of an out-of-process tenant (tenant_process.h): the whole of its graph
// on the host is FromDevice(p_i) -> [i]TenantProcessLink(N)[i] -> ToDevice(p_i) for each of
// its N ports. A packet pushed into input i is copied to the tenant's current process as
// arriving on its port i; what the process sends on its port i leaves output i (to the
// egress checks of TenantToDevice). With no process attached, or its rx ring full, packets
// are dropped and counted (tenant_down, link_full). It moves to a new child when one is
// published, keeps collecting from one that is leaving, and reclaims a dead one's frames.
// The host builds it; a tenant's configuration cannot name it. Handlers: delivered,
// collected (packets to and from its processes).

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graph/element.h"
#include "graph/router.h"
#include "ring/ring_layout.h"
#include "ring/spsc_ring.h"
#include "tenant/host.h"
#include "tenant/spec.h"

namespace uplane::io {
class Port;
}  // namespace uplane::io

namespace uplane::tenant {

class ProcessTenant;

using IngressRing = ring::SpscRing<mem::Packet*>;

// A tenant's accounting: written by its worker (single writer), read by any thread.
struct TenantCounters {
  graph::Counter64 rx_packets, rx_bytes, tx_packets, tx_bytes, cycles, replacements;
  graph::Counter64 throttled_cycles, throttled_passes;  // withheld for its budget
  std::array<graph::Counter64, kTenantDropCount> drops;
  // What its FromDevices took from its ingress rings since the worker last looked (the
  // worker debits its budget with them and zeroes them; bytes only under a bps budget).
  // Its worker's alone.
  std::uint64_t taken_packets = 0;
  std::uint64_t taken_bytes = 0;
  void drop(TenantDrop r, std::uint64_t n = 1) noexcept {
    drops[static_cast<std::size_t>(r)].add(n);
  }
};

// One host port as a tenant's graph sees it.
struct PortBinding {
  std::string name;
  io::Port* port = nullptr;     // its transmit side; used only when `allowed`
  IngressRing* ring = nullptr;  // the tenant's share of what arrives; null: not its port
  bool allowed = false;         // in the tenant's selector: it may send and receive here
  bool reading = false;         // a TenantFromDevice of this graph reads `ring`
};

// What a tenant's Router carries as its host context; one per graph (built with it).
class TenantContext final : public graph::HostContext {
 public:
  std::string tenant;
  std::uint16_t tenant_id = 0;
  TenantCounters* counters = nullptr;
  std::vector<PortBinding> ports;    // every host port, in host order
  std::vector<std::uint16_t> vlans;  // egress: allowed VLAN IDs (empty: any)
  std::vector<std::uint64_t> macs;   // egress: allowed source MACs, mac_key()s (empty: any)
  bool accounting = true;            // count bytes (HostOptions::accounting)
  bool count_bits = false;           // a bps budget: TenantFromDevice sums what it takes
  ProcessTenant* process = nullptr;  // mode process: its children (TenantProcessLink)

  PortBinding* find(std::string_view name) noexcept;
  // Names of the host's ports, for messages: "p0, p1".
  std::string port_list() const;
  // Why `p` may not leave as this tenant on `b`, or TenantDrop::kCount when it may.
  TenantDrop check_egress(const PortBinding& b, const mem::Packet& p) const noexcept;
};

// The classes a tenant's configuration may not use at all (files, sockets of the host).
// Empty when `cls` is fine, else why not.
std::string_view class_denied_in_tenant(std::string_view cls) noexcept;

}  // namespace uplane::tenant
