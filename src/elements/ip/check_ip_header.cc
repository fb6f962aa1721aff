#include "elements/ip/check_ip_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "base/log.h"
#include "graph/registry.h"
#include "net/checksum.h"

namespace uplane::elements {

namespace {

constexpr std::string_view kReasonText[CheckIPHeader::kReasonCount] = {
    "tiny packet",   "bad IP version",  "bad IP header length",
    "bad IP length", "bad IP checksum", "bad source address"};

constexpr graph::DropReason kReasonDrop[CheckIPHeader::kReasonCount] = {
    graph::DropReason::kTooShort,  graph::DropReason::kBadHeader,   graph::DropReason::kBadHeader,
    graph::DropReason::kBadLength, graph::DropReason::kBadChecksum, graph::DropReason::kBadSource};

// Parses a space-separated address list into `out`; false (and args failed) on a bad word.
bool parse_address_list(graph::Args& args, std::string_view keyword, std::string_view text,
                        std::vector<net::Ipv4Addr>& out) {
  for (const std::string& word : graph::split_words(text)) {
    net::Ipv4Addr a{};
    const std::string why = graph::ArgParser<net::Ipv4Addr>::parse(word, a);
    if (!why.empty()) {
      args.fail(fmt::format("{}: {}, got '{}'", keyword, why, word));
      return false;
    }
    out.push_back(a);
  }
  return true;
}

void add_zero_and_broadcast(std::vector<net::Ipv4Addr>& bad) {
  bad.push_back(net::Ipv4Addr::any());
  bad.push_back(net::Ipv4Addr::broadcast());
}

}  // namespace

Status CheckIPHeader::configure(graph::Args& args) {
  graph::RawArg interfaces, badsrc, gooddst;
  bool have_interfaces = false, have_badsrc = false, have_gooddst = false;
  bool offset_by_keyword = false;
  std::vector<graph::RawArg> positional;

  args.optional("INTERFACES", interfaces);
  have_interfaces = args.found();
  args.optional("BADSRC", badsrc);
  have_badsrc = args.found();
  args.optional("GOODDST", gooddst);
  have_gooddst = args.found();
  args.optional("OFFSET", offset_);
  offset_by_keyword = args.found();
  args.optional("CHECKSUM", checksum_).optional("VERBOSE", verbose_).optional("DETAILS", details_);
  args.rest("OFFSET", positional);
  if (!args.ok()) return args.done();

  if (have_interfaces) {
    for (const std::string& word : graph::split_words(interfaces.text)) {
      graph::Ipv4Prefix pfx{};
      const std::string why = graph::ArgParser<graph::Ipv4Prefix>::parse(word, pfx);
      if (!why.empty()) {
        args.fail(fmt::format("INTERFACES: {}, got '{}'", why, word));
        return args.done();
      }
      // The interface's directed broadcast address is a bad source; its own address is a
      // good destination.
      const std::uint32_t mask = pfx.mask.to_host();
      bad_src_.push_back(net::Ipv4Addr::from_host((pfx.addr.to_host() & mask) | ~mask));
      good_dst_.push_back(pfx.addr);
    }
    add_zero_and_broadcast(bad_src_);
  }
  if (have_badsrc && !parse_address_list(args, "BADSRC", badsrc.text, bad_src_)) return args.done();
  if (have_gooddst && !parse_address_list(args, "GOODDST", gooddst.text, good_dst_))
    return args.done();

  // Positional arguments: OFFSET alone, or Click's old syntax BADSRC2 [, OFFSET].
  std::uint32_t off = 0;
  if (positional.size() == 1 &&
      graph::ArgParser<std::uint32_t>::parse(positional[0].text, off).empty()) {
    if (offset_by_keyword) {
      args.fail("OFFSET: given both by position and by keyword");
    } else {
      offset_ = off;
    }
  } else if (positional.size() > 2) {
    args.fail("too many arguments");
  } else if (!positional.empty()) {
    if (parse_address_list(args, "BADSRC", positional[0].text, bad_src_))
      add_zero_and_broadcast(bad_src_);
    if (args.ok() && positional.size() == 2) {
      const std::string why = graph::ArgParser<std::uint32_t>::parse(positional[1].text, off);
      if (!why.empty()) {
        args.fail(fmt::format("OFFSET: {}, got '{}'", why, positional[1].text));
      } else if (offset_by_keyword) {
        args.fail("OFFSET: given both by position and by keyword");
      } else {
        offset_ = off;
      }
    }
  }
  return args.done();
}

void CheckIPHeader::add_handlers() {
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
  if (details_) {
    add_read_handler("drop_details", [this] {
      std::string s;
      for (int r = 0; r < kReasonCount; ++r)
        s += fmt::format("{}\t{}\n", reason_drops_[r].get(), kReasonText[r]);
      return s;
    });
  }
}

bool CheckIPHeader::bad_source(net::Ipv4Addr src, net::Ipv4Addr dst) const noexcept {
  return std::find(bad_src_.begin(), bad_src_.end(), src) != bad_src_.end() &&
         std::find(good_dst_.begin(), good_dst_.end(), dst) == good_dst_.end();
}

graph::Verdict CheckIPHeader::reject(Reason r) noexcept {
  // Click reports the first invalid packet, and every one when VERBOSE.
  if ((drops_.get() == 0 || verbose_) && LogLevel::kWarn >= log_level()) {
    char buf[256];
    const auto res = fmt::format_to_n(buf, sizeof(buf) - 1, "{}: IP header check failed: {}",
                                      name(), kReasonText[r]);
    log_write(LogLevel::kWarn,
              std::string_view(buf, res.size < sizeof(buf) - 1 ? res.size : sizeof(buf) - 1));
  }
  drops_.add();
  reason_drops_[r].add();
  return port_or_drop(1, kReasonDrop[r]);
}

graph::Verdict CheckIPHeader::process(graph::Packet& p) noexcept {
  const std::uint32_t len = p.length();
  if (len < offset_ || len - offset_ < net::Ipv4::kMinLength) return reject(kTinyPacket);
  const std::uint32_t plen = len - offset_;
  std::uint8_t* h = p.data() + offset_;
  const auto* ip = reinterpret_cast<const net::Ipv4*>(h);

  if (ip->version() != 4) return reject(kBadVersion);
  const std::uint32_t hlen = static_cast<std::uint32_t>(ip->header_length());
  if (hlen < net::Ipv4::kMinLength) return reject(kBadHeaderLength);
  const std::uint32_t total = ip->total_length.to_host();
  if (total > plen || total < hlen) return reject(kBadIpLength);
  // hlen <= total <= plen: the whole header, options included, is in the packet.
  if (checksum_ && !net::ipv4_header_checksum_ok(*ip)) return reject(kBadIpChecksum);
  // RFC 1812 5.3.7 and 4.2.2.11: no datagram from a broadcast or otherwise illegal source.
  if (!bad_src_.empty() && bad_source(ip->src, ip->dst)) return reject(kBadSourceAddress);

  p.set_network_header(h);
  p.set_transport_header(h + hlen);
  p.set_dst_ip_anno_raw(ip->dst.value.raw());
  // Drop link-level padding beyond the IP total length.
  if (plen > total) (void)p.take(plen - total);
  return graph::Port{0};
}

UPLANE_REGISTER_ELEMENT(CheckIPHeader);

}  // namespace uplane::elements
