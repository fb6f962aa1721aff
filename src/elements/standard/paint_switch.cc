#include "elements/standard/paint_switch.h"

#include <fmt/format.h>

#include "graph/registry.h"

namespace uplane::elements {

Status PaintSwitch::configure(graph::Args& args) {
  graph::RawArg anno{"PAINT"};
  UPLANE_RETURN_IF_ERROR(args.optional_positional("ANNO", anno).done());
  return ByteAnno::parse(anno.text, anno_);
}

void PaintSwitch::push(int port, graph::Batch& batch) noexcept {
  for (graph::Packet* p : batch.packets()) {
    if (anno_.get(*p) == kEveryOutput) {
      push_in_order(batch);
      return;
    }
  }
  SimpleElement::push(port, batch);
}

void PaintSwitch::push_in_order(graph::Batch& batch) noexcept {
  // Consecutive packets bound for the same output leave together; a 255 packet flushes
  // what came before it, so every output sees its packets in arrival order.
  graph::Batch run;
  int run_port = -1;
  auto flush = [&] {
    if (!run.empty()) output_push(run_port, run);
    run.clear();
  };
  for (graph::Packet* p : batch.packets()) {
    const std::uint8_t k = anno_.get(*p);
    if (k == kEveryOutput) {
      flush();
      broadcast(p);
      continue;
    }
    if (k >= noutputs()) {
      drop(p, graph::DropReason::kUnconnected);
      continue;
    }
    if (k != run_port) {
      flush();
      run_port = k;
    }
    (void)run.push_back(p);  // run.size() <= batch.size() <= kMax
  }
  flush();
  batch.clear();
}

void PaintSwitch::broadcast(graph::Packet* p) noexcept {
  const int n = noutputs();
  if (n == 0) {
    drop(p, graph::DropReason::kUnconnected);
    return;
  }
  for (int i = 0; i < n - 1; ++i) {
    graph::Packet* c = graph::copy_packet(pool(), *p);
    if (c == nullptr) {
      alloc_failures_.add();
      continue;
    }
    output_push_one(i, c);
  }
  output_push_one(n - 1, p);
}

void PaintSwitch::add_handlers() {
  add_read_handler("alloc_failures", [this] { return fmt::format("{}\n", alloc_failures_.get()); });
}

UPLANE_REGISTER_ELEMENT(PaintSwitch);

}  // namespace uplane::elements
