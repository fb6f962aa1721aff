#pragma once
// =c
// VLANDecap([ANNO, KEYWORDS])
// =s ethernet
// strips VLAN information from Ethernet packets
// =d
// Expects Ethernet packets that may carry an 802.1Q tag. When the EtherType after the
// source address is the tag type (ETHERTYPE), the 4-byte tag is removed, leaving a plain
// Ethernet packet whose type is the tag's inner type. Other packets pass unchanged.
//
// Keywords:
//   ANNO       Boolean. When true (the default), the VLAN TCI annotation is set to the tag's
//              TCI, or to 0 when the packet had no tag.
//   ETHERTYPE  The EtherType that marks a tag: 0x8100 (802.1Q, the default), 0x88a8
//              (802.1ad, QinQ) or 0x9100 (older non-standard tags).
// =e
//   FromDevice(eth0.trunk) -> VLANDecap -> ...
// =a VLANEncap, EtherVLANEncap
// =uplane
// A packet shorter than an Ethernet header (14 bytes), or marked as tagged but shorter than
// 18 bytes, is dropped (too_short); Click would read past its end. The TCI annotation is kept
// in host byte order (Click keeps it in network order; elements read it through accessors,
// so configurations see no difference).

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class VLANDecap final : public graph::SimpleElement<VLANDecap> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "VLANDecap", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  // Output 0, untagged; or a drop (too_short).
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  bool anno_ = true;
  std::uint16_t tag_type_ = 0x8100;
};

}  // namespace uplane::elements
