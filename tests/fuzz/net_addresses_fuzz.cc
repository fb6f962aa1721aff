// Fuzz target: the text parsers for Ethernet, IPv4 and IPv6 addresses. Whatever they
// accept must format back to text that parses to the same address.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/ether.h"
#include "net/ipv4.h"
#include "net/ipv6.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}

template <typename Addr>
void round_trip(std::string_view text) {
  auto a = Addr::parse(text);
  if (!a.is_ok()) return;
  auto again = Addr::parse(a.value().to_string());
  check(again.is_ok() && again.value() == a.value());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  round_trip<uplane::net::EtherAddr>(text);
  round_trip<uplane::net::Ipv4Addr>(text);
  round_trip<uplane::net::Ipv6Addr>(text);
  return 0;
}
