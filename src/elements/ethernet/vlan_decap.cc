#include "elements/ethernet/vlan_decap.h"

#include <cstring>

#include "graph/registry.h"
#include "net/ether.h"

namespace uplane::elements {

Status VLANDecap::configure(graph::Args& args) {
  bool anno = true;
  std::uint16_t tag_type = 0x8100;
  Status st = args.optional_positional("ANNO", anno).optional("ETHERTYPE", tag_type).done();
  if (!st.is_ok()) return st;
  anno_ = anno;
  tag_type_ = tag_type;
  return {};
}

graph::Verdict VLANDecap::process(graph::Packet& p) noexcept {
  auto* eth = net::ethernet_header(std::span<std::uint8_t>(p.data(), p.length()));
  if (eth == nullptr) return graph::Drop(graph::DropReason::kTooShort);
  std::uint16_t tci = 0;
  if (eth->ether_type == net::be16_t::from_host(tag_type_)) {
    if (p.length() < sizeof(net::Ethernet) + sizeof(net::Vlan))
      return graph::Drop(graph::DropReason::kTooShort);
    std::uint8_t* d = p.data();
    tci = reinterpret_cast<const net::Vlan*>(d + sizeof(net::Ethernet))->tci.to_host();
    // The addresses move forward over the tag; the tag's inner type becomes the EtherType.
    std::memmove(d + sizeof(net::Vlan), d, 2 * net::EtherAddr::kSize);
    (void)p.pull(sizeof(net::Vlan));  // length >= 18 was checked
  }
  if (anno_) p.set_vlan_tci(tci);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(VLANDecap);

}  // namespace uplane::elements
