#pragma once
// =c
// EtherRewrite(SRC, DST)
// =s ethernet
// rewrites source and destination Ethernet address
// =d
// Overwrites the source address of each packet's Ethernet header with SRC and the
// destination address with DST. The EtherType and everything after it are left alone.
//
// Useful where a link has only one possible next hop (a transparent firewall, say), so
// that the addresses are the same for every packet leaving on it.
// =h src read/write
// The SRC address, printed as Click prints Ethernet addresses ("00-1A-2B-3C-4D-5E").
// =h dst read/write
// The DST address.
// =e
// Every packet passing leaves with source 1:1:1:1:1:1 and destination 2:2:2:2:2:2:
//
//   EtherRewrite(1:1:1:1:1:1, 2:2:2:2:2:2)
// =a EtherEncap, EtherVLANEncap, ARPQuerier
// =uplane
// The header rewritten is the one at the start of the packet data (Click writes at the MAC
// header annotation, which uplane does not keep; for packets straight off a device they are
// the same place). A packet shorter than 14 bytes is dropped (too_short), where Click would
// write past its end. The config handler keeps showing the configuration as written after a
// handler write.

#include "graph/element.h"
#include "net/ether.h"

namespace uplane::elements {

class EtherRewrite final : public graph::SimpleElement<EtherRewrite> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "EtherRewrite", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  // Output 0 with both addresses replaced, or a drop (too_short).
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  net::EtherAddr src_{};
  net::EtherAddr dst_{};
};

}  // namespace uplane::elements
