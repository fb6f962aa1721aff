// ARPResponder: replies built independently with PacketSpec from RFC 826 and Click's
// documentation of the reply's fields.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

constexpr const char* kMe = "00:11:22:33:44:55";
constexpr const char* kThem = "00:aa:bb:cc:dd:ee";
constexpr const char* kZero = "00:00:00:00:00:00";

Bytes request(const char* target_ip, const char* sender_ip = "10.0.0.2") {
  return PacketSpec()
      .eth("ff:ff:ff:ff:ff:ff", kThem)
      .arp(1, kThem, sender_ip, kZero, target_ip)
      .bytes();
}

Bytes reply(const char* from_eth, const char* answered_ip, const char* to_ip = "10.0.0.2") {
  return PacketSpec().eth(kThem, from_eth).arp(2, from_eth, answered_ip, kThem, to_ip).bytes();
}

Bytes runt(std::size_t n) { return ramp(n); }

TEST(ARPResponder, AnswersARequestForItsAddress) {
  Harness h("in :: TestSource -> a :: ARPResponder(10.0.0.1 00:11:22:33:44:55) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {request("10.0.0.1")}, [](mem::Packet& p) {
    p.set_vlan_tci(0x0123);
    p.set_paint(9);
    p.set_dst_ip_anno_raw(0x04030201);
    p.set_input_port(3);
  });
  ASSERT_EQ(h.sink("out").size(), 1u);
  const auto& o = h.sink("out")[0];
  EXPECT_EQ(o.bytes, reply(kMe, "10.0.0.1"));
  // The reply is a new packet: only the VLAN (and device) annotations come from the request.
  EXPECT_EQ(o.vlan_tci, 0x0123);
  EXPECT_EQ(o.paint, 0);
  EXPECT_EQ(o.dst_ip_anno, 0u);
  EXPECT_EQ(o.network_header_offset, 14);
}

TEST(ARPResponder, PaddedRequestGetsAnExact42ByteReply) {
  Harness h("in :: TestSource -> ARPResponder(10.0.0.1 00:11:22:33:44:55) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes padded = request("10.0.0.1");
  padded.resize(60, 0);
  h.push("in", {padded});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, reply(kMe, "10.0.0.1"));
}

TEST(ARPResponder, PrefixesAndProxyArp) {
  // One argument with two prefixes and an address; a second, more specific, inside the first.
  Harness h(
      "in :: TestSource -> a :: ARPResponder(18.26.4.24 18.26.0.0/16 00:00:C0:AE:67:EF, "
      "18.26.7.0/255.255.255.0 00-00-00-00-00-07) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {request("18.26.4.24"), request("18.26.7.9"), request("18.26.200.1")});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, reply("00:00:c0:ae:67:ef", "18.26.4.24"));
  EXPECT_EQ(h.sink("out")[1].bytes, reply("00:00:00:00:00:07", "18.26.7.9"));
  EXPECT_EQ(h.sink("out")[2].bytes, reply("00:00:c0:ae:67:ef", "18.26.200.1"));
  EXPECT_EQ(h.read("a.table"),
            "18.26.4.24/32 00-00-C0-AE-67-EF\n"
            "18.26.7.0/24 00-00-00-00-00-07\n"
            "18.26.0.0/16 00-00-C0-AE-67-EF\n");
}

TEST(ARPResponder, MostSpecificWinsWhateverTheOrder) {
  for (const char* args : {"10.0.0.0/8 00:00:00:00:00:01, 10.1.0.0/16 00:00:00:00:00:02",
                           "10.1.0.0/16 00:00:00:00:00:02, 10.0.0.0/8 00:00:00:00:00:01"}) {
    SCOPED_TRACE(args);
    Harness h(std::string("in :: TestSource -> a :: ARPResponder(") + args +
              ") -> out :: TestSink");
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("in", {request("10.1.2.3"), request("10.2.0.1")});
    ASSERT_EQ(h.sink("out").size(), 2u);
    EXPECT_EQ(h.sink("out")[0].bytes, reply("00:00:00:00:00:02", "10.1.2.3"));
    EXPECT_EQ(h.sink("out")[1].bytes, reply("00:00:00:00:00:01", "10.2.0.1"));
    EXPECT_EQ(h.read("a.table"), "10.1.0.0/16 00-00-00-00-00-02\n10.0.0.0/8 00-00-00-00-00-01\n");
  }
}

TEST(ARPResponder, RepeatedPrefixKeepsTheLaterAddress) {
  Harness h(
      "in :: TestSource -> a :: ARPResponder(10.0.0.1 00:00:00:00:00:01, "
      "10.0.0.1/32 00:00:00:00:00:02) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("a.table"), "10.0.0.1/32 00-00-00-00-00-02\n");
}

TEST(ARPResponder, UnansweredPacketsGoToOutput1) {
  Harness h(
      "in :: TestSource -> a :: ARPResponder(10.0.0.1 00:11:22:33:44:55) -> out :: TestSink;"
      "a[1] -> other :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes not_mine = request("10.0.0.9");
  Bytes a_reply = reply(kMe, "10.0.0.1");
  Bytes ip = PacketSpec().eth().ipv4().udp().bytes();
  Bytes bad_hlen = request("10.0.0.1");
  bad_hlen[14 + 4] = 8;
  h.push("in", {not_mine, a_reply, ip, bad_hlen, runt(41), request("10.0.0.1")});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, reply(kMe, "10.0.0.1"));
  ASSERT_EQ(h.sink("other").size(), 5u);
  EXPECT_EQ(h.sink("other")[0].bytes, not_mine);
  EXPECT_EQ(h.sink("other")[1].bytes, a_reply);
  EXPECT_EQ(h.sink("other")[2].bytes, ip);
  EXPECT_EQ(h.sink("other")[3].bytes, bad_hlen);
  EXPECT_EQ(h.sink("other")[4].bytes, runt(41));
  EXPECT_EQ(h.read("a.drop_reasons"), "");
}

TEST(ARPResponder, PullInputWithPushOutput1) {
  Harness h(
      "in :: TestSource -> SimpleQueue -> a :: ARPResponder(10.0.0.1 00:11:22:33:44:55)"
      " -> out :: TestSink; a[1] -> other :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {request("10.0.0.9"), request("10.0.0.1"), runt(20)});
  EXPECT_TRUE(h.sink("other").empty());
  EXPECT_EQ(h.pull("out"), 1u);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, reply(kMe, "10.0.0.1"));
  ASSERT_EQ(h.sink("other").size(), 2u);
  EXPECT_EQ(h.sink("other")[0].bytes, request("10.0.0.9"));
  EXPECT_EQ(h.sink("other")[1].bytes, runt(20));
}

TEST(ARPResponder, WithoutOutput1UnansweredPacketsAreDroppedByReason) {
  Harness h("in :: TestSource -> a :: ARPResponder(10.0.0.1 00:11:22:33:44:55) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  auto with = [](Bytes b, std::size_t at, std::uint8_t v) {
    b[at] = v;
    return b;
  };
  const Bytes req = request("10.0.0.1");
  h.push("in", {
                   Bytes{}, runt(1), runt(13), runt(14), runt(20), runt(33), runt(41),  // short
                   with(req, 13, 0x00),                                                 // IPv4 type
                   with(req, 15, 6),                                                    // hrd 6
                   with(req, 17, 0xdd),     // pro 0x08dd
                   with(req, 18, 8),        // hlen 8
                   with(req, 19, 16),       // plen 16
                   with(req, 21, 3),        // op 3
                   reply(kMe, "10.0.0.1"),  // a reply
                   request("10.0.0.3"),     // not ours
               });
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("a", DropReason::kTooShort), 7u);
  EXPECT_EQ(h.drops("a", DropReason::kBadHeader), 5u);
  EXPECT_EQ(h.drops("a", DropReason::kFiltered), 3u);
  EXPECT_EQ(h.read("a.drop_reasons"), "too_short 7\nbad_header 5\nfiltered 3\n");
}

TEST(ARPResponder, AddAndRemoveHandlers) {
  Harness h("in :: TestSource -> a :: ARPResponder(10.0.0.1 00:11:22:33:44:55) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("a.add", "10.0.1.0/24 10.0.2.7 00:00:00:00:00:0b").is_ok());
  EXPECT_EQ(h.read("a.table"),
            "10.0.0.1/32 00-11-22-33-44-55\n"
            "10.0.1.0/24 00-00-00-00-00-0B\n"
            "10.0.2.7/32 00-00-00-00-00-0B\n");
  h.push("in", {request("10.0.1.200")});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, reply("00:00:00:00:00:0b", "10.0.1.200"));

  EXPECT_FALSE(h.write("a.add", "10.0.3.1").is_ok());           // missing ETH
  EXPECT_FALSE(h.write("a.add", "00:00:00:00:00:0c").is_ok());  // missing IP/MASK
  EXPECT_FALSE(h.write("a.add", "10.0.3.1 0:0:0:0:0:1 0:0:0:0:0:2").is_ok());
  ASSERT_TRUE(h.write("a.remove", "10.0.1.0/255.255.255.0").is_ok());
  EXPECT_FALSE(h.write("a.remove", "10.0.1.0/24").is_ok());
  EXPECT_FALSE(h.write("a.remove", "bogus").is_ok());
  ASSERT_TRUE(h.write("a.remove", "10.0.0.1").is_ok());
  EXPECT_EQ(h.read("a.table"), "10.0.2.7/32 00-00-00-00-00-0B\n");
  Status st = h.write("a.remove", "10.0.9.0/24");
  EXPECT_NE(st.message().find("10.0.9.0/24 not found"), std::string::npos) << st.message();
}

TEST(ARPResponder, ConfigurationErrors) {
  const auto err = config_error_of("ARPResponder");
  EXPECT_EQ(err(""), "");
  EXPECT_EQ(err("10.0.0.1/24 00:11:22:33:44:55"), "");
  EXPECT_NE(err("10.0.0.1").find("missing ETH"), std::string::npos);
  EXPECT_NE(err("00:11:22:33:44:55").find("missing IP/MASK"), std::string::npos);
  EXPECT_NE(err("10.0.0.1 0:0:0:0:0:1 0:0:0:0:0:2").find("more than one ETH"), std::string::npos);
  EXPECT_NE(err("10.0.0.1 00:11:22:33:44:55, 10.0.0.1/33 00:11:22:33:44:55")
                .find("argument 1: expected IP/MASK ETH"),
            std::string::npos);
  EXPECT_NE(err("10.0.0.1 00:11:22:33:44:55, LATER 1").find("LATER"), std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
