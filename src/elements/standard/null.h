#pragma once
// =c
// Null
// =s basictransfer
// passes packets unchanged
// =d
// Emits every packet it gets, unchanged. Works in push and in pull context; useful as a
// placeholder and for benchmarks.
// =a Tee
// =uplane
// none

#include "graph/element.h"

namespace uplane::elements {

class Null final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Null", .ports = "1/1", .processing = "a/a"};
  void push(int, graph::Batch& batch) noexcept override { output_push(0, batch); }
  void pull(int, graph::Batch& out, std::uint32_t max) noexcept override {
    input_pull(0, out, max);
  }
};

}  // namespace uplane::elements
