#pragma once
// Ethernet II and IEEE 802.1Q wire formats: EtherAddr, Ethernet, Vlan, the EtherType numbers,
// and bounds-aware access to the headers.
//
// Every wire struct in net/ is packed (alignment 1) and pinned by static_asserts on its size
// and field offsets, so a pointer to it may point at any byte of a packet. Multi-byte fields
// are be16_t/be32_t and never convert implicitly to host integers (net/endian.h).
//
// Header access follows one pattern in every net/ header: `xxx_header(bytes)` returns a
// pointer to the header at the start of `bytes`, or nullptr when `bytes` is too short or the
// header is malformed in a way its parser can see alone. Each has a const overload
// (std::span<const uint8_t>) and a mutable one (std::span<uint8_t>); pass a span, not a
// container (`ethernet_header(std::span(vec))`), so that exactly one overload applies. The
// returned pointer aliases `bytes` and lives as long as they do.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "net/endian.h"

namespace uplane::net {

// EtherTypes (IEEE registry) as they appear in Ethernet::ether_type and Vlan::ether_type.
inline constexpr be16_t kEtherTypeIpv4 = be16_t::from_host(0x0800);
inline constexpr be16_t kEtherTypeArp = be16_t::from_host(0x0806);
inline constexpr be16_t kEtherTypeVlan = be16_t::from_host(0x8100);  // IEEE 802.1Q C-tag
inline constexpr be16_t kEtherTypeIpv6 = be16_t::from_host(0x86dd);
inline constexpr be16_t kEtherTypeQinQ = be16_t::from_host(0x88a8);  // IEEE 802.1ad S-tag

// A 48-bit MAC address, bytes in wire order.
struct __attribute__((packed)) EtherAddr {
  static constexpr std::size_t kSize = 6;

  std::uint8_t bytes[kSize];

  static constexpr EtherAddr broadcast() noexcept {
    return EtherAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  }

  // Parses six groups of two hex digits (either case) separated all by ':' or all by '-':
  // "00:11:22:33:44:55", "00-11-22-33-44-55". Nothing else is accepted: no surrounding
  // spaces, no one-digit groups, no mixed separators.
  static Result<EtherAddr> parse(std::string_view text);
  // "00:11:22:33:44:55" (lower case, colons).
  std::string to_string() const;

  // The group bit (I/G, least significant bit of the first byte): multicast and broadcast.
  constexpr bool is_multicast() const noexcept { return (bytes[0] & 0x01) != 0; }
  constexpr bool is_broadcast() const noexcept { return *this == broadcast(); }
  constexpr bool is_unicast() const noexcept { return !is_multicast(); }
  constexpr bool is_zero() const noexcept { return *this == EtherAddr{}; }

  friend constexpr bool operator==(const EtherAddr& a, const EtherAddr& b) noexcept {
    for (std::size_t i = 0; i < kSize; ++i) {
      if (a.bytes[i] != b.bytes[i]) return false;
    }
    return true;
  }
};
static_assert(sizeof(EtherAddr) == 6 && alignof(EtherAddr) == 1);

// Ethernet II header (IEEE 802.3 clause 3.1.1, the EtherType form).
struct __attribute__((packed)) Ethernet {
  EtherAddr dst;
  EtherAddr src;
  be16_t ether_type;  // an EtherType, or kEtherTypeVlan/kEtherTypeQinQ when a Vlan follows
};
static_assert(sizeof(Ethernet) == 14);
static_assert(offsetof(Ethernet, dst) == 0);
static_assert(offsetof(Ethernet, src) == 6);
static_assert(offsetof(Ethernet, ether_type) == 12);

// The 4 bytes of an IEEE 802.1Q tag that follow the outer EtherType 0x8100 (or 0x88a8):
// the Tag Control Information and the EtherType of what comes after the tag.
//   TCI: | PCP (3) | DEI (1) | VID (12) |
struct __attribute__((packed)) Vlan {
  static constexpr std::uint16_t kVidMask = 0x0fff;

  be16_t tci;
  be16_t ether_type;

  constexpr std::uint8_t pcp() const noexcept {
    return static_cast<std::uint8_t>(tci.to_host() >> 13);
  }
  constexpr bool dei() const noexcept { return (tci.to_host() & 0x1000) != 0; }
  constexpr std::uint16_t vid() const noexcept {
    return static_cast<std::uint16_t>(tci.to_host() & kVidMask);
  }

  // Setters keep the other TCI fields; out-of-range inputs are masked to their width.
  constexpr void set_pcp(std::uint8_t pcp) noexcept {
    tci = be16_t::from_host(
        static_cast<std::uint16_t>((tci.to_host() & 0x1fff) | ((pcp & 0x7u) << 13)));
  }
  constexpr void set_dei(bool dei) noexcept {
    tci = be16_t::from_host(
        static_cast<std::uint16_t>((tci.to_host() & ~0x1000u) | (dei ? 0x1000u : 0u)));
  }
  constexpr void set_vid(std::uint16_t vid) noexcept {
    tci = be16_t::from_host(
        static_cast<std::uint16_t>((tci.to_host() & ~std::uint32_t{kVidMask}) | (vid & kVidMask)));
  }
};
static_assert(sizeof(Vlan) == 4);
static_assert(offsetof(Vlan, tci) == 0);
static_assert(offsetof(Vlan, ether_type) == 2);

// The Ethernet header at the start of `b`; nullptr when b holds fewer than 14 bytes.
inline const Ethernet* ethernet_header(std::span<const std::uint8_t> b) noexcept {
  return b.size() < sizeof(Ethernet) ? nullptr : reinterpret_cast<const Ethernet*>(b.data());
}
inline Ethernet* ethernet_header(std::span<std::uint8_t> b) noexcept {
  return b.size() < sizeof(Ethernet) ? nullptr : reinterpret_cast<Ethernet*>(b.data());
}

// The 802.1Q tag at the start of `b` (the bytes after the outer EtherType); nullptr when b
// holds fewer than 4 bytes.
inline const Vlan* vlan_header(std::span<const std::uint8_t> b) noexcept {
  return b.size() < sizeof(Vlan) ? nullptr : reinterpret_cast<const Vlan*>(b.data());
}
inline Vlan* vlan_header(std::span<std::uint8_t> b) noexcept {
  return b.size() < sizeof(Vlan) ? nullptr : reinterpret_cast<Vlan*>(b.data());
}

}  // namespace uplane::net
