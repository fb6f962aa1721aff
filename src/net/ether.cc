#include "net/ether.h"

namespace uplane::net {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<EtherAddr> EtherAddr::parse(std::string_view text) {
  // "xx:xx:xx:xx:xx:xx": 6 groups of 2 digits and 5 separators.
  constexpr std::size_t kTextLength = kSize * 3 - 1;
  const auto bad = [&](std::string_view why) {
    return make_error(Errc::kInvalidArgument, "invalid Ethernet address '{}': {}", text, why);
  };
  if (text.size() != kTextLength) {
    return bad("expected six two-digit hex groups separated by ':' or '-'");
  }
  const char sep = text[2];
  if (sep != ':' && sep != '-') return bad("groups must be separated by ':' or '-'");
  EtherAddr a;
  for (std::size_t i = 0; i < kSize; ++i) {
    const std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != sep) return bad("mixed or missing separators");
    const int hi = hex_value(text[at]);
    const int lo = hex_value(text[at + 1]);
    if (hi < 0 || lo < 0) return bad("expected two hex digits in each group");
    a.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return a;
}

std::string EtherAddr::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(kSize * 3 - 1, ':');
  for (std::size_t i = 0; i < kSize; ++i) {
    s[i * 3] = kDigits[bytes[i] >> 4];
    s[i * 3 + 1] = kDigits[bytes[i] & 0x0f];
  }
  return s;
}

}  // namespace uplane::net
