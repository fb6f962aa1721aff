#include "mem/packet_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace uplane::mem {
namespace {

PoolConfig small(std::uint32_t frames, std::uint32_t cache = 32) {
  return {.name = "pool-test",
          .frame_count = frames,
          .frame_size = 2048,
          .headroom = 128,
          .cache_size = cache,
          .region = {.allow_hugepages = false}};
}

TEST(PacketPool, RejectsBadConfigurationWithAReason) {
  auto bad = [](PoolConfig c) { return PacketPool::create(c).status().message(); };
  PoolConfig c = small(64);
  c.frame_size = 3000;
  EXPECT_NE(bad(c).find("frame_size 3000"), std::string::npos);
  c = small(0);
  EXPECT_NE(bad(c).find("frame_count 0"), std::string::npos);
  c = small(64);
  c.headroom = 1900;
  EXPECT_NE(bad(c).find("headroom"), std::string::npos);
  c = small(64, 4096);
  EXPECT_NE(bad(c).find("cache_size"), std::string::npos);
}

TEST(PacketPool, HandsOutEveryFrameOnceThenFailsCleanly) {
  auto pool = PacketPool::create(small(256)).value();
  std::vector<Packet*> all(256);
  for (std::uint32_t i = 0; i < 256; i += 16) ASSERT_TRUE(pool->get_bulk(&all[i], 16)) << i;
  std::set<std::uint32_t> idx;
  for (Packet* p : all) {
    ASSERT_TRUE(pool->owns(p));
    idx.insert(pool->index_of(p));
    EXPECT_EQ(pool->packet(pool->index_of(p)), p);
  }
  EXPECT_EQ(idx.size(), 256u);
  Packet* extra;
  EXPECT_FALSE(pool->get_bulk(&extra, 1));
  EXPECT_EQ(pool->alloc(), nullptr);
  EXPECT_EQ(pool->counters().get_failures, 2u);
  EXPECT_EQ(pool->counters().gets, 256u);

  auto leak = pool->check_no_leaks();
  ASSERT_FALSE(leak.is_ok());
  EXPECT_NE(leak.message().find("256 of 256 frames not returned"), std::string::npos)
      << leak.message();

  pool->put_bulk(all.data(), 256);  // larger than the cache: straight to the ring
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
  EXPECT_EQ(pool->counters().puts, 256u);
}

TEST(PacketPool, BulkGetIsAllOrNothingEvenAcrossCacheAndRing) {
  auto pool = PacketPool::create(small(64, 16)).value();
  std::vector<Packet*> held(60);
  ASSERT_TRUE(pool->get_bulk(held.data(), 60));
  std::vector<Packet*> more(8);
  EXPECT_FALSE(pool->get_bulk(more.data(), 8));  // only 4 left
  EXPECT_TRUE(pool->get_bulk(more.data(), 4));
  pool->put_bulk(held.data(), 60);
  pool->put_bulk(more.data(), 4);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(PacketPool, LeakCheckNamesTheMissingFramesAndDoubleFrees) {
  auto pool = PacketPool::create(small(64)).value();
  Packet* a = pool->alloc();
  Packet* b = pool->alloc();
  pool->free(a);
  auto st = pool->check_no_leaks();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(fmt::format("(frames {})", pool->index_of(b))), std::string::npos)
      << st.message();
  pool->free(b);
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
  pool->free(b);  // a bug in the caller: shows up as a double return
  st = pool->check_no_leaks();
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("more than once"), std::string::npos) << st.message();
}

TEST(PacketPool, SecondGetOfSameSizeIsACacheHit) {
  auto pool = PacketPool::create(small(1024, 64)).value();
  Packet* p[8];
  ASSERT_TRUE(pool->get_bulk(p, 8));  // miss: refills the cache
  pool->put_bulk(p, 8);
  ASSERT_TRUE(pool->get_bulk(p, 8));  // hit
  pool->put_bulk(p, 8);
  PoolCounters c = pool->counters();
  EXPECT_EQ(c.gets, 16u);
  EXPECT_EQ(c.puts, 16u);
  EXPECT_EQ(c.cache_hits, 1u);
  EXPECT_EQ(pool->ring_free_estimate(), 1024u - 8 - 64);  // one refill of 8 + cache size
}

TEST(PacketPool, ThreadExitLeavesNoFrameBehind) {
  auto pool = PacketPool::create(small(512, 64)).value();
  std::thread t([&] {
    Packet* p[16];
    ASSERT_TRUE(pool->get_bulk(p, 16));
    pool->put_bulk(p, 16);  // stays in this thread's cache
  });
  t.join();
  // The dead thread's cache is still counted as free: no leak is reported.
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(PacketPool, IdIsRegisteredAndFreePacketFindsThePool) {
  auto pool = PacketPool::create(small(64)).value();
  EXPECT_EQ(pool_by_id(pool->id()), pool.get());
  Packet* p = pool->alloc();
  free_packet(p);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
  const std::uint16_t id = pool->id();
  pool.reset();
  EXPECT_EQ(pool_by_id(id), nullptr);
}

TEST(PacketPool, AttachValidatesTheRegion) {
  auto junk = Region::create("junk", 1 << 16, {.allow_hugepages = false}).value();
  auto r = PacketPool::attach(junk);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("holds no pool"), std::string::npos);

  // The same process already has this pool's id registered.
  auto pool = PacketPool::create(small(64)).value();
  auto again = PacketPool::attach(pool->region());
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Errc::kAlreadyExists);
}

}  // namespace
}  // namespace uplane::mem
