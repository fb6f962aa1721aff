#include "net/ipv6.h"

#include <arpa/inet.h>

#include <cstring>

namespace uplane::net {

// inet_pton and inet_ntop implement exactly the RFC 4291 text forms (parse) and the RFC 5952
// canonical form (glibc compresses the longest run of two or more zero groups, first on a tie,
// in lower case), so there is no reason to write them again.

Result<Ipv6Addr> Ipv6Addr::parse(std::string_view text) {
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof(buf) || text.find('\0') != std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, "invalid IPv6 address '{}'", text);
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Ipv6Addr a;
  if (::inet_pton(AF_INET6, buf, a.bytes) != 1) {
    return make_error(Errc::kInvalidArgument, "invalid IPv6 address '{}'", text);
  }
  return a;
}

std::string Ipv6Addr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, bytes, buf, sizeof(buf));
  return buf;
}

}  // namespace uplane::net
