// Router: building (class lookup, port counts, push/pull resolution, configure errors),
// running on worker threads with tasks and timers, stopping and draining, handlers.
// Configurations are built as FlatConfig by hand so this test needs no parser.

#include "graph/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "graph/registry.h"
#include "graph/task.h"
#include "ring/mpmc_ring.h"

namespace uplane::graph {
namespace {

// A source: LIMIT packets in batches of 32 from a task, then please_stop().
class RtSource final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "RtSource", .ports = "0/1", .processing = "/h"};
  Status configure(Args& args) override { return args.optional_positional("LIMIT", limit_).done(); }
  Status initialize() override {
    add_task();
    return {};
  }
  bool run_task(Task&) noexcept override {
    if (sent_ >= limit_) return false;
    Batch b;
    while (!b.full() && sent_ < limit_) {
      Packet* p = pool().alloc();
      if (p == nullptr) break;
      std::uint32_t v = sent_++;
      (void)p->assign(&v, sizeof v, pool().headroom());
      (void)b.push_back(p);
    }
    output_push(0, b);
    if (sent_ == limit_) router().please_stop();
    return true;
  }
  std::uint32_t limit_ = 1000;
  std::uint32_t sent_ = 0;
};
UPLANE_REGISTER_ELEMENT(RtSource);

class RtNull final : public SimpleElement<RtNull> {
 public:
  static constexpr ElementSpec kSpec{.name = "RtNull", .ports = "1/1", .processing = "a/a"};
  Verdict process(Packet&) noexcept { return Port{0}; }
};
UPLANE_REGISTER_ELEMENT(RtNull);

// Odd first bytes to output 1 if it exists, else dropped as kFiltered.
class RtSplit final : public SimpleElement<RtSplit> {
 public:
  static constexpr ElementSpec kSpec{.name = "RtSplit", .ports = "1/1-2", .processing = "a/ah"};
  Verdict process(Packet& p) noexcept {
    return (p.data()[0] & 1) ? port_or_drop(1, DropReason::kFiltered) : Port{0};
  }
};
UPLANE_REGISTER_ELEMENT(RtSplit);

// A queue: push in, pull out, an MPMC ring between threads.
class RtQueue final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "RtQueue", .ports = "1/1", .processing = "h/l"};
  Status initialize() override {
    auto r = ring::make_heap_ring<ring::MpmcRing<Packet*>>(1024);
    if (!r.is_ok()) return r.status();
    ring_ = std::move(r).value();
    return {};
  }
  void push(int, Batch& b) noexcept override {
    const std::uint32_t n = ring_->enqueue_burst(b.data(), b.size());
    for (std::uint32_t i = n; i < b.size(); ++i) drop(b[i], DropReason::kQueueFull);
  }
  void pull(int, Batch& out, std::uint32_t max) noexcept override {
    out.set_size(out.size() + ring_->dequeue_burst(out.data() + out.size(), max));
  }
  void cleanup() noexcept override {
    if (!ring_) return;
    Packet* p;
    while (ring_->dequeue_burst(&p, 1) == 1) mem::free_packet(p);
  }
  ring::HeapRing<ring::MpmcRing<Packet*>> ring_;
};
UPLANE_REGISTER_ELEMENT(RtQueue);

// A pull sink with a task, or a push sink; counts and frees.
class RtSink final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "RtSink", .ports = "1/0", .processing = "a/"};
  Status initialize() override {
    if (input_is_pull(0)) add_task();
    return {};
  }
  void push(int, Batch& b) noexcept override {
    count_.add(b.size());
    free_batch(b);
  }
  bool run_task(Task&) noexcept override {
    Batch b;
    input_pull(0, b, Batch::kMax);
    if (b.empty()) return false;
    count_.add(b.size());
    free_batch(b);
    return true;
  }
  void add_handlers() override {
    add_read_handler("count", [this] { return std::to_string(count_.get()) + "\n"; });
  }
  Counter64 count_;
};
UPLANE_REGISTER_ELEMENT(RtSink);

// Fires its timer TIMES times, 1 ms apart, then stops the router.
class RtTicker final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "RtTicker", .ports = "0/0"};
  Status configure(Args& args) override { return args.optional_positional("TIMES", times_).done(); }
  Status initialize() override {
    timer_ = add_timer();
    timer_->schedule_after_ms(1);
    return {};
  }
  void run_timer(Timer& t) noexcept override {
    if (++fired_ < times_) {
      t.schedule_after_ms(1);
    } else {
      router().please_stop();
    }
  }
  Timer* timer_ = nullptr;
  int times_ = 3;
  int fired_ = 0;
};
UPLANE_REGISTER_ELEMENT(RtTicker);

// Sets the home thread of one element: "NAME THREAD".
class RtSched final : public Element {
 public:
  static constexpr ElementSpec kSpec{
      .name = "RtSched", .ports = "0/0", .configure_phase = kConfigurePhaseInfo};
  Status configure(Args& args) override {
    RawArg spec;
    UPLANE_RETURN_IF_ERROR(args.required("SPEC", spec).done());
    auto words = split_words(spec.text);
    if (words.size() != 2) return make_error(Errc::kInvalidArgument, "expected NAME THREAD");
    Element* e = router().find(words[0]);
    if (e == nullptr) return make_error(Errc::kInvalidArgument, "no element '{}'", words[0]);
    router().set_home_thread(e, std::stoi(words[1]));
    return {};
  }
};
UPLANE_REGISTER_ELEMENT(RtSched);

class RtFailConfig final : public Element {
 public:
  static constexpr ElementSpec kSpec{.name = "RtFailConfig", .ports = "0/0"};
  Status configure(Args& args) override {
    int n = 0;
    return args.required("N", n, 1, 10).done();
  }
};
UPLANE_REGISTER_ELEMENT(RtFailConfig);

// A little builder: elements "name:Class(config)" and connections "a[p]->[q]b".
struct Cfg {
  FlatConfig flat;
  Cfg& el(std::string name, std::string cls, std::string config = "") {
    flat.elements.push_back(
        ElementDecl{std::move(name), std::move(cls), std::move(config),
                    Landmark{"t.click", static_cast<std::uint32_t>(flat.elements.size() + 1), 1}});
    return *this;
  }
  std::uint32_t idx(const std::string& n) const {
    for (std::uint32_t i = 0; i < flat.elements.size(); ++i)
      if (flat.elements[i].name == n) return i;
    ADD_FAILURE() << "no " << n;
    return 0;
  }
  Cfg& conn(const std::string& a, std::uint32_t ap, std::uint32_t bp, const std::string& b) {
    flat.connections.push_back(ConnectionDecl{idx(a), ap, idx(b), bp, Landmark{"t.click", 99, 1}});
    return *this;
  }
};

RouterOptions opts(int threads = 1) {
  RouterOptions o;
  o.threads = threads;
  o.pool.frame_count = 4096;
  o.pin_threads = false;
  return o;
}

std::string error_of(const Cfg& c) {
  auto r = Router::create(c.flat, opts());
  return r.is_ok() ? std::string() : r.status().message();
}

TEST(Router, UnknownClassNamesTheLandmark) {
  Cfg c;
  c.el("a", "NoSuchThing");
  EXPECT_EQ(error_of(c), "t.click:1:1: unknown element class 'NoSuchThing'");
}

TEST(Router, PortCountsAreChecked) {
  Cfg c;
  c.el("s", "RtSource").el("n", "RtNull").el("k", "RtSink").el("k2", "RtSink");
  c.conn("s", 0, 0, "n").conn("n", 0, 0, "k").conn("n", 1, 0, "k2");
  // Reported where the connection using the missing port is written.
  EXPECT_EQ(error_of(c), "t.click:99:1: 'n :: RtNull' has no output 1 (RtNull takes 1 output)");
}

TEST(Router, UnconnectedPortsAreErrors) {
  Cfg c;
  c.el("s", "RtSource").el("n", "RtNull");
  c.conn("s", 0, 0, "n");
  EXPECT_EQ(error_of(c), "t.click:2:1: 'n :: RtNull' output 0 is not connected");
  Cfg d;
  d.el("n", "RtNull").el("k", "RtSink");
  d.conn("n", 0, 0, "k");
  EXPECT_EQ(error_of(d), "t.click:1:1: 'n :: RtNull' input 0 is not connected");
}

TEST(Router, PushToPullIsAnError) {
  Cfg c;
  c.el("s", "RtSource").el("q", "RtQueue").el("q2", "RtQueue").el("k", "RtSink");
  c.conn("s", 0, 0, "q").conn("q", 0, 0, "q2").conn("q2", 0, 0, "k");
  EXPECT_EQ(error_of(c),
            "t.click:99:1: 'q :: RtQueue' pull output 0 connected to 'q2 :: RtQueue' push input 0");
}

TEST(Router, AgnosticPortsTakeTheirContext) {
  Cfg c;
  c.el("s", "RtSource").el("n1", "RtNull").el("q", "RtQueue").el("n2", "RtNull").el("k", "RtSink");
  c.conn("s", 0, 0, "n1").conn("n1", 0, 0, "q").conn("q", 0, 0, "n2").conn("n2", 0, 0, "k");
  auto r = Router::create(c.flat, opts());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE((*r)->find("n1")->input_is_push(0));
  EXPECT_TRUE((*r)->find("n1")->output_is_push(0));
  EXPECT_TRUE((*r)->find("n2")->input_is_pull(0));
  EXPECT_TRUE((*r)->find("n2")->output_is_pull(0));
  EXPECT_TRUE((*r)->find("k")->input_is_pull(0));
}

TEST(Router, AgnosticInMixedContextIsAnError) {
  // n's input is pushed to, its output is pulled from by... a pull-only sink does not
  // exist here, so use a queue's pull output feeding n and n feeding a push-only queue.
  Cfg c;
  c.el("s", "RtSource").el("q", "RtQueue").el("n", "RtNull").el("q2", "RtQueue").el("k", "RtSink");
  c.conn("s", 0, 0, "q").conn("q", 0, 0, "n").conn("n", 0, 0, "q2").conn("q2", 0, 0, "k");
  EXPECT_EQ(error_of(c),
            "t.click:3:1: agnostic 'n :: RtNull' in mixed context: reached by push from "
            "'q2 :: RtQueue' and by pull from 'q :: RtQueue'");
}

TEST(Router, PushOutputConnectedTwiceIsAnError) {
  Cfg c;
  c.el("s", "RtSource").el("k", "RtSink").el("k2", "RtSink");
  c.conn("s", 0, 0, "k").conn("s", 0, 0, "k2");
  EXPECT_EQ(error_of(c),
            "t.click:99:1: 's :: RtSource' push output 0 connected more than once (to "
            "'k :: RtSink' and 'k2 :: RtSink')");
}

TEST(Router, ConfigureErrorsCarryLandmarkAndDeclaration) {
  Cfg c;
  c.el("f", "RtFailConfig", "42");
  EXPECT_EQ(error_of(c).substr(0, 31), "t.click:1:1: f :: RtFailConfig:");
  EXPECT_NE(error_of(c).find("N"), std::string::npos);
  Cfg d;
  d.el("f", "RtFailConfig", "3, BOGUS 1");
  EXPECT_NE(error_of(d).find("BOGUS"), std::string::npos) << error_of(d);
}

TEST(Router, RunsUntilASourceStopsAndDrainsTheQueue) {
  for (int threads : {1, 2}) {
    Cfg c;
    c.el("s", "RtSource", "20000").el("q", "RtQueue").el("k", "RtSink");
    // With two threads the sink's task runs on thread 1: the queue is crossed by two threads.
    if (threads == 2) c.el("sched", "RtSched", "k 1");
    c.conn("s", 0, 0, "q").conn("q", 0, 0, "k");
    auto r = Router::create(c.flat, opts(threads));
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    Router& router = **r;
    EXPECT_EQ(router.find("k")->tasks()[0]->home_thread(), threads - 1);
    ASSERT_TRUE(router.run().is_ok());
    auto* src = static_cast<RtSource*>(router.find("s"));
    auto* q = static_cast<RtQueue*>(router.find("q"));
    const std::uint64_t dropped = q->drops(DropReason::kQueueFull);
    EXPECT_EQ(src->sent_, 20000u);
    // Drained: everything sent was either counted by the sink or dropped at the queue.
    EXPECT_EQ(std::stoull(*router.read_handler("k.count")) + dropped, src->sent_);
    EXPECT_TRUE(router.cleanup_and_check_leaks().is_ok());
  }
}

TEST(Router, TimersFireOnTheWorker) {
  Cfg c;
  c.el("t", "RtTicker", "5");
  auto r = Router::create(c.flat, opts());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_TRUE((*r)->run().is_ok());
  EXPECT_EQ(static_cast<RtTicker*>((*r)->find("t"))->fired_, 5);
}

TEST(Router, SplitsBatchesByVerdict) {
  Cfg c;
  c.el("s", "RtSource", "64").el("x", "RtSplit").el("even", "RtSink").el("odd", "RtSink");
  c.conn("s", 0, 0, "x").conn("x", 0, 0, "even").conn("x", 1, 0, "odd");
  auto r = Router::create(c.flat, opts());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_TRUE((*r)->run().is_ok());
  EXPECT_EQ(*(*r)->read_handler("even.count"), "32\n");
  EXPECT_EQ(*(*r)->read_handler("odd.count"), "32\n");
  // Without output 1, odd packets are dropped and counted.
  Cfg d;
  d.el("s", "RtSource", "64").el("x", "RtSplit").el("even", "RtSink");
  d.conn("s", 0, 0, "x").conn("x", 0, 0, "even");
  auto r2 = Router::create(d.flat, opts());
  ASSERT_TRUE(r2.is_ok()) << r2.status().message();
  ASSERT_TRUE((*r2)->run().is_ok());
  EXPECT_EQ(*(*r2)->read_handler("even.count"), "32\n");
  EXPECT_EQ(*(*r2)->read_handler("x.drop_reasons"), "filtered 32\n");
  EXPECT_TRUE((*r2)->cleanup_and_check_leaks().is_ok());
}

TEST(Router, StandardAndRouterHandlers) {
  Cfg c;
  c.el("s", "RtSource", "1").el("k", "RtSink");
  c.conn("s", 0, 0, "k");
  auto r = Router::create(c.flat, opts());
  ASSERT_TRUE(r.is_ok());
  Router& router = **r;
  EXPECT_EQ(*router.read_handler("k.class"), "RtSink\n");
  EXPECT_EQ(*router.read_handler("s.config"), "1\n");
  EXPECT_EQ(*router.read_handler("list"), "2\ns\nk\n");
  EXPECT_EQ(*router.read_handler("k.ports"), "1 input\npush\ts[0]\n0 outputs\n");
  EXPECT_FALSE(router.read_handler("nope.count").is_ok());
  EXPECT_FALSE(router.read_handler("k.nope").is_ok());
  EXPECT_EQ(router.flat_config(), "s :: RtSource(1);\nk :: RtSink();\ns [0] -> [0] k;\n");
  EXPECT_NE(router.to_dot().find("\"s\" -> \"k\""), std::string::npos);
  EXPECT_TRUE(router.write_handler("stop", "").is_ok());
  EXPECT_TRUE(router.stop_requested());
}

}  // namespace
}  // namespace uplane::graph
