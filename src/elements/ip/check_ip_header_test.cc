// CheckIPHeader: every check Click makes, each failure mode counted under its own reason,
// both with and without the error output; expected packets are built with PacketSpec.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"
#include "net/ipv4.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes good() { return PacketSpec().ipv4().udp(1234, 53).payload_size(10).bytes(); }

Bytes runt(std::size_t n) {
  Bytes b(n, 0x45);  // looks like the start of an IPv4 header
  return b;
}

// One packet for each of Click's six reasons, in Click's order.
std::vector<Bytes> one_of_each() {
  Bytes bad_version = good();
  bad_version[0] = 0x65;
  Bytes bad_ihl = good();
  bad_ihl[0] = 0x44;
  return {
      runt(19),
      bad_version,
      bad_ihl,
      PacketSpec().ipv4().udp().ip_total_length(200).bytes(),
      PacketSpec().ipv4().udp().bad_ip_checksum().bytes(),
      PacketSpec().ipv4("10.0.0.255", "10.0.0.2").udp().bytes(),
  };
}

TEST(CheckIPHeader, ValidPacketPassesWithAnnotations) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {good()});
  ASSERT_EQ(h.sink("out").size(), 1u);
  const auto& o = h.sink("out")[0];
  EXPECT_EQ(o.bytes, good());
  EXPECT_EQ(o.network_header_offset, 0);
  EXPECT_EQ(o.dst_ip_anno, raw_ip("10.0.0.2"));
  EXPECT_EQ(h.read("c.drops"), "0\n");
}

TEST(CheckIPHeader, DestinationAnnotationIsAlwaysOverwritten) {
  Harness h("in :: TestSource -> CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {good()}, [](mem::Packet& p) { p.set_dst_ip_anno_raw(raw_ip("9.9.9.9")); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, raw_ip("10.0.0.2"));
}

TEST(CheckIPHeader, OffsetByPositionAndByKeyword) {
  const Bytes frame = PacketSpec().eth().ipv4().udp().payload_size(4).bytes();
  for (const char* cfg : {"CheckIPHeader(14)", "CheckIPHeader(OFFSET 14)"}) {
    Harness h(std::string("in :: TestSource -> ") + cfg + " -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {frame});
    ASSERT_EQ(h.sink("out").size(), 1u) << cfg;
    EXPECT_EQ(h.sink("out")[0].bytes, frame);
    EXPECT_EQ(h.sink("out")[0].network_header_offset, 14);
  }
}

TEST(CheckIPHeader, TrimsLinkPaddingBeyondTotalLength) {
  Harness h("in :: TestSource -> CheckIPHeader(14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes frame = PacketSpec().eth().ipv4().udp().bytes();  // 42 bytes
  Bytes padded = frame;
  padded.resize(60, 0);  // Ethernet minimum
  h.push("in", {padded});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame);
}

TEST(CheckIPHeader, AcceptsIpOptions) {
  Harness h("in :: TestSource -> CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().ip_options({1, 1, 1, 0}).udp().bytes();
  h.push("in", {p});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, p);
}

TEST(CheckIPHeader, EachFailureDroppedWithItsReason) {
  Harness h("in :: TestSource -> c :: CheckIPHeader(INTERFACES 10.0.0.1/24) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", one_of_each());
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("c", DropReason::kTooShort), 1u);
  EXPECT_EQ(h.drops("c", DropReason::kBadHeader), 2u);  // version, header length
  EXPECT_EQ(h.drops("c", DropReason::kBadLength), 1u);
  EXPECT_EQ(h.drops("c", DropReason::kBadChecksum), 1u);
  EXPECT_EQ(h.drops("c", DropReason::kBadSource), 1u);
  EXPECT_EQ(h.read("c.drops"), "6\n");
}

TEST(CheckIPHeader, DropDetailsCountEachReasonSeparately) {
  Harness h(
      "in :: TestSource -> c :: CheckIPHeader(INTERFACES 10.0.0.1/24, DETAILS true)"
      " -> out :: TestSink; c[1] -> bad :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> pkts = one_of_each();
  pkts.push_back(PacketSpec().ipv4().udp().ip_total_length(10).bytes());  // total < header
  pkts.push_back(runt(0));
  pkts.push_back(good());
  h.push("in", pkts);
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("bad").size(), 8u);
  EXPECT_EQ(h.read("c.drop_details"),
            "2\ttiny packet\n"
            "1\tbad IP version\n"
            "1\tbad IP header length\n"
            "2\tbad IP length\n"
            "1\tbad IP checksum\n"
            "1\tbad source address\n");
  EXPECT_EQ(h.read("c.drops"), "8\n");
  // Sent to output 1, so not dropped.
  EXPECT_EQ(h.drops("c", DropReason::kTooShort), 0u);
  EXPECT_EQ(h.drops("c", DropReason::kBadLength), 0u);
}

TEST(CheckIPHeader, NoDropDetailsWithoutDetails) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("c.drop_details").rfind("ERROR", 0), 0u);
}

TEST(CheckIPHeader, BadPacketsLeaveUnchangedOnOutput1) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink; c[1] -> bad :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = PacketSpec().ipv4().udp().bad_ip_checksum().bytes();
  h.push("in", {p});
  ASSERT_EQ(h.sink("bad").size(), 1u);
  EXPECT_EQ(h.sink("bad")[0].bytes, p);
  EXPECT_EQ(h.sink("bad")[0].network_header_offset, -1);
}

TEST(CheckIPHeader, RuntsAreTinyPackets) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(0), runt(1), runt(13), runt(14), runt(19)});
  EXPECT_EQ(h.drops("c", DropReason::kTooShort), 5u);
  Harness h14("in :: TestSource -> c :: CheckIPHeader(14) -> out :: TestSink");
  ASSERT_TRUE(h14.ok()) << h14.error();
  h14.push("in", {runt(0), runt(13), runt(14), runt(20), runt(33)});
  EXPECT_EQ(h14.drops("c", DropReason::kTooShort), 5u);
}

TEST(CheckIPHeader, LengthChecks) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes ihl_beyond = PacketSpec().ipv4().udp().payload_size(12).bytes();  // 40 bytes
  ihl_beyond[0] = 0x4f;  // a 60-byte header in a 40-byte packet
  h.push("in", {PacketSpec().ipv4().udp().ip_total_length(29).bytes(),  // truncated
                PacketSpec().ipv4().udp().ip_total_length(19).bytes(),  // below header
                ihl_beyond});
  EXPECT_EQ(h.drops("c", DropReason::kBadLength), 3u);
  // The total length may be exactly the header: an IP packet with no payload.
  h.push("in", {PacketSpec().ipv4().bytes()});
  EXPECT_EQ(h.sink("out").size(), 1u);
}

TEST(CheckIPHeader, ChecksumFalseSkipsTheChecksum) {
  Harness h("in :: TestSource -> c :: CheckIPHeader(CHECKSUM false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4().udp().bad_ip_checksum().bytes()});
  EXPECT_EQ(h.sink("out").size(), 1u);
}

TEST(CheckIPHeader, NoSourceChecksUnlessConfigured) {
  Harness h("in :: TestSource -> c :: CheckIPHeader -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().ipv4("0.0.0.0", "10.0.0.2").udp().bytes(),
                PacketSpec().ipv4("255.255.255.255", "10.0.0.2").udp().bytes()});
  EXPECT_EQ(h.sink("out").size(), 2u);
}

TEST(CheckIPHeader, InterfacesMakeBroadcastsBadSourcesAndOwnAddressesGoodDestinations) {
  Harness h(
      "in :: TestSource -> c :: CheckIPHeader(INTERFACES 18.26.4.9/24 18.32.9.44/28)"
      " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {
                   PacketSpec().ipv4("18.26.4.255", "1.1.1.1").udp().bytes(),      // bad
                   PacketSpec().ipv4("18.32.9.47", "1.1.1.1").udp().bytes(),       // bad
                   PacketSpec().ipv4("0.0.0.0", "1.1.1.1").udp().bytes(),          // bad
                   PacketSpec().ipv4("255.255.255.255", "1.1.1.1").udp().bytes(),  // bad
                   PacketSpec().ipv4("0.0.0.0", "18.26.4.9").udp().bytes(),        // good dst
                   PacketSpec().ipv4("18.32.9.47", "18.32.9.44").udp().bytes(),    // good dst
                   PacketSpec().ipv4("18.26.4.254", "1.1.1.1").udp().bytes(),      // fine
               });
  EXPECT_EQ(h.drops("c", DropReason::kBadSource), 4u);
  EXPECT_EQ(h.sink("out").size(), 3u);
}

TEST(CheckIPHeader, BadsrcAndGooddstKeywords) {
  Harness h(
      "in :: TestSource -> c :: CheckIPHeader(BADSRC 1.2.3.4 5.6.7.8, GOODDST 9.9.9.9)"
      " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {
                   PacketSpec().ipv4("1.2.3.4", "1.1.1.1").udp().bytes(),  // bad
                   PacketSpec().ipv4("5.6.7.8", "1.1.1.1").udp().bytes(),  // bad
                   PacketSpec().ipv4("5.6.7.8", "9.9.9.9").udp().bytes(),  // good dst
                   PacketSpec().ipv4("0.0.0.0", "1.1.1.1").udp().bytes(),  // not listed
               });
  EXPECT_EQ(h.drops("c", DropReason::kBadSource), 2u);
  EXPECT_EQ(h.sink("out").size(), 2u);
}

TEST(CheckIPHeader, OldSyntaxBadsrcAndOffset) {
  Harness h("in :: TestSource -> c :: CheckIPHeader(1.2.3.4, 14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {PacketSpec().eth().ipv4("1.2.3.4", "1.1.1.1").udp().bytes(),
                PacketSpec().eth().ipv4("0.0.0.0", "1.1.1.1").udp().bytes(),
                PacketSpec().eth().ipv4("255.255.255.255", "1.1.1.1").udp().bytes(),
                PacketSpec().eth().ipv4("1.2.3.5", "1.1.1.1").udp().bytes()});
  EXPECT_EQ(h.drops("c", DropReason::kBadSource), 3u);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 14);
}

TEST(CheckIPHeader, VerboseKeywordAccepted) {
  Harness h("in :: TestSource -> c :: CheckIPHeader(VERBOSE true) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(3), runt(4)});
  EXPECT_EQ(h.read("c.drops"), "2\n");
}

TEST(CheckIPHeader, WorksPulled) {
  Harness h(
      "in :: TestSource -> q :: Queue -> c :: CheckIPHeader -> out :: TestSink;"
      " c[1] -> bad :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {good(), runt(5), good()});
  h.pull("out");
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("bad").size(), 1u);
}

TEST(CheckIPHeader, ConfigurationErrorsNameTheKeyword) {
  const auto err = config_error_of("CheckIPHeader");
  EXPECT_NE(err("BADSRC 1.2.3").find("BADSRC"), std::string::npos);
  EXPECT_NE(err("GOODDST x").find("GOODDST"), std::string::npos);
  EXPECT_NE(err("INTERFACES 1.2.3.4/33").find("INTERFACES"), std::string::npos);
  EXPECT_NE(err("OFFSET x").find("OFFSET"), std::string::npos);
  EXPECT_NE(err("VERBOSE maybe").find("VERBOSE"), std::string::npos);
  EXPECT_NE(err("DETAILS 2").find("DETAILS"), std::string::npos);
  EXPECT_NE(err("CHECKSUM x").find("CHECKSUM"), std::string::npos);
  EXPECT_NE(err("14, OFFSET 14").find("OFFSET"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, x").find("OFFSET"), std::string::npos);
  EXPECT_NE(err("1.2.3.4, 1, 2").find("too many"), std::string::npos);
  EXPECT_NE(err("FROB 1").find("FROB"), std::string::npos);
  EXPECT_EQ(err(""), "");
  EXPECT_EQ(err("INTERFACES 10.0.0.1/8 10.1.0.1/255.255.0.0, BADSRC 1.1.1.1, GOODDST 2.2.2.2"), "");
  // Three outputs are more than 1/1-2 allows.
  EXPECT_NE(config_error("in :: TestSource -> c :: CheckIPHeader -> a :: TestSink;"
                         " c[1] -> b :: TestSink; c[2] -> d :: TestSink"),
            "");
}

}  // namespace
}  // namespace uplane::elements
