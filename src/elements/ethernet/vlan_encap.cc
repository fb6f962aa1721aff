#include "elements/ethernet/vlan_encap.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <utility>

#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"
#include "net/ether.h"

namespace uplane::elements {

Status VLANEncap::configure(graph::Args& args) {
  ethernet::VlanTag vlan;
  graph::WordArg tci_word;
  std::uint16_t tag_type = 0x8100;
  vlan.read_args(args, tci_word).optional("ETHERTYPE", tag_type);
  vlan.set_tci_word(args, tci_word);
  UPLANE_RETURN_IF_ERROR(args.done());
  vlan_ = vlan;
  tag_type_ = tag_type;
  return {};
}

void VLANEncap::add_handlers() {
  add_read_handler("config", [this] {
    std::string s = vlan_.config();
    if (tag_type_ != 0x8100) s += fmt::format(", ETHERTYPE {}", tag_type_);
    return s + "\n";
  });
  for (graph::Handler& h : vlan_.handlers()) {
    add_read_handler(h.name, std::move(h.read));
    add_write_handler(std::move(h.name), std::move(h.write));
  }
  add_read_handler("ethertype", [this] { return fmt::format("{}\n", tag_type_); });
  add_write_handler("ethertype", [this](std::string_view v) {
    return ethernet::parse_ranged_write<std::uint16_t>("ETHERTYPE", v, 0, 0xFFFF, tag_type_);
  });
}

graph::Verdict VLANEncap::process(graph::Packet& p) noexcept {
  if (p.length() < sizeof(net::Ethernet)) return graph::Drop(graph::DropReason::kTooShort);
  const std::uint16_t tci = vlan_.tci_for(p.vlan_tci());
  if (vlan_.is_native(tci)) return graph::Port{0};
  std::uint8_t* d = p.push(sizeof(net::Vlan));
  if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
  // The two addresses move to the new front; the old EtherType stays where it was and
  // becomes the tag's inner type.
  std::memmove(d, d + sizeof(net::Vlan), 2 * net::EtherAddr::kSize);
  auto* eth = reinterpret_cast<net::Ethernet*>(d);
  eth->ether_type = net::be16_t::from_host(tag_type_);
  reinterpret_cast<net::Vlan*>(d + sizeof(net::Ethernet))->tci = net::be16_t::from_host(tci);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(VLANEncap);

}  // namespace uplane::elements
