#include "pktgen/frame.h"

#include <cstring>

#include "net/ip_proto.h"
#include "net/l4.h"

namespace uplane::pktgen {

namespace {

constexpr std::size_t kIpOffset = 14;
constexpr std::size_t kUdpOffset = kIpOffset + 20;
constexpr std::size_t kSeqOffset = kProbeOffset + sizeof(kMagic);

}  // namespace

Result<FrameBuilder> FrameBuilder::create(const FrameSpec& spec) {
  if (spec.size < kMinFrame || spec.size > kMaxFrame) {
    return make_error(Errc::kInvalidArgument, "frame size {} is outside {}..{} (bytes without FCS)",
                      spec.size, kMinFrame, kMaxFrame);
  }
  if (spec.flows < 1 || spec.flows > 65536) {
    return make_error(Errc::kInvalidArgument, "flows {} is outside 1..65536", spec.flows);
  }
  FrameBuilder b(spec);
  b.tmpl_.assign(spec.size, 0);
  std::uint8_t* f = b.tmpl_.data();

  auto* eth = reinterpret_cast<net::Ethernet*>(f);
  eth->dst = spec.dst_mac;
  eth->src = spec.src_mac;
  eth->ether_type = net::kEtherTypeIpv4;

  auto* ip = reinterpret_cast<net::Ipv4*>(f + kIpOffset);
  ip->set_version_ihl();
  ip->total_length = net::be16_t::from_host(static_cast<std::uint16_t>(spec.size - kIpOffset));
  ip->frag_off = net::kIpv4DontFragment;
  ip->ttl = 64;
  ip->protocol = net::kIpProtoUdp;
  ip->src = spec.src_ip;
  ip->dst = spec.dst_ip;
  ip->checksum = net::ipv4_header_checksum(*ip);

  const auto udp_len = static_cast<std::uint16_t>(spec.size - kUdpOffset);
  auto* udp = reinterpret_cast<net::Udp*>(f + kUdpOffset);
  udp->dst_port = net::be16_t::from_host(spec.dst_port);
  udp->length = net::be16_t::from_host(udp_len);
  std::memcpy(f + kProbeOffset, kMagic, sizeof(kMagic));

  // Source port and sequence are zero in the template: their words add nothing to the sum,
  // so write() adds each frame's values to this sum, not to a recomputation.
  net::ChecksumAccumulator sum =
      net::ipv4_pseudo_header_sum(spec.src_ip, spec.dst_ip, net::kIpProtoUdp, udp_len);
  sum.add(std::span<const std::uint8_t>(f + kUdpOffset, udp_len));
  b.base_sum_ = sum.sum();
  return b;
}

void FrameBuilder::write(std::uint8_t* dst, std::uint64_t seq) const noexcept {
  std::memcpy(dst, tmpl_.data(), tmpl_.size());
  const auto port = net::be16_t::from_host(
      static_cast<std::uint16_t>(spec_.src_port + seq % spec_.flows));
  const auto seq_hi = net::be32_t::from_host(static_cast<std::uint32_t>(seq >> 32));
  const auto seq_lo = net::be32_t::from_host(static_cast<std::uint32_t>(seq));
  auto* udp = reinterpret_cast<net::Udp*>(dst + kUdpOffset);
  udp->src_port = port;
  std::memcpy(dst + kSeqOffset, &seq_hi, 4);
  std::memcpy(dst + kSeqOffset + 4, &seq_lo, 4);
  // The fields sit at even offsets of the segment (0, 12 and 16): each adds as whole words.
  net::ChecksumAccumulator sum;
  sum.add(base_sum_).add(port).add(seq_hi).add(seq_lo);
  udp->checksum = net::udp_wire_checksum(sum.checksum());
}

std::optional<std::uint64_t> parse_probe(std::span<const std::uint8_t> frame) noexcept {
  if (frame.size() < kProbeOffset + kProbeBytes) return std::nullopt;
  const auto* eth = net::ethernet_header(frame);
  if (eth->ether_type != net::kEtherTypeIpv4) return std::nullopt;
  const auto* ip = net::ipv4_header(frame.subspan(kIpOffset));
  if (ip == nullptr || ip->header_length() != 20 || ip->protocol != net::kIpProtoUdp) {
    return std::nullopt;
  }
  if (std::memcmp(frame.data() + kProbeOffset, kMagic, sizeof(kMagic)) != 0) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 8; ++i) seq = seq << 8 | frame[kSeqOffset + i];
  return seq;
}

}  // namespace uplane::pktgen
