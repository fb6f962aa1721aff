#include "graph/element.h"

#include <fmt/format.h>

#include "graph/router.h"
#include "graph/task.h"

namespace uplane::graph {

std::string_view drop_reason_name(DropReason r) noexcept {
  switch (r) {
    case DropReason::kTooShort: return "too_short";
    case DropReason::kBadHeader: return "bad_header";
    case DropReason::kBadChecksum: return "bad_checksum";
    case DropReason::kBadSource: return "bad_source";
    case DropReason::kBadLength: return "bad_length";
    case DropReason::kTtlExpired: return "ttl_expired";
    case DropReason::kNoRoute: return "no_route";
    case DropReason::kFiltered: return "filtered";
    case DropReason::kQueueFull: return "queue_full";
    case DropReason::kNoMemory: return "no_memory";
    case DropReason::kNoRoom: return "no_room";
    case DropReason::kNoArpEntry: return "no_arp_entry";
    case DropReason::kFragmentNeeded: return "fragment_needed";
    case DropReason::kUnconnected: return "unconnected";
    case DropReason::kOther: return "other";
    case DropReason::kCount: break;
  }
  return "unknown";
}

Element::~Element() = default;

std::string Element::declaration() const {
  return fmt::format("{} :: {}", name_, spec_ != nullptr ? spec_->name : "?");
}

void Element::take_state(Element&) noexcept {}

void Element::push(int, Batch& batch) noexcept { drop_batch(batch, DropReason::kUnconnected); }

void Element::pull(int, Batch&, std::uint32_t) noexcept {}

bool Element::run_task(Task&) noexcept { return false; }

void Element::run_timer(Timer&) noexcept {}

std::uint64_t Element::total_drops() const noexcept {
  std::uint64_t n = 0;
  for (const Counter64& c : drops_) n += c.get();
  return n;
}

void Element::reset_drops() noexcept {
  for (Counter64& c : drops_) c.reset();
}

void Element::output_push_one(int port, Packet* p) noexcept {
  Batch b;
  (void)b.push_back(p);
  output_push(port, b);
}

void Element::drop(Packet* p, DropReason r) noexcept {
  // Drops are off the fast path and may come from several threads (a shared Queue).
  drops_[static_cast<int>(r)].add_shared();
  mem::free_packet(p);
}

void Element::drop_batch(Batch& b, DropReason r) noexcept {
  drops_[static_cast<int>(r)].add_shared(b.size());
  free_batch(b);
}

void Element::add_read_handler(std::string name, std::function<std::string()> read, bool calm) {
  for (Handler& h : handlers_) {
    if (h.name == name) {
      h.read = std::move(read);
      h.calm = calm;
      return;
    }
  }
  handlers_.push_back(Handler{std::move(name), std::move(read), {}, calm});
}

void Element::add_write_handler(std::string name,
                                std::function<Status(std::string_view)> write) {
  for (Handler& h : handlers_) {
    if (h.name == name) {
      h.write = std::move(write);
      return;
    }
  }
  handlers_.push_back(Handler{std::move(name), {}, std::move(write), false});
}

Task* Element::add_task(bool active) {
  Task* t = router_->make_task(this, active);
  tasks_.push_back(t);
  return t;
}

Timer* Element::add_timer() { return router_->make_timer(this); }

mem::PacketPool& Element::pool() const noexcept { return router_->pool(); }

void free_batch(Batch& b) noexcept {
  const std::uint32_t n = b.size();
  if (n == 0) return;
  // Batches nearly always hold one pool's frames: give them back in one bulk put.
  const std::uint16_t id = b[0]->pool_id();
  bool one_pool = true;
  for (std::uint32_t i = 1; i < n; ++i) one_pool &= b[i]->pool_id() == id;
  mem::PacketPool* pool = one_pool ? mem::pool_by_id(id) : nullptr;
  if (pool != nullptr) {
    if (pool->owns_all(b.data(), n)) {
      pool->put_bulk(b.data(), n);
      b.clear();
      return;
    }
  }
  for (std::uint32_t i = 0; i < n; ++i) mem::free_packet(b[i]);
  b.clear();
}

Packet* copy_packet(mem::PacketPool& pool, const Packet& p) noexcept {
  Packet* c = pool.alloc();
  if (c == nullptr) return nullptr;
  if (!c->copy_from(p)) {
    pool.free(c);
    return nullptr;
  }
  return c;
}

}  // namespace uplane::graph
