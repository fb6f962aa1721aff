#pragma once
// =c
// Queue([CAPACITY])
// =s storage
// stores packets in a FIFO queue, shared between threads
// =d
// Keeps pushed packets in first-in, first-out order until they are pulled. When it
// already holds CAPACITY packets, further packets are dropped (counted in drops, and as
// queue_full drops) or, when output 1 is connected, pushed out of output 1 instead.
// CAPACITY is an unsigned integer up to 16777216; the default is 1000.
//
// Queue is where worker threads meet: any number of threads may push into it at once
// while others pull from it (packets overflowing to output 1 leave on the pushing thread).
// It behaves as SimpleQueue in every other way.
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
// FromDevice(eth0) -> q :: Queue(1024) -> ToDevice(eth1);
// StaticThreadSched(q 0)
// =a SimpleQueue, Unqueue, StaticThreadSched
// =uplane
// Click's Queue allows one pushing and one pulling thread (its ThreadSafeQueue allows
// several); uplane's Queue is a multi-producer, multi-consumer lock-free ring
// (ring::MpmcRing, its size the power of two at or above CAPACITY) with a separate count
// that holds it to CAPACITY exactly, so it also serves where Click uses ThreadSafeQueue.
// There are no empty/full notifiers: a puller polls. CAPACITY is at most 16777216.
// Packets dropped by reset or by shrinking the capacity are counted as drops of the
// element (other, queue_full), not in the drops handler, as in Click.

#include "elements/standard/simple_queue.h"

namespace uplane::elements {

class Queue final : public SimpleQueue {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "Queue", .ports = "1/1-2", .processing = "h/lh", .thread_safe = true};
  Queue() noexcept : SimpleQueue(true) {}
};

}  // namespace uplane::elements
