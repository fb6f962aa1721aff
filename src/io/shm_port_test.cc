// ShmPort / ShmPipe: shared-memory pipes between two ports over one packet pool.

#include "io/shm_port.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/compiler.h"
#include "ring/spsc_ring.h"

namespace uplane::io {
namespace {

using mem::Batch;
using mem::Packet;
using mem::PacketPool;

std::unique_ptr<PacketPool> make_pool(std::uint32_t frames, const char* name = "shm-test",
                                      std::uint32_t cache = 64, std::uint32_t frame_size = 2048) {
  return PacketPool::create({.name = name,
                             .frame_count = frames,
                             .frame_size = frame_size,
                             .headroom = 128,
                             .cache_size = cache,
                             .region = {.allow_hugepages = false}})
      .value();
}

// A pipe name no other test (or earlier run in this process) uses.
std::string unique_name(const char* what) {
  static int n = 0;
  return fmt::format("{}-{}-{}", what, getpid(), ++n);
}

// Packet number `seq`: 60-1514 bytes, each byte a function of seq and its position.
std::uint32_t length_of(std::uint64_t seq) { return 60 + static_cast<std::uint32_t>(seq % 1455); }
std::uint8_t byte_of(std::uint64_t seq, std::uint32_t i) {
  return static_cast<std::uint8_t>(seq * 131 + i * 7 + (i >> 8));
}
Packet* make_packet(PacketPool& pool, std::uint64_t seq) {
  Packet* p = pool.alloc();
  if (p == nullptr) return nullptr;
  const std::uint32_t len = length_of(seq);
  std::uint8_t* d = p->put(len);
  for (std::uint32_t i = 0; i < len; ++i) d[i] = byte_of(seq, i);
  std::memcpy(d, &seq, sizeof(seq));
  p->set_paint(static_cast<std::uint8_t>(seq));
  p->user_anno()[5] = static_cast<std::uint8_t>(seq >> 8);
  return p;
}
// Empty when p is packet `seq` byte for byte (annotations too); else what differs.
std::string check_packet(const Packet* p, std::uint64_t seq) {
  const std::uint32_t len = length_of(seq);
  if (p->length() != len) return fmt::format("seq {}: length {} not {}", seq, p->length(), len);
  std::uint64_t got;
  std::memcpy(&got, p->data(), sizeof(got));
  if (got != seq) return fmt::format("seq {}: carries seq {}", seq, got);
  for (std::uint32_t i = sizeof(seq); i < len; ++i)
    if (p->data()[i] != byte_of(seq, i)) return fmt::format("seq {}: byte {} differs", seq, i);
  if (p->paint() != static_cast<std::uint8_t>(seq) ||
      p->user_anno()[5] != static_cast<std::uint8_t>(seq >> 8))
    return fmt::format("seq {}: annotations lost", seq);
  return {};
}

struct Ends {
  std::unique_ptr<ShmPort> a;
  std::unique_ptr<ShmPort> b;
};
Ends make_ends(PacketPool& pool, std::uint32_t slots, PacketPool* pool_b = nullptr) {
  auto pipe = ShmPipe::create(unique_name("pipe"), pool, slots);
  EXPECT_TRUE(pipe.is_ok()) << pipe.status().to_string();
  Ends e;
  e.a = pipe->take_end_a();
  auto b = pipe->open_end_b(pool_b != nullptr ? *pool_b : pool);
  EXPECT_TRUE(b.is_ok()) << b.status().to_string();
  e.b = std::move(b).value();
  return e;
}

// Every free frame of the pool, one alloc at a time (a bulk get larger than the thread
// cache bypasses it, so it could not take the frames cached there).
std::vector<Packet*> take_all(PacketPool& pool) {
  std::vector<Packet*> all;
  while (Packet* p = pool.alloc()) all.push_back(p);
  return all;
}

void free_all(Batch& b) {
  for (Packet* p : b) mem::free_packet(p);
  b.clear();
}

// The raw view of a frame's first bytes, as the receive side reads it.
ShmFrameHead head_of(const Packet* p) {
  ShmFrameHead h;
  std::memcpy(&h, static_cast<const void*>(p), sizeof(h));
  return h;
}
void write_head(Packet* p, const ShmFrameHead& h) {
  std::memcpy(static_cast<void*>(p), &h, sizeof(h));
}

TEST(ShmFrameHead, MirrorsPacketLayout) {
  for (std::uint32_t frame_size : {512u, 2048u, 16384u}) {
    auto pool = make_pool(64, "shm-head", 0, frame_size);
    std::vector<Packet*> held;
    for (std::uint32_t i = 0; i < 64; ++i) {
      Packet* p = pool->alloc();
      ASSERT_NE(p, nullptr);
      ASSERT_NE(p->put(i * 3 + 1), nullptr);
      ASSERT_NE(p->push(i % 100), nullptr);
      p->set_packet_type(mem::PacketType::kMulticast);
      const ShmFrameHead h = head_of(p);
      EXPECT_EQ(h.frame_index, p->frame_index());
      EXPECT_EQ(h.frame_index, pool->index_of(p));
      EXPECT_EQ(h.pool_id, p->pool_id());
      EXPECT_EQ(h.data_off, p->data() - reinterpret_cast<const std::uint8_t*>(p));
      EXPECT_EQ(h.length, p->length());
      EXPECT_EQ(1u << h.frame_shift, p->frame_size());
      EXPECT_EQ(h.packet_type, static_cast<std::uint8_t>(mem::PacketType::kMulticast));
      held.push_back(p);
    }
    pool->put_bulk(held.data(), static_cast<std::uint32_t>(held.size()));
    EXPECT_TRUE(pool->check_no_leaks().is_ok());
  }
}

TEST(ShmPipe, BytesInAreBytesOutInOrderBothWaysZeroCopy) {
  auto pool = make_pool(1024);
  {
    Ends e = make_ends(*pool, 256);
    EXPECT_TRUE(e.a->zero_copy());
    EXPECT_TRUE(e.b->zero_copy());
    EXPECT_EQ(e.a->method(), Method::kShm);
    EXPECT_EQ(e.a->end(), ShmPort::End::kA);
    EXPECT_EQ(e.b->end(), ShmPort::End::kB);
    constexpr std::uint64_t kPackets = 20000;
    std::uint64_t sent = 0, got_b = 0, got_a = 0, bytes = 0;
    std::vector<const Packet*> sent_frames(kPackets);
    for (int round = 0; got_a < kPackets && round < 100000; ++round) {
      // A sends a burst of 1-32 (sizes vary with the round).
      Batch out;
      const std::uint32_t want = 1 + static_cast<std::uint32_t>(round % 32);
      while (out.size() < want && sent + out.size() < kPackets) {
        Packet* p = make_packet(*pool, sent + out.size());
        if (p == nullptr) break;
        sent_frames[sent + out.size()] = p;
        bytes += p->length();
        (void)out.push_back(p);
      }
      sent += e.a->tx_burst(out);
      // Whatever the ring could not take is sent again next round, in order.
      for (std::uint32_t i = 0; i < out.size(); ++i) {
        bytes -= out[i]->length();
        mem::free_packet(out[i]);
      }
      // B receives in order, checks, and sends back.
      Batch in;
      e.b->rx_burst(in);
      for (std::uint32_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(check_packet(in[i], got_b + i), "");
        ASSERT_EQ(in[i], sent_frames[got_b + i]) << "zero copy: the very frame A sent";
      }
      got_b += in.size();
      e.b->tx_burst(in);
      ASSERT_TRUE(in.empty());  // the B->A ring has room: A drains it every round
      Batch back;
      e.a->rx_burst(back);
      for (std::uint32_t i = 0; i < back.size(); ++i)
        ASSERT_EQ(check_packet(back[i], got_a + i), "");
      got_a += back.size();
      free_all(back);
    }
    EXPECT_EQ(got_a, kPackets);
    const PortCounters ca = e.a->counters(), cb = e.b->counters();
    EXPECT_EQ(ca.tx_packets, kPackets);
    EXPECT_EQ(ca.tx_bytes, bytes);
    EXPECT_EQ(cb.rx_packets, kPackets);
    EXPECT_EQ(cb.rx_bytes, bytes);
    EXPECT_EQ(cb.tx_packets, kPackets);
    EXPECT_EQ(cb.tx_bytes, bytes);
    EXPECT_EQ(ca.rx_packets, kPackets);
    EXPECT_EQ(ca.rx_bytes, bytes);
    EXPECT_EQ(
        ca.rx_errors + ca.tx_errors + cb.rx_errors + cb.tx_errors + ca.rx_dropped + cb.rx_dropped,
        0u);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(ShmPipe, AFullRingLeavesTheRestInTheBatchInOrder) {
  auto pool = make_pool(256);
  {
    Ends e = make_ends(*pool, 64);
    std::uint64_t seq = 0;
    auto burst = [&](std::uint32_t n) {
      Batch b;
      for (std::uint32_t i = 0; i < n; ++i) (void)b.push_back(make_packet(*pool, seq++));
      return b;
    };
    Batch b1 = burst(32), b2 = burst(16), b3 = burst(32);
    EXPECT_EQ(e.a->tx_burst(b1), 32u);
    EXPECT_EQ(e.a->tx_burst(b2), 16u);
    std::vector<Packet*> third(b3.begin(), b3.end());
    EXPECT_EQ(e.a->tx_burst(b3), 16u);  // 64 slots: 16 left
    ASSERT_EQ(b3.size(), 16u);
    for (std::uint32_t i = 0; i < 16; ++i) EXPECT_EQ(b3[i], third[16 + i]) << i;
    EXPECT_EQ(e.a->tx_burst(b3), 0u);  // full: nothing taken, nothing reordered
    ASSERT_EQ(b3.size(), 16u);
    for (std::uint32_t i = 0; i < 16; ++i) EXPECT_EQ(b3[i], third[16 + i]) << i;
    EXPECT_EQ(e.a->counters().tx_packets, 64u);
    EXPECT_EQ(e.a->counters().tx_errors, 0u);

    // The receiver sees the 64 that went, in order; then the 16 that waited.
    std::uint64_t expect = 0;
    for (int i = 0; i < 2; ++i) {
      Batch in;
      EXPECT_EQ(e.b->rx_burst(in), 32u);
      for (Packet* p : in) EXPECT_EQ(check_packet(p, expect++), "");
      free_all(in);
    }
    Batch none;
    EXPECT_EQ(e.b->rx_burst(none), 0u);
    EXPECT_EQ(e.a->tx_burst(b3), 16u);
    EXPECT_TRUE(b3.empty());
    Batch in;
    EXPECT_EQ(e.b->rx_burst(in), 16u);
    for (Packet* p : in) EXPECT_EQ(check_packet(p, expect++), "");
    free_all(in);
    EXPECT_EQ(e.b->counters().rx_packets, 80u);
    // A batch partly filled gets only what it has room for.
    Batch b4 = burst(32);
    EXPECT_EQ(e.a->tx_burst(b4), 32u);
    Batch partial;
    for (int i = 0; i < 30; ++i) (void)partial.push_back(make_packet(*pool, 1000 + i));
    EXPECT_EQ(e.b->rx_burst(partial), 2u);
    EXPECT_EQ(check_packet(partial[30], 80), "");
    EXPECT_EQ(check_packet(partial[31], 81), "");
    free_all(partial);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

// Plays a broken peer: writes straight into the A->B ring.
ring::SpscRing<std::uint32_t>* raw_ring(const ShmPipe& pipe, int dir) {
  const ShmPipeLayout l = ShmPipeLayout::of(pipe.slots(), pipe.pool().frame_count());
  return ring::SpscRing<std::uint32_t>::attach(pipe.region()->base() + l.ring_offset[dir],
                                               l.ring_bytes)
      .value();
}

TEST(ShmPipe, GarbageIndicesAreCountedAndDroppedNeverFreed) {
  auto pool = make_pool(128);
  {
    auto pipe = ShmPipe::create(unique_name("garbage"), *pool, 64).value();
    auto a = pipe.take_end_a();
    auto b = pipe.open_end_b(*pool).value();
    auto* ring = raw_ring(pipe, 0);

    Packet* held = make_packet(*pool, 7);  // the test's own; must not be stolen
    Batch one;
    (void)one.push_back(make_packet(*pool, 1));
    const std::uint32_t sent_index = pool->index_of(one[0]);
    ASSERT_EQ(a->tx_burst(one), 1u);
    // Find a frame that is free in the pool right now.
    Packet* probe = pool->alloc();
    const std::uint32_t free_index = pool->index_of(probe);
    pool->free(probe);

    const std::uint32_t garbage[] = {0xFFFFFFFFu,          pool->frame_count(), free_index,
                                     pool->index_of(held), sent_index,          0x80000000u};
    ASSERT_EQ(ring->enqueue_burst(garbage, 6), 6u);
    Batch in;
    EXPECT_EQ(b->rx_burst(in), 1u);  // the packet really sent, once
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(check_packet(in[0], 1), "");
    EXPECT_EQ(b->counters().rx_errors, 6u);
    EXPECT_EQ(b->counters().rx_packets, 1u);
    free_all(in);
    EXPECT_EQ(check_packet(held, 7), "") << "a garbage index must not hand out a held frame";
    pool->free(held);
    // A ring full of garbage: a whole burst dropped, and the pipe still works after it.
    std::vector<std::uint32_t> junk(64);
    for (std::uint32_t i = 0; i < 64; ++i) junk[i] = i * 2654435761u;
    ASSERT_EQ(ring->enqueue_burst(junk.data(), 64), 64u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(b->rx_burst(in), 0u);
    EXPECT_EQ(b->counters().rx_errors, 70u);
    (void)one.push_back(make_packet(*pool, 2));
    ASSERT_EQ(a->tx_burst(one), 1u);
    EXPECT_EQ(b->rx_burst(in), 1u);
    EXPECT_EQ(check_packet(in[0], 2), "");
    free_all(in);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(ShmPipe, BadMetadataIsCountedAndTheFrameGoesBackToThePool) {
  auto pool = make_pool(128);
  {
    Ends e = make_ends(*pool, 64);
    // Each packet is sent properly, then its metadata is scribbled on as a broken peer would.
    const std::vector<void (*)(ShmFrameHead&)> breakages = {
        [](ShmFrameHead& h) { h.length = 2000; },      // runs past the frame
        [](ShmFrameHead& h) { h.data_off = 64; },      // inside the metadata
        [](ShmFrameHead& h) { h.data_off = 0xFFFF; },  // outside the frame
        [](ShmFrameHead& h) { h.frame_shift = 40; },   // a frame size of 2^40
        [](ShmFrameHead& h) { h.frame_shift = 12; },   // 4096: not this pool's
        [](ShmFrameHead& h) { h.frame_index += 1; },   // another frame's
        [](ShmFrameHead& h) { h.pool_id = static_cast<std::uint16_t>(h.pool_id + 1); },
        [](ShmFrameHead& h) { h.data_off = 2048 - 10, h.length = 11; },  // one byte over
    };
    Batch out;
    for (std::size_t i = 0; i < breakages.size(); ++i) (void)out.push_back(make_packet(*pool, i));
    std::vector<Packet*> frames(out.begin(), out.end());
    ASSERT_EQ(e.a->tx_burst(out), breakages.size());
    for (std::size_t i = 0; i < breakages.size(); ++i) {
      ShmFrameHead h = head_of(frames[i]);
      breakages[i](h);
      write_head(frames[i], h);
    }
    // Edge cases that are fine: an empty packet, and data ending exactly at the frame's end.
    Packet* empty = pool->alloc();
    Packet* full = pool->alloc();
    ASSERT_NE(full->put(full->tailroom()), nullptr);
    (void)out.push_back(empty);
    (void)out.push_back(full);
    ASSERT_EQ(e.a->tx_burst(out), 2u);
    Batch in;
    EXPECT_EQ(e.b->rx_burst(in), 2u);
    ASSERT_EQ(in.size(), 2u);
    EXPECT_EQ(in[0], empty);
    EXPECT_EQ(in[1], full);
    EXPECT_EQ(e.b->counters().rx_errors, breakages.size());
    free_all(in);
  }
  // The scribbled frames went back to the pool, and alloc hands them out whole again.
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
  std::vector<Packet*> all = take_all(*pool);
  ASSERT_EQ(all.size(), 128u);
  for (Packet* p : all) {
    EXPECT_EQ(p->frame_size(), 2048u);
    EXPECT_EQ(p->frame_index(), pool->index_of(p));
  }
  for (Packet* p : all) pool->free(p);
}

TEST(ShmPipe, APacketSentTwiceIsCaughtOnTransmit) {
  auto pool = make_pool(128);
  {
    Ends e = make_ends(*pool, 64);
    Packet* p = make_packet(*pool, 3);
    Batch b;
    (void)b.push_back(p);
    (void)b.push_back(p);  // the same frame twice in one burst
    EXPECT_EQ(e.a->tx_burst(b), 1u);
    EXPECT_TRUE(b.empty());
    (void)b.push_back(p);  // and again in the next one
    EXPECT_EQ(e.a->tx_burst(b), 0u);
    EXPECT_TRUE(b.empty()) << "the frame is the receiver's: not left with the caller";
    EXPECT_EQ(e.a->counters().tx_errors, 2u);
    EXPECT_EQ(e.a->counters().tx_packets, 1u);
    Batch in;
    EXPECT_EQ(e.b->rx_burst(in), 1u);
    EXPECT_EQ(e.b->rx_burst(in), 0u);
    // Once received, the frame may travel again (back, then forth).
    EXPECT_EQ(e.b->tx_burst(in), 1u);
    EXPECT_EQ(e.a->rx_burst(in), 1u);
    EXPECT_EQ(e.a->tx_burst(in), 1u);
    EXPECT_EQ(e.b->rx_burst(in), 1u);
    EXPECT_EQ(check_packet(in[0], 3), "");
    free_all(in);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(ShmPipe, PacketsOfOtherPoolsAreCopiedIntoThePipePool) {
  auto pool = make_pool(128, "shm-pipe-pool");
  auto other = make_pool(128, "shm-other-pool");
  {
    auto big = make_pool(16, "shm-big-pool", 0, 4096);
    Ends e = make_ends(*pool, 64);
    Batch b;
    (void)b.push_back(make_packet(*pool, 10));
    (void)b.push_back(make_packet(*other, 11));
    (void)b.push_back(make_packet(*pool, 12));
    Packet* huge = big->alloc();
    ASSERT_NE(huge->put(3000), nullptr);  // fits a 4 KiB frame, not a 2 KiB one
    (void)b.push_back(huge);
    EXPECT_EQ(e.a->tx_burst(b), 3u);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(e.a->counters().tx_errors, 1u);  // too large for the pipe's frames: dropped
    Batch in;
    EXPECT_EQ(e.b->rx_burst(in), 3u);
    for (std::uint32_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(pool->owns(in[i]));
      EXPECT_EQ(check_packet(in[i], 10 + i), "");
    }
    free_all(in);
    EXPECT_TRUE(big->check_no_leaks().is_ok()) << big->check_no_leaks().message();
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
  EXPECT_TRUE(other->check_no_leaks().is_ok()) << other->check_no_leaks().message();
}

TEST(ShmPipe, EndBOverAnotherPoolCopiesOnceEachWay) {
  auto pool_a = make_pool(256, "shm-router-a");
  auto pool_b = make_pool(256, "shm-router-b");
  {
    Ends e = make_ends(*pool_a, 64, pool_b.get());
    EXPECT_TRUE(e.a->zero_copy());
    EXPECT_FALSE(e.b->zero_copy());
    std::uint64_t a_seq = 0, b_seq = 1000;
    for (int round = 0; round < 50; ++round) {
      Batch out;
      for (int i = 0; i < 20; ++i) (void)out.push_back(make_packet(*pool_a, a_seq + i));
      ASSERT_EQ(e.a->tx_burst(out), 20u);
      Batch in;
      ASSERT_EQ(e.b->rx_burst(in), 20u);
      for (std::uint32_t i = 0; i < 20; ++i) {
        EXPECT_TRUE(pool_b->owns(in[i])) << "B's graph sees only its own pool's frames";
        EXPECT_EQ(check_packet(in[i], a_seq + i), "");
      }
      a_seq += 20;
      free_all(in);
      // B's own packets go back the other way.
      for (int i = 0; i < 20; ++i) (void)out.push_back(make_packet(*pool_b, b_seq + i));
      ASSERT_EQ(e.b->tx_burst(out), 20u);
      ASSERT_EQ(e.a->rx_burst(in), 20u);
      for (std::uint32_t i = 0; i < 20; ++i) {
        EXPECT_TRUE(pool_a->owns(in[i]));
        EXPECT_EQ(check_packet(in[i], b_seq + i), "");
      }
      b_seq += 20;
      free_all(in);
    }
    // B's pool runs dry: what arrives is dropped and counted, the pipe frames go back.
    std::vector<Packet*> hog = take_all(*pool_b);
    ASSERT_EQ(hog.size(), 256u);
    Batch out;
    for (int i = 0; i < 5; ++i) (void)out.push_back(make_packet(*pool_a, i));
    ASSERT_EQ(e.a->tx_burst(out), 5u);
    Batch in;
    EXPECT_EQ(e.b->rx_burst(in), 0u);
    EXPECT_EQ(e.b->counters().rx_dropped, 5u);
    for (Packet* p : hog) pool_b->free(p);
  }
  EXPECT_TRUE(pool_a->check_no_leaks().is_ok()) << pool_a->check_no_leaks().message();
  EXPECT_TRUE(pool_b->check_no_leaks().is_ok()) << pool_b->check_no_leaks().message();
}

TEST(ShmPipe, LinkStateFollowsTheEndsAndAClosedPeerTakesNothing) {
  auto pool = make_pool(128);
  {
    auto pipe = ShmPipe::create(unique_name("link"), *pool, 64).value();
    auto a = pipe.take_end_a();
    EXPECT_EQ(pipe.take_end_a(), nullptr);
    EXPECT_EQ(a->link_state(), LinkState::kDown);
    // Before B opens, A's packets wait in the ring for it.
    Batch b;
    (void)b.push_back(make_packet(*pool, 1));
    EXPECT_EQ(a->tx_burst(b), 1u);
    auto end_b = pipe.open_end_b(*pool).value();
    EXPECT_EQ(a->link_state(), LinkState::kUp);
    EXPECT_EQ(end_b->link_state(), LinkState::kUp);
    auto again = pipe.open_end_b(*pool);
    ASSERT_FALSE(again.is_ok());
    EXPECT_NE(again.status().message().find("both ends are already open"), std::string::npos)
        << again.status().message();
    Batch in;
    EXPECT_EQ(end_b->rx_burst(in), 1u);
    free_all(in);
    end_b.reset();
    EXPECT_EQ(a->link_state(), LinkState::kDown);
    auto reopen = pipe.open_end_b(*pool);
    ASSERT_FALSE(reopen.is_ok());
    EXPECT_NE(reopen.status().message().find("end B was opened and has closed"), std::string::npos)
        << reopen.status().message();
    (void)b.push_back(make_packet(*pool, 2));
    EXPECT_EQ(a->tx_burst(b), 0u);
    EXPECT_EQ(b.size(), 1u) << "nothing will read it: left with the caller";
    a->count_tx_dropped(b.size());
    EXPECT_EQ(a->counters().tx_dropped, 1u);
    free_all(b);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(ShmPipe, FramesInFlightGoBackWhicheverEndClosesLast) {
  for (bool a_first : {true, false}) {
    auto pool = make_pool(256);
    {
      Ends e = make_ends(*pool, 64);
      Batch b;
      for (int i = 0; i < 30; ++i) (void)b.push_back(make_packet(*pool, i));
      ASSERT_EQ(e.a->tx_burst(b), 30u);
      for (int i = 0; i < 20; ++i) (void)b.push_back(make_packet(*pool, i));
      ASSERT_EQ(e.b->tx_burst(b), 20u);
      if (a_first) {
        e.a.reset();
        EXPECT_EQ(e.b->link_state(), LinkState::kDown);
        // The closed end's packets are still delivered to the open one.
        Batch in;
        EXPECT_EQ(e.b->rx_burst(in), 30u);
        free_all(in);
      } else {
        e.b.reset();
      }
      EXPECT_FALSE(pool->check_no_leaks().is_ok()) << "frames still in the rings";
    }
    EXPECT_TRUE(pool->check_no_leaks().is_ok())
        << a_first << ": " << pool->check_no_leaks().message();
  }
}

TEST(ShmPipe, EndAMayCloseAndItsPoolGoAwayBeforeABorrowingEndB) {
  // Two routers in one process, torn down in either order: end B over its own pool
  // borrows the pipe's; end A's close ends the loan.
  auto pool_b = make_pool(128, "shm-loan-b");
  std::unique_ptr<ShmPort> b;
  {
    auto pool_a = make_pool(128, "shm-loan-a");
    Ends e = make_ends(*pool_a, 64, pool_b.get());
    b = std::move(e.b);
    Batch out;
    for (int i = 0; i < 10; ++i) (void)out.push_back(make_packet(*pool_a, i));
    ASSERT_EQ(e.a->tx_burst(out), 10u);
    for (int i = 0; i < 7; ++i) (void)out.push_back(make_packet(*pool_b, i));
    ASSERT_EQ(b->tx_burst(out), 7u);
    Batch in;
    ASSERT_EQ(b->rx_burst(in), 10u);
    free_all(in);
    for (int i = 0; i < 4; ++i) (void)out.push_back(make_packet(*pool_a, i));
    ASSERT_EQ(e.a->tx_burst(out), 4u);  // in flight when A closes
    e.a.reset();
    EXPECT_TRUE(pool_a->check_no_leaks().is_ok()) << pool_a->check_no_leaks().message();
  }  // pool A is gone; B must not touch it again
  EXPECT_EQ(b->link_state(), LinkState::kDown);
  Batch in;
  EXPECT_EQ(b->rx_burst(in), 0u);
  Batch out;
  (void)out.push_back(make_packet(*pool_b, 1));
  EXPECT_EQ(b->tx_burst(out), 0u);
  EXPECT_EQ(out.size(), 1u);
  free_all(out);
  b.reset();
  EXPECT_TRUE(pool_b->check_no_leaks().is_ok()) << pool_b->check_no_leaks().message();
}

TEST(ShmPipe, AttachChecksTheHeaderThePoolAndTheEnds) {
  auto pool = make_pool(128, "shm-attach");
  auto other = make_pool(128, "shm-attach2");
  auto pipe = ShmPipe::create(unique_name("attach"), *pool, 64).value();

  auto wrong_pool = ShmPipe::attach(pipe.region(), *other);
  ASSERT_FALSE(wrong_pool.is_ok());
  EXPECT_NE(wrong_pool.status().message().find("is over pool 'shm-attach'"), std::string::npos)
      << wrong_pool.status().message();
  auto not_a_pipe = ShmPipe::attach(pool->region(), *pool);
  ASSERT_FALSE(not_a_pipe.is_ok());
  EXPECT_NE(not_a_pipe.status().message().find("holds no shm pipe"), std::string::npos)
      << not_a_pipe.status().message();

  // A header whose slot count disagrees with its layout (a pipe of its own, so the
  // scribble harms no one).
  auto bad = ShmPipe::create(unique_name("bad"), *pool, 64).value();
  auto* slots = reinterpret_cast<std::uint32_t*>(bad.region()->base() + 8);
  ASSERT_EQ(*slots, 64u);
  *slots = 128;
  auto r = ShmPipe::attach(bad.region(), *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("layout does not match"), std::string::npos)
      << r.status().message();
  *slots = 3;
  r = ShmPipe::attach(bad.region(), *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("bad slot count 3"), std::string::npos);
  *slots = 64;

  // A good attach gives end B, once.
  auto b = ShmPipe::attach(pipe.region(), *pool);
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_EQ((*b)->end(), ShmPort::End::kB);
  EXPECT_FALSE(ShmPipe::attach(pipe.region(), *pool).is_ok());
  EXPECT_FALSE(pipe.open_end_b(*pool).is_ok());

  EXPECT_FALSE(ShmPipe::create("", *pool, 64).is_ok());
  EXPECT_FALSE(ShmPipe::create(std::string(64, 'x'), *pool, 64).is_ok());
  EXPECT_FALSE(ShmPipe::create(unique_name("slots"), *pool, 48).is_ok());
  EXPECT_FALSE(ShmPipe::create(unique_name("slots"), *pool, 1).is_ok());
  EXPECT_FALSE(ShmPipe::create(unique_name("slots"), *pool, 1u << 21).is_ok());
}

TEST(OpenShmPort, JoinsTwoOpensByNameAndRefusesAThird) {
  auto pool = make_pool(256);
  PortConfig cfg;
  cfg.device = unique_name("graph-link");
  cfg.ring_size = 128;
  {
    auto a = open_port(Method::kShm, cfg, *pool);
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    auto b = open_shm_port(cfg, *pool);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    auto third = open_shm_port(cfg, *pool);
    ASSERT_FALSE(third.is_ok());
    EXPECT_NE(third.status().message().find(cfg.device), std::string::npos)
        << third.status().message();
    EXPECT_EQ((*a)->device(), cfg.device);
    EXPECT_EQ((*a)->method(), Method::kShm);
    EXPECT_EQ((*a)->link_state(), LinkState::kUp);
    // Another queue of the same name is another pipe.
    PortConfig q1 = cfg;
    q1.queue = 1;
    auto other = open_shm_port(q1, *pool);
    ASSERT_TRUE(other.is_ok());
    EXPECT_EQ((*other)->link_state(), LinkState::kDown);

    Batch out;
    for (int i = 0; i < 10; ++i) (void)out.push_back(make_packet(*pool, i));
    EXPECT_EQ((*a)->tx_burst(out), 10u);
    Batch in;
    EXPECT_EQ((*b)->rx_burst(in), 10u);
    for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(check_packet(in[i], i), "");
    EXPECT_EQ((*b)->tx_burst(in), 10u);
    EXPECT_EQ((*other)->rx_burst(in), 0u);
    EXPECT_EQ((*a)->rx_burst(in), 10u);
    free_all(in);

    // End A closed, end B still open: the name is busy, and says why.
    a->reset();
    auto reopen = open_shm_port(cfg, *pool);
    ASSERT_FALSE(reopen.is_ok());
    EXPECT_NE(reopen.status().message().find("end B is still open"), std::string::npos)
        << reopen.status().message();
  }
  // Both closed: the name is free again.
  auto a = open_shm_port(cfg, *pool);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(static_cast<ShmPort&>(**a).end(), ShmPort::End::kA);
  {
    // End A open, end B opened and closed: the pipe cannot be joined again, and says why.
    auto b = open_shm_port(cfg, *pool);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    b->reset();
    auto third = open_shm_port(cfg, *pool);
    ASSERT_FALSE(third.is_ok());
    EXPECT_NE(third.status().message().find("end B was opened and has closed"), std::string::npos)
        << third.status().message();
  }
  a->reset();
  // End A closed with no end B ever: the name starts a new pipe, with a new end A.
  a = open_shm_port(cfg, *pool);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(static_cast<ShmPort&>(**a).end(), ShmPort::End::kA);
  a->reset();
  a = open_shm_port(cfg, *pool);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(static_cast<ShmPort&>(**a).end(), ShmPort::End::kA);
  a->reset();

  PortConfig bad = cfg;
  bad.ring_size = 1000;
  auto r = open_shm_port(bad, *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("1000 slots"), std::string::npos) << r.status().message();
  bad = cfg;
  bad.device = "";
  EXPECT_FALSE(open_shm_port(bad, *pool).is_ok());
  bad = cfg;
  bad.rx = bad.tx = false;
  EXPECT_FALSE(open_shm_port(bad, *pool).is_ok());
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(OpenShmPort, AOneWaySideReceivesOrSendsNothing) {
  auto pool = make_pool(128);
  PortConfig tx_only;
  tx_only.device = unique_name("one-way");
  tx_only.rx = false;
  PortConfig rx_only = tx_only;
  rx_only.rx = true;
  rx_only.tx = false;
  {
    auto a = open_shm_port(tx_only, *pool).value();
    auto b = open_shm_port(rx_only, *pool).value();
    Batch out;
    for (int i = 0; i < 4; ++i) (void)out.push_back(make_packet(*pool, i));
    EXPECT_EQ(b->tx_burst(out), 0u);
    EXPECT_EQ(out.size(), 4u);
    EXPECT_EQ(a->tx_burst(out), 4u);
    Batch in;
    EXPECT_EQ(a->rx_burst(in), 0u);
    EXPECT_EQ(b->rx_burst(in), 4u);
    free_all(in);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(ShmPipeConcurrent, TwoThreadsMovePacketsThereAndBack) {
  // As two workers would: end B echoes on its own thread while this one sends and receives.
  auto pool = make_pool(2048, "shm-threads", 128);
  constexpr std::uint64_t kPackets = 200000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  {
    Ends e = make_ends(*pool, 256);
    std::atomic<bool> stop{false};
    std::thread echo([&] {
      Batch b;
      while (!stop.load(std::memory_order_relaxed)) {
        if (b.empty() && e.b->rx_burst(b) == 0) std::this_thread::yield();
        if (!b.empty() && e.b->tx_burst(b) == 0) std::this_thread::yield();
      }
      free_all(b);
    });
    std::uint64_t made = 0, back = 0, misordered = 0;
    Batch out, in;
    while (back < kPackets && std::chrono::steady_clock::now() < deadline) {
      while (!out.full() && made < kPackets) {
        Packet* p = make_packet(*pool, made);
        if (p == nullptr) break;
        (void)out.push_back(p);
        ++made;
      }
      e.a->tx_burst(out);
      const std::uint32_t n = e.a->rx_burst(in);
      for (std::uint32_t i = 0; i < n; ++i) {
        std::uint64_t seq;
        std::memcpy(&seq, in[i]->data(), sizeof(seq));
        misordered += seq != back + i;
        if (seq % 64 == 0) {
          EXPECT_EQ(check_packet(in[i], seq), "");
        }
      }
      back += n;
      free_all(in);
      if (n == 0) std::this_thread::yield();
    }
    stop.store(true, std::memory_order_relaxed);
    echo.join();
    EXPECT_EQ(back, kPackets);
    EXPECT_EQ(misordered, 0u);
    EXPECT_EQ(e.b->counters().rx_packets, kPackets);
    EXPECT_EQ(e.a->counters().rx_errors + e.b->counters().rx_errors, 0u);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(ShmPipeConcurrent, EndACloseWaitsOutABorrowingEndBBusyOnAnotherThread) {
  // The loan's handshake under fire: end B (over its own pool) echoes and sends on its
  // thread while end A closes and A's pool is destroyed. Under ASan a burst that touched
  // the dead pool would be caught; every frame of B's pool must come back.
  for (int trial = 0; trial < 20; ++trial) {
    auto pool_b = make_pool(256, "shm-busy-b", 32);
    auto pool_a = make_pool(256, "shm-busy-a", 32);
    Ends e = make_ends(*pool_a, 64, pool_b.get());
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> b_bursts{0};
    std::thread b_thread([&] {
      Batch b;
      std::uint64_t seq = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (b.empty()) e.b->rx_burst(b);
        if (b.size() < 8) {
          Packet* p = make_packet(*pool_b, seq++);
          if (p != nullptr) (void)b.push_back(p);
        }
        e.b->tx_burst(b);
        b_bursts.fetch_add(1, std::memory_order_relaxed);
      }
      free_all(b);
    });
    Batch out, in;
    for (int round = 0; round < 50 + trial * 10; ++round) {
      while (!out.full()) {
        Packet* p = make_packet(*pool_a, round);
        if (p == nullptr) break;
        (void)out.push_back(p);
      }
      e.a->tx_burst(out);
      e.a->rx_burst(in);
      free_all(in);
    }
    free_all(out);
    e.a.reset();  // while B is bursting
    EXPECT_TRUE(pool_a->check_no_leaks().is_ok()) << pool_a->check_no_leaks().message();
    pool_a.reset();
    const std::uint64_t seen = b_bursts.load();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (b_bursts.load() < seen + 100 && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();  // B keeps going, idly
    EXPECT_GE(b_bursts.load(), seen + 100) << "end B stalled after end A closed";
    EXPECT_EQ(e.b->link_state(), LinkState::kDown);
    stop.store(true, std::memory_order_relaxed);
    b_thread.join();
    e.b.reset();
    EXPECT_TRUE(pool_b->check_no_leaks().is_ok())
        << trial << ": " << pool_b->check_no_leaks().message();
  }
}

// The in-process registry under fire: a second graph opens the pipe's name on its own
// thread, over its own pool, while the first graph's end A closes and A's pool is
// destroyed. Each open must succeed: as end B (borrowing A's pool) when it claims the pipe
// first, else as end A of a new pipe, even while the old end A is still closing. An end B
// must never touch A's pool after A's close: A's leak check would see it, ASan too.
TEST(ShmPipeConcurrent, OpenByNameRacesWithEndAClosingAndItsPoolGoing) {
  auto pool_b = make_pool(256, "shm-race-b", 32);
  PortConfig cfg;
  cfg.device = unique_name("race");
  cfg.ring_size = 64;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int trials = 0, as_b = 0, as_a = 0;
  int delay = 0;  // cpu_relax()s between letting the other open go and closing end A
  std::uint64_t b_received = 0, damaged = 0;
  for (; trials < 300 && std::chrono::steady_clock::now() < deadline; ++trials) {
    auto pool_a = make_pool(64, "shm-race-a", 16);
    auto a = open_shm_port(cfg, *pool_a);
    ASSERT_TRUE(a.is_ok()) << trials << ": " << a.status().to_string();
    ASSERT_EQ(static_cast<ShmPort&>(**a).end(), ShmPort::End::kA) << trials;
    Batch out;
    for (int i = 0; i < 8; ++i) (void)out.push_back(make_packet(*pool_a, i));
    ASSERT_EQ((*a)->tx_burst(out), 8u);
    std::atomic<bool> ready{false}, go{false};
    Result<std::unique_ptr<Port>> other = Status(Errc::kInternal, "not opened");
    std::thread t([&] {
      ready.store(true, std::memory_order_release);
      while (!go.load(std::memory_order_acquire)) cpu_relax();
      auto r = open_shm_port(cfg, *pool_b);
      if (r.is_ok()) {
        // Bursts both ways while end A closes.
        Batch b;
        std::uint64_t seq = 0;
        for (int i = 0; i < 64; ++i) {
          b_received += (*r)->rx_burst(b);
          for (Packet* p : b) damaged += !check_packet(p, seq++).empty();
          free_all(b);
          (void)b.push_back(make_packet(*pool_b, i));
          (*r)->tx_burst(b);
          free_all(b);
        }
      }
      other = std::move(r);
    });
    while (!ready.load(std::memory_order_acquire)) std::this_thread::yield();
    go.store(true, std::memory_order_release);
    for (int i = 0; i < delay; ++i) cpu_relax();
    a->reset();
    // End A's close ended any loan and drained both rings: all of A's pool is back, and
    // stays back while end B goes on bursting.
    const Status leaks_a = pool_a->check_no_leaks();
    EXPECT_TRUE(leaks_a.is_ok()) << trials << ": " << leaks_a.message();
    pool_a.reset();
    t.join();
    ASSERT_TRUE(other.is_ok()) << trials << ": " << other.status().to_string();
    auto& o = static_cast<ShmPort&>(**other);
    // Move end A's close towards the instant of the other open, so that they keep meeting.
    delay = o.end() == ShmPort::End::kB ? std::max(0, delay - 64) : std::min(delay + 64, 1 << 16);
    if (o.end() == ShmPort::End::kB) {
      ++as_b;
      EXPECT_FALSE(o.zero_copy());
      EXPECT_EQ(o.link_state(), LinkState::kDown);
      Batch in;
      EXPECT_EQ(o.rx_burst(in), 0u);
    } else {
      ++as_a;
    }
    other->reset();
    const Status leaks_b = pool_b->check_no_leaks();
    ASSERT_TRUE(leaks_b.is_ok()) << trials << ": " << leaks_b.message();
  }
  EXPECT_EQ(as_a + as_b, trials);
  EXPECT_LE(b_received, 8u * static_cast<std::uint64_t>(as_b));
  EXPECT_EQ(damaged, 0u);
  std::printf(
      "%d trials: the second open was end B %d times, a new end A %d times; end B "
      "received %llu packets\n",
      trials, as_b, as_a, static_cast<unsigned long long>(b_received));
}

}  // namespace
}  // namespace uplane::io
