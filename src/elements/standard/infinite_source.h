#pragma once
// =c
// InfiniteSource([DATA, LIMIT, BURST, ACTIVE, KEYWORDS])
// =s basicsources
// generates packets whenever scheduled
// =d
// Emits packets whose contents are DATA. With a push output, a task emits BURST packets
// every time it runs (as batches of at most 32); with a pull output, each pull is answered
// with as many packets as were asked for. After LIMIT packets it stops; a negative LIMIT
// means no limit. Nothing is emitted while ACTIVE is false. Every packet gets the current
// wall-clock time as its timestamp annotation unless TIMESTAMP is false.
//
// Keywords:
//   DATA       String. The packet contents. Default: a 69-byte text, the same as Click's.
//   LIMIT      Integer. Total packets to emit; negative for no limit. Default -1.
//   BURST      Integer, at least 1. Packets emitted per task run. Default 1.
//   ACTIVE     Boolean. Whether packets are emitted. Default true.
//   LENGTH     Integer. The packet length: DATA is cut to it, or repeated until it is
//              reached. Negative: DATA's own length. Default -1. DATASIZE is an old name.
//   STOP       Boolean. Ask the router to stop once LIMIT packets were emitted. Default false.
//   TIMESTAMP  Boolean. Set each packet's timestamp annotation. Default true.
// =h count read-only
// Packets emitted so far.
// =h reset write-only
// Sets count to zero, so another LIMIT packets follow (when active).
// =h data read/write
// The DATA argument.
// =h length read/write
// The LENGTH argument (datasize is an old name for it).
// =h limit read/write
// The LIMIT argument.
// =h burst read/write
// The BURST argument (burstsize is an old name for it).
// =h active read/write
// Whether the element emits packets.
// =h alloc_failures read-only
// Packets not emitted because the packet pool was empty (uplane only); the task retries.
// =e
// InfiniteSource(\<0800>, LIMIT 1000, STOP true) -> Queue -> ...
// =a RatedSource
// =uplane
// Packets are copied into frames of the router's pool, not cloned; when the pool is empty
// fewer packets are emitted (counted in alloc_failures) and the task tries again. DATA with
// LENGTH longer than a pool frame holds is a configuration error. END_CALL is not
// supported (a configuration error); use STOP. An empty DATA with a positive LENGTH gives
// zero-filled packets (Click loops forever). STOP asks the router to stop as soon as the
// LIMIT-th packet is out; once the router is stopping, pulls get nothing, so a draining
// router finishes. Timestamps are the wall clock in nanoseconds.

#include <cstdint>
#include <string>
#include <string_view>

#include "graph/element.h"

namespace uplane::elements {

// What InfiniteSource and RatedSource share.
namespace source {
// Click's default DATA for both sources.
inline constexpr std::string_view kDefaultData =
    "Random bullshit in a packet, at least 64 bytes long. Well, now it is.";
// DATA cut to `length`, or repeated until `length` bytes (zeros when DATA is empty);
// DATA itself when length < 0.
std::string payload(std::string_view data, std::int64_t length);
// An error when a packet of `bytes` does not fit one of the pool's frames.
Status check_fits(const mem::PacketPool& pool, std::size_t bytes);

// DATA, LENGTH and the packet contents they make. A DATA and LENGTH whose packet does not
// fit a pool frame are never installed.
class Payload {
 public:
  const std::string& data() const noexcept { return data_; }
  std::int64_t length() const noexcept { return length_; }
  const std::string& bytes() const noexcept { return bytes_; }
  // Installs DATA and LENGTH, or returns check_fits' error and changes nothing.
  Status set(const mem::PacketPool& pool, std::string data, std::int64_t length);
  // A write to the length (datasize) handler: an integer ("length must be integer"), then
  // set() with the current DATA.
  Status write_length(const mem::PacketPool& pool, std::string_view text);

 private:
  std::string data_{kDefaultData};
  std::int64_t length_ = -1;
  std::string bytes_{kDefaultData};
};

// Packets that may still go out before LIMIT when `count` went out already (UINT64_MAX when
// limit < 0, no limit).
std::uint64_t room_left(std::int64_t limit, std::uint64_t count) noexcept;
// Appends up to n (<= out.room()) packets holding `payload` to `out`, stamped with the
// wall clock when `timestamp`; returns how many (fewer when the pool ran dry).
std::uint32_t make_packets(mem::PacketPool& pool, std::string_view payload, std::uint32_t n,
                           bool timestamp, graph::Batch& out) noexcept;
// Click's BoolArg unparse with a newline: "true\n" / "false\n".
inline std::string bool_line(bool b) { return b ? "true\n" : "false\n"; }
}  // namespace source

class InfiniteSource final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "InfiniteSource", .ports = "0/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  bool run_task(graph::Task& task) noexcept override;

 private:
  // Packets that may still go out before LIMIT (UINT64_MAX without a limit).
  std::uint64_t room_left() const noexcept { return source::room_left(limit_, count_.get()); }
  // At the limit: stop the router when STOP says so.
  void at_limit() noexcept;
  // After a handler changed something: run again if there is something to do.
  void maybe_reschedule() noexcept;

  source::Payload payload_;
  std::int64_t limit_ = -1;
  std::int32_t burst_ = 1;
  bool active_ = true;
  bool stop_ = false;
  bool timestamp_ = true;
  graph::Task* task_ = nullptr;
  graph::Counter64 count_;
  graph::Counter64 alloc_failures_;
};

}  // namespace uplane::elements
