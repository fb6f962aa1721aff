#pragma once
// IPv6 wire format (RFC 8200): Ipv6Addr, the fixed Ipv6 header, and bounds-aware access to it.
//
// Only the 40-byte fixed header is described here; extension headers are walked by whoever
// needs the upper-layer header (next_header holds a kIpProto* value, net/ip_proto.h).
// ipv6_header() checks the length and the version, not payload_length against the buffer.
// The access pattern and packing rules are described once in net/ether.h.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/endian.h"
#include "net/ip_proto.h"

namespace uplane::net {

// A 128-bit IPv6 address, bytes in wire order.
struct __attribute__((packed)) Ipv6Addr {
  static constexpr std::size_t kSize = 16;

  std::uint8_t bytes[kSize];

  // Any textual form RFC 4291 section 2.2 allows ("2001:db8::1", "::ffff:192.0.2.1"); no
  // zone index ("%eth0"), no brackets, no prefix length.
  static Result<Ipv6Addr> parse(std::string_view text);
  // The RFC 5952 canonical form: lower case, longest zero run compressed ("2001:db8::1").
  std::string to_string() const;

  constexpr bool is_unspecified() const noexcept { return *this == Ipv6Addr{}; }
  // ff00::/8 (RFC 4291 section 2.7).
  constexpr bool is_multicast() const noexcept { return bytes[0] == 0xff; }
  // fe80::/10 (RFC 4291 section 2.5.6).
  constexpr bool is_link_local() const noexcept {
    return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
  }

  friend constexpr bool operator==(const Ipv6Addr& a, const Ipv6Addr& b) noexcept {
    for (std::size_t i = 0; i < kSize; ++i) {
      if (a.bytes[i] != b.bytes[i]) return false;
    }
    return true;
  }
};
static_assert(sizeof(Ipv6Addr) == 16 && alignof(Ipv6Addr) == 1);

struct __attribute__((packed)) Ipv6 {
  static constexpr std::size_t kLength = 40;

  be32_t vtc_flow;           // version (4) | traffic class (8) | flow label (20)
  be16_t payload_length;     // bytes after this fixed header, extension headers included
  std::uint8_t next_header;  // kIpProto*
  std::uint8_t hop_limit;
  Ipv6Addr src;
  Ipv6Addr dst;

  constexpr std::uint8_t version() const noexcept {
    return static_cast<std::uint8_t>(vtc_flow.to_host() >> 28);
  }
  constexpr std::uint8_t traffic_class() const noexcept {
    return static_cast<std::uint8_t>(vtc_flow.to_host() >> 20);
  }
  constexpr std::uint32_t flow_label() const noexcept { return vtc_flow.to_host() & 0x000fffff; }
  // Version 6 and the given traffic class and flow label (masked to 20 bits).
  constexpr void set_vtc_flow(std::uint8_t traffic_class, std::uint32_t flow_label) noexcept {
    vtc_flow = be32_t::from_host(std::uint32_t{6} << 28 | std::uint32_t{traffic_class} << 20 |
                                 (flow_label & 0x000fffff));
  }
};
static_assert(sizeof(Ipv6) == 40);
static_assert(offsetof(Ipv6, payload_length) == 4);
static_assert(offsetof(Ipv6, next_header) == 6);
static_assert(offsetof(Ipv6, hop_limit) == 7);
static_assert(offsetof(Ipv6, src) == 8);
static_assert(offsetof(Ipv6, dst) == 24);

// The IPv6 header at the start of `b`; nullptr when b is shorter than 40 bytes or the
// version is not 6.
inline const Ipv6* ipv6_header(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < Ipv6::kLength) return nullptr;
  const auto* ip = reinterpret_cast<const Ipv6*>(b.data());
  return ip->version() == 6 ? ip : nullptr;
}
inline Ipv6* ipv6_header(std::span<std::uint8_t> b) noexcept {
  return const_cast<Ipv6*>(ipv6_header(std::span<const std::uint8_t>(b)));
}

}  // namespace uplane::net
