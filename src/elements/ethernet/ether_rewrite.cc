#include "elements/ethernet/ether_rewrite.h"

#include <fmt/format.h>

#include <cstring>
#include <string>

#include "elements/ethernet/handler_args.h"
#include "graph/registry.h"

namespace uplane::elements {

using ethernet::click_ether;
using ethernet::parse_write;

Status EtherRewrite::configure(graph::Args& args) {
  net::EtherAddr src{}, dst{};
  Status st = args.required("SRC", src).required("DST", dst).done();
  if (!st.is_ok()) return st;
  src_ = src;
  dst_ = dst;
  return {};
}

void EtherRewrite::add_handlers() {
  add_read_handler("src", [this] { return click_ether(src_) + "\n"; });
  add_write_handler("src", [this](std::string_view v) { return parse_write("SRC", v, src_); });
  add_read_handler("dst", [this] { return click_ether(dst_) + "\n"; });
  add_write_handler("dst", [this](std::string_view v) { return parse_write("DST", v, dst_); });
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
