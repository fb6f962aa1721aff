#include "mem/packet_pool.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/compiler.h"
#include "base/log.h"
#include "mem/thread_slot.h"

namespace uplane::mem {
namespace {

// What a pool writes at the start of its Region. Read by every process that attaches.
struct PoolHeader {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t pool_id;
  std::uint32_t frame_count;
  std::uint32_t frame_size;
  std::uint32_t headroom;
  std::uint32_t reserved;
  std::uint64_t ring_offset;
  std::uint64_t ring_bytes;
  std::uint64_t frames_offset;
  char name[32];
};
static_assert(sizeof(PoolHeader) == 80);
static_assert(offsetof(PoolHeader, ring_offset) == 24);

constexpr std::uint32_t kPoolMagic = 0x55504c50;  // "UPLP"
constexpr std::uint16_t kPoolVersion = 1;
constexpr std::size_t kHeaderArea = 4096;
constexpr std::size_t kFrameAlign = 4096;

using FreeRing = ring::MpmcRing<std::uint32_t>;

std::atomic<PacketPool*> g_pools[PacketPool::kMaxPools];

Result<std::uint16_t> register_pool(PacketPool* pool, int want) {
  for (std::uint32_t i = 0; i < PacketPool::kMaxPools; ++i) {
    if (want >= 0 && i != static_cast<std::uint32_t>(want)) continue;
    PacketPool* expected = nullptr;
    // acq_rel pairs with pool_by_id's acquire load: the pool is built before it is found.
    if (g_pools[i].compare_exchange_strong(expected, pool, std::memory_order_acq_rel))
      return static_cast<std::uint16_t>(i);
  }
  if (want >= 0)
    return make_error(Errc::kAlreadyExists, "pool id {} is already registered in this process",
                      want);
  return make_error(Errc::kResourceExhausted, "all {} pool ids are in use", PacketPool::kMaxPools);
}

std::uint32_t ring_capacity_for(std::uint32_t frames) {
  return std::bit_ceil(std::max(frames, 2u));
}

}  // namespace

PacketPool* pool_by_id(std::uint16_t id) noexcept {
  if (id >= PacketPool::kMaxPools) return nullptr;
  // Acquire pairs with the acq_rel registration in register_pool().
  return g_pools[id].load(std::memory_order_acquire);
}

void free_packet(Packet* p) noexcept {
  PacketPool* pool = pool_by_id(p->pool_id());
  if (pool == nullptr) return;
  if (UPLANE_LIKELY(pool->owns(p))) {
    pool->free(p);
  } else {
    pool->direct_.bad_puts.fetch_add(1, std::memory_order_relaxed);
  }
}

Result<std::unique_ptr<PacketPool>> PacketPool::create(const PoolConfig& cfg) {
  if (cfg.frame_count == 0 || cfg.frame_count > (1u << 30))
    return make_error(Errc::kInvalidArgument, "pool '{}': frame_count {} is outside [1, 2^30]",
                      cfg.name, cfg.frame_count);
  if (!is_power_of_two(cfg.frame_size) || cfg.frame_size < 512 || cfg.frame_size > kMaxFrameSize)
    return make_error(Errc::kInvalidArgument,
                      "pool '{}': frame_size {} is not a power of two in [512, 32768]", cfg.name,
                      cfg.frame_size);
  if (sizeof(Packet) + cfg.headroom + 64 > cfg.frame_size)
    return make_error(Errc::kInvalidArgument,
                      "pool '{}': headroom {} leaves no room for data in a {}-byte frame", cfg.name,
                      cfg.headroom, cfg.frame_size);
  if (cfg.cache_size > kMaxCacheSize)
    return make_error(Errc::kInvalidArgument, "pool '{}': cache_size {} exceeds {}", cfg.name,
                      cfg.cache_size, kMaxCacheSize);
  if (cfg.name.size() >= sizeof(PoolHeader::name))
    return make_error(Errc::kInvalidArgument, "pool name '{}' is longer than {} characters",
                      cfg.name, sizeof(PoolHeader::name) - 1);

  const std::uint32_t ring_cap = ring_capacity_for(cfg.frame_count);
  const std::size_t ring_bytes = FreeRing::bytes_for(ring_cap);
  const std::size_t frames_off = align_up(kHeaderArea + ring_bytes, kFrameAlign);
  const std::size_t trailer_off =
      align_up(frames_off + std::size_t{cfg.frame_count} * cfg.frame_size, kFrameAlign);
  const std::size_t total = cfg.trailer_bytes == 0 ? trailer_off : trailer_off + cfg.trailer_bytes;

  auto region = Region::create(cfg.name, total, cfg.region);
  if (!region.is_ok()) return region.status();
  std::byte* base = region.value()->base();

  auto* hdr = new (base) PoolHeader{};
  hdr->frame_count = cfg.frame_count;
  hdr->frame_size = cfg.frame_size;
  hdr->headroom = cfg.headroom;
  hdr->ring_offset = kHeaderArea;
  hdr->ring_bytes = ring_bytes;
  hdr->frames_offset = frames_off;
  std::memcpy(hdr->name, cfg.name.data(), cfg.name.size());
  auto ring = FreeRing::create_in(base + kHeaderArea, ring_bytes, ring_cap);
  if (!ring.is_ok()) return ring.status();

  std::unique_ptr<PacketPool> pool(new PacketPool());
  if (Status st = pool->init_view(std::move(region).value(), cfg.cache_size); !st.is_ok())
    return st;
  // Registered only once the view is complete: pool_by_id never returns a half-built pool.
  auto id = register_pool(pool.get(), -1);
  if (!id.is_ok()) return id.status();
  pool->id_ = id.value();
  pool->registered_ = true;
  hdr->pool_id = pool->id_;
  hdr->version = kPoolVersion;
  hdr->magic = kPoolMagic;  // last: an attacher that sees the magic sees a complete header

  const std::uint32_t shift = pool->frame_shift_;
  std::uint32_t batch[256];
  for (std::uint32_t i = 0; i < cfg.frame_count;) {
    std::uint32_t n = std::min<std::uint32_t>(256, cfg.frame_count - i);
    for (std::uint32_t k = 0; k < n; ++k) {
      Packet* p = new (pool->packet(i + k)) Packet();
      p->frame_index_ = i + k;
      p->pool_id_ = pool->id_;
      p->frame_shift_ = static_cast<std::uint8_t>(shift);
      p->reset(cfg.headroom);
      p->tenant_ = 0;  // charged to no one
      batch[k] = i + k;
    }
    (void)pool->ring_->enqueue_bulk(batch, n);  // cannot fail: the ring holds every frame
    i += n;
  }
  UPLANE_LOG(kDebug, "pool {} (id {}): {} frames of {} bytes, cache {}", cfg.name, pool->id_,
             cfg.frame_count, cfg.frame_size, cfg.cache_size);
  return pool;
}

Result<std::unique_ptr<PacketPool>> PacketPool::attach(std::shared_ptr<Region> region,
                                                       std::uint32_t cache_size) {
  if (region == nullptr || region->size() < kHeaderArea)
    return make_error(Errc::kInvalidArgument, "region too small to hold a pool");
  if (cache_size > kMaxCacheSize)
    return make_error(Errc::kInvalidArgument, "cache_size {} exceeds {}", cache_size,
                      kMaxCacheSize);
  const auto* hdr = reinterpret_cast<const PoolHeader*>(region->base());
  if (hdr->magic != kPoolMagic)
    return make_error(Errc::kInvalidArgument, "region '{}' holds no pool (bad magic)",
                      region->name());
  if (hdr->version != kPoolVersion)
    return make_error(Errc::kInvalidArgument, "region '{}': pool version {} is not {}",
                      region->name(), hdr->version, kPoolVersion);
  std::unique_ptr<PacketPool> pool(new PacketPool());
  UPLANE_RETURN_IF_ERROR(pool->init_view(std::move(region), cache_size));
  auto id = register_pool(pool.get(), hdr->pool_id);
  if (!id.is_ok()) return id.status();
  pool->id_ = id.value();
  pool->registered_ = true;
  return pool;
}

Result<std::unique_ptr<PacketPool>> PacketPool::attach_private(std::shared_ptr<Region> region,
                                                               std::uint32_t cache_size) {
  auto attached = attach(std::move(region), cache_size);
  if (!attached.is_ok()) return attached.status();
  std::unique_ptr<PacketPool> pool = std::move(attached).value();
  const std::uint32_t cap = ring_capacity_for(pool->frame_count_);
  const std::size_t bytes = FreeRing::bytes_for(cap);
  // Over-allocated, so that the ring starts as aligned as in a Region.
  pool->private_ring_ = std::make_unique<std::byte[]>(bytes + ring::kRingAlign);
  auto* mem = reinterpret_cast<std::byte*>(
      align_up(reinterpret_cast<std::size_t>(pool->private_ring_.get()), ring::kRingAlign));
  auto ring = FreeRing::create_in(mem, bytes, cap);
  if (!ring.is_ok()) return ring.status();
  pool->ring_ = ring.value();
  return pool;
}

// Checks the header against the Region and sets up this process's view of the pool.
Status PacketPool::init_view(std::shared_ptr<Region> region, std::uint32_t cache_size) {
  const auto* hdr = reinterpret_cast<const PoolHeader*>(region->base());
  const std::string_view name(hdr->name, strnlen(hdr->name, sizeof(hdr->name)));
  if (!is_power_of_two(hdr->frame_size) || hdr->frame_size < 512 || hdr->frame_size > kMaxFrameSize)
    return make_error(Errc::kInvalidArgument, "pool '{}': bad frame size {}", name,
                      hdr->frame_size);
  if (hdr->frame_count == 0 || hdr->headroom + sizeof(Packet) + 64 > hdr->frame_size)
    return make_error(Errc::kInvalidArgument, "pool '{}': bad frame count or headroom", name);
  if (hdr->ring_offset % kCacheLine != 0 || !region->contains(hdr->ring_offset, hdr->ring_bytes) ||
      hdr->frames_offset % kFrameAlign != 0 ||
      !region->contains(hdr->frames_offset, std::size_t{hdr->frame_count} * hdr->frame_size))
    return make_error(Errc::kOutOfRange, "pool '{}': layout does not fit its {}-byte region", name,
                      region->size());
  auto ring = FreeRing::attach(region->base() + hdr->ring_offset, hdr->ring_bytes);
  if (!ring.is_ok())
    return make_error(ring.status().code(), "pool '{}': free ring: {}", name,
                      ring.status().message());
  if (ring.value()->capacity() < hdr->frame_count)
    return make_error(Errc::kOutOfRange, "pool '{}': free ring smaller than the frame count", name);

  ring_ = ring.value();
  frames_ = region->base() + hdr->frames_offset;
  frame_count_ = hdr->frame_count;
  frame_shift_ = static_cast<std::uint32_t>(std::countr_zero(hdr->frame_size));
  frames_base_ = reinterpret_cast<std::uintptr_t>(frames_);
  frames_bytes_ = std::uintptr_t{frame_count_} << frame_shift_;
  frame_mask_ = (std::uintptr_t{1} << frame_shift_) - 1;
  headroom_ = hdr->headroom;
  name_ = std::string(name);
  // A cache larger than a fraction of the pool would strand most frames in one thread.
  cache_size_ = std::min(cache_size, frame_count_ / 4);
  flush_threshold_ = cache_size_ + cache_size_ / 2;
  if (cache_size_ > 0) caches_ = std::make_unique<Cache[]>(kMaxThreadSlots);
  region_ = std::move(region);
  return Status::ok();
}

PacketPool::~PacketPool() {
  // What this process's threads left in their caches goes back to the shared ring, so a
  // process that detaches strands no frame.
  if (caches_ != nullptr) {
    for (std::uint32_t slot = 0; slot < kMaxThreadSlots; ++slot) {
      put_to_ring(caches_[slot].objs, caches_[slot].len);
      caches_[slot].len = 0;
    }
  }
  if (registered_) {
    PacketPool* self = this;
    // Release pairs with pool_by_id's acquire.
    g_pools[id_].compare_exchange_strong(self, nullptr, std::memory_order_release);
  }
}

bool PacketPool::owns(const Packet* p) const noexcept {
  const auto* b = reinterpret_cast<const std::byte*>(p);
  if (b < frames_ || b >= frames_ + (std::size_t{frame_count_} << frame_shift_)) return false;
  return ((b - frames_) & ((std::ptrdiff_t{1} << frame_shift_) - 1)) == 0;
}

std::uint32_t PacketPool::frames_from_indices(const std::uint32_t* idx, std::uint32_t n,
                                              Packet** out) noexcept {
  std::uint32_t k = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    // The ring is shared memory: an index in it is checked before it becomes an address.
    if (UPLANE_LIKELY(idx[i] < frame_count_)) out[k++] = packet(idx[i]);
  }
  if (UPLANE_UNLIKELY(k != n)) direct_.bad_indices.fetch_add(n - k, std::memory_order_relaxed);
  return k;
}

bool PacketPool::get_from_ring(Packet** out, std::uint32_t n) noexcept {
  std::uint32_t idx[kMaxCacheSize];
  std::uint32_t done = 0;
  // Large requests move through a bounded stack buffer, all or nothing overall.
  while (done < n) {
    const std::uint32_t k = std::min(n - done, kMaxCacheSize);
    if (!ring_->dequeue_bulk(idx, k)) {
      put_to_ring(out, done);
      direct_.get_failures.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    done += frames_from_indices(idx, k, out + done);
  }
  direct_.gets.fetch_add(n, std::memory_order_relaxed);
  return true;
}

std::uint32_t PacketPool::put_to_ring(Packet* const* pkts, std::uint32_t n) noexcept {
  std::uint32_t idx[kMaxCacheSize];
  std::uint32_t accepted = 0;
  for (std::uint32_t done = 0; done < n;) {
    const std::uint32_t k = std::min(n - done, kMaxCacheSize);
    std::uint32_t m = 0;
    for (std::uint32_t i = 0; i < k; ++i) {
      if (UPLANE_LIKELY(owns(pkts[done + i]))) idx[m++] = index_of(pkts[done + i]);
    }
    // The ring has a slot for every frame, so it is full only when frames were given back
    // twice; what does not fit is counted, not written past the ring.
    const std::uint32_t q = ring_->enqueue_burst(idx, m);
    if (UPLANE_UNLIKELY(q != k)) direct_.bad_puts.fetch_add(k - q, std::memory_order_relaxed);
    accepted += q;
    done += k;
  }
  return accepted;
}

bool PacketPool::get_slow(Packet** out, std::uint32_t n) noexcept {
  Cache* c = cache_for_this_thread();
  if (c == nullptr || n > cache_size_) return get_from_ring(out, n);
  // Refill: what is missing plus a full cache's worth, in one move (DPDK's rule). When the
  // ring has less, take what it has: the get still succeeds if cache + ring cover n.
  std::uint32_t idx[kMaxCacheSize * 2];
  std::uint32_t len = c->len;
  const std::uint32_t want = n - len + cache_size_;
  const std::uint32_t got = ring_->dequeue_bulk(idx, want) ? want : ring_->dequeue_burst(idx, want);
  len += frames_from_indices(idx, got, c->objs + len);
  if (len < n) {
    c->len = len;
    bump(c->get_failures, 1);
    return false;
  }
  c->len = len - n;
  copy_frames(out, c->objs + c->len, n);
  bump(c->gets, n);
  return true;
}

void PacketPool::enable_charges() {
  if (charges_.load(std::memory_order_acquire) != nullptr) return;
  charge_table_ = std::make_unique<std::atomic<std::int64_t>[]>(65536);
  for (std::size_t i = 0; i < 65536; ++i) charge_table_[i].store(0, std::memory_order_relaxed);
  // Release: a thread that sees the table sees it zeroed. No frame is marked before this,
  // so no put can miss a charge made after it.
  charges_.store(charge_table_.get(), std::memory_order_release);
}

void PacketPool::charge(Packet* const* pkts, std::uint32_t n, std::uint16_t owner) noexcept {
  auto* t = charges_.load(std::memory_order_relaxed);
  if (t == nullptr || owner == 0 || n == 0) return;
  for (std::uint32_t i = 0; i < n; ++i) {
    // A frame still charged to someone (it came back in without a put: a zero-copy pipe
    // between two of the host's ports) moves to its new owner.
    if (const std::uint16_t old = pkts[i]->tenant_; old != 0)
      t[old].fetch_sub(1, std::memory_order_relaxed);
    pkts[i]->tenant_ = owner;
  }
  t[owner].fetch_add(n, std::memory_order_relaxed);
}

Packet* PacketPool::rebuild(std::uint32_t i) noexcept {
  Packet* p = packet(i);
  p->frame_index_ = i;
  p->pool_id_ = id_;
  p->frame_shift_ = static_cast<std::uint8_t>(frame_shift_);
  p->reset(headroom_);
  p->tenant_ = 0;
  return p;
}

void PacketPool::uncharge(std::atomic<std::int64_t>* t, Packet* const* pkts,
                          std::uint32_t n) noexcept {
  // One atomic per run of frames of the same owner (a batch is usually one tenant's).
  std::uint16_t owner = 0;
  std::int64_t run = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    Packet* p = pkts[i];
    if (!owns(p)) continue;  // refused below (bad_puts); its metadata is not ours to read
    const std::uint16_t o = p->tenant_;
    if (o == 0) continue;
    p->tenant_ = 0;
    if (o != owner) {
      if (run != 0) t[owner].fetch_sub(run, std::memory_order_relaxed);
      owner = o;
      run = 0;
    }
    ++run;
  }
  if (run != 0) t[owner].fetch_sub(run, std::memory_order_relaxed);
}

void PacketPool::put_slow(Packet* const* pkts, std::uint32_t n) noexcept {
  direct_.puts.fetch_add(put_to_ring(pkts, n), std::memory_order_relaxed);
}

void PacketPool::flush_excess(Cache* c) noexcept {
  // Keep cache_size_ frames, return the rest in one move.
  put_to_ring(&c->objs[cache_size_], c->len - cache_size_);
  c->len = cache_size_;
}

Packet* PacketPool::alloc() noexcept {
  Packet* p;
  return alloc_bulk(&p, 1) ? p : nullptr;
}

bool PacketPool::alloc_bulk(Packet** out, std::uint32_t n) noexcept {
  if (!get_bulk(out, n)) return false;
  for (std::uint32_t i = 0; i < n; ++i) {
    Packet* p = out[i];
    // Identity is rewritten from the address, not trusted from shared memory.
    p->frame_index_ = index_of(p);
    p->pool_id_ = id_;
    p->frame_shift_ = static_cast<std::uint8_t>(frame_shift_);
    p->reset(headroom_);
  }
  return true;
}

void PacketPool::flush_thread_cache() noexcept {
  Cache* c = cache_for_this_thread();
  if (c == nullptr || c->len == 0) return;
  put_to_ring(c->objs, c->len);
  c->len = 0;
}

std::size_t PacketPool::trailer_offset() const noexcept {
  return align_up(frames_offset() + frames_bytes_, kFrameAlign);
}

PoolCounters PacketPool::counters() const noexcept {
  PoolCounters s;
  s.gets = direct_.gets.load(std::memory_order_relaxed);
  s.puts = direct_.puts.load(std::memory_order_relaxed);
  s.get_failures = direct_.get_failures.load(std::memory_order_relaxed);
  s.bad_indices = direct_.bad_indices.load(std::memory_order_relaxed);
  s.bad_puts = direct_.bad_puts.load(std::memory_order_relaxed);
  if (caches_ != nullptr) {
    for (std::uint32_t i = 0; i < kMaxThreadSlots; ++i) {
      const Cache& c = caches_[i];
      s.gets += c.gets.load(std::memory_order_relaxed);
      s.puts += c.puts.load(std::memory_order_relaxed);
      s.get_failures += c.get_failures.load(std::memory_order_relaxed);
      s.cache_hits += c.cache_hits.load(std::memory_order_relaxed);
    }
  }
  return s;
}

std::vector<std::uint8_t> PacketPool::free_counts() const {
  std::vector<std::uint8_t> free_times(frame_count_, 0);
  auto mark = [&](std::uint32_t i) {
    if (i < frame_count_ && free_times[i] < 255) ++free_times[i];
  };
  ring_->for_each_quiescent(mark);
  if (caches_ != nullptr) {
    for (std::uint32_t s = 0; s < kMaxThreadSlots; ++s)
      for (std::uint32_t k = 0; k < caches_[s].len; ++k) mark(index_of(caches_[s].objs[k]));
  }
  return free_times;
}

std::vector<std::uint32_t> PacketPool::frames_outstanding() const {
  const std::vector<std::uint8_t> free_times = free_counts();
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < frame_count_; ++i)
    if (free_times[i] == 0) out.push_back(i);
  return out;
}

namespace {
std::string first_few(const std::vector<std::uint32_t>& v) {
  std::string list;
  for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 16); ++i)
    list += fmt::format("{}{}", i ? " " : "", v[i]);
  return v.size() > 16 ? list + " ..." : list;
}
}  // namespace

Status PacketPool::check_no_leaks() const {
  const std::vector<std::uint8_t> free_times = free_counts();
  std::vector<std::uint32_t> missing, twice;
  for (std::uint32_t i = 0; i < frame_count_; ++i) {
    if (free_times[i] == 0) missing.push_back(i);
    if (free_times[i] > 1) twice.push_back(i);
  }
  if (!twice.empty())
    return make_error(Errc::kInternal,
                      "pool '{}': {} frames were given back more than once (frames {})", name_,
                      twice.size(), first_few(twice));
  if (!missing.empty())
    return make_error(Errc::kFailedPrecondition,
                      "pool '{}': {} of {} frames not returned (frames {})", name_, missing.size(),
                      frame_count_, first_few(missing));
  return Status::ok();
}

}  // namespace uplane::mem
