#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "net/arp.h"
#include "net/ether.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/l4.h"
#include "net/vxlan.h"

namespace uplane::net {
namespace {

// The wire layouts, restated here so that a change to a header shows up as a test change.
static_assert(sizeof(EtherAddr) == 6);
static_assert(sizeof(Ethernet) == 14 && offsetof(Ethernet, ether_type) == 12);
static_assert(sizeof(Vlan) == 4 && offsetof(Vlan, ether_type) == 2);
static_assert(sizeof(Arp) == 28 && offsetof(Arp, sender_mac) == 8 &&
              offsetof(Arp, target_ip) == 24);
static_assert(sizeof(Ipv4Addr) == 4);
static_assert(sizeof(Ipv4) == 20 && offsetof(Ipv4, ttl) == 8 && offsetof(Ipv4, checksum) == 10 &&
              offsetof(Ipv4, src) == 12 && offsetof(Ipv4, dst) == 16);
static_assert(sizeof(Ipv6Addr) == 16);
static_assert(sizeof(Ipv6) == 40 && offsetof(Ipv6, next_header) == 6 && offsetof(Ipv6, src) == 8 &&
              offsetof(Ipv6, dst) == 24);
static_assert(sizeof(Icmp) == 8 && offsetof(Icmp, checksum) == 2);
static_assert(sizeof(Udp) == 8 && offsetof(Udp, checksum) == 6);
static_assert(sizeof(Tcp) == 20 && offsetof(Tcp, flags) == 13 && offsetof(Tcp, checksum) == 16);
static_assert(sizeof(Vxlan) == 8 && offsetof(Vxlan, vni_reserved) == 4);
// Every wire struct can sit at any byte of a packet, and is a plain bag of bytes.
static_assert(alignof(Ethernet) == 1 && alignof(Vlan) == 1 && alignof(Arp) == 1 &&
              alignof(Ipv4) == 1 && alignof(Ipv6) == 1 && alignof(Icmp) == 1 && alignof(Udp) == 1 &&
              alignof(Tcp) == 1 && alignof(Vxlan) == 1);
static_assert(std::is_trivially_copyable_v<Ethernet> && std::is_trivially_copyable_v<Arp> &&
              std::is_trivially_copyable_v<Ipv4> && std::is_trivially_copyable_v<Ipv6> &&
              std::is_trivially_copyable_v<Tcp> && std::is_trivially_copyable_v<Vxlan>);
static_assert(std::is_standard_layout_v<Ipv4> && std::is_standard_layout_v<Ipv6>);

using Bytes = std::vector<std::uint8_t>;

// Ethernet (14) + IPv4 (20) + UDP (8) + 4 bytes of payload. The IPv4 header is the one whose
// checksum checksum_test.cc checks (0xb861).
const Bytes kFrame = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55,                          // Ethernet dst
    0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,                          // Ethernet src
    0x08, 0x00,                                                  // IPv4
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,  // IPv4
    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,  //
    0x04, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00,              // UDP 1024 -> 53, length 12
    'a',  'b',  'c',  'd',                                       // payload
};

// Copies `b` to an odd address so that every access below is misaligned for any type that
// asks for natural alignment (UBSan checks it in the dev preset).
class Misaligned {
 public:
  explicit Misaligned(std::span<const std::uint8_t> b) {
    storage_.reserve(b.size() + 1);
    storage_.push_back(0);
    storage_.insert(storage_.end(), b.begin(), b.end());
  }
  std::span<std::uint8_t> span() { return std::span(storage_).subspan(1); }
  std::span<const std::uint8_t> cspan() { return span(); }

 private:
  std::vector<std::uint8_t> storage_;
};

TEST(Headers, ReadsARealFrame) {
  Misaligned m(kFrame);
  auto b = m.cspan();
  const Ethernet* eth = ethernet_header(b);
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->dst.to_string(), "00:11:22:33:44:55");
  EXPECT_EQ(eth->src.to_string(), "02:aa:bb:cc:dd:ee");
  EXPECT_EQ(eth->ether_type, kEtherTypeIpv4);

  const Ipv4* ip = ipv4_header(b.subspan(sizeof(Ethernet)));
  ASSERT_NE(ip, nullptr);
  EXPECT_EQ(ip->version(), 4);
  EXPECT_EQ(ip->ihl(), 5);
  EXPECT_EQ(ip->header_length(), 20u);
  EXPECT_EQ(ip->total_length.to_host(), 0x73);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_EQ(ip->fragment_offset(), 0);
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl, 64);
  EXPECT_EQ(ip->protocol, kIpProtoUdp);
  EXPECT_EQ(ip->checksum.to_host(), 0xb861);
  EXPECT_EQ(ip->src, Ipv4Addr::from_octets(192, 168, 0, 1));
  EXPECT_EQ(ip->dst.to_string(), "192.168.0.199");

  const Udp* udp = udp_header(b.subspan(sizeof(Ethernet) + ip->header_length()));
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->src_port.to_host(), 1024);
  EXPECT_EQ(udp->dst_port.to_host(), 53);
  EXPECT_EQ(udp->length.to_host(), 12);
}

TEST(Headers, MutableAccessWritesThrough) {
  Misaligned m(kFrame);
  auto b = m.span();
  Ethernet* eth = ethernet_header(b);
  ASSERT_NE(eth, nullptr);
  eth->ether_type = kEtherTypeIpv6;
  EXPECT_EQ(b[12], 0x86);
  EXPECT_EQ(b[13], 0xdd);
  Ipv4* ip = ipv4_header(b.subspan(sizeof(Ethernet)));
  ASSERT_NE(ip, nullptr);
  --ip->ttl;
  ip->dst = Ipv4Addr::from_octets(10, 0, 0, 1);
  EXPECT_EQ(b[14 + 8], 63);
  EXPECT_EQ(b[14 + 16], 10);
  EXPECT_EQ(b[14 + 19], 1);
}

TEST(Headers, Ipv4FragmentFields) {
  Ipv4 ip{};
  ip.set_version_ihl();
  EXPECT_EQ(ip.version_ihl, 0x45);
  ip.frag_off = be16_t::from_host(0x2000 | 185);  // MF, offset 185 * 8 = 1480
  EXPECT_TRUE(ip.more_fragments());
  EXPECT_FALSE(ip.dont_fragment());
  EXPECT_EQ(ip.fragment_offset(), 185);
  EXPECT_TRUE(ip.is_fragment());
  ip.frag_off = be16_t::from_host(185);  // last fragment
  EXPECT_TRUE(ip.is_fragment());
  ip.frag_off = be16_t::from_host(0x2000);  // first fragment
  EXPECT_TRUE(ip.is_fragment());
  EXPECT_EQ(ip.fragment_offset(), 0);
  ip.frag_off = kIpv4DontFragment;
  EXPECT_FALSE(ip.is_fragment());
  ip.tos = 0xb9;  // DSCP 46 (EF), ECN 1
  EXPECT_EQ(ip.dscp(), 46);
  EXPECT_EQ(ip.ecn(), 1);
  ip.set_version_ihl(24);
  EXPECT_EQ(ip.ihl(), 6);
  EXPECT_EQ(ip.header_length(), 24u);
}

TEST(Headers, Ipv4AccessRejectsTruncatedAndInvalid) {
  Bytes ip(kFrame.begin() + 14, kFrame.begin() + 34);
  for (std::size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(ipv4_header(std::span<const std::uint8_t>(ip).first(n)), nullptr) << n << " bytes";
  }
  EXPECT_NE(ipv4_header(std::span<const std::uint8_t>(ip)), nullptr);

  for (std::uint8_t v : {0, 1, 5, 6, 15}) {
    Bytes bad = ip;
    bad[0] = static_cast<std::uint8_t>(v << 4 | 5);
    EXPECT_EQ(ipv4_header(std::span<const std::uint8_t>(bad)), nullptr) << "version " << +v;
  }
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    Bytes bad = ip;
    bad[0] = static_cast<std::uint8_t>(0x40 | ihl);
    EXPECT_EQ(ipv4_header(std::span<const std::uint8_t>(bad)), nullptr) << "ihl " << +ihl;
  }
  // IHL 6..15 needs 24..60 bytes: rejected until the buffer holds the options.
  for (std::uint8_t ihl = 6; ihl <= 15; ++ihl) {
    Bytes opt = ip;
    opt[0] = static_cast<std::uint8_t>(0x40 | ihl);
    opt.resize(ihl * 4u - 1);
    EXPECT_EQ(ipv4_header(std::span<const std::uint8_t>(opt)), nullptr) << "ihl " << +ihl;
    opt.push_back(0);
    Misaligned m(opt);
    const Ipv4* h = ipv4_header(m.cspan());
    ASSERT_NE(h, nullptr) << "ihl " << +ihl;
    EXPECT_EQ(h->header_length(), ihl * 4u);
    EXPECT_EQ(ipv4_header(m.span()), h);
  }
}

TEST(Headers, Ipv6) {
  Bytes b(40);
  auto* ip = ipv6_header(std::span(b));
  EXPECT_EQ(ip, nullptr);  // version 0
  b[0] = 0x60;
  ip = ipv6_header(std::span(b));
  ASSERT_NE(ip, nullptr);
  ip->set_vtc_flow(0xb8, 0xabcde);
  EXPECT_EQ(b[0], 0x6b);
  EXPECT_EQ(b[1], 0x8a);
  EXPECT_EQ(b[2], 0xbc);
  EXPECT_EQ(b[3], 0xde);
  EXPECT_EQ(ip->version(), 6);
  EXPECT_EQ(ip->traffic_class(), 0xb8);
  EXPECT_EQ(ip->flow_label(), 0xabcdeu);
  ip->payload_length = be16_t::from_host(8);
  ip->next_header = kIpProtoUdp;
  ip->hop_limit = 64;
  ip->src = Ipv6Addr::parse("2001:db8::1").value();
  EXPECT_EQ(b[8], 0x20);
  EXPECT_EQ(b[23], 0x01);
  for (std::size_t n = 0; n < 40; ++n) {
    EXPECT_EQ(ipv6_header(std::span<const std::uint8_t>(b).first(n)), nullptr) << n;
  }
  for (std::uint8_t v : {0, 4, 7, 15}) {
    Bytes bad = b;
    bad[0] = static_cast<std::uint8_t>(v << 4);
    EXPECT_EQ(ipv6_header(std::span<const std::uint8_t>(bad)), nullptr) << "version " << +v;
  }
}

TEST(Headers, VlanTci) {
  Bytes b = {0xa0, 0x64, 0x08, 0x00};  // PCP 5, DEI 0, VID 100, then IPv4
  Misaligned m(b);
  Vlan* v = vlan_header(m.span());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->pcp(), 5);
  EXPECT_FALSE(v->dei());
  EXPECT_EQ(v->vid(), 100);
  EXPECT_EQ(v->ether_type, kEtherTypeIpv4);
  v->set_dei(true);
  EXPECT_TRUE(v->dei());
  EXPECT_EQ(v->pcp(), 5);
  EXPECT_EQ(v->vid(), 100);
  v->set_vid(0xfff);
  v->set_pcp(7);
  EXPECT_EQ(v->tci.to_host(), 0xffff);
  v->set_vid(0x1234);  // masked to 12 bits
  EXPECT_EQ(v->vid(), 0x234);
  v->set_pcp(0);
  v->set_dei(false);
  EXPECT_EQ(v->tci.to_host(), 0x0234);
  EXPECT_EQ(vlan_header(m.cspan().first(3)), nullptr);
}

TEST(Headers, EthernetRunts) {
  for (std::size_t n = 0; n < 14; ++n) {
    EXPECT_EQ(ethernet_header(std::span<const std::uint8_t>(kFrame).first(n)), nullptr) << n;
  }
  EXPECT_NE(ethernet_header(std::span<const std::uint8_t>(kFrame).first(14)), nullptr);
}

TEST(Headers, Arp) {
  const Bytes request = {
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // Ethernet/IPv4, request
      0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,              // sender MAC
      0xc0, 0xa8, 0x00, 0x01,                          // sender IP
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,              // target MAC
      0xc0, 0xa8, 0x00, 0xc7,                          // target IP
  };
  Misaligned m(request);
  const Arp* arp = arp_header(m.cspan());
  ASSERT_NE(arp, nullptr);
  EXPECT_EQ(arp->opcode, kArpOpRequest);
  EXPECT_EQ(arp->sender_mac.to_string(), "02:aa:bb:cc:dd:ee");
  EXPECT_EQ(arp->sender_ip.to_string(), "192.168.0.1");
  EXPECT_TRUE(arp->target_mac.is_zero());
  EXPECT_EQ(arp->target_ip, Ipv4Addr::from_octets(192, 168, 0, 199));
  for (std::size_t n = 0; n < 28; ++n) {
    EXPECT_EQ(arp_header(std::span<const std::uint8_t>(request).first(n)), nullptr) << n;
  }
  for (std::size_t field : {1, 2, 4, 5}) {  // hardware type, protocol type, lengths
    Bytes bad = request;
    bad[field] ^= 0x01;
    EXPECT_EQ(arp_header(std::span<const std::uint8_t>(bad)), nullptr) << "byte " << field;
  }
}

TEST(Headers, IcmpEcho) {
  const Bytes echo = {0x08, 0x00, 0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01};
  const Icmp* icmp = icmp_header(std::span<const std::uint8_t>(echo));
  ASSERT_NE(icmp, nullptr);
  EXPECT_EQ(icmp->type, kIcmpEchoRequest);
  EXPECT_EQ(icmp->code, 0);
  EXPECT_EQ(icmp->echo_id().to_host(), 1);
  EXPECT_EQ(icmp->echo_sequence().to_host(), 1);
  EXPECT_EQ(icmp_header(std::span<const std::uint8_t>(echo).first(7)), nullptr);
}

TEST(Headers, Udp) {
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_EQ(udp_header(std::span<const std::uint8_t>(kFrame).subspan(34, n)), nullptr) << n;
  }
}

TEST(Headers, TcpDataOffsetAndFlags) {
  Bytes syn = {
      0x30, 0x39, 0x00, 0x50,              // 12345 -> 80
      0x00, 0x00, 0x00, 0x01,              // seq 1
      0x00, 0x00, 0x00, 0x00,              // ack 0
      0x60, 0x02,                          // data offset 6, SYN
      0xff, 0xff, 0x00, 0x00, 0x00, 0x00,  // window, checksum, urgent
      0x02, 0x04, 0x05, 0xb4,              // option: MSS 1460
  };
  Misaligned m(syn);
  const Tcp* tcp = tcp_header(m.cspan());
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->src_port.to_host(), 12345);
  EXPECT_EQ(tcp->dst_port.to_host(), 80);
  EXPECT_EQ(tcp->seq.to_host(), 1u);
  EXPECT_EQ(tcp->data_offset(), 6);
  EXPECT_EQ(tcp->header_length(), 24u);
  EXPECT_TRUE(tcp->has_flags(kTcpSyn));
  EXPECT_FALSE(tcp->has_flags(kTcpSyn | kTcpAck));
  EXPECT_EQ(tcp->window.to_host(), 0xffff);

  for (std::size_t n = 0; n < 24; ++n) {
    EXPECT_EQ(tcp_header(std::span<const std::uint8_t>(syn).first(n)), nullptr) << n;
  }
  for (std::uint8_t off = 0; off < 5; ++off) {
    Bytes bad = syn;
    bad[12] = static_cast<std::uint8_t>(off << 4);
    EXPECT_EQ(tcp_header(std::span<const std::uint8_t>(bad)), nullptr) << "offset " << +off;
  }
  Bytes beyond = syn;
  beyond[12] = 0xf0;  // 60 bytes claimed, 24 present
  EXPECT_EQ(tcp_header(std::span<const std::uint8_t>(beyond)), nullptr);

  Tcp t{};
  t.set_header_length(32);
  EXPECT_EQ(t.data_offset(), 8);
  t.flags = kTcpSyn | kTcpAck;
  EXPECT_TRUE(t.has_flags(kTcpAck));
  EXPECT_TRUE(t.has_flags(kTcpSyn | kTcpAck));
  EXPECT_FALSE(t.has_flags(kTcpFin));
}

TEST(Headers, Vxlan) {
  const Bytes wire = {0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00};
  Misaligned m(wire);
  Vxlan* v = vxlan_header(m.span());
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->vni(), 0x123456u);
  v->set_vni(0xabcdef01);  // masked to 24 bits
  EXPECT_EQ(v->vni(), 0xcdef01u);
  EXPECT_EQ(m.span()[4], 0xcd);
  EXPECT_EQ(m.span()[7], 0x00);

  const Vxlan made = Vxlan::make(42);
  Bytes out(sizeof(made));
  std::memcpy(out.data(), &made, sizeof(made));
  EXPECT_EQ(out, (Bytes{0x08, 0, 0, 0, 0, 0, 42, 0}));

  Bytes no_i = wire;
  no_i[0] = 0x00;
  EXPECT_EQ(vxlan_header(std::span<const std::uint8_t>(no_i)), nullptr);
  EXPECT_EQ(vxlan_header(std::span<const std::uint8_t>(wire).first(7)), nullptr);
}

}  // namespace
}  // namespace uplane::net
