// EtherEncap, EtherRewrite and EtherVLANEncap: expected frames are built independently with
// PacketSpec from what Click's documentation says each element writes.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

constexpr const char* kA = "01:01:01:01:01:01";
constexpr const char* kB = "02:02:02:02:02:02";

Bytes ip_udp() { return PacketSpec().ipv4().udp(1234, 53).payload_size(6).bytes(); }

Bytes runt(std::size_t n) { return ramp(n, 0xa0); }

// --- EtherEncap ---

TEST(EtherEncap, PrependsTheConfiguredHeader) {
  Harness h(
      "in :: TestSource -> e :: EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp()}, [](mem::Packet& p) {
    p.set_paint(7);
    p.set_network_header(p.data());
  });
  ASSERT_EQ(h.sink("out").size(), 1u);
  const auto& o = h.sink("out")[0];
  EXPECT_EQ(o.bytes, PacketSpec().eth(kB, kA).ipv4().udp(1234, 53).payload_size(6).bytes());
  // Annotations survive; the network header still points at the IP header.
  EXPECT_EQ(o.paint, 7);
  EXPECT_EQ(o.network_header_offset, 14);
}

TEST(EtherEncap, KeywordsAndAnyEtherType) {
  Harness h(
      "in :: TestSource -> EtherEncap(ETHERTYPE 0x88B5, SRC 01-01-01-01-01-01, DST 2:2:2:2:2:2)"
      " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{0xde, 0xad}});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth(kB, kA).ether_type(0x88b5).payload({0xde, 0xad}).bytes());
}

TEST(EtherEncap, EmptyAndTinyPacketsAreEncapsulated) {
  Harness h("in :: TestSource -> EtherEncap(2048, 1:1:1:1:1:1, 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(1), runt(13)});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().eth(kB, kA).ether_type(0x0800).bytes());
  EXPECT_EQ(h.sink("out")[1].bytes.size(), 15u);
  EXPECT_EQ(h.sink("out")[2].bytes.size(), 27u);
}

TEST(EtherEncap, WorksOnAPullPath) {
  Harness h(
      "in :: TestSource -> SimpleQueue -> e :: EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2)"
      " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp(), Bytes{}});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.pull("out"), 2u);
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth(kB, kA).ipv4().udp(1234, 53).payload_size(6).bytes());
  EXPECT_EQ(h.sink("out")[1].bytes, PacketSpec().eth(kB, kA).ether_type(0x0800).bytes());
}

TEST(EtherEncap, NoHeadroomIsDroppedNoRoom) {
  // Pool frames have 128 bytes of headroom: nine 14-byte headers fit, the tenth does not.
  std::string config = "in :: TestSource";
  for (int i = 0; i < 10; ++i)
    config += " -> e" + std::to_string(i) + " :: EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2)";
  config += " -> out :: TestSink";
  Harness h(config);
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp(), ip_udp()});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("e9", DropReason::kNoRoom), 2u);
  EXPECT_EQ(h.drops("e8", DropReason::kNoRoom), 0u);
}

TEST(EtherEncap, Handlers) {
  Harness h(
      "in :: TestSource -> e :: EtherEncap(0x0800, 1:1:1:1:1:a, 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("e.src"), "01-01-01-01-01-0A\n");
  EXPECT_EQ(h.read("e.dst"), "02-02-02-02-02-02\n");
  EXPECT_EQ(h.read("e.ethertype"), "2048\n");
  EXPECT_EQ(h.read("e.etht"), "2048\n");
  ASSERT_TRUE(h.write("e.src", "0a:0b:0c:0d:0e:0f").is_ok());
  ASSERT_TRUE(h.write("e.dst", "10-20-30-40-50-60").is_ok());
  ASSERT_TRUE(h.write("e.ethertype", "0x86DD").is_ok());
  EXPECT_EQ(h.read("e.src"), "0A-0B-0C-0D-0E-0F\n");
  EXPECT_EQ(h.read("e.ethertype"), "34525\n");
  ASSERT_TRUE(h.write("e.etht", "0x0806").is_ok());
  EXPECT_EQ(h.read("e.ethertype"), "2054\n");
  // A bad value changes nothing.
  EXPECT_FALSE(h.write("e.src", "not-an-address").is_ok());
  EXPECT_FALSE(h.write("e.ethertype", "65536").is_ok());
  EXPECT_EQ(h.read("e.src"), "0A-0B-0C-0D-0E-0F\n");
  h.push("in", {Bytes{1, 2, 3}});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec()
                                        .eth("10:20:30:40:50:60", "0a:0b:0c:0d:0e:0f")
                                        .ether_type(0x0806)
                                        .payload({1, 2, 3})
                                        .bytes());
}

TEST(EtherEncap, ConfigurationErrors) {
  const auto err = config_error_of("EtherEncap");
  EXPECT_NE(err("0x0800, 1:1:1:1:1:1").find("DST"), std::string::npos);
  EXPECT_NE(err("").find("ETHERTYPE"), std::string::npos);
  EXPECT_NE(err("0x10000, 1:1:1:1:1:1, 2:2:2:2:2:2").find("ETHERTYPE"), std::string::npos);
  EXPECT_NE(err("0x0800, 1:1:1:1:1, 2:2:2:2:2:2").find("SRC"), std::string::npos);
  EXPECT_NE(err("0x0800, 1:1:1:1:1:1, 10.0.0.1").find("DST"), std::string::npos);
  EXPECT_NE(err("0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 4").find("too many"), std::string::npos);
  EXPECT_NE(err("0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, VLAN 4").find("VLAN"), std::string::npos);
  EXPECT_EQ(err("0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2"), "");
}

// --- EtherRewrite ---

TEST(EtherRewrite, RewritesBothAddressesOnly) {
  Harness h("in :: TestSource -> r :: EtherRewrite(1:1:1:1:1:1, 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().eth("aa:bb:cc:dd:ee:ff", "11:22:33:44:55:66").ipv4().udp().bytes(),
                PacketSpec().eth("aa:bb:cc:dd:ee:ff", "11:22:33:44:55:66").vlan(5).ipv4().bytes()});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().eth(kB, kA).ipv4().udp().bytes());
  EXPECT_EQ(h.sink("out")[1].bytes, PacketSpec().eth(kB, kA).vlan(5).ipv4().bytes());
}

TEST(EtherRewrite, RuntsAreDroppedTooShort) {
  Harness h("in :: TestSource -> r :: EtherRewrite(1:1:1:1:1:1, 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(1), runt(13), runt(14), runt(20), runt(33)});
  EXPECT_EQ(h.drops("r", DropReason::kTooShort), 3u);
  ASSERT_EQ(h.sink("out").size(), 3u);
  Bytes want = runt(14);
  for (int i = 0; i < 6; ++i) {
    want[i] = 2;
    want[6 + i] = 1;
  }
  EXPECT_EQ(h.sink("out")[0].bytes, want);
  EXPECT_EQ(h.sink("out")[2].bytes.size(), 33u);
  EXPECT_EQ(h.sink("out")[2].bytes[14], 0xa0 + 14);
}

TEST(EtherRewrite, HandlersAndErrors) {
  Harness h(
      "in :: TestSource -> r :: EtherRewrite(SRC 1:1:1:1:1:1, DST 2:2:2:2:2:2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("r.src"), "01-01-01-01-01-01\n");
  EXPECT_EQ(h.read("r.dst"), "02-02-02-02-02-02\n");
  ASSERT_TRUE(h.write("r.dst", "3:3:3:3:3:3").is_ok());
  EXPECT_FALSE(h.write("r.src", "3:3:3").is_ok());
  h.push("in", {PacketSpec().eth().ipv4().bytes()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().eth("03:03:03:03:03:03", kA).ipv4().bytes());

  const auto err = config_error_of("EtherRewrite");
  EXPECT_NE(err("1:1:1:1:1:1").find("DST"), std::string::npos);
  EXPECT_NE(err("x, 2:2:2:2:2:2").find("SRC"), std::string::npos);
}

// --- EtherVLANEncap ---

TEST(EtherVLANEncap, TagsWithVlanTci) {
  Harness h(
      "in :: TestSource -> EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 1) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth(kB, kA).vlan(1).ipv4().udp(1234, 53).payload_size(6).bytes());
}

TEST(EtherVLANEncap, TciIdAndPcpCombineAsClickDoes) {
  struct Case {
    const char* args;
    int tci;  // -1: untagged (native VLAN)
  };
  const Case cases[] = {
      {"5, 3", 0x6005},                   // VLAN_TCI | VLAN_PCP << 13
      {"0x2001, 2", 0x6001},              // PCP ORed into a full TCI
      {"0xFFFF", 0xFFFF},                 // every bit
      {"VLAN_ID 7, VLAN_PCP 1", 0x2007},  // keywords
      {"VLAN_TCI 9", 0x0009},             // VLAN_TCI as keyword
      {"VLAN_ID 7, VLAN_TCI 9", 0x0009},  // VLAN_TCI wins over VLAN_ID
      {"", -1},                           // VLAN 0 is native by default
      {"0", -1},                          //
      {"0, 5", -1},                       // the PCP does not matter to nativeness
      {"0, NATIVE_VLAN -1", 0x0000},      // no native VLAN: tagged with 0
      {"VLAN_ID 5, NATIVE_VLAN 5", -1},   //
      {"0x3005, NATIVE_VLAN 5", -1},      // native compares the VLAN ID only
      {"VLAN_ID 6, NATIVE_VLAN 5", 0x0006},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    std::string config = "in :: TestSource -> EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2";
    if (*c.args != '\0') config += std::string(", ") + c.args;
    config += ") -> out :: TestSink";
    Harness h(config);
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {ip_udp()});
    ASSERT_EQ(h.sink("out").size(), 1u);
    PacketSpec want;
    want.eth(kB, kA);
    if (c.tci >= 0) want.vlan(static_cast<std::uint16_t>(c.tci));
    want.ipv4().udp(1234, 53).payload_size(6);
    EXPECT_EQ(h.sink("out")[0].bytes, want.bytes());
  }
}

TEST(EtherVLANEncap, AnnoTakesTheTciFromEachPacket) {
  Harness h(
      "in :: TestSource -> EtherVLANEncap(0x0806, 1:1:1:1:1:1, 2:2:2:2:2:2, ANNO) -> out :: "
      "TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  int n = 0;
  const std::uint16_t tcis[] = {0x3007, 0, 0x0fff};
  h.push("in", {Bytes{1}, Bytes{2}, Bytes{3}}, [&](mem::Packet& p) { p.set_vlan_tci(tcis[n++]); });
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth(kB, kA).vlan(0x3007).ether_type(0x0806).payload({1}).bytes());
  // VLAN 0 is the native VLAN: a plain header.
  EXPECT_EQ(h.sink("out")[1].bytes,
            PacketSpec().eth(kB, kA).ether_type(0x0806).payload({2}).bytes());
  EXPECT_EQ(h.sink("out")[2].bytes,
            PacketSpec().eth(kB, kA).vlan(0x0fff).ether_type(0x0806).payload({3}).bytes());
  EXPECT_EQ(h.sink("out")[0].vlan_tci, 0x3007);
}

TEST(EtherVLANEncap, EmptyPacketAndNoHeadroom) {
  std::string config = "in :: TestSource";
  for (int i = 0; i < 8; ++i)
    config +=
        " -> e" + std::to_string(i) + " :: EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 1)";
  config += " -> out :: TestSink";
  Harness h(config);  // 7 * 18 = 126 bytes fit in 128 of headroom; the eighth does not
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("e7", DropReason::kNoRoom), 1u);

  Harness one(
      "in :: TestSource -> EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 1) -> out :: TestSink");
  ASSERT_TRUE(one.ok()) << one.error();
  one.push("in", {Bytes{}});
  ASSERT_EQ(one.sink("out").size(), 1u);
  EXPECT_EQ(one.sink("out")[0].bytes, PacketSpec().eth(kB, kA).vlan(1).ether_type(0x0800).bytes());
}

TEST(EtherVLANEncap, Handlers) {
  Harness h(
      "in :: TestSource -> v :: EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, VLAN_ID 10, "
      "VLAN_PCP 2, NATIVE_VLAN 3) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("v.config"),
            "2048, 01-01-01-01-01-01, 02-02-02-02-02-02, VLAN_ID 10, VLAN_PCP 2, NATIVE_VLAN 3\n");
  EXPECT_EQ(h.read("v.vlan_tci"), "16394\n");  // 0x400A
  EXPECT_EQ(h.read("v.vlan_id"), "10\n");
  EXPECT_EQ(h.read("v.vlan_pcp"), "2\n");
  EXPECT_EQ(h.read("v.native_vlan"), "3\n");
  EXPECT_EQ(h.read("v.ethertype"), "2048\n");
  EXPECT_EQ(h.read("v.src"), "01-01-01-01-01-01\n");
  EXPECT_EQ(h.read("v.dst"), "02-02-02-02-02-02\n");

  ASSERT_TRUE(h.write("v.vlan_id", "20").is_ok());
  EXPECT_EQ(h.read("v.vlan_tci"), "16404\n");  // 0x4014
  ASSERT_TRUE(h.write("v.vlan_pcp", "0").is_ok());
  EXPECT_EQ(h.read("v.vlan_tci"), "20\n");
  EXPECT_FALSE(h.write("v.vlan_pcp", "8").is_ok());
  EXPECT_FALSE(h.write("v.vlan_id", "4096").is_ok());
  EXPECT_FALSE(h.write("v.native_vlan", "-2").is_ok());
  EXPECT_EQ(h.read("v.vlan_tci"), "20\n");
  ASSERT_TRUE(h.write("v.ethertype", "0x86dd").is_ok());
  ASSERT_TRUE(h.write("v.src", "0:0:0:0:0:9").is_ok());
  h.push("in", {Bytes{7}});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(
      h.sink("out")[0].bytes,
      PacketSpec().eth(kB, "00:00:00:00:00:09").vlan(20).ether_type(0x86dd).payload({7}).bytes());

  ASSERT_TRUE(h.write("v.vlan_tci", "ANNO").is_ok());
  EXPECT_EQ(h.read("v.vlan_tci"), "ANNO\n");
  EXPECT_EQ(h.read("v.config"),
            "34525, 00-00-00-00-00-09, 02-02-02-02-02-02, ANNO, NATIVE_VLAN 3\n");
  ASSERT_TRUE(h.write("v.vlan_tci", "0x1003").is_ok());  // VLAN 3 is native now
  EXPECT_FALSE(h.write("v.vlan_tci", "65536").is_ok());
  EXPECT_FALSE(h.write("v.vlan_tci", "anno").is_ok());
  h.clear_sinks();
  h.push("in", {Bytes{8}});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes,
            PacketSpec().eth(kB, "00:00:00:00:00:09").ether_type(0x86dd).payload({8}).bytes());
  ASSERT_TRUE(h.write("v.native_vlan", "-1").is_ok());
  EXPECT_EQ(h.read("v.native_vlan"), "-1\n");
}

TEST(EtherVLANEncap, ConfigurationErrors) {
  const auto err = config_error_of("EtherVLANEncap");
  const std::string base = "0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2";
  EXPECT_EQ(err(base), "");
  EXPECT_NE(err("0x0800, 1:1:1:1:1:1").find("DST"), std::string::npos);
  EXPECT_NE(err("0x10000, 1:1:1:1:1:1, 2:2:2:2:2:2").find("ETHERTYPE"), std::string::npos);
  EXPECT_NE(err(base + ", 65536").find("VLAN_TCI"), std::string::npos);
  EXPECT_NE(err(base + ", anno").find("VLAN_TCI"), std::string::npos);
  EXPECT_NE(err(base + ", -1").find("VLAN_TCI"), std::string::npos);
  EXPECT_NE(err(base + ", 1, 8").find("VLAN_PCP"), std::string::npos);
  EXPECT_NE(err(base + ", VLAN_ID 4096").find("VLAN_ID"), std::string::npos);
  EXPECT_NE(err(base + ", NATIVE_VLAN -2").find("NATIVE_VLAN"), std::string::npos);
  EXPECT_NE(err(base + ", NATIVE_VLAN 4096").find("NATIVE_VLAN"), std::string::npos);
  EXPECT_NE(err(base + ", 1, 2, 3").find("too many"), std::string::npos);
  EXPECT_NE(err(base + ", VLAN_IDX 3").find("VLAN_IDX"), std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
