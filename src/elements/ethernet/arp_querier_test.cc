// ARPQuerier: queries, replies and encapsulated packets built independently with PacketSpec
// from RFC 826 and Click's documentation of ARPQuerier and ARPTable.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "graph/element.h"
#include "harness.h"
#include "net/ipv4.h"

namespace uplane::elements {
namespace {

using graph::DropReason;
using namespace testing;

constexpr const char* kMe = "00:00:00:00:00:01";
constexpr const char* kPeer = "00:00:00:00:00:02";
constexpr const char* kBcast = "ff:ff:ff:ff:ff:ff";
constexpr const char* kZero = "00:00:00:00:00:00";

// Two inputs, two outputs: IP in on "in", replies in on "rin"; encapsulated packets to
// "out", queries to "queries".
std::string two_outputs(const std::string& args) {
  return "in :: TestSource -> [0]q :: ARPQuerier(" + args +
         "); rin :: TestSource -> [1]q; q[0] -> out :: TestSink; q[1] -> queries :: TestSink";
}

std::function<void(mem::Packet&)> to(const char* ip) {
  const std::uint32_t raw = raw_ip(ip);
  return [raw](mem::Packet& p) { p.set_dst_ip_anno_raw(raw); };
}

// An IP packet whose payload says which one it is.
Bytes ip(std::uint8_t tag, const char* dst = "10.0.0.2") {
  return PacketSpec().ipv4("10.0.0.1", dst).udp(1000, 2000).payload({tag, tag, tag}).bytes();
}
Bytes encapsulated(std::uint8_t tag, const char* eth_dst = kPeer, const char* dst = "10.0.0.2") {
  return PacketSpec()
      .eth(eth_dst, kMe)
      .ipv4("10.0.0.1", dst)
      .udp(1000, 2000)
      .payload({tag, tag, tag})
      .bytes();
}
Bytes query(const char* target, const char* eth_dst = kBcast) {
  return PacketSpec().eth(eth_dst, kMe).arp(1, kMe, "10.0.0.1", kZero, target).bytes();
}
Bytes reply_from(const char* sender_eth, const char* sender_ip) {
  return PacketSpec().eth(kMe, sender_eth).arp(2, sender_eth, sender_ip, kMe, "10.0.0.1").bytes();
}
Bytes runt(std::size_t n) { return Bytes(n, 0x42); }

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

TEST(ARPQuerier, QueriesThenSendsWhenTheReplyComes) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1)}, [](mem::Packet& p) {
    p.set_dst_ip_anno_raw(raw_ip("10.0.0.2"));
    p.set_vlan_tci(0x0042);
    p.set_timestamp_ns(12345);
  });
  EXPECT_TRUE(h.sink("out").empty());
  ASSERT_EQ(h.sink("queries").size(), 1u);
  EXPECT_EQ(h.sink("queries")[0].bytes, query("10.0.0.2"));
  EXPECT_EQ(h.sink("queries")[0].vlan_tci, 0x0042);  // from the packet that caused it
  EXPECT_EQ(h.sink("queries")[0].network_header_offset, 14);
  EXPECT_EQ(h.read("q.count"), "1\n");
  EXPECT_EQ(h.read("q.length"), "1\n");
  EXPECT_EQ(h.read("q.queries"), "1\n");
  EXPECT_TRUE(std::regex_match(h.read("q.table"),
                               std::regex("10\\.0\\.0\\.2 0 FF-FF-FF-FF-FF-FF 0\\.\\d{6}\n")))
      << h.read("q.table");

  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1));
  EXPECT_EQ(h.sink("out")[0].dst_ip_anno, raw_ip("10.0.0.2"));
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.read("q.responses"), "1\n");
  EXPECT_TRUE(std::regex_match(h.read("q.table"),
                               std::regex("10\\.0\\.0\\.2 1 00-00-00-00-00-02 0\\.\\d{3}000\n")))
      << h.read("q.table");

  // Now known: straight out, no new query.
  h.push("in", {ip(2)}, to("10.0.0.2"));
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(2));
  EXPECT_EQ(h.sink("queries").size(), 1u);
  EXPECT_EQ(h.read("q.stats"), "0 packets killed\n1 ARP queries sent\n");
  EXPECT_EQ(h.read("q.drops"), "0\n");
}

TEST(ARPQuerier, SavedPacketsLeaveInArrivalOrderPerDestination) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  int n = 0;
  const char* dsts[] = {"10.0.0.2", "10.0.0.3", "10.0.0.2", "10.0.0.2", "10.0.0.3"};
  h.push("in", {ip(1), ip(2, "10.0.0.3"), ip(3), ip(4), ip(5, "10.0.0.3")},
         [&](mem::Packet& p) { p.set_dst_ip_anno_raw(raw_ip(dsts[n++])); });
  // One query per destination: the rest fall inside the 100 ms between queries.
  ASSERT_EQ(h.sink("queries").size(), 2u);
  EXPECT_EQ(h.sink("queries")[0].bytes, query("10.0.0.2"));
  EXPECT_EQ(h.sink("queries")[1].bytes, query("10.0.0.3"));
  EXPECT_EQ(h.read("q.length"), "5\n");

  h.push("rin", {reply_from("00:00:00:00:00:03", "10.0.0.3")});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(2, "00:00:00:00:00:03", "10.0.0.3"));
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(5, "00:00:00:00:00:03", "10.0.0.3"));
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 5u);
  EXPECT_EQ(h.sink("out")[2].bytes, encapsulated(1));
  EXPECT_EQ(h.sink("out")[3].bytes, encapsulated(3));
  EXPECT_EQ(h.sink("out")[4].bytes, encapsulated(4));
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.read("q.count"), "2\n");
}

TEST(ARPQuerier, QueriesAreRateLimited) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1), ip(2)}, to("10.0.0.2"));
  EXPECT_EQ(h.sink("queries").size(), 1u);
  sleep_ms(120);  // more than 100 ms since the last query
  h.push("in", {ip(3)}, to("10.0.0.2"));
  EXPECT_EQ(h.sink("queries").size(), 2u);
  EXPECT_EQ(h.read("q.queries"), "2\n");
  EXPECT_EQ(h.read("q.length"), "3\n");
}

TEST(ARPQuerier, ResponderRoundTripInOneConfiguration) {
  Harness h(
      "in :: TestSource -> [0]q :: ARPQuerier(10.0.0.1, 00:00:00:00:00:01);"
      "q[1] -> r :: ARPResponder(10.0.0.2 00:00:00:00:00:02) -> [1]q;"
      "q[0] -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1), ip(2), ip(3)}, to("10.0.0.2"));
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1));
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(2));
  EXPECT_EQ(h.sink("out")[2].bytes, encapsulated(3));
  EXPECT_EQ(h.read("q.queries"), "1\n");
  EXPECT_EQ(h.read("q.responses"), "1\n");
  EXPECT_EQ(h.read("q.length"), "0\n");
}

TEST(ARPQuerier, OneOutputCarriesQueriesToo) {
  Harness h(
      "in :: TestSource -> [0]q :: ARPQuerier(10.0.0.1, 00:00:00:00:00:01);"
      "rin :: TestSource -> [1]q; q -> out :: TestSink");
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1)}, to("10.0.0.2"));
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, query("10.0.0.2"));
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(1));
}

TEST(ARPQuerier, BroadcastAndMulticastNeedNoQuery) {
  Harness h(two_outputs("10.0.0.1/24, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("q.broadcast"), "10.0.0.255\n");
  int n = 0;
  const char* dsts[] = {"255.255.255.255", "10.0.0.255", "224.1.2.3", "239.129.2.3"};
  h.push("in",
         {ip(1, "255.255.255.255"), ip(2, "10.0.0.255"), ip(3, "224.1.2.3"), ip(4, "239.129.2.3")},
         [&](mem::Packet& p) { p.set_dst_ip_anno_raw(raw_ip(dsts[n++])); });
  EXPECT_TRUE(h.sink("queries").empty());
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1, kBcast, "255.255.255.255"));
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(2, kBcast, "10.0.0.255"));
  // RFC 1112: 01-00-5E and the low 23 bits of the group.
  EXPECT_EQ(h.sink("out")[2].bytes, encapsulated(3, "01:00:5e:01:02:03", "224.1.2.3"));
  EXPECT_EQ(h.sink("out")[3].bytes, encapsulated(4, "01:00:5e:01:02:03", "239.129.2.3"));
  EXPECT_EQ(h.read("q.count"), "0\n");
}

TEST(ARPQuerier, BroadcastKeywordAndBareAddress) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, BROADCAST 10.0.0.127"));
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h.read("q.broadcast"), "10.0.0.127\n");
  EXPECT_EQ(h.read("q.ipaddr"), "10.0.0.1\n");
  h.push("in", {ip(1, "10.0.0.127")}, to("10.0.0.127"));
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1, kBcast, "10.0.0.127"));

  Harness bare(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(bare.ok()) << bare.error();
  EXPECT_EQ(bare.read("q.broadcast"), "255.255.255.255\n");
  ASSERT_TRUE(bare.write("q.broadcast", "10.0.0.63").is_ok());
  ASSERT_TRUE(bare.write("q.ipaddr", "10.0.0.5").is_ok());
  EXPECT_EQ(bare.read("q.broadcast"), "10.0.0.63\n");
  EXPECT_EQ(bare.read("q.ipaddr"), "10.0.0.5\n");
  EXPECT_FALSE(bare.write("q.ipaddr", "10.0.0").is_ok());
  bare.push("in", {ip(1, "10.0.0.2")}, to("10.0.0.2"));
  ASSERT_EQ(bare.sink("queries").size(), 1u);
  EXPECT_EQ(bare.sink("queries")[0].bytes,
            PacketSpec().eth(kBcast, kMe).arp(1, kMe, "10.0.0.5", kZero, "10.0.0.2").bytes());
}

TEST(ARPQuerier, ZeroDestinationAndZeroAddressAreDropped) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1), ip(2)});  // no annotation: 0.0.0.0
  EXPECT_TRUE(h.sink("out").empty());
  EXPECT_TRUE(h.sink("queries").empty());
  EXPECT_EQ(h.drops("q", DropReason::kNoRoute), 2u);
  EXPECT_EQ(h.read("q.drops"), "2\n");
  ASSERT_TRUE(h.write("q.ipaddr", "0.0.0.0").is_ok());
  h.push("in", {ip(3)}, to("10.0.0.2"));
  EXPECT_EQ(h.drops("q", DropReason::kOther), 1u);
  EXPECT_EQ(h.read("q.stats"), "3 packets killed\n0 ARP queries sent\n");
}

TEST(ARPQuerier, AnyIpPacketLengthIsEncapsulated) {
  // ARPQuerier reads only the annotation, never the IP header.
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("q.insert", "10.0.0.2 00:00:00:00:00:02").is_ok());
  h.push("in", {Bytes{}, runt(1), runt(13), runt(33)}, to("10.0.0.2"));
  ASSERT_EQ(h.sink("out").size(), 4u);
  EXPECT_EQ(h.sink("out")[0].bytes, PacketSpec().eth(kPeer, kMe).ether_type(0x0800).bytes());
  EXPECT_EQ(h.sink("out")[3].bytes,
            PacketSpec().eth(kPeer, kMe).ether_type(0x0800).payload(runt(33)).bytes());
}

TEST(ARPQuerier, EntryPacketCapacityDropsTheExcess) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, ENTRY_PACKET_CAPACITY 2"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1), ip(2), ip(3), ip(4), ip(5)}, to("10.0.0.2"));
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 3u);
  EXPECT_EQ(h.read("q.length"), "2\n");
  EXPECT_EQ(h.read("q.stats"), "3 packets killed\n1 ARP queries sent\n");
  EXPECT_EQ(h.read("q.drops"), "0\n");  // Click's drops: outside the table only
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1));
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(2));
}

TEST(ARPQuerier, CapacitySlimsOldestPacketsFirst) {
  // CAPACITY 4, slim factor 2: the fifth packet trims the table to 4 - 4/2 = 2 packets
  // (itself included), dropping the three oldest; the sixth fits.
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, CAPACITY 4"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("in", {ip(1), ip(2), ip(3), ip(4), ip(5), ip(6)}, to("10.0.0.2"));
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 3u);
  EXPECT_EQ(h.read("q.length"), "3\n");
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 3u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(4));
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(5));
  EXPECT_EQ(h.sink("out")[2].bytes, encapsulated(6));
}

TEST(ARPQuerier, CapacitySlimWalksEntriesOldestFirst) {
  // CAPACITY 3, CAPACITY_SLIM_FACTOR 1: over capacity, the table is cut to 1 packet (the
  // one being added), emptying the oldest entries first.
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, CAPACITY 3, CAPACITY_SLIM_FACTOR 1"));
  ASSERT_TRUE(h.ok()) << h.error();
  int n = 0;
  const char* dsts[] = {"10.0.0.2", "10.0.0.3", "10.0.0.2", "10.0.0.3"};
  h.push("in", {ip(1), ip(2, "10.0.0.3"), ip(3), ip(4, "10.0.0.3")},
         [&](mem::Packet& p) { p.set_dst_ip_anno_raw(raw_ip(dsts[n++])); });
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 3u);
  EXPECT_EQ(h.read("q.length"), "1\n");
  h.push("rin", {reply_from(kPeer, "10.0.0.2"), reply_from("00:00:00:00:00:03", "10.0.0.3")});
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(4, "00:00:00:00:00:03", "10.0.0.3"));
}

TEST(ARPQuerier, EntryCapacityEvictsTheOldestEntry) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, ENTRY_CAPACITY 2"));
  ASSERT_TRUE(h.ok()) << h.error();
  int n = 0;
  const char* dsts[] = {"10.0.0.2", "10.0.0.3", "10.0.0.4"};
  h.push("in", {ip(1), ip(2, "10.0.0.3"), ip(3, "10.0.0.4")},
         [&](mem::Packet& p) { p.set_dst_ip_anno_raw(raw_ip(dsts[n++])); });
  EXPECT_EQ(h.read("q.count"), "2\n");
  EXPECT_EQ(h.read("q.length"), "2\n");
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 1u);
  const std::string table = h.read("q.table");
  EXPECT_EQ(table.find("10.0.0.2 "), std::string::npos) << table;
  EXPECT_EQ(table.find("10.0.0.3 "), 0u) << table;
  EXPECT_NE(table.find("\n10.0.0.4 "), std::string::npos) << table;
  EXPECT_EQ(h.sink("queries").size(), 3u);
}

TEST(ARPQuerier, ManyDestinationsUseTheIndex) {
  // More destinations than fit one probe run; then every one resolves.
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, ENTRY_CAPACITY 300"));
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<std::string> ips;
  for (int i = 0; i < 300; ++i) ips.push_back(fmt::format("10.1.{}.{}", i / 200, i % 200 + 1));
  for (int i = 0; i < 300; ++i)
    h.push("in", {ip(static_cast<std::uint8_t>(i))}, to(ips[i].c_str()));
  EXPECT_EQ(h.read("q.count"), "300\n");
  EXPECT_EQ(h.sink("queries").size(), 300u);
  // Replies in another order, each releasing exactly its packet.
  for (int i = 299; i >= 0; i -= 2) {
    const std::string eth = fmt::format("00:00:00:00:{:02x}:{:02x}", i / 256, i % 256);
    h.push("rin", {reply_from(eth.c_str(), ips[i].c_str())});
  }
  EXPECT_EQ(h.sink("out").size(), 150u);
  ASSERT_TRUE(h.write("q.clear", "").is_ok());  // unresolved packets dropped
  EXPECT_EQ(h.read("q.count"), "0\n");
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 150u);
  for (int i = 0; i < 300; ++i)
    h.push("in", {ip(static_cast<std::uint8_t>(i))}, to(ips[i].c_str()));
  EXPECT_EQ(h.read("q.count"), "300\n");
}

TEST(ARPQuerier, EntriesExpireAndTheTimerDropsTheirPackets) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, TIMEOUT 300ms"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  h.push("in", {ip(1)}, to("10.0.0.2"));
  ASSERT_EQ(h.sink("out").size(), 1u);
  h.push("in", {ip(2)}, to("10.0.0.9"));  // never answered
  EXPECT_EQ(h.read("q.length"), "1\n");
  sleep_ms(350);
  // Expired: no longer used, so a new packet waits for a new (broadcast) query...
  h.push("in", {ip(3)}, to("10.0.0.2"));
  EXPECT_EQ(h.sink("out").size(), 1u);
  ASSERT_EQ(h.sink("queries").size(), 2u);
  EXPECT_EQ(h.sink("queries")[1].bytes, query("10.0.0.2"));
  // ... and the reply releases it.
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(3));
  // The sweep (due since 300 ms after start) removes 10.0.0.9 and drops its packet;
  // 10.0.0.2 was just confirmed and stays.
  h.run_tasks();
  EXPECT_EQ(h.read("q.count"), "1\n");
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 1u);
  EXPECT_EQ(h.read("q.stats"), "1 packets killed\n2 ARP queries sent\n");
  // With nothing more sent, the rest expires at a later sweep.
  for (int i = 0; i < 200 && h.read("q.count") != "0\n"; ++i) {
    sleep_ms(10);
    h.run_tasks();
  }
  EXPECT_EQ(h.read("q.count"), "0\n");
  EXPECT_EQ(h.read("q.table"), "");
}

TEST(ARPQuerier, OldEntriesArePolledUnicast) {
  for (bool broadcast_poll : {false, true}) {
    SCOPED_TRACE(broadcast_poll);
    Harness h(two_outputs(std::string("10.0.0.1, 00:00:00:00:00:01, POLL_TIMEOUT 300ms") +
                          (broadcast_poll ? ", BROADCAST_POLL true" : "")));
    ASSERT_TRUE(h.ok()) << h.error();
    h.push("rin", {reply_from(kPeer, "10.0.0.2")});
    h.push("in", {ip(1)}, to("10.0.0.2"));
    EXPECT_TRUE(h.sink("queries").empty());
    sleep_ms(350);
    h.push("in", {ip(2), ip(3)}, to("10.0.0.2"));
    // Both go out at once; the first also asks again, to the address we know.
    ASSERT_EQ(h.sink("out").size(), 3u);
    EXPECT_EQ(h.sink("out")[2].bytes, encapsulated(3));
    ASSERT_EQ(h.sink("queries").size(), 1u);
    EXPECT_EQ(h.sink("queries")[0].bytes, query("10.0.0.2", broadcast_poll ? kBcast : kPeer));
  }
}

TEST(ARPQuerier, PollTimeoutZeroNeverPolls) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, POLL_TIMEOUT 0"));
  ASSERT_TRUE(h.ok()) << h.error();
  h.push("rin", {reply_from(kPeer, "10.0.0.2")});
  sleep_ms(5);
  h.push("in", {ip(1)}, to("10.0.0.2"));
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_TRUE(h.sink("queries").empty());
}

TEST(ARPQuerier, BadPacketsOnInput1AreDroppedByReason) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  auto with = [](Bytes b, std::size_t at, std::uint8_t v) {
    b[at] = v;
    return b;
  };
  const Bytes good = reply_from(kPeer, "10.0.0.2");
  h.push("rin", {Bytes{}, runt(1), runt(13), runt(14), runt(20), runt(33), runt(41),
                 with(good, 13, 0x00),    // IPv4, not ARP
                 with(good, 15, 6),       // hardware type 6
                 with(good, 17, 0xdd),    // protocol 0x08dd
                 with(good, 18, 8),       // hardware length 8
                 with(good, 19, 16),      // protocol length 16
                 with(good, 21, 1),       // a request
                 with(good, 21, 3),       // op 3
                 with(good, 22, 0x01)});  // group sender address
  EXPECT_EQ(h.drops("q", DropReason::kTooShort), 7u);
  EXPECT_EQ(h.drops("q", DropReason::kBadHeader), 5u);
  EXPECT_EQ(h.drops("q", DropReason::kFiltered), 2u);
  EXPECT_EQ(h.drops("q", DropReason::kBadSource), 1u);
  EXPECT_EQ(h.read("q.count"), "0\n");
  EXPECT_EQ(h.read("q.responses"), "8\n");  // Click counts every packet of 42 bytes or more
  // A padded reply is fine.
  Bytes padded = good;
  padded.resize(60, 0);
  h.push("rin", {padded});
  EXPECT_EQ(h.read("q.count"), "1\n");
  EXPECT_TRUE(h.sink("out").empty());
}

TEST(ARPQuerier, InsertDeleteAndClearHandlers) {
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01"));
  ASSERT_TRUE(h.ok()) << h.error();
  ASSERT_TRUE(h.write("q.insert", "10.0.0.9 00:00:00:00:00:09").is_ok());
  h.push("in", {ip(1, "10.0.0.9")}, to("10.0.0.9"));
  ASSERT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("out")[0].bytes, encapsulated(1, "00:00:00:00:00:09", "10.0.0.9"));

  ASSERT_TRUE(h.write("q.delete", "10.0.0.9").is_ok());
  EXPECT_TRUE(std::regex_match(h.read("q.table"),
                               std::regex("10\\.0\\.0\\.9 0 FF-FF-FF-FF-FF-FF 0\\.\\d{6}\n")))
      << h.read("q.table");
  h.push("in", {ip(2, "10.0.0.9")}, to("10.0.0.9"));
  EXPECT_EQ(h.sink("out").size(), 1u);
  EXPECT_EQ(h.sink("queries").size(), 1u);
  EXPECT_EQ(h.read("q.length"), "1\n");

  // An insert from the handler does not release saved packets (as in Click); a reply does.
  ASSERT_TRUE(h.write("q.insert", "10.0.0.9 00:00:00:00:00:0a").is_ok());
  EXPECT_EQ(h.read("q.length"), "1\n");
  h.push("rin", {reply_from("00:00:00:00:00:0b", "10.0.0.9")});
  ASSERT_EQ(h.sink("out").size(), 2u);
  EXPECT_EQ(h.sink("out")[1].bytes, encapsulated(2, "00:00:00:00:00:0b", "10.0.0.9"));

  EXPECT_FALSE(h.write("q.insert", "10.0.0.9").is_ok());
  EXPECT_FALSE(h.write("q.insert", "00:00:00:00:00:0a 10.0.0.9").is_ok());
  EXPECT_FALSE(h.write("q.delete", "nope").is_ok());

  h.push("in", {ip(3, "10.0.0.7")}, to("10.0.0.7"));
  EXPECT_EQ(h.read("q.count"), "2\n");
  ASSERT_TRUE(h.write("q.clear", "").is_ok());
  EXPECT_EQ(h.read("q.count"), "0\n");
  EXPECT_EQ(h.read("q.length"), "0\n");
  EXPECT_EQ(h.read("q.queries"), "0\n");
  EXPECT_EQ(h.read("q.responses"), "0\n");
  EXPECT_EQ(h.drops("q", DropReason::kNoArpEntry), 1u);
  EXPECT_EQ(h.read("q.stats"), "1 packets killed\n0 ARP queries sent\n");
}

TEST(ARPQuerier, SavedPacketsAreFreedAtCleanup) {
  // The harness fails the test if any frame is still out when the router goes.
  Harness h(two_outputs("10.0.0.1, 00:00:00:00:00:01, CAPACITY 0"));
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<Bytes> many(100, ip(1));
  h.push("in", many, to("10.0.0.2"));
  EXPECT_EQ(h.read("q.length"), "100\n");
  EXPECT_EQ(h.frames_outstanding(), 100u);
}

TEST(ARPQuerier, ConfigurationErrors) {
  auto err = [](const std::string& args) { return config_error(two_outputs(args)); };
  EXPECT_EQ(err("10.0.0.1/24, 00:00:00:00:00:01, CAPACITY 10, ENTRY_CAPACITY 5, "
                "ENTRY_PACKET_CAPACITY 2, CAPACITY_SLIM_FACTOR 3, TIMEOUT 10s, "
                "POLL_TIMEOUT 2s, BROADCAST 10.0.0.255, BROADCAST_POLL true"),
            "");
  EXPECT_EQ(err("IP 10.0.0.1, ETH 00:00:00:00:00:01"), "");
  EXPECT_NE(err("10.0.0.1").find("ETH"), std::string::npos);
  EXPECT_NE(err("").find("IP"), std::string::npos);
  EXPECT_NE(err("10.0.0, 00:00:00:00:00:01").find("IP"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 00:00:00:00:00").find("ETH"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, CAPACITY -1").find("CAPACITY"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, ENTRY_CAPACITY 2000000").find("ENTRY_CAPACITY"),
            std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, CAPACITY_SLIM_FACTOR 0").find("CAPACITY_SLIM_FACTOR"),
            std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, TIMEOUT soon").find("TIMEOUT"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, POLL_TIMEOUT -1").find("POLL_TIMEOUT"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, BROADCAST 10.0.0").find("BROADCAST"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, BROADCAST_POLL maybe").find("BROADCAST_POLL"),
            std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, TABLE t").find("TABLE"), std::string::npos);
  EXPECT_NE(err("10.0.0.1, 0:0:0:0:0:1, 5").find("too many"), std::string::npos);
  // Ports: two inputs, one or two outputs.
  EXPECT_NE(
      config_error("in :: TestSource -> q :: ARPQuerier(10.0.0.1, 0:0:0:0:0:1) -> out :: TestSink"),
      "");
}

}  // namespace
}  // namespace uplane::elements
