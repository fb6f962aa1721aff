#pragma once
// MpmcRing<T>: DPDK's rte_ring algorithm for trivially copyable values.
//
// Producers and consumers each have a head and a tail (layout in ring_layout.h). To enqueue,
// a producer reserves slots by moving prod.head forward (a CAS when several producers may
// race, a plain store for a single producer), copies its values into the reserved slots,
// then waits until prod.tail reaches where its reservation began and moves prod.tail past
// it. Consumers see only what lies between cons.head and prod.tail, so a reservation becomes
// visible when, and in the order, it was made. Dequeue is the mirror image. Producers never
// wait on consumers or the reverse; producers wait only on earlier producers still copying.
//
// Per call: bulk moves all n elements or none; burst moves as many as it can. Each side is
// either single (SP/SC: exactly one thread) or multi (MP/MC), chosen at creation, or per
// call through the Sync template argument, as rte_ring_sp_enqueue_bulk() does.
//
// Two refinements over rte_ring. Each side keeps, next to its head, a cached copy of the
// other side's tail (as SpscRing does) and reads the real one only when the copy says the
// ring is too full (or too empty) for the request; and each side's tail, which the other
// side polls, sits on a block of its own, away from the head the side CASes on every call.
// Semantics are unchanged; in steady state a call touches the other side's cache line once
// per lap instead of on every call.
//
// Indices are free-running uint32_t masked at use; all `capacity` slots are usable.

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "ring/ring_layout.h"

namespace uplane::ring {

enum class Sync : std::uint8_t {
  kMulti,    // any number of threads on this side
  kSingle,   // exactly one thread on this side at a time
  kDefault,  // as the ring was created
};

template <typename T>
class MpmcRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied as bytes");
  static_assert(alignof(T) <= kCacheLine);

 public:
  static constexpr std::size_t bytes_for(std::uint32_t capacity) noexcept {
    return kHeaderBytes + std::size_t{capacity} * sizeof(T);
  }

  // Builds an empty ring in `mem` (128-byte aligned, `bytes` long). `prod` and `cons`
  // say whether that side is single or multi-threaded by default.
  static Result<MpmcRing*> create_in(void* mem, std::size_t bytes, std::uint32_t capacity,
                                     Sync prod = Sync::kMulti, Sync cons = Sync::kMulti) {
    UPLANE_RETURN_IF_ERROR(check_ring_placement(mem, bytes, capacity, bytes_for(capacity)));
    auto* r = new (mem) MpmcRing();
    r->hdr_ = RingHeader{kRingMagic,
                         kRingVersion,
                         kMpmcKind,
                         sizeof(T),
                         capacity,
                         capacity - 1,
                         prod == Sync::kSingle,
                         cons == Sync::kSingle};
    return r;
  }

  static Result<MpmcRing*> attach(void* mem, std::size_t bytes) {
    UPLANE_RETURN_IF_ERROR(check_ring_attach(mem, bytes, kMpmcKind, sizeof(T), kHeaderBytes));
    // The ring was built (by create_in) in this memory, perhaps by another process.
    return std::launder(static_cast<MpmcRing*>(mem));
  }

  MpmcRing(const MpmcRing&) = delete;
  MpmcRing& operator=(const MpmcRing&) = delete;

  std::uint32_t capacity() const noexcept { return hdr_.capacity; }

  // All n or none. `free_space`, when given, receives a lower bound of the free slots left
  // after the call (exact when the call had to read the consumers' tail, as a full ring does).
  template <Sync S = Sync::kDefault>
  bool enqueue_bulk(const T* items, std::uint32_t n, std::uint32_t* free_space = nullptr) noexcept {
    return enqueue<S>(items, n, true, free_space) == n;
  }
  // As many as fit; returns how many.
  template <Sync S = Sync::kDefault>
  std::uint32_t enqueue_burst(const T* items, std::uint32_t n,
                              std::uint32_t* free_space = nullptr) noexcept {
    return enqueue<S>(items, n, false, free_space);
  }
  // Exactly n or none. `available`, when given, receives a lower bound of the entries left
  // after the call (exact when the call had to read the producers' tail, as an empty ring
  // does): 0 is not proof of an empty ring, a failed or short dequeue is.
  template <Sync S = Sync::kDefault>
  bool dequeue_bulk(T* out, std::uint32_t n, std::uint32_t* available = nullptr) noexcept {
    return dequeue<S>(out, n, true, available) == n;
  }
  // Up to n; returns how many.
  template <Sync S = Sync::kDefault>
  std::uint32_t dequeue_burst(T* out, std::uint32_t n,
                              std::uint32_t* available = nullptr) noexcept {
    return dequeue<S>(out, n, false, available);
  }

  // Entries at some instant during the call.
  std::uint32_t size_estimate() const noexcept {
    // Acquire: pairs with the release stores of the tails; only the values matter here.
    std::uint32_t ct = cons_.tail.load(std::memory_order_acquire);
    std::uint32_t pt = prod_.tail.load(std::memory_order_acquire);
    return std::min(pt - ct, hdr_.capacity);
  }

  // Moves all four indices of an EMPTY ring that nobody else is using to `at`: lets a test
  // reach the 2^32 index wrap without pushing four billion entries.
  void park_indices_for_test(std::uint32_t at) noexcept {
    for (HeadTail* d : {&prod_, &cons_}) {
      d->head.store(at, std::memory_order_relaxed);
      d->tail.store(at, std::memory_order_relaxed);
      d->opposite_tail.store(at, std::memory_order_relaxed);
    }
  }

  // Calls fn(const T&) for each entry, oldest first. Only while no thread enqueues or
  // dequeues (leak checks, tests); the result is meaningless otherwise.
  template <typename F>
  void for_each_quiescent(F&& fn) const {
    std::uint32_t ct = cons_.tail.load(std::memory_order_acquire);
    std::uint32_t pt = prod_.tail.load(std::memory_order_acquire);
    const T* s = slots();
    for (std::uint32_t i = ct; i != pt; ++i) fn(s[i & hdr_.mask]);
  }

 private:
  MpmcRing() = default;

  static constexpr std::uint32_t kSpinsBeforeYield = 1024;

  // One side's indices. The tail, which the other side reads, has a block of its own: a
  // reader polling it then takes away only the line this side writes once per call, not
  // the one holding head, which this side CASes and reads on every call.
  struct HeadTail {
    alignas(kRingAlign) std::atomic<std::uint32_t> head{0};
    // This side's last view of the other side's tail. It only ever lags the real one, so
    // it can only understate free space (or entries); a side reads the real tail, on the
    // other side's line, only when the cached view says there is not enough. Refreshed
    // whenever a side reads a tail that moved. On a single-threaded side it so never lags
    // head by more than the capacity. On a multi-threaded side a thread that stalls between
    // reading the tail and storing it can put back an older value: harmless (the next short
    // call refreshes it) unless the stall lasts about 2^32 operations, when the old value
    // would look current again -- the same wrap-around limit rte_ring's head CAS has.
    std::atomic<std::uint32_t> opposite_tail{0};
    alignas(kRingAlign) std::atomic<std::uint32_t> tail{0};
  };

  template <Sync S>
  bool single(bool default_single) const noexcept {
    if constexpr (S == Sync::kSingle) return true;
    if constexpr (S == Sync::kMulti) return false;
    return default_single;
  }

  // Moves `d.tail` from old_head to new_head once every earlier reservation on that side
  // has moved it to old_head.
  static UPLANE_ALWAYS_INLINE void publish(HeadTail& d, std::uint32_t old_head,
                                           std::uint32_t new_head, bool is_single) noexcept {
    if (!is_single) {
      // Acquire pairs with the release store below made by the thread that reserved just
      // before us: its slot accesses happen before ours are published, so a reader that
      // acquires our tail also sees theirs (DPDK uses relaxed here and relies on x86/Arm
      // ordering; acquire costs nothing on x86 and keeps the C++ model, and TSan, exact).
      // The wait is normally a few cycles. When the thread we wait for was preempted (more
      // threads than cores), spinning only burns the time slice it needs: yield instead.
      for (std::uint32_t spins = 0; d.tail.load(std::memory_order_acquire) != old_head; ++spins) {
        if (spins < kSpinsBeforeYield) {
          cpu_relax();
        } else {
          sched_yield();
        }
      }
    }
    // Release pairs with the other side's acquire load of this tail in its head move.
    d.tail.store(new_head, std::memory_order_release);
  }

  template <Sync S>
  std::uint32_t enqueue(const T* items, std::uint32_t n, bool all_or_nothing,
                        std::uint32_t* free_space) noexcept {
    const bool is_single = single<S>(hdr_.prod_single != 0);
    const std::uint32_t cap = hdr_.capacity;
    if (UPLANE_UNLIKELY(n == 0)) {
      // Nothing to reserve. Going through the CAS and publish() with an empty reservation
      // could move tail back under a producer that published meanwhile.
      if (free_space != nullptr)
        *free_space = room(cap, prod_.head.load(std::memory_order_acquire) -
                                    cons_.tail.load(std::memory_order_acquire));
      return 0;
    }
    // Acquire on every load of head (here and on CAS failure) keeps the loads of the
    // consumer tail after it; DPDK uses an acquire fence for the same purpose. A tail read
    // before a newer head would understate how full the ring is.
    std::uint32_t old_head = prod_.head.load(std::memory_order_acquire);
    std::uint32_t new_head;
    std::uint32_t free;
    std::uint32_t want;
    for (;;) {
      want = n;
      // Acquire pairs with the release store of opposite_tail below (by any producer),
      // which followed that producer's acquire load of cons.tail: so the consumers' reads
      // of the slots covered by this value happen before our writes to them.
      std::uint32_t used = old_head - prod_.opposite_tail.load(std::memory_order_acquire);
      // A cached value may be stale (even older than a racing producer's), so `used` can
      // exceed the capacity; that reads as full and sends us to the real tail.
      free = room(cap, used);
      if (free < want) {
        // Acquire pairs with the consumers' release store of cons.tail in publish().
        const std::uint32_t cons_tail = cons_.tail.load(std::memory_order_acquire);
        const std::uint32_t dist = old_head - cons_tail;
        if (UPLANE_UNLIKELY(dist > cap)) {
          // Our head is stale (other producers moved it on and the consumers followed past
          // our view of it): reload and try again, as a failed CAS would. With a head that
          // did not move, the tail is garbage: that reads as full.
          if (!is_single) {
            const std::uint32_t now = prod_.head.load(std::memory_order_acquire);
            if (now != old_head) {
              old_head = now;
              continue;
            }
          }
          free = 0;
        } else {
          free = cap - dist;
          // Release: passes the synchronisation just acquired on to the producers that
          // read the cached copy. Stored whenever it moved, so the copy never lags head by
          // more than the capacity (a copy 2^32 behind would look current again).
          if (cons_tail != old_head - used)
            prod_.opposite_tail.store(cons_tail, std::memory_order_release);
        }
        if (want > free) want = all_or_nothing ? 0 : free;
        if (want == 0) {
          if (free_space != nullptr) *free_space = free;
          return 0;
        }
      }
      new_head = old_head + want;
      if (is_single) {
        // Relaxed: no other producer reads head when the producer side is single.
        prod_.head.store(new_head, std::memory_order_relaxed);
        break;
      }
      // Head only reserves slots; what is written into them is published by the release
      // store of tail. acq_rel on success: a producer that later reads this head also sees
      // a consumer tail at least as new as the one this reservation was sized against, so a
      // stale-looking distance really means a garbage index (free on x86, needed on weaker
      // models). On failure old_head is reloaded; acquire as above.
      if (prod_.head.compare_exchange_weak(old_head, new_head, std::memory_order_acq_rel,
                                           std::memory_order_acquire))
        break;
    }
    copy_to_slots(slots(), hdr_.mask, old_head, items, want);
    publish(prod_, old_head, new_head, is_single);
    if (free_space != nullptr) *free_space = free - want;
    return want;
  }

  template <Sync S>
  std::uint32_t dequeue(T* out, std::uint32_t n, bool all_or_nothing,
                        std::uint32_t* available) noexcept {
    const bool is_single = single<S>(hdr_.cons_single != 0);
    if (UPLANE_UNLIKELY(n == 0)) {  // as in enqueue()
      if (available != nullptr)
        *available = filled(hdr_.capacity, prod_.tail.load(std::memory_order_acquire) -
                                               cons_.head.load(std::memory_order_acquire));
      return 0;
    }
    // Acquire: keeps the loads of prod.tail after this one (see enqueue()).
    std::uint32_t old_head = cons_.head.load(std::memory_order_acquire);
    std::uint32_t new_head;
    std::uint32_t entries;
    std::uint32_t want;
    for (;;) {
      want = n;
      // Acquire pairs with the release store of opposite_tail below, as in enqueue(): the
      // producers' writes of the slots covered by this value happen before our reads.
      const std::uint32_t cached = cons_.opposite_tail.load(std::memory_order_acquire);
      // A stale cached tail can lie behind our head: that reads as empty.
      entries = filled(hdr_.capacity, cached - old_head);
      if (entries < want) {
        // Acquire pairs with the producers' release store of prod.tail in publish().
        const std::uint32_t prod_tail = prod_.tail.load(std::memory_order_acquire);
        const std::uint32_t dist = prod_tail - old_head;
        if (UPLANE_UNLIKELY(dist > hdr_.capacity)) {
          // A stale head (reload and try again) or a garbage tail (reads as empty); see
          // enqueue().
          if (!is_single) {
            const std::uint32_t now = cons_.head.load(std::memory_order_acquire);
            if (now != old_head) {
              old_head = now;
              continue;
            }
          }
          entries = 0;
        } else {
          entries = dist;
          // Release: passes that synchronisation on to consumers that read the cached copy;
          // stored whenever it moved (see enqueue()).
          if (prod_tail != cached) cons_.opposite_tail.store(prod_tail, std::memory_order_release);
        }
        if (want > entries) want = all_or_nothing ? 0 : entries;
        if (want == 0) {
          if (available != nullptr) *available = entries;
          return 0;
        }
      }
      new_head = old_head + want;
      if (is_single) {
        // Relaxed: no other consumer reads head when the consumer side is single.
        cons_.head.store(new_head, std::memory_order_relaxed);
        break;
      }
      // Reserves entries; orders as in enqueue().
      if (cons_.head.compare_exchange_weak(old_head, new_head, std::memory_order_acq_rel,
                                           std::memory_order_acquire))
        break;
    }
    copy_from_slots(slots(), hdr_.mask, old_head, out, want);
    publish(cons_, old_head, new_head, is_single);
    if (available != nullptr) *available = entries - want;
    return want;
  }

  T* slots() noexcept {
    static_assert(sizeof(*this) == kHeaderBytes, "slots start right after the header blocks");
    return reinterpret_cast<T*>(reinterpret_cast<char*>(this) + kHeaderBytes);
  }
  const T* slots() const noexcept {
    return reinterpret_cast<const T*>(reinterpret_cast<const char*>(this) + kHeaderBytes);
  }

  RingHeader hdr_;
  HeadTail prod_;
  HeadTail cons_;

 public:
  static constexpr std::size_t kHeaderBytes = 5 * kRingAlign;
};

}  // namespace uplane::ring
