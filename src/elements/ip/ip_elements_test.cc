// MarkIPHeader, GetIPAddress, SetIPAddress, DecIPTTL and SetIPChecksum. Expected packets
// are built independently with PacketSpec from what Click's documentation says each element
// does; runts and missing annotations go through every element.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"
#include "net/ipv4.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes runt(std::size_t n) { return Bytes(n, 0x45); }

std::uint32_t anno_u32(const testing::OutPacket& o, std::size_t off) {
  std::uint32_t v;
  std::memcpy(&v, o.user_anno.data() + off, 4);
  return v;
}

// --- MarkIPHeader ---

TEST(MarkIPHeader, MarksAtOffset) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> a :: TestSink;"
      " in2 :: TestSource -> MarkIPHeader(14) -> b :: TestSink;"
      " in3 :: TestSource -> MarkIPHeader(OFFSET 4) -> c :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes ip = PacketSpec().ipv4().udp().bytes();
  const Bytes frame = PacketSpec().eth().ipv4().udp().bytes();
  h.push("in", {ip});
  h.push("in2", {frame});
  h.push("in3", {frame});
  ASSERT_EQ(h.sink("a").size(), 1u);
  EXPECT_EQ(h.sink("a")[0].network_header_offset, 0);
  EXPECT_EQ(h.sink("a")[0].bytes, ip);
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].network_header_offset, 14);
  ASSERT_EQ(h.sink("c").size(), 1u);
  EXPECT_EQ(h.sink("c")[0].network_header_offset, 4);
}

TEST(MarkIPHeader, DoesNotValidateTheHeader) {
  Harness h("in :: TestSource -> m :: MarkIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes bad = PacketSpec().ipv4().udp().bad_ip_checksum().bytes();
  bad[0] = 0x63;  // version 6, IHL 3
  h.push("in", {bad});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 0);
}

TEST(MarkIPHeader, RuntsDroppedTooShort) {
  Harness h("in :: TestSource -> m :: MarkIPHeader(14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(0), runt(1), runt(13), runt(14), runt(20), runt(33)});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("m", DropReason::kTooShort), 6u);
  h.push("in", {runt(34)});
  EXPECT_EQ(h.sink("out").size(), 1u);
}

TEST(MarkIPHeader, ConfigurationErrors) {
  EXPECT_NE(config_error("in :: TestSource -> MarkIPHeader(x) -> out :: TestSink").find("OFFSET"),
            std::string::npos);
  EXPECT_NE(config_error("in :: TestSource -> MarkIPHeader(1, 2) -> out :: TestSink"), "");
}

// --- GetIPAddress ---

TEST(GetIPAddress, CopiesFourBytesAtOffset) {
  Harness h(
      "in :: TestSource -> GetIPAddress(16) -> a :: TestSink;"
      " in2 :: TestSource -> GetIPAddress(OFFSET 26) -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4("1.2.3.4", "5.6.7.8").udp().bytes()});
  h.push("in2", {PacketSpec().eth().ipv4("1.2.3.4", "5.6.7.8").udp().bytes()});
  ASSERT_EQ(h.sink("a").size(), 1u);
  EXPECT_EQ(h.sink("a")[0].dst_ip_anno, raw_ip("5.6.7.8"));
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw_ip("1.2.3.4"));
}

TEST(GetIPAddress, IpSrcAndDstFromTheMarkedHeader) {
  Harness h(
      "in :: TestSource -> MarkIPHeader(14) -> GetIPAddress(IP src) -> a :: TestSink;"
      " in2 :: TestSource -> MarkIPHeader(14) -> GetIPAddress(IP dst) -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes frame = PacketSpec().eth().ipv4("1.2.3.4", "5.6.7.8").udp().bytes();
  h.push("in", {frame});
  h.push("in2", {frame});
  ASSERT_EQ(h.sink("a").size(), 1u);
  EXPECT_EQ(h.sink("a")[0].dst_ip_anno, raw_ip("1.2.3.4"));
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, raw_ip("5.6.7.8"));
  EXPECT_EQ(h.sink("b")[0].bytes, frame);
}

TEST(GetIPAddress, AnnoChoosesTheAnnotation) {
  Harness h(
      "in :: TestSource -> GetIPAddress(12, MISC_IP) -> a :: TestSink;"
      " in2 :: TestSource -> MarkIPHeader -> GetIPAddress(IP dst, ANNO 8) -> b :: TestSink;"
      " in3 :: TestSource -> GetIPAddress(16, DST_IP_ANNO) -> c :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4("1.2.3.4", "5.6.7.8").udp().bytes();
  h.push("in", {p});
  h.push("in2", {p});
  h.push("in3", {p});
  ASSERT_EQ(h.sink("a").size(), 1u);
  EXPECT_EQ(anno_u32(h.sink("a")[0], 20), raw_ip("1.2.3.4"));  // Click's MISC_IP offset
  EXPECT_EQ(h.sink("a")[0].dst_ip_anno, 0u);
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(anno_u32(h.sink("b")[0], 8), raw_ip("5.6.7.8"));
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, 0u);
  ASSERT_EQ(h.sink("c").size(), 1u);
  EXPECT_EQ(h.sink("c")[0].dst_ip_anno, raw_ip("5.6.7.8"));
}

TEST(GetIPAddress, RuntsAndMissingHeaders) {
  Harness h(
      "in :: TestSource -> g :: GetIPAddress(16) -> a :: TestSink;"
      " in2 :: TestSource -> g2 :: GetIPAddress(IP dst) -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(0), runt(1), runt(13), runt(14), runt(19)});
  EXPECT_EQ(h.drops("g", DropReason::kTooShort), 5u);
  h.push("in", {runt(20)});
  EXPECT_EQ(h.sink("a").size(), 1u);
  h.push("in2", {PacketSpec().ipv4().udp().bytes()});  // no network header annotation
  EXPECT_EQ(h.drops("g2", DropReason::kBadHeader), 1u);
  h.push("in2", {runt(1), runt(13), runt(19)}, mark_ip);
  EXPECT_EQ(h.drops("g2", DropReason::kTooShort), 3u);
  h.push("in2", {runt(0)}, mark_ip);  // an empty packet has no header to point at
  EXPECT_EQ(h.drops("g2", DropReason::kBadHeader), 2u);
  EXPECT_TRUE(h.sink("b").empty());
}

TEST(GetIPAddress, ConfigurationErrors) {
  const auto err = config_error_of("GetIPAddress");
  EXPECT_NE(err("").find("OFFSET, IP"), std::string::npos);
  EXPECT_NE(err("16, IP src").find("OFFSET, IP"), std::string::npos);
  EXPECT_NE(err("IP foo").find("IP"), std::string::npos);
  EXPECT_NE(err("16, PAINT").find("ANNO"), std::string::npos);
  EXPECT_NE(err("16, ANNO 45").find("ANNO"), std::string::npos);
  EXPECT_NE(err("x").find("OFFSET"), std::string::npos);
  EXPECT_EQ(err("16, ANNO 44"), "");
  EXPECT_EQ(err("IP src, ANNO AGGREGATE"), "");
}

// --- SetIPAddress ---

TEST(SetIPAddress, SetsTheAnnotation) {
  Harness h(
      "in :: TestSource -> s :: SetIPAddress(10.1.2.3) -> a :: TestSink;"
      " in2 :: TestSource -> SetIPAddress(IPADDR 10.9.9.9, ANNO 4) -> b :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().udp().bytes();
  h.push("in", {p, Bytes{}});
  h.push("in2", {p});
  ASSERT_EQ(h.sink("a").size(), 2u);
  EXPECT_EQ(h.sink("a")[0].dst_ip_anno, raw_ip("10.1.2.3"));
  EXPECT_EQ(h.sink("a")[0].bytes, p);
  EXPECT_EQ(h.sink("a")[1].dst_ip_anno, raw_ip("10.1.2.3"));  // data is never touched
  ASSERT_EQ(h.sink("b").size(), 1u);
  EXPECT_EQ(anno_u32(h.sink("b")[0], 4), raw_ip("10.9.9.9"));
  EXPECT_EQ(h.sink("b")[0].dst_ip_anno, 0u);
}

TEST(SetIPAddress, AddrHandler) {
  Harness h("in :: TestSource -> s :: SetIPAddress(10.1.2.3) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("s.addr"), "10.1.2.3\n");
  EXPECT_TRUE(h.write("s.addr", "192.168.1.1").is_ok());
  EXPECT_EQ(h.read("s.addr"), "192.168.1.1\n");
  EXPECT_FALSE(h.write("s.addr", "192.168.1").is_ok());
  EXPECT_EQ(h.read("s.addr"), "192.168.1.1\n");
  h.push("in", {PacketSpec().ipv4().bytes()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, raw_ip("192.168.1.1"));
}

TEST(SetIPAddress, ConfigurationErrors) {
  const auto err = config_error_of("SetIPAddress");
  EXPECT_NE(err("").find("IPADDR"), std::string::npos);
  EXPECT_NE(err("1.2.3").find("IPADDR"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, ANNO PAINT").find("ANNO"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 4").find("too many"), std::string::npos);  // ANNO is keyword-only
}

// --- DecIPTTL ---

TEST(DecIPTTL, DecrementsAndPatchesTheChecksum) {
  Harness h("in :: TestSource -> CheckIPHeader -> d :: DecIPTTL -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> in, want;
  // Sweep TTLs and IDs so the checksum passes through its carry and 0x0000/0xffff cases.
  for (int ttl = 2; ttl <= 255; ttl += 11) {
    for (std::uint16_t id : {0x0000, 0x1234, 0xfefe, 0xffff, 0x8000}) {
      in.push_back(PacketSpec().ipv4().ttl(static_cast<std::uint8_t>(ttl)).ip_id(id).udp().bytes());
      want.push_back(
          PacketSpec().ipv4().ttl(static_cast<std::uint8_t>(ttl - 1)).ip_id(id).udp().bytes());
    }
  }
  h.push("in", in);
  ASSERT_EQ(h.sink("out").size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(h.sink("out")[i].bytes, want[i]) << i;
  EXPECT_EQ(h.read("d.drops"), "0\n");
}

TEST(DecIPTTL, ChecksumCornerCasesMatchAFullRecomputation) {
  // Search for headers whose checksum is 0x0000 or 0xffff before or after, by ID.
  Harness h("in :: TestSource -> MarkIPHeader -> DecIPTTL -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> in, want;
  for (std::uint32_t id = 0; id <= 0xffff; ++id) {
    Bytes p = PacketSpec().ipv4().ttl(65).ip_id(static_cast<std::uint16_t>(id)).bytes();
    const bool corner = (p[10] == 0 && p[11] == 0) || (p[10] == 0xff && p[11] == 0xff) ||
                        (p[10] == 0xff && p[11] == 0xfe) || (p[10] == 0x01 && p[11] == 0x00) ||
                        (p[10] == 0x00 && p[11] == 0xff);
    if (!corner) continue;
    in.push_back(p);
    want.push_back(PacketSpec().ipv4().ttl(64).ip_id(static_cast<std::uint16_t>(id)).bytes());
  }
  ASSERT_FALSE(in.empty());
  h.push("in", in);
  ASSERT_EQ(h.sink("out").size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(h.sink("out")[i].bytes, want[i]) << i;
}

TEST(DecIPTTL, ExpiredGoToOutput1) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> d :: DecIPTTL -> out :: TestSink; d[1] -> x :: "
      "TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes t1 = PacketSpec().ipv4().ttl(1).udp().bytes();
  const Bytes t0 = PacketSpec().ipv4().ttl(0).udp().bytes();
  h.push("in", {t1, t0, PacketSpec().ipv4().ttl(2).udp().bytes()});
  ASSERT_EQ(h.sink("x").size(), 2u);
  EXPECT_EQ(h.sink("x")[0].bytes, t1);  // unchanged
  EXPECT_EQ(h.sink("x")[1].bytes, t0);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().ipv4().ttl(1).udp().bytes());
  EXPECT_EQ(h.read("d.drops"), "2\n");
  EXPECT_EQ(h.drops("d", DropReason::kTtlExpired), 0u);
}

TEST(DecIPTTL, ExpiredDroppedWithoutOutput1) {
  Harness h("in :: TestSource -> MarkIPHeader -> d :: DecIPTTL -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4().ttl(1).udp().bytes(), PacketSpec().ipv4().ttl(0).bytes()});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("d", DropReason::kTtlExpired), 2u);
  EXPECT_EQ(h.read("d.drops"), "2\n");
}

TEST(DecIPTTL, MulticastKeyword) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> d :: DecIPTTL(MULTICAST false) -> out :: TestSink;"
      " d[1] -> x :: TestSink;"
      " in2 :: TestSource -> MarkIPHeader -> d2 :: DecIPTTL(MULTICAST true) -> out2 :: TestSink;"
      " d2[1] -> x2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes mc1 = PacketSpec().ipv4("10.0.0.1", "224.1.2.3").ttl(1).udp().bytes();
  const Bytes mc5 = PacketSpec().ipv4("10.0.0.1", "239.0.0.1").ttl(5).udp().bytes();
  const Bytes uc5 = PacketSpec().ipv4().ttl(5).udp().bytes();
  h.push("in", {mc1, mc5, uc5});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, mc1);  // passed unchanged
  EXPECT_EQ(h.sink("out")[1].bytes, mc5);
  EXPECT_EQ(h.sink("out")[2].bytes, PacketSpec().ipv4().ttl(4).udp().bytes());
  EXPECT_TRUE(h.sink("x").empty());
  h.push("in2", {mc1, mc5});
  EXPECT_EQ(h.sink("x2").size(), 1u);
  ASSERT_EQ(h.sink("out2").size(), 1u);
  EXPECT_EQ(h.sink("out2")[0].bytes,
            PacketSpec().ipv4("10.0.0.1", "239.0.0.1").ttl(4).udp().bytes());
}

TEST(DecIPTTL, ActiveKeywordAndHandler) {
  Harness h("in :: TestSource -> MarkIPHeader -> d :: DecIPTTL(ACTIVE false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().ttl(1).udp().bytes();
  h.push("in", {p});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, p);
  EXPECT_EQ(h.read("d.active"), "false\n");
  EXPECT_TRUE(h.write("d.active", "true").is_ok());
  EXPECT_EQ(h.read("d.active"), "true\n");
  EXPECT_FALSE(h.write("d.active", "perhaps").is_ok());
  h.push("in", {PacketSpec().ipv4().ttl(9).udp().bytes(), p});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, PacketSpec().ipv4().ttl(8).udp().bytes());
  EXPECT_EQ(h.drops("d", DropReason::kTtlExpired), 1u);
}

TEST(DecIPTTL, UsesTheNetworkHeaderAnnotation) {
  Harness h("in :: TestSource -> MarkIPHeader(14) -> DecIPTTL -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().eth().ipv4().ip_options({1, 1, 1, 1}).ttl(30).tcp().bytes()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth().ipv4().ip_options({1, 1, 1, 1}).ttl(29).tcp().bytes());
}

TEST(DecIPTTL, RuntsAndMissingHeaderDropped) {
  Harness h("in :: TestSource -> d :: DecIPTTL -> out :: TestSink; d[1] -> x :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4().ttl(5).udp().bytes()});  // no annotation
  EXPECT_EQ(h.drops("d", DropReason::kBadHeader), 1u);
  h.push("in", {runt(0)}, mark_ip);
  EXPECT_EQ(h.drops("d", DropReason::kBadHeader), 2u);
  h.push("in", {runt(1), runt(13), runt(14), runt(19)}, mark_ip);
  EXPECT_EQ(h.drops("d", DropReason::kTooShort), 4u);
  // The header annotation at offset 14 of a 33-byte packet leaves 19 bytes.
  h.push("in", {runt(33)}, [](mem::Packet& p) { p.set_network_header(p.data() + 14); });
  EXPECT_EQ(h.drops("d", DropReason::kTooShort), 5u);
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_TRUE(h.sink("x").empty());
}

TEST(DecIPTTL, ConfigurationErrors) {
  EXPECT_NE(
      config_error("in :: TestSource -> DecIPTTL(ACTIVE 3) -> out :: TestSink").find("ACTIVE"),
      std::string::npos);
  EXPECT_NE(config_error("in :: TestSource -> DecIPTTL(MULTICAST x) -> out :: TestSink")
                .find("MULTICAST"),
            std::string::npos);
  EXPECT_NE(config_error("in :: TestSource -> DecIPTTL(true) -> out :: TestSink"), "");
}

// --- SetIPChecksum ---

TEST(SetIPChecksum, ComputesTheChecksum) {
  Harness h("in :: TestSource -> s :: SetIPChecksum -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes opts = {0x94, 0x04, 0x00, 0x00};  // Router Alert, so options are summed too
  h.push("in", {PacketSpec().ipv4().udp().bad_ip_checksum().bytes(),
                PacketSpec().ipv4().ip_options(opts).ttl(3).bad_ip_checksum().bytes()});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().ipv4().udp().bytes());
  EXPECT_EQ(h.sink("out")[1].bytes, PacketSpec().ipv4().ip_options(opts).ttl(3).bytes());
  EXPECT_EQ(h.read("s.drops"), "0\n");
}

TEST(SetIPChecksum, UsesTheNetworkHeaderWhenMarked) {
  Harness h("in :: TestSource -> MarkIPHeader(14) -> SetIPChecksum -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().eth().ipv4().udp().bad_ip_checksum().bytes()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().eth().ipv4().udp().bytes());
}

TEST(SetIPChecksum, BadPacketsDropped) {
  Harness h("in :: TestSource -> s :: SetIPChecksum -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(0), runt(1), runt(13), runt(14), runt(19)});
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 5u);
  Bytes ihl4 = PacketSpec().ipv4().udp().bytes();
  ihl4[0] = 0x44;
  Bytes ihl15 = PacketSpec().ipv4().udp().payload_size(12).bytes();  // 40 bytes
  ihl15[0] = 0x4f;
  h.push("in", {ihl4, ihl15});
  EXPECT_EQ(h.drops("s", DropReason::kBadHeader), 1u);
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 6u);
  // A marked header with 19 bytes behind it.
  h.push("in", {runt(33)}, [](mem::Packet& p) { p.set_network_header(p.data() + 14); });
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 7u);
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.read("s.drops"), "8\n");
}

TEST(SetIPChecksum, TakesNoArguments) {
  EXPECT_NE(config_error("in :: TestSource -> SetIPChecksum(1) -> out :: TestSink"), "");
}

}  // namespace
}  // namespace uplane::elements
