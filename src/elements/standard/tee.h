#pragma once
// =c
// Tee([N])
// =s basictransfer
// duplicates packets
// =d
// Sends a copy of each packet out of every output; the original goes out of the last one.
// Tee has as many outputs as the configuration connects; N, when given, must equal that
// number.
// =h alloc_failures read-only
// Copies not made because the packet pool was empty (uplane only); the other outputs still
// get theirs.
// =e
// ... -> t :: Tee -> ...; t[1] -> ToDump(copy.pcap)
// =a PaintSwitch
// =uplane
// Copies are full copies made in the router's pool (Click clones share the data); a copy
// that cannot be made is counted in alloc_failures. A batch goes out of output 0 first,
// then output 1, and so on, so the copies of one batch reach the outputs in that order.
// PullTee is a separate element.

#include "graph/element.h"

namespace uplane::elements {

class Tee final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Tee", .ports = "1/1-", .processing = "h/h"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;

 private:
  graph::Counter64 alloc_failures_;
};

}  // namespace uplane::elements
