#include "elements/ethernet/ether_rewrite.h"

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
Status parse_ether_write(std::string_view keyword, std::string_view text, net::EtherAddr& out) {
  std::vector<std::string> parts = graph::split_args(text);
  if (parts.size() != 1)
    return Status(Errc::kInvalidArgument, fmt::format("{}: expected one value", keyword));
  net::EtherAddr v{};
  std::string why = graph::ArgParser<net::EtherAddr>::parse(parts[0], v);
  if (!why.empty())
    return Status(Errc::kInvalidArgument, fmt::format("{}: {}, got '{}'", keyword, why, parts[0]));
  out = v;
  return {};
}

}  // namespace

Status EtherRewrite::configure(graph::Args& args) {
  net::EtherAddr src{}, dst{};
  Status st = args.required("SRC", src).required("DST", dst).done();
  if (!st.is_ok()) return st;
  src_ = src;
  dst_ = dst;
  return {};
}

void EtherRewrite::add_handlers() {
  add_read_handler("src", [this] { return click_ether(src_); });
  add_write_handler("src",
                    [this](std::string_view v) { return parse_ether_write("SRC", v, src_); });
  add_read_handler("dst", [this] { return click_ether(dst_); });
  add_write_handler("dst",
                    [this](std::string_view v) { return parse_ether_write("DST", v, dst_); });
}

graph::Verdict EtherRewrite::process(graph::Packet& p) noexcept {
  auto* eth = net::ethernet_header(std::span<std::uint8_t>(p.data(), p.length()));
  if (eth == nullptr) return graph::Drop(graph::DropReason::kTooShort);
  eth->dst = dst_;
  eth->src = src_;
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(EtherRewrite);

}  // namespace uplane::elements
