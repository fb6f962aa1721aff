#pragma once
// =c
// EtherEncap(ETHERTYPE, SRC, DST)
// =s ethernet
// encapsulates packets in Ethernet header
// =d
// Prepends to each packet the 14-byte Ethernet header given by the arguments: destination
// address DST, source address SRC and type ETHERTYPE (a 16-bit number in host order, such as
// 0x0800 for IPv4). The network header annotation is left as it was.
//
// For IP packets whose next hop must be resolved, use ARPQuerier instead.
// =h src read/write
// The SRC address, printed as Click prints Ethernet addresses ("00-1A-2B-3C-4D-5E").
// =h dst read/write
// The DST address.
// =h ethertype read/write
// The ETHERTYPE, in decimal.
// =h etht read/write
// The same as ethertype (deprecated in Click).
// =e
// Encapsulates in an Ethernet header of type IPv4 (0x0800), source 1:1:1:1:1:1, destination
// 2:2:2:2:2:2:
//
//   EtherEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2)
// =a EtherVLANEncap, EtherRewrite, ARPQuerier
// =uplane
// The header goes in the frame's headroom. A packet without 14 bytes of headroom is dropped
// (no_room), where Click would copy it into a larger buffer; packets from uplane's pools always
// have 128 bytes of headroom, so this happens only after something else used it up. A write
// to a handler changes the value at once; the config handler keeps showing the configuration
// as written.

#include "graph/element.h"
#include "net/ether.h"

namespace uplane::elements {

class EtherEncap final : public graph::SimpleElement<EtherEncap> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "EtherEncap", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  // Output 0 with the header prepended, or a drop (no_room).
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  net::Ethernet header_{};
};

}  // namespace uplane::elements
