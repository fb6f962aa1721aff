#pragma once
// =c
// Strip(LENGTH)
// =s basicmod
// strips bytes from the front of packets
// =d
// Removes the first LENGTH bytes of each packet. Annotations that point into the packet
// (the network header) keep pointing at the same bytes. Works in push and in pull context.
// =e
// Strip(14)   // drop the Ethernet header
// =a Unstrip, StripToNetworkHeader, EtherEncap
// =uplane
// A packet shorter than LENGTH is dropped (too_short); Click strips all it has and lets
// the empty packet through with a warning.

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class Strip final : public graph::SimpleElement<Strip> {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Strip", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  graph::Verdict process(graph::Packet& p) noexcept {
    if (!p.pull(nbytes_)) return graph::Drop(graph::DropReason::kTooShort);
    return graph::Port{0};
  }

 private:
  std::uint32_t nbytes_ = 0;
};

}  // namespace uplane::elements
