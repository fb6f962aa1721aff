#pragma once
// =c
// Unqueue([BURST, KEYWORDS])
// =s shaping
// pull-to-push converter
// =d
// A task pulls packets from the input whenever they are there and pushes them out of the
// output: at most BURST packets per task run, as batches of at most 32. A negative BURST
// pulls until the input has nothing more. With a LIMIT of zero or more, it stops after
// LIMIT packets in all.
//
// Keywords:
//   BURST   Integer. Packets per task run; negative: until the input is empty. Default 32.
//   ACTIVE  Boolean. Whether to pull at all. Default true.
//   LIMIT   Integer. Total packets to pull; negative for no limit. Default -1.
// =h count read-only
// Packets moved so far.
// =h reset write-only
// Sets count to zero, so another LIMIT packets may follow.
// =h reset_counts write-only
// Same as reset.
// =h active read/write
// The ACTIVE keyword.
// =h limit read/write
// The LIMIT keyword.
// =h burst read/write
// The BURST keyword (a negative value reads back as 2147483647).
// =e
// ... -> Queue -> Unqueue -> ...
// =a Queue, SimpleQueue
// =uplane
// The default BURST is 32 (Click: 1), so a task run moves a whole batch. With BURST 0
// nothing is pulled (Click warns about it; uplane says nothing).

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class Unqueue final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Unqueue", .ports = "1/1", .processing = "l/h"};
  static constexpr std::int32_t kUnbounded = 0x7FFFFFFF;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  void maybe_reschedule() noexcept;
  std::uint64_t room_left() const noexcept;

  std::int32_t burst_ = 32;
  std::int32_t limit_ = -1;
  bool active_ = true;
  graph::Task* task_ = nullptr;
  graph::Counter64 count_;
};

}  // namespace uplane::elements
