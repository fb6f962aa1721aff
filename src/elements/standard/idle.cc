#include "elements/standard/idle.h"

#include "graph/registry.h"

namespace uplane::elements {

UPLANE_REGISTER_ELEMENT(Idle);

}  // namespace uplane::elements
