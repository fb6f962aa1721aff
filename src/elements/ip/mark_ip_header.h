#pragma once
// =c
// MarkIPHeader([OFFSET])
// =s ip
// sets IP header annotation
// =d
// Marks packets as IP packets by setting the IP header annotation. The IP header starts
// OFFSET bytes into the packet (default 0). The transport header annotation is set just
// after the IP header, at the length its IHL field gives. Nothing else is checked: use
// CheckIPHeader or CheckIPHeader2 to validate the header.
//
// Keywords:
//   OFFSET   Unsigned. Byte position of the IP header. Default 0.
// =e
//   ... -> Strip(14) -> MarkIPHeader -> ...
// =a CheckIPHeader, CheckIPHeader2, StripIPHeader
// =uplane
// A packet with fewer than 20 bytes after OFFSET has no room for an IP header: uplane drops
// it (kTooShort), where Click would mark a header that runs past the end of the packet.

#include <cstdint>

#include "graph/element.h"

namespace uplane::elements {

class MarkIPHeader final : public graph::SimpleElement<MarkIPHeader> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "MarkIPHeader", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  graph::Verdict process(graph::Packet& p) noexcept;

 private:
  std::uint32_t offset_ = 0;
};

}  // namespace uplane::elements
