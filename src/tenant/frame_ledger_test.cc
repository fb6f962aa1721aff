// FrameLedger (frame_ledger.h): what a hostile out-of-process tenant can hand back, and
// what the host does with it.

#include "tenant/frame_ledger.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace uplane::tenant {
namespace {

constexpr std::uint32_t kCap = 1920;  // a 2 KiB frame's data area, say

TEST(FrameLedger, FramesGivenAndTakenBackBalance) {
  FrameLedger l(64);
  for (std::uint32_t i = 0; i < 64; ++i) ASSERT_TRUE(l.give(i));
  EXPECT_EQ(l.held_count(), 64u);
  EXPECT_FALSE(l.give(5));  // already the tenant's: the host's own mistake, refused
  EXPECT_FALSE(l.give(64));
  for (std::uint32_t i = 0; i < 64; ++i) EXPECT_EQ(l.take(i, 60, kCap), FrameReject::kCount);
  EXPECT_EQ(l.held_count(), 0u);
  EXPECT_EQ(l.given(), 64u);
  EXPECT_EQ(l.taken(), 64u);
  EXPECT_TRUE(l.balanced());
  // Given again, taken again: a frame goes round many times.
  ASSERT_TRUE(l.give(7));
  EXPECT_EQ(l.take(7, kCap, kCap), FrameReject::kCount);
  EXPECT_TRUE(l.balanced());
}

TEST(FrameLedger, EveryBadIndexIsRefusedAndCountedAndChangesNothingElse) {
  FrameLedger l(16);
  for (std::uint32_t i : {1u, 2u, 3u}) ASSERT_TRUE(l.give(i));
  EXPECT_EQ(l.take(16, 60, kCap), FrameReject::kOutOfRange);
  EXPECT_EQ(l.take(0xffffffffu, 60, kCap), FrameReject::kOutOfRange);
  EXPECT_EQ(l.take(9, 60, kCap), FrameReject::kNotHeld);  // never given
  EXPECT_EQ(l.take(1, 60, kCap), FrameReject::kCount);
  EXPECT_EQ(l.take(1, 60, kCap), FrameReject::kTwice);  // the same index again
  EXPECT_EQ(l.take(2, kCap + 1, kCap), FrameReject::kBadLength);
  EXPECT_FALSE(l.held(2));  // a bad length still gives the frame back
  EXPECT_EQ(l.take(2, 60, kCap), FrameReject::kTwice);
  EXPECT_TRUE(l.held(3));  // untouched by all of the above
  EXPECT_EQ(l.held_count(), 1u);
  EXPECT_EQ(l.rejected(FrameReject::kOutOfRange), 2u);
  EXPECT_EQ(l.rejected(FrameReject::kNotHeld), 1u);
  EXPECT_EQ(l.rejected(FrameReject::kTwice), 2u);
  EXPECT_EQ(l.rejected(FrameReject::kBadLength), 1u);
  EXPECT_TRUE(l.balanced());
  EXPECT_EQ(frame_reject_name(FrameReject::kTwice), "given_back_twice");
}

TEST(FrameLedger, ReclaimTakesBackWhatADeadTenantHeld) {
  FrameLedger l(128);
  for (std::uint32_t i = 0; i < 100; ++i) ASSERT_TRUE(l.give(i));
  for (std::uint32_t i = 0; i < 40; ++i) ASSERT_EQ(l.take(i, 60, kCap), FrameReject::kCount);
  const std::vector<std::uint32_t> back = l.reclaim();
  ASSERT_EQ(back.size(), 60u);
  EXPECT_EQ(back.front(), 40u);
  EXPECT_EQ(back.back(), 99u);
  EXPECT_EQ(l.held_count(), 0u);
  EXPECT_EQ(l.reclaimed(), 60u);
  EXPECT_TRUE(l.balanced());
  // What the old process still had in its tx ring, read after the reclaim: not its own.
  EXPECT_EQ(l.take(50, 60, kCap), FrameReject::kNotHeld);
  EXPECT_TRUE(l.reclaim().empty());
}

// A hostile tenant at random against a plain model of who holds what: the ledger agrees
// with the model after every step, and balances.
TEST(FrameLedger, AgreesWithAModelUnderRandomAbuse) {
  constexpr std::uint32_t kFrames = 256;
  FrameLedger l(kFrames);
  std::set<std::uint32_t> tenant;    // held by the tenant
  std::set<std::uint32_t> returned;  // taken back since last given
  std::mt19937 rng(12345);
  std::uint64_t refused = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t op = rng() % 10;
    const std::uint32_t i = rng() % (kFrames + 16);  // some out of range
    if (op < 4) {
      const bool ok = l.give(i);
      EXPECT_EQ(ok, i < kFrames && tenant.count(i) == 0) << step;
      if (ok) {
        tenant.insert(i);
        returned.erase(i);
      }
    } else if (op < 9) {
      const std::uint32_t len = rng() % 16 == 0 ? kCap + 1 + rng() % 100 : rng() % kCap;
      const FrameReject r = l.take(i, len, kCap);
      FrameReject want = FrameReject::kCount;
      if (i >= kFrames) {
        want = FrameReject::kOutOfRange;
      } else if (tenant.count(i) == 0) {
        want = returned.count(i) != 0 ? FrameReject::kTwice : FrameReject::kNotHeld;
      } else {
        tenant.erase(i);
        returned.insert(i);
        if (len > kCap) want = FrameReject::kBadLength;
      }
      EXPECT_EQ(r, want) << step;
      if (r != FrameReject::kCount) ++refused;
    } else if (step % 97 == 0) {
      // What it held comes back; what it gave back before stays given back.
      EXPECT_EQ(l.reclaim().size(), tenant.size()) << step;
      tenant.clear();
    }
    ASSERT_EQ(l.held_count(), tenant.size()) << step;
    ASSERT_TRUE(l.balanced()) << step;
  }
  std::uint64_t counted = 0;
  for (std::size_t r = 0; r < kFrameRejectCount; ++r) counted += l.rejected(FrameReject(r));
  EXPECT_EQ(counted, refused);
  EXPECT_GT(l.rejected(FrameReject::kTwice), 0u);
  EXPECT_GT(l.rejected(FrameReject::kOutOfRange), 0u);
}

}  // namespace
}  // namespace uplane::tenant
