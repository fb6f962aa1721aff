#include "ring/guarded_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <random>
#include <thread>
#include <vector>

#include "ring/spsc_ring.h"

// With AddressSanitizer the hostile tests poison every byte of the ring a guarded end must
// not touch (the header, both cached-index blocks, a guard area past the slots), so a read
// of any of them fails the test, not just a write.
#if defined(__SANITIZE_ADDRESS__)
#define UPLANE_GUARDED_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UPLANE_GUARDED_ASAN 1
#endif
#endif
#ifdef UPLANE_GUARDED_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace uplane::ring {
namespace {

using Ring = SpscRing<std::uint64_t>;
constexpr std::uint32_t kCap = 64;
constexpr std::size_t kRingBytes = Ring::bytes_for(kCap);
constexpr std::size_t kGuardBytes = 4096;  // after the slots; nothing may touch it
constexpr std::uint32_t kJunk = 0xFFFFFFFFu;

// The ring's bytes as a peer process sees them: the layout SpscRing places in memory
// (ring_layout.h). ShmRing's constructor checks these offsets against a live ring.
struct PeerView {
  RingHeader hdr;
  alignas(kRingAlign) std::uint32_t head;
  alignas(kRingAlign) std::uint32_t cached_tail;
  alignas(kRingAlign) std::uint32_t tail;
  alignas(kRingAlign) std::uint32_t cached_head;
};
static_assert(sizeof(PeerView) == Ring::kHeaderBytes);

// A ring in its own allocation with a guard area after the slots, plus the raw access a
// hostile peer has to it.
class ShmRing {
 public:
  explicit ShmRing(std::uint32_t park_at = 0) {
    mem_ = static_cast<std::byte*>(
        ::operator new (kRingBytes + kGuardBytes, std::align_val_t{kRingAlign}));
    std::memset(mem_ + kRingBytes, 0xA5, kGuardBytes);
    ring_ = Ring::create_in(mem_, kRingBytes, kCap).value();
    // The offsets in PeerView are SpscRing's: move every index, then check where each lands.
    ring_->park_indices_for_test(5);
    std::uint64_t v[3] = {1, 2, 3};
    EXPECT_EQ(ring_->enqueue_burst(v, 3), 3u);  // head 8; cached_tail stays 5
    EXPECT_EQ(ring_->dequeue_burst(v, 1), 1u);  // tail 6; cached_head reloaded: 8
    EXPECT_EQ(ring_->enqueue_burst(v, 1), 1u);  // head 9
    EXPECT_EQ(peek(offsetof(PeerView, head)), 9u);
    EXPECT_EQ(peek(offsetof(PeerView, cached_tail)), 5u);
    EXPECT_EQ(peek(offsetof(PeerView, tail)), 6u);
    EXPECT_EQ(peek(offsetof(PeerView, cached_head)), 8u);
    EXPECT_EQ(peek(offsetof(PeerView, hdr.capacity)), kCap);
    EXPECT_EQ(peek(offsetof(PeerView, hdr.mask)), kCap - 1);
    EXPECT_EQ(ring_->dequeue_burst(v, 3), 3u);
    ring_->park_indices_for_test(park_at);
  }
  ~ShmRing() {
    forbid(false);
    ::operator delete (mem_, std::align_val_t{kRingAlign});
  }
  ShmRing(const ShmRing&) = delete;
  ShmRing& operator=(const ShmRing&) = delete;

  Ring* ring() { return ring_; }
  // The other process's view: a plain SpscRing attached to the same bytes.
  Ring* peer() { return Ring::attach(mem_, kRingBytes).value(); }

  std::uint32_t peek(std::size_t off) const {
    std::uint32_t v;
    std::memcpy(&v, mem_ + off, sizeof v);
    return v;
  }
  void poke(std::size_t off, std::uint32_t v) { std::memcpy(mem_ + off, &v, sizeof v); }
  void poke_slot(std::uint32_t index, std::uint64_t v) {
    std::memcpy(mem_ + Ring::kHeaderBytes + (index % kCap) * sizeof v, &v, sizeof v);
  }

  // What a hostile peer does to everything but the indices: the header's geometry and both
  // cached copies.
  void scribble_geometry_and_caches() {
    poke(offsetof(PeerView, hdr.capacity), kJunk);
    poke(offsetof(PeerView, hdr.mask), kJunk);
    poke(offsetof(PeerView, cached_tail), 0x80000000u);
    poke(offsetof(PeerView, cached_head), 0x7FFFFFFFu);
  }
  void restore_geometry() {
    poke(offsetof(PeerView, hdr.capacity), kCap);
    poke(offsetof(PeerView, hdr.mask), kCap - 1);
  }

  // Bytes a guarded end must neither read nor write: the header, both cached-copy blocks
  // and the guard area. Poisoned for AddressSanitizer while `on`.
  void forbid(bool on) {
#ifdef UPLANE_GUARDED_ASAN
    for (const auto& [off, len] : forbidden()) {
      if (on) {
        ASAN_POISON_MEMORY_REGION(mem_ + off, len);
      } else {
        ASAN_UNPOISON_MEMORY_REGION(mem_ + off, len);
      }
    }
#else
    (void)on;
#endif
  }
  // A copy of every forbidden byte and of the slots, to show what a call wrote.
  std::vector<std::byte> forbidden_bytes() const {
    std::vector<std::byte> out;
    for (const auto& [off, len] : forbidden()) out.insert(out.end(), mem_ + off, mem_ + off + len);
    return out;
  }
  std::vector<std::byte> slot_bytes() const {
    return {mem_ + Ring::kHeaderBytes, mem_ + kRingBytes};
  }

 private:
  static std::array<std::pair<std::size_t, std::size_t>, 4> forbidden() {
    return {{{0, kRingAlign},
             {offsetof(PeerView, cached_tail), kRingAlign},
             {offsetof(PeerView, cached_head), kRingAlign},
             {kRingBytes, kGuardBytes}}};
  }

  std::byte* mem_;
  Ring* ring_;
};

// Runs `call` (one guarded-end call) with the forbidden bytes poisoned, and fails the test
// if it changed any of them.
template <typename F>
auto guarded_call(ShmRing& shm, F call) {
  const auto before = shm.forbidden_bytes();
  shm.forbid(true);
  const auto r = call();
  shm.forbid(false);
  EXPECT_EQ(shm.forbidden_bytes(), before) << "a guarded call wrote outside its fields";
  return r;
}

TEST(GuardedRing, RefusesARingThatDoesNotMatchTheCapacity) {
  ShmRing shm;
  std::uint64_t v[4] = {1, 2, 3, 4};
  auto p = GuardedProducer<std::uint64_t>::over(shm.ring(), kCap / 2);
  EXPECT_FALSE(p.attached());
  EXPECT_EQ(p.enqueue_burst(v, 4), 0u);
  EXPECT_FALSE(GuardedProducer<std::uint64_t>::over(nullptr, kCap).attached());
  EXPECT_FALSE(GuardedConsumer<std::uint64_t>::over(shm.ring(), 3).attached());
  EXPECT_FALSE(GuardedProducer<std::uint64_t>{}.attached());
  GuardedConsumer<std::uint64_t> c;
  EXPECT_EQ(c.dequeue_burst(v, 4), 0u);
  EXPECT_EQ(shm.peek(offsetof(PeerView, head)), 0u);  // nothing was published
  EXPECT_TRUE(GuardedConsumer<std::uint64_t>::over(shm.ring(), kCap).attached());
}

// ---- Honest peers on another thread: a plain SpscRing works against a guarded end. ----

constexpr std::uint32_t kItems = 1'000'000;
constexpr auto kDeadline = std::chrono::seconds(60);

struct Deadline {
  std::chrono::steady_clock::time_point end = std::chrono::steady_clock::now() + kDeadline;
  bool passed() const { return std::chrono::steady_clock::now() > end; }
};

// Moves kItems values 0, 1, ... from `produce` on a second thread to `consume` on this one
// in random bursts of 1..32; returns how many arrived out of order, or fails on the deadline.
template <typename P, typename C>
std::uint64_t run_two_threads(P produce, C consume) {
  Deadline dl;
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    std::mt19937 rng(1);
    std::uint64_t buf[32];
    std::uint32_t next = 0;
    while (next < kItems && !stop.load(std::memory_order_relaxed)) {
      const std::uint32_t n = std::min<std::uint32_t>(1 + rng() % 32, kItems - next);
      for (std::uint32_t i = 0; i < n; ++i) buf[i] = next + i;
      const std::uint32_t moved = produce(buf, n);
      next += moved;
      // Two vCPUs, shared: let the other side run.
      if (moved == 0) std::this_thread::yield();
    }
  });
  std::mt19937 rng(2);
  std::uint64_t buf[32];
  std::uint64_t expect = 0, misordered = 0;
  while (expect < kItems) {
    if (dl.passed()) {
      stop = true;
      break;
    }
    const std::uint32_t got = consume(buf, 1 + rng() % 32);
    for (std::uint32_t i = 0; i < got; ++i) misordered += buf[i] != expect++;
    if (got == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_FALSE(stop.load()) << "deadline passed after " << expect << " of " << kItems;
  return misordered;
}

TEST(GuardedRing, GuardedProducerFeedsAPlainConsumerInOrder) {
  ShmRing shm(0u - kItems / 2);  // the 32-bit indices wrap mid-run
  auto g = GuardedProducer<std::uint64_t>::over(shm.ring(), kCap);
  ASSERT_TRUE(g.attached());
  Ring* peer = shm.peer();
  const std::uint64_t misordered = run_two_threads(
      [&](const std::uint64_t* v, std::uint32_t n) { return g.enqueue_burst(v, n); },
      [&](std::uint64_t* v, std::uint32_t n) { return peer->dequeue_burst(v, n); });
  EXPECT_EQ(misordered, 0u);
  EXPECT_EQ(g.peer_faults(), 0u);
  EXPECT_EQ(peer->size_estimate(), 0u);
}

TEST(GuardedRing, PlainProducerFeedsAGuardedConsumerInOrder) {
  ShmRing shm(0u - kItems / 2);
  auto g = GuardedConsumer<std::uint64_t>::over(shm.ring(), kCap);
  ASSERT_TRUE(g.attached());
  Ring* peer = shm.peer();
  const std::uint64_t misordered = run_two_threads(
      [&](const std::uint64_t* v, std::uint32_t n) { return peer->enqueue_burst(v, n); },
      [&](std::uint64_t* v, std::uint32_t n) { return g.dequeue_burst(v, n); });
  EXPECT_EQ(misordered, 0u);
  EXPECT_EQ(g.peer_faults(), 0u);
  EXPECT_EQ(peer->size_estimate(), 0u);
}

// ---- Hostile peers: they scribble on everything in the ring, the guarded end copes. ----

TEST(GuardedRing, ConsumerStaysInsideTheSlotsWhateverTheProducerWrites) {
  ShmRing shm;
  auto g = GuardedConsumer<std::uint64_t>::over(shm.ring(), kCap);
  Ring* peer = shm.peer();
  std::array<std::uint64_t, 10> in{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_EQ(peer->enqueue_burst(in.data(), 10), 10u);
  std::array<std::uint64_t, kCap> out{};
  ASSERT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), 4); }), 4u);
  EXPECT_EQ(out[3], 3u);

  // The peer turns hostile: huge geometry, junk cached copies, our own tail overwritten,
  // and a head far beyond the capacity, then one behind our tail. Each call asks for more
  // than the 6 entries our cached view holds, so it has to read the peer's head.
  shm.scribble_geometry_and_caches();
  shm.poke(offsetof(PeerView, tail), 0x12345678u);
  out.fill(kJunk);
  shm.poke(offsetof(PeerView, head), 4 + 1000 * kCap);
  EXPECT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), kCap); }), 0u);
  EXPECT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), 7); }), 0u);
  shm.poke(offsetof(PeerView, head), 4 + kCap + 1);  // one more than a full ring
  EXPECT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), 8); }), 0u);
  shm.poke(offsetof(PeerView, head), 3);  // behind our tail
  EXPECT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), 8); }), 0u);
  EXPECT_EQ(g.peer_faults(), 4u);
  EXPECT_EQ(out[0], std::uint64_t{kJunk}) << "a refused call wrote to the caller's buffer";

  // Sane again (the geometry stays junk): the peer fills the ring by hand, entries 10..67,
  // which crosses the end of the slot array, and publishes head 68; then 68..69.
  for (std::uint32_t i = 10; i < 68; ++i) shm.poke_slot(i, i);
  shm.poke(offsetof(PeerView, head), 68);
  ASSERT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), kCap); }), kCap);
  for (std::uint32_t i = 0; i < kCap; ++i) EXPECT_EQ(out[i], 4 + i);
  for (std::uint32_t i = 68; i < 70; ++i) shm.poke_slot(i, i);
  shm.poke(offsetof(PeerView, head), 70);
  ASSERT_EQ(guarded_call(shm, [&] { return g.dequeue_burst(out.data(), kCap); }), 2u);
  EXPECT_EQ(out[1], 69u);
  EXPECT_EQ(g.peer_faults(), 4u);
  // The tail the peer overwrote is ours again.
  EXPECT_EQ(shm.peek(offsetof(PeerView, tail)), 70u);
}

TEST(GuardedRing, ProducerStaysInsideTheSlotsWhateverTheConsumerWrites) {
  ShmRing shm;
  auto g = GuardedProducer<std::uint64_t>::over(shm.ring(), kCap);
  Ring* peer = shm.peer();
  std::array<std::uint64_t, 2 * kCap> in{};
  for (std::uint32_t i = 0; i < 2 * kCap; ++i) in[i] = 100 + i;
  ASSERT_EQ(guarded_call(shm, [&] { return g.enqueue_burst(in.data(), 10); }), 10u);
  std::array<std::uint64_t, kCap> out{};
  ASSERT_EQ(peer->dequeue_burst(out.data(), 4), 4u);  // tail 4
  EXPECT_EQ(out[3], 103u);

  // The peer turns hostile: geometry, caches, our head, and a tail more than a lap behind
  // our head (10); then one ahead of it. 60 > the 54 free slots our cached view allows, so
  // each call has to read the peer's tail.
  shm.scribble_geometry_and_caches();
  shm.poke(offsetof(PeerView, head), 0xDEADu);
  const auto slots_before = shm.slot_bytes();
  shm.poke(offsetof(PeerView, tail), 10 - kCap - 1);
  EXPECT_EQ(guarded_call(shm, [&] { return g.enqueue_burst(in.data(), 60); }), 0u);
  shm.poke(offsetof(PeerView, tail), 10 - 1000 * kCap);
  EXPECT_EQ(guarded_call(shm, [&] { return g.enqueue_burst(in.data(), 60); }), 0u);
  shm.poke(offsetof(PeerView, tail), 11);
  EXPECT_EQ(guarded_call(shm, [&] { return g.enqueue_burst(in.data(), 60); }), 0u);
  EXPECT_EQ(g.peer_faults(), 3u);
  EXPECT_EQ(shm.slot_bytes(), slots_before) << "a refused call wrote to the slots";

  // Sane again: tail 4, so 58 slots are free; the write wraps around the slot array.
  shm.poke(offsetof(PeerView, tail), 4);
  ASSERT_EQ(guarded_call(shm, [&] { return g.enqueue_burst(in.data() + 10, 60); }), 58u);
  EXPECT_EQ(g.peer_faults(), 3u);
  EXPECT_EQ(shm.peek(offsetof(PeerView, head)), 68u);  // the head it overwrote is ours again
  // An honest consumer again (with a sane header) reads 104..167 in order.
  shm.restore_geometry();
  ASSERT_EQ(peer->dequeue_burst(out.data(), kCap), kCap);
  for (std::uint32_t i = 0; i < kCap; ++i) EXPECT_EQ(out[i], 104 + i);
}

}  // namespace
}  // namespace uplane::ring
