#include "io/to_device.h"

#include <fmt/format.h>

#include <cctype>

#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"
#include "io/device_config.h"
#include "io/from_device.h"

namespace uplane::io {
namespace {

// Pushes of a full ring are retried this many times (reclaiming completions in between)
// before the rest is dropped: enough for the kernel to drain a burst, short enough that a
// dead link does not hold the worker.
constexpr int kPushRetries = 4;

}  // namespace

ToDevice::ToDevice() = default;

ToDevice::~ToDevice() { cleanup(); }

Status ToDevice::configure(graph::Args& args) {
  bool zero_copy = false, debug = false;
  graph::WordArg method{"AUTO"}, xdp_mode{"AUTO"};
  UPLANE_RETURN_IF_ERROR(args.required("DEVNAME", cfg_.device)
                             .optional("BURST", burst_, 1u, graph::Batch::kMax)
                             .optional("METHOD", method)
                             .optional("QUEUE", cfg_.queue)
                             .optional("ZEROCOPY", zero_copy)
                             .optional("XDP_MODE", xdp_mode)
                             .optional("RING_SIZE", cfg_.ring_size, 64u, 1u << 16)
                             .optional("DEBUG", debug)
                             .done());
  (void)debug;
  UPLANE_RETURN_IF_ERROR(finish_device_config(cfg_, method.word, xdp_mode.word, &method_));
  cfg_.xdp_zero_copy = zero_copy;
  cfg_.rx = false;
  cfg_.tx = true;
  return {};
}

Status ToDevice::initialize() {
  // FromDevice initializes first (a lower configure phase): share its port when it is on
  // the same device and queue.
  for (const auto& e : router().elements()) {
    auto* fd = dynamic_cast<FromDevice*>(e.get());
    if (fd == nullptr || fd->devname() != cfg_.device || fd->queue() != cfg_.queue) continue;
    if (fd->port() == nullptr) continue;
    if (method_ != Method::kAuto && method_ != fd->port()->method())
      return make_error(Errc::kInvalidArgument,
                        "METHOD {} differs from {}'s METHOD {} on the same device and queue",
                        method_name(method_), fd->declaration(),
                        method_name(fd->port()->method()));
    port_ = fd->port();
    break;
  }
  if (port_ == nullptr) {
    auto port = open_port(method_, cfg_, pool());
    if (!port.is_ok()) return port.status();
    port_ = std::move(*port);
  }
  method_ = port_->method();
  if (input_is_pull(0)) add_task(true);
  return {};
}

void ToDevice::cleanup() noexcept {
  graph::free_batch(pending_);
  port_.reset();
}

void ToDevice::push(int, graph::Batch& batch) noexcept {
  const std::uint32_t n = batch.size();
  for (int tries = 0; !batch.empty(); ++tries) {
    port_->tx_burst(batch);
    if (batch.empty() || tries == kPushRetries) break;
    port_->housekeeping();
  }
  count_.add(n - batch.size());
  if (!batch.empty()) {
    drops_.add(batch.size());
    port_->count_tx_dropped(batch.size());
    count_drop(graph::DropReason::kQueueFull, batch.size());
    graph::free_batch(batch);
  }
}

bool ToDevice::run_task(graph::Task&) noexcept {
  port_->housekeeping();
  bool worked = false;
  if (!pending_.empty()) {
    const std::uint32_t before = pending_.size();
    port_->tx_burst(pending_);
    count_.add(before - pending_.size());
    worked = pending_.size() != before;
    if (!pending_.empty()) return worked;  // the ring is still full: pull nothing new
  }
  input_pull(0, pending_, burst_);
  if (pending_.empty()) return worked;
  const std::uint32_t pulled = pending_.size();
  port_->tx_burst(pending_);
  count_.add(pulled - pending_.size());
  return true;
}

void ToDevice::add_handlers() {
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_read_handler("drops", [this] { return fmt::format("{}\n", drops_.get()); });
  add_write_handler("reset_counts", [this](std::string_view) {
    count_.reset();
    drops_.reset();
    return Status();
  });
  add_read_handler("method", [this] { return fmt::format("{}\n", method_name(method_)); });
  add_read_handler("link", [this] {
    return fmt::format("{}\n", link_state_name(port_ ? port_->link_state() : LinkState::kUnknown));
  });
  add_read_handler("stats", [this] {
    const PortCounters c = port_ ? port_->counters() : PortCounters{};
    return fmt::format("tx_packets {}\ntx_bytes {}\ntx_dropped {}\ntx_errors {}\n", c.tx_packets,
                       c.tx_bytes, c.tx_dropped, c.tx_errors);
  });
}

UPLANE_REGISTER_ELEMENT(ToDevice);

}  // namespace uplane::io
