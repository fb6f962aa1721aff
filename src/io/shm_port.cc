#include "io/shm_port.h"

#include <sched.h>

#include <bit>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

#include "base/compiler.h"
#include "base/log.h"

namespace uplane::io {

using IndexRing = ring::SpscRing<std::uint32_t>;

namespace detail {

// At offset 0 of a pipe's Region. Geometry and pool identity are written once by the
// creator (magic last) and read once by an attacher, which keeps its own checked copies;
// the lifecycle word below is shared by both ends for the pipe's life.
struct PipeHeader {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t pool_id;
  std::uint32_t slots;
  std::uint32_t frame_count;  // the pool's, so an attacher can check it has the right pool
  std::uint32_t frame_size;
  std::uint32_t reserved0;
  std::uint64_t pool_region_bytes;
  std::uint64_t ring_offset[2];
  std::uint64_t ring_bytes;
  std::uint64_t marks_offset[2];
  std::uint64_t marks_bytes;
  char name[64];
  char pool_name[32];
  // The pipe's lifecycle, one word of PipeState bits, so that every transition (end B's
  // claim, either end's close) is one atomic step that sees all the others.
  alignas(64) std::atomic<std::uint32_t> state;
};
static_assert(sizeof(PipeHeader) <= ShmPipeLayout::kHeaderBytes);
static_assert(offsetof(PipeHeader, name) == 80);
static_assert(offsetof(PipeHeader, state) == 192);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<std::uint8_t>::is_always_lock_free,
              "the lifecycle word and the marks are shared between processes");

// Lifecycle of a pipe. End A is open from creation. Each bit is set once, never cleared:
// - kOpenedB: end B has been claimed. The claim is a CAS that fails once kClosedA or
//   kOpenedB is set, so end B opens at most once, and never after end A closed.
// - kBorrowedB: set with kOpenedB when end B is an in-process end over another pool, which
//   borrows the pipe's pool (end A's). Such an end never drains the rings: end A does, when
//   it closes, after ending the loan (PipeView::busy, loan_ended).
// - kClosedA, kClosedB: set by each end's close (fetch_or). The value fetch_or returns says
//   who drains the rings: the last end to close (both closed, or end A closing with no end
//   B ever claimed) — except that a borrowing end B leaves it to end A.
// A pipe is dead when end A has closed and end B is closed or was never claimed: nothing
// can open on it any more, and the in-process registry replaces it by a new pipe.
enum PipeState : std::uint32_t {
  kOpenedB = 1u << 0,
  kBorrowedB = 1u << 1,
  kClosedA = 1u << 2,
  kClosedB = 1u << 3,
};
constexpr bool pipe_dead(std::uint32_t s) noexcept {
  return (s & kClosedA) != 0 && ((s & kOpenedB) == 0 || (s & kClosedB) != 0);
}

constexpr std::uint32_t kPipeMagic = 0x55504c53;  // "UPLS"
constexpr std::uint16_t kPipeVersion = 1;

// One process's view of a pipe: the mapping, checked geometry, and (in the process that
// holds both ends) the loan of the pipe's pool to an end over another pool.
struct PipeView {
  std::shared_ptr<mem::Region> region;
  PipeHeader* hdr = nullptr;
  ShmPipeLayout layout{};
  IndexRing* rings[2] = {};
  std::atomic<std::uint8_t>* marks[2] = {};
  mem::PacketPool* pool = nullptr;  // this process's view of the pipe's pool
  std::uint32_t slots = 0;
  // The pool's geometry, copied here: a borrowing end B is constructed after its claim,
  // when end A may have closed and the pool gone, so it must not read the pool.
  std::uint32_t frame_count = 0;
  std::uint32_t frame_size = 0;
  std::uint16_t pool_id = 0;
  std::string name;
  // The loan (shm_port.h, "Ends, pools and lifetime"; kBorrowedB). The borrowing end raises
  // busy[side] around each burst and then reads loan_ended; end A's close raises loan_ended
  // and then reads busy: both seq_cst (a store-load pair each), so at least one side sees
  // the other. Each flag on a line of its own: the two sides may run on two threads.
  struct alignas(kCacheLine) BusyFlag {
    std::atomic<std::uint32_t> on{0};
  };
  alignas(kCacheLine) std::atomic<bool> loan_ended{false};
  BusyFlag busy[2];  // [0] receive side, [1] transmit side

  // A view of pipe `name` of `slots` slots over `pool`, with the pool's geometry copied; the
  // mapping, header, layout and rings are the caller's to fill in.
  static std::shared_ptr<PipeView> over(const std::string& name, mem::PacketPool& pool,
                                        std::uint32_t slots) {
    auto v = std::make_shared<PipeView>();
    v->pool = &pool;
    v->slots = slots;
    v->frame_count = pool.frame_count();
    v->frame_size = pool.frame_size();
    v->pool_id = pool.id();
    v->name = name;
    return v;
  }

  // End A's half of the loan's handshake: after it returns, the borrowing end is in no
  // burst and will start none that touches the pipe's pool or rings.
  void end_loan() noexcept {
    loan_ended.store(true, std::memory_order_seq_cst);  // pairs with enter_burst's load
    for (std::uint32_t spins = 0; busy[0].on.load(std::memory_order_seq_cst) != 0 ||
                                  busy[1].on.load(std::memory_order_seq_cst) != 0;
         ++spins) {
      // seq_cst pairs with enter_burst's store (Dekker); a load that reads leave_burst's
      // release store of 0 also acquires that burst's work on the pool and rings.
      if (spins < 1024) {
        cpu_relax();
      } else {
        sched_yield();
      }
    }
  }

  // Gives every frame in both rings back to the pool. Only when no end will touch the
  // rings again (the last close, or the end of the loan).
  void drain() noexcept {
    constexpr std::uint32_t kChunk = 64;
    std::uint32_t idx[kChunk];
    mem::Packet* pkts[kChunk];
    for (int d = 0; d < 2; ++d) {
      std::uint32_t n;
      while ((n = rings[d]->dequeue_burst(idx, kChunk)) != 0) {
        std::uint32_t m = 0;
        for (std::uint32_t i = 0; i < n; ++i) {
          const std::uint32_t x = idx[i];
          // Only frames that were sent; anything else was never the pipe's to give back.
          if (x < frame_count && marks[d][x].load(std::memory_order_relaxed) != 0) {
            marks[d][x].store(0, std::memory_order_relaxed);
            pkts[m++] = pool->packet(x);
          }
        }
        if (m != 0) pool->put_bulk(pkts, m);
      }
    }
  }
};

}  // namespace detail

using detail::kBorrowedB;
using detail::kClosedA;
using detail::kClosedB;
using detail::kOpenedB;
using detail::kPipeMagic;
using detail::kPipeVersion;
using detail::pipe_dead;
using detail::PipeHeader;
using detail::PipeView;

namespace {

constexpr std::size_t kPartAlign = 4096;

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > ShmPipe::kMaxNameLength)
    return make_error(Errc::kInvalidArgument, "shm pipe name '{}' must be 1-{} characters", name,
                      ShmPipe::kMaxNameLength);
  return Status::ok();
}

// Fills the pointers of a view from its (checked) layout.
void map_parts(PipeView& v) {
  std::byte* base = v.region->base();
  for (int d = 0; d < 2; ++d) {
    v.marks[d] =
        std::launder(reinterpret_cast<std::atomic<std::uint8_t>*>(base + v.layout.marks_offset[d]));
  }
}

PortConfig default_config(const std::string& name) {
  PortConfig c;
  c.device = name;
  return c;
}

// Claims end B of the pipe behind `v`: one CAS on the lifecycle word, refused once end A
// has closed or end B was claimed. On refusal, *seen is the state that refused it.
bool try_claim_end_b(PipeView& v, bool borrowing, std::uint32_t* seen) noexcept {
  const std::uint32_t add = kOpenedB | (borrowing ? std::uint32_t{kBorrowedB} : 0u);
  std::uint32_t s = v.hdr->state.load(std::memory_order_acquire);
  do {
    if ((s & (kClosedA | kOpenedB)) != 0) {
      *seen = s;
      return false;
    }
    // acq_rel pairs with the fetch_or of each end's close (~ShmPort): a close either comes
    // after this claim in the word's order and sees kOpenedB (and kBorrowedB), or comes
    // before it and refuses it with kClosedA.
  } while (!v.hdr->state.compare_exchange_weak(s, s | add, std::memory_order_acq_rel,
                                               std::memory_order_acquire));
  return true;
}

Status claim_refused(const PipeView& v, std::uint32_t s) {
  if ((s & kClosedA) != 0)
    return make_error(Errc::kFailedPrecondition,
                      "shm pipe '{}': end A has closed; end B cannot open any more", v.name);
  if ((s & kClosedB) != 0)
    return make_error(Errc::kAlreadyExists,
                      "shm pipe '{}': end B was opened and has closed (each end opens once)",
                      v.name);
  return make_error(Errc::kAlreadyExists,
                    "shm pipe '{}': both ends are already open (a pipe joins two ports)", v.name);
}

}  // namespace

ShmPipeLayout ShmPipeLayout::of(std::uint32_t slots, std::uint32_t frame_count) noexcept {
  ShmPipeLayout l{};
  l.ring_bytes = IndexRing::bytes_for(slots);
  l.ring_offset[0] = kHeaderBytes;
  l.ring_offset[1] = align_up(l.ring_offset[0] + l.ring_bytes, kPartAlign);
  l.marks_bytes = align_up(frame_count, kCacheLine);
  l.marks_offset[0] = align_up(l.ring_offset[1] + l.ring_bytes, kPartAlign);
  l.marks_offset[1] = align_up(l.marks_offset[0] + l.marks_bytes, kPartAlign);
  l.total = l.marks_offset[1] + l.marks_bytes;
  return l;
}

// --- ShmPipe ---

namespace {

Result<std::shared_ptr<PipeView>> create_view(const std::string& name, mem::PacketPool& pool,
                                              std::uint32_t slots) {
  UPLANE_RETURN_IF_ERROR(check_name(name));
  if (!is_power_of_two(slots) || slots < ShmPipe::kMinSlots || slots > ShmPipe::kMaxSlots)
    return make_error(Errc::kInvalidArgument,
                      "shm pipe '{}': {} slots is not a power of two in [{}, {}]", name, slots,
                      ShmPipe::kMinSlots, ShmPipe::kMaxSlots);
  if (pool.name().size() >= sizeof(PipeHeader::pool_name))
    return make_error(Errc::kInvalidArgument, "shm pipe '{}': pool name '{}' is too long", name,
                      pool.name());
  const ShmPipeLayout layout = ShmPipeLayout::of(slots, pool.frame_count());
  // Ordinary pages: the rings and marks are small, and a pipe need not take a hugepage.
  auto region =
      mem::Region::create(name, layout.total, {.allow_hugepages = false, .prefault = true});
  if (!region.is_ok())
    return make_error(region.status().code(), "shm pipe '{}': {}", name, region.status().message());

  auto v = PipeView::over(name, pool, slots);
  v->region = std::move(region).value();
  v->layout = layout;
  std::byte* base = v->region->base();
  auto* h = new (base) PipeHeader{};  // state 0: end A open, end B not yet claimed
  h->slots = slots;
  h->pool_id = pool.id();
  h->frame_count = pool.frame_count();
  h->frame_size = pool.frame_size();
  h->pool_region_bytes = pool.region()->size();
  for (int d = 0; d < 2; ++d) {
    h->ring_offset[d] = layout.ring_offset[d];
    h->marks_offset[d] = layout.marks_offset[d];
    auto r = IndexRing::create_in(base + layout.ring_offset[d], layout.ring_bytes, slots);
    if (!r.is_ok())
      return make_error(r.status().code(), "shm pipe '{}': {}", name, r.status().message());
    v->rings[d] = r.value();
    // The memfd starts zeroed: every frame starts out of flight.
    std::uninitialized_default_construct_n(
        reinterpret_cast<std::atomic<std::uint8_t>*>(base + layout.marks_offset[d]),
        layout.marks_bytes);
  }
  h->ring_bytes = layout.ring_bytes;
  h->marks_bytes = layout.marks_bytes;
  std::memcpy(h->name, name.data(), name.size());
  std::memcpy(h->pool_name, pool.name().data(), pool.name().size());
  h->version = kPipeVersion;
  h->magic = kPipeMagic;  // last: a header with the magic is complete
  v->hdr = h;
  map_parts(*v);
  return v;
}

// A view of a pipe another process (or this one) created: every header field checked
// against the Region and the pool before anything else is used.
Result<std::shared_ptr<PipeView>> attach_view(std::shared_ptr<mem::Region> region,
                                              mem::PacketPool& pool) {
  if (region == nullptr || region->size() < ShmPipeLayout::kHeaderBytes)
    return make_error(Errc::kInvalidArgument, "shm pipe region too small to hold a pipe");
  const std::string& rname = region->name();
  auto* h = std::launder(reinterpret_cast<PipeHeader*>(region->base()));
  if (h->magic != kPipeMagic)
    return make_error(Errc::kInvalidArgument, "region '{}' holds no shm pipe (bad magic {:#x})",
                      rname, h->magic);
  if (h->version != kPipeVersion)
    return make_error(Errc::kInvalidArgument, "shm pipe '{}': version {} is not {}", rname,
                      h->version, kPipeVersion);
  const std::string name(h->name, strnlen(h->name, sizeof(h->name)));
  const std::string pool_name(h->pool_name, strnlen(h->pool_name, sizeof(h->pool_name)));
  const std::uint32_t slots = h->slots;
  if (!is_power_of_two(slots) || slots < ShmPipe::kMinSlots || slots > ShmPipe::kMaxSlots)
    return make_error(Errc::kInvalidArgument, "shm pipe '{}': bad slot count {}", name, slots);
  if (h->pool_id != pool.id() || h->frame_count != pool.frame_count() ||
      h->frame_size != pool.frame_size() || h->pool_region_bytes != pool.region()->size() ||
      pool_name != pool.name())
    return make_error(Errc::kInvalidArgument,
                      "shm pipe '{}' is over pool '{}' (id {}, {} frames of {} bytes), not pool "
                      "'{}' (id {}, {} frames of {} bytes)",
                      name, pool_name, h->pool_id, h->frame_count, h->frame_size, pool.name(),
                      pool.id(), pool.frame_count(), pool.frame_size());
  // The layout is a function of (slots, frame count): anything else is not ours.
  const ShmPipeLayout want = ShmPipeLayout::of(slots, h->frame_count);
  if (h->ring_bytes != want.ring_bytes || h->marks_bytes != want.marks_bytes ||
      h->ring_offset[0] != want.ring_offset[0] || h->ring_offset[1] != want.ring_offset[1] ||
      h->marks_offset[0] != want.marks_offset[0] || h->marks_offset[1] != want.marks_offset[1] ||
      !region->contains(0, want.total))
    return make_error(Errc::kOutOfRange,
                      "shm pipe '{}': layout does not match {} slots and {} frames in a {}-byte "
                      "region",
                      name, slots, h->frame_count, region->size());

  auto v = PipeView::over(name, pool, slots);
  v->layout = want;
  for (int d = 0; d < 2; ++d) {
    auto r = IndexRing::attach(region->base() + want.ring_offset[d], want.ring_bytes);
    if (!r.is_ok())
      return make_error(r.status().code(), "shm pipe '{}': ring {}: {}", name, d,
                        r.status().message());
    if (r.value()->capacity() != slots)
      return make_error(Errc::kInvalidArgument, "shm pipe '{}': ring {} has {} slots, not {}", name,
                        d, r.value()->capacity(), slots);
    v->rings[d] = r.value();
  }
  v->region = std::move(region);
  v->hdr = h;
  map_parts(*v);
  return v;
}

}  // namespace

ShmPipe::ShmPipe(std::shared_ptr<PipeView> view, std::unique_ptr<ShmPort> a) noexcept
    : view_(std::move(view)), end_a_(std::move(a)) {}
ShmPipe::ShmPipe(ShmPipe&&) noexcept = default;
ShmPipe& ShmPipe::operator=(ShmPipe&&) noexcept = default;
ShmPipe::~ShmPipe() = default;

Result<ShmPipe> ShmPipe::create(const std::string& name, mem::PacketPool& pool,
                                std::uint32_t slots) {
  auto v = create_view(name, pool, slots);
  if (!v.is_ok()) return v.status();
  std::unique_ptr<ShmPort> a(new ShmPort(*v, ShmPort::End::kA, pool, default_config(name)));
  return ShmPipe(std::move(v).value(), std::move(a));
}

std::unique_ptr<ShmPort> ShmPipe::take_end_a() noexcept { return std::move(end_a_); }

Result<std::unique_ptr<ShmPort>> ShmPipe::open_end_b(mem::PacketPool& pool) {
  return ShmPort::open_b(view_, pool, default_config(view_->name), nullptr);
}

Status ShmPipe::send_to(int sock) const {
  UPLANE_RETURN_IF_ERROR(view_->pool->region()->send_to(sock));
  return view_->region->send_to(sock);
}

const std::shared_ptr<mem::Region>& ShmPipe::region() const noexcept { return view_->region; }
mem::PacketPool& ShmPipe::pool() const noexcept { return *view_->pool; }
std::uint32_t ShmPipe::slots() const noexcept { return view_->slots; }

Result<std::unique_ptr<ShmPort>> ShmPipe::attach(std::shared_ptr<mem::Region> region,
                                                 mem::PacketPool& pool) {
  auto v = attach_view(std::move(region), pool);
  if (!v.is_ok()) return v.status();
  return ShmPort::open_b(*v, pool, default_config((*v)->name), nullptr);
}

Result<ShmPeer> ShmPipe::receive(int sock, std::uint32_t pool_cache_size) {
  auto pool_region = mem::Region::receive(sock);
  if (!pool_region.is_ok())
    return make_error(pool_region.status().code(), "shm pipe: receiving the pool's region: {}",
                      pool_region.status().message());
  auto pipe_region = mem::Region::receive(sock);
  if (!pipe_region.is_ok())
    return make_error(pipe_region.status().code(), "shm pipe: receiving the pipe's region: {}",
                      pipe_region.status().message());
  auto pool = mem::PacketPool::attach(std::move(pool_region).value(), pool_cache_size);
  if (!pool.is_ok())
    return make_error(pool.status().code(), "shm pipe: attaching its pool: {}",
                      pool.status().message());
  ShmPeer peer;
  peer.pool = std::move(pool).value();
  auto port = attach(std::move(pipe_region).value(), *peer.pool);
  if (!port.is_ok()) return port.status();
  peer.port = std::move(port).value();
  return peer;
}

// --- ShmPort ---

namespace {

// The loan's handshake on the borrowing end's side (PipeView::busy). A no-op (busy null)
// for an end over the pipe's own pool.
UPLANE_ALWAYS_INLINE bool enter_burst(std::atomic<std::uint32_t>* busy,
                                      const std::atomic<bool>* loan_ended) noexcept {
  if (busy == nullptr) return true;
  // seq_cst store, then seq_cst load: pairs with PipeView::end_loan's store of loan_ended
  // and load of busy (Dekker): either end A sees this burst and waits for it, or this burst
  // sees the loan is over and touches nothing.
  busy->store(1, std::memory_order_seq_cst);
  if (UPLANE_LIKELY(!loan_ended->load(std::memory_order_seq_cst))) return true;
  busy->store(0, std::memory_order_release);
  return false;
}
UPLANE_ALWAYS_INLINE void leave_burst(std::atomic<std::uint32_t>* busy) noexcept {
  // Release pairs with end_loan's load of busy: this burst's use of the pool and rings
  // happens before end A drains the rings and the pool goes away.
  if (busy != nullptr) busy->store(0, std::memory_order_release);
}

}  // namespace

ShmPort::ShmPort(std::shared_ptr<PipeView> view, End end, mem::PacketPool& local_pool,
                 const PortConfig& cfg)
    : Port(cfg.device, cfg.queue),
      view_(std::move(view)),
      end_(end),
      pipe_pool_(*view_->pool),
      local_pool_(local_pool),
      rx_ring_(view_->rings[end == End::kA ? 1 : 0]),
      tx_ring_(view_->rings[end == End::kA ? 0 : 1]),
      rx_marks_(view_->marks[end == End::kA ? 1 : 0]),
      tx_marks_(view_->marks[end == End::kA ? 0 : 1]),
      state_(&view_->hdr->state),
      peer_closed_bit_(end == End::kA ? std::uint32_t{kClosedB} : std::uint32_t{kClosedA}),
      frame_count_(view_->frame_count),
      frame_size_(view_->frame_size),
      pool_id_(view_->pool_id),
      frame_shift_(static_cast<std::uint8_t>(std::countr_zero(view_->frame_size))),
      rx_(cfg.rx),
      tx_(cfg.tx),
      zero_copy_(&local_pool == view_->pool) {
  // Only an in-process end B can be over another pool; its claim set kBorrowedB. Such an
  // end is built after its claim, when end A may already have closed and taken its pool:
  // nothing here may read the pipe's pool (only the view's copies of its geometry).
  if (!zero_copy_) {
    busy_rx_ = &view_->busy[0].on;
    busy_tx_ = &view_->busy[1].on;
    loan_ended_ = &view_->loan_ended;
  }
}

Result<std::unique_ptr<ShmPort>> ShmPort::open_b(const std::shared_ptr<PipeView>& view,
                                                 mem::PacketPool& local_pool, const PortConfig& cfg,
                                                 std::uint32_t* refused) {
  if (!cfg.rx && !cfg.tx)
    return make_error(Errc::kInvalidArgument,
                      "shm pipe '{}': neither receive nor transmit side requested", view->name);
  const bool borrowing = &local_pool != view->pool;
  std::uint32_t seen = 0;
  if (!try_claim_end_b(*view, borrowing, &seen)) {
    if (refused != nullptr) *refused = seen;
    return claim_refused(*view, seen);
  }
  UPLANE_LOG(kDebug, "shm pipe {}: end B open over pool '{}' ({})", view->name, local_pool.name(),
             borrowing ? "one copy each way at this end" : "zero copy");
  return std::unique_ptr<ShmPort>(new ShmPort(view, End::kB, local_pool, cfg));
}

// Closing (the lifecycle word's rules, at PipeState): the fetch_or is acq_rel and pairs
// with the other end's fetch_or and with end B's claim, so the end that drains sees every
// ring operation of the other end, which will make no more. A borrowing end B never drains;
// end A drains for it, after ending the loan, whether end B is still open or not.
ShmPort::~ShmPort() {
  PipeView& v = *view_;
  if (end_ == End::kA) {
    const std::uint32_t was = state_->fetch_or(kClosedA, std::memory_order_acq_rel);
    if ((was & kBorrowedB) != 0) {
      // End B borrows this end's pool, which may go away as soon as this returns: end B
      // finishes the burst it may be in and never touches the pool or the rings again, so
      // what is in the rings goes back now. (End B may not be constructed yet: its claim
      // came first; its bursts will all see the loan ended.)
      v.end_loan();
      v.drain();
    } else if ((was & kOpenedB) == 0 || (was & kClosedB) != 0) {
      v.drain();  // the last end
    }
  } else {
    const std::uint32_t was = state_->fetch_or(kClosedB, std::memory_order_acq_rel);
    if (zero_copy_ && (was & kClosedA) != 0) v.drain();  // the last end
  }
}

LinkState ShmPort::link_state() const noexcept {
  if (loan_ended_ != nullptr && loan_ended_->load(std::memory_order_relaxed))
    return LinkState::kDown;
  // Relaxed: one word, read on its own.
  const std::uint32_t s = state_->load(std::memory_order_relaxed);
  const bool up = (s & kOpenedB) != 0 && (s & (kClosedA | kClosedB)) == 0;
  return up ? LinkState::kUp : LinkState::kDown;
}

UPLANE_ALWAYS_INLINE bool ShmPort::frame_ok(const mem::Packet* p,
                                            std::uint32_t index) const noexcept {
  ShmFrameHead h;
  std::memcpy(&h, static_cast<const void*>(p), sizeof(h));
  return h.frame_index == index && h.pool_id == pool_id_ && h.frame_shift == frame_shift_ &&
         h.data_off >= sizeof(mem::Packet) && std::uint32_t{h.data_off} + h.length <= frame_size_;
}

std::uint32_t ShmPort::rx_burst(mem::Batch& b) noexcept {
  const std::uint32_t room = b.room();
  if (UPLANE_UNLIKELY(!rx_ || room == 0)) return 0;
  if (UPLANE_UNLIKELY(!enter_burst(busy_rx_, loan_ended_))) return 0;
  std::uint32_t idx[mem::Batch::kMax];
  const std::uint32_t n = rx_ring_->dequeue_burst(idx, room);
  if (n == 0) {
    leave_burst(busy_rx_);
    return 0;
  }
  mem::Packet** out = b.data() + b.size();
  mem::Packet* reclaim[mem::Batch::kMax];
  std::uint32_t k = 0, bad = 0, nreclaim = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t x = idx[i];
    // The ring is shared memory: an index is a frame of ours only if it is in range and was
    // marked in flight by the sender (relaxed: the mark was stored before the sender's
    // release of the ring's head, which dequeue_burst acquired).
    if (UPLANE_UNLIKELY(x >= frame_count_ || rx_marks_[x].load(std::memory_order_relaxed) == 0)) {
      ++bad;  // not ours to free
      continue;
    }
    rx_marks_[x].store(0, std::memory_order_relaxed);
    mem::Packet* p = pipe_pool_.packet(x);
    if (UPLANE_UNLIKELY(!frame_ok(p, x))) {
      ++bad;
      reclaim[nreclaim++] = p;  // ours, but unusable: back to the pool
      continue;
    }
    out[k++] = p;
  }
  if (UPLANE_UNLIKELY(nreclaim != 0)) pipe_pool_.put_bulk(reclaim, nreclaim);
  if (!zero_copy_ && k != 0) k = copy_in(out, k);
  std::uint64_t bytes = 0;
  for (std::uint32_t i = 0; i < k; ++i) bytes += out[i]->length();
  b.set_size(b.size() + k);
  leave_burst(busy_rx_);
  if (k != 0) {
    add(c_.rx_packets, k);
    add(c_.rx_bytes, bytes);
  }
  if (UPLANE_UNLIKELY(bad != 0)) add(c_.rx_errors, bad);
  return k;
}

std::uint32_t ShmPort::copy_in(mem::Packet** pkts, std::uint32_t n) noexcept {
  mem::Packet* src[mem::Batch::kMax];
  mem::Packet* dst[mem::Batch::kMax];
  for (std::uint32_t i = 0; i < n; ++i) src[i] = pkts[i];
  std::uint32_t got = n;
  if (!local_pool_.alloc_bulk(dst, n)) {
    got = 0;
    while (got < n && (dst[got] = local_pool_.alloc()) != nullptr) ++got;
  }
  std::uint32_t k = 0, too_big = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    if (UPLANE_LIKELY(dst[i]->copy_from(*src[i]))) {
      pkts[k++] = dst[i];
    } else {
      local_pool_.free(dst[i]);
      ++too_big;
    }
  }
  pipe_pool_.put_bulk(src, n);
  if (UPLANE_UNLIKELY(got != n)) add(c_.rx_dropped, n - got);
  if (UPLANE_UNLIKELY(too_big != 0)) add(c_.rx_errors, too_big);
  return k;
}

std::uint32_t ShmPort::tx_burst(mem::Batch& b) noexcept {
  const std::uint32_t n = b.size();
  if (UPLANE_UNLIKELY(!tx_ || n == 0)) return 0;
  if (UPLANE_UNLIKELY(!enter_burst(busy_tx_, loan_ended_))) return 0;
  // Relaxed: a hint; a close that races with this burst leaves its frames in the ring,
  // and the last close drains them.
  if (UPLANE_UNLIKELY((state_->load(std::memory_order_relaxed) & peer_closed_bit_) != 0)) {
    leave_burst(busy_tx_);
    return 0;
  }
  mem::Packet** pk = b.data();
  std::uint32_t idx[mem::Batch::kMax];
  std::uint32_t len[mem::Batch::kMax];
  std::uint8_t pos[mem::Batch::kMax];   // where in b each index came from
  mem::Packet* copy[mem::Batch::kMax];  // the pipe frame a foreign packet went into
  std::uint32_t m = 0, i = 0, errors = 0;
  bool copied = false;
  for (; i < n; ++i) {
    mem::Packet* p = pk[i];
    mem::Packet* f = p;
    if (UPLANE_LIKELY(pipe_pool_.owns_all(&p, 1))) {
      // Relaxed: only this side sets marks in this direction; the receiver's clear of a
      // mark reached us through whatever handed the frame back (a ring or the pool).
      if (UPLANE_UNLIKELY(tx_marks_[pipe_pool_.index_of(p)].load(std::memory_order_relaxed))) {
        ++errors;  // already in flight: sent twice. The receiver's now; not ours to free.
        continue;
      }
    } else {
      f = pipe_pool_.alloc();
      if (UPLANE_UNLIKELY(f == nullptr)) break;  // no frame to copy into: the rest stays
      if (UPLANE_UNLIKELY(!f->copy_from(*p))) {  // larger than a pipe frame
        pipe_pool_.free(f);
        mem::free_packet(p);
        ++errors;
        continue;
      }
      copied = true;
    }
    const std::uint32_t x = pipe_pool_.index_of(f);
    // Before the ring's release of head publishes the index (enqueue_burst).
    tx_marks_[x].store(1, std::memory_order_relaxed);
    idx[m] = x;
    len[m] = f->length();  // now: once enqueued, the frame is the receiver's
    pos[m] = static_cast<std::uint8_t>(i);
    copy[m] = f != p ? f : nullptr;
    ++m;
  }
  const std::uint32_t q = tx_ring_->enqueue_burst(idx, m);
  std::uint64_t bytes = 0;
  for (std::uint32_t j = 0; j < q; ++j) bytes += len[j];
  if (UPLANE_UNLIKELY(copied)) {
    for (std::uint32_t j = 0; j < q; ++j)
      if (copy[j] != nullptr) mem::free_packet(pk[pos[j]]);  // its copy went instead
  }
  // What the ring had no slot for stays with the caller, in order, then what was not tried.
  std::uint32_t keep = 0;
  for (std::uint32_t j = q; j < m; ++j) {
    tx_marks_[idx[j]].store(0, std::memory_order_relaxed);  // never published
    if (copy[j] != nullptr) pipe_pool_.free(copy[j]);
    pk[keep++] = pk[pos[j]];
  }
  for (; i < n; ++i) pk[keep++] = pk[i];
  b.set_size(keep);
  leave_burst(busy_tx_);
  if (q != 0) {
    add(c_.tx_packets, q);
    add(c_.tx_bytes, bytes);
  }
  if (UPLANE_UNLIKELY(errors != 0)) add(c_.tx_errors, errors);
  return q;
}

// --- the in-process registry: pipes by (name, queue) ---
//
// The first open of a name creates a pipe and is its end A; the next is its end B. The
// registry holds pipes weakly (their ends own them) and decides from a pipe's lifecycle
// word, never from whether its view is still alive: an end closing on another thread keeps
// the view alive until its destructor returns, yet the pipe may already be dead
// (pipe_dead) — and a dead pipe is replaced by a new one. The mutex orders opens with
// each other; closes take no lock (they run on workers, and a pool may go with them): the
// word's CAS and fetch_or order them against the claim of end B.

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::pair<std::string, std::uint32_t>, std::weak_ptr<PipeView>> pipes;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: ports may close during exit
  return *r;
}

}  // namespace

Result<std::unique_ptr<Port>> open_shm_port(const PortConfig& cfg, mem::PacketPool& pool) {
  UPLANE_RETURN_IF_ERROR(check_name(cfg.device));
  if (!cfg.rx && !cfg.tx)
    return make_error(Errc::kInvalidArgument,
                      "shm port {}: neither receive nor transmit side requested", cfg.device);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto it = r.pipes.begin(); it != r.pipes.end();) {
    it = it->second.expired() ? r.pipes.erase(it) : std::next(it);
  }
  const auto key = std::make_pair(cfg.device, cfg.queue);
  auto it = r.pipes.find(key);
  // Null when the last end finished closing since the sweep.
  std::shared_ptr<PipeView> v = it != r.pipes.end() ? it->second.lock() : nullptr;
  if (v != nullptr) {
    std::uint32_t refused = 0;
    auto b = ShmPort::open_b(v, pool, cfg, &refused);
    if (b.is_ok()) return std::unique_ptr<Port>(std::move(b).value());
    if (!pipe_dead(refused)) {
      if ((refused & kClosedA) != 0)
        return make_error(Errc::kFailedPrecondition,
                          "shm pipe '{}' queue {}: end A has closed and end B is still open; "
                          "close end B before opening the name again",
                          cfg.device, cfg.queue);
      return make_error(b.status().code(), "shm port {} queue {}: {}", cfg.device, cfg.queue,
                        b.status().message());
    }
    // Both ends closed (or end A closed before any end B): nothing can open on this pipe
    // again, though its last end may still be closing. The name starts a new pipe.
  }
  auto created = create_view(cfg.device, pool, cfg.ring_size);
  if (!created.is_ok()) return created.status();
  r.pipes[key] = *created;
  UPLANE_LOG(kDebug, "shm pipe {} queue {}: end A open over pool '{}', {} slots", cfg.device,
             cfg.queue, pool.name(), cfg.ring_size);
  return std::unique_ptr<Port>(
      new ShmPort(std::move(created).value(), ShmPort::End::kA, pool, cfg));
}

}  // namespace uplane::io
