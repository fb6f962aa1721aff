// Tee, RoundRobinSwitch and HashSwitch, after Click's tee.cc, rrswitch.cc and
// hashswitch.cc. HashSwitch's expected outputs are computed by hand from Click's rule: sum
// the bytes; with 2, 4 or 8 outputs take (sum ^ sum >> 4) & (n - 1), else sum % n; a packet
// too short for OFFSET + LENGTH goes to output 0.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

std::vector<Bytes> tagged(int n) {
  std::vector<Bytes> v;
  for (int i = 0; i < n; ++i) v.push_back(Bytes{static_cast<std::uint8_t>(i), 9, 9});
  return v;
}

// --- Tee ---

TEST(Tee, CopiesToEveryOutput) {
  Harness h(
      "in :: TestSource -> t :: Tee -> o0 :: TestSink; t[1] -> o1 :: TestSink;"
      "t[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes b = PacketSpec().eth().ipv4().udp().payload_size(3).bytes();
  h.push("in", {b, Bytes{}, Bytes{7}}, [](mem::Packet& p) {
    p.set_paint(5);
    p.set_network_header(p.data() + (p.length() > 14 ? 14 : 0));
    p.user_anno()[0] = 0x77;
  });
  for (const char* o : {"o0", "o1", "o2"}) {
    ASSERT_EQ(h.sink(o).size(), 3u) << o;
    EXPECT_EQ(h.sink(o)[0].bytes, b) << o;
    EXPECT_EQ(h.sink(o)[0].paint, 5) << o;
    EXPECT_EQ(h.sink(o)[0].network_header_offset, 14) << o;
    EXPECT_EQ(h.sink(o)[0].user_anno[0], 0x77) << o;
    EXPECT_TRUE(h.sink(o)[1].bytes.empty()) << o;
    EXPECT_EQ(h.sink(o)[2].bytes, Bytes{7}) << o;
  }
  EXPECT_EQ(h.read("t.alloc_failures"), "0\n");
}

TEST(Tee, OneOutputPassesThrough) {
  Harness h("in :: TestSource -> t :: Tee(1) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", tagged(40));
  EXPECT_EQ(first_bytes(h.sink("out")).size(), 40u);
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

TEST(Tee, EmptyPoolLosesCopiesNotOriginals) {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 40;
  Harness h("in :: TestSource -> t :: Tee -> o0 :: TestSink; t[1] -> o1 :: TestSink", o);
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", tagged(32));  // 32 frames in use: 8 left for copies
  EXPECT_EQ(h.sink("o0").size(), 8u);
  EXPECT_EQ(h.sink("o1").size(), 32u);
  EXPECT_EQ(h.read("t.alloc_failures"), "24\n");
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

TEST(Tee, ConfigurationErrors) {
  EXPECT_NE(
      config_error("in :: TestSource -> t :: Tee(3) -> TestSink; t[1] -> TestSink").find("N:"),
      std::string::npos);
  EXPECT_EQ(config_error("in :: TestSource -> t :: Tee(2) -> TestSink; t[1] -> TestSink"), "");
  EXPECT_NE(config_error("TestSource -> Tee(x) -> TestSink").find("N:"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> Tee(1, 2) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_FALSE(config_error("TestSource -> Queue -> Tee -> TestSink").empty());  // push only
}

// --- RoundRobinSwitch ---

TEST(RoundRobinSwitch, TakesTurns) {
  Harness h(
      "in :: TestSource -> s :: RoundRobinSwitch -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", tagged(7));
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{0, 3, 6}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{1, 4}));
  EXPECT_EQ(first_bytes(h.sink("o2")), (std::vector<int>{2, 5}));
  // The turn carries over to the next batch.
  h.push("in", {Bytes{100}});
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{1, 4, 100}));
}

TEST(RoundRobinSwitch, OneOutput) {
  Harness h("in :: TestSource -> s :: RoundRobinSwitch -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", tagged(3));
  EXPECT_EQ(first_bytes(h.sink("out")), (std::vector<int>{0, 1, 2}));
}

TEST(RoundRobinSwitch, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> RoundRobinSwitch(1) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_FALSE(config_error("TestSource -> RoundRobinSwitch").empty());  // needs an output
}

// --- HashSwitch ---

TEST(HashSwitch, SumModuloOutputCount) {
  Harness h(
      "in :: TestSource -> s :: HashSwitch(1, 2) -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // Bytes 1 and 2 are hashed. Sums: 21 -> 0, 2 -> 2, 4 -> 1, 255 + 255 = 510 -> 0.
  h.push("in", {Bytes{0, 0x10, 0x05}, Bytes{1, 1, 1}, Bytes{2, 2, 2, 9}, Bytes{3, 255, 255}});
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{0, 3}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{2}));
  EXPECT_EQ(first_bytes(h.sink("o2")), (std::vector<int>{1}));
}

TEST(HashSwitch, FoldsForTwoFourAndEightOutputs) {
  Harness h(
      "in :: TestSource -> s :: HashSwitch(1, 1) -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink; s[3] -> o3 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // 6: 6 ^ 0 = 6 -> 2.  17: 17 ^ 1 = 16 -> 0.  18: 18 ^ 1 = 19 -> 3.  0x25: 37 ^ 2 = 39 -> 3.
  // 0x41: 65 ^ 4 = 69 -> 1.
  h.push("in", {Bytes{0, 6}, Bytes{1, 17}, Bytes{2, 18}, Bytes{3, 0x25}, Bytes{4, 0x41}});
  EXPECT_EQ(first_bytes(h.sink("o0")), (std::vector<int>{1}));
  EXPECT_EQ(first_bytes(h.sink("o1")), (std::vector<int>{4}));
  EXPECT_EQ(first_bytes(h.sink("o2")), (std::vector<int>{0}));
  EXPECT_EQ(first_bytes(h.sink("o3")), (std::vector<int>{2, 3}));
}

TEST(HashSwitch, ShortPacketsGoToOutputZero) {
  Harness h(
      "in :: TestSource -> s :: HashSwitch(16, 4) -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes b1(1, 1), b13(13, 1), b14(14, 1), b19(19, 1), b20(20, 1);
  h.push("in", {Bytes{}, b1, b13, b14, b19});
  EXPECT_EQ(h.sink("o0").size(), 5u);
  // 20 bytes reach: bytes 16..19 sum to 4 -> output 1.
  h.push("in", {b20});
  EXPECT_EQ(h.sink("o1").size(), 1u);
  EXPECT_EQ(h.drops("s", DropReason::kTooShort), 0u);
}

TEST(HashSwitch, IpDestinationExample) {
  // Click's example: HashSwitch(16, 4) over IP packets hashes the destination address.
  Harness h(
      "in :: TestSource -> s :: HashSwitch(16, 4) -> o0 :: TestSink; s[1] -> o1 :: TestSink;"
      "s[2] -> o2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // 10.0.0.2: 10 + 0 + 0 + 2 = 12 -> 0; 10.0.0.3: 13 -> 1; 10.0.0.4: 14 -> 2.
  h.push("in", {PacketSpec().ipv4("1.1.1.1", "10.0.0.2").bytes(),
                PacketSpec().ipv4("1.1.1.1", "10.0.0.3").bytes(),
                PacketSpec().ipv4("1.1.1.1", "10.0.0.4").bytes()});
  EXPECT_EQ(h.sink("o0").size(), 1u);
  EXPECT_EQ(h.sink("o1").size(), 1u);
  EXPECT_EQ(h.sink("o2").size(), 1u);
}

TEST(HashSwitch, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> HashSwitch(0, 0) -> TestSink").find("LENGTH"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> HashSwitch(-1, 2) -> TestSink").find("OFFSET"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> HashSwitch(4) -> TestSink").find("LENGTH"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> HashSwitch -> TestSink").find("OFFSET"), std::string::npos);
  EXPECT_NE(config_error("TestSource -> HashSwitch(1, 2, 3) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_EQ(config_error("TestSource -> HashSwitch(OFFSET 1, LENGTH 2) -> TestSink"), "");
}

}  // namespace
}  // namespace uplane::elements
