#pragma once
// =c
// Unstrip(LENGTH)
// =s basicmod
// puts bytes back on the front of packets
// =d
// Grows each packet by LENGTH bytes at the front, uncovering bytes that were there before
// (such as those Strip removed). Works in push and in pull context.
// =e
// Strip(14) -> ... -> Unstrip(14)
// =a Strip, EtherEncap
// =uplane
// A packet with less than LENGTH bytes of headroom is dropped (no_room); Click moves it to
// a larger buffer instead.

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class Unstrip final : public graph::SimpleElement<Unstrip> {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Unstrip", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  graph::Verdict process(graph::Packet& p) noexcept {
    if (p.push(nbytes_) == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
    return graph::Port{0};
  }

 private:
  std::uint32_t nbytes_ = 0;
};

}  // namespace uplane::elements
