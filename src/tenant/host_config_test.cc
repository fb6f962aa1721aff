#include "tenant/host_config.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "graph/router.h"

namespace uplane::tenant {
namespace {

namespace fs = std::filesystem;

// Two ports and their default worker: what most cases start from. Lines 1-6.
constexpr std::string_view kPorts = R"([[port]]
name = "p0"
device = "veth0"
[[port]]
name = "p1"
device = "veth1"
)";

// Each case parses "host.toml" in a directory of its own, so that relative paths resolve
// there; messages are compared with that directory taken out.
class HostConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/uplane-host-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void write(const std::string& name, std::string_view text) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  Result<HostSpec> parse(std::string_view text) {
    return parse_host_config(text, path("host.toml"));
  }
  // The error lines, relative to the directory; empty when the text parsed.
  std::vector<std::string> errors(std::string_view text) {
    auto r = parse(text);
    std::vector<std::string> lines;
    if (r.is_ok()) return lines;
    std::string msg = r.status().message();
    const std::string prefix = dir_.string() + "/";
    for (std::size_t at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix, at))
      msg.erase(at, prefix.size());
    std::size_t start = 0;
    while (start <= msg.size()) {
      const std::size_t nl = msg.find('\n', start);
      lines.push_back(msg.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return lines;
  }
  // The one error `text` has.
  std::string error(std::string_view text) {
    auto lines = errors(text);
    EXPECT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
    return lines.empty() ? std::string("(no error)") : lines[0];
  }

  fs::path dir_;
};

// --- a valid host ---

TEST_F(HostConfigTest, FullExampleParsesIntoTheSpec) {
  write("blue.click", "FromDevice(p0) -> Queue -> ToDevice(p0);\n");
  auto r = parse(R"(control = "run/control.sock"
default_tenant = "red"

[[port]]
name = "p0"
device = "veth0"
driver = "xdp"
queues = 2
ring_size = 4096

[[port]]
name = "p1"
device = "veth1"

[[worker]]
cpu = 0
ports = ["p0"]

[[worker]]
ports = ["p1"]

[[tenant]]
name = "blue"
config = "blue.click"
  [tenant.selector]
  ports = ["p0"]
  vlans = [10, 0]
  macs = ["02:00:00:00:00:01", "02-00-00-00-00-0A"]
  [tenant.budget]
  cpu_share = 0.5
  pps = "2.5k"
  bps = "1G"
  frames = 4096
  weight = 2

[[tenant]]
name = "red"
mode = "process"
click = """
FromDevice(p1) -> Discard;
"""
selector.ports = ["p1"]
  [tenant.budget]
  cpu_share = 1
  pps = 100000
  bps = 5000000
)");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const HostSpec& h = *r;
  EXPECT_EQ(h.file, path("host.toml"));
  EXPECT_EQ(h.control, path("run/control.sock"));
  EXPECT_EQ(h.default_tenant, "red");

  ASSERT_EQ(h.ports.size(), 2u);
  EXPECT_EQ(h.ports[0].name, "p0");
  EXPECT_EQ(h.ports[0].device, "veth0");
  EXPECT_EQ(h.ports[0].driver, "xdp");
  EXPECT_EQ(h.ports[0].queues, 2u);
  EXPECT_EQ(h.ports[0].ring_size, 4096u);
  EXPECT_EQ(h.ports[0].where.line, 4u);
  EXPECT_EQ(h.ports[1].driver, "auto");
  EXPECT_EQ(h.ports[1].queues, 1u);
  EXPECT_FALSE(h.ports[1].ring_size.has_value());

  ASSERT_EQ(h.workers.size(), 2u);
  EXPECT_EQ(h.workers[0].cpu, 0);
  EXPECT_EQ(h.workers[0].ports, std::vector<std::string>{"p0"});
  EXPECT_EQ(h.workers[1].cpu, -1);
  EXPECT_EQ(h.workers[1].ports, std::vector<std::string>{"p1"});

  ASSERT_EQ(h.tenants.size(), 2u);
  const TenantSpec& blue = h.tenants[0];
  EXPECT_EQ(blue.name, "blue");
  EXPECT_EQ(blue.mode, TenantMode::kInProcess);
  EXPECT_EQ(blue.click, "FromDevice(p0) -> Queue -> ToDevice(p0);\n");
  EXPECT_EQ(blue.click_file, path("blue.click"));
  EXPECT_EQ(blue.click_line, 1u);
  EXPECT_EQ(blue.selector.ports, std::vector<std::string>{"p0"});
  EXPECT_EQ(blue.selector.vlans, (std::vector<std::uint16_t>{10, 0}));
  ASSERT_EQ(blue.selector.macs.size(), 2u);
  EXPECT_EQ(blue.selector.macs[0], (Mac{0x02, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(blue.selector.macs[1], (Mac{0x02, 0, 0, 0, 0, 0x0a}));
  EXPECT_DOUBLE_EQ(blue.budget.cpu_share, 0.5);
  EXPECT_EQ(blue.budget.pps, 2500u);
  EXPECT_EQ(blue.budget.bps, 1'000'000'000u);
  EXPECT_EQ(blue.budget.frames, 4096u);
  EXPECT_EQ(blue.budget.weight, 2u);
  EXPECT_EQ(blue.where.line, 22u);

  const TenantSpec& red = h.tenants[1];
  EXPECT_EQ(red.mode, TenantMode::kProcess);
  EXPECT_EQ(red.click, "FromDevice(p1) -> Discard;\n");
  EXPECT_EQ(red.click_file, path("host.toml"));
  EXPECT_EQ(red.click_line, 40u);  // the line after `click = """`
  EXPECT_EQ(red.selector.ports, std::vector<std::string>{"p1"});
  EXPECT_DOUBLE_EQ(red.budget.cpu_share, 1.0);
  EXPECT_EQ(red.budget.pps, 100000u);
  EXPECT_EQ(red.budget.bps, 5'000'000u);
  EXPECT_EQ(red.budget.frames, 0u);
  EXPECT_EQ(red.budget.weight, 1u);
}

TEST_F(HostConfigTest, WithoutWorkersOneWorkerPollsEveryPort) {
  auto r = parse(kPorts);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->workers.size(), 1u);
  EXPECT_EQ(r->workers[0].cpu, -1);
  EXPECT_EQ(r->workers[0].ports, (std::vector<std::string>{"p0", "p1"}));
  EXPECT_TRUE(r->tenants.empty());
  EXPECT_TRUE(r->control.empty());
}

TEST_F(HostConfigTest, ConfigPathsAreRelativeToTheTomlFile) {
  write("tenants/blue.click", "FromDevice(p0) -> Discard;\n");
  write("shared.click", "FromDevice(p1) -> Discard;\n");
  const std::string text = std::string(kPorts) + R"(
[[tenant]]
name = "blue"
config = "tenants/blue.click"
selector = { ports = ["p0"] }
[[tenant]]
name = "red"
config = "tenants/../shared.click"
selector = { ports = ["p1"], vlans = [6] }
[[tenant]]
name = "green"
config = ")" + path("shared.click") +
                           R"("
selector = { ports = ["p1"], vlans = [7] }
)";
  auto r = parse(text);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->tenants[0].click_file, path("tenants/blue.click"));
  EXPECT_EQ(r->tenants[0].click, "FromDevice(p0) -> Discard;\n");
  EXPECT_EQ(r->tenants[1].click_file, path("shared.click"));
  EXPECT_EQ(r->tenants[2].click_file, path("shared.click"));
  // Not relative to the working directory: the same file name from elsewhere is missing.
  EXPECT_FALSE(parse_host_config(text, "elsewhere/host.toml").is_ok());
}

TEST_F(HostConfigTest, ReadsTheFileAndNamesItWhenMissing) {
  write("host.toml", kPorts);
  auto r = parse_host_config_file(path("host.toml"));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->ports.size(), 2u);
  auto missing = parse_host_config_file(path("nope.toml"));
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(),
            "cannot read '" + path("nope.toml") + "': No such file or directory");
  auto dir = parse_host_config_file(dir_.string());
  ASSERT_FALSE(dir.is_ok());
  EXPECT_EQ(dir.status().message(), "cannot read '" + dir_.string() + "': it is a directory");
}

// --- TOML, keys and types ---

TEST_F(HostConfigTest, SyntaxErrorNamesItsPosition) {
  EXPECT_EQ(error("[[port]]\nname = \"p0\"\ndevice = veth0\n"),
            "host.toml:3:10: TOML syntax error: Error while parsing value: could not determine "
            "value type");
}

TEST_F(HostConfigTest, UnknownKeysAnywhereAreErrors) {
  const auto e = errors(R"(controll = "/tmp/x"
[[port]]
name = "p0"
device = "veth0"
queus = 2
[[worker]]
ports = ["p0"]
cpus = [1]
[[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
budgett = {}
  [tenant.selector]
  ports = ["p0"]
  vlan = [1]
  [tenant.budget]
  rate = 1
)");
  ASSERT_EQ(e.size(), 6u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:1:1: unknown key 'controll' at the top level: did you mean 'control'? "
            "(expected one of: control, default_tenant, port, worker, tenant)");
  EXPECT_EQ(e[1],
            "host.toml:5:1: unknown key 'queus' in [[port]]: did you mean 'queues'? (expected "
            "one of: name, device, driver, queues, ring_size)");
  EXPECT_EQ(e[2],
            "host.toml:8:1: unknown key 'cpus' in [[worker]]: did you mean 'cpu'? (expected one "
            "of: cpu, ports)");
  EXPECT_EQ(e[3],
            "host.toml:12:1: unknown key 'budgett' in [[tenant]]: did you mean 'budget'? "
            "(expected one of: name, config, click, mode, selector, budget, restart, stall_ms, "
            "trusted, program)");
  EXPECT_EQ(e[4],
            "host.toml:15:3: unknown key 'vlan' in [tenant.selector]: did you mean 'vlans'? "
            "(expected one of: ports, vlans, macs)");
  EXPECT_EQ(e[5],
            "host.toml:17:3: unknown key 'rate' in [tenant.budget]: (expected one of: "
            "cpu_share, pps, bps, frames, weight)");
}

TEST_F(HostConfigTest, WrongTypesSayWhatWasExpected) {
  const auto e = errors(R"(control = 5
[port]
name = "p0"
)");
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "host.toml:1:11: control: expected a string, got an integer");
  EXPECT_EQ(e[1], "host.toml:2:1: 'port': expected an array of tables ([[port]]), got a table");

  const auto f = errors(R"([[port]]
name = 1
device = "veth0"
queues = "2"
[[port]]
name = "p1"
device = "veth1"
ring_size = 2048.0
[[worker]]
ports = "p1"
[[tenant]]
name = "blue"
click = "FromDevice(p1) -> Discard"
selector = ["p1"]
budget = { cpu_share = "half", weight = 1.5 }
)");
  ASSERT_EQ(f.size(), 8u) << ::testing::PrintToString(f);
  EXPECT_EQ(f[0], "host.toml:2:8: port.name: expected a string, got an integer");
  EXPECT_EQ(f[1], "host.toml:4:10: port.queues: expected an integer from 1 to 256, got a string");
  // Port p1 has no worker: the worker's ports did not parse.
  EXPECT_EQ(f[2].substr(0, 36), "host.toml:5:1: port 'p1' is polled b");
  EXPECT_EQ(f[3],
            "host.toml:8:13: port.ring_size: expected a power of two from 64 to 32768, got a "
            "floating-point number");
  EXPECT_EQ(f[4], "host.toml:10:9: worker.ports: expected an array of port names, got a string");
  EXPECT_EQ(f[5],
            "host.toml:14:12: tenant.selector: expected a table ([tenant.selector]), got an "
            "array");
  EXPECT_EQ(f[6],
            "host.toml:15:24: tenant.budget.cpu_share: expected a share of the worker's cycles "
            "in (0, 1], such as 0.25, got \"half\"");
  EXPECT_EQ(f[7],
            "host.toml:15:41: tenant.budget.weight: expected an integer from 1 to 1000000, got "
            "a floating-point number");
}

TEST_F(HostConfigTest, MissingRequiredKeys) {
  const auto e = errors(R"([[port]]
name = "p0"
[[port]]
device = "veth1"
[[worker]]
cpu = 0
[[tenant]]
click = "Idle -> Discard"
[[tenant]]
name = "red"
selector.ports = ["p0"]
)");
  ASSERT_EQ(e.size(), 6u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "host.toml:1:1: [[port]]: missing required key 'device'");
  EXPECT_EQ(e[1],
            "host.toml:1:1: port 'p0' is polled by no worker: add it to a [[worker]]'s "
            "ports");
  EXPECT_EQ(e[2], "host.toml:3:1: [[port]]: missing required key 'name'");
  EXPECT_EQ(e[3], "host.toml:5:1: [[worker]]: missing required key 'ports'");
  EXPECT_EQ(e[4], "host.toml:7:1: [[tenant]]: missing required key 'name'");
  EXPECT_EQ(e[5],
            "host.toml:9:1: [[tenant]]: missing its Click configuration: 'config' (a file) or "
            "'click' (inline text)");
}

TEST_F(HostConfigTest, ConfigAndClickTogetherIsAnError) {
  EXPECT_EQ(error(std::string(kPorts) + R"([[tenant]]
name = "green"
config = "green.click"
click = "Idle -> Discard"
selector.ports = ["p0"]
)"),
            "host.toml:10:9: [[tenant]]: give either 'config' (a file) or 'click' (inline "
            "text), not both");
}

TEST_F(HostConfigTest, NoPortsIsAnError) {
  EXPECT_EQ(error("control = \"/tmp/c.sock\"\n"),
            "host.toml:1:1: no [[port]]: a host needs at least one port");
}

// --- values out of range ---

TEST_F(HostConfigTest, PortValuesOutOfRange) {
  const auto e = errors(R"([[port]]
name = "p0"
device = "veth0"
queues = 0
ring_size = 1000
driver = "dpdk"
[[port]]
name = "p1"
device = "averyveryverylongname"
queues = 257
ring_size = 65536
[[port]]
name = "p2"
driver = "shm"
device = "a-shared-memory-pipe-name"
)");
  ASSERT_EQ(e.size(), 6u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "host.toml:4:10: port.queues: expected an integer from 1 to 256, got 0");
  EXPECT_EQ(e[1],
            "host.toml:5:13: port.ring_size: expected a power of two from 64 to 32768, "
            "got 1000");
  EXPECT_EQ(e[2],
            "host.toml:6:10: port.driver: expected one of auto, xdp, packet, tap, shm, "
            "null, got \"dpdk\"");
  EXPECT_EQ(e[3],
            "host.toml:9:10: port.device: 'averyveryverylongname' is longer than a "
            "Linux interface name can be (15 characters)");
  EXPECT_EQ(e[4], "host.toml:10:10: port.queues: expected an integer from 1 to 256, got 257");
  EXPECT_EQ(e[5],
            "host.toml:11:13: port.ring_size: expected a power of two from 64 to 32768, "
            "got 65536");
}

TEST_F(HostConfigTest, WorkerCpuMustBeInTheProcessCpuSet) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  int allowed = -1, not_allowed = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set) && allowed < 0) allowed = c;
    if (!CPU_ISSET(c, &set)) not_allowed = c;  // the last one: CPU_SETSIZE - 1 here
  }
  ASSERT_GE(allowed, 0);
  ASSERT_GE(not_allowed, 0);
  auto ok = parse(std::string(kPorts) + "[[worker]]\ncpu = " + std::to_string(allowed) +
                  "\nports = [\"p0\", \"p1\"]\n");
  ASSERT_TRUE(ok.is_ok()) << ok.status().message();
  EXPECT_EQ(ok->workers[0].cpu, allowed);

  const std::string bad =
      error(std::string(kPorts) + "[[worker]]\ncpu = " + std::to_string(not_allowed) +
            "\nports = [\"p0\", \"p1\"]\n");
  EXPECT_EQ(bad.substr(0, bad.find(" (allowed")), "host.toml:8:7: worker.cpu: CPU " +
                                                      std::to_string(not_allowed) +
                                                      " is not one this process may run on");
  EXPECT_EQ(error(std::string(kPorts) + "[[worker]]\ncpu = -1\nports = [\"p0\", \"p1\"]\n"),
            "host.toml:8:7: worker.cpu: expected an integer from 0 to 1023, got -1");
}

TEST_F(HostConfigTest, SelectorAndBudgetValuesOutOfRange) {
  const auto e = errors(std::string(kPorts) + R"([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
  [tenant.selector]
  ports = ["p0", "p0"]
  vlans = [4095, -1, 10, 10]
  macs = ["02:00:00:00:00:01", "zz", "02:00:00:00:00:01", "2:0:0:0:0:1"]
  [tenant.budget]
  cpu_share = 0
  pps = 0
  bps = "1X"
  frames = 0
  weight = 0
[[tenant]]
name = "red"
click = "FromDevice(p1) -> Discard"
selector.ports = ["p1"]
budget.cpu_share = 1.5
budget.bps = "1.5"
budget.pps = -3
budget.frames = 4294967296
)");
  ASSERT_EQ(e.size(), 16u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "host.toml:11:18: tenant.selector.ports: port 'p0' is listed twice");
  EXPECT_EQ(e[1],
            "host.toml:12:12: tenant.selector.vlans: expected a VLAN ID from 0 "
            "(untagged) to 4094, got 4095");
  EXPECT_EQ(e[2],
            "host.toml:12:18: tenant.selector.vlans: expected a VLAN ID from 0 "
            "(untagged) to 4094, got -1");
  EXPECT_EQ(e[3], "host.toml:12:26: tenant.selector.vlans: VLAN 10 is listed twice");
  EXPECT_EQ(e[4],
            "host.toml:13:32: tenant.selector.macs: expected a MAC address such as "
            "\"02:00:00:00:00:01\", got \"zz\"");
  EXPECT_EQ(e[5], "host.toml:13:38: tenant.selector.macs: 02:00:00:00:00:01 is listed twice");
  EXPECT_EQ(e[6],
            "host.toml:13:59: tenant.selector.macs: expected a MAC address such as "
            "\"02:00:00:00:00:01\", got \"2:0:0:0:0:1\"");
  EXPECT_EQ(e[7],
            "host.toml:15:15: tenant.budget.cpu_share: expected a share of the "
            "worker's cycles in (0, 1], such as 0.25, got 0");
  EXPECT_EQ(e[8],
            "host.toml:16:9: tenant.budget.pps: expected packets per second from 1 to "
            "10^15, as an integer or a string with a K, M or G suffix (100000, \"2.5M\", "
            "\"1G\"), got 0");
  EXPECT_EQ(e[9],
            "host.toml:17:9: tenant.budget.bps: expected bits per second from 1 to "
            "10^15, as an integer or a string with a K, M or G suffix (100000, \"2.5M\", "
            "\"1G\"), got \"1X\"");
  EXPECT_EQ(e[10],
            "host.toml:18:12: tenant.budget.frames: expected an integer from 1 to "
            "4294967295, got 0");
  EXPECT_EQ(e[11],
            "host.toml:19:12: tenant.budget.weight: expected an integer from 1 to "
            "1000000, got 0");
  EXPECT_EQ(e[12].substr(0, 58), "host.toml:24:20: tenant.budget.cpu_share: expected a share");
  EXPECT_NE(e[12].find("got 1.5"), std::string::npos);
  EXPECT_EQ(e[13].substr(0, 42), "host.toml:25:14: tenant.budget.bps: expect");
  EXPECT_NE(e[13].find("got \"1.5\""), std::string::npos);  // not a whole number
  EXPECT_EQ(e[14].substr(0, 42), "host.toml:26:14: tenant.budget.pps: expect");
  EXPECT_EQ(e[15],
            "host.toml:27:17: tenant.budget.frames: expected an integer from 1 to "
            "4294967295, got 4294967296");
}

TEST_F(HostConfigTest, ProcessTenantKeys) {
  auto h = parse(std::string(kPorts) + R"([[tenant]]
name = "red"
mode = "process"
restart = "on-failure"
stall_ms = 500
trusted = true
program = "/opt/my-tenant"
click = "FromDevice(p1) -> MyOwnElement -> Discard"
selector.ports = ["p1"]
[[tenant]]
name = "blue"
mode = "process"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
)");
  // Its own program may have classes `uplane` does not: not checked here.
  ASSERT_TRUE(h.is_ok()) << h.status().message();
  ASSERT_EQ(h->tenants.size(), 2u);
  const TenantSpec& red = h->tenants[0];
  EXPECT_EQ(red.mode, TenantMode::kProcess);
  EXPECT_EQ(red.restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(red.stall_ms, 500u);
  EXPECT_TRUE(red.trusted);
  EXPECT_EQ(red.program, "/opt/my-tenant");
  const TenantSpec& blue = h->tenants[1];  // the defaults
  EXPECT_EQ(blue.restart, RestartPolicy::kAlways);
  EXPECT_EQ(blue.stall_ms, 2000u);
  EXPECT_FALSE(blue.trusted);
  EXPECT_TRUE(blue.program.empty());

  const auto e = errors(std::string(kPorts) + R"([[tenant]]
name = "red"
mode = "process"
restart = "sometimes"
stall_ms = -1
trusted = "yes"
click = "FromDevice(p1) -> Discard"
selector.ports = ["p1"]
[[tenant]]
name = "blue"
stall_ms = 100
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
)");
  ASSERT_EQ(e.size(), 4u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:10:11: tenant.restart: expected \"always\", \"on-failure\" or \"never\", "
            "got \"sometimes\"");
  EXPECT_EQ(e[1],
            "host.toml:11:12: tenant.stall_ms: expected an integer from 0 to 3600000, got -1");
  EXPECT_EQ(e[2], "host.toml:12:11: tenant.trusted: expected true or false, got a string");
  EXPECT_EQ(e[3], "host.toml:17:12: tenant.stall_ms: only for a tenant of mode \"process\"");
}

TEST_F(HostConfigTest, RatesTakeSuffixes) {
  const auto budget = [&](std::string_view bps) -> std::uint64_t {
    auto r = parse(std::string(kPorts) +
                   "[[tenant]]\nname = \"t\"\nclick = \"FromDevice(p0) "
                   "-> Discard\"\nselector.ports = [\"p0\"]\nbudget.bps = " +
                   std::string(bps) + "\n");
    return r.is_ok() ? r->tenants[0].budget.bps : 0;
  };
  EXPECT_EQ(budget("\"100\""), 100u);
  EXPECT_EQ(budget("\"8k\""), 8'000u);
  EXPECT_EQ(budget("\"8K\""), 8'000u);
  EXPECT_EQ(budget("\"2.5M\""), 2'500'000u);
  EXPECT_EQ(budget("\"10G\""), 10'000'000'000u);
  EXPECT_EQ(budget("\"0.001G\""), 1'000'000u);
  EXPECT_EQ(budget("123456789"), 123456789u);
  EXPECT_EQ(budget("\"1.0001k\""), 0u);  // 1000.1: not a whole number
  EXPECT_EQ(budget("\"1 G\""), 0u);
  EXPECT_EQ(budget("\"G\""), 0u);
  EXPECT_EQ(budget("\"1Gbps\""), 0u);
  EXPECT_EQ(budget("\"2000000G\""), 0u);  // above 10^15
  EXPECT_EQ(budget("1.5"), 0u);
}

TEST_F(HostConfigTest, ControlSocketPath) {
  EXPECT_EQ(error(std::string("control = \"\"\n") + std::string(kPorts)),
            "host.toml:1:11: control: expected the path of a Unix socket, got an empty string "
            "(leave the key out for no control socket)");
  const std::string longer = "/" + std::string(120, 'x');
  EXPECT_EQ(error("control = \"" + longer + "\"\n" + std::string(kPorts)),
            "host.toml:1:11: control: the socket path '" + longer +
                "' is longer than a Unix socket path can be (107 bytes)");
  auto r = parse(std::string("control = \"/run/uplane/c.sock\"\n") + std::string(kPorts));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->control, "/run/uplane/c.sock");
}

// --- names and references ---

TEST_F(HostConfigTest, DuplicateNames) {
  const auto e = errors(R"([[port]]
name = "p0"
device = "veth0"
[[port]]
name = "p0"
device = "veth1"
[[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
selector.vlans = [1]
[[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
selector.vlans = [2]
)");
  ASSERT_EQ(e.size(), 2u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:5:8: port.name: duplicate port name 'p0' (first defined at "
            "host.toml:2:8)");
  EXPECT_EQ(e[1],
            "host.toml:13:8: tenant.name: duplicate tenant name 'blue' (first defined "
            "at host.toml:8:8)");
}

TEST_F(HostConfigTest, NameSyntax) {
  const auto e = errors(std::string(kPorts) + R"([[tenant]]
name = "1blue"
click = "Idle -> Discard"
[[tenant]]
name = "blue/x"
click = "Idle -> Discard"
[[tenant]]
name = ""
click = "Idle -> Discard"
[[tenant]]
name = "Blue_2-b"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
)");
  ASSERT_EQ(e.size(), 3u) << ::testing::PrintToString(e);
  const std::string rule =
      "is not a valid name (a letter, then letters, digits, '_' or '-', at most 64 characters)";
  EXPECT_EQ(e[0], "host.toml:8:8: tenant.name: '1blue' " + rule);
  EXPECT_EQ(e[1], "host.toml:11:8: tenant.name: 'blue/x' " + rule);
  EXPECT_EQ(e[2], "host.toml:14:8: tenant.name: '' " + rule);
  EXPECT_TRUE(is_valid_host_name("Blue_2-b"));
  EXPECT_FALSE(is_valid_host_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_host_name(std::string(64, 'a')));
}

TEST_F(HostConfigTest, WorkersAndPorts) {
  const auto e = errors(R"([[port]]
name = "p0"
device = "veth0"
[[port]]
name = "p1"
device = "veth1"
[[port]]
name = "p2"
device = "veth2"
[[worker]]
ports = ["p0", "p9"]
[[worker]]
ports = ["p1", "p0"]
[[worker]]
ports = []
)");
  ASSERT_EQ(e.size(), 4u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:7:1: port 'p2' is polled by no worker: add it to a [[worker]]'s "
            "ports");
  EXPECT_EQ(e[1], "host.toml:11:16: worker.ports: no port named 'p9' (ports: p0, p1, p2)");
  EXPECT_EQ(e[2],
            "host.toml:13:16: worker.ports: port 'p0' is already polled by the worker "
            "at host.toml:11:10; a port has exactly one worker");
  EXPECT_EQ(e[3], "host.toml:15:9: worker.ports: expected at least one port");
}

TEST_F(HostConfigTest, SelectorNamesUnknownPort) {
  EXPECT_EQ(error(std::string(kPorts) + R"([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0", "eth0"]
)"),
            "host.toml:10:25: tenant.selector.ports: no port named 'eth0' (ports: p0, p1)");
}

TEST_F(HostConfigTest, DefaultTenant) {
  EXPECT_EQ(error(std::string("default_tenant = \"green\"\n") + std::string(kPorts) +
                  R"([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
selector.ports = ["p0"]
)"),
            "host.toml:1:18: default_tenant: no tenant named 'green' (tenants: blue)");
  // The default tenant selects ports as any other (it gets the unmatched frames of those).
  EXPECT_EQ(error(std::string("default_tenant = \"catch\"\n") + std::string(kPorts) +
                  R"([[tenant]]
name = "catch"
click = "FromDevice(p0) -> Discard; FromDevice(p1) -> Discard"
)"),
            "host.toml:8:1: tenant 'catch': [tenant.selector] ports names no host port: a "
            "tenant receives and sends only on the ports it selects");
}

TEST_F(HostConfigTest, TenantPortsShareOneWorker) {
  EXPECT_EQ(error(std::string(kPorts) + R"([[worker]]
ports = ["p0"]
[[worker]]
ports = ["p1"]
[[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard; FromDevice(p1) -> Discard"
selector.ports = ["p0", "p1"]
)"),
            "host.toml:14:1: tenant 'blue': its ports 'p0' and 'p1' are polled by different "
            "workers (host.toml:7:1 and host.toml:9:1); a tenant's ports must share one worker");
}

TEST_F(HostConfigTest, OverlappingSelectorsNameBothTenants) {
  const std::string head = std::string(kPorts);
  // Same port, VLAN sets intersect.
  auto e = errors(head + R"([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
  [tenant.selector]
  ports = ["p0", "p1"]
  vlans = [10, 11]
[[tenant]]
name = "red"
click = "FromDevice(p1) -> Discard"
  [tenant.selector]
  ports = ["p1"]
  vlans = [12, 11]
)");
  ASSERT_EQ(e.size(), 1u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:16:3: the selectors of tenants 'blue' (host.toml:10:3) and 'red' "
            "(host.toml:16:3) overlap: both match frames on port p1, VLAN 11, any MAC");
  // One VLAN set empty (any VLAN); MAC sets intersect.
  e = errors(head + R"([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Discard"
selector = { ports = ["p0"], macs = ["02:00:00:00:00:01", "02:00:00:00:00:02"] }
[[tenant]]
name = "red"
click = "FromDevice(p0) -> Discard"
selector = { ports = ["p0"], vlans = [0], macs = ["02:00:00:00:00:02"] }
)");
  ASSERT_EQ(e.size(), 1u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:14:12: the selectors of tenants 'blue' (host.toml:10:12) and "
            "'red' (host.toml:14:12) overlap: both match frames on port p0, untagged, "
            "destination 02:00:00:00:00:02");
  // Apart: disjoint ports, disjoint VLANs, or disjoint MACs.
  auto ok = parse(head + R"([[tenant]]
name = "a"
click = "FromDevice(p0) -> Discard"
selector = { ports = ["p0"], vlans = [1], macs = ["02:00:00:00:00:01"] }
[[tenant]]
name = "b"
click = "FromDevice(p1) -> Discard"
selector = { ports = ["p1"] }
[[tenant]]
name = "c"
click = "FromDevice(p0) -> Discard"
selector = { ports = ["p0"], vlans = [2] }
[[tenant]]
name = "d"
click = "FromDevice(p0) -> Discard"
selector = { ports = ["p0"], vlans = [1], macs = ["02:00:00:00:00:02"] }
)");
  EXPECT_TRUE(ok.is_ok()) << ok.status().message();
}

TEST_F(HostConfigTest, ReportsEveryErrorUpToABound) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "[[port]]\nname = \"p" + std::to_string(i) + "\"\n";
  const auto e = errors(text);
  ASSERT_EQ(e.size(), kMaxHostConfigErrors + 1);
  EXPECT_EQ(e[0], "host.toml:1:1: [[port]]: missing required key 'device'");
  EXPECT_EQ(e[1], "host.toml:3:1: [[port]]: missing required key 'device'");
  EXPECT_EQ(e.back(), "host.toml: too many errors; stopped after 50");
}

// --- tenants' Click configurations ---

TEST_F(HostConfigTest, InlineClickErrorsPointIntoTheTomlFile) {
  const auto e = errors(std::string(kPorts) + R"([[tenant]]
name = "a"
selector = { ports = ["p0"], vlans = [1] }
click = """
FromDevice(p0)
  -> Counter
  -> ;
"""
[[tenant]]
name = "b"
selector.ports = ["p1"]
click = "FromDevice(p1) -> Bogus"
[[tenant]]
name = "c"
selector.ports = ["p0"]
selector.vlans = [3]
click = '''FromDevice(p0)
-> Discard(]'''
)");
  ASSERT_EQ(e.size(), 3u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0], "host.toml:13:6: syntax error near ';': expected an element");
  EXPECT_EQ(e[1], "host.toml:18:28: unknown element class 'Bogus'");
  EXPECT_EQ(e[2],
            "host.toml:24:11: unterminated configuration string: expected ')' to match "
            "this '('");
}

TEST_F(HostConfigTest, FileClickErrorsPointIntoTheClickFile) {
  write("blue.click", "// blue\nFromDevice(p0)\n  -> Frobnicate\n  -> Discard;\n");
  EXPECT_EQ(error(std::string(kPorts) + R"([[tenant]]
name = "blue"
config = "blue.click"
selector.ports = ["p0"]
)"),
            "blue.click:3:6: unknown element class 'Frobnicate'");
  write("red.click", "FromDevice(p0) -> Discard;\n");
  EXPECT_EQ(error(std::string(kPorts) + R"([[tenant]]
name = "red"
config = "red.click"
selector.ports = ["p1"]
)"),
            "red.click:1:1: FromDevice@1 :: FromDevice: host port 'p0' is not in tenant "
            "'red''s selector (selector.ports: p1), so nothing would arrive here");
}

TEST_F(HostConfigTest, DevicesNameTheTenantsHostPorts) {
  const auto e = errors(std::string(kPorts) + R"([[tenant]]
name = "blue"
selector.ports = ["p0"]
click = """
in :: FromDevice(p0, BURST 8);
in2 :: FromDevice(DEVNAME p0);
in -> Queue -> ToDevice("p0");
in2 -> Queue -> ToDevice(veth0);
none :: FromDevice() -> Discard;
FromDevice(p1) -> Queue -> out :: ToDevice(p1, BURST 8);
odd :: FromDevice(METHOD XDP) -> Discard;
fast :: FromDevice(p0, METHOD XDP) -> Discard;
"""
)");
  ASSERT_EQ(e.size(), 6u) << ::testing::PrintToString(e);
  EXPECT_EQ(e[0],
            "host.toml:14:17: ToDevice@6 :: ToDevice: no host port named 'veth0' (host "
            "ports: p0, p1); in a tenant, ToDevice names a host port, not a device");
  EXPECT_EQ(e[1],
            "host.toml:15:1: none :: FromDevice: expected the name of a host port (one "
            "of: p0, p1)");
  EXPECT_EQ(e[2],
            "host.toml:16:1: FromDevice@9 :: FromDevice: host port 'p1' is not in "
            "tenant 'blue''s selector (selector.ports: p0), so nothing would arrive here");
  EXPECT_EQ(e[3],
            "host.toml:16:28: out :: ToDevice: host port 'p1' is not in tenant "
            "'blue''s selector (selector.ports: p0), so the host would drop everything "
            "sent here");
  EXPECT_EQ(e[4],
            "host.toml:17:1: odd :: FromDevice: expected the name of a host port (one "
            "of: p0, p1)");
  EXPECT_EQ(e[5],
            "host.toml:18:1: fast :: FromDevice: keyword METHOD belongs to the host, "
            "not to a tenant: the host port's driver, queues and ring size are set in "
            "its [[port]]");
}

TEST_F(HostConfigTest, GraphErrorsAreFound) {
  // A port the class does not have: found by building the graph, without configuring it.
  EXPECT_EQ(error(std::string(kPorts) + R"([[tenant]]
name = "blue"
selector.ports = ["p0"]
click = "FromDevice(p0) -> d :: Discard -> Discard"
)"),
            "host.toml:10:41: 'd :: Discard' has no output 0 (Discard takes 0 outputs)");
}

TEST(CheckTenantConfig, UsableOnItsOwn) {
  HostSpec host;
  host.ports.push_back(PortSpec{.name = "p0", .device = "veth0", .driver = "auto"});
  host.ports.push_back(PortSpec{.name = "p1", .device = "veth1", .driver = "auto"});
  TenantSpec t;
  t.name = "blue";
  t.click = "FromDevice(p0) -> Queue -> ToDevice(p1);";
  t.click_file = "api";
  t.selector.ports = {"p0", "p1"};
  EXPECT_TRUE(check_tenant_config(host, t).is_ok());
  t.selector.ports = {"p1"};
  Status st = check_tenant_config(host, t);
  EXPECT_EQ(st.message(),
            "api:1:1: FromDevice@1 :: FromDevice: host port 'p0' is not in tenant 'blue''s "
            "selector (selector.ports: p1), so nothing would arrive here");
  // Text that starts further down its file keeps its lines.
  t.click = "\n\nFromDevice(p1) -> Nope;";
  t.click_line = 7;
  st = check_tenant_config(host, t);
  EXPECT_EQ(st.message(), "api:9:19: unknown element class 'Nope'");
  auto flat = parse_tenant_click(t);
  ASSERT_TRUE(flat.is_ok()) << flat.status().message();
  ASSERT_EQ(flat->elements.size(), 2u);
  EXPECT_EQ(flat->elements[0].where.str(), "api:9:1");
}

TEST(TenantElementName, IsTenantSlashElement) {
  EXPECT_EQ(tenant_element_name("blue", "rt"), "blue/rt");
  EXPECT_EQ(tenant_element_name("red", "cls/inner"), "red/cls/inner");
}

// --- the examples ---

TEST(HostExamples, PassTheCheckAndConfigure) {
  const std::string file = UPLANE_SOURCE_DIR "/examples/host/host.toml";
  auto r = parse_host_config_file(file);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->ports.size(), 2u);
  EXPECT_EQ(r->workers.size(), 1u);
  ASSERT_EQ(r->tenants.size(), 2u);
  EXPECT_EQ(r->tenants[0].name, "blue");
  EXPECT_EQ(r->tenants[1].name, "red");
  EXPECT_EQ(r->tenants[0].click_file, UPLANE_SOURCE_DIR "/examples/host/blue.click");
  // The check does not configure elements (FromDevice would open devices); here the
  // devices are stood in for, and every other element is configured and initialized.
  for (const TenantSpec& t : r->tenants) {
    auto flat = parse_tenant_click(t);
    ASSERT_TRUE(flat.is_ok()) << flat.status().message();
    int devices = 0;
    for (graph::ElementDecl& d : flat->elements) {
      if (d.class_name == "FromDevice" || d.class_name == "ToDevice") {
        d.class_name = d.class_name == "FromDevice" ? "Idle" : "Discard";
        d.config.clear();
        ++devices;
      }
    }
    EXPECT_EQ(devices, 4) << t.name;
    graph::RouterOptions opts;
    opts.pin_threads = false;
    opts.pool.frame_count = 256;
    opts.pool.cache_size = 0;
    auto router = graph::Router::create(*flat, opts);
    EXPECT_TRUE(router.is_ok()) << t.name << ": " << router.status().message();
  }
}

// --- changes to a running host (parse_tenant_change) ---

class TenantChangeTest : public HostConfigTest {
 protected:
  // The running host: blue on p0 VLAN 10.
  HostSpec running() {
    auto h = parse(std::string(kPorts) + R"toml([[tenant]]
name = "blue"
click = "FromDevice(p0) -> ToDevice(p0)"
selector = { ports = ["p0"], vlans = [10] }
)toml");
    EXPECT_TRUE(h.is_ok()) << h.status().message();
    return h.is_ok() ? *h : HostSpec{};
  }
  std::string change_error(std::string_view text, std::string_view replacing = {}) {
    auto t = parse_tenant_change(text, path("change.toml"), running(), replacing);
    if (t.is_ok()) return "(no error)";
    std::string msg = t.status().message();
    const std::string prefix = dir_.string() + "/";
    for (std::size_t at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix, at))
      msg.erase(at, prefix.size());
    return msg;
  }
};

TEST_F(TenantChangeTest, ANewTenantOnAFreeVlanIsAccepted) {
  write("red.click", "FromDevice(p0) -> ToDevice(p0);\n");
  auto t = parse_tenant_change(R"toml([[tenant]]
name = "red"
config = "red.click"
selector = { ports = ["p0"], vlans = [20] }
)toml",
                               path("change.toml"), running());
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->name, "red");
  EXPECT_EQ(t->selector.vlans, std::vector<std::uint16_t>{20});
  EXPECT_EQ(t->click, "FromDevice(p0) -> ToDevice(p0);\n");  // read from beside change.toml
}

TEST_F(TenantChangeTest, ANameAlreadyRunningIsRefused) {
  EXPECT_EQ(change_error(R"toml([[tenant]]
name = "blue"
click = "FromDevice(p0) -> ToDevice(p0)"
selector = { ports = ["p0"], vlans = [30] }
)toml"),
            "change.toml:1:1: tenant.name: a tenant named 'blue' is running already (replace "
            "it, or remove it first)");
}

TEST_F(TenantChangeTest, AnOverlapWithARunningTenantNamesBoth) {
  const std::string e = change_error(R"toml([[tenant]]
name = "red"
click = "FromDevice(p0) -> ToDevice(p0)"
selector = { ports = ["p0"], vlans = [10, 20] }
)toml");
  EXPECT_NE(e.find("the selectors of tenants 'blue'"), std::string::npos) << e;
  EXPECT_NE(e.find("and 'red'"), std::string::npos) << e;
  EXPECT_NE(e.find("VLAN 10"), std::string::npos) << e;
}

TEST_F(TenantChangeTest, AReplacementMayKeepItsOwnSelector) {
  auto t = parse_tenant_change(R"toml([[tenant]]
name = "blue"
click = "FromDevice(p0) -> Counter -> ToDevice(p0)"
selector = { ports = ["p0"], vlans = [10] }
)toml",
                               path("change.toml"), running(), "blue");
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(change_error(R"toml([[tenant]]
name = "green"
click = "FromDevice(p0) -> ToDevice(p0)"
selector = { ports = ["p0"], vlans = [10] }
)toml",
                         "blue"),
            "change.toml:1:1: tenant.name: 'green' does not name the tenant being replaced "
            "('blue')");
}

TEST_F(TenantChangeTest, OnlyOneTenantTableAndNothingElse) {
  EXPECT_EQ(change_error("[[port]]\nname = \"p9\"\ndevice = \"veth9\"\n"),
            "change.toml:1:1: expected exactly one [[tenant]] table\nchange.toml:1:3: unknown "
            "key 'port' in a tenant change (one [[tenant]] table): (expected one of: tenant)");
  EXPECT_NE(change_error("[[tenant]]\nname = \"a\"\n[[tenant]]\nname = \"b\"\n")
                .find("expected exactly one [[tenant]] table"),
            std::string::npos);
  EXPECT_NE(change_error("[[tenant]\n").find("TOML syntax error"), std::string::npos);
}

TEST_F(TenantChangeTest, ATenantConfigurationErrorPointsIntoItsFile) {
  write("bad.click", "FromDevice(p0)\n  -> NoSuchThing -> ToDevice(p0);\n");
  const std::string e = change_error(R"toml([[tenant]]
name = "red"
config = "bad.click"
selector = { ports = ["p0"], vlans = [20] }
)toml");
  EXPECT_NE(e.find("bad.click:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("NoSuchThing"), std::string::npos) << e;
}

}  // namespace
}  // namespace uplane::tenant
