// IPFilter and IPClassifier as elements: actions and outputs, the network header
// annotation, malformed and truncated packets, handlers and configuration errors. The
// pattern language itself is tested in ip_filter_parser_test.cc.

#include "elements/classify/ip_filter.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "elements/classify/ip_classifier.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

// The network header annotation at `off`, as CheckIPHeader/MarkIPHeader would set it.
auto nh_at(std::uint32_t off) {
  return [off](mem::Packet& p) { p.set_network_header(p.data() + off); };
}
const auto nh14 = nh_at(14);

Bytes tcp(std::string_view src, std::string_view dst, std::uint16_t sport, std::uint16_t dport,
          std::uint8_t flags = 0x10) {
  return PacketSpec().eth().ipv4(src, dst).tcp(sport, dport, flags).bytes();
}
Bytes udp(std::string_view src, std::string_view dst, std::uint16_t sport, std::uint16_t dport) {
  return PacketSpec().eth().ipv4(src, dst).udp(sport, dport).bytes();
}
Bytes icmp() { return PacketSpec().eth().ipv4().icmp(8).bytes(); }
Bytes esp() { return PacketSpec().eth().ipv4().ip_proto(50).payload_size(16).bytes(); }

std::string sinks(int n) { return output_sinks("f", n); }

// --- IPFilter ---

TEST(IPFilter, ActionsChooseOutputsOrDrop) {
  Harness h("in :: TestSource -> f :: IPFilter(allow tcp, 1 udp, drop icmp, deny ip proto 51);" +
            sinks(2));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes t = tcp("10.0.0.1", "10.0.0.2", 1, 2), u = udp("10.0.0.1", "10.0.0.2", 3, 4);
  h.push("in", {t, u, icmp(), esp(), t}, nh14);
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{2, 1}));
  ASSERT_EQ(h.sink("o0").size(), 2u);
  EXPECT_EQ(h.sink("o0")[0].bytes, t);  // unchanged, annotation kept
  EXPECT_EQ(h.sink("o0")[0].network_header_offset, 14);
  EXPECT_EQ(h.sink("o1")[0].bytes, u);
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 2u);  // icmp by its rule, esp by no rule
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 0u);
}

TEST(IPFilter, FirewallFromClicksDocumentation) {
  // The "interior router" example, with addresses for the AddressInfo names.
  Harness h(
      "in :: TestSource -> f :: IPFilter("
      "  deny src 10.0.0.0/8,"  // Spoof-1
      "  allow src 192.168.1.1 && dst 10.0.0.0/8"
      "     && tcp && src port www && dst port > 1023 && ack,"  // HTTP-2
      "  allow dst 10.0.0.0/8 && tcp && src port 22 && ack,"    // SSH-2
      "  allow dst 10.0.0.0/8 && tcp && dst port 22,"           // SSH-3
      "  allow src 192.168.1.1 && dst 10.0.0.53"
      "     && udp && src port 53 && dst port 53,"  // DNS-2
      "  deny all) -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  const std::vector<Bytes> allowed = {
      tcp("192.168.1.1", "10.0.0.5", 80, 40000, 0x10),  // HTTP reply
      tcp("172.16.0.9", "10.0.0.5", 22, 5000, 0x10),    // SSH reply
      tcp("172.16.0.9", "10.0.0.5", 5000, 22, 0x02),    // SSH in
      udp("192.168.1.1", "10.0.0.53", 53, 53),          // DNS
  };
  const std::vector<Bytes> denied = {
      tcp("10.0.0.9", "10.0.0.5", 5000, 22, 0x02),      // spoofed source
      tcp("192.168.1.1", "10.0.0.5", 80, 1023, 0x10),   // port not > 1023
      tcp("192.168.1.1", "10.0.0.5", 80, 40000, 0x02),  // no ACK
      tcp("172.16.0.9", "10.0.0.5", 22, 5000, 0x02),    // SSH-2 without ACK
      udp("192.168.1.2", "10.0.0.53", 53, 53),          // DNS from elsewhere
      tcp("172.16.0.9", "172.16.0.5", 5000, 22, 0x02),  // not to the inside
      icmp(),
  };
  h.push("in", allowed, nh14);
  h.push("in", denied, nh14);
  ASSERT_EQ(h.sink("out").size(), allowed.size());
  for (std::size_t i = 0; i < allowed.size(); ++i) EXPECT_EQ(h.sink("out")[i].bytes, allowed[i]);
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), denied.size());
}

TEST(IPFilter, PacketsWithoutNetworkHeaderAreDropped) {
  Harness h("in :: TestSource -> f :: IPFilter(allow all) -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {tcp("10.0.0.1", "10.0.0.2", 1, 2)});  // no annotation
  EXPECT_EQ(h.sink("out").size(), 0u);
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 1u);
}

TEST(IPFilter, RuntsAndEmptyPackets) {
  Harness h("in :: TestSource -> f :: IPFilter(allow tcp, allow not tcp) -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes full = tcp("10.0.0.1", "10.0.0.2", 1, 2);
  // With the annotation at 14, packets of 0..14 bytes have no network header in the window.
  std::vector<Bytes> runts;
  for (std::size_t n : {0u, 1u, 13u, 14u}) runts.emplace_back(full.begin(), full.begin() + n);
  h.push("in", runts, nh14);
  EXPECT_EQ(h.sink("out").size(), 0u);
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 4u);
  // 20 and 33 bytes: 6 and 19 bytes of IP header. The protocol byte is the 10th.
  h.push("in", {Bytes(full.begin(), full.begin() + 20), Bytes(full.begin(), full.begin() + 33)},
         nh14);
  ASSERT_EQ(h.sink("out").size(), 2u);  // 'not tcp' on the first, 'tcp' on the second
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 0u);
}

TEST(IPFilter, TruncatedAndMalformedHeadersAreReadSafely) {
  Harness h("in :: TestSource -> f :: IPFilter(0 dst port 80, 1 tcp, 2 -);" + sinks(3));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes full = tcp("10.0.0.1", "10.0.0.2", 1234, 80);
  Bytes truncated(full.begin(), full.begin() + 14 + 20 + 3);  // total length says 40
  Bytes long_len = PacketSpec().eth().ipv4().ip_total_length(1500).tcp(1234, 80).bytes();
  Bytes bad_ihl_small = full;
  bad_ihl_small[14] = 0x43;  // IHL 3: the "transport header" starts at IP byte 12
  Bytes bad_ihl_big = full;
  bad_ihl_big[14] = 0x4f;  // 60 bytes: past the end, no transport header
  Bytes bad_version = full;
  bad_version[14] = 0x65;
  Bytes bad_csum = PacketSpec().eth().ipv4().bad_ip_checksum().tcp(1234, 80).bytes();
  Bytes options =
      PacketSpec().eth().ipv4().ip_options({7, 4, 0, 0, 1, 1, 1, 0}).tcp(1234, 80).bytes();
  h.push("in", {truncated, long_len, bad_ihl_small, bad_ihl_big, bad_version, bad_csum, options},
         nh14);
  // truncated: 3 bytes of TCP header, dst port needs 4 -> 'tcp'. long_len: the bytes are
  // there -> port 80. IHL 3: IP bytes 12..15 read as ports (10.0 / 0.1) -> 'tcp'. IHL 15:
  // no transport header -> 'tcp'. Version and checksum are not IPFilter's business.
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{4, 3, 0}));
  ASSERT_EQ(h.sink("o0").size(), 4u);
  EXPECT_EQ(h.sink("o0")[0].bytes, long_len);
  EXPECT_EQ(h.sink("o0")[1].bytes, bad_version);
  EXPECT_EQ(h.sink("o0")[2].bytes, bad_csum);
  EXPECT_EQ(h.sink("o0")[3].bytes, options);
}

TEST(IPFilter, NetworkHeaderAnywhere) {
  Harness h("in :: TestSource -> f :: IPFilter(allow udp dst port 53) -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes vlan = PacketSpec().eth().vlan(5).ipv4().udp(1, 53).bytes();
  const Bytes bare = [] {
    Bytes b = PacketSpec().eth().ipv4().udp(1, 53).bytes();
    return Bytes(b.begin() + 14, b.end());
  }();
  h.push("in", {vlan}, nh_at(18));
  h.push("in", {bare}, nh_at(0));
  EXPECT_EQ(h.sink("out").size(), 2u);
}

TEST(IPFilter, EtherHostUsesTheBytesBeforeTheIpHeader) {
  Harness h(
      "in :: TestSource -> f :: IPFilter(allow ether src host 00:00:00:00:00:01) -> out :: "
      "TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = udp("10.0.0.1", "10.0.0.2", 1, 2);
  h.push("in", {p}, nh14);
  h.push("in", {Bytes(p.begin() + 14, p.end())}, nh_at(0));  // Ethernet header gone
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 1u);
}

TEST(IPFilter, MixedBatchKeepsOrderPerOutput) {
  Harness h("in :: TestSource -> f :: IPFilter(0 tcp, 1 udp, 2 icmp);" + sinks(3));
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> in;
  for (int i = 0; i < 50; ++i) {
    const auto id = static_cast<std::uint16_t>(i);
    switch (i % 4) {
      case 0:
        in.push_back(PacketSpec().eth().ipv4().ip_id(id).tcp().bytes());
        break;
      case 1:
        in.push_back(PacketSpec().eth().ipv4().ip_id(id).udp().bytes());
        break;
      case 2:
        in.push_back(PacketSpec().eth().ipv4().ip_id(id).icmp().bytes());
        break;
      default:
        in.push_back(PacketSpec().eth().ipv4().ip_id(id).ip_proto(50).bytes());
        break;
    }
  }
  h.push("in", in, nh14);
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{13, 13, 12}));
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 12u);
  for (int port = 0; port < 3; ++port) {
    const auto& out = h.sink("o" + std::to_string(port));
    for (std::size_t k = 0; k < out.size(); ++k) EXPECT_EQ(out[k].bytes, in[4 * k + port]);
  }
}

TEST(IPFilter, ManyOutputs) {
  // Output numbers above 63 take the slow split path.
  std::string rules;
  for (int i = 0; i < 70; ++i)
    rules += (i ? ", " : "") + std::to_string(i) + " ip ttl " + std::to_string(i);
  Harness h("in :: TestSource -> f :: IPFilter(" + rules + ");" + sinks(70));
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> in;
  for (int t : {65, 3, 69, 65, 0, 200})
    in.push_back(PacketSpec().eth().ipv4().ttl(static_cast<std::uint8_t>(t)).udp().bytes());
  h.push("in", in, nh14);
  EXPECT_EQ(h.sink("o65").size(), 2u);
  EXPECT_EQ(h.sink("o69").size(), 1u);
  EXPECT_EQ(h.sink("o3").size(), 1u);
  EXPECT_EQ(h.sink("o0").size(), 1u);
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 1u);
}

TEST(IPFilter, ZeroOutputsDropsEverything) {
  Harness h("in :: TestSource -> f :: IPFilter(drop tcp);");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {tcp("10.0.0.1", "10.0.0.2", 1, 2), icmp()}, nh14);
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 2u);
}

TEST(IPFilter, ProgramHandler) {
  Harness h("in :: TestSource -> f :: IPFilter(allow tcp dst port 80) -> out :: TestSink;");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("f.program"),
            " 0      ip+8/00060000%00ff0000  yes->step 1  no->[X]\n"
            " 1      ip+4/00000000%00001fff  yes->step 2  no->[X]\n"
            " 2  transp+0/00000050%0000ffff  yes->[0]  no->[X]\n"
            "safe length ip 10 transp 4\n");
}

TEST(IPFilterConfig, ErrorsNameThePatternAndTheWord) {
  auto err = [](std::string_view args, int outputs = 1) {
    std::string c =
        "in :: TestSource -> f :: IPFilter(" + std::string(args) + ");" + sinks(outputs);
    return testing::config_error(c);
  };
  std::string e = err("allow tcp, bogus udp");
  EXPECT_NE(e.find("f :: IPFilter"), std::string::npos) << e;
  EXPECT_NE(e.find("pattern 1: unknown slot ID 'bogus'"), std::string::npos) << e;
  e = err("3 tcp", 2);
  EXPECT_NE(e.find("pattern 0: slot '3' out of range"), std::string::npos) << e;
  e = err("allow tcp and foo");
  EXPECT_NE(e.find("pattern 0: empty term near 'foo' (column 15)"), std::string::npos) << e;
  e = err("\"allow (tcp or udp\"");  // quoted: the configuration language balances parentheses
  EXPECT_NE(e.find("pattern 0: missing ')'"), std::string::npos) << e;
  e = err("allow src host 10.0.0.256");
  EXPECT_NE(e.find("pattern 0: 'src ip host': address missing near '10.0.0.256'"),
            std::string::npos)
      << e;
  e = err("allow tcp, , allow udp");
  EXPECT_NE(e.find("empty pattern 1"), std::string::npos) << e;
}

// --- IPClassifier ---

TEST(IPClassifier, PatternsChooseOutputs) {
  Harness h(
      "in :: TestSource -> f :: IPClassifier(10.0.0.0/24 and syn, 10.0.0.0/24 and fin ack,"
      " 10.0.0.0/24 and tcp, -);" +
      sinks(4));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in",
         {tcp("10.0.0.1", "10.9.9.9", 1, 2, 0x02), tcp("10.0.0.1", "10.9.9.9", 1, 2, 0x11),
          tcp("10.0.0.1", "10.9.9.9", 1, 2, 0x10), tcp("10.1.0.1", "10.9.9.9", 1, 2, 0x02),
          udp("10.0.0.1", "10.9.9.9", 1, 2)},
         nh14);
  EXPECT_EQ(sink_counts(h, 4), (std::vector<std::size_t>{1, 1, 1, 2}));
}

TEST(IPClassifier, DropsWhatNoPatternMatches) {
  Harness h(
      "in :: TestSource -> f :: IPClassifier(dst tcp port 8000 or 8080, dst tcp port > 1023, "
      "tcp);" +
      sinks(3));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in",
         {tcp("1.1.1.1", "2.2.2.2", 1, 8080), tcp("1.1.1.1", "2.2.2.2", 1, 9000),
          tcp("1.1.1.1", "2.2.2.2", 1, 80), udp("1.1.1.1", "2.2.2.2", 1, 8080)},
         nh14);
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(h.drops("f", DropReason::kFiltered), 1u);
  h.push("in", {tcp("1.1.1.1", "2.2.2.2", 1, 8080)});  // no annotation
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 1u);
}

TEST(IPClassifier, PatternCountMustEqualOutputs) {
  const std::string e =
      testing::config_error("in :: TestSource -> f :: IPClassifier(tcp, udp, icmp);" + sinks(2));
  EXPECT_NE(e.find("need 2 arguments, one per output port"), std::string::npos) << e;
}

TEST(IPClassifier, ErrorsNameThePattern) {
  const std::string e = testing::config_error(
      "in :: TestSource -> f :: IPClassifier(tcp, udp port http);" + sinks(2));
  EXPECT_NE(e.find("pattern 1: 'port': value missing near 'http' (column 10)"), std::string::npos)
      << e;
}

TEST(IPClassifier, PatternHandlersReadAndReconfigure) {
  Harness h("in :: TestSource -> f :: IPClassifier(tcp, -);" + sinks(2));
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("f.pattern0"), "tcp");
  EXPECT_EQ(h.read("f.pattern1"), "-");
  const Bytes u = udp("1.1.1.1", "2.2.2.2", 1, 2);
  h.push("in", {u}, nh14);
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{0, 1}));

  ASSERT_TRUE(h.write("f.pattern0", "udp\n").is_ok());
  EXPECT_EQ(h.read("f.pattern0"), "udp");
  h.clear_sinks();
  h.push("in", {u}, nh14);
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{1, 0}));

  // A pattern that does not compile changes nothing.
  const std::string before = h.read("f.program");
  const Status st = h.write("f.pattern0", "udp and (");
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("pattern 0: missing expression"), std::string::npos) << st.message();
  EXPECT_EQ(h.read("f.pattern0"), "udp");
  EXPECT_EQ(h.read("f.program"), before);
  h.clear_sinks();
  h.push("in", {u}, nh14);
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{1, 0}));
}

TEST(IPClassifier, ProgramHandler) {
  Harness h("in :: TestSource -> f :: IPClassifier(icmp type echo, -);" + sinks(2));
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("f.program"),
            " 0      ip+8/00010000%00ff0000  yes->step 1  no->[1]\n"
            " 1      ip+4/00000000%00001fff  yes->step 2  no->[1]\n"
            " 2  transp+0/08000000%ff000000  yes->[0]  no->[1]\n"
            "safe length ip 10 transp 1\n");
}

}  // namespace
}  // namespace uplane::elements
