#include "elements/ip/get_ip_address.h"

#include <array>
#include <cstring>
#include <utility>

#include "graph/registry.h"
#include "net/ipv4.h"

namespace uplane::graph {

std::string ArgParser<elements::IpAnnoSlot>::parse(std::string_view text,
                                                   elements::IpAnnoSlot& out) {
  // Click's 4-byte annotation names and their offsets in its annotation area.
  static constexpr std::array<std::pair<std::string_view, int>, 10> kNames{{
      {"DST_IP", elements::IpAnnoSlot::kDstIp},
      {"AGGREGATE", 20},
      {"MISC_IP", 20},
      {"FWD_RATE", 20},
      {"EXTRA_PACKETS", 24},
      {"REV_RATE", 24},
      {"EXTRA_LENGTH", 28},
      {"PACKET_NUMBER", 32},
      {"IPSEC_SPI", 32},
      {"SEQUENCE_NUMBER", 36},
  }};
  std::string_view name = text;
  if (name.size() > 5 && name.substr(name.size() - 5) == "_ANNO") name.remove_suffix(5);
  for (const auto& [n, off] : kNames) {
    if (n == name) {
      out.user_offset = off;
      return {};
    }
  }
  std::uint32_t off = 0;
  if (!ArgParser<std::uint32_t>::parse(text, off).empty() ||
      off + elements::IpAnnoSlot::kWidth > mem::Packet::kUserAnnoBytes)
    return "expected 4-byte annotation (a name such as DST_IP, or a user annotation offset 0-44)";
  out.user_offset = static_cast<int>(off);
  return {};
}

}  // namespace uplane::graph

namespace uplane::elements {

std::uint32_t IpAnnoSlot::get_raw(const mem::Packet& p) const noexcept {
  if (user_offset == kDstIp) return p.dst_ip_anno_raw();
  std::uint32_t raw;
  std::memcpy(&raw, p.user_anno() + user_offset, kWidth);
  return raw;
}

void IpAnnoSlot::set_raw(mem::Packet& p, std::uint32_t raw) const noexcept {
  if (user_offset == kDstIp) {
    p.set_dst_ip_anno_raw(raw);
  } else {
    std::memcpy(p.user_anno() + user_offset, &raw, kWidth);
  }
}

Status GetIPAddress::configure(graph::Args& args) {
  graph::WordArg ip;
  args.optional_positional("OFFSET", offset_);
  const bool have_offset = args.found();
  args.optional_positional("ANNO", anno_).optional("IP", ip);
  const bool have_ip = args.found();
  if (args.ok()) {
    if (have_offset == have_ip) {
      args.fail("set one of OFFSET, IP");
    } else if (have_ip) {
      if (ip.word == "src") {
        source_ = Source::kIpSrc;
      } else if (ip.word == "dst") {
        source_ = Source::kIpDst;
      } else {
        args.fail("IP: expected 'src' or 'dst', got '" + ip.word + "'");
      }
    }
  }
  return args.done();
}

graph::Verdict GetIPAddress::process(graph::Packet& p) noexcept {
  std::uint32_t raw;
  if (source_ == Source::kOffset) {
    if (p.length() < offset_ || p.length() - offset_ < IpAnnoSlot::kWidth)
      return graph::Drop(graph::DropReason::kTooShort);
    std::memcpy(&raw, p.data() + offset_, sizeof(raw));
  } else {
    const std::int32_t nh = p.network_header_offset();
    if (nh < 0) return graph::Drop(graph::DropReason::kBadHeader);
    if (p.length() - static_cast<std::uint32_t>(nh) < net::Ipv4::kMinLength)
      return graph::Drop(graph::DropReason::kTooShort);
    const auto* ip = reinterpret_cast<const net::Ipv4*>(p.network_header());
    raw = (source_ == Source::kIpSrc ? ip->src : ip->dst).value.raw();
  }
  anno_.set_raw(p, raw);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(GetIPAddress);

}  // namespace uplane::elements
