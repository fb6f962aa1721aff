#include "elements/ethernet/handler_args.h"

#include <utility>
#include <vector>

namespace uplane::elements::ethernet {

std::string click_ether(const net::EtherAddr& a) {
  const std::uint8_t* b = a.bytes;
  return fmt::format("{:02X}-{:02X}-{:02X}-{:02X}-{:02X}-{:02X}", b[0], b[1], b[2], b[3], b[4],
                     b[5]);
}

Status one_value(std::string_view keyword, std::string_view text, std::string& out) {
  std::vector<std::string> parts = graph::split_args(text);
  if (parts.size() != 1)
    return make_error(Errc::kInvalidArgument, "{}: expected one value", keyword);
  out = std::move(parts[0]);
  return {};
}

}  // namespace uplane::elements::ethernet
