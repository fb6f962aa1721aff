#include "elements/ip/radix_ip_lookup.h"

#include "graph/registry.h"

namespace uplane::elements {

int RadixIPLookup::lookup_route(std::uint32_t addr, std::uint32_t& gw) const {
  const NextHop& h = routes_.lookup(addr);
  gw = h.port() >= 0 ? h.gw_host() : 0;
  return h.port();
}

std::string RadixIPLookup::dump_routes() const {
  std::string s;
  for (const IPRoute& r : routes_.routes()) s += r.unparse(true) + "\n";
  return s;
}

void RadixIPLookup::push(int, graph::Batch& batch) noexcept {
  std::int16_t codes[graph::Batch::kMax];
  route_batch(routes_, batch, codes);
  emit(batch, codes);
}

UPLANE_REGISTER_ELEMENT(RadixIPLookup);

}  // namespace uplane::elements
