// VLANEncap and VLANDecap: expected frames built independently with PacketSpec.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes runt(std::size_t n) { return ramp(n, 0xa0); }

Bytes frame() { return PacketSpec().eth().ipv4().udp(7, 9).payload_size(5).bytes(); }
Bytes tagged(std::uint16_t tci) {
  return PacketSpec().eth().vlan(tci).ipv4().udp(7, 9).payload_size(5).bytes();
}

// --- VLANEncap ---

TEST(VLANEncap, InsertsATagAfterTheAddresses) {
  struct Case {
    const char* args;
    int tci;  // -1: unchanged (native VLAN)
  };
  const Case cases[] = {
      {"VLAN_ID 10, VLAN_PCP 3", 0x600A},
      {"5", 0x0005},
      {"5, 7", 0xE005},
      {"0x2001, 2", 0x6001},
      {"VLAN_TCI 0xFFFF", 0xFFFF},
      {"", -1},
      {"VLAN_PCP 4", -1},  // VLAN 0 is native by default, whatever the priority
      {"NATIVE_VLAN -1", 0x0000},
      {"VLAN_ID 9, NATIVE_VLAN 9", -1},
      {"VLAN_ID 9, NATIVE_VLAN 8", 0x0009},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    Harness h(std::string("in :: TestSource -> VLANEncap(") + c.args + ") -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {frame()});
    ASSERT_EQ(h.sink("out").size(), 1u);
    EXPECT_EQ(h.sink("out")[0].bytes,
              c.tci < 0 ? frame() : tagged(static_cast<std::uint16_t>(c.tci)));
  }
}

TEST(VLANEncap, EtherTypeKeywordMarksTheTag) {
  Harness h("in :: TestSource -> VLANEncap(VLAN_ID 100, ETHERTYPE 0x88a8) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {frame()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  Bytes want = tagged(100);
  want[12] = 0x88;
  want[13] = 0xa8;
  EXPECT_EQ(h.sink("out")[0].bytes, want);
}

TEST(VLANEncap, AnnoAndAnnotationsKept) {
  Harness h("in :: TestSource -> VLANEncap(ANNO) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  int n = 0;
  const std::uint16_t tcis[] = {0x2064, 0x0000, 0xA001};
  h.push("in", {frame(), frame(), frame()}, [&](mem::Packet& p) {
    p.set_vlan_tci(tcis[n++]);
    p.set_network_header(p.data() + 14);
    p.set_dst_ip_anno_raw(0x01020304);
  });
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, tagged(0x2064));
  EXPECT_EQ(h.sink("out")[1].bytes, frame());
  EXPECT_EQ(h.sink("out")[2].bytes, tagged(0xA001));
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 18);
  EXPECT_EQ(h.sink("out")[1].network_header_offset, 14);
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, 0x01020304u);
}

TEST(VLANEncap, RuntsAreDroppedTooShort) {
  Harness h("in :: TestSource -> v :: VLANEncap(7) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(1), runt(12), runt(13), runt(14), runt(20), runt(33)});
  EXPECT_EQ(h.drops("v", DropReason::kTooShort), 4u);
  ASSERT_EQ(h.sink("out").size(), 3u);
  // 14 bytes: addresses, then the tag, then the old type bytes.
  Bytes want = runt(12);
  for (std::uint8_t b : {0x81, 0x00, 0x00, 0x07, 0xa0 + 12, 0xa0 + 13}) want.push_back(b);
  EXPECT_EQ(h.sink("out")[0].bytes, want);
  EXPECT_EQ(h.sink("out")[1].bytes.size(), 24u);
  EXPECT_EQ(h.sink("out")[2].bytes.size(), 37u);
}

TEST(VLANEncap, RuntsAreDroppedEvenOnTheNativeVlan) {
  Harness h("in :: TestSource -> v :: VLANEncap() -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(13), runt(14)});
  EXPECT_EQ(h.drops("v", DropReason::kTooShort), 2u);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, runt(14));
}

TEST(VLANEncap, Handlers) {
  Harness h("in :: TestSource -> v :: VLANEncap(VLAN_ID 10, VLAN_PCP 1) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("v.config"), "VLAN_ID 10, VLAN_PCP 1\n");
  EXPECT_EQ(h.read("v.vlan_tci"), "8202\n");  // 0x200A
  EXPECT_EQ(h.read("v.vlan_id"), "10\n");
  EXPECT_EQ(h.read("v.vlan_pcp"), "1\n");
  EXPECT_EQ(h.read("v.native_vlan"), "0\n");
  EXPECT_EQ(h.read("v.ethertype"), "33024\n");
  ASSERT_TRUE(h.write("v.vlan_id", "11").is_ok());
  ASSERT_TRUE(h.write("v.ethertype", "0x9100").is_ok());
  ASSERT_TRUE(h.write("v.native_vlan", "-1").is_ok());
  EXPECT_EQ(h.read("v.config"), "VLAN_ID 11, VLAN_PCP 1, NATIVE_VLAN -1, ETHERTYPE 37120\n");
  EXPECT_FALSE(h.write("v.vlan_pcp", "x").is_ok());
  EXPECT_FALSE(h.write("v.ethertype", "0x10000").is_ok());
  h.push("in", {frame()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  Bytes want = tagged(0x200B);
  want[12] = 0x91;
  want[13] = 0x00;
  EXPECT_EQ(h.sink("out")[0].bytes, want);
  ASSERT_TRUE(h.write("v.vlan_tci", "ANNO").is_ok());
  EXPECT_EQ(h.read("v.vlan_tci"), "ANNO\n");
  EXPECT_EQ(h.read("v.config"), "ANNO, NATIVE_VLAN -1, ETHERTYPE 37120\n");
}

TEST(VLANEncap, ConfigurationErrors) {
  const auto err = config_error_of("VLANEncap");
  EXPECT_EQ(err("1, 2"), "");
  EXPECT_NE(err("65536").find("VLAN_TCI"), std::string::npos);
  EXPECT_NE(err("x").find("VLAN_TCI"), std::string::npos);
  EXPECT_NE(err("1, 8").find("VLAN_PCP"), std::string::npos);
  EXPECT_NE(err("VLAN_ID 4096").find("VLAN_ID"), std::string::npos);
  EXPECT_NE(err("NATIVE_VLAN -2").find("NATIVE_VLAN"), std::string::npos);
  EXPECT_NE(err("ETHERTYPE 0x10000").find("ETHERTYPE"), std::string::npos);
  EXPECT_NE(err("1, 2, 3").find("too many"), std::string::npos);
}

// --- VLANDecap ---

TEST(VLANDecap, StripsTheTagAndSetsTheAnnotation) {
  Harness h("in :: TestSource -> d :: VLANDecap -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {tagged(0x2064), frame()}, [](mem::Packet& p) {
    p.set_vlan_tci(0x0555);
    p.set_network_header(p.data() + 18);
  });
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0x2064);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 14);
  // Untagged: unchanged, and the annotation says "no tag".
  EXPECT_EQ(h.sink("out")[1].bytes, frame());
  EXPECT_EQ(h.sink("out")[1].vlan_tci, 0);
}

TEST(VLANDecap, AnnoFalseLeavesTheAnnotation) {
  Harness h("in :: TestSource -> VLANDecap(false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {tagged(0x2064), frame()}, [](mem::Packet& p) { p.set_vlan_tci(0x0555); });
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0x0555);
  EXPECT_EQ(h.sink("out")[1].vlan_tci, 0x0555);
}

TEST(VLANDecap, EtherTypeKeyword) {
  Harness h("in :: TestSource -> VLANDecap(ANNO true, ETHERTYPE 0x88a8) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes qinq = tagged(0x0123);
  qinq[12] = 0x88;
  qinq[13] = 0xa8;
  h.push("in", {qinq, tagged(0x0456)});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0x0123);
  EXPECT_EQ(h.sink("out")[1].bytes, tagged(0x0456));  // an 0x8100 tag is not ours
  EXPECT_EQ(h.sink("out")[1].vlan_tci, 0);
}

TEST(VLANDecap, RuntsAndTruncatedTags) {
  Harness h("in :: TestSource -> d :: VLANDecap -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes tag14 = PacketSpec().eth().ether_type(0x8100).bytes();
  const Bytes tag17 = PacketSpec().eth().ether_type(0x8100).payload({0x20, 0x05, 0x08}).bytes();
  const Bytes tag18 = PacketSpec().eth().vlan(0x2005).ether_type(0x0800).bytes();
  h.push("in", {Bytes{}, runt(1), runt(13), tag14, tag17, runt(14), runt(20), runt(33), tag18});
  EXPECT_EQ(h.drops("d", DropReason::kTooShort), 5u);
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[0].bytes, runt(14));  // type 0xacad: untagged
  EXPECT_EQ(h.sink("out")[2].bytes, runt(33));
  EXPECT_EQ(h.sink("out")[3].bytes, PacketSpec().eth().ether_type(0x0800).bytes());
  EXPECT_EQ(h.sink("out")[3].vlan_tci, 0x2005);
}

TEST(VLANDecap, PullPathDropsRuntsToo) {
  Harness h("in :: TestSource -> SimpleQueue -> d :: VLANDecap -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(3), tagged(0x0007), runt(13), frame()});
  EXPECT_EQ(h.pull("out"), 2u);
  EXPECT_EQ(h.drops("d", DropReason::kTooShort), 2u);
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0x0007);
  EXPECT_EQ(h.sink("out")[1].bytes, frame());
}

TEST(VLANDecap, RoundTripWithVLANEncap) {
  Harness h("in :: TestSource -> VLANEncap(ANNO) -> VLANDecap -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {frame()}, [](mem::Packet& p) { p.set_vlan_tci(0xE0FE); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0xE0FE);
}

TEST(VLANDecap, ConfigurationErrors) {
  const auto err = config_error_of("VLANDecap");
  EXPECT_EQ(err("false, ETHERTYPE 0x9100"), "");
  EXPECT_NE(err("maybe").find("ANNO"), std::string::npos);
  EXPECT_NE(err("ETHERTYPE 0x10000").find("ETHERTYPE"), std::string::npos);
  EXPECT_NE(err("true, 1").find("too many"), std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
