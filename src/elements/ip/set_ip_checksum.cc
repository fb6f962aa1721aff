#include "elements/ip/set_ip_checksum.h"

#include <fmt/format.h>

#include "base/log.h"
#include "graph/registry.h"
#include "net/checksum.h"
#include "net/ipv4.h"

namespace uplane::elements {

void SetIPChecksum::add_handlers() {
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
}

graph::Verdict SetIPChecksum::bad(graph::DropReason r) noexcept {
  drops_.add();
  if (drops_.get() == 1) UPLANE_LOG(kWarn, "{}: bad input packet", name());
  return graph::Drop(r);
}

graph::Verdict SetIPChecksum::process(graph::Packet& p) noexcept {
  std::uint8_t* h = p.has_network_header() ? p.network_header() : p.data();
  const std::uint32_t plen = p.length() - static_cast<std::uint32_t>(h - p.data());
  if (plen < net::Ipv4::kMinLength) return bad(graph::DropReason::kTooShort);
  auto* ip = reinterpret_cast<net::Ipv4*>(h);
  const std::size_t hlen = ip->header_length();
  if (hlen < net::Ipv4::kMinLength) return bad(graph::DropReason::kBadHeader);
  if (hlen > plen) return bad(graph::DropReason::kTooShort);
  ip->checksum = net::ipv4_header_checksum(*ip);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(SetIPChecksum);

}  // namespace uplane::elements
