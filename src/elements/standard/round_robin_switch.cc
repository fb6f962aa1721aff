#include "elements/standard/round_robin_switch.h"

#include "graph/registry.h"

namespace uplane::elements {

UPLANE_REGISTER_ELEMENT(RoundRobinSwitch);

}  // namespace uplane::elements
