#include "elements/ip/dec_ip_ttl.h"

#include <fmt/format.h>

#include <string>

#include "graph/registry.h"
#include "net/checksum.h"
#include "net/ipv4.h"

namespace uplane::elements {

Status DecIPTTL::configure(graph::Args& args) {
  return args.optional("ACTIVE", active_).optional("MULTICAST", multicast_).done();
}

void DecIPTTL::add_handlers() {
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
  add_read_handler("active", [this] { return std::string(active_ ? "true\n" : "false\n"); });
  add_write_handler("active", [this](std::string_view value) -> Status {
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    bool v = false;
    const std::string why = graph::ArgParser<bool>::parse(value, v);
    if (!why.empty())
      return Status(Errc::kInvalidArgument, fmt::format("active: {}, got '{}'", why, value));
    active_ = v;
    return {};
  });
}

graph::Verdict DecIPTTL::process(graph::Packet& p) noexcept {
  const std::int32_t nh = p.network_header_offset();
  if (nh < 0) return graph::Drop(graph::DropReason::kBadHeader);
  if (p.length() - static_cast<std::uint32_t>(nh) < net::Ipv4::kMinLength)
    return graph::Drop(graph::DropReason::kTooShort);
  if (!active_) return graph::Port{0};
  auto* ip = reinterpret_cast<net::Ipv4*>(p.network_header());
  if (!multicast_ && ip->dst.is_multicast()) return graph::Port{0};
  if (ip->ttl <= 1) {
    drops_.add();
    return port_or_drop(1, graph::DropReason::kTtlExpired);
  }
  // TTL is the high byte of the 16-bit word it shares with the protocol; patch the checksum
  // from the old and new word (RFC 1624 eqn. 3).
  const auto old_word =
      net::be16_t::from_host(static_cast<std::uint16_t>(ip->ttl << 8 | ip->protocol));
  --ip->ttl;
  const auto new_word =
      net::be16_t::from_host(static_cast<std::uint16_t>(ip->ttl << 8 | ip->protocol));
  ip->checksum = net::checksum_adjust16(ip->checksum, old_word, new_word);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(DecIPTTL);

}  // namespace uplane::elements
