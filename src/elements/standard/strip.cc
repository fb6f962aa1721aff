#include "elements/standard/strip.h"

#include "graph/registry.h"

namespace uplane::elements {

Status Strip::configure(graph::Args& args) { return args.required("LENGTH", nbytes_).done(); }

UPLANE_REGISTER_ELEMENT(Strip);

}  // namespace uplane::elements
