// Out-of-process tenants (tenant_process.h) on a running host: frames through a tenant in
// its own process and back, in copy and zero-copy mode; configuration errors from the
// child; kill -9 under load; a hostile tenant program; a hitless restart under traffic; a
// stalled tenant. The host's ports are shared-memory pipes (host_testing.h); the children
// are the real `uplane tenant` (UPLANE_BINARY) and tenant_hostile (UPLANE_HOSTILE_TENANT).
// After every test the host's pool has every frame back and every gone child's link
// balanced (TenantStats::unbalanced).

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tenant/host.h"
#include "tenant/host_testing.h"

namespace uplane::tenant {
namespace {

constexpr int kRed = 20, kBlue = 10;  // VLANs of the two tenants

HostOptions options() {
  HostOptions o;
  o.tenant_program = UPLANE_BINARY;
  return o;
}

// Two pipe ports, p0 (in) and p1 (out), one worker.
HostSpec two_port_host(std::string* in, std::string* out) {
  HostSpec h;
  *in = unique_name("p0");
  *out = unique_name("p1");
  h.ports.push_back(PortSpec{"p0", *in, "shm", 1, std::nullopt, {}});
  h.ports.push_back(PortSpec{"p1", *out, "shm", 1, std::nullopt, {}});
  h.workers.push_back(WorkerSpec{-1, {"p0", "p1"}, {}});
  h.file = "host.toml";
  return h;
}

TenantSpec forwarder(std::string name, int vlan, bool process) {
  TenantSpec t = tenant(std::move(name), "FromDevice(p0) -> c :: Counter -> ToDevice(p1);",
                        {"p0", "p1"}, {static_cast<std::uint16_t>(vlan)});
  if (process) t.mode = TenantMode::kProcess;
  return t;
}

std::vector<Bytes> frames(int vlan, std::uint32_t first, std::uint32_t n) {
  std::vector<Bytes> v;
  for (std::uint32_t i = 0; i < n; ++i) v.push_back(frame(kOtherMac, kPeerMac, vlan, first + i));
  return v;
}

// Sends `f` and waits (bounded) until `got` holds `want` frames: the test never has more
// than one wave in flight, so a slow child on a busy machine is not a lossy one.
void send_and_wait(Peer& src, Peer& dst, const std::vector<Bytes>& f, std::vector<Bytes>& got,
                   std::size_t want, int ms = 5000) {
  src.send(f);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    dst.poll(got);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::string drops_of(const TenantStats& s) {
  std::string out;
  for (std::size_t r = 0; r < kTenantDropCount; ++r)
    if (s.drops[r] != 0)
      out += fmt::format(" {}={}", tenant_drop_name(static_cast<TenantDrop>(r)), s.drops[r]);
  return out.empty() ? " none" : out;
}

std::size_t count_vlan(const std::vector<Bytes>& v, int vlan) {
  std::size_t n = 0;
  for (const Bytes& f : v) n += vlan_of(f) == vlan;
  return n;
}

TenantStats stats_of(const Host& h, std::string_view name) {
  const auto v = h.stats();
  const TenantStats* s = find_stats(v, name);
  EXPECT_NE(s, nullptr) << name;
  return s != nullptr ? *s : TenantStats{};
}

// Waits (bounded) until `pred` holds for the tenant's stats.
template <typename P>
bool wait_for(const Host& h, std::string_view name, P pred, int ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(stats_of(h, name))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// Stops the host and checks what every test must leave: every frame back where it belongs.
void stop_and_check(Host& h) {
  h.stop();
  const Status frames = h.check_frames();
  EXPECT_TRUE(frames.is_ok()) << frames.message();
  for (const TenantStats& s : h.stats()) {
    EXPECT_EQ(s.unbalanced, 0u) << s.name << ": a gone process's frames did not all come back";
    if (s.process) {
      EXPECT_EQ(s.pid, -1) << s.name << ": its process outlived the host's stop";
    }
  }
}

class ProcessModes : public ::testing::TestWithParam<bool> {};

TEST_P(ProcessModes, FramesCrossTheTenantProcessUnchangedAndInOrder) {
  const bool trusted = GetParam();
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  TenantSpec red = forwarder("red", kRed, true);
  red.trusted = trusted;
  spec.tenants.push_back(red);
  auto host = Host::create(spec, options());
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer src = Peer::open(in), dst = Peer::open(out);
  ASSERT_TRUE((*host)->start().is_ok());
  const TenantStats first = stats_of(**host, "red");
  EXPECT_TRUE(first.process);
  EXPECT_GT(first.pid, 0);
  EXPECT_EQ(first.starts, 1u);

  std::vector<Bytes> want, got;
  for (std::uint32_t wave = 0; wave < 10; ++wave) {
    const std::vector<Bytes> f = frames(kRed, wave * 200, 200);
    want.insert(want.end(), f.begin(), f.end());
    send_and_wait(src, dst, f, got, want.size());
  }
  dst.poll(got);
  ASSERT_EQ(got.size(), want.size()) << "drops:" << drops_of(stats_of(**host, "red"));
  EXPECT_TRUE(got == want) << "bytes out differ from bytes in";

  // The child's own handlers, through the host.
  EXPECT_EQ(count_of(**host, "red/c.count"), 2000u);
  EXPECT_TRUE((*host)->write_handler("red/c.reset_counts", "").is_ok());
  EXPECT_EQ(count_of(**host, "red/c.count"), 0u);
  const Host::HandlerInfo info = (*host)->handler_info("red/c.count");
  EXPECT_TRUE(info.element && info.handler && info.readable && !info.writable);
  EXPECT_FALSE((*host)->read_handler("red/nosuch.count").is_ok());
  EXPECT_EQ(count_of(**host, "red/link.collected"), 2000u);  // the host's part of it

  const TenantStats st = stats_of(**host, "red");
  EXPECT_EQ(st.rx_packets, 2000u);
  EXPECT_EQ(st.tx_packets, 2000u);
  EXPECT_EQ(st.total_drops(), 0u);
  for (std::uint64_t r : st.rejects) EXPECT_EQ(r, 0u);
  EXPECT_EQ(st.ring_faults, 0u);
  EXPECT_EQ(st.deaths, 0u);
  stop_and_check(**host);
}

INSTANTIATE_TEST_SUITE_P(CopyAndZeroCopy, ProcessModes, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "zero_copy" : "copy"; });

TEST(ProcessTenant, TheChildsConfigurationErrorsComeBackAndChangeNothing) {
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  auto host = Host::create(spec, options());
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  ASSERT_TRUE((*host)->start().is_ok());

  TenantSpec bad = forwarder("red", kRed, true);
  bad.click = "FromDevice(p0) -> c :: Counter\n  -> NoSuchElement -> ToDevice(p1);";
  Status st = (*host)->add_tenant(bad);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("host.toml:11:"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("NoSuchElement"), std::string::npos) << st.message();
  EXPECT_TRUE((*host)->tenant_names().empty());

  TenantSpec missing = forwarder("red", kRed, true);
  missing.program = "/nonexistent/uplane";
  st = (*host)->add_tenant(missing);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("could not run '/nonexistent/uplane'"), std::string::npos)
      << st.message();
  EXPECT_TRUE((*host)->tenant_names().empty());

  // Then a good one goes in, and a bad replacement leaves it running as it was.
  ASSERT_TRUE((*host)->add_tenant(forwarder("red", kRed, true)).is_ok());
  const std::int64_t pid = stats_of(**host, "red").pid;
  st = (*host)->replace_tenant(bad);
  EXPECT_FALSE(st.is_ok());
  EXPECT_EQ(stats_of(**host, "red").pid, pid);
  Peer src = Peer::open(in), dst = Peer::open(out);
  src.send(frames(kRed, 0, 100));
  EXPECT_EQ(dst.receive(100).size(), 100u);
  stop_and_check(**host);
}

// kill -9 of a tenant's process under load: the other tenant loses nothing, the host takes
// back every frame the dead process held, restarts it, and its traffic flows again.
TEST(ProcessTenant, KillNineUnderLoadCostsOnlyThatTenant) {
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  spec.tenants.push_back(forwarder("red", kRed, true));
  spec.tenants.push_back(forwarder("blue", kBlue, false));
  auto host = Host::create(spec, options());
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer src = Peer::open(in), dst = Peer::open(out);
  ASSERT_TRUE((*host)->start().is_ok());
  const std::int64_t pid = stats_of(**host, "red").pid;
  ASSERT_GT(pid, 0);

  std::vector<Bytes> got;
  std::uint32_t blue_sent = 0;
  for (std::uint32_t wave = 0; wave < 40; ++wave) {
    if (wave == 10) {
      ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGKILL), 0);
    }
    std::vector<Bytes> f = frames(kRed, wave * 100, 100);
    const std::vector<Bytes> b = frames(kBlue, wave * 100, 100);
    f.insert(f.end(), b.begin(), b.end());
    src.send(f);
    blue_sent += 100;
    dst.poll(got);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(wait_for(**host, "red", [&](const TenantStats& s) {
    return s.starts == 2 && s.pid > 0 && s.pid != pid;
  })) << "red was not restarted";
  // After the restart, red's traffic flows again, all of it.
  src.send(frames(kRed, 100000, 300));
  const std::size_t before = count_vlan(got, kRed);
  const std::vector<Bytes> more = dst.receive(blue_sent - count_vlan(got, kBlue) + 300, 10000);
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(count_vlan(got, kBlue), blue_sent) << "blue lost frames to red's death";
  EXPECT_GE(count_vlan(got, kRed), before + 300);

  const TenantStats red = stats_of(**host, "red");
  EXPECT_EQ(red.deaths, 1u);
  EXPECT_NE(red.last_exit.find("signal 9"), std::string::npos) << red.last_exit;
  // It held frames when it died (at least those waiting on its fill ring): all came back.
  EXPECT_GT(red.frames_reclaimed, 0u);
  EXPECT_EQ(stats_of(**host, "blue").total_drops(), 0u);
  stop_and_check(**host);
}

// A tenant program that hands back indexes out of range, indexes it never had, the same
// index twice, windows past the frame's end, and floods its rings: each is counted, the
// host and the other tenant go on untouched.
TEST(ProcessTenant, AHostileTenantIsCountedAndContained) {
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  TenantSpec evil = forwarder("evil", kRed, true);
  evil.program = UPLANE_HOSTILE_TENANT;
  evil.restart = RestartPolicy::kNever;
  spec.tenants.push_back(evil);
  spec.tenants.push_back(forwarder("blue", kBlue, false));
  auto host = Host::create(spec, options());
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer src = Peer::open(in), dst = Peer::open(out);
  ASSERT_TRUE((*host)->start().is_ok());

  std::vector<Bytes> got;
  for (std::uint32_t wave = 0; wave < 30; ++wave) {
    std::vector<Bytes> f = frames(kRed, wave * 50, 50);
    const std::vector<Bytes> b = frames(kBlue, wave * 50, 50);
    f.insert(f.end(), b.begin(), b.end());
    src.send(f);
    dst.poll(got);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  const std::vector<Bytes> more = dst.receive(1500 - count_vlan(got, kBlue), 5000);
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(count_vlan(got, kBlue), 1500u);
  ASSERT_TRUE(wait_for(**host, "evil", [](const TenantStats& s) {
    return s.rejects[0] != 0 && s.rejects[1] != 0 && s.rejects[2] != 0 && s.rejects[3] != 0;
  })) << "not every kind of bad descriptor was counted";
  const TenantStats e = stats_of(**host, "evil");
  EXPECT_EQ(e.deaths, 0u) << e.last_exit;
  EXPECT_EQ(stats_of(**host, "blue").total_drops(), 0u);
  stop_and_check(**host);
}

// Replacing a process tenant's configuration under traffic: the new process attaches
// before the old one leaves; at most what was in flight (a ring's worth) is lost.
TEST(ProcessTenant, AHitlessRestartLosesAtMostARing) {
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  spec.tenants.push_back(forwarder("red", kRed, true));
  HostOptions o = options();
  o.ingress_ring = 256;  // the link's rings too
  auto host = Host::create(spec, o);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer src = Peer::open(in), dst = Peer::open(out);
  ASSERT_TRUE((*host)->start().is_ok());

  // Traffic keeps flowing while a replacement runs (a thread of its own); each wave waits
  // for the one before it, so only the restarts can lose frames.
  std::vector<Bytes> got;
  std::uint32_t sent = 0;
  std::thread replacer;
  std::atomic<int> replaced{0};
  for (std::uint32_t wave = 0; wave < 60; ++wave) {
    if (wave == 20 || wave == 40) {
      if (replacer.joinable()) replacer.join();
      TenantSpec next = forwarder("red", kRed, true);
      next.click = wave == 20 ? "FromDevice(p0) -> c2 :: Counter -> ToDevice(p1);"
                              : "FromDevice(p0) -> Null -> c3 :: Counter -> ToDevice(p1);";
      replacer = std::thread([&host, next, &replaced] {
        if ((*host)->replace_tenant(next).is_ok()) replaced.fetch_add(1);
      });
    }
    send_and_wait(src, dst, frames(kRed, sent, 64), got, got.size() + 64, 500);
    sent += 64;
  }
  if (replacer.joinable()) replacer.join();
  EXPECT_EQ(replaced.load(), 2);
  const std::vector<Bytes> more = dst.receive(sent - got.size(), 5000);
  got.insert(got.end(), more.begin(), more.end());
  const TenantStats st = stats_of(**host, "red");
  EXPECT_EQ(st.starts, 3u);
  EXPECT_EQ(st.deaths, 0u);
  EXPECT_LE(sent - got.size(), 2u * 256)
      << "lost more than a ring per restart; drops:" << drops_of(st);
  EXPECT_GE(got.size(), sent - 2u * 256);
  // The old processes left on their own, asked to.
  ASSERT_TRUE(wait_for(**host, "red", [](const TenantStats& s) {
    return s.last_exit.find("status 0") != std::string::npos;
  })) << stats_of(**host, "red").last_exit;
  stop_and_check(**host);
}

// A process that stops draining its ring (SIGSTOP) is killed after stall_ms and restarted.
TEST(ProcessTenant, AStalledTenantIsKilledAndRestarted) {
  std::string in, out;
  HostSpec spec = two_port_host(&in, &out);
  TenantSpec red = forwarder("red", kRed, true);
  red.stall_ms = 200;
  spec.tenants.push_back(red);
  HostOptions o = options();
  o.ingress_ring = 256;
  auto host = Host::create(spec, o);
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  Peer src = Peer::open(in), dst = Peer::open(out);
  ASSERT_TRUE((*host)->start().is_ok());
  const std::int64_t pid = stats_of(**host, "red").pid;
  ASSERT_EQ(kill(static_cast<pid_t>(pid), SIGSTOP), 0);
  std::vector<Bytes> got;
  for (std::uint32_t wave = 0; wave < 20; ++wave) {
    src.send(frames(kRed, wave * 100, 100));
    dst.poll(got);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(wait_for(**host, "red", [&](const TenantStats& s) {
    return s.stalls == 1 && s.starts == 2 && s.pid > 0 && s.pid != pid;
  })) << "the stalled tenant was not replaced";
  EXPECT_GT(stats_of(**host, "red").drop(TenantDrop::kLinkFull), 0u);
  got.clear();
  dst.poll(got);
  got.clear();
  src.send(frames(kRed, 5000, 100));
  EXPECT_EQ(dst.receive(100).size(), 100u);
  stop_and_check(**host);
}

}  // namespace
}  // namespace uplane::tenant
