#pragma once
// =c
// SetIPChecksum()
// =s ip
// sets IP packets' checksums
// =d
// Expects an IP packet as input. Computes the IP header's checksum and stores it in the
// header. The header is the one the network header annotation points to, or, without the
// annotation, the start of the packet. A packet too short for its header (fewer than 20
// bytes, or fewer than the IHL says) or with an IHL below 5 is dropped; the first such
// packet is reported on the log.
//
// Drop reasons: kTooShort (shorter than 20 bytes or than the IHL), kBadHeader (IHL < 5).
// =h drops read-only
// Packets dropped because their headers were malformed.
// =e
//   ... -> SetIPAddress(...) -> StoreIPAddress(16) -> SetIPChecksum -> ...
// =a CheckIPHeader, SetUDPChecksum, SetTCPChecksum
// =uplane
// Reports go to the uplane log at warning level instead of Click's chatter.

#include "graph/element.h"

namespace uplane::elements {

class SetIPChecksum final : public graph::SimpleElement<SetIPChecksum> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "SetIPChecksum", .ports = "1/1", .processing = "a/a"};
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  graph::Verdict bad(graph::DropReason r) noexcept;
  graph::Counter64 drops_;
};

}  // namespace uplane::elements
