// Concurrent stress tests for both rings: bounded in item count and in wall time, and run
// under ThreadSanitizer in CI (label 'concurrent').

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "ring/mpmc_ring.h"
#include "ring/spsc_ring.h"

namespace uplane::ring {
namespace {

// Enough items that a broken ordering rule shows (dropping the in-order tail publication
// fails these tests within the ASan count); TSan is ~10x slower and finds races directly.
#if defined(UPLANE_TSAN)
constexpr std::uint32_t kItems = 400'000;
#else
constexpr std::uint32_t kItems = 4'000'000;
#endif
constexpr auto kDeadline = std::chrono::seconds(60);

// Fails the test instead of hanging when a bug loses entries.
struct Deadline {
  std::chrono::steady_clock::time_point end = std::chrono::steady_clock::now() + kDeadline;
  bool passed() const { return std::chrono::steady_clock::now() > end; }
};

TEST(RingStress, SpscKeepsOrderAcrossThreadsWithRandomBursts) {
  auto r = make_heap_ring<SpscRing<std::uint32_t>>(256).value();
  r->park_indices_for_test(0u - kItems / 2);  // the 32-bit indices wrap mid-run
  Deadline dl;
  std::atomic<bool> timed_out{false};
  std::thread producer([&] {
    std::mt19937 rng(1);
    std::uint32_t buf[32];
    std::uint32_t next = 0;
    while (next < kItems && !timed_out.load(std::memory_order_relaxed)) {
      std::uint32_t n = std::min<std::uint32_t>(1 + rng() % 32, kItems - next);
      for (std::uint32_t i = 0; i < n; ++i) buf[i] = next + i;
      const std::uint32_t moved =
          (rng() & 1) ? r->enqueue_burst(buf, n) : (r->enqueue_bulk(buf, n) ? n : 0);
      next += moved;
      // On a machine with fewer free cores than threads, let the other side run.
      if (moved == 0) std::this_thread::yield();
    }
  });
  std::mt19937 rng(2);
  std::uint32_t buf[32];
  std::uint32_t expect = 0;
  std::uint64_t misordered = 0;
  while (expect < kItems) {
    if (dl.passed()) {
      timed_out = true;
      break;
    }
    std::uint32_t want = 1 + rng() % 32;
    std::uint32_t got =
        (rng() & 1) ? r->dequeue_burst(buf, want) : (r->dequeue_bulk(buf, want) ? want : 0);
    for (std::uint32_t i = 0; i < got; ++i) misordered += buf[i] != expect++;
    if (got == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_FALSE(timed_out) << "stopped at " << expect << " of " << kItems;
  EXPECT_EQ(misordered, 0u);
  EXPECT_EQ(r->size_estimate(), 0u);
}

// Producers tag each value with their id; every consumer must see each producer's values
// in increasing order (a ring is FIFO per reservation), and together they must see every
// value exactly once.
void run_mpmc(Sync prod, Sync cons, int producers, int consumers) {
  auto r = make_heap_ring<MpmcRing<std::uint32_t>>(128, prod, cons).value();
  r->park_indices_for_test(0u - kItems / 2);  // the 32-bit indices wrap mid-run
  const std::uint32_t per_producer = kItems / static_cast<std::uint32_t>(producers);
  Deadline dl;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> consumed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937 rng(static_cast<unsigned>(p) + 10);
      std::uint32_t buf[32];
      std::uint32_t next = 0;
      while (next < per_producer && !stop.load(std::memory_order_relaxed)) {
        // Empty calls too: they must not disturb the others' reservations.
        std::uint32_t n = std::min<std::uint32_t>(rng() % 33, per_producer - next);
        for (std::uint32_t i = 0; i < n; ++i)
          buf[i] = (static_cast<std::uint32_t>(p) << 24) | (next + i);
        const std::uint32_t moved =
            (rng() & 1) ? r->enqueue_burst(buf, n) : (r->enqueue_bulk(buf, n) ? n : 0);
        next += moved;
        // More threads than cores here: a thread that found nothing to do lets the others run.
        if (moved == 0) std::this_thread::yield();
        if (dl.passed()) stop = true;
      }
    });
  }
  std::vector<std::vector<std::uint64_t>> seen_count(
      static_cast<std::size_t>(consumers),
      std::vector<std::uint64_t>(static_cast<std::size_t>(producers)));
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(consumers));
  std::vector<std::uint64_t> misordered(static_cast<std::size_t>(consumers));
  const std::uint64_t total = std::uint64_t{per_producer} * static_cast<std::uint64_t>(producers);
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c) + 100);
      std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
      std::uint32_t buf[32];
      while (consumed.load(std::memory_order_relaxed) < total &&
             !stop.load(std::memory_order_relaxed)) {
        std::uint32_t want = rng() % 33;  // 0 included, as for the producers
        std::uint32_t got =
            (rng() & 1) ? r->dequeue_burst(buf, want) : (r->dequeue_bulk(buf, want) ? want : 0);
        for (std::uint32_t i = 0; i < got; ++i) {
          auto p = static_cast<std::size_t>(buf[i] >> 24);
          auto seq = static_cast<std::int64_t>(buf[i] & 0xFFFFFF);
          misordered[static_cast<std::size_t>(c)] += seq <= last[p];
          last[p] = seq;
          seen_count[static_cast<std::size_t>(c)][p]++;
          sums[static_cast<std::size_t>(c)] += static_cast<std::uint64_t>(seq);
        }
        consumed.fetch_add(got, std::memory_order_relaxed);
        if (got == 0) std::this_thread::yield();
        if (dl.passed()) stop = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_FALSE(stop.load()) << "deadline passed after " << consumed.load() << " of " << total;
  std::uint64_t sum = 0;
  for (int c = 0; c < consumers; ++c) {
    EXPECT_EQ(misordered[static_cast<std::size_t>(c)], 0u) << "consumer " << c;
    sum += sums[static_cast<std::size_t>(c)];
  }
  for (int p = 0; p < producers; ++p) {
    std::uint64_t n = 0;
    for (int c = 0; c < consumers; ++c)
      n += seen_count[static_cast<std::size_t>(c)][static_cast<std::size_t>(p)];
    EXPECT_EQ(n, per_producer) << "producer " << p;
  }
  const std::uint64_t per = per_producer;
  EXPECT_EQ(sum, static_cast<std::uint64_t>(producers) * (per * (per - 1) / 2));
  EXPECT_EQ(r->size_estimate(), 0u);
}

TEST(RingStress, MpmcTwoProducersTwoConsumers) { run_mpmc(Sync::kMulti, Sync::kMulti, 2, 2); }
TEST(RingStress, MpmcFourProducersOneSingleConsumer) {
  run_mpmc(Sync::kMulti, Sync::kSingle, 4, 1);
}
TEST(RingStress, MpmcSingleProducerThreeConsumers) { run_mpmc(Sync::kSingle, Sync::kMulti, 1, 3); }
TEST(RingStress, MpmcSingleSingle) { run_mpmc(Sync::kSingle, Sync::kSingle, 1, 1); }

}  // namespace
}  // namespace uplane::ring
