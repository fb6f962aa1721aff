#pragma once
// =c
// SetIPAddress(IPADDR [, KEYWORDS])
// =s ip
// sets destination IP address annotations
// =d
// Sets the destination IP address annotation of every packet to IPADDR, or, with ANNO, the
// named 4-byte annotation (see GetIPAddress for the names and offsets it accepts).
//
// Keywords:
//   ANNO   Annotation. Default DST_IP.
// =h addr read/write
// The address set, as a dotted quad.
// =e
//   ... -> SetIPAddress(10.0.0.1) -> ARPQuerier(...) -> ...
// =a StoreIPAddress, GetIPAddress
// =uplane
// ANNO as for GetIPAddress: DST_IP by name only, numeric offsets into Packet::user_anno.

#include "elements/ip/get_ip_address.h"
#include "graph/element.h"
#include "net/ipv4.h"

namespace uplane::elements {

class SetIPAddress final : public graph::SimpleElement<SetIPAddress> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "SetIPAddress", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept {
    anno_.set_raw(p, addr_.value.raw());
    return graph::Port{0};
  }

 private:
  net::Ipv4Addr addr_{};
  IpAnnoSlot anno_;
};

}  // namespace uplane::elements
