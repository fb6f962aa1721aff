#include "elements/classify/classify_element.h"

#include <limits>

#include "base/log.h"

namespace uplane::elements {

using classify::Base;
using classify::Window;

std::int16_t ClassifyElement::classify(graph::Packet& p) const noexcept {
  Window w[classify::kBaseCount];
  if (input_ == Input::kData) {
    w[static_cast<int>(Base::kData)] = Window{p.data(), p.length()};
  } else {
    const std::uint8_t* nh = p.network_header();
    if (nh == nullptr) [[unlikely]]
      return graph::Drop(graph::DropReason::kBadHeader).code();
    const auto nh_off = static_cast<std::uint32_t>(p.network_header_offset());
    const std::uint32_t net_len = p.length() - nh_off;  // >= 1: the annotation is in the window
    w[static_cast<int>(Base::kData)] = Window{p.data(), nh_off};
    w[static_cast<int>(Base::kNet)] = Window{nh, net_len};
    const std::uint32_t hl = (nh[0] & 0x0fu) * 4u;
    if (hl <= net_len) w[static_cast<int>(Base::kTransp)] = Window{nh + hl, net_len - hl};
  }
  const std::int32_t r = program_.match(w);
  if (r < noutputs() && r <= std::numeric_limits<std::int16_t>::max()) [[likely]]
    return static_cast<std::int16_t>(r);
  return graph::Drop(graph::DropReason::kFiltered).code();
}

void ClassifyElement::push(int, graph::Batch& batch) noexcept {
  const std::uint32_t n = batch.size();
  if (n == 0) return;
  std::int16_t codes[graph::Batch::kMax];
  std::int16_t differ = 0;  // OR of (code ^ codes[0]): zero when every packet goes one way
  for (std::uint32_t i = 0; i < n; ++i) {
    codes[i] = classify(*batch[i]);
    differ = static_cast<std::int16_t>(differ | (codes[i] ^ codes[0]));
  }
  if (differ == 0 && codes[0] >= 0) [[likely]] {
    output_push(codes[0], batch);
    return;
  }
  std::uint64_t low = 0;  // bit p: port p (< 64) has packets
  bool high = false;      // some packet goes to a port >= 64
  for (std::uint32_t i = 0; i < n; ++i) {
    const int c = codes[i];
    if (c < 0) {
      drop(batch[i], static_cast<graph::DropReason>(-1 - c));
    } else if (c < 64) {
      low |= std::uint64_t{1} << c;
    } else {
      high = true;
    }
  }
  while (low != 0) {
    const int port = __builtin_ctzll(low);
    low &= low - 1;
    graph::Batch out;
    for (std::uint32_t i = 0; i < n; ++i)
      if (codes[i] == port) (void)out.push_back(batch[i]);
    output_push(port, out);
  }
  if (high) {
    // Ports >= 64, smallest first: one batch each.
    for (;;) {
      int port = std::numeric_limits<int>::max();
      for (std::uint32_t i = 0; i < n; ++i)
        if (codes[i] >= 64 && codes[i] < port) port = codes[i];
      if (port == std::numeric_limits<int>::max()) break;
      graph::Batch out;
      for (std::uint32_t i = 0; i < n; ++i) {
        if (codes[i] == port) {
          (void)out.push_back(batch[i]);
          codes[i] = -1;  // emitted (drops were handled above)
        }
      }
      output_push(port, out);
    }
  }
}

void ClassifyElement::add_handlers() {
  add_read_handler(
      "program", [this] { return program_.unparse(input_ == Input::kData); }, true);
}

Result<std::vector<std::string>> ClassifyElement::patterns_per_output(graph::Args& args) const {
  std::vector<graph::RawArg> raw;
  UPLANE_RETURN_IF_ERROR(args.rest("PATTERN", raw).done());
  if (raw.size() != static_cast<std::size_t>(noutputs()))
    return make_error(Errc::kInvalidArgument, "{}: need {} arguments, one per output port",
                      args.context(), noutputs());
  std::vector<std::string> patterns;
  for (auto& r : raw) patterns.push_back(std::move(r.text));
  return patterns;
}

void ClassifyElement::log_warnings(const graph::Args& args,
                                   const std::vector<std::string>& warnings) const {
  for (const std::string& w : warnings) UPLANE_LOG(kWarn, "{}: {}", args.context(), w);
}

}  // namespace uplane::elements
