// Classifier: patterns with masks and wildcards, negation, rule order, short packets, the
// batch split, the program handler and configuration errors.

#include "elements/classify/classifier.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes arp(std::uint16_t op) {
  return PacketSpec()
      .eth("ff:ff:ff:ff:ff:ff")
      .arp(op, "00:00:00:00:00:01", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2")
      .bytes();
}
Bytes ip_udp() { return PacketSpec().eth().ipv4().udp().bytes(); }
Bytes ipv6ish() { return PacketSpec().eth().ether_type(0x86dd).payload_size(40).bytes(); }

// A Classifier with `n` outputs, each to sink o<i>.
std::string config(std::string_view args, int n) {
  return "in :: TestSource -> c :: Classifier(" + std::string(args) + ");" + output_sinks("c", n);
}

TEST(Classifier, ClickExampleSortsArpAndIp) {
  Harness h(config("12/0806 20/0001, 12/0806 20/0002, 12/0800, -", 4));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes req = arp(1), rep = arp(2), ip = ip_udp(), other = ipv6ish();
  h.push("in", {req, rep, ip, other, ip, req});
  EXPECT_EQ(sink_counts(h, 4), (std::vector<std::size_t>{2, 1, 2, 1}));
  ASSERT_EQ(h.sink("o0").size(), 2u);
  EXPECT_EQ(h.sink("o0")[0].bytes, req);  // unchanged
  EXPECT_EQ(h.sink("o1")[0].bytes, rep);
  EXPECT_EQ(h.sink("o2")[1].bytes, ip);
  EXPECT_EQ(h.sink("o3")[0].bytes, other);
  EXPECT_EQ(h.drops("c", DropReason::kFiltered), 0u);
}

TEST(Classifier, ProgramHandlerMatchesClicksListing) {
  Harness h(config("12/0806 20/0001, 12/0806 20/0002, 12/0800, -", 4));
  ASSERT_TRUE(h.ok()) << h.error();
  // Click's documentation of this element shows exactly this program.
  EXPECT_EQ(h.read("c.program"),
            " 0  12/08060000%ffff0000  yes->step 1  no->step 3\n"
            " 1  20/00010000%ffff0000  yes->[0]  no->step 2\n"
            " 2  20/00020000%ffff0000  yes->[1]  no->[3]\n"
            " 3  12/08000000%ffff0000  yes->[2]  no->[3]\n"
            "safe length 22\n"
            "alignment offset 0\n");
}

TEST(Classifier, NoMatchIsDroppedAndCounted) {
  Harness h(config("12/0800, 12/0806", 2));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ipv6ish(), ip_udp(), ipv6ish()});
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{1, 0}));
  EXPECT_EQ(h.drops("c", DropReason::kFiltered), 2u);
}

TEST(Classifier, FirstMatchingPatternWins) {
  Harness h(config("12/08, 12/0800, -", 3));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp(), arp(1), ipv6ish()});
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{2, 0, 1}));
}

TEST(Classifier, MasksAndWildcards) {
  // 23/11: UDP (IP protocol byte); 12/0808%fff8: types 0808-080f; 13/?6: low nibble of
  // byte 13; 0/ff%0f: low nibble of byte 0.
  Harness h(config("12/08?? 23/11, 12/0808%fff8, 13/?6, 0/ff%0f, -", 5));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes udp = ip_udp();
  const Bytes tcp = PacketSpec().eth().ipv4().tcp().bytes();
  const Bytes x0806 = arp(1);
  const Bytes x080f = PacketSpec().eth().ether_type(0x080f).payload_size(30).bytes();
  const Bytes odd =
      PacketSpec().eth("0f:00:00:00:00:02").ether_type(0x1234).payload_size(30).bytes();
  const Bytes none =
      PacketSpec().eth("10:00:00:00:00:02").ether_type(0x1234).payload_size(30).bytes();
  h.push("in", {udp, tcp, x0806, x080f, odd, none});
  EXPECT_EQ(sink_counts(h, 5), (std::vector<std::size_t>{1, 1, 1, 1, 2}));
  if (sink_counts(h, 5) == std::vector<std::size_t>{1, 1, 1, 1, 2}) {
    EXPECT_EQ(h.sink("o0")[0].bytes, udp);
    EXPECT_EQ(h.sink("o1")[0].bytes, x080f);
    EXPECT_EQ(h.sink("o2")[0].bytes, x0806);
    EXPECT_EQ(h.sink("o3")[0].bytes, odd);
    EXPECT_EQ(h.sink("o4")[0].bytes, tcp);
    EXPECT_EQ(h.sink("o4")[1].bytes, none);
  }
}

TEST(Classifier, MaskWithWildcardAndValuesSpanningWords) {
  // 6 bytes from offset 0 (three words touched), and a mask digit '?'.
  Harness h(config("0/ffffffffffff, 12/0800%f?ff, -", 3));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes bcast = arp(1);
  const Bytes x0800 = ip_udp();
  const Bytes x0a00 = PacketSpec().eth().ether_type(0x0a00).payload_size(30).bytes();
  const Bytes x0801 = PacketSpec().eth().ether_type(0x0801).payload_size(30).bytes();
  h.push("in", {bcast, x0800, x0a00, x0801});
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{1, 2, 1}));
}

TEST(Classifier, NegatedClauses) {
  Harness h(config("12/0800 !23/11, !12/0800, -", 3));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp(), PacketSpec().eth().ipv4().tcp().bytes(), arp(1)});
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(h.sink("o0")[0].bytes, PacketSpec().eth().ipv4().tcp().bytes());
  EXPECT_EQ(h.sink("o2")[0].bytes, ip_udp());
}

TEST(Classifier, SpaceAfterBangAndUnalignedOffsets) {
  Harness h(config("! 12/0800 13/06, 13/00 23/11, -", 3));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {arp(1), ip_udp(), ipv6ish()});
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(h.sink("o1")[0].bytes, ip_udp());
}

TEST(Classifier, ShortPacketsNeverMatchAClause) {
  Harness h(config("12/0800, !12/0806, -", 3));
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes full = ip_udp();
  std::vector<Bytes> runts;
  for (std::size_t n : {0u, 1u, 12u, 13u}) runts.emplace_back(full.begin(), full.begin() + n);
  h.push("in", runts);
  // 12/0800 needs 14 bytes: none match it; !12/0806 is true on all of them.
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{0, 4, 0}));
  h.clear_sinks();
  h.push("in", {Bytes(full.begin(), full.begin() + 14), Bytes(full.begin(), full.begin() + 20),
                Bytes(full.begin(), full.begin() + 33)});
  EXPECT_EQ(sink_counts(h, 3), (std::vector<std::size_t>{3, 0, 0}));
}

TEST(Classifier, PacketShorterThanWordButLongEnoughForTheMask) {
  // 12/0800 reads the word 12..15 but needs only bytes 12 and 13.
  Harness h(config("12/0800, -", 2));
  ASSERT_TRUE(h.ok()) << h.error();
  Bytes b = ip_udp();
  b.resize(14);
  h.push("in", {b});
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{1, 0}));
}

TEST(Classifier, DashAndEmptyPatternsMatchEverything) {
  Harness h(config("12/0806, -", 2));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {Bytes{}, ip_udp()});
  EXPECT_EQ(sink_counts(h, 2), (std::vector<std::size_t>{0, 2}));

  // An empty argument in the middle of the list is an empty pattern.
  Harness e(config("12/0806, , -", 3));
  ASSERT_TRUE(e.ok()) << e.error();
  e.push("in", {ip_udp()});
  EXPECT_EQ(sink_counts(e, 3), (std::vector<std::size_t>{0, 1, 0}));
  Result<classify::Program> p = Classifier::compile({"12/0806", ""});
  ASSERT_TRUE(p.is_ok());
  const Bytes x = ip_udp();
  classify::Window w[classify::kBaseCount] = {{x.data(), static_cast<std::uint32_t>(x.size())}};
  EXPECT_EQ(p->match(w), 1);
}

TEST(Classifier, MixedBatchIsSplitInOrder) {
  Harness h(config("12/0800, 12/0806", 2));
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> in;
  for (int i = 0; i < 40; ++i) {
    if (i % 3 == 0) {
      in.push_back(PacketSpec().eth().ipv4().ip_id(static_cast<std::uint16_t>(i)).udp().bytes());
    } else if (i % 3 == 1) {
      in.push_back(arp(static_cast<std::uint16_t>(i)));
    } else {
      in.push_back(ipv6ish());
    }
  }
  h.push("in", in);
  const auto& o0 = h.sink("o0");
  const auto& o1 = h.sink("o1");
  ASSERT_EQ(o0.size(), 14u);
  ASSERT_EQ(o1.size(), 13u);
  EXPECT_EQ(h.drops("c", DropReason::kFiltered), 13u);
  for (std::size_t k = 0; k < o0.size(); ++k) EXPECT_EQ(o0[k].bytes, in[3 * k]);
  for (std::size_t k = 0; k < o1.size(); ++k) EXPECT_EQ(o1[k].bytes, in[3 * k + 1]);
}

TEST(Classifier, AnnotationsPassThrough) {
  Harness h(config("-", 1));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp()}, [](mem::Packet& p) {
    p.set_paint(7);
    p.set_network_header(p.data() + 14);
  });
  ASSERT_EQ(h.sink("o0").size(), 1u);
  EXPECT_EQ(h.sink("o0")[0].paint, 7);
  EXPECT_EQ(h.sink("o0")[0].network_header_offset, 14);
}

// --- configuration ---

TEST(ClassifierConfig, PatternCountMustEqualOutputs) {
  const std::string e = testing::config_error(
      "in :: TestSource -> c :: Classifier(12/0800, 12/0806, -) -> o :: TestSink; c[1] -> o1 :: "
      "TestSink");
  EXPECT_NE(e.find("need 2 arguments, one per output port"), std::string::npos) << e;
  EXPECT_NE(e.find("c :: Classifier"), std::string::npos) << e;
}

std::string pattern_error(std::string_view pattern) {
  Result<classify::Program> p = Classifier::compile({"12/0800", std::string(pattern)});
  return p.is_ok() ? "<no error>" : p.status().message();
}

TEST(ClassifierConfig, PatternErrors) {
  EXPECT_EQ(pattern_error("x/00"), "pattern 1: expected a digit (column 1)");
  EXPECT_EQ(pattern_error("12/0800 !"), "pattern 1: expected a digit (at end)");
  EXPECT_EQ(pattern_error("12-0800"), "pattern 1: expected '/' (column 3)");
  EXPECT_EQ(pattern_error("12"), "pattern 1: expected '/' (at end)");
  EXPECT_EQ(pattern_error("12/0"), "pattern 1: value has less than 2 hex digits (column 4)");
  EXPECT_EQ(pattern_error("12/"), "pattern 1: value has less than 2 hex digits (at end)");
  EXPECT_EQ(pattern_error("12/080"), "pattern 1: value has odd number of hex digits (column 4)");
  EXPECT_EQ(pattern_error("12/0800%ff"), "pattern 1: mask has too few hex digits (column 9)");
  EXPECT_EQ(pattern_error("12/0800%ffffff"), "pattern 1: mask has too many hex digits (column 9)");
  EXPECT_EQ(pattern_error("12/0800x"), "pattern 1: expected a digit (column 8)");
  EXPECT_EQ(pattern_error("- 12/0800"), "pattern 1: expected a digit (column 1)");
  EXPECT_EQ(pattern_error("99999999999999/00"), "pattern 1: offset too large (column 1)");
  EXPECT_EQ(pattern_error("65535/0000"), "pattern 1: offset too large (column 1)");
  EXPECT_EQ(pattern_error("65535/00"), "<no error>");
}

TEST(ClassifierConfig, ErrorsReachTheRouter) {
  const std::string e = testing::config_error(
      "in :: TestSource -> c :: Classifier(12/0800, 12/08x0) -> o :: TestSink; c[1] -> o1 :: "
      "TestSink");
  EXPECT_NE(e.find("pattern 1: expected a digit (column 6)"), std::string::npos) << e;
}

TEST(ClassifierConfig, WarnsAboutUnreachableOutputs) {
  std::vector<std::string> warnings;
  Result<classify::Program> p = Classifier::compile({"12/0800", "12/0800 23/11", "-"}, &warnings);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(warnings, (std::vector<std::string>{"output 1 matches no packets"}));
  warnings.clear();
  ASSERT_TRUE(Classifier::compile({"12/0806 12/0800", "-"}, &warnings).is_ok());
  EXPECT_EQ(warnings, (std::vector<std::string>{"output 0 matches no packets"}));
}

TEST(ClassifierConfig, ZeroPatternsZeroOutputs) {
  Harness h("in :: TestSource -> c :: Classifier;");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip_udp()});
  EXPECT_EQ(h.drops("c", DropReason::kFiltered), 1u);
  EXPECT_EQ(h.read("c.program"), "all->[X]\nsafe length 0\nalignment offset 0\n");
}

}  // namespace
}  // namespace uplane::elements
