#pragma once
// =c
// VLANEncap([VLAN_TCI, VLAN_PCP, KEYWORDS])
// =s ethernet
// adds VLAN information to Ethernet packets
// =d
// Expects Ethernet packets. Inserts a 4-byte 802.1Q tag after the source address, so the
// packet becomes an Ethernet packet of type 0x8100 (or ETHERTYPE) whose tag carries the VLAN
// TCI and then the original EtherType.
//
// VLAN_TCI is the whole 16-bit TCI (priority, DEI and VLAN ID), or the word ANNO: then each
// packet's VLAN TCI annotation gives the TCI. The VLAN ID and priority may also be given
// with the VLAN_ID and VLAN_PCP keywords. The TCI written is VLAN_TCI (when a number) or
// else VLAN_ID, with VLAN_PCP shifted into the top three bits (ORed in).
//
// To prepend a whole tagged Ethernet header, use EtherVLANEncap.
//
// Keywords:
//   VLAN_ID      0-0xFFF. The VLAN ID when VLAN_TCI is not given. Default 0.
//   VLAN_PCP     0-7. The priority code point. Default 0.
//   NATIVE_VLAN  -1-0xFFF. When the packet's VLAN ID equals NATIVE_VLAN, no tag is added
//                and the packet passes unchanged. -1 means no native VLAN. Default 0.
//   ETHERTYPE    The EtherType that marks a tag: 0x8100 (802.1Q, the default), 0x88a8
//                (802.1ad, QinQ) or 0x9100 (older non-standard tags).
// =h config read-only
// The configuration: "VLAN_ID id, VLAN_PCP pcp" or "ANNO", then ", NATIVE_VLAN n" unless it
// is 0, then ", ETHERTYPE t" unless it is 0x8100.
// =h vlan_tci read/write
// The TCI written (decimal), or ANNO.
// =h vlan_id read/write
// The VLAN_ID keyword's value.
// =h vlan_pcp read/write
// The VLAN_PCP value.
// =h native_vlan read/write
// The NATIVE_VLAN value.
// =h ethertype read/write
// The tag's EtherType, in decimal.
// =e
//   ... -> VLANEncap(VLAN_ID 10, VLAN_PCP 3) -> ToDevice(eth0.trunk)
// =a EtherVLANEncap, VLANDecap
// =uplane
// A packet shorter than an Ethernet header (14 bytes) is dropped (too_short); Click would
// read past its end. A packet without 4 bytes of headroom is dropped (no_room) where Click
// would copy it into a larger buffer. The config handler adds ETHERTYPE, which Click leaves
// out; vlan_id, vlan_pcp, native_vlan and ethertype print the current numbers, where Click
// prints the keyword's text as configured (empty when it was not given).

#include <cstdint>

#include "elements/ethernet/vlan_tag.h"
#include "graph/element.h"

namespace uplane::elements {

class VLANEncap final : public graph::SimpleElement<VLANEncap> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "VLANEncap", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  // Output 0, tagged unless native; or a drop (too_short, no_room).
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  ethernet::VlanTag vlan_;
  std::uint16_t tag_type_ = 0x8100;
};

}  // namespace uplane::elements
