#pragma once
// =c
// IPFilter(ACTION_1 PATTERN_1, ..., ACTION_N PATTERN_N)
// =s ip
// filters IP packets by contents
// =d
// Filters IP packets. IPFilter has any number of filters, which are ACTION-PATTERN pairs.
// The ACTIONs say what to do with packets; the PATTERNs are tcpdump(1)-like patterns, whose
// syntax IPClassifier describes. Packets are tested against the filters in order and are
// processed according to the ACTION of the first filter that matched; a packet no filter
// matches is dropped.
//
// Each ACTION is an output port number, which sends the packet out of that port; "allow",
// which means 0; or "drop", which drops the packet. "deny" also means drop (it once meant
// output 1; a warning is logged when the element has more than one output). A filter with
// no PATTERN, or with "-", "any" or "all", matches every packet.
//
// IPFilter has any number of outputs. Input packets must have their IP header annotation
// set (CheckIPHeader and MarkIPHeader do this); packets without one are dropped.
//
// Every IPFilter has an equivalent IPClassifier and vice versa; use whichever reads better.
// =h program read-only
// The compiled program, one instruction per line, as Classifier's: the word at an offset
// from the IP header ("ip+N"), the transport header ("transp+N") or the link header
// ("ether+N"), ANDed with a mask and compared with a value; where to go when equal (yes)
// or not (no); [N] is an output, [X] a drop.
// =e
//   IPFilter(allow src host 10.0.0.1 && tcp && dst port 22,
//            1 icmp type echo,
//            deny all)
// sends SSH from 10.0.0.1 out of output 0, pings out of output 1, and drops the rest.
// =a IPClassifier, Classifier, CheckIPHeader, MarkIPHeader
// =uplane
// Names for protocols, ports, TCP flags and ICMP types come from Click's built-in tables
// only (not /etc/services); AddressInfo names are not supported. 'ether host' reads the
// packet data before the network header (uplane has no MAC header annotation), so it only
// matches packets that still carry their Ethernet header. A packet without a network header
// annotation is dropped and counted (bad_header) where Click would crash. Relational
// operators on 'ip proto tcpudp' work ('ip proto != tcpudp' is not "everything"), and a
// relational operator with no value after it is an error. Numbers up to 0xffffffff are
// accepted where Click stops at 2^31-1.

#include "base/status.h"
#include "elements/classify/classify_element.h"

namespace uplane::elements {

class IPFilter final : public ClassifyElement {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "IPFilter", .ports = "1/-", .processing = "h/h"};
  IPFilter() : ClassifyElement(Input::kIp) {}
  Status configure(graph::Args& args) override;
};

}  // namespace uplane::elements
