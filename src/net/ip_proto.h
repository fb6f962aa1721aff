#pragma once
// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"): the value of Ipv4::protocol
// and of Ipv6::next_header. One byte on the wire, so plain integers, not endian types.

#include <cstdint>

namespace uplane::net {

inline constexpr std::uint8_t kIpProtoHopByHop = 0;  // IPv6 extension header
inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoIgmp = 2;
inline constexpr std::uint8_t kIpProtoIpip = 4;  // IPv4 in IP
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kIpProtoIpv6 = 41;      // IPv6 in IP
inline constexpr std::uint8_t kIpProtoRouting = 43;   // IPv6 extension header
inline constexpr std::uint8_t kIpProtoFragment = 44;  // IPv6 extension header
inline constexpr std::uint8_t kIpProtoGre = 47;
inline constexpr std::uint8_t kIpProtoEsp = 50;
inline constexpr std::uint8_t kIpProtoAh = 51;
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;
inline constexpr std::uint8_t kIpProtoNoNext = 59;   // IPv6: nothing follows
inline constexpr std::uint8_t kIpProtoDstOpts = 60;  // IPv6 extension header
inline constexpr std::uint8_t kIpProtoSctp = 132;

}  // namespace uplane::net
