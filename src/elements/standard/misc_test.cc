// Null, Idle and StaticThreadSched, after Click's nullelement.hh, idle.{cc,hh} and
// threads/staticthreadsched.{cc,hh}.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "graph/task.h"
#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

// --- Null ---

TEST(Null, PassesPacketsAndAnnotationsInPush) {
  Harness h("in :: TestSource -> Null -> Null -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes b = PacketSpec().eth().ipv4().tcp().bytes();
  h.push("in", {b, Bytes{}, Bytes{1}}, [](mem::Packet& p) { p.set_paint(4); });
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, b);
  EXPECT_EQ(h.sink("out")[0].paint, 4);
  EXPECT_TRUE(h.sink("out")[1].bytes.empty());
}

TEST(Null, PassesPacketsInPull) {
  Harness h("in :: TestSource -> Queue -> Null -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{1}, Bytes{2}, Bytes{3}});
  EXPECT_EQ(h.pull("out", 2), 2u);
  EXPECT_EQ(h.pull("out", 2), 1u);
  EXPECT_EQ(h.sink("out")[2].bytes, Bytes{3});
}

TEST(Null, TakesNoArguments) {
  EXPECT_NE(config_error("TestSource -> Null(1) -> TestSink").find("too many"), std::string::npos);
}

// --- Idle ---

TEST(Idle, DiscardsPushedPacketsAndEmitsNothing) {
  Harness h("in :: TestSource -> i :: Idle -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{1}, Bytes{2}});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("i", DropReason::kOther), 2u);
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

TEST(Idle, AnswersPullsWithNothing) {
  Harness h("i :: Idle -> u :: Unqueue -> out :: TestSink; Idle -> q :: Queue -> out2 :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_FALSE(h.run_tasks(3));
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.pull("out2"), 0u);
}

TEST(Idle, AnyNumberOfPortsEitherWay) {
  EXPECT_EQ(config_error("i :: Idle; i[2] -> TestSink; i[0] -> TestSink; i[1] -> Queue -> TestSink;"
                         "TestSource -> [1]i; TestSource -> [0]i"),
            "");
  EXPECT_EQ(config_error("Idle"), "");
  EXPECT_NE(config_error("Idle(3)").find("too many"), std::string::npos);
}

// --- StaticThreadSched ---

graph::RouterOptions two_threads() {
  graph::RouterOptions o = Harness::small_options();
  o.threads = 2;
  return o;
}

TEST(StaticThreadSched, PlacesElementsAndTheirTasks) {
  Harness h(
      "a :: InfiniteSource -> Discard; b :: InfiniteSource -> Discard;"
      "q :: Queue -> u :: Unqueue -> Discard; Idle -> q;"
      "StaticThreadSched(a 1, u 1, b 0)",
      two_threads());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.element("a")->home_thread(), 1);
  EXPECT_EQ(h.element("b")->home_thread(), 0);
  EXPECT_EQ(h.element("u")->home_thread(), 1);
  EXPECT_EQ(h.element("q")->home_thread(), 0);
  ASSERT_EQ(h.element("a")->tasks().size(), 1u);
  EXPECT_EQ(h.element("a")->tasks()[0]->home_thread(), 1);
  EXPECT_EQ(h.element("u")->tasks()[0]->home_thread(), 1);
  EXPECT_EQ(h.element("b")->tasks()[0]->home_thread(), 0);
}

TEST(StaticThreadSched, LaterWinsAndMinusOneLeavesAlone) {
  Harness h(
      "a :: InfiniteSource -> Discard; b :: InfiniteSource -> Discard;"
      "StaticThreadSched(a 1, b 1); StaticThreadSched(a 0, b -1)",
      two_threads());
  ASSERT_TRUE(h.ok()) << h.error();
  // Declaration order configures the first StaticThreadSched first.
  EXPECT_EQ(h.element("a")->home_thread(), 0);
  EXPECT_EQ(h.element("b")->home_thread(), 1);
}

TEST(StaticThreadSched, OutOfRangeThreadGoesToZero) {
  Harness h("a :: InfiniteSource -> Discard; StaticThreadSched(a 7)", two_threads());
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.element("a")->home_thread(), 0);
}

TEST(StaticThreadSched, Errors) {
  const std::string unknown =
      config_error("a :: InfiniteSource -> Discard; StaticThreadSched(nosuch 1)");
  EXPECT_NE(unknown.find("nosuch"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("ELEMENT"), std::string::npos) << unknown;
  EXPECT_NE(config_error("a :: InfiniteSource -> Discard; StaticThreadSched(a one)").find("THREAD"),
            std::string::npos);
  EXPECT_NE(
      config_error("a :: InfiniteSource -> Discard; StaticThreadSched(a)").find("ELEMENT THREAD"),
      std::string::npos);
  EXPECT_NE(config_error("a :: InfiniteSource -> Discard; StaticThreadSched(a 1 2)")
                .find("ELEMENT THREAD"),
            std::string::npos);
  // An element name in capitals is still an element, not a keyword.
  EXPECT_EQ(config_error("RX :: InfiniteSource -> Discard; StaticThreadSched(RX 0)"), "");
  EXPECT_EQ(config_error("StaticThreadSched()"), "");
  // No ports.
  EXPECT_FALSE(config_error("StaticThreadSched -> Discard").empty());
}

}  // namespace
}  // namespace uplane::elements
