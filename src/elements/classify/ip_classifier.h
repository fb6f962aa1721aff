#pragma once
// =c
// IPClassifier(PATTERN_1, ..., PATTERN_N)
// =s ip
// classifies IP packets by contents
// =d
// Classifies IP packets with tcpdump(1)-like patterns. IPClassifier has N outputs, one per
// pattern; a packet goes to the output of the first pattern it matches, and is dropped when
// it matches none. Input packets must have their IP header annotation set (CheckIPHeader
// and MarkIPHeader do this); packets without one are dropped.
//
// Patterns are built from primitives:
//   ip proto PROTO          PROTO is a protocol name (icmp, igmp, ipip, tcp, udp, gre, sctp,
//                           dccp, tcpudp for either TCP or UDP, transp for any) or number.
//   [SD] host ADDR          SD is src, dst, 'src or dst' (the default) or 'src and dst':
//                           packets from and/or to ADDR.
//   [SD] net NET            NET is ADDR/BITS, ADDR/MASK or 'ADDR mask MASK'.
//   [SD] [tcp|udp] port P   TCP or UDP port P (a number or a name such as www, ssh, domain);
//                           without tcp or udp, either.
//   ip vers V, ip hl HL, ip id ID, ip len LEN, ip tos TOS, ip dscp DSCP, ip ttl TTL
//                           the IPv4 header fields (hl in 32-bit words).
//   ip ect                  ECN capable transport (either ECN bit set); 'ip ect N' compares.
//   ip ce                   ECN congestion experienced.
//   ip frag                 a fragment (more-fragments bit or a fragment offset);
//   ip unfrag               not a fragment.
//   tcp opt FLAG            FLAG (syn, fin, ack, rst, psh, urg, or a number) set.
//   tcp win WIN             the TCP window field (no scaling).
//   icmp type TYPE          a number or a name (echo, echo-reply, unreachable, redirect,
//                           sourcequench, routeradvert, routersolicit, timeexceeded,
//                           parameterproblem, timestamp, timestamp-reply, inforeq,
//                           inforeq-reply, maskreq, maskreq-reply).
//   ip[POS:LEN] VALUE       LEN (1-4) bytes from byte POS of the IP header, within one
//                           aligned 32-bit word; ip[POS] is ip[POS:1].
//   transp[POS:LEN] VALUE   the same in the transport header; tcp[..], udp[..], icmp[..]
//                           also require the protocol.
//   [SD] ether host ETH     the Ethernet source and/or destination address.
//   true, false
// Primitives combine with and, or, not (&&, ||, !), juxtaposition (meaning and), the
// ternary 'c ? a : b' (the ':' separated by spaces) and parentheses; and binds tighter
// than or.
//
// Every primitive except tcp opt takes an operator before its value: = or == (the default),
// !=, and for numbers <, >, <=, >=. 'src tcp port != 5' matches TCP packets whose source
// port is not 5, while 'not src tcp port 5' also matches non-TCP packets. Most primitives
// take a mask: 'src tcp port & 0xff00 == 0x1200', 'ip[0] & 0x0f > 5'. A value whose bytes
// lie past the end of the packet makes its primitive false.
//
// port, tcp opt, tcp win, icmp type and transport fields only match first fragments.
//
// Much can be left out: 'tcp' for 'ip proto tcp', 'www' for 'port www', 'syn' for
// 'tcp opt syn', '10.0.0.0/24' for 'net 10.0.0.0/24', 'unfrag' for 'ip unfrag'; and a
// primitive with no qualifier takes them from the one before it: 'src port 80 or 81',
// 'src host 10.0.0.1 or 10.0.0.2', 'ip ttl < 5 or > 250'. A pattern "-", "any", "all" or
// empty matches every packet.
//
// A warning is logged for an output no packet can reach. The number of patterns must equal
// the number of outputs.
// =h program read-only
// The compiled program (see IPFilter).
// =h patternN read/write
// Pattern N (pattern0, pattern1 ...) as configured. Writing one recompiles the element with
// the new pattern; a pattern that does not compile leaves the element unchanged.
// =e
//   IPClassifier(10.0.0.0/24 and syn,
//                10.0.0.0/24 and fin ack,
//                10.0.0.0/24 and tcp,
//                -);
// sends TCP SYNs from net 10.0.0.x to output 0, their FIN+ACKs to output 1, their other TCP
// packets to output 2, and everything else to output 3.
//
//   IPClassifier(dst tcp port 8000 or 8080, dst tcp port > 1023, tcp);
// sends TCP to port 8000 or 8080 to output 0, TCP to other ports above 1023 to output 1,
// other TCP to output 2, and drops the rest.
// =a IPFilter, Classifier, CheckIPHeader, MarkIPHeader
// =uplane
// As IPFilter's: names from Click's built-in tables only, no AddressInfo names, 'ether host'
// needs the Ethernet header still in the packet, packets without a network header are
// dropped (bad_header). Writing patternN does not change the element's "config" handler.

#include <string>
#include <vector>

#include "base/status.h"
#include "elements/classify/classify_element.h"

namespace uplane::elements {

class IPClassifier final : public ClassifyElement {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "IPClassifier", .ports = "1/-", .processing = "h/h"};
  IPClassifier() : ClassifyElement(Input::kIp) {}
  Status configure(graph::Args& args) override;
  void add_handlers() override;

 private:
  std::vector<std::string> patterns_;
};

}  // namespace uplane::elements
