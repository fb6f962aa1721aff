#pragma once
// =c
// EtherVLANEncap(ETHERTYPE, SRC, DST [, VLAN_TCI, VLAN_PCP, KEYWORDS])
// =s ethernet
// encapsulates packets in 802.1Q VLAN Ethernet header
// =d
// Prepends to each packet an 18-byte 802.1Q header: destination DST, source SRC, type
// 0x8100, the VLAN TCI, and then the encapsulated type ETHERTYPE (host order, such as
// 0x0800).
//
// VLAN_TCI is the whole 16-bit TCI (priority, DEI and VLAN ID), or the word ANNO: then each
// packet's VLAN TCI annotation gives the TCI. The VLAN ID and priority may also be given
// with the VLAN_ID and VLAN_PCP keywords. The TCI written is VLAN_TCI (when a number) or
// else VLAN_ID, with VLAN_PCP shifted into the top three bits (ORed in).
//
// To add a tag to a packet that already has an Ethernet header, use VLANEncap.
//
// Keywords:
//   VLAN_ID      0-0xFFF. The VLAN ID when VLAN_TCI is not given. Default 0.
//   VLAN_PCP     0-7. The priority code point. Default 0.
//   NATIVE_VLAN  -1-0xFFF. When the packet's VLAN ID equals NATIVE_VLAN, it gets a plain
//                14-byte Ethernet header of type ETHERTYPE instead of a tagged one. -1 means
//                no native VLAN. Default 0.
// =h config read-only
// The configuration: "ETHERTYPE, SRC, DST, VLAN_ID id, VLAN_PCP pcp" (or ANNO in place of
// the VLAN fields), then ", NATIVE_VLAN n" unless it is 0.
// =h src read/write
// The SRC address, printed as Click prints Ethernet addresses ("00-1A-2B-3C-4D-5E").
// =h dst read/write
// The DST address.
// =h ethertype read/write
// The encapsulated ETHERTYPE, in decimal.
// =h vlan_tci read/write
// The TCI written (decimal), or ANNO.
// =h vlan_id read/write
// The VLAN_ID keyword's value.
// =h vlan_pcp read/write
// The VLAN_PCP value.
// =h native_vlan read/write
// The NATIVE_VLAN value.
// =e
// IPv4 packets tagged with VLAN 1, from 1:1:1:1:1:1 to 2:2:2:2:2:2:
//
//   EtherVLANEncap(0x0800, 1:1:1:1:1:1, 2:2:2:2:2:2, 1)
// =a VLANEncap, VLANDecap, EtherEncap, ARPQuerier
// =uplane
// The header goes in the frame's headroom; a packet without room for it is dropped (no_room)
// where Click would copy it into a larger buffer (uplane's pools give 128 bytes of headroom).
// The config handler lists ETHERTYPE first (Click prints SRC, DST, ETHERTYPE, which does not
// parse back). vlan_id, vlan_pcp and native_vlan print the current numbers, where Click
// prints the keyword's text as configured (empty when it was not given). Click's alias
// EtherVlanEncap is not registered.

#include <cstdint>

#include "elements/ethernet/vlan_tag.h"
#include "graph/element.h"
#include "net/ether.h"

namespace uplane::elements {

class EtherVLANEncap final : public graph::SimpleElement<EtherVLANEncap> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "EtherVLANEncap", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  // Output 0 with the (tagged or native) header prepended, or a drop (no_room).
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  net::EtherAddr src_{};
  net::EtherAddr dst_{};
  std::uint16_t ether_type_ = 0;
  ethernet::VlanTag vlan_;
};

}  // namespace uplane::elements
