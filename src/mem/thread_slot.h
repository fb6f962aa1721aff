#pragma once
// Thread slots: a small dense id per live thread (DPDK's lcore id, without EAL), used to
// index per-thread state such as PacketPool caches. A slot is taken on a thread's first
// call and given back when the thread exits; the next thread to take it inherits whatever
// per-thread state was left there (a pool cache's frames included), so nothing leaks.

#include <cstdint>

#include "base/compiler.h"

namespace uplane::mem {

inline constexpr std::uint32_t kMaxThreadSlots = 64;
inline constexpr std::uint32_t kNoThreadSlot = ~0u;

namespace detail {
// This thread's slot once taken; kUnassignedSlot before the first call. __thread rather
// than thread_local: no dynamic initialization, so reading it is one TLS load, no call.
inline constexpr std::uint32_t kUnassignedSlot = ~0u - 1;
extern __thread std::uint32_t t_thread_slot;
std::uint32_t take_thread_slot() noexcept;
}  // namespace detail

// This thread's slot, or kNoThreadSlot when all kMaxThreadSlots are taken.
UPLANE_ALWAYS_INLINE std::uint32_t this_thread_slot() noexcept {
  const std::uint32_t s = detail::t_thread_slot;
  if (UPLANE_LIKELY(s < kMaxThreadSlots)) return s;
  return s == detail::kUnassignedSlot ? detail::take_thread_slot() : kNoThreadSlot;
}

}  // namespace uplane::mem
