#include "net/checksum.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace uplane::net {
namespace detail {

// RFC 1071 section 4.1 sums 16-bit words into a 32-bit accumulator; we sum 64-bit words into
// 64-bit accumulators with the carry wrapped around (addition modulo 2^64 - 1). Folding to 16
// bits at the end keeps the value modulo 0xffff, which divides 2^64 - 1: the result is the
// 16-bit sum. Each add-with-carry depends on the previous one through the carry, so the main
// loop keeps two independent accumulators to run two chains at once, merged at the end (the
// sum is commutative).
//
// Words are loaded with memcpy, so any alignment of p works and costs nothing on x86 and
// arm64; the pairing of bytes into 16-bit words depends only on their distance from p, which
// is what the checksum is defined on. The last 0..7 bytes are loaded as 4-, 2- and 1-byte
// pieces, each at an even distance from p, so each is a whole number of 16-bit words and
// can be added on its own; a lone last byte is the high half of a word whose low half is
// RFC 1071's zero pad byte.
std::uint64_t ones_complement_sum(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t s0 = 0;
  std::uint64_t s1 = 0;
  std::uint64_t w[4];
  while (n >= sizeof(w)) {
    std::memcpy(w, p, sizeof(w));
    s0 = add_end_around(s0, w[0]);
    s1 = add_end_around(s1, w[1]);
    s0 = add_end_around(s0, w[2]);
    s1 = add_end_around(s1, w[3]);
    p += sizeof(w);
    n -= sizeof(w);
  }
  std::uint64_t s = add_end_around(s0, s1);
  while (n >= sizeof(w[0])) {
    std::memcpy(w, p, sizeof(w[0]));
    s = add_end_around(s, w[0]);
    p += sizeof(w[0]);
    n -= sizeof(w[0]);
  }
  std::uint64_t tail = 0;  // at most 2^32 + 2^16 + 2^8: no carry out when added below
  if (n & 4) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    tail += v;
    p += sizeof(v);
  }
  if (n & 2) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof(v));
    tail += v;
    p += sizeof(v);
  }
  if (n & 1) {
    // The native load of the word [*p, 0].
    tail += std::endian::native == std::endian::little ? std::uint64_t{*p} : std::uint64_t{*p} << 8;
  }
  return add_end_around(s, tail);
}

}  // namespace detail

be16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept {
  return ChecksumAccumulator().add(bytes).checksum();
}

namespace {

std::span<const std::uint8_t> header_bytes(const Ipv4& ip) noexcept {
  // An IHL below 5 is malformed and excluded by the precondition; reading the fixed 20 bytes
  // then stays inside the struct instead of producing a negative length.
  const std::size_t len = std::max(ip.header_length(), Ipv4::kMinLength);
  return {reinterpret_cast<const std::uint8_t*>(&ip), len};
}

}  // namespace

be16_t ipv4_header_checksum(const Ipv4& ip) noexcept {
  constexpr std::size_t kField = offsetof(Ipv4, checksum);
  const auto h = header_bytes(ip);
  return ChecksumAccumulator()
      .add(h.first(kField))
      .add(h.subspan(kField + sizeof(be16_t)))
      .checksum();
}

bool ipv4_header_checksum_ok(const Ipv4& ip) noexcept {
  // Summing with the field in place yields -0 for an intact header (RFC 1071 section 1(3)).
  return !internet_checksum(header_bytes(ip));
}

ChecksumAccumulator ipv4_pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                                           std::uint16_t segment_length) noexcept {
  // RFC 768: | src | dst | zero (8) | protocol (8) | UDP length (16) |
  return ChecksumAccumulator()
      .add(src.value)
      .add(dst.value)
      .add(be16_t::from_host(protocol))
      .add(be16_t::from_host(segment_length));
}

ChecksumAccumulator ipv6_pseudo_header_sum(const Ipv6Addr& src, const Ipv6Addr& dst,
                                           std::uint8_t next_header,
                                           std::uint32_t segment_length) noexcept {
  // RFC 8200 section 8.1: | src | dst | upper-layer length (32) | zero (24) | next header (8) |
  return ChecksumAccumulator()
      .add(src.bytes)
      .add(dst.bytes)
      .add(be32_t::from_host(segment_length))
      .add(be32_t::from_host(next_header));
}

be16_t l4_checksum(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                   std::span<const std::uint8_t> segment) noexcept {
  return ipv4_pseudo_header_sum(src, dst, protocol, static_cast<std::uint16_t>(segment.size()))
      .add(segment)
      .checksum();
}

be16_t l4_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t next_header,
                   std::span<const std::uint8_t> segment) noexcept {
  return ipv6_pseudo_header_sum(src, dst, next_header, static_cast<std::uint32_t>(segment.size()))
      .add(segment)
      .checksum();
}

}  // namespace uplane::net
