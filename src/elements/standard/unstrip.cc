#include "elements/standard/unstrip.h"

#include "graph/registry.h"

namespace uplane::elements {

Status Unstrip::configure(graph::Args& args) { return args.required("LENGTH", nbytes_).done(); }

UPLANE_REGISTER_ELEMENT(Unstrip);

}  // namespace uplane::elements
