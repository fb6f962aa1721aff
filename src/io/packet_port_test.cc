// PacketPort (AF_PACKET) on a veth pair between two network namespaces this test creates.
//
// Each test builds its own namespaces and veth pair, named after the process id and a
// counter, opens one port in each namespace (a socket stays in the namespace it was created
// in, so the test thread enters each namespace only to open), and deletes everything in
// destructors, so a failed assertion cleans up too. Namespaces left by a crashed earlier run
// (their pid no longer alive) are deleted first. IPv6 is off in the namespaces, so the
// kernel sends nothing of its own on the veths and every counter can be checked exactly.
// Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN for setns); skips, saying so, without.

#include "io/packet_port.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "base/unique_fd.h"
#include "io/port.h"
#include "netns_bed.h"

namespace uplane::io {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// --- the namespace test bed, frames and pools (tests/harness/netns_bed.h) ---

using testing::Bytes;
using testing::InNetns;
using testing::kTestEtherType;
using testing::NetnsBed;
using testing::sh;
using testing::sh_out;

// Two namespaces joined by a veth pair, both ends up: dev_a in ns_a, dev_b in ns_b.
struct VethBed {
  explicit VethBed(const std::string& tag) : bed("upl" + tag, 2) {
    std::tie(dev_a, dev_b) = bed.veth(0, 1);
    ok = bed.ok();
  }
  const std::string& ns_a() const { return bed.ns(0); }
  const std::string& ns_b() const { return bed.ns(1); }
  NetnsBed bed;
  std::string dev_a, dev_b;
  bool ok = false;
};

// --- frames ---

Bytes frame(std::uint32_t len, std::uint32_t seq, std::uint16_t type = kTestEtherType) {
  return testing::test_frame(len, seq, type);
}

// An IPv4/UDP frame to another host's MAC: spreads over flows for fanout, and the kernel's
// IPv4 stack drops it at once (PACKET_OTHERHOST).
Bytes udp_frame(std::uint32_t flow) {
  Bytes f(64, 0);
  const std::uint8_t h[] = {0x02,
                            0,
                            0,
                            0,
                            0,
                            0x02,
                            0x02,
                            0,
                            0,
                            0,
                            0,
                            0x01,
                            0x08,
                            0x00,
                            0x45,
                            0,
                            0,
                            50,
                            0,
                            0,
                            0,
                            0,
                            64,
                            17,
                            0,
                            0,
                            10,
                            1,
                            static_cast<std::uint8_t>(flow >> 8),
                            static_cast<std::uint8_t>(flow),
                            10,
                            2,
                            0,
                            1,
                            static_cast<std::uint8_t>(flow >> 8),
                            static_cast<std::uint8_t>(flow),
                            0x30,
                            0x39,
                            0,
                            30,
                            0,
                            0};
  std::memcpy(f.data(), h, sizeof(h));
  std::uint32_t sum = 0;  // IPv4 header checksum
  for (int i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
  return f;
}

std::uint16_t ether_type_of(const Bytes& f) { return f.size() < 14 ? 0 : (f[12] << 8) | f[13]; }

// --- moving frames through ports ---

std::unique_ptr<mem::PacketPool> make_pool(std::uint32_t frames = 4096,
                                           std::uint32_t frame_size = 2048,
                                           std::uint32_t cache = 256) {
  return testing::make_test_pool("packet-port-test", frames, frame_size, cache).value();
}

// Sends every frame, retrying what the ring could not take, for at most `limit`. Returns
// how many tx_burst accepted (sent or refused as errors); leftovers are freed.
std::size_t send_all(Port& port, mem::PacketPool& pool, const std::vector<Bytes>& frames,
                     milliseconds limit = milliseconds(5000)) {
  const auto deadline = Clock::now() + limit;
  std::size_t next = 0;
  mem::Batch b;
  while ((next < frames.size() || !b.empty()) && Clock::now() < deadline) {
    while (!b.full() && next < frames.size()) {
      mem::Packet* p = pool.alloc();
      if (p == nullptr) break;
      std::memcpy(p->put(static_cast<std::uint32_t>(frames[next].size())), frames[next].data(),
                  frames[next].size());
      (void)b.push_back(p);
      ++next;
    }
    port.tx_burst(b);
    if (!b.empty()) {
      port.housekeeping();
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  const std::size_t left = b.size();
  for (mem::Packet* p : b) mem::free_packet(p);
  return next - left;
}

struct Received {
  std::vector<Bytes> frames;
  std::vector<mem::PacketType> types;
};

// Receives until `want` frames matching `type` came (others are counted and freed) or until
// nothing came for `quiet`; at most `limit` in all.
Received receive(Port& port, std::size_t want, std::uint16_t type = kTestEtherType,
                 milliseconds quiet = milliseconds(300), milliseconds limit = milliseconds(5000)) {
  Received r;
  const auto deadline = Clock::now() + limit;
  auto last = Clock::now();
  mem::Batch b;
  while (r.frames.size() < want && Clock::now() < deadline && Clock::now() - last < quiet) {
    if (port.rx_burst(b) == 0) {
      port.housekeeping();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    last = Clock::now();
    for (mem::Packet* p : b) {
      Bytes f(p->data(), p->data() + p->length());
      if (type == 0 || ether_type_of(f) == type ||
          (ether_type_of(f) == 0x8100 || ether_type_of(f) == 0x88a8)) {
        r.frames.push_back(std::move(f));
        r.types.push_back(p->packet_type());
      }
      mem::free_packet(p);
    }
    b.clear();
  }
  return r;
}

// Calls housekeeping for a little longer than the statistics period, so the kernel's drop
// count is in the counters.
void settle(Port& port) {
  const auto until = Clock::now() + milliseconds(150);
  mem::Batch b;
  while (Clock::now() < until) {
    port.housekeeping();
    port.rx_burst(b);
    for (mem::Packet* p : b) mem::free_packet(p);
    b.clear();
    std::this_thread::sleep_for(milliseconds(5));
  }
}

Result<std::unique_ptr<Port>> open_in(const std::string& ns, const PortConfig& cfg,
                                      mem::PacketPool& pool) {
  InNetns in(ns);
  if (!in.ok()) return make_error(Errc::kSystem, "cannot enter namespace {}", ns);
  return open_packet_port(cfg, pool);
}

PortConfig config(const std::string& dev) {
  PortConfig c;
  c.device = dev;
  return c;
}

LinkState wait_link(const Port& port, LinkState want, milliseconds limit = milliseconds(3000)) {
  const auto deadline = Clock::now() + limit;
  LinkState s = port.link_state();
  while (s != want && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
    s = port.link_state();
  }
  return s;
}

class PacketPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and veths";
    if (!sh("ip -V")) GTEST_SKIP() << "needs iproute2's ip";
    bed_ = std::make_unique<VethBed>("pp");
    ASSERT_TRUE(bed_->ok) << "could not build the veth test bed";
    pool_ = make_pool();
  }
  void TearDown() override {
    if (pool_ != nullptr) {
      EXPECT_TRUE(pool_->check_no_leaks().is_ok()) << pool_->check_no_leaks().message();
    }
    pool_.reset();
    bed_.reset();
  }
  std::unique_ptr<Port> open_a(PortConfig c = {}) {
    if (c.device.empty()) c.device = bed_->dev_a;
    auto p = open_in(bed_->ns_a(), c, *pool_);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return p ? std::move(*p) : nullptr;
  }
  std::unique_ptr<Port> open_b(PortConfig c = {}, mem::PacketPool* pool = nullptr) {
    if (c.device.empty()) c.device = bed_->dev_b;
    auto p = open_in(bed_->ns_b(), c, pool != nullptr ? *pool : *pool_);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return p ? std::move(*p) : nullptr;
  }

  std::unique_ptr<VethBed> bed_;
  std::unique_ptr<mem::PacketPool> pool_;
};

TEST_F(PacketPortTest, BytesOutEqualBytesInBothWays) {
  {
    auto a = open_a();
    auto b = open_b();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->method(), Method::kPacket);
    EXPECT_EQ(a->device(), bed_->dev_a);
    EXPECT_GE(b->wait_fd(), 0);

    std::vector<Bytes> frames;
    std::uint64_t bytes = 0;
    for (std::uint32_t i = 0; i < 600; ++i) {
      frames.push_back(frame(20 + (i * 97) % 1495, i));  // 20 .. 1514 bytes
      bytes += frames.back().size();
    }
    for (int dir = 0; dir < 2; ++dir) {
      Port& tx = dir == 0 ? *a : *b;
      Port& rx = dir == 0 ? *b : *a;
      ASSERT_EQ(send_all(tx, *pool_, frames), frames.size());
      // The receiver's socket becomes readable (what a sleeping worker waits for).
      pollfd pfd{rx.wait_fd(), POLLIN, 0};
      EXPECT_EQ(poll(&pfd, 1, 2000), 1);
      Received got = receive(rx, frames.size());
      ASSERT_EQ(got.frames.size(), frames.size()) << "direction " << dir;
      for (std::size_t i = 0; i < frames.size(); ++i) {
        ASSERT_EQ(got.frames[i], frames[i]) << "frame " << i << ", direction " << dir;
        EXPECT_EQ(got.types[i], mem::PacketType::kOtherHost);
      }
      settle(rx);
      const PortCounters t = tx.counters();
      const PortCounters r = rx.counters();
      EXPECT_EQ(t.tx_packets, frames.size());
      EXPECT_EQ(t.tx_bytes, bytes);
      EXPECT_EQ(t.tx_errors, 0u);
      EXPECT_EQ(r.rx_packets, frames.size());
      EXPECT_EQ(r.rx_bytes, bytes);
      EXPECT_EQ(r.rx_dropped, 0u);
      EXPECT_EQ(r.rx_errors, 0u);
    }
    // Our own transmissions never come back on the sending port.
    EXPECT_EQ(a->counters().rx_packets, frames.size());
    EXPECT_EQ(b->counters().rx_packets, frames.size());
  }
}

TEST_F(PacketPortTest, VlanTagsArriveAsOnTheWire) {
  auto a = open_a();
  auto b = open_b();
  ASSERT_TRUE(a && b);
  // 802.1Q, VID 42, PCP 5, then our EtherType; and 802.1ad over 802.1Q (QinQ).
  Bytes tagged = frame(100, 1);
  const std::uint8_t tag[4] = {0x81, 0x00, 0xa0, 0x2a};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  Bytes qinq = frame(100, 2);
  const std::uint8_t tags[8] = {0x88, 0xa8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x2a};
  qinq.insert(qinq.begin() + 12, tags, tags + 8);
  // A full-size frame plus its tag: 1518 bytes, allowed over the 1500-byte MTU.
  Bytes full = frame(1514, 3);
  full.insert(full.begin() + 12, tag, tag + 4);

  // From a plain packet socket in namespace a...
  {
    InNetns in(bed_->ns_a());
    ASSERT_TRUE(in.ok());
    UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(s.valid());
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = static_cast<int>(if_nametoindex(bed_->dev_a.c_str()));
    to.sll_halen = 6;
    for (const Bytes* f : {&tagged, &qinq}) {
      ASSERT_EQ(
          sendto(s.get(), f->data(), f->size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
          static_cast<ssize_t>(f->size()))
          << std::strerror(errno);
    }
  }
  Received got = receive(*b, 2);
  ASSERT_EQ(got.frames.size(), 2u);
  EXPECT_EQ(got.frames[0], tagged);
  EXPECT_EQ(got.frames[1], qinq);
  // ... and from port a.
  ASSERT_EQ(send_all(*a, *pool_, {tagged, full}), 2u);
  got = receive(*b, 2);
  ASSERT_EQ(got.frames.size(), 2u);
  EXPECT_EQ(got.frames[0], tagged);
  EXPECT_EQ(got.frames[1], full);
  EXPECT_EQ(a->counters().tx_errors, 0u);
  EXPECT_EQ(b->counters().rx_bytes, tagged.size() * 2 + qinq.size() + full.size());
}

TEST_F(PacketPortTest, HundredThousandFramesAtABoundedRateAllCounted) {
  auto a = open_a();
  auto b = open_b();
  ASSERT_TRUE(a && b);
  constexpr std::uint32_t kFrames = 100000;
  constexpr double kRate = 100000.0;  // frames per second
  const auto start = Clock::now();
  const auto limit = start + std::chrono::seconds(60);
  std::uint32_t next = 0;
  std::uint32_t expect_seq = 0;
  std::uint32_t out_of_order = 0;
  std::uint64_t received = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  mem::Batch tx;
  mem::Batch rx;
  auto drain = [&] {
    while (b->rx_burst(rx) != 0) {
      for (mem::Packet* p : rx) {
        std::uint32_t seq;
        std::memcpy(&seq, p->data() + 14, 4);
        if (seq != expect_seq) ++out_of_order;
        expect_seq = seq + 1;
        ++received;
        rx_bytes += p->length();
        mem::free_packet(p);
      }
      rx.clear();
    }
  };
  while ((next < kFrames || !tx.empty()) && Clock::now() < limit) {
    // Pace: frame i leaves no earlier than i / kRate seconds after the start.
    const auto due =
        start + std::chrono::microseconds(static_cast<std::int64_t>(next * 1e6 / kRate));
    if (Clock::now() < due) {
      drain();
      b->housekeeping();
      std::this_thread::sleep_until(due);
    }
    while (!tx.full() && next < kFrames) {
      mem::Packet* p = pool_->alloc();
      ASSERT_NE(p, nullptr);
      const std::uint32_t len = 60 + (next % 8) * 8;
      std::uint8_t* d = p->put(len);
      const Bytes f = frame(len, next);
      std::memcpy(d, f.data(), len);
      tx_bytes += len;
      (void)tx.push_back(p);
      ++next;
    }
    a->tx_burst(tx);
    if (!tx.empty()) a->housekeeping();
    drain();
  }
  ASSERT_TRUE(tx.empty()) << "sender stalled";
  // Drain what is still in flight (a block is handed over within 1 ms).
  const auto until = Clock::now() + milliseconds(500);
  while (received < kFrames && Clock::now() < until) {
    drain();
    std::this_thread::sleep_for(milliseconds(1));
  }
  settle(*b);
  drain();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const PortCounters t = a->counters();
  const PortCounters r = b->counters();
  std::printf("[ info ] %u frames in %.2f s (paced at %.0f/s): received %llu, kernel drops %llu\n",
              kFrames, secs, kRate, static_cast<unsigned long long>(r.rx_packets),
              static_cast<unsigned long long>(r.rx_dropped));
  EXPECT_EQ(t.tx_packets, kFrames);
  EXPECT_EQ(t.tx_bytes, tx_bytes);
  EXPECT_EQ(t.tx_errors, 0u);
  // Counters add up: every frame sent is received or counted as dropped.
  EXPECT_EQ(r.rx_packets, received);
  EXPECT_EQ(r.rx_bytes, rx_bytes);
  EXPECT_EQ(r.rx_packets + r.rx_dropped + r.rx_errors, kFrames);
  // At this moderate rate nothing is lost, and a veth keeps order.
  EXPECT_EQ(received, kFrames);
  EXPECT_EQ(out_of_order, 0u);
}

TEST_F(PacketPortTest, KernelDropsOnAFullRingAreCounted) {
  auto a = open_a();
  PortConfig small;
  small.ring_size = 64;  // 128 KiB of ring
  auto b = open_b(small);
  ASSERT_TRUE(a && b);
  constexpr std::uint32_t kFrames = 3000;  // ~3 MB, never read while sent
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < kFrames; ++i) frames.push_back(frame(1000, i));
  // In bursts of 32 with a pause, so the veth's backlog never overflows: every drop is the
  // ring's.
  for (std::uint32_t i = 0; i < kFrames; i += 32) {
    std::vector<Bytes> burst(frames.begin() + i, frames.begin() + std::min(kFrames, i + 32));
    ASSERT_EQ(send_all(*a, *pool_, burst), burst.size());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  Received got = receive(*b, kFrames);
  settle(*b);
  const PortCounters r = b->counters();
  EXPECT_EQ(r.rx_packets, got.frames.size());
  EXPECT_GT(r.rx_dropped, 0u);
  EXPECT_LT(r.rx_packets, kFrames);
  EXPECT_EQ(r.rx_packets + r.rx_dropped, kFrames);
}

TEST_F(PacketPortTest, LinkDownAndUpAreSeenOnBothEnds) {
  auto a = open_a();
  auto b = open_b();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(wait_link(*a, LinkState::kUp), LinkState::kUp);
  EXPECT_EQ(wait_link(*b, LinkState::kUp), LinkState::kUp);
  ASSERT_TRUE(sh("ip -n " + bed_->ns_a() + " link set " + bed_->dev_a + " down"));
  EXPECT_EQ(wait_link(*a, LinkState::kDown), LinkState::kDown);
  EXPECT_EQ(wait_link(*b, LinkState::kDown), LinkState::kDown);  // the peer lost its carrier
  ASSERT_TRUE(sh("ip -n " + bed_->ns_a() + " link set " + bed_->dev_a + " up"));
  EXPECT_EQ(wait_link(*a, LinkState::kUp), LinkState::kUp);
  EXPECT_EQ(wait_link(*b, LinkState::kUp), LinkState::kUp);
  // Traffic flows again after the flap.
  ASSERT_EQ(send_all(*a, *pool_, {frame(200, 9)}), 1u);
  Received got = receive(*b, 1);
  ASSERT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(got.frames[0], frame(200, 9));
}

TEST_F(PacketPortTest, BadDeviceAndSettingsAreErrorsThatNameThem) {
  InNetns in(bed_->ns_a());
  ASSERT_TRUE(in.ok());
  const std::string missing = "uplnone" + std::to_string(getpid() % 100000);
  auto r = open_packet_port(config(missing), *pool_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kNotFound);
  EXPECT_NE(r.status().message().find(missing), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("no such network device"), std::string::npos);

  r = open_packet_port(config(""), *pool_);
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  r = open_packet_port(config("a-name-far-too-long-for-linux"), *pool_);
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("a-name-far-too-long-for-linux"), std::string::npos);
  PortConfig c = config(bed_->dev_a);
  c.ring_size = 1000;
  r = open_packet_port(c, *pool_);
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("ring size 1000"), std::string::npos);
  c = config(bed_->dev_a);
  c.rx = c.tx = false;
  EXPECT_FALSE(open_packet_port(c, *pool_).is_ok());
}

TEST_F(PacketPortTest, FramesTooLongAreCountedNotDelivered) {
  // Pool frames of 1024 bytes hold 1024 - 128 (metadata) - 128 (headroom) = 768 data bytes.
  auto small_pool = make_pool(256, 1024, 32);
  {
    auto a = open_a();
    auto b = open_b({}, small_pool.get());
    ASSERT_TRUE(a && b);
    ASSERT_EQ(send_all(*a, *pool_, {frame(1000, 1), frame(768, 2), frame(769, 3)}), 3u);
    Received got = receive(*b, 1, kTestEtherType, milliseconds(300));
    ASSERT_EQ(got.frames.size(), 1u);
    EXPECT_EQ(got.frames[0], frame(768, 2));
    EXPECT_EQ(b->counters().rx_errors, 2u);
    EXPECT_EQ(b->counters().rx_packets, 1u);

    // Longer than the MTU allows (1500 + 14): refused, freed, counted; the rest goes out.
    mem::Batch batch;
    for (std::uint32_t len : {1515u, 100u}) {
      mem::Packet* p = pool_->alloc();
      ASSERT_NE(p, nullptr);
      const Bytes f = frame(len, len);
      std::memcpy(p->put(len), f.data(), len);
      (void)batch.push_back(p);
    }
    EXPECT_EQ(a->tx_burst(batch), 1u);
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(a->counters().tx_errors, 1u);
    got = receive(*b, 1);
    ASSERT_EQ(got.frames.size(), 1u);
    EXPECT_EQ(got.frames[0], frame(100, 100));
  }
  EXPECT_TRUE(small_pool->check_no_leaks().is_ok()) << small_pool->check_no_leaks().message();
}

TEST_F(PacketPortTest, FramesThePoolCannotHoldAreCountedAsDropped) {
  auto tiny = make_pool(64, 2048, 0);
  {
    auto a = open_a();
    auto b = open_b({}, tiny.get());
    ASSERT_TRUE(a && b);
    std::vector<Bytes> frames;
    for (std::uint32_t i = 0; i < 200; ++i) frames.push_back(frame(100, i));
    ASSERT_EQ(send_all(*a, *pool_, frames), 200u);
    std::this_thread::sleep_for(milliseconds(20));
    // Hold every packet received: the pool runs dry after 64.
    std::vector<mem::Packet*> held;
    mem::Batch batch;
    const auto until = Clock::now() + milliseconds(500);
    while (Clock::now() < until) {
      b->rx_burst(batch);
      for (mem::Packet* p : batch) held.push_back(p);
      batch.clear();
      const PortCounters c = b->counters();
      if (c.rx_packets + c.rx_dropped == 200) break;
    }
    const PortCounters c = b->counters();
    EXPECT_EQ(held.size(), 64u);
    EXPECT_EQ(c.rx_packets, 64u);
    EXPECT_EQ(c.rx_dropped, 136u);
    for (std::size_t i = 0; i < held.size(); ++i)
      EXPECT_EQ(Bytes(held[i]->data(), held[i]->data() + held[i]->length()), frames[i]);
    for (mem::Packet* p : held) tiny->free(p);
  }
  EXPECT_TRUE(tiny->check_no_leaks().is_ok()) << tiny->check_no_leaks().message();
}

TEST_F(PacketPortTest, FanoutSpreadsFlowsOverTheGroup) {
  PortConfig c;
  c.packet_fanout = 1 + static_cast<std::uint32_t>(getpid() % 60000);
  c.tx = false;
  auto a = open_a();
  auto b1 = open_b(c);
  auto b2 = open_b(c);
  ASSERT_TRUE(a && b1 && b2);
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < 1024; ++i) frames.push_back(udp_frame(i % 64));
  ASSERT_EQ(send_all(*a, *pool_, frames), frames.size());
  const auto until = Clock::now() + milliseconds(3000);
  std::size_t n1 = 0;
  std::size_t n2 = 0;
  while (n1 + n2 < frames.size() && Clock::now() < until) {
    n1 += receive(*b1, frames.size(), 0x0800, milliseconds(50)).frames.size();
    n2 += receive(*b2, frames.size(), 0x0800, milliseconds(50)).frames.size();
  }
  EXPECT_EQ(n1 + n2, frames.size());
  EXPECT_GT(n1, 0u);
  EXPECT_GT(n2, 0u);
}

TEST_F(PacketPortTest, PromiscuousModeLastsWhileThePortIsOpen) {
  // A packet socket's membership raises the device's promiscuity count (ip -d shows it; the
  // PROMISC flag in plain `ip link` is only the administrator's own setting).
  auto promiscuity = [&] {
    return sh_out("ip -d -n " + bed_->ns_b() + " link show " + bed_->dev_b);
  };
  EXPECT_NE(promiscuity().find("promiscuity 0"), std::string::npos) << promiscuity();
  {
    PortConfig c;
    c.promiscuous = true;
    auto b = open_b(c);
    ASSERT_TRUE(b);
    EXPECT_NE(promiscuity().find("promiscuity 1"), std::string::npos) << promiscuity();
  }
  EXPECT_NE(promiscuity().find("promiscuity 0"), std::string::npos) << promiscuity();
}

TEST_F(PacketPortTest, ReceiveOrTransmitOnly) {
  PortConfig rx_only;
  rx_only.tx = false;
  PortConfig tx_only;
  tx_only.rx = false;
  auto a = open_a(tx_only);
  auto b = open_b(rx_only);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->wait_fd(), -1);
  mem::Batch batch;
  EXPECT_EQ(a->rx_burst(batch), 0u);
  ASSERT_EQ(send_all(*a, *pool_, {frame(64, 1)}), 1u);
  EXPECT_EQ(receive(*b, 1).frames.size(), 1u);
  mem::Packet* p = pool_->alloc();
  ASSERT_NE(p, nullptr);
  (void)p->put(64);
  (void)batch.push_back(p);
  EXPECT_EQ(b->tx_burst(batch), 0u);  // no transmit side: the packet stays with the caller
  EXPECT_EQ(batch.size(), 1u);
  pool_->free(p);
  EXPECT_EQ(a->link_state(), LinkState::kUp);
}

}  // namespace
}  // namespace uplane::io
