#pragma once
// =c
// PaintSwitch([ANNO])
// =s paint
// sends each packet to the output its paint annotation names
// =d
// Sends every packet to output K, where K is its paint annotation. A packet painted 255 is
// copied to every output (the original goes to the last one). A packet whose paint names
// no output is dropped. PaintSwitch can therefore use up to 255 outputs.
//
// ANNO chooses another one-byte annotation: PAINT (the default) or a byte offset 0-47 into
// the packet's user annotation area.
// =h alloc_failures read-only
// Copies of 255-painted packets not made because the packet pool was empty (uplane only).
// =e
// ... -> PaintSwitch -> [0] ... ; ... [1] ...
// =a Paint, RoundRobinSwitch, HashSwitch
// =uplane
// Packets whose paint names no output are counted as unconnected drops. Copies are made
// in the router's pool; a copy that cannot be made is counted in alloc_failures. ANNO
// offsets index uplane's user annotation area (see Paint).

#include <cstdint>

#include "elements/standard/paint.h"
#include "graph/element.h"

namespace uplane::elements {

class PaintSwitch final : public graph::SimpleElement<PaintSwitch> {
 public:
  static constexpr graph::ElementSpec kSpec{
      .name = "PaintSwitch", .ports = "1/-", .processing = "h/h"};
  static constexpr std::uint8_t kEveryOutput = 255;

  Status configure(graph::Args& args) override;
  void add_handlers() override;
  void push(int port, graph::Batch& batch) noexcept override;
  graph::Verdict process(graph::Packet& p) noexcept {
    return port_or_drop(anno_.get(p), graph::DropReason::kUnconnected);
  }

 private:
  // The batch holds a packet painted 255: send packets one run at a time, in order.
  void push_in_order(graph::Batch& batch) noexcept;
  void broadcast(graph::Packet* p) noexcept;

  ByteAnno anno_;
  graph::Counter64 alloc_failures_;
};

}  // namespace uplane::elements
