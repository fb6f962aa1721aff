#pragma once
// VXLAN (RFC 7348): the 8-byte header that follows UDP (destination port 4789) and precedes
// the inner Ethernet frame, and bounds-aware access to it.
//
//   | flags (8) | reserved (24) | VNI (24) | reserved (8) |
//
// Only the I flag (0x08) has a meaning; RFC 7348 section 5 says it must be set for a valid VNI,
// so vxlan_header() rejects headers without it. The other flag and reserved bits are ignored
// on receipt, as the RFC asks. The access pattern and packing rules are described once in
// net/ether.h.

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/endian.h"

namespace uplane::net {

inline constexpr std::uint16_t kVxlanUdpPort = 4789;  // IANA
inline constexpr std::uint8_t kVxlanFlagVni = 0x08;   // the I flag
inline constexpr std::uint32_t kVxlanMaxVni = 0x00ffffff;

struct __attribute__((packed)) Vxlan {
  std::uint8_t flags;
  std::uint8_t reserved1[3];
  be32_t vni_reserved;  // VNI (high 24 bits) | reserved (low 8)

  constexpr std::uint32_t vni() const noexcept { return vni_reserved.to_host() >> 8; }
  // Sets the VNI (masked to 24 bits) and clears the reserved byte after it.
  constexpr void set_vni(std::uint32_t vni) noexcept {
    vni_reserved = be32_t::from_host((vni & kVxlanMaxVni) << 8);
  }
  constexpr bool has_vni() const noexcept { return (flags & kVxlanFlagVni) != 0; }

  // A header as RFC 7348 sends it: I flag set, reserved bits zero.
  static constexpr Vxlan make(std::uint32_t vni) noexcept {
    Vxlan v{};
    v.flags = kVxlanFlagVni;
    v.set_vni(vni);
    return v;
  }
};
static_assert(sizeof(Vxlan) == 8);
static_assert(offsetof(Vxlan, vni_reserved) == 4);

// The VXLAN header at the start of `b`; nullptr when b is shorter than 8 bytes or the I flag
// is clear.
inline const Vxlan* vxlan_header(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < sizeof(Vxlan)) return nullptr;
  const auto* v = reinterpret_cast<const Vxlan*>(b.data());
  return v->has_vni() ? v : nullptr;
}
inline Vxlan* vxlan_header(std::span<std::uint8_t> b) noexcept {
  return const_cast<Vxlan*>(vxlan_header(std::span<const std::uint8_t>(b)));
}

}  // namespace uplane::net
