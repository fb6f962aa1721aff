// TenantLink (tenant_link.h): packets to an out-of-process tenant and back, what a hostile
// tenant can hand the host, and a tenant killed while it holds frames.

#include "tenant/tenant_link.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "base/unix_socket.h"

namespace uplane::tenant {
namespace {

std::unique_ptr<mem::PacketPool> host_pool(std::uint32_t frames = 1024) {
  mem::PoolConfig c;
  c.name = "host";
  c.frame_count = frames;
  c.region.allow_hugepages = false;
  return mem::PacketPool::create(c).value();
}

std::unique_ptr<TenantLinkHost> link(std::uint32_t frames = 256, std::uint32_t slots = 64) {
  LinkConfig c;
  c.frame_count = frames;
  c.ring_slots = slots;
  auto h = TenantLinkHost::create(c);
  EXPECT_TRUE(h.is_ok()) << h.status().message();
  return std::move(h).value();
}

// A batch of n packets of `len` bytes: byte 0 is the sequence number, the rest its pattern.
mem::Batch packets(mem::PacketPool& pool, std::uint32_t first, std::uint32_t n,
                   std::uint32_t len = 60) {
  mem::Batch b;
  for (std::uint32_t i = 0; i < n; ++i) {
    mem::Packet* p = pool.alloc();
    EXPECT_NE(p, nullptr);
    std::vector<std::uint8_t> bytes(len, static_cast<std::uint8_t>(first + i));
    EXPECT_TRUE(p->assign(bytes.data(), len, pool.headroom()));
    (void)b.push_back(p);
  }
  return b;
}

Result<std::unique_ptr<TenantLinkTenant>> attach(const TenantLinkHost& h) {
  return TenantLinkTenant::attach(h.pool_region(), h.ring_region(), h.ring_offset());
}

// The tenant's side of an echo: everything on rx goes back on tx on port+1, byte 1 set.
std::uint32_t echo(TenantLinkTenant& t) {
  LinkDesc d[64];
  const std::uint32_t got = t.receive(d, 64);
  for (std::uint32_t i = 0; i < got; ++i) {
    t.data(d[i])[1] = 0xee;
    d[i].port = static_cast<std::uint16_t>(d[i].port + 1);
  }
  const std::uint32_t sent = t.send(d, got);
  EXPECT_EQ(sent, got);
  return got;
}

TEST(TenantLink, PacketsGoToTheTenantAndBackCopiedBothWays) {
  auto pool = host_pool();
  auto host = link();
  auto tenant = attach(*host);
  ASSERT_TRUE(tenant.is_ok()) << tenant.status().message();
  std::uint32_t back = 0;
  for (std::uint32_t round = 0; round < 40; ++round) {
    mem::Batch b = packets(*pool, round * 25, 25, 60 + round);
    ASSERT_EQ(host->deliver(b, 3), 25u);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(echo(**tenant), 25u);
    mem::Batch out;
    ASSERT_EQ(host->collect(*pool, out), 25u);
    for (std::uint32_t i = 0; i < out.size(); ++i) {
      const mem::Packet* p = out[i];
      ASSERT_EQ(p->length(), 60 + round);
      EXPECT_EQ(p->data()[0], static_cast<std::uint8_t>(round * 25 + i));
      EXPECT_EQ(p->data()[1], 0xee);
      EXPECT_EQ(p->input_port(), 4);
    }
    back += out.size();
    for (mem::Packet* p : out.packets()) mem::free_packet(p);
  }
  EXPECT_EQ(back, 1000u);
  EXPECT_EQ(host->delivered(), 1000u);
  EXPECT_EQ(host->frames_free(), 256u);
  EXPECT_TRUE(host->balanced());
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

// Zero copy (LinkConfig::lend): the host's own frames go to the tenant by index and come
// back the same frames, their metadata rebuilt; what the tenant still holds when the link
// goes returns to the host's pool.
TEST(TenantLink, LentFramesGoAndComeBackByIndex) {
  auto pool = host_pool();
  LinkConfig c;
  c.ring_slots = 64;
  c.lend = pool.get();
  auto host = TenantLinkHost::create(c).value();
  EXPECT_TRUE(host->zero_copy());
  EXPECT_EQ(host->pool_region(), pool->region());
  auto tenant = attach(*host);
  ASSERT_TRUE(tenant.is_ok()) << tenant.status().message();
  mem::Batch b = packets(*pool, 0, 20, 70);
  std::vector<std::uint32_t> sent;
  for (const mem::Packet* p : b.packets()) sent.push_back(pool->index_of(p));
  ASSERT_EQ(host->deliver(b, 1), 20u);
  EXPECT_EQ(echo(**tenant), 20u);
  mem::Batch out;
  ASSERT_EQ(host->collect(*pool, out), 20u);
  for (std::uint32_t i = 0; i < out.size(); ++i) {
    const mem::Packet* p = out[i];
    EXPECT_EQ(pool->index_of(p), sent[i]);  // the same frame: no copy
    EXPECT_EQ(p->length(), 70u);
    EXPECT_EQ(p->data()[0], static_cast<std::uint8_t>(i));
    EXPECT_EQ(p->data()[1], 0xee);
    EXPECT_EQ(p->input_port(), 2);
  }
  for (mem::Packet* p : out.packets()) mem::free_packet(p);
  // Five more it never gives back, and the fill ring's frames: back when the link goes.
  mem::Batch held = packets(*pool, 0, 5);
  ASSERT_EQ(host->deliver(held, 0), 5u);
  EXPECT_GT(host->fill(), 0u);
  EXPECT_TRUE(host->balanced());
  host.reset();
  tenant->reset();
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

TEST(TenantLink, FullLinkLeavesPacketsWithTheCaller) {
  auto pool = host_pool();
  auto host = link(/*frames=*/48, /*slots=*/32);
  mem::Batch b = packets(*pool, 0, 32);
  EXPECT_EQ(host->deliver(b, 0), 32u);  // the ring holds 32
  mem::Batch more = packets(*pool, 32, 32);
  EXPECT_EQ(host->deliver(more, 0), 0u);  // ring full: nothing taken, frames not lost
  EXPECT_EQ(more.size(), 32u);
  // Refused for the full ring before any copy (the 16 free frames stay free).
  EXPECT_EQ(host->dropped(LinkDrop::kRingFull), 32u);
  EXPECT_EQ(host->dropped(LinkDrop::kNoFrame), 0u);
  EXPECT_EQ(host->frames_free(), 16u);
  EXPECT_TRUE(host->balanced());
  for (mem::Packet* p : more.packets()) mem::free_packet(p);
  EXPECT_EQ(host->reclaim(), 32u);
  EXPECT_EQ(host->frames_free(), 48u);
  EXPECT_TRUE(host->balanced());

  // Too long for a link's frame: freed, counted, not left with the caller.
  LinkConfig small;
  small.frame_count = 8;
  small.frame_size = 512;
  small.ring_slots = 8;
  auto tiny = TenantLinkHost::create(small).value();
  mem::Batch big = packets(*pool, 0, 2, 300);  // 256 bytes of metadata and headroom first
  EXPECT_EQ(tiny->deliver(big, 0), 0u);
  EXPECT_TRUE(big.empty());
  EXPECT_EQ(tiny->dropped(LinkDrop::kTooLong), 2u);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();

  // Bad geometry is refused with a reason.
  small.frame_size = 1000;
  EXPECT_NE(TenantLinkHost::create(small).status().message().find("frame_size 1000"),
            std::string::npos);
  small.frame_size = 512;
  small.ring_slots = 100;
  EXPECT_NE(TenantLinkHost::create(small).status().message().find("ring_slots 100"),
            std::string::npos);
}

// A tenant that hands back garbage: indexes out of range, never given, given back twice, a
// length beyond the frame, and fills its tx ring with random descriptors. The host counts
// each, loses no frame, and carries on with good traffic.
TEST(TenantLink, AHostileTenantLosesItsPacketsNeverTheHosts) {
  auto pool = host_pool();
  auto host = link(/*frames=*/128, /*slots=*/64);
  auto t = attach(*host).value();
  mem::Batch b = packets(*pool, 0, 8);
  ASSERT_EQ(host->deliver(b, 0), 8u);
  LinkDesc got[8];
  ASSERT_EQ(t->receive(got, 8), 8u);
  const LinkDesc bad[] = {
      {1000, 256, 60, 0, 0},  // out of range
      {100, 256, 60, 0, 0},   // never given
      got[0],
      got[0],                           // the same frame twice
      {got[1].index, 256, 4000, 0, 0},  // past the end of a 2048-byte frame
      {got[3].index, 16, 60, 0, 0},     // over the frame's metadata
      {got[2].index, 256, 60, 0, 0},    // fine
  };
  ASSERT_EQ(t->send(bad, 7), 7u);
  mem::Batch out;
  EXPECT_EQ(host->collect(*pool, out), 2u);  // got[0] once, got[2]
  EXPECT_EQ(host->ledger().rejected(FrameReject::kOutOfRange), 1u);
  EXPECT_EQ(host->ledger().rejected(FrameReject::kNotHeld), 1u);
  EXPECT_EQ(host->ledger().rejected(FrameReject::kTwice), 1u);
  EXPECT_EQ(host->ledger().rejected(FrameReject::kBadLength), 2u);
  for (mem::Packet* p : out.packets()) mem::free_packet(p);
  out.clear();

  // A flood of random descriptors, many rounds of it.
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    LinkDesc junk[64];
    for (LinkDesc& d : junk)
      d = LinkDesc{static_cast<std::uint32_t>(rng() % 300), static_cast<std::uint16_t>(rng()),
                   static_cast<std::uint16_t>(rng())};
    (void)t->send(junk, 64);
    (void)t->release(junk, 16);
    for (int k = 0; k < 4; ++k) {
      (void)host->collect(*pool, out);
      for (mem::Packet* p : out.packets()) mem::free_packet(p);
      out.clear();
    }
  }
  EXPECT_TRUE(host->balanced());
  // The four frames it still holds come back when it is cut off; then good traffic flows.
  host->reclaim();
  EXPECT_EQ(host->frames_free(), 128u);
  EXPECT_TRUE(host->balanced());
  mem::Batch again = packets(*pool, 0, 4);
  ASSERT_EQ(host->deliver(again, 0), 4u);
  LinkDesc d[64];
  while (t->receive(d, 64) != 0) {  // old junk aside, take the four
  }
  pool->flush_thread_cache();
  host->reclaim();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

// A tenant that scribbles over its whole tx and release rings, headers and indexes
// included: the host reads nothing outside them (AddressSanitizer would say), counts what it
// can, and stays balanced.
TEST(TenantLink, ScribbledRingsHurtOnlyTheTenant) {
  auto pool = host_pool();
  auto host = link(/*frames=*/64, /*slots=*/32);
  auto t = attach(*host).value();
  mem::Batch b = packets(*pool, 0, 16);
  ASSERT_EQ(host->deliver(b, 0), 16u);
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    for (LinkRing* r : {&t->tx_ring(), &t->release_ring(), &t->rx_ring()}) {
      auto* bytes = reinterpret_cast<std::uint8_t*>(r);
      const std::size_t n = LinkRing::bytes_for(32);
      for (int k = 0; k < 64; ++k) bytes[rng() % n] = static_cast<std::uint8_t>(rng());
    }
    mem::Batch out;
    (void)host->collect(*pool, out);
    for (mem::Packet* p : out.packets()) mem::free_packet(p);
    mem::Batch more = packets(*pool, 0, 4);
    (void)host->deliver(more, 0);
    for (mem::Packet* p : more.packets()) mem::free_packet(p);
    (void)host->fill();
    ASSERT_TRUE(host->balanced()) << round;
  }
  host->reclaim();
  EXPECT_EQ(host->frames_free(), 64u);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

// The tenant in another process: it gets the Region over a Unix socket, echoes 20,000
// packets, then holds what it receives and is killed with SIGKILL; the host takes every
// frame back.
TEST(TenantLink, AnotherProcessEchoesThenDiesHoldingFrames) {
  auto pool = host_pool(2048);
  auto host = link(/*frames=*/512, /*slots=*/256);
  auto sockets = socket_pair().value();
  const std::size_t ring_offset = host->ring_offset();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto region = mem::Region::receive(sockets.second.get());
    if (!region.is_ok()) _exit(2);
    auto t = TenantLinkTenant::attach(*region, *region, ring_offset);
    if (!t.is_ok()) _exit(3);
    std::uint32_t echoed = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (echoed < 20000 && std::chrono::steady_clock::now() < deadline) {
      LinkDesc d[64];
      const std::uint32_t got = (*t)->receive(d, 64);
      std::uint32_t sent = 0;
      while (sent < got && std::chrono::steady_clock::now() < deadline)
        sent += (*t)->send(d + sent, got - sent);
      echoed += got;
    }
    // Now hold everything that comes, until killed (bounded: the parent kills it).
    for (int i = 0; i < 20000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    _exit(echoed == 20000 ? 0 : 4);
  }
  ASSERT_TRUE(host->pool_region()->send_to(sockets.first.get()).is_ok());
  std::uint32_t sent = 0, back = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (back < 20000 && std::chrono::steady_clock::now() < deadline) {
    if (sent < 20000) {
      mem::Batch b = packets(*pool, sent, std::min<std::uint32_t>(32, 20000 - sent));
      sent += host->deliver(b, 0);
      for (mem::Packet* p : b.packets()) mem::free_packet(p);  // not taken: lost, retried
    }
    mem::Batch out;
    back += host->collect(*pool, out);
    for (mem::Packet* p : out.packets()) mem::free_packet(p);
  }
  EXPECT_EQ(back, 20000u);
  // The tenant now holds whatever it receives.
  mem::Batch b = packets(*pool, 0, 32);
  EXPECT_EQ(host->deliver(b, 0), 32u);
  for (int i = 0; i < 200 && host->ledger().held_count() != 32; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(host->ledger().held_count(), 32u);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(host->reclaim(), 32u);
  EXPECT_EQ(host->frames_free(), 512u);
  EXPECT_TRUE(host->balanced());
  EXPECT_EQ(host->ledger().rejected(FrameReject::kNotHeld), 0u);
  pool->flush_thread_cache();
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().message();
}

}  // namespace
}  // namespace uplane::tenant
