#pragma once
// =c
// SimpleQueue([CAPACITY])
// =s storage
// stores packets in a FIFO queue
// =d
// Keeps pushed packets in first-in, first-out order until they are pulled. When it
// already holds CAPACITY packets, further packets are dropped (counted in drops, and as
// queue_full drops) or, when output 1 is connected, pushed out of output 1 instead.
// CAPACITY is an unsigned integer up to 16777216; the default is 1000.
//
// SimpleQueue is for one pushing thread and one pulling thread (they may differ). Queue
// takes pushes from several threads at once.
// =h length read-only
// Packets in the queue now.
// =h highwater_length read-only
// The most packets the queue has held at once.
// =h capacity read/write
// The CAPACITY. Writing a smaller capacity than the current length drops the newest
// packets that no longer fit.
// =h drops read-only
// Packets that found the queue full (dropped, or sent to output 1 when it exists).
// =h reset_counts write-only
// Sets drops to zero and highwater_length to the current length.
// =h reset write-only
// Empties the queue: its packets go to output 1 when it exists, else they are dropped.
// =e
// ... -> SimpleQueue(200) -> Unqueue -> ...
// =a Queue, Unqueue
// =uplane
// The packets sit in a lock-free ring (ring::MpmcRing, its size the power of two at or
// above CAPACITY) while a separate count holds the queue to CAPACITY exactly. CAPACITY is
// at most 16777216. Packets dropped by reset or by shrinking the capacity are counted as
// drops of the element (other, queue_full), not in the drops handler, as in Click.

#include <atomic>
#include <cstdint>

#include "graph/element.h"
#include "ring/mpmc_ring.h"

namespace uplane::elements {

class SimpleQueue : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "SimpleQueue", .ports = "1/1-2", .processing = "h/lh"};
  static constexpr std::uint32_t kMaxCapacity = 1u << 24;

  SimpleQueue() noexcept : SimpleQueue(false) {}
  ~SimpleQueue() override;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void cleanup() noexcept override;
  void add_handlers() override;
  // Any thread for Queue; one thread at a time for SimpleQueue.
  void push(int port, graph::Batch& batch) noexcept override;
  // One thread at a time for SimpleQueue; any thread for Queue.
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;
  // Live replacement: the old queue's packets move over, oldest first; those beyond this
  // queue's capacity are dropped (queue_full) by the old one. Drops and highwater carry.
  void take_state(graph::Element& old) noexcept override;

  std::uint32_t capacity() const noexcept { return capacity_; }
  // Packets queued (plus any a push is putting in right now).
  std::uint32_t length() const noexcept { return count_.load(std::memory_order_relaxed); }

 protected:
  // `multi_thread`: pushes (and pulls) may come from several threads at once.
  explicit SimpleQueue(bool multi_thread) noexcept : multi_thread_(multi_thread) {}

 private:
  using Ring = ring::MpmcRing<graph::Packet*>;

  Status resize(std::uint32_t capacity);
  // Packets that found no room: to output 1 when it exists, else dropped.
  void overflow(graph::Packet* const* pkts, std::uint32_t n) noexcept;
  // Takes every queued packet out; what happens to them is up to `sink`.
  template <typename Sink>
  void drain(Sink&& sink) noexcept;
  void note_length(std::uint32_t length) noexcept;

  const bool multi_thread_;
  std::uint32_t capacity_ = 1000;
  ring::HeapRing<Ring> ring_;
  // Slots taken: packets in the ring plus those a push has reserved room for and not yet
  // enqueued. Never above capacity_, so the ring (at least capacity_ slots) always has room
  // for what a push reserved.
  alignas(64) std::atomic<std::uint32_t> count_{0};
  alignas(64) std::atomic<std::uint32_t> highwater_{0};
  std::atomic<std::uint64_t> drops_{0};
};

}  // namespace uplane::elements
