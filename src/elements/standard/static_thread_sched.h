#pragma once
// =c
// StaticThreadSched(ELEMENT THREAD, ...)
// =s threads
// binds elements to worker threads
// =d
// Each argument names an element and a worker thread number; that element's tasks and
// timers then run on that thread. THREAD -1 leaves the element where it would be anyway.
// A thread number the router does not have draws a warning, and the element goes to
// thread 0. Several StaticThreadSched elements may be given; for an element named twice,
// the one configured last wins.
// =e
// StaticThreadSched(rx0 0, rx1 1, q_unqueue 1)
// =a Queue
// =uplane
// An ELEMENT that names no element is an error (Click's element argument rejects it too).
// Elements are placed before any element initializes, so tasks are created on their
// threads; there is no balancing scheduler to fall back on.

#include "graph/element.h"

namespace uplane::elements {

class StaticThreadSched final : public graph::Element {
 public:
  static constexpr graph::ElementSpec kSpec{.name = "StaticThreadSched",
                                            .ports = "0/0",
                                            .processing = "a/a",
                                            .configure_phase = graph::kConfigurePhaseInfo};
  Status configure(graph::Args& args) override;
};

}  // namespace uplane::elements
