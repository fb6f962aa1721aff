// ICMPError: the error packets are built independently here (PacketSpec for the IP header,
// a reference RFC 1071 checksum for the ICMP message) from what Click's documentation and
// RFC 1812 say; every case in which no error may be sent is checked on its own.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "elements/ip/icmp_error.h"
#include "graph/element.h"
#include "harness.h"
#include "net/ipv4.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

constexpr const char* kSrc = "192.168.0.1";

// RFC 1071, written out plainly: 16-bit big-endian words, end-around carry, complement.
std::uint16_t ref_checksum(const Bytes& b) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    sum += static_cast<std::uint32_t>(b[i] << 8 | (i + 1 < b.size() ? b[i + 1] : 0));
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

// The error ICMPError should send: IP from `src` to `dst`, TTL 200, ID `id`, options
// `opts`; ICMP type, code, the 4 bytes after the checksum, then `quoted`.
Bytes expected_error(const char* src, const char* dst, std::uint16_t id, std::uint8_t type,
                     std::uint8_t code, Bytes rest, const Bytes& quoted, const Bytes& opts = {}) {
  Bytes icmp = {type, code, 0, 0};
  icmp.insert(icmp.end(), rest.begin(), rest.end());
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  const std::uint16_t c = ref_checksum(icmp);
  icmp[2] = static_cast<std::uint8_t>(c >> 8);
  icmp[3] = static_cast<std::uint8_t>(c);
  PacketSpec s;
  s.ipv4(src, dst).ttl(200).ip_id(id).ip_proto(1);
  if (!opts.empty()) s.ip_options(opts);
  return s.payload(icmp).bytes();
}

Bytes offender(const char* src = "10.0.0.1", const char* dst = "10.0.0.2") {
  return PacketSpec().ipv4(src, dst).ttl(1).udp(1234, 53).payload_size(20).bytes();
}

std::string chain(const std::string& args) {
  return "in :: TestSource -> MarkIPHeader -> e :: ICMPError(" + args + ") -> out :: TestSink";
}

TEST(ICMPError, TimeExceeded) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p, p});
  ASSERT_EQ(h.sink("out").size(), 2u);
  const auto& o = h.sink("out")[0];
  EXPECT_EQ(o.bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0}, p));
  EXPECT_EQ(o.dst_ip_anno, raw_ip("10.0.0.1"));
  EXPECT_EQ(o.network_header_offset, 0);
  EXPECT_EQ(o.user_anno[kFixIpSrcAnnoOffset], 1);
  // The IP ID counts up.
  EXPECT_EQ(h.sink("out")[1].bytes, expected_error(kSrc, "10.0.0.1", 2, 11, 0, {0, 0, 0, 0}, p));
}

TEST(ICMPError, NumericTypeAndCode) {
  Harness h(chain("192.168.0.1, 3, 3"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 3, 3, {0, 0, 0, 0}, p));
}

TEST(ICMPError, KeywordsForSrcTypeCode) {
  Harness h(chain("SRC 192.168.0.1, TYPE unreachable, CODE port"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 3, 3, {0, 0, 0, 0}, p));
}

TEST(ICMPError, QuotesFromTheNetworkHeaderUpToMtu) {
  Harness h(
      "in :: TestSource -> MarkIPHeader(14) -> ICMPError(192.168.0.1, timeexceeded) -> a :: "
      "TestSink;"
      " in2 :: TestSource -> MarkIPHeader -> ICMPError(192.168.0.1, timeexceeded, MTU 100)"
      " -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes big = PacketSpec().ipv4().udp().payload_size(1000).bytes();
  Bytes frame = PacketSpec().eth().bytes();
  frame.insert(frame.end(), big.begin(), big.end());
  h.push("in", {frame});
  ASSERT_EQ(h.sink("a").size(), 1u);
  // 576 bytes: 20 IP, 8 ICMP, 548 of the offending datagram (no link header).
  EXPECT_EQ(h.sink("a")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0},
                                                 Bytes(big.begin(), big.begin() + 548)));
  h.push("in2", {big});
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0},
                                                 Bytes(big.begin(), big.begin() + 72)));
}

TEST(ICMPError, NeedFragCarriesPmtu) {
  Harness h(chain("192.168.0.1, unreachable, needfrag, PMTU 1400"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().frag(0x4000).udp().payload_size(30).bytes();
  h.push("in", {p});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            expected_error(kSrc, "10.0.0.1", 1, 3, 4, {0, 0, 0x05, 0x78}, p));
  EXPECT_EQ(h.read("e.pmtu"), "1400\n");
}

TEST(ICMPError, RedirectCarriesTheGatewayAnnotation) {
  Harness h(chain("192.168.0.1, redirect, host"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p}, [](mem::Packet& q) { q.set_dst_ip_anno_raw(raw_ip("10.0.0.254")); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 5, 1, {10, 0, 0, 254}, p));
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, raw_ip("10.0.0.1"));
}

TEST(ICMPError, ParameterProblemPointerFromTheAnnotation) {
  Harness h(
      chain("192.168.0.1, parameterproblem") +
      "; in2 :: TestSource -> MarkIPHeader -> ICMPError(192.168.0.1, parameterproblem, missingopt)"
      " -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  auto set_ptr = [](mem::Packet& q) { q.user_anno()[kIcmpParamProbAnnoOffset] = 9; };
  h.push("in", {p}, set_ptr);
  h.push("in2", {p}, set_ptr);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 12, 0, {9, 0, 0, 0}, p));
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 12, 1, {0, 0, 0, 0}, p));
}

TEST(ICMPError, SetFixAnnoFalse) {
  for (const char* kw : {"SET_FIX_ANNO false", "USE_FIX_ANNO false"}) {
    Harness h(chain(std::string("192.168.0.1, timeexceeded, ") + kw));
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {offender()});
    ASSERT_EQ(h.sink("out").size(), 1u);
    EXPECT_EQ(h.sink("out")[0].user_anno[kFixIpSrcAnnoOffset], 0) << kw;
  }
}

// --- RFC 1812 4.3.2.7: when not to send an error ---

TEST(ICMPError, NoErrorAboutAnIcmpError) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  for (std::uint8_t t : {3, 4, 5, 11, 12})
    h.push("in", {PacketSpec().ipv4().icmp(t, 0).payload_size(28).bytes()});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 5u);
  EXPECT_TRUE(h.sink("out").empty());
  // Queries are answered.
  for (std::uint8_t t : {0, 8, 13})
    h.push("in", {PacketSpec().ipv4().icmp(t, 0).payload_size(8).bytes()});
  EXPECT_EQ(h.sink("out").size(), 3u);
  // An ICMP header cut short of 4 bytes cannot be classified.
  h.push("in", {PacketSpec().ipv4().ip_proto(1).payload({8, 0, 0}).bytes()});
  EXPECT_EQ(h.drops("e", DropReason::kTooShort), 1u);
}

TEST(ICMPError, NoErrorToANonUnicastDestination) {
  Harness h(chain("192.168.0.1, timeexceeded, BADADDRS 10.0.0.255"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {offender("10.0.0.1", "255.255.255.255"), offender("10.0.0.1", "224.0.0.5"),
                offender("10.0.0.1", "239.255.255.255"), offender("10.0.0.1", "10.0.0.255")});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 4u);
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(ICMPError, NoErrorAboutALinkBroadcastOrMulticast) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {offender()},
         [](mem::Packet& p) { p.set_packet_type(mem::PacketType::kBroadcast); });
  h.push("in", {offender()},
         [](mem::Packet& p) { p.set_packet_type(mem::PacketType::kMulticast); });
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 2u);
  h.push("in", {offender()},
         [](mem::Packet& p) { p.set_packet_type(mem::PacketType::kOtherHost); });
  EXPECT_EQ(h.sink("out").size(), 1u);
}

TEST(ICMPError, NoErrorToAnInvalidSource) {
  Harness h(chain("192.168.0.1, timeexceeded, BADADDRS 10.0.0.255 10.1.255.255"));
  ASSERT_TRUE(h.ok()) << h.error();
  for (const char* src : {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.9.9.9", "240.0.0.1",
                          "255.255.255.255", "224.1.1.1", "10.0.0.255", "10.1.255.255"})
    h.push("in", {offender(src)});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 9u);
  EXPECT_TRUE(h.sink("out").empty());
  h.push("in", {offender("1.0.0.0"), offender("223.255.255.254")});
  EXPECT_EQ(h.sink("out").size(), 2u);
}

TEST(ICMPError, BadaddrsByPosition) {
  Harness h(chain("192.168.0.1, timeexceeded, transit, 10.0.0.255"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {offender("10.0.0.255")});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 1u);
}

TEST(ICMPError, OnlyTheFirstFragmentIsAnswered) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes first = PacketSpec().ipv4().frag(0x2000).udp().payload_size(16).bytes();
  h.push("in", {PacketSpec().ipv4().frag(0x0001).payload_size(16).bytes(),
                PacketSpec().ipv4().frag(0x2000 | 0x0100).payload_size(16).bytes(), first});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 2u);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0}, first));
}

// --- source routes (RFC 1812 4.3.2.6, 5.2.7.2) ---

TEST(ICMPError, ReversesTheSourceRouteTravelled) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  // Loose source route through 1.1.1.1 and 2.2.2.2, both visited (pointer 12), then NOP.
  const Bytes both =
      PacketSpec().ipv4().ip_options({131, 11, 12, 1, 1, 1, 1, 2, 2, 2, 2, 1}).udp().bytes();
  // Strict source route, one of two visited (pointer 8).
  const Bytes one =
      PacketSpec().ipv4().ip_options({137, 11, 8, 1, 1, 1, 1, 2, 2, 2, 2, 0}).udp().bytes();
  // None visited yet (pointer 4).
  const Bytes none = PacketSpec().ipv4().ip_options({131, 7, 4, 3, 3, 3, 3, 0}).udp().bytes();
  h.push("in", {both, one, none});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0}, both,
                                                   {131, 11, 4, 2, 2, 2, 2, 1, 1, 1, 1, 0}));
  EXPECT_EQ(h.sink("out")[1].bytes, expected_error(kSrc, "10.0.0.1", 2, 11, 0, {0, 0, 0, 0}, one,
                                                   {137, 7, 4, 1, 1, 1, 1, 0}));
  EXPECT_EQ(h.sink("out")[2].bytes,
            expected_error(kSrc, "10.0.0.1", 3, 11, 0, {0, 0, 0, 0}, none, {131, 3, 4, 0}));
}

TEST(ICMPError, InvalidSourceRoutePointerIsIgnored) {
  Harness h(chain("192.168.0.1, timeexceeded"));
  ASSERT_TRUE(h.ok()) << h.error();
  // Pointer 5 is not a multiple of 4; pointer 16 is past the option.
  const Bytes odd = PacketSpec().ipv4().ip_options({131, 7, 5, 3, 3, 3, 3, 0}).udp().bytes();
  const Bytes past = PacketSpec().ipv4().ip_options({131, 7, 16, 3, 3, 3, 3, 0}).udp().bytes();
  h.push("in", {odd, past});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0}, odd));
  EXPECT_EQ(h.sink("out")[1].bytes, expected_error(kSrc, "10.0.0.1", 2, 11, 0, {0, 0, 0, 0}, past));
}

TEST(ICMPError, NoRedirectForASourceRoutedPacket) {
  Harness h(chain("192.168.0.1, redirect, host"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4().ip_options({131, 7, 4, 3, 3, 3, 3, 0}).udp().bytes()});
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 1u);
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(ICMPError, ParameterProblemAboutTheRouteDropsTheRoute) {
  Harness h(chain("192.168.0.1, parameterproblem, erroratptr"));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().ip_options({1, 131, 7, 8, 3, 3, 3, 3}).udp().bytes();
  // The option starts at byte 21; pointers 21..27 are inside it, 20 (the NOP) is not.
  h.push("in", {p}, [](mem::Packet& q) { q.user_anno()[kIcmpParamProbAnnoOffset] = 23; });
  h.push("in", {p}, [](mem::Packet& q) { q.user_anno()[kIcmpParamProbAnnoOffset] = 20; });
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 12, 0, {23, 0, 0, 0}, p));
  EXPECT_EQ(h.sink("out")[1].bytes, expected_error(kSrc, "10.0.0.1", 2, 12, 0, {20, 0, 0, 0}, p,
                                                   {131, 7, 4, 3, 3, 3, 3, 0}));
}

// --- malformed input, resources, handlers, configuration ---

TEST(ICMPError, MalformedPacketsDropped) {
  Harness h("in :: TestSource -> e :: ICMPError(192.168.0.1, timeexceeded) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {offender()});  // no network header annotation
  EXPECT_EQ(h.drops("e", DropReason::kBadHeader), 1u);
  h.push("in", {Bytes{}}, mark_ip);
  EXPECT_EQ(h.drops("e", DropReason::kBadHeader), 2u);
  h.push("in", {Bytes(1, 0x45), Bytes(13, 0x45), Bytes(14, 0x45), Bytes(19, 0x45)}, mark_ip);
  EXPECT_EQ(h.drops("e", DropReason::kTooShort), 4u);
  Bytes ihl4 = offender();
  ihl4[0] = 0x44;
  Bytes ihl15 = offender();  // 48 bytes claiming a 60-byte header
  ihl15[0] = 0x4f;
  h.push("in", {ihl4, ihl15}, mark_ip);
  EXPECT_EQ(h.drops("e", DropReason::kBadHeader), 3u);
  EXPECT_EQ(h.drops("e", DropReason::kTooShort), 5u);
  h.push("in", {Bytes(33, 0x45)}, [](mem::Packet& p) { p.set_network_header(p.data() + 14); });
  EXPECT_EQ(h.drops("e", DropReason::kTooShort), 6u);
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(ICMPError, EmptyPoolDropsNoMemory) {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 1;
  Harness h(chain("192.168.0.1, timeexceeded"), o);
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {offender()});
  EXPECT_EQ(h.drops("e", DropReason::kNoMemory), 1u);
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(ICMPError, Handlers) {
  Harness h(chain("192.168.0.1, unreachable, needfrag"));
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("e.src"), "192.168.0.1\n");
  EXPECT_EQ(h.read("e.mtu"), "576\n");
  EXPECT_EQ(h.read("e.pmtu"), "0\n");
  EXPECT_TRUE(h.write("e.src", "172.16.0.1").is_ok());
  EXPECT_TRUE(h.write("e.mtu", "100").is_ok());
  EXPECT_TRUE(h.write("e.pmtu", "1280").is_ok());
  EXPECT_FALSE(h.write("e.src", "172.16.0").is_ok());
  EXPECT_FALSE(h.write("e.mtu", "60").is_ok());
  EXPECT_FALSE(h.write("e.mtu", "100000").is_ok());
  EXPECT_FALSE(h.write("e.pmtu", "65536").is_ok());
  EXPECT_EQ(h.read("e.src"), "172.16.0.1\n");
  EXPECT_EQ(h.read("e.mtu"), "100\n");
  const Bytes big = PacketSpec().ipv4().udp().payload_size(200).bytes();
  h.push("in", {big});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            expected_error("172.16.0.1", "10.0.0.1", 1, 3, 4, {0, 0, 0x05, 0x00},
                           Bytes(big.begin(), big.begin() + 72)));
}

TEST(ICMPError, WorksPulled) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> q :: Queue -> e :: ICMPError(192.168.0.1, timeexceeded)"
      " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p, offender("0.0.0.0"), p});
  EXPECT_EQ(h.pull("out"), 2u);
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, expected_error(kSrc, "10.0.0.1", 2, 11, 0, {0, 0, 0, 0}, p));
  EXPECT_EQ(h.drops("e", DropReason::kFiltered), 1u);
}

TEST(ICMPError, BehindDecIPTTL) {
  Harness h(
      "in :: TestSource -> CheckIPHeader -> dt :: DecIPTTL -> out :: TestSink;"
      " dt[1] -> ICMPError(192.168.0.1, timeexceeded) -> err :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = offender();
  h.push("in", {p});
  ASSERT_EQ(h.sink("err").size(), 1u);
  EXPECT_EQ(h.sink("err")[0].bytes, expected_error(kSrc, "10.0.0.1", 1, 11, 0, {0, 0, 0, 0}, p));
}

TEST(ICMPError, ConfigurationErrorsNameTheKeyword) {
  const auto err = config_error_of("ICMPError");
  EXPECT_NE(err("").find("SRC"), std::string::npos);
  EXPECT_NE(err("1.2.3").find("SRC"), std::string::npos);
  EXPECT_NE(err("1.2.3.4").find("TYPE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, echo").find("TYPE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 8").find("not an error type"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 300").find("TYPE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, bogus").find("TYPE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, unreachable, transit").find("CODE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 3, 256").find("CODE"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, 0, 1.2.3").find("BADADDRS"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, MTU 20").find("MTU"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, MTU 5000").find("MTU"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, PMTU 70000").find("PMTU"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, SET_FIX_ANNO x").find("SET_FIX_ANNO"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 11, FROB 1").find("FROB"), std::string::npos);
  EXPECT_EQ(err("1.2.3.4, sourcequench"), "");
  EXPECT_EQ(err("1.2.3.4, timeexceeded, reassembly, 1.1.1.1 2.2.2.2, MTU 68, PMTU 1500"), "");
  EXPECT_EQ(err("1.2.3.4, unreachable, 15"), "");
}

}  // namespace
}  // namespace uplane::elements
