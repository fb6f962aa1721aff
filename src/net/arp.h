#pragma once
// ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet and bounds-aware access to it.
//
// Only the Ethernet/IPv4 form exists here, so the hardware and protocol addresses are typed
// fields; arp_header() rejects packets of any other form (hardware type, protocol type or
// address lengths). The access pattern and packing rules are described once in net/ether.h.

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/endian.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::net {

inline constexpr be16_t kArpHardwareEthernet = be16_t::from_host(1);
inline constexpr be16_t kArpOpRequest = be16_t::from_host(1);
inline constexpr be16_t kArpOpReply = be16_t::from_host(2);

struct __attribute__((packed)) Arp {
  be16_t hardware_type;          // kArpHardwareEthernet
  be16_t protocol_type;          // kEtherTypeIpv4
  std::uint8_t hardware_length;  // 6
  std::uint8_t protocol_length;  // 4
  be16_t opcode;                 // kArpOpRequest, kArpOpReply
  EtherAddr sender_mac;
  Ipv4Addr sender_ip;
  EtherAddr target_mac;
  Ipv4Addr target_ip;
};
static_assert(sizeof(Arp) == 28);
static_assert(offsetof(Arp, opcode) == 6);
static_assert(offsetof(Arp, sender_mac) == 8);
static_assert(offsetof(Arp, sender_ip) == 14);
static_assert(offsetof(Arp, target_mac) == 18);
static_assert(offsetof(Arp, target_ip) == 24);

// The ARP packet at the start of `b`; nullptr when b is shorter than 28 bytes or the packet
// is not Ethernet/IPv4 ARP (hardware type 1, protocol 0x0800, lengths 6 and 4). The opcode is
// not checked.
inline const Arp* arp_header(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < sizeof(Arp)) return nullptr;
  const auto* arp = reinterpret_cast<const Arp*>(b.data());
  if (arp->hardware_type != kArpHardwareEthernet || arp->protocol_type != kEtherTypeIpv4 ||
      arp->hardware_length != EtherAddr::kSize || arp->protocol_length != sizeof(Ipv4Addr)) {
    return nullptr;
  }
  return arp;
}
inline Arp* arp_header(std::span<std::uint8_t> b) noexcept {
  return const_cast<Arp*>(arp_header(std::span<const std::uint8_t>(b)));
}

}  // namespace uplane::net
