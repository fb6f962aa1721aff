// FromDevice and ToDevice: their keywords and errors, the null method (no device, exact
// counts), and real frames echoed through uplane on a veth pair between two namespaces
// (tests/harness/netns_bed.h) with AF_PACKET, AF_XDP and the AUTO choice. The veth tests
// need root and skip, saying so, without it.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "harness.h"
#include "netns_bed.h"

namespace uplane::io {
namespace {

using namespace testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint16_t kTestEtherType = 0x88b5;  // IEEE 802 local experimental

graph::RouterOptions options() {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 8192;  // an AF_XDP fill ring keeps RING_SIZE frames posted
  return o;
}

std::uint64_t number(Harness& h, std::string_view handler) {
  return std::strtoull(h.read(handler).c_str(), nullptr, 10);
}

// --- configuration ---

TEST(FromDevice, KeywordErrorsNameTheKeyword) {
  const auto err = [](std::string_view args) {
    return config_error(fmt::format("FromDevice({}) -> Discard", args));
  };
  EXPECT_NE(err("").find("DEVNAME"), std::string::npos) << err("");
  EXPECT_NE(err("eth0, METHOD RAW").find("METHOD"), std::string::npos);
  EXPECT_NE(err("eth0, METHOD PCAP").find("PCAP is not supported"), std::string::npos);
  EXPECT_NE(err("eth0, METHOD SHM").find("METHOD"), std::string::npos);
  EXPECT_NE(err("eth0, BURST 0").find("BURST"), std::string::npos);
  EXPECT_NE(err("eth0, BURST 33").find("BURST"), std::string::npos);
  EXPECT_NE(err("eth0, SNIFFER false").find("SNIFFER"), std::string::npos);
  EXPECT_NE(err("eth0, OUTBOUND true").find("OUTBOUND"), std::string::npos);
  EXPECT_NE(err("eth0, BPF_FILTER tcp").find("BPF_FILTER"), std::string::npos);
  EXPECT_NE(err("eth0, RING_SIZE 1000").find("power of two"), std::string::npos);
  EXPECT_NE(err("eth0, XDP_MODE FAST").find("XDP_MODE"), std::string::npos);
  EXPECT_NE(err("eth0, NOSUCH 1").find("NOSUCH"), std::string::npos);
}

TEST(ToDevice, KeywordErrorsNameTheKeyword) {
  const auto err = [](std::string_view args) {
    return config_error(fmt::format("InfiniteSource -> ToDevice({})", args));
  };
  EXPECT_NE(err("").find("DEVNAME"), std::string::npos) << err("");
  EXPECT_NE(err("eth0, METHOD RAW").find("METHOD"), std::string::npos);
  EXPECT_NE(err("eth0, BURST 0").find("BURST"), std::string::npos);
  EXPECT_NE(err("eth0, RING_SIZE 100").find("power of two"), std::string::npos);
  EXPECT_NE(err("eth0, XDP_MODE FAST").find("XDP_MODE"), std::string::npos);
}

TEST(FromDevice, ErrorsPointAtTheDeclaration) {
  const std::string e = config_error("Idle -> Discard;\nfd :: FromDevice(eth0, BURST 99) -> Discard;");
  EXPECT_NE(e.find("test.click:2:"), std::string::npos) << e;
}

// --- the null method: no device, nothing lost, exact counts ---

TEST(FromDevice, NullMethodEmitsBurstsOfTheFixedFrame) {
  Harness h("fd :: FromDevice(n0, METHOD NULL, BURST 8) -> c :: Counter -> "
            "td :: ToDevice(n1, METHOD NULL)",
            options());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("fd.method"), "NULL\n");
  EXPECT_EQ(h.read("td.method"), "NULL\n");
  EXPECT_EQ(h.read("fd.link"), "up\n");
  EXPECT_EQ(h.read("fd.encap"), "ETHER\n");
  h.run_tasks(1);
  EXPECT_EQ(number(h, "fd.count"), 8u);  // the port filled 32; BURST lets 8 out a run
  h.run_tasks(9);
  EXPECT_EQ(number(h, "fd.count"), 80u);
  EXPECT_EQ(number(h, "c.count"), 80u);
  EXPECT_EQ(number(h, "td.count"), 80u);
  EXPECT_EQ(h.read("td.stats"), "tx_packets 80\ntx_bytes 4800\ntx_dropped 0\ntx_errors 0\n");
  EXPECT_EQ(number(h, "c.byte_count"), 80u * 60);
  // 96 taken from the port (three fills of 32): 80 emitted, 16 waiting for the next runs.
  EXPECT_EQ(h.frames_outstanding(), 16u);
  ASSERT_TRUE(h.write("fd.reset_counts", "").is_ok());
  EXPECT_EQ(number(h, "fd.count"), 0u);
}

TEST(FromDevice, ForceIpKeepsIpv4Frames) {
  Harness h("fd :: FromDevice(n0, METHOD NULL, FORCE_IP true) -> c :: Counter -> "
            "Strip(14) -> CheckIPHeader -> ip :: Counter -> Discard",
            options());
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(4);
  EXPECT_EQ(number(h, "c.count"), 128u);
  EXPECT_EQ(number(h, "ip.count"), 128u);
  EXPECT_EQ(h.drops("fd", graph::DropReason::kFiltered), 0u);
}

TEST(FromDevice, InactiveReceivesNothingUntilActiveIsWritten) {
  Harness h("fd :: FromDevice(n0, METHOD NULL, ACTIVE false) -> c :: Counter -> Discard",
            options());
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(3);
  EXPECT_EQ(number(h, "c.count"), 0u);
  EXPECT_EQ(h.read("fd.active"), "false\n");
  EXPECT_FALSE(h.write("fd.active", "maybe").is_ok());
  ASSERT_TRUE(h.write("fd.active", "true").is_ok());
  h.run_tasks(2);
  EXPECT_EQ(number(h, "c.count"), 64u);
  ASSERT_TRUE(h.write("fd.active", "false").is_ok());
  h.run_tasks(2);
  EXPECT_EQ(number(h, "c.count"), 64u);
}

TEST(ToDevice, PullInputTakesBurstsFromTheQueue) {
  Harness h("FromDevice(n0, METHOD NULL, BURST 32) -> q :: Queue(100) -> "
            "td :: ToDevice(n1, METHOD NULL, BURST 4)",
            options());
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);  // FromDevice runs before ToDevice: 32 in, 4 out
  EXPECT_EQ(number(h, "td.count"), 4u);
  EXPECT_EQ(number(h, "q.length"), 28u);
  EXPECT_EQ(number(h, "td.drops"), 0u);
}

TEST(ToDevice, TheSameDeviceAndQueueShareFromDevicesPort) {
  Harness h("fd :: FromDevice(n0, METHOD NULL, BURST 32) -> td :: ToDevice(n0)", options());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("td.method"), "NULL\n");  // AUTO took the shared port's method
  h.run_tasks(3);
  EXPECT_EQ(h.read("fd.stats"), "rx_packets 96\nrx_bytes 5760\nrx_dropped 0\nrx_errors 0\n");
  EXPECT_EQ(h.read("td.stats"), "tx_packets 96\ntx_bytes 5760\ntx_dropped 0\ntx_errors 0\n");
  // A different METHOD on the same device and queue cannot share it.
  const std::string e =
      config_error("FromDevice(n0, METHOD NULL) -> ToDevice(n0, METHOD PACKET)");
  EXPECT_NE(e.find("METHOD PACKET differs"), std::string::npos) << e;
}

// --- real frames on a veth pair ---

// An AF_PACKET socket on the far end of the veth: sends test frames, receives what uplane
// sends back (not its own outgoing frames).
class Peer {
 public:
  Peer(const std::string& ns, const std::string& dev) {
    InNetns in(ns);
    fd_ = UniqueFd(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
    const int one = 1, rcvbuf = 8 << 20;  // every echo fits while uplane is pumped
    ok_ = in.ok() && fd_.valid() && sll.sll_ifindex != 0 &&
          bind(fd_.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) == 0 &&
          setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == 0 &&
          setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == 0;
  }
  bool ok() const { return ok_; }
  bool send(const Bytes& f) { return ::send(fd_.get(), f.data(), f.size(), 0) == ssize_t(f.size()); }
  // Frames of the test Ethernet type, until `want` came or `limit` passed; `pump` runs
  // between polls (uplane's tasks, on this thread).
  std::vector<Bytes> receive(std::size_t want, const std::function<void()>& pump,
                             milliseconds limit = milliseconds(3000)) {
    std::vector<Bytes> got;
    const auto deadline = Clock::now() + limit;
    std::uint8_t buf[2048];
    while (got.size() < want && Clock::now() < deadline) {
      pump();
      ssize_t n;
      while ((n = recv(fd_.get(), buf, sizeof(buf), 0)) > 0) {
        if (n >= 14 && buf[12] == (kTestEtherType >> 8) && buf[13] == (kTestEtherType & 0xff))
          got.emplace_back(buf, buf + n);
      }
      pollfd p{fd_.get(), POLLIN, 0};
      poll(&p, 1, 1);
    }
    return got;
  }

 private:
  UniqueFd fd_;
  bool ok_ = false;
};

Bytes test_frame(std::size_t len, std::uint32_t seq) {
  Bytes f = ramp(len, static_cast<std::uint8_t>(seq));
  const std::uint8_t hdr[14] = {0x02, 0, 0, 0, 0, 0x0a, 0x02, 0, 0, 0, 0, 0x0b,
                                kTestEtherType >> 8, kTestEtherType & 0xff};
  std::memcpy(f.data(), hdr, sizeof(hdr));
  std::memcpy(f.data() + 14, &seq, sizeof(seq));
  return f;
}

class DeviceOnVeth : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root (network namespaces, veth pairs, AF_XDP)";
    bed_ = std::make_unique<NetnsBed>("upldev", 2);
    std::tie(dev_, peer_dev_) = bed_->veth(0, 1);
    ASSERT_TRUE(bed_->ok()) << "could not build the namespaces and veth pair";
    // The peer's frames leave at most MTU-sized, checksums complete, as on a wire.
    sh("ip netns exec " + bed_->ns(1) + " ethtool -K " + peer_dev_ + " tso off gso off");
  }
  // The router is built inside namespace 0, where its sockets stay.
  std::unique_ptr<Harness> router(const std::string& config) {
    InNetns in(bed_->ns(0));
    return std::make_unique<Harness>(config, options());
  }
  std::string echo_config(const std::string& method) {
    return fmt::format(
        "fd :: FromDevice({0}, METHOD {1}, RING_SIZE 256) -> q :: Queue(1024) -> "
        "td :: ToDevice({0}, METHOD {1}, RING_SIZE 256)",
        dev_, method);
  }
  std::unique_ptr<NetnsBed> bed_;
  std::string dev_, peer_dev_;
};

TEST_P(DeviceOnVeth, EchoesFramesByteForByte) {
  const std::string method = GetParam();
  auto h = router(echo_config(method));
  ASSERT_TRUE(h->ok()) << h->error();
  const std::string first = method.substr(0, method.find(','));
  const std::string chosen = first == "AUTO" ? "XDP" : first;
  EXPECT_EQ(h->read("fd.method"), chosen + "\n");
  EXPECT_EQ(h->read("td.method"), chosen + "\n");
  EXPECT_EQ(h->read("fd.link"), "up\n");

  Peer peer(bed_->ns(1), peer_dev_);
  ASSERT_TRUE(peer.ok());
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < 200; ++i) {
    sent.push_back(test_frame(60 + (i * 37) % 1455, i));  // 60 .. 1514 bytes
    ASSERT_TRUE(peer.send(sent.back()));
  }
  const auto got = peer.receive(sent.size(), [&] { h->run_tasks(1); });
  ASSERT_EQ(got.size(), sent.size()) << h->read("fd.stats") << h->read("td.stats")
                                     << "td.drops " << h->read("td.drops");
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(got[i], sent[i]) << "frame " << i;
  h->run_tasks(2);
  EXPECT_EQ(number(*h, "fd.count"), 200u);
  EXPECT_EQ(number(*h, "td.count"), 200u);
  EXPECT_EQ(number(*h, "fd.kernel_drops"), 0u);
  EXPECT_EQ(number(*h, "td.drops"), 0u);
}

TEST_P(DeviceOnVeth, LinkHandlerFollowsThePeer) {
  auto h = router(echo_config(GetParam()));
  ASSERT_TRUE(h->ok()) << h->error();
  const auto wait_for = [&](const std::string& want) {
    const auto deadline = Clock::now() + milliseconds(3000);
    while (h->read("fd.link") != want && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(10));
    return h->read("fd.link");
  };
  ASSERT_TRUE(sh("ip -n " + bed_->ns(1) + " link set " + peer_dev_ + " down"));
  EXPECT_EQ(wait_for("down\n"), "down\n");
  EXPECT_EQ(h->read("td.link"), "down\n");
  ASSERT_TRUE(sh("ip -n " + bed_->ns(1) + " link set " + peer_dev_ + " up"));
  EXPECT_EQ(wait_for("up\n"), "up\n");
}

// A veth has native XDP; generic (skb) mode works on any device.
INSTANTIATE_TEST_SUITE_P(Methods, DeviceOnVeth,
                         ::testing::Values("PACKET", "XDP", "AUTO", "XDP, XDP_MODE NATIVE",
                                           "XDP, XDP_MODE SKB"));

TEST(FromDevice, AMissingDeviceIsAnErrorThatNamesIt) {
  if (!is_root()) GTEST_SKIP() << "needs root (packet sockets)";
  for (const char* method : {"PACKET", "XDP", "AUTO"}) {
    const std::string e =
        config_error(fmt::format("FromDevice(nosuchdev9, METHOD {}) -> Discard", method));
    EXPECT_NE(e.find("nosuchdev9"), std::string::npos) << method << ": " << e;
  }
}

}  // namespace
}  // namespace uplane::io
