#pragma once
// The Internet checksum (RFC 1071): over a buffer, chained over several buffers, with the
// IPv4/IPv6 pseudo-headers for UDP, TCP and ICMPv6, and updated incrementally (RFC 1624).
//
// The checksum is the one's complement of the 16-bit one's complement sum of the data taken
// as big-endian words, an odd last byte padded with zero. One's complement addition does not
// care about byte order (RFC 1071 section 2(B)): summing the words as the host loads them and
// reading the result back the same way gives the network-order checksum. So everything here
// works on raw (wire-order) bits and the results are be16_t values ready to store in a header
// field: `ip->checksum = ipv4_header_checksum(*ip)`.
//
// Computing and verifying are the same sum. To compute, zero the checksum field (or leave it
// out) and store the result. To verify, sum the data with the field as received: the result
// is zero exactly when the data is intact.
//
// Incremental update (RFC 1624): when a 16- or 32-bit field changes, checksum_adjust16/32
// patch the stored checksum from the old and new field values alone, with eqn. 3
//   HC' = ~(~HC + ~m + m')
// Eqn. 3 and not RFC 1141's HC' = HC + m + ~m' (eqn. 2), because of the one corner case of
// one's complement arithmetic, its two zeros: a sum of data that is not all zero is never +0
// (0x0000), only -0 (0xffff), so a checksum computed from scratch is never 0xffff and is
// 0x0000 when the other words sum to -0. Eqn. 2 yields 0xffff in that case (RFC 1624 section 3:
// HC 0xdd2f, m 0x5555 -> m' 0x3285 must give 0x0000; eqn. 2 gives 0xffff). Eqn. 3 computes
// ~(sum of the new data) with the same end-around-carry addition as a full recomputation, so
// the two agree whenever the new data is not all zero, which no IPv4 header is (its version
// nibble is 4) and no segment is once its pseudo-header is counted.
//
// UDP over IPv4 has a second convention on top: a transmitted checksum of 0x0000 means "no
// checksum", so a computed 0x0000 is sent as 0xffff (RFC 768), see udp_wire_checksum(); an
// incremental update must skip a UDP checksum that is 0x0000 and pass its result through
// udp_wire_checksum() as well.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/endian.h"
#include "net/ipv4.h"
#include "net/ipv6.h"

namespace uplane::net {

namespace detail {

// a + b with the carry out of bit 63 added back in: addition modulo 2^64 - 1.
constexpr std::uint64_t add_end_around(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  const bool carry = __builtin_add_overflow(a, b, &r);
  return r + carry;
}

// Folds a one's complement sum to 16 bits. 2^16 - 1 divides 2^64 - 1 and 2^32 - 1, so the
// value modulo 0xffff is kept at each step.
constexpr std::uint16_t fold(std::uint64_t s) noexcept {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

// The unfolded one's complement sum of n bytes read as native-order words from a stream
// position that is even. Any alignment of p, any n.
std::uint64_t ones_complement_sum(const std::uint8_t* p, std::size_t n) noexcept;

}  // namespace detail

// A running one's complement sum over a byte stream given in pieces: add() appends, whatever
// the pieces' lengths and alignment (an odd-length piece shifts the pairing of the next one,
// as RFC 1071 section 2(B) allows). A plain value: copy it to branch off a common prefix such
// as a pseudo-header.
class ChecksumAccumulator {
 public:
  constexpr ChecksumAccumulator() = default;

  ChecksumAccumulator& add(std::span<const std::uint8_t> bytes) noexcept {
    return add_sum(detail::ones_complement_sum(bytes.data(), bytes.size()), bytes.size() & 1);
  }
  // A field appended in wire order, as if its bytes were add()ed.
  constexpr ChecksumAccumulator& add(be16_t v) noexcept { return add_sum(v.raw(), false); }
  constexpr ChecksumAccumulator& add(be32_t v) noexcept { return add_sum(v.raw(), false); }

  // The folded sum, not complemented.
  constexpr be16_t sum() const noexcept { return be16_t::from_raw(detail::fold(sum_)); }
  // ~sum(): the value for the checksum field, or zero when verifying intact data.
  constexpr be16_t checksum() const noexcept { return ~sum(); }

 private:
  // Adds the sum of a piece that starts at an even position of its own. When the stream so
  // far has odd length, each of the piece's bytes sits in the other half of its 16-bit word,
  // which multiplies its contribution by 2^8 modulo 0xffff: a rotation by 8 of the 64-bit sum
  // (2^8 * 2^56 = 2^64 = 1 modulo 2^64 - 1) on a host of either byte order.
  constexpr ChecksumAccumulator& add_sum(std::uint64_t piece, bool piece_is_odd) noexcept {
    if (odd_) piece = std::rotl(piece, 8);
    sum_ = detail::add_end_around(sum_, piece);
    odd_ = odd_ != piece_is_odd;
    return *this;
  }

  std::uint64_t sum_ = 0;  // modulo 2^64 - 1, raw (native-order) words
  bool odd_ = false;       // an odd number of bytes added so far
};

// The checksum of one buffer (any length, any alignment).
be16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept;

// The checksum an IPv4 header should carry: over header_length() bytes, the checksum field
// counted as zero. `ip` must have passed ipv4_header(): its header_length() bytes (options
// included) must be readable; that is not checked here.
be16_t ipv4_header_checksum(const Ipv4& ip) noexcept;
// True when the header's checksum field is right. Same precondition as ipv4_header_checksum.
bool ipv4_header_checksum_ok(const Ipv4& ip) noexcept;

// The pseudo-header sums that start the checksum of a UDP, TCP (and, for IPv6, ICMPv6)
// segment: add() the segment to the result, then take checksum().
//   IPv4 (RFC 768, RFC 9293 section 3.1): src, dst, zero, protocol, 16-bit segment length.
//   IPv6 (RFC 8200 section 8.1): src, dst, 32-bit upper-layer length, three zeros, next
//   header. `next_header` is the upper-layer protocol, not an extension header's number.
ChecksumAccumulator ipv4_pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                                           std::uint16_t segment_length) noexcept;
ChecksumAccumulator ipv6_pseudo_header_sum(const Ipv6Addr& src, const Ipv6Addr& dst,
                                           std::uint8_t next_header,
                                           std::uint32_t segment_length) noexcept;

// The checksum of a whole UDP or TCP segment (header and payload, segment.size() bytes, which
// is also the pseudo-header's length) with its pseudo-header. Compute with the segment's
// checksum field zero; verify with it as received (zero result = intact). Over IPv4 the
// segment must be at most 65535 bytes (not checked). For UDP, store udp_wire_checksum(result).
be16_t l4_checksum(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                   std::span<const std::uint8_t> segment) noexcept;
be16_t l4_checksum(const Ipv6Addr& src, const Ipv6Addr& dst, std::uint8_t next_header,
                   std::span<const std::uint8_t> segment) noexcept;

// The value a UDP header carries for a computed checksum: 0x0000 is sent as 0xffff, because a
// zero field means "no checksum" (RFC 768; over IPv6 a zero field is invalid, RFC 8200 8.1).
constexpr be16_t udp_wire_checksum(be16_t computed) noexcept {
  return computed ? computed : be16_t::from_raw(0xffff);
}

// RFC 1624 eqn. 3: the checksum after one 16-bit word covered by `old_checksum` changes from
// `old_word` to `new_word`. The word must sit at an even offset of the checksummed data (all
// IPv4, UDP and TCP header fields do; a byte field is patched as the word that holds it, e.g.
// TTL with protocol). See the top of this file for the -0/+0 corner case.
constexpr be16_t checksum_adjust16(be16_t old_checksum, be16_t old_word, be16_t new_word) noexcept {
  const std::uint32_t s = std::uint32_t{static_cast<std::uint16_t>(~old_checksum.raw())} +
                          static_cast<std::uint16_t>(~old_word.raw()) + new_word.raw();
  return be16_t::from_raw(static_cast<std::uint16_t>(~detail::fold(s)));
}

// The same for a 32-bit field at an even offset, e.g. an IPv4 address rewritten by NAT:
// patches both the IPv4 header checksum and, through the pseudo-header, the UDP/TCP one.
constexpr be16_t checksum_adjust32(be16_t old_checksum, be32_t old_value,
                                   be32_t new_value) noexcept {
  const std::uint32_t o = ~old_value.raw();
  const std::uint32_t n = new_value.raw();
  const std::uint64_t s = std::uint64_t{static_cast<std::uint16_t>(~old_checksum.raw())} +
                          (o & 0xffff) + (o >> 16) + (n & 0xffff) + (n >> 16);
  return be16_t::from_raw(static_cast<std::uint16_t>(~detail::fold(s)));
}

}  // namespace uplane::net
