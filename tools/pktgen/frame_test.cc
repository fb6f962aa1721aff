#include "pktgen/frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "net/checksum.h"
#include "net/ip_proto.h"
#include "net/l4.h"

namespace uplane::pktgen {
namespace {

FrameSpec spec_of(std::uint32_t size, std::uint32_t flows = 1) {
  FrameSpec s;
  s.src_mac = *net::EtherAddr::parse("02:00:00:00:00:01");
  s.dst_mac = *net::EtherAddr::parse("02:00:00:00:00:02");
  s.src_ip = *net::Ipv4Addr::parse("10.1.0.2");
  s.dst_ip = *net::Ipv4Addr::parse("10.2.0.2");
  s.size = size;
  s.flows = flows;
  return s;
}

std::vector<std::uint8_t> frame(const FrameBuilder& b, std::uint64_t seq) {
  std::vector<std::uint8_t> f(b.size());
  b.write(f.data(), seq);
  return f;
}

// What a receiving host checks: Ethernet type, the IPv4 header and its checksum, and the UDP
// checksum with the pseudo-header; returns the UDP header.
const net::Udp* check_valid(std::span<const std::uint8_t> f) {
  const auto* eth = net::ethernet_header(f);
  EXPECT_NE(eth, nullptr);
  EXPECT_EQ(eth->ether_type, net::kEtherTypeIpv4);
  const auto* ip = net::ipv4_header(f.subspan(14));
  EXPECT_NE(ip, nullptr);
  if (ip == nullptr) return nullptr;
  EXPECT_TRUE(net::ipv4_header_checksum_ok(*ip));
  EXPECT_EQ(ip->total_length.to_host(), f.size() - 14);
  EXPECT_EQ(ip->protocol, net::kIpProtoUdp);
  EXPECT_EQ(ip->ttl, 64);
  const auto seg = f.subspan(34);
  const auto* udp = net::udp_header(seg);
  EXPECT_EQ(udp->length.to_host(), seg.size());
  EXPECT_NE(udp->checksum.to_host(), 0) << "a zero UDP checksum means none";
  // Verifying sums the segment with its checksum as received: intact data gives zero.
  EXPECT_EQ(net::l4_checksum(ip->src, ip->dst, net::kIpProtoUdp, seg).to_host(), 0);
  return udp;
}

TEST(PktgenFrame, EverySizeHasValidChecksumsAndItsProbe) {
  for (std::uint32_t size : {60u, 61u, 64u, 127u, 128u, 512u, 1513u, 1514u}) {
    auto b = FrameBuilder::create(spec_of(size));
    ASSERT_TRUE(b.is_ok()) << b.status().message();
    for (std::uint64_t seq : {0ull, 1ull, 0xffffull, 0x1234567890abcdefull, ~0ull}) {
      auto f = frame(*b, seq);
      ASSERT_EQ(f.size(), size);
      SCOPED_TRACE(testing::Message() << "size " << size << " seq " << seq);
      check_valid(f);
      auto probe = parse_probe(f);
      ASSERT_TRUE(probe.has_value());
      EXPECT_EQ(*probe, seq);
    }
  }
}

TEST(PktgenFrame, FlowsVaryTheSourcePortOnly) {
  FrameSpec s = spec_of(60, 4);
  s.src_port = 65534;  // wraps: 65534, 65535, 0, 1
  auto b = FrameBuilder::create(s);
  ASSERT_TRUE(b.is_ok());
  const std::uint16_t want[] = {65534, 65535, 0, 1, 65534};
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    auto f = frame(*b, seq);
    const auto* udp = check_valid(f);
    ASSERT_NE(udp, nullptr);
    EXPECT_EQ(udp->src_port.to_host(), want[seq]);
    EXPECT_EQ(udp->dst_port.to_host(), 9);
  }
  // Two frames of the same flow differ only in the sequence number and the UDP checksum.
  auto a = frame(*b, 0), c = frame(*b, 4);
  int differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differing += a[i] != c[i];
  EXPECT_LE(differing, 3);
}

TEST(PktgenFrame, RejectsBadSpecs) {
  EXPECT_FALSE(FrameBuilder::create(spec_of(59)).is_ok());
  EXPECT_FALSE(FrameBuilder::create(spec_of(1515)).is_ok());
  EXPECT_FALSE(FrameBuilder::create(spec_of(60, 0)).is_ok());
  EXPECT_FALSE(FrameBuilder::create(spec_of(60, 65537)).is_ok());
  auto bad = FrameBuilder::create(spec_of(2000));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("2000"), std::string::npos);
}

TEST(PktgenFrame, ProbeParserIgnoresOtherFrames) {
  auto b = FrameBuilder::create(spec_of(60));
  ASSERT_TRUE(b.is_ok());
  auto f = frame(*b, 7);
  EXPECT_FALSE(parse_probe(std::span(f).first(kProbeOffset + kProbeBytes - 1)).has_value());
  auto arp = f;
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_FALSE(parse_probe(arp).has_value());
  auto tcp = f;
  tcp[14 + 9] = net::kIpProtoTcp;
  EXPECT_FALSE(parse_probe(tcp).has_value());
  auto other = f;
  other[kProbeOffset] ^= 0xff;
  EXPECT_FALSE(parse_probe(other).has_value());
  EXPECT_FALSE(parse_probe({}).has_value());
}

}  // namespace
}  // namespace uplane::pktgen
