#include "elements/standard/discard.h"

#include <fmt/format.h>

#include "graph/registry.h"
#include "graph/task.h"

namespace uplane::elements {

Status Discard::configure(graph::Args& args) {
  return args.optional("ACTIVE", active_)
      .optional("BURST", burst_, 1u, graph::Batch::kMax)
      .done();
}

Status Discard::initialize() {
  if (input_is_pull(0)) add_task(active_);
  return {};
}

void Discard::add_handlers() {
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset_counts", [this](std::string_view) {
    count_.reset();
    return Status();
  });
}

void Discard::push(int, graph::Batch& batch) noexcept {
  count_.add(batch.size());
  graph::free_batch(batch);
}

bool Discard::run_task(graph::Task&) noexcept {
  graph::Batch b;
  input_pull(0, b, burst_);
  if (b.empty()) return false;
  count_.add(b.size());
  graph::free_batch(b);
  return true;
}

UPLANE_REGISTER_ELEMENT(Discard);

}  // namespace uplane::elements
