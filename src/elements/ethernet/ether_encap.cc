#include "elements/ethernet/ether_encap.h"

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "graph/registry.h"

namespace uplane::elements {
namespace {

// Click prints Ethernet addresses upper-case with dashes (EtherAddress::unparse).
std::string click_ether(const net::EtherAddr& a) {
  const std::uint8_t* b = a.bytes;
  return fmt::format("{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}\n", b[0], b[1], b[2], b[3], b[4],
                     b[5]);
}

// A handler write parsed as the configuration argument it replaces would be.
template <class T>
Status parse_write(std::string_view keyword, std::string_view text, T& out) {
  std::vector<std::string> parts = graph::split_args(text);
  if (parts.size() != 1)
    return Status(Errc::kInvalidArgument, fmt::format("{}: expected one value", keyword));
  T v{};
  std::string why = graph::ArgParser<T>::parse(parts[0], v);
  if (!why.empty())
    return Status(Errc::kInvalidArgument, fmt::format("{}: {}, got '{}'", keyword, why, parts[0]));
  out = v;
  return {};
}

}  // namespace

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
  add_read_handler("src", [this] { return click_ether(header_.src); });
  add_write_handler("src",
                    [this](std::string_view v) { return parse_write("SRC", v, header_.src); });
  add_read_handler("dst", [this] { return click_ether(header_.dst); });
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
