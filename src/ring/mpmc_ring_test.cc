#include "ring/mpmc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

namespace uplane::ring {
namespace {

using Ring = MpmcRing<std::uint32_t>;

TEST(MpmcRing, BulkIsAllOrNothingAndReportsFreeSpace) {
  auto r = make_heap_ring<Ring>(16).value();
  std::array<std::uint32_t, 32> in{};
  std::iota(in.begin(), in.end(), 0);
  std::uint32_t free = 0;
  EXPECT_TRUE(r->enqueue_bulk(in.data(), 12, &free));
  EXPECT_EQ(free, 4u);
  EXPECT_FALSE(r->enqueue_bulk(in.data(), 5, &free));
  EXPECT_EQ(free, 4u);
  EXPECT_EQ(r->enqueue_burst(in.data() + 12, 10, &free), 4u);
  EXPECT_EQ(free, 0u);

  std::array<std::uint32_t, 32> out{};
  std::uint32_t avail = 0;
  EXPECT_FALSE(r->dequeue_bulk(out.data(), 17, &avail));
  EXPECT_EQ(avail, 16u);
  EXPECT_TRUE(r->dequeue_bulk(out.data(), 5, &avail));
  EXPECT_EQ(avail, 11u);
  EXPECT_EQ(r->dequeue_burst(out.data() + 5, 32, &avail), 11u);
  EXPECT_EQ(avail, 0u);
  for (std::uint32_t i = 0; i < 16; ++i) EXPECT_EQ(out[i], i);
}

TEST(MpmcRing, PerCallSyncModesShareOneRing) {
  auto r = make_heap_ring<Ring>(8, Sync::kSingle, Sync::kSingle).value();
  std::uint32_t v = 42, out = 0;
  EXPECT_TRUE(r->enqueue_bulk<Sync::kMulti>(&v, 1));
  EXPECT_TRUE(r->enqueue_bulk<Sync::kSingle>(&v, 1));
  EXPECT_TRUE(r->dequeue_bulk<Sync::kMulti>(&out, 1));
  EXPECT_TRUE(r->dequeue_bulk(&out, 1));
  EXPECT_EQ(out, 42u);
  EXPECT_EQ(r->size_estimate(), 0u);
}

TEST(MpmcRing, ForEachQuiescentVisitsOldestFirst) {
  auto r = make_heap_ring<Ring>(8).value();
  std::array<std::uint32_t, 6> in{5, 6, 7, 8, 9, 10};
  ASSERT_TRUE(r->enqueue_bulk(in.data(), 6));
  std::uint32_t two[2];
  ASSERT_TRUE(r->dequeue_bulk(two, 2));
  ASSERT_TRUE(r->enqueue_bulk(in.data(), 3));  // wraps
  std::vector<std::uint32_t> seen;
  r->for_each_quiescent([&](std::uint32_t x) { seen.push_back(x); });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{7, 8, 9, 10, 5, 6, 7}));
}

// A ring that has carried ~4 billion entries has indices about to wrap past 2^32;
// head - tail must stay the fill level across that wrap.
TEST(MpmcRing, IndicesWrapPast32Bits) {
  auto r = make_heap_ring<Ring>(16).value();
  r->park_indices_for_test(0xFFFFFFF0u);
  std::array<std::uint32_t, 16> buf{}, out{};
  std::uint32_t next = 0;
  for (int step = 0; step < 10; ++step) {  // 10 * 11 entries cross the wrap at 16 entries
    for (int i = 0; i < 11; ++i) buf[i] = next + i;
    ASSERT_TRUE(r->enqueue_bulk(buf.data(), 11));
    EXPECT_EQ(r->size_estimate(), 11u);
    ASSERT_TRUE(r->dequeue_bulk(out.data(), 11));
    for (int i = 0; i < 11; ++i) ASSERT_EQ(out[i], next + i);
    next += 11;
  }
  EXPECT_EQ(r->size_estimate(), 0u);
  EXPECT_FALSE(r->dequeue_bulk(out.data(), 1));
}

}  // namespace
}  // namespace uplane::ring

namespace uplane::ring {
namespace {

// As the SPSC test of the same name. Layout, in kRingAlign blocks: header, producer
// {head, opposite_tail}, producer tail, consumer {head, opposite_tail}, consumer tail.
TEST(MpmcRing, GarbageIndexFromThePeerReadsAsFullOrEmpty) {
  auto r = make_heap_ring<Ring>(16).value();
  auto* raw = reinterpret_cast<std::byte*>(r.get());
  auto* prod_tail = reinterpret_cast<std::atomic<std::uint32_t>*>(raw + 2 * kRingAlign);
  auto* cons_tail = reinterpret_cast<std::atomic<std::uint32_t>*>(raw + 4 * kRingAlign);
  std::uint32_t buf[64] = {};
  // First prove the offsets: a tail moved by hand is what the other side sees.
  prod_tail->store(5, std::memory_order_relaxed);
  ASSERT_EQ(r->dequeue_burst(buf, 64), 5u);
  ASSERT_EQ(cons_tail->load(std::memory_order_relaxed), 5u);
  r->park_indices_for_test(0);
  prod_tail->store(0x40000000, std::memory_order_relaxed);  // "produced" a billion entries
  EXPECT_EQ(r->dequeue_burst(buf, 64), 0u);
  cons_tail->store(0x7000000, std::memory_order_relaxed);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r->enqueue_burst(buf, 64), 0u);
  EXPECT_LE(r->size_estimate(), 16u);
}

// Each side's cached copy of the other side's tail must never lag its own head by more than
// the capacity, whatever the pattern of calls: a copy that fell 2^32 behind would look
// current again. Here a consumer always drains everything and a producer always fills the
// ring exactly, the patterns that need no copy for the next call. Layout as above: the
// copies sit next to each side's head, at +4 in blocks 1 and 3.
TEST(MpmcRing, CachedOppositeTailNeverLagsByMoreThanTheCapacity) {
  auto r = make_heap_ring<Ring>(16).value();
  auto* raw = reinterpret_cast<std::byte*>(r.get());
  auto word = [&](std::size_t block, std::size_t off) {
    return reinterpret_cast<std::atomic<std::uint32_t>*>(raw + block * kRingAlign + off)
        ->load(std::memory_order_relaxed);
  };
  std::uint32_t buf[32] = {};
  for (std::uint32_t round = 0; round < 1000; ++round) {
    const std::uint32_t n = 1 + round % 16;
    ASSERT_TRUE(r->enqueue_bulk(buf, n));
    ASSERT_EQ(r->dequeue_burst(buf, 32), n);
    ASSERT_EQ(r->enqueue_burst(buf, 32), 16u);  // fills it exactly
    ASSERT_TRUE(r->dequeue_bulk(buf, 16));
    const std::uint32_t prod_head = word(1, 0), prod_copy = word(1, 4);
    const std::uint32_t cons_head = word(3, 0), cons_copy = word(3, 4);
    ASSERT_LE(prod_head - prod_copy, 16u) << "round " << round;
    ASSERT_LE(cons_copy - cons_head, 16u) << "round " << round;
  }
}

}  // namespace
}  // namespace uplane::ring
