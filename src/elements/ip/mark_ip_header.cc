#include "elements/ip/mark_ip_header.h"

#include "graph/registry.h"
#include "net/ipv4.h"

namespace uplane::elements {

Status MarkIPHeader::configure(graph::Args& args) {
  return args.optional_positional("OFFSET", offset_).done();
}

graph::Verdict MarkIPHeader::process(graph::Packet& p) noexcept {
  const std::uint32_t len = p.length();
  if (len < offset_ || len - offset_ < net::Ipv4::kMinLength)
    return graph::Drop(graph::DropReason::kTooShort);
  std::uint8_t* h = p.data() + offset_;
  const auto* ip = reinterpret_cast<const net::Ipv4*>(h);
  p.set_network_header(h);
  p.set_transport_header(h + ip->header_length());
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(MarkIPHeader);

}  // namespace uplane::elements
