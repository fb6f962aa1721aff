// The running host (host.h), driven through shared-memory pipe ports: the test holds the
// other end of each host port, injects crafted Ethernet frames and reads what the tenants
// send back. No device, no root.

#include "tenant/host.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "base/cpu.h"
#include "base/unique_fd.h"
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
#include "tenant/host_testing.h"

namespace uplane::tenant {
namespace {

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

// HostOptions::accounting off (uplane host --no-accounting): packets and drops are still
// counted, bytes and cycles are not. With busy_poll the worker never sleeps; it forwards the
// same.
TEST(Host, WithoutAccountingPacketsAreCountedButNotBytesOrCycles) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  HostOptions opt;
  opt.accounting = false;
  opt.busy_poll = true;
  auto host = Host::create(spec, opt);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());
  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 9; ++i) in.push_back(frame(kOtherMac, kPeerMac, 10, i));
  for (std::uint32_t i = 0; i < 2; ++i) in.push_back(frame(kOtherMac, kPeerMac, 99, 20 + i));
  peer.send(in);
  EXPECT_EQ(peer.receive(9).size(), 9u);
  const auto st = (*host)->stats();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].rx_packets, 9u);
  EXPECT_EQ(st[0].tx_packets, 9u);
  EXPECT_EQ(st[0].rx_bytes, 0u);
  EXPECT_EQ(st[0].tx_bytes, 0u);
  EXPECT_EQ(st[0].cycles, 0u);
  EXPECT_EQ(count_of(**host, "blue/c.count"), 9u);
  EXPECT_EQ((*host)->host_stats().unmatched, 2u);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok());
}

// A frames budget: a tenant that hoards frames (a Queue nothing pulls) gets its budget's
// worth and no more; the rest is dropped as over_frames, counted against it alone; the
// others go on; removing it gives every frame back.
TEST(Host, AFramesBudgetCapsWhatATenantHolds) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  TenantSpec hoard =
      tenant("hoard", "FromDevice(p0) -> c :: Counter -> q :: Queue(1000) -> Idle;", {"p0"}, {20});
  hoard.budget.frames = 50;
  spec.tenants.push_back(hoard);
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());

  std::vector<Bytes> in;
  for (std::uint32_t i = 0; i < 120; ++i) in.push_back(frame(kOtherMac, kPeerMac, 20, i));
  peer.send(in);
  auto dropped = [&] {
    const auto st = (*host)->stats();
    return find_stats(st, "hoard")->drop(TenantDrop::kOverFrames);
  };
  for (int i = 0; i < 600 && dropped() < 70; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(dropped(), 70u);
  EXPECT_EQ(count_of(**host, "hoard/c.count"), 50u);
  EXPECT_EQ(count_of(**host, "hoard/q.length"), 50u);
  {
    const auto st = (*host)->stats();
    EXPECT_EQ(find_stats(st, "hoard")->frames, 50);
    EXPECT_EQ(find_stats(st, "hoard")->rx_packets, 50u);
    EXPECT_EQ(find_stats(st, "hoard")->total_drops(), 70u);
    EXPECT_EQ(find_stats(st, "blue")->frames, 0);  // no budget: not counted
  }
  std::vector<Bytes> blue_in;
  for (std::uint32_t i = 0; i < 30; ++i) blue_in.push_back(frame(kOtherMac, kPeerMac, 10, i));
  peer.send(blue_in);
  EXPECT_EQ(peer.receive(30).size(), 30u);
  EXPECT_EQ(find_stats((*host)->stats(), "blue")->total_drops(), 0u);

  // Replaced by a graph that drains: what it held is freed, and it takes frames again.
  TenantSpec drain = hoard;
  drain.click = "FromDevice(p0) -> c :: Counter -> Discard;";
  ASSERT_TRUE((*host)->replace_tenant(drain).is_ok());
  peer.send(in);
  for (int i = 0; i < 600 && count_of(**host, "hoard/c.count") < 170; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(count_of(**host, "hoard/c.count"), 170u);  // the Counter's count carried over
  EXPECT_EQ(find_stats((*host)->stats(), "hoard")->frames, 0);
  EXPECT_EQ(dropped(), 70u);

  ASSERT_TRUE((*host)->remove_tenant("hoard").is_ok());
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

namespace uplane::tenant {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Sends `frames` again and again, one copy every `period`, until `stop`; counts what it sent
// per VLAN (the frames' tags) into `sent`.
void feed(Peer& peer, const std::vector<Bytes>& frames, std::chrono::microseconds period,
          const std::atomic<bool>& stop, std::map<int, std::uint64_t>& sent) {
  auto next = Clock::now();
  for (int i = 0; i < 1'000'000 && !stop.load(); ++i) {
    peer.send(frames);
    for (const Bytes& f : frames) ++sent[vlan_of(f)];
    next += period;
    std::this_thread::sleep_until(next);
  }
}

// Slow, limited to 5000 frames/s of 64 bytes (by `budget`), offered four times that; free
// alongside it, unlimited.
void check_rate_budget(const Budget& budget) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  constexpr std::uint64_t kPps = 5000;
  TenantSpec slow = tenant("slow", "FromDevice(p0) -> c :: Counter -> Discard;", {"p0"}, {10});
  slow.budget = budget;
  spec.tenants.push_back(slow);
  spec.tenants.push_back(
      tenant("free", "FromDevice(p0) -> c :: Counter -> Discard;", {"p0"}, {20}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());

  // Slow gets 32 frames per 1.5 ms (about 21 000/s, four times its budget), free 4.
  std::vector<Bytes> burst;
  for (std::uint32_t i = 0; i < 32; ++i) burst.push_back(frame(kOtherMac, kPeerMac, 10, i));
  for (std::uint32_t i = 0; i < 4; ++i) burst.push_back(frame(kOtherMac, kPeerMac, 20, i));
  std::atomic<bool> stop{false};
  std::map<int, std::uint64_t> sent;
  std::thread feeder([&] { feed(peer, burst, std::chrono::microseconds(1500), stop, sent); });

  // Past the initial burst, a one-second window of slow's count.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::uint64_t n0 = count_of(**host, "slow/c.count");
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::uint64_t n1 = count_of(**host, "slow/c.count");
  const double window = seconds_since(t0);
  stop.store(true);
  feeder.join();
  // Free's frames all arrive (bounded wait).
  for (int i = 0; i < 400 && count_of(**host, "free/c.count") < sent[20]; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const double rate = static_cast<double>(n1 - n0) / window;
  const auto st = (*host)->stats();
  const TenantStats* s = find_stats(st, "slow");
  const TenantStats* f = find_stats(st, "free");
  ASSERT_NE(s, nullptr);
  ASSERT_NE(f, nullptr);
  fmt::print(
      "slow: {:.0f} packets/s through its graph (budget {} packets/s, {} bits/s), "
      "offered {} in all, over_budget drops {}, throttled {} passes, {:.1f} ms\n",
      rate, budget.pps, budget.bps, sent[10], s->drop(TenantDrop::kOverBudget), s->throttled_passes,
      static_cast<double>(s->throttled_ns) / 1e6);
  EXPECT_GT(sent[10], 3 * kPps) << "the feeder fell behind; the test proves nothing";
  EXPECT_NEAR(rate, static_cast<double>(kPps), 0.05 * kPps);
  // What it could not take waited in its ring, then was dropped and counted against it.
  EXPECT_GT(s->drop(TenantDrop::kOverBudget), 0u);
  EXPECT_EQ(s->rx_packets + s->total_drops(), sent[10]);
  EXPECT_GT(s->throttled_passes, 0u);
  EXPECT_GT(s->throttled_ns, 0u);
  // Free lost nothing.
  EXPECT_EQ(count_of(**host, "free/c.count"), sent[20]);
  EXPECT_EQ(f->rx_packets, sent[20]);
  EXPECT_EQ(f->total_drops(), 0u);
  EXPECT_EQ(f->throttled_passes, 0u);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

TEST(HostBudget, PacketsPerSecondHoldAndTheOthersAreUnaffected) {
  Budget b;
  b.pps = 5000;
  check_rate_budget(b);
}

TEST(HostBudget, BitsPerSecondHoldAndTheOthersAreUnaffected) {
  Budget b;
  b.bps = 5000 * 64 * 8;  // 5000 of its 64-byte frames a second
  check_rate_budget(b);
}

TEST(HostBudget, CpuShareCapsTheTenantsCycles) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  constexpr double kShare = 0.0005;  // about 1.5 M cycles/s here: far below what it is offered
  TenantSpec hog =
      tenant("hog", "FromDevice(p0) -> c :: Counter -> Counter -> Counter -> Counter -> Discard;",
             {"p0"}, {10});
  hog.budget.cpu_share = kShare;
  spec.tenants.push_back(hog);
  spec.tenants.push_back(
      tenant("free", "FromDevice(p0) -> c :: Counter -> Discard;", {"p0"}, {20}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());

  std::vector<Bytes> burst;
  for (std::uint32_t i = 0; i < 32; ++i) burst.push_back(frame(kOtherMac, kPeerMac, 10, i));
  for (std::uint32_t i = 0; i < 4; ++i) burst.push_back(frame(kOtherMac, kPeerMac, 20, i));
  std::atomic<bool> stop{false};
  std::map<int, std::uint64_t> sent;
  std::thread feeder([&] { feed(peer, burst, std::chrono::microseconds(1000), stop, sent); });

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::uint64_t c0 = find_stats((*host)->stats(), "hog")->cycles;
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::uint64_t c1 = find_stats((*host)->stats(), "hog")->cycles;
  const double window = seconds_since(t0);
  stop.store(true);
  feeder.join();
  for (int i = 0; i < 400 && count_of(**host, "free/c.count") < sent[20]; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const double used = static_cast<double>(c1 - c0) / (window * cycles_per_second());
  const auto st = (*host)->stats();
  const TenantStats* h = find_stats(st, "hog");
  ASSERT_NE(h, nullptr);
  fmt::print(
      "hog: {:.5f} of the worker's cycles (share {}), {} cycles/packet, over_budget "
      "drops {}\n",
      used, kShare, h->cycles_per_packet, h->drop(TenantDrop::kOverBudget));
  // At most its share, and it was held back: it wanted more. Loose above: a pass the
  // scheduler preempts is charged whole (the bucket goes into debt and repays it later,
  // maybe after the window); quiet runs measure 0.00049-0.00051.
  EXPECT_LE(used, kShare * 2);
  EXPECT_GE(used, kShare * 0.5);
  EXPECT_GT(h->throttled_passes, 0u);
  EXPECT_GT(h->drop(TenantDrop::kOverBudget), 0u);
  EXPECT_EQ(count_of(**host, "free/c.count"), sent[20]);
  EXPECT_EQ(find_stats(st, "free")->total_drops(), 0u);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

TEST(HostBudget, BadBudgetsAreRejected) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  TenantSpec t = tenant("blue", kEcho, {"p0"}, {10});
  t.budget.cpu_share = 1.5;
  Status st = (*host)->add_tenant(t);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("cpu_share 1.5 is outside [0, 1]"), std::string::npos)
      << st.message();
  t.budget.cpu_share = 0;
  t.budget.weight = 1000;
  st = (*host)->add_tenant(t);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("weight 1000 is above 16"), std::string::npos) << st.message();
  EXPECT_TRUE((*host)->tenant_names().empty());
}

// CPU time of the process's other threads (the host's workers: the test thread sleeps
// meanwhile), in seconds.
double process_cpu_seconds() {
  timespec p{}, t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(p.tv_sec - t.tv_sec) +
         static_cast<double>(p.tv_nsec - t.tv_nsec) / 1e9;
}

TEST(HostPolling, AnIdleHostSleepsAndWakesForTheFirstPacket) {
  std::string dev;
  HostSpec spec = one_port_host(&dev);
  spec.tenants.push_back(tenant("blue", kEcho, {"p0"}, {10}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer peer = Peer::open(dev);
  ASSERT_TRUE((*host)->start().is_ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double idle_cpu = (process_cpu_seconds() - cpu0) / seconds_since(t0);

  // The first packet after (well over) 200 ms idle comes back.
  peer.send({frame(kOtherMac, kPeerMac, 10, 77)});
  const auto sent_at = Clock::now();
  std::vector<Bytes> out;
  for (int i = 0; i < 2'000'000 && out.empty() && seconds_since(sent_at) < 1.0; ++i) peer.poll(out);
  const double latency = seconds_since(sent_at);
  fmt::print("idle host: {:.2f}% of a CPU; first packet after idle back in {:.0f} us\n",
             idle_cpu * 100, latency * 1e6);
  // Loose: CI machines are loaded; the figure above is the one to look at.
  EXPECT_LT(idle_cpu, 0.20);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(vlan_of(out[0]), 10);
  EXPECT_LT(latency, 0.5);
  // Changes still reach a sleeping worker promptly.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto c0 = Clock::now();
  ASSERT_TRUE((*host)->write_handler("blue/c.reset_counts", "").is_ok());
  EXPECT_LT(seconds_since(c0), 0.5);
  EXPECT_EQ(count_of(**host, "blue/c.count"), 0u);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

// The same through a port the worker can sleep on (a TAP device: its descriptor), so the
// figures are those of sleeping in ppoll, not of napping. Needs root and /dev/net/tun.
TEST(HostPolling, SleepsOnATapDescriptorAndWakesFast) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates a TAP device";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/net/tun";
  HostSpec spec;
  const std::string dev = fmt::format("uph{}", getpid() % 1000000);
  spec.ports.push_back(PortSpec{"p0", dev, "tap", 1, std::nullopt, {}});
  spec.workers.push_back(WorkerSpec{-1, {"p0"}, {}});
  spec.tenants.push_back(tenant("green", kGreenEcho, {"p0"}, {}, {kGreenMac}));
  auto host = Host::create(spec);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  // The kernel's side of the device.
  UniqueFd s(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)));
  ASSERT_TRUE(s.valid()) << std::strerror(errno);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
  ASSERT_NE(sll.sll_ifindex, 0) << dev;
  ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0)
      << std::strerror(errno);
  ASSERT_TRUE((*host)->start().is_ok());
  // Past the first second of idle, when it sleeps longest.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  const double cpu0 = process_cpu_seconds();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double idle_cpu = (process_cpu_seconds() - cpu0) / seconds_since(t0);

  // Frames to green, each after 200 ms idle; each comes back from green (src green, dst
  // peer, our EtherType and sequence number).
  std::vector<double> latencies;
  for (std::uint32_t seq = 0; seq < 5; ++seq) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const Bytes f = frame(kGreenMac, kPeerMac, -1, 500 + seq);
    const auto sent_at = Clock::now();
    ASSERT_EQ(send(s.get(), f.data(), f.size(), 0), static_cast<ssize_t>(f.size()))
        << std::strerror(errno);
    bool back = false;
    for (int i = 0; i < 100'000 && !back && seconds_since(sent_at) < 1.0; ++i) {
      std::uint8_t buf[2048];
      sockaddr_ll from{};
      socklen_t fl = sizeof from;
      const ssize_t n =
          recvfrom(s.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 0) {
        pollfd pfd{s.get(), POLLIN, 0};
        (void)poll(&pfd, 1, 10);
        continue;
      }
      std::uint32_t got = 0;
      if (from.sll_pkttype == PACKET_OUTGOING || n < 18 || buf[12] != 0x88 || buf[13] != 0xb5)
        continue;
      std::memcpy(&got, buf + 14, 4);
      back = got == 500 + seq && std::equal(kGreenMac.begin(), kGreenMac.end(), buf + 6);
    }
    ASSERT_TRUE(back) << "frame " << seq << " did not come back";
    latencies.push_back(seconds_since(sent_at));
  }
  std::sort(latencies.begin(), latencies.end());
  fmt::print(
      "idle host (TAP port): {:.2f}% of a CPU; first packet after 200 ms idle back in "
      "{:.0f} us (median of 5, worst {:.0f} us, including the kernel both ways)\n",
      idle_cpu * 100, latencies[2] * 1e6, latencies.back() * 1e6);
  EXPECT_LT(idle_cpu, 0.20);
  EXPECT_LT(latencies[2], 0.2);
  (*host)->stop();
  EXPECT_TRUE((*host)->check_frames().is_ok()) << (*host)->check_frames().message();
}

}  // namespace
}  // namespace uplane::tenant
