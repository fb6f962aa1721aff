// golden_pcap_text FILE.pcap — a pcap file as text, one line per packet, for golden tests.
//
// The first line names the link type and snapshot length; then each packet gets a line
// with its index, captured length (and wire length when it differs), the headers decoded
// ("; " between layers), and, after " | ", every captured byte in hex. Timestamps are left
// out (ToDump stamps packets that have none with the current time). So a change in what a
// configuration emits shows as a readable one-line diff per packet.
//
//   1 60B eth 00:00:00:00:00:01>00:00:00:00:00:02 0800; ip 10.0.0.1>10.0.0.2 p 17 ttl 64
//     len 46 id 0 off 0 sum ok; udp 1234>53 len 26 sum ok | 000000000002...
//
// Checksums: IPv4 header "sum ok|BAD"; ICMP, UDP and TCP "sum ok|BAD", UDP "sum none" for
// a zero checksum, and "sum ?" when the segment is not all there (a cut capture, a
// fragment). Headers too short to decode say "truncated". Exit status 1 when the file
// cannot be read (a cut file is reported after the packets before the cut).

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include <fmt/format.h>

#include "net/arp.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"

namespace {

using uplane::net::be16_t;
using Span = std::span<const std::uint8_t>;

std::string hex(Span b) {
  std::string s;
  s.reserve(b.size() * 2);
  for (std::uint8_t c : b) s += fmt::format("{:02x}", c);
  return s;
}

std::string sum_word(bool ok) { return ok ? "sum ok" : "sum BAD"; }

// ICMP, UDP or TCP over IPv4; `seg` is the IP payload as captured, `seg_len` what the IP
// header says it is; `whole` false for fragments.
std::string l4_text(const uplane::net::Ipv4& ip, Span seg, std::size_t seg_len, bool whole) {
  namespace net = uplane::net;
  const bool complete = whole && seg.size() >= seg_len;
  const Span full = seg.first(std::min(seg.size(), seg_len));
  switch (ip.protocol) {
    case net::kIpProtoIcmp: {
      const net::Icmp* h = net::icmp_header(full);
      if (h == nullptr) return "icmp truncated";
      std::string s = fmt::format("icmp {}/{}", h->type, h->code);
      if (h->type == net::kIcmpEchoRequest || h->type == net::kIcmpEchoReply)
        s += fmt::format(" id {} seq {}", h->echo_id().to_host(), h->echo_sequence().to_host());
      else
        s += fmt::format(" rest {:08x}", h->rest.to_host());
      s += complete ? " " + sum_word(!net::internet_checksum(full)) : " sum ?";
      return s;
    }
    case net::kIpProtoUdp: {
      const net::Udp* h = net::udp_header(full);
      if (h == nullptr) return "udp truncated";
      std::string s = fmt::format("udp {}>{} len {}", h->src_port.to_host(), h->dst_port.to_host(),
                                  h->length.to_host());
      if (!h->checksum)
        s += " sum none";
      else if (!complete)
        s += " sum ?";
      else
        s += " " + sum_word(!net::l4_checksum(ip.src, ip.dst, ip.protocol, full));
      return s;
    }
    case net::kIpProtoTcp: {
      const net::Tcp* h = net::tcp_header(full);
      if (h == nullptr) return "tcp truncated";
      std::string flags;
      const char* names = "FSRPAUEC";
      for (int i = 0; i < 8; ++i)
        if (h->flags & (1 << i)) flags += names[i];
      if (flags.empty()) flags = "-";
      std::string s = fmt::format("tcp {}>{} {} seq {} ack {} win {} hl {}", h->src_port.to_host(),
                                  h->dst_port.to_host(), flags, h->seq.to_host(), h->ack.to_host(),
                                  h->window.to_host(), h->header_length());
      s += complete ? " " + sum_word(!net::l4_checksum(ip.src, ip.dst, ip.protocol, full))
                    : " sum ?";
      return s;
    }
    default:
      return {};
  }
}

// IPv4 from `b` on; appends layers to `out`. Returns how many bytes the IP datagram
// claims (for Ethernet padding), or 0 when it could not be decoded.
std::size_t ipv4_text(Span b, std::string& out) {
  namespace net = uplane::net;
  if (b.size() < 1) {
    out += "; ip truncated";
    return 0;
  }
  const unsigned version = b[0] >> 4;
  if (version == 6) {
    const net::Ipv6* h = net::ipv6_header(b);
    if (h == nullptr) {
      out += "; ip6 truncated";
      return 0;
    }
    out += fmt::format("; ip6 {}>{} nh {} hlim {} plen {}", h->src.to_string(), h->dst.to_string(),
                       h->next_header, h->hop_limit, h->payload_length.to_host());
    return net::Ipv6::kLength + h->payload_length.to_host();
  }
  if (version != 4) {
    out += fmt::format("; ip version {}", version);
    return 0;
  }
  if (b.size() < net::Ipv4::kMinLength) {
    out += "; ip truncated";
    return 0;
  }
  const auto* ip = reinterpret_cast<const net::Ipv4*>(b.data());
  const std::size_t hl = ip->header_length();
  std::string s =
      fmt::format("; ip {}>{} p {} ttl {} len {} id {} off {}", ip->src.to_string(),
                  ip->dst.to_string(), ip->protocol, ip->ttl, ip->total_length.to_host(),
                  ip->id.to_host(), ip->fragment_offset() * 8);
  if (ip->dont_fragment()) s += " DF";
  if (ip->more_fragments()) s += " MF";
  if (ip->frag_off & be16_t::from_host(0x8000)) s += " RF";
  if (ip->tos != 0) s += fmt::format(" tos {:#04x}", ip->tos);
  if (hl != net::Ipv4::kMinLength) s += fmt::format(" hl {}", hl);
  if (hl < net::Ipv4::kMinLength || hl > b.size()) {
    out += s + " sum ?";
    return 0;
  }
  s += " " + sum_word(net::ipv4_header_checksum_ok(*ip));
  out += s;
  const std::size_t total = ip->total_length.to_host();
  if (total < hl) return 0;
  const bool whole = !ip->is_fragment();
  if (ip->fragment_offset() == 0) {
    std::string l4 = l4_text(*ip, b.subspan(hl), total - hl, whole);
    if (!l4.empty()) out += "; " + l4;
  }
  return total;
}

std::string arp_text(Span b) {
  namespace net = uplane::net;
  if (b.size() < sizeof(net::Arp)) return "; arp truncated";
  const auto* a = reinterpret_cast<const net::Arp*>(b.data());
  const std::uint16_t op = a->opcode.to_host();
  const std::string opname = op == 1 ? "request" : op == 2 ? "reply" : fmt::format("op {}", op);
  std::string s =
      fmt::format("; arp {} {} {} > {} {}", opname, a->sender_mac.to_string(),
                  a->sender_ip.to_string(), a->target_mac.to_string(), a->target_ip.to_string());
  if (net::arp_header(b) == nullptr)
    s += fmt::format(" (hrd {} pro {:04x} hln {} pln {})", a->hardware_type.to_host(),
                     a->protocol_type.to_host(), a->hardware_length, a->protocol_length);
  return s;
}

std::string ether_text(Span b) {
  namespace net = uplane::net;
  const net::Ethernet* e = net::ethernet_header(b);
  if (e == nullptr) return " eth truncated";
  std::string s = fmt::format(" eth {}>{}", e->src.to_string(), e->dst.to_string());
  std::uint16_t type = e->ether_type.to_host();
  std::size_t off = sizeof(net::Ethernet);
  while (type == 0x8100 || type == 0x88a8) {
    const net::Vlan* v = net::vlan_header(b.subspan(off));
    if (v == nullptr) return s + fmt::format(" {:04x}; vlan truncated", type);
    s += fmt::format(" {:04x}; vlan {} pcp {}{}", type, v->vid(), v->pcp(), v->dei() ? " dei" : "");
    type = v->ether_type.to_host();
    off += sizeof(net::Vlan);
  }
  s += fmt::format(" {:04x}", type);
  const Span rest = b.subspan(off);
  std::size_t used = 0;
  if (type == 0x0800 || type == 0x86dd) {
    used = ipv4_text(rest, s);
  } else if (type == 0x0806) {
    s += arp_text(rest);
    used = std::min(rest.size(), sizeof(net::Arp));
  } else {
    used = rest.size();
  }
  if (used != 0 && rest.size() > used) s += fmt::format("; pad {}", rest.size() - used);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: golden_pcap_text FILE.pcap\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_open_offline(argv[1], errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "golden_pcap_text: %s\n", errbuf);
    return 1;
  }
  const int dlt = pcap_datalink(p);
  const char* name = pcap_datalink_val_to_name(dlt);
  std::printf("# linktype %s snaplen %d\n", name != nullptr ? name : "?", pcap_snapshot(p));
  pcap_pkthdr* h = nullptr;
  const u_char* d = nullptr;
  int r = 0;
  unsigned n = 0;
  while ((r = pcap_next_ex(p, &h, &d)) == 1) {
    const Span b(d, h->caplen);
    std::string line = fmt::format("{} {}B", ++n, h->caplen);
    if (h->len != h->caplen) line += fmt::format(" (wire {}B)", h->len);
    if (dlt == DLT_EN10MB) {
      line += ether_text(b);
    } else if (dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6) {
      std::string s;
      const std::size_t used = ipv4_text(b, s);
      line += s.empty() ? s : " " + s.substr(2);
      if (used != 0 && b.size() > used) line += fmt::format("; pad {}", b.size() - used);
    }
    line += " | " + hex(b);
    std::puts(line.c_str());
  }
  int status = 0;
  if (r != PCAP_ERROR_BREAK) {
    std::printf("# error: %s\n", pcap_geterr(p));
    status = 1;
  }
  std::printf("# %u packets\n", n);
  pcap_close(p);
  return status;
}
