#pragma once
// =c
// RatedSource([DATA, RATE, LIMIT, ACTIVE, KEYWORDS])
// =s basicsources
// generates packets at a given rate
// =d
// Emits packets whose contents are DATA, RATE packets per second, at most LIMIT of them (a
// negative LIMIT means no limit), and only while ACTIVE is true. With a push output a task
// paces the packets; with a pull output, a pull gets the packets that are due. Pacing is a
// token bucket: one token per packet, RATE tokens a second, holding at most 2 tokens below
// 200 packets/s and RATE/100 tokens above (10 ms of traffic); the bucket starts with one
// token. Every packet gets the current wall-clock time as its timestamp annotation.
//
// Keywords:
//   DATA       String. The packet contents. Default: the same 69-byte text as Click's.
//   RATE       Unsigned, packets per second, at most 10^9. Default 10.
//   LIMIT      Integer. Total packets to emit; negative for no limit. Default -1.
//   ACTIVE     Boolean. Whether packets are emitted. Default true.
//   LENGTH     Integer. The packet length: DATA is cut to it or repeated until it is
//              reached. Negative: DATA's own length. Default -1. DATASIZE is an old name.
//   STOP       Boolean. Ask the router to stop once LIMIT packets were emitted. Default false.
//   BANDWIDTH  Bandwidth. When given, RATE becomes BANDWIDTH divided by the packet length.
// =h count read-only
// Packets emitted so far.
// =h reset write-only
// Sets count to zero and refills the bucket with one token, so another LIMIT packets follow.
// =h data read/write
// The DATA argument.
// =h length read/write
// The LENGTH argument (datasize is an old name for it).
// =h rate read/write
// The RATE argument.
// =h limit read/write
// The LIMIT argument; -1 when there is none.
// =h active read/write
// Whether the element emits packets.
// =h alloc_failures read-only
// Packets not emitted because the packet pool was empty (uplane only).
// =e
// RatedSource(\<0800>, 10, 1000) -> Queue -> ...
// =a InfiniteSource
// =uplane
// The bucket is refilled from the monotonic clock to the nanosecond (Click counts jiffies),
// and a task run emits every packet that is due, up to 32, as one batch (Click emits one
// per run); the long-run rate is the same. Packets are copied into frames of the router's
// pool; when it is empty fewer are emitted (alloc_failures). RATE above 10^9 is an error.
// A zero-length packet with BANDWIDTH is an error (Click divides by zero). STOP asks the
// router to stop as soon as the LIMIT-th packet is out; once the router is stopping, pulls
// get nothing.

#include <cstdint>
#include <string>

#include "elements/standard/infinite_source.h"
#include "graph/element.h"

namespace uplane::elements {

class RatedSource final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "RatedSource", .ports = "0/1", .processing = "a/a"};
  static constexpr std::uint64_t kMaxRate = 1'000'000'000;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  // One token, in the bucket's units (tokens are kept to a nanosecond's worth of rate).
  static constexpr std::uint64_t kToken = 1'000'000'000;

  void set_rate(std::uint64_t rate, std::uint64_t capacity) noexcept;
  // Adds the tokens earned since the last refill, up to the capacity.
  void refill(std::uint64_t now_ns) noexcept;
  // Empties the bucket but for one token (Click's _tb.set(1)).
  void restart_bucket() noexcept;
  // Packets that may be emitted now: whole tokens, at most `max`, within LIMIT.
  std::uint32_t due(std::uint32_t max) noexcept;
  // Emits n due packets into `out`; returns how many were made.
  std::uint32_t emit(std::uint32_t n, graph::Batch& out) noexcept;
  std::uint64_t room_left() const noexcept { return source::room_left(limit_, count_.get()); }
  void maybe_reschedule() noexcept;

  source::Payload payload_;
  std::int64_t limit_ = -1;
  std::uint64_t rate_ = 10;
  std::uint64_t capacity_ = 2;  // whole tokens
  std::uint64_t tokens_ = 0;    // in kToken units
  std::uint64_t last_refill_ns_ = 0;
  bool active_ = true;
  bool stop_ = false;
  graph::Task* task_ = nullptr;
  graph::Counter64 count_;
  graph::Counter64 alloc_failures_;
};

}  // namespace uplane::elements
