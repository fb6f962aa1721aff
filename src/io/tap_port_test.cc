// TapPort in a network namespace this test creates: frames the kernel sends on the TAP
// device arrive on the port, frames the port sends are received by the kernel (seen by a
// packet socket on the device), and the device's life follows the port's.
// Needs root (CAP_NET_ADMIN, setns) and /dev/net/tun; skips, saying so, without.

#include "io/tap_port.h"

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
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "io/port.h"
#include "netns_bed.h"

namespace uplane::io {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using testing::Bytes;
using testing::delete_stale_namespaces;
using testing::InNetns;
using testing::Netns;
using testing::sh;

Bytes frame(std::uint32_t len, std::uint32_t seq) { return testing::test_frame(len, seq); }

std::unique_ptr<mem::PacketPool> make_pool(std::uint32_t frame_size = 2048) {
  return testing::make_test_pool("tap-port-test", 1024, frame_size, 64).value();
}

mem::Packet* packet_of(mem::PacketPool& pool, const Bytes& f) {
  mem::Packet* p = pool.alloc();
  if (p != nullptr) std::memcpy(p->put(static_cast<std::uint32_t>(f.size())), f.data(), f.size());
  return p;
}

// Frames of our EtherType arriving on `port`, until `want` or `limit`.
std::vector<Bytes> receive(Port& port, std::size_t want, milliseconds limit = milliseconds(2000)) {
  std::vector<Bytes> got;
  const auto deadline = Clock::now() + limit;
  mem::Batch b;
  while (got.size() < want && Clock::now() < deadline) {
    if (port.rx_burst(b) == 0) {
      pollfd pfd{port.wait_fd(), POLLIN, 0};
      poll(&pfd, 1, 10);
      continue;
    }
    for (mem::Packet* p : b) {
      Bytes f(p->data(), p->data() + p->length());
      if (f.size() >= 14 && f[12] == 0x88 && f[13] == 0xb5) got.push_back(std::move(f));
      mem::free_packet(p);
    }
    b.clear();
  }
  return got;
}

class TapPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates a namespace and a TAP device";
    if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
    if (!sh("ip -V")) GTEST_SKIP() << "needs iproute2's ip";
    delete_stale_namespaces("upltap");
    static int n = 0;
    ns_ = std::make_unique<Netns>("upltap" + std::to_string(getpid()) + "-" + std::to_string(++n));
    ASSERT_TRUE(ns_->ok());
    dev_ = "tp" + std::to_string(getpid() % 1000000) + "x" + std::to_string(n);
    pool_ = make_pool();
  }
  void TearDown() override {
    if (pool_ != nullptr) {
      EXPECT_TRUE(pool_->check_no_leaks().is_ok()) << pool_->check_no_leaks().message();
    }
    pool_.reset();
    ns_.reset();
  }
  Result<std::unique_ptr<Port>> open(PortConfig c, mem::PacketPool* pool = nullptr) {
    InNetns in(ns_->name());
    if (!in.ok()) return make_error(Errc::kSystem, "cannot enter {}", ns_->name());
    return open_tap_port(c, pool != nullptr ? *pool : *pool_);
  }
  PortConfig config() const {
    PortConfig c;
    c.device = dev_;
    return c;
  }
  bool device_exists(const std::string& name) const {
    return sh("ip -n " + ns_->name() + " link show " + name);
  }
  // A packet socket bound to the TAP device inside the namespace: the kernel's side.
  UniqueFd kernel_socket(const std::string& name, int* ifindex) {
    InNetns in(ns_->name());
    UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    *ifindex = static_cast<int>(if_nametoindex(name.c_str()));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = *ifindex;
    if (!in.ok() || !s.valid() || *ifindex == 0 ||
        bind(s.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
      return UniqueFd();
    }
    return s;
  }

  std::unique_ptr<Netns> ns_;
  std::string dev_;
  std::unique_ptr<mem::PacketPool> pool_;
};

TEST_F(TapPortTest, FramesTheKernelSendsArriveOnThePort) {
  auto port = open(config());
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  EXPECT_EQ((*port)->method(), Method::kTap);
  EXPECT_EQ((*port)->device(), dev_);
  EXPECT_TRUE(static_cast<TapPort&>(**port).created());
  int ifindex = 0;
  UniqueFd k = kernel_socket(dev_, &ifindex);
  ASSERT_TRUE(k.valid());
  std::vector<Bytes> sent;
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < 100; ++i) {
    sent.push_back(frame(60 + i * 14, i));  // 60 .. 1446 bytes
    bytes += sent.back().size();
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    ASSERT_EQ(sendto(k.get(), sent.back().data(), sent.back().size(), 0,
                     reinterpret_cast<sockaddr*>(&to), sizeof(to)),
              static_cast<ssize_t>(sent.back().size()))
        << std::strerror(errno);
  }
  const std::vector<Bytes> got = receive(**port, sent.size());
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(got[i], sent[i]) << i;
  const PortCounters c = (*port)->counters();
  EXPECT_EQ(c.rx_packets, sent.size());
  EXPECT_EQ(c.rx_bytes, bytes);
  EXPECT_EQ(c.rx_errors + c.rx_dropped, 0u);
}

TEST_F(TapPortTest, FramesThePortSendsReachTheKernel) {
  auto port = open(config());
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  int ifindex = 0;
  UniqueFd k = kernel_socket(dev_, &ifindex);
  ASSERT_TRUE(k.valid());
  std::vector<Bytes> sent;
  mem::Batch b;
  for (std::uint32_t i = 0; i < 32; ++i) {
    sent.push_back(frame(64 + i * 40, i));
    (void)b.push_back(packet_of(*pool_, sent.back()));
  }
  EXPECT_EQ((*port)->tx_burst(b), 32u);
  EXPECT_TRUE(b.empty());
  std::vector<Bytes> got;
  const auto deadline = Clock::now() + milliseconds(2000);
  while (got.size() < sent.size() && Clock::now() < deadline) {
    pollfd pfd{k.get(), POLLIN, 0};
    if (poll(&pfd, 1, 100) != 1) continue;
    std::uint8_t buf[2048];
    sockaddr_ll from{};
    socklen_t fl = sizeof(from);
    const ssize_t r =
        recvfrom(k.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
    ASSERT_GT(r, 0);
    if (r < 14 || buf[12] != 0x88 || buf[13] != 0xb5) continue;
    EXPECT_NE(from.sll_pkttype, PACKET_OUTGOING);  // received by the kernel, not sent by it
    got.emplace_back(buf, buf + r);
  }
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(got[i], sent[i]) << i;
  EXPECT_EQ((*port)->counters().tx_packets, 32u);
  // A frame too short to be Ethernet is refused by the kernel: freed and counted.
  (void)b.push_back(packet_of(*pool_, Bytes(6, 0xff)));
  (void)b.push_back(packet_of(*pool_, frame(100, 99)));
  EXPECT_EQ((*port)->tx_burst(b), 1u);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ((*port)->counters().tx_errors, 1u);
}

TEST_F(TapPortTest, ACreatedDeviceGoesAwayWithThePortAnExistingOneStays) {
  {
    auto port = open(config());
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    EXPECT_TRUE(device_exists(dev_));
  }
  EXPECT_FALSE(device_exists(dev_));

  ASSERT_TRUE(sh("ip -n " + ns_->name() + " tuntap add mode tap name " + dev_));
  {
    auto port = open(config());
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    EXPECT_FALSE(static_cast<TapPort&>(**port).created());
    EXPECT_EQ(static_cast<TapPort&>(**port).link_state(), LinkState::kUp);
  }
  EXPECT_TRUE(device_exists(dev_));

  // An empty name lets the kernel choose one.
  PortConfig c;
  auto any = open(c);
  ASSERT_TRUE(any.is_ok()) << any.status().to_string();
  EXPECT_EQ((*any)->device().rfind("tap", 0), 0u) << (*any)->device();
  EXPECT_TRUE(device_exists((*any)->device()));
}

TEST_F(TapPortTest, LinkStateFollowsTheDevice) {
  auto port = open(config());
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  auto wait = [&](LinkState want) {
    const auto deadline = Clock::now() + milliseconds(3000);
    while ((*port)->link_state() != want && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return (*port)->link_state();
  };
  EXPECT_EQ(wait(LinkState::kUp), LinkState::kUp);
  ASSERT_TRUE(sh("ip -n " + ns_->name() + " link set " + dev_ + " down"));
  EXPECT_EQ(wait(LinkState::kDown), LinkState::kDown);
  // While down the device takes nothing: the frame stays with the caller.
  mem::Batch b;
  (void)b.push_back(packet_of(*pool_, frame(100, 1)));
  EXPECT_EQ((*port)->tx_burst(b), 0u);
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ((*port)->counters().tx_errors, 0u);
  ASSERT_TRUE(sh("ip -n " + ns_->name() + " link set " + dev_ + " up"));
  EXPECT_EQ(wait(LinkState::kUp), LinkState::kUp);
  EXPECT_EQ((*port)->tx_burst(b), 1u);
}

TEST_F(TapPortTest, MultiQueueDevicesTakeOnePortPerQueue) {
  PortConfig c = config();
  c.tap_multi_queue = true;
  auto q0 = open(c);
  ASSERT_TRUE(q0.is_ok()) << q0.status().to_string();
  c.queue = 1;
  auto q1 = open(c);
  ASSERT_TRUE(q1.is_ok()) << q1.status().to_string();
  EXPECT_FALSE(static_cast<TapPort&>(**q1).created());
  // Asking for a single queue of a multi-queue device is refused, and says why.
  auto single = open(config());
  ASSERT_FALSE(single.is_ok());
  EXPECT_NE(single.status().message().find("multi-queue"), std::string::npos)
      << single.status().message();
  EXPECT_NE(single.status().message().find(dev_), std::string::npos);
  // Both queues send.
  int ifindex = 0;
  UniqueFd k = kernel_socket(dev_, &ifindex);
  ASSERT_TRUE(k.valid());
  for (auto* q : {&q0, &q1}) {
    mem::Batch b;
    (void)b.push_back(packet_of(*pool_, frame(80, 1)));
    EXPECT_EQ((**q)->tx_burst(b), 1u);
  }
  int seen = 0;
  std::uint8_t buf[2048];
  while (seen < 2) {
    pollfd pfd{k.get(), POLLIN, 0};
    if (poll(&pfd, 1, 1000) != 1) break;
    const ssize_t r = recv(k.get(), buf, sizeof(buf), 0);
    if (r == 80 && buf[12] == 0x88 && buf[13] == 0xb5) ++seen;
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(TapPortTest, FramesLongerThanAPoolFrameAreCounted) {
  auto small = make_pool(1024);  // 768 data bytes per frame
  {
    auto port = open(config(), small.get());
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    int ifindex = 0;
    UniqueFd k = kernel_socket(dev_, &ifindex);
    ASSERT_TRUE(k.valid());
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    for (std::uint32_t len : {1400u, 700u}) {
      const Bytes f = frame(len, len);
      ASSERT_EQ(
          sendto(k.get(), f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
          static_cast<ssize_t>(len));
    }
    const std::vector<Bytes> got = receive(**port, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], frame(700, 700));
    EXPECT_EQ((*port)->counters().rx_errors, 1u);
    EXPECT_EQ((*port)->counters().rx_packets, 1u);
  }
  EXPECT_TRUE(small->check_no_leaks().is_ok()) << small->check_no_leaks().message();
}

TEST_F(TapPortTest, BadSettingsAreErrorsThatNameThem) {
  PortConfig c = config();
  c.device = "tap/with/slash";
  auto r = open(c);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("tap/with/slash"), std::string::npos);
  c.device = "lo";  // exists, and is no TAP device
  r = open(c);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("lo"), std::string::npos) << r.status().message();
  c = config();
  c.rx = c.tx = false;
  EXPECT_FALSE(open(c).is_ok());
}

}  // namespace
}  // namespace uplane::io
