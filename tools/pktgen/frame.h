#pragma once
// The frames uplane-pktgen sends and recognizes: Ethernet II / IPv4 / UDP with a small probe
// at the start of the UDP payload.
//
//   | Ethernet 14 | IPv4 20 (no options, DF, TTL 64) | UDP 8 | probe 12 | zero padding |
//   probe: magic "UPKT" (4 bytes), sequence number (64-bit, big-endian)
//
// A frame is `size` bytes without the Ethernet FCS (60 for a minimum 64-byte frame on the
// wire, at most 1514). Flow f of N (f = sequence mod N) has UDP source port
// src_port + f (mod 2^16); everything else is the same in every frame but the sequence
// number. Both checksums are valid: the IPv4 header's is fixed, the UDP one is patched per
// frame from a precomputed sum of the constant bytes (RFC 1071's sum is order-free, so the
// two variable fields are added to it).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ipv4.h"

namespace uplane::pktgen {

inline constexpr std::uint32_t kMinFrame = 60;
inline constexpr std::uint32_t kMaxFrame = 1514;
inline constexpr std::size_t kHeaders = 14 + 20 + 8;  // Ethernet + IPv4 + UDP
inline constexpr std::size_t kProbeOffset = kHeaders;  // from the start of the frame
inline constexpr std::size_t kProbeBytes = 12;
inline constexpr std::uint8_t kMagic[4] = {'U', 'P', 'K', 'T'};

struct FrameSpec {
  net::EtherAddr src_mac{};
  net::EtherAddr dst_mac = net::EtherAddr::broadcast();
  net::Ipv4Addr src_ip = net::Ipv4Addr::from_octets(10, 0, 0, 1);
  net::Ipv4Addr dst_ip = net::Ipv4Addr::from_octets(10, 1, 0, 1);
  std::uint16_t src_port = 10000;
  std::uint16_t dst_port = 9;  // discard (RFC 863)
  std::uint32_t flows = 1;     // 1..65536
  std::uint32_t size = kMinFrame;
};

// Builds frames for one FrameSpec. Construct with create(); write() is the per-packet path
// (no allocation, no branch on the spec).
class FrameBuilder {
 public:
  // Errors name the bad field: size outside [60, 1514], flows outside [1, 65536].
  static Result<FrameBuilder> create(const FrameSpec& spec);

  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(tmpl_.size()); }
  // Writes frame number `seq` (size() bytes) to dst.
  void write(std::uint8_t* dst, std::uint64_t seq) const noexcept;

 private:
  explicit FrameBuilder(const FrameSpec& spec) : spec_(spec) {}

  FrameSpec spec_;
  std::vector<std::uint8_t> tmpl_;  // the frame with source port and sequence zero
  net::be16_t base_sum_{};          // folded sum of the pseudo-header and that UDP segment
};

// The sequence number of a frame that carries a pktgen probe (an IPv4/UDP frame with the
// magic at kProbeOffset), or nothing.
std::optional<std::uint64_t> parse_probe(std::span<const std::uint8_t> frame) noexcept;

}  // namespace uplane::pktgen
