#pragma once
// =c
// ICMPError(SRC, TYPE [, CODE, BADADDRS, KEYWORDS])
// =s icmp
// generates ICMP error packets
// =d
// Generates an ICMP error packet, with type TYPE and code CODE, in response to an incoming
// IP packet (network header annotation set). The output is a new IP/ICMP packet from SRC to
// the incoming packet's source, with TTL 200, TOS 0 and an IP ID that counts up from 1; its
// payload is the incoming packet from its IP header on, as much as fits in MTU bytes. The
// output's network header and destination IP annotations are set (the destination is the
// error's destination) and, unless SET_FIX_ANNO is false, its fix_ip_src annotation. The
// incoming packet is consumed.
//
// TYPE and CODE are integers 0-255 or names; CODE defaults to 0. TYPE must be an error
// type: unreachable (3), sourcequench (4), redirect (5), timeexceeded (11),
// parameterproblem (12). Code names: for unreachable net (0), host (1), protocol (2), port
// (3), needfrag (4), srcroutefail (5), netunknown (6), hostunknown (7), isolated (8),
// netprohibited (9), hostprohibited (10), tosnet (11), toshost (12), filterprohibited (13),
// hostprecedence (14), precedencecutoff (15); for redirect net, host, tosnet, toshost; for
// timeexceeded transit (0), reassembly (1); for parameterproblem erroratptr (0),
// missingopt (1), length (2).
//
// As RFC 1812 4.3.2.7 asks, no error is sent (the packet is dropped as kFiltered) in
// response to: an ICMP error (types 3, 4, 5, 11, 12); a destination that is not unicast
// (255.255.255.255, 224.0.0.0/4, or in BADADDRS); a link-level broadcast or multicast
// (packet type annotation); a source that is not a valid unicast host (255.255.255.255,
// 224.0.0.0/4, 0.0.0.0/8, 127.0.0.0/8, 240.0.0.0/4, or in BADADDRS); a fragment other than
// the first; and, for a redirect, a packet carrying a source route (RFC 1812 5.2.7.2).
//
// Type parameterproblem, code erroratptr, takes the pointer from the packet's ICMP
// parameter problem annotation (set by IPGWOptions). Type redirect takes the gateway
// address from the destination IP annotation. Type unreachable, code needfrag, reports
// PMTU as the next-hop MTU (RFC 1191). If the incoming packet carries a valid source route
// (LSRR or SSRR), the error carries the route travelled so far, reversed (RFC 1812
// 4.3.2.6), unless the parameter problem concerns the source route option itself.
//
// Keywords:
//   BADADDRS      Space-separated IP addresses that are never valid sources or
//                 destinations (this subnet's broadcast addresses, usually).
//   MTU           Unsigned, 68-65535. The largest error packet made. Default 576
//                 (RFC 1812 4.3.2.3).
//   PMTU          Unsigned, 0-65535. The next-hop MTU reported by unreachable/needfrag.
//                 Default 0.
//   SET_FIX_ANNO  Boolean. Set the fix_ip_src annotation on the errors. Default true.
//                 USE_FIX_ANNO, the name Click's documentation gives, is accepted too.
// Drop reasons: kFiltered (an error must not be sent, see above); kBadHeader (no network
// header annotation, or IHL below 5); kTooShort (the IP header, or an ICMP packet's first 4
// bytes, runs past the packet); kNoMemory (the pool was empty).
// =h src read/write
// SRC, as a dotted quad.
// =h mtu read/write
// MTU.
// =h pmtu read/write
// PMTU.
// =e
//   dt :: DecIPTTL;
//   dt[1] -> ICMPError(18.26.4.24, timeexceeded) -> m :: RatedSplitter(10) -> ...
//   m[1] -> Discard;
// =a DecIPTTL, FixIPSrc, IPGWOptions, IPFragmenter
// =uplane
// The IP ID counter is per element (Click shares one across all ICMPError elements). MTU
// must be at least 68, the largest IP header plus 8 bytes, and fit the pool's frames
// (Click accepts any value and misbehaves below 28). uplane keeps annotations Click stores
// in its annotation area at the same offsets of Packet::user_anno: the parameter problem
// pointer is user_anno byte 17 and fix_ip_src is user_anno byte 19 (Click's
// ICMP_PARAMPROB_ANNO and FIX_IP_SRC_ANNO offsets). The output's timestamp is now_ns()
// (monotonic), where Click uses the wall clock. Packets ICMPError refuses are counted as
// drops with a reason; Click frees them silently. Malformed packets that Click would read
// past the end of are dropped (reasons above).

#include <cstdint>
#include <vector>

#include "graph/element.h"
#include "net/ipv4.h"

namespace uplane::elements {

// Click's annotation offsets, inside Packet::user_anno.
inline constexpr std::uint32_t kIcmpParamProbAnnoOffset = 17;
inline constexpr std::uint32_t kFixIpSrcAnnoOffset = 19;

class ICMPError final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "ICMPError", .ports = "1/1", .processing = "a/a"};
  static constexpr std::uint32_t kMinMtu = 68;

  Status configure(graph::Args& args) override;
  Status initialize() override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  void pull(int port, graph::Batch& out, std::uint32_t max) noexcept override;

 private:
  // The error for p, or nullptr when none is sent (p dropped with its reason). Consumes p.
  graph::Packet* respond(graph::Packet* p) noexcept;
  bool unicast(net::Ipv4Addr a) const noexcept;
  bool valid_source(net::Ipv4Addr a) const noexcept;
  Status check_mtu(std::uint32_t mtu) const;

  net::Ipv4Addr src_{};
  std::uint8_t type_ = 0;
  std::uint8_t code_ = 0;
  std::vector<net::Ipv4Addr> bad_addrs_;
  std::uint32_t mtu_ = 576;
  std::uint32_t pmtu_ = 0;
  bool set_fix_anno_ = true;
  std::uint16_t next_id_ = 1;
};

}  // namespace uplane::elements
