#include "net/checksum.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"

namespace uplane::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

// The reference: RFC 1071's definition read literally, one byte at a time. Even positions are
// the high byte of their 16-bit word; an odd last byte is padded with zero; carries are folded
// back in as they happen. Returns the sum (not complemented) as a host integer.
std::uint16_t reference_sum(std::span<const std::uint8_t> b) {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    s += (i % 2 == 0) ? std::uint32_t{b[i]} << 8 : b[i];
    s = (s & 0xffff) + (s >> 16);
  }
  return static_cast<std::uint16_t>(s);
}

std::uint16_t reference_checksum(std::span<const std::uint8_t> b) {
  return static_cast<std::uint16_t>(~reference_sum(b));
}

void append16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void append_bytes(Bytes& b, const void* p, std::size_t n) {
  const auto* u = static_cast<const std::uint8_t*>(p);
  b.insert(b.end(), u, u + n);
}

Bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with its carries).
  const Bytes b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumAccumulator().add(b).sum().to_host(), 0xddf2);
  EXPECT_EQ(internet_checksum(b).to_host(), 0x220d);
  EXPECT_EQ(reference_sum(b), 0xddf2);
  // Byte-order independence (RFC 1071 2(B)): swapping every pair swaps the sum.
  const Bytes swapped = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
  EXPECT_EQ(ChecksumAccumulator().add(swapped).sum().to_host(), 0xf2dd);
}

TEST(Checksum, EmptyAndZeroAndOnes) {
  EXPECT_EQ(internet_checksum({}).to_host(), 0xffff);
  EXPECT_EQ(internet_checksum(Bytes(64, 0)).to_host(), 0xffff);
  // All-ones data sums to -0 (0xffff): checksum +0. A megabyte of it exercises every carry.
  const Bytes ones(1 << 20, 0xff);
  EXPECT_EQ(ChecksumAccumulator().add(ones).sum().to_host(), 0xffff);
  EXPECT_EQ(internet_checksum(ones).to_host(), 0x0000);
  EXPECT_EQ(reference_checksum(ones), 0x0000);
  EXPECT_EQ(internet_checksum(Bytes{0x12}).to_host(), static_cast<std::uint16_t>(~0x1200));
  EXPECT_EQ(internet_checksum(Bytes{0x12, 0x34, 0x56}).to_host(),
            static_cast<std::uint16_t>(~(0x1234 + 0x5600)));
}

// 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7: a UDP datagram from
// 192.168.0.1 to 192.168.0.199, checksum 0xb861 (the example of Wikipedia's "IPv4 header
// checksum" article, checked here against the reference).
const Bytes kIpv4Header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                           0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

TEST(Checksum, KnownIpv4Header) {
  Bytes zeroed = kIpv4Header;
  zeroed[10] = zeroed[11] = 0;
  ASSERT_EQ(reference_checksum(zeroed), 0xb861);

  const Ipv4* ip = ipv4_header(std::span<const std::uint8_t>(kIpv4Header));
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(ipv4_header_checksum(*ip).to_host(), 0xb861);
  EXPECT_EQ(ipv4_header_checksum(*ip), ip->checksum);
  EXPECT_TRUE(ipv4_header_checksum_ok(*ip));
  EXPECT_EQ(internet_checksum(kIpv4Header).to_host(), 0);  // verification: sums to -0

  Bytes corrupt = kIpv4Header;
  corrupt[8] = 0x3f;  // TTL changed, checksum not
  EXPECT_FALSE(ipv4_header_checksum_ok(*ipv4_header(std::span<const std::uint8_t>(corrupt))));
  // The checksum to store ignores whatever the field holds.
  EXPECT_EQ(ipv4_header_checksum(*ipv4_header(std::span<const std::uint8_t>(corrupt))).to_host(),
            0xb961);
}

TEST(Checksum, Ipv4HeaderWithOptions) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    const std::size_t ihl = 5 + rng() % 11;
    Bytes h = random_bytes(rng, ihl * 4);
    h[0] = static_cast<std::uint8_t>(0x40 | ihl);
    Bytes zeroed = h;
    zeroed[10] = zeroed[11] = 0;
    Ipv4* ip = ipv4_header(std::span(h));
    ASSERT_NE(ip, nullptr);
    const be16_t c = ipv4_header_checksum(*ip);
    ASSERT_EQ(c.to_host(), reference_checksum(zeroed)) << "ihl " << ihl;
    ip->checksum = c;
    ASSERT_TRUE(ipv4_header_checksum_ok(*ip));
  }
}

// UDP over IPv4, derived by hand:
//   192.168.0.1:1024 -> 192.168.0.199:53, UDP length 12, payload "abcd".
//   pseudo-header words  c0a8 0001 c0a8 00c7 0011 000c
//   UDP words            0400 0035 000c 0000 6162 6364
//   sum c0a8+0001+c0a8+00c7+0011+000c = 0x18235; +0400+0035+000c+0000 = 0x18676;
//       +6162+6364 = 0x24b3c; folded 0x4b3c + 0x2 = 0x4b3e; checksum ~0x4b3e = 0xb4c1.
TEST(Checksum, UdpOverIpv4KnownVector) {
  const auto src = Ipv4Addr::from_octets(192, 168, 0, 1);
  const auto dst = Ipv4Addr::from_octets(192, 168, 0, 199);
  Bytes udp = {0x04, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 'a', 'b', 'c', 'd'};

  // Cross-check the hand derivation against the reference over explicit pseudo-header bytes.
  Bytes pseudo = {0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7, 0x00, kIpProtoUdp};
  append16(pseudo, static_cast<std::uint16_t>(udp.size()));
  Bytes all = pseudo;
  all.insert(all.end(), udp.begin(), udp.end());
  ASSERT_EQ(reference_sum(all), 0x4b3e);
  ASSERT_EQ(reference_checksum(all), 0xb4c1);

  EXPECT_EQ(ipv4_pseudo_header_sum(src, dst, kIpProtoUdp, 12).sum().to_host(),
            reference_sum(pseudo));
  const be16_t c = l4_checksum(src, dst, kIpProtoUdp, udp);
  EXPECT_EQ(c.to_host(), 0xb4c1);

  udp_header(std::span(udp))->checksum = udp_wire_checksum(c);
  EXPECT_EQ(udp[6], 0xb4);
  EXPECT_EQ(udp[7], 0xc1);
  EXPECT_EQ(l4_checksum(src, dst, kIpProtoUdp, udp).to_host(), 0);  // verifies
  udp[9] ^= 0x01;
  EXPECT_NE(l4_checksum(src, dst, kIpProtoUdp, udp).to_host(), 0);
}

TEST(Checksum, UdpWireChecksumNeverZero) {
  EXPECT_EQ(udp_wire_checksum(be16_t::from_host(0)).to_host(), 0xffff);
  EXPECT_EQ(udp_wire_checksum(be16_t::from_host(0x1234)).to_host(), 0x1234);
  EXPECT_EQ(udp_wire_checksum(be16_t::from_host(0xffff)).to_host(), 0xffff);
}

TEST(Checksum, L4OverIpv4AndIpv6MatchReference) {
  std::mt19937_64 rng(2024);
  for (int i = 0; i < 1000; ++i) {
    const std::size_t len = rng() % 300;
    const Bytes seg = random_bytes(rng, len);
    const std::uint8_t proto = (i % 2) ? kIpProtoTcp : kIpProtoUdp;

    const auto src4 = Ipv4Addr::from_host(static_cast<std::uint32_t>(rng()));
    const auto dst4 = Ipv4Addr::from_host(static_cast<std::uint32_t>(rng()));
    Bytes p4;
    append_bytes(p4, &src4, 4);
    append_bytes(p4, &dst4, 4);
    p4.push_back(0);
    p4.push_back(proto);
    append16(p4, static_cast<std::uint16_t>(len));
    p4.insert(p4.end(), seg.begin(), seg.end());
    ASSERT_EQ(l4_checksum(src4, dst4, proto, seg).to_host(), reference_checksum(p4));

    Ipv6Addr src6, dst6;
    for (auto& b : src6.bytes) b = static_cast<std::uint8_t>(rng());
    for (auto& b : dst6.bytes) b = static_cast<std::uint8_t>(rng());
    Bytes p6;
    append_bytes(p6, src6.bytes, 16);
    append_bytes(p6, dst6.bytes, 16);
    append16(p6, 0);
    append16(p6, static_cast<std::uint16_t>(len));
    p6.insert(p6.end(), {0, 0, 0, proto});
    p6.insert(p6.end(), seg.begin(), seg.end());
    ASSERT_EQ(l4_checksum(src6, dst6, proto, seg).to_host(), reference_checksum(p6));
  }
}

TEST(Checksum, Ipv6PseudoHeaderLongLength) {
  // The upper-layer length is 32 bits in IPv6 (jumbograms): both halves are summed.
  const auto src = Ipv6Addr::parse("2001:db8::1").value();
  const auto dst = Ipv6Addr::parse("2001:db8::2").value();
  Bytes p;
  append_bytes(p, src.bytes, 16);
  append_bytes(p, dst.bytes, 16);
  p.insert(p.end(), {0x00, 0x01, 0x23, 0x45, 0, 0, 0, kIpProtoTcp});
  EXPECT_EQ(ipv6_pseudo_header_sum(src, dst, kIpProtoTcp, 0x12345).sum().to_host(),
            reference_sum(p));
}

TEST(Checksum, FastSumMatchesReferenceAtAnyOffsetAndLength) {
  std::mt19937_64 rng(1071);
  const Bytes pool = random_bytes(rng, 4096 + 64);
  for (int i = 0; i < 20000; ++i) {
    const std::size_t offset = rng() % 64;  // every alignment, many times over
    const std::size_t len = (i % 4 == 0) ? rng() % 4096 : rng() % 80;
    const std::span<const std::uint8_t> b(pool.data() + offset, len);
    ASSERT_EQ(internet_checksum(b).to_host(), reference_checksum(b))
        << "offset " << offset << " length " << len;
  }
  // Saturated data maximizes carries out of every 64-bit add.
  for (std::size_t len = 0; len < 200; ++len) {
    Bytes b(len, 0xff);
    if (len > 0) b[len / 2] = 0xfe;
    ASSERT_EQ(internet_checksum(b).to_host(), reference_checksum(b)) << len;
  }
}

TEST(Checksum, ChainedPiecesMatchOneBuffer) {
  std::mt19937_64 rng(1624);
  for (int i = 0; i < 5000; ++i) {
    const Bytes b = random_bytes(rng, rng() % 200);
    ChecksumAccumulator acc;
    std::size_t at = 0;
    while (at < b.size()) {
      const std::size_t n = std::min<std::size_t>(rng() % 9, b.size() - at);  // odd ones too
      acc.add(std::span<const std::uint8_t>(b).subspan(at, n));
      at += n;
    }
    ASSERT_EQ(acc.checksum().to_host(), reference_checksum(b));
  }
}

TEST(Checksum, FieldsAddLikeTheirBytes) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const Bytes prefix = random_bytes(rng, rng() % 7);  // odd and even stream positions
    const auto w16 = be16_t::from_host(static_cast<std::uint16_t>(rng()));
    const auto w32 = be32_t::from_host(static_cast<std::uint32_t>(rng()));
    Bytes flat = prefix;
    append_bytes(flat, &w16, 2);
    append_bytes(flat, &w32, 4);
    flat.push_back(0x5a);
    const Bytes tail = {0x5a};
    ChecksumAccumulator acc;
    acc.add(prefix).add(w16).add(w32).add(tail);
    ASSERT_EQ(acc.sum().to_host(), reference_sum(flat));
  }
}

// RFC 1624 section 3's example of the corner case: the other header words sum to 0xcd7a, a
// field changes from 0x5555 to 0x3285, and the new data sums to -0 (0xffff), so the correct
// checksum is +0 (0x0000).
TEST(Checksum, Rfc1624CornerCase) {
  const auto hc = be16_t::from_host(0xdd2f);
  const auto m = be16_t::from_host(0x5555);
  const auto m2 = be16_t::from_host(0x3285);
  ASSERT_EQ(internet_checksum(Bytes{0xcd, 0x7a, 0x55, 0x55}), hc);
  const be16_t recomputed = internet_checksum(Bytes{0xcd, 0x7a, 0x32, 0x85});
  EXPECT_EQ(recomputed.to_host(), 0x0000);
  EXPECT_EQ(checksum_adjust16(hc, m, m2), recomputed);

  // RFC 1141's eqn. 2, HC' = HC + m + ~m', gets this case wrong: -0 instead of +0.
  std::uint32_t eqn2 = std::uint32_t{0xdd2f} + 0x5555 + static_cast<std::uint16_t>(~0x3285);
  eqn2 = (eqn2 & 0xffff) + (eqn2 >> 16);
  EXPECT_EQ(eqn2, 0xffffu);
}

TEST(Checksum, AdjustIsIdentityWhenNothingChanges) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    Bytes h = random_bytes(rng, 20);
    h[0] = 0x45;
    const be16_t c = ipv4_header_checksum(*ipv4_header(std::span<const std::uint8_t>(h)));
    const auto w = be16_t::from_host(static_cast<std::uint16_t>(rng()));
    ASSERT_EQ(checksum_adjust16(c, w, w), c);
  }
}

// Random IPv4 headers (options included), each forwarded as a router does: TTL decremented,
// then source and destination rewritten as NAT does. Each incremental result must equal a
// full recomputation, in the UDP checksum (through the pseudo-header) as well.
TEST(Checksum, IncrementalUpdateMatchesRecompute) {
  std::mt19937_64 rng(0x1624);
  for (int i = 0; i < 50000; ++i) {
    const std::size_t ihl = (i % 8 == 0) ? 5 + rng() % 11 : 5;
    Bytes pkt = random_bytes(rng, ihl * 4 + 8 + rng() % 64);
    pkt[0] = static_cast<std::uint8_t>(0x40 | ihl);
    pkt[8] = static_cast<std::uint8_t>(1 + rng() % 255);  // TTL >= 1
    pkt[9] = kIpProtoUdp;
    Ipv4* ip = ipv4_header(std::span(pkt));
    ASSERT_NE(ip, nullptr);
    ip->checksum = ipv4_header_checksum(*ip);
    const auto l4 = std::span(pkt).subspan(ip->header_length());
    Udp* udp = udp_header(l4);
    udp->checksum = {};
    udp->checksum = l4_checksum(ip->src, ip->dst, ip->protocol, l4);

    // TTL shares its word with the protocol; the word is at offset 8.
    const auto word = [&] {
      return be16_t::from_host(static_cast<std::uint16_t>(ip->ttl << 8 | ip->protocol));
    };
    const be16_t old_word = word();
    --ip->ttl;
    ip->checksum = checksum_adjust16(ip->checksum, old_word, word());
    ASSERT_EQ(ip->checksum, ipv4_header_checksum(*ip)) << "case " << i;

    const Ipv4Addr new_src = Ipv4Addr::from_host(static_cast<std::uint32_t>(rng()));
    const Ipv4Addr new_dst = Ipv4Addr::from_host(static_cast<std::uint32_t>(rng()));
    ip->checksum = checksum_adjust32(ip->checksum, ip->src.value, new_src.value);
    udp->checksum = checksum_adjust32(udp->checksum, ip->src.value, new_src.value);
    ip->src = new_src;
    ip->checksum = checksum_adjust32(ip->checksum, ip->dst.value, new_dst.value);
    udp->checksum = checksum_adjust32(udp->checksum, ip->dst.value, new_dst.value);
    ip->dst = new_dst;
    ASSERT_EQ(ip->checksum, ipv4_header_checksum(*ip)) << "case " << i;
    ASSERT_TRUE(ipv4_header_checksum_ok(*ip));

    const be16_t udp_now = udp->checksum;
    udp->checksum = {};
    ASSERT_EQ(udp_now, l4_checksum(ip->src, ip->dst, ip->protocol, l4)) << "case " << i;
  }
}

// The -0/+0 corner case on real headers: build forwarded headers whose correct checksum is
// +0 (0x0000), by choosing the ID so that every other word sums to -0, and check that the
// incremental path lands on 0x0000, not 0xffff.
TEST(Checksum, IncrementalUpdateHitsZeroChecksum) {
  std::mt19937_64 rng(0);
  for (int i = 0; i < 1000; ++i) {
    Bytes h = random_bytes(rng, 20);
    h[0] = 0x45;
    h[8] = static_cast<std::uint8_t>(1 + rng() % 254);  // the TTL after forwarding
    Ipv4* ip = ipv4_header(std::span(h));
    ASSERT_NE(ip, nullptr);
    ip->id = {};
    // With ID 0 the header sums to s; ID ~s makes it sum to -0, so its checksum is +0.
    ip->id = ipv4_header_checksum(*ip);
    ASSERT_EQ(ipv4_header_checksum(*ip).to_host(), 0x0000);

    ++ip->ttl;  // the header as it arrived
    const auto arrived = be16_t::from_host(static_cast<std::uint16_t>(ip->ttl << 8 | ip->protocol));
    ip->checksum = ipv4_header_checksum(*ip);
    --ip->ttl;
    const auto forwarded =
        be16_t::from_host(static_cast<std::uint16_t>(ip->ttl << 8 | ip->protocol));
    ASSERT_EQ(checksum_adjust16(ip->checksum, arrived, forwarded).to_host(), 0x0000);
  }
}

}  // namespace
}  // namespace uplane::net
