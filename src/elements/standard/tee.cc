#include "elements/standard/tee.h"

#include <fmt/format.h>

#include "graph/registry.h"

namespace uplane::elements {

Status Tee::configure(graph::Args& args) {
  auto n = static_cast<std::uint32_t>(noutputs());
  UPLANE_RETURN_IF_ERROR(args.optional_positional("N", n).done());
  if (n != static_cast<std::uint32_t>(noutputs()))
    return make_error(Errc::kInvalidArgument, "N: {} given, but {} output{} connected", n,
                      noutputs(), noutputs() == 1 ? " is" : "s are");
  return {};
}

void Tee::push(int, graph::Batch& batch) noexcept {
  const int n = noutputs();
  for (int i = 0; i + 1 < n; ++i) {
    graph::Batch copies;
    for (graph::Packet* p : batch.packets()) {
      graph::Packet* c = graph::copy_packet(pool(), *p);
      if (c == nullptr) {
        alloc_failures_.add();
        continue;
      }
      (void)copies.push_back(c);  // at most batch.size() <= kMax
    }
    if (!copies.empty()) output_push(i, copies);
  }
  output_push(n - 1, batch);
}

void Tee::add_handlers() {
  add_read_handler("alloc_failures", [this] { return fmt::format("{}\n", alloc_failures_.get()); });
}

UPLANE_REGISTER_ELEMENT(Tee);

}  // namespace uplane::elements
