#include "elements/standard/queue.h"

#include "graph/registry.h"

namespace uplane::elements {

// Queue is SimpleQueue built with a multi-producer, multi-consumer ring (simple_queue.cc).
UPLANE_REGISTER_ELEMENT(Queue);

}  // namespace uplane::elements
