#include "io/null_port.h"

#include <algorithm>
#include <cstring>

#include "base/compiler.h"
#include "io/packet_port.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ip_proto.h"
#include "net/ipv4.h"
#include "net/l4.h"

namespace uplane::io {
namespace {

std::vector<std::uint8_t> build_frame(std::uint32_t length) {
  std::vector<std::uint8_t> f(length, 0);
  auto* eth = reinterpret_cast<net::Ethernet*>(f.data());
  constexpr std::uint8_t kSrc[6] = {0x02, 0, 0, 0, 0, 0x01};
  constexpr std::uint8_t kDst[6] = {0x02, 0, 0, 0, 0, 0x02};
  std::memcpy(eth->src.bytes, kSrc, 6);
  std::memcpy(eth->dst.bytes, kDst, 6);
  eth->ether_type = net::kEtherTypeIpv4;
  auto* ip = reinterpret_cast<net::Ipv4*>(f.data() + sizeof(net::Ethernet));
  ip->version_ihl = 0x45;
  ip->total_length =
      net::be16_t::from_host(static_cast<std::uint16_t>(length - sizeof(net::Ethernet)));
  ip->ttl = 64;
  ip->protocol = net::kIpProtoUdp;
  ip->src = net::Ipv4Addr::from_octets(10, 0, 0, 1);
  ip->dst = net::Ipv4Addr::from_octets(10, 0, 0, 2);
  ip->checksum = net::ipv4_header_checksum(*ip);
  auto* udp = reinterpret_cast<net::Udp*>(f.data() + sizeof(net::Ethernet) + sizeof(net::Ipv4));
  udp->src_port = net::be16_t::from_host(1024);
  udp->dst_port = net::be16_t::from_host(9);
  udp->length = net::be16_t::from_host(
      static_cast<std::uint16_t>(length - sizeof(net::Ethernet) - sizeof(net::Ipv4)));
  return f;  // UDP checksum 0: none computed (RFC 768)
}

}  // namespace

Result<std::unique_ptr<NullPort>> NullPort::open(const PortConfig& cfg, mem::PacketPool& pool) {
  const std::uint32_t room =
      pool.frame_size() - static_cast<std::uint32_t>(sizeof(mem::Packet)) - pool.headroom();
  const std::uint32_t max = std::min<std::uint32_t>(room, 0xffff);
  if (cfg.null_frame_length < kMinFrameLength || cfg.null_frame_length > max) {
    return make_error(Errc::kInvalidArgument,
                      "null port {}: frame length {} outside [{}, {}] (Ethernet, IPv4 and UDP "
                      "headers at least; what pool '{}' frames hold at most)",
                      cfg.device, cfg.null_frame_length, kMinFrameLength, max, pool.name());
  }
  return std::unique_ptr<NullPort>(new NullPort(cfg, pool, build_frame(cfg.null_frame_length)));
}

std::uint32_t NullPort::rx_burst(mem::Batch& b) noexcept {
  std::uint32_t n = b.room();
  if (UPLANE_UNLIKELY(!rx_ || n == 0)) return 0;
  mem::Packet** out = b.data() + b.size();
  while (n != 0 && !pool_.alloc_bulk(out, n)) n /= 2;
  const std::uint32_t len = static_cast<std::uint32_t>(frame_.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint8_t* d = out[i]->put(len);  // fits: checked against the pool at open
    std::memcpy(d, frame_.data(), len);
  }
  b.set_size(b.size() + n);
  if (n != 0) {
    add(c_.rx_packets, n);
    add(c_.rx_bytes, std::uint64_t{n} * len);
  }
  return n;
}

std::uint32_t NullPort::tx_burst(mem::Batch& b) noexcept {
  const std::uint32_t n = b.size();
  if (n == 0) return 0;
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < n; ++i) bytes += b[i]->length();
  free_to_pools(pool_, b.data(), n);
  b.clear();
  add(c_.tx_packets, n);
  add(c_.tx_bytes, bytes);
  return n;
}

Result<std::unique_ptr<Port>> open_null_port(const PortConfig& cfg, mem::PacketPool& pool) {
  auto port = NullPort::open(cfg, pool);
  if (!port) return port.status();
  return std::unique_ptr<Port>(std::move(*port));
}

}  // namespace uplane::io
