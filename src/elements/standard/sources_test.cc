// InfiniteSource and RatedSource: expected packets and handler values come from Click's
// documentation of the two sources (DATA, LENGTH, LIMIT, BURST, RATE and the token bucket
// that paces RatedSource: 2 tokens below 200 packets/s, RATE/100 above, one to start with).

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "graph/element.h"
#include "graph/task.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

const std::string kClickDefault =
    "Random bullshit in a packet, at least 64 bytes long. Well, now it is.";

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// --- InfiniteSource ---

TEST(InfiniteSource, DefaultDataIsClicksText) {
  Harness h("s :: InfiniteSource(LIMIT 2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_TRUE(h.run_tasks(1));
  ASSERT_EQ(h.sink("out").size(), 1u);  // BURST defaults to 1
  EXPECT_EQ(h.sink("out")[0].bytes, bytes_of(kClickDefault));
  EXPECT_EQ(h.sink("out")[0].bytes.size(), 69u);
  EXPECT_EQ(h.read("s.data"), kClickDefault);
}

TEST(InfiniteSource, StopsAtLimitAndCounts) {
  Harness h("s :: InfiniteSource(\\<0102>, 3) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_TRUE(h.run_tasks(5));
  ASSERT_EQ(h.sink("out").size(), 3u);
  for (const auto& o : h.sink("out")) EXPECT_EQ(o.bytes, (Bytes{0x01, 0x02}));
  EXPECT_EQ(h.read("s.count"), "3\n");
  EXPECT_FALSE(h.run_tasks(1));  // done: the task no longer runs
  EXPECT_FALSE(h.router().stop_requested());
}

TEST(InfiniteSource, BurstGoesOutAsBatchesOfAtMost32) {
  Harness h("s :: InfiniteSource(\\<aa>, 100, 40) -> c :: Counter -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 40u);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 80u);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 100u);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 100u);
  EXPECT_EQ(h.read("s.count"), "100\n");
  EXPECT_EQ(h.read("c.count"), "100\n");
}

TEST(InfiniteSource, StopAsksTheRouterToStop) {
  Harness h("s :: InfiniteSource(LIMIT 2, BURST 5, STOP true) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h.router().stop_requested());
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_TRUE(h.router().stop_requested());
}

TEST(InfiniteSource, NoLimitWithoutStop) {
  Harness h("s :: InfiniteSource(BURST 3, STOP true) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(4);
  EXPECT_EQ(h.sink("out").size(), 12u);
  EXPECT_FALSE(h.router().stop_requested());
  EXPECT_EQ(h.read("s.limit"), "-1\n");
}

TEST(InfiniteSource, LengthCutsOrRepeatsData) {
  Harness h(
      "a :: InfiniteSource(\\<010203>, 1, LENGTH 7) -> oa :: TestSink;"
      "b :: InfiniteSource(\\<010203>, 1, LENGTH 2) -> ob :: TestSink;"
      "c :: InfiniteSource(\\<010203>, 1, DATASIZE 4) -> oc :: TestSink;"
      "d :: InfiniteSource(\"\", 1, LENGTH 3) -> od :: TestSink;"
      "e :: InfiniteSource(\\<0102>, 1, LENGTH 0) -> oe :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  ASSERT_EQ(h.sink("oa").size(), 1u);
  EXPECT_EQ(h.sink("oa")[0].bytes, (Bytes{1, 2, 3, 1, 2, 3, 1}));
  EXPECT_EQ(h.sink("ob")[0].bytes, (Bytes{1, 2}));
  EXPECT_EQ(h.sink("oc")[0].bytes, (Bytes{1, 2, 3, 1}));
  EXPECT_EQ(h.sink("od")[0].bytes, (Bytes{0, 0, 0}));
  EXPECT_TRUE(h.sink("oe")[0].bytes.empty());
  EXPECT_EQ(h.read("a.length"), "7\n");
  EXPECT_EQ(h.read("c.datasize"), "4\n");
}

TEST(InfiniteSource, InactiveSendsNothingUntilActivated) {
  Harness h("s :: InfiniteSource(\\<05>, 4, 2, false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h.run_tasks(3));
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.read("s.active"), "false\n");
  ASSERT_TRUE(h.write("s.active", "true").is_ok());
  EXPECT_EQ(h.read("s.active"), "true\n");
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 4u);
  ASSERT_TRUE(h.write("s.active", "false\n").is_ok());
  ASSERT_TRUE(h.write("s.reset", "").is_ok());
  EXPECT_FALSE(h.run_tasks(2));
  EXPECT_EQ(h.sink("out").size(), 4u);
}

TEST(InfiniteSource, HandlersChangeTheStream) {
  Harness h("s :: InfiniteSource(\\<01>, 2) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.read("s.burst"), "1\n");
  EXPECT_EQ(h.read("s.burstsize"), "1\n");
  // reset: another LIMIT packets.
  ASSERT_TRUE(h.write("s.reset", "").is_ok());
  EXPECT_EQ(h.read("s.count"), "0\n");
  ASSERT_TRUE(h.write("s.data", "xyz").is_ok());
  EXPECT_EQ(h.read("s.data"), "xyz");
  ASSERT_TRUE(h.write("s.burst", "2").is_ok());
  EXPECT_EQ(h.read("s.burst"), "2\n");
  h.run_tasks(1);
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[3].bytes, bytes_of("xyz"));
  // A higher limit lets the stopped task run again.
  ASSERT_TRUE(h.write("s.limit", "5").is_ok());
  EXPECT_EQ(h.read("s.limit"), "5\n");
  ASSERT_TRUE(h.write("s.length", "5").is_ok());
  h.run_tasks(2);  // count was reset at 0: three more to reach 5
  ASSERT_EQ(h.sink("out").size(), 7u);
  EXPECT_EQ(h.sink("out")[6].bytes, bytes_of("xyzxy"));
  EXPECT_EQ(h.read("s.count"), "5\n");
  // Bad values are refused and change nothing.
  EXPECT_FALSE(h.write("s.burst", "0").is_ok());
  EXPECT_FALSE(h.write("s.burst", "x").is_ok());
  EXPECT_FALSE(h.write("s.limit", "many").is_ok());
  EXPECT_FALSE(h.write("s.active", "maybe").is_ok());
  EXPECT_FALSE(h.write("s.length", "9999").is_ok());
  EXPECT_EQ(h.read("s.burst"), "2\n");
  EXPECT_EQ(h.read("s.length"), "5\n");
}

TEST(InfiniteSource, AnswersPullsUpToTheLimit) {
  Harness h(
      "s :: InfiniteSource(\\<0a0b>, 5, STOP true) -> u :: Unqueue(BURST 3) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out").size(), 3u);
  EXPECT_FALSE(h.router().stop_requested());
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 5u);
  EXPECT_TRUE(h.router().stop_requested());
  EXPECT_FALSE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out")[4].bytes, (Bytes{0x0a, 0x0b}));
  EXPECT_EQ(h.read("s.count"), "5\n");
}

TEST(InfiniteSource, PullsGetNothingOnceTheRouterStops) {
  Harness h(
      "s :: InfiniteSource -> u :: Unqueue(BURST 2) -> out :: TestSink;"
      "r :: RatedSource(RATE 1000) -> u2 :: Unqueue -> out2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 2u);
  // RatedSource's bucket holds what accrued since initialize: 1, or more on a slow machine.
  const std::size_t rated = h.sink("out2").size();
  EXPECT_GE(rated, 1u);
  h.router().please_stop();
  sleep_ms(20);
  EXPECT_FALSE(h.run_tasks(2));  // the Unqueues drain, the sources add nothing
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out2").size(), rated);
}

TEST(InfiniteSource, InactivePullGetsNothing) {
  Harness h("s :: InfiniteSource(ACTIVE false) -> u :: Unqueue -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h.run_tasks(2));
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(InfiniteSource, TimestampsUnlessTold) {
  Harness h(
      "a :: InfiniteSource(LIMIT 1) -> q :: Queue -> oa :: TestSink;"
      "b :: InfiniteSource(LIMIT 1, TIMESTAMP false) -> q2 :: Queue -> ob :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  // The timestamp is not in OutPacket: look at the queued packets directly.
  graph::Batch b;
  h.element("q")->pull(0, b, 32);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(b[0]->timestamp_ns(), 1'500'000'000ull * 1'000'000'000ull);  // after 2017
  graph::free_batch(b);
  h.element("q2")->pull(0, b, 32);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]->timestamp_ns(), 0u);
  graph::free_batch(b);
}

TEST(InfiniteSource, EmptyPoolIsCountedAndRetried) {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 48;
  Harness h("s :: InfiniteSource(\\<01>, BURST 64) -> q :: Queue -> out :: TestSink", o);
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.read("s.count"), "48\n");
  EXPECT_EQ(h.read("s.alloc_failures"), "16\n");  // the second chunk of 32 got 16
  EXPECT_FALSE(h.run_tasks(1));                   // nothing left: no work, no crash
  EXPECT_EQ(h.read("s.alloc_failures"), "48\n");
  EXPECT_EQ(h.pull("out", 32), 32u);  // frees 32 frames
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.read("s.count"), "80\n");
  EXPECT_EQ(h.read("q.length"), "48\n");
}

TEST(InfiniteSource, ConfigurationErrors) {
  EXPECT_NE(config_error("InfiniteSource(BURST 0) -> TestSink").find("BURST"), std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(\\<00>, 5, -3) -> TestSink").find("BURST"),
            std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(LIMIT lots) -> TestSink").find("LIMIT"),
            std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(ACTIVE perhaps) -> TestSink").find("ACTIVE"),
            std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(STOP 2) -> TestSink").find("STOP"), std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(LENGTH 4000) -> TestSink").find("LENGTH"),
            std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(END_CALL s.active false) -> TestSink").find("END_CALL"),
            std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(BURTS 2) -> TestSink").find("BURTS"), std::string::npos);
  EXPECT_NE(config_error("InfiniteSource(a, 1, 1, true, extra) -> TestSink").find("too many"),
            std::string::npos);
  // Ports: no inputs, exactly one output.
  EXPECT_NE(config_error("s :: InfiniteSource -> TestSink; TestSource -> s").find("no input"),
            std::string::npos);
  EXPECT_EQ(config_error("InfiniteSource(LENGTH 1000) -> TestSink"), "");
}

// --- RatedSource ---

TEST(RatedSource, FastRateHoldsTenMillisecondsOfTokens) {
  // 1000/s holds at most 10 tokens: after 50 ms, exactly 10 are due, whatever came before.
  Harness h("s :: RatedSource(\\<0102>, 1000) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  sleep_ms(50);
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out").size(), 10u);
  EXPECT_EQ(h.sink("out")[0].bytes, (Bytes{0x01, 0x02}));
  sleep_ms(50);
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out").size(), 20u);
  EXPECT_EQ(h.read("s.count"), "20\n");
}

TEST(RatedSource, SlowRateHoldsTwoTokens) {
  Harness h("s :: RatedSource -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("s.rate"), "10\n");
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_FALSE(h.run_tasks(1));  // the next token is 100 ms away
  sleep_ms(400);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, bytes_of(kClickDefault));
}

TEST(RatedSource, LimitAndStop) {
  // 100 packets/s: a token every 10 ms, at most 2 in the bucket.
  Harness h("s :: RatedSource(\\<01>, 100, 3, STOP true) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  sleep_ms(30);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_FALSE(h.router().stop_requested());
  sleep_ms(30);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 3u);
  EXPECT_TRUE(h.router().stop_requested());
  EXPECT_FALSE(h.run_tasks(1));
  EXPECT_EQ(h.read("s.limit"), "3\n");
  // reset: another 3, starting from one token.
  ASSERT_TRUE(h.write("s.reset", "").is_ok());
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 4u);
}

TEST(RatedSource, AnswersPullsWithWhatIsDue) {
  // 100/s: a token every 10 ms, at most 2; one to start with.
  Harness h("s :: RatedSource(\\<07>, 100, LENGTH 3) -> u :: Unqueue(BURST 32) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.run_tasks(1);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, (Bytes{7, 7, 7}));
  sleep_ms(50);
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 3u);
}

TEST(RatedSource, InactiveUntilActivated) {
  Harness h("s :: RatedSource(\\<01>, 100, -1, false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  sleep_ms(20);
  EXPECT_FALSE(h.run_tasks(2));
  EXPECT_EQ(h.read("s.active"), "false\n");
  ASSERT_TRUE(h.write("s.active", "true").is_ok());
  h.run_tasks(1);  // activating starts from one token
  EXPECT_EQ(h.sink("out").size(), 1u);
}

TEST(RatedSource, Handlers) {
  Harness h("s :: RatedSource(DATA abc, RATE 50) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("s.data"), "abc");
  EXPECT_EQ(h.read("s.rate"), "50\n");
  EXPECT_EQ(h.read("s.limit"), "-1\n");
  EXPECT_EQ(h.read("s.length"), "-1\n");
  EXPECT_EQ(h.read("s.count"), "0\n");
  ASSERT_TRUE(h.write("s.rate", "20").is_ok());
  EXPECT_EQ(h.read("s.rate"), "20\n");
  ASSERT_TRUE(h.write("s.data", "hello").is_ok());
  ASSERT_TRUE(h.write("s.length", "2").is_ok());
  h.run_tasks(1);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, bytes_of("he"));
  EXPECT_FALSE(h.write("s.rate", "fast").is_ok());
  EXPECT_FALSE(h.write("s.rate", "2000000000").is_ok());
  EXPECT_FALSE(h.write("s.limit", "x").is_ok());
  EXPECT_EQ(h.read("s.rate"), "20\n");
  ASSERT_TRUE(h.write("s.rate", "2000\n").is_ok());
  EXPECT_EQ(h.read("s.rate"), "2000\n");
}

TEST(RatedSource, BandwidthSetsTheRate) {
  // 7000 bytes/s of 70-byte packets is 100 packets/s.
  Harness h("s :: RatedSource(\\<00>, LENGTH 70, BANDWIDTH 7000Bps) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("s.rate"), "100\n");
}

TEST(RatedSource, ConfigurationErrors) {
  EXPECT_NE(config_error("RatedSource(RATE fast) -> TestSink").find("RATE"), std::string::npos);
  EXPECT_NE(config_error("RatedSource(RATE 2000000000) -> TestSink").find("RATE"),
            std::string::npos);
  EXPECT_NE(config_error("RatedSource(LIMIT x) -> TestSink").find("LIMIT"), std::string::npos);
  EXPECT_NE(config_error("RatedSource(LENGTH 5000) -> TestSink").find("LENGTH"), std::string::npos);
  EXPECT_NE(config_error("RatedSource(\"\", BANDWIDTH 1Mbps) -> TestSink").find("BANDWIDTH"),
            std::string::npos);
  EXPECT_NE(config_error("RatedSource(BANDWIDTH wide) -> TestSink").find("BANDWIDTH"),
            std::string::npos);
  EXPECT_NE(config_error("RatedSource(BURST 3) -> TestSink").find("BURST"), std::string::npos);
}

}  // namespace
}  // namespace uplane::elements
