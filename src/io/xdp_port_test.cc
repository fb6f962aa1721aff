// XdpPort (AF_XDP) on veth pairs between network namespaces this test creates.
//
// Each test builds its own namespaces and veth pairs, named after the process id and a
// counter, opens ports inside them (a socket stays in the namespace it was opened in, so the
// test thread enters a namespace only to open), and deletes the namespaces — and with them
// the veths — in destructors, so a failed assertion cleans up too. Namespaces left by a
// crashed earlier run (their pid no longer alive) are deleted first. IPv6 is off in the
// namespaces, so the kernel sends nothing of its own on the veths and every counter can be
// checked exactly. The peer is an AF_PACKET socket in the other namespace.
// Needs root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF, CAP_SYS_ADMIN for setns) and a kernel
// with AF_XDP; skips, saying which, without.

#include "io/xdp_port.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
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

const std::string kPrefix = "uplx";

using testing::Bytes;
using testing::InNetns;
using testing::kTestEtherType;
using testing::link_stat;
using testing::NetnsBed;
using testing::sh;
using testing::sh_out;

int next_id() {
  static int id = 0;
  return ++id;
}

// Namespaces and veth pairs (tests/harness/netns_bed.h), named after kPrefix.
struct Bed : NetnsBed {
  explicit Bed(int namespaces) : NetnsBed(kPrefix, namespaces) {}
};

// --- frames and the AF_PACKET peer ---

Bytes make_frame(std::uint32_t seq, std::uint32_t len) {
  Bytes f(len);
  for (int i = 0; i < 6; ++i) f[i] = 0xff;
  const std::uint8_t src[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
  std::memcpy(&f[6], src, 6);
  f[12] = kTestEtherType >> 8;
  f[13] = kTestEtherType & 0xff;
  std::memcpy(&f[14], &seq, sizeof(seq));
  for (std::uint32_t i = 18; i < len; ++i) f[i] = static_cast<std::uint8_t>(seq * 7 + i);
  return f;
}

std::uint32_t seq_of(const std::uint8_t* data) {
  std::uint32_t s;
  std::memcpy(&s, data + 14, sizeof(s));
  return s;
}

// Whether f is make_frame(its own sequence number, len), checked without allocating.
bool is_frame(const Bytes& f, std::uint32_t len) {
  if (f.size() != len || len < 18) return false;
  const std::uint32_t seq = seq_of(f.data());
  const std::uint8_t head[14] = {0xff,
                                 0xff,
                                 0xff,
                                 0xff,
                                 0xff,
                                 0xff,
                                 0x02,
                                 0x00,
                                 0x5e,
                                 0x10,
                                 0x00,
                                 0x01,
                                 kTestEtherType >> 8,
                                 kTestEtherType & 0xff};
  if (std::memcmp(f.data(), head, sizeof(head)) != 0) return false;
  for (std::uint32_t i = 18; i < len; ++i)
    if (f[i] != static_cast<std::uint8_t>(seq * 7 + i)) return false;
  return true;
}

// A packet socket on one end of a veth, in that end's namespace; sends and receives frames
// of kTestEtherType only.
class Peer {
 public:
  Peer() = default;  // not open: ok() is false
  Peer(const std::string& ns, const std::string& dev) {
    InNetns in(ns);
    if (!in.ok()) return;
    fd_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(kTestEtherType)));
    if (!fd_.valid()) return;
    ifindex_ = static_cast<int>(if_nametoindex(dev.c_str()));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(kTestEtherType);
    sll.sll_ifindex = ifindex_;
    const int big = 32 << 20;
    const int one = 1;
    ok_ = ifindex_ > 0 && bind(fd_.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) == 0 &&
          setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == 0 &&
          setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == 0;
  }
  bool ok() const { return ok_; }

  bool send(const Bytes& f) {
    return ::send(fd_.get(), f.data(), f.size(), 0) == static_cast<ssize_t>(f.size());
  }
  // Sends frames[0, n) in one sendmmsg; returns how many the kernel took.
  std::uint32_t send_many(const std::vector<Bytes>& frames, std::uint32_t n) {
    std::vector<iovec> iov(n);
    std::vector<mmsghdr> msgs(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      iov[i] = {const_cast<std::uint8_t*>(frames[i].data()), frames[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int r = sendmmsg(fd_.get(), msgs.data(), n, 0);
    return r > 0 ? static_cast<std::uint32_t>(r) : 0;
  }
  // One frame, waiting up to `ms`.
  bool recv(Bytes* out, int ms) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return false;
    out->resize(65536);
    const ssize_t n = ::recv(fd_.get(), out->data(), out->size(), MSG_DONTWAIT);
    if (n < 0) return false;
    out->resize(static_cast<std::size_t>(n));
    return true;
  }
  // Frames the kernel dropped because this socket's buffer was full (and resets the count).
  std::uint64_t drops() {
    tpacket_stats st{};
    socklen_t len = sizeof(st);
    if (getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) return 0;
    return st.tp_drops;
  }

 private:
  UniqueFd fd_;
  int ifindex_ = 0;
  bool ok_ = false;
};

std::unique_ptr<mem::PacketPool> make_pool(std::uint32_t frames = 4096, std::uint32_t size = 2048,
                                           std::uint32_t headroom = 128) {
  auto p = testing::make_test_pool("xdpt" + std::to_string(next_id()), frames, size,
                                   mem::PoolConfig{}.cache_size, headroom);
  if (!p) return nullptr;
  return std::move(*p);
}

// Opens an XDP port on `dev` inside namespace `ns`.
Result<std::unique_ptr<XdpPort>> open_in(const std::string& ns, PortConfig cfg,
                                         mem::PacketPool& pool) {
  InNetns in(ns);
  if (!in.ok()) return make_error(Errc::kInternal, "cannot enter namespace {}", ns);
  return XdpPort::open(cfg, pool);
}

PortConfig config(const std::string& dev) {
  PortConfig c;
  c.device = dev;
  return c;
}

// Receives until `want` packets are in `out` or `ms` pass; returns how many arrived.
std::uint32_t receive(Port& port, std::vector<mem::Packet*>* out, std::uint32_t want, int ms) {
  const auto deadline = Clock::now() + milliseconds(ms);
  while (out->size() < want && Clock::now() < deadline) {
    mem::Batch b;
    if (port.rx_burst(b) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    for (mem::Packet* p : b.packets()) out->push_back(p);
  }
  return static_cast<std::uint32_t>(out->size());
}

void free_all(mem::PacketPool& pool, std::vector<mem::Packet*>* pkts) {
  for (mem::Packet* p : *pkts) pool.free(p);
  pkts->clear();
}

// Skips (saying why) when this process cannot make namespaces or AF_XDP sockets at all.
#define REQUIRE_BED(bed)                                                                 \
  do {                                                                                   \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, AF_XDP, BPF)";  \
    ASSERT_TRUE((bed).ok()) << "could not build the namespace test bed (ip netns/veth)"; \
  } while (0)

#define ASSERT_OPEN(result)                                                          \
  do {                                                                               \
    if (!(result).is_ok() &&                                                         \
        (result).status().message().find("CONFIG_XDP_SOCKETS") != std::string::npos) \
      GTEST_SKIP() << (result).status().message();                                   \
    ASSERT_TRUE((result).is_ok()) << (result).status().to_string();                  \
  } while (0)

// What most tests start from: two namespaces joined by a veth pair (a in namespace 0, b in
// namespace 1), a pool of `pool_frames`, and, when asked, a Peer on b. Checked by
// REQUIRE_VETH_BED or REQUIRE_PEER_BED, then taken apart:
//   VethBed t(4096, kWithPeer);
//   REQUIRE_PEER_BED(t);
//   auto& [bed, a, b, pool, peer] = t;
constexpr bool kWithPeer = true;

struct VethBed {
  explicit VethBed(std::uint32_t pool_frames = 4096, bool with_peer = false)
      : bed(2), pool(make_pool(pool_frames)) {
    std::tie(a, b) = bed.veth(0, 1);
    if (with_peer && bed.ok()) peer = Peer(bed.ns(1), b);
  }
  Bed bed;
  std::string a, b;
  std::unique_ptr<mem::PacketPool> pool;
  Peer peer;
};

#define REQUIRE_VETH_BED(t)       \
  do {                            \
    REQUIRE_BED((t).bed);         \
    ASSERT_NE((t).pool, nullptr); \
  } while (0)

#define REQUIRE_PEER_BED(t)     \
  do {                          \
    REQUIRE_VETH_BED(t);        \
    ASSERT_TRUE((t).peer.ok()); \
  } while (0)

// Whether `ip link show` of `dev` in namespace `ns` mentions `what` (an attached program
// shows as prog/xdp, or xdpgeneric in generic mode); either way the output is the message.
::testing::AssertionResult link_shows(const std::string& ns, const std::string& dev,
                                      const std::string& what) {
  const std::string link = sh_out("ip -n " + ns + " link show dev " + dev);
  auto r = link.find(what) != std::string::npos ? ::testing::AssertionSuccess()
                                                : ::testing::AssertionFailure();
  return r << link;
}

// Copies `f` into a packet of `pool` (at its headroom) at the end of `batch`.
void push_copy(mem::PacketPool& pool, const Bytes& f, mem::Batch& batch) {
  mem::Packet* pk = pool.alloc();
  ASSERT_NE(pk, nullptr);
  ASSERT_TRUE(pk->assign(f.data(), static_cast<std::uint32_t>(f.size()), pool.headroom()));
  ASSERT_TRUE(batch.push_back(pk));
}

// Receives every frame of `sent` at `peer`, in order and byte for byte.
void expect_at_peer(Peer& peer, const std::vector<Bytes>& sent) {
  for (std::uint32_t i = 0; i < sent.size(); ++i) {
    Bytes f;
    ASSERT_TRUE(peer.recv(&f, 5000)) << "frame " << i << " never arrived";
    EXPECT_EQ(f, sent[i]) << "frame " << i;
  }
}

// Calls housekeeping until no transmitted frame awaits its completion, at most `tries` times,
// `step` apart.
void reap_completions(XdpPort& p, int tries = 200, milliseconds step = milliseconds(5)) {
  for (int i = 0; i < tries && p.tx_in_flight() != 0; ++i) {
    p.housekeeping();
    std::this_thread::sleep_for(step);
  }
}

// Sends `total` frames from `peer`, the `burst` frames again and again, one burst every
// `gap`, until `stop` (when given) is set or `limit` passes; returns how many the kernel took.
std::uint64_t send_paced(Peer& peer, const std::vector<Bytes>& burst, std::uint64_t total,
                         std::chrono::nanoseconds gap, std::chrono::seconds limit,
                         const std::atomic<bool>* stop = nullptr) {
  const auto size = static_cast<std::uint32_t>(burst.size());
  auto next = Clock::now();
  const auto deadline = next + limit;
  std::uint64_t n = 0;
  while (n < total && Clock::now() < deadline && (stop == nullptr || !*stop)) {
    n +=
        peer.send_many(burst, static_cast<std::uint32_t>(std::min<std::uint64_t>(size, total - n)));
    next += gap;
    std::this_thread::sleep_until(next);
  }
  return n;
}

// A thread counting the frames that arrive at a Peer, and those `good` rejects, until stop()
// (then until the socket is empty).
class PeerCounter {
 public:
  PeerCounter(Peer& peer, std::function<bool(const Bytes&)> good)
      : thread_([this, &peer, good = std::move(good)] {
          Bytes f;
          for (;;) {
            if (peer.recv(&f, 20)) {
              if (!good(f)) ++bad_;
              ++got_;
            } else if (stopping_.load()) {
              return;  // told to stop, and the socket is empty
            }
          }
        }) {}
  ~PeerCounter() { stop(); }
  PeerCounter(const PeerCounter&) = delete;
  PeerCounter& operator=(const PeerCounter&) = delete;
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t got() const { return got_.load(); }
  std::uint64_t bad() const { return bad_.load(); }

 private:
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> got_{0};
  std::atomic<std::uint64_t> bad_{0};
  std::thread thread_;  // last: starts once the counters exist
};

struct Tally {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Receives on `port`, returning every frame to `pool`, until `want` frames came or `limit`
// passes, or, once `finished` (when given) is set, nothing has come for 300 ms.
Tally drain_port(XdpPort& port, mem::PacketPool& pool, std::uint64_t want,
                 std::chrono::seconds limit, const std::atomic<bool>* finished = nullptr) {
  Tally t;
  const auto deadline = Clock::now() + limit;
  auto quiet_since = Clock::now();
  while (t.packets < want && Clock::now() < deadline) {
    mem::Batch batch;
    const std::uint32_t n = port.rx_burst(batch);
    for (mem::Packet* pk : batch.packets()) t.bytes += pk->length();
    t.packets += n;
    pool.put_bulk(batch.data(), batch.size());
    if (n != 0) {
      quiet_since = Clock::now();
    } else if (finished != nullptr && *finished && Clock::now() - quiet_since > milliseconds(300)) {
      break;  // the sender is done and nothing has come for a while
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return t;
}

// --- opening, closing, errors ---

TEST(XdpPort, OpensOnAVethAttachesItsProgramAndDetachesItOnClose) {
  VethBed t;
  REQUIRE_VETH_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    EXPECT_EQ(p.method(), Method::kXdp);
    EXPECT_EQ(p.device(), a);
    EXPECT_GE(p.wait_fd(), 0);
    EXPECT_EQ(p.link_state(), LinkState::kUp);
    EXPECT_EQ(p.xdp_mode(), "native");
    EXPECT_FALSE(p.zero_copy());  // veth has no zero-copy AF_XDP
    EXPECT_EQ(p.ring_size(), 2048u);
    EXPECT_EQ(p.rx_budget(), 1024u);  // a quarter of the 4096-frame pool
    EXPECT_EQ(p.rx_lent(), p.rx_budget());
    EXPECT_TRUE(link_shows(bed.ns(0), a, "prog/xdp"));
    // The frames lent to the fill ring are out of the pool while the port is open.
    EXPECT_FALSE(pool->check_no_leaks().is_ok());
  }
  EXPECT_FALSE(link_shows(bed.ns(0), a, "prog/xdp"));
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, HoldsTheDevicePromiscuousWhileOpenWhenAsked) {
  VethBed t;
  REQUIRE_VETH_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  // A membership raises the device's promiscuity count (`ip -d`), not the flag users set.
  const std::string show = "ip -d -n " + bed.ns(0) + " link show dev " + a;
  EXPECT_NE(sh_out(show).find("promiscuity 0"), std::string::npos) << sh_out(show);
  {
    PortConfig c = config(a);
    c.promiscuous = true;
    auto port = open_in(bed.ns(0), c, *pool);
    ASSERT_OPEN(port);
    EXPECT_NE(sh_out(show).find("promiscuity 1"), std::string::npos) << sh_out(show);
  }
  EXPECT_NE(sh_out(show).find("promiscuity 0"), std::string::npos) << sh_out(show);
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(XdpPort, AMissingDeviceIsNamedWithTheFailingCall) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto pool = make_pool();
  ASSERT_NE(pool, nullptr);
  const std::string dev = "uplxmiss" + std::to_string(getpid() % 100000);
  auto port = open_xdp_port(config(dev), *pool);
  ASSERT_FALSE(port.is_ok());
  EXPECT_EQ(port.status().code(), Errc::kNotFound);
  EXPECT_EQ(
      port.status().message(),
      "xdp port " + dev + ": no such network device in this network namespace (SIOCGIFINDEX)");
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(XdpPort, WithoutPrivilegesTheErrorSaysWhatIsMissing) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to become an unprivileged user";
  auto pool = make_pool();
  ASSERT_NE(pool, nullptr);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Become nobody: every capability goes with the root uid.
    std::string msg = "could not drop privileges";
    if (setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0) {
      auto port = open_xdp_port(config("lo"), *pool);
      msg = port.is_ok() ? "opened" : port.status().message();
    }
    (void)!write(fds[1], msg.data(), msg.size());
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) msg.append(buf, n);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(msg, "xdp port lo: socket(AF_XDP): Operation not permitted (needs CAP_NET_RAW)");
}

TEST(XdpPort, RefusesConfigurationsItCannotServe) {
  auto pool = make_pool();
  ASSERT_NE(pool, nullptr);
  PortConfig c = config("eth0");
  c.ring_size = 1000;
  auto r = open_xdp_port(c, *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("ring size 1000"), std::string::npos);

  c = config("eth0");
  c.rx = c.tx = false;
  r = open_xdp_port(c, *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("neither receive nor transmit"), std::string::npos);

  c = config("eth0");
  c.xdp_copy = c.xdp_zero_copy = true;
  r = open_xdp_port(c, *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("zero-copy and copy"), std::string::npos);

  c = config("this-name-is-far-too-long");
  r = open_xdp_port(c, *pool);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);

  auto small = make_pool(1024, 1024, 128);
  ASSERT_NE(small, nullptr);
  r = open_xdp_port(config("eth0"), *small);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("1024-byte frames"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
  EXPECT_TRUE(small->check_no_leaks().is_ok());
}

TEST(XdpPort, ZeroCopyOnAVethIsRefusedNamingTheDevice) {
  VethBed t;
  REQUIRE_VETH_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  PortConfig c = config(a);
  c.xdp_zero_copy = true;
  auto port = open_in(bed.ns(0), c, *pool);
  ASSERT_FALSE(port.is_ok());
  EXPECT_NE(port.status().message().find("driver of " + a + " offers no zero-copy"),
            std::string::npos)
      << port.status().message();
  EXPECT_FALSE(link_shows(bed.ns(0), a, "prog/xdp"));
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, OneQueueOpensOncePerPoolAndOncePerKernel) {
  VethBed t;
  REQUIRE_VETH_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  auto other = make_pool();
  ASSERT_NE(other, nullptr);
  auto first = open_in(bed.ns(0), config(a), *pool);
  ASSERT_OPEN(first);
  auto again = open_in(bed.ns(0), config(a), *pool);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Errc::kAlreadyExists);
  EXPECT_NE(again.status().message().find("queue 0 is already open on pool"), std::string::npos)
      << again.status().message();
  // Another pool means another UMEM: the kernel itself refuses a second socket on the queue.
  auto rival = open_in(bed.ns(0), config(a), *other);
  ASSERT_FALSE(rival.is_ok());
  EXPECT_NE(rival.status().message().find(a), std::string::npos) << rival.status().message();
  EXPECT_NE(rival.status().message().find("in use by another AF_XDP socket"), std::string::npos)
      << rival.status().message();
  first = Status(Errc::kInternal, "closed");  // closes the port
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
  EXPECT_TRUE(other->check_no_leaks().is_ok()) << other->check_no_leaks().to_string();
  // Once closed, the queue opens again on either pool.
  auto later = open_in(bed.ns(0), config(a), *other);
  ASSERT_OPEN(later);
}

// --- receiving and transmitting ---

TEST(XdpPort, ReceivesFramesByteForByteStraightIntoPoolFrames) {
  VethBed t(4096, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    std::vector<Bytes> sent;
    for (std::uint32_t i = 0; i < 100; ++i) {
      sent.push_back(make_frame(i, 60 + (i * 97) % 1455));  // 60 .. 1514 bytes
      ASSERT_TRUE(peer.send(sent.back()));
    }
    sent.push_back(make_frame(100, 1514));
    ASSERT_TRUE(peer.send(sent.back()));
    std::vector<mem::Packet*> got;
    ASSERT_EQ(receive(p, &got, 101, 5000), 101u);
    for (std::uint32_t i = 0; i < got.size(); ++i) {
      mem::Packet* pk = got[i];
      ASSERT_TRUE(pool->owns(pk));
      const Bytes want = sent[seq_of(pk->data())];
      ASSERT_EQ(Bytes(pk->data(), pk->data() + pk->length()), want) << "frame " << i;
      EXPECT_EQ(seq_of(pk->data()), i) << "out of order";
      // The kernel wrote the data where PacketPool::alloc would have put it: byte 256.
      EXPECT_EQ(pk->headroom(), pool->headroom());
      EXPECT_EQ(pk->data() - reinterpret_cast<std::uint8_t*>(pk), 256);
      EXPECT_FALSE(p.holds(pk->frame_index()));
    }
    const PortCounters k = p.counters();
    EXPECT_EQ(k.rx_packets, 101u);
    std::uint64_t bytes = 0;
    for (const Bytes& f : sent) bytes += f.size();
    EXPECT_EQ(k.rx_bytes, bytes);
    EXPECT_EQ(k.rx_dropped, 0u);
    EXPECT_EQ(k.rx_errors, 0u);
    free_all(*pool, &got);
    // The fill ring was topped up again from the pool (in bursts of at least 32).
    EXPECT_GT(p.rx_lent() + 32, p.rx_budget());
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, ReceivesInGenericModeToo) {
  VethBed t(4096, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    PortConfig c = config(a);
    c.xdp_skb_mode = true;
    auto port = open_in(bed.ns(0), c, *pool);
    ASSERT_OPEN(port);
    EXPECT_EQ((*port)->xdp_mode(), "skb");
    EXPECT_TRUE(link_shows(bed.ns(0), a, "xdpgeneric"));
    std::vector<Bytes> sent;
    for (std::uint32_t i = 0; i < 32; ++i) {
      sent.push_back(make_frame(i, 64 + i * 40));
      ASSERT_TRUE(peer.send(sent.back()));
    }
    std::vector<mem::Packet*> got;
    ASSERT_EQ(receive(**port, &got, 32, 5000), 32u);
    for (std::uint32_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(Bytes(got[i]->data(), got[i]->data() + got[i]->length()), sent[i]);
    free_all(*pool, &got);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, TransmitsFramesByteForByte) {
  VethBed t(4096, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    PortConfig c = config(a);
    c.rx = false;  // transmit only: no program, nothing lent for receiving
    auto port = open_in(bed.ns(0), c, *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    EXPECT_EQ(p.xdp_mode(), "none");
    EXPECT_EQ(p.rx_lent(), 0u);
    std::vector<Bytes> sent;
    std::uint64_t bytes = 0;
    for (std::uint32_t round = 0; round < 4; ++round) {
      mem::Batch batch;
      for (std::uint32_t i = 0; i < 25; ++i) {
        const std::uint32_t seq = round * 25 + i;
        sent.push_back(make_frame(seq, 60 + (seq * 131) % 1455));
        ASSERT_NO_FATAL_FAILURE(push_copy(*pool, sent.back(), batch));
        bytes += sent.back().size();
      }
      ASSERT_EQ(p.tx_burst(batch), 25u);
      EXPECT_TRUE(batch.empty());
    }
    ASSERT_NO_FATAL_FAILURE(expect_at_peer(peer, sent));
    const PortCounters k = p.counters();
    EXPECT_EQ(k.tx_packets, 100u);
    EXPECT_EQ(k.tx_bytes, bytes);
    EXPECT_EQ(k.tx_errors, 0u);
    EXPECT_EQ(p.tx_copied(), 0u);
    // Completions come back to the pool through housekeeping.
    reap_completions(p, 2000, milliseconds(1));
    EXPECT_EQ(p.tx_in_flight(), 0u);
    EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, CopiesFramesOfAnotherPoolAndRefusesWhatTheLinkCannotCarry) {
  VethBed t(4096, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  auto foreign = make_pool(256, 4096, 64);
  ASSERT_NE(foreign, nullptr);
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    mem::Batch batch;
    std::vector<Bytes> sent;
    for (std::uint32_t i = 0; i < 8; ++i) {
      sent.push_back(make_frame(i, 100 + i));
      ASSERT_NO_FATAL_FAILURE(push_copy(i % 2 == 0 ? *foreign : *pool, sent.back(), batch));
    }
    // Two frames no Ethernet link carries: too short, and longer than the 1500 MTU allows.
    const Bytes runt(10, 0xab);
    const Bytes jumbo = make_frame(99, 1515);
    for (const Bytes* f : {&runt, &jumbo}) ASSERT_NO_FATAL_FAILURE(push_copy(*foreign, *f, batch));
    EXPECT_EQ(p.tx_burst(batch), 8u);
    EXPECT_TRUE(batch.empty());
    ASSERT_NO_FATAL_FAILURE(expect_at_peer(peer, sent));
    Bytes extra;
    EXPECT_FALSE(peer.recv(&extra, 100)) << "a refused frame was sent";
    EXPECT_EQ(p.tx_copied(), 4u);
    const PortCounters k = p.counters();
    EXPECT_EQ(k.tx_packets, 8u);
    EXPECT_EQ(k.tx_errors, 2u);
    // The foreign frames went back to their own pool once copied.
    EXPECT_TRUE(foreign->check_no_leaks().is_ok()) << foreign->check_no_leaks().to_string();
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, WaitFdTurnsReadableWhenFramesArrive) {
  VethBed t(4096, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    pollfd pf{(*port)->wait_fd(), POLLIN, 0};
    EXPECT_EQ(poll(&pf, 1, 50), 0) << "readable with nothing sent";
    ASSERT_TRUE(peer.send(make_frame(1, 60)));
    pf.revents = 0;
    EXPECT_EQ(poll(&pf, 1, 2000), 1);
    EXPECT_NE(pf.revents & POLLIN, 0);
    std::vector<mem::Packet*> got;
    EXPECT_EQ(receive(**port, &got, 1, 2000), 1u);
    free_all(*pool, &got);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

TEST(XdpPort, LinkStateFollowsTheVeth) {
  VethBed t;
  REQUIRE_VETH_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  auto port = open_in(bed.ns(0), config(a), *pool);
  ASSERT_OPEN(port);
  EXPECT_EQ((*port)->link_state(), LinkState::kUp);
  // The kernel updates a device's operational state in deferred work (linkwatch, up to a
  // second late), and the port re-reads it at most every 100 ms.
  auto settles_at = [&](LinkState want) {
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while ((*port)->link_state() != want && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    return (*port)->link_state() == want;
  };
  ASSERT_TRUE(sh("ip -n " + bed.ns(1) + " link set " + b + " down"));  // carrier goes
  EXPECT_TRUE(settles_at(LinkState::kDown));
  ASSERT_TRUE(sh("ip -n " + bed.ns(1) + " link set " + b + " up"));
  EXPECT_TRUE(settles_at(LinkState::kUp));
}

// --- volume: 100k frames each way, at a bounded rate, with counters that add up ---

TEST(XdpPort, HundredThousandFramesEachWayAddUp) {
  // 2048 frames lent for receiving: 50 ms of traffic, slack for a receiver that is not
  // scheduled for a while on a busy machine.
  VethBed t(16384, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  constexpr std::uint32_t kFrames = 100'000;
  constexpr std::uint32_t kBurst = 32;
  constexpr double kRate = 40'000;  // frames per second, each way
  const auto gap = std::chrono::nanoseconds(static_cast<std::int64_t>(kBurst * 1e9 / kRate));
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;

    // Peer -> port: a paced sender thread; this thread receives.
    std::atomic<std::uint64_t> peer_sent{0};
    std::atomic<bool> sent_all{false};
    std::thread sender([&] {
      std::vector<Bytes> frames;
      for (std::uint32_t i = 0; i < kBurst; ++i) frames.push_back(make_frame(i, 60 + i * 8));
      peer_sent = send_paced(peer, frames, kFrames, gap, std::chrono::seconds(30));
      sent_all = true;
    });
    const Tally received = drain_port(p, *pool, std::numeric_limits<std::uint64_t>::max(),
                                      std::chrono::seconds(40), &sent_all);
    sender.join();
    ASSERT_EQ(peer_sent.load(), kFrames) << "the peer could not send them all";
    mem::Batch none;
    p.rx_burst(none);  // folds in the kernel's drop counts (read at most every 100 ms)
    PortCounters k = p.counters();
    const std::uint64_t veth_drops = link_stat(bed.ns(1), b, "tx", "dropped");
    EXPECT_EQ(k.rx_packets, received.packets);
    EXPECT_EQ(k.rx_bytes, received.bytes);
    EXPECT_EQ(k.rx_packets + k.rx_dropped + veth_drops, kFrames)
        << "received " << k.rx_packets << ", dropped by AF_XDP " << k.rx_dropped << ", by the veth "
        << veth_drops;
    EXPECT_GE(k.rx_packets, kFrames * 99 / 100) << "more than 1% lost at a moderate rate";
    EXPECT_EQ(k.rx_errors, 0u);
    std::printf("peer -> port: %u sent, %llu received, %llu dropped by AF_XDP, %llu by the veth\n",
                kFrames, static_cast<unsigned long long>(k.rx_packets),
                static_cast<unsigned long long>(k.rx_dropped),
                static_cast<unsigned long long>(veth_drops));

    // Port -> peer: this thread sends at the same pace; a thread receives at the peer.
    PeerCounter at_peer(peer, [](const Bytes& f) {
      return f.size() >= 18 && is_frame(f, 60 + (seq_of(f.data()) % kBurst) * 8);
    });
    std::uint64_t queued = 0;
    std::uint64_t left_over = 0;
    bool built = true;
    auto next = Clock::now();
    const auto stop = Clock::now() + std::chrono::seconds(30);
    while (queued < kFrames && Clock::now() < stop && built) {
      mem::Batch batch;
      const std::uint32_t want = std::min<std::uint64_t>(kBurst, kFrames - queued);
      if (!pool->alloc_bulk(batch.data(), want)) break;
      batch.set_size(want);
      for (std::uint32_t i = 0; i < want; ++i) {
        const std::uint32_t seq = static_cast<std::uint32_t>(queued + i);
        const Bytes f = make_frame(seq, 60 + (seq % kBurst) * 8);
        built = built &&
                batch[i]->assign(f.data(), static_cast<std::uint32_t>(f.size()), pool->headroom());
      }
      const std::uint32_t sent = p.tx_burst(batch);
      queued += sent;
      if (!batch.empty()) {  // ring full: the caller drops, and says so
        left_over += batch.size();
        p.count_tx_dropped(batch.size());
        pool->put_bulk(batch.data(), batch.size());
        queued += batch.size();
      }
      next += gap;
      std::this_thread::sleep_until(next);
      p.housekeeping();
    }
    reap_completions(p);
    // Let the peer catch up: until it has them all, or half a second brings nothing new.
    for (std::uint64_t last = ~0ull; at_peer.got() < queued && at_peer.got() != last;) {
      last = at_peer.got();
      std::this_thread::sleep_for(milliseconds(500));
    }
    at_peer.stop();
    EXPECT_TRUE(built);
    EXPECT_EQ(queued, kFrames);
    k = p.counters();
    const std::uint64_t port_veth_drops = link_stat(bed.ns(0), a, "tx", "dropped");
    const std::uint64_t socket_drops = peer.drops();
    EXPECT_EQ(k.tx_packets + k.tx_dropped, kFrames);
    EXPECT_EQ(k.tx_dropped, left_over);
    EXPECT_EQ(k.tx_errors, 0u);
    EXPECT_EQ(at_peer.bad(), 0u) << "frames arrived changed";
    EXPECT_EQ(at_peer.got() + socket_drops + port_veth_drops, k.tx_packets)
        << "the peer got " << at_peer.got() << ", its socket dropped " << socket_drops
        << ", the veth dropped " << port_veth_drops;
    // Every frame is accounted for above; the peer's socket may still drop some when its
    // thread is slow (under ThreadSanitizer it runs several times slower than the port).
    EXPECT_GE(at_peer.got(), kFrames * 9 / 10) << "more than 10% lost at a moderate rate";
    std::printf(
        "port -> peer: %llu sent, %llu left to the caller, %llu received, %llu dropped "
        "by the peer's socket, %llu by the veth\n",
        static_cast<unsigned long long>(k.tx_packets),
        static_cast<unsigned long long>(k.tx_dropped),
        static_cast<unsigned long long>(at_peer.got()),
        static_cast<unsigned long long>(socket_drops),
        static_cast<unsigned long long>(port_veth_drops));
    EXPECT_EQ(p.tx_in_flight(), 0u);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

// The Port contract: the receive side and the transmit side may run on two threads at once.
TEST(XdpPort, ReceivesAndTransmitsOnTwoThreadsAtOnce) {
  VethBed t(8192, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  constexpr std::uint32_t kFrames = 20'000;
  constexpr std::uint32_t kBurst = 32;
  const auto gap = std::chrono::nanoseconds(kBurst * 1'000'000'000ll / 40'000);
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> peer_sent{0}, port_sent{0};
    std::thread peer_tx([&] {
      std::vector<Bytes> frames;
      for (std::uint32_t i = 0; i < kBurst; ++i) frames.push_back(make_frame(i, 100));
      peer_sent = send_paced(peer, frames, kFrames, gap, std::chrono::seconds(60), &done);
    });
    PeerCounter at_peer(peer, [](const Bytes&) { return true; });
    std::thread port_tx([&] {  // the transmit side: tx_burst and housekeeping
      const Bytes f = make_frame(5, 200);
      auto next = Clock::now();
      std::uint64_t n = 0;
      while (n < kFrames && !done) {
        mem::Batch batch;
        if (pool->alloc_bulk(batch.data(), kBurst)) {
          batch.set_size(kBurst);
          for (mem::Packet* pk : batch.packets())
            (void)pk->assign(f.data(), static_cast<std::uint32_t>(f.size()), pool->headroom());
          n += p.tx_burst(batch);
          pool->put_bulk(batch.data(), batch.size());
        }
        p.housekeeping();
        next += gap;
        std::this_thread::sleep_until(next);
      }
      reap_completions(p);
      port_sent = n;
    });
    // The receive side, on this thread.
    const Tally port_got = drain_port(p, *pool, kFrames, std::chrono::seconds(20));
    port_tx.join();
    const auto settle = Clock::now() + std::chrono::seconds(2);
    while (at_peer.got() < port_sent && Clock::now() < settle)
      std::this_thread::sleep_for(milliseconds(10));
    done = true;
    peer_tx.join();
    at_peer.stop();
    EXPECT_EQ(peer_sent.load(), kFrames);
    EXPECT_EQ(port_got.packets, kFrames);
    EXPECT_EQ(port_sent.load(), kFrames);
    EXPECT_EQ(at_peer.got(), kFrames);
    const PortCounters k = p.counters();
    EXPECT_EQ(k.rx_packets, kFrames);
    EXPECT_EQ(k.tx_packets, kFrames);
    EXPECT_EQ(k.tx_errors + k.rx_errors, 0u);
    EXPECT_EQ(p.tx_in_flight(), 0u);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, FramesTheKernelHadNoFillFrameForAreCountedAsDropped) {
  VethBed t(256, kWithPeer);  // 64 frames lent for receiving
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  {
    auto port = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(port);
    XdpPort& p = **port;
    ASSERT_EQ(p.rx_budget(), 64u);
    // Nobody receives while 300 frames arrive: 64 land, the rest find the fill ring empty.
    std::uint32_t sent = 0;
    for (std::uint32_t i = 0; i < 300; ++i) {
      sent += peer.send(make_frame(i, 60)) ? 1 : 0;
      if (i % 16 == 15) std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(sent, 300u);
    std::this_thread::sleep_for(milliseconds(150));
    std::vector<mem::Packet*> got;
    receive(p, &got, 300, 500);
    const std::uint64_t veth_drops = link_stat(bed.ns(1), b, "tx", "dropped");
    const PortCounters k = p.counters();
    EXPECT_EQ(got.size(), 64u);
    EXPECT_EQ(k.rx_packets, got.size());
    EXPECT_GT(k.rx_dropped, 0u) << "the socket reported none of the drops";
    EXPECT_EQ(k.rx_packets + k.rx_dropped + veth_drops, 300u)
        << "received " << k.rx_packets << ", dropped by AF_XDP " << k.rx_dropped << ", by the veth "
        << veth_drops;
    free_all(*pool, &got);
    // Frames flow again once the fill ring is topped up.
    ASSERT_TRUE(peer.send(make_frame(1000, 60)));
    EXPECT_EQ(receive(p, &got, 1, 2000), 1u);
    free_all(*pool, &got);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

// --- two ports, one pool: the router case ---

TEST(XdpPort, TwoPortsOnOnePoolForwardWithoutCopies) {
  // ns0: host 1 (h1) | ns1: the router (r1, r2) | ns2: host 2 (h2)
  Bed bed(3);
  REQUIRE_BED(bed);
  auto [r1, h1] = bed.veth(1, 0);
  auto [r2, h2] = bed.veth(1, 2);
  ASSERT_TRUE(bed.ok());
  auto pool = make_pool();
  ASSERT_NE(pool, nullptr);
  Peer host1(bed.ns(0), h1);
  Peer host2(bed.ns(2), h2);
  ASSERT_TRUE(host1.ok() && host2.ok());
  {
    auto in = open_in(bed.ns(1), config(r1), *pool);
    ASSERT_OPEN(in);
    auto out = open_in(bed.ns(1), config(r2), *pool);
    ASSERT_OPEN(out);
    XdpPort& p1 = **in;
    XdpPort& p2 = **out;
    EXPECT_FALSE(p2.zero_copy());

    for (std::uint32_t round = 0; round < 3; ++round) {
      std::vector<Bytes> sent;
      for (std::uint32_t i = 0; i < 20; ++i) {
        sent.push_back(make_frame(round * 100 + i, 64 + i * 70));
        ASSERT_TRUE(host1.send(sent.back()));
      }
      std::vector<mem::Packet*> got;
      ASSERT_EQ(receive(p1, &got, 20, 5000), 20u);
      mem::Batch batch;
      std::vector<std::uint32_t> indices;
      for (mem::Packet* pk : got) {
        ASSERT_TRUE(batch.push_back(pk));
        indices.push_back(pk->frame_index());
        EXPECT_FALSE(p1.holds(pk->frame_index()));
      }
      ASSERT_EQ(p2.tx_burst(batch), 20u);
      EXPECT_TRUE(batch.empty());
      // The very frames the kernel wrote on r1 are what it now sends from on r2.
      for (std::uint32_t i : indices) EXPECT_TRUE(p2.holds(i)) << "frame " << i;
      EXPECT_EQ(p2.tx_copied(), 0u);
      ASSERT_NO_FATAL_FAILURE(expect_at_peer(host2, sent));
    }
    EXPECT_EQ(p1.counters().rx_packets, 60u);
    EXPECT_EQ(p2.counters().tx_packets, 60u);

    // The port that registered the UMEM closes first; the other keeps working, and r1 opens
    // again on the same pool.
    in = Status(Errc::kInternal, "closed");
    auto back = open_in(bed.ns(1), config(r1), *pool);
    ASSERT_OPEN(back);
    const Bytes f = make_frame(7777, 200);
    ASSERT_TRUE(host1.send(f));
    std::vector<mem::Packet*> got;
    ASSERT_EQ(receive(**back, &got, 1, 5000), 1u);
    mem::Batch batch;
    ASSERT_TRUE(batch.push_back(got[0]));
    ASSERT_EQ(p2.tx_burst(batch), 1u);
    Bytes r;
    ASSERT_TRUE(host2.recv(&r, 5000));
    EXPECT_EQ(r, f);
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

TEST(XdpPort, EveryFrameComesBackWhenPortsCloseMidTraffic) {
  VethBed t(1024, kWithPeer);
  REQUIRE_PEER_BED(t);
  auto& [bed, a, b, pool, peer] = t;
  auto [c, d] = bed.veth(0, 1);
  ASSERT_TRUE(bed.ok());
  {
    auto rx = open_in(bed.ns(0), config(a), *pool);
    ASSERT_OPEN(rx);
    auto tx = open_in(bed.ns(0), config(c), *pool);
    ASSERT_OPEN(tx);
    // Frames waiting in the RX ring, and transmissions whose completions nobody reaps.
    for (std::uint32_t i = 0; i < 50; ++i) ASSERT_TRUE(peer.send(make_frame(i, 300)));
    std::vector<mem::Packet*> got;
    ASSERT_GE(receive(**rx, &got, 10, 5000), 10u);
    ASSERT_LT(got.size(), 50u);  // one burst of at most 32
    mem::Batch batch;
    for (mem::Packet* pk : got) ASSERT_TRUE(batch.push_back(pk));
    ASSERT_EQ((*tx)->tx_burst(batch), got.size());
    std::this_thread::sleep_for(milliseconds(100));  // the other 40 reach the RX ring
  }
  EXPECT_TRUE(pool->check_no_leaks().is_ok()) << pool->check_no_leaks().to_string();
}

}  // namespace
}  // namespace uplane::io
