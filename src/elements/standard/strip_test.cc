// Strip and Unstrip, after Click's strip.{cc,hh} and unstrip.{cc,hh}: LENGTH bytes off the
// front, and back on. uplane drops what Click would strip past the end (too_short) or could
// not push for lack of headroom (no_room).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes runt(std::size_t n) { return ramp(n); }

TEST(Strip, RemovesTheEthernetHeader) {
  Harness h("in :: TestSource -> s :: Strip(14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes frame = PacketSpec().eth().ipv4().udp(5, 6).payload_size(4).bytes();
  h.push("in", {frame}, [](mem::Packet& p) {
    p.set_network_header(p.data() + 14);
    p.set_paint(2);
  });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().ipv4().udp(5, 6).payload_size(4).bytes());
  // The annotation still names the IP header, now at the front.
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 0);
  EXPECT_EQ(h.sink("out")[0].paint, 2);
}

TEST(Strip, ShortPacketsAreDroppedTooShort) {
  Harness h("in :: TestSource -> s :: Strip(14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(1), runt(13), runt(14), runt(20), runt(33)});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_TRUE(h.sink("out")[0].bytes.empty());  // exactly 14: nothing left, still a packet
  EXPECT_EQ(h.sink("out")[1].bytes, (Bytes{14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(h.sink("out")[2].bytes.size(), 19u);
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 3u);
}

TEST(Strip, ZeroAndPullContext) {
  Harness h("in :: TestSource -> q :: Queue -> s :: Strip(2) -> Strip(0) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(5), runt(1), runt(3)});
  EXPECT_EQ(h.pull("out", 32), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, (Bytes{2, 3, 4}));
  EXPECT_EQ(h.sink("out")[1].bytes, (Bytes{2}));
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 1u);
}

TEST(Strip, NetworkHeaderStrippedAwayIsNoLongerSet) {
  Harness h("in :: TestSource -> Strip(20) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(40)}, [](mem::Packet& p) { p.set_network_header(p.data() + 14); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, -1);
}

TEST(Strip, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> Strip -> TestSink").find("LENGTH"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Strip(-4) -> TestSink").find("LENGTH"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Strip(x) -> TestSink").find("LENGTH"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Strip(1, 2) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_EQ(config_error("TestSource -> Strip(LENGTH 4) -> TestSink"), "");
}

TEST(Unstrip, RestoresWhatStripRemoved) {
  Harness h("in :: TestSource -> Strip(14) -> u :: Unstrip(14) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes frame = PacketSpec().eth().ipv4().udp().bytes();
  h.push("in", {frame}, [](mem::Packet& p) { p.set_network_header(p.data() + 14); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, frame);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 14);
}

TEST(Unstrip, GrowsIntoHeadroomAndEmptyPackets) {
  Harness h("in :: TestSource -> u :: Unstrip(4) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, runt(1)});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes.size(), 4u);
  EXPECT_EQ(h.sink("out")[1].bytes.size(), 5u);
  EXPECT_EQ(h.sink("out")[1].bytes[4], 0);
}

TEST(Unstrip, NoHeadroomIsDroppedNoRoom) {
  // Pool frames start with 128 bytes of headroom.
  Harness h(
      "in :: TestSource -> u :: Unstrip(129) -> out :: TestSink;"
      "in2 :: TestSource -> q :: Queue -> u2 :: Unstrip(128) -> out2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {runt(20), Bytes{}});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("u", DropReason::kNoRoom), 2u);
  h.push("in2", {runt(20)});
  EXPECT_EQ(h.pull("out2"), 1u);
  EXPECT_EQ(h.sink("out2")[0].bytes.size(), 148u);
}

TEST(Unstrip, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> Unstrip -> TestSink").find("LENGTH"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Unstrip(-1) -> TestSink").find("LENGTH"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Unstrip(2, 3) -> TestSink").find("too many"),
            std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
