// SimpleQueue, Queue and Unqueue on one thread. Expected behaviour from Click's
// simplequeue.{cc,hh}, fullnotequeue.hh and unqueue.{cc,hh}: FIFO order, CAPACITY held
// exactly, overflow counted in 'drops' (and sent to output 1 when it exists), reset and
// reset_counts as Click writes them, Unqueue's BURST/LIMIT/ACTIVE.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "elements/standard/simple_queue.h"
#include "graph/element.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

// Packets 0..n-1, each one byte holding its number (and a second byte, so none is empty).
std::vector<Bytes> numbered(int n, int first = 0) {
  std::vector<Bytes> v;
  for (int i = first; i < first + n; ++i) v.push_back(Bytes{static_cast<std::uint8_t>(i), 0xee});
  return v;
}

std::vector<int> range(int first, int n) {
  std::vector<int> v;
  for (int i = first; i < first + n; ++i) v.push_back(i);
  return v;
}

class QueueTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string cls() const { return GetParam(); }
};

TEST_P(QueueTest, FirstInFirstOut) {
  Harness h("in :: TestSource -> q :: " + cls() + " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(5));
  EXPECT_EQ(h.read("q.length"), "5\n");
  EXPECT_EQ(h.pull("out", 2), 2u);
  EXPECT_EQ(h.read("q.length"), "3\n");
  h.push("in", numbered(2, 5));
  EXPECT_EQ(h.pull("out", 32), 5u);
  EXPECT_EQ(h.pull("out", 32), 0u);
  EXPECT_EQ(first_bytes(h.sink("out")), range(0, 7));
  EXPECT_EQ(h.sink("out")[3].bytes, (Bytes{3, 0xee}));
  EXPECT_EQ(h.read("q.highwater_length"), "5\n");
  EXPECT_EQ(h.read("q.drops"), "0\n");
  EXPECT_EQ(h.read("q.capacity"), "1000\n");
}

TEST_P(QueueTest, KeepsAnnotations) {
  Harness h("in :: TestSource -> q :: " + cls() + " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes(40, 1)}, [](mem::Packet& p) {
    p.set_paint(3);
    p.set_dst_ip_anno_raw(0x0a000001);
  });
  EXPECT_EQ(h.pull("out"), 1u);
  EXPECT_EQ(h.sink("out")[0].paint, 3);
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, 0x0a000001u);
}

TEST_P(QueueTest, CapacityIsExactAndOverflowIsCounted) {
  // 5 is not a power of two: the ring has 8 slots, the queue still holds only 5.
  Harness h("in :: TestSource -> q :: " + cls() + "(5) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(8));
  EXPECT_EQ(h.read("q.length"), "5\n");
  EXPECT_EQ(h.read("q.drops"), "3\n");
  EXPECT_EQ(h.drops("q", DropReason::kQueueFull), 3u);
  EXPECT_EQ(h.read("q.highwater_length"), "5\n");
  h.push("in", numbered(1, 8));
  EXPECT_EQ(h.read("q.drops"), "4\n");
  EXPECT_EQ(h.pull("out", 32), 5u);
  EXPECT_EQ(first_bytes(h.sink("out")), range(0, 5));  // the first five; the later ones dropped
  h.push("in", numbered(40, 10));                      // more than a batch at once
  EXPECT_EQ(h.read("q.length"), "5\n");
  EXPECT_EQ(h.read("q.drops"), "39\n");
}

TEST_P(QueueTest, OverflowGoesToOutputOne) {
  Harness h("in :: TestSource -> q :: " + cls() +
            "(3) -> out :: TestSink; q[1] -> over :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(5));
  EXPECT_EQ(first_bytes(h.sink("over")), (std::vector<int>{3, 4}));
  EXPECT_EQ(h.read("q.drops"), "2\n");
  EXPECT_EQ(h.drops("q", DropReason::kQueueFull), 0u);
  EXPECT_EQ(h.pull("out"), 3u);
  EXPECT_EQ(first_bytes(h.sink("out")), range(0, 3));
}

TEST_P(QueueTest, CapacityZeroDropsEverything) {
  Harness h("in :: TestSource -> q :: " + cls() + "(0) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(3));
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.read("q.drops"), "3\n");
  EXPECT_EQ(h.pull("out"), 0u);
}

TEST_P(QueueTest, ResetCountsKeepsThePackets) {
  Harness h("in :: TestSource -> q :: " + cls() + "(4) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(6));
  EXPECT_EQ(h.pull("out", 1), 1u);
  ASSERT_TRUE(h.write("q.reset_counts", "").is_ok());
  EXPECT_EQ(h.read("q.drops"), "0\n");
  EXPECT_EQ(h.read("q.highwater_length"), "3\n");  // Click: the current length
  EXPECT_EQ(h.read("q.length"), "3\n");
}

TEST_P(QueueTest, ResetEmptiesTheQueue) {
  Harness h("in :: TestSource -> q :: " + cls() + " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(40));
  ASSERT_TRUE(h.write("q.reset", "").is_ok());
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.drops("q", DropReason::kOther), 40u);
  EXPECT_EQ(h.read("q.drops"), "0\n");
  EXPECT_EQ(h.pull("out"), 0u);
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

TEST_P(QueueTest, ResetSendsThePacketsToOutputOne) {
  Harness h("in :: TestSource -> q :: " + cls() + " -> out :: TestSink; q[1] -> over :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(3));
  ASSERT_TRUE(h.write("q.reset", "").is_ok());
  EXPECT_EQ(first_bytes(h.sink("over")), range(0, 3));
  EXPECT_EQ(h.read("q.length"), "0\n");
}

TEST_P(QueueTest, CapacityHandlerResizes) {
  Harness h("in :: TestSource -> q :: " + cls() + "(10) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(6));
  // Shrinking keeps the oldest packets that fit.
  ASSERT_TRUE(h.write("q.capacity", "4").is_ok());
  EXPECT_EQ(h.read("q.capacity"), "4\n");
  EXPECT_EQ(h.read("q.length"), "4\n");
  EXPECT_EQ(h.drops("q", DropReason::kQueueFull), 2u);
  h.push("in", numbered(1, 6));
  EXPECT_EQ(h.read("q.drops"), "1\n");
  // Growing keeps everything.
  ASSERT_TRUE(h.write("q.capacity", "100\n").is_ok());
  h.push("in", numbered(2, 7));
  EXPECT_EQ(h.read("q.length"), "6\n");
  EXPECT_EQ(h.pull("out", 32), 6u);
  EXPECT_EQ(first_bytes(h.sink("out")), (std::vector<int>{0, 1, 2, 3, 7, 8}));
  EXPECT_FALSE(h.write("q.capacity", "-1").is_ok());
  EXPECT_FALSE(h.write("q.capacity", "big").is_ok());
  EXPECT_FALSE(h.write("q.capacity", "16777217").is_ok());
  EXPECT_EQ(h.read("q.capacity"), "100\n");
}

TEST_P(QueueTest, CleanupFreesQueuedPackets) {
  // The harness fails the test if a frame is still out when the router goes.
  Harness h("in :: TestSource -> q :: " + cls() + " -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(100));
  EXPECT_EQ(h.frames_outstanding(), 100u);
}

TEST_P(QueueTest, ConfigurationErrors) {
  const std::string c = cls();
  EXPECT_NE(config_error("TestSource -> " + c + "(-1) -> TestSink").find("CAPACITY"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> " + c + "(many) -> TestSink").find("CAPACITY"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> " + c + "(CAPACITY 20000000) -> TestSink").find("CAPACITY"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> " + c + "(5, 6) -> TestSink").find("too many"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> " + c + "(BURST 6) -> TestSink").find("BURST"),
            std::string::npos);
  EXPECT_EQ(config_error("TestSource -> " + c + "(CAPACITY 7) -> TestSink"), "");
  // A pull output cannot feed a push input.
  EXPECT_FALSE(config_error("TestSource -> " + c + " -> Tee -> TestSink").empty());
  // Three outputs are too many.
  EXPECT_FALSE(
      config_error("TestSource -> q :: " + c + " -> TestSink; q[1] -> TestSink; q[2] -> TestSink")
          .empty());
}

INSTANTIATE_TEST_SUITE_P(Both, QueueTest, ::testing::Values("SimpleQueue", "Queue"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// --- Unqueue ---

TEST(Unqueue, MovesABurstPerRun) {
  Harness h("in :: TestSource -> q :: Queue -> u :: Unqueue -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(50));
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out").size(), 32u);  // uplane's default BURST
  EXPECT_TRUE(h.run_tasks(1));
  EXPECT_EQ(h.sink("out").size(), 50u);
  EXPECT_FALSE(h.run_tasks(1));  // nothing left
  EXPECT_EQ(first_bytes(h.sink("out")), range(0, 50));
  EXPECT_EQ(h.read("u.count"), "50\n");
  EXPECT_EQ(h.read("u.burst"), "32\n");
  EXPECT_EQ(h.read("u.limit"), "-1\n");
  EXPECT_EQ(h.read("u.active"), "true\n");
}

TEST(Unqueue, BurstKeyword) {
  Harness h(
      "in :: TestSource -> q :: Queue -> u :: Unqueue(5) -> out :: TestSink;"
      "in2 :: TestSource -> q2 :: Queue -> u2 :: Unqueue(BURST -1) -> out2 :: TestSink;"
      "in3 :: TestSource -> q3 :: Queue -> u3 :: Unqueue(BURST 40) -> out3 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(12));
  h.push("in2", numbered(100));
  h.push("in3", numbered(100));
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 5u);
  EXPECT_EQ(h.sink("out2").size(), 100u);  // negative: until the queue is empty
  EXPECT_EQ(h.sink("out3").size(), 40u);
  EXPECT_EQ(h.read("u2.burst"), "2147483647\n");
  h.run_tasks(2);
  EXPECT_EQ(h.sink("out").size(), 12u);
  EXPECT_EQ(first_bytes(h.sink("out3")), range(0, 100));
}

TEST(Unqueue, LimitThenReset) {
  Harness h("in :: TestSource -> q :: Queue -> u :: Unqueue(LIMIT 7) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(20));
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 7u);
  EXPECT_EQ(h.read("q.length"), "13\n");
  ASSERT_TRUE(h.write("u.reset", "").is_ok());
  EXPECT_EQ(h.read("u.count"), "0\n");
  h.run_tasks(3);
  EXPECT_EQ(h.sink("out").size(), 14u);
  ASSERT_TRUE(h.write("u.limit", "-1").is_ok());
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 20u);
  EXPECT_EQ(first_bytes(h.sink("out")), range(0, 20));
}

TEST(Unqueue, ActiveHandler) {
  Harness h("in :: TestSource -> q :: Queue -> u :: Unqueue(ACTIVE false) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(3));
  EXPECT_FALSE(h.run_tasks(2));
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.read("u.active"), "false\n");
  ASSERT_TRUE(h.write("u.active", "true").is_ok());
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 3u);
  ASSERT_TRUE(h.write("u.burst", "1").is_ok());
  EXPECT_EQ(h.read("u.burst"), "1\n");
  h.push("in", numbered(2));
  h.run_tasks(1);
  EXPECT_EQ(h.sink("out").size(), 4u);
  EXPECT_FALSE(h.write("u.active", "sometimes").is_ok());
  EXPECT_FALSE(h.write("u.burst", "x").is_ok());
  EXPECT_FALSE(h.write("u.limit", "1.5").is_ok());
  ASSERT_TRUE(h.write("u.reset_counts", "").is_ok());
  EXPECT_EQ(h.read("u.count"), "0\n");
}

TEST(Unqueue, BurstZeroPullsNothing) {
  Harness h("in :: TestSource -> q :: Queue -> u :: Unqueue(0) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", numbered(3));
  EXPECT_FALSE(h.run_tasks(2));
  EXPECT_EQ(h.read("q.length"), "3\n");
}

TEST(Unqueue, ConfigurationErrors) {
  EXPECT_NE(config_error("TestSource -> Queue -> Unqueue(BURST x) -> TestSink").find("BURST"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Queue -> Unqueue(LIMIT y) -> TestSink").find("LIMIT"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Queue -> Unqueue(ACTIVE z) -> TestSink").find("ACTIVE"),
            std::string::npos);
  EXPECT_NE(config_error("TestSource -> Queue -> Unqueue(1, 2) -> TestSink").find("too many"),
            std::string::npos);
  // Its input is pull: a push output cannot feed it.
  EXPECT_FALSE(config_error("TestSource -> Tee -> Unqueue -> TestSink").empty());
}

}  // namespace
}  // namespace uplane::elements
