// IPFragmenter: fragments checked byte for byte against datagrams built with PacketSpec from
// RFC 791's rules (8-byte units, MF, copied options, per-fragment checksums).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/element.h"
#include "harness.h"
#include "net/ipv4.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

Bytes slice(const Bytes& b, std::size_t from, std::size_t n) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
               b.begin() + static_cast<std::ptrdiff_t>(from + n));
}

// An IP datagram (or fragment) carrying `data` as UDP's protocol number.
Bytes datagram(const Bytes& data, std::uint16_t frag = 0, std::uint16_t id = 0x1234,
               const Bytes& options = {}) {
  PacketSpec s;
  s.ipv4("10.0.0.1", "10.0.0.2").ip_id(id).frag(frag).ip_proto(17);
  if (!options.empty()) s.ip_options(options);
  return s.payload(data).bytes();
}

TEST(IPFragmenter, SmallPacketsPassUnchanged) {
  Harness h("in :: TestSource -> f :: IPFragmenter(576) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = datagram(pattern(556));  // exactly 576 bytes
  h.push("in", {p}, mark_ip);
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, p);
  EXPECT_EQ(h.read("f.fragments"), "0\n");
}

TEST(IPFragmenter, SplitsAtEightByteBoundaries) {
  Harness h("in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(576) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes data = pattern(1000);
  h.push("in", {datagram(data)});
  // (576 - 20) & ~7 = 552 data bytes per fragment.
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, datagram(slice(data, 0, 552), 0x2000));
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(data, 552, 448), 552 / 8));
  EXPECT_EQ(h.read("f.fragments"), "2\n");
  EXPECT_EQ(h.read("f.drops"), "0\n");
  for (const auto& o : h.sink("out")) EXPECT_EQ(o.network_header_offset, 0);
}

TEST(IPFragmenter, ManyFragmentsInOrderAcrossBatches) {
  Harness h("in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(68) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes data = pattern(1700);
  h.push("in", {datagram(data)});
  // 48 data bytes per fragment: 36 fragments, the last with 20.
  ASSERT_EQ(h.sink("out").size(), 36u);
  for (std::size_t i = 0; i < 36; ++i) {
    const std::size_t off = i * 48;
    const std::size_t n = i == 35 ? 20 : 48;
    const std::uint16_t frag = static_cast<std::uint16_t>((i == 35 ? 0 : 0x2000) | (off / 8));
    EXPECT_EQ(h.sink("out")[i].bytes, datagram(slice(data, off, n), frag)) << i;
  }
  EXPECT_EQ(h.read("f.fragments"), "36\n");
}

TEST(IPFragmenter, KeepsOrderWithSmallPackets) {
  Harness h("in :: TestSource -> MarkIPHeader -> IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes small1 = datagram(pattern(10), 0, 1);
  const Bytes big = datagram(pattern(150), 0, 2);
  const Bytes small2 = datagram(pattern(20), 0, 3);
  h.push("in", {small1, big, small2});
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[0].bytes, small1);
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(pattern(150), 0, 80), 0x2000, 2));
  EXPECT_EQ(h.sink("out")[2].bytes, datagram(slice(pattern(150), 80, 70), 10, 2));
  EXPECT_EQ(h.sink("out")[3].bytes, small2);
}

TEST(IPFragmenter, CopiesOnlyOptionsWithTheCopiedFlag) {
  Harness h("in :: TestSource -> MarkIPHeader -> IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // Record Route (7, not copied), Loose Source Route (131, copied), NOP, End.
  const Bytes opts = {7, 7, 4, 1, 1, 1, 1, 131, 7, 4, 2, 2, 2, 2, 1, 0};
  const Bytes copied = {131, 7, 4, 2, 2, 2, 2, 0};
  const Bytes data = pattern(200);
  h.push("in", {datagram(data, 0, 0x1234, opts)});
  // First: 36-byte header, (100 - 36) & ~7 = 64 bytes. Then 28-byte headers, 72 bytes.
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, datagram(slice(data, 0, 64), 0x2000, 0x1234, opts));
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(data, 64, 72), 0x2000 | 8, 0x1234, copied));
  EXPECT_EQ(h.sink("out")[2].bytes, datagram(slice(data, 136, 64), 17, 0x1234, copied));
}

TEST(IPFragmenter, MalformedOptionEndsTheOptionWalk) {
  Harness h("in :: TestSource -> MarkIPHeader -> IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  // A copied option whose length (0) is invalid: nothing after it is copied.
  const Bytes opts = {131, 0, 4, 2, 137, 4, 4, 0};
  const Bytes data = pattern(120);
  h.push("in", {datagram(data, 0, 7, opts)});
  // First: 28-byte header, 72 bytes. Then bare 20-byte headers.
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, datagram(slice(data, 0, 72), 0x2000, 7, opts));
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(data, 72, 48), 9, 7));
}

TEST(IPFragmenter, RefragmentsAFragment) {
  Harness h("in :: TestSource -> MarkIPHeader -> IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes data = pattern(160);
  // A middle fragment (MF, offset 100) keeps MF on every piece; a last fragment (offset 200)
  // clears it on its last piece. Offsets add up in 8-byte units.
  h.push("in", {datagram(data, 0x2000 | 100), datagram(data, 200)});
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[0].bytes, datagram(slice(data, 0, 80), 0x2000 | 100));
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(data, 80, 80), 0x2000 | 110));
  EXPECT_EQ(h.sink("out")[2].bytes, datagram(slice(data, 0, 80), 0x2000 | 200));
  EXPECT_EQ(h.sink("out")[3].bytes, datagram(slice(data, 80, 80), 210));
}

TEST(IPFragmenter, DontFragmentGoesToOutput1) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(576) -> out :: TestSink;"
      " f[1] -> big :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes df = datagram(pattern(1000), 0x4000);
  h.push("in", {df, datagram(pattern(100), 0x4000)});
  ASSERT_EQ(h.sink("big").size(), 1u);
  EXPECT_EQ(h.sink("big")[0].bytes, df);
  EXPECT_EQ(h.sink("out").size(), 1u);  // the small DF packet passes
  EXPECT_EQ(h.read("f.drops"), "1\n");
  EXPECT_EQ(h.drops("f", DropReason::kFragmentNeeded), 0u);
}

TEST(IPFragmenter, DontFragmentDroppedWithoutOutput1) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(576, VERBOSE true) -> out :: "
      "TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {datagram(pattern(1000), 0x4000)});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("f", DropReason::kFragmentNeeded), 1u);
  EXPECT_EQ(h.read("f.drops"), "1\n");
}

TEST(IPFragmenter, MtuTooSmallForAnyDataGoesToOutput1) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(27) -> out :: TestSink;"
      " f[1] -> big :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {datagram(pattern(50))});  // (27 - 20) & ~7 = 0 data bytes: no DF needed
  EXPECT_EQ(h.sink("big").size(), 1u);
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(IPFragmenter, HonorDfFalseClearsDfAndPicksOneNewId) {
  Harness h(
      "in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(576, false) -> out :: TestSink;"
      " f[1] -> big :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes data = pattern(1200);
  h.push("in", {datagram(data, 0x4000)});
  EXPECT_TRUE(h.sink("big").empty());
  ASSERT_EQ(h.sink("out").size(), 3u);
  const auto& o = h.sink("out");
  const std::uint16_t id = static_cast<std::uint16_t>(o[0].bytes[4] << 8 | o[0].bytes[5]);
  EXPECT_EQ(o[0].bytes, datagram(slice(data, 0, 552), 0x2000, id));
  EXPECT_EQ(o[1].bytes, datagram(slice(data, 552, 552), 0x2000 | 69, id));
  EXPECT_EQ(o[2].bytes, datagram(slice(data, 1104, 96), 138, id));
  // Keyword form.
  Harness k(
      "in :: TestSource -> MarkIPHeader -> IPFragmenter(576, HONOR_DF false) -> out :: TestSink");
  ASSERT_TRUE(k.ok()) << k.error();
  k.push("in", {datagram(data, 0x4000)});
  EXPECT_EQ(k.sink("out").size(), 3u);
}

TEST(IPFragmenter, FirstFragmentKeepsTheLinkHeaderOthersCopyAnnotations) {
  Harness h("in :: TestSource -> MarkIPHeader(14) -> IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes data = pattern(100);
  const Bytes frame = PacketSpec()
                          .eth()
                          .ipv4("10.0.0.1", "10.0.0.2")
                          .ip_id(0x1234)
                          .ip_proto(17)
                          .payload(data)
                          .bytes();
  h.push("in", {frame}, [](mem::Packet& p) {
    p.set_paint(9);
    p.set_dst_ip_anno_raw(raw_ip("192.0.2.1"));
    p.set_packet_type(mem::PacketType::kOtherHost);
    p.set_vlan_tci(42);
    p.set_flow_hash(0xabcdef);
    p.user_anno()[5] = 0x55;
  });
  ASSERT_EQ(h.sink("out").size(), 2u);
  Bytes first = slice(frame, 0, 14);
  const Bytes f1 = datagram(slice(data, 0, 80), 0x2000);
  first.insert(first.end(), f1.begin(), f1.end());
  EXPECT_EQ(h.sink("out")[0].bytes, first);
  EXPECT_EQ(h.sink("out")[0].network_header_offset, 14);
  EXPECT_EQ(h.sink("out")[1].bytes, datagram(slice(data, 80, 20), 10));
  EXPECT_EQ(h.sink("out")[1].network_header_offset, 0);
  for (const auto& o : h.sink("out")) {
    EXPECT_EQ(o.paint, 9);
    EXPECT_EQ(o.dst_ip_anno, raw_ip("192.0.2.1"));
    EXPECT_EQ(o.packet_type, mem::PacketType::kOtherHost);
    EXPECT_EQ(o.vlan_tci, 42);
    EXPECT_EQ(o.flow_hash, 0xabcdefu);
    EXPECT_EQ(o.user_anno[5], 0x55);
  }
}

TEST(IPFragmenter, PaddingOnlyIsTrimmedNotFragmented) {
  Harness h("in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  const Bytes p = datagram(pattern(70));  // 90 bytes
  Bytes padded = p;
  padded.resize(120, 0);
  h.push("in", {padded});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, p);
  EXPECT_EQ(h.read("f.fragments"), "0\n");
}

TEST(IPFragmenter, HeadroomKeyword) {
  // Later fragments get HEADROOM bytes of headroom: 0 leaves no room for an Ethernet header.
  const char* encap = "EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2)";
  Harness h0(
      std::string("in :: TestSource -> MarkIPHeader -> IPFragmenter(100, HEADROOM 0) -> e :: ") +
      encap + " -> out :: TestSink");
  ASSERT_TRUE(h0.ok()) << h0.error();
  h0.push("in", {datagram(pattern(200))});
  EXPECT_EQ(h0.sink("out").size(), 1u);  // the first fragment is the original, with headroom
  EXPECT_EQ(h0.drops("e", DropReason::kNoRoom), 2u);
  Harness h14(
      std::string("in :: TestSource -> MarkIPHeader -> IPFragmenter(100, HEADROOM 14) -> e :: ") +
      encap + " -> out :: TestSink");
  ASSERT_TRUE(h14.ok()) << h14.error();
  h14.push("in", {datagram(pattern(200))});
  EXPECT_EQ(h14.sink("out").size(), 3u);
}

TEST(IPFragmenter, MalformedPacketsDropped) {
  Harness h("in :: TestSource -> f :: IPFragmenter(8) -> out :: TestSink; f[1] -> x :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {datagram(pattern(40))});  // no network header annotation
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 1u);
  h.push("in", {Bytes{}}, mark_ip);
  EXPECT_EQ(h.drops("f", DropReason::kBadHeader), 2u);
  h.push("in", {Bytes(9, 0x45), Bytes(13, 0x45), Bytes(19, 0x45)}, mark_ip);
  EXPECT_EQ(h.drops("f", DropReason::kTooShort), 3u);
  Bytes ihl15 = datagram(pattern(20));  // 40 bytes claiming a 60-byte header
  ihl15[0] = 0x4f;
  h.push("in", {ihl15}, mark_ip);
  EXPECT_EQ(h.drops("f", DropReason::kTooShort), 4u);
  // At most MTU: passes unexamined, as in Click.
  h.push("in", {Bytes(1, 0x45), Bytes(8, 0x45)}, mark_ip);
  EXPECT_EQ(h.sink("out").size(), 2u);
  EXPECT_TRUE(h.sink("x").empty());

  Harness g("in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(100) -> out :: TestSink");
  ASSERT_TRUE(g.ok()) << g.error();
  Bytes ihl4 = datagram(pattern(200));
  ihl4[0] = 0x44;
  g.push("in", {ihl4});
  EXPECT_EQ(g.drops("f", DropReason::kBadHeader), 1u);
  Bytes truncated = datagram(pattern(200));  // total length 220 in 150 bytes
  truncated.resize(150);
  g.push("in", {truncated, PacketSpec().ipv4().ip_total_length(19).payload(pattern(200)).bytes()});
  EXPECT_EQ(g.drops("f", DropReason::kBadLength), 2u);
  // Offset 8176 plus 200 bytes would end past offset 65535.
  g.push("in", {datagram(pattern(200), 0x1ff0)});
  EXPECT_EQ(g.drops("f", DropReason::kBadLength), 3u);
  EXPECT_TRUE(g.sink("out").empty());
  // Click's "drops" counts only DF refusals; the router's per-reason counts show the rest.
  EXPECT_EQ(g.read("f.drops"), "0\n");
  EXPECT_EQ(g.read("f.drop_reasons"), "bad_header 1\nbad_length 3\n");
}

TEST(IPFragmenter, PoolExhaustionDropsTheDatagram) {
  graph::RouterOptions o = Harness::small_options();
  o.pool.frame_count = 2;  // the original and one more
  Harness h("in :: TestSource -> MarkIPHeader -> f :: IPFragmenter(100) -> out :: TestSink", o);
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {datagram(pattern(300))});
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_EQ(h.drops("f", DropReason::kNoMemory), 1u);
  EXPECT_EQ(h.read("f.fragments"), "0\n");
  EXPECT_EQ(h.frames_outstanding(), 0u);
}

TEST(IPFragmenter, ConfigurationErrors) {
  const auto err = config_error_of("IPFragmenter");
  EXPECT_NE(err("").find("MTU"), std::string::npos);
  EXPECT_NE(err("7").find("MTU"), std::string::npos);
  EXPECT_NE(err("x").find("MTU"), std::string::npos);
  EXPECT_NE(err("1500, maybe").find("HONOR_DF"), std::string::npos);
  EXPECT_NE(err("1500, true, maybe").find("VERBOSE"), std::string::npos);
  EXPECT_NE(err("1500, HEADROOM x").find("HEADROOM"), std::string::npos);
  EXPECT_NE(err("1500, HEADROOM 2000").find("HEADROOM"), std::string::npos);
  EXPECT_EQ(err("8"), "");
  EXPECT_EQ(err("MTU 1500, HONOR_DF true, VERBOSE false, HEADROOM 64"), "");
}

}  // namespace
}  // namespace uplane::elements
