// Paint and PaintSwitch, after Click's paint.{cc,hh} and paintswitch.{cc,hh}: Paint sets
// the (or another one-byte) annotation; PaintSwitch sends a packet to the output its paint
// names, copies 255-painted packets to every output, and drops packets whose paint names
// no output.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes pkt(std::uint8_t tag) { return Bytes{tag, 1, 2, 3}; }

// --- Paint ---

TEST(Paint, SetsThePaintAnnotation) {
  Harness h("in :: TestSource -> p :: Paint(7) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes b = PacketSpec().eth().ipv4().udp().bytes();
  h.push("in", {b, Bytes{}, Bytes{1}}, [](mem::Packet& p) { p.set_paint(200); });
  ASSERT_EQ(h.sink("out").size(), 3u);
  for (const auto& o : h.sink("out")) EXPECT_EQ(o.paint, 7);
  EXPECT_EQ(h.sink("out")[0].bytes, b);
  EXPECT_EQ(h.sink("out")[1].bytes, Bytes{});
  EXPECT_EQ(h.read("p.color"), "7\n");
}

TEST(Paint, AnnoChoosesAUserAnnotationByte) {
  Harness h(
      "in :: TestSource -> p :: Paint(COLOR 9, ANNO 3) -> out :: TestSink;"
      "in2 :: TestSource -> Paint(4, PAINT) -> out2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {pkt(0)});
  h.push("in2", {pkt(0)});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].paint, 0);
  EXPECT_EQ(h.sink("out")[0].user_anno[3], 9);
  EXPECT_EQ(h.sink("out")[0].user_anno[2], 0);
  EXPECT_EQ(h.sink("out2")[0].paint, 4);
}

TEST(Paint, WorksInPullContext) {
  Harness h("in :: TestSource -> q :: Queue -> p :: Paint(255) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {pkt(1), pkt(2)});
  EXPECT_EQ(h.pull("out"), 2u);
  EXPECT_EQ(h.sink("out")[1].paint, 255);
}

TEST(Paint, ColorHandler) {
  Harness h("in :: TestSource -> p :: Paint(1) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("p.color", "42\n").is_ok());
  EXPECT_EQ(h.read("p.color"), "42\n");
  h.push("in", {pkt(0)});
  EXPECT_EQ(h.sink("out")[0].paint, 42);
  EXPECT_FALSE(h.write("p.color", "256").is_ok());
  EXPECT_FALSE(h.write("p.color", "red").is_ok());
  EXPECT_EQ(h.read("p.color"), "42\n");
}

TEST(Paint, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> Paint -> TestSink").find("COLOR"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Paint(256) -> TestSink").find("COLOR"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Paint(-1) -> TestSink").find("COLOR"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Paint(1, ANNO 48) -> TestSink").find("ANNO"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Paint(1, DST_IP) -> TestSink").find("ANNO"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Paint(1, 2, 3) -> TestSink").find("too many"),
            std::string::npos);
}

// --- PaintSwitch ---

TEST(PaintSwitch, SendsByPaint) {
  Harness h(
      "in :: TestSource -> s :: PaintSwitch -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> v;
  for (std::uint8_t i = 0; i < 8; ++i) v.push_back(pkt(i));
  // Paint packet i with i % 4: paint 3 names no output.
  h.push("in", v, [](mem::Packet& p) { p.set_paint(static_cast<std::uint8_t>(p.data()[0] % 4)); });
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{0, 4}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{1, 5}));
  EXPECT_EQ(first_bytes(h.sink("o2")), (std::vector<int>{2, 6}));
  EXPECT_EQ(h.drops("s", DropReason::kUnconnected), 2u);
}

TEST(PaintSwitch, PaintedTwoFiftyFiveGoesEverywhere) {
  Harness h(
      "in :: TestSource -> s :: PaintSwitch -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // Paints 0, 255, 0, 2, 255: every output keeps arrival order.
  const std::uint8_t paints[] = {0, 255, 0, 2, 255};
  std::vector<Bytes> v;
  for (std::uint8_t i = 0; i < 5; ++i) v.push_back(pkt(i));
  h.push("in", v, [&](mem::Packet& p) { p.set_paint(paints[p.data()[0]]); });
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{0, 1, 2, 4}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{1, 4}));
  EXPECT_EQ(first_bytes(h.sink("o2")), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(h.sink("o1")[0].bytes, pkt(1));
  EXPECT_EQ(h.sink("o1")[0].paint, 255);
  EXPECT_EQ(h.read("s.alloc_failures"), "0\n");
}

TEST(PaintSwitch, AnnoKeyword) {
  Harness h(
      "in :: TestSource -> s :: PaintSwitch(ANNO 5) -> o0 :: TestSink; s[1] -> o1 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {pkt(0), pkt(1)}, [](mem::Packet& p) {
    p.set_paint(0);
    p.user_anno()[5] = p.data()[0];
  });
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{0}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{1}));
}

TEST(PaintSwitch, ManyOutputs) {
  std::string config = "in :: TestSource -> s :: PaintSwitch -> o0 :: TestSink";
  for (int i = 1; i < 100; ++i)
    config += "; s[" + std::to_string(i) + "] -> o" + std::to_string(i) + " :: TestSink";
  Harness h(config);
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {pkt(99), pkt(70), pkt(99), pkt(100)},
         [](mem::Packet& p) { p.set_paint(p.data()[0]); });
  EXPECT_EQ(h.sink("o99").size(), 2u);
  EXPECT_EQ(h.sink("o70").size(), 1u);
  EXPECT_EQ(h.drops("s", DropReason::kUnconnected), 1u);
}

TEST(PaintSwitch, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> PaintSwitch(ANNO x) -> TestSink").find("ANNO"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> PaintSwitch(1, 2) -> TestSink").find("too many"),
            std::string::npos);
  // Push only: a queue's pull output cannot feed it.
  EXPECT_FALSE(config_error("TestSource -> Queue -> PaintSwitch -> TestSink").empty());
}

}  // namespace
}  // namespace uplane::elements
