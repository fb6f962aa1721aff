#include "elements/standard/paint.h"

#include <fmt/format.h>

#include "graph/registry.h"

namespace uplane::elements {

Status ByteAnno::parse(std::string_view text, ByteAnno& out) {
  if (text == "PAINT") {
    out.offset = kPaint;
    return {};
  }
  std::uint8_t off = 0;
  if (graph::ArgParser<std::uint8_t>::parse(text, off).empty() &&
      off < graph::Packet::kUserAnnoBytes) {
    out.offset = off;
    return {};
  }
  return make_error(Errc::kInvalidArgument,
                    "ANNO: expected PAINT or a user annotation offset 0-{}, got '{}'",
                    graph::Packet::kUserAnnoBytes - 1, text);
}

Status Paint::configure(graph::Args& args) {
  graph::RawArg anno{"PAINT"};
  UPLANE_RETURN_IF_ERROR(args.required("COLOR", color_).optional_positional("ANNO", anno).done());
  return ByteAnno::parse(anno.text, anno_);
}

void Paint::add_handlers() {
  add_read_handler("color", [this] { return fmt::format("{}\n", color_); });
  add_write_handler("color", [this](std::string_view v) -> Status {
    const auto b = v.find_first_not_of(" \t\r\n");
    const auto e = v.find_last_not_of(" \t\r\n");
    const std::string_view t =
        b == std::string_view::npos ? std::string_view() : v.substr(b, e - b + 1);
    std::uint8_t c = 0;
    const std::string why = graph::ArgParser<std::uint8_t>::parse(t, c);
    if (!why.empty()) return make_error(Errc::kInvalidArgument, "color: {}, got '{}'", why, t);
    color_ = c;
    return Status();
  });
}

UPLANE_REGISTER_ELEMENT(Paint);

}  // namespace uplane::elements
