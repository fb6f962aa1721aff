#include "elements/ethernet/ether_vlan_encap.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"

namespace uplane::elements {

using ethernet::click_ether;
using ethernet::parse_write;

Status EtherVLANEncap::configure(graph::Args& args) {
  std::uint16_t type = 0;
  net::EtherAddr src{}, dst{};
  ethernet::VlanTag vlan;
  graph::WordArg tci_word;
  args.required("ETHERTYPE", type).required("SRC", src).required("DST", dst);
  vlan.read_args(args, tci_word);
  vlan.set_tci_word(args, tci_word);
  UPLANE_RETURN_IF_ERROR(args.done());
  ether_type_ = type;
  src_ = src;
  dst_ = dst;
  vlan_ = vlan;
  return {};
}

void EtherVLANEncap::add_handlers() {
  add_read_handler("config", [this] {
    return fmt::format("{}, {}, {}, {}\n", ether_type_, click_ether(src_), click_ether(dst_),
                       vlan_.config());
  });
  add_read_handler("src", [this] { return click_ether(src_) + "\n"; });
  add_write_handler("src", [this](std::string_view v) { return parse_write("SRC", v, src_); });
  add_read_handler("dst", [this] { return click_ether(dst_) + "\n"; });
  add_write_handler("dst", [this](std::string_view v) { return parse_write("DST", v, dst_); });
  add_read_handler("ethertype", [this] { return fmt::format("{}\n", ether_type_); });
  add_write_handler(
      "ethertype", [this](std::string_view v) { return parse_write("ETHERTYPE", v, ether_type_); });
  for (graph::Handler& h : vlan_.handlers(/*range_error_shows_number=*/true)) {
    add_read_handler(h.name, std::move(h.read));
    add_write_handler(std::move(h.name), std::move(h.write));
  }
}

graph::Verdict EtherVLANEncap::process(graph::Packet& p) noexcept {
  const std::uint16_t tci = vlan_.tci_for(p.vlan_tci());
  if (vlan_.is_native(tci)) {
    std::uint8_t* d = p.push(sizeof(net::Ethernet));
    if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
    auto* eth = reinterpret_cast<net::Ethernet*>(d);
    eth->dst = dst_;
    eth->src = src_;
    eth->ether_type = net::be16_t::from_host(ether_type_);
    return graph::Port{0};
  }
  std::uint8_t* d = p.push(sizeof(net::Ethernet) + sizeof(net::Vlan));
  if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
  auto* eth = reinterpret_cast<net::Ethernet*>(d);
  eth->dst = dst_;
  eth->src = src_;
  eth->ether_type = net::kEtherTypeVlan;
  auto* tag = reinterpret_cast<net::Vlan*>(d + sizeof(net::Ethernet));
  tag->tci = net::be16_t::from_host(tci);
  tag->ether_type = net::be16_t::from_host(ether_type_);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(EtherVLANEncap);

}  // namespace uplane::elements
