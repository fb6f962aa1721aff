#include "elements/ethernet/ether_encap.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"

namespace uplane::elements {

using ethernet::click_ether;
using ethernet::parse_write;

Status EtherEncap::configure(graph::Args& args) {
  std::uint16_t type = 0;
  net::Ethernet h{};
  Status st = args.required("ETHERTYPE", type).required("SRC", h.src).required("DST", h.dst).done();
  if (!st.is_ok()) return st;
  h.ether_type = net::be16_t::from_host(type);
  header_ = h;
  return {};
}

void EtherEncap::add_handlers() {
  add_read_handler("src", [this] { return click_ether(header_.src) + "\n"; });
  add_write_handler("src",
                    [this](std::string_view v) { return parse_write("SRC", v, header_.src); });
  add_read_handler("dst", [this] { return click_ether(header_.dst) + "\n"; });
  add_write_handler("dst",
                    [this](std::string_view v) { return parse_write("DST", v, header_.dst); });
  for (const char* name : {"ethertype", "etht"}) {
    add_read_handler(name, [this] { return fmt::format("{}\n", header_.ether_type.to_host()); });
    add_write_handler(name, [this](std::string_view v) {
      std::uint16_t t = 0;
      Status st = parse_write("ETHERTYPE", v, t);
      if (st.is_ok()) header_.ether_type = net::be16_t::from_host(t);
      return st;
    });
  }
}

graph::Verdict EtherEncap::process(graph::Packet& p) noexcept {
  std::uint8_t* d = p.push(sizeof(net::Ethernet));
  if (d == nullptr) return graph::Drop(graph::DropReason::kNoRoom);
  std::memcpy(d, &header_, sizeof(net::Ethernet));
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(EtherEncap);

}  // namespace uplane::elements
