#pragma once
// =c
// Paint(COLOR [, ANNO])
// =s paint
// sets packet paint annotations
// =d
// Sets each packet's paint annotation to COLOR, an integer 0-255. Works in push and in
// pull context.
//
// ANNO chooses another one-byte annotation: PAINT (the default) or a byte offset 0-47 into
// the packet's user annotation area.
// =h color read/write
// The COLOR.
// =e
// FromDevice(eth0) -> Paint(1) -> ...
// =a PaintSwitch
// =uplane
// ANNO takes PAINT or an offset into uplane's 48-byte user annotation area; Click's
// offsets name bytes of its own annotation layout, and its other annotation names are not
// known here.

#include <cstdint>
#include <string_view>

#include "graph/element.h"

namespace uplane::elements {

// Where a one-byte annotation lives: the paint field, or a byte of the user annotations.
struct ByteAnno {
  static constexpr int kPaint = -1;
  int offset = kPaint;  // kPaint, or 0..Packet::kUserAnnoBytes-1

  // PAINT, or a decimal offset into the user annotation area; an "ANNO: ..." error else.
  static Status parse(std::string_view text, ByteAnno& out);
  std::uint8_t get(const graph::Packet& p) const noexcept {
    return offset == kPaint ? p.paint() : p.user_anno()[offset];
  }
  void set(graph::Packet& p, std::uint8_t v) const noexcept {
    if (offset == kPaint) {
      p.set_paint(v);
    } else {
      p.user_anno()[offset] = v;
    }
  }
};

class Paint final : public graph::SimpleElement<Paint> {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "Paint", .ports = "1/1", .processing = "a/a"};
  Status configure(graph::Args& args) override;
  void add_handlers() override;
  graph::Verdict process(graph::Packet& p) noexcept {
    anno_.set(p, color_);
    return graph::Port{0};
  }

 private:
  std::uint8_t color_ = 0;
  ByteAnno anno_;
};

}  // namespace uplane::elements
