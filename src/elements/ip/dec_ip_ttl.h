#pragma once
// =c
// DecIPTTL([KEYWORDS])
// =s ip
// decrements IP time-to-live, drops dead packets
// =d
// Expects IP packets with the network header annotation set (CheckIPHeader or MarkIPHeader
// sets it). If the TTL is 1 or less (it has expired), sends the packet to output 1, or
// drops it when output 1 is not connected. Otherwise decrements the TTL, updates the header
// checksum incrementally (RFC 1624) and sends the packet to output 0. Output 1 usually
// leads to an ICMPError element.
//
// Keywords:
//   ACTIVE      Boolean. If false, packets pass unchanged on output 0. Default true.
//   MULTICAST   Boolean. If false, multicast packets pass unchanged on output 0. Default
//               true.
// Drop reasons: kTtlExpired (expired and no output 1).
// =h drops read-only
// Packets whose TTL had expired (sent to output 1 or dropped).
// =h active read/write
// The ACTIVE setting, "true" or "false".
// =e
//   ... -> CheckIPHeader -> dt :: DecIPTTL -> ...
//   dt[1] -> ICMPError(18.26.4.24, timeexceeded) -> ...
// =a ICMPError, CheckIPHeader
// =uplane
// Where Click asserts, uplane drops: a packet without a network header annotation
// (kBadHeader), or with fewer than 20 bytes from the network header on (kTooShort).

#include "graph/element.h"

namespace uplane::elements {

class DecIPTTL final : public graph::SimpleElement<DecIPTTL> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "DecIPTTL", .ports = "1/1-2", .processing = "a/ah"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  bool active_ = true;
  bool multicast_ = true;
  graph::Counter64 drops_;
};

}  // namespace uplane::elements
