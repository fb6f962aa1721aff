// Fuzz target: walks whatever bytes it is given as an Ethernet frame, through every header
// accessor in net/ (Ethernet, VLAN stack, ARP, IPv4, IPv6, ICMP, UDP, TCP, VXLAN and the
// inner frame), and checks the checksum code against a byte-at-a-time reference on the
// same bytes. A failed check aborts, which is what the fuzzer reports.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "net/arp.h"
#include "net/checksum.h"
#include "net/ether.h"
#include "net/ip_proto.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/vxlan.h"

namespace {

using Bytes = std::span<const std::uint8_t>;
using namespace uplane::net;

void check(bool ok) {
  if (!ok) std::abort();
}

// RFC 1071 the slow way: big-endian 16-bit words, odd byte padded, end-around carry.
std::uint16_t reference_checksum(Bytes b) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    std::uint32_t word = std::uint32_t{b[i]} << 8;
    if (i + 1 < b.size()) word |= b[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// The 16-bit word holding TTL and protocol, as it sits in the header.
be16_t ttl_proto_word(const std::vector<std::uint8_t>& header) {
  std::uint16_t raw;
  std::memcpy(&raw, &header[8], sizeof(raw));
  return be16_t::from_raw(raw);
}

// A header pointer must lie inside the buffer it came from, with the whole header.
template <typename H>
void check_inside(const H* h, Bytes b, std::size_t len = sizeof(H)) {
  if (h == nullptr) return;
  const auto* p = reinterpret_cast<const std::uint8_t*>(h);
  check(p >= b.data() && len <= b.size() && p <= b.data() + (b.size() - len));
}

void walk_l4(std::uint8_t proto, Bytes l4, int depth);

void walk_frame(Bytes b, int depth) {
  const Ethernet* eth = ethernet_header(b);
  check_inside(eth, b);
  if (eth == nullptr) return;
  Bytes rest = b.subspan(sizeof(Ethernet));
  be16_t type = eth->ether_type;
  for (int tags = 0; tags < 4 && (type == kEtherTypeVlan || type == kEtherTypeQinQ); ++tags) {
    const Vlan* v = vlan_header(rest);
    check_inside(v, rest);
    if (v == nullptr) return;
    check(v->vid() <= Vlan::kVidMask && v->pcp() < 8);
    type = v->ether_type;
    rest = rest.subspan(sizeof(Vlan));
  }
  if (type == kEtherTypeArp) {
    check_inside(arp_header(rest), rest);
  } else if (type == kEtherTypeIpv4) {
    const Ipv4* ip = ipv4_header(rest);
    if (ip == nullptr) return;
    const std::size_t hl = ip->header_length();
    check_inside(ip, rest, hl);
    check(hl >= Ipv4::kMinLength && hl <= Ipv4::kMaxLength && ip->version() == 4);
    // The header checksum, three ways: fast, reference, and verify-by-summing.
    const Bytes hdr = rest.first(hl);
    std::vector<std::uint8_t> copy(hdr.begin(), hdr.end());
    auto* mine = reinterpret_cast<Ipv4*>(copy.data());
    mine->checksum = be16_t::from_raw(0);
    const be16_t computed = ipv4_header_checksum(*mine);
    check(computed.to_host() == reference_checksum(copy));
    mine->checksum = computed;
    check(ipv4_header_checksum_ok(*mine));
    // RFC 1624: decrementing TTL and patching the checksum equals recomputing it.
    if (mine->ttl > 0) {
      const be16_t old_word = ttl_proto_word(copy);
      --mine->ttl;
      const be16_t new_word = ttl_proto_word(copy);
      const be16_t patched = checksum_adjust16(mine->checksum, old_word, new_word);
      mine->checksum = be16_t::from_raw(0);
      check(patched == ipv4_header_checksum(*mine));
    }
    if (!ip->is_fragment() || ip->fragment_offset() == 0)
      walk_l4(ip->protocol, rest.subspan(hl), depth);
  } else if (type == kEtherTypeIpv6) {
    const Ipv6* ip6 = ipv6_header(rest);
    check_inside(ip6, rest);
    if (ip6 != nullptr) walk_l4(ip6->next_header, rest.subspan(sizeof(Ipv6)), depth);
  }
}

void walk_l4(std::uint8_t proto, Bytes l4, int depth) {
  if (proto == kIpProtoTcp) {
    const Tcp* t = tcp_header(l4);
    if (t != nullptr) check_inside(t, l4, t->header_length());
  } else if (proto == kIpProtoIcmp) {
    check_inside(icmp_header(l4), l4);
  } else if (proto == kIpProtoUdp) {
    const Udp* u = udp_header(l4);
    check_inside(u, l4);
    if (u == nullptr || depth > 0 || u->dst_port != be16_t::from_host(kVxlanUdpPort)) return;
    const Bytes vx = l4.subspan(sizeof(Udp));
    const Vxlan* v = vxlan_header(vx);
    check_inside(v, vx);
    if (v != nullptr) {
      check(v->vni() <= kVxlanMaxVni);
      walk_frame(vx.subspan(sizeof(Vxlan)), depth + 1);  // the inner frame, once
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes b(data, size);
  walk_frame(b, 0);
  // The fast checksum against the reference, over the whole input and over a split at
  // every alignment the first bytes choose.
  check(internet_checksum(b).to_host() == reference_checksum(b));
  if (size > 2) {
    const std::size_t cut = data[0] % size;
    ChecksumAccumulator acc;
    acc.add(b.first(cut)).add(b.subspan(cut));
    check(acc.checksum().to_host() == reference_checksum(b));
  }
  return 0;
}
