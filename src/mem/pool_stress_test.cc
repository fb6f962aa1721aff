// Threads getting and putting frames of one pool at once, through their caches and the
// shared ring; each frame must be held by one thread at a time and all come back.
// Bounded in rounds and in time; runs under ThreadSanitizer in CI (label 'concurrent').

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "mem/packet_pool.h"

namespace uplane::mem {
namespace {

#if defined(UPLANE_TSAN) || defined(__SANITIZE_ADDRESS__)
constexpr int kRounds = 20'000;
#else
constexpr int kRounds = 200'000;
#endif

TEST(PoolStress, FramesAreNeverSharedAndAllComeBack) {
  auto pool = PacketPool::create({.name = "stress",
                                  .frame_count = 2048,
                                  .cache_size = 128,
                                  .region = {.allow_hugepages = false}})
                  .value();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<std::uint64_t> corrupt{0}, failures{0}, rounds_done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      Packet* held[64];
      for (int round = 0; round < kRounds && std::chrono::steady_clock::now() < deadline; ++round) {
        const std::uint32_t n = 1 + rng() % 64;
        if (!pool->alloc_bulk(held, n)) {
          failures.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        // Stamp each frame with our id; if another thread held it too, its stamp shows.
        for (std::uint32_t i = 0; i < n; ++i) {
          std::uint8_t* d = held[i]->put(8);
          d[0] = static_cast<std::uint8_t>(t + 1);
        }
        for (std::uint32_t i = 0; i < n; ++i)
          if (held[i]->data()[0] != t + 1 || held[i]->length() != 8)
            corrupt.fetch_add(1, std::memory_order_relaxed);
        pool->put_bulk(held, n);
        rounds_done.fetch_add(1, std::memory_order_relaxed);
      }
      pool->flush_thread_cache();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(rounds_done.load() + failures.load(), 3u * kRounds) << "deadline passed first";
  EXPECT_EQ(corrupt.load(), 0u);
  EXPECT_EQ(failures.load(), 0u);  // 3 x 64 held at most, with caches, out of 2048
  Status st = pool->check_no_leaks();
  EXPECT_TRUE(st.is_ok()) << st.message();
  PoolCounters c = pool->counters();
  EXPECT_EQ(c.gets, c.puts);
  EXPECT_EQ(pool->ring_free_estimate(), 2048u);
}

}  // namespace
}  // namespace uplane::mem
