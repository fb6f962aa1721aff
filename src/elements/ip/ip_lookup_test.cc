// LinearIPLookup, StaticIPLookup, RadixIPLookup and DirectIPLookup, run as elements: Click's
// documented behaviour (longest-prefix match on the destination annotation, the gateway
// written into the annotation, the route's output), unrouted packets dropped and counted,
// the handlers and their messages, configuration errors, and every class against a
// brute-force longest-prefix match over thousands of random routes and addresses.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "elements/ip/direct_ip_lookup.h"
#include "elements/ip/ip_lookup_table.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

std::uint32_t ip(const char* s) { return net::Ipv4Addr::parse(s).value().to_host(); }
std::uint32_t raw(std::uint32_t host) { return __builtin_bswap32(host); }
std::string ip_str(std::uint32_t host) { return net::Ipv4Addr::from_host(host).to_string(); }

// A packet whose first four bytes are its id (the lookup elements never read the data).
std::vector<std::uint8_t> packet_with_id(std::uint32_t id) {
  std::vector<std::uint8_t> b(60, 0);
  std::memcpy(b.data(), &id, 4);
  return b;
}
std::uint32_t id_of(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t id;
  std::memcpy(&id, bytes.data(), 4);
  return id;
}

// Pushes one packet per destination (host order), ids 0..n-1, annotations set.
void push_to(Harness& h, const std::vector<std::uint32_t>& dsts) {
  std::vector<std::vector<std::uint8_t>> pkts;
  for (std::uint32_t i = 0; i < dsts.size(); ++i) pkts.push_back(packet_with_id(i));
  h.push("in", pkts, [&](mem::Packet& p) {
    std::uint32_t id;
    std::memcpy(&id, p.data(), 4);
    p.set_dst_ip_anno_raw(raw(dsts[id]));
  });
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

IPRouteTable* table_of(Harness& h) { return dynamic_cast<IPRouteTable*>(h.element("rt")); }

class AllLookups : public ::testing::TestWithParam<std::string> {};
class DynamicLookups : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Lookup, AllLookups,
                         ::testing::Values("LinearIPLookup", "StaticIPLookup", "RadixIPLookup",
                                           "DirectIPLookup"));
INSTANTIATE_TEST_SUITE_P(Lookup, DynamicLookups,
                         ::testing::Values("LinearIPLookup", "RadixIPLookup", "DirectIPLookup"));

// Click's example: the local host and broadcasts to output 0, the local net to output 1,
// everything else to output 1 via the gateway 18.26.4.1.
std::string click_example(const std::string& cls) {
  return "in :: TestSource -> rt :: " + cls +
         "(18.26.4.24/32 0, 18.26.4.255/32 0, 18.26.4.0/32 0, 18.26.4/24 1, "
         "0/0 18.26.4.1 1); rt[0] -> host :: TestSink; rt[1] -> out :: TestSink;";
}

TEST_P(AllLookups, ClickExampleRoutesAndRewritesTheAnnotation) {
  Harness h(click_example(GetParam()));
  ASSERT_TRUE(h.ok()) << h.error();
  push_to(h, {ip("18.26.4.24"), ip("18.26.4.7"), ip("8.8.8.8"), ip("18.26.4.255"), ip("18.26.5.1"),
              ip("18.26.4.0")});
  const auto& host = h.sink("host");
  const auto& out = h.sink("out");
  ASSERT_EQ(host.size(), 3u);
  EXPECT_EQ(id_of(host[0].bytes), 0u);
  EXPECT_EQ(host[0].dst_ip_anno, raw(ip("18.26.4.24")));  // no gateway: unchanged
  EXPECT_EQ(id_of(host[1].bytes), 3u);
  EXPECT_EQ(id_of(host[2].bytes), 5u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(id_of(out[0].bytes), 1u);
  EXPECT_EQ(out[0].dst_ip_anno, raw(ip("18.26.4.7")));
  EXPECT_EQ(id_of(out[1].bytes), 2u);
  EXPECT_EQ(out[1].dst_ip_anno, raw(ip("18.26.4.1")));  // the gateway
  EXPECT_EQ(id_of(out[2].bytes), 4u);
  EXPECT_EQ(out[2].dst_ip_anno, raw(ip("18.26.4.1")));
  EXPECT_EQ(out[0].bytes, packet_with_id(1));  // data untouched
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 0u);
}

TEST_P(AllLookups, UnroutedPacketsAreDroppedAndCounted) {
  Harness h("in :: TestSource -> rt :: " + GetParam() +
            "(10.0.0.0/8 0, 10.1.0.0/16 10.1.0.1 1); rt[0] -> a :: TestSink; rt[1] -> b :: "
            "TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  // One batch mixing both outputs and unrouted addresses (0.0.0.0 included).
  push_to(h, {ip("11.0.0.1"), ip("10.2.0.1"), ip("10.1.9.9"), ip("0.0.0.0"), ip("10.2.0.2"),
              ip("9.255.255.255"), ip("10.1.0.0")});
  ASSERT_EQ(h.sink("a").size(), 2u);
  EXPECT_EQ(id_of(h.sink("a")[0].bytes), 1u);
  EXPECT_EQ(id_of(h.sink("a")[1].bytes), 4u);
  ASSERT_EQ(h.sink("b").size(), 2u);
  EXPECT_EQ(id_of(h.sink("b")[0].bytes), 2u);
  EXPECT_EQ(id_of(h.sink("b")[1].bytes), 6u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw(ip("10.1.0.1")));
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 3u);
}

TEST_P(AllLookups, NoRoutesAndNoOutputsDropsEverything) {
  Harness h("in :: TestSource -> rt :: " + GetParam() + "();");
  ASSERT_TRUE(h.ok()) << h.error();
  push_to(h, {ip("1.2.3.4"), ip("0.0.0.0"), ip("255.255.255.255")});
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 3u);
  EXPECT_EQ(h.read("rt.table"), "");
}

TEST_P(AllLookups, TableHandler) {
  Harness h("in :: TestSource -> rt :: " + GetParam() +
            "(18.26.4/24 1, 0/0 18.26.4.1 1, 18.26.4.24/32 0, 192.168.100.0/24 1.2.3.4 0); "
            "rt[0] -> host :: TestSink; rt[1] -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  // Click's layout: a second tab after a prefix field shorter than 16 characters and after
  // a gateway field shorter than 8.
  const std::string r1 = "18.26.4.0/24\t\t-\t\t1\n";
  const std::string r2 = "0.0.0.0/0\t\t18.26.4.1\t1\n";
  const std::string r3 = "18.26.4.24/32\t\t-\t\t0\n";
  const std::string r4 = "192.168.100.0/24\t1.2.3.4\t\t0\n";
  if (GetParam() == "DirectIPLookup")
    EXPECT_EQ(h.read("rt.table"), r2 + r1 + r3 + r4);  // sorted by address
  else
    EXPECT_EQ(h.read("rt.table"), r1 + r2 + r3 + r4);  // in configuration order
}

TEST_P(AllLookups, FirstRouteForAPrefixWins) {
  Harness h("in :: TestSource -> rt :: " + GetParam() +
            "(10.0.0.0/8 0, 10.9.9.9/8 1, 0/0 1, 0/0 5.5.5.5 0); rt[0] -> a :: TestSink; "
            "rt[1] -> b :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  push_to(h, {ip("10.1.1.1"), ip("11.1.1.1")});
  ASSERT_EQ(h.sink("a").size(), 1u);
  EXPECT_EQ(id_of(h.sink("a")[0].bytes), 0u);
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw(ip("11.1.1.1")));
  EXPECT_EQ(sorted_lines(h.read("rt.table")).size(), 2u);
}

TEST_P(AllLookups, ConfigurationErrors) {
  const std::string cls = GetParam();
  auto error = [&](const std::string& args, int outputs = 2) {
    return config_error("in :: TestSource -> rt :: " + cls + "(" + args + ");" +
                        output_sinks("rt", outputs));
  };
  EXPECT_EQ(error("10.0.0.0/8 1, 0/0 0"), "");

  std::string e = error("10.0.0.0/8 0, 11.0.0.0/8 2");
  EXPECT_NE(e.find("argument 2 bad OUTPUT"), std::string::npos) << e;
  EXPECT_NE(e.find("rt :: " + cls), std::string::npos) << e;
  e = error("10.0.0.0/8 1", 1);
  EXPECT_NE(e.find("argument 1 bad OUTPUT"), std::string::npos) << e;
  e = error("10.0.0.0/8 -1");
  EXPECT_NE(e.find("bad OUTPUT"), std::string::npos) << e;
  e = error("10.0.0.0/8 1", 0);
  EXPECT_NE(e.find("bad OUTPUT"), std::string::npos) << e;

  e = error("10.0.0.300/8 0");
  EXPECT_NE(e.find("argument 1 should be 'ADDR/MASK [GATEWAY] OUTPUT'"), std::string::npos) << e;
  EXPECT_NE(e.find("IP prefix"), std::string::npos) << e;
  e = error("10.0.0.0/8 0, 10.0.0.0/40 1");
  EXPECT_NE(e.find("argument 2 should be"), std::string::npos) << e;
  e = error("10.0.0.0/255.0.255.0 1");
  EXPECT_NE(e.find("not a prefix"), std::string::npos) << e;
  e = error("10.0.0.0/8");
  EXPECT_NE(e.find("missing OUTPUT"), std::string::npos) << e;
  e = error("10.0.0.0/8 10.0.0.1");
  EXPECT_NE(e.find("missing OUTPUT"), std::string::npos) << e;
  e = error("10.0.0.0/8 one");
  EXPECT_NE(e.find("expected OUTPUT"), std::string::npos) << e;
  e = error("10.0.0.0/8 1 1");
  EXPECT_NE(e.find("argument 1 should be"), std::string::npos) << e;
  e = error("10.0.0.0/8 1,, 0/0 0");
  EXPECT_NE(e.find("argument 2 should be"), std::string::npos) << e;
  e = error("10.0.0.0/8 1, FOO 1");
  EXPECT_NE(e.find("unknown keyword 'FOO'"), std::string::npos) << e;
}

TEST_P(AllLookups, OneInputAnyNumberOfOutputs) {
  EXPECT_EQ(testing::config_error("in :: TestSource -> rt :: " + GetParam() +
                                  "(0/0 0) -> a :: TestSink; rt[1] -> b :: TestSink; "
                                  "rt[2] -> c :: TestSink;"),
            "");
  const std::string e = testing::config_error("a :: TestSource -> rt :: " + GetParam() +
                                              "(0/0 0) -> out :: TestSink; "
                                              "b :: TestSource -> [1] rt;");
  EXPECT_FALSE(e.empty());
}

// --- handlers that change routes ---

std::string two_port_config(const std::string& cls, const std::string& routes) {
  return "in :: TestSource -> rt :: " + cls + "(" + routes +
         "); rt[0] -> a :: TestSink; rt[1] -> b :: TestSink;";
}

TEST_P(DynamicLookups, AddSetRemove) {
  Harness h(two_port_config(GetParam(), "0/0 1"));
  ASSERT_TRUE(h.ok()) << h.error();
  IPRouteTable* rt = table_of(h);
  ASSERT_NE(rt, nullptr);
  std::uint32_t gw = 0;

  EXPECT_TRUE(h.write("rt.add", "10.0.0.0/8 0").is_ok());
  EXPECT_EQ(rt->lookup_route(ip("10.1.1.1"), gw), 0);
  EXPECT_EQ(gw, 0u);
  Status st = h.write("rt.add", "10.0.0.0/8 10.0.0.1 1");
  EXPECT_EQ(st.code(), Errc::kAlreadyExists);
  EXPECT_NE(st.message().find("conflict with existing route '10.0.0.0/8 - 0'"), std::string::npos)
      << st.message();
  EXPECT_EQ(rt->lookup_route(ip("10.1.1.1"), gw), 0);  // unchanged

  EXPECT_TRUE(h.write("rt.set", "10.0.0.0/8 10.0.0.1 1").is_ok());
  EXPECT_EQ(rt->lookup_route(ip("10.1.1.1"), gw), 1);
  EXPECT_EQ(gw, ip("10.0.0.1"));
  EXPECT_TRUE(h.write("rt.set", "10.2.0.0/16 0\n").is_ok());  // set of a new prefix adds it
  EXPECT_EQ(rt->lookup_route(ip("10.2.3.4"), gw), 0);

  push_to(h, {ip("10.1.1.1"), ip("10.2.3.4"), ip("1.1.1.1")});
  ASSERT_EQ(h.sink("a").size(), 1u);
  ASSERT_EQ(h.sink("b").size(), 2u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw(ip("10.0.0.1")));
  EXPECT_EQ(h.sink("b")[1].dst_ip_anno, raw(ip("1.1.1.1")));

  // remove: the prefix alone, or with the gateway and output that must match.
  st = h.write("rt.remove", "10.0.0.0/8 - 1");
  EXPECT_EQ(st.code(), Errc::kNotFound);
  EXPECT_NE(st.message().find("route '10.0.0.0/8 - 1' not found"), std::string::npos)
      << st.message();
  st = h.write("rt.remove", "10.0.0.0/16");
  EXPECT_NE(st.message().find("route '10.0.0.0/16 - -1' not found"), std::string::npos)
      << st.message();
  EXPECT_TRUE(h.write("rt.remove", "10.0.0.0/8 10.0.0.1 1").is_ok());
  EXPECT_EQ(rt->lookup_route(ip("10.1.1.1"), gw), 1);  // the default route again
  EXPECT_EQ(gw, 0u);
  EXPECT_TRUE(h.write("rt.remove", "10.2.0.0/16").is_ok());
  EXPECT_TRUE(h.write("rt.remove", "0.0.0.0/0 - 1").is_ok());
  EXPECT_EQ(rt->lookup_route(ip("10.1.1.1"), gw), -1);
  EXPECT_EQ(h.read("rt.table"), "");

  h.clear_sinks();
  push_to(h, {ip("10.1.1.1")});
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 1u);
}

TEST_P(DynamicLookups, HandlerErrors) {
  Harness h(two_port_config(GetParam(), "0/0 1"));
  ASSERT_TRUE(h.ok()) << h.error();
  Status st = h.write("rt.add", "10.0.0.0/8 2");
  EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  EXPECT_NE(st.message().find("bad OUTPUT"), std::string::npos) << st.message();
  st = h.write("rt.add", "10.0.0.0/8");
  EXPECT_NE(st.message().find("expected 'ADDR/MASK [GATEWAY] OUTPUT'"), std::string::npos)
      << st.message();
  st = h.write("rt.add", "bogus 1");
  EXPECT_NE(st.message().find("expected 'ADDR/MASK [GATEWAY] OUTPUT'"), std::string::npos)
      << st.message();
  st = h.write("rt.remove", "10.0.0.0/8 -2");
  EXPECT_NE(st.message().find("bad OUTPUT"), std::string::npos) << st.message();
  st = h.write("rt.remove", "");
  EXPECT_NE(st.message().find("expected 'ADDR/MASK [GATEWAY OUTPUT]'"), std::string::npos)
      << st.message();
  EXPECT_EQ(h.read("rt.table"), "0.0.0.0/0\t\t-\t\t1\n");  // nothing changed
}

TEST_P(DynamicLookups, CtrlAppliesAllOrNothing) {
  Harness h(two_port_config(GetParam(), "1.0.0.0/8 0, 2.0.0.0/8 0, 3.0.0.0/8 1"));
  ASSERT_TRUE(h.ok()) << h.error();
  IPRouteTable* rt = table_of(h);
  std::uint32_t gw = 0;
  const std::vector<std::string> before = sorted_lines(h.read("rt.table"));

  // The third command fails: the first two are undone.
  Status st = h.write("rt.ctrl",
                      "add 4.0.0.0/8 1\nset 1.0.0.0/8 9.9.9.9 1\nremove 2.0.0.0/8 - 1\n"
                      "remove 3.0.0.0/8");
  EXPECT_EQ(st.code(), Errc::kNotFound) << st.message();
  EXPECT_EQ(sorted_lines(h.read("rt.table")), before);
  EXPECT_EQ(rt->lookup_route(ip("4.1.1.1"), gw), -1);
  EXPECT_EQ(rt->lookup_route(ip("1.1.1.1"), gw), 0);
  EXPECT_EQ(gw, 0u);

  st = h.write("rt.ctrl", "remove 3.0.0.0/8\nadd 3.0.0.0/8 0\nfrob 1.0.0.0/8 0");
  EXPECT_NE(st.message().find("bad command 'frob'"), std::string::npos) << st.message();
  EXPECT_EQ(sorted_lines(h.read("rt.table")), before);
  EXPECT_EQ(rt->lookup_route(ip("3.1.1.1"), gw), 1);

  st = h.write("rt.ctrl", "set 2.0.0.0/8 0\nadd 2.0.0.0/8 1");  // conflict after a set
  EXPECT_EQ(st.code(), Errc::kAlreadyExists);
  EXPECT_EQ(sorted_lines(h.read("rt.table")), before);

  // All succeed (blank lines and comments are skipped).
  EXPECT_TRUE(h.write("rt.ctrl",
                      "add 4.0.0.0/8 1\n\n  set 1.0.0.0/8 9.9.9.9 1 // via 9.9.9.9\n"
                      "remove 2.0.0.0/8 - 0\nset 5.0.0.0/8 0\n")
                  .is_ok());
  EXPECT_EQ(rt->lookup_route(ip("4.1.1.1"), gw), 1);
  EXPECT_EQ(rt->lookup_route(ip("1.1.1.1"), gw), 1);
  EXPECT_EQ(gw, ip("9.9.9.9"));
  EXPECT_EQ(rt->lookup_route(ip("2.1.1.1"), gw), -1);
  EXPECT_EQ(rt->lookup_route(ip("5.1.1.1"), gw), 0);
  EXPECT_EQ(sorted_lines(h.read("rt.table")).size(), 4u);
  push_to(h, {ip("1.1.1.1"), ip("2.1.1.1")});
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw(ip("9.9.9.9")));
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 1u);
}

TEST_P(DynamicLookups, TableAfterChanges) {
  Harness h(two_port_config(GetParam(), "1.0.0.0/8 0, 2.0.0.0/8 0, 3.0.0.0/8 1"));
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("rt.remove", "2.0.0.0/8").is_ok());
  ASSERT_TRUE(h.write("rt.add", "4.0.0.0/8 1").is_ok());
  const std::string r1 = "1.0.0.0/8\t\t-\t\t0\n", r3 = "3.0.0.0/8\t\t-\t\t1\n",
                    r4 = "4.0.0.0/8\t\t-\t\t1\n";
  // Linear and Radix reuse the freed slot (Click: the first free one; the last freed one);
  // Direct sorts.
  if (GetParam() == "DirectIPLookup")
    EXPECT_EQ(h.read("rt.table"), r1 + r3 + r4);
  else
    EXPECT_EQ(h.read("rt.table"), r1 + r4 + r3);
}

TEST(LookupHandlers, WhoHasWhat) {
  auto handlers = [](const std::string& cls) {
    Harness h("in :: TestSource -> rt :: " + cls + "(0/0 0) -> out :: TestSink;");
    EXPECT_TRUE(h.ok()) << h.error();
    std::string names;
    for (const char* n : {"table", "add", "set", "remove", "ctrl", "flush"}) {
      const graph::Handler* hd = h.router().find_handler("rt", n);
      if (hd == nullptr) continue;
      names += std::string(n) + (hd->read ? "r" : "") + (hd->write ? "w" : "") + " ";
    }
    return names;
  };
  EXPECT_EQ(handlers("LinearIPLookup"), "tabler addw setw removew ctrlw ");
  EXPECT_EQ(handlers("StaticIPLookup"), "tabler ");
  EXPECT_EQ(handlers("RadixIPLookup"), "tabler addw setw removew ctrlw flushw ");
  EXPECT_EQ(handlers("DirectIPLookup"), "tabler addw setw removew ctrlw flushw ");
}

TEST(LookupHandlers, StaticRejectsChanges) {
  Harness h(
      "in :: TestSource -> rt :: StaticIPLookup(10.0.0.0/8 0, 0/0 1) -> a :: TestSink; "
      "rt[1] -> b :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h.write("rt.add", "11.0.0.0/8 0").is_ok());
  EXPECT_FALSE(h.write("rt.ctrl", "add 11.0.0.0/8 0").is_ok());
  EXPECT_EQ(h.read("rt.table"), "10.0.0.0/8\t\t-\t\t0\n0.0.0.0/0\t\t-\t\t1\n");
}

TEST(LookupHandlers, Flush) {
  for (const char* cls : {"RadixIPLookup", "DirectIPLookup"}) {
    Harness h(two_port_config(cls, "10.0.0.0/8 0, 10.1.2.128/25 1, 0/0 1"));
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_TRUE(h.write("rt.flush", "").is_ok());
    EXPECT_EQ(h.read("rt.table"), "") << cls;
    push_to(h, {ip("10.1.2.129"), ip("10.0.0.1"), ip("1.1.1.1")});
    EXPECT_EQ(h.drops("rt", DropReason::kNoRoute), 3u) << cls;
    EXPECT_TRUE(h.write("rt.add", "10.1.2.128/25 1").is_ok());
    h.clear_sinks();
    push_to(h, {ip("10.1.2.129")});
    EXPECT_EQ(h.sink("b").size(), 1u) << cls;
  }
}

// --- against brute force ---

struct Reference {
  std::map<std::pair<int, std::uint32_t>, IPRoute> routes;  // (length, address)

  // Click's configure and add: the first route for a prefix stays.
  bool add(const IPRoute& r) {
    return routes.emplace(std::make_pair(r.prefix_len(), r.addr), r).second;
  }
  const IPRoute* lookup(std::uint32_t a) const {
    for (int len = 32; len >= 0; --len) {
      auto it = routes.find({len, a & prefix_mask(len)});
      if (it != routes.end()) return &it->second;
    }
    return nullptr;
  }
};

IPRoute random_route(std::mt19937& rng, int outputs) {
  static const std::uint32_t kBases[] = {0x0a000000, 0xc0a80000, 0xac100000, 0x0b000000};
  int len = static_cast<int>(rng() % 33);
  if (len < 8 && rng() % 8 != 0) len += 8;  // short prefixes rare, as in real tables
  std::uint32_t a = (kBases[rng() % 4] & 0xff000000u) | (rng() & 0x00ffffffu);
  if (rng() % 16 == 0) a = rng();
  IPRoute r;
  r.mask = prefix_mask(len);
  r.addr = a & r.mask;
  r.gw = rng() % 2 == 0 ? 0 : (rng() | 1);
  r.port = static_cast<int>(rng() % static_cast<std::uint32_t>(outputs));
  return r;
}

std::vector<std::uint32_t> random_addresses(const Reference& ref, std::mt19937& rng, int n) {
  std::vector<std::uint32_t> out;
  std::vector<IPRoute> rs;
  for (const auto& [k, r] : ref.routes) rs.push_back(r);
  for (int i = 0; i < n; ++i) {
    if (rs.empty() || i % 4 == 0) {
      out.push_back(rng());
      continue;
    }
    // Inside a route, at its edges or just outside.
    const IPRoute& r = rs[rng() % rs.size()];
    const std::uint32_t last = r.addr | ~r.mask;
    switch (rng() % 4) {
      case 0:
        out.push_back(r.addr);
        break;
      case 1:
        out.push_back(last);
        break;
      case 2:
        out.push_back(last + 1);
        break;
      default:
        out.push_back(r.addr | (rng() & ~r.mask));
        break;
    }
  }
  return out;
}

constexpr int kOutputs = 4;

std::string sinks_config() { return output_sinks("rt", kOutputs); }

// Every address: lookup_route() agrees with the reference, and so does a packet pushed
// through the element (its output and its annotation).
void check_against(Harness& h, const Reference& ref, const std::vector<std::uint32_t>& addrs) {
  IPRouteTable* rt = table_of(h);
  ASSERT_NE(rt, nullptr);
  for (std::uint32_t a : addrs) {
    std::uint32_t gw = 0;
    const int port = rt->lookup_route(a, gw);
    const IPRoute* want = ref.lookup(a);
    ASSERT_EQ(port, want == nullptr ? -1 : want->port) << ip_str(a);
    ASSERT_EQ(gw, want == nullptr ? 0 : want->gw) << ip_str(a);
  }
  h.clear_sinks();
  const std::uint64_t dropped_before = h.drops("rt", DropReason::kNoRoute);
  push_to(h, addrs);
  std::vector<int> seen(addrs.size(), -1);
  std::size_t unrouted = 0;
  for (int port = 0; port < kOutputs; ++port) {
    for (const auto& p : h.sink("o" + std::to_string(port))) {
      const std::uint32_t id = id_of(p.bytes);
      ASSERT_LT(id, addrs.size());
      ASSERT_EQ(seen[id], -1);
      seen[id] = port;
      const IPRoute* want = ref.lookup(addrs[id]);
      ASSERT_NE(want, nullptr) << ip_str(addrs[id]);
      ASSERT_EQ(port, want->port) << ip_str(addrs[id]);
      ASSERT_EQ(p.dst_ip_anno, raw(want->gw != 0 ? want->gw : addrs[id])) << ip_str(addrs[id]);
    }
  }
  for (std::size_t i = 0; i < addrs.size(); ++i)
    if (seen[i] < 0) {
      ASSERT_EQ(ref.lookup(addrs[i]), nullptr) << ip_str(addrs[i]);
      ++unrouted;
    }
  EXPECT_EQ(h.drops("rt", DropReason::kNoRoute) - dropped_before, unrouted);
}

TEST_P(AllLookups, MatchesBruteForceOnRandomTables) {
  for (std::uint32_t seed : {11u, 12u}) {
    std::mt19937 rng(seed);
    Reference ref;
    std::string routes;
    for (int i = 0; i < 2500; ++i) {
      const IPRoute r = random_route(rng, kOutputs);
      if (seed == 12 && r.mask == 0) continue;  // one table with no default route
      ref.add(r);
      routes += (routes.empty() ? "" : ", ") + r.unparse();
    }
    Harness h("in :: TestSource -> rt :: " + GetParam() + "(" + routes + ");" + sinks_config());
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_EQ(sorted_lines(h.read("rt.table")).size(), ref.routes.size());
    check_against(h, ref, random_addresses(ref, rng, 6000));
  }
}

TEST_P(DynamicLookups, MatchesBruteForceUnderAddsAndRemoves) {
  std::mt19937 rng(21);
  Reference ref;
  Harness h("in :: TestSource -> rt :: " + GetParam() + "();" + sinks_config());
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<IPRoute> added;
  for (int step = 1; step <= 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 6 || added.empty()) {  // add (or set)
      const IPRoute r = random_route(rng, kOutputs);
      const bool set = rng() % 4 == 0;
      const Status st = h.write(set ? "rt.set" : "rt.add", r.unparse());
      auto key = std::make_pair(r.prefix_len(), r.addr);
      const bool existed = ref.routes.count(key) != 0;
      if (set || !existed) {
        ASSERT_TRUE(st.is_ok()) << st.message();
        if (!existed) added.push_back(r);
        ref.routes[key] = r;
      } else {
        ASSERT_EQ(st.code(), Errc::kAlreadyExists);
      }
    } else {  // remove a route that was added (maybe already gone)
      const std::size_t i = rng() % added.size();
      const IPRoute r = added[i];
      added.erase(added.begin() + static_cast<long>(i));
      auto key = std::make_pair(r.prefix_len(), r.addr);
      const bool exists = ref.routes.count(key) != 0;
      IPRoute req = r;
      if (rng() % 2 == 0) {
        req.port = -1;  // by prefix only
        req.gw = 0;
      } else if (exists) {
        req = ref.routes[key];
      }
      const Status st = h.write("rt.remove", req.unparse());
      if (exists) {
        ASSERT_TRUE(st.is_ok()) << st.message() << " for " << req.unparse();
        ref.routes.erase(key);
      } else {
        ASSERT_EQ(st.code(), Errc::kNotFound);
      }
    }
    if (step % 500 == 0) {
      check_against(h, ref, random_addresses(ref, rng, 1500));
      std::vector<std::string> want;
      for (const auto& [k, r] : ref.routes) want.push_back(r.unparse(true));
      std::sort(want.begin(), want.end());
      ASSERT_EQ(sorted_lines(h.read("rt.table")), want);
    }
  }
  // Everything out again: the tables end empty.
  ASSERT_TRUE(h.write("rt.ctrl",
                      [&] {
                        std::string cmds;
                        for (const auto& [k, r] : ref.routes)
                          cmds += "remove " + r.unparse() + "\n";
                        return cmds;
                      }())
                  .is_ok());
  ref.routes.clear();
  EXPECT_EQ(h.read("rt.table"), "");
  check_against(h, ref, random_addresses(ref, rng, 500));
  if (auto* d = dynamic_cast<DirectIPLookup*>(table_of(h))) {
    EXPECT_EQ(d->routes().trie().nodes_in_use(1), 0u);
    EXPECT_EQ(d->routes().hops().size(), 1u);
  }
}

}  // namespace
}  // namespace uplane::elements
