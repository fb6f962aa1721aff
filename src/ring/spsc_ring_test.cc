#include "ring/spsc_ring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

namespace uplane::ring {
namespace {

TEST(SpscRing, RejectsCapacityThatIsNotAPowerOfTwo) {
  auto r = make_heap_ring<SpscRing<std::uint32_t>>(100);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("100"), std::string::npos);
  EXPECT_FALSE((make_heap_ring<SpscRing<std::uint32_t>>(0)).is_ok());
}

TEST(SpscRing, RejectsMemoryTooSmallOrMisaligned) {
  alignas(kRingAlign) static std::byte mem[4096];
  EXPECT_FALSE(SpscRing<std::uint32_t>::create_in(mem, 100, 16).is_ok());
  EXPECT_FALSE(SpscRing<std::uint32_t>::create_in(mem + 8, 4000, 16).is_ok());
  EXPECT_TRUE(
      SpscRing<std::uint32_t>::create_in(mem, SpscRing<std::uint32_t>::bytes_for(16), 16).is_ok());
}

TEST(SpscRing, AllCapacitySlotsAreUsableAndFifoHolds) {
  auto r = make_heap_ring<SpscRing<std::uint32_t>>(8).value();
  for (std::uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(r->try_enqueue(i));
  EXPECT_FALSE(r->try_enqueue(99));
  EXPECT_EQ(r->size_estimate(), 8u);
  for (std::uint32_t i = 0; i < 8; ++i) {
    std::uint32_t v = 0;
    ASSERT_TRUE(r->try_dequeue(v));
    EXPECT_EQ(v, i);
  }
  std::uint32_t v;
  EXPECT_FALSE(r->try_dequeue(v));
}

TEST(SpscRing, BulkIsAllOrNothingBurstTakesWhatFits) {
  auto r = make_heap_ring<SpscRing<std::uint32_t>>(16).value();
  std::array<std::uint32_t, 32> in{};
  std::iota(in.begin(), in.end(), 100);
  EXPECT_TRUE(r->enqueue_bulk(in.data(), 10));
  EXPECT_FALSE(r->enqueue_bulk(in.data(), 7));  // 6 free
  EXPECT_EQ(r->size_estimate(), 10u);
  EXPECT_EQ(r->enqueue_burst(in.data() + 10, 20), 6u);
  std::array<std::uint32_t, 32> out{};
  EXPECT_FALSE(r->dequeue_bulk(out.data(), 17));
  EXPECT_EQ(r->dequeue_burst(out.data(), 32), 16u);
  for (std::uint32_t i = 0; i < 16; ++i) EXPECT_EQ(out[i], 100 + i);
}

TEST(SpscRing, WrapsAroundTheSlotArrayAndTheIndexRange) {
  auto r = make_heap_ring<SpscRing<std::uint64_t>>(64).value();
  r->park_indices_for_test(0xFFFFF000u);  // the 32-bit indices wrap during the run
  std::uint64_t next_in = 0, next_out = 0;
  std::vector<std::uint64_t> buf(37);
  // Odd-sized bursts cross the end of the slot array at every offset.
  for (int round = 0; round < 10000; ++round) {
    for (auto& x : buf) x = next_in++;
    std::uint32_t n = r->enqueue_burst(buf.data(), 37);
    next_in -= 37 - n;
    std::uint32_t m = r->dequeue_burst(buf.data(), 37);
    for (std::uint32_t i = 0; i < m; ++i) ASSERT_EQ(buf[i], next_out++);
  }
  EXPECT_GT(next_out, 300000u);
}

TEST(SpscRing, AttachFindsTheRingAndRejectsForeignMemory) {
  alignas(kRingAlign) static std::byte mem[SpscRing<std::uint32_t>::bytes_for(32)];
  auto* a = SpscRing<std::uint32_t>::create_in(mem, sizeof(mem), 32).value();
  ASSERT_TRUE(a->try_enqueue(7));
  auto b = SpscRing<std::uint32_t>::attach(mem, sizeof(mem));
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  std::uint32_t v = 0;
  ASSERT_TRUE(b.value()->try_dequeue(v));
  EXPECT_EQ(v, 7u);

  // Wrong element type, too small a mapping, garbage.
  EXPECT_FALSE(SpscRing<std::uint64_t>::attach(mem, sizeof(mem)).is_ok());
  EXPECT_FALSE(SpscRing<std::uint32_t>::attach(mem, sizeof(mem) - 4).is_ok());
  alignas(kRingAlign) static std::byte junk[4096];
  std::fill(std::begin(junk), std::end(junk), std::byte{0x5a});
  auto j = SpscRing<std::uint32_t>::attach(junk, sizeof(junk));
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("magic"), std::string::npos);
}

}  // namespace
}  // namespace uplane::ring

namespace uplane::ring {
namespace {

// A peer that scribbles on the other side's index must not make a call write or read past
// the slots (ASan guards the heap block's end). Layout, in kRingAlign blocks: header,
// producer head, producer cache, consumer tail, consumer cache.
TEST(SpscRing, GarbageIndexFromThePeerReadsAsFullOrEmpty) {
  auto r = make_heap_ring<SpscRing<std::uint64_t>>(16).value();
  auto* raw = reinterpret_cast<std::byte*>(r.get());
  auto* cons_tail = reinterpret_cast<std::atomic<std::uint32_t>*>(raw + 3 * kRingAlign);
  std::uint64_t buf[64] = {};
  // First prove the offset: a consumer that "took" 4 entries frees 4 slots.
  ASSERT_EQ(r->enqueue_burst(buf, 64), 16u);
  cons_tail->store(4, std::memory_order_relaxed);
  ASSERT_EQ(r->enqueue_burst(buf, 64), 4u);
  r->park_indices_for_test(0);
  cons_tail->store(5000, std::memory_order_relaxed);  // "consumed" far more than was produced
  EXPECT_EQ(r->enqueue_burst(buf, 64), 0u);           // had to look: reads as full
  std::uint32_t in = 0;
  for (int i = 0; i < 8; ++i) in += r->enqueue_burst(buf, 64);
  EXPECT_EQ(in, 0u);  // every call needs the real tail, and it stays garbage
  EXPECT_EQ(r->dequeue_burst(buf, 64), 0u);
  cons_tail->store(0u - 3, std::memory_order_relaxed);  // just behind: 3 "entries"
  EXPECT_EQ(r->dequeue_burst(buf, 64), 3u);
}

}  // namespace
}  // namespace uplane::ring
