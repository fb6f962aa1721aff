#include "elements/ip/set_ip_address.h"

#include <fmt/format.h>

#include <string>

#include "graph/registry.h"

namespace uplane::elements {

Status SetIPAddress::configure(graph::Args& args) {
  return args.required("IPADDR", addr_).optional("ANNO", anno_).done();
}

void SetIPAddress::add_handlers() {
  add_read_handler("addr", [this] { return addr_.to_string() + "\n"; });
  add_write_handler("addr", [this](std::string_view value) -> Status {
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ' || value.back() == '\t' ||
                              value.back() == '\r'))
      value.remove_suffix(1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    net::Ipv4Addr a{};
    const std::string why = graph::ArgParser<net::Ipv4Addr>::parse(value, a);
    if (!why.empty())
      return Status(Errc::kInvalidArgument, fmt::format("addr: {}, got '{}'", why, value));
    addr_ = a;
    return {};
  });
}

UPLANE_REGISTER_ELEMENT(SetIPAddress);

}  // namespace uplane::elements
