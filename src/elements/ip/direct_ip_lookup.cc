#include "elements/ip/direct_ip_lookup.h"

#include <algorithm>

#include "graph/registry.h"

namespace uplane::elements {

int DirectIPLookup::lookup_route(std::uint32_t addr, std::uint32_t& gw) const {
  const NextHop& h = routes_.lookup(addr);
  gw = h.port() >= 0 ? h.gw_host() : 0;
  return h.port();
}

std::string DirectIPLookup::dump_routes() const {
  std::vector<IPRoute> routes = routes_.routes();
  std::sort(routes.begin(), routes.end(), [](const IPRoute& a, const IPRoute& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.mask < b.mask;
  });
  std::string s;
  for (const IPRoute& r : routes) s += r.unparse(true) + "\n";
  return s;
}

void DirectIPLookup::push(int, graph::Batch& batch) noexcept {
  std::int16_t codes[graph::Batch::kMax];
  route_batch(routes_, batch, codes);
  emit(batch, codes);
}

UPLANE_REGISTER_ELEMENT(DirectIPLookup);

}  // namespace uplane::elements
