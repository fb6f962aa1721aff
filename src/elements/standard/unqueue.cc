#include "elements/standard/unqueue.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "elements/standard/handler_value.h"
#include "graph/registry.h"
#include "graph/task.h"

namespace uplane::elements {

Status Unqueue::configure(graph::Args& args) {
  UPLANE_RETURN_IF_ERROR(args.optional_positional("BURST", burst_)
                             .optional("ACTIVE", active_)
                             .optional("LIMIT", limit_)
                             .done());
  if (burst_ < 0) burst_ = kUnbounded;
  return {};
}

Status Unqueue::initialize() {
  task_ = add_task(active_);
  return {};
}

std::uint64_t Unqueue::room_left() const noexcept {
  if (limit_ < 0) return std::numeric_limits<std::uint64_t>::max();
  const auto limit = static_cast<std::uint64_t>(limit_);
  const std::uint64_t count = count_.get();
  return count >= limit ? 0 : limit - count;
}

bool Unqueue::run_task(graph::Task& task) noexcept {
  if (!active_ || room_left() == 0) {
    task.unschedule();  // a write to active, limit, burst or reset schedules it again
    return false;
  }
  const std::uint64_t want =
      std::min<std::uint64_t>(static_cast<std::uint64_t>(burst_), room_left());
  std::uint64_t moved = 0;
  while (moved < want) {
    const auto chunk =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(want - moved, graph::Batch::kMax));
    graph::Batch b;
    input_pull(0, b, chunk);
    const std::uint32_t got = b.size();
    if (got == 0) break;
    count_.add(got);
    moved += got;
    output_push(0, b);
    if (got < chunk) break;  // the input has no more for now
  }
  return moved > 0;
}

void Unqueue::maybe_reschedule() noexcept {
  if (task_ != nullptr && active_ && room_left() > 0) task_->reschedule();
}

void Unqueue::add_handlers() {
  using graph::ArgParser;
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  auto reset = [this](std::string_view) {
    count_.reset();
    maybe_reschedule();
    return Status();
  };
  add_write_handler("reset", reset);
  add_write_handler("reset_counts", reset);
  add_read_handler("active", [this] { return std::string(active_ ? "true\n" : "false\n"); });
  add_write_handler("active", [this](std::string_view v) -> Status {
    bool b = false;
    if (!ArgParser<bool>::parse(trimmed(v), b).empty())
      return make_error(Errc::kInvalidArgument, "active: expected boolean, got '{}'", trimmed(v));
    active_ = b;
    maybe_reschedule();
    return Status();
  });
  add_read_handler(
      "burst", [this] { return fmt::format("{}\n", burst_); }, true);
  add_write_handler("burst", [this](std::string_view v) -> Status {
    std::int32_t n = 0;
    if (!ArgParser<std::int32_t>::parse(trimmed(v), n).empty())
      return make_error(Errc::kInvalidArgument, "burst: expected integer, got '{}'", trimmed(v));
    burst_ = n < 0 ? kUnbounded : n;
    maybe_reschedule();
    return Status();
  });
  add_read_handler(
      "limit", [this] { return fmt::format("{}\n", limit_); }, true);
  add_write_handler("limit", [this](std::string_view v) -> Status {
    std::int32_t n = 0;
    if (!ArgParser<std::int32_t>::parse(trimmed(v), n).empty())
      return make_error(Errc::kInvalidArgument, "limit: expected integer, got '{}'", trimmed(v));
    limit_ = n;
    maybe_reschedule();
    return Status();
  });
}

UPLANE_REGISTER_ELEMENT(Unqueue);

}  // namespace uplane::elements
