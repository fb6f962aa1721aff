#pragma once
// =c
// ToDevice(DEVNAME [, KEYWORDS])
// =s netdevices
// sends packets to a network device
// =d
// Sends the packets that reach its input out of the network interface DEVNAME (one queue
// of it), link-level header included. The input is agnostic. When it is pull (the usual
// Click arrangement, `... -> Queue -> ToDevice(eth0)`), a task pulls up to BURST packets
// each run and hands them to the port; packets the device cannot take yet (its transmit
// ring is full) are kept and offered again before anything new is pulled, so a pull
// ToDevice never drops. When the input is push, each pushed batch is handed to the port
// at once; what the ring cannot take after a few retries is dropped and counted
// (queue_full).
//
// METHOD, QUEUE and the other port keywords are FromDevice's. A FromDevice for the same
// DEVNAME and QUEUE in the configuration lends its port (one AF_XDP socket: frames
// received there are sent here without a copy); otherwise ToDevice opens its own,
// transmit-only. With METHOD XDP a frame from the router's pool is sent without a copy.
//
// Keywords:
//   BURST     Unsigned, 1-32. Packets pulled per task run. Default 32.
//   METHOD    AUTO, XDP, PACKET (or LINUX), TAP, NULL. Default AUTO (see FromDevice).
//   QUEUE     Unsigned. The device queue to send on. Default 0.
//   ZEROCOPY  Boolean. With XDP, require zero-copy mode. Default false.
//   XDP_MODE  With XDP: NATIVE, SKB or AUTO. Default AUTO.
//   RING_SIZE Unsigned, a power of two. Descriptors per ring. Default 2048.
//   DEBUG     Boolean. Accepted for Click compatibility; no effect.
// =h count read-only
// Packets handed to the device.
// =h drops read-only
// Packets dropped because the device could not take them (push input only).
// =h reset_counts write-only
// Resets count and drops to zero.
// =h method read-only
// The method the port uses (XDP, PACKET, TAP, NULL).
// =h link read-only
// The device's link state: up, down or unknown.
// =h stats read-only
// The port's counters: tx_packets, tx_bytes, tx_dropped, tx_errors, one per line.
// =e
//   ... -> Queue(1024) -> ToDevice(eth1, METHOD XDP);
// =a FromDevice, Queue
// =uplane
// The input is agnostic (Click's user-level ToDevice pulls); a push input drops what the
// device cannot take instead of blocking. QUEUE, BURST's limit of 32, METHOD, ZEROCOPY,
// XDP_MODE and RING_SIZE are uplane's; IGNORE_QUEUE_OVERFLOWS is not supported.

#include <cstdint>
#include <memory>
#include <string>

#include "graph/element.h"
#include "io/port.h"

namespace uplane::io {

class ToDevice final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "ToDevice", .ports = "1/0", .processing = "a/a"};

  ToDevice();
  ~ToDevice() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  PortConfig cfg_;
  Method method_ = Method::kAuto;
  std::uint32_t burst_ = graph::Batch::kMax;
  std::shared_ptr<Port> port_;
  graph::Batch pending_;  // pull input: pulled, not yet taken by the device
  graph::Counter64 count_;
  graph::Counter64 drops_;
};

}  // namespace uplane::io
