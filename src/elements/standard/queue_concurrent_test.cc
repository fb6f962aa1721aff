// Queue shared between threads: two producers push into one Queue while a consumer pulls.
// Every packet must come out once or be counted as a drop, each producer's packets in the
// order it pushed them, and the queue must never hold more than its capacity. Bounded in
// packets and in time; meant to run under ThreadSanitizer too (label 'concurrent').

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "elements/standard/queue.h"
#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using namespace testing;

constexpr int kProducers = 2;
constexpr int kPerProducer = 20000;
constexpr int kBatch = 32;
constexpr std::uint32_t kCapacity = 100;  // not a power of two: the count must hold it

// Packet i of producer p: [p, i (4 bytes, big-endian), padding].
Bytes tagged(int producer, int i) {
  return Bytes{static_cast<std::uint8_t>(producer),
               static_cast<std::uint8_t>(i >> 24),
               static_cast<std::uint8_t>(i >> 16),
               static_cast<std::uint8_t>(i >> 8),
               static_cast<std::uint8_t>(i),
               0x55,
               0x55,
               0x55};
}

TEST(QueueConcurrent, TwoProducersOneConsumer) {
  Harness h("in0 :: TestSource -> q :: Queue(" + std::to_string(kCapacity) +
            ") -> out :: TestSink; in1 :: TestSource -> q");
  ASSERT_TRUE(h.ok()) << h.error();
  auto* q = dynamic_cast<Queue*>(h.element("q"));
  ASSERT_NE(q, nullptr);

  std::atomic<int> producers_done{0};
  std::atomic<bool> over_capacity{false};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);

  auto produce = [&](int p) {
    const std::string source = "in" + std::to_string(p);
    for (int i = 0; i < kPerProducer && std::chrono::steady_clock::now() < deadline; i += kBatch) {
      std::vector<Bytes> batch;
      for (int j = i; j < i + kBatch && j < kPerProducer; ++j) batch.push_back(tagged(p, j));
      h.push(source, batch);
      if (q->length() > kCapacity) over_capacity.store(true, std::memory_order_relaxed);
      if ((i / kBatch) % 8 == 0) std::this_thread::yield();  // let the consumer in
    }
    producers_done.fetch_add(1, std::memory_order_release);
  };

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) threads.emplace_back(produce, p);
  // This thread is the consumer: it pulls until the producers are done and the queue is dry.
  for (;;) {
    const bool done = producers_done.load(std::memory_order_acquire) == kProducers;
    const std::size_t got = h.pull("out", 32);
    if (got == 0) {
      if (done) break;
      if (std::chrono::steady_clock::now() > deadline + std::chrono::seconds(5)) break;
      std::this_thread::yield();
    }
  }
  for (auto& t : threads) t.join();
  while (h.pull("out", 32) != 0) {
  }

  EXPECT_FALSE(over_capacity.load());
  const auto& got = h.sink("out");
  const std::uint64_t drops = std::stoull(h.read("q.drops"));
  EXPECT_EQ(got.size() + drops, std::uint64_t{kProducers} * kPerProducer);
  EXPECT_LE(std::stoul(h.read("q.highwater_length")), kCapacity);
  EXPECT_EQ(h.read("q.length"), "0\n");

  // Per producer, what came out is in the order it went in, each packet at most once.
  std::array<long, kProducers> last{};
  last.fill(-1);
  std::array<std::size_t, kProducers> seen{};
  for (const auto& o : got) {
    ASSERT_EQ(o.bytes.size(), 8u);
    const int p = o.bytes[0];
    ASSERT_LT(p, kProducers);
    const long i =
        static_cast<long>(o.bytes[1]) << 24 | o.bytes[2] << 16 | o.bytes[3] << 8 | o.bytes[4];
    EXPECT_GT(i, last[p]) << "producer " << p << " out of order";
    last[p] = i;
    ++seen[p];
  }
  // Both producers got packets through.
  EXPECT_GT(seen[0], 0u);
  EXPECT_GT(seen[1], 0u);
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

// Handlers read from this thread while two producers push, as the control thread reads
// them while workers run.
TEST(QueueConcurrent, HandlersReadWhileTrafficFlows) {
  Harness h("in0 :: TestSource -> q :: Queue(64) -> out :: TestSink; in1 :: TestSource -> q");
  ASSERT_TRUE(h.ok()) << h.error();
  std::atomic<int> done{0};
  auto produce = [&](int p) {
    const std::string source = "in" + std::to_string(p);
    for (int i = 0; i < 3000; ++i) h.push(source, {tagged(p, i)});
    done.fetch_add(1, std::memory_order_release);
  };
  std::thread producer0(produce, 0);
  std::thread producer1(produce, 1);
  std::size_t reads = 0;
  do {
    EXPECT_LE(std::stoul(h.read("q.length")), 64u);
    (void)h.read("q.drops");
    (void)h.read("q.highwater_length");
    ++reads;
  } while (done.load(std::memory_order_acquire) < 2);
  producer0.join();
  producer1.join();
  EXPECT_GT(reads, 0u);
  EXPECT_EQ(std::stoul(h.read("q.length")) + std::stoull(h.read("q.drops")), 6000u);
}

}  // namespace
}  // namespace uplane::elements
