#pragma once
// VlanTag: the 802.1Q tag settings EtherVLANEncap and VLANEncap share, as Click's two
// elements read them: VLAN_TCI (a number, or ANNO for each packet's VLAN TCI annotation),
// VLAN_PCP, VLAN_ID and NATIVE_VLAN; the TCI they make; and the vlan_tci, vlan_id,
// vlan_pcp and native_vlan handlers.
//
// An element keeps one as a member. configure() reads into a local VlanTag (read_args, the
// element's own arguments, set_tci_word, Args::done) and copies it in only when all is well;
// add_handlers() adds what handlers() returns.

#include <cstdint>
#include <string>
#include <vector>

#include "graph/args.h"
#include "graph/element.h"

namespace uplane::elements::ethernet {

class VlanTag {
 public:
  // Adds VLAN_TCI and VLAN_PCP (optional, positional, in that order), then the VLAN_ID and
  // NATIVE_VLAN keywords to the chain; VLAN_TCI's word lands in `tci_word`.
  graph::Args& read_args(graph::Args& args, graph::WordArg& tci_word);
  // After the element's other arguments: reads VLAN_TCI's word when it was given and no
  // argument failed before it ("VLAN_TCI: expected ANNO or 0-65535, got '...'" fails
  // `args`), and makes the TCI.
  void set_tci_word(graph::Args& args, const graph::WordArg& tci_word);

  // "ANNO" or "VLAN_ID <id>, VLAN_PCP <pcp>" (from the TCI), then ", NATIVE_VLAN <n>" unless
  // it is 0: the VLAN part of the config handler.
  std::string config() const;
  // vlan_tci, vlan_id, vlan_pcp and native_vlan, in that order, each read/write. They point
  // at this object, which must outlive them (a member of the element). A range error names
  // the value as written ("VLAN_ID: expected 0-4095, got '0x1000'", VLANEncap) or, with
  // `range_error_shows_number`, as the number it parsed to ("got '4096'", EtherVLANEncap):
  // each element keeps the messages it had.
  std::vector<graph::Handler> handlers(bool range_error_shows_number = false);

  // The TCI to write on a packet whose VLAN TCI annotation is `anno`.
  std::uint16_t tci_for(std::uint16_t anno) const noexcept { return use_anno_ ? anno : tci_; }
  // Whether a packet with TCI `t` is on the native VLAN (it gets no tag).
  bool is_native(std::uint16_t t) const noexcept {
    return native_vlan_ >= 0 && (t & 0xFFF) == native_vlan_;
  }

 private:
  void update_tci() noexcept {
    tci_ = static_cast<std::uint16_t>((tci_arg_ >= 0 ? tci_arg_ : vlan_id_) | (pcp_ << 13));
  }

  int tci_arg_ = -1;  // VLAN_TCI as a number, or -1 (absent or ANNO)
  int vlan_id_ = 0;
  int pcp_ = 0;
  int native_vlan_ = 0;  // -1: none
  bool use_anno_ = false;
  std::uint16_t tci_ = 0;  // what is written when !use_anno_
};

}  // namespace uplane::elements::ethernet
