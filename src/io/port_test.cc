// The Port vocabulary (method and link-state names) and open_port's dispatch, including
// METHOD AUTO on a veth: XDP when the XDP driver takes the device, PACKET otherwise, and the
// choice logged once per process.

#include "io/port.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/unique_fd.h"

namespace uplane::io {
namespace {

std::unique_ptr<mem::PacketPool> make_pool() {
  return mem::PacketPool::create({.name = "port-test",
                                  .frame_count = 4096,
                                  .frame_size = 2048,
                                  .headroom = 128,
                                  .cache_size = 64,
                                  .region = {.allow_hugepages = false}})
      .value();
}

TEST(PortMethod, NamesRoundTripAndClickSpellingsParse) {
  for (Method m :
       {Method::kAuto, Method::kXdp, Method::kPacket, Method::kTap, Method::kShm, Method::kNull}) {
    Method back = Method::kAuto;
    ASSERT_TRUE(parse_method(method_name(m), &back)) << method_name(m);
    EXPECT_EQ(back, m);
    std::string lower(method_name(m));
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    back = Method::kAuto;
    ASSERT_TRUE(parse_method(lower, &back)) << lower;
    EXPECT_EQ(back, m);
  }
  EXPECT_EQ(method_name(Method::kXdp), "XDP");
  EXPECT_EQ(method_name(Method::kPacket), "PACKET");
  Method m = Method::kAuto;
  ASSERT_TRUE(parse_method("LINUX", &m));  // Click's name for its packet-socket method
  EXPECT_EQ(m, Method::kPacket);
  ASSERT_TRUE(parse_method("Tap", &m));
  EXPECT_EQ(m, Method::kTap);
  m = Method::kNull;
  for (const char* bad : {"", "PCAP", "XDPX", "PACKETS", "NETMAP", " XDP"}) {
    EXPECT_FALSE(parse_method(bad, &m)) << bad;
  }
  EXPECT_EQ(m, Method::kNull);  // untouched on failure
}

TEST(PortMethod, LinkStateNames) {
  EXPECT_EQ(link_state_name(LinkState::kUnknown), "unknown");
  EXPECT_EQ(link_state_name(LinkState::kDown), "down");
  EXPECT_EQ(link_state_name(LinkState::kUp), "up");
}

TEST(OpenPort, DispatchesToTheNamedDriver) {
  auto pool = make_pool();
  PortConfig c;
  c.device = "sink";
  auto port = open_port(Method::kNull, c, *pool);
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  EXPECT_EQ((*port)->method(), Method::kNull);
  EXPECT_EQ((*port)->device(), "sink");
  mem::Batch b;
  EXPECT_EQ((*port)->rx_burst(b), 32u);
  EXPECT_EQ((*port)->tx_burst(b), 32u);
  const PortCounters k = (*port)->counters();
  EXPECT_EQ(k.rx_packets, 32u);
  EXPECT_EQ(k.tx_packets, 32u);
  (*port)->count_tx_dropped(3);
  EXPECT_EQ((*port)->counters().tx_dropped, 3u);
}

TEST(OpenPort, AMissingDeviceIsNamedWhicheverMethodIsAsked) {
  auto pool = make_pool();
  PortConfig c;
  c.device = "uplmiss" + std::to_string(getpid() % 100000);
  for (Method m : {Method::kPacket, Method::kAuto}) {
    auto port = open_port(m, c, *pool);
    ASSERT_FALSE(port.is_ok()) << method_name(m);
    EXPECT_NE(port.status().message().find(c.device), std::string::npos)
        << method_name(m) << ": " << port.status().message();
  }
  auto port = open_port(Method::kAuto, c, *pool);
  EXPECT_NE(port.status().message().find("XDP"), std::string::npos) << port.status().message();
  EXPECT_NE(port.status().message().find("PACKET"), std::string::npos);
  EXPECT_TRUE(pool->check_no_leaks().is_ok());
}

// --- METHOD AUTO on a veth, in a fresh process (the log-once state is per process) ---

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

class InNetns {
 public:
  explicit InNetns(const std::string& ns)
      : self_(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    UniqueFd target(open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
    ok_ = self_.valid() && target.valid() && setns(target.get(), CLONE_NEWNET) == 0;
  }
  ~InNetns() {
    if (ok_) setns(self_.get(), CLONE_NEWNET);
  }
  bool ok() const { return ok_; }

 private:
  UniqueFd self_;
  bool ok_ = false;
};

// Two namespaces and a veth pair between them, deleted on destruction.
struct AutoBed {
  AutoBed() {
    if (DIR* d = opendir("/run/netns")) {  // what a crashed earlier run left
      while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n.rfind("uplauto", 0) != 0) continue;
        const long pid = std::strtol(n.c_str() + 7, nullptr, 10);
        if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
          sh("ip netns del " + n);
        }
      }
      closedir(d);
    }
    const std::string id = std::to_string(getpid());
    ns_a = "uplauto" + id + "a";
    ns_b = "uplauto" + id + "b";
    dev_a = "vaa" + std::to_string(getpid() % 10000000);
    dev_b = "vab" + std::to_string(getpid() % 10000000);
    ok = sh("ip netns add " + ns_a) && sh("ip netns add " + ns_b) &&
         sh("ip link add " + dev_a + " netns " + ns_a + " type veth peer name " + dev_b +
            " netns " + ns_b) &&
         sh("ip -n " + ns_a + " link set " + dev_a + " up") &&
         sh("ip -n " + ns_b + " link set " + dev_b + " up");
  }
  ~AutoBed() {
    sh("ip netns del " + ns_a);
    sh("ip netns del " + ns_b);
  }
  std::string ns_a, ns_b, dev_a, dev_b;
  bool ok = false;
};

// Stderr of the calling process, to a temporary file, while alive.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(2)) {
    std::fflush(stderr);
    dup2(fileno(file_), 2);
  }
  ~StderrCapture() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::string s;
    std::rewind(file_);
    char buf[512];
    while (std::fgets(buf, sizeof(buf), file_) != nullptr) s += buf;
    return s;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  FILE* file_;
  int saved_;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Runs in the death test's child: 0 when AUTO picked what it should and logged it once.
int auto_on_veth() {
  set_log_level(LogLevel::kInfo);
  AutoBed bed;
  if (!bed.ok) {
    std::fprintf(stderr, "could not build the veth test bed\n");
    return 2;
  }
  auto pool = make_pool();
  InNetns in(bed.ns_a);
  if (!in.ok()) return 3;
  PortConfig c;
  c.device = bed.dev_a;
  // What the faster driver says about this device, asked directly (nothing is logged).
  bool xdp_works;
  std::string xdp_says;
  {
    auto xdp = open_xdp_port(c, *pool);
    xdp_works = xdp.is_ok();
    xdp_says = xdp_works ? "" : xdp.status().message();
  }
  const Method want = xdp_works ? Method::kXdp : Method::kPacket;
  std::string log;
  Method got1 = Method::kAuto;
  Method got2 = Method::kAuto;
  {
    StderrCapture cap;
    {
      auto p1 = open_port(Method::kAuto, c, *pool);
      if (p1) got1 = (*p1)->method();
    }
    auto p2 = open_port(Method::kAuto, c, *pool);
    if (p2) got2 = (*p2)->method();
    log = cap.text();
  }
  const std::string line = fmt::format("METHOD AUTO chose {}", method_name(want));
  int rc = 0;
  if (got1 != want || got2 != want) {
    std::fprintf(stderr, "AUTO chose %s then %s; expected %s (XDP driver: %s)\n",
                 std::string(method_name(got1)).c_str(), std::string(method_name(got2)).c_str(),
                 std::string(method_name(want)).c_str(), xdp_says.c_str());
    rc = 4;
  } else if (count(log, line) != 1 || count(log, bed.dev_a) < 1) {
    std::fprintf(stderr, "expected one line with '%s' naming %s; log was:\n%s", line.c_str(),
                 bed.dev_a.c_str(), log.c_str());
    rc = 5;
  } else if (!xdp_works && log.find("AF_XDP was refused") == std::string::npos) {
    std::fprintf(stderr, "the log does not say why XDP was refused:\n%s", log.c_str());
    rc = 6;
  }
  std::fprintf(stderr, "AUTO on a veth: %s%s%s\n", std::string(method_name(got1)).c_str(),
               xdp_works ? "" : "; XDP refused: ", xdp_says.c_str());
  return rc;
}

TEST(OpenPort, AutoOnAVethPicksTheFastestMethodThatWorksAndLogsItOnce) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces and veths";
  if (!sh("ip -V")) GTEST_SKIP() << "needs iproute2's ip";
  // A re-executed child, so no earlier test in this process has logged the choice already.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(auto_on_veth()), ::testing::ExitedWithCode(0), "AUTO on a veth");
}

}  // namespace
}  // namespace uplane::io
