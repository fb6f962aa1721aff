#include "mem/packet_pool.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

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
  c.frame_size = 65536;  // offsets would no longer fit Packet's 16-bit fields
  EXPECT_NE(bad(c).find("frame_size 65536"), std::string::npos);
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

// Charges (a tenant's frames budget): a charged frame counts against its owner until it
// comes back by any put, whatever was done to it meanwhile; a copy is not charged.
TEST(PacketPool, ChargedFramesCountAgainstTheirOwnerUntilTheyComeBack) {
  auto pool = PacketPool::create(small(256)).value();
  Packet* p[40];
  ASSERT_TRUE(pool->alloc_bulk(p, 40));
  pool->charge(p, 10, 7);  // off: nothing happens
  EXPECT_EQ(p[0]->charged_to(), 0);
  EXPECT_EQ(pool->charged(7), 0);
  pool->enable_charges();
  pool->enable_charges();  // idempotent
  pool->charge(p, 10, 7);
  pool->charge(p + 10, 5, 9);
  EXPECT_EQ(pool->charged(7), 10);
  EXPECT_EQ(pool->charged(9), 5);
  pool->charge(p + 14, 1, 7);  // charged again without coming back: moves to its new owner
  EXPECT_EQ(pool->charged(9), 4);
  EXPECT_EQ(pool->charged(7), 11);
  pool->charge(p + 14, 1, 9);
  EXPECT_EQ(pool->charged(7), 10);
  EXPECT_EQ(p[3]->charged_to(), 7);
  p[3]->reset(pool->headroom());  // an element reusing the frame keeps the charge
  EXPECT_EQ(p[3]->charged_to(), 7);

  Packet* copy = pool->alloc();
  ASSERT_NE(copy, nullptr);
  ASSERT_TRUE(copy->copy_from(*p[0]));
  EXPECT_EQ(copy->charged_to(), 0);
  pool->free(copy);
  EXPECT_EQ(pool->charged(7), 10);

  free_packet(p[0]);          // one at a time, by metadata
  pool->put_bulk(p + 1, 12);  // a mix: 9 of owner 7, 3 of owner 9
  EXPECT_EQ(pool->charged(7), 0);
  EXPECT_EQ(pool->charged(9), 2);
  pool->put_bulk(p + 13, 27);
  EXPECT_EQ(pool->charged(9), 0);

  // A frame handed out again starts uncharged.
  Packet* q[40];
  ASSERT_TRUE(pool->get_bulk(q, 40));
  for (Packet* x : q) EXPECT_EQ(x->charged_to(), 0);
  pool->put_bulk(q, 40);
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
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

// The largest cache: a put that lands just under the flush threshold followed by a large
// put must stay inside the cache's array (ASan watches), and nothing may be lost.
TEST(PacketPool, LargestCacheAbsorbsPutsUpToItsSizeBeforeFlushing) {
  auto pool = PacketPool::create(small(4096, PacketPool::kMaxCacheSize)).value();
  std::vector<Packet*> a(255), b(512), d(512);
  ASSERT_TRUE(pool->get_bulk(b.data(), 512));  // refill 1024, cache left with 512
  ASSERT_TRUE(pool->get_bulk(d.data(), 512));  // cache empty
  ASSERT_TRUE(pool->get_bulk(a.data(), 255));  // refill 767, cache left with 512
  pool->put_bulk(a.data(), 255);               // 767: one short of the flush threshold
  pool->put_bulk(b.data(), 512);               // 1279 before the flush brings it to 512
  pool->put_bulk(d.data(), 512);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
  EXPECT_EQ(pool->ring_free_estimate(), 4096u);
  EXPECT_EQ(pool->counters().bad_puts, 0u);
}

class PacketPoolCaches : public ::testing::TestWithParam<std::uint32_t> {};
INSTANTIATE_TEST_SUITE_P(WithAndWithoutCache, PacketPoolCaches, ::testing::Values(0u, 16u));

TEST_P(PacketPoolCaches, ForeignFramesAreRefusedAndCounted) {
  auto pool = PacketPool::create(small(64, GetParam())).value();
  auto other = PacketPool::create(small(64, GetParam())).value();
  Packet* mine = pool->alloc();
  Packet* theirs = other->alloc();
  Packet* misaligned = reinterpret_cast<Packet*>(reinterpret_cast<std::byte*>(mine) + 64);
  Packet* batch[3] = {theirs, misaligned, mine};
  pool->put_bulk(batch, 3);
  pool->flush_thread_cache();  // release builds refuse them here, debug builds at once
  EXPECT_EQ(pool->counters().bad_puts, 2u);
  // free_packet routes by the pool id in the (shared, writable) metadata: a frame that
  // claims another pool's id is refused there too.
  reinterpret_cast<std::uint16_t*>(theirs)[2] = pool->id();  // pool_id_, after frame_index_
  ASSERT_EQ(theirs->pool_id(), pool->id());
  free_packet(theirs);
  EXPECT_EQ(pool->counters().bad_puts, 3u);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
  other->free(theirs);
  other->flush_thread_cache();
  EXPECT_TRUE(other->check_no_leaks().is_ok());
}

// What a buggy or hostile process sharing the pool could do: put an index that names no
// frame on the shared free ring. It must never become an address.
TEST(PacketPool, IndicesFromTheSharedRingAreRangeChecked) {
  auto pool = PacketPool::create(small(64, 0)).value();
  // The free ring sits after the pool header page (packet_pool.cc's layout).
  using FreeRing = ring::MpmcRing<std::uint32_t>;
  auto* ring = FreeRing::attach(pool->region()->base() + 4096, FreeRing::bytes_for(64)).value();
  std::uint32_t idx;
  ASSERT_TRUE(ring->dequeue_bulk(&idx, 1));
  const std::uint32_t bogus = 0x7fffffff;
  ASSERT_TRUE(ring->enqueue_bulk(&bogus, 1));

  std::vector<Packet*> all(64);
  EXPECT_FALSE(pool->get_bulk(all.data(), 64));  // 63 real frames are all there is
  EXPECT_EQ(pool->counters().bad_indices, 1u);
  ASSERT_TRUE(pool->get_bulk(all.data(), 63));
  for (std::uint32_t i = 0; i < 63; ++i) ASSERT_TRUE(pool->owns(all[i]));
  pool->put_bulk(all.data(), 63);
  ASSERT_TRUE(ring->enqueue_bulk(&idx, 1));
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(PacketPool, DestroyingAPoolViewFlushesItsCaches) {
  auto pool = PacketPool::create(small(256, 32)).value();
  auto region = pool->region();
  Packet* p[8];
  ASSERT_TRUE(pool->get_bulk(p, 8));
  pool->put_bulk(p, 8);  // now in this thread's cache
  EXPECT_LT(pool->ring_free_estimate(), 256u);
  pool.reset();
  // The frames are back in the shared ring, visible to whoever maps the Region next.
  auto again = PacketPool::attach(region, 0).value();
  EXPECT_EQ(again->ring_free_estimate(), 256u);
  EXPECT_TRUE(again->check_no_leaks().is_ok());
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

// A tenant's view of the frames it was lent (tenant_link.h): its free list starts empty and
// holds only what it puts; the pool's shared ring, and the creator's view, never see them.
// Attached in a child process, where the pool's id is free, as a tenant would.
TEST(PacketPool, APrivateViewAllocatesOnlyWhatItPut) {
  PoolConfig c = small(64);
  c.trailer_bytes = 8192;
  auto pool = PacketPool::create(c).value();
  EXPECT_EQ(pool->trailer_offset() % 4096, 0u);
  EXPECT_GE(pool->trailer_offset(), pool->frames_offset() + 64u * pool->frame_size());
  EXPECT_GE(pool->region()->size(), pool->trailer_offset() + 8192);
  const std::uint32_t shared_free = pool->ring_free_estimate();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // As in a fresh process: the creator's view (and its id) gone, the memory mapped.
    std::shared_ptr<Region> region = pool->region();
    pool.reset();
    auto view = PacketPool::attach_private(region, 0);
    if (!view.is_ok()) _exit(2);
    PacketPool& v = **view;
    if (v.alloc() != nullptr) _exit(3);  // nothing lent yet
    Packet* lent[2] = {v.rebuild(7), v.rebuild(9)};
    v.put_bulk(lent, 2);
    Packet* a = v.alloc();
    Packet* b = v.alloc();
    if (a == nullptr || b == nullptr || v.alloc() != nullptr) _exit(4);
    if (v.index_of(a) + v.index_of(b) != 16) _exit(5);
    if (!a->set_window(256, 100) || a->data_offset() != 256 || a->length() != 100) _exit(6);
    if (a->set_window(16, 10) || a->set_window(256, 4000)) _exit(7);  // metadata, past the end
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(pool->ring_free_estimate(), shared_free);  // the child touched no shared list
}

}  // namespace
}  // namespace uplane::mem
