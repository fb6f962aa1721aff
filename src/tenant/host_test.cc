// The running host (host.h), driven through shared-memory pipe ports: the test holds the
// other end of each host port, injects crafted Ethernet frames and reads what the tenants
// send back. No device, no root.

#include "tenant/host.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "base/cpu.h"
// The elements the tenants' configurations below use (the ThreadSanitizer build compiles
// only what this file includes; see host.cmake).
#include "elements/ethernet/ether_rewrite.h"
#include "elements/ethernet/vlan_decap.h"
#include "elements/ethernet/vlan_encap.h"
#include "elements/standard/counter.h"
#include "elements/standard/discard.h"
#include "elements/standard/idle.h"
#include "elements/standard/queue.h"
#include "graph/config.h"
#include "graph/router.h"
#include "io/port.h"
#include "mem/packet_pool.h"

namespace uplane::tenant {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr Mac kGreenMac{0x02, 0, 0, 0, 0, 0x03};
constexpr Mac kPeerMac{0x02, 0, 0, 0, 0, 0xee};
constexpr Mac kOtherMac{0x02, 0, 0, 0, 0, 0x99};
constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// A 64-byte frame: dst, src, optional 802.1Q tag, type 0x88b5, then a 32-bit sequence.
Bytes frame(const Mac& dst, const Mac& src, int vlan, std::uint32_t seq) {
  Bytes f(64, 0);
  std::memcpy(f.data(), dst.data(), 6);
  std::memcpy(f.data() + 6, src.data(), 6);
  std::size_t o = 12;
  if (vlan >= 0) {
    f[o++] = 0x81;
    f[o++] = 0x00;
    f[o++] = static_cast<std::uint8_t>(vlan >> 8);
    f[o++] = static_cast<std::uint8_t>(vlan);
  }
  f[o++] = 0x88;
  f[o++] = 0xb5;
  std::memcpy(f.data() + o, &seq, 4);
  return f;
}

int vlan_of(const Bytes& f) {
  if (f.size() >= 18 && f[12] == 0x81 && f[13] == 0x00) return ((f[14] << 8) | f[15]) & 0xfff;
  return -1;
}

std::string unique_name(std::string_view what) {
  static std::atomic<int> n{0};
  return fmt::format("ht{}-{}-{}", getpid(), what, n.fetch_add(1));
}

// The test's end of a host port: its own pool (the pipe copies in and out).
struct Peer {
  std::unique_ptr<mem::PacketPool> pool;
  std::unique_ptr<io::Port> port;

  static Peer open(const std::string& device) {
    Peer p;
    mem::PoolConfig pc;
    pc.name = "peer";
    pc.frame_count = 4096;
    auto pool = mem::PacketPool::create(pc);
    EXPECT_TRUE(pool.is_ok()) << pool.status().message();
    p.pool = std::move(pool).value();
    io::PortConfig cfg;
    cfg.device = device;
    auto port = io::open_port(io::Method::kShm, cfg, *p.pool);
    EXPECT_TRUE(port.is_ok()) << port.status().message();
    if (port.is_ok()) p.port = std::move(port).value();
    return p;
  }

  // Sends every frame (bounded retries while the ring is full).
  void send(const std::vector<Bytes>& frames) {
    std::size_t i = 0;
    for (int tries = 0; i < frames.size() && tries < 10000; ++tries) {
      mem::Batch b;
      while (i + b.size() < frames.size() && !b.full()) {
        mem::Packet* p = pool->alloc();
        ASSERT_NE(p, nullptr);
        const Bytes& f = frames[i + b.size()];
        ASSERT_TRUE(p->assign(f.data(), static_cast<std::uint32_t>(f.size()), 64));
        (void)b.push_back(p);
      }
      i += port->tx_burst(b);
      for (mem::Packet* p : b.packets()) pool->free(p);
      if (!b.empty()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    ASSERT_EQ(i, frames.size()) << "the host did not take the frames";
  }

  // Whatever has arrived, appended to `out`.
  void poll(std::vector<Bytes>& out) {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      mem::Batch b;
      if (port->rx_burst(b) == 0) return;
      for (mem::Packet* p : b.packets()) {
        out.emplace_back(p->data(), p->data() + p->length());
        pool->free(p);
      }
    }
  }

  // Receives until `n` frames have arrived or `ms` passed, then a short while more (to
  // catch any extra).
  std::vector<Bytes> receive(std::size_t n, int ms = 3000) {
    std::vector<Bytes> out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      poll(out);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    poll(out);
    return out;
  }
};

TenantSpec tenant(std::string name, std::string click, std::vector<std::string> ports,
                  std::vector<std::uint16_t> vlans, std::vector<Mac> macs = {}) {
  TenantSpec t;
  t.name = std::move(name);
  t.click = std::move(click);
  t.click_file = "host.toml";
  t.click_line = 10;
  t.selector.ports = std::move(ports);
  t.selector.vlans = std::move(vlans);
  t.selector.macs = std::move(macs);
  return t;
}

constexpr const char* kEcho = "FromDevice(p0) -> c :: Counter -> q :: Queue(200) -> ToDevice(p0);";
// Green answers as itself: its MAC as the source.
constexpr const char* kGreenEcho =
    "FromDevice(p0) -> c :: Counter -> EtherRewrite(02:00:00:00:00:03, 02:00:00:00:00:ee) "
    "-> q :: Queue(200) -> ToDevice(p0);";

HostSpec one_port_host(std::string* device) {
  HostSpec h;
  *device = unique_name("p0");
  h.ports.push_back(PortSpec{"p0", *device, "shm", 1, std::nullopt, {}});
  h.workers.push_back(WorkerSpec{-1, {"p0"}, {}});
  h.file = "host.toml";
  return h;
}

std::uint64_t count_of(const Host& h, const std::string& path) {
  auto r = h.read_handler(path);
  EXPECT_TRUE(r.is_ok()) << path << ": " << r.status().message();
  return r.is_ok() ? std::stoull(*r) : ~0ull;
}

const TenantStats* find_stats(const std::vector<TenantStats>& v, std::string_view name) {
  for (const TenantStats& s : v)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(Host, TenantsBySelectorSeeOnlyTheirOwnFrames) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  spec.tenants.push_back(tenant("red", kEcho, {"p0"}, {20}));
  spec.tenants.push_back(tenant("green", kGreenEcho, {"p0"}, {0}, {kGreenMac}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());

  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 5; ++i) in.push_back(frame(kOtherMac, kPeerMac, 10, 100 + i));
  for (std::uint32_t i = 0; i < 7; ++i) in.push_back(frame(kOtherMac, kPeerMac, 20, 200 + i));
  for (std::uint32_t i = 0; i < 3; ++i) in.push_back(frame(kGreenMac, kPeerMac, -1, 300 + i));
  in.push_back(frame(kBroadcast, kPeerMac, 10, 400));  // blue's VLAN: blue alone
  in.push_back(frame(kBroadcast, kPeerMac, -1, 401));  // untagged: green alone
  for (std::uint32_t i = 0; i < 4; ++i) in.push_back(frame(kOtherMac, kPeerMac, -1, 500 + i));
  for (std::uint32_t i = 0; i < 2; ++i) in.push_back(frame(kOtherMac, kPeerMac, 30, 600 + i));
  peer.send(in);
  std::vector<Bytes> out = peer.receive(5 + 7 + 3 + 2);

  std::map<int, int> by_vlan;
  int green_src = 0;
  for (const Bytes& f : out) {
    ++by_vlan[vlan_of(f)];
    if (std::equal(kGreenMac.begin(), kGreenMac.end(), f.begin() + 6)) ++green_src;
  }
  EXPECT_EQ(out.size(), 17u);
  EXPECT_EQ(by_vlan[10], 6);
  EXPECT_EQ(by_vlan[20], 7);
  EXPECT_EQ(by_vlan[-1], 4);
  EXPECT_EQ(green_src, 4);
  EXPECT_EQ(by_vlan.count(30), 0u);

  EXPECT_EQ(count_of(**host, "blue/c.count"), 6u);
  EXPECT_EQ(count_of(**host, "red/c.count"), 7u);
  EXPECT_EQ(count_of(**host, "green/c.count"), 4u);
  const auto st = (*host)->stats();
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(find_stats(st, "blue")->rx_packets, 6u);
  EXPECT_EQ(find_stats(st, "blue")->rx_bytes, 6u * 64);
  EXPECT_EQ(find_stats(st, "blue")->tx_packets, 6u);
  EXPECT_EQ(find_stats(st, "red")->rx_packets, 7u);
  EXPECT_EQ(find_stats(st, "red")->tx_bytes, 7u * 64);
  EXPECT_EQ(find_stats(st, "green")->rx_packets, 4u);
  for (const TenantStats& s : st) {
    EXPECT_EQ(s.total_drops(), 0u) << s.name;
    EXPECT_GT(s.cycles, 0u) << s.name;
    EXPECT_GT(s.cycles_per_packet, 0u) << s.name;
  }
  EXPECT_EQ((*host)->host_stats().unmatched, 6u);
  ASSERT_EQ((*host)->host_stats().ports.size(), 1u);
  EXPECT_EQ((*host)->host_stats().ports[0].rx_packets, 23u);

  // Names are per tenant; handler paths say whose.
  EXPECT_EQ(*(*host)->read_handler("blue/c.class"), "Counter\n");
  EXPECT_FALSE((*host)->read_handler("c.count").is_ok());
  auto none = (*host)->read_handler("purple/c.count");
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("no tenant named 'purple'"), std::string::npos);
  const Host::HandlerInfo info = (*host)->handler_info("blue/c.count");
  EXPECT_TRUE(info.handler && info.readable && !info.writable);
  EXPECT_FALSE((*host)->handler_info("blue/nope.count").element);
  EXPECT_TRUE((*host)->handler_info("blue/list").readable);
  EXPECT_TRUE((*host)->write_handler("blue/c.reset", "").is_ok());
  EXPECT_EQ(count_of(**host, "blue/c.count"), 0u);

  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

TEST(Host, UnmatchedTrafficGoesToTheDefaultTenant) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  spec.tenants.push_back(
      tenant("rest", "FromDevice(p0) -> c :: Counter -> Discard;", {"p0"}, {4000}));
  spec.default_tenant = "rest";
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());
  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 3; ++i) in.push_back(frame(kOtherMac, kPeerMac, 10, i));
  for (std::uint32_t i = 0; i < 5; ++i) in.push_back(frame(kOtherMac, kPeerMac, 55, 10 + i));
  for (std::uint32_t i = 0; i < 2; ++i) in.push_back(frame(kOtherMac, kPeerMac, -1, 20 + i));
  peer.send(in);
  EXPECT_EQ(peer.receive(3).size(), 3u);
  for (int i = 0; i < 200 && count_of(**host, "rest/c.count") < 7; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(count_of(**host, "rest/c.count"), 7u);
  EXPECT_EQ(count_of(**host, "blue/c.count"), 3u);
  EXPECT_EQ((*host)->host_stats().unmatched, 0u);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok());
}

TEST(Host, EgressSpoofingIsDroppedAndCounted) {
  HostSpec h;
  const std::string d0 = unique_name("p0"), d1 = unique_name("p1");
  h.ports.push_back(PortSpec{"p0", d0, "shm", 1, std::nullopt, {}});
  h.ports.push_back(PortSpec{"p1", d1, "shm", 1, std::nullopt, {}});
  h.workers.push_back(WorkerSpec{-1, {"p0", "p1"}, {}});
  // Takes VLAN 10, answers on VLAN 20 (red's).
  h.tenants.push_back(
      tenant("vlanspoof", "FromDevice(p0) -> VLANDecap -> VLANEncap(VLAN_ID 20) -> ToDevice(p0);",
             {"p0"}, {10}));
  // Takes frames for its MAC, echoes them unchanged: the source MAC is not its own.
  h.tenants.push_back(
      tenant("macspoof", "FromDevice(p0) -> ToDevice(p0);", {"p0"}, {0}, {kGreenMac}));
  // Takes VLAN 30 on p0, sends on p1, which is not its port.
  h.tenants.push_back(
      tenant("portspoof", "FromDevice(p0) -> Queue -> ToDevice(p1);", {"p0"}, {30}));
  h.tenants.push_back(tenant("owner1", "FromDevice(p1) -> Discard;", {"p1"}, {}));
  auto host = Host::create(h);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer p0 = Peer::open(d0), p1 = Peer::open(d1);
  ASSERT_TRUE((*host)->start().is_ok());
  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 4; ++i) in.push_back(frame(kOtherMac, kPeerMac, 10, i));
  for (std::uint32_t i = 0; i < 5; ++i) in.push_back(frame(kGreenMac, kPeerMac, -1, 10 + i));
  for (std::uint32_t i = 0; i < 6; ++i) in.push_back(frame(kOtherMac, kPeerMac, 30, 20 + i));
  p0.send(in);
  auto all_dropped = [&] {
    const auto st = (*host)->stats();
    return find_stats(st, "vlanspoof")->drop(TenantDrop::kEgressVlan) == 4 &&
           find_stats(st, "macspoof")->drop(TenantDrop::kEgressMac) == 5 &&
           find_stats(st, "portspoof")->drop(TenantDrop::kEgressPort) == 6;
  };
  for (int i = 0; i < 600 && !all_dropped(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(all_dropped());
  EXPECT_EQ(p0.receive(0, 50).size(), 0u);
  EXPECT_EQ(p1.receive(0, 50).size(), 0u);
  const auto st = (*host)->stats();
  for (const TenantStats& s : st) EXPECT_EQ(s.tx_packets, 0u) << s.name;
  EXPECT_EQ(find_stats(st, "vlanspoof")->rx_packets, 4u);
  EXPECT_EQ(find_stats(st, "macspoof")->rx_packets, 5u);
  EXPECT_EQ(find_stats(st, "portspoof")->rx_packets, 6u);
  EXPECT_EQ(tenant_drop_name(TenantDrop::kEgressVlan), "egress_vlan_denied");
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok());
}

TEST(Host, BadSpecsAreRejectedWithReasons) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  auto expect_error = [&](const TenantSpec& t, std::string_view want) {
    Status st = (*host)->add_tenant(t);
    ASSERT_FALSE(st.is_ok()) << t.name;
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  };
  expect_error(tenant("x", kEcho, {"p0"}, {10}), "overlaps tenant 'blue'");
  expect_error(tenant("blue", kEcho, {"p0"}, {11}), "exists");
  expect_error(tenant("x", kEcho, {"p9"}, {11}), "no host port 'p9'");
  expect_error(tenant("x", "FromDevice(p0, METHOD XDP) -> Discard;", {"p0"}, {11}),
               "METHOD: not allowed in a tenant's configuration");
  expect_error(tenant("x", "FromDevice(p0) -> Bogus -> Discard;", {"p0"}, {11}),
               "unknown element class 'Bogus'");
  // Line numbers are the host file's: the text starts at line 10.
  expect_error(tenant("x", "FromDevice(p0) -> Bogus -> Discard;", {"p0"}, {11}), "host.toml:10:");
  expect_error(tenant("x", "FromDevice(p0) -> ToDump(/tmp/x) ;", {"p0"}, {11}), "ToDump");
  expect_error(tenant("x", "FromDevice(p0) -> Discard; FromDevice(p0) -> Discard;", {"p0"}, {11}),
               "a second FromDevice(p0)");
  expect_error(tenant("x y", kEcho, {"p0"}, {11}), "a tenant's name");
  EXPECT_EQ((*host)->tenant_names(), std::vector<std::string>{"blue"});

  // Outside a host, the tenant classes refuse to run.
  auto cfg = graph::parse_config("TenantFromDevice(p0) -> Discard;", "plain.click");
  ASSERT_TRUE(cfg.is_ok());
  auto r = graph::Router::create(*cfg);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("only in a tenant's configuration"), std::string::npos)
      << r.status().message();

  // Two workers: a tenant's ports must share one.
  HostSpec two;
  const std::string a = unique_name("a"), b = unique_name("b");
  two.ports.push_back(PortSpec{"a", a, "shm", 1, std::nullopt, {}});
  two.ports.push_back(PortSpec{"b", b, "shm", 1, std::nullopt, {}});
  two.workers.push_back(WorkerSpec{-1, {"a"}, {}});
  two.workers.push_back(WorkerSpec{-1, {"b"}, {}});
  two.tenants.push_back(tenant("t", "FromDevice(a) -> ToDevice(b);", {"a", "b"}, {}));
  auto h2 = Host::create(two);
  ASSERT_FALSE(h2.is_ok());
  EXPECT_NE(h2.status().message().find("different workers"), std::string::npos)
      << h2.status().message();
}

// Blue is never touched and takes traffic the whole time; green is added and removed, red
// replaced (once with a bad configuration, which changes nothing) under that traffic.
TEST(Host, LiveChangesLoseNothingForTheOthersAndCarryState) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  // Red queues what it gets and sends nothing (yet).
  spec.tenants.push_back(
      tenant("red", "FromDevice(p0) -> c :: Counter -> q :: Queue(100) -> Idle;", {"p0"}, {20}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());

  std::vector<Bytes> red;
  for (std::uint32_t i = 0; i < 5; ++i) red.push_back(frame(kOtherMac, kPeerMac, 20, 9000 + i));
  peer.send(red);
  for (int i = 0; i < 400 && count_of(**host, "red/q.length") < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(count_of(**host, "red/q.length"), 5u);

  std::atomic<bool> control_done{false};
  std::vector<std::string> errors;
  Status bad_replace, good_replace;
  std::uint64_t red_count_before = 0, red_count_after = 0, red_queue_after_bad = 0;
  std::thread control([&] {
    auto check = [&](Status st, const char* what) {
      if (!st.is_ok()) errors.push_back(fmt::format("{}: {}", what, st.message()));
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    check((*host)->add_tenant(tenant("green", kGreenEcho, {"p0"}, {0}, {kGreenMac})), "add");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    bad_replace = (*host)->replace_tenant(
        tenant("red", "FromDevice(p0) -> c :: Counter -> q :: Queue(100) -> Nope;", {"p0"}, {20}));
    red_queue_after_bad = count_of(**host, "red/q.length");
    red_count_before = count_of(**host, "red/c.count");
    good_replace = (*host)->replace_tenant(tenant(
        "red", "FromDevice(p0) -> c :: Counter -> q :: Queue(100) -> ToDevice(p0);", {"p0"}, {20}));
    red_count_after = count_of(**host, "red/c.count");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    check((*host)->remove_tenant("green"), "remove");
    control_done.store(true);
  });

  // Blue's traffic, in rounds, until the control thread is done and a few rounds more.
  std::uint32_t blue_sent = 0;
  std::vector<Bytes> out;
  for (int round = 0; round < 20000; ++round) {
    std::vector<Bytes> in;
    for (int i = 0; i < 16; ++i) in.push_back(frame(kOtherMac, kPeerMac, 10, blue_sent++));
    peer.send(in);
    peer.poll(out);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (control_done.load() && round > 50) break;
  }
  control.join();
  std::vector<Bytes> rest = peer.receive(blue_sent + 5 - out.size());
  out.insert(out.end(), rest.begin(), rest.end());

  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_FALSE(bad_replace.is_ok());
  EXPECT_NE(bad_replace.message().find("unknown element class 'Nope'"), std::string::npos)
      << bad_replace.message();
  EXPECT_EQ(red_queue_after_bad, 5u);  // the bad replacement changed nothing
  EXPECT_TRUE(good_replace.is_ok()) << good_replace.message();
  EXPECT_EQ(red_count_before, 5u);
  EXPECT_EQ(red_count_after, 5u);  // the new Counter took the old one's count

  // Blue lost nothing, in order; red's queued frames came out of its new graph.
  std::vector<std::uint32_t> blue_seqs;
  int red_out = 0;
  for (const Bytes& f : out) {
    if (vlan_of(f) == 10) {
      std::uint32_t seq = 0;
      std::memcpy(&seq, f.data() + 18, 4);
      blue_seqs.push_back(seq);
    } else if (vlan_of(f) == 20) {
      ++red_out;
    }
  }
  ASSERT_EQ(blue_seqs.size(), blue_sent);
  for (std::uint32_t i = 0; i < blue_sent; ++i) ASSERT_EQ(blue_seqs[i], i);
  EXPECT_EQ(red_out, 5);
  const auto st = (*host)->stats();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(find_stats(st, "blue")->total_drops(), 0u);
  EXPECT_EQ(find_stats(st, "blue")->rx_packets, blue_sent);
  EXPECT_EQ(find_stats(st, "blue")->replacements, 0u);
  EXPECT_EQ(find_stats(st, "red")->replacements, 1u);
  EXPECT_EQ(count_of(**host, "blue/c.count"), blue_sent);
  EXPECT_FALSE((*host)->read_handler("green/c.count").is_ok());
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

}  // namespace
}  // namespace uplane::tenant
