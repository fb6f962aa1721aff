#pragma once
// What SpscRing and MpmcRing share: the header that starts every ring placed in memory
// (magic, version, element size, capacity), validated when another process attaches, and
// an owning handle for rings that live on the heap.
//
// Trust: both sides are trusted code. The geometry (capacity, mask) is read from the shared
// header on every call, and a distance between indices beyond the capacity reads as full
// or empty, so a confused peer cannot make a call write past the slots through the indices;
// a peer that rewrites the header itself is beyond what these rings defend against. Rings
// shared with an untrusted tenant need a wrapper that keeps its own copy of the geometry and
// validates every index it takes out (issue 6, out-of-process tenants).
//
// A ring is one contiguous block: a header, then each side's state, then the slots. Each
// side's state is two 128-byte blocks: one with what only that side touches (its cached view
// of the other side; for MPMC also its head), one with the index the other side reads (its
// tail, or the SPSC head). A side polling the other's index so only ever pulls away the line
// that holds that index, never the one the owner reads and writes on every call. 128, not
// 64: Intel's adjacent-line prefetcher fetches 64-byte lines in aligned pairs, so two
// neighbouring lines would still bounce together (DPDK pads rte_ring the same way).
// It holds no pointers, only free-running 32-bit indices masked at use, so a ring placed
// in a shared Region works in every process that maps it, at any address.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "base/compiler.h"
#include "base/status.h"

namespace uplane::ring {

inline constexpr std::size_t kRingAlign = 2 * kCacheLine;

static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "ring indices must be lock-free to be shared between processes");

struct alignas(kCacheLine) RingHeader {
  std::uint32_t magic;
  std::uint16_t version;
  std::uint16_t kind;  // which ring type wrote it (kSpscKind, kMpmcKind)
  std::uint32_t elem_size;
  std::uint32_t capacity;  // slots; a power of two
  std::uint32_t mask;      // capacity - 1
  std::uint8_t prod_single;
  std::uint8_t cons_single;
};
static_assert(sizeof(RingHeader) == kCacheLine);

inline constexpr std::uint32_t kRingMagic = 0x55504c52;  // "UPLR"
inline constexpr std::uint16_t kRingVersion = 1;
inline constexpr std::uint16_t kSpscKind = 1;
inline constexpr std::uint16_t kMpmcKind = 2;
inline constexpr std::uint32_t kMaxRingCapacity = 1u << 31;

// Checks the arguments common to every ring's create().
inline Status check_ring_capacity(std::uint32_t capacity) {
  if (!is_power_of_two(capacity) || capacity > kMaxRingCapacity)
    return make_error(Errc::kInvalidArgument, "ring capacity {} is not a power of two in [1, 2^31]",
                      capacity);
  return Status::ok();
}

// Checks where create_in() was asked to build a ring of `capacity` slots (`need` bytes).
inline Status check_ring_placement(const void* mem, std::size_t bytes, std::uint32_t capacity,
                                   std::size_t need) {
  UPLANE_RETURN_IF_ERROR(check_ring_capacity(capacity));
  if (reinterpret_cast<std::uintptr_t>(mem) % kRingAlign != 0)
    return make_error(Errc::kInvalidArgument, "ring memory is not {}-byte aligned", kRingAlign);
  if (bytes < need)
    return make_error(Errc::kOutOfRange, "ring of {} slots needs {} bytes, has {}", capacity, need,
                      bytes);
  return Status::ok();
}

// Checks a header found in memory before a process uses the ring behind it.
inline Status check_ring_header(const RingHeader& h, std::uint16_t kind, std::uint32_t elem_size,
                                std::size_t bytes, std::size_t header_bytes) {
  if (h.magic != kRingMagic)
    return make_error(Errc::kInvalidArgument, "no ring here (bad magic {:#x})", h.magic);
  if (h.version != kRingVersion)
    return make_error(Errc::kInvalidArgument, "ring version {} is not {}", h.version, kRingVersion);
  if (h.kind != kind)
    return make_error(Errc::kInvalidArgument, "ring kind {} where {} was expected", h.kind, kind);
  if (h.elem_size != elem_size)
    return make_error(Errc::kInvalidArgument, "ring holds {}-byte elements, not {}", h.elem_size,
                      elem_size);
  UPLANE_RETURN_IF_ERROR(check_ring_capacity(h.capacity));
  if (h.mask != h.capacity - 1)
    return make_error(Errc::kInvalidArgument, "ring mask does not match its capacity");
  if (header_bytes + std::size_t{h.capacity} * elem_size > bytes)
    return make_error(Errc::kOutOfRange, "ring of {} slots does not fit in {} bytes", h.capacity,
                      bytes);
  return Status::ok();
}

// Checks the memory attach() was given: aligned, room for the header blocks, and a valid
// header of the expected kind and element size at its start.
inline Status check_ring_attach(const void* mem, std::size_t bytes, std::uint16_t kind,
                                std::uint32_t elem_size, std::size_t header_bytes) {
  if (reinterpret_cast<std::uintptr_t>(mem) % kRingAlign != 0 || bytes < header_bytes)
    return make_error(Errc::kInvalidArgument, "no room for a ring header");
  return check_ring_header(*static_cast<const RingHeader*>(mem), kind, elem_size, bytes,
                           header_bytes);
}

// Owns a ring allocated on the heap, kRingAlign aligned.
struct AlignedDelete {
  template <typename R>
  void operator()(R* r) const noexcept {
    r->~R();
    ::operator delete (static_cast<void*>(r), std::align_val_t{kRingAlign});
  }
};
template <typename R>
using HeapRing = std::unique_ptr<R, AlignedDelete>;

// Creates a ring of type R on the heap: R::bytes_for, R::create_in.
template <typename R, typename... A>
Result<HeapRing<R>> make_heap_ring(std::uint32_t capacity, A... args) {
  UPLANE_RETURN_IF_ERROR(check_ring_capacity(capacity));
  std::size_t bytes = R::bytes_for(capacity);
  void* mem = ::operator new (bytes, std::align_val_t{kRingAlign});
  auto r = R::create_in(mem, bytes, capacity, args...);
  if (!r.is_ok()) {
    ::operator delete (mem, std::align_val_t{kRingAlign});
    return r.status();
  }
  return HeapRing<R>(r.value());
}

// Free slots when `used` = head - opposite tail. A distance beyond the capacity cannot
// happen between honest sides (a stale cached tail, or a peer that wrote garbage): it reads
// as full, so nothing is ever written past the ring.
UPLANE_ALWAYS_INLINE std::uint32_t room(std::uint32_t cap, std::uint32_t used) noexcept {
  return used <= cap ? cap - used : 0;
}
// Entries when `dist` = opposite tail - head; beyond the capacity it reads as empty.
UPLANE_ALWAYS_INLINE std::uint32_t filled(std::uint32_t cap, std::uint32_t dist) noexcept {
  return dist <= cap ? dist : 0;
}

// Copies n elements between a caller's buffer and the slots, four at a time (one 32-byte
// move for 8-byte elements) and then the rest; the buffers never overlap.
template <typename T>
UPLANE_ALWAYS_INLINE void copy_elems(T* __restrict dst, const T* __restrict src,
                                     std::uint32_t n) noexcept {
  std::uint32_t k = 0;
  for (; k + 4 <= n; k += 4) std::memcpy(dst + k, src + k, 4 * sizeof(T));
  switch (n - k) {
    case 3:
      dst[k + 2] = src[k + 2];
      [[fallthrough]];
    case 2:
      dst[k + 1] = src[k + 1];
      [[fallthrough]];
    case 1:
      dst[k] = src[k];
      [[fallthrough]];
    default:
      break;
  }
}

// Copies n elements into the slots starting at free-running index `at`, wrapping at most
// once (n <= capacity).
template <typename T>
UPLANE_ALWAYS_INLINE void copy_to_slots(T* slots, std::uint32_t mask, std::uint32_t at,
                                        const T* src, std::uint32_t n) noexcept {
  const std::uint32_t i = at & mask;
  const std::uint32_t first = mask + 1 - i;
  if (UPLANE_LIKELY(n <= first)) {
    copy_elems(slots + i, src, n);
    return;
  }
  copy_elems(slots + i, src, first);
  copy_elems(slots, src + first, n - first);
}

template <typename T>
UPLANE_ALWAYS_INLINE void copy_from_slots(const T* slots, std::uint32_t mask, std::uint32_t at,
                                          T* dst, std::uint32_t n) noexcept {
  const std::uint32_t i = at & mask;
  const std::uint32_t first = mask + 1 - i;
  if (UPLANE_LIKELY(n <= first)) {
    copy_elems(dst, slots + i, n);
    return;
  }
  copy_elems(dst, slots + i, first);
  copy_elems(dst + first, slots, n - first);
}

}  // namespace uplane::ring
