#pragma once
// =c
// RoundRobinSwitch
// =s classification
// sends packets to its outputs in turn
// =d
// Has one input and one or more outputs. Sends the first packet to output 0, the next to
// output 1, and so on, starting over after the last output.
// =a HashSwitch, PaintSwitch
// =uplane
// none

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class RoundRobinSwitch final : public graph::SimpleElement<RoundRobinSwitch> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "RoundRobinSwitch", .ports = "1/1-", .processing = "h/h"};
  graph::Verdict process(graph::Packet&) noexcept {
    const int port = next_;
    next_ = next_ + 1 >= noutputs() ? 0 : next_ + 1;
    return graph::Port{port};
  }

 private:
  int next_ = 0;
};

}  // namespace uplane::elements
