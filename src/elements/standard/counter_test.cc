// Counter, its moving average (Click's RateEWMAX: 1 ms epochs, alpha 1/16, 10 fraction bits
// for packets and 4 for bytes) and Click's cp_unparse_real2. Expected rates are worked out
// by hand from Click's formulas; the unparse cases are the ones Click's own confparse.cc
// lists in its TEST_REAL2 block.

#include "elements/standard/counter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace uplane::elements {
namespace {

using namespace testing;

TEST(UnparseReal2, ClicksTestCases) {
  // Click parses the decimal to the nearest multiple of 2^-bits, then unparses it.
  EXPECT_EQ(unparse_real2(107, 8), "0.418");    // 0.418 and 0.417
  EXPECT_EQ(unparse_real2(106, 8), "0.414");    // 0.416
  EXPECT_EQ(unparse_real2(108, 8), "0.42");     // 0.42
  EXPECT_EQ(unparse_real2(19661, 16), "0.3");   // 0.3
  EXPECT_EQ(unparse_real2(32113, 16), "0.49");  // 0.49
  EXPECT_EQ(unparse_real2(32702, 16), "0.499");
  EXPECT_EQ(unparse_real2(32761, 16), "0.4999");
  EXPECT_EQ(unparse_real2(32767, 16), "0.49998");  // 0.49999 and 0.49998
  EXPECT_EQ(unparse_real2(32768, 16), "0.5");      // 0.499999
  EXPECT_EQ(unparse_real2(65536, 16), "1");        // 0.999999
}

TEST(UnparseReal2, IntegersAndSigns) {
  EXPECT_EQ(unparse_real2(0, 10), "0");
  EXPECT_EQ(unparse_real2(625 << 10, 10), "625");
  EXPECT_EQ(unparse_real2((std::int64_t{1} << 40) * 1024, 10), "1099511627776");
  EXPECT_EQ(unparse_real2(-(3 << 4) - 8, 4), "-3.5");
  EXPECT_EQ(unparse_real2(1, 1), "0.5");
}

TEST(RateEwma, OneEpochOfTenPackets) {
  Counter::PacketRate r;
  r.reset(1000);
  r.update(10, 1000);
  // Not closed yet: the epoch is still running.
  EXPECT_EQ(r.unparse_rate(1000), "0");
  // Closed: avg = (10 * 1024 + 8) >> 4 = 640, i.e. 0.625 packets/ms = 625/s.
  EXPECT_EQ(r.scaled_average(1001), 640);
  EXPECT_EQ(r.unparse_rate(1001), "625");
}

TEST(RateEwma, IdleEpochsDecay) {
  Counter::PacketRate r;
  r.reset(1000);
  r.update(10, 1000);
  // Two empty epochs after the first: 640 -> 640 + ((8 - 640) >> 4) = 600 -> 563.
  EXPECT_EQ(r.scaled_average(1003), 563);
  // 563 * 1000 / 1024 = 549.8046875, printed to the value's precision.
  EXPECT_EQ(r.unparse_rate(1003), "549.805");
  // A hundred empty epochs or more reset the average.
  EXPECT_EQ(r.unparse_rate(1102), "0");
  // Reading does not change the state: the writer's next update sees the same history.
  r.update(0, 1001);
  EXPECT_EQ(r.scaled_average(1001), 640);
}

TEST(RateEwma, Bytes) {
  Counter::ByteRate r;
  r.reset(5);
  r.update(600, 5);
  r.update(400, 5);
  // avg = (1000 * 16 + 8) >> 4 = 1000, with 4 fraction bits: 62.5 bytes/ms (the first
  // epoch carries weight 1/16), so 62500 bytes/s.
  EXPECT_EQ(r.scaled_average(6), 1000);
  EXPECT_EQ(r.unparse_rate(6), "62500");
}

TEST(Counter, CountsPacketsAndBytesInPush) {
  Harness h("in :: TestSource -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("c.count"), "0\n");
  h.push("in", {Bytes(60), Bytes(100), Bytes{}, Bytes(1)});
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[1].bytes.size(), 100u);
  EXPECT_EQ(h.read("c.count"), "4\n");
  EXPECT_EQ(h.read("c.byte_count"), "161\n");
  std::vector<Bytes> many(70, Bytes(10));
  h.push("in", many);
  EXPECT_EQ(h.read("c.count"), "74\n");
  EXPECT_EQ(h.read("c.byte_count"), "861\n");
}

TEST(Counter, CountsInPull) {
  Harness h("in :: TestSource -> q :: Queue -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes(20), Bytes(30), Bytes(40)});
  EXPECT_EQ(h.read("c.count"), "0\n");
  EXPECT_EQ(h.pull("out", 2), 2u);
  EXPECT_EQ(h.read("c.count"), "2\n");
  EXPECT_EQ(h.read("c.byte_count"), "50\n");
  EXPECT_EQ(h.pull("out", 32), 1u);
  EXPECT_EQ(h.pull("out", 32), 0u);
  EXPECT_EQ(h.read("c.count"), "3\n");
  EXPECT_EQ(h.read("c.byte_count"), "90\n");
}

TEST(Counter, PassesPacketsUnchanged) {
  Harness h("in :: TestSource -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes pkt = PacketSpec().eth().ipv4().udp().payload_size(5).bytes();
  h.push("in", {pkt}, [](mem::Packet& p) { p.set_paint(9); });
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, pkt);
  EXPECT_EQ(h.sink("out")[0].paint, 9);
}

TEST(Counter, ResetClearsCounts) {
  Harness h("in :: TestSource -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes(10), Bytes(10)});
  ASSERT_TRUE(h.write("c.reset", "").is_ok());
  EXPECT_EQ(h.read("c.count"), "0\n");
  EXPECT_EQ(h.read("c.byte_count"), "0\n");
  h.push("in", {Bytes(10)});
  ASSERT_TRUE(h.write("c.reset_counts", "").is_ok());
  EXPECT_EQ(h.read("c.count"), "0\n");
}

TEST(Counter, RatesReadAsNumbers) {
  Harness h("in :: TestSource -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("c.rate"), "0\n");
  EXPECT_EQ(h.read("c.byte_rate"), "0\n");
  EXPECT_EQ(h.read("c.bit_rate"), "0\n");
  h.push("in", std::vector<Bytes>(16, Bytes(100)));
  // After more than 100 idle epochs every average is back to zero.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(h.read("c.rate"), "0\n");
  EXPECT_EQ(h.read("c.bit_rate"), "0\n");
}

TEST(Counter, RateRightAfterTraffic) {
  Harness h("in :: TestSource -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", std::vector<Bytes>(16, Bytes(100)));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  // 16 packets closed in one epoch, then 0 or more empty epochs: (16 * 1024 + 8) >> 4 =
  // 1024 after the first, i.e. 1000 packets/s, decaying with each idle millisecond.
  const std::string rate = h.read("c.rate");
  ASSERT_FALSE(rate.empty());
  const double r = std::stod(rate);
  EXPECT_GT(r, 0.0);
  EXPECT_LE(r, 1000.0);
}

TEST(Counter, CallsAreNotSupported) {
  EXPECT_NE(
      config_error("TestSource -> Counter(COUNT_CALL 5 x.reset) -> TestSink").find("COUNT_CALL"),
      std::string::npos);
  EXPECT_NE(config_error("TestSource -> Counter(BYTE_COUNT_CALL 5 x.reset) -> TestSink")
                .find("BYTE_COUNT_CALL"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Counter(5) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Counter(RATE 5) -> TestSink").find("RATE"),
            std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
