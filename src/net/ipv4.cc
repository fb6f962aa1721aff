#include "net/ipv4.h"

namespace uplane::net {

Result<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return make_error(Errc::kInvalidArgument, "invalid IPv4 address '{}': {}", text, why);
  };
  std::uint32_t host = 0;
  std::size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos == text.size() || text[pos] != '.')
        return bad("expected four parts separated by '.'");
      ++pos;
    }
    const std::size_t start = pos;
    std::uint32_t v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (v <= 255) v = v * 10 + static_cast<std::uint32_t>(text[pos] - '0');
      ++pos;
    }
    if (pos == start) return bad("expected a decimal number in each part");
    if (text[start] == '0' && pos - start > 1) return bad("a part has a leading zero");
    if (v > 255) return bad("a part is above 255");
    host = host << 8 | v;
  }
  if (pos != text.size()) return bad("unexpected text after the fourth part");
  return Ipv4Addr::from_host(host);
}

std::string Ipv4Addr::to_string() const {
  const std::uint32_t h = to_host();
  std::string s;
  s.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    s += std::to_string((h >> shift) & 0xff);
    if (shift > 0) s += '.';
  }
  return s;
}

}  // namespace uplane::net
