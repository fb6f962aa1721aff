#pragma once
// IPv4 wire format (RFC 791): Ipv4Addr, the Ipv4 header, and bounds-aware access to it.
//
// Ipv4Addr wraps a be32_t so an address is a distinct type from any other 32-bit field; it is
// 4 bytes, packed, and usable both inside headers and as a value (tables, arguments).
// ipv4_header() checks what can be checked from the header alone (length, version, IHL); it
// does not check the checksum, total_length against the buffer, or options: elements such as
// CheckIPHeader do that and count what they drop. The access pattern and packing rules are
// described once in net/ether.h.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/endian.h"
#include "net/ip_proto.h"

namespace uplane::net {

struct __attribute__((packed)) Ipv4Addr {
  be32_t value;

  static constexpr Ipv4Addr from_host(std::uint32_t host) noexcept {
    return Ipv4Addr{be32_t::from_host(host)};
  }
  static constexpr Ipv4Addr from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                        std::uint8_t d) noexcept {
    return from_host(std::uint32_t{a} << 24 | std::uint32_t{b} << 16 | std::uint32_t{c} << 8 |
                     std::uint32_t{d});
  }
  static constexpr Ipv4Addr any() noexcept { return from_host(0); }
  static constexpr Ipv4Addr broadcast() noexcept { return from_host(0xffffffff); }

  // Parses a dotted quad "192.168.0.1": exactly four decimal parts, each 0..255. Rejected,
  // because other parsers read them differently: leading zeros ("010" is octal to
  // inet_aton), fewer parts ("10.1"), hex, signs and surrounding spaces.
  static Result<Ipv4Addr> parse(std::string_view text);
  // "192.168.0.1".
  std::string to_string() const;

  constexpr std::uint32_t to_host() const noexcept { return value.to_host(); }
  constexpr bool is_any() const noexcept { return !value; }
  // 255.255.255.255, the limited broadcast (RFC 919); directed broadcasts need the prefix.
  constexpr bool is_broadcast() const noexcept { return to_host() == 0xffffffff; }
  // 224.0.0.0/4 (RFC 5771).
  constexpr bool is_multicast() const noexcept { return (to_host() & 0xf0000000) == 0xe0000000; }
  // 127.0.0.0/8 (RFC 1122).
  constexpr bool is_loopback() const noexcept { return (to_host() >> 24) == 127; }

  friend constexpr bool operator==(Ipv4Addr a, Ipv4Addr b) noexcept { return a.value == b.value; }
  friend constexpr auto operator<=>(Ipv4Addr a, Ipv4Addr b) noexcept { return a.value <=> b.value; }
};
static_assert(sizeof(Ipv4Addr) == 4 && alignof(Ipv4Addr) == 1);

// Flag and offset bits of Ipv4::frag_off.
inline constexpr be16_t kIpv4DontFragment = be16_t::from_host(0x4000);
inline constexpr be16_t kIpv4MoreFragments = be16_t::from_host(0x2000);
inline constexpr be16_t kIpv4FragmentOffsetMask = be16_t::from_host(0x1fff);

// The fixed part of the IPv4 header; options, if any, follow it (header_length() - 20 bytes).
struct __attribute__((packed)) Ipv4 {
  static constexpr std::size_t kMinLength = 20;
  static constexpr std::size_t kMaxLength = 60;

  std::uint8_t version_ihl;  // version (high nibble), IHL in 32-bit words (low nibble)
  std::uint8_t tos;          // DSCP (6) | ECN (2)
  be16_t total_length;       // header and payload, in bytes
  be16_t id;
  be16_t frag_off;  // reserved (1) | DF (1) | MF (1) | fragment offset (13)
  std::uint8_t ttl;
  std::uint8_t protocol;  // kIpProto*
  be16_t checksum;        // over the header only (RFC 791), net/checksum.h
  Ipv4Addr src;
  Ipv4Addr dst;

  constexpr std::uint8_t version() const noexcept { return version_ihl >> 4; }
  constexpr std::uint8_t ihl() const noexcept { return version_ihl & 0x0f; }
  constexpr std::size_t header_length() const noexcept { return std::size_t{ihl()} * 4; }
  // Sets version 4 and the IHL for a header of `header_bytes` (20..60, a multiple of 4; not
  // checked).
  constexpr void set_version_ihl(std::size_t header_bytes = kMinLength) noexcept {
    version_ihl = static_cast<std::uint8_t>(0x40 | ((header_bytes / 4) & 0x0f));
  }

  constexpr std::uint8_t dscp() const noexcept { return tos >> 2; }
  constexpr std::uint8_t ecn() const noexcept { return tos & 0x03; }

  constexpr bool dont_fragment() const noexcept {
    return static_cast<bool>(frag_off & kIpv4DontFragment);
  }
  constexpr bool more_fragments() const noexcept {
    return static_cast<bool>(frag_off & kIpv4MoreFragments);
  }
  // In 8-byte units, as on the wire; fragment_offset() * 8 is the byte offset.
  constexpr std::uint16_t fragment_offset() const noexcept {
    return (frag_off & kIpv4FragmentOffsetMask).to_host();
  }
  // Any fragment of a fragmented datagram, the first one included.
  constexpr bool is_fragment() const noexcept { return more_fragments() || fragment_offset() != 0; }
};
static_assert(sizeof(Ipv4) == 20);
static_assert(offsetof(Ipv4, total_length) == 2);
static_assert(offsetof(Ipv4, frag_off) == 6);
static_assert(offsetof(Ipv4, ttl) == 8);
static_assert(offsetof(Ipv4, protocol) == 9);
static_assert(offsetof(Ipv4, checksum) == 10);
static_assert(offsetof(Ipv4, src) == 12);
static_assert(offsetof(Ipv4, dst) == 16);

// The IPv4 header at the start of `b`; nullptr when b is shorter than 20 bytes, the version
// is not 4, IHL < 5, or the header (with options) runs past the end of b.
inline const Ipv4* ipv4_header(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < Ipv4::kMinLength) return nullptr;
  const auto* ip = reinterpret_cast<const Ipv4*>(b.data());
  if (ip->version() != 4 || ip->ihl() < 5 || ip->header_length() > b.size()) return nullptr;
  return ip;
}
inline Ipv4* ipv4_header(std::span<std::uint8_t> b) noexcept {
  return const_cast<Ipv4*>(ipv4_header(std::span<const std::uint8_t>(b)));
}

}  // namespace uplane::net
