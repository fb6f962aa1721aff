#include "elements/standard/null.h"

#include "graph/registry.h"

namespace uplane::elements {

UPLANE_REGISTER_ELEMENT(Null);

}  // namespace uplane::elements
