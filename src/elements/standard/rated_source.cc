#include "elements/standard/rated_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "base/cpu.h"
#include "elements/standard/handler_value.h"
#include "graph/registry.h"
#include "graph/router.h"
#include "graph/task.h"

namespace uplane::elements {
namespace {

// Click's bucket size for a rate: two tokens below 200 packets/s, else 10 ms of traffic.
std::uint64_t capacity_for(std::uint64_t rate) { return rate < 200 ? 2 : rate / 100; }

}  // namespace

Status RatedSource::configure(graph::Args& args) {
  graph::Rate rate{rate_};
  graph::Bandwidth bandwidth{};
  std::string data{source::kDefaultData};
  std::int64_t length = -1;
  args.optional_positional("DATA", data)
      .optional_positional("RATE", rate)
      .optional_positional("LIMIT", limit_)
      .optional_positional("ACTIVE", active_)
      .optional("LENGTH", length)
      .optional("DATASIZE", length)
      .optional("STOP", stop_)
      .optional("BANDWIDTH", bandwidth);
  UPLANE_RETURN_IF_ERROR(args.done());
  UPLANE_RETURN_IF_ERROR(payload_.set(pool(), std::move(data), length));
  std::uint64_t r = rate.per_sec;
  std::uint64_t capacity = capacity_for(r);
  if (bandwidth.bytes_per_sec > 0) {
    if (payload_.bytes().empty())
      return make_error(Errc::kInvalidArgument, "BANDWIDTH: the packet is empty");
    const double per_sec = bandwidth.bytes_per_sec / static_cast<double>(payload_.bytes().size());
    r = per_sec >= static_cast<double>(kMaxRate) + 1 ? kMaxRate + 1
                                                     : static_cast<std::uint64_t>(per_sec);
    capacity = capacity_for(r);
    // As Click: with BANDWIDTH the bucket holds at least twice LENGTH.
    if (length > 0 && capacity < 2 * static_cast<std::uint64_t>(length))
      capacity = 2 * static_cast<std::uint64_t>(length);
  }
  if (r > kMaxRate)
    return make_error(Errc::kInvalidArgument, "RATE: at most {} packets per second, got {}",
                      kMaxRate, r);
  set_rate(r, capacity);
  return {};
}

Status RatedSource::initialize() {
  restart_bucket();
  if (output_is_push(0)) task_ = add_task(active_);
  return {};
}

void RatedSource::set_rate(std::uint64_t rate, std::uint64_t capacity) noexcept {
  refill(now_ns());  // the time so far earned tokens at the old rate
  rate_ = rate;
  capacity_ = std::max<std::uint64_t>(capacity, 1);
  tokens_ = std::min(tokens_, capacity_ * kToken);
}

void RatedSource::restart_bucket() noexcept {
  tokens_ = kToken;
  last_refill_ns_ = now_ns();
}

void RatedSource::refill(std::uint64_t now) noexcept {
  if (now <= last_refill_ns_) return;
  const std::uint64_t elapsed = now - last_refill_ns_;
  last_refill_ns_ = now;
  const std::uint64_t full = capacity_ * kToken;  // <= 10^7 tokens * 10^9: fits
  if (tokens_ >= full || rate_ == 0) return;
  const std::uint64_t missing = full - tokens_;
  // elapsed * rate_ earns that many units; compare first so the product cannot overflow.
  if (elapsed >= missing / rate_ + 1) {
    tokens_ = full;
  } else {
    tokens_ += elapsed * rate_;
    tokens_ = std::min(tokens_, full);
  }
}

std::uint32_t RatedSource::due(std::uint32_t max) noexcept {
  refill(now_ns());
  return static_cast<std::uint32_t>(std::min<std::uint64_t>({tokens_ / kToken, max, room_left()}));
}

std::uint32_t RatedSource::emit(std::uint32_t n, graph::Batch& out) noexcept {
  const std::uint32_t made = source::make_packets(pool(), payload_.bytes(), n, true, out);
  if (made < n) alloc_failures_.add(n - made);
  tokens_ -= std::uint64_t{made} * kToken;
  count_.add(made);
  if (room_left() == 0 && stop_) router().please_stop();
  return made;
}

bool RatedSource::run_task(graph::Task& task) noexcept {
  if (!active_ || room_left() == 0) {
    if (active_ && stop_) router().please_stop();
    task.unschedule();  // a handler schedules it again
    return false;
  }
  const std::uint32_t n = due(graph::Batch::kMax);
  if (n == 0) return false;  // not yet time
  graph::Batch b;
  const std::uint32_t made = emit(n, b);
  if (made != 0) output_push(0, b);
  return made != 0;
}

void RatedSource::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  if (!active_ || router().stop_requested()) return;  // as InfiniteSource::pull
  if (room_left() == 0) {
    if (stop_) router().please_stop();
    return;
  }
  const std::uint32_t n = due(std::min(max, out.room()));
  if (n != 0) (void)emit(n, out);
}

void RatedSource::maybe_reschedule() noexcept {
  if (task_ != nullptr && active_ && room_left() > 0) task_->reschedule();
}

void RatedSource::add_handlers() {
  using graph::ArgParser;
  add_read_handler("count", [this] { return fmt::format("{}\n", count_.get()); });
  add_write_handler("reset", [this](std::string_view) {
    count_.reset();
    restart_bucket();
    maybe_reschedule();
    return Status();
  });
  add_read_handler(
      "data", [this] { return payload_.data(); }, true);
  add_write_handler("data", [this](std::string_view v) {
    return payload_.set(pool(), std::string(v), payload_.length());
  });
  auto length_read = [this] { return fmt::format("{}\n", payload_.length()); };
  auto length_write = [this](std::string_view v) { return payload_.write_length(pool(), v); };
  add_read_handler("length", length_read, true);
  add_write_handler("length", length_write);
  add_read_handler("datasize", length_read, true);
  add_write_handler("datasize", length_write);
  add_read_handler("rate", [this] { return fmt::format("{}\n", rate_); });
  add_write_handler("rate", [this](std::string_view v) -> Status {
    graph::Rate r;
    if (!ArgParser<graph::Rate>::parse(trimmed(v), r).empty() || r.per_sec > kMaxRate)
      return make_error(Errc::kInvalidArgument, "rate must be an unsigned integer up to {}",
                        kMaxRate);
    set_rate(r.per_sec, capacity_for(r.per_sec));
    return Status();
  });
  add_read_handler(
      "limit", [this] { return fmt::format("{}\n", limit_ < 0 ? -1 : limit_); }, true);
  add_write_handler("limit", [this](std::string_view v) -> Status {
    std::int64_t n = 0;
    if (!ArgParser<std::int64_t>::parse(trimmed(v), n).empty())
      return make_error(Errc::kInvalidArgument, "limit must be integer");
    limit_ = n;
    maybe_reschedule();
    return Status();
  });
  add_read_handler("active", [this] { return source::bool_line(active_); });
  add_write_handler("active", [this](std::string_view v) -> Status {
    bool b = false;
    if (!ArgParser<bool>::parse(trimmed(v), b).empty())
      return make_error(Errc::kInvalidArgument, "active must be boolean");
    if (b && !active_) restart_bucket();
    active_ = b;
    maybe_reschedule();
    return Status();
  });
  add_read_handler("alloc_failures", [this] { return fmt::format("{}\n", alloc_failures_.get()); });
}

UPLANE_REGISTER_ELEMENT(RatedSource);

}  // namespace uplane::elements
