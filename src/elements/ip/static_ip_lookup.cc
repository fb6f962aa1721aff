#include "elements/ip/static_ip_lookup.h"

#include "graph/registry.h"

namespace uplane::elements {

UPLANE_REGISTER_ELEMENT(StaticIPLookup);

}  // namespace uplane::elements
