#include "elements/standard/simple_queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <vector>

#include "elements/standard/handler_value.h"
#include "graph/registry.h"

namespace uplane::elements {

SimpleQueue::~SimpleQueue() = default;

Status SimpleQueue::configure(graph::Args& args) {
  return args.optional_positional("CAPACITY", capacity_, 0u, kMaxCapacity).done();
}

Status SimpleQueue::initialize() { return resize(capacity_); }

// Builds a ring for `capacity` and moves the queued packets into it, oldest first; those
// beyond the new capacity are dropped. Control thread, no traffic.
Status SimpleQueue::resize(std::uint32_t capacity) {
  const std::uint32_t slots = std::bit_ceil(std::max<std::uint32_t>(capacity, 1));
  const ring::Sync sync = multi_thread_ ? ring::Sync::kMulti : ring::Sync::kSingle;
  auto made = ring::make_heap_ring<Ring>(slots, sync, sync);
  if (!made.is_ok()) return made.status();
  ring::HeapRing<Ring> fresh = std::move(made).value();
  std::vector<graph::Packet*> held;
  drain([&](graph::Packet* p) { held.push_back(p); });
  const auto keep = static_cast<std::uint32_t>(std::min<std::size_t>(held.size(), capacity));
  (void)fresh->enqueue_bulk(held.data(), keep);  // keep <= capacity <= slots: always fits
  for (std::size_t i = keep; i < held.size(); ++i) drop(held[i], graph::DropReason::kQueueFull);
  ring_ = std::move(fresh);
  capacity_ = capacity;
  count_.store(keep, std::memory_order_relaxed);
  return {};
}

template <typename Sink>
void SimpleQueue::drain(Sink&& sink) noexcept {
  if (ring_ == nullptr) return;
  graph::Packet* buf[graph::Batch::kMax];
  for (;;) {
    const std::uint32_t got = ring_->dequeue_burst(buf, graph::Batch::kMax);
    if (got == 0) break;
    count_.fetch_sub(got, std::memory_order_release);
    for (std::uint32_t i = 0; i < got; ++i) sink(buf[i]);
  }
}

void SimpleQueue::cleanup() noexcept {
  drain([](graph::Packet* p) { mem::free_packet(p); });
  count_.store(0, std::memory_order_relaxed);
}

void SimpleQueue::note_length(std::uint32_t length) noexcept {
  std::uint32_t seen = highwater_.load(std::memory_order_relaxed);
  while (length > seen &&
         !highwater_.compare_exchange_weak(seen, length, std::memory_order_relaxed)) {
  }
}

void SimpleQueue::overflow(graph::Packet* const* pkts, std::uint32_t n) noexcept {
  if (n == 0) return;
  drops_.fetch_add(n, std::memory_order_relaxed);
  graph::Batch b;
  for (std::uint32_t i = 0; i < n; ++i) (void)b.push_back(pkts[i]);  // n <= Batch::kMax
  if (noutputs() > 1) {
    output_push(1, b);
  } else {
    drop_batch(b, graph::DropReason::kQueueFull);
  }
}

void SimpleQueue::push(int, graph::Batch& batch) noexcept {
  const std::uint32_t n = batch.size();
  if (n == 0) return;
  // Reserve room: take k slots of the count, all-or-some, never past capacity_.
  // Acquire on success pairs with the release fetch_sub in pull(): the slots a consumer gave
  // back are free in the ring (its consumer tail moved) before this push enqueues into them.
  std::uint32_t c = count_.load(std::memory_order_relaxed);
  std::uint32_t k = 0;
  for (;;) {
    k = c >= capacity_ ? 0 : std::min(n, capacity_ - c);
    if (k == 0) break;
    if (count_.compare_exchange_weak(c, c + k, std::memory_order_acquire,
                                     std::memory_order_relaxed))
      break;
  }
  std::uint32_t queued = 0;
  if (k != 0) {
    queued = ring_->enqueue_burst(batch.data(), k);
    // Cannot fall short (the count bounds the ring's fill); if it ever did, give the
    // reservation back and treat the rest as overflow rather than lose packets.
    if (queued < k) count_.fetch_sub(k - queued, std::memory_order_relaxed);
    note_length(c + queued);
  }
  overflow(batch.data() + queued, n - queued);
  batch.clear();
}

void SimpleQueue::pull(int, graph::Batch& out, std::uint32_t max) noexcept {
  const std::uint32_t want = std::min(max, out.room());
  if (want == 0) return;
  const std::uint32_t got = ring_->dequeue_burst(out.data() + out.size(), want);
  if (got == 0) return;
  out.set_size(out.size() + got);
  // Release: pairs with the acquire CAS in push() (see there).
  count_.fetch_sub(got, std::memory_order_release);
}

void SimpleQueue::take_state(graph::Element& old) noexcept {
  auto* o = dynamic_cast<SimpleQueue*>(&old);
  if (o == nullptr || o == this || ring_ == nullptr) return;
  std::uint32_t queued = count_.load(std::memory_order_relaxed);
  o->drain([&](graph::Packet* p) {
    if (queued < capacity_ && ring_->enqueue_bulk(&p, 1)) {
      ++queued;
    } else {
      o->drop(p, graph::DropReason::kQueueFull);
    }
  });
  count_.store(queued, std::memory_order_relaxed);
  note_length(queued);
  note_length(o->highwater_.load(std::memory_order_relaxed));
  drops_.fetch_add(o->drops_.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

void SimpleQueue::add_handlers() {
  add_read_handler("length", [this] { return fmt::format("{}\n", length()); });
  add_read_handler("highwater_length", [this] {
    return fmt::format("{}\n", highwater_.load(std::memory_order_relaxed));
  });
  add_read_handler(
      "capacity", [this] { return fmt::format("{}\n", capacity_); }, true);
  add_write_handler("capacity", [this](std::string_view v) -> Status {
    std::uint32_t cap = 0;
    const std::string why = graph::ArgParser<std::uint32_t>::parse(trimmed(v), cap);
    if (!why.empty() || cap > kMaxCapacity)
      return make_error(Errc::kInvalidArgument, "CAPACITY: expected 0-{}, got '{}'", kMaxCapacity,
                        trimmed(v));
    return resize(cap);
  });
  add_read_handler("drops",
                   [this] { return fmt::format("{}\n", drops_.load(std::memory_order_relaxed)); });
  add_write_handler("reset_counts", [this](std::string_view) {
    drops_.store(0, std::memory_order_relaxed);
    highwater_.store(length(), std::memory_order_relaxed);
    return Status();
  });
  add_write_handler("reset", [this](std::string_view) {
    graph::Batch b;
    auto flush = [&] {
      if (noutputs() > 1) {
        output_push(1, b);
      } else {
        drop_batch(b, graph::DropReason::kOther);
      }
      b.clear();
    };
    drain([&](graph::Packet* p) {
      (void)b.push_back(p);
      if (b.full()) flush();
    });
    if (!b.empty()) flush();
    return Status();
  });
}

UPLANE_REGISTER_ELEMENT(SimpleQueue);

}  // namespace uplane::elements
