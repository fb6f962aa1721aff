#pragma once
// =c
// FromDevice(DEVNAME [, KEYWORDS])
// =s netdevices
// reads packets from a network device
// =d
// Receives the packets arriving on the network interface DEVNAME (one queue of it) and
// pushes them out output 0, link-level header included, in bursts. The packets land in
// frames of the router's packet pool: with METHOD XDP the kernel writes them there itself
// (AF_XDP, the pool is the UMEM); with PACKET they are copied once from an AF_PACKET
// TPACKET_V3 ring; with TAP, DEVNAME is a TAP device read directly.
//
// Unlike Click's user-level FromDevice, which is a sniffer (the kernel also receives every
// packet), METHOD XDP takes packets away from the kernel: they are uplane's alone. PACKET
// and TAP behave as Click's sniffer does.
//
// A ToDevice for the same DEVNAME and QUEUE in the same configuration shares this
// element's port (one AF_XDP socket, one packet socket), as Click's ToDevice shares
// FromDevice's file descriptor.
//
// Sets the timestamp annotation (the kernel's receive time when the method reports one,
// else the time the burst was taken), and with FORCE_IP the network header annotation.
//
// Keywords:
//   SNIFFER   Boolean. Accepted for Click compatibility; must be true. Default true.
//   PROMISC   Boolean. Put the device into promiscuous mode while running. Default false.
//   SNAPLEN   Unsigned. Accepted for Click compatibility; frames are kept whole up to the
//             pool's frame size. Default 2046.
//   FORCE_IP  Boolean. Emit only IPv4 and IPv6 packets (Ethernet type 0x0800 or 0x86DD with
//             a whole IP header), with the network header annotation set; others are
//             dropped and counted (filtered). Default false.
//   METHOD    AUTO, XDP, PACKET (or LINUX, Click's name for it), TAP, NULL. AUTO picks the
//             fastest that opens — XDP, then PACKET — and logs its choice once (at info
//             level: `uplane -v`). CAPTURE is a synonym, as in Click. Default AUTO.
//   QUEUE     Unsigned. The device queue to receive from. Default 0.
//   BURST     Unsigned, 1-32. Packets taken per task run. Default 32.
//   OUTBOUND  Boolean. Accepted for Click compatibility; must be false.
//   TIMESTAMP Boolean. Set the timestamp annotation. Default true.
//   ZEROCOPY  Boolean. With XDP, require zero-copy mode (an error if the driver lacks it).
//             Default false.
//   XDP_MODE  With XDP: NATIVE (the driver's XDP), SKB (generic XDP) or AUTO. Default AUTO.
//   RING_SIZE Unsigned, a power of two. Descriptors per ring. Default 2048.
//   FANOUT    Unsigned. With PACKET, join fanout group FANOUT (hash) so several
//             FromDevice elements on one device share its traffic. Default none.
//   ACTIVE    Boolean. When false, receive nothing until the active handler is written.
//             Default true.
// =h count read-only
// Packets emitted.
// =h reset_counts write-only
// Resets count to zero.
// =h kernel_drops read-only
// Packets the kernel or the port dropped before FromDevice could take them (ring full,
// no free frame).
// =h method read-only
// The method the port uses (XDP, PACKET, TAP, NULL).
// =h link read-only
// The device's link state: up, down or unknown.
// =h encap read-only
// The link encapsulation: ETHER.
// =h active read/write
// Whether FromDevice receives (a Boolean).
// =h stats read-only
// The port's counters: rx_packets, rx_bytes, rx_dropped, rx_errors, one per line.
// =e
//   FromDevice(eth0, METHOD XDP) -> Classifier(...) -> ...
// =a ToDevice, FromDump
// =uplane
// METHOD XDP takes packets from the kernel instead of copying them (Click's user-level
// FromDevice only sniffs); PCAP capture, BPF_FILTER and OUTBOUND true are not supported
// (configuration errors); the packet type annotation is not set. QUEUE, BURST, ZEROCOPY,
// XDP_MODE, RING_SIZE, FANOUT and ACTIVE are uplane's.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "graph/element.h"
#include "io/port.h"

namespace uplane::io {

class FromDevice final : public graph::Element {
 public:
  // Before ToDevice, so that a ToDevice finds the port it can share already open.
  static constexpr graph::ElementSpec kSpec{.name = "FromDevice",
                                            .ports = "0/1",
                                            .processing = "h/h",
                                            .configure_phase = graph::kConfigurePhaseDefault - 1};

  FromDevice();
  ~FromDevice() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  bool run_task(graph::Task& task) noexcept override;

  const std::string& devname() const noexcept { return cfg_.device; }
  std::uint32_t queue() const noexcept { return cfg_.queue; }
  Method method() const noexcept { return method_; }
  // The open port, shared with a ToDevice on the same device and queue; null before
  // initialize().
  const std::shared_ptr<Port>& port() const noexcept { return port_; }

 private:
  PortConfig cfg_;
  Method method_ = Method::kAuto;
  std::uint32_t burst_ = graph::Batch::kMax;
  bool force_ip_ = false;
  bool timestamp_ = true;
  std::shared_ptr<Port> port_;
  graph::Batch pending_;  // received, beyond BURST: pushed on the next run
  graph::Task* task_ = nullptr;
  std::atomic<bool> active_{true};
  graph::Counter64 count_;
};

// Whether p (an Ethernet frame) holds IPv4 or IPv6 with its whole header; if so, sets the
// network and transport header annotations (and, for IPv4, the destination IP
// annotation), as Click's FORCE_IP does.
bool mark_ether_ip(mem::Packet& p) noexcept;

}  // namespace uplane::io
