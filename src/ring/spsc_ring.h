#pragma once
// SpscRing<T>: a single-producer, single-consumer ring of trivially copyable values.
//
// The producer publishes `head` (next slot to write) and keeps a cached copy of the
// consumer's `tail`; the consumer publishes `tail` and keeps a cached copy of `head`. A side
// reads the other's index only when its cached copy says the ring looks full (or empty), so
// in steady state a burst touches the other side's line once per lap instead of once per
// call — the reason this ring beats a ring that must read both indices on every call
// (rigtorp's SPSCQueue, netmap's cached head/tail). Each published index and each cached
// copy has a 128-byte block of its own (ring_layout.h): the other side polling an index
// never takes away the line holding the copy (measured: docs/performance.md).
//
// Indices are free-running uint32_t, masked at use: head - tail is the fill level even
// across wrap-around. Exactly one thread (in any process) may produce and one may consume.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "ring/ring_layout.h"

namespace uplane::ring {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied as bytes");
  static_assert(alignof(T) <= kCacheLine);

 public:
  // Bytes a ring of `capacity` slots needs, header included.
  static constexpr std::size_t bytes_for(std::uint32_t capacity) noexcept {
    return kHeaderBytes + std::size_t{capacity} * sizeof(T);
  }

  // Builds an empty ring in `mem` (128-byte aligned, `bytes` long). The memory may be
  // shared; the ring keeps no pointer into it.
  static Result<SpscRing*> create_in(void* mem, std::size_t bytes, std::uint32_t capacity) {
    UPLANE_RETURN_IF_ERROR(check_ring_placement(mem, bytes, capacity, bytes_for(capacity)));
    auto* r = new (mem) SpscRing();
    r->hdr_ =
        RingHeader{kRingMagic, kRingVersion, kSpscKind, sizeof(T), capacity, capacity - 1, 1, 1};
    return r;
  }

  // Uses a ring that another process (or thread) built at `mem` with create_in.
  static Result<SpscRing*> attach(void* mem, std::size_t bytes) {
    UPLANE_RETURN_IF_ERROR(check_ring_attach(mem, bytes, kSpscKind, sizeof(T), kHeaderBytes));
    // The ring was built (by create_in) in this memory, perhaps by another process.
    return std::launder(static_cast<SpscRing*>(mem));
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  std::uint32_t capacity() const noexcept { return hdr_.capacity; }

  // Producer side. Burst: enqueues as many of `n` as fit and returns how many.
  std::uint32_t enqueue_burst(const T* items, std::uint32_t n) noexcept {
    return enqueue(items, n, false);
  }
  // Bulk: enqueues all `n` or none.
  bool enqueue_bulk(const T* items, std::uint32_t n) noexcept {
    return enqueue(items, n, true) == n;
  }
  bool try_enqueue(const T& item) noexcept { return enqueue(&item, 1, true) == 1; }

  // Consumer side. Burst: dequeues up to `n`, returns how many.
  std::uint32_t dequeue_burst(T* out, std::uint32_t n) noexcept { return dequeue(out, n, false); }
  // Bulk: dequeues exactly `n` or none.
  bool dequeue_bulk(T* out, std::uint32_t n) noexcept { return dequeue(out, n, true) == n; }
  bool try_dequeue(T& out) noexcept { return dequeue(&out, 1, true) == 1; }

  // Moves every index (and cached copy) of an EMPTY, unused ring to `at`: lets a test reach
  // the 2^32 index wrap without pushing four billion entries.
  void park_indices_for_test(std::uint32_t at) noexcept {
    prod_.head.store(at, std::memory_order_relaxed);
    prod_.cached_tail = at;
    cons_.tail.store(at, std::memory_order_relaxed);
    cons_.cached_head = at;
  }

  // Entries in the ring at some instant during the call; stale by the time it returns
  // unless both sides are quiet.
  std::uint32_t size_estimate() const noexcept {
    // Acquire both: pairs with the release stores in enqueue/dequeue; only the values matter.
    std::uint32_t tail = cons_.tail.load(std::memory_order_acquire);
    std::uint32_t head = prod_.head.load(std::memory_order_acquire);
    return std::min(head - tail, hdr_.capacity);
  }

 private:
  SpscRing() = default;

  // The host's ends of a ring shared with an untrusted peer (guarded_ring.h) locate the
  // indices and slots through these members; they keep their own geometry.
  template <typename>
  friend class GuardedProducer;
  template <typename>
  friend class GuardedConsumer;

  // Each side's published index has a block of its own, apart from the cached copy its
  // side reads on every call: the other side polling the index then never takes away the
  // line with the cached copy.
  struct Producer {
    alignas(kRingAlign) std::atomic<std::uint32_t> head{0};
    alignas(kRingAlign) std::uint32_t cached_tail = 0;  // the producer's last view of tail
  };
  struct Consumer {
    alignas(kRingAlign) std::atomic<std::uint32_t> tail{0};
    alignas(kRingAlign) std::uint32_t cached_head = 0;  // the consumer's last view of head
  };

  // Both indices live in shared memory, so either may have been scribbled on by a broken
  // peer: a distance beyond the capacity reads as full (or empty) and nothing is copied.
  std::uint32_t enqueue(const T* items, std::uint32_t n, bool all_or_nothing) noexcept {
    const std::uint32_t cap = hdr_.capacity;
    // Relaxed: only this thread writes head.
    const std::uint32_t head = prod_.head.load(std::memory_order_relaxed);
    std::uint32_t used = head - prod_.cached_tail;
    if (UPLANE_UNLIKELY(cap - used < n || used > cap)) {
      // Acquire pairs with the consumer's release store of tail in dequeue(): the consumer
      // finished reading the slots it gave back before we overwrite them.
      const std::uint32_t tail = cons_.tail.load(std::memory_order_acquire);
      used = head - tail;
      if (used > cap) return 0;
      prod_.cached_tail = tail;
      const std::uint32_t free = cap - used;
      if (free < n) {
        if (all_or_nothing || free == 0) return 0;
        n = free;
      }
    }
    copy_to_slots(slots(), hdr_.mask, head, items, n);
    // Release pairs with the consumer's acquire load of head: the slots are written first.
    prod_.head.store(head + n, std::memory_order_release);
    return n;
  }

  std::uint32_t dequeue(T* out, std::uint32_t n, bool all_or_nothing) noexcept {
    const std::uint32_t cap = hdr_.capacity;
    // Relaxed: only this thread writes tail.
    const std::uint32_t tail = cons_.tail.load(std::memory_order_relaxed);
    std::uint32_t avail = cons_.cached_head - tail;
    if (UPLANE_UNLIKELY(avail < n || avail > cap)) {
      // Acquire pairs with the producer's release store of head in enqueue().
      const std::uint32_t head = prod_.head.load(std::memory_order_acquire);
      avail = head - tail;
      if (avail > cap) return 0;
      cons_.cached_head = head;
      if (avail < n) {
        if (all_or_nothing || avail == 0) return 0;
        n = avail;
      }
    }
    copy_from_slots(slots(), hdr_.mask, tail, out, n);
    // Release pairs with the producer's acquire load of tail: our reads of the slots are
    // done before the producer may reuse them.
    cons_.tail.store(tail + n, std::memory_order_release);
    return n;
  }

  T* slots() noexcept {
    static_assert(sizeof(*this) == kHeaderBytes, "slots start right after the header blocks");
    return reinterpret_cast<T*>(reinterpret_cast<char*>(this) + kHeaderBytes);
  }

  RingHeader hdr_;
  Producer prod_;
  Consumer cons_;

 public:
  static constexpr std::size_t kHeaderBytes = 5 * kRingAlign;
};

}  // namespace uplane::ring
