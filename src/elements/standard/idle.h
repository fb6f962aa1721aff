#pragma once
// =c
// Idle
// =s basicsources
// never emits; discards what it gets
// =d
// Has any number of inputs and outputs. Never pushes a packet out or pulls one in, and
// answers every pull with nothing. Packets pushed into it are discarded. Useful to connect
// ports that must be connected but carry nothing.
// =e
// Idle -> q :: Queue -> Discard;
// =a Discard
// =uplane
// Discarded packets are counted as 'other' drops. Idle has no empty notifier: a puller
// downstream keeps polling.

#include "graph/element.h"

namespace uplane::elements {

class Idle final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "Idle", .ports = "-/-", .processing = "a/a", .flow = "x/y"};
  void push(int, graph::Batch& batch) noexcept override {
    drop_batch(batch, graph::DropReason::kOther);
  }
  void pull(int, graph::Batch&, std::uint32_t) noexcept override {}
};

}  // namespace uplane::elements
