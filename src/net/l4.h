#pragma once
// Transport and control headers carried by IP: ICMP (RFC 792; ICMPv6, RFC 4443, has the same
// first 8 bytes), UDP (RFC 768) and TCP (RFC 9293), with bounds-aware access to each.
//
// The parsers look at the header alone: udp_header() does not compare Udp::length with the
// buffer, and no parser checks a checksum (net/checksum.h has them, pseudo-header included).
// The access pattern and packing rules are described once in net/ether.h.

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/endian.h"

namespace uplane::net {

// ICMPv4 message types (RFC 792, RFC 1812).
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestUnreachable = 3;
inline constexpr std::uint8_t kIcmpRedirect = 5;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;

// The first 8 bytes of every ICMP message. What `rest` holds depends on the type: identifier
// and sequence number for echo, the next-hop MTU for "fragmentation needed", unused (zero)
// for time exceeded.
struct __attribute__((packed)) Icmp {
  std::uint8_t type;
  std::uint8_t code;
  be16_t checksum;  // over the whole ICMP message; for ICMPv6 with the IPv6 pseudo-header
  be32_t rest;

  // Echo request and reply (RFC 792): identifier in the high half of `rest`, sequence in the
  // low half.
  constexpr be16_t echo_id() const noexcept {
    return be16_t::from_host(static_cast<std::uint16_t>(rest.to_host() >> 16));
  }
  constexpr be16_t echo_sequence() const noexcept {
    return be16_t::from_host(static_cast<std::uint16_t>(rest.to_host()));
  }
};
static_assert(sizeof(Icmp) == 8);
static_assert(offsetof(Icmp, checksum) == 2);
static_assert(offsetof(Icmp, rest) == 4);

struct __attribute__((packed)) Udp {
  be16_t src_port;
  be16_t dst_port;
  be16_t length;    // header and payload, in bytes
  be16_t checksum;  // over IPv4: zero means none was computed (RFC 768); see udp_wire_checksum
};
static_assert(sizeof(Udp) == 8);
static_assert(offsetof(Udp, length) == 4);
static_assert(offsetof(Udp, checksum) == 6);

// TCP control bits, as in Tcp::flags.
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kTcpEce = 0x40;  // RFC 3168
inline constexpr std::uint8_t kTcpCwr = 0x80;  // RFC 3168

// The fixed part of the TCP header; options follow (header_length() - 20 bytes).
struct __attribute__((packed)) Tcp {
  static constexpr std::size_t kMinLength = 20;
  static constexpr std::size_t kMaxLength = 60;

  be16_t src_port;
  be16_t dst_port;
  be32_t seq;
  be32_t ack;
  std::uint8_t data_offset_reserved;  // data offset in 32-bit words (high nibble) | reserved
  std::uint8_t flags;                 // kTcp*
  be16_t window;
  be16_t checksum;  // over the segment and the IP pseudo-header
  be16_t urgent_pointer;

  constexpr std::uint8_t data_offset() const noexcept { return data_offset_reserved >> 4; }
  constexpr std::size_t header_length() const noexcept { return std::size_t{data_offset()} * 4; }
  // Sets the data offset for a header of `header_bytes` (20..60, a multiple of 4; not
  // checked) and clears the reserved bits.
  constexpr void set_header_length(std::size_t header_bytes = kMinLength) noexcept {
    data_offset_reserved = static_cast<std::uint8_t>(((header_bytes / 4) & 0x0f) << 4);
  }
  constexpr bool has_flags(std::uint8_t mask) const noexcept { return (flags & mask) == mask; }
};
static_assert(sizeof(Tcp) == 20);
static_assert(offsetof(Tcp, seq) == 4);
static_assert(offsetof(Tcp, ack) == 8);
static_assert(offsetof(Tcp, data_offset_reserved) == 12);
static_assert(offsetof(Tcp, flags) == 13);
static_assert(offsetof(Tcp, window) == 14);
static_assert(offsetof(Tcp, checksum) == 16);
static_assert(offsetof(Tcp, urgent_pointer) == 18);

// The ICMP header at the start of `b`; nullptr when b is shorter than 8 bytes.
inline const Icmp* icmp_header(std::span<const std::uint8_t> b) noexcept {
  return b.size() < sizeof(Icmp) ? nullptr : reinterpret_cast<const Icmp*>(b.data());
}
inline Icmp* icmp_header(std::span<std::uint8_t> b) noexcept {
  return b.size() < sizeof(Icmp) ? nullptr : reinterpret_cast<Icmp*>(b.data());
}

// The UDP header at the start of `b`; nullptr when b is shorter than 8 bytes.
inline const Udp* udp_header(std::span<const std::uint8_t> b) noexcept {
  return b.size() < sizeof(Udp) ? nullptr : reinterpret_cast<const Udp*>(b.data());
}
inline Udp* udp_header(std::span<std::uint8_t> b) noexcept {
  return b.size() < sizeof(Udp) ? nullptr : reinterpret_cast<Udp*>(b.data());
}

// The TCP header at the start of `b`; nullptr when b is shorter than 20 bytes, the data
// offset is below 5, or the header (with options) runs past the end of b.
inline const Tcp* tcp_header(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < Tcp::kMinLength) return nullptr;
  const auto* tcp = reinterpret_cast<const Tcp*>(b.data());
  if (tcp->data_offset() < 5 || tcp->header_length() > b.size()) return nullptr;
  return tcp;
}
inline Tcp* tcp_header(std::span<std::uint8_t> b) noexcept {
  return const_cast<Tcp*>(tcp_header(std::span<const std::uint8_t>(b)));
}

}  // namespace uplane::net
