#include "elements/standard/infinite_source.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <limits>

#include "base/cpu.h"
#include "elements/standard/handler_value.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"

namespace uplane::elements {
namespace source {

std::string payload(std::string_view data, std::int64_t length) {
  if (length < 0) return std::string(data);
  const auto n = static_cast<std::size_t>(length);
  if (n <= data.size()) return std::string(data.substr(0, n));
  if (data.empty()) return std::string(n, '\0');
  std::string out;
  out.reserve(n);
  while (out.size() < n) out.append(data.substr(0, n - out.size()));
  return out;
}

Status check_fits(const mem::PacketPool& pool, std::size_t bytes) {
  const std::size_t room = pool.frame_size() - sizeof(mem::Packet) - pool.headroom();
  if (bytes > room)
    return make_error(Errc::kInvalidArgument,
                      "LENGTH: a packet of {} bytes does not fit a pool frame (at most {})", bytes,
                      room);
  return {};
}

Status Payload::set(const mem::PacketPool& pool, std::string data, std::int64_t length) {
  std::string b = payload(data, length);
  UPLANE_RETURN_IF_ERROR(check_fits(pool, b.size()));
  data_ = std::move(data);
  length_ = length;
  bytes_ = std::move(b);
  return {};
}

Status Payload::write_length(const mem::PacketPool& pool, std::string_view text) {
  std::int64_t n = 0;
  if (!graph::ArgParser<std::int64_t>::parse(trimmed(text), n).empty())
    return make_error(Errc::kInvalidArgument, "length must be integer");
  return set(pool, data_, n);
}

std::uint64_t room_left(std::int64_t limit, std::uint64_t count) noexcept {
  if (limit < 0) return std::numeric_limits<std::uint64_t>::max();
  const auto l = static_cast<std::uint64_t>(limit);
  return count >= l ? 0 : l - count;
}

std::uint32_t make_packets(mem::PacketPool& pool, std::string_view payload, std::uint32_t n,
                           bool timestamp, graph::Batch& out) noexcept {
  n = std::min(n, out.room());
  if (n == 0) return 0;
  mem::Packet** slots = out.data() + out.size();
  std::uint32_t got = n;
  if (!pool.alloc_bulk(slots, n)) {
    // Not n frames left: take what there is, one at a time.
    got = 0;
    while (got < n) {
      mem::Packet* p = pool.alloc();
      if (p == nullptr) break;
      slots[got++] = p;
    }
  }
  std::uint64_t stamp = 0;
  if (timestamp) stamp = realtime_ns();
  const auto len = static_cast<std::uint32_t>(payload.size());
  for (std::uint32_t i = 0; i < got; ++i) {
    // check_fits() ran on every payload before it was installed, so assign cannot fail.
    (void)slots[i]->assign(payload.data(), len, pool.headroom());
    slots[i]->set_timestamp_ns(stamp);
  }
  out.set_size(out.size() + got);
  return got;
}

}  // namespace source

Status InfiniteSource::configure(graph::Args& args) {
  std::string data{source::kDefaultData};
  std::int64_t length = -1;
  graph::RawArg end_call;
  bool end_call_given = false;
  args.optional_positional("DATA", data)
      .optional_positional("LIMIT", limit_)
      .optional_positional("BURST", burst_, 1, std::numeric_limits<std::int32_t>::max())
      .optional_positional("ACTIVE", active_)
      .optional("TIMESTAMP", timestamp_)
      .optional("LENGTH", length)
      .optional("DATASIZE", length)
      .optional("STOP", stop_)
      .optional("END_CALL", end_call);
  end_call_given = args.ok() && args.found();
  UPLANE_RETURN_IF_ERROR(args.done());
  if (end_call_given)
    return make_error(Errc::kInvalidArgument, "END_CALL: not supported in uplane (use STOP)");
  return payload_.set(pool(), std::move(data), length);
}

Status InfiniteSource::initialize() {
  if (output_is_push(0)) task_ = add_task(active_);
  return {};
}

void InfiniteSource::at_limit() noexcept {
  if (stop_) router().please_stop();
}

bool InfiniteSource::run_task(graph::Task& task) noexcept {
  if (!active_) {
    task.unschedule();  // a write to 'active' or 'reset' schedules it again
    return false;
  }
  std::uint64_t want = std::min<std::uint64_t>(static_cast<std::uint64_t>(burst_), room_left());
  std::uint64_t sent = 0;
  while (sent < want) {
    const auto chunk =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(want - sent, graph::Batch::kMax));
    graph::Batch b;
    const std::uint32_t made = source::make_packets(pool(), payload_.bytes(), chunk, timestamp_, b);
    if (made < chunk) alloc_failures_.add(chunk - made);
    if (made == 0) break;  // the pool is empty: try again on the next run
    count_.add(made);
    sent += made;
    output_push(0, b);
    if (made < chunk) break;
  }
  if (room_left() == 0) {
    at_limit();
    task.unschedule();
  }
  return sent > 0;
}

void InfiniteSource::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  // A stopping router drains what is in flight; a pulled source, like a source task, adds
  // nothing more.
  if (!active_ || router().stop_requested()) return;
  const std::uint64_t left = room_left();
  if (left == 0) {
    at_limit();
    return;
  }
  const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>({left, max, out.room()}));
  const std::uint32_t made = source::make_packets(pool(), payload_.bytes(), n, timestamp_, out);
  if (made < n) alloc_failures_.add(n - made);
  count_.add(made);
  if (room_left() == 0) at_limit();
}

void InfiniteSource::maybe_reschedule() noexcept {
  if (task_ != nullptr && active_ && room_left() > 0) task_->reschedule();
}

void InfiniteSource::add_handlers() {
  using graph::ArgParser;
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset", [this](std::string_view) {
    count_.reset();
    maybe_reschedule();
    return Status();
  });
  add_read_handler(
      "data", [this] { return payload_.data(); }, true);
  add_write_handler("data", [this](std::string_view v) {
    UPLANE_RETURN_IF_ERROR(payload_.set(pool(), std::string(v), payload_.length()));
    maybe_reschedule();
    return Status();
  });
  auto length_read = [this] { return fmt::format("{}\n", payload_.length()); };
  auto length_write = [this](std::string_view v) -> Status {
    UPLANE_RETURN_IF_ERROR(payload_.write_length(pool(), v));
    maybe_reschedule();
    return Status();
  };
  add_read_handler("length", length_read, true);
  add_write_handler("length", length_write);
  add_read_handler("datasize", length_read, true);
  add_write_handler("datasize", length_write);
  add_read_handler(
      "limit", [this] { return fmt::format("{}\n", limit_); }, true);
  add_write_handler("limit", [this](std::string_view v) -> Status {
    std::int64_t n = 0;
    if (!ArgParser<std::int64_t>::parse(trimmed(v), n).empty())
      return make_error(Errc::kInvalidArgument, "limit parameter must be integer");
    limit_ = n;
    maybe_reschedule();
    return Status();
  });
  auto burst_read = [this] { return fmt::format("{}\n", burst_); };
  auto burst_write = [this](std::string_view v) -> Status {
    std::int32_t n = 0;
    if (!ArgParser<std::int32_t>::parse(trimmed(v), n).empty() || n < 1)
      return make_error(Errc::kInvalidArgument, "burst parameter must be integer >= 1");
    burst_ = n;
    maybe_reschedule();
    return Status();
  };
  add_read_handler("burst", burst_read, true);
  add_write_handler("burst", burst_write);
  add_read_handler("burstsize", burst_read, true);
  add_write_handler("burstsize", burst_write);
  add_read_handler("active", [this] { return source::bool_line(active_); });
  add_write_handler("active", [this](std::string_view v) -> Status {
    bool b = false;
    if (!ArgParser<bool>::parse(trimmed(v), b).empty())
      return make_error(Errc::kInvalidArgument, "active parameter must be boolean");
    active_ = b;
    maybe_reschedule();
    return Status();
  });
  add_read_handler("alloc_failures", [this] { return fmt::format("{}\n", alloc_failures_.get()); });
}

UPLANE_REGISTER_ELEMENT(InfiniteSource);

}  // namespace uplane::elements
