#include "elements/ip/icmp_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "base/cpu.h"
#include "graph/registry.h"
#include "net/checksum.h"
#include "net/l4.h"

namespace uplane::elements {

namespace {

// Click's ICMP type and code names (its IPNameInfo tables).
constexpr std::array<std::pair<std::string_view, int>, 15> kTypeNames{{
    {"echo-reply", 0},
    {"unreachable", 3},
    {"sourcequench", 4},
    {"redirect", 5},
    {"echo", 8},
    {"routeradvert", 9},
    {"routersolicit", 10},
    {"timeexceeded", 11},
    {"parameterproblem", 12},
    {"timestamp", 13},
    {"timestamp-reply", 14},
    {"inforeq", 15},
    {"inforeq-reply", 16},
    {"maskreq", 17},
    {"maskreq-reply", 18},
}};
constexpr std::array<std::pair<std::string_view, int>, 16> kUnreachableCodes{{
    {"net", 0},
    {"host", 1},
    {"protocol", 2},
    {"port", 3},
    {"needfrag", 4},
    {"srcroutefail", 5},
    {"netunknown", 6},
    {"hostunknown", 7},
    {"isolated", 8},
    {"netprohibited", 9},
    {"hostprohibited", 10},
    {"tosnet", 11},
    {"toshost", 12},
    {"filterprohibited", 13},
    {"hostprecedence", 14},
    {"precedencecutoff", 15},
}};
constexpr std::array<std::pair<std::string_view, int>, 4> kRedirectCodes{
    {{"net", 0}, {"host", 1}, {"tosnet", 2}, {"toshost", 3}}};
constexpr std::array<std::pair<std::string_view, int>, 2> kTimeExceededCodes{
    {{"transit", 0}, {"reassembly", 1}}};
constexpr std::array<std::pair<std::string_view, int>, 3> kParamProblemCodes{
    {{"erroratptr", 0}, {"missingopt", 1}, {"length", 2}}};

constexpr std::uint8_t kIcmpSourceQuench = 4;
constexpr std::uint8_t kUnreachNeedFrag = 4;
constexpr std::uint8_t kParamProbErrAtPtr = 0;
constexpr std::uint8_t kOptEnd = 0;
constexpr std::uint8_t kOptNop = 1;
constexpr std::uint8_t kOptLsrr = 131;
constexpr std::uint8_t kOptSsrr = 137;
constexpr std::uint8_t kErrorTtl = 200;  // Click's choice

template <std::size_t N>
bool lookup(const std::array<std::pair<std::string_view, int>, N>& table, std::string_view name,
            int& out) {
  for (const auto& [n, v] : table) {
    if (n == name) {
      out = v;
      return true;
    }
  }
  return false;
}

// A name from the table, or an integer; false when it is neither.
template <std::size_t N>
bool parse_named_int(const std::array<std::pair<std::string_view, int>, N>* table,
                     std::string_view text, int& out) {
  if (table != nullptr && lookup(*table, text, out)) return true;
  std::int32_t v = 0;
  if (!graph::ArgParser<std::int32_t>::parse(text, v).empty()) return false;
  out = v;
  return true;
}

bool parse_code(int type, std::string_view text, int& out) {
  switch (type) {
    case net::kIcmpDestUnreachable:
      return parse_named_int(&kUnreachableCodes, text, out);
    case net::kIcmpRedirect:
      return parse_named_int(&kRedirectCodes, text, out);
    case net::kIcmpTimeExceeded:
      return parse_named_int(&kTimeExceededCodes, text, out);
    case net::kIcmpParameterProblem:
      return parse_named_int(&kParamProblemCodes, text, out);
    default:
      return parse_named_int<1>(nullptr, text, out);
  }
}

constexpr bool is_error_type(int type) noexcept {
  return type == net::kIcmpDestUnreachable || type == kIcmpSourceQuench ||
         type == net::kIcmpRedirect || type == net::kIcmpTimeExceeded ||
         type == net::kIcmpParameterProblem;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// The offset in the header (hlen bytes at h) of a loose or strict source route option
// whose pointer is sane (a multiple of 4, at least 4, at most one past the option), or -1.
int find_source_route(const std::uint8_t* h, std::uint32_t hlen) noexcept {
  for (std::uint32_t i = net::Ipv4::kMinLength; i < hlen;) {
    const std::uint8_t type = h[i];
    if (type == kOptNop) {
      ++i;
      continue;
    }
    if (type == kOptEnd || i + 1 >= hlen) return -1;
    const std::uint32_t len = h[i + 1];
    if (len < 2 || i + len > hlen) return -1;
    if ((type == kOptLsrr || type == kOptSsrr) && len >= 3) {
      const std::uint32_t ptr = h[i + 2];
      if (ptr >= 4 && ptr % 4 == 0 && ptr <= len + 1) return static_cast<int>(i);
    }
    i += len;
  }
  return -1;
}

}  // namespace

Status ICMPError::configure(graph::Args& args) {
  graph::RawArg type_text;
  graph::WordArg code_text{"0"};
  graph::RawArg bad_text;
  bool use_fix_anno = true;
  args.required("SRC", src_)
      .required("TYPE", type_text)
      .optional_positional("CODE", code_text)
      .optional_positional("BADADDRS", bad_text);
  const bool have_bad = args.found();
  args.optional("MTU", mtu_, kMinMtu, 65535u)
      .optional("PMTU", pmtu_, 0u, 65535u)
      .optional("SET_FIX_ANNO", set_fix_anno_)
      .optional("USE_FIX_ANNO", use_fix_anno);
  if (args.found()) set_fix_anno_ = use_fix_anno;
  if (!args.ok()) return args.done();

  int type = 0;
  if (!parse_named_int(&kTypeNames, type_text.text, type)) {
    args.fail(
        fmt::format("TYPE: expected ICMP type (name or integer 0-255), got '{}'", type_text.text));
  } else if (type < 0 || type > 255) {
    args.fail(fmt::format("TYPE: ICMP type must be between 0 and 255, got {}", type));
  } else if (!is_error_type(type)) {
    args.fail(fmt::format("TYPE: ICMP type {} is not an error type", type));
  }
  int code = 0;
  if (args.ok() && (!parse_code(type, code_text.word, code) || code < 0 || code > 255)) {
    args.fail(fmt::format(
        "CODE: expected ICMP code (integer between 0 and 255, or a name for type {}), got '{}'",
        type, code_text.word));
  }
  if (args.ok() && have_bad) {
    for (const std::string& word : graph::split_words(bad_text.text)) {
      net::Ipv4Addr a{};
      const std::string why = graph::ArgParser<net::Ipv4Addr>::parse(word, a);
      if (!why.empty()) {
        args.fail(fmt::format("BADADDRS: {}, got '{}'", why, word));
        break;
      }
      bad_addrs_.push_back(a);
    }
  }
  type_ = static_cast<std::uint8_t>(type);
  code_ = static_cast<std::uint8_t>(code);
  return args.done();
}

Status ICMPError::check_mtu(std::uint32_t mtu) const {
  const std::uint32_t room =
      pool().frame_size() - static_cast<std::uint32_t>(sizeof(graph::Packet)) - pool().headroom();
  if (mtu < kMinMtu || mtu > room)
    return make_error(Errc::kInvalidArgument,
                      "MTU: {} is outside {}-{} (the largest IP header plus 8 bytes, and what "
                      "a {}-byte frame holds)",
                      mtu, kMinMtu, room, pool().frame_size());
  return {};
}

Status ICMPError::initialize() { return check_mtu(mtu_); }

void ICMPError::add_handlers() {
  add_read_handler("src", [this] { return src_.to_string() + "\n"; });
  add_write_handler("src", [this](std::string_view value) -> Status {
    value = trim(value);
    net::Ipv4Addr a{};
    const std::string why = graph::ArgParser<net::Ipv4Addr>::parse(value, a);
    if (!why.empty())
      return Status(Errc::kInvalidArgument, fmt::format("src: {}, got '{}'", why, value));
    src_ = a;
    return {};
  });
  add_read_handler("mtu", [this] { return fmt::format("{}\n", mtu_); });
  add_write_handler("mtu", [this](std::string_view value) -> Status {
    value = trim(value);
    std::uint32_t v = 0;
    const std::string why = graph::ArgParser<std::uint32_t>::parse(value, v);
    if (!why.empty())
      return Status(Errc::kInvalidArgument, fmt::format("mtu: {}, got '{}'", why, value));
    if (Status st = check_mtu(v); !st.is_ok()) return st;
    mtu_ = v;
    return {};
  });
  add_read_handler("pmtu", [this] { return fmt::format("{}\n", pmtu_); });
  add_write_handler("pmtu", [this](std::string_view value) -> Status {
    value = trim(value);
    std::uint32_t v = 0;
    const std::string why = graph::ArgParser<std::uint32_t>::parse(value, v);
    if (!why.empty() || v > 65535)
      return Status(Errc::kInvalidArgument, fmt::format("pmtu: expected 0-65535, got '{}'", value));
    pmtu_ = v;
    return {};
  });
}

bool ICMPError::unicast(net::Ipv4Addr a) const noexcept {
  return !a.is_broadcast() && !a.is_multicast() &&
         std::find(bad_addrs_.begin(), bad_addrs_.end(), a) == bad_addrs_.end();
}

// RFC 1812 5.3.7, 4.2.2.11 and 4.2.3.1: a source must be a unicast host address.
bool ICMPError::valid_source(net::Ipv4Addr a) const noexcept {
  const std::uint32_t net = a.to_host() >> 24;
  return unicast(a) && net != 0 && net != 127 && (net & 0xf0) != 0xf0;
}

graph::Packet* ICMPError::respond(graph::Packet* p) noexcept {
  using graph::DropReason;
  const std::int32_t nh = p->network_header_offset();
  if (nh < 0) {
    drop(p, DropReason::kBadHeader);
    return nullptr;
  }
  const std::uint32_t nlen = p->length() - static_cast<std::uint32_t>(nh);
  if (nlen < net::Ipv4::kMinLength) {
    drop(p, DropReason::kTooShort);
    return nullptr;
  }
  const std::uint8_t* h = p->network_header();
  const auto* ip = reinterpret_cast<const net::Ipv4*>(h);
  const std::uint32_t hlen = static_cast<std::uint32_t>(ip->header_length());
  if (hlen < net::Ipv4::kMinLength) {
    drop(p, DropReason::kBadHeader);
    return nullptr;
  }
  if (hlen > nlen) {
    drop(p, DropReason::kTooShort);
    return nullptr;
  }

  // RFC 1812 4.3.2.7: when not to send an ICMP error.
  if (ip->protocol == net::kIpProtoIcmp) {
    // Click needs 4 bytes of the ICMP header to decide.
    if (hlen + 4 > nlen) {
      drop(p, DropReason::kTooShort);
      return nullptr;
    }
    if (is_error_type(h[hlen])) {
      drop(p, DropReason::kFiltered);
      return nullptr;
    }
  }
  const mem::PacketType link = p->packet_type();
  if (!unicast(ip->dst) || link == mem::PacketType::kBroadcast ||
      link == mem::PacketType::kMulticast || !valid_source(ip->src) || ip->fragment_offset() != 0) {
    drop(p, DropReason::kFiltered);
    return nullptr;
  }
  const std::uint8_t pointer = p->user_anno()[kIcmpParamProbAnnoOffset];
  int route = find_source_route(h, hlen);
  if (route >= 0) {
    // RFC 1812 5.2.7.2: no redirect for a source-routed packet.
    if (type_ == net::kIcmpRedirect) {
      drop(p, DropReason::kFiltered);
      return nullptr;
    }
    // RFC 1812 4.3.2.6: do not reverse a source route the parameter problem is about.
    if (type_ == net::kIcmpParameterProblem && code_ == kParamProbErrAtPtr && pointer >= route &&
        pointer < route + h[route + 1])
      route = -1;
  }

  graph::Packet* q = pool().alloc();
  if (q == nullptr) {
    drop(p, DropReason::kNoMemory);
    return nullptr;
  }
  std::uint8_t* d = q->put(mtu_);  // initialize() checked that mtu_ fits a fresh packet
  if (d == nullptr) {
    pool().free(q);
    drop(p, DropReason::kNoRoom);
    return nullptr;
  }

  auto* nip = reinterpret_cast<net::Ipv4*>(d);
  std::uint32_t out_hlen = net::Ipv4::kMinLength;
  if (route >= 0) {
    // RFC 1812 4.3.2.6: carry the route travelled so far, reversed: the addresses before
    // the pointer, last first, in an option of the same type whose pointer is 4.
    const std::uint8_t* sr = h + route;
    const std::uint32_t olen = sr[2] - 1u;
    std::uint8_t* o = d + net::Ipv4::kMinLength;
    o[0] = sr[0];
    o[1] = static_cast<std::uint8_t>(olen);
    o[2] = 4;
    std::uint8_t* w = o + 3;
    for (int at = sr[2] - 5; at >= 3; at -= 4, w += 4) std::memcpy(w, sr + at, 4);
    o[olen] = kOptEnd;
    out_hlen = (net::Ipv4::kMinLength + olen + 3) & ~3u;
  }
  nip->set_version_ihl(out_hlen);
  nip->tos = 0;
  nip->id = net::be16_t::from_host(next_id_++);
  nip->frag_off = net::be16_t::from_host(0);
  nip->ttl = kErrorTtl;
  nip->protocol = net::kIpProtoIcmp;
  nip->checksum = net::be16_t::from_host(0);
  nip->src = src_;
  nip->dst = ip->src;

  auto* icmp = reinterpret_cast<net::Icmp*>(d + out_hlen);
  icmp->type = type_;
  icmp->code = code_;
  icmp->checksum = net::be16_t::from_host(0);
  icmp->rest = net::be32_t::from_host(0);
  std::uint8_t* rest = d + out_hlen + 4;
  if (type_ == net::kIcmpParameterProblem && code_ == kParamProbErrAtPtr) rest[0] = pointer;
  if (type_ == net::kIcmpRedirect) {
    const std::uint32_t gw = p->dst_ip_anno_raw();
    std::memcpy(rest, &gw, 4);
  }
  if (type_ == net::kIcmpDestUnreachable && code_ == kUnreachNeedFrag) {
    const auto next_mtu = net::be16_t::from_host(static_cast<std::uint16_t>(pmtu_));
    std::memcpy(rest + 2, &next_mtu, 2);  // RFC 1191: the low half of the unused word
  }

  // As much of the offending datagram as fits (RFC 1812 4.3.2.3), from its IP header on.
  std::uint32_t xlen = mtu_ - out_hlen - static_cast<std::uint32_t>(sizeof(net::Icmp));
  if (xlen > nlen) {
    (void)q->take(xlen - nlen);
    xlen = nlen;
  }
  std::memcpy(d + out_hlen + sizeof(net::Icmp), h, xlen);
  icmp->checksum = net::internet_checksum({d + out_hlen, sizeof(net::Icmp) + xlen});
  nip->total_length = net::be16_t::from_host(static_cast<std::uint16_t>(q->length()));
  nip->checksum = net::ipv4_header_checksum(*nip);

  q->set_network_header(d);
  q->set_transport_header(d + out_hlen);
  q->set_dst_ip_anno_raw(nip->dst.value.raw());
  if (set_fix_anno_) q->user_anno()[kFixIpSrcAnnoOffset] = 1;
  q->set_timestamp_ns(now_ns());
  mem::free_packet(p);  // answered: consumed, not dropped
  return q;
}

void ICMPError::push(int, graph::Batch& batch) noexcept {
  graph::Batch out;
  for (graph::Packet* p : batch.packets())
    if (graph::Packet* q = respond(p)) (void)out.push_back(q);
  batch.clear();
  if (!out.empty()) output_push(0, out);
}

void ICMPError::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  graph::Batch in;
  input_pull(0, in, max);
  for (graph::Packet* p : in.packets())
    if (graph::Packet* q = respond(p)) (void)out.push_back(q);  // at most max <= out.room()
}

UPLANE_REGISTER_ELEMENT(ICMPError);

}  // namespace uplane::elements
