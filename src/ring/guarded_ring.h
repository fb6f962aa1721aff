#pragma once
// GuardedProducer<T>, GuardedConsumer<T>: the host's end of an SpscRing<T> that an untrusted
// peer (an out-of-process tenant, issue 6) also maps.
//
// SpscRing reads its geometry (capacity, mask) and its cached copy of the other side's index
// from the shared header on every call, so a peer that rewrites them can steer a copy out of
// the slots (ring_layout.h, "Trust"). A guarded end instead keeps, in its own (the host's)
// memory, everything it decides with: the capacity and mask, its own index (the
// authoritative copy; it stores it to shared memory for the peer but never reads it back
// from there) and its cached copy of the peer's index. From shared memory it only reads the
// peer's published index and the slots, and writes its own index and (producer) the slots.
// Every slot index is masked with the private mask, so no value the peer writes can move a
// copy outside the slot array.
//
// A peer index at an impossible distance from ours (more than the capacity: a head far
// ahead, a tail behind the lap or ahead of our head) is counted in peer_faults() and the call
// moves nothing; the next call reads the peer's index afresh, so the end recovers as soon as
// the peer publishes a sane index. What the peer puts in the slots is still the peer's:
// the caller validates every value it dequeues (a frame index is checked against the pool).
//
// The memory-ordering contract is SpscRing's (acquire load of the peer's index, release
// store of ours), so a plain SpscRing attached on the other side works against it unchanged.

#include <atomic>
#include <cstdint>

#include "base/compiler.h"
#include "ring/ring_layout.h"
#include "ring/spsc_ring.h"

namespace uplane::ring {

template <typename T>
class GuardedProducer {
 public:
  // An end attached to no ring: every call moves nothing.
  GuardedProducer() = default;

  // Produces into `ring`, which this process laid out with SpscRing<T>::create_in(mem,
  // bytes, capacity) and which the peer cannot have written yet (its header is known good
  // now); `capacity` as given there. Takes our starting index from the ring once, here.
  // A null ring, or a capacity that does not match the ring's header, gives an end that is
  // not attached() and moves nothing.
  static GuardedProducer over(SpscRing<T>* ring, std::uint32_t capacity) noexcept {
    GuardedProducer g;
    if (ring == nullptr || !is_power_of_two(capacity) || capacity > kMaxRingCapacity ||
        ring->hdr_.capacity != capacity || ring->hdr_.mask != capacity - 1)
      return g;
    g.head_pub_ = &ring->prod_.head;
    g.tail_peer_ = &ring->cons_.tail;
    g.slots_ = ring->slots();
    g.cap_ = capacity;
    g.mask_ = capacity - 1;
    // Relaxed: read once, before the peer runs; from here on head_ is the authority.
    g.head_ = ring->prod_.head.load(std::memory_order_relaxed);
    // Looks full: the first call reads the consumer's tail instead of trusting any copy.
    g.cached_tail_ = g.head_ - capacity;
    return g;
  }

  bool attached() const noexcept { return slots_ != nullptr; }

  // Enqueues as many of `n` as fit and returns how many. One thread at a time.
  std::uint32_t enqueue_burst(const T* items, std::uint32_t n) noexcept {
    if (UPLANE_UNLIKELY(slots_ == nullptr)) return 0;
    // Invariant: head_ - cached_tail_ <= cap_ (set in over(), kept below).
    std::uint32_t free = cap_ - (head_ - cached_tail_);
    if (UPLANE_UNLIKELY(free < n)) {
      // Acquire pairs with the consumer's release store of tail (SpscRing::dequeue): its
      // reads of the slots it gave back are done before we overwrite them.
      const std::uint32_t tail = tail_peer_->load(std::memory_order_acquire);
      const std::uint32_t used = head_ - tail;
      if (UPLANE_UNLIKELY(used > cap_)) {
        ++peer_faults_;
        return 0;
      }
      cached_tail_ = tail;
      free = cap_ - used;
      if (free == 0) return 0;
      if (free < n) n = free;
    }
    copy_to_slots(slots_, mask_, head_, items, n);
    head_ += n;
    // Release pairs with the consumer's acquire load of head: the slots are written first.
    head_pub_->store(head_, std::memory_order_release);
    return n;
  }

  // Items the consumer has not taken yet (reads its tail); the capacity, and a fault
  // counted, when its tail is at an impossible distance.
  std::uint32_t pending() noexcept {
    if (UPLANE_UNLIKELY(slots_ == nullptr)) return 0;
    const std::uint32_t tail = tail_peer_->load(std::memory_order_acquire);
    const std::uint32_t used = head_ - tail;
    if (UPLANE_UNLIKELY(used > cap_)) {
      ++peer_faults_;
      return cap_;
    }
    cached_tail_ = tail;
    return used;
  }

  // Free slots now (reads the consumer's tail): what an enqueue_burst would take.
  std::uint32_t room() noexcept { return cap_ - pending(); }

  // Calls that found the consumer's tail at an impossible distance from our head. Read it
  // on the producing thread (or while it is quiet).
  std::uint64_t peer_faults() const noexcept { return peer_faults_; }

 private:
  std::atomic<std::uint32_t>* head_pub_ = nullptr;         // shared: written, never read
  const std::atomic<std::uint32_t>* tail_peer_ = nullptr;  // shared: the peer's tail
  T* slots_ = nullptr;                                     // shared: cap_ slots
  std::uint32_t cap_ = 0;
  std::uint32_t mask_ = 0;
  std::uint32_t head_ = 0;         // next slot to write
  std::uint32_t cached_tail_ = 0;  // our last sane view of the consumer's tail
  std::uint64_t peer_faults_ = 0;
};

template <typename T>
class GuardedConsumer {
 public:
  // An end attached to no ring: every call moves nothing.
  GuardedConsumer() = default;

  // Consumes from `ring`, which this process laid out with SpscRing<T>::create_in(mem,
  // bytes, capacity) and which the peer cannot have written yet (its header is known good
  // now); `capacity` as given there. Takes our starting index from the ring once, here.
  // A null ring, or a capacity that does not match the ring's header, gives an end that is
  // not attached() and moves nothing.
  static GuardedConsumer over(SpscRing<T>* ring, std::uint32_t capacity) noexcept {
    GuardedConsumer g;
    if (ring == nullptr || !is_power_of_two(capacity) || capacity > kMaxRingCapacity ||
        ring->hdr_.capacity != capacity || ring->hdr_.mask != capacity - 1)
      return g;
    g.tail_pub_ = &ring->cons_.tail;
    g.head_peer_ = &ring->prod_.head;
    g.slots_ = ring->slots();
    g.cap_ = capacity;
    g.mask_ = capacity - 1;
    // Relaxed: read once, before the peer runs; from here on tail_ is the authority.
    g.tail_ = ring->cons_.tail.load(std::memory_order_relaxed);
    // Looks empty: the first call reads the producer's head instead of trusting any copy.
    g.cached_head_ = g.tail_;
    return g;
  }

  bool attached() const noexcept { return slots_ != nullptr; }

  // Dequeues up to `n` into `out` and returns how many. One thread at a time. The values
  // are whatever the peer wrote: check them before use.
  std::uint32_t dequeue_burst(T* out, std::uint32_t n) noexcept {
    if (UPLANE_UNLIKELY(slots_ == nullptr)) return 0;
    // Invariant: cached_head_ - tail_ <= cap_ (set in over(), kept below).
    std::uint32_t avail = cached_head_ - tail_;
    if (UPLANE_UNLIKELY(avail < n)) {
      // Acquire pairs with the producer's release store of head (SpscRing::enqueue): the
      // slots up to head are written before we read them.
      const std::uint32_t head = head_peer_->load(std::memory_order_acquire);
      avail = head - tail_;
      if (UPLANE_UNLIKELY(avail > cap_)) {
        ++peer_faults_;
        return 0;
      }
      cached_head_ = head;
      if (avail == 0) return 0;
      if (avail < n) n = avail;
    }
    copy_from_slots(slots_, mask_, tail_, out, n);
    tail_ += n;
    // Release pairs with the producer's acquire load of tail: our reads of the slots are
    // done before the producer may reuse them.
    tail_pub_->store(tail_, std::memory_order_release);
    return n;
  }

  // Calls that found the producer's head at an impossible distance from our tail. Read it
  // on the consuming thread (or while it is quiet).
  std::uint64_t peer_faults() const noexcept { return peer_faults_; }

 private:
  std::atomic<std::uint32_t>* tail_pub_ = nullptr;         // shared: written, never read
  const std::atomic<std::uint32_t>* head_peer_ = nullptr;  // shared: the peer's head
  const T* slots_ = nullptr;                               // shared: cap_ slots
  std::uint32_t cap_ = 0;
  std::uint32_t mask_ = 0;
  std::uint32_t tail_ = 0;         // next slot to read
  std::uint32_t cached_head_ = 0;  // our last sane view of the producer's head
  std::uint64_t peer_faults_ = 0;
};

}  // namespace uplane::ring
