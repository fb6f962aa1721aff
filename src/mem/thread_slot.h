#pragma once
// Thread slots: a small dense id per live thread (DPDK's lcore id, without EAL), used to
// index per-thread state such as PacketPool caches. A slot is taken on a thread's first
// call and given back when the thread exits; the next thread to take it inherits whatever
// per-thread state was left there (a pool cache's frames included), so nothing leaks.

#include <cstdint>

namespace uplane::mem {

inline constexpr std::uint32_t kMaxThreadSlots = 64;
inline constexpr std::uint32_t kNoThreadSlot = ~0u;

// This thread's slot, or kNoThreadSlot when all kMaxThreadSlots are taken.
std::uint32_t this_thread_slot() noexcept;

}  // namespace uplane::mem
