#pragma once
// PacketPool: fixed-size packet frames in one Region, addressed by index.
//
// Region layout (all offsets, no pointers, so another process can attach):
//   [PoolHeader | free ring: MpmcRing<uint32_t> of frame indices | frames, page aligned]
// Each frame is [Packet metadata | headroom | data]; see packet.h.
//
// Getting and putting frames follows DPDK's mempool: each thread has a cache of free frames
// in this process's memory (indexed by thread slot, see thread_slot.h). A get takes from the
// cache and, when the cache runs short, refills it from the shared ring in one bulk move of
// `cache_size` frames; a put fills the cache and, past 1.5 x cache_size, flushes the excess
// back in one bulk move. So most gets and puts touch only memory private to their thread.
// Threads without a slot, and requests larger than the cache, go to the ring directly.
//
// Frames in one process's caches are invisible to other processes, so the leak check
// (frames_outstanding) speaks for this process's view: call it when this process is the
// only user, or after the others have flushed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "mem/packet.h"
#include "mem/region.h"
#include "mem/thread_slot.h"
#include "ring/mpmc_ring.h"

namespace uplane::mem {

// Frames up to 32 KiB: every offset inside a frame then fits the 16-bit fields of Packet
// with room to spare (jumbo frames of 9000 bytes fit in 16 KiB).
inline constexpr std::uint32_t kMaxFrameSize = 32768;

struct PoolConfig {
  std::string name = "pool";
  std::uint32_t frame_count = 4096;
  std::uint32_t frame_size = 2048;  // a power of two in [512, kMaxFrameSize]
  std::uint32_t headroom = 128;     // bytes before the data of a freshly allocated packet
  std::uint32_t cache_size = 256;   // per thread; 0 disables the caches
  // Bytes after the frames (at trailer_offset(), page aligned) that the pool leaves to its
  // creator: a tenant link keeps its rings there, in the one Region it shares.
  std::size_t trailer_bytes = 0;
  RegionOptions region{};
};

struct PoolCounters {
  std::uint64_t gets = 0;          // frames handed out
  std::uint64_t puts = 0;          // frames given back
  std::uint64_t get_failures = 0;  // get calls refused: not enough free frames
  std::uint64_t cache_hits = 0;    // get calls served from the thread cache alone
  std::uint64_t bad_indices = 0;   // indices in the shared free ring that name no frame
  std::uint64_t bad_puts = 0;      // frames refused on the way back: not of this pool, or the
                                   // free ring already full (a frame given back twice)
};

class PacketPool {
 public:
  static constexpr std::uint32_t kMaxCacheSize = 512;
  static constexpr std::uint32_t kMaxPools = 1024;

  // Creates a Region and lays a pool out in it; every frame starts free.
  static Result<std::unique_ptr<PacketPool>> create(const PoolConfig& cfg);

  // Uses a pool that another process laid out in `region` (received with
  // Region::receive). The header is checked before anything else is read.
  // Trust: the free ring is shared multi-producer/multi-consumer, so only processes the
  // host trusts attach this way. Indices taken from the ring are still range-checked (and
  // bad ones counted), but a peer that stalls mid-operation stalls the ring; untrusted
  // tenants get a pool whose free list only the host touches, and hand frames back by
  // index over their own rings, each index validated (DESIGN.md, "Tenancy and isolation").
  static Result<std::unique_ptr<PacketPool>> attach(std::shared_ptr<Region> region,
                                                    std::uint32_t cache_size = 256);

  // Uses the frames of a pool laid out in `region` with a free list of this process's own,
  // empty at first: frames join it only when this process puts them. The pool's shared free
  // ring is never touched. How an untrusted tenant sees the frames the host lends it (a
  // tenant link, tenant/tenant_link.h): it can allocate only what it was given and freed,
  // and nothing it does reaches another process's free list.
  static Result<std::unique_ptr<PacketPool>> attach_private(std::shared_ptr<Region> region,
                                                            std::uint32_t cache_size = 256);

  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;
  // Gives this process's cached frames back to the shared ring and unregisters the pool.
  // No thread may use the pool during or after destruction. Frames still held by callers
  // are not checked here.
  ~PacketPool();

  // --- frames, raw (contents and metadata as the last owner left them) ---
  // All n or none; false (and a get failure counted) when fewer than n are free.
  [[nodiscard]] bool get_bulk(Packet** out, std::uint32_t n) noexcept;
  // Gives back n frames of this pool. Each must have come from get/alloc and be put once.
  // A pointer that is not one of this pool's frames is refused and counted (bad_puts): at
  // once in debug builds, at the latest when it would reach the shared ring in all builds.
  void put_bulk(Packet* const* pkts, std::uint32_t n) noexcept;

  // --- packets (metadata reset, empty data window after `headroom` bytes) ---
  [[nodiscard]] Packet* alloc() noexcept;
  [[nodiscard]] bool alloc_bulk(Packet** out, std::uint32_t n) noexcept;
  void free(Packet* p) noexcept { put_bulk(&p, 1); }

  // --- addressing: index <-> frame ---
  std::uint32_t frame_count() const noexcept { return frame_count_; }
  std::uint32_t frame_size() const noexcept { return 1u << frame_shift_; }
  std::uint32_t headroom() const noexcept { return headroom_; }
  bool valid_index(std::uint32_t i) const noexcept { return i < frame_count_; }
  // The frame with index i; i must be valid_index().
  Packet* packet(std::uint32_t i) const noexcept {
    return reinterpret_cast<Packet*>(frames_ + (std::size_t{i} << frame_shift_));
  }
  // The index of a frame of this pool, computed from its address (not from the metadata,
  // which another process may have scribbled on).
  std::uint32_t index_of(const Packet* p) const noexcept {
    return static_cast<std::uint32_t>((reinterpret_cast<const std::byte*>(p) - frames_) >>
                                      frame_shift_);
  }
  // True when p points at the start of one of this pool's frames.
  bool owns(const Packet* p) const noexcept;
  // True when every one of the n pointers is the start of one of this pool's frames.
  bool owns_all(Packet* const* pkts, std::uint32_t n) const noexcept { return all_owned(pkts, n); }

  std::uint16_t id() const noexcept { return id_; }
  const std::string& name() const noexcept { return name_; }
  const std::shared_ptr<Region>& region() const noexcept { return region_; }
  // Byte offset of the first frame inside the Region (AF_XDP's UMEM starts there).
  std::size_t frames_offset() const noexcept {
    return static_cast<std::size_t>(frames_ - region_->base());
  }

  // Where the bytes after the frames start (PoolConfig::trailer_bytes), from the Region's
  // base; the trailer runs to the Region's end.
  std::size_t trailer_offset() const noexcept;

  // Sums of every thread's counters; each is exact when its thread is quiet.
  PoolCounters counters() const noexcept;
  // Free frames in the shared ring (not counting any cache).
  std::uint32_t ring_free_estimate() const noexcept { return ring_->size_estimate(); }

  // Moves the calling thread's cached frames back to the shared ring.
  void flush_thread_cache() noexcept;

  // --- charges: frames counted against an owner (a tenant's frames budget) ---
  // A charged frame carries its owner in Packet::charged_to() (1..65535) and counts against it
  // until it comes back to this pool, when the count drops and the mark is cleared. Copies
  // (Packet::copy_from) are not charged. Off until enable_charges(); from then on every put
  // looks at each frame's owner, so a pool whose frames nobody charges never pays for it.
  // Counts are atomic: frames may come back on any thread.
  void enable_charges();  // idempotent; from one thread, before the first charge()
  // Marks the n frames as `owner`'s and adds them to its count; enable_charges() first.
  void charge(Packet* const* pkts, std::uint32_t n, std::uint16_t owner) noexcept;
  // Ends the charges of the n frames now, as their put would (a frame lent to another
  // process by index leaves the pool's accounting without a put).
  void uncharge(Packet* const* pkts, std::uint32_t n) noexcept {
    if (auto* t = charges_.load(std::memory_order_acquire); t != nullptr) uncharge(t, pkts, n);
  }
  // Frame i with its metadata written afresh (identity, an empty window after the pool's
  // headroom, no annotation, no charge): a frame that comes back by index from a process
  // that could write its metadata. i must be valid_index().
  Packet* rebuild(std::uint32_t i) noexcept;

  // The frames charged to `owner` and not yet back (0 when charges are off).
  std::int64_t charged(std::uint16_t owner) const noexcept {
    const auto* t = charges_.load(std::memory_order_acquire);
    return t == nullptr ? 0 : t[owner].load(std::memory_order_relaxed);
  }

  // Frames neither in the free ring nor in any of this process's caches, in index order.
  // Only meaningful while no thread gets or puts.
  std::vector<std::uint32_t> frames_outstanding() const;
  // ok when every frame is back exactly once; otherwise names how many are out (or were
  // given back twice) and the first few. Only meaningful while no thread gets or puts.
  Status check_no_leaks() const;

 private:
  struct alignas(64) Cache {
    std::uint32_t len = 0;
    // Written by the owning thread only (relaxed load + store, no RMW), read by anyone.
    std::atomic<std::uint64_t> gets{0}, puts{0}, get_failures{0}, cache_hits{0};
    // A put adds up to cache_size frames to a cache holding up to 1.5 x cache_size - 1
    // before it flushes down to cache_size.
    Packet* objs[kMaxCacheSize * 5 / 2];
  };
  struct SharedCounters {
    std::atomic<std::uint64_t> gets{0}, puts{0}, get_failures{0}, bad_indices{0}, bad_puts{0};
  };

  static UPLANE_ALWAYS_INLINE void copy_frames(Packet** __restrict dst,
                                               Packet* const* __restrict src,
                                               std::uint32_t n) noexcept {
    if (n == 1) {  // single packets are common; skip the vector loop's set-up
      dst[0] = src[0];
      return;
    }
    for (std::uint32_t i = 0; i < n; ++i) dst[i] = src[i];
  }

  // Debug builds refuse a foreign frame on every put (STYLE.md: ownership is checked in
  // debug builds); release builds refuse it when the cache flushes to the shared ring, so
  // the fast path stays a plain copy. free_packet(), which routes by metadata another
  // process can write, always checks.
#ifdef NDEBUG
  static constexpr bool kCheckPuts = false;
#else
  static constexpr bool kCheckPuts = true;
#endif
  // True when every pointer is the start of one of this pool's frames: one pass, one branch.
  UPLANE_ALWAYS_INLINE bool all_owned(Packet* const* pkts, std::uint32_t n) const noexcept {
    std::uintptr_t bad = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uintptr_t off = reinterpret_cast<std::uintptr_t>(pkts[i]) - frames_base_;
      bad |= static_cast<std::uintptr_t>(off >= frames_bytes_) | (off & frame_mask_);
    }
    return bad == 0;
  }

  // Single-writer counter bump: the owner is the only writer, readers only load.
  static UPLANE_ALWAYS_INLINE void bump(std::atomic<std::uint64_t>& c, std::uint64_t n) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  PacketPool() = default;
  Status init_view(std::shared_ptr<Region> region, std::uint32_t cache_size);
  UPLANE_ALWAYS_INLINE Cache* cache_for_this_thread() noexcept {
    if (cache_size_ == 0) return nullptr;
    const std::uint32_t slot = this_thread_slot();
    return UPLANE_LIKELY(slot < kMaxThreadSlots) ? &caches_[slot] : nullptr;
  }
  // Drops the charges of the charged frames among pkts and clears their mark.
  void uncharge(std::atomic<std::int64_t>* table, Packet* const* pkts, std::uint32_t n) noexcept;
  // Out of line: what get_bulk/put_bulk do when the thread cache cannot serve alone.
  bool get_slow(Packet** out, std::uint32_t n) noexcept;
  void put_slow(Packet* const* pkts, std::uint32_t n) noexcept;
  void flush_excess(Cache* c) noexcept;
  bool get_from_ring(Packet** out, std::uint32_t n) noexcept;
  friend void free_packet(Packet* p) noexcept;
  std::uint32_t frames_from_indices(const std::uint32_t* idx, std::uint32_t n,
                                    Packet** out) noexcept;
  // Returns how many it took; refused frames are counted in bad_puts.
  std::uint32_t put_to_ring(Packet* const* pkts, std::uint32_t n) noexcept;
  // How many times each frame appears in the free ring and this process's caches.
  std::vector<std::uint8_t> free_counts() const;

  std::shared_ptr<Region> region_;
  ring::MpmcRing<std::uint32_t>* ring_ = nullptr;
  std::unique_ptr<std::byte[]> private_ring_;  // attach_private: ring_ lives here
  std::byte* frames_ = nullptr;
  std::uintptr_t frames_base_ = 0;  // frames_ as an integer, for all_owned()
  std::uintptr_t frames_bytes_ = 0;
  std::uintptr_t frame_mask_ = 0;
  std::uint32_t frame_count_ = 0;
  std::uint32_t frame_shift_ = 0;
  std::uint32_t headroom_ = 0;
  std::uint32_t cache_size_ = 0;
  std::uint32_t flush_threshold_ = 0;
  std::uint16_t id_ = 0;
  bool registered_ = false;
  std::string name_;
  std::unique_ptr<Cache[]> caches_;
  SharedCounters direct_;
  std::unique_ptr<std::atomic<std::int64_t>[]> charge_table_;  // 65536 owners
  std::atomic<std::atomic<std::int64_t>*> charges_{nullptr};   // charge_table_ once enabled
};

// The fast paths: served by the thread cache alone, inline at the caller.
inline bool PacketPool::get_bulk(Packet** out, std::uint32_t n) noexcept {
  Cache* c = cache_for_this_thread();
  if (UPLANE_LIKELY(c != nullptr && n <= c->len)) {
    // The cache is a stack: the most recently freed frames, likely still in this core's
    // cache, go out first (as one block, in block order, so the copy vectorizes).
    c->len -= n;
    copy_frames(out, c->objs + c->len, n);
    bump(c->gets, n);
    bump(c->cache_hits, 1);
    return true;
  }
  return get_slow(out, n);
}

inline void PacketPool::put_bulk(Packet* const* pkts, std::uint32_t n) noexcept {
  if (auto* t = charges_.load(std::memory_order_relaxed); UPLANE_UNLIKELY(t != nullptr))
    uncharge(t, pkts, n);
  Cache* c = cache_for_this_thread();
  if (UPLANE_LIKELY(c != nullptr && n <= cache_size_ && (!kCheckPuts || all_owned(pkts, n)))) {
    copy_frames(c->objs + c->len, pkts, n);
    c->len += n;
    bump(c->puts, n);
    if (UPLANE_UNLIKELY(c->len >= flush_threshold_)) flush_excess(c);
    return;
  }
  put_slow(pkts, n);
}

// The pool registered under `id` in this process, or nullptr.
PacketPool* pool_by_id(std::uint16_t id) noexcept;

// Gives a packet back to the pool it came from, found by the pool id in its metadata. The
// metadata may have been written by another process, so the frame must belong to that pool
// (by address); otherwise it is refused and counted in that pool's bad_puts.
void free_packet(Packet* p) noexcept;

}  // namespace uplane::mem
