#pragma once
// =c
// Discard([KEYWORDS])
// =s basicsources
// drops all packets
// =d
// Discards every packet it receives. With a pull input, a task pulls packets as fast as
// it can (Click's ACTIVE true) and discards them.
//
// Keywords:
//   ACTIVE   Boolean. With a pull input, whether Discard pulls on its own. Default true.
//   BURST    Unsigned, 1-32. Packets pulled per task run. Default 32 (Click: 1 packet).
// =h count read-only
// Packets discarded.
// =h reset_counts write-only
// Resets count to zero.
// =a Idle
// =uplane
// Pulls up to BURST packets per task run where Click pulls one; otherwise as Click.

#include "graph/element.h"

namespace uplane::elements {

class Discard final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Discard", .ports = "1/0", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  bool active_ = true;
  std::uint32_t burst_ = graph::Batch::kMax;
  graph::Counter64 count_;
};

}  // namespace uplane::elements
